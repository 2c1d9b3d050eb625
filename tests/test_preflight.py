"""playbooks/tasks/preflight.yml stops a play on the controller, naming the secret and the fix.

The app refuses to start with a signing key under 256 bits (43 urlsafe
characters); the preflight must say so before any host is touched. Runs the
task file on localhost with the secrets given as extra vars.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conftest import ROOT, run

GOOD = {
    "db_owner_password": secrets.token_urlsafe(36),
    "db_app_password": secrets.token_urlsafe(36),
    "app_secret_key": secrets.token_urlsafe(32),  # 43 characters: the minimum
    "app_jwt_secret_key": secrets.token_urlsafe(32),
}
APP_SECRETS = list(GOOD)
DB_SECRETS = ["db_owner_password", "db_app_password"]


def preflight(tmp_path, ansible_env, secrets_: dict[str, str], names: list[str]):
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        f"    - ansible.builtin.include_tasks: {ROOT / 'playbooks/tasks/preflight.yml'}\n"
    )
    extra = tmp_path / "vars.json"
    extra.write_text(json.dumps({
        "flaskstack_secrets": secrets_, "flaskstack_secrets_source": "vault",
        "preflight_secrets": names,
    }))
    return run(["ansible-playbook", "-i", "localhost,", "-c", "local", str(playbook),
                "-e", f"@{extra}"], env=ansible_env, check=False, timeout=120)


def test_secrets_of_43_characters_pass(tmp_path, ansible_env):
    proc = preflight(tmp_path, ansible_env, GOOD, APP_SECRETS)
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("name", ["app_secret_key", "app_jwt_secret_key"])
def test_a_42_character_signing_secret_stops_the_play_naming_it_and_the_fix(
        tmp_path, ansible_env, name):
    short = GOOD[name][:42]
    proc = preflight(tmp_path, ansible_env, {**GOOD, name: short}, APP_SECRETS)
    assert proc.returncode != 0
    assert f"Secret '{name}' is shorter than 43 characters" in proc.stdout
    assert "secrets.token_urlsafe(32)" in proc.stdout
    assert short not in proc.stdout + proc.stderr


def test_the_database_play_also_stops_on_a_short_app_secret(tmp_path, ansible_env):
    proc = preflight(tmp_path, ansible_env, {**GOOD, "app_secret_key": "x" * 42}, DB_SECRETS)
    assert proc.returncode != 0
    assert "Secret 'app_secret_key' is shorter than 43 characters" in proc.stdout


def test_the_database_play_does_not_need_the_app_secrets(tmp_path, ansible_env):
    db_only = {**GOOD, "app_secret_key": "", "app_jwt_secret_key": ""}
    proc = preflight(tmp_path, ansible_env, db_only, DB_SECRETS)
    assert proc.returncode == 0, proc.stdout
