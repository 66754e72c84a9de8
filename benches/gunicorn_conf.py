"""gunicorn settings for the benchmark's Python rows (benches/throughput.rs):
once it listens, print the line our server prints, so the port can be read
the same way. Usage: python -m gunicorn -c benches/gunicorn_conf.py -b 127.0.0.1:0 ..."""


def when_ready(server):
    host, port = server.LISTENERS[0].sock.getsockname()[:2]
    print("Serving HTTP on", host, "port", port, "...", flush=True)
