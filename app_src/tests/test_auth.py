"""Registration and login (runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from bookshelf.extensions import db
from bookshelf.models import User

from conftest import PASSWORD, AppFactory


def register(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    return client.post("/auth/register", json={"email": email, "password": password})


def test_register_returns_201_with_the_new_user(client: FlaskClient) -> None:
    response = register(client, "reader@example.com")
    assert response.status_code == 201
    assert response.json["email"] == "reader@example.com"
    assert "password" not in response.json and "password_hash" not in response.json


def test_register_same_email_twice_returns_409(client: FlaskClient) -> None:
    register(client, "reader@example.com")
    response = register(client, "reader@example.com")
    assert response.status_code == 409
    assert response.json["error"] == "conflict"


def test_email_uniqueness_ignores_case(client: FlaskClient) -> None:
    register(client, "reader@example.com")
    assert register(client, "Reader@Example.COM").status_code == 409


def test_register_with_invalid_email_returns_422_naming_email(client: FlaskClient) -> None:
    response = register(client, "not-an-email")
    assert response.status_code == 422
    assert response.json["detail"]["field"] == "email"


def test_register_without_password_returns_422_naming_password(client: FlaskClient) -> None:
    response = client.post("/auth/register", json={"email": "reader@example.com"})
    assert response.status_code == 422
    assert response.json["detail"]["field"] == "password"


def test_password_shorter_than_six_characters_returns_422(client: FlaskClient) -> None:
    response = register(client, "reader@example.com", "12345")
    assert response.status_code == 422
    assert response.json["detail"]["field"] == "password"


def test_password_min_length_comes_from_the_environment(
    make_app: AppFactory, sqlite_url: str
) -> None:
    client = make_app(DATABASE_URL=sqlite_url, PASSWORD_MIN_LENGTH="12").test_client()
    assert register(client, "reader@example.com", "elevenchars").status_code == 422
    assert register(client, "reader@example.com", "twelve-chars").status_code == 201


def test_password_is_stored_only_as_a_salted_hash(app: Flask, client: FlaskClient) -> None:
    register(client, "reader@example.com")
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash))
    assert stored is not None and PASSWORD not in stored
    assert stored.startswith("pbkdf2:")  # scrypt outside APP_ENV=testing


def test_login_returns_200_with_a_token(client: FlaskClient) -> None:
    register(client, "reader@example.com")
    response = client.post(
        "/auth/login", json={"email": "reader@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.json["token"].count(".") == 2


def test_login_with_wrong_password_returns_401(client: FlaskClient) -> None:
    register(client, "reader@example.com")
    response = client.post(
        "/auth/login", json={"email": "reader@example.com", "password": "wrong password"}
    )
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"


def test_login_with_unknown_email_returns_401(client: FlaskClient) -> None:
    response = client.post(
        "/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert response.status_code == 401


def test_token_works_for_the_user_that_logged_in(
    client: FlaskClient, login_as: Callable[[str], dict[str, str]]
) -> None:
    headers = login_as("reader@example.com")
    response = client.post("/books/", json={"title": "Emma"}, headers=headers)
    assert response.status_code == 201
