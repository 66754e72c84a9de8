"""Bare-function WSGI applications for tests/python.rs: one PEP 3333 point each."""
import sys
from wsgiref.simple_server import demo_app  # noqa: F401  (served as bare_apps:demo_app)


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello world!\n"]


def echo(environ, start_response):
    """Streams the request body back, read with read(size)."""
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    stream = environ["wsgi.input"]

    def chunks():
        while True:
            block = stream.read(4096)
            if not block:
                return
            yield block

    return chunks()


def lines(environ, start_response):
    """Reads the body with readline(), readlines() and iteration; reports what it saw."""
    stream = environ["wsgi.input"]
    first = stream.readline()
    second = stream.readline(3)
    rest = stream.readlines()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [repr((first, second, rest)).encode("ascii")]


def iterate(environ, start_response):
    lines = [line for line in environ["wsgi.input"]]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [repr(lines).encode("ascii")]


def types(environ, start_response):
    """The Python types of the environ values, as one line per key."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    out = []
    for key in sorted(environ):
        value = environ[key]
        if key.startswith("wsgi.") and key not in ("wsgi.input", "wsgi.errors", "wsgi.file_wrapper"):
            out.append("%s %s %r\n" % (key, type(value).__name__, value))
        elif not key.startswith("wsgi."):
            out.append("%s %s\n" % (key, type(value).__name__))
    return ["".join(out).encode("utf-8")]


def path_bytes(environ, start_response):
    """PATH_INFO as bytes again (latin-1), then decoded as UTF-8."""
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [environ["PATH_INFO"].encode("latin-1")]


def str_chunk(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ["not bytes"]


def raises(environ, start_response):
    raise ValueError("boom from Python")


def raises_in_body(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])

    def chunks():
        yield b"first "
        raise RuntimeError("boom in the body")

    return chunks()


def bytes_status(environ, start_response):
    start_response(b"200 OK", [("Content-Type", "text/plain")])
    return [b"never"]


def bad_headers(environ, start_response):
    start_response("200 OK", (("Content-Type", "text/plain"),))
    return [b"never"]


def writer(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written ")
    write(b"by write()\n")
    return []


def errors(environ, start_response):
    errors = environ["wsgi.errors"]
    errors.write("a line for wsgi.errors\n")
    errors.writelines(["two ", "parts\n"])
    errors.flush()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"logged"]


def exc_info_before_headers(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise KeyError("late failure")
    except KeyError:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"replaced"]


def exc_info_after_headers(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"partial")
    try:
        raise KeyError("after the headers")
    except KeyError:
        start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"never"]


def second_call(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"never"]


def lazy(environ, start_response):
    """start_response inside the first iteration (PEP 3333 allows it)."""

    class Body:
        def __iter__(self):
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"lazy "
            yield b"body"

    return Body()


CLOSED = []


class Closing:
    def __init__(self, chunks, fail=False):
        self.chunks = chunks
        self.fail = fail

    def __iter__(self):
        for chunk in self.chunks:
            if self.fail:
                raise RuntimeError("iteration failed")
            yield chunk

    def close(self):
        CLOSED.append(True)


def closing(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return Closing([b"a", b"b"], fail=environ.get("QUERY_STRING") == "fail")


def closed_count(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(len(CLOSED)).encode("ascii")]


def file_wrapper(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return environ["wsgi.file_wrapper"](open(__file__, "rb"), 1024)


def version(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [sys.version.encode("utf-8")]


not_callable = "a string"


def no_content_type(environ, start_response):
    """Breaks a rule that CPython's validator checks (for the harness's own test)."""
    start_response("200 OK", [])
    return [b"no content type"]


STASH = []


def stash(environ, start_response):
    """Keeps the environ past the request (as a reference cycle would)."""
    STASH.append(environ)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"stashed"]


def read_stashed(environ, start_response):
    """Uses an old request's wsgi.input and start_response: they act like closed files."""
    old = STASH.pop()
    outcomes = []
    for attempt in (lambda: old["wsgi.input"].read(), lambda: old["wsgi.errors"].write("late\n")):
        try:
            attempt()
            outcomes.append("ok")
        except ValueError as error:
            outcomes.append("ValueError: %s" % error)
    del old
    start_response("200 OK", [("Content-Type", "text/plain")])
    return ["\n".join(outcomes).encode("utf-8")]


# --- One context per request (tests/python.rs, "context" tests) ---------------

import contextvars
import threading

PROBE = contextvars.ContextVar("probe", default="<unset>")
CLOSE_SAW = []


class _ProbeBody:
    """A response body that reads and changes PROBE in each next() and reads
    it in close(), as Flask's stream_with_context and Django's
    request_finished depend on."""

    def __init__(self, call_saw):
        self.call_saw = call_saw
        self.step = 0

    def __iter__(self):
        return self

    def __next__(self):
        self.step += 1
        if self.step == 1:
            return ("call saw %s\n" % self.call_saw).encode("ascii")
        if self.step > 4:
            raise StopIteration
        saw = PROBE.get()
        PROBE.set("set in next %d" % self.step)
        return ("next %d saw %s\n" % (self.step, saw)).encode("ascii")

    def close(self):
        CLOSE_SAW.append(PROBE.get())


