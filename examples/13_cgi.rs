//! Chapter 13: the same application as a CGI program.
//!
//! A web server (Apache `mod_cgi`, nginx with `fcgiwrap`, `python3 -m
//! http.server --cgi`) starts this program once per request, with the
//! request in environment variables and its body on stdin, and sends what
//! it prints to the client. Try it without a web server:
//!
//! ```text
//! REQUEST_METHOD=GET PATH_INFO=/hello QUERY_STRING=name=ferris cargo run --example 13_cgi
//! printf 'hi!' | REQUEST_METHOD=POST CONTENT_LENGTH=3 cargo run --example 13_cgi
//! ```

// ANCHOR: app
use std::io::Read;

use wsgiref::handlers::CgiHandler;
use wsgiref::util::decode_utf8;
use wsgiref::{AppError, Body, Environ, StartResponse};

/// Greet the client, show what the web server told us about the request,
/// and echo the body of a POST.
pub fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let method = environ.get("REQUEST_METHOD").unwrap_or("GET").to_string();
    // PATH_INFO holds the URL's bytes, one char each: decode them as UTF-8.
    let path = decode_utf8(environ.get("PATH_INFO").unwrap_or(""))?;
    let query = environ.get("QUERY_STRING").unwrap_or("").to_string();

    let mut text = String::from("Hello from a CGI program!\n\n");
    text.push_str(&format!("REQUEST_METHOD = {method}\n"));
    text.push_str(&format!("PATH_INFO = {path}\n"));
    text.push_str(&format!("QUERY_STRING = {query}\n"));
    if method == "POST" {
        // wsgi.input stops after CONTENT_LENGTH bytes of stdin.
        let mut body = Vec::new();
        environ.input.read_to_end(&mut body)?;
        text.push_str(&format!("\nYou sent {} bytes:\n", body.len()));
        text.push_str(&String::from_utf8_lossy(&body));
    }

    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(text))
}
// ANCHOR_END: app

// ANCHOR: main
/// The whole CGI program: one request from the environment and stdin, one
/// response to stdout. (`pub` so `tests/cgi.rs` can run it.)
pub fn main() {
    CgiHandler::new().run(&app);
}
// ANCHOR_END: main
