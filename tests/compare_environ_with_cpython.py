#!/usr/bin/env python3
"""Compare the environ our server builds with CPython's wsgiref.simple_server.

For each raw request below, the same bytes go over a socket to

- a CPython ``wsgiref.simple_server`` (``make_server`` + ``serve_forever``,
  started by this script in a thread, on a free port), whose application
  answers ``KEY = repr(value)`` lines like ``demo_app`` (without the keys it
  copied from ``os.environ``: we deliberately do not copy the process
  environment), and
- our server running ``--app demo`` (same line format),

and every environ key is compared. A markdown table of the differences is
printed; each difference is marked ``deliberate`` (listed in
/work/shared/DESIGN.md and README.md, "Differences from CPython") or
``UNEXPECTED`` (a bug). The exit status is 1 when an unexpected difference
is found.

This script is not run by ``cargo test``: ``tests/environ.rs`` holds the
values CPython 3.11.7 gave, hard-coded. Run it by hand after changing how
the environ is built:

    cargo build && python3 tests/compare_environ_with_cpython.py
        (starts target/debug/wsgiref --port 0 --app demo itself)

    cargo run -- --port 8001 &
    python3 tests/compare_environ_with_cpython.py --port 8001
        (compares with a server you started; it must serve demo_app)

Options: ``--verbose`` prints both environs of every case; ``--case NAME``
runs one case; ``--rust`` prints the case table of ``tests/environ.rs``
(CPython's values, with our values where a difference is deliberate).
Needs Python 3.11 (the comparison was made with CPython 3.11.7).
"""

import argparse
import ast
import os
import socket
import subprocess
import sys
import threading
import wsgiref.handlers
import wsgiref.simple_server

HOST = "example.com"

