#!/usr/bin/python3
"""Tiny stand-in for one gunicorn instance: says which instance answered.

Usage: stub-upstream.py PORT (binds 127.0.0.1:PORT). Every path answers 200
with the instance name in the body and the X-Upstream header, plus the app's
identity headers (X-Served-By, X-Release-Id) for nginx to hide or pass; request
bodies are read and discarded; the request id nginx passed is echoed back.

Static-cache helpers: paths under /assets/ answer like Flask's static route
(Cache-Control: no-cache, ETag, Last-Modified); `set_cookie=1` in the query adds
a Set-Cookie header; the Cookie header the stub saw is echoed in X-Seen-Cookie;
GET /__hits?<path> (asked directly, not through nginx) returns how many
requests for exactly that path and query this instance answered.
"""

import hashlib
import sys
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Lock
from urllib.parse import urlsplit

PORT = int(sys.argv[1])
NAME = f"stub-{PORT}"
HITS: Counter = Counter()
HITS_LOCK = Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        url = urlsplit(self.path)
        if url.path == "/__hits":
            with HITS_LOCK:
                body = f"{HITS[url.query]}\n".encode()
        else:
            with HITS_LOCK:
                HITS[self.path] += 1
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
        self.send_header("X-Seen-Cookie", self.headers.get("Cookie", ""))
        if url.path.startswith("/assets/"):
            self.send_header("Cache-Control", "no-cache")
            self.send_header("ETag", '"' + hashlib.sha1(url.path.encode()).hexdigest() + '"')
            self.send_header("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
            self.send_header("Vary", "Cookie")
        if "set_cookie=1" in url.query:
            self.send_header("Set-Cookie", "session=stub-secret; HttpOnly; Path=/")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer

    def log_message(self, *args) -> None:  # keep the journal quiet
        pass


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
