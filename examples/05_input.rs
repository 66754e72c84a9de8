//! Chapter 5: reading the request: `wsgi.input`, `CONTENT_LENGTH`, a form
//! POST, a streaming echo, and chunked uploads.
//!
//! ```text
//! cargo run --example 05_input
//! curl -d 'name=Ann+Lee&city=Z%C3%BCrich' http://127.0.0.1:8000/form    # in another terminal
//! curl --data-binary @README.md http://127.0.0.1:8000/echo
//! curl -H 'Transfer-Encoding: chunked' -d 'sent in chunks' http://127.0.0.1:8000/upload
//! ```
//!
//! See `tutorial/05-reading-the-request.md`.

use std::fmt::Write as _;
use std::io::{Read, Write as _};

use wsgiref::{AppError, Body, Environ, StartResponse, make_server};

/// Pick one of the applications below by path.
pub fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    match environ.get("PATH_INFO").unwrap_or("/") {
        "/form" => form(environ, start_response),
        "/echo" => echo(environ, start_response),
        "/upload" => upload(environ, start_response),
        _ => {
            start_response.call("404 Not Found", [("Content-Type", "text/plain")])?;
            Ok(Body::from("Try /form, /echo or /upload.\n"))
        }
    }
}

const FORM_PAGE: &str = r#"<!doctype html>
<form method="post" action="/form">
  <label>Name <input name="name"></label>
  <label>City <input name="city"></label>
  <button>Send</button>
</form>
"#;

// ANCHOR: form
/// A form: show it on GET; on POST, read the body and list its fields.
pub fn form(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    if environ.get("REQUEST_METHOD") != Some("POST") {
        start_response.call("200 OK", [("Content-Type", "text/html; charset=utf-8")])?;
        return Ok(Body::from(FORM_PAGE));
    }
    // CONTENT_LENGTH says how many bytes the body has ('' when none).
    let length: usize = environ.get("CONTENT_LENGTH").unwrap_or("").parse().unwrap_or(0);
    if length > 64 * 1024 {
        start_response.call("413 Content Too Large", [("Content-Type", "text/plain")])?;
        return Ok(Body::from("That form is too large.\n"));
    }
    let body = environ.input.read_bytes(length)?;

    let mut text = String::new();
    for (name, value) in parse_form(&body) {
        writeln!(text, "{name} = {value}")?;
    }
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(text))
}
// ANCHOR_END: form

// ANCHOR: parse_form
/// Parse `application/x-www-form-urlencoded` data, `name=Ann+Lee&city=Z%C3%BCrich`:
/// fields split on `&`, `+` stands for a space, `%XX` for a byte of UTF-8.
/// Python has it as `urllib.parse.parse_qsl`.
pub fn parse_form(body: &[u8]) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for field in body.split(|&byte| byte == b'&').filter(|field| !field.is_empty()) {
        let mut parts = field.splitn(2, |&byte| byte == b'=');
        let name = unquote_plus(parts.next().unwrap_or_default());
        let value = unquote_plus(parts.next().unwrap_or_default());
        fields.push((name, value));
    }
    fields
}

fn unquote_plus(text: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let hex = text
            .get(i + 1..i + 3)
            .filter(|hex| hex.iter().all(u8::is_ascii_hexdigit));
        match (text[i], hex) {
            (b'+', _) => bytes.push(b' '),
            (b'%', Some(hex)) => {
                let hex = String::from_utf8_lossy(hex);
                bytes.push(u8::from_str_radix(&hex, 16).unwrap_or(b'?'));
                i += 2;
            }
            (byte, _) => bytes.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&bytes).into_owned()
}
// ANCHOR_END: parse_form

// ANCHOR: echo
/// Send the request body back as it arrives, 64 KiB at a time, never
/// holding all of it.
pub fn echo(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let content_type = environ.get("CONTENT_TYPE").unwrap_or("application/octet-stream");
    let mut headers = vec![("Content-Type".to_string(), content_type.to_string())];
    if let Some(length) = environ.get("CONTENT_LENGTH").filter(|length| !length.is_empty()) {
        headers.push(("Content-Length".to_string(), length.to_string()));
    }
    start_response.call("200 OK", headers)?;

    // The body is read after this function returns, so it must own the input.
    let mut input = environ.take_input();
    let chunks = std::iter::from_fn(move || match input.read_bytes(64 * 1024) {
        Ok(chunk) if chunk.is_empty() => None, // the end of the request body
        Ok(chunk) => Some(Ok(chunk)),
        Err(error) => Some(Err(error.into())),
    });
    Ok(Body::new(chunks))
}
// ANCHOR_END: echo

// ANCHOR: upload
/// Read a body whose length may be unknown (a chunked upload).
pub fn upload(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let declared = environ.get("CONTENT_LENGTH").unwrap_or("").to_string();
    let mut body = Vec::new();
    if let Ok(length) = declared.parse::<usize>() {
        body = environ.input.read_bytes(length)?;
    } else if environ.input_terminated {
        // The server found the end of the body for us: reading to EOF is safe.
        environ.input.read_to_end(&mut body)?;
    } else {
        start_response.call("411 Length Required", [("Content-Type", "text/plain")])?;
        return Ok(Body::from("Send a Content-Length.\n"));
    }

    let mut text = format!("CONTENT_LENGTH = {declared:?}\n");
    writeln!(text, "wsgi.input_terminated = {}", environ.input_terminated)?;
    let received = String::from_utf8_lossy(&body);
    writeln!(text, "received {} bytes: {received:?}", body.len())?;
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(text))
}
// ANCHOR_END: upload

fn main() -> Result<(), AppError> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    let server = make_server("127.0.0.1", 8000, app)?;
    println!("Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)");
    server.serve_forever()?;
    Ok(())
}
