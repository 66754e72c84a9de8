//! Chapter 10: the validator, and what it says about common mistakes.
//!
//! ```text
//! cargo run --example 10_validate
//! curl -i http://127.0.0.1:8000/no-content-type   # in another terminal; also /,
//!                                                 # /hop-by-hop, /bad-status,
//!                                                 # /body-first, /twice
//! ```
//!
//! See `tutorial/10-validation.md`.

use std::io::Write as _;

use wsgiref::validate::validator;
use wsgiref::{AppError, Application, Body, Environ, StartResponse, make_server};

// ANCHOR: app
/// The applications below, each with one mistake, behind the validator.
pub fn app() -> impl Application {
    validator(mistakes)
}

fn mistakes(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    match environ.get("PATH_INFO").unwrap_or("/") {
        "/no-content-type" => no_content_type(environ, start_response),
        "/hop-by-hop" => hop_by_hop(environ, start_response),
        "/bad-status" => bad_status(environ, start_response),
        "/body-first" => body_first(environ, start_response),
        "/twice" => twice(environ, start_response),
        _ => correct(environ, start_response),
    }
}
// ANCHOR_END: app

// ANCHOR: correct
/// No mistake: the validator changes nothing.
pub fn correct(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from("All correct.\n"))
}
// ANCHOR_END: correct

// ANCHOR: mistakes
/// A body needs a `Content-Type`, so the client knows what it is.
pub fn no_content_type(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", Vec::<(String, String)>::new())?;
    Ok(Body::from("What am I?\n"))
}

/// `Connection` describes the connection, which is the server's business.
pub fn hop_by_hop(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let headers = [("Content-Type", "text/plain"), ("Connection", "keep-alive")];
    start_response.call("200 OK", headers)?;
    Ok(Body::from("Keep me alive!\n"))
}

/// A status is a code, a space and a reason phrase: "200 OK", not "200".
pub fn bad_status(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200", [("Content-Type", "text/plain")])?;
    Ok(Body::from("Status: fine.\n"))
}

/// A body that yields a chunk before `start_response` was called.
pub fn body_first(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let mut start_response = Some(start_response);
    let chunks = ["first chunk\n", "then start_response\n"]
        .into_iter()
        .map(move |chunk| {
            if chunk.starts_with("then") {
                if let Some(start_response) = start_response.take() {
                    start_response.call("200 OK", [("Content-Type", "text/plain")])?;
                }
            }
            Ok(chunk.as_bytes().to_vec())
        });
    Ok(Body::new(chunks))
}

/// A second `start_response` without `exc_info` (chapter 7).
pub fn twice(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain")])?;
    start_response.call("404 Not Found", [("Content-Type", "text/plain")])?;
    Ok(Body::from("Found? Not found?\n"))
}
// ANCHOR_END: mistakes

fn main() -> Result<(), AppError> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    let server = make_server("127.0.0.1", 8000, app())?;
    println!("Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)");
    server.serve_forever()?;
    Ok(())
}
