//! # wsgiref for Rust
//!
//! The Web Server Gateway Interface ([PEP 3333]) and its reference server,
//! re-made in Rust with the modules of Python's `wsgiref`. An *application*
//! is called once per request with an *environ* and a `start_response`
//! handle, and returns the response body:
//!
//! ```
//! use std::io::{Read, Write};
//! use wsgiref::{make_server, AppError, Body, Environ, StartResponse};
//!
//! fn hello(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
//!     let name = environ.get("QUERY_STRING").unwrap_or("").to_string();
//!     start_response.call("200 OK", [("Content-Type", "text/plain")])?;
//!     Ok(Body::from(format!("Hello, {name}!\n")))
//! }
//!
//! let server = make_server("127.0.0.1", 0, hello)?;
//! let address = server.server_address();
//! let client = std::thread::spawn(move || -> std::io::Result<String> {
//!     let mut stream = std::net::TcpStream::connect(address)?;
//!     stream.write_all(b"GET /?world HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
//!     let mut response = String::new();
//!     stream.read_to_string(&mut response)?;
//!     Ok(response)
//! });
//! server.handle_request()?;
//! let response = client.join().unwrap()?;
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(response.ends_with("\r\n\r\nHello, world!\n"));
//! # Ok::<(), wsgiref::AppError>(())
//! ```
//!
//! Let's walk through this:
//!
//! - `hello` is an [`Application`]: any function or closure of this shape,
//!   or a struct that implements the trait (middleware).
//! - [`Environ`] holds the CGI keys (`REQUEST_METHOD`, `PATH_INFO`,
//!   `QUERY_STRING`, `HTTP_HOST`, ...) as latin-1 native strings, and the
//!   `wsgi.*` keys as typed fields (`environ.input` is `wsgi.input`).
//! - [`StartResponse::call`] sets the status and headers; it returns the
//!   legacy [`WriteCallable`]. Headers go out just before the first body bytes.
//! - [`Body`] is the returned iterable; `Body::from` one value is known to be
//!   one chunk, so the server adds `Content-Length`. Its close step runs when
//!   it is dropped, on every path.
//! - [`make_server`] binds (port 0: any free port); [`WsgiServer::handle_request`]
//!   serves one request on this thread; [`WsgiServer::serve_forever`] serves
//!   until a [`ShutdownHandle`] stops it.
//!
//! ## The protocol in one picture
//!
//! ```text
//! client ──TCP──▶ listen backlog ──accept()──▶ worker thread (one per connection, from a pool)
//!                   │ read the request head (size + time limits), parse with httparse
//!                   ▼
//!                 get_environ ── builds ──▶ Environ (CGI keys + wsgi.* keys)
//!                   │
//!                   ▼
//!                 SimpleHandler::run(application)       (handlers.rs + handlers/response.rs: BaseHandler's steps)
//!                   │  application.call(&mut environ, start_response)
//!                   │     start_response(status, headers, exc_info) → write callable
//!                   │  iterate the body: headers before the first non-empty chunk,
//!                   │  then the chunks; close the body always
//!                   ▼
//! client ◀──TCP── status line + headers + body; half-close, drain, close
//! ```
//!
//! ## The modules
//!
//! | module | mirrors | holds |
//! |---|---|---|
//! | [`types`] | `wsgiref.types` | [`Application`], [`Environ`], [`StartResponse`], [`WriteCallable`], [`Body`], [`Errors`], [`ExcInfo`]; [`Input`] is `wsgi.input` |
//! | [`util`] | `wsgiref.util` | `FileWrapper`, `shift_path_info`, `request_uri`, `application_uri`, `guess_scheme`, `setup_testing_defaults`, `is_hop_by_hop`, latin-1 helpers |
//! | [`headers`] | `wsgiref.headers` | [`Headers`]: an ordered, case-insensitive header list |
//! | [`handlers`] | `wsgiref.handlers` | `SimpleHandler` (run an application over any writer), `BaseCgiHandler`, `CgiHandler`, `read_environ` |
//! | [`simple_server`] | `wsgiref.simple_server` | [`make_server`], [`WsgiServer`], [`ServerConfig`], `demo_app` (and `hello_app`, `echo_app`, `bytes_app`) |
//! | [`validate`] | `wsgiref.validate` | `validator`: middleware that checks both sides of the protocol |
//! | `http` (private) | `http.server` | reading the request head under limits, body framing, error pages, the access log; [`RequestError`] |
//! | [`testing`] | Werkzeug's test client | run an application once, in-process or over a socket, and inspect the response |
//! | [`trace`] | (new) | the protocol trace behind `wsgiref --trace` |
//! | [`record`] | (new) | the request recording behind `wsgiref --record`, replayed by [`testing::replay`] |
//! | [`static_files`] | (new; feature `static`, on by default) | serve a directory, alone or next to an application, for a dev server |
//!
//! Private modules below them: `date` (HTTP and log dates), `native`
//! (latin-1 native strings), `uri` (percent-encoding, RFC 3986) and `input`
//! (`wsgi.input`) are leaves, using nothing else of the crate; `pool` (the
//! worker threads) uses only `http`. The dependency graph has no cycle; the test
//! `tests/architecture.rs` checks it, and prints it with `--nocapture`:
//!
//! ```text
//! testing ─▶ simple_server ─▶ handlers ─▶ types ─▶ headers, input, native
//!    │            │              │
//!    └▶ validate  ├▶ http, pool  └▶ util ─▶ uri, native
//!    └────────────┴▶ record ─▶ http, date, input
//! ```
//!
//! ## Why blocking I/O
//!
//! WSGI is a synchronous protocol: the application reads `wsgi.input` and
//! yields body chunks with plain calls. A blocking `std::net` server with a
//! thread per connection (from a bounded pool) is the direct way to run it,
//! and the easiest to read: no runtime, no futures, the whole request on one
//! stack. Every wait is bounded by a [`ServerConfig`] limit, so a slow or
//! idle client costs one thread for a bounded time, never the server.
//!
//! ## Log levels
//!
//! The crate logs through the [`log`] facade; the `wsgiref` command prints
//! `info` and above unless `RUST_LOG` says otherwise. As a contract:
//!
//! - `error`: an application failed (error, panic, protocol mistake such as
//!   a header with CR/LF), with its cause; lines written to `wsgi.errors`
//!   (target `wsgi.errors`).
//! - `warn`: a client did something wrong (the reason for a 4xx/5xx sent by
//!   the server), an application sent a body that disagrees with its
//!   `Content-Length`, `accept()` failed, a client spoke HTTPS to the plain
//!   HTTP port (at most once a minute).
//! - `info`: one access-log line per request, target `wsgiref::access`, in
//!   Python's form: `127.0.0.1 - - [22/Nov/2026 18:16:30] "GET /xyz?abc HTTP/1.1" 200 1234`.
//! - `debug`: connections closed without a request, clients that went away
//!   mid-response, dropped request headers.
//!
//! ## Differences from CPython's wsgiref
//!
//! The README of the repository lists them all; in short: the process
//! environment is not copied into the environ, headers with `_` are dropped,
//! the status line is `HTTP/1.1` with `Connection: close`, HEAD gets no body,
//! bad application headers are refused, and request framing, limits and
//! timeouts follow RFC 9112.
//!
//! [PEP 3333]: https://peps.python.org/pep-3333/
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

#[cfg(feature = "cli")]
pub mod cli;
mod date;
pub mod handlers;
pub mod headers;
mod http;
mod input;
mod native;
mod pool;
#[cfg(feature = "python")]
pub mod python;
#[cfg(feature = "python-package")]
mod python_package;
pub mod record;
pub mod simple_server;
#[cfg(feature = "static")]
pub mod static_files;
pub mod testing;
pub mod trace;
pub mod types;
mod uri;
pub mod util;
pub mod validate;

pub use headers::{HeaderError, Headers};
pub use http::RequestError;
pub use input::Input;
pub use simple_server::{ServerConfig, ShutdownHandle, WsgiServer, make_server};
pub use types::{
    AppError, Application, Body, Environ, Errors, ExcInfo, HeaderList, StartResponse, StartResponseError,
    WriteCallable, app_fn,
};

/// The request parser's entry points, for the fuzz tests (`tests/fuzz.rs`),
/// as httparse's `_benchable`: not part of the API, may change at any time.
#[doc(hidden)]
pub mod __fuzz {
    pub use crate::http::{BodyFraming, RequestHead, check_request, parse_head};
}

/// The README's examples, compiled and run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
