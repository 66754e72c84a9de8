"""Chapter 7: errors, with Python's wsgiref."""
import sys
from wsgiref.simple_server import make_server


def failing(environ, start_response):
    """An exception before any response was started."""
    with open('no-such-settings.toml') as file:
        settings = file.read()
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return [settings.encode('utf-8')]


def panicking(environ, start_response):
    """A bug: indexing past the end of a list raises IndexError."""
    visitors = []
    first = visitors[0]
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return [f'First visitor: {first}\n'.encode('utf-8')]


def render_page():
    raise ConnectionError('the template service did not answer')


# ANCHOR: careful
def careful(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/html; charset=utf-8')])
    try:
        page = render_page()
    except Exception as error:
        print(f'could not render the page: {error}', file=environ['wsgi.errors'])
        status = '503 Service Unavailable'
        headers = [('Content-Type', 'text/plain; charset=utf-8')]
        start_response(status, headers, sys.exc_info())
        return [b'Resting for a minute. Please try again soon.\n']
    return [page]
# ANCHOR_END: careful


def twice(environ, start_response):
    """The same change of mind without exc_info is a mistake."""
    start_response('200 OK', [('Content-Type', 'text/html; charset=utf-8')])
    start_response('503 Service Unavailable', [('Content-Type', 'text/plain')])
    return [b'Resting for a minute.\n']


def late_failure(environ, start_response):
    """An exception after the first chunk: the status line and headers are gone."""
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    yield b'row 1\n'
    yield b'row 2\n'
    raise ConnectionError('the database connection was lost')


def app(environ, start_response):
    routes = {
        '/error': failing,
        '/panic': panicking,
        '/exc-info': careful,
        '/twice': twice,
        '/late': late_failure,
    }
    route = routes.get(environ['PATH_INFO'])
    if route is None:
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [b'Still serving. Try /error, /panic, /exc-info, /twice or /late.\n']
    return route(environ, start_response)

if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
