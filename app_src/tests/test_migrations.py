"""Alembic migrations: from an empty database, in step with the models."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from bookshelf import create_app
from bookshelf.extensions import db

from conftest import TEST_ENV

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


def test_flask_db_upgrade_command_migrates_an_empty_database(fresh_pg_database: str) -> None:
    env = {**os.environ, **TEST_ENV, "DATABASE_URL": fresh_pg_database, "LOG_LEVEL": "INFO"}
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
