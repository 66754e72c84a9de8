"""CPython's ``test_wsgiref.IntegrationTests``, with ``make_server``
imported from ``wsgiref_rs`` and real sockets instead of a mock one, plus
the rest of ``WSGIServer``'s API: ``shutdown`` from another thread,
``handle_request`` with ``timeout``, ``server_class``/``handler_class``,
``set_app``, the limits as keyword arguments, and Ctrl-C.

Differences from CPython's answers, on purpose: the status line is
``HTTP/1.1`` (CPython's ``HTTP/1.0``), ``Date`` and ``Server`` come first
and ``Connection: close`` is added, and the ``Server`` header names
``wsgiref-rs``. Each test says which it allows."""

import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from http.client import HTTPConnection
from wsgiref.validate import validator

import pytest
import wsgiref.validate

import wsgiref_rs
from conftest import exchange, request, serving, split_response

SERVER_ERROR = b"A server error occurred.  Please contact the administrator."
SOCK_MAX_SIZE = 16 * 1024 * 1024  # test.support.SOCK_MAX_SIZE


def header_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [
        ";".join([environ["HTTP_X_TEST_HEADER"], environ["QUERY_STRING"], environ["PATH_INFO"]]).encode(
            "iso-8859-1"
        )
    ]


def test_plain_hello(hello_app):
    with serving(hello_app) as server:
        raw = exchange(server.server_port, b"GET / HTTP/1.0\r\n\r\n")
    status, headers, body = split_response(raw)
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-type"] == "text/plain"
    assert headers["content-length"] == "13"
    assert headers["server"].startswith("WSGIServer/0.2 wsgiref-rs/")
    assert "date" in headers
    assert body == b"Hello, world!"


def test_environ():
    raw = (
        b"GET /p%61th/?query=test HTTP/1.0\n"
        b"X-Test-Header: Python test \n"
        b"X-Test-Header: Python test 2\n"
        b"Content-Length: 0\n\n"
    )
    with serving(header_app) as server:
        out = exchange(server.server_port, raw)
    assert out.splitlines()[-1] == b"Python test,Python test 2;query=test;/path/"


def test_request_length():
    with serving(header_app) as server:
        out = exchange(server.server_port, b"GET " + (b"x" * 65537) + b" HTTP/1.0\n\n")
    # CPython: "HTTP/1.0 414 Request-URI Too Long" (RFC 2616's name).
    assert out.splitlines()[0] == b"HTTP/1.1 414 URI Too Long"


def test_validated_hello(hello_app):
    with serving(validator(hello_app)) as server:
        out = exchange(server.server_port, b"GET / HTTP/1.0\r\n\r\n")
    status, headers, body = split_response(out)
    assert status == "HTTP/1.1 200 OK"
    # The middleware doesn't support len(), so there is no Content-Length
    # (and an HTTP/1.0 client gets the body up to the close).
    assert "content-length" not in headers
    assert body == b"Hello, world!"


def test_simple_validation_error(capfd):
    def bad_app(environ, start_response):
        start_response("200 OK", ("Content-Type", "text/plain"))
        return ["Hello, world!"]

    with serving(validator(bad_app)) as server:
        out = exchange(server.server_port, b"GET / HTTP/1.0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert out.endswith(SERVER_ERROR)
    err = capfd.readouterr().err
    assert "AssertionError: Headers (('Content-Type', 'text/plain')) must be of type list: <class 'tuple'>" in err


@pytest.mark.filterwarnings("ignore::wsgiref.validate.WSGIWarning")
@pytest.mark.parametrize("status", ["200", "20X OK", "200OK"])
def test_status_validation_errors(capfd, status):
    """CPython's start_response asserts "Status must be at least 4
    characters", "Status message must begin w/3-digit code", "Status
    message must have a space after code"; ours raises AssertionError too,
    with its own message (or the validator raises first)."""

    def bad_app(environ, start_response):
        start_response(status, [("Content-Type", "text/plain; charset=utf-8")])
        return [b"Hello, world!"]

    with serving(validator(bad_app)) as server:
        out = exchange(server.server_port, b"GET / HTTP/1.0\r\n\r\n")
    assert out.endswith(SERVER_ERROR)
    # The validator or our start_response raises; either way the log names
    # the exception and the bad status.
    err = capfd.readouterr().err
    assert re.search(r"raised (AssertionError|ValueError): .*%s" % re.escape(status.split()[0]), err), err


def test_wsgi_input(capfd):
    def bad_app(environ, start_response):
        environ["wsgi.input"].read()  # validator: read() needs exactly one argument
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"data"]

    with serving(validator(bad_app)) as server:
        out = exchange(server.server_port, b"GET / HTTP/1.0\r\n\r\n")
    assert out.endswith(SERVER_ERROR)
    assert "AssertionError" in capfd.readouterr().err


