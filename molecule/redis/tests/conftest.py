"""Helpers for the redis scenario: run redis-cli *inside* the containers.

The password matches group_vars/all/10-redis.yml (test-only value); the user is
the stack's default (flaskstack_redis_user = the app name). Clients connect to
a redis host's private address, from app1 (the listed client) unless a test
says otherwise.
"""

from __future__ import annotations

import shlex

import pytest

USER = "bookshelf"
PASSWORD = "molecule-redis-3c9e1f7a5b2d4e6f8a0b1c2d3e4f5a6b"
PORT = 6379
ADMIN = "flaskstack-admin"


def private_address(host) -> str:
    return host.check_output("hostname -I").split()[0]


def redis_cli(client, address: str, *args: str, user: str | None = None, password: str | None = None,
              stdin: str | None = None):
    """Run one redis-cli command on `client` against address:PORT; returns the command result."""
    env = f"REDISCLI_AUTH={shlex.quote(password)} " if password is not None else ""
    auth = f"--user {shlex.quote(user)} " if user is not None else ""
    cmd = (f"{env}timeout 20 redis-cli -h {shlex.quote(address)} -p {PORT} {auth}--no-auth-warning "
           + " ".join(shlex.quote(a) for a in args))
    if stdin is not None:
        cmd = f"{stdin} | {cmd}"
    return client.run(cmd)


@pytest.fixture
def app1(molecule_host):
    return molecule_host("app1")


@pytest.fixture
def as_app(host, app1):
    """redis-cli on app1 as the app's ACL user against this redis host."""
    address = private_address(host)

    def run(*args: str, **kw):
        return redis_cli(app1, address, *args, user=USER, password=PASSWORD, **kw)
    return run


@pytest.fixture
def as_admin(host):
    """redis-cli on the redis host itself as the role's administration user."""
    password = host.check_output("cat /etc/redis/admin.pass").strip()

    def run(*args: str):
        result = redis_cli(host, "127.0.0.1", *args, user=ADMIN, password=password)
        assert result.rc == 0, result.stderr
        return result.stdout.strip()
    return run
