"""PostgreSQL under pressure: concurrency, a full pool, an outage."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask
from sqlalchemy import func, select

from bookshelf.extensions import db
from bookshelf.models import Book

from conftest import PASSWORD, AppFactory, bearer
from postgres_server import _Server

pytestmark = pytest.mark.postgres
THREADS = 8
BOOKS_PER_THREAD = 10


def token(app: Flask, email: str) -> str:
    client = app.test_client()
    client.post("/auth/register", json={"email": email, "password": PASSWORD})
    response = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    return str(response.json["token"])


def test_concurrent_inserts_share_a_small_pool_without_exhausting_it(
    make_app: AppFactory, pg_database_url: str
) -> None:
    app = make_app(
        DATABASE_URL=pg_database_url, DB_POOL_SIZE="2", DB_MAX_OVERFLOW="1", DB_POOL_TIMEOUT="10"
    )
    headers = bearer(token(app, "writer@example.com"))

    def insert_books(worker: int) -> list[int]:
        client = app.test_client()
        return [
            client.post("/books/", json={"title": f"w{worker}-{n}"}, headers=headers).status_code
            for n in range(BOOKS_PER_THREAD)
        ]

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = [status for batch in pool.map(insert_books, range(THREADS)) for status in batch]

    assert statuses == [201] * THREADS * BOOKS_PER_THREAD
    with app.app_context():
        assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert db.session.scalar(select(func.count(Book.id))) == THREADS * BOOKS_PER_THREAD


def test_exhausted_pool_answers_503_quickly_instead_of_hanging(
    make_app: AppFactory, pg_database_url: str
) -> None:
    app = make_app(
        DATABASE_URL=pg_database_url, DB_POOL_SIZE="1", DB_MAX_OVERFLOW="0", DB_POOL_TIMEOUT="0.2"
    )
    with app.app_context(), db.engine.connect():  # holds the only connection
        response = app.test_client().get("/books/")
    assert response.status_code == 503
    assert response.json["error"] == "service_unavailable"


def test_healthz_is_503_while_postgres_is_down_and_200_right_after_restart(
    postgres: _Server, make_app: AppFactory, pg_database_url: str
) -> None:
    if not postgres.can_restart:
        pytest.skip("TEST_DATABASE_URL names a server this suite cannot stop")
    client = make_app(DATABASE_URL=pg_database_url).test_client()
    assert client.get("/healthz").status_code == 200  # the pool now holds a connection
    postgres.stop()
    try:
        down = client.get("/healthz")
    finally:
        postgres.start()
    assert down.status_code == 503
    assert client.get("/healthz").status_code == 200  # recovers on the first request


def test_connections_killed_by_a_restart_are_replaced_before_use(
    postgres: _Server, make_app: AppFactory, pg_database_url: str
) -> None:
    if not postgres.can_restart:
        pytest.skip("TEST_DATABASE_URL names a server this suite cannot stop")
    client = make_app(DATABASE_URL=pg_database_url).test_client()
    assert client.get("/books/").status_code == 200  # the pool now holds a connection
    postgres.stop()
    postgres.start()
    # No request saw the outage, so only pool_pre_ping can notice the dead connection.
    assert client.get("/books/").status_code == 200
