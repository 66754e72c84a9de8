"""Chapter 6: middleware, with Python's wsgiref."""
from wsgiref.simple_server import make_server


def greeting(environ, start_response):
    text = 'Grüße, kırmızı çiçek!\n'.encode('utf-8')
    start_response('200 OK', [
        ('Content-Type', 'text/plain; charset=utf-8'),
        ('Content-Length', str(len(text))),
    ])
    return [text]


# ANCHOR: upperware
class Upperware:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        def without_content_length(status, headers, exc_info=None):
            headers = [(name, value) for name, value in headers
                       if name.lower() != 'content-length']
            return start_response(status, headers, exc_info)

        body = self.app(environ, without_content_length)
        try:
            for chunk in body:
                yield chunk.decode('utf-8').upper().encode('utf-8')
        finally:
            if hasattr(body, 'close'):
                body.close()
# ANCHOR_END: upperware


app = Upperware(greeting)

if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
