"""Chapter 4: response bodies, with Python's wsgiref."""
import sys
import time
from wsgiref.simple_server import make_server


# ANCHOR: countdown
def countdown(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    for n in (3, 2, 1):
        time.sleep(0.3)  # some slow work for each chunk
        yield f'{n}...\n'.encode()
    yield b'Liftoff!\n'
# ANCHOR_END: countdown


# ANCHOR: lazy
class Greeting:
    def __init__(self, environ, start_response):
        self.start_response = start_response

    def __iter__(self):
        self.start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
        yield b'Hello from inside the body!\n'
# ANCHOR_END: lazy


# ANCHOR: close
class Closing:
    def __init__(self, chunks, path):
        self.chunks, self.path = chunks, path

    def __iter__(self):
        return iter(self.chunks)

    def close(self):
        print(f'closed the body of {self.path}', file=sys.stderr)


def with_close(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return Closing([b'Two ', b'chunks.\n'], environ['PATH_INFO'])
# ANCHOR_END: close


def app(environ, start_response):
    routes = {'/countdown': countdown, '/lazy': Greeting, '/close': with_close}
    return routes[environ['PATH_INFO']](environ, start_response)


if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
