"""What deployment relies on: the WSGI module, shipped files, exact pins."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from importlib.metadata import distribution
from pathlib import Path

import pytest

from bookshelf.factory import MIGRATIONS_DIR

from conftest import TEST_ENV

APP_SRC = Path(__file__).resolve().parents[1]
CONSTRAINTS = APP_SRC / "constraints.txt"
DEV_CONSTRAINTS = APP_SRC.parent / "constraints-dev.txt"


def run_python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter with only the given app variables."""
    app_vars = set(TEST_ENV) | {"DATABASE_URL"}
    clean = {k: v for k, v in os.environ.items() if k not in app_vars}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=APP_SRC,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line.strip())
        if match:
            found[normalise(match.group(1))] = match.group(2)
    return found


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_importing_the_wsgi_module_builds_the_app(tmp_path: Path) -> None:
    result = run_python(
        "import bookshelf.wsgi as w; assert w.app is w.application; print(w.application.name)",
        **TEST_ENV,
        DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "bookshelf"


def test_wsgi_start_without_database_url_in_production_exits_with_one_line() -> None:
    result = run_python("import bookshelf.wsgi", APP_ENV="production")
    assert result.returncode == 3  # gunicorn: "Worker failed to boot", no respawn loop
    assert result.stderr == (
        "bookshelf: configuration error: DATABASE_URL: is required when APP_ENV=production\n"
    )


def test_wsgi_start_with_a_weak_secret_names_the_variable() -> None:
    result = run_python(
        "import bookshelf.wsgi",
        APP_ENV="production",
        DATABASE_URL="postgresql://u:p@127.0.0.1/db",
        SECRET_KEY="changeme",
        JWT_SECRET_KEY="x" * 40,
    )
    assert result.returncode == 3  # gunicorn: "Worker failed to boot", no respawn loop
    assert result.stderr.startswith("bookshelf: configuration error: SECRET_KEY: ")
    assert result.stderr.count("\n") == 1


def test_wsgi_start_with_a_secret_under_256_bits_exits_naming_it_and_the_fix() -> None:
    result = run_python(
        "import bookshelf.wsgi",
        APP_ENV="production",
        DATABASE_URL="postgresql://u:p@127.0.0.1/db",
        SECRET_KEY="Kq3v9ZpX2mWt7LrB4nYc8HdF6gJs1aEo5uTiQwRyUeP",  # 43 characters
        JWT_SECRET_KEY="Kq3v9ZpX2mWt7LrB4nYc8HdF6gJs1aEo5uTiQwRyUe",  # 42 characters
    )
    assert result.returncode == 3
    assert result.stderr.startswith(
        "bookshelf: configuration error: JWT_SECRET_KEY: is too short: use at least 43"
    )
    assert "secrets.token_urlsafe(32)" in result.stderr
    assert result.stderr.count("\n") == 1


def test_migrations_live_inside_the_package_so_wheels_ship_them() -> None:
    assert (MIGRATIONS_DIR.parent / "__init__.py").is_file()
    for name in ("alembic.ini", "env.py", "script.py.mako", "versions/0001_initial_schema.py"):
        assert (MIGRATIONS_DIR / name).is_file(), name


def _runtime_closure() -> set[str]:
    requirements = pytest.importorskip("packaging.requirements")
    seen: set[str] = set()
    pending = ["bookshelf"]
    while pending:
        dist = distribution(pending.pop())
        for spec in dist.requires or []:
            requirement = requirements.Requirement(spec)
            if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                continue
            names = [requirement.name] + (
                [f"{requirement.name}-binary"] if requirement.name == "psycopg" else []
            )
            for name in map(normalise, names):
                if name not in seen:
                    seen.add(name)
                    pending.append(name)
    return seen


def test_constraints_pin_the_whole_runtime_closure() -> None:
    assert _runtime_closure() <= set(pins(CONSTRAINTS)), "pin every runtime dependency"


def test_gunicorn_is_a_pinned_runtime_dependency() -> None:
    assert "gunicorn" in _runtime_closure() and "gunicorn" in pins(CONSTRAINTS)


def test_pins_agree_with_the_controller_toolchain() -> None:
    if not DEV_CONSTRAINTS.is_file():
        pytest.skip("no controller constraints-dev.txt next to app_src")
    ours, toolchain = pins(CONSTRAINTS), pins(DEV_CONSTRAINTS)
    shared = set(ours) & set(toolchain)
    assert {name: ours[name] for name in shared} == {name: toolchain[name] for name in shared}


def test_locustfile_imports_without_side_effects() -> None:
    if importlib.util.find_spec("locust") is None:
        pytest.skip("locust is not installed (it comes with the controller toolchain)")
    result = run_python(
        "import runpy; ns = runpy.run_path('locustfile.py', run_name='locustfile');"
        "print(sorted(n for n, v in ns.items() if getattr(v, 'tasks', None)))",
    )
    assert result.returncode == 0, result.stderr
    assert "BookshelfUser" in result.stdout


def test_locustfile_hands_out_prepared_accounts_in_turn(tmp_path: Path) -> None:
    if importlib.util.find_spec("locust") is None:
        pytest.skip("locust is not installed (it comes with the controller toolchain)")
    accounts = tmp_path / "accounts.json"
    accounts.write_text(
        '[{"email": "a@x.test", "password": "p", "token": "t1"},'
        ' {"email": "b@x.test", "password": "p", "token": "t2"}]'
    )
    code = (
        "import runpy; ns = runpy.run_path('locustfile.py', run_name='locustfile');"
        "print([ns['next_account']()['token'] for _ in range(3)])"
    )
    result = run_python(code, LOCUST_ACCOUNTS=str(accounts))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['t1', 't2', 't1']"
    accounts.write_text("[]")
    result = run_python(code, LOCUST_ACCOUNTS=str(accounts))
    assert result.returncode != 0
    assert "holds no accounts" in result.stderr
