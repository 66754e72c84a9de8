"""Chapter 1: Hello, WSGI, with Python's wsgiref."""
# ANCHOR: all
from wsgiref.simple_server import make_server


def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return [b'Hello, WSGI!\n']


if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ...')
        server.handle_request()  # one request, then return
# ANCHOR_END: all
