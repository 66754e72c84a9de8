"""A single-request harness for Python tests, over the Rust server.

``run(app, method, path, ...)`` calls the application once, as the server
would, without a socket (the PEP 3333 validator on by default), and returns
a ``Response``. ``serve_once(app, raw_request)`` serves one real request
over loopback and returns the exact bytes the server sent.

A pytest example::

    from wsgiref_rs.testing import run, serve_once

    def test_hello():
        response = run(app, "GET", "/hello?name=x")
        assert response.status == 200
        assert response.text == "Hello x"

    def test_framing():
        raw = serve_once(app, b"HEAD / HTTP/1.1\\r\\nHost: t\\r\\n\\r\\n")
        assert raw.startswith(b"HTTP/1.1 200 OK\\r\\n")
        assert raw.endswith(b"\\r\\n\\r\\n")  # HEAD: no body
"""

import json as _json
import socket
import threading

from wsgiref_rs import _native, make_server

__all__ = ["Response", "run", "serve_once"]


class Response:
    """What ``run`` returns: ``status`` (int), ``reason``, ``headers`` (a
    list of ``(name, value)``), ``body`` (bytes), and ``errors`` (what the
    application wrote to ``wsgi.errors``)."""

    def __init__(self, status, reason, headers, body, errors):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.errors = errors

    @property
    def status_line(self):
        """``"200 OK"``, as given to ``start_response``."""
        return "%d %s" % (self.status, self.reason)

    def header(self, name):
        """The first value of header ``name`` (any case), or None."""
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None

    @property
    def text(self):
        """The body decoded with the ``Content-Type`` charset (UTF-8 if none)."""
        charset = "utf-8"
        for part in (self.header("Content-Type") or "").split(";")[1:]:
            key, _, value = part.strip().partition("=")
            if key.lower() == "charset" and value:
                charset = value.strip('"')
        return self.body.decode(charset)

    def json(self):
        """The body parsed as JSON."""
        return _json.loads(self.body)

    def __repr__(self):
        return "<Response %s, %d bytes>" % (self.status_line, len(self.body))


def run(app, method="GET", path="/", headers=(), body=b"", validate=True):
    """Call ``app`` once with the request ``method path`` (``path`` may
    have a query string), ``headers`` (pairs) and ``body`` (bytes), as the
    Rust server builds the environ, and return a ``Response``. With
    ``validate``, the PEP 3333 validator checks the environ, the calls to
    ``start_response`` and the body, and raises ``AssertionError`` on the
    first breach, as ``wsgiref.validate`` does."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    status, reason, headers, body, errors = _native.run(app, method, path, list(headers), bytes(body), validate)
    return Response(status, reason, headers, body, errors)


def serve_once(app, raw_request, timeout=30.0):
    """Serve ``raw_request`` (the exact request bytes) with a real server
    on 127.0.0.1 and a free port, and return the exact bytes it answered
    with, up to its close. ``timeout`` (seconds) bounds the wait for the
    answer; ``socket.timeout`` is raised past it."""
    raw_request = bytes(raw_request)
    if not raw_request:
        raise ValueError("serve_once needs a request: a connection without bytes is not one")
    with make_server("127.0.0.1", 0, app) as server:
        received = {}

        def client():
            try:
                with socket.create_connection(server.server_address, timeout=timeout) as sock:
                    try:
                        sock.sendall(raw_request)
                        sock.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass  # answered and closed before reading it all (413, 400): still read the answer
                    chunks = []
                    while True:
                        chunk = sock.recv(65536)
                        if not chunk:
                            break
                        chunks.append(chunk)
                    received["bytes"] = b"".join(chunks)
            except OSError as error:
                received["error"] = error

        thread = threading.Thread(target=client, name="serve_once client")
        thread.start()
        server.timeout = timeout
        server.handle_request()
        thread.join(timeout)
    if "error" in received:
        raise received["error"]
    if "bytes" not in received:
        raise socket.timeout("no answer within %s seconds" % timeout)
    return received["bytes"]