def context_probe(environ, start_response):
    """GET / sets PROBE in the call; GET /?report shows what each close() saw."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    if environ.get("QUERY_STRING") == "report":
        return [("close saw: %s\n" % ", ".join(CLOSE_SAW)).encode("ascii")]
    call_saw = PROBE.get()
    PROBE.set("set in call")
    return _ProbeBody(call_saw)


def context_probe_generator(environ, start_response):
    """The same probe as a generator: its frames run in the caller's context."""
    if environ.get("QUERY_STRING") == "report":
        return context_probe(environ, start_response)
    call_saw = PROBE.get()
    PROBE.set("set in call")
    start_response("200 OK", [("Content-Type", "text/plain")])

    def lines():
        yield ("call saw %s\n" % call_saw).encode("ascii")
        try:
            for step in (2, 3, 4):
                saw = PROBE.get()
                PROBE.set("set in next %d" % step)
                yield ("next %d saw %s\n" % (step, saw)).encode("ascii")
        finally:
            CLOSE_SAW.append(PROBE.get())

    return lines()


LOCAL = threading.local()
COUNTER = contextvars.ContextVar("counter", default=0)


def carry_over(environ, start_response):
    """What one request leaves for the next on the same thread: a
    threading.local counter and a ContextVar counter, both incremented."""
    LOCAL.count = getattr(LOCAL, "count", 0) + 1
    COUNTER.set(COUNTER.get() + 1)
    start_response("200 OK", [("Content-Type", "text/plain")])
    text = "thread %d local %d context %d" % (threading.get_ident(), LOCAL.count, COUNTER.get())
    return [text.encode("ascii")]


# --- Review cases: where close() is looked up, what a cut body frees ---------

LATE_CLOSE = []


class _LateClose:
    """Sets its close() only when iterated: wsgiref looks close up at the end."""

    def __iter__(self):
        self.close = lambda: LATE_CLOSE.append("closed")
        return iter([b"late close\n"])


def late_close(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    if environ.get("QUERY_STRING") == "report":
        return [("close calls: %d\n" % len(LATE_CLOSE)).encode("ascii")]
    return _LateClose()


class _ListIteratorWithBadItem:
    """A list iterator (as Django's HttpResponse gives) whose second item is a str."""

    def __iter__(self):
        return iter([b"first ", "not bytes"])


def list_iterator_bad_item(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return _ListIteratorWithBadItem()


class _OneBlockThenRaises:
    """len() == 1, yet its iterator raises after the first block."""

    def __len__(self):
        return 1

    def __iter__(self):
        yield b"first "
        raise RuntimeError("after the first block")


def one_block_then_raises(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return _OneBlockThenRaises()


CLEANUP = []
STEP = contextvars.ContextVar("step", default=None)


class _Endless:
    """No close(); __iter__ is a generator that sets STEP and resets it in
    its finally, which runs when the server lets the unfinished generator
    go (the client left). Resetting a token needs the context it was made in."""

    def __iter__(self):
        token = STEP.set("streaming")
        try:
            while True:
                yield b"x" * 65536
        finally:
            try:
                STEP.reset(token)
                CLEANUP.append("reset in the request's context")
            except ValueError as error:
                CLEANUP.append("ValueError: %s" % error)


def endless(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    if environ.get("QUERY_STRING") == "report":
        return [("\n".join(CLEANUP) + "\n").encode("ascii")]
    return _Endless()


# --- A worker's thread state lives as long as the worker ---------------------

import os

_WORKER_LOCAL = threading.local()


class _NotesItsEnd:
    """Appends "freed" to $WSGIREF_TEST_FREED when it is freed: when the
    thread state that holds the threading.local it lives in is deleted."""

    def __del__(self):
        path = os.environ.get("WSGIREF_TEST_FREED")
        if path:
            with open(path, "a") as notes:
                notes.write("freed\n")


def thread_state_probe(environ, start_response):
    first = not hasattr(_WORKER_LOCAL, "probe")
    if first:
        _WORKER_LOCAL.probe = _NotesItsEnd()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"stored" if first else b"still there"]


# --- Factories: MODULE:FACTORY(ARGS) --------------------------------------------


def make_app(greeting="Hello", punctuation="!"):
    """An application factory, as Flask's create_app()."""

    def greet(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [(greeting + punctuation).encode("utf-8")]

    return greet


def failing_factory():
    raise RuntimeError("the factory fails")


def factory_of_nothing():
    return None


# --- Callables that take (environ, start_response) in other shapes ----------
# (none of them is refused as "takes no (environ, start_response)")

import functools


class AppClass:
    """A class as the application: its __init__ takes the two arguments."""

    def __init__(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        self.chunks = [b"class"]

    def __iter__(self):
        return iter(self.chunks)


class _CallableApp:
    def __call__(self, environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"instance"]


instance = _CallableApp()


def star_args(*args):
    environ, start_response = args
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"star args"]


def _prefixed(prefix, environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [prefix]


partial = functools.partial(_prefixed, b"partial")


def _as_wsgi(view):
    """A decorator as Werkzeug's Request.application: a one-argument view
    becomes a WSGI application taking *args, its signature the view's."""

    @functools.wraps(view)
    def application(*args):
        environ, start_response = args[-2:]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [view(environ["PATH_INFO"]).encode("utf-8")]

    return application


@_as_wsgi
def decorated(path):
    return "decorated " + path


no_signature = max  # a builtin inspect has no signature for: not refused
