//! A test harness: build a request, run the application once or as a
//! browser session, inspect the response and, over a socket, the bytes.
//!
//! New (Python gets this from Werkzeug's `EnvironBuilder` and `Client`,
//! Django's `RequestFactory` and `Client`, or CPython's own `run_amock` in
//! `test_wsgiref.py`):
//!
//! | feature | Werkzeug `Client` | Django `Client` | here |
//! |---|---|---|---|
//! | a request, any method | `client.open(path, method=...)`, `.put`, `.patch`, `.delete`, `.head`, `.options` | `client.put(...)` etc. | [`TestRequest::new`], [`TestRequest::put`], [`TestRequest::patch`], [`TestRequest::delete`], [`TestRequest::head`], [`TestRequest::options`] |
//! | headers, raw body | `headers=`, `data=b'...'` | `headers=`, `data=`, `content_type=` | [`TestRequest::header`], [`TestRequest::body`], [`TestRequest::content_type`] |
//! | query parameters | `query_string={...}` | `client.get(path, data)` | [`TestRequest::query`] |
//! | form, JSON | `data={...}`, `json=...` | `data={...}`, `content_type='application/json'` | [`TestRequest::form`], [`TestRequest::json`] |
//! | file uploads | `data={'f': (BytesIO(...), 'a.txt')}` | `data={'f': file}` | [`Multipart`], [`TestRequest::multipart`] |
//! | cookies on a request | `client.set_cookie(...)` | `client.cookies[...]` | [`TestRequest::cookie`] |
//! | environ overrides | `environ_overrides=`, `environ_base=` | `**extra` | [`TestRequest::environ`], [`TestRequest::remote_addr`] |
//! | URL parts | `base_url='https://example.com:8443/app'` | `secure=True`, `SERVER_NAME=` | [`TestRequest::scheme`], [`TestRequest::server`], [`TestRequest::script_name`] |
//! | a bare environ | `EnvironBuilder.get_environ()` | `RequestFactory` | [`TestRequest::to_environ`] |
//! | one request | `Client(app).open(...)` | `Client().get(...)` | [`run`] (in-process), [`serve_once`] (over a socket) |
//! | a session | `Client(app, use_cookies=True)` | `Client()` | [`TestClient`] |
//! | cookie jar | `get_cookie`, `set_cookie`, `delete_cookie` | `client.cookies` | [`TestClient::cookies`], [`CookieJar`] |
//! | redirects | `follow_redirects=True`, `response.history` | `follow=True`, `response.redirect_chain` | [`TestClient::follow_redirects`], `TestResponse::history` |
//! | validator | (none) | (none) | on in [`TestClient`] and [`run_validated`] |
//! | status, headers | `status_code`, `headers.getlist(...)` | `status_code`, `response.headers` | `TestResponse::status`, [`TestResponse::header_all`] |
//! | body | `get_data()`, `get_data(as_text=True)`, `.json` | `content`, `json()` | [`TestResponse::bytes`], [`TestResponse::text`] (charset from `Content-Type`), `TestResponse::json` (feature `json`) |
//! | streaming | `buffered=False`, `is_streamed` | `streaming_content` | [`TestResponse::is_streamed`], `TestResponse::chunks` (as framed) |
//! | the request made | `response.request` | `response.request` | `TestResponse::request` |
//! | the bytes on the wire | (none) | (none) | [`Wire`] from [`serve_once`] and [`TestClient::over_socket`] |
//! | replay requests a dev server recorded | (none) | (none) | [`replay`], [`read_recording`], [`replay_request`] (`wsgiref --record FILE`; see [`crate::record`]) |
//!
//! # Example
//!
//! ```
//! use wsgiref::testing::{TestRequest, run};
//!
//! let response = run(&wsgiref::simple_server::echo_app, TestRequest::post("/echo").body("ping"));
//! assert_eq!(response.status, 200);
//! assert_eq!(response.header("Content-Length"), Some("4"));
//! assert_eq!(response.text(), "ping");
//! # Ok::<(), wsgiref::AppError>(())
//! ```
//!
//! # Design notes
//!
//! - [`TestRequest::to_environ`] builds the environ our server builds for
//!   [`TestRequest::to_bytes`], with the same rules (percent-decoded
//!   latin-1 `PATH_INFO`, raw `QUERY_STRING`, `CONTENT_TYPE` defaulting to
//!   `text/plain`, `HTTP_*` names with `_` dropped, repeated headers joined
//!   with `,`). [`serve_once`] sends those bytes to a real server and makes
//!   the server, the request's name, port, client address, `SCRIPT_NAME`
//!   and `HTTPS` look as a reverse proxy in front would, so an application
//!   sees the same environ both ways. Werkzeug's `EnvironBuilder` instead
//!   builds a dictionary directly and never goes through a server.
//! - [`run`] goes through [`SimpleHandler`], the code the server runs, so
//!   the response is exactly what a client would get, `Date` and `Server`
//!   included. Werkzeug's `Client` returns the application's own headers.
//! - A protocol violation in [`run_validated`] is returned as an `Err`, not
//!   a panic, so a test can assert on the [`Violation`]; `.unwrap()` or `?`
//!   fail the test with its message.
//! - [`TestClient`] runs each request as [`run`] or [`serve_once`] does:
//!   its cookies, redirects and validator are around the same server code,
//!   so a session test and a single-request test see the same responses.
//!   Its cookie jar follows RFC 6265 §5 without a public-suffix list (a
//!   test talks to its own hosts).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::handlers::SimpleHandler;
use crate::types::{AppError, Application, Body, Environ, Errors, StartResponse};
use crate::validate::{Violation, validator};

