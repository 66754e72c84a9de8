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
        return index(environ, start_response)
    if name == 'hello':
        return hello(environ, start_response)
    if name == 'blog':
        return show_path(environ, start_response)
    return not_found(environ, start_response)


def hello(environ, start_response):
    name = shift_path_info(environ)
    name = name.encode('latin-1').decode('utf-8') if name else 'stranger'
    return text_response(start_response, '200 OK', f'Hello, {name}!\n')
# ANCHOR_END: router


def index(environ, start_response):
    text = 'Try /hello, /hello/Ann and /blog/2024/wsgi?page=2\n'
    return text_response(start_response, '200 OK', text)


def not_found(environ, start_response):
    text = f'No page at {request_uri(environ, include_query=False)}\n'
    return text_response(start_response, '404 Not Found', text)


# ANCHOR: show_path
def show_path(environ, start_response):
    return text_response(start_response, '200 OK', ''.join([
        f"SCRIPT_NAME = {environ['SCRIPT_NAME']!r}\n",
        f"PATH_INFO = {environ['PATH_INFO']!r}\n",
        f'application_uri = {application_uri(environ)}\n',
        f'request_uri = {request_uri(environ)}\n',
    ]))
# ANCHOR_END: show_path


# ANCHOR: mount
class Mount:
    """Serve app under prefix (such as /apps/site)."""

    def __init__(self, prefix, app):
        self.prefix = prefix
        self.app = app

    def __call__(self, environ, start_response):
        path_info = environ.get('PATH_INFO', '')
        rest = path_info[len(self.prefix):]
        if path_info.startswith(self.prefix) and (rest == '' or rest.startswith('/')):
            environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + self.prefix
            environ['PATH_INFO'] = rest
            return self.app(environ, start_response)
        return not_found(environ, start_response)


site = Mount('/apps/site', app)
# ANCHOR_END: mount


if __name__ == '__main__':
    import sys
    served = site if '--mounted' in sys.argv else app
    with make_server('127.0.0.1', 8000, served) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
