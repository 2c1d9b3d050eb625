"""Fixtures: apps on SQLite and on a real PostgreSQL, clients and users.

API tests take the `app` fixture, which runs each test twice: on SQLite and
on PostgreSQL (marked `postgres`). PostgreSQL is a throwaway cluster started
once per session, unless TEST_DATABASE_URL names a server to use instead.
Missing PostgreSQL binaries fail the Postgres tests; they never skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from bookshelf import create_app
from bookshelf.extensions import db

from postgres_server import (
    ExternalServer,
    PostgresUnavailable,
    ThrowawayCluster,
    _Server,
    free_port,
)

TEST_ENV = {
    "APP_ENV": "testing",
    "RELEASE_ID": "test-release",
    "SECRET_KEY": "s" * 8 + uuid.uuid4().hex,
    "JWT_SECRET_KEY": "j" * 8 + uuid.uuid4().hex,
    "LOG_LEVEL": "WARNING",
}
PASSWORD = "correct horse battery"
TEMPLATE_DATABASE = "bookshelf_template"

AppFactory = Callable[..., Flask]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say how many PostgreSQL-backed tests really ran (CI must see them)."""
    passed = terminalreporter.stats.get("passed", [])
    failed = terminalreporter.stats.get("failed", [])
    on_postgres = [r for r in passed + failed if "postgres" in r.keywords]
    if on_postgres:
        terminalreporter.write_line(
            f"PostgreSQL-backed tests run: {len(on_postgres)} "
            f"({sum(1 for r in on_postgres if r.passed)} passed)"
        )


# --- PostgreSQL -----------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres() -> Iterator[_Server]:
    external = os.environ.get("TEST_DATABASE_URL")
    if external:
        yield ExternalServer(external)
        return
    try:
        cluster = ThrowawayCluster.launch()
    except PostgresUnavailable as exc:
        pytest.fail(f"PostgreSQL tests cannot run: {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def migrated_template(postgres: _Server) -> Iterator[str]:
    """A database migrated once, copied for every test (CREATE ... TEMPLATE)."""
    postgres.drop_database(TEMPLATE_DATABASE)
    url = postgres.create_database(TEMPLATE_DATABASE)
    app = create_app({**TEST_ENV, "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield TEMPLATE_DATABASE
    postgres.drop_database(TEMPLATE_DATABASE)


@pytest.fixture
def fresh_pg_database(postgres: _Server) -> Iterator[str]:
    """URL of a new, empty database (no schema) dropped after the test."""
    name = f"empty_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name)
    yield url
    postgres.drop_database(name)


@pytest.fixture
def pg_database_url(postgres: _Server, migrated_template: str) -> Iterator[str]:
    """URL of a migrated database private to this test."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(name, template=migrated_template)
    yield url
    postgres.drop_database(name)


# --- apps and clients -----------------------------------------------------------


@pytest.fixture
def make_app() -> Iterator[AppFactory]:
    """Build migrated apps from TEST_ENV plus overrides; disposes their pools."""
    apps: list[Flask] = []

    def factory(**overrides: str) -> Flask:
        app = create_app({**TEST_ENV, **overrides})
        with app.app_context():
            upgrade()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Any) -> str:
    return f"sqlite:///{tmp_path / 'bookshelf.sqlite'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    if request.param == "sqlite":
        return sqlite_url
    return str(request.getfixturevalue("pg_database_url"))


@pytest.fixture
def app(make_app: AppFactory, database_url: str) -> Flask:
    return make_app(DATABASE_URL=database_url)


@pytest.fixture
def sqlite_app(make_app: AppFactory, sqlite_url: str) -> Flask:
    """For behaviour that does not depend on the database engine."""
    return make_app(DATABASE_URL=sqlite_url)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def sqlite_client(sqlite_app: Flask) -> FlaskClient:
    return sqlite_app.test_client()


@pytest.fixture
def unreachable_db_client() -> FlaskClient:
    """A client of an app whose PostgreSQL is down (nothing listens there)."""
    url = f"postgresql+psycopg://nobody:nothing@127.0.0.1:{free_port()}/none"
    return create_app({**TEST_ENV, "DATABASE_URL": url}).test_client()


# --- users and books ------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[str], dict[str, str]]:
    """Register `email` and return Authorization headers for it."""

    def _login_as(email: str) -> dict[str, str]:
        client.post("/auth/register", json={"email": email, "password": PASSWORD})
        response = client.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.json
        return bearer(response.json["token"])

    return _login_as


@pytest.fixture
def owner(login_as: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return login_as("owner@example.com")


@pytest.fixture
def stranger(login_as: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return login_as("stranger@example.com")


@pytest.fixture
def book(client: FlaskClient, owner: dict[str, str]) -> dict[str, Any]:
    response = client.post("/books/", json={"title": "Dune"}, headers=owner)
    assert response.status_code == 201, response.json
    return dict(response.json)