mod client;
mod cookies;
mod multipart;
mod replay;
mod request;
mod response;
pub use client::{ClientError, TestClient};
pub use cookies::{Cookie, CookieJar};
pub use multipart::Multipart;
pub use replay::{ReplayError, Replayed, read_recording, replay, replay_request, replay_with_config};
use request::Front;
pub use request::TestRequest;
use response::parse_response;
pub use response::{TestResponse, Wire, decode_chunked};

/// Run `application` once for `request`, in this thread, through the
/// server's own [`SimpleHandler`] writing to memory; parse the response.
/// An application error or panic gives the server's `500` page, as a client
/// would see it.
///
/// # Panics
///
/// Never because of the application; only if the handler's output cannot
/// be parsed, which would be a bug in this crate.
///
/// # Example
///
/// ```
/// use wsgiref::testing::{TestRequest, run};
///
/// let app = wsgiref::app_fn(|environ, start_response| {
///     use std::io::Write;
///     writeln!(environ.errors, "no such page")?;
///     start_response.call("404 Not Found", [("Content-Type", "text/plain")])?;
///     Ok(wsgiref::Body::from("not here"))
/// });
/// let response = run(&app, TestRequest::get("/missing"));
/// assert_eq!((response.status, response.reason.as_str()), (404, "Not Found"));
/// assert_eq!(response.errors, "no such page\n");
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Compare CPython's `run_amock` (test_wsgiref.py) and Werkzeug's `Client.open`.
pub fn run(application: &dyn Application, request: TestRequest) -> TestResponse {
    let mut environ = request.to_environ();
    let (errors, captured) = Errors::capture();
    environ.errors = errors;
    let mut handler = SimpleHandler::new(Vec::new());
    // As the server's handler: its `Server` header and `SERVER_SOFTWARE`.
    handler.server_software = Some(crate::simple_server::SERVER_SOFTWARE.to_string());
    let summary = handler.run(application, environ);
    let output = handler.into_output().unwrap_or_default();
    let mut response = parse_response(&output).unwrap_or_else(|error| panic!("{error}"));
    response.errors = String::from_utf8_lossy(&captured.borrow()).into_owned();
    response.complete = summary.complete;
    response.request = Some(request);
    response
}

/// Like [`run`], with the application wrapped in [`validator`]: any break
/// of PEP 3333 by the application (or by the request's environ) is returned
/// as the first [`Violation`]. Warnings are only logged.
///
/// # Errors
///
/// The first [`Violation`] found, such as `content_type_missing`.
///
/// # Example
///
/// ```
/// use wsgiref::testing::{TestRequest, run_validated};
///
/// let response = run_validated(&wsgiref::simple_server::demo_app, TestRequest::get("/"))?;
/// assert_eq!(response.status, 200);
///
/// let no_content_type = wsgiref::app_fn(|_environ, start_response| {
///     start_response.call("200 OK", Vec::<(String, String)>::new())?;
///     Ok(wsgiref::Body::from("hi"))
/// });
/// let violation = run_validated(&no_content_type, TestRequest::get("/")).unwrap_err();
/// assert_eq!(violation.rule, "content_type_missing");
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Compare `wsgiref.validate.validator` around the application in a test.
pub fn run_validated(application: &dyn Application, request: TestRequest) -> Result<TestResponse, Violation> {
    let checked = RecordViolation {
        application: validator(Borrowed(application)),
        violation: Arc::default(),
    };
    let response = run(&checked, request);
    let violation = checked.violation.lock().ok().and_then(|mut violation| violation.take());
    match violation {
        Some(violation) => Err(violation),
        None => Ok(response),
    }
}

