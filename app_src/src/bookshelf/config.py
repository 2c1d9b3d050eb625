"""Settings read from environment variables, validated once at start-up.

Every problem is reported as a ConfigError whose message is a single line that
starts with the name of the offending variable, so that a failed start under
gunicorn, systemd or `flask` points straight at the fix.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from .passwords import OWASP_ARGON2ID, TESTING_ARGON2ID, Argon2Params

APP_ENVS = ("production", "development", "testing")
LOG_FORMATS = ("json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# HS256 keys need >= 256 bits (RFC 7518 section 3.2): 43 urlsafe base64 characters.
MIN_SECRET_LENGTH = 43
SECRET_GENERATOR = "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
# NIST SP 800-63B / OWASP ASVS V2.1.1: at least 12 characters; may be raised, not lowered.
PASSWORD_MIN_LENGTH = 12
MIN_SECRET_DISTINCT_CHARS = 10
# Substrings that mark a value copied from an example rather than generated.
SECRET_PLACEHOLDER_MARKERS = (
    "changeme",
    "change-me",
    "change_me",
    "replace-me",
    "replaceme",
    "placeholder",
    "example",
    "your-secret",
    "yoursecret",
    "notasecret",
    "insecure",
)
RELEASE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+@-]{0,127}$")

T = TypeVar("T", int, float)


class ConfigError(ValueError):
    """An environment variable is missing or invalid; the message names it."""

    def __init__(self, variable: str, problem: str) -> None:
        self.variable = variable
        super().__init__(f"{variable}: {problem}")


@dataclass(frozen=True)
class Settings:
    """Validated application settings (see README for each variable)."""

    app_env: str
    database_url: str
    secret_key: str
    jwt_secret_key: str
    log_level: str
    log_format: str
    release_id: str
    db_pool_size: int
    db_max_overflow: int
    db_pool_timeout: float
    db_connect_timeout: int
    proxy_fix_x_for: int
    max_content_length: int
    password_min_length: int
    jwt_expires_seconds: int

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def argon2_params(self) -> Argon2Params:
        """OWASP's Argon2id cost everywhere but APP_ENV=testing (the minimum, for speed)."""
        return TESTING_ARGON2ID if self.app_env == "testing" else OWASP_ARGON2ID

    @property
    def database_backend(self) -> str:
        return make_url(self.database_url).get_backend_name()

    def database_url_for_logs(self) -> str:
        """The database URL with its password masked."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate settings from `environ` (default: os.environ)."""
        env = _Env(os.environ if environ is None else environ)
        app_env = env.choice("APP_ENV", APP_ENVS, default="production")
        production = app_env == "production"
        return cls(
            app_env=app_env,
            database_url=_database_url(env, app_env),
            secret_key=_secret(env, "SECRET_KEY", production),
            jwt_secret_key=_secret(env, "JWT_SECRET_KEY", production),
            log_level=env.choice("LOG_LEVEL", LOG_LEVELS, default="INFO", upper=True),
            log_format=env.choice(
                "LOG_FORMAT", LOG_FORMATS, default="json" if production else "text"
            ),
            release_id=_release_id(env),
            db_pool_size=env.number("DB_POOL_SIZE", int, default=5, minimum=1),
            db_max_overflow=env.number("DB_MAX_OVERFLOW", int, default=10, minimum=0),
            db_pool_timeout=env.number("DB_POOL_TIMEOUT", float, default=30.0, minimum=0.1),
            db_connect_timeout=env.number("DB_CONNECT_TIMEOUT", int, default=5, minimum=1),
            proxy_fix_x_for=env.number("PROXY_FIX_X_FOR", int, default=0, minimum=0),
            max_content_length=env.number(
                "MAX_CONTENT_LENGTH", int, default=1024 * 1024, minimum=1024
            ),
            password_min_length=env.number(
                "PASSWORD_MIN_LENGTH",
                int,
                default=PASSWORD_MIN_LENGTH,
                minimum=PASSWORD_MIN_LENGTH,
            ),
            jwt_expires_seconds=env.number("JWT_EXPIRES_SECONDS", int, default=3600, minimum=1),
        )


class _Env:
    """Typed access to an environment mapping; empty strings count as unset."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def get(self, name: str) -> str | None:
        value = self._environ.get(name, "").strip()
        return value or None

    def choice(self, name: str, choices: tuple[str, ...], default: str, upper: bool = False) -> str:
        value = self.get(name)
        if value is None:
            return default
        value = value.upper() if upper else value.lower()
        if value not in choices:
            raise ConfigError(name, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def number(self, name: str, kind: Callable[[str], T], default: T, minimum: float) -> T:
        raw = self.get(name)
        if raw is None:
            return default
        try:
            value = kind(raw)
        except ValueError:
            raise ConfigError(name, f"must be a {kind.__name__}, got {raw!r}") from None
        if value < minimum:
            raise ConfigError(name, f"must be at least {minimum}, got {raw!r}")
        return value


def _database_url(env: _Env, app_env: str) -> str:
    raw = env.get("DATABASE_URL")
    if raw is None:
        if app_env == "production":
            raise ConfigError("DATABASE_URL", "is required when APP_ENV=production")
        # In-memory for tests, a file in the instance folder for development.
        return "sqlite://" if app_env == "testing" else "sqlite:///bookshelf-dev.sqlite"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError("DATABASE_URL", "is not a valid SQLAlchemy URL") from None
    return _with_psycopg_driver(url).render_as_string(hide_password=False)


def _with_psycopg_driver(url: URL) -> URL:
    """Map postgres:// and postgresql:// to psycopg 3, the driver we ship."""
    if url.drivername in ("postgres", "postgresql"):
        return url.set(drivername="postgresql+psycopg")
    return url


def _secret(env: _Env, name: str, production: bool) -> str:
    value = env.get(name)
    if value is None:
        if production:
            raise ConfigError(name, "is required when APP_ENV=production")
        # Never a built-in default: outside production a missing secret is
        # random per process (tokens do not survive a restart).
        return secrets.token_urlsafe(48)
    if production:
        _check_secret_strength(name, value)
    return value


def _check_secret_strength(name: str, value: str) -> None:
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            name,
            f"is too short: use at least {MIN_SECRET_LENGTH} random characters (256 bits), "
            f"generate one with: {SECRET_GENERATOR}",
        )
    lowered = value.lower()
    if any(marker in lowered for marker in SECRET_PLACEHOLDER_MARKERS):
        raise ConfigError(
            name, f"looks like a placeholder: generate a random value with: {SECRET_GENERATOR}"
        )
    if len(set(value)) < MIN_SECRET_DISTINCT_CHARS:
        raise ConfigError(
            name, f"is not random enough: generate a random value with: {SECRET_GENERATOR}"
        )


def _release_id(env: _Env) -> str:
    value = env.get("RELEASE_ID")
    if value is None:
        return "unknown"
    if not RELEASE_ID_PATTERN.match(value):
        raise ConfigError("RELEASE_ID", "must be 1-128 characters of letters, digits and ._:+@-")
    return value
