"""WSGI entry point: `gunicorn bookshelf.wsgi:application`.

Importing this module performs all initialisation (Beanstalk-style servers
import it rather than run it). A configuration problem ends start-up with one
line on stderr naming the variable, and exit status 3: gunicorn's
WORKER_BOOT_ERROR, which makes the gunicorn master halt ("Worker failed to
boot") instead of respawning workers forever. `flask` exits with it too.
"""

from __future__ import annotations

import sys

from .config import ConfigError
from .factory import create_app

CONFIG_ERROR_EXIT_STATUS = 3

try:
    application = create_app()
except ConfigError as exc:
    print(f"bookshelf: configuration error: {exc}", file=sys.stderr, flush=True)
    raise SystemExit(CONFIG_ERROR_EXIT_STATUS) from None

app = application
