//! Chapter 6: middleware: the classic Upperware, why it must fix
//! `Content-Length`, and composing several middleware.
//!
//! ```text
//! cargo run --example 06_middleware
//! curl -i http://127.0.0.1:8000/upper       # in another terminal; also /, /naive,
//!                                           # /upper-footer, /footer-upper
//! ```
//!
//! See `tutorial/06-middleware.md`.

use std::io::Write as _;

use wsgiref::{AppError, Application, Body, Environ, StartResponse, make_server};

// ANCHOR: greeting
/// The application the middleware wraps. It knows its length and says so.
pub fn greeting(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let text = "Grüße, kırmızı çiçek!\n";
    let length = text.len().to_string();
    let headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", length.as_str()),
    ];
    start_response.call("200 OK", headers)?;
    Ok(Body::from(text))
}
// ANCHOR_END: greeting

// ANCHOR: naive
/// Upper-case the body of the application it wraps. (It has a bug.)
pub struct NaiveUpperware<A>(pub A);

impl<A: Application> Application for NaiveUpperware<A> {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        let body = self.0.call(environ, start_response)?;
        Ok(body.map_chunks(upper_case))
    }
}

fn upper_case(chunk: Vec<u8>) -> Vec<u8> {
    String::from_utf8_lossy(&chunk).to_uppercase().into_bytes()
}
// ANCHOR_END: naive

// ANCHOR: upperware
/// Upper-case the body of the application it wraps, and drop the
/// `Content-Length` it can no longer vouch for.
pub struct Upperware<A>(pub A);

impl<A: Application> Application for Upperware<A> {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        let body = self.0.call(environ, without_content_length(start_response))?;
        Ok(body.map_chunks(upper_case))
    }
}

/// A `start_response` for the wrapped application: it passes each call on
/// to the server's, minus any `Content-Length` header.
pub fn without_content_length(start_response: StartResponse) -> StartResponse {
    StartResponse::new(move |status, mut headers, exc_info| {
        headers.retain(|(name, _)| !name.eq_ignore_ascii_case("Content-Length"));
        start_response.call_with_exc_info(status, headers, exc_info)
    })
}
// ANCHOR_END: upperware

// ANCHOR: footer
/// Add a last line to the body of the application it wraps.
pub struct Footer<A>(pub A);

impl<A: Application> Application for Footer<A> {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        let body = self.0.call(environ, without_content_length(start_response))?;
        let footer = std::iter::once(Ok(b"-- served by wsgiref\n".to_vec()));
        // The new body owns the old one: closing it closes the old one too.
        Ok(Body::new(body.chain(footer)))
    }
}
// ANCHOR_END: footer

// ANCHOR: app
/// Each path wraps `greeting` in different middleware.
pub fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    match environ.get("PATH_INFO").unwrap_or("/") {
        "/naive" => NaiveUpperware(greeting).call(environ, start_response),
        "/upper" => Upperware(greeting).call(environ, start_response),
        "/upper-footer" => Upperware(Footer(greeting)).call(environ, start_response),
        "/footer-upper" => Footer(Upperware(greeting)).call(environ, start_response),
        _ => greeting(environ, start_response),
    }
}
// ANCHOR_END: app

fn main() -> Result<(), AppError> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    let server = make_server("127.0.0.1", 8000, app)?;
    println!("Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)");
    server.serve_forever()?;
    Ok(())
}
