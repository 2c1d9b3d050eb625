"""Extra vars for `make demo APP=<dir>`: the lab deploys <dir> instead of the reference app.

Usage: python3 scripts/demo_app_vars.py APP_DIR OUT.json
Writes the extra vars to OUT.json and prints one line saying what will be deployed.
The lab inventory carries the reference app's own settings (app_src/flaskstack.yml:
its declared secrets and env; the lab's `flask seed`); another app gets none of
them, and its own flaskstack.yml, when it has one, is passed after these.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

MARKERS = ("pyproject.toml", "requirements.txt", "setup.py")


def demo_vars(app: Path) -> dict:
    """The extra vars that point the lab at `app`; SystemExit naming the problem when it is no app."""
    app = app.expanduser().resolve()
    if not app.exists():
        raise SystemExit(f"APP={app} does not exist")
    if app.is_dir() and not any((app / m).exists() for m in MARKERS) and not any(app.glob("*.whl")):
        raise SystemExit(f"APP={app} holds no pyproject.toml, requirements.txt, setup.py or wheel "
                         "(roles/flask_app/README.md, App shapes)")
    if app.is_file() and app.suffix != ".whl":
        raise SystemExit(f"APP={app} is a file but no wheel")
    return {"flaskstack_app_source": str(app), "flask_app_seed_command": "",
            "flaskstack_app_secrets": [], "flaskstack_app_signing_secrets": [], "flaskstack_app_env": {}}


def main(argv: list[str]) -> None:
    app, out = Path(argv[1]), Path(argv[2])
    data = demo_vars(app)
    out.write_text(json.dumps(data, indent=2) + "\n")
    own = Path(data["flaskstack_app_source"]) / "flaskstack.yml"
    print(f"demo: deploying {data['flaskstack_app_source']}"
          + (f" with its {own.name}" if own.is_file() else " (no flaskstack.yml: no declared secrets or env)"))


if __name__ == "__main__":
    main(sys.argv)
