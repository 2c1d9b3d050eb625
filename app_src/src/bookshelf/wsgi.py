"""WSGI entry point: `gunicorn bookshelf.wsgi:application`.

Importing this module performs all initialisation (Beanstalk-style servers
import it rather than run it). A configuration problem ends start-up with one
line naming the variable instead of a traceback.
"""

from __future__ import annotations

from .config import ConfigError
from .factory import create_app

try:
    application = create_app()
except ConfigError as exc:
    raise SystemExit(f"bookshelf: configuration error: {exc}") from None

app = application
