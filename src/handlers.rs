//! Base classes for server/gateway implementations: run an application and
//! send its response.
//!
//! Mirrors [wsgiref/handlers.py](https://github.com/python/cpython/blob/3.11/Lib/wsgiref/handlers.py).
//! `BaseHandler`'s steps keep their names and order, in two places:
//! [`SimpleHandler`] drives a request ([`SimpleHandler::run`],
//! `setup_environ`, `finish_response`, `handle_error`, `error_output`,
//! `close`), and the private `response` module holds the response it sends
//! (`start_response`, `write`, `send_headers`, `cleanup_headers`,
//! `set_content_length`, `send_preamble`, `finish_content`) as one explicit
//! state machine: `AwaitingStartResponse → Started → Sending → Finished`,
//! or `CutOff`.
//!
//! # Design notes
//!
//! - One concrete struct, generic over where the bytes go (`W: Write`), with
//!   `origin_server` as data, instead of Python's class hierarchy: the server
//!   uses it over a `TcpStream`, tests over a `Vec<u8>`.
//! - The response state lives in an `Rc<RefCell<_>>` shared by the
//!   `start_response` handle and the write callable, in one `Phase` at a
//!   time (after h11's server states) rather than a set of flags. No borrow is ever held
//!   while application code runs, so an application may call
//!   `start_response` from inside its body's `next()`.
//! - Panics in application code (the call, each `next()`, the close step)
//!   are caught here and take the error path; the server keeps serving.

use std::any::Any;
use std::cell::RefCell;
use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

use crate::http::reason_phrase;
use crate::input::{BodyFault, FaultReport};
use crate::trace::Trace;
use crate::types::{
    AppError, Application, Body, Environ, ExcInfo, FileWrapperFn, HeaderList, StartResponse, WriteCallable,
};
use crate::util::{FileWrapper, guess_scheme};

mod cgi;
mod checks;
pub(crate) mod debug_page;
mod response;
pub use cgi::{BaseCgiHandler, CgiHandler, read_environ, read_environ_from};
pub(crate) use debug_page::escape_html;
use response::Response;

pub use crate::date::format_date_time;

/// The log target of this module and its submodules: the one it had
/// before they were split out, so log filters keep working.
const LOG_TARGET: &str = "wsgiref::handlers";

/// What happened to one response, for the access log and the server.
///
/// # Example
///
/// ```
/// let mut handler = wsgiref::handlers::SimpleHandler::new(Vec::new());
/// let summary = handler.run(&wsgiref::simple_server::demo_app, wsgiref::Environ::new());
/// assert_eq!(summary.status, Some(200));
/// assert!(summary.complete);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ResponseSummary {
    /// The status code sent, or `None` when nothing was sent.
    pub status: Option<u16>,
    /// Body bytes sent to the client (0 for `HEAD`).
    pub bytes_sent: u64,
    /// Whether the status line and headers were sent.
    pub headers_sent: bool,
    /// Whether the whole response was sent; `false` when an error after the
    /// headers, a short body or a gone client cut it off.
    pub complete: bool,
    /// Whether the body went out with chunked transfer-coding (an HTTP/1.1
    /// client, no `Content-Length`): then a cut response is visible to the
    /// client by its framing (no last chunk); otherwise the server resets
    /// the connection to show it.
    pub chunked: bool,
}

