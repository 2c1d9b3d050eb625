"""Per-request bookkeeping: request id, identity headers and the access log."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, has_request_context, request

from .state import app_state

access_logger = logging.getLogger("bookshelf.access")

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only if it is safe to echo into headers and logs.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str | None:
    if not has_request_context():
        return None
    request_id: str | None = g.get("request_id")
    return request_id


def _incoming_request_id() -> str:
    candidate = request.headers.get(REQUEST_ID_HEADER, "")
    if REQUEST_ID_PATTERN.match(candidate):
        return candidate
    return uuid.uuid4().hex


def start_request() -> None:
    g.request_id = _incoming_request_id()
    g.request_started = time.perf_counter()


def finish_request(response: Response) -> Response:
    state = app_state()
    response.headers[REQUEST_ID_HEADER] = g.get("request_id") or ""
    response.headers["X-Release-Id"] = state.settings.release_id
    response.headers["X-Served-By"] = state.hostname
    started = g.get("request_started", time.perf_counter())
    duration_ms = round((time.perf_counter() - started) * 1000, 2)
    access_logger.info(
        "%s %s %s %.2fms",
        request.method,
        request.path,
        response.status_code,
        duration_ms,
        extra={
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": duration_ms,
            "remote_addr": request.remote_addr,
        },
    )
    return response


def register_request_hooks(app: Flask) -> None:
    app.before_request(start_request)
    app.after_request(finish_request)
