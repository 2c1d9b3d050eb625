"""Web process: `gunicorn jobs.web:app`; CLI: `flask --app 'jobs.web:create_app()'`."""

from __future__ import annotations

import os
import uuid

import click
import psycopg
from flask import Flask, abort, jsonify, request


def create_app() -> Flask:
    app = Flask(__name__)

    @app.post("/jobs")
    def enqueue():
        from redis import Redis
        from rq import Queue

        from jobs.tasks import add

        job_id = uuid.uuid4().hex
        seconds = min(float(request.args.get("seconds", 0)), 30)
        Queue("jobs", connection=Redis.from_url(os.environ["REDIS_URL"])).enqueue(
            add, job_id, 2, 3, seconds, job_id=job_id, job_timeout=60)
        return jsonify(id=job_id), 202

    @app.get("/jobs/<job_id>")
    def result(job_id: str):
        with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
            row = conn.execute("SELECT value, release, worker FROM results WHERE job_id = %s", (job_id,)).fetchone()
        if row is None:
            abort(404)
        return jsonify(value=row[0], release=row[1], worker=row[2])

    @app.get("/")
    def index():
        return jsonify(release=os.environ.get("RELEASE_ID", ""))

    @app.cli.command("db-init")
    def db_init() -> None:
        """Release step 1: the results table (a real app would migrate here)."""
        if not os.environ.get("DATABASE_URL"):
            click.echo("db-init ok (no DATABASE_URL: nothing to create)")
            return
        with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS results (job_id text PRIMARY KEY, value integer NOT NULL, "
                         "release text NOT NULL, worker text NOT NULL, done_at timestamptz NOT NULL DEFAULT now())")
        click.echo("db-init ok")

    jobs = click.Group("jobs")

    @jobs.command("check")
    def check() -> None:
        """Release step 2."""
        click.echo("jobs ok")

    app.cli.add_command(jobs)
    return app


app = create_app()
