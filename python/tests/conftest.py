"""Shared helpers of the package's test suite: a server on a free port in a
thread (ours or CPython's wsgiref), and a plain HTTP client that returns
the exact bytes."""

import contextlib
import os
import socket
import sys
import threading
import wsgiref.simple_server

import pytest

import wsgiref_rs

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
# The Flask and Django applications of the Rust tests (tests/python/).
APPS = os.path.join(ROOT, "tests", "python")
DJANGO_PROJECT = os.path.join(APPS, "django_project")
for folder in (APPS, DJANGO_PROJECT):
    if folder not in sys.path:
        sys.path.insert(0, folder)


class QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(app, cpython=False, **limits):
    """Serve ``app`` on 127.0.0.1 and a free port, ours or (``cpython``)
    CPython's wsgiref, from a thread; yields the server."""
    if cpython:
        server = wsgiref.simple_server.make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    else:
        server = wsgiref_rs.make_server("127.0.0.1", 0, app, **limits)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
        assert not thread.is_alive()


def exchange(port, raw, timeout=10.0):
    """Send ``raw`` to 127.0.0.1:``port``, half-close, and return every
    byte received until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def split_response(raw):
    """``(status_line, headers dict with lower-case names, body)`` of a
    response with a ``Content-Length`` or none (read to close)."""
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding") == "chunked":
        body = dechunk(body)
    return lines[0], headers, body


def dechunk(body):
    out = b""
    while True:
        size_line, _, rest = body.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out += rest[:size]
        body = rest[size + 2 :]


def request(method, target, headers=(), body=b"", version="HTTP/1.1"):
    """The bytes of a request, with Host and Content-Length."""
    lines = ["%s %s %s" % (method, target, version), "Host: 127.0.0.1"]
    lines += ["%s: %s" % pair for pair in headers]
    if body or method in ("POST", "PUT"):
        lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@pytest.fixture
def hello_app():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"Hello, world!"]

    return app
