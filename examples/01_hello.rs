//! Chapter 1: Hello, WSGI. The smallest application, served for one request.
//!
//! ```text
//! cargo run --example 01_hello
//! curl -i http://127.0.0.1:8000/        # in another terminal
//! ```
//!
//! See `tutorial/01-hello-wsgi.md`.

// ANCHOR: app
use wsgiref::{AppError, Body, Environ, StartResponse};

pub fn app(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from("Hello, WSGI!\n"))
}
// ANCHOR_END: app

// ANCHOR: main
use std::io::Write;

use wsgiref::make_server;

fn main() -> Result<(), AppError> {
    // Print the server's log on stderr, one message per line.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    let server = make_server("127.0.0.1", 8000, app)?;
    println!("Serving on http://127.0.0.1:8000/ ...");
    server.handle_request()?; // one request, then return
    Ok(())
}
// ANCHOR_END: main
