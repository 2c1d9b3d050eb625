"""The application factory: settings -> a fully initialised Flask app."""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import auth, books, health
from .cli import register_cli
from .config import Settings
from .errors import register_error_handlers
from .extensions import db, migrate
from .logs import configure_logging
from .passwords import PasswordHasher
from .request_hooks import register_request_hooks
from .state import EXTENSION_KEY, AppState

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

logger = logging.getLogger(__name__)


def engine_options(settings: Settings) -> dict[str, Any]:
    """SQLAlchemy engine options; pool sizing applies to PostgreSQL only."""
    options: dict[str, Any] = {"pool_pre_ping": True}
    if settings.database_backend == "postgresql":
        options.update(
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            connect_args={
                "connect_timeout": settings.db_connect_timeout,
                "application_name": "bookshelf",
            },
        )
    return options


def create_app(config: Settings | Mapping[str, str] | None = None) -> Flask:
    """Build the app.

    `config` is either ready Settings, or a mapping used *instead of*
    os.environ (handy in tests), or None to read os.environ.
    """
    settings = config if isinstance(config, Settings) else Settings.from_env(config)
    configure_logging(settings)

    app = Flask("bookshelf")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_content_length,
        TESTING=settings.app_env == "testing",
        SQLALCHEMY_DATABASE_URI=settings.database_url,
        SQLALCHEMY_ENGINE_OPTIONS=engine_options(settings),
    )
    app.url_map.strict_slashes = False  # /books and /books/ both answer directly
    if settings.proxy_fix_x_for:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_fix_x_for, x_proto=settings.proxy_fix_x_for
        )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    app.extensions[EXTENSION_KEY] = AppState(
        settings=settings,
        hostname=socket.gethostname(),
        passwords=PasswordHasher(settings.argon2_params),
    )

    register_request_hooks(app)
    register_error_handlers(app)
    for blueprint in (auth.bp, books.bp, health.bp):
        app.register_blueprint(blueprint)
    register_cli(app)

    logger.info(
        "bookshelf ready: env=%s release=%s database=%s",
        settings.app_env,
        settings.release_id,
        settings.database_url_for_logs(),
    )
    return app
