"""JSON error responses: every error body is {"error": ..., "detail": ...}."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import HTTPException, Unauthorized, UnprocessableEntity

from .request_hooks import current_request_id

logger = logging.getLogger(__name__)


class FieldError(UnprocessableEntity):
    """A request field is missing or invalid (422 naming the field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(description=f"{field}: {message}")
        self.detail: dict[str, str] = {"field": field, "message": message}


class AuthenticationRequired(Unauthorized):
    """No, garbage or expired bearer token; tells the client the scheme."""

    def __init__(self, description: str) -> None:
        super().__init__(description=description, www_authenticate=WWWAuthenticate("bearer"))


def error_response(
    status: int, error: str, detail: Any, headers: dict[str, str] | None = None
) -> Response:
    response = jsonify({"error": error, "detail": detail})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _error_slug(exc: HTTPException) -> str:
    return (exc.name or "error").lower().replace(" ", "_").replace("'", "")


def handle_http_exception(exc: HTTPException) -> HTTPException | Response:
    if exc.code is None:  # routing internals (redirects) pass through unchanged
        return exc
    detail = getattr(exc, "detail", exc.description)
    headers = {name: value for name, value in exc.get_headers() if name.lower() != "content-type"}
    return error_response(exc.code, _error_slug(exc), detail, headers)


def handle_database_unavailable(exc: Exception) -> Response:
    logger.error("database unavailable: %s", type(exc).__name__, exc_info=exc)
    return error_response(
        503,
        "service_unavailable",
        "The database is not available, retry later.",
        {"Retry-After": "5"},
    )


def handle_unexpected_exception(exc: Exception) -> Response:
    request_id = current_request_id()
    logger.error("unhandled exception (request_id=%s)", request_id, exc_info=exc)
    return error_response(
        500,
        "internal_server_error",
        {"message": "An unexpected error occurred.", "request_id": request_id},
    )


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(OperationalError, handle_database_unavailable)
    app.register_error_handler(PoolTimeoutError, handle_database_unavailable)
    app.register_error_handler(Exception, handle_unexpected_exception)
