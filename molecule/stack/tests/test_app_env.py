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
