#!/usr/bin/python3
"""Tiny stand-in for one gunicorn instance: says which instance answered.

Usage: stub-upstream.py PORT (binds 127.0.0.1:PORT). Every path answers 200
with the instance name in the body and the X-Upstream header, plus the app's
identity headers (X-Served-By, X-Release-Id) for nginx to hide or pass; request
bodies are read and discarded; the request id nginx passed is echoed back.
"""

import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(sys.argv[1])
NAME = f"stub-{PORT}"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = f"{NAME} {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Upstream", NAME)
        self.send_header("X-Served-By", NAME)
        self.send_header("X-Release-Id", "stub-release")
        self.send_header("X-Seen-Request-Id", self.headers.get("X-Request-ID", ""))
        self.send_header("X-Seen-Forwarded-Proto", self.headers.get("X-Forwarded-Proto", ""))
        self.send_header("X-Seen-Forwarded-For", self.headers.get("X-Forwarded-For", ""))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, *args) -> None:  # keep the journal quiet
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
