"""Parsing and validating request input; failures become 400 or 422."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest

from .errors import FieldError

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
PASSWORD_MAX_LENGTH = 1024  # bounds the work a single login can ask the KDF for


def json_body() -> dict[str, Any]:
    """The request body as a JSON object (400 when it is not one)."""
    # force: accept JSON sent without a JSON content type; an oversized body
    # still raises 413 while reading, before any parsing.
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise BadRequest("The request body is not valid JSON.")
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    return body


def _required_string(body: Mapping[str, Any], field: str) -> str:
    value = body.get(field)
    if value is None:
        raise FieldError(field, "is required")
    if not isinstance(value, str):
        raise FieldError(field, "must be a string")
    return value


def text_field(body: Mapping[str, Any], field: str, max_length: int) -> str:
    """A non-blank string, stripped, at most `max_length` characters."""
    value = _required_string(body, field).strip()
    if not value:
        raise FieldError(field, "must not be empty")
    if len(value) > max_length:
        raise FieldError(field, f"must be at most {max_length} characters")
    return value


def email_field(body: Mapping[str, Any], field: str, max_length: int) -> str:
    """A syntactically valid email address, normalised to lower case."""
    value = _required_string(body, field).strip().lower()
    if len(value) > max_length or not EMAIL_PATTERN.match(value):
        raise FieldError(field, "must be a valid email address")
    return value


def password_field(body: Mapping[str, Any], field: str, min_length: int) -> str:
    """A password between `min_length` and PASSWORD_MAX_LENGTH characters."""
    value = _required_string(body, field)
    if len(value) < min_length:
        raise FieldError(field, f"must be at least {min_length} characters")
    if len(value) > PASSWORD_MAX_LENGTH:
        raise FieldError(field, f"must be at most {PASSWORD_MAX_LENGTH} characters")
    return value


def positive_int_arg(args: Mapping[str, str], name: str, default: int) -> int:
    """A query-string integer >= 1 (422 naming the parameter otherwise)."""
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise FieldError(name, "must be an integer") from None
    if value < 1:
        raise FieldError(name, "must be at least 1")
    return value
