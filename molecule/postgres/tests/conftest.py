"""Helpers for the postgres scenario: run psql *inside* the container.

Credentials match converge.yml (test-only values). Every connection is made
from the container to itself, either over the Unix socket as the postgres OS
user or over TCP to the container's own private address (a client inside
postgres_app_client_cidrs), never over the loopback unless a test says so.
"""

from __future__ import annotations

import shlex

import pytest

OWNER = ("bookshelf_owner", "owner-Secret-1")
RUNTIME = ("bookshelf_app", "runtime-Secret-1")
DATABASE = "bookshelf"
PORT = 5432


def private_address(host) -> str:
    return host.check_output("hostname -I").split()[0]


def psql_tcp(host, sql: str, user: tuple[str, str], dbname: str = DATABASE,
             address: str | None = None, sslmode: str = "require"):
    """Run SQL as `user` over TCP to the container's private address; returns the command result."""
    name, password = user
    conninfo = (f"host={address or private_address(host)} port={PORT} dbname={dbname} "
                f"user={name} sslmode={sslmode} connect_timeout=5")
    return host.run(f"PGPASSWORD={shlex.quote(password)} psql -X -A -t -q -v ON_ERROR_STOP=1 "
                    f"{shlex.quote(conninfo)} -c {shlex.quote(sql)}")


def psql_admin(host, sql: str, dbname: str = "postgres") -> str:
    """Run SQL as the postgres superuser over the socket (peer); fails the test on error."""
    return host.check_output(f"runuser -u postgres -- psql -X -A -t -q -v ON_ERROR_STOP=1 "
                             f"-p {PORT} -d {shlex.quote(dbname)} -c {shlex.quote(sql)}").strip()


@pytest.fixture
def as_owner(host):
    def run(sql: str, **kw):
        return psql_tcp(host, sql, OWNER, **kw)
    return run


@pytest.fixture
def as_runtime(host):
    def run(sql: str, **kw):
        return psql_tcp(host, sql, RUNTIME, **kw)
    return run


@pytest.fixture
def admin(host):
    def run(sql: str, dbname: str = "postgres"):
        return psql_admin(host, sql, dbname)
    return run
