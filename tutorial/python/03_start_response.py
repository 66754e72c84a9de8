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


def app(environ, start_response):
    routes = {'/': one_chunk, '/chunks': chunks, '/write': with_write}
    return routes[environ['PATH_INFO']](environ, start_response)


if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