# (name, raw request bytes, why our answer deliberately differs or None).
# A reason here marks every difference of the case as deliberate: use it only
# for differences DESIGN.md lists.
NON_UTF8 = "deliberate: a target that is not UTF-8 is refused (httparse)"
MALFORMED = "deliberate: malformed head (httparse's RFC 9112 grammar); CPython is lenient"
CASES = [
    ("get_root_http11", b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("get_http10_no_host", b"GET /xyz HTTP/1.0\r\n\r\n", None),
    ("get_http10_with_host", b"GET /xyz HTTP/1.0\r\nHost: example.com\r\n\r\n", None),
    ("query_simple", b"GET /xyz?abc HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("query_empty", b"GET /path? HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("query_only", b"GET /? HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("query_several_question_marks", b"GET /a?b?c??d HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("query_pairs", b"GET /search?q=rust&lang=en&empty=&flag HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("fragment_in_path", b"GET /a#frag HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("fragment_in_query", b"GET /a?b=1#frag HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("plus_signs", b"GET /a+b?c+d=e+f HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("percent_space", b"GET /a%20b?q=a%20b HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("percent_slash", b"GET /a%2Fb%2fc HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("percent_percent", b"GET /100%25?x=%25 HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("percent_malformed", b"GET /%zz/%4/%/%g1/%%41 HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("percent_at_end", b"GET /a%4 HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("percent_controls", b"GET /a%00b%0Ac%7F%FF HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("percent_utf8", b"GET /caf%C3%A9?q=caf%C3%A9 HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("raw_utf8_path", b"GET /caf\xc3\xa9 HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("raw_utf8_query", b"GET /q?name=\xc3\xa9t\xc3\xa9 HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("raw_utf8_then_percent", b"GET /\xc3\xa9%41%\xc3\xa9 HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("leading_double_slash", b"GET //evil.example/x HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("leading_triple_slash", b"GET ///a//b?c//d HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("double_slash_query", b"GET //?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("dot_segments", b"GET /a/./b/../c/%2e%2e/d HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("dot_dot_at_root", b"GET /../../etc/passwd HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("quotes_in_path", b"GET /it's/%22q%22/%5C HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("repeated_headers", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Foo: a\r\nX-Foo: b\r\nx-foo: c\r\n\r\n", None),
    ("repeated_headers_with_spaces", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-R:  a \r\nX-R:\tb\t\r\n\r\n", None),
    ("repeated_accept", b"GET / HTTP/1.1\r\nHost: example.com\r\nAccept: text/html\r\nAccept: */*;q=0.1\r\n\r\n", None),
    ("underscore_header", b"GET / HTTP/1.1\r\nHost: example.com\r\nX_Only: under\r\n\r\n", None),
    ("underscore_and_dash_header", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Foo: dash\r\nX_Foo: under\r\n\r\n", None),
    ("underscore_cgi_name", b"GET /real HTTP/1.1\r\nHost: example.com\r\nPath_Info: /evil\r\nContent_Type: evil\r\n\r\n", None),
    ("cgi_name_headers", b"GET /real?q HTTP/1.1\r\nHost: example.com\r\nPath-Info: /evil\r\nQuery-String: evil\r\nRemote-Addr: 10.0.0.1\r\nServer-Name: evil\r\nRequest-Method: evil\r\nScript-Name: /evil\r\nGateway-Interface: evil\r\nServer-Port: 1\r\nServer-Protocol: evil\r\nServer-Software: evil\r\nRemote-Host: evil\r\n\r\n", None),
    ("http_prefixed_header_after", b"GET / HTTP/1.1\r\nHost: example.com\r\nFoo: 1\r\nHttp-Foo: 2\r\n\r\n", None),
    ("http_prefixed_header_before", b"GET / HTTP/1.1\r\nHost: example.com\r\nHttp-Foo: 2\r\nFoo: 1\r\n\r\n", None),
    ("content_type_twice", b"POST /ct HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/html\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", None),
    ("content_type_empty", b"GET / HTTP/1.1\r\nHost: example.com\r\nContent-Type:\r\n\r\n", None),
    ("content_type_leading_spaces", b"GET / HTTP/1.1\r\nHost: example.com\r\nContent-Type: \t text/html; charset=utf-8\r\n\r\n", None),
    ("content_type_trailing_spaces", b"GET / HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/html \t \r\n\r\n", None),
    ("content_length_list", b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5, 5\r\n\r\nhello", None),
    ("content_length_twice", b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", None),
    ("content_length_zero", b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 0\r\n\r\n", None),
    ("content_length_trailing_space", b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5 \r\n\r\nhello", None),
    ("content_length_empty", b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length:\r\n\r\n",
     "deliberate: a bad Content-Length is refused (RFC 9112 framing)"),
    ("header_whitespace", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-A:   value  \r\nX-B:\t\tvalue\t\t\r\nX-C: \t mid  dle \t \r\nX-D: a\tb\r\n\r\n", None),
    ("header_empty_values", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Empty:\r\nX-Spaces:   \r\nX-Tabs:\t\t\r\n\r\n", None),
    ("obs_text_values", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Latin: caf\xe9\r\nX-Utf8: caf\xc3\xa9\r\nX-Nbsp: \xa0a\xa0\r\nX-Nel: \x85b\x85\r\nX-High: \x80\xad\xff\r\n\r\n", None),
    ("obs_text_content_type", b"GET / HTTP/1.1\r\nHost: example.com\r\nContent-Type: text/plain; name=\xe9\xa0\r\n\r\n", None),
    ("quotes_in_header", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Q1: it's\r\nX-Q2: say \"hi\"\r\nX-Q3: it's \"both\"\r\nX-Q4: back\\slash\r\n\r\n", None),
    ("header_name_case", b"GET / HTTP/1.1\r\nhost: example.com\r\nx-lower: 1\r\nX-UPPER: 2\r\nX-MiXeD-cAsE: 3\r\nCONTENT-TYPE: text/x\r\n\r\n", None),
    ("header_name_digits_symbols", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-1.2: a\r\nX+Y: b\r\nX!#$%&'*^`|~: c\r\n\r\n", None),
    ("host_with_port", b"GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", None),
    ("host_ipv6", b"GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", None),
    ("post_form", b"POST /form?next=/ HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\na=1&b=2", None),
    ("post_http10", b"POST /form HTTP/1.0\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc", None),
    ("post_chunked", b"POST /up HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", None),
    ("put_json", b"PUT /item/1 HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", None),
    ("options_asterisk", b"OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("options_path", b"OPTIONS /x HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("delete", b"DELETE /item/1 HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("purge_custom_method", b"PURGE /cache HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("lowercase_method", b"get /lower HTTP/1.1\r\nHost: example.com\r\n\r\n", None),
    ("expect_100_continue", b"POST /e HTTP/1.1\r\nHost: example.com\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok", None),
    ("common_browser_headers", b"GET /page HTTP/1.1\r\nHost: localhost:8000\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nAccept: text/html,*/*;q=0.8\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\nConnection: keep-alive\r\nCookie: a=1; b=2\r\nUpgrade-Insecure-Requests: 1\r\n\r\n", None),
    ("content_length_leading_zero", b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 05\r\n\r\nhello", None),
    ("content_length_list_no_space", b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5,5\r\n\r\nhello", None),
    ("content_length_underscore", b"POST /cl HTTP/1.1\r\nHost: example.com\r\nContent_Length: 5\r\n\r\n", None),
    ("content_type_whitespace_only", b"GET / HTTP/1.1\r\nHost: example.com\r\nContent-Type:  \t \r\n\r\n", None),
    ("repeated_header_first_empty", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-E:\r\nX-E: b\r\nX-E:\r\n\r\n", None),
    ("host_empty", b"GET / HTTP/1.1\r\nHost:\r\n\r\n", None),
    ("lf_line_endings", b"GET /lf?x HTTP/1.1\nHost: example.com\nX-A: 1\n\n", None),
    ("http_version_1_2", b"GET /v HTTP/1.2\r\nHost: example.com\r\n\r\n", None),
    ("http_version_1_9", b"GET /v HTTP/1.9\r\nHost: example.com\r\n\r\n", None),
    # Served by us, refused by CPython (documented).
    ("utf8_path_with_byte_85", b"GET /\xc3\x85ngstr\xc3\xb6m HTTP/1.1\r\nHost: example.com\r\n\r\n",
     "kept: CPython splits its latin-1 request line on U+0085/U+00A0 as whitespace"),
    ("leading_empty_line", b"\r\nGET /after-crlf HTTP/1.1\r\nHost: example.com\r\n\r\n",
     "kept: RFC 9112 \u00a72.2, ignore an empty line before the request line"),
    # Refused by us, served by CPython (documented).
    ("http09", b"GET /nine\r\n", "deliberate: HTTP/0.9 is malformed; CPython answers without a status line"),
    ("relative_target", b"GET x/y HTTP/1.1\r\nHost: example.com\r\n\r\n",
     "deliberate: not an origin-, absolute- or asterisk-form target (RFC 9112 \u00a73.2)"),
    ("asterisk_with_get", b"GET * HTTP/1.1\r\nHost: example.com\r\n\r\n",
     "deliberate: not an origin-, absolute- or asterisk-form target (RFC 9112 \u00a73.2)"),
    ("te_and_cl", b"POST / HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
     "deliberate: Transfer-Encoding with Content-Length (RFC 9112 \u00a76.1)"),
    ("double_space_before_version", b"GET /a  HTTP/1.1\r\nHost: example.com\r\n\r\n", MALFORMED),
    ("header_without_colon", b"GET / HTTP/1.1\r\nHost: example.com\r\nGarbage\r\nX-After: 1\r\n\r\n", MALFORMED),
    ("raw_latin1_path", b"GET /caf\xe9 HTTP/1.1\r\nHost: example.com\r\n\r\n", NON_UTF8),
    ("raw_latin1_query", b"GET /q?x=\xff HTTP/1.1\r\nHost: example.com\r\n\r\n", NON_UTF8),
    ("http11_without_host", b"GET / HTTP/1.1\r\n\r\n", "deliberate: an HTTP/1.1 request needs exactly one Host"),
    ("http_version_1_9_without_host", b"GET /v HTTP/1.9\r\n\r\n", "deliberate: an HTTP/1.1 request needs exactly one Host"),
    ("host_twice", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "deliberate: an HTTP/1.1 request needs exactly one Host"),
    ("absolute_form", b"GET http://example.com:8080/p%41th?q=1 HTTP/1.1\r\nHost: other.example\r\n\r\n",
     "deliberate: absolute-form target: HTTP_HOST, SERVER_NAME from its authority"),
    ("obs_fold", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Fold: a\r\n b\r\n\r\n", MALFORMED),
    ("space_before_colon", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-A : v\r\n\r\n", MALFORMED),
    ("control_char_in_value", b"GET / HTTP/1.1\r\nHost: example.com\r\nX-Ctl: a\x1c\r\n\r\n", MALFORMED),
    ("http_version_leading_zero", b"GET / HTTP/1.01\r\nHost: example.com\r\n\r\n", MALFORMED),
]

# Keys whose values differ by design in every request (DESIGN.md).
DELIBERATE_KEYS = {
    "SERVER_SOFTWARE": "deliberate: SERVER_SOFTWARE names wsgiref-rs",
    "wsgi.multithread": "deliberate: requests run on a pool of threads",
    "wsgi.input": "deliberate: Rust object",
    "wsgi.errors": "deliberate: Rust object",
    "wsgi.file_wrapper": "deliberate: Rust object",
    "wsgi.input_terminated": "deliberate: added for chunked request bodies",
}

# Keys that hold each server's own port.
PORT_KEYS = {"SERVER_PORT"}


def cpython_app(environ, start_response):
    """demo_app without the keys SimpleHandler copied from os.environ."""
    copied = wsgiref.handlers.BaseHandler.os_environ
    lines = ["Hello world!", ""]
    for key, value in sorted(environ.items()):
        if key in copied and copied[key] == value:
            continue
        lines.append(f"{key} = {value!r}")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return ["\n".join(lines).encode("utf-8") + b"\n"]


class QuietHandler(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


def start_cpython():
    server = wsgiref.simple_server.make_server("127.0.0.1", 0, cpython_app, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server.server_address[1]


def start_ours():
    binary = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "debug", "wsgiref")
    process = subprocess.Popen(
        [binary, "--port", "0", "--app", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()  # Serving HTTP on 127.0.0.1 port N ...
    return process, int(line.split(" port ")[1].split()[0])


def send(port, request):
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    return b"".join(chunks)


def parse(response):
    """(status, {key: repr text}) from a demo_app response."""
    if not response.startswith(b"HTTP/"):
        return 0, {}  # no response, or an HTTP/0.9 one (no status line)
    head, _, body = response.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    environ = {}
    if status == 200:
        for line in body.decode("utf-8").split("\n")[2:]:
            if line:
                key, _, value = line.partition(" = ")
                environ[key] = value
    return status, environ


def literal(text):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def underscore_keys(request):
    """HTTP_* keys that headers with '_' in their names would give."""
    keys = set()
    for line in request.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]:
        name = line.split(b":", 1)[0].decode("latin-1")
        if "_" in name:
            keys.add("HTTP_" + name.replace("-", "_").upper())
    return keys


def compare(name, request, reason, cpython_port, our_port):
    """[(key, cpython repr, our repr, verdict)] and both statuses."""
    c_status, c_env = parse(send(cpython_port, request))
    o_status, o_env = parse(send(our_port, request))
    diffs = []
    if c_status != o_status:
        diffs.append(("(status)", str(c_status), str(o_status), reason or "UNEXPECTED"))
        return c_status, o_status, c_env, o_env, diffs
    for key in sorted(set(c_env) | set(o_env)):
        c_value, o_value = c_env.get(key), o_env.get(key)
        if key in PORT_KEYS:
            c_value = "<port>" if c_value == repr(str(cpython_port)) else c_value
            o_value = "<port>" if o_value == repr(str(our_port)) else o_value
        if c_value == o_value:
            continue
        if key in DELIBERATE_KEYS:
            verdict = DELIBERATE_KEYS[key]
        elif reason:
            verdict = reason
        elif key in underscore_keys(request):
            verdict = "deliberate: headers with '_' in the name are dropped"
        elif (
            key in ("CONTENT_TYPE", "CONTENT_LENGTH")
            and c_value is not None
            and o_value is not None
            and literal(c_value).rstrip(" \t") == literal(o_value)
        ):
            verdict = "deliberate: httparse trims trailing spaces and tabs"
        else:
            verdict = "UNEXPECTED"
        diffs.append((key, c_value, o_value, verdict))
    return c_status, o_status, c_env, o_env, diffs


def show_request(request):
    text = request.decode("latin-1")
    head = text.split("\r\n\r\n")[0]
    out = repr(head)[1:-1]
    return out if len(out) <= 70 else out[:67] + "..."


def rust_bytes(request):
    out = []
    for byte in request:
        char = chr(byte)
        if char == "\r":
            out.append("\\r")
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif char in "\"\\":
            out.append("\\" + char)
        elif 0x20 <= byte < 0x7F:
            out.append(char)
        else:
            out.append(f"\\x{byte:02x}")
    return 'b"' + "".join(out) + '"'


def rust_str(text):
    if '"#' not in text:
        return 'r#"' + text + '"#'
    raise ValueError(text)


# Keys tests/environ.rs checks in every case, with these values (repr), unless
# a case lists them; SERVER_PORT and SERVER_SOFTWARE are filled in there.
COMMON = {
    "GATEWAY_INTERFACE": "'CGI/1.1'",
    "REMOTE_ADDR": "'127.0.0.1'",
    "REMOTE_HOST": "''",
    "SCRIPT_NAME": "''",
    "SERVER_NAME": "'localhost'",
    "SERVER_PORT": "<port>",
    "SERVER_SOFTWARE": None,
    "wsgi.errors": "<wsgiref::Errors>",
    "wsgi.file_wrapper": "<wsgiref::util::FileWrapper>",
    "wsgi.input": "<wsgiref::Input>",
    "wsgi.multiprocess": "False",
    "wsgi.multithread": "True",
    "wsgi.run_once": "False",
    "wsgi.url_scheme": "'http'",
    "wsgi.version": "(1, 0)",
}


def print_rust(results):
    """The CASES and REFUSED tables of tests/environ.rs."""
    print("// Generated by tests/compare_environ_with_cpython.py --rust")
    print("const CASES: &[Case] = &[")
    for name, request, reason, c_status, o_status, c_env, o_env, diffs in results:
        if o_status != 200:
            continue
        deliberate = {key: (c, o, verdict) for key, c, o, verdict in diffs if verdict != "UNEXPECTED"}
        print("    Case {")
        print(f'        name: "{name}",')
        if c_status != 200:
            print(f"        // CPython answers {c_status or 'nothing'} ({reason})")
        print(f"        request: {rust_bytes(request)},")
        print("        expected: &[")
        for key in sorted(set(c_env) | set(o_env)):
            if key in COMMON and key not in deliberate:
                continue
            if key in COMMON and key in DELIBERATE_KEYS:
                continue
            if c_status != 200:
                print(f'            ("{key}", {rust_str(o_env[key])}),')
            elif key in deliberate:
                c_value, o_value, verdict = deliberate[key]
                print(f"            // CPython: {key} = {c_value or '(absent)'} ({verdict})")
                if o_value is not None:
                    print(f'            ("{key}", {rust_str(o_env[key])}),')
            else:
                print(f'            ("{key}", {rust_str(c_env[key])}),')
        print("        ],")
        print("    },")
    print("];")
    print()
    print("const REFUSED: &[Refused] = &[")
    for name, request, reason, c_status, o_status, c_env, o_env, diffs in results:
        if o_status == 200:
            continue
        print(f"    // {reason}")
        print(f'    Refused {{ name: "{name}", request: {rust_bytes(request)}, status: {o_status}, cpython_status: {c_status} }},')
    print("];")

# --sweep: one byte (0x00-0xFF) at a time in each place of a request.
SWEEP_FAMILIES = [
    ("path middle", lambda b: b"GET /a" + b + b"z HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    ("path end", lambda b: b"GET /a" + b + b" HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    ("path after \\xc3", lambda b: b"GET /a\xc3" + b + b"z HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    ("query middle", lambda b: b"GET /a?x" + b + b"z HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    ("percent-escaped in path", lambda b: b"GET /a%" + f"{b[0]:02X}".encode() + b"z HTTP/1.1\r\nHost: example.com\r\n\r\n"),
    ("header value middle", lambda b: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-V: a" + b + b"z\r\n\r\n"),
    ("header value edges", lambda b: b"GET / HTTP/1.1\r\nHost: example.com\r\nX-V: " + b + b"a" + b + b"\r\n\r\n"),
    ("Content-Type edges", lambda b: b"GET / HTTP/1.1\r\nHost: example.com\r\nContent-Type: " + b + b"a" + b + b"\r\n\r\n"),
    ("header name", lambda b: b"GET / HTTP/1.1\r\nHost: example.com\r\nX" + b + b"Y: v\r\n\r\n"),
    ("method", lambda b: b"G" + b + b"T / HTTP/1.1\r\nHost: example.com\r\n\r\n"),
]


def target_is_utf8(request):
    target = request.split(b"\r\n")[0].split(b" ")[1:-1]
    try:
        b" ".join(target).decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def sweep(cpython_port, our_port):
    """Print, per family, the bytes whose environ or status differ."""
    total = 0
    for family, make in SWEEP_FAMILIES:
        groups = {}
        for byte in range(256):
            request = make(bytes([byte]))
            c_status, o_status, _, _, diffs = compare(family, request, None, cpython_port, our_port)
            diffs = [d for d in diffs if d[3] == "UNEXPECTED"]
            if not diffs:
                continue
            if diffs[0][0] == "(status)" and o_status == 400 and not target_is_utf8(request):
                continue  # deliberate: non-UTF-8 target
            total += 1
            summary = "; ".join(f"{key}: {c} -> {o}" if key != "(status)" else f"status {c} -> {o}"
                                for key, c, o, _ in diffs)
            if diffs[0][0] != "(status)":
                summary = "environ differs"
            groups.setdefault(summary, []).append(byte)
        print(f"{family}:")
        if not groups:
            print("    same for every byte")
        for summary, found in groups.items():
            print(f"    {summary}: " + " ".join(f"{b:02x}" for b in found))
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, help="port of a running server of ours (else start target/debug/wsgiref)")
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--case")
    parser.add_argument("--rust", action="store_true")
    parser.add_argument("--sweep", action="store_true", help="also try every byte in each place of a request")
    args = parser.parse_args()
    print(f"CPython {sys.version.split()[0]}", file=sys.stderr)
    cpython_port = start_cpython()
    process = None
    if args.port:
        our_port = args.port
    else:
        process, our_port = start_ours()
    try:
        if args.sweep:
            found = sweep(cpython_port, our_port)
            print(f"{found} request(s) answered differently (non-UTF-8 targets refused with 400 not counted)")
            return 0
        results = []
        for name, request, reason in CASES:
            if args.case and name != args.case:
                continue
            results.append((name, request, reason, *compare(name, request, reason, cpython_port, our_port)))
    finally:
        if process:
            process.terminate()
            process.wait()
    if args.rust:
        print_rust(results)
        return 0
    unexpected = 0
    print("| # | case | request head | CPython | ours | differences |")
    print("|---|---|---|---|---|---|")
    for number, (name, request, reason, c_status, o_status, c_env, o_env, diffs) in enumerate(results, 1):
        cells = []
        for key, c_value, o_value, verdict in diffs:
            unexpected += verdict == "UNEXPECTED"
            if key in DELIBERATE_KEYS and verdict == DELIBERATE_KEYS[key]:
                continue  # the same in every case: listed once below
            cells.append(f"{key}: {c_value} → {o_value} ({verdict})")
        text = "<br>".join(cells).replace("|", "\\|") or "same"
        head = show_request(request).replace("|", "\\|")
        print(f"| {number} | {name} | `{head}` | {c_status} | {o_status} | {text} |")
        if args.verbose:
            for key in sorted(set(c_env) | set(o_env)):
                print(f"    {key}: {c_env.get(key)} | {o_env.get(key)}")
    print()
    print("In every 200 case: " + "; ".join(f"{key} ({why})" for key, why in DELIBERATE_KEYS.items()))
    print(f"{unexpected} unexpected difference(s)")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
