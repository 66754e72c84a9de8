"""wsgiref_rs: CPython's ``wsgiref.simple_server``, served by Rust.

A drop-in ``make_server`` (PEP 3333, the server of ``wsgiref``) whose
requests are read, checked and answered by the Rust crate ``wsgiref``, with
a pool of worker threads, limits and timeouts, while the application runs
in this interpreter::

    from wsgiref_rs import make_server

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"Hello world!"]

    with make_server("127.0.0.1", 8000, app) as httpd:
        httpd.serve_forever()

``python -m wsgiref_rs myapp:app`` runs the ``wsgiref`` command (a
development server), and ``wsgiref_rs.testing`` is a single-request
harness for tests.

What differs from ``wsgiref.simple_server.WSGIServer`` on purpose:

- Requests are handled by Rust worker threads, so ``handler_class`` (a
  ``BaseHTTPRequestHandler``) cannot be given, and the per-request hooks of
  ``socketserver`` (``get_request``, ``verify_request``,
  ``process_request``, ``finish_request``, ``handle_error``,
  ``service_actions``) are not called: overriding them has no effect.
- The socket is bound in ``__init__`` (``bind_and_activate=False`` is
  refused), with ``SO_REUSEADDR`` as on every Rust listener on Unix.
- The application runs on a worker thread, not on the thread that calls
  ``serve_forever``; several requests may run at once (``max_threads``).
- The access log goes to stderr through the Rust logger, in the same
  format as ``WSGIRequestHandler.log_message``; ``RUST_LOG=warn`` silences
  it. It is set up once per process.
"""

import os
import selectors
import socket
import time
from wsgiref.simple_server import demo_app

from wsgiref_rs import _native

__version__ = _native.__version__
__all__ = ["WSGIServer", "make_server", "demo_app"]

#: The server's limits, keyword arguments of ``make_server`` and
#: ``WSGIServer`` (the fields of the Rust ``wsgiref::ServerConfig``;
#: durations in seconds).
CONFIG_NAMES = tuple(_native.CONFIG_NAMES)


class WSGIServer:
    """A WSGI server bound to ``server_address``, as
    ``wsgiref.simple_server.WSGIServer``: ``serve_forever``,
    ``handle_request`` (with ``timeout`` and ``handle_timeout``),
    ``shutdown``, ``server_close``, ``set_app``/``get_app``,
    ``server_address``, ``server_name``, ``server_port``, ``socket``,
    ``fileno()``, and use as a context manager.

    ``limits`` are the server's limits by name (``CONFIG_NAMES``), such as
    ``max_body_bytes=1_000_000`` or ``head_timeout=5.0``.
    """

    #: Seconds ``handle_request`` waits for a connection (None: forever),
    #: as ``socketserver.BaseServer.timeout``.
    timeout = None
    application = None

    def __init__(self, server_address, RequestHandlerClass=None, bind_and_activate=True, **limits):
        if RequestHandlerClass is not None:
            raise TypeError(
                "wsgiref_rs.WSGIServer takes no request handler class: requests are "
                "handled in Rust (set RUST_LOG=warn to silence the access log)"
            )
        if not bind_and_activate:
            raise TypeError("wsgiref_rs.WSGIServer binds in __init__: bind_and_activate=False is not supported")
        host, port = server_address[:2]
        self._native = _native.Server(host, port, **limits)
        self.server_address = self._native.server_address
        self.server_name = socket.getfqdn(self.server_address[0])
        self.server_port = self.server_address[1]
        # For code that reads httpd.socket (getsockname, fileno): a socket
        # object on a duplicate of the listening descriptor, so closing one
        # does not close the other under the Rust server.
        self.socket = socket.socket(fileno=os.dup(self._native.fileno()))

    def set_app(self, application):
        """Serve ``application`` (a WSGI callable) from the next request on."""
        self._native.set_app(application)
        self.application = application

    def get_app(self):
        return self.application

    def fileno(self):
        """The listening socket's descriptor, for ``selectors``."""
        return self._native.fileno()

    def serve_forever(self, poll_interval=0.5):
        """Handle requests until ``shutdown()``. On the main thread, Ctrl-C
        raises ``KeyboardInterrupt`` out of it (after requests in flight
        finish, up to ``shutdown_grace``); the GIL is free meanwhile."""
        self._native.serve_forever(poll_interval)

    def shutdown(self):
        """Stop ``serve_forever`` from another thread and wait until it has
        returned. Unlike CPython's, it does not hang when nothing serves."""
        self._native.shutdown()

    def handle_request(self):
        """Handle one request. Waits at most ``timeout`` seconds (or the
        socket's timeout, the smaller) for a connection, and calls
        ``handle_timeout()`` when none came, as
        ``socketserver.BaseServer.handle_request``."""
        timeout = self.socket.gettimeout()
        if timeout is None:
            timeout = self.timeout
        elif self.timeout is not None:
            timeout = min(timeout, self.timeout)
        if timeout is not None:
            deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            while True:
                if selector.select(timeout):
                    return self._native.handle_request()
                if timeout is not None:
                    timeout = deadline - time.monotonic()
                    if timeout < 0:
                        return self.handle_timeout()

    def handle_timeout(self):
        """Called when ``handle_request`` waited ``timeout`` in vain."""

    def server_close(self):
        """Close the listening socket."""
        self._native.server_close()
        self.socket.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.server_close()

    def __repr__(self):
        host, port = self.server_address[:2]
        return "<wsgiref_rs.WSGIServer on %s:%d>" % (host, port)


def make_server(host, port, app, server_class=None, handler_class=None, **limits):
    """Create a server listening on ``host:port`` for ``app``, as
    ``wsgiref.simple_server.make_server``. ``port`` 0 picks a free port
    (see ``server_port``).

    ``server_class`` may be ``WSGIServer`` or a subclass of it (for
    example one that overrides ``handle_timeout``); ``handler_class`` must
    be left out. Both are refused with ``TypeError`` otherwise: requests
    are handled in Rust. ``limits`` are the server's limits by name
    (``CONFIG_NAMES``). Raises ``OSError`` when it cannot listen.
    """
    if server_class is None:
        server_class = WSGIServer
    if not (isinstance(server_class, type) and issubclass(server_class, WSGIServer)):
        raise TypeError(
            "server_class must be wsgiref_rs.WSGIServer or a subclass of it, not %r" % (server_class,)
        )
    if handler_class is not None:
        raise TypeError(
            "wsgiref_rs.make_server takes no handler_class: requests are handled in Rust "
            "(set RUST_LOG=warn to silence the access log)"
        )
    server = server_class((host, port), **limits)
    server.set_app(app)
    return server