def test_bytes_validation(capfd):
    def app(environ, start_response):
        start_response(
            "200 OK",
            [("Content-Type", "text/plain; charset=utf-8"), ("Date", "Wed, 24 Dec 2008 13:29:32 GMT")],
        )
        return [b"data"]

    with serving(validator(app)) as server:
        out = exchange(server.server_port, b"GET / HTTP/1.0\r\n\r\n")
    status, headers, body = split_response(out)
    assert status == "HTTP/1.1 200 OK"
    assert headers["date"] == "Wed, 24 Dec 2008 13:29:32 GMT"  # the application's, not ours
    assert body == b"data"
    assert '"GET / HTTP/1.0" 200 4\n' in capfd.readouterr().err


def test_cp1252_url():
    """A raw byte 0x80 in the request target: CPython serves it (PATH_INFO
    '/\\x80\\x80'); ours answers 400, since RFC 9112 (section 3.2) allows
    only ASCII there. The percent-encoded form is served as CPython does."""

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain"), ("Date", "Wed, 24 Dec 2008 13:29:32 GMT")])
        # PEP 3333: environ strings are latin-1; encode to get the bytes back.
        return [environ["PATH_INFO"].encode("latin1")]

    with serving(validator(app)) as server:
        raw_byte = exchange(server.server_port, b"GET /\x80%80 HTTP/1.0\r\n\r\n")
        encoded = exchange(server.server_port, b"GET /%80%80 HTTP/1.0\r\n\r\n")
    assert raw_byte.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert encoded.splitlines()[-1] == b"/\x80\x80"


def test_interrupted_write():
    """Every byte is written even when a signal interrupts send(): CPython
    interrupts its main thread with SIGUSR1 while it sends 16 MiB. Here the
    request is handled with handle_request() on the main thread too; its
    Python signal handler runs once handle_request() returns to Python."""

    def app(environ, start_response):
        start_response("200 OK", [])
        return [b"\0" * SOCK_MAX_SIZE]

    server = wsgiref_rs.make_server("127.0.0.1", 0, app)
    interrupted = threading.Event()
    original = signal.signal(signal.SIGUSR1, lambda signum, frame: interrupted.set())
    received = None
    main_thread = threading.get_ident()

    def run_client():
        nonlocal received
        http = HTTPConnection(*server.server_address)
        http.request("GET", "/")
        with http.getresponse() as response:
            response.read(100)
            for _ in range(5):
                signal.pthread_kill(main_thread, signal.SIGUSR1)
                time.sleep(0.02)
            received = len(response.read())
        http.close()

    try:
        background = threading.Thread(target=run_client)
        background.start()
        server.handle_request()
        background.join()
    finally:
        signal.signal(signal.SIGUSR1, original)
        server.server_close()
    assert interrupted.is_set()
    assert received == SOCK_MAX_SIZE - 100


def test_shutdown_from_another_thread(hello_app):
    server = wsgiref_rs.make_server("127.0.0.1", 0, hello_app)
    with server:
        thread = threading.Thread(target=server.serve_forever)
        thread.start()
        assert exchange(server.server_port, b"GET / HTTP/1.0\r\n\r\n").endswith(b"Hello, world!")
        started = time.monotonic()
        server.shutdown()
        thread.join(5)
        assert not thread.is_alive()
        assert time.monotonic() - started < 2
    # server_close (by the with block): nothing listens any more.
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.server_port), timeout=2)


def test_shutdown_when_not_serving_does_not_hang(hello_app):
    with wsgiref_rs.make_server("127.0.0.1", 0, hello_app) as server:
        server.shutdown()


def test_handle_request_with_timeout_calls_handle_timeout(hello_app):
    class Server(wsgiref_rs.WSGIServer):
        timeouts = 0

        def handle_timeout(self):
            self.timeouts += 1

    with wsgiref_rs.make_server("127.0.0.1", 0, hello_app, server_class=Server) as server:
        server.timeout = 0.2
        started = time.monotonic()
        server.handle_request()
        waited = time.monotonic() - started
        assert server.timeouts == 1
        assert 0.15 < waited < 2
        # A request within the timeout is handled, and handle_timeout is not called.
        client = threading.Thread(target=exchange, args=(server.server_port, b"GET / HTTP/1.0\r\n\r\n"))
        client.start()
        server.handle_request()
        client.join()
        assert server.timeouts == 1


