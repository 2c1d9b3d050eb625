"""Web process: `gunicorn jobs.web:app`; CLI: `flask --app 'jobs.web:create_app()'`."""

from __future__ import annotations

import os

import click
from flask import Flask, jsonify


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/jobs")
    def enqueue():
        from redis import Redis
        from rq import Queue

        from jobs.tasks import add

        job = Queue("jobs", connection=Redis.from_url(os.environ["REDIS_URL"])).enqueue(add, 2, 3)
        return jsonify(id=job.id), 202

    @app.get("/")
    def index():
        return jsonify(release=os.environ.get("RELEASE_ID", ""))

    @app.cli.command("db-init")
    def db_init() -> None:
        """Release step 1 (a real app would migrate here)."""
        click.echo("db-init ok")

    jobs = click.Group("jobs")

    @jobs.command("check")
    def check() -> None:
        """Release step 2."""
        click.echo("jobs ok")

    app.cli.add_command(jobs)
    return app


app = create_app()
