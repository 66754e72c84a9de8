"""Chapter 6: middleware, with Python's wsgiref."""
from wsgiref.simple_server import make_server


def greeting(environ, start_response):
    text = 'Grüße, kırmızı çiçek!\n'.encode('utf-8')
    start_response('200 OK', [
        ('Content-Type', 'text/plain; charset=utf-8'),
        ('Content-Length', str(len(text))),
    ])
    return [text]


class NaiveUpperware:
    """Upper-case the body of the application it wraps. (It has a bug.)"""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        body = self.app(environ, start_response)
        try:
            for chunk in body:
                yield chunk.decode('utf-8').upper().encode('utf-8')
        finally:
            if hasattr(body, 'close'):
                body.close()


# ANCHOR: upperware
class Upperware:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        body = self.app(environ, without_content_length(start_response))
        try:
            for chunk in body:
                yield chunk.decode('utf-8').upper().encode('utf-8')
        finally:
            if hasattr(body, 'close'):
                body.close()


def without_content_length(start_response):
    def call(status, headers, exc_info=None):
        headers = [(name, value) for name, value in headers
                   if name.lower() != 'content-length']
        return start_response(status, headers, exc_info)
    return call
# ANCHOR_END: upperware


class Footer:
    """Add a last line to the body of the application it wraps."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        body = self.app(environ, without_content_length(start_response))
        try:
            yield from body
            yield b'-- served by wsgiref\n'
        finally:
            if hasattr(body, 'close'):
                body.close()


# ANCHOR: app
def app(environ, start_response):
    routes = {
        '/naive': NaiveUpperware(greeting),
        '/upper': Upperware(greeting),
        '/upper-footer': Upperware(Footer(greeting)),
        '/footer-upper': Footer(Upperware(greeting)),
    }
    route = routes.get(environ['PATH_INFO'], greeting)
    return route(environ, start_response)
# ANCHOR_END: app


if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
