"""`flask seed`: idempotent demo data (run it as often as you like)."""

from __future__ import annotations

import secrets

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from .extensions import db
from .models import Book, User
from .state import app_state

DEMO_EMAIL = "demo@bookshelf.test"
DEMO_TITLES = (
    "The Pragmatic Programmer",
    "Designing Data-Intensive Applications",
    "Site Reliability Engineering",
    "The Phoenix Project",
    "PostgreSQL: Up and Running",
)


def _demo_user(password: str | None) -> tuple[User, bool]:
    user = db.session.scalar(select(User).where(User.email == DEMO_EMAIL))
    if user is not None:
        return user, False
    # Without --password the demo user gets a random one nobody knows.
    user = User(
        email=DEMO_EMAIL,
        password_hash=app_state().passwords.hash(password or secrets.token_urlsafe(32)),
    )
    db.session.add(user)
    db.session.flush()
    return user, True


@click.command("seed")
@click.option(
    "--password",
    envvar="SEED_DEMO_PASSWORD",
    default=None,
    help="Password for a newly created demo user (env SEED_DEMO_PASSWORD).",
)
@with_appcontext
def seed_command(password: str | None) -> None:
    """Insert the demo user and demo books that are missing."""
    user, created_user = _demo_user(password)
    existing = set(db.session.scalars(select(Book.title).where(Book.owner_id == user.id)))
    missing = [title for title in DEMO_TITLES if title not in existing]
    db.session.add_all(Book(title=title, owner_id=user.id) for title in missing)
    db.session.commit()
    click.echo(
        f"seed: demo user {DEMO_EMAIL} {'created' if created_user else 'already present'}, "
        f"{len(missing)} book(s) added, {len(DEMO_TITLES) - len(missing)} already present"
    )


def register_cli(app: Flask) -> None:
    app.cli.add_command(seed_command)
