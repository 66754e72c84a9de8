"""CPython's wsgiref.simple_server serving MODULE:CALLABLE, for the comparisons
in tests/python.rs (the same spec as `wsgiref --python`).

Usage: python cpython_server.py MODULE:CALLABLE [PYTHONPATH] [--no-access-log]
Prints "Serving HTTP on HOST port PORT ..." once it listens (port 0: any free port).
--no-access-log (for the benchmark, benches/throughput.rs) leaves out the
per-request log line.
"""
import importlib
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


def load(spec):
    module_name, _, attribute = spec.partition(":")
    target = importlib.import_module(module_name)
    for name in attribute.split("."):
        target = getattr(target, name)
    return target


if __name__ == "__main__":
    quiet = "--no-access-log" in sys.argv
    args = [arg for arg in sys.argv[1:] if arg != "--no-access-log"]
    sys.path.insert(0, args[1] if len(args) > 1 else ".")
    handler = QuietHandler if quiet else WSGIRequestHandler
    with make_server("127.0.0.1", 0, load(args[0]), handler_class=handler) as httpd:
        print("Serving HTTP on 127.0.0.1 port", httpd.server_port, "...", flush=True)
        httpd.serve_forever()
