"""Smoke check of a deployed stack through nginx: health, then a real API flow.

Usage: python3 scripts/demo_smoke.py http://127.0.0.1:8080
       python3 scripts/demo_smoke.py --any-app http://127.0.0.1:8080   (make demo APP=...: / answers below 500)
Only talks to the URL given (the lab publishes nginx on loopback only).
"""

from __future__ import annotations

import json
import sys
import uuid
import urllib.error
import urllib.request


def call(base: str, method: str, path: str, body: dict | None = None, token: str | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, (json.loads(raw) if raw else None), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null"), dict(err.headers)


def expect(what: str, status: int, wanted: int) -> None:
    if status != wanted:
        raise SystemExit(f"smoke: {what} answered {status}, expected {wanted}")


def main(base: str) -> None:
    status, health, _ = call(base, "GET", "/healthz")
    expect("GET /healthz", status, 200)
    if health.get("db") != "ok":
        raise SystemExit(f"smoke: /healthz says db={health.get('db')!r}")
    email, password = f"smoke-{uuid.uuid4().hex[:8]}@example.com", uuid.uuid4().hex
    expect("register", call(base, "POST", "/auth/register", {"email": email, "password": password})[0], 202)
    status, login, _ = call(base, "POST", "/auth/login", {"email": email, "password": password})
    expect("login", status, 200)
    status, book, _ = call(base, "POST", "/books/", {"title": "Smoke test"}, login["token"])
    expect("create book", status, 201)
    expect("read book", call(base, "GET", f"/books/{book['id']}")[0], 200)
    expect("delete book", call(base, "DELETE", f"/books/{book['id']}", token=login["token"])[0], 204)
    print(f"smoke: /healthz ok (release {health.get('release')}), register/login/create/read/delete ok")


def any_app(base: str) -> None:
    """Another app than the reference one: nginx reaches it and it does not fail at /."""
    try:
        with urllib.request.urlopen(base + "/", timeout=10) as resp:
            status = resp.status
    except urllib.error.HTTPError as err:
        status = err.code
    if status >= 500:
        raise SystemExit(f"smoke: GET / answered {status} through nginx")
    print(f"smoke: GET / answered {status} through nginx")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--any-app"]
    url = args[0] if args else "http://127.0.0.1:8080"
    any_app(url) if "--any-app" in sys.argv[1:] else main(url)
