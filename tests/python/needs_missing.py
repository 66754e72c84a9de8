"""Imports a package that no environment has, for the start-up hints of tests/python.rs."""
import no_such_package_for_wsgiref_tests  # noqa: F401


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"unreachable"]
