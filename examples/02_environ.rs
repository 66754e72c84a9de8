//! Chapter 2: the environ. Shows the request line as the application sees
//! it, and turns a non-ASCII path back into the text the client meant.
//!
//! ```text
//! cargo run --example 02_environ
//! curl http://127.0.0.1:8000/caf%C3%A9?lang=fr        # in another terminal
//! ```
//!
//! See `tutorial/02-environ.md`.

// ANCHOR: app
use std::fmt::Write as _;

use wsgiref::util::{decode_utf8, to_bytes};
use wsgiref::{AppError, Body, Environ, StartResponse};

pub fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let method = environ.get("REQUEST_METHOD").unwrap_or("GET");
    let path = environ.get("PATH_INFO").unwrap_or("/");
    let query = environ.get("QUERY_STRING").unwrap_or("");

    let mut text = String::new();
    writeln!(text, "method: {method}")?;
    writeln!(text, "path, as the environ holds it: {path}")?;
    // Each char of an environ value stands for one byte of the request.
    let bytes = to_bytes(path).ok_or("PATH_INFO is not a native string")?;
    writeln!(text, "path, as bytes: {bytes:x?}")?;
    // The client sent UTF-8: decode those bytes to get the text it meant.
    writeln!(text, "path, decoded as UTF-8: {}", decode_utf8(path)?)?;
    writeln!(text, "query: {query}")?;

    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(text))
}
// ANCHOR_END: app

// ANCHOR: main
use std::io::Write;

use wsgiref::make_server;

fn main() -> Result<(), AppError> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    let server = make_server("127.0.0.1", 8000, app)?;
    println!("Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)");
    server.serve_forever()?; // answer requests until the program is stopped
    Ok(())
}
// ANCHOR_END: main
