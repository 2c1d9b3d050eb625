"""Registration, login and the bearer-token guard for write endpoints."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import Blueprint, Response, g, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Conflict
from werkzeug.security import check_password_hash, generate_password_hash

from .errors import AuthenticationRequired
from .extensions import db
from .models import EMAIL_MAX_LENGTH, User
from .state import app_state, settings
from .tokens import InvalidToken, issue_token, read_token
from .validation import email_field, json_body, password_field

bp = Blueprint("auth", __name__, url_prefix="/auth")

P = ParamSpec("P")
R = TypeVar("R")


@bp.post("/register")
def register() -> tuple[Response, int]:
    body = json_body()
    email = email_field(body, "email", EMAIL_MAX_LENGTH)
    password = password_field(body, "password", settings().password_min_length)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("A user with this email already exists.")
    user = User(
        email=email,
        password_hash=generate_password_hash(password, method=settings().password_hash_method),
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:  # lost a race with a concurrent registration
        db.session.rollback()
        raise Conflict("A user with this email already exists.") from None
    return jsonify(user.to_dict()), 201


@bp.post("/login")
def login() -> Response:
    body = json_body()
    email = email_field(body, "email", EMAIL_MAX_LENGTH)
    password = password_field(body, "password", 1)
    user = db.session.scalar(select(User).where(User.email == email))
    stored_hash = user.password_hash if user else app_state().dummy_password_hash
    if not check_password_hash(stored_hash, password) or user is None:
        raise AuthenticationRequired("Wrong email or password.")
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
