"""Chapter 11: testing an application, with Python's wsgiref."""
import unittest
from urllib.parse import parse_qs
from wsgiref.util import setup_testing_defaults


def app(environ, start_response):
    name = parse_qs(environ['QUERY_STRING']).get('name', [''])[0]
    if not name:
        start_response('400 Bad Request', [('Content-Type', 'text/plain; charset=utf-8')])
        return [b'Who are you? Add ?name=...\n']
    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return [f'Hello, {name}!\n'.encode('utf-8')]


# ANCHOR: tests
def call(app, environ):
    """Call a WSGI application once; return (status, headers, body)."""
    setup_testing_defaults(environ)
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen['status'], seen['headers'] = status, headers

    result = app(environ, start_response)
    try:
        body = b''.join(result)
    finally:
        if hasattr(result, 'close'):
            result.close()
    return seen['status'], seen['headers'], body


class AppTests(unittest.TestCase):
    def test_greets_by_name(self):
        status, headers, body = call(app, {'QUERY_STRING': 'name=Ann'})
        self.assertEqual(status, '200 OK')
        self.assertEqual(body, b'Hello, Ann!\n')

    def test_asks_who_you_are(self):
        status, headers, body = call(app, {'QUERY_STRING': 'name='})
        self.assertEqual(status, '400 Bad Request')
# ANCHOR_END: tests


if __name__ == '__main__':
    unittest.main()
