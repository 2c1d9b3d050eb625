"""Registration, login and the bearer-token guard for write endpoints."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .errors import AuthenticationRequired
from .extensions import db
from .models import EMAIL_MAX_LENGTH, User
from .state import app_state, settings
from .tokens import InvalidToken, issue_token, read_token
from .validation import email_field, json_body, password_field

bp = Blueprint("auth", __name__, url_prefix="/auth")

P = ParamSpec("P")
R = TypeVar("R")


# Every /auth response may carry a token or say something about an account:
# no cache (browser, proxy or CDN) may keep it (OWASP ASVS V8.2.1).
NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@bp.after_request
def never_cache(response: Response) -> Response:
    response.headers.update(NO_STORE_HEADERS)
    return response


@bp.post("/register")
def register() -> tuple[Response, int]:
    """Create the account unless the email is taken; the answer never says which.

    A new and an already registered email get the same status and body, and
    both pay for one password hash, so neither the answer nor its timing tells
    a caller which addresses have accounts. Log in to find out whether the
    password you chose is the account's.
    """
    body = json_body()
    email = email_field(body, "email", EMAIL_MAX_LENGTH)
    password = password_field(body, "password", settings().password_min_length)
    password_hash = app_state().passwords.hash(password)
    if db.session.scalar(select(User.id).where(User.email == email)) is None:
        db.session.add(User(email=email, password_hash=password_hash))
        try:
            db.session.commit()
        except IntegrityError:  # lost a race with a concurrent registration
            db.session.rollback()
    return jsonify(registration_answer(email)), 202


def registration_answer(email: str) -> dict[str, str]:
    """The body of every accepted registration, new email or not."""
    return {
        "status": "accepted",
        "email": email,
        "message": "Unless this email already had an account, it has one now: log in with it.",
    }


@bp.post("/login")
def login() -> Response:
    body = json_body()
    email = email_field(body, "email", EMAIL_MAX_LENGTH)
    password = password_field(body, "password", 1)
    passwords = app_state().passwords
    user = db.session.scalar(select(User).where(User.email == email))
    checked = passwords.verify(user.password_hash if user else passwords.dummy_hash, password)
    if user is None or not checked.ok:
        raise AuthenticationRequired("Wrong email or password.")
    if checked.new_hash is not None:  # an older scheme or cost: upgrade it now
        user.password_hash = checked.new_hash
        db.session.commit()
    token = issue_token(user.id, settings().jwt_secret_key, settings().jwt_expires_seconds)
    return jsonify(
        {"token": token, "token_type": "Bearer", "expires_in": settings().jwt_expires_seconds}
    )


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationRequired("A bearer token is required.")
    return token.strip()


def current_user() -> User:
    """The user authenticated by login_required for this request."""
    user: User = g.current_user
    return user


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """Reject the request with 401 unless it carries a valid bearer token."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            user_id = read_token(_bearer_token(), settings().jwt_secret_key)
        except InvalidToken as exc:
            raise AuthenticationRequired(f"The bearer token is not valid: {exc}.") from None
        user = db.session.get(User, user_id)
        if user is None:
            raise AuthenticationRequired("The bearer token names an unknown user.")
        g.current_user = user
        return view(*args, **kwargs)

    return wrapper