/// An application borrowed for the length of one run.
struct Borrowed<'a>(&'a dyn Application);

impl Application for Borrowed<'_> {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        self.0.call(environ, start_response)
    }

    fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
        self.0.run_worker(serve)
    }
}

/// Middleware that keeps the first [`Violation`] the validator inside it
/// returns or yields.
struct RecordViolation<A> {
    application: A,
    violation: Arc<Mutex<Option<Violation>>>,
}

impl<A: Application> Application for RecordViolation<A> {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        let record = |violation: Arc<Mutex<Option<Violation>>>, error: &AppError| {
            if let (Some(found), Ok(mut slot)) = (error.downcast_ref::<Violation>(), violation.lock()) {
                slot.get_or_insert_with(|| found.clone());
            }
        };
        let body = match self.application.call(environ, start_response) {
            Ok(body) => body,
            Err(error) => {
                record(Arc::clone(&self.violation), &error);
                return Err(error);
            }
        };
        if body.is_single_chunk() {
            // One chunk cannot be an error; wrapping it would lose the computed Content-Length.
            return Ok(body);
        }
        let violation = Arc::clone(&self.violation);
        let mut body = body;
        Ok(Body::new(std::iter::from_fn(move || {
            let chunk = body.next()?;
            if let Err(error) = &chunk {
                record(Arc::clone(&violation), error);
            }
            Some(chunk)
        })))
    }

    fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
        self.application.run_worker(serve)
    }
}

/// Like [`run`], over a real socket: start a server with
/// [`make_server`](crate::make_server) on `127.0.0.1:0`, send
/// [`TestRequest::to_bytes`] from a client thread, serve that one request
/// with [`WsgiServer::handle_request`](crate::WsgiServer::handle_request),
/// and parse what the client read until the server closed.
///
/// The application sees the same environ as with [`run`] (the request's
/// server name and port, client address, `SCRIPT_NAME` and scheme are set
/// as a reverse proxy would); framing, limits and `Connection: close` are
/// the real server's. The response's [`Wire`] has the exact bytes sent and
/// received, and its `request` the request.
///
/// # Errors
///
/// The `io::Error` of binding, connecting, sending or receiving; an
/// `InvalidData` error when the bytes received are not an HTTP response.
///
/// # Example
///
/// ```
/// use wsgiref::testing::{TestRequest, serve_once};
///
/// let request = TestRequest::post("/echo").body("x".repeat(100_000)).chunked();
/// let response = serve_once(wsgiref::simple_server::echo_app, request)?;
/// assert_eq!(response.status, 200);
/// assert_eq!(response.body.len(), 100_000);
/// # Ok::<(), wsgiref::AppError>(())
/// ```
pub fn serve_once(application: impl Application + 'static, request: TestRequest) -> io::Result<TestResponse> {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let behind_proxy = BehindProxy {
        application,
        front: request.front.clone(),
        errors: Arc::clone(&errors),
    };
    let server = crate::make_server("127.0.0.1", 0, behind_proxy)?;
    let client = send_from_a_thread(server.server_address(), request.to_bytes())?;
    server.handle_request()?;
    let raw = client
        .join()
        .map_err(|_| io::Error::other("the client thread panicked"))??;
    let mut response = parse_response(&raw).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
    if request.method() == "HEAD" {
        // Its `Content-Length` is the GET's; no body follows (RFC 9110 §9.3.2).
        response.complete = response.body.is_empty();
    }
    let errors = errors
        .lock()
        .map(|errors| String::from_utf8_lossy(&errors).into_owned());
    response.errors = errors.unwrap_or_default();
    response.wire = Some(Wire {
        request: request.to_bytes(),
        response: raw,
    });
    response.request = Some(request);
    Ok(response)
}

