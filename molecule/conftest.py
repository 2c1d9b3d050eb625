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
                 headers: dict[str, str] | None = None, insecure: bool = False,
                 timeout: int = 10, extra: list[str] | None = None) -> HttpResponse:
    """Send one request with curl *inside* the container and parse the answer."""
    args = ["curl", "-sS", "-o", "/dev/stdout", "-D", "/dev/stderr", "-X", method,
            "--max-time", str(timeout)]
    if insecure:
        args.append("-k")
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