/// Runs one application for one request and writes its response to `W`.
///
/// Shapes: `W` is where the response bytes go (a `TcpStream`, a
/// `Vec<u8>`, stdout for CGI). The public fields are configuration, as in
/// `BaseHandler`'s class attributes.
///
/// # Example
///
/// ```
/// use wsgiref::{handlers::SimpleHandler, Environ};
///
/// let mut environ = Environ::new();
/// environ.insert("REQUEST_METHOD", "GET");
/// let mut handler = SimpleHandler::new(Vec::new());
/// handler.run(&wsgiref::simple_server::demo_app, environ);
/// let output = handler.into_output().unwrap();
/// assert!(output.starts_with(b"HTTP/1.1 200 OK\r\nDate: "));
/// ```
///
/// Mirrors `wsgiref.handlers.SimpleHandler` (and `BaseHandler`).
pub struct SimpleHandler<W: Write> {
    // Configuration.
    /// `true`: send an HTTP status line (`HTTP/1.1 200 OK`), `Date`, `Server`
    /// and `Connection: close`; `false`: send a CGI `Status: 200 OK` header.
    pub origin_server: bool,
    /// The version in the status line, such as `"1.1"`.
    pub http_version: String,
    /// The `Server` header and `SERVER_SOFTWARE`, if any. Default `None`,
    /// as `BaseHandler.server_software`; the server sets its own
    /// ([`crate::simple_server::SERVER_SOFTWARE`]).
    pub server_software: Option<String>,
    /// `wsgi.multithread` for the applications this handler runs.
    pub multithread: bool,
    /// `wsgi.multiprocess` for the applications this handler runs.
    pub multiprocess: bool,
    /// `wsgi.run_once` for the applications this handler runs.
    pub run_once: bool,
    /// `wsgi.file_wrapper` for the applications this handler runs (`None`:
    /// leave the environ's as it is); by default `FileWrapper::into_body`.
    /// Mirrors `BaseHandler.wsgi_file_wrapper`.
    pub wsgi_file_wrapper: Option<FileWrapperFn>,

    // Error page settings.
    /// The status of the error page.
    pub error_status: String,
    /// The headers of the error page.
    pub error_headers: HeaderList,
    /// The body of the error page, bytes.
    pub error_body: Vec<u8>,
    /// Answer an application error with the development error page (the
    /// error, its traceback or causes, and the request line, as HTML)
    /// instead of `error_body`. Default `false`; the `wsgiref` command
    /// turns it on when it listens on a loopback address. Never turn it on
    /// for a public address: errors can show code, settings and data.
    pub debug_error_page: bool,

    // State (don't touch).
    response: Rc<RefCell<Response<W>>>,
    /// The client's first mistake in sending its body, reported by `wsgi.input`.
    body_fault: FaultReport,
    /// `GET /path?query HTTP/1.1`, for the development error page.
    request_line: String,
}

impl<W: Write> std::fmt::Debug for SimpleHandler<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimpleHandler")
            .field("origin_server", &self.origin_server)
            .field("http_version", &self.http_version)
            .field("server_software", &self.server_software)
            .finish_non_exhaustive()
    }
}

