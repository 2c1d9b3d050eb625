"""Bad input never yields a 500 or HTML: every error is {"error", "detail"}."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from conftest import AppFactory


def test_invalid_json_returns_400(client: FlaskClient) -> None:
    response = client.post(
        "/auth/register", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json == {
        "error": "bad_request",
        "detail": "The request body is not valid JSON.",
    }


def test_json_that_is_not_an_object_returns_400(client: FlaskClient) -> None:
    response = client.post("/auth/register", json=["reader@example.com", "secret"])
    assert response.status_code == 400


def test_empty_body_returns_400(client: FlaskClient) -> None:
    assert client.post("/auth/login").status_code == 400


def test_unknown_route_returns_json_404(client: FlaskClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.is_json and set(response.json) == {"error", "detail"}


def test_wrong_method_returns_json_405_with_allow_header(client: FlaskClient) -> None:
    response = client.delete("/ping")
    assert response.status_code == 405
    assert response.json["error"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]


def test_body_over_max_content_length_returns_json_413(
    make_app: AppFactory, sqlite_url: str
) -> None:
    client = make_app(DATABASE_URL=sqlite_url, MAX_CONTENT_LENGTH="2048").test_client()
    body = {"email": "reader@example.com", "password": "x" * 4096}
    response = client.post("/auth/register", json=body)
    assert response.status_code == 413
    assert response.json["error"] == "request_entity_too_large"


def test_unexpected_exception_returns_json_500_with_request_id(sqlite_app: Flask) -> None:
    def explode() -> str:
        raise RuntimeError("boom")

    sqlite_app.add_url_rule("/explode", view_func=explode)
    response = sqlite_app.test_client().get("/explode", headers={"X-Request-ID": "req-500"})
    assert response.status_code == 500
    assert response.json == {
        "error": "internal_server_error",
        "detail": {"message": "An unexpected error occurred.", "request_id": "req-500"},
    }


def test_database_outage_returns_json_503(unreachable_db_client: FlaskClient) -> None:
    response = unreachable_db_client.get("/books/")
    assert response.status_code == 503
    assert response.json["error"] == "service_unavailable"
