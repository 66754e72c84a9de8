"""Chapter 9: serving files, with Python's wsgiref."""
import mimetypes
from pathlib import Path
from wsgiref.simple_server import make_server
from wsgiref.util import FileWrapper

ROOT = Path(__file__).resolve().parent.parent / 'static'


# ANCHOR: app
def app(environ, start_response):
    path = file_path(environ['PATH_INFO'])
    if path is None or not path.is_file():
        start_response('404 Not Found', [('Content-Type', 'text/plain')])
        return [b'No such file.\n']
    content_type = mimetypes.guess_type(path.name)[0] or 'application/octet-stream'
    start_response('200 OK', [
        ('Content-Type', content_type),
        ('Content-Length', str(path.stat().st_size)),
    ])
    wrapper = environ.get('wsgi.file_wrapper', FileWrapper)
    return wrapper(open(path, 'rb'), 8192)
# ANCHOR_END: app


def file_path(path_info):
    path_info = path_info.encode('latin-1').decode('utf-8')
    segments = [segment for segment in path_info.split('/') if segment]
    if any(segment.startswith('.') or '\\' in segment for segment in segments):
        return None
    path = ROOT.joinpath(*segments)
    return path / 'index.html' if path_info.endswith('/') else path


if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving tutorial/static/ on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
