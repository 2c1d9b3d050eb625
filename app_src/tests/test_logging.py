"""Logs: one JSON object a line with request fields, and no secrets."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from conftest import PASSWORD, AppFactory


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def access_record(stderr: str) -> dict[str, Any]:
    records = [r for r in json_lines(stderr) if r["logger"] == "bookshelf.access"]
    assert len(records) == 1, records
    return records[0]


@pytest.fixture
def json_app(make_app: AppFactory, sqlite_url: str) -> Flask:
    return make_app(DATABASE_URL=sqlite_url, LOG_FORMAT="json", LOG_LEVEL="INFO")


def test_json_access_log_line_has_the_request_fields(
    json_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    json_app.test_client().get("/ping?x=1", headers={"X-Request-ID": "abc-123"})
    record = access_record(capsys.readouterr().err)
    assert {"timestamp", "level", "duration_ms"} <= set(record)
    assert (record["request_id"], record["method"], record["path"], record["status"]) == (
        "abc-123",
        "GET",
        "/ping",
        200,
    )
    assert record["remote_addr"] == "127.0.0.1"


def test_request_id_from_the_client_is_echoed(json_app: Flask) -> None:
    response = json_app.test_client().get("/ping", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"


def test_request_id_is_generated_when_the_client_sends_none(json_app: Flask) -> None:
    client = json_app.test_client()
    first, second = client.get("/ping"), client.get("/ping")
    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


def test_unsafe_request_id_is_replaced(json_app: Flask) -> None:
    response = json_app.test_client().get("/ping", headers={"X-Request-ID": "a b<script>"})
    assert response.headers["X-Request-ID"] != "a b<script>"


def test_remote_addr_comes_from_x_forwarded_for_behind_a_trusted_proxy(
    make_app: AppFactory, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(
        DATABASE_URL=sqlite_url, LOG_FORMAT="json", LOG_LEVEL="INFO", PROXY_FIX_X_FOR="1"
    )
    capsys.readouterr()
    app.test_client().get("/ping", headers={"X-Forwarded-For": "203.0.113.7"})
    assert access_record(capsys.readouterr().err)["remote_addr"] == "203.0.113.7"


def test_x_forwarded_for_is_ignored_without_proxy_fix(
    json_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    json_app.test_client().get("/ping", headers={"X-Forwarded-For": "203.0.113.7"})
    assert access_record(capsys.readouterr().err)["remote_addr"] == "127.0.0.1"


def test_unexpected_exception_is_logged_with_traceback_and_request_id(
    json_app: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    def explode() -> str:
        raise RuntimeError("boom")

    json_app.add_url_rule("/explode", view_func=explode)
    capsys.readouterr()
    json_app.test_client().get("/explode", headers={"X-Request-ID": "req-boom"})
    errors = [r for r in json_lines(capsys.readouterr().err) if r["level"] == "ERROR"]
    assert errors[0]["request_id"] == "req-boom"
    assert "Traceback" in errors[0]["exception"] and "RuntimeError: boom" in errors[0]["exception"]


def test_passwords_tokens_and_secrets_never_reach_the_logs(
    make_app: AppFactory, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(DATABASE_URL=sqlite_url, LOG_FORMAT="json", LOG_LEVEL="DEBUG")
    client = app.test_client()
    credentials = {"email": "reader@example.com", "password": PASSWORD}
    client.post("/auth/register", json=credentials)
    token = client.post("/auth/login", json=credentials).json["token"]
    client.post("/books/", json={"title": "x"}, headers={"Authorization": f"Bearer {token}"})
    logged = capsys.readouterr().err
    assert "/auth/login" in logged  # the requests were logged...
    for secret in (PASSWORD, token, app.config["SECRET_KEY"]):
        assert secret not in logged  # ...but none of what they carried


def test_text_format_is_one_readable_line_per_request(
    make_app: AppFactory, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = make_app(DATABASE_URL=sqlite_url, LOG_FORMAT="text", LOG_LEVEL="INFO")
    capsys.readouterr()
    app.test_client().get("/ping", headers={"X-Request-ID": "abc-123"})
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "[abc-123] GET /ping 200" in lines[0]
