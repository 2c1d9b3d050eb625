"""Alembic environment: runs migrations on the engine of the Flask app."""

from __future__ import annotations

import os
from typing import Any

from alembic import context
from flask import current_app
from sqlalchemy import text
from sqlalchemy.engine import Connection

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def _skip_empty_autogenerate(ctx: Any, revision: Any, directives: list[Any]) -> None:
    """`flask db migrate` with no model change writes no empty revision."""
    autogenerate = getattr(context.config.cmd_opts, "autogenerate", False)
    if autogenerate and directives[0].upgrade_ops.is_empty():
        directives[:] = []


# One key for every release and host: two `flask db upgrade` runs against the same
# database (two deploys, or per-host migrations) never interleave.
MIGRATION_LOCK_KEY = 0x626F6F6B  # "book"
# How long to wait for another migration's advisory lock, then how long one DDL
# statement may wait for a table lock / run. Overridable from the environment.
LOCK_WAIT_DEFAULT = "60s"
LOCK_TIMEOUT_DEFAULT = "10s"
STATEMENT_TIMEOUT_DEFAULT = "300s"


def _set_setting(connection: Connection, name: str, value: str) -> None:
    connection.execute(
        text("SELECT set_config(:name, :value, false)"), {"name": name, "value": value}
    )


def take_migration_lock(connection: Connection) -> bool:
    """On PostgreSQL: wait (bounded) for the migration advisory lock, then bound DDL.

    Session-level settings and lock, committed so that they outlive the
    transaction alembic opens next. Returns whether a lock was taken.
    """
    if connection.dialect.name != "postgresql":
        return False
    wait = os.environ.get("MIGRATION_LOCK_WAIT", LOCK_WAIT_DEFAULT)
    _set_setting(connection, "lock_timeout", wait)
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    ddl_wait = os.environ.get("MIGRATION_LOCK_TIMEOUT", LOCK_TIMEOUT_DEFAULT)
    _set_setting(connection, "lock_timeout", ddl_wait)
    _set_setting(
        connection,
        "statement_timeout",
        os.environ.get("MIGRATION_STATEMENT_TIMEOUT", STATEMENT_TIMEOUT_DEFAULT),
    )
    connection.commit()
    return True


def release_migration_lock(connection: Connection) -> None:
    """Give the lock and the session settings back before the pool reuses the connection."""
    if connection.in_transaction():
        connection.rollback()
    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
    connection.execute(text("RESET lock_timeout"))
    connection.execute(text("RESET statement_timeout"))
    connection.commit()


def run_migrations_offline() -> None:
    context.configure(
        url=migrate_ext.db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        **migrate_ext.configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    with migrate_ext.db.engine.connect() as connection:
        locked = take_migration_lock(connection)
        try:
            _run_online(connection)
        finally:
            if locked:
                release_migration_lock(connection)


def _run_online(connection: Connection) -> None:
    options = {
        "compare_type": True,
        "render_as_batch": connection.dialect.name == "sqlite",
        "process_revision_directives": _skip_empty_autogenerate,
        **migrate_ext.configure_args,
    }
    context.configure(connection=connection, target_metadata=target_metadata, **options)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
