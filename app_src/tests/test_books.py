"""The books API: public reads, owner-only writes (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


def add_books(client: FlaskClient, headers: dict[str, str], count: int) -> None:
    for number in range(count):
        response = client.post("/books/", json={"title": f"Book {number}"}, headers=headers)
        assert response.status_code == 201


@pytest.mark.parametrize("path", ["/books", "/books/"])
def test_list_answers_with_and_without_trailing_slash(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json["items"] == []


def test_create_without_trailing_slash_is_not_redirected(
    client: FlaskClient, owner: dict[str, str]
) -> None:
    response = client.post("/books", json={"title": "Emma"}, headers=owner)
    assert response.status_code == 201


def test_list_is_public_and_returns_page_metadata(
    client: FlaskClient, owner: dict[str, str]
) -> None:
    add_books(client, owner, 3)
    body = client.get("/books/?page=1&per_page=2").json
    assert [book["title"] for book in body["items"]] == ["Book 0", "Book 1"]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 2, 3, 2)


def test_second_page_continues_where_the_first_ended(
    client: FlaskClient, owner: dict[str, str]
) -> None:
    add_books(client, owner, 3)
    body = client.get("/books/?page=2&per_page=2").json
    assert [book["title"] for book in body["items"]] == ["Book 2"]


def test_page_past_the_end_is_empty_not_an_error(client: FlaskClient) -> None:
    response = client.get("/books/?page=50")
    assert response.status_code == 200
    assert response.json["items"] == []


def test_per_page_is_capped_at_100(client: FlaskClient) -> None:
    assert client.get("/books/?per_page=5000").json["per_page"] == 100


@pytest.mark.parametrize(("name", "value"), [("page", "0"), ("page", "two"), ("per_page", "-1")])
def test_invalid_paging_parameter_returns_422_naming_it(
    client: FlaskClient, name: str, value: str
) -> None:
    response = client.get(f"/books/?{name}={value}")
    assert response.status_code == 422
    assert response.json["detail"]["field"] == name


def test_create_returns_201_with_id_title_and_owner(
    client: FlaskClient, owner: dict[str, str]
) -> None:
    response = client.post("/books/", json={"title": "  Emma  "}, headers=owner)
    assert response.status_code == 201
    assert response.json["title"] == "Emma"
    assert isinstance(response.json["id"], int) and isinstance(response.json["owner_id"], int)


@pytest.mark.parametrize(
    "body",
    [{}, {"title": ""}, {"title": "   "}, {"title": 42}, {"title": "x" * 201}],
    ids=["missing", "empty", "blank", "not-a-string", "too-long"],
)
def test_invalid_title_returns_422_naming_title(
    client: FlaskClient, owner: dict[str, str], body: dict[str, Any]
) -> None:
    response = client.post("/books/", json=body, headers=owner)
    assert response.status_code == 422
    assert response.json["detail"]["field"] == "title"


def test_get_returns_the_book(client: FlaskClient, book: dict[str, Any]) -> None:
    response = client.get(f"/books/{book['id']}")
    assert response.status_code == 200
    assert response.json == book


def test_get_unknown_id_returns_404(client: FlaskClient) -> None:
    response = client.get("/books/424242")
    assert response.status_code == 404
    assert response.json["error"] == "not_found"


def test_owner_can_update_the_title(
    client: FlaskClient, owner: dict[str, str], book: dict[str, Any]
) -> None:
    response = client.put(f"/books/{book['id']}", json={"title": "Dune Messiah"}, headers=owner)
    assert response.status_code == 200
    assert client.get(f"/books/{book['id']}").json["title"] == "Dune Messiah"


def test_update_by_someone_else_returns_403_and_changes_nothing(
    client: FlaskClient, stranger: dict[str, str], book: dict[str, Any]
) -> None:
    response = client.put(f"/books/{book['id']}", json={"title": "Mine now"}, headers=stranger)
    assert response.status_code == 403
    assert client.get(f"/books/{book['id']}").json["title"] == book["title"]


def test_update_unknown_id_returns_404(client: FlaskClient, owner: dict[str, str]) -> None:
    response = client.put("/books/424242", json={"title": "Ghost"}, headers=owner)
    assert response.status_code == 404


def test_update_without_token_returns_401(client: FlaskClient, book: dict[str, Any]) -> None:
    assert client.put(f"/books/{book['id']}", json={"title": "x"}).status_code == 401


def test_owner_can_delete_the_book(
    client: FlaskClient, owner: dict[str, str], book: dict[str, Any]
) -> None:
    response = client.delete(f"/books/{book['id']}", headers=owner)
    assert response.status_code == 204
    assert client.get(f"/books/{book['id']}").status_code == 404


def test_delete_by_someone_else_returns_403_and_keeps_the_book(
    client: FlaskClient, stranger: dict[str, str], book: dict[str, Any]
) -> None:
    assert client.delete(f"/books/{book['id']}", headers=stranger).status_code == 403
    assert client.get(f"/books/{book['id']}").status_code == 200