impl<W: Write + 'static> SimpleHandler<W> {
    /// A handler writing to `out`, configured as an origin server with
    /// HTTP/1.1 and wsgiref's error page.
    ///
    /// # Example
    ///
    /// ```
    /// let handler = wsgiref::handlers::SimpleHandler::new(Vec::<u8>::new());
    /// assert!(handler.origin_server);
    /// ```
    pub fn new(out: W) -> SimpleHandler<W> {
        SimpleHandler {
            origin_server: true,
            http_version: "1.1".to_string(),
            server_software: None,
            multithread: true,
            multiprocess: false,
            run_once: false,
            wsgi_file_wrapper: Some(FileWrapper::into_body),
            error_status: "500 Internal Server Error".to_string(),
            error_headers: vec![("Content-Type".to_string(), "text/plain".to_string())],
            error_body: b"A server error occurred.  Please contact the administrator.".to_vec(),
            debug_error_page: false,
            request_line: String::new(),
            response: Rc::new(RefCell::new(Response::new(out))),
            body_fault: FaultReport::default(),
        }
    }

    /// Invoke the application: set up the environ, call the application,
    /// send its response, and on any error or panic `handle_error`. Never
    /// panics because of application code.
    ///
    /// # Example
    ///
    /// ```
    /// let mut handler = wsgiref::handlers::SimpleHandler::new(Vec::new());
    /// let failing = wsgiref::app_fn(|_environ, _start_response| Err("boom".into()));
    /// let summary = handler.run(&failing, wsgiref::Environ::new());
    /// assert_eq!(summary.status, Some(500));
    /// ```
    ///
    /// Mirrors `BaseHandler.run`; spec: PEP 3333 "The Server/Gateway Side".
    pub fn run(&mut self, application: &dyn Application, mut environ: Environ) -> ResponseSummary {
        self.setup_environ(&mut environ);
        self.with_trace(|trace| {
            trace.environ(&environ);
            trace.application_started();
        });
        let start_response = self.start_response();
        let called = catch_unwind(AssertUnwindSafe(|| application.call(&mut environ, start_response)));
        let outcome = match called {
            Ok(Ok(body)) => self.finish_response(body),
            Ok(Err(error)) => Err(error),
            Err(panic) => Err(panic_error("application", panic)),
        };
        if let Err(error) = outcome {
            self.handle_error(error, environ.get("REMOTE_ADDR").unwrap_or("-"));
        }
        self.with_trace(Trace::application_finished);
        self.close()
    }

    /// Record this request in `trace` (see [`crate::trace`]); take it back
    /// with [`SimpleHandler::take_trace`] after `run`.
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::{handlers::SimpleHandler, trace::Trace};
    /// let mut handler = SimpleHandler::new(Vec::new());
    /// handler.set_trace(Trace::new("test"));
    /// handler.run(&wsgiref::simple_server::hello_app, wsgiref::Environ::new());
    /// let block = handler.take_trace().unwrap().finish();
    /// assert!(block.contains("start_response('200 OK', [('Content-Type', 'text/plain')])"));
    /// ```
    pub fn set_trace(&mut self, trace: Trace) {
        self.response.borrow_mut().trace = Some(trace);
    }

    /// Take back the trace given to [`SimpleHandler::set_trace`], if any.
    ///
    /// # Example
    ///
    /// See [`SimpleHandler::set_trace`].
    pub fn take_trace(&mut self) -> Option<Trace> {
        self.response.borrow_mut().trace.take()
    }

    fn with_trace(&self, record: impl FnOnce(&mut Trace)) {
        if let Some(trace) = self.response.borrow_mut().trace.as_mut() {
            record(trace);
        }
    }

    /// Set up the environ's `wsgi.*` keys for this handler, and prepare a
    /// fresh response.
    ///
    /// Mirrors `BaseHandler.setup_environ`.
    fn setup_environ(&mut self, environ: &mut Environ) {
        environ.url_scheme = guess_scheme(environ).to_string();
        environ.multithread = self.multithread;
        environ.multiprocess = self.multiprocess;
        environ.run_once = self.run_once;
        if self.wsgi_file_wrapper.is_some() {
            environ.file_wrapper = self.wsgi_file_wrapper;
        }
        if let (true, Some(software)) = (self.origin_server, &self.server_software) {
            if !environ.contains_key("SERVER_SOFTWARE") {
                environ.insert("SERVER_SOFTWARE", software.clone());
            }
        }
        let mut response = self.response.borrow_mut();
        response.status_line_prefix = format!("HTTP/{} ", self.http_version);
        response.origin_server = self.origin_server;
        response.server_software = self.server_software.clone();
        response.is_head = environ.get("REQUEST_METHOD") == Some("HEAD");
        response.client_takes_chunked = self.origin_server && self.http_version == "1.1" && is_http_1_1(environ);
        drop(response);
        // Why a report: an application that fails because the body was bad
        // is answered as the client's mistake (see `handle_error`). Not for
        // CGI: there the web server in front framed the body.
        *self.body_fault.borrow_mut() = None;
        if self.debug_error_page {
            self.request_line = request_line(environ);
        }
        if self.origin_server {
            let input = environ.take_input();
            environ.input = input.with_fault_report(Rc::clone(&self.body_fault));
        }
        if self.origin_server && expects_100_continue(environ) {
            let response = Rc::clone(&self.response);
            let input = environ.take_input();
            environ.input = input.with_before_first_read(move || response.borrow_mut().send_100_continue());
        }
    }

    /// Send any iterable data, then close the body (always).
    ///
    /// Mirrors `BaseHandler.finish_response`.
    fn finish_response(&self, mut body: Body) -> Result<(), AppError> {
        self.response.borrow_mut().single_chunk = body.is_single_chunk();
        let sent = loop {
            match catch_unwind(AssertUnwindSafe(|| body.next())) {
                Ok(None) => break self.response.borrow_mut().finish_content(),
                Ok(Some(Ok(chunk))) => {
                    if let Err(error) = self.response.borrow_mut().write(&chunk) {
                        break Err(error.into());
                    }
                }
                Ok(Some(Err(error))) => break Err(error),
                Err(panic) => break Err(panic_error("response body", panic)),
            }
        };
        // Why here: PEP 3333 wants close() even when iteration failed, and
        // before the error page is sent (wsgiref closes, then re-raises).
        close_body(body);
        sent
    }

    /// The `start_response` callable handed to the application.
    ///
    /// Mirrors `BaseHandler.start_response`; spec: PEP 3333 "The start_response() Callable".
    fn start_response(&self) -> StartResponse {
        let response = Rc::clone(&self.response);
        StartResponse::new(move |status, headers, exc_info| {
            response.borrow_mut().start_response(status, headers, exc_info)?;
            let response = Rc::clone(&response);
            Ok(WriteCallable::new(move |data| response.borrow_mut().write(data)))
        })
    }

    /// Log the error; send the error page if the headers are not sent yet,
    /// else leave the response cut off (the connection is closed).
    ///
    /// Mirrors `BaseHandler.handle_error` and `log_exception`.
    /// `client` (`REMOTE_ADDR`) names the client in the log line of its
    /// own mistake.
    fn handle_error(&self, error: AppError, client: &str) {
        if is_client_gone(&*error) {
            log::debug!("client disconnected: {error}");
            self.response.borrow_mut().cut_off();
            return;
        }
        let fault = self.body_fault.borrow_mut().take();
        if let Some(fault) = fault {
            self.answer_body_fault(fault, &error, client);
            return;
        }
        log::error!("error in the application: {}", error_chain(&*error));
        let headers_sent = self.response.borrow().headers_sent();
        if headers_sent {
            self.response.borrow_mut().cut_off();
            return;
        }
        let error_page = self.error_output(error);
        if let Err(error) = self.finish_response(error_page) {
            log::debug!("could not send the error page: {error}");
            self.response.borrow_mut().cut_off();
        }
    }

    /// The application failed after the client sent a bad body (malformed
    /// chunks, a body cut short, a stall, too large): a `warn` line names
    /// the client's mistake, the application's own error goes to `debug`,
    /// and the client gets the fault's status, or, after the headers, a cut
    /// response. Not in CPython, whose server blames the application (500).
    fn answer_body_fault(&self, fault: BodyFault, error: &AppError, client: &str) {
        let status = format!("{} {}", fault.status, reason_phrase(fault.status));
        log::warn!(target: LOG_TARGET, "{client}: {status}: {}", fault.reason);
        log::debug!(target: LOG_TARGET, "the application failed on it: {}", error_chain(&**error));
        if self.response.borrow().headers_sent() {
            self.response.borrow_mut().cut_off();
            return;
        }
        let page = format!("{status}: {}\n", fault.reason);
        let headers = vec![("Content-Type".to_string(), "text/plain; charset=utf-8".to_string())];
        let exc_info = Some(ExcInfo::new(fault.reason));
        let _ = self.response.borrow_mut().start_response(status, headers, exc_info);
        if let Err(error) = self.finish_response(Body::from(page)) {
            log::debug!("could not send the error page: {error}");
            self.response.borrow_mut().cut_off();
        }
    }

    /// The error page: `start_response` with `exc_info`, then the body.
    ///
    /// Mirrors `BaseHandler.error_output`.
    fn error_output(&self, error: AppError) -> Body {
        let (headers, body) = match self.debug_error_page {
            true => (
                vec![("Content-Type".to_string(), "text/html; charset=utf-8".to_string())],
                debug_page::render(&error_chain(&*error), &self.request_line).into_bytes(),
            ),
            false => (self.error_headers.clone(), self.error_body.clone()),
        };
        let mut response = self.response.borrow_mut();
        // The error page is ours, so it cannot fail the checks.
        let _ = response.start_response(self.error_status.clone(), headers, Some(ExcInfo::new(error)));
        Body::from(body)
    }

    /// End the response and say what was sent. The body was already closed.
    ///
    /// Mirrors `BaseHandler.close` (the access log is the server's job).
    fn close(&self) -> ResponseSummary {
        let mut response = self.response.borrow_mut();
        response.end_body();
        if let Some(out) = response.out.as_mut() {
            if let Err(error) = out.flush() {
                log::debug!("could not flush the response: {error}");
                response.cut_off();
            }
        }
        response.take_summary()
    }

    /// Take back the output (the stream or buffer the response went to).
    ///
    /// # Example
    ///
    /// ```
    /// let handler = wsgiref::handlers::SimpleHandler::new(vec![1u8]);
    /// assert_eq!(handler.into_output(), Some(vec![1u8]));
    /// ```
    pub fn into_output(self) -> Option<W> {
        self.response.borrow_mut().out.take()
    }
}

