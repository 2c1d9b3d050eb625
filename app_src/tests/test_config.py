"""Settings come only from the environment and fail fast, naming the variable."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy.engine import make_url

from bookshelf.config import ConfigError, Settings

STRONG = {
    "APP_ENV": "production",
    "DATABASE_URL": "postgresql+psycopg://app:pw@db.internal:5432/bookshelf",
    "SECRET_KEY": secrets.token_urlsafe(48),
    "JWT_SECRET_KEY": secrets.token_urlsafe(48),
}


def production(**changes: str | None) -> dict[str, str]:
    env = {**STRONG, **changes}
    return {key: value for key, value in env.items() if value is not None}


def test_strong_production_environment_is_accepted() -> None:
    settings = Settings.from_env(production())
    assert settings.is_production and settings.log_format == "json"


def test_app_env_defaults_to_production() -> None:
    with pytest.raises(ConfigError, match=r"^DATABASE_URL: "):
        Settings.from_env({})


def test_production_requires_database_url() -> None:
    with pytest.raises(ConfigError, match=r"^DATABASE_URL: is required"):
        Settings.from_env(production(DATABASE_URL=None))


@pytest.mark.parametrize("variable", ["SECRET_KEY", "JWT_SECRET_KEY"])
def test_production_requires_each_secret(variable: str) -> None:
    with pytest.raises(ConfigError, match=f"^{variable}: is required"):
        Settings.from_env(production(**{variable: None}))


@pytest.mark.parametrize(
    "weak",
    [
        "short-but-random-Zx81",
        "changeme-changeme-changeme-changeme-42",
        "please-replace-me-with-a-real-secret-value",
        "a" * 64,
    ],
    ids=["too-short", "placeholder", "replace-me", "one-character"],
)
def test_production_rejects_weak_secret(weak: str) -> None:
    with pytest.raises(ConfigError, match=r"^SECRET_KEY: "):
        Settings.from_env(production(SECRET_KEY=weak))


def test_development_without_secrets_uses_random_ones_never_a_default() -> None:
    first = Settings.from_env({"APP_ENV": "development"})
    second = Settings.from_env({"APP_ENV": "development"})
    assert first.secret_key != second.secret_key
    assert first.jwt_secret_key != second.jwt_secret_key


def test_testing_defaults_to_in_memory_sqlite() -> None:
    assert Settings.from_env({"APP_ENV": "testing"}).database_url == "sqlite://"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("APP_ENV", "foo"),
        ("LOG_FORMAT", "xml"),
        ("LOG_LEVEL", "loud"),
        ("DB_POOL_SIZE", "abc"),
        ("DB_POOL_SIZE", "0"),
        ("DB_MAX_OVERFLOW", "-1"),
        ("DB_POOL_TIMEOUT", "soon"),
        ("DB_CONNECT_TIMEOUT", "0"),
        ("PROXY_FIX_X_FOR", "yes"),
        ("MAX_CONTENT_LENGTH", "1MB"),
        ("PASSWORD_MIN_LENGTH", "0"),
        ("PASSWORD_MIN_LENGTH", "11"),
        ("JWT_EXPIRES_SECONDS", "1.5"),
        ("RELEASE_ID", "bad id"),
        ("DATABASE_URL", "not a url"),
    ],
)
def test_invalid_value_fails_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(production(**{variable: value}))
    assert str(caught.value).startswith(f"{variable}: ")
    assert "\n" not in str(caught.value)


def test_error_message_never_echoes_a_secret() -> None:
    secret = "Sh0rt-s3cret"
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(production(JWT_SECRET_KEY=secret))
    assert secret not in str(caught.value)


@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
def test_plain_postgresql_url_uses_the_psycopg3_driver(scheme: str) -> None:
    settings = Settings.from_env(production(DATABASE_URL=f"{scheme}://app:pw@db/bookshelf"))
    assert settings.database_url == "postgresql+psycopg://app:pw@db/bookshelf"


def test_database_url_for_logs_masks_the_password() -> None:
    assert "pw" not in Settings.from_env(production()).database_url_for_logs().split("@")[0]


def test_defaults_match_the_documented_values() -> None:
    settings = Settings.from_env(production())
    assert (
        settings.db_pool_size,
        settings.db_max_overflow,
        settings.db_pool_timeout,
        settings.proxy_fix_x_for,
        settings.max_content_length,
        settings.password_min_length,
        settings.jwt_expires_seconds,
        settings.release_id,
        settings.log_level,
    ) == (5, 10, 30.0, 0, 1048576, 12, 3600, "unknown", "INFO")


@pytest.mark.parametrize("app_env", ["production", "development"])
def test_passwords_are_hashed_with_argon2id_at_owasp_cost(app_env: str) -> None:
    params = Settings.from_env(production(APP_ENV=app_env)).argon2_params
    assert (params.memory_cost_kib, params.time_cost, params.parallelism) == (19456, 2, 1)


def test_only_testing_uses_the_cheapest_argon2id_cost() -> None:
    assert Settings.from_env({"APP_ENV": "testing"}).argon2_params.memory_cost_kib == 8


@pytest.mark.parametrize("variable", ["SECRET_KEY", "JWT_SECRET_KEY"])
def test_production_refuses_a_secret_under_256_bits_naming_it_and_the_fix(variable: str) -> None:
    generated = secrets.token_urlsafe(32)  # what the error message tells you to run
    assert len(generated) == 43
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(production(**{variable: generated[:42]}))
    message = str(caught.value)
    assert message.startswith(f"{variable}: is too short: use at least 43 random characters")
    assert "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'" in message
    assert getattr(Settings.from_env(production(**{variable: generated})), variable.lower())


def test_the_stacks_plain_database_url_keeps_its_password_and_tls_parameters() -> None:
    # What the stack writes by default (group_vars/role_app.yml): the plain scheme, a
    # percent-encoded password and verify-full TLS against the shipped CA.
    raw = (
        "postgresql://bookshelf_app:a%2Fp%3Ap%40w@10.0.0.5:5432/bookshelf"
        "?sslmode=verify-full&sslrootcert=/etc/bookshelf/db-ca.crt"
    )
    url = make_url(Settings.from_env(production(DATABASE_URL=raw)).database_url)
    assert url.drivername == "postgresql+psycopg"
    assert (url.password, url.host, url.port, url.database) == (
        "a/p:p@w",
        "10.0.0.5",
        5432,
        "bookshelf",
    )
    assert dict(url.query) == {"sslmode": "verify-full", "sslrootcert": "/etc/bookshelf/db-ca.crt"}
