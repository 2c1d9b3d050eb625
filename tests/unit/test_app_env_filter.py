"""The filters behind the app environment: postgres_url and app_secret_map."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest
from ansible.errors import AnsibleFilterError

from plugins import load

app_env = load("filter/app_env")


def url(**changes) -> str:
    user = changes.pop("user", "app")
    return app_env.postgres_url(user, **({"password": "pw", "host": "10.0.0.5", "port": 5432, "database": "shop"}
                                         | changes))


def test_the_default_scheme_is_plain_postgresql():
    assert url() == "postgresql://app:pw@10.0.0.5:5432/shop"


def test_a_driver_becomes_a_sqlalchemy_suffix():
    assert url(driver="psycopg").startswith("postgresql+psycopg://app:pw@")


def test_the_query_string_is_appended_as_given():
    assert url(query="sslmode=verify-full&sslrootcert=/etc/a/ca.crt").endswith(
        "/shop?sslmode=verify-full&sslrootcert=/etc/a/ca.crt")


@pytest.mark.parametrize("password", ["p/w", "p@w:rd", "a#b?c", "100%", "sp ace"])
def test_every_reserved_character_of_the_password_is_encoded(password):
    parts = urlsplit(url(password=password))
    assert (parts.hostname, parts.port, parts.path) == ("10.0.0.5", 5432, "/shop")
    assert unquote(parts.password) == password


def test_an_ipv6_host_is_bracketed():
    assert "@[fd00::5]:5432/" in url(host="fd00::5")


@pytest.mark.parametrize("driver", ["psycopg://", "Psycopg", "psycopg2;x"])
def test_a_driver_that_is_no_driver_name_is_refused_naming_the_variable(driver):
    with pytest.raises(AnsibleFilterError, match="flaskstack_db_url_driver"):
        url(driver=driver)


def test_an_empty_host_is_refused():
    with pytest.raises(AnsibleFilterError, match="host is empty"):
        url(host="")


def test_each_declared_name_is_the_secret_app_lower_case_in_order():
    assert app_env.app_secret_map(["STRIPE_KEY", "MAIL_PASSWORD"]) == {
        "app_stripe_key": "STRIPE_KEY", "app_mail_password": "MAIL_PASSWORD"}
    assert list(app_env.app_secret_map(["Z_KEY", "A_KEY"])) == ["app_z_key", "app_a_key"]


def test_signing_secrets_are_declared_once_even_when_listed_twice():
    assert app_env.app_secret_map(["JWT_SECRET_KEY", "STRIPE_KEY"], ["JWT_SECRET_KEY", "CSRF_KEY"]) == {
        "app_jwt_secret_key": "JWT_SECRET_KEY", "app_stripe_key": "STRIPE_KEY", "app_csrf_key": "CSRF_KEY"}


def test_nothing_declared_is_an_empty_map():
    assert app_env.app_secret_map([], None) == {}


@pytest.mark.parametrize("name", ["STRIPE-KEY", "1KEY", "", "A B", 7])
def test_a_name_that_is_no_environment_variable_is_refused_naming_the_list(name):
    with pytest.raises(AnsibleFilterError, match=r"^flaskstack_app_secrets: .* is not an environment variable name"):
        app_env.app_secret_map([name])


@pytest.mark.parametrize("name", ["DATABASE_URL", "SECRET_KEY", "REDIS_URL", "RELEASE_ID", "FLASK_APP"])
def test_a_name_the_platform_sets_is_refused_with_the_fix(name):
    with pytest.raises(AnsibleFilterError, match=f"{name} is set by the platform.*remove it from flaskstack_app_secrets"):
        app_env.app_secret_map([name])


def test_the_error_names_the_signing_list_for_a_bad_name_there():
    with pytest.raises(AnsibleFilterError, match="^flaskstack_app_signing_secrets: SECRET_KEY is set by the platform"):
        app_env.app_secret_map([], ["SECRET_KEY"])


def test_two_names_sharing_one_secret_are_refused():
    with pytest.raises(AnsibleFilterError, match="STRIPE_KEY and stripe_key would share the secret app_stripe_key"):
        app_env.app_secret_map(["STRIPE_KEY", "stripe_key"])


@pytest.mark.parametrize("value", ["STRIPE_KEY", {"STRIPE_KEY": 1}, 3])
def test_a_list_is_required(value):
    with pytest.raises(AnsibleFilterError, match="must be a list of environment variable names"):
        app_env.app_secret_map(value)
