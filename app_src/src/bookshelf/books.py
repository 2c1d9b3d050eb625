"""The books API: public reads, owner-only writes."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from .auth import current_user, login_required
from .extensions import db
from .models import TITLE_MAX_LENGTH, Book
from .validation import json_body, positive_int_arg, text_field

bp = Blueprint("books", __name__, url_prefix="/books")

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100


def _book_or_404(book_id: int) -> Book:
    book = db.session.get(Book, book_id)
    if book is None:
        raise NotFound(f"No book with id {book_id}.")
    return book


def _owned_book(book_id: int) -> Book:
    book = _book_or_404(book_id)
    if book.owner_id != current_user().id:
        raise Forbidden("Only the owner of a book may change it.")
    return book


@bp.get("/")
def list_books() -> Response:
    page = positive_int_arg(request.args, "page", 1)
    per_page = min(positive_int_arg(request.args, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    result = db.paginate(
        select(Book).order_by(Book.id), page=page, per_page=per_page, error_out=False
    )
    return jsonify(
        {
            "items": [book.to_dict() for book in result.items],
            "page": page,
            "per_page": per_page,
            "total": result.total,
            "pages": result.pages,
        }
    )


@bp.post("/")
@login_required
def create_book() -> tuple[Response, int]:
    title = text_field(json_body(), "title", TITLE_MAX_LENGTH)
    book = Book(title=title, owner_id=current_user().id)
    db.session.add(book)
    db.session.commit()
    return jsonify(book.to_dict()), 201


@bp.get("/<int:book_id>")
def get_book(book_id: int) -> Response:
    return jsonify(_book_or_404(book_id).to_dict())


@bp.put("/<int:book_id>")
@login_required
def update_book(book_id: int) -> Response:
    book = _owned_book(book_id)
    book.title = text_field(json_body(), "title", TITLE_MAX_LENGTH)
    db.session.commit()
    return jsonify(book.to_dict())


@bp.delete("/<int:book_id>")
@login_required
def delete_book(book_id: int) -> tuple[str, int]:
    db.session.delete(_owned_book(book_id))
    db.session.commit()
    return "", 204
