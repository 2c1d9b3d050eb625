"""playbooks/tasks/preflight.yml stops a play on the controller, naming the secret and the fix.

The app refuses to start with a signing key under 256 bits (43 urlsafe
characters), and an app's declared secrets (flaskstack_app_secrets) must exist;
the preflight must say so before any host is touched. Runs the task file on
localhost with the stack's group_vars/all.yml and the secrets given as extra vars.
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
# The reference app's declaration (app_src/flaskstack.yml).
REFERENCE_APP = {"flaskstack_app_secrets": ["JWT_SECRET_KEY"], "flaskstack_app_signing_secrets": ["JWT_SECRET_KEY"],
                 "flaskstack_app_source": str(ROOT / "app_src")}


def preflight(tmp_path, ansible_env, secrets_: dict[str, str] | None, names: list[str] | None,
              settings: dict | None = None):
    """Run the preflight; secrets_ None = resolve them from vault_* variables, names None = every needed one."""
    group_vars = tmp_path / "group_vars" / "all"
    group_vars.mkdir(parents=True)
    (group_vars / "00-stack-defaults.yml").symlink_to(ROOT / "group_vars" / "all.yml")
    (tmp_path / "hosts.yml").write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    playbook = tmp_path / "play.yml"
    playbook.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        f"    - ansible.builtin.include_tasks: {ROOT / 'playbooks/tasks/preflight.yml'}\n"
        "      vars:\n        preflight_secrets: \"{{ preflight_names | default(flaskstack_secret_names) }}\"\n"
    )
    extra = {**REFERENCE_APP, "flaskstack_secrets_source": "vault", **(settings or {})}
    if secrets_ is not None:
        extra["flaskstack_secrets"] = secrets_
    if names is not None:
        extra["preflight_names"] = names
    (tmp_path / "vars.json").write_text(json.dumps(extra))
    return run(["ansible-playbook", "-i", str(tmp_path / "hosts.yml"), str(playbook),
                "-e", f"@{tmp_path / 'vars.json'}"], env=ansible_env, check=False, timeout=120)


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


# Declared app secrets, resolved from vault_app_<name in lower case> as in a real inventory.
def vault(**more: str) -> dict[str, str]:
    return {f"vault_{name}": value for name, value in {**GOOD, **more}.items()}


def test_declared_app_secrets_from_the_vault_pass(tmp_path, ansible_env):
    proc = preflight(tmp_path, ansible_env, None, None, {
        **vault(app_stripe_key="sk_live_x", app_mail_password="short"),
        "flaskstack_app_secrets": ["JWT_SECRET_KEY", "STRIPE_KEY", "MAIL_PASSWORD"]})
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize("source", ["vault", "ssm"])
def test_a_missing_declared_secret_stops_the_play_naming_it_and_where_it_goes(tmp_path, ansible_env, source):
    secrets_ = {**GOOD, "app_stripe_key": ""} if source == "ssm" else None
    settings = {**vault(), "flaskstack_app_secrets": ["JWT_SECRET_KEY", "STRIPE_KEY"]}
    if source == "ssm":
        settings |= {"flaskstack_secrets_source": "ssm", "flaskstack_ssm_prefix": "/flaskstack/staging"}
    proc = preflight(tmp_path, ansible_env, secrets_, None, settings)
    assert proc.returncode != 0
    assert ("Secret 'app_stripe_key' (the app's STRIPE_KEY, declared in flaskstack_app_secrets) is missing"
            in proc.stdout), proc.stdout
    if source == "ssm":
        assert "SecureString parameter /flaskstack/staging/app_stripe_key" in proc.stdout
    else:
        assert "Add vault_app_stripe_key to inventories/<env>/group_vars/all/vault.yml" in proc.stdout


def test_a_short_declared_signing_secret_stops_the_play_naming_the_apps_variable(tmp_path, ansible_env):
    proc = preflight(tmp_path, ansible_env, None, None, {
        **vault(app_csrf_key="c" * 42), "flaskstack_app_signing_secrets": ["JWT_SECRET_KEY", "CSRF_KEY"]})
    assert proc.returncode != 0
    assert "Secret 'app_csrf_key' is shorter than 43 characters" in proc.stdout
    assert "it is the app's CSRF_KEY (in flaskstack_app_signing_secrets)" in proc.stdout
    assert "c" * 42 not in proc.stdout + proc.stderr


def test_without_declared_secrets_no_jwt_key_is_needed(tmp_path, ansible_env):
    proc = preflight(tmp_path, ansible_env, None, None, {
        **vault(app_jwt_secret_key=""), "flaskstack_app_secrets": [], "flaskstack_app_signing_secrets": []})
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize(("name", "problem"), [
    ("STRIPE-KEY", "'STRIPE-KEY' is not an environment variable name"),
    ("DATABASE_URL", "DATABASE_URL is set by the platform"),
])
def test_a_bad_declared_name_stops_the_play_naming_it(tmp_path, ansible_env, name, problem):
    proc = preflight(tmp_path, ansible_env, None, None, {**vault(), "flaskstack_app_secrets": [name]})
    assert proc.returncode != 0
    assert f"flaskstack_app_secrets: {problem}" in proc.stdout + proc.stderr


def test_an_app_play_without_an_app_source_stops_naming_the_variable(tmp_path, ansible_env):
    # The collection has no default source: a project that forgot it learns where to set it.
    proc = preflight(tmp_path, ansible_env, GOOD, APP_SECRETS, {"flaskstack_app_source": ""})
    assert proc.returncode != 0
    assert "flaskstack_app_source is not set" in proc.stdout
    assert "group_vars/all/20-app.yml" in proc.stdout


def test_the_database_play_does_not_need_the_app_source(tmp_path, ansible_env):
    proc = preflight(tmp_path, ansible_env, GOOD, DB_SECRETS, {"flaskstack_app_source": ""})
    assert proc.returncode == 0, proc.stdout
