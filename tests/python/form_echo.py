"""Werkzeug's form parser on a request body (tests/python.rs): each text
field as `field NAME=VALUE`, each file as `file NAME FILENAME TYPE SIZE`
followed by its bytes, so a test compares what Werkzeug parsed byte for
byte with what it sent."""

from werkzeug.formparser import parse_form_data


def app(environ, start_response):
    _stream, form, files = parse_form_data(environ)
    out = []
    for name, value in form.items(multi=True):
        out.append(("field %s=%s\n" % (name, value)).encode("utf-8"))
    for name, storage in files.items(multi=True):
        data = storage.read()
        storage.close()  # else a ResourceWarning in the log
        line = "file %s %s %s %d\n" % (name, storage.filename, storage.content_type, len(data))
        out.append(line.encode("utf-8") + data + b"\n")
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [b"".join(out)]
