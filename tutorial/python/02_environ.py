"""Chapter 2: the environ, with Python's wsgiref."""
from wsgiref.simple_server import make_server


# ANCHOR: app
def app(environ, start_response):
    method = environ['REQUEST_METHOD']
    path = environ['PATH_INFO']
    query = environ['QUERY_STRING']

    # Each character of an environ value stands for one byte of the request.
    raw = path.encode('latin-1')
    lines = [
        f'method: {method}',
        f'path, as the environ holds it: {path}',
        f'path, as bytes: [{", ".join(f"{byte:x}" for byte in raw)}]',
        # The client sent UTF-8: decode those bytes to get the text it meant.
        f'path, decoded as UTF-8: {raw.decode("utf-8")}',
        f'query: {query}',
    ]

    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return ['\n'.join(lines).encode('utf-8') + b'\n']
# ANCHOR_END: app


if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
