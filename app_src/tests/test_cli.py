"""`flask seed` inserts demo data idempotently (SQLite and PostgreSQL)."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import func, select

from bookshelf.cli import DEMO_EMAIL, DEMO_TITLES
from bookshelf.extensions import db
from bookshelf.models import Book, User


def counts(app: Flask) -> tuple[int, int]:
    with app.app_context():
        users = db.session.scalar(select(func.count(User.id)))
        books = db.session.scalar(select(func.count(Book.id)))
    return int(users or 0), int(books or 0)


def test_seed_creates_the_demo_user_and_books(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert counts(app) == (1, len(DEMO_TITLES))


def test_seed_twice_adds_nothing_the_second_time(app: Flask) -> None:
    runner = app.test_cli_runner()
    runner.invoke(args=["seed"])
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0
    assert "0 book(s) added" in result.output
    assert counts(app) == (1, len(DEMO_TITLES))


def test_seeded_demo_user_can_log_in_with_the_given_password(app: Flask) -> None:
    app.test_cli_runner().invoke(args=["seed", "--password", "demo-password-1"])
    response = app.test_client().post(
        "/auth/login", json={"email": DEMO_EMAIL, "password": "demo-password-1"}
    )
    assert response.status_code == 200
