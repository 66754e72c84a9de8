"""Chapter 7: errors, with Python's wsgiref."""
import sys
from wsgiref.simple_server import make_server


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


app = careful

if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
