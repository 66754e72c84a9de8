"""The benchmark's Python "hello" application (benches/throughput.rs)."""


def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello world!\n"]
