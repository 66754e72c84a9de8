//! Chapter 7: errors: application errors and panics, the 500 page,
//! `exc_info`, and what happens once the headers are sent.
//!
//! ```text
//! cargo run --example 07_errors
//! curl -i http://127.0.0.1:8000/error       # in another terminal; also /panic,
//!                                           # /exc-info, /twice, /late
//! ```
//!
//! See `tutorial/07-errors.md`.

use std::io::Write as _;

use wsgiref::{AppError, Body, Environ, ExcInfo, StartResponse, make_server};

/// Pick one of the applications below by path.
pub fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    match environ.get("PATH_INFO").unwrap_or("/") {
        "/error" => failing(environ, start_response),
        "/panic" => panicking(environ, start_response),
        "/exc-info" => careful(environ, start_response),
        "/twice" => twice(environ, start_response),
        "/late" => late_failure(environ, start_response),
        _ => {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from(
                "Still serving. Try /error, /panic, /exc-info, /twice or /late.\n",
            ))
        }
    }
}

// ANCHOR: failing
/// An error returned with `?`, before any response was started.
pub fn failing(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let settings = std::fs::read_to_string("no-such-settings.toml")?;
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(settings))
}
// ANCHOR_END: failing

// ANCHOR: panicking
/// A bug: indexing past the end of a vector panics.
pub fn panicking(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let visitors: Vec<&str> = Vec::new();
    let first = visitors[0];
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(format!("First visitor: {first}\n")))
}
// ANCHOR_END: panicking

// ANCHOR: careful
/// Catch the error and answer with a page of our own, replacing the
/// status and headers already given to `start_response`.
pub fn careful(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/html; charset=utf-8")])?;
    match render_page() {
        Ok(page) => Ok(Body::from(page)),
        Err(error) => {
            writeln!(environ.errors, "could not render the page: {error}")?;
            let status = "503 Service Unavailable";
            let headers = vec![("Content-Type".to_string(), "text/plain; charset=utf-8".to_string())];
            start_response.call_with_exc_info(status, headers, Some(ExcInfo::new(error)))?;
            Ok(Body::from("Resting for a minute. Please try again soon.\n"))
        }
    }
}

fn render_page() -> Result<String, AppError> {
    Err("the template service did not answer".into())
}
// ANCHOR_END: careful

// ANCHOR: twice
/// The same change of mind without `exc_info` is a mistake.
pub fn twice(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/html; charset=utf-8")])?;
    start_response.call("503 Service Unavailable", [("Content-Type", "text/plain")])?;
    Ok(Body::from("Resting for a minute.\n"))
}
// ANCHOR_END: twice

// ANCHOR: late
/// An error after the first chunk: the status line and headers are gone.
pub fn late_failure(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    let rows: Vec<Result<Vec<u8>, AppError>> = vec![
        Ok(b"row 1\n".to_vec()),
        Ok(b"row 2\n".to_vec()),
        Err("the database connection was lost".into()),
        Ok(b"row 3\n".to_vec()),
    ];
    Ok(Body::new(rows))
}
// ANCHOR_END: late

fn main() -> Result<(), AppError> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    let server = make_server("127.0.0.1", 8000, app)?;
    println!("Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)");
    server.serve_forever()?;
    Ok(())
}
