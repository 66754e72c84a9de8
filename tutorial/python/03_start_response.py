"""Chapter 3: start_response, with Python's wsgiref."""
from wsgiref.simple_server import make_server


# ANCHOR: one_chunk
def one_chunk(environ, start_response):
    headers = [
        ('Content-Type', 'text/plain; charset=utf-8'),
        ('Cache-Control', 'no-store'),
    ]
    start_response('200 OK', headers)
    return [b'One chunk.\n']
# ANCHOR_END: one_chunk


# ANCHOR: not_found
def not_found(environ, start_response):
    text = f"Nothing at {environ['PATH_INFO']}.\n"
    start_response('404 Not Found', [('Content-Type', 'text/plain; charset=utf-8')])
    return [text.encode('utf-8')]
# ANCHOR_END: not_found


# ANCHOR: chunks
def chunks(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return [b'Three ', b'chunks', b'.\n']
# ANCHOR_END: chunks


# ANCHOR: with_write
def with_write(environ, start_response):
    write = start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    write(b'Written ')
    write(b'with write().\n')
    return []
# ANCHOR_END: with_write


# ANCHOR: changed_mind
def changed_mind(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    raise RuntimeError('the page could not be made after all')
# ANCHOR_END: changed_mind


# ANCHOR: app
def app(environ, start_response):
    routes = {
        '/': one_chunk,
        '/chunks': chunks,
        '/write': with_write,
        '/changed-mind': changed_mind,
    }
    route = routes.get(environ['PATH_INFO'], not_found)
    return route(environ, start_response)
# ANCHOR_END: app


if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
