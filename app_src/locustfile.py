"""Load profile for the bookshelf API: realistic users, weighted tasks.

Each simulated user registers and logs in once, then mostly browses, and
sometimes creates, renames and deletes its own books. Importing this file has
no side effects; locust drives it, for example (local target only):

    locust -f app_src/locustfile.py --host http://127.0.0.1:8000 \\
        --headless --users 50 --spawn-rate 10 --run-time 60s

Think time: LOCUST_WAIT="min,max" (seconds, default "0.5,2.0").

Signed-in users: with LOCUST_ACCOUNTS=<file> (a JSON list of {"email",
"password", "token"}, e.g. written by bench/run.py) each user takes the next
account of the file and starts with its token instead of registering, so a
measurement shows the steady state of that many signed-in users rather than a
sign-up storm (each sign-up or login costs one Argon2id hash, ~45 ms of CPU). The
login task still runs at its weight. Registration answers 202 whether or not the
email already had an account, so only the login that follows tells.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import uuid
from pathlib import Path

from locust import HttpUser, between, task

PASSWORD = "locust-password-1"
PER_PAGE = 20


_accounts: list[dict[str, str]] | None = None
_next_account = itertools.count()


def next_account() -> dict[str, str] | None:
    """The next prepared account from LOCUST_ACCOUNTS, or None without that file."""
    global _accounts
    path = os.environ.get("LOCUST_ACCOUNTS")
    if not path:
        return None
    if _accounts is None:
        _accounts = json.loads(Path(path).read_text(encoding="utf-8"))
        if not _accounts:
            raise ValueError(f"LOCUST_ACCOUNTS={path} holds no accounts")
    return _accounts[next(_next_account) % len(_accounts)]


def think_time() -> tuple[float, float]:
    """Seconds a user waits between tasks: 0.5-2 s, or LOCUST_WAIT="min,max"."""
    raw = os.environ.get("LOCUST_WAIT", "0.5,2.0")
    try:
        low, high = (float(part) for part in raw.split(","))
    except ValueError:
        raise ValueError(f'LOCUST_WAIT={raw!r}: expected "min,max" in seconds, e.g. "0.5,2.0"') from None
    if not 0 <= low <= high:
        raise ValueError(f"LOCUST_WAIT={raw!r}: need 0 <= min <= max")
    return low, high


class BookshelfUser(HttpUser):
    wait_time = between(*think_time())

    def on_start(self) -> None:
        self.own_books: list[int] = []
        self.seen_books: list[int] = []
        self.headers: dict[str, str] = {}
        account = next_account()
        if account is not None:
            self.email, self.password = account["email"], account["password"]
            self.headers = {"Authorization": f"Bearer {account['token']}"}
            return
        self.email, self.password = f"locust-{uuid.uuid4().hex}@bookshelf.test", PASSWORD
        self.client.post(
            "/auth/register",
            json={"email": self.email, "password": self.password},
            name="/auth/register",
        )
        self.login()

    @task(1)
    def login(self) -> None:
        response = self.client.post(
            "/auth/login", json={"email": self.email, "password": self.password}, name="/auth/login"
        )
        if response.status_code == 200:
            self.headers = {"Authorization": f"Bearer {response.json()['token']}"}

    @task(10)
    def list_books(self) -> None:
        page = random.randint(1, 5)
        response = self.client.get(f"/books/?page={page}&per_page={PER_PAGE}", name="/books/")
        if response.status_code == 200:
            self.seen_books = [book["id"] for book in response.json()["items"]]

    @task(5)
    def view_book(self) -> None:
        if not self.seen_books:
            return
        book_id = random.choice(self.seen_books)
        with self.client.get(
            f"/books/{book_id}", name="/books/[id]", catch_response=True
        ) as response:
            if response.status_code == 404:  # deleted by its owner meanwhile
                response.success()

    @task(3)
    def create_book(self) -> None:
        response = self.client.post(
            "/books/",
            json={"title": f"Load test {uuid.uuid4().hex[:8]}"},
            headers=self.headers,
            name="/books/ [create]",
        )
        if response.status_code == 201:
            self.own_books.append(response.json()["id"])

    @task(2)
    def update_book(self) -> None:
        if not self.own_books:
            return
        book_id = random.choice(self.own_books)
        self.client.put(
            f"/books/{book_id}",
            json={"title": f"Renamed {uuid.uuid4().hex[:8]}"},
            headers=self.headers,
            name="/books/[id] [update]",
        )

    @task(1)
    def delete_book(self) -> None:
        if not self.own_books:
            return
        book_id = self.own_books.pop(random.randrange(len(self.own_books)))
        self.client.delete(f"/books/{book_id}", headers=self.headers, name="/books/[id] [delete]")
