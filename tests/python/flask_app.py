"""A small Flask application for tests/python.rs: a page, a form POST, a
multipart upload, a JSON response, a streamed response and a file download;
a response streamed with the request context, and a count of teardowns;
views that raise, in three applications (see `/boom`)."""
import os

from flask import Flask, Response, jsonify, request, send_file, stream_with_context

app = Flask(__name__)
HERE = os.path.dirname(os.path.abspath(__file__))


@app.get("/")
def index():
    return "Hello from Flask\n"


@app.post("/form")
def form():
    fields = ", ".join("%s=%s" % (key, value) for key, value in sorted(request.form.items()))
    return "got " + fields + "\n"


@app.post("/upload")
def upload():
    upload = request.files["file"]
    data = upload.read()
    return jsonify(filename=upload.filename, size=len(data), first_line=data.split(b"\n")[0].decode())


@app.get("/json")
def json():
    return jsonify(numbers=[1, 2, 3], ok=True, path=request.path, query=request.args.get("q"))


@app.get("/stream")
def stream():
    def lines():
        for number in range(1, 6):
            yield "line %d\n" % number

    return Response(lines(), mimetype="text/plain")


@app.get("/download")
def download():
    return send_file(os.path.join(HERE, "files", "data.txt"), as_attachment=True, download_name="data.txt")


@app.get("/missing-page")
def missing():
    return "nothing here\n", 404


@app.get("/stream-with-context")
def stream_in_context():
    """Reads `request` while streaming: needs the request context in every next()."""

    def lines():
        for number in range(1, 4):
            yield "%s line %d\n" % (request.path, number)

    return Response(stream_with_context(lines()), mimetype="text/plain")


TEARDOWNS = {"count": 0}


@app.teardown_request
def count_teardown(error):
    TEARDOWNS["count"] += 1


@app.get("/teardowns")
def teardowns():
    """Teardowns run so far (this request's runs after the answer)."""
    return "%d\n" % TEARDOWNS["count"]


@app.get("/boom")
def boom_in_app():
    """Flask's default PROPAGATE_EXCEPTIONS (None): the command sets it when
    its error page is on; with --no-debug-page, Flask's own 500 page."""
    return helper_that_fails("<b>boom</b> & more")


# An application whose errors reach the server, as under `app.debug` (the
# way `flask run --debug` runs): the development error page shows them.
propagating = Flask(__name__)
propagating.config["PROPAGATE_EXCEPTIONS"] = True


@propagating.get("/boom")
def boom():
    return helper_that_fails("<b>boom</b> & more")


# An application that sets PROPAGATE_EXCEPTIONS itself: left alone.
keeps_its_own = Flask(__name__)
keeps_its_own.config["PROPAGATE_EXCEPTIONS"] = False


@keeps_its_own.get("/boom")
def boom_kept():
    return helper_that_fails("<b>boom</b> & more")


def helper_that_fails(text):
    raise ValueError(text)
