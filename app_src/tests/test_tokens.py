"""Bearer tokens: required for writes, signed, and they expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from flask.testing import FlaskClient

from bookshelf.tokens import issue_token

from conftest import PASSWORD, TEST_ENV, AppFactory, bearer


def _user_id(headers: dict[str, str]) -> int:
    token = headers["Authorization"].removeprefix("Bearer ")
    return int(jwt.decode(token, options={"verify_signature": False})["sub"])


def test_write_without_token_returns_401_with_bearer_challenge(client: FlaskClient) -> None:
    response = client.post("/books/", json={"title": "Emma"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer not.a.jwt", "Bearer garbage", "Basic dXNlcjpwYXNz", "Token abc"],
)
def test_garbage_authorization_returns_401(client: FlaskClient, authorization: str) -> None:
    response = client.post(
        "/books/", json={"title": "Emma"}, headers={"Authorization": authorization}
    )
    assert response.status_code == 401
    assert set(response.json) == {"error", "detail"}


def test_expired_token_returns_401(client: FlaskClient, owner: dict[str, str]) -> None:
    user_id = _user_id(owner)
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    expired = issue_token(user_id, TEST_ENV["JWT_SECRET_KEY"], 60, now=an_hour_ago)
    response = client.post("/books/", json={"title": "Emma"}, headers=bearer(expired))
    assert response.status_code == 401
    assert "expired" in response.json["detail"]


def test_token_signed_with_another_key_returns_401(
    client: FlaskClient, owner: dict[str, str]
) -> None:
    forged = issue_token(_user_id(owner), "another-key-" + "x" * 32, 60)
    response = client.post("/books/", json={"title": "Emma"}, headers=bearer(forged))
    assert response.status_code == 401


def test_token_for_unknown_user_returns_401(client: FlaskClient) -> None:
    token = issue_token(999_999, TEST_ENV["JWT_SECRET_KEY"], 60)
    response = client.post("/books/", json={"title": "Emma"}, headers=bearer(token))
    assert response.status_code == 401


def test_token_lifetime_is_jwt_expires_seconds(make_app: AppFactory, sqlite_url: str) -> None:
    client = make_app(DATABASE_URL=sqlite_url, JWT_EXPIRES_SECONDS="120").test_client()
    credentials = {"email": "reader@example.com", "password": PASSWORD}
    client.post("/auth/register", json=credentials)
    token = client.post("/auth/login", json=credentials).json["token"]
    claims = jwt.decode(token, TEST_ENV["JWT_SECRET_KEY"], algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 120