def test_server_attributes_and_set_app(hello_app):
    with wsgiref_rs.make_server("127.0.0.1", 0, hello_app) as server:
        host, port = server.server_address
        assert host == "127.0.0.1" and port == server.server_port != 0
        assert server.socket.getsockname() == ("127.0.0.1", port)
        assert server.get_app() is hello_app
        assert isinstance(server.server_name, str) and server.server_name

        def other(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"other"]

        server.set_app(other)
        assert server.get_app() is other
        client = threading.Thread(target=exchange, args=(port, b"GET / HTTP/1.0\r\n\r\n"))
        client.start()
        server.handle_request()
        client.join()


def test_class_arguments_are_refused_with_a_clear_type_error(hello_app):
    import wsgiref.simple_server

    with pytest.raises(TypeError, match="handler_class"):
        wsgiref_rs.make_server("127.0.0.1", 0, hello_app, handler_class=wsgiref.simple_server.WSGIRequestHandler)
    with pytest.raises(TypeError, match="server_class"):
        wsgiref_rs.make_server("127.0.0.1", 0, hello_app, server_class=wsgiref.simple_server.WSGIServer)
    with pytest.raises(TypeError, match="bind_and_activate"):
        wsgiref_rs.WSGIServer(("127.0.0.1", 0), bind_and_activate=False)
    with pytest.raises(TypeError, match='unexpected keyword argument "max_bodybytes"'):
        wsgiref_rs.make_server("127.0.0.1", 0, hello_app, max_bodybytes=10)
    with pytest.raises(TypeError, match="callable"):
        wsgiref_rs.make_server("127.0.0.1", 0, "not an app")


def test_limits_are_keyword_arguments(hello_app):
    with serving(hello_app, max_body_bytes=10, max_header_count=5) as server:
        too_big = exchange(server.server_port, request("POST", "/", body=b"x" * 11))
        too_many = exchange(server.server_port, request("GET", "/", headers=[("X-%d" % n, "1") for n in range(6)]))
        fine = exchange(server.server_port, request("POST", "/", body=b"x" * 10))
    assert too_big.startswith(b"HTTP/1.1 413 ")
    assert too_many.startswith(b"HTTP/1.1 431 ")
    assert fine.startswith(b"HTTP/1.1 200 ")


def test_port_in_use_raises_oserror(hello_app):
    with wsgiref_rs.make_server("127.0.0.1", 0, hello_app) as server:
        with pytest.raises(OSError, match="cannot listen"):
            wsgiref_rs.make_server("127.0.0.1", server.server_port, hello_app)


def run_script(script):
    """Run ``script`` in a new interpreter; the process and the port it
    prints on its first line."""
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return child, int(child.stdout.readline())


CTRL_C_SCRIPT = textwrap.dedent(
    """
    import socket, sys, wsgiref_rs

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    httpd = wsgiref_rs.make_server("127.0.0.1", 0, app)
    port = httpd.server_port
    print(port, flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
    httpd.server_close()
    again = wsgiref_rs.make_server("127.0.0.1", port, app)  # the port is free
    print("bound again", flush=True)
    """
)


def test_ctrl_c_raises_keyboard_interrupt_out_of_serve_forever_and_frees_the_port():
    child, port = run_script(CTRL_C_SCRIPT)
    try:
        assert exchange(port, b"GET / HTTP/1.0\r\n\r\n").endswith(b"ok")
        started = time.monotonic()
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=10)
    finally:
        child.kill()
    assert time.monotonic() - started < 3
    assert out.splitlines() == ["KeyboardInterrupt", "bound again"], err
    assert child.returncode == 0, err


STREAM_SCRIPT = textwrap.dedent(
    """
    import time, wsgiref_rs

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        for _ in range(600):
            yield b"tick\\n"
            time.sleep(0.1)

    httpd = wsgiref_rs.make_server("127.0.0.1", 0, app, shutdown_grace=30)
    print(httpd.server_port, flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        print("KeyboardInterrupt", flush=True)
    """
)


def test_a_second_ctrl_c_does_not_wait_for_requests_in_flight():
    """The first Ctrl-C stops accepting and waits for a streaming response
    (up to shutdown_grace, 30 s here); the second raises at once."""
    child, port = run_script(STREAM_SCRIPT)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as held:
            held.sendall(b"GET / HTTP/1.0\r\n\r\n")
            assert b"tick" in held.recv(4096)
            child.send_signal(signal.SIGINT)
            time.sleep(0.5)
            assert child.poll() is None, "the first Ctrl-C waits for the stream"
            started = time.monotonic()
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=10)
    finally:
        child.kill()
    assert time.monotonic() - started < 2
    assert out.splitlines() == ["KeyboardInterrupt"], err
