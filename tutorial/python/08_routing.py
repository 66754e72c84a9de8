"""Chapter 8: routing, with Python's wsgiref."""
from wsgiref.simple_server import make_server
from wsgiref.util import application_uri, request_uri, shift_path_info


def text_response(start_response, status, text):
    start_response(status, [('Content-Type', 'text/plain; charset=utf-8')])
    return [text.encode('utf-8')]


# ANCHOR: router
def app(environ, start_response):
    name = shift_path_info(environ)
    if name in (None, ''):
        return text_response(start_response, '200 OK', 'Try /hello/Ann\n')
    if name == 'hello':
        return hello(environ, start_response)
    if name == 'blog':
        return show_path(environ, start_response)
    return text_response(start_response, '404 Not Found', 'Not found\n')


def hello(environ, start_response):
    name = shift_path_info(environ)
    name = name.encode('latin-1').decode('utf-8') if name else 'stranger'
    return text_response(start_response, '200 OK', f'Hello, {name}!\n')
# ANCHOR_END: router


# ANCHOR: show_path
def show_path(environ, start_response):
    return text_response(start_response, '200 OK', ''.join([
        f"SCRIPT_NAME = {environ['SCRIPT_NAME']!r}\n",
        f"PATH_INFO = {environ['PATH_INFO']!r}\n",
        f'application_uri = {application_uri(environ)}\n',
        f'request_uri = {request_uri(environ)}\n',
    ]))
# ANCHOR_END: show_path


if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
