"""Load profile for the bookshelf API: realistic users, weighted tasks.

Each simulated user registers and logs in once, then mostly browses, and
sometimes creates, renames and deletes its own books. Importing this file has
no side effects; locust drives it, for example (local target only):

    locust -f app_src/locustfile.py --host http://127.0.0.1:8000 \\
        --headless --users 50 --spawn-rate 10 --run-time 60s
"""

from __future__ import annotations

import random
import uuid

from locust import HttpUser, between, task

PASSWORD = "locust-password-1"
PER_PAGE = 20


class BookshelfUser(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.email = f"locust-{uuid.uuid4().hex}@bookshelf.test"
        self.own_books: list[int] = []
        self.seen_books: list[int] = []
        self.headers: dict[str, str] = {}
        self.client.post(
            "/auth/register",
            json={"email": self.email, "password": PASSWORD},
            name="/auth/register",
        )
        self.login()

    @task(1)
    def login(self) -> None:
        response = self.client.post(
            "/auth/login", json={"email": self.email, "password": PASSWORD}, name="/auth/login"
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