/// Connect to `address`, then on a thread: send `bytes`, half-close, and
/// read until the server closes.
fn send_from_a_thread(
    address: std::net::SocketAddr,
    bytes: Vec<u8>,
) -> io::Result<std::thread::JoinHandle<io::Result<Vec<u8>>>> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    Ok(std::thread::spawn(move || {
        // Why ignore a failed write: the server may answer (413, 400) and
        // close before reading the whole body; its answer is still to read.
        if stream.write_all(&bytes).is_ok() {
            let _ = stream.shutdown(Shutdown::Write);
        }
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        Ok(response)
    }))
}

/// An application as [`serve_once`] runs it: the environ adjusted by the
/// request's [`Front`], and `wsgi.errors` kept for the response.
struct BehindProxy<A> {
    application: A,
    front: Front,
    errors: Arc<Mutex<Vec<u8>>>,
}

impl<A: Application> Application for BehindProxy<A> {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        self.front.apply(environ);
        let (errors, captured) = Errors::capture();
        environ.errors = errors;
        let sink = Arc::clone(&self.errors);
        let keep = move || {
            if let Ok(mut sink) = sink.lock() {
                sink.extend_from_slice(&captured.borrow());
            }
        };
        match self.application.call(environ, start_response) {
            Ok(body) => Ok(body.on_close(keep)),
            Err(error) => {
                keep();
                Err(error)
            }
        }
    }

    fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
        self.application.run_worker(serve)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::app_fn;

    #[test]
    fn run_gives_the_server_response() {
        let response = run(&crate::simple_server::hello_app, TestRequest::get("/"));
        let names: Vec<&str> = response.headers.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(
            names,
            ["Date", "Server", "Content-Type", "Content-Length", "Connection"]
        );
        assert_eq!(response.header("Server"), Some(crate::simple_server::SERVER_SOFTWARE));
        assert!(response.complete);
    }

    #[test]
    fn run_with_errors_and_panics() {
        let failing = app_fn(|_environ, _start_response| Err("boom".into()));
        let panicking = app_fn(|_environ, _start_response| panic!("on purpose"));
        for app in [&failing as &dyn Application, &panicking] {
            let response = run(app, TestRequest::get("/"));
            assert_eq!(response.status_line(), "500 Internal Server Error");
            assert_eq!(
                response.text(),
                "A server error occurred.  Please contact the administrator."
            );
        }
        let cut_off = app_fn(|_environ, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])?;
            Ok(Body::new(vec![Ok(b"part".to_vec()), Err("late".into())]))
        });
        let response = run(&cut_off, TestRequest::get("/"));
        assert_eq!(
            (response.status, response.body.as_slice(), response.complete),
            (200, &b"part"[..], false)
        );
    }

    #[test]
    fn interim_100_continue_is_skipped() {
        let request = TestRequest::post("/").header("Expect", "100-continue").body("data");
        let response = run(&crate::simple_server::echo_app, request);
        assert_eq!((response.status, response.text().as_str()), (200, "data"));
    }

    #[test]
    fn violations_in_the_body_are_returned() {
        // The body yields a chunk before start_response: the validator yields a violation.
        let app = app_fn(|_environ, _start_response| Ok(Body::from_chunks(["too early"])));
        let violation = run_validated(&app, TestRequest::get("/")).unwrap_err();
        assert_eq!(violation.rule, "start_response_not_called");
        let streamed = app_fn(|_environ, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from_chunks(["a", "b"]))
        });
        let response = run_validated(&streamed, TestRequest::get("/")).unwrap();
        assert_eq!(response.text(), "ab");
    }

    #[test]
    fn serve_once_reports_errors_and_bad_requests() {
        let app = app_fn(|environ, start_response| {
            let path = environ.get("PATH_INFO").unwrap_or_default().to_string();
            writeln!(environ.errors, "seen {path}")?;
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from("ok"))
        });
        let response = serve_once(app, TestRequest::get("/x")).unwrap();
        assert_eq!(response.errors, "seen /x\n");
        // Two Host headers: the server refuses the request; the application never runs.
        let request = TestRequest::get("/").header("Host", "a").header("Host", "b");
        let response = serve_once(crate::simple_server::hello_app, request).unwrap();
        assert_eq!(response.status, 400);
    }
}
