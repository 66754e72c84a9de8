"""Chapter 16: a Flask application. Serve it with CPython's wsgiref
(`python3 tutorial/python/ch16_flask.py`) or with this crate
(`cargo run --features python -- --python ch16_flask:app --pythonpath tutorial/python`)."""
from flask import Flask

# ANCHOR: app
app = Flask(__name__)


@app.route('/hello/<name>')
def hello(name):
    return f'Hello, {name}, from Flask!\n', {'Content-Type': 'text/plain; charset=utf-8'}
# ANCHOR_END: app


if __name__ == '__main__':
    from wsgiref.simple_server import make_server
    with make_server('127.0.0.1', 8000, app) as server:
        print('Serving on http://127.0.0.1:8000/hello/you ... (Ctrl-C to stop)')
        server.serve_forever()
