"""Alembic migrations: from an empty database, in step with the models."""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from bookshelf import create_app
from bookshelf.extensions import db

from conftest import TEST_ENV

MIGRATION_LOCK_KEY = 0x626F6F6B  # migrations/env.py

pytestmark = pytest.mark.postgres
TABLES = {"users", "books", "health_probes", "alembic_version"}


def test_upgrade_from_an_empty_database_creates_the_schema(fresh_pg_database: str) -> None:
    app = create_app({**TEST_ENV, "DATABASE_URL": fresh_pg_database})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert tables == TABLES


def test_models_and_migrations_describe_the_same_schema(pg_database_url: str) -> None:
    app = create_app({**TEST_ENV, "DATABASE_URL": pg_database_url})
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    with app.app_context():
        db.engine.dispose()
    assert differences == []


def test_downgrade_to_base_removes_the_schema(pg_database_url: str) -> None:
    app = create_app({**TEST_ENV, "DATABASE_URL": pg_database_url})
    with app.app_context():
        downgrade(revision="base")
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert tables == {"alembic_version"}


# The stack's release command gets the plain postgresql:// scheme (Heroku's); an
# app configured by hand may pass the driver scheme. Both migrate.
@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg"])
def test_flask_db_upgrade_command_migrates_an_empty_database(
    fresh_pg_database: str, scheme: str
) -> None:
    url = make_url(fresh_pg_database).set(drivername=scheme).render_as_string(hide_password=False)
    env = {**os.environ, **TEST_ENV, "DATABASE_URL": url, "LOG_LEVEL": "INFO"}
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "bookshelf.wsgi", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Running upgrade  -> 0001" in result.stderr


def _hold_migration_lock(url: str) -> psycopg.Connection:
    """A second session holding the migration advisory lock (as a concurrent deploy would)."""
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg.connect(plain, autocommit=True)
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK_KEY,))
    return conn


def test_upgrade_gives_up_when_another_migration_holds_the_lock(
    fresh_pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIGRATION_LOCK_WAIT", "1s")
    holder = _hold_migration_lock(fresh_pg_database)
    app = create_app({**TEST_ENV, "DATABASE_URL": fresh_pg_database})
    try:
        with app.app_context(), pytest.raises(OperationalError, match="lock timeout"):
            upgrade()
        with app.app_context():
            tables = set(inspect(db.engine).get_table_names())
            db.engine.dispose()
    finally:
        holder.close()
    assert tables == set()


def test_upgrade_releases_the_lock_and_session_timeouts_afterwards(fresh_pg_database: str) -> None:
    app = create_app({**TEST_ENV, "DATABASE_URL": fresh_pg_database})
    with app.app_context():
        upgrade()
        # The pool keeps the migration's connection open: the lock must be gone anyway.
        with db.engine.connect() as connection:
            settings = connection.execute(
                text("SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")
            ).one()
            advisory_locks = connection.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
            ).scalar_one()
        db.engine.dispose()
    assert advisory_locks == 0
    assert tuple(settings) == ("0", "0")
