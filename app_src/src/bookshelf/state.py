"""Per-application state kept in app.extensions (no module-level globals)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .config import Settings

EXTENSION_KEY = "bookshelf"


@dataclass(frozen=True)
class AppState:
    settings: Settings
    hostname: str
    # Hash checked when a login names an unknown user, so that a miss costs as
    # much time as a hit and response times do not reveal which emails exist.
    dummy_password_hash: str


def app_state() -> AppState:
    state: AppState = current_app.extensions[EXTENSION_KEY]
    return state


def settings() -> Settings:
    return app_state().settings