/// `GET /path?query HTTP/1.1`: the request as the environ has it (the
/// path quoted again, as `wsgiref.util.request_uri` does).
pub(crate) fn request_line(environ: &Environ) -> String {
    let path = format!(
        "{}{}",
        environ.get("SCRIPT_NAME").unwrap_or_default(),
        environ.get("PATH_INFO").unwrap_or_default()
    );
    let query = environ.get("QUERY_STRING").filter(|query| !query.is_empty());
    format!(
        "{} {}{}{} {}",
        environ.get("REQUEST_METHOD").unwrap_or("-"),
        crate::uri::quote(&path, "/;=,"),
        if query.is_some() { "?" } else { "" },
        query.unwrap_or_default(),
        environ.get("SERVER_PROTOCOL").unwrap_or("-")
    )
}

/// `Expect: 100-continue` on an HTTP/1.1 (or later 1.x) request; 1.0
/// clients ignore 100.
fn expects_100_continue(environ: &Environ) -> bool {
    let expect = environ.get("HTTP_EXPECT").unwrap_or_default();
    expect.eq_ignore_ascii_case("100-continue") && is_http_1_1(environ)
}

/// Whether the request is HTTP/1.1 or a later 1.x minor (as CPython
/// compares: `SERVER_PROTOCOL >= "HTTP/1.1"`).
fn is_http_1_1(environ: &Environ) -> bool {
    let protocol = environ.get("SERVER_PROTOCOL").unwrap_or_default();
    protocol.starts_with("HTTP/1.") && protocol >= "HTTP/1.1"
}

