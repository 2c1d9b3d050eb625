"""Elastic Beanstalk style: the WSGI callable is `application` in application.py."""

from __future__ import annotations

import os

from flask import Flask

application = Flask(__name__)


@application.get("/")
def index():
    return ('<!doctype html><title>beanstalk</title><link rel="stylesheet" href="/static/style.css">'
            f'<p>beanstalk app, release {os.environ.get("RELEASE_ID", "")}</p>')


@application.get("/banner")
def banner():
    # Read relative to the working directory on purpose: it must be the release's code directory.
    with open("static/banner.txt", encoding="utf-8") as handle:
        return {"banner": handle.read().strip(), "cwd": os.getcwd(), "release": os.environ.get("RELEASE_ID", "")}


if __name__ == "__main__":
    application.run()
