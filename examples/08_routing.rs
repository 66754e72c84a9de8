//! Chapter 8: routing with `shift_path_info`, `SCRIPT_NAME` and
//! `PATH_INFO`, and mounting an application under a prefix.
//!
//! ```text
//! cargo run --example 08_routing
//! curl http://127.0.0.1:8000/hello/Ann      # in another terminal; also /blog/2024/wsgi
//! cargo run --example 08_routing -- --mounted
//! curl http://127.0.0.1:8000/apps/site/blog/2024/wsgi
//! ```
//!
//! See `tutorial/08-routing.md`.

use std::fmt::Write as _;
use std::io::Write as _;

use wsgiref::util::{application_uri, decode_utf8, python_repr, request_uri, shift_path_info};
use wsgiref::{AppError, Application, Body, Environ, StartResponse, make_server};

// ANCHOR: router
/// Route on the first segment of the path. `shift_path_info` moves it from
/// `PATH_INFO` to `SCRIPT_NAME`, so the next application sees only the rest.
pub fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    match shift_path_info(environ).as_deref() {
        None | Some("") => index(environ, start_response),
        Some("hello") => hello(environ, start_response),
        Some("blog") => show_path(environ, start_response),
        Some(_) => not_found(environ, start_response),
    }
}
// ANCHOR_END: router

fn index(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from("Try /hello, /hello/Ann and /blog/2024/wsgi?page=2\n"))
}

// ANCHOR: hello
/// `/hello` greets a stranger, `/hello/NAME` greets NAME.
pub fn hello(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let name = match shift_path_info(environ) {
        Some(name) if !name.is_empty() => decode_utf8(&name)?,
        _ => "stranger".to_string(),
    };
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(format!("Hello, {name}!\n")))
}
// ANCHOR_END: hello

// ANCHOR: show_path
/// Show where this application is mounted and what is left of the path.
pub fn show_path(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let mut text = String::new();
    writeln!(
        text,
        "SCRIPT_NAME = {}",
        python_repr(environ.get("SCRIPT_NAME").unwrap_or(""))
    )?;
    writeln!(
        text,
        "PATH_INFO = {}",
        python_repr(environ.get("PATH_INFO").unwrap_or(""))
    )?;
    writeln!(text, "application_uri = {}", application_uri(environ))?;
    writeln!(text, "request_uri = {}", request_uri(environ, true))?;
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(text))
}
// ANCHOR_END: show_path

fn not_found(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let text = format!("No page at {}\n", request_uri(environ, false));
    start_response.call("404 Not Found", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(text))
}

// ANCHOR: mount
/// Serve `app` under `prefix` (such as `/apps/site`): for requests below
/// it, the prefix moves from `PATH_INFO` to `SCRIPT_NAME`; others get 404.
pub struct Mount<A> {
    prefix: &'static str,
    app: A,
}

impl<A: Application> Mount<A> {
    pub fn new(prefix: &'static str, app: A) -> Mount<A> {
        Mount { prefix, app }
    }
}

impl<A: Application> Application for Mount<A> {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        let path_info = environ.get("PATH_INFO").unwrap_or("").to_string();
        match path_info.strip_prefix(self.prefix) {
            Some(rest) if rest.is_empty() || rest.starts_with('/') => {
                let script_name = environ.get("SCRIPT_NAME").unwrap_or("").to_string() + self.prefix;
                environ.insert("SCRIPT_NAME", script_name);
                environ.insert("PATH_INFO", rest);
                self.app.call(environ, start_response)
            }
            _ => not_found(environ, start_response),
        }
    }
}

/// This chapter's router, mounted under `/apps/site`.
pub fn site() -> impl Application {
    Mount::new("/apps/site", app)
}
// ANCHOR_END: mount

fn main() -> Result<(), AppError> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    // `cargo run --example 08_routing -- --mounted` serves the router under /apps/site.
    let server = if std::env::args().any(|arg| arg == "--mounted") {
        make_server("127.0.0.1", 8000, site())?
    } else {
        make_server("127.0.0.1", 8000, app)?
    };
    println!("Serving on http://127.0.0.1:8000/ ... (Ctrl-C to stop)");
    server.serve_forever()?;
    Ok(())
}
