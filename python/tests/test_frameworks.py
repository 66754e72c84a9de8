"""A Flask and a Django application (the ones of tests/python/) served by
``wsgiref_rs.make_server`` and by ``python -m wsgiref_rs``, compared with
CPython's wsgiref for the same requests: same status and body.

Differences from CPython's answers that the comparison leaves aside: the
status line's HTTP version, ``Date``, ``Server`` and ``Connection``, and
framing (a response without ``Content-Length`` is chunked for an HTTP/1.1
client by ours, sent up to the close by CPython's)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import APPS, DJANGO_PROJECT, exchange, request, serving, split_response

REQUESTS = {
    "flask": [
        request("GET", "/"),
        request("POST", "/form", [("Content-Type", "application/x-www-form-urlencoded")], b"name=Ann+Lee&age=7"),
        request("GET", "/json?q=1"),
        request("GET", "/stream"),
        request("GET", "/no/such/page"),
        request("HEAD", "/"),
    ],
    "django": [
        request("GET", "/"),
        request("POST", "/form", [("Content-Type", "application/x-www-form-urlencoded")], b"name=Ann+Lee&age=7"),
        request("GET", "/json?q=1"),
        request("GET", "/stream"),
        request("GET", "/no/such/page"),
    ],
}


def load(name):
    if name == "flask":
        from flask_app import app

        return app
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    from mysite.wsgi import application

    return application


def answers(port, requests):
    """``(status code, body)`` of each request."""
    out = []
    for raw in requests:
        status, _, body = split_response(exchange(port, raw))
        out.append((status.split(" ", 1)[1], body))
    return out


@pytest.mark.parametrize("name", ["flask", "django"])
def test_make_server_answers_as_cpython_wsgiref(name):
    app = load(name)
    with serving(app, cpython=True) as server:
        expected = answers(server.server_port, REQUESTS[name])
    with serving(app) as server:
        ours = answers(server.server_port, REQUESTS[name])
    assert ours == expected
    assert expected[0][0] == "200 OK" and expected[4][0].startswith("404 ")
    assert b"line 5" in expected[3][1]


def start_command(*args):
    """``python -m wsgiref_rs ARGS --port 0``; the process and its port,
    read from the banner's first line."""
    child = subprocess.Popen(
        [sys.executable, "-m", "wsgiref_rs", *args, "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=DJANGO_PROJECT,
    )
    line = child.stdout.readline()
    match = re.search(r"port (\d+)", line)
    if not match:
        child.kill()
        raise AssertionError("no banner: %r %r" % (line, child.communicate(timeout=10)))
    return child, int(match.group(1))


def stop_command(child):
    """Ctrl-C; the exit status and what it printed on stderr."""
    child.send_signal(signal.SIGINT)
    try:
        _, err = child.communicate(timeout=10)
    finally:
        child.kill()
    return child.returncode, err


@pytest.mark.parametrize(
    "name, args",
    [
        ("flask", ["flask_app:app", "--pythonpath", APPS]),
        ("django", ["mysite.wsgi"]),  # MODULE alone: MODULE:application
    ],
)
def test_python_m_wsgiref_rs_answers_as_cpython_wsgiref(name, args):
    app = load(name)
    with serving(app, cpython=True) as server:
        expected = answers(server.server_port, REQUESTS[name])
    child, port = start_command(*args)
    try:
        ours = answers(port, REQUESTS[name])
    finally:
        code, err = stop_command(child)
    assert ours == expected
    assert code == 0, err
    assert '"GET / HTTP/1.1" 200' in err


def test_console_script_is_installed():
    script = os.path.join(os.path.dirname(sys.executable), "wsgiref-rs")
    done = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert "MODULE:CALLABLE" in done.stdout


def test_unknown_module_exits_2_with_the_import_error():
    done = subprocess.run(
        [sys.executable, "-m", "wsgiref_rs", "no_such_module_here:app", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert "No module named 'no_such_module_here'" in done.stderr


def test_ctrl_c_exits_0_within_3_seconds_with_a_streaming_response_open():
    child, port = start_command("flask_app:app", "--pythonpath", APPS)

    with socket.create_connection(("127.0.0.1", port), timeout=10) as held:
        held.sendall(request("GET", "/"))
        held.recv(100)
        started = time.monotonic()
        code, err = stop_command(child)
    assert code == 0, err
    assert time.monotonic() - started < 3


def test_reload_restarts_with_this_interpreter(tmp_path):
    """``--reload`` runs the server as a child started again as
    ``sys.executable -m wsgiref_rs ...`` (the virtual environment's
    interpreter, where the package is installed) on the reloader's own
    socket: a changed module is served, on the same port (even with
    ``--port 0``), and no request is refused meanwhile."""
    module = tmp_path / "reloaded_app.py"
    source = 'def app(e, s):\n    s("200 OK", [("Content-Type", "text/plain")])\n    return [b"%s"]\n'
    module.write_text(source % "one")
    child = subprocess.Popen(
        [sys.executable, "-m", "wsgiref_rs", "reloaded_app:app", "--port", "0", "--reload"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        port = int(re.search(r"port (\d+)", child.stdout.readline()).group(1))
        assert split_response(exchange(port, request("GET", "/")))[2] == b"one"
        module.write_text(source % "two")
        deadline = time.monotonic() + 20
        body = b"one"
        while body != b"two" and time.monotonic() < deadline:
            time.sleep(0.05)
            body = split_response(exchange(port, request("GET", "/")))[2]
        assert body == b"two"
    finally:
        code, err = stop_command(child)
    assert code == 0, err
    assert "Reloading: reloaded_app.py changed" in err
