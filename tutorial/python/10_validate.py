"""Chapter 10: the validator, with Python's wsgiref."""
from wsgiref.simple_server import make_server
from wsgiref.validate import validator


# ANCHOR: app
def no_content_type(environ, start_response):
    start_response('200 OK', [])
    return [b'What am I?\n']


app = validator(no_content_type)
# ANCHOR_END: app

if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)')
        server.serve_forever()
