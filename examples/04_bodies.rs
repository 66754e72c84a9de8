//! Chapter 4: response bodies: iterators and streaming, calling
//! `start_response` from inside the body, and the close step.
//!
//! ```text
//! cargo run --example 04_bodies
//! curl -N http://127.0.0.1:8000/countdown     # in another terminal; also /lazy, /close
//! ```
//!
//! See `tutorial/04-response-bodies.md`.

use std::io::Write as _;
use std::thread::sleep;
use std::time::Duration;

use wsgiref::{AppError, Body, Environ, StartResponse, make_server};

/// Pick one of the applications below by path.
pub fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    match environ.get("PATH_INFO").unwrap_or("/") {
        "/countdown" => countdown(environ, start_response),
        "/lazy" => lazy(environ, start_response),
        "/close" => with_close(environ, start_response),
        _ => {
            start_response.call("404 Not Found", [("Content-Type", "text/plain")])?;
            Ok(Body::from("Try /countdown, /lazy or /close.\n"))
        }
    }
}

// ANCHOR: countdown
/// A body made lazily: each line is computed when the server asks for it,
/// and sent before the next one is made.
pub fn countdown(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    let lines = (1..=3).rev().map(|n| {
        sleep(Duration::from_millis(300)); // some slow work for each chunk
        format!("{n}...\n")
    });
    let liftoff = std::iter::once("Liftoff!\n".to_string());
    Ok(Body::from_chunks(lines.chain(liftoff)))
}
// ANCHOR_END: countdown

// ANCHOR: lazy
/// PEP 3333's "class with `__iter__`": the application returns at once, and
/// calls `start_response` only when the server asks for the first chunk.
pub struct Greeting {
    start_response: Option<StartResponse>,
}

impl Iterator for Greeting {
    type Item = Result<Vec<u8>, AppError>;

    fn next(&mut self) -> Option<Self::Item> {
        // The first call takes the handle; later calls find None and end the body.
        let start_response = self.start_response.take()?;
        Some(first_chunk(start_response))
    }
}

fn first_chunk(start_response: StartResponse) -> Result<Vec<u8>, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(b"Hello from inside the body!\n".to_vec())
}

pub fn lazy(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let start_response = Some(start_response);
    Ok(Body::new(Greeting { start_response }))
}
// ANCHOR_END: lazy

// ANCHOR: close
/// The close step: work registered with `on_close` runs when the server is
/// done with the body, however it ended.
pub fn with_close(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let path = environ.get("PATH_INFO").unwrap_or("/").to_string();
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    let body = Body::from_chunks(["Two ", "chunks.\n"]);
    Ok(body.on_close(move || log::info!("closed the body of {path}")))
}
// ANCHOR_END: close

fn main() -> Result<(), AppError> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    let server = make_server("127.0.0.1", 8000, app)?;
    println!("Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)");
    server.serve_forever()?;
    Ok(())
}