/// Drop the body (its close step) with panics contained.
fn close_body(body: Body) {
    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| drop(body))) {
        log::error!("{}", panic_error("close step of the response body", panic));
    }
}

/// Turn a caught panic into an error that says where it happened.
fn panic_error(place: &str, panic: Box<dyn Any + Send>) -> AppError {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string());
    format!("panic in the {place}: {message}").into()
}

/// Whether an error means the client went away (a debug line, not an error).
pub(crate) fn is_client_gone(error: &(dyn std::error::Error + 'static)) -> bool {
    let Some(io_error) = error.downcast_ref::<io::Error>() else {
        return false;
    };
    matches!(
        io_error.kind(),
        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted
    )
}

/// `error: cause: cause`, for one log line.
///
/// The one transparent wrapper, `StartResponseError::Header`, displays its
/// `HeaderError` and also gives it as `source()`: that cause is left out,
/// so the line does not say it twice. Every other cause is printed.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error;
    while let Some(cause) = current.source() {
        let transparent = matches!(
            current.downcast_ref::<crate::StartResponseError>(),
            Some(crate::StartResponseError::Header(_))
        );
        if !transparent {
            text.push_str(&format!(": {cause}"));
        }
        current = cause;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::app_fn;

    /// Run `app` in memory, like CPython's `run_amock`; returns the output
    /// with the `Date` line removed.
    fn run_amock(app: &dyn Application, method: &str) -> (ResponseSummary, String) {
        let mut environ = Environ::new();
        environ.insert("REQUEST_METHOD", method);
        let mut handler = SimpleHandler::new(Vec::new());
        handler.server_software = None;
        let summary = handler.run(app, environ);
        let output = String::from_utf8(handler.into_output().unwrap()).unwrap();
        let without_date: Vec<&str> = output
            .split("\r\n")
            .filter(|line| !line.starts_with("Date: "))
            .collect();
        (summary, without_date.join("\r\n"))
    }

    #[test]
    fn single_chunk_gets_content_length() {
        let app = app_fn(|_e, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from("hello"))
        });
        let (_, output) = run_amock(&app, "GET");
        assert_eq!(
            output,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
        );
    }

    #[test]
    fn head_sends_no_body() {
        let app = app_fn(|_e, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from("hello"))
        });
        let (summary, output) = run_amock(&app, "HEAD");
        assert_eq!(
            output,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\n"
        );
        assert_eq!(summary.bytes_sent, 0);
    }

    #[test]
    fn error_before_headers_gives_500_page() {
        // HandlerTests.testErrorAfterOutput's sibling: error before output.
        let app = app_fn(|_e, _start_response| Err("broken".into()));
        let (summary, output) = run_amock(&app, "GET");
        assert_eq!(summary.status, Some(500));
        assert_eq!(
            output,
            "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 59\r\nConnection: close\r\n\r\nA server error occurred.  Please contact the administrator."
        );
    }

    #[test]
    fn error_after_headers_cuts_response() {
        let app = app_fn(|_e, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::new(vec![Ok(b"partial".to_vec()), Err("late failure".into())]))
        });
        let (summary, output) = run_amock(&app, "GET");
        assert!(!summary.complete);
        assert!(output.ends_with("\r\n\r\npartial"));
    }

    #[test]
    fn bad_statuses_and_headers_are_refused() {
        let cases: [(&str, &str, &str); 7] = [
            ("200", "A", "b"),
            ("200OK", "A", "b"),
            ("100 Continue", "A", "b"),
            ("200 OK\r\nX: y", "A", "b"),
            ("200 OK", "A\r\nB", "b"),
            ("200 OK", "A", "b\nc"),
            ("200 OK", "Connection", "close"),
        ];
        for (status, name, value) in cases {
            let app = app_fn(move |_e, start_response| {
                start_response.call(status, [(name, value)])?;
                Ok(Body::from("x"))
            });
            let (summary, output) = run_amock(&app, "GET");
            assert_eq!(summary.status, Some(500), "case {status:?} {name:?} {value:?}");
            assert!(!output.contains("\nX: y") && !output.contains("\nB") && !output.contains("\nc"));
        }
    }

    #[test]
    fn second_start_response_needs_exc_info() {
        let app = app_fn(|_e, start_response| {
            start_response.call("200 OK", [("A", "1")])?;
            start_response.call("201 Created", [("A", "2")])?;
            Ok(Body::from("x"))
        });
        assert_eq!(run_amock(&app, "GET").0.status, Some(500));
        let app = app_fn(|_e, start_response| {
            start_response.call("200 OK", [("A", "1")])?;
            start_response.call_with_exc_info("404 Not Found", vec![], Some(ExcInfo::new("x")))?;
            Ok(Body::from("x"))
        });
        assert_eq!(run_amock(&app, "GET").0.status, Some(404));
    }

    #[test]
    fn longer_body_than_content_length_is_cut() {
        let app = app_fn(|_e, start_response| {
            start_response.call("200 OK", [("Content-Length", "3")])?;
            Ok(Body::from_chunks(["ab", "cdef"]))
        });
        let (summary, output) = run_amock(&app, "GET");
        assert!(output.ends_with("\r\n\r\nabc"));
        assert_eq!(summary.bytes_sent, 3);
    }

    #[test]
    fn no_content_gets_no_content_length() {
        let app = app_fn(|_e, start_response| {
            start_response.call("204 No Content", Vec::<(String, String)>::new())?;
            Ok(Body::from(""))
        });
        let (_, output) = run_amock(&app, "GET");
        assert_eq!(output, "HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
    }

    /// Run `app` for an HTTP/1.1 GET with a trace; the output and the trace block.
    fn run_traced_http_1_1(app: &dyn Application) -> (String, String) {
        let mut environ = Environ::new();
        environ.insert("REQUEST_METHOD", "GET");
        environ.insert("SERVER_PROTOCOL", "HTTP/1.1");
        let mut handler = SimpleHandler::new(Vec::new());
        handler.set_trace(Trace::new("test"));
        handler.run(app, environ);
        let block = handler.take_trace().unwrap().finish();
        let output = String::from_utf8(handler.into_output().unwrap()).unwrap();
        (output, block)
    }

    #[test]
    fn unknown_length_is_chunked_for_http_1_1_and_the_trace_shows_the_framing() {
        let app = app_fn(|_e, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from_chunks(["ab", "cde"]))
        });
        let (output, block) = run_traced_http_1_1(&app);
        assert!(output.contains("\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"));
        assert!(
            output.ends_with("\r\n\r\n2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n"),
            "{output:?}"
        );
        assert!(
            block.contains("  chunk: 2\\r\\n + 2 bytes + \\r\\n\n  chunk: 3\\r\\n"),
            "{block}"
        );
        assert!(block.contains("  last chunk: 0\\r\\n\\r\\n\n"), "{block}");
        let failing = app_fn(|_e, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::new(vec![Ok(b"ab".to_vec()), Err("gone".into())]))
        });
        let (output, block) = run_traced_http_1_1(&failing);
        assert!(output.ends_with("\r\n\r\n2\r\nab\r\n"), "{output:?}");
        assert!(block.contains("no last chunk: the response was cut off\n"), "{block}");
        assert!(!block.contains("last chunk: 0"), "{block}");
    }

    #[test]
    fn error_chain_prints_every_cause_but_a_header_errors_twin() {
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let error = Wrapper(std::io::Error::other("disk full"));
        assert_eq!(error_chain(&error), "disk full: disk full");
        let header = crate::HeaderError::ControlCharacter {
            part: "header value",
            value: "a\nb".into(),
        };
        let error = crate::StartResponseError::Header(header);
        assert_eq!(error_chain(&error), error.to_string());
    }

    #[test]
    fn the_close_step_may_still_write_before_the_last_chunk() {
        // As CPython's BaseHandler.close(), which closes the result first.
        let app = app_fn(|_e, start_response| {
            let write = start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from_chunks(["a", "b"]).on_close(move || write.write(b"-tail").unwrap()))
        });
        let (_, output) = run_amock(&app, "GET");
        assert!(output.ends_with("\r\n\r\nab-tail"), "{output:?}");
        let (output, _) = run_traced_http_1_1(&app);
        assert!(
            output.ends_with("\r\n\r\n1\r\na\r\n1\r\nb\r\n5\r\n-tail\r\n0\r\n\r\n"),
            "{output:?}"
        );
    }

    #[test]
    fn the_development_error_page_shows_the_error_chain_escaped() {
        let failing = app_fn(|_e, _start_response| {
            let cause = std::io::Error::other("no <such> file");
            Err(Box::new(std::io::Error::new(std::io::ErrorKind::NotFound, cause)) as AppError)
        });
        let mut environ = Environ::new();
        environ.insert("REQUEST_METHOD", "GET");
        environ.insert("PATH_INFO", "/a b");
        environ.insert("QUERY_STRING", "x=1");
        environ.insert("SERVER_PROTOCOL", "HTTP/1.0");
        let mut handler = SimpleHandler::new(Vec::new());
        handler.debug_error_page = true;
        let summary = handler.run(&failing, environ);
        let output = String::from_utf8(handler.into_output().unwrap()).unwrap();
        assert_eq!(summary.status, Some(500));
        assert!(
            output.contains("\r\nContent-Type: text/html; charset=utf-8\r\n"),
            "{output}"
        );
        assert!(output.contains("<code>GET /a%20b?x=1 HTTP/1.0</code>"), "{output}");
        assert!(output.contains("<pre>no &lt;such&gt; file</pre>"), "{output}");
    }
}
