"""Chapter 5: reading the request, with Python's wsgiref."""
import json
from urllib.parse import parse_qsl
from wsgiref.simple_server import make_server


# ANCHOR: form
def form(environ, start_response):
    length = int(environ.get('CONTENT_LENGTH') or 0)
    if length > 64 * 1024:
        start_response('413 Content Too Large', [('Content-Type', 'text/plain')])
        return [b'That form is too large.\n']
    body = environ['wsgi.input'].read(length)

    lines = [f'{name} = {value}\n' for name, value in parse_qsl(body.decode('ascii'))]
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return [''.join(lines).encode('utf-8')]
# ANCHOR_END: form


# ANCHOR: echo
def echo(environ, start_response):
    content_type = environ.get('CONTENT_TYPE') or 'application/octet-stream'
    headers = [('Content-Type', content_type)]
    if environ.get('CONTENT_LENGTH'):
        headers.append(('Content-Length', environ['CONTENT_LENGTH']))
    start_response('200 OK', headers)

    def chunks(stream, left):
        # wsgiref's wsgi.input is the socket: never read past CONTENT_LENGTH.
        while left > 0:
            chunk = stream.read(min(left, 64 * 1024))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
    return chunks(environ['wsgi.input'], int(environ.get('CONTENT_LENGTH') or 0))
# ANCHOR_END: echo


# ANCHOR: upload
def upload(environ, start_response):
    declared = environ.get('CONTENT_LENGTH', '')
    terminated = environ.get('wsgi.input_terminated', False)
    if declared.isdigit():
        body = environ['wsgi.input'].read(int(declared))
    elif terminated:
        # The server found the end of the body for us: reading to EOF is safe.
        body = environ['wsgi.input'].read()
    else:
        start_response('411 Length Required', [('Content-Type', 'text/plain')])
        return [b'Send a Content-Length.\n']

    received = body.decode('utf-8', 'replace')
    text = (f'CONTENT_LENGTH = {json.dumps(declared)}\n'
            f'wsgi.input_terminated = {str(terminated).lower()}\n'
            f'received {len(body)} bytes: {json.dumps(received, ensure_ascii=False)}\n')
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return [text.encode('utf-8')]
# ANCHOR_END: upload


def app(environ, start_response):
    routes = {'/form': form, '/echo': echo, '/upload': upload}
    route = routes.get(environ['PATH_INFO'])
    if route is None:
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'Try /form, /echo or /upload.\n']
    return route(environ, start_response)


if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
