"""Alembic environment: runs migrations on the engine of the Flask app."""

from __future__ import annotations

from typing import Any

from alembic import context
from flask import current_app

migrate_ext = current_app.extensions["migrate"]
target_metadata = migrate_ext.db.metadata


def _skip_empty_autogenerate(ctx: Any, revision: Any, directives: list[Any]) -> None:
    """`flask db migrate` with no model change writes no empty revision."""
    autogenerate = getattr(context.config.cmd_opts, "autogenerate", False)
    if autogenerate and directives[0].upgrade_ops.is_empty():
        directives[:] = []


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
