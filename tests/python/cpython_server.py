"""CPython's wsgiref.simple_server serving MODULE:CALLABLE, for the comparisons
in tests/python.rs (the same spec as `wsgiref --python`).

Usage: python cpython_server.py MODULE:CALLABLE [PYTHONPATH]
Prints "Serving HTTP on HOST port PORT ..." once it listens (port 0: any free port).
"""
import importlib
import sys
from wsgiref.simple_server import make_server


def load(spec):
    module_name, _, attribute = spec.partition(":")
    target = importlib.import_module(module_name)
    for name in attribute.split("."):
        target = getattr(target, name)
    return target


if __name__ == "__main__":
    sys.path.insert(0, sys.argv[2] if len(sys.argv) > 2 else ".")
    with make_server("127.0.0.1", 0, load(sys.argv[1])) as httpd:
        print("Serving HTTP on 127.0.0.1 port", httpd.server_port, "...", flush=True)
        httpd.serve_forever()
