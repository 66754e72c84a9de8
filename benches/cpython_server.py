"""CPython's wsgiref.simple_server serving the same applications as `wsgiref --app NAME`,
for the benchmark's baseline (benches/throughput.rs starts it).

Usage: python3 benches/cpython_server.py PORT APP     (APP: hello, echo, demo, bytes)
It prints "Serving HTTP on HOST port PORT ..." like ours; the access log goes to stderr.
"""
import sys
from wsgiref.simple_server import make_server, demo_app


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello world!\n"]


def echo(environ, start_response):
    headers = [("Content-Type", environ.get("CONTENT_TYPE") or "application/octet-stream")]
    length = environ.get("CONTENT_LENGTH")
    if length:
        headers.append(("Content-Length", length))
    start_response("200 OK", headers)
    stream = environ["wsgi.input"]
    remaining = int(length or 0)

    def chunks():
        nonlocal remaining
        while remaining > 0:
            chunk = stream.read(min(65536, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk

    return chunks()


def bytes_app(environ, start_response):
    total = int(environ.get("QUERY_STRING") or 10 * 1024 * 1024)
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(total))])
    block = b"x" * 65536

    def chunks():
        left = total
        while left > 0:
            yield block[: min(65536, left)]
            left -= 65536

    return chunks()


APPS = {"hello": hello, "echo": echo, "demo": demo_app, "bytes": bytes_app}

if __name__ == "__main__":
    port, app = int(sys.argv[1]), APPS[sys.argv[2]]
    with make_server("127.0.0.1", port, app) as httpd:
        host, port = httpd.socket.getsockname()[:2]
        print("Serving HTTP on", host, "port", port, "...", flush=True)
        httpd.serve_forever()
