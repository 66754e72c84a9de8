"""``wsgiref_rs.testing``: ``run`` (no socket, the validator on by
default) and ``serve_once`` (one real request over loopback) agree on the
same application, and each does what its docs say."""

import json

import pytest

from conftest import request, split_response
from wsgiref_rs.testing import Response, run, serve_once


def echo_app(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    reply = json.dumps(
        {
            "method": environ["REQUEST_METHOD"],
            "path": environ["PATH_INFO"],
            "query": environ["QUERY_STRING"],
            "x_token": environ.get("HTTP_X_TOKEN"),
            "body": body.decode("latin-1"),
        }
    ).encode()
    environ["wsgi.errors"].write("echoed %d bytes\n" % len(body))
    start_response("201 Created", [("Content-Type", "application/json; charset=utf-8")])
    return [reply]


CASES = [
    ("GET", "/a/b?x=1&y=%20", [], b""),
    ("POST", "/submit", [("X-Token", "t0k")], b"name=Ann&age=7"),
    ("PUT", "/put", [("Content-Type", "text/plain")], "héllo".encode("utf-8")),
    ("DELETE", "/thing/3", [], b""),
]


@pytest.mark.parametrize("method, target, headers, body", CASES)
def test_serve_once_and_run_agree(method, target, headers, body):
    by_run = run(echo_app, method, target, headers=headers, body=body)
    raw = serve_once(echo_app, request(method, target, headers, body))
    status, raw_headers, raw_body = split_response(raw)
    assert status == "HTTP/1.1 " + by_run.status_line
    assert raw_body == by_run.body
    assert raw_headers["content-type"] == by_run.header("Content-Type")
    answer = by_run.json()
    assert (answer["method"], answer["body"]) == (method, body.decode("latin-1"))
    assert by_run.status == 201 and by_run.reason == "Created"
    assert by_run.errors == "echoed %d bytes\n" % len(body)


def test_run_gives_the_body_as_text_with_its_charset():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain; charset=latin-1")])
        return ["café".encode("latin-1")]

    response = run(app, "GET", "/")
    assert isinstance(response, Response)
    assert response.text == "café"
    assert response.headers == [("Content-Type", "text/plain; charset=latin-1"), ("Content-Length", "5")] or (
        response.header("content-type") == "text/plain; charset=latin-1"
    )


def test_run_validates_by_default_and_not_when_asked():
    def bad_app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Connection", "keep-alive")])
        return [b"hop-by-hop header"]

    with pytest.raises(AssertionError, match="(?i)hop"):
        run(bad_app, "GET", "/")
    assert run(bad_app, "GET", "/", validate=False).status == 500


def test_serve_once_gives_the_exact_bytes_of_head_and_errors():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"hello"]

    head = serve_once(app, b"HEAD / HTTP/1.1\r\nHost: t\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert head.endswith(b"\r\n\r\n")  # HEAD: the headers only
    assert b"Content-Length: 5\r\n" in head
    bad = serve_once(app, b"GET / HTTP/1.1\r\n\r\n")  # HTTP/1.1 without Host
    assert bad.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    with pytest.raises(ValueError):
        serve_once(app, b"")
