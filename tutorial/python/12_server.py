"""Chapter 12: the server itself, with Python's wsgiref."""
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIServer, make_server


# ANCHOR: app
class Counter:
    def __init__(self):
        self.requests = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.requests += 1
            number = self.requests
        if environ['PATH_INFO'] == '/slow':
            time.sleep(1)  # a slow database, say
        start_response('200 OK', [('Content-Type', 'text/plain; charset=utf-8')])
        return [f'This is request number {number}.\n'.encode()]
# ANCHOR_END: app


app = Counter()


# ANCHOR: main
class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # wsgiref's own server has one thread


if __name__ == '__main__':
    with make_server('127.0.0.1', 8000, app, server_class=ThreadingWSGIServer) as server:
        def stop_on_enter():
            input()
            server.shutdown()
        threading.Thread(target=stop_on_enter, daemon=True).start()
        print('Serving on http://127.0.0.1:8000/ ... press Enter to stop')
        server.serve_forever()
    print('Stopped.')
# ANCHOR_END: main
