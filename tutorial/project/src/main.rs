//! Chapter 1b: `src/main.rs` of a project of your own (`cargo new
//! hello-wsgi`), with `wsgiref` and `env_logger` as dependencies.
//!
//! See `tutorial/01b-your-own-project.md`; `tests/tutorial.rs` builds and
//! tests it in a fresh crate.

// ANCHOR: all
use std::io::Write as _;

use wsgiref::{AppError, Body, Environ, StartResponse, make_server};

// ANCHOR: app
pub fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let name = environ.get("QUERY_STRING").unwrap_or("").strip_prefix("name=");
    let text = format!("Hello, {}, from my own project!\n", name.unwrap_or("stranger"));
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(text))
}
// ANCHOR_END: app

fn main() -> Result<(), AppError> {
    // The log, on stderr: `info` and above unless RUST_LOG says otherwise.
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    let server = make_server("127.0.0.1", 8000, app)?;
    println!("Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)");
    server.serve_forever()?;
    Ok(())
}

// ANCHOR: tests
#[cfg(test)]
mod tests {
    use wsgiref::testing::{TestRequest, run};

    use super::app;

    #[test]
    fn greets_a_stranger() {
        let response = run(&app, TestRequest::get("/"));
        assert_eq!(response.status, 200);
        assert_eq!(response.text(), "Hello, stranger, from my own project!\n");
    }

    #[test]
    fn greets_by_name() {
        let response = run(&app, TestRequest::get("/?name=Ann"));
        assert_eq!(response.text(), "Hello, Ann, from my own project!\n");
    }
}
// ANCHOR_END: tests
// ANCHOR_END: all
