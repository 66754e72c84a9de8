#!/usr/bin/env python3
"""Chapter 13: the same application as a CGI program, with Python's wsgiref."""
# ANCHOR: all
from wsgiref.handlers import CGIHandler


def app(environ, start_response):
    method = environ.get('REQUEST_METHOD', 'GET')
    # PATH_INFO holds the URL's bytes, one character each: decode them as UTF-8.
    path = environ.get('PATH_INFO', '').encode('latin-1').decode('utf-8')
    query = environ.get('QUERY_STRING', '')

    text = 'Hello from a CGI program!\n\n'
    text += f'REQUEST_METHOD = {method}\n'
    text += f'PATH_INFO = {path}\n'
    text += f'QUERY_STRING = {query}\n'
    if method == 'POST':
        # Read CONTENT_LENGTH bytes of stdin, no more.
        body = environ['wsgi.input'].read(int(environ.get('CONTENT_LENGTH') or 0))
        text += f'\nYou sent {len(body)} bytes:\n'
        text += body.decode('utf-8', 'replace')

    start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
    return [text.encode('utf-8')]


if __name__ == '__main__':
    CGIHandler().run(app)
# ANCHOR_END: all
