"""The environment the platform gives an app, rendered from the stack's group_vars alone.

No target host is touched: each test builds a small inventory whose group_vars
link the stack defaults (and, where said, the reference app's own
configuration app_src/flaskstack.yml) and prints what the flask_app role would
write into the app's env file.
"""

from __future__ import annotations

import secrets

import pytest
import yaml

from conftest import ROOT, show

DB_APP_PASSWORD = "a/p:p@w#rd?" + secrets.token_urlsafe(12)
STACK_SECRETS = {"vault_db_owner_password": "o" * 24, "vault_db_app_password": DB_APP_PASSWORD,
                 "vault_app_secret_key": "s" * 43}
ENV_EXPRESSION = "{'env': flask_app_env, 'secret_env': flask_app_secret_env, 'names': flaskstack_secret_names}"


def _inventory(tmp_path, settings: dict, reference_app: bool = False):
    hosts = {"all": {"vars": {"ansible_connection": "local"}, "children": {
        "role_db": {"hosts": {"db1": {"private_address": "10.0.0.5"}}},
        "role_app": {"hosts": {"app1": {"private_address": "10.0.0.11"}}},
        "role_web": {"hosts": {"web1": {"private_address": "10.0.0.20"}}}}}}
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(hosts))
    for group in ("all", "role_app", "role_db"):
        (tmp_path / "group_vars" / group).mkdir(parents=True)
        (tmp_path / "group_vars" / group / "00-stack-defaults.yml").symlink_to(ROOT / "group_vars" / f"{group}.yml")
    if reference_app:
        (tmp_path / "group_vars" / "all" / "20-app.yml").symlink_to(ROOT / "app_src" / "flaskstack.yml")
    (tmp_path / "group_vars" / "all" / "30-test.yml").write_text(yaml.safe_dump({**STACK_SECRETS, **settings}))


def _show(tmp_path, ansible_env, expression: str = ENV_EXPRESSION, host: str = "app1"):
    return show(tmp_path / "hosts.yml", ansible_env, host, expression)


def test_database_urls_use_the_plain_postgresql_scheme_by_default(tmp_path, ansible_env):
    _inventory(tmp_path, {})
    shown = _show(tmp_path, ansible_env, "[flask_app_secret_env.DATABASE_URL, flask_app_migrate_database_url]")
    runtime, migrate = shown
    assert runtime.startswith("postgresql://bookshelf_app:") and migrate.startswith("postgresql://bookshelf_owner:")
    assert runtime.endswith("@10.0.0.5:5432/bookshelf?sslmode=verify-full&sslrootcert=/etc/bookshelf/db-ca.crt")


def test_the_password_is_percent_encoded_slash_included(tmp_path, ansible_env):
    _inventory(tmp_path, {})
    runtime = _show(tmp_path, ansible_env, "flask_app_secret_env.DATABASE_URL")
    assert "postgresql://bookshelf_app:a%2Fp%3Ap%40w%23rd%3F" in runtime
    assert DB_APP_PASSWORD not in runtime


def test_a_driver_suffix_is_opt_in(tmp_path, ansible_env):
    _inventory(tmp_path, {"flaskstack_db_url_driver": "psycopg"})
    runtime, migrate = _show(tmp_path, ansible_env,
                             "[flask_app_secret_env.DATABASE_URL, flask_app_migrate_database_url]")
    assert runtime.startswith("postgresql+psycopg://bookshelf_app:")
    assert migrate.startswith("postgresql+psycopg://bookshelf_owner:")


def test_an_app_inherits_none_of_the_reference_apps_settings(tmp_path, ansible_env):
    _inventory(tmp_path, {})
    shown = _show(tmp_path, ansible_env)
    assert shown["env"] == {"APP_ENV": "production", "LOG_LEVEL": "INFO"}
    assert sorted(shown["secret_env"]) == ["DATABASE_URL", "SECRET_KEY"]
    assert shown["secret_env"]["SECRET_KEY"] == "s" * 43
    assert not any(name.startswith("app_") and name != "app_secret_key" for name in shown["names"])


def test_declared_secrets_reach_the_secret_env_from_the_vault(tmp_path, ansible_env):
    _inventory(tmp_path, {"flaskstack_app_secrets": ["STRIPE_KEY", "MAIL_PASSWORD"],
                          "vault_app_stripe_key": "sk_live_stripe", "vault_app_mail_password": "mail-pass"})
    shown = _show(tmp_path, ansible_env)
    assert shown["secret_env"]["STRIPE_KEY"] == "sk_live_stripe"
    assert shown["secret_env"]["MAIL_PASSWORD"] == "mail-pass"
    assert {"app_stripe_key", "app_mail_password"} <= set(shown["names"])
    assert "STRIPE_KEY" not in shown["env"]


def test_a_signing_secret_is_declared_by_that_list_alone(tmp_path, ansible_env):
    _inventory(tmp_path, {"flaskstack_app_signing_secrets": ["JWT_SECRET_KEY"],
                          "vault_app_jwt_secret_key": "j" * 43})
    shown = _show(tmp_path, ansible_env, "{'env': flask_app_secret_env, 'signing': flaskstack_signing_secret_names}")
    assert shown["env"]["JWT_SECRET_KEY"] == "j" * 43
    assert shown["signing"] == ["app_secret_key", "app_jwt_secret_key"]


def test_plain_env_from_the_inventory_is_added_and_wins(tmp_path, ansible_env):
    _inventory(tmp_path, {"flaskstack_app_env": {"FEATURE_X": "on", "LOG_LEVEL": "DEBUG"}})
    assert _show(tmp_path, ansible_env, "flask_app_env") == {"APP_ENV": "production", "LOG_LEVEL": "DEBUG",
                                                              "FEATURE_X": "on"}


def test_the_reference_app_brings_its_own_settings(tmp_path, ansible_env):
    _inventory(tmp_path, {"vault_app_jwt_secret_key": "j" * 43}, reference_app=True)
    shown = _show(tmp_path, ansible_env)
    assert shown["env"] == {"APP_ENV": "production", "LOG_LEVEL": "INFO", "LOG_FORMAT": "json",
                            "PROXY_FIX_X_FOR": "1"}
    assert shown["secret_env"]["JWT_SECRET_KEY"] == "j" * 43
    assert "app_jwt_secret_key" in shown["names"]


@pytest.mark.parametrize("inventory", ["inventories/lab", "molecule/stack", "inventories/aws/staging",
                                       "inventories/aws/production"])
def test_every_inventory_of_the_reference_app_links_its_configuration(inventory):
    link = ROOT / inventory / "group_vars" / "all" / "20-app.yml"
    assert link.is_symlink() and link.resolve() == ROOT / "app_src" / "flaskstack.yml"
