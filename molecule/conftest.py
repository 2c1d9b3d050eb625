"""Shared testinfra helpers for every Molecule scenario (one place, no copies).

Scenario tests use the `http` and `wait_until` fixtures instead of writing their
own curl loops. All traffic stays inside the project's own containers.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable

import pytest


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str]
    body: str

    def json(self):
        return json.loads(self.body)


def http_request(host, url: str, method: str = "GET", data: str | None = None,
                 headers: dict[str, str] | None = None, cacert: str | None = None,
                 timeout: int = 10, extra: list[str] | None = None) -> HttpResponse:
    """Send one request with curl *inside* the container and parse the answer.

    TLS is always verified; `cacert` names the trust anchor for a server whose
    certificate is not in the system store (e.g. a role's self-signed one).
    """
    args = ["curl", "-sS", "-o", "/dev/stdout", "-D", "/dev/stderr", "-X", method,
            "--max-time", str(timeout)]
    if cacert:
        args += ["--cacert", cacert]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    if data is not None:
        args += ["--data-binary", data]
    args += extra or []
    args.append(url)
    cmd = host.run(" ".join(_quote(a) for a in args))
    if cmd.rc != 0:
        raise ConnectionError(f"curl {url} failed rc={cmd.rc}: {cmd.stderr.strip()}")
    return _parse(cmd.stderr, cmd.stdout)


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\"'\"'") + "'"


def _parse(raw_headers: str, body: str) -> HttpResponse:
    # With redirects or 100-continue curl prints several header blocks; keep the last.
    blocks = [b for b in raw_headers.replace("\r", "").split("\n\n") if b.startswith("HTTP/")]
    lines = blocks[-1].splitlines()
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return HttpResponse(status, headers, body)


def wait_until(predicate: Callable[[], bool], timeout: float = 30, interval: float = 0.5,
               what: str = "condition") -> None:
    """Poll `predicate` until it is true or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except Exception as exc:  # noqa: BLE001 - remembered and reported below
            last_error = exc
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                         + (f" (last error: {last_error})" if last_error else ""))


@pytest.fixture
def http():
    return http_request


@pytest.fixture(name="wait_until")
def wait_until_fixture():
    return wait_until


# --- helpers for multi-host scenarios (stack) ------------------------------

@pytest.fixture(scope="session")
def molecule_host():
    """Return a testinfra host for another instance of the scenario by name."""
    import os

    import testinfra

    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    cache: dict = {}

    def get(name: str):
        if name not in cache:
            cache[name] = testinfra.get_host(f"ansible://{name}?ansible_inventory={inventory}")
        return cache[name]

    return get


@dataclass
class LoadResult:
    """Every response of a bounded load run, counted by status (0 = connection error)."""
    statuses: dict[int, int]
    served_by: dict[str, int]
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status == 0 or status >= 500)

    def __str__(self) -> str:
        return (f"{self.total} requests in {self.seconds:.1f}s, failed={self.failed}, "
                f"statuses={dict(sorted(self.statuses.items()))}, served_by={self.served_by}")


def bounded_load(url: str, requests: int = 200, concurrency: int = 4, max_seconds: float = 60,
                 stop=None) -> LoadResult:
    """GET `url` (loopback only) `requests` times from `concurrency` threads.

    Stops by itself after `requests` requests or `max_seconds`, whichever comes
    first (or earlier when the `stop` event is set); counts every answer.
    """
    import threading
    import urllib.error
    import urllib.request
    from collections import Counter
    from urllib.parse import urlparse

    assert urlparse(url).hostname in ("127.0.0.1", "localhost"), "load goes to loopback only"
    statuses: Counter = Counter()
    served_by: Counter = Counter()
    lock = threading.Lock()
    remaining = [requests]
    deadline = time.monotonic() + max_seconds
    started = time.monotonic()

    def worker():
        while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
            with lock:
                if remaining[0] <= 0:
                    return
                remaining[0] -= 1
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    resp.read()
                    status, by = resp.status, resp.headers.get("X-Served-By", "?")
            except urllib.error.HTTPError as err:
                status, by = err.code, err.headers.get("X-Served-By", "?")
            except OSError:
                status, by = 0, "-"
            with lock:
                statuses[status] += 1
                served_by[by] += 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max_seconds + 15)
    return LoadResult(dict(statuses), dict(served_by), time.monotonic() - started)


@pytest.fixture
def load():
    return bounded_load
