"""Factory-style app: `gunicorn 'main:create_app()'`, `flask --app main db upgrade`."""

from __future__ import annotations

import os

import click
import docopt
from flask import Flask, jsonify
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

db = SQLAlchemy()
migrate = Migrate()  # migrations/ relative to the working directory (Flask-Migrate's default)


class Note(db.Model):
    __tablename__ = "notes"
    id = db.Column(db.Integer, primary_key=True)
    text = db.Column(db.String(200), nullable=False)


def database_url() -> str:
    """The platform's plain postgresql:// URL, with the psycopg 3 driver this app ships."""
    url = os.environ.get("DATABASE_URL", "sqlite:///:memory:")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url()
    app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY", "dev")
    app.config["JWT_SECRET_KEY"] = os.environ.get("JWT_SECRET_KEY", "")
    db.init_app(app)
    migrate.init_app(app, db)

    @app.get("/")
    def index():
        return jsonify(notes=[n.text for n in db.session.scalars(db.select(Note).order_by(Note.id))],
                       release=os.environ.get("RELEASE_ID", ""), docopt=docopt.__version__,
                       jwt_configured=bool(app.config["JWT_SECRET_KEY"]))

    db_custom = click.Group("db-custom", help="App-specific data commands.")

    @db_custom.command("seed")
    def seed() -> None:
        """Insert the example notes once."""
        if db.session.scalar(db.select(db.func.count()).select_from(Note)) == 0:
            db.session.add_all([Note(text="first"), Note(text="second")])
            db.session.commit()
        click.echo("seeded")

    app.cli.add_command(db_custom)
    return app
