//! Chapter 3: `start_response`: status and headers, when the headers leave
//! the server, `Content-Length`, and the legacy `write` callable.
//!
//! ```text
//! cargo run --example 03_start_response
//! curl -i http://127.0.0.1:8000/            # in another terminal; also
//! curl -i http://127.0.0.1:8000/chunks      # /write, /changed-mind, /nothing-here
//! ```
//!
//! See `tutorial/03-start-response.md`.

use std::io::Write as _;

use wsgiref::{AppError, Body, Environ, StartResponse, make_server};

// ANCHOR: app
/// Pick one of the small applications below by path.
pub fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    match environ.get("PATH_INFO").unwrap_or("/") {
        "/" => one_chunk(environ, start_response),
        "/chunks" => chunks(environ, start_response),
        "/write" => with_write(environ, start_response),
        "/changed-mind" => changed_mind(environ, start_response),
        _ => not_found(environ, start_response),
    }
}
// ANCHOR_END: app

// ANCHOR: one_chunk
/// One chunk: the server knows the body's length and sends `Content-Length`.
pub fn one_chunk(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Cache-Control", "no-store"),
    ];
    start_response.call("200 OK", headers)?;
    Ok(Body::from("One chunk.\n"))
}
// ANCHOR_END: one_chunk

// ANCHOR: not_found
/// Any status works the same way: three digits, a space, a reason phrase.
pub fn not_found(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let path = environ.get("PATH_INFO").unwrap_or("/");
    let text = format!("Nothing at {path}.\n");
    start_response.call("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(text))
}
// ANCHOR_END: not_found

// ANCHOR: chunks
/// Several chunks: the server cannot know the length without waiting for
/// all of them, so it sends none, and frames each chunk with its size.
pub fn chunks(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from_chunks(["Three ", "chunks", ".\n"]))
}
// ANCHOR_END: chunks

// ANCHOR: with_write
/// The legacy way: `start_response` returns a `write` callable, and the
/// first `write` sends the headers at once.
pub fn with_write(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let write = start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    write.write(b"Written ")?;
    write.write(b"with write().\n")?;
    Ok(Body::empty())
}
// ANCHOR_END: with_write

// ANCHOR: changed_mind
/// `start_response` only records the status and headers; nothing has been
/// sent yet, so an error now still becomes a clean `500` page.
pub fn changed_mind(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Err("the page could not be made after all".into())
}
// ANCHOR_END: changed_mind

fn main() -> Result<(), AppError> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    let server = make_server("127.0.0.1", 8000, app)?;
    println!("Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)");
    server.serve_forever()?;
    Ok(())
}
