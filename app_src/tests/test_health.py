"""/ping, /healthz and the status page, plus identity headers on everything."""

from __future__ import annotations

import re
import socket
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bookshelf.extensions import db
from bookshelf.models import HealthProbe


def test_ping_answers_without_touching_the_database(unreachable_db_client: FlaskClient) -> None:
    response = unreachable_db_client.get("/ping")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_healthz_reports_release_db_and_latency(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert (body["status"], body["release"], body["db"]) == ("ok", "test-release", "ok")
    assert isinstance(body["latency_ms"], (int, float))


def test_healthz_write_round_trip_leaves_the_scratch_table_empty(
    app: Flask, client: FlaskClient
) -> None:
    response = client.get("/healthz?write=1")
    assert response.status_code == 200
    assert response.json["write"] == "ok"
    with app.app_context():
        assert db.session.scalar(select(func.count(HealthProbe.id))) == 0


def test_healthz_returns_503_when_the_database_is_unreachable(
    unreachable_db_client: FlaskClient,
) -> None:
    response = unreachable_db_client.get("/healthz")
    assert response.status_code == 503
    assert (response.json["status"], response.json["db"]) == ("error", "unavailable")


def test_status_page_shows_release_host_db_and_book_count(
    client: FlaskClient, book: dict[str, Any]
) -> None:
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert 'id="release">test-release<' in page
    assert f'id="hostname">{socket.gethostname()}<' in page
    assert 'class="ok">ok<' in page
    assert 'id="books">1<' in page


def test_status_page_is_self_contained_under_a_strict_csp(sqlite_client: FlaskClient) -> None:
    response = sqlite_client.get("/")
    page = response.get_data(as_text=True).lower()
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "<script" not in page
    assert not re.search(r"<[^>]*\son\w+\s*=", page)  # no inline event handlers
    assert not re.search(r"(src|href)\s*=", page)  # no external assets


def test_status_page_reports_an_unreachable_database_with_503(
    unreachable_db_client: FlaskClient,
) -> None:
    response = unreachable_db_client.get("/")
    assert response.status_code == 503
    assert 'class="down">unavailable<' in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/ping"), ("GET", "/nowhere"), ("POST", "/books/")]
)
def test_every_response_names_release_and_host(
    sqlite_client: FlaskClient, method: str, path: str
) -> None:
    response = sqlite_client.open(path, method=method)
    assert response.headers["X-Release-Id"] == "test-release"
    assert response.headers["X-Served-By"] == socket.gethostname()
