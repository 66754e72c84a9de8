"""Chapter 10: the validator, with Python's wsgiref."""
from wsgiref.simple_server import make_server
from wsgiref.validate import validator


def correct(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return [b'All correct.\n']


# ANCHOR: no_content_type
def no_content_type(environ, start_response):
    start_response('200 OK', [])
    return [b'What am I?\n']
# ANCHOR_END: no_content_type


def hop_by_hop(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'), ('Connection', 'keep-alive')])
    return [b'Keep me alive!\n']


def bad_status(environ, start_response):
    start_response('200', [('Content-Type', 'text/plain')])
    return [b'Status: fine.\n']


def body_first(environ, start_response):
    yield b'first chunk\n'
    start_response('200 OK', [('Content-Type', 'text/plain')])
    yield b'then start_response\n'


def twice(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    start_response('404 Not Found', [('Content-Type', 'text/plain')])
    return [b'Found? Not found?\n']


def mistakes(environ, start_response):
    routes = {
        '/no-content-type': no_content_type,
        '/hop-by-hop': hop_by_hop,
        '/bad-status': bad_status,
        '/body-first': body_first,
        '/twice': twice,
    }
    return routes.get(environ['PATH_INFO'], correct)(environ, start_response)


# ANCHOR: app
app = validator(mistakes)
# ANCHOR_END: app

if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
