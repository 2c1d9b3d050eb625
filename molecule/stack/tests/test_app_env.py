"""What the platform put into the app's environment on the app hosts (README, "Deploy your own app").

The plain postgresql:// DATABASE_URL (the reference app maps it to psycopg 3
itself), SECRET_KEY, the app's declared secret JWT_SECRET_KEY (app_src/flaskstack.yml)
and its plain settings, in a root-only file. The API flow in test_stack.py
proves the app signs tokens with that key.
"""

from __future__ import annotations

import pytest

from chaos_helpers import APP_HOSTS, SERVICE

testinfra_hosts = ["web1"]

ENV_FILE = f"/etc/{SERVICE}/{SERVICE}.env"


def _env(host) -> dict[str, str]:
    env = {}
    for line in host.check_output(f"cat {ENV_FILE}").splitlines():
        name, sep, value = line.partition("=")
        if sep and not name.startswith("#"):
            env[name] = value.strip('"')
    return env


@pytest.mark.parametrize("name", APP_HOSTS)
def test_the_env_file_is_root_only(molecule_host, name):
    env_file = molecule_host(name).file(ENV_FILE)
    assert (env_file.user, env_file.group, env_file.mode) == ("root", "root", 0o600)


@pytest.mark.parametrize("name", APP_HOSTS)
def test_the_platform_provides_the_plain_scheme_secret_key_and_the_declared_secret(molecule_host, name):
    env = _env(molecule_host(name))
    assert env["DATABASE_URL"].startswith(f"postgresql://{SERVICE}_app:")
    assert len(env["SECRET_KEY"]) >= 43 and len(env["JWT_SECRET_KEY"]) >= 43
    assert env["SECRET_KEY"] != env["JWT_SECRET_KEY"]
    assert (env["APP_ENV"], env["LOG_FORMAT"], env["PROXY_FIX_X_FOR"]) == ("production", "json", "1")


# AUTH with REDIS_URL's user and password, then PING, in RESP over a plain socket
# (python3 of the host: the reference app ships no Redis client). Prints each reply.
REDIS_PING = r"""
import socket, sys
from urllib.parse import urlsplit, unquote
u = urlsplit(sys.argv[1])
def cmd(*args):
    return ("*%d\r\n" % len(args) + "".join("$%d\r\n%s\r\n" % (len(a.encode()), a) for a in args)).encode()
s = socket.create_connection((u.hostname, u.port), timeout=5)
s.sendall(cmd("AUTH", unquote(u.username), unquote(u.password)) + cmd("PING"))
reply = b""
while reply.count(b"\r\n") < 2:
    chunk = s.recv(256)
    if not chunk:
        break
    reply += chunk
print(reply.decode().split("\r\n")[:2])
"""


def redis_ping(host, url: str):
    return host.run(f"python3 -c '{REDIS_PING}' '{url}'")


@pytest.mark.parametrize("name", APP_HOSTS)
def test_redis_url_names_the_redis_host_and_authenticates_there(molecule_host, name):
    """The inventory has a role_redis group: REDIS_URL points at redis1's private address
    as the app's ACL user, and that user is let in from the app host."""
    url = _env(molecule_host(name))["REDIS_URL"]
    redis1 = molecule_host("redis1").ansible("setup", "filter=ansible_default_ipv4")["ansible_facts"]
    assert url.startswith(f"redis://{SERVICE}:") and url.endswith(
        f"@{redis1['ansible_default_ipv4']['address']}:6379/0"), "REDIS_URL is not redis1's"
    ping = redis_ping(molecule_host(name), url)
    assert ping.stdout.strip() == "['+OK', '+PONG']", ping.stdout + ping.stderr


def test_redis_refuses_a_wrong_password_and_the_web_host(molecule_host):
    url = _env(molecule_host("app1"))["REDIS_URL"]
    scheme, _, rest = url.partition("://")
    user_pw, _, where = rest.partition("@")
    wrong = redis_ping(molecule_host("app1"), f"{scheme}://{user_pw.split(':')[0]}:wrong@{where}")
    assert "WRONGPASS" in wrong.stdout, wrong.stdout + wrong.stderr
    # The host firewall admits the Redis port from app (and worker) hosts only.
    from_web = redis_ping(molecule_host("web1"), url)
    assert from_web.rc != 0 and ("timed out" in from_web.stderr or "refused" in from_web.stderr), from_web.stderr
