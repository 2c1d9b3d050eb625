"""Per-application state kept in app.extensions (no module-level globals)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .config import Settings
from .passwords import PasswordHasher

EXTENSION_KEY = "bookshelf"


@dataclass(frozen=True)
class AppState:
    settings: Settings
    hostname: str
    passwords: PasswordHasher


def app_state() -> AppState:
    state: AppState = current_app.extensions[EXTENSION_KEY]
    return state


def settings() -> Settings:
    return app_state().settings
