"""Registration and login (runs on SQLite and PostgreSQL)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import argon2
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import generate_password_hash
from werkzeug.test import TestResponse

from bookshelf.extensions import db
from bookshelf.models import User

from conftest import PASSWORD, AppFactory


def register(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    return client.post("/auth/register", json={"email": email, "password": password})


def user_count(app: Flask) -> int:
    with app.app_context():
        return len(db.session.scalars(select(User.id)).all())


def stored_hash(app: Flask, email: str = "reader@example.com") -> str:
    with app.app_context():
        value = db.session.scalar(select(User.password_hash).where(User.email == email))
    assert value is not None
    return value


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    return client.post("/auth/login", json={"email": email, "password": password})


def test_register_accepts_a_new_email_with_202_and_creates_the_account(
    app: Flask, client: FlaskClient
) -> None:
    response = register(client, "reader@example.com")
    assert response.status_code == 202
    assert response.json["email"] == "reader@example.com"
    assert "password" not in response.json and "password_hash" not in response.json
    assert user_count(app) == 1
    assert login(client, "reader@example.com").status_code == 200


def test_register_answers_a_taken_email_exactly_like_a_new_one(client: FlaskClient) -> None:
    new = register(client, "reader@example.com")
    taken = register(client, "reader@example.com", "another password 42")
    assert (taken.status_code, taken.json) == (new.status_code, new.json)
    assert taken.headers.get("Content-Type") == new.headers.get("Content-Type")


def test_register_of_a_taken_email_costs_a_password_hash_like_a_new_one(
    make_app: AppFactory, sqlite_url: str
) -> None:
    # OWASP-cost hashes (APP_ENV=development); CPU time of this thread, which runs
    # the whole request in the test client, so other load on the machine does not count.
    client = make_app(APP_ENV="development", DATABASE_URL=sqlite_url).test_client()

    def cpu_seconds(email: str) -> float:
        started = time.thread_time()
        assert register(client, email).status_code == 202
        return time.thread_time() - started

    new = statistics.median(cpu_seconds(f"reader{i}@example.com") for i in range(5))
    taken = statistics.median(cpu_seconds("reader0@example.com") for _ in range(5))
    assert 0.5 < taken / new < 2, f"new {new * 1000:.1f} ms, taken {taken * 1000:.1f} ms CPU"


def test_register_of_a_taken_email_keeps_the_first_password(
    app: Flask, client: FlaskClient
) -> None:
    register(client, "reader@example.com")
    register(client, "Reader@Example.COM", "another password 42")  # same address, any case
    assert user_count(app) == 1
    assert login(client, "reader@example.com").status_code == 200
    assert login(client, "reader@example.com", "another password 42").status_code == 401


def test_register_with_invalid_email_returns_422_naming_email(client: FlaskClient) -> None:
    response = register(client, "not-an-email")
    assert response.status_code == 422
    assert response.json["detail"]["field"] == "email"


def test_register_without_password_returns_422_naming_password(client: FlaskClient) -> None:
    response = client.post("/auth/register", json={"email": "reader@example.com"})
    assert response.status_code == 422
    assert response.json["detail"]["field"] == "password"


def test_password_of_11_characters_is_refused_and_12_accepted(client: FlaskClient) -> None:
    response = register(client, "reader@example.com", "x" * 11)
    assert response.status_code == 422
    assert response.json["detail"] == {
        "field": "password",
        "message": "must be at least 12 characters",
    }
    assert register(client, "reader@example.com", "x" * 12).status_code == 202


def test_password_min_length_can_be_raised_from_the_environment(
    make_app: AppFactory, sqlite_url: str
) -> None:
    client = make_app(DATABASE_URL=sqlite_url, PASSWORD_MIN_LENGTH="16").test_client()
    assert register(client, "reader@example.com", "x" * 15).status_code == 422
    assert register(client, "reader@example.com", "x" * 16).status_code == 202


def test_password_is_stored_only_as_a_salted_hash(app: Flask, client: FlaskClient) -> None:
    register(client, "reader@example.com")
    register(client, "other@example.com")
    first, second = stored_hash(app), stored_hash(app, "other@example.com")
    assert PASSWORD not in first and first.startswith("$argon2id$")
    assert first != second  # same password, different salts


def test_password_is_hashed_with_argon2id_at_owasp_parameters(
    make_app: AppFactory, sqlite_url: str
) -> None:
    app = make_app(APP_ENV="development", DATABASE_URL=sqlite_url)
    register(app.test_client(), "reader@example.com")
    assert stored_hash(app).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_login_rehashes_a_scrypt_hash_to_argon2id(app: Flask, client: FlaskClient) -> None:
    scrypt_hash = generate_password_hash(PASSWORD, method="scrypt")  # as earlier releases did
    add_user(app, "reader@example.com", scrypt_hash)
    assert login(client, "reader@example.com").status_code == 200
    upgraded = stored_hash(app)
    assert upgraded.startswith("$argon2id$")
    assert login(client, "reader@example.com").status_code == 200
    assert stored_hash(app) == upgraded  # current hashes are left alone


def test_failed_login_leaves_a_scrypt_hash_unchanged(app: Flask, client: FlaskClient) -> None:
    scrypt_hash = generate_password_hash(PASSWORD, method="scrypt")
    add_user(app, "reader@example.com", scrypt_hash)
    assert login(client, "reader@example.com", "wrong password!").status_code == 401
    assert stored_hash(app) == scrypt_hash


def test_login_rehashes_an_argon2id_hash_of_a_lower_cost(
    make_app: AppFactory, sqlite_url: str
) -> None:
    app = make_app(APP_ENV="development", DATABASE_URL=sqlite_url)
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    add_user(app, "reader@example.com", cheap)
    assert login(app.test_client(), "reader@example.com").status_code == 200
    assert stored_hash(app).startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def add_user(app: Flask, email: str, password_hash: str) -> None:
    with app.app_context():
        db.session.add(User(email=email, password_hash=password_hash))
        db.session.commit()


@pytest.mark.parametrize(
    ("path", "password"),
    [("/auth/login", PASSWORD), ("/auth/login", "wrong password!"), ("/auth/register", PASSWORD)],
    ids=["login-token", "login-refused", "register"],
)
def test_auth_responses_are_never_cached(client: FlaskClient, path: str, password: str) -> None:
    register(client, "reader@example.com")
    response = client.post(path, json={"email": "reader@example.com", "password": password})
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Pragma"] == "no-cache"


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
