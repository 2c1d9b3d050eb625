"""Liveness (/ping), readiness (/healthz) and the human status page (/)."""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass

from flask import Blueprint, Response, jsonify, render_template, request
from sqlalchemy import delete, func, literal, select
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import Book, HealthProbe
from .state import app_state

bp = Blueprint("health", __name__)
logger = logging.getLogger(__name__)

# Nothing but the inline <style> of the status page may load or run.
STATUS_PAGE_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
TRUTHY = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True)
class DatabaseProbe:
    ok: bool
    latency_ms: float
    book_count: int | None = None


def _write_read_delete() -> None:
    """Round-trip one row through the scratch table, leaving it empty."""
    token = secrets.token_hex(16)
    probe = HealthProbe(token=token)
    db.session.add(probe)
    db.session.flush()
    stored = db.session.scalar(select(HealthProbe.token).where(HealthProbe.id == probe.id))
    if stored != token:
        raise RuntimeError("health probe read back a different value")
    db.session.execute(delete(HealthProbe).where(HealthProbe.id == probe.id))
    db.session.commit()


def probe_database(write: bool = False, count_books: bool = False) -> DatabaseProbe:
    started = time.perf_counter()
    try:
        db.session.execute(select(literal(1)))
        if write:
            _write_read_delete()
        count = db.session.scalar(select(func.count(Book.id))) if count_books else None
        db.session.rollback()  # end the read transaction; return the connection
        ok = True
    except (SQLAlchemyError, RuntimeError) as exc:
        db.session.rollback()
        logger.warning("database probe failed: %s", type(exc).__name__)
        count, ok = None, False
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return DatabaseProbe(ok=ok, latency_ms=latency_ms, book_count=count)


@bp.get("/ping")
def ping() -> Response:
    return jsonify({"status": "ok"})


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    write = request.args.get("write", "").lower() in TRUTHY
    probe = probe_database(write=write)
    body = {
        "status": "ok" if probe.ok else "error",
        "release": app_state().settings.release_id,
        "db": "ok" if probe.ok else "unavailable",
        "latency_ms": probe.latency_ms,
    }
    if write:
        body["write"] = "ok" if probe.ok else "failed"
    return jsonify(body), 200 if probe.ok else 503


@bp.get("/")
def status_page() -> tuple[str, int, dict[str, str]]:
    state = app_state()
    probe = probe_database(count_books=True)
    html = render_template(
        "status.html",
        release=state.settings.release_id,
        hostname=state.hostname,
        app_env=state.settings.app_env,
        probe=probe,
    )
    headers = {"Content-Security-Policy": STATUS_PAGE_CSP, "Cache-Control": "no-store"}
    return html, 200 if probe.ok else 503, headers
