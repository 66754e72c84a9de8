//! Base classes for server/gateway implementations: run an application and
//! send its response.
//!
//! Mirrors [wsgiref/handlers.py](https://github.com/python/cpython/blob/3.11/Lib/wsgiref/handlers.py).
//! [`SimpleHandler`] holds `BaseHandler`'s steps as methods with the same
//! names, in the same order: [`SimpleHandler::run`], `setup_environ`,
//! `finish_response`, `start_response`, `send_preamble`, `write`,
//! `finish_content`, `close`, `send_headers`, `cleanup_headers`,
//! `set_content_length`, `handle_error`, `error_output`.
//!
//! # Design notes
//!
//! - One concrete struct, generic over where the bytes go (`W: Write`), with
//!   `origin_server` as data, instead of Python's class hierarchy: the server
//!   uses it over a `TcpStream`, tests over a `Vec<u8>`.
//! - The response state lives in an `Rc<RefCell<_>>` shared by the
//!   `start_response` handle and the write callable. No borrow is ever held
//!   while application code runs, so an application may call
//!   `start_response` from inside its body's `next()`.
//! - Panics in application code (the call, each `next()`, the close step)
//!   are caught here and take the error path; the server keeps serving.

use std::any::Any;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::time::SystemTime;

use crate::trace::Trace;
use crate::types::{
    AppError, Application, Body, Environ, ExcInfo, FileWrapperFn, HeaderList, StartResponse, StartResponseError,
    WriteCallable,
};
use crate::util::{FileWrapper, guess_scheme};

mod cgi;
mod checks;
pub use cgi::{BaseCgiHandler, CgiHandler, read_environ, read_environ_from};
use checks::{check_content_length, check_header, check_status};

/// Format a time as an HTTP-date: `Sun, 06 Nov 1994 08:49:37 GMT`.
///
/// # Example
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// let time = UNIX_EPOCH + Duration::from_secs(784_111_777);
/// assert_eq!(wsgiref::handlers::format_date_time(time), "Sun, 06 Nov 1994 08:49:37 GMT");
/// ```
///
/// Mirrors `wsgiref.handlers.format_date_time`; spec: RFC 9110 §5.6.7 (IMF-fixdate).
pub fn format_date_time(time: SystemTime) -> String {
    let t = crate::http::civil_time(time);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        t.weekday_name, t.day, t.month_name, t.year, t.hour, t.minute, t.second
    )
}

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
/// handler.server_software = None;
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
    /// The `Server` header and `SERVER_SOFTWARE`, if any.
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

    // State (don't touch).
    response: Rc<RefCell<Response<W>>>,
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

/// The state of one response, shared with `start_response` and `write`.
struct Response<W> {
    out: Option<W>,
    origin_server: bool,
    status_line_prefix: String,
    server_software: Option<String>,
    is_head: bool,
    single_chunk: bool,
    status: Option<String>,
    headers: HeaderList,
    headers_sent: bool,
    bytes_sent: u64,
    declared_length: Option<u64>,
    cut_off: bool,
    trace: Option<Trace>,
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
            server_software: Some(crate::simple_server::SERVER_SOFTWARE.to_string()),
            multithread: true,
            multiprocess: false,
            run_once: false,
            wsgi_file_wrapper: Some(FileWrapper::into_body),
            error_status: "500 Internal Server Error".to_string(),
            error_headers: vec![("Content-Type".to_string(), "text/plain".to_string())],
            error_body: b"A server error occurred.  Please contact the administrator.".to_vec(),
            response: Rc::new(RefCell::new(Response::new(out))),
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
            self.handle_error(error);
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
        drop(response);
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
    fn handle_error(&self, error: AppError) {
        if is_client_gone(&*error) {
            log::debug!("client disconnected: {error}");
            self.response.borrow_mut().cut_off = true;
            return;
        }
        log::error!("error in the application: {}", error_chain(&*error));
        let headers_sent = self.response.borrow().headers_sent;
        if headers_sent {
            self.response.borrow_mut().cut_off = true;
            return;
        }
        let error_page = self.error_output(error);
        if let Err(error) = self.finish_response(error_page) {
            log::debug!("could not send the error page: {error}");
            self.response.borrow_mut().cut_off = true;
        }
    }

    /// The error page: `start_response` with `exc_info`, then the body.
    ///
    /// Mirrors `BaseHandler.error_output`.
    fn error_output(&self, error: AppError) -> Body {
        let mut response = self.response.borrow_mut();
        // The error page is ours, so it cannot fail the checks.
        let _ = response.start_response(
            self.error_status.clone(),
            self.error_headers.clone(),
            Some(ExcInfo::new(error)),
        );
        Body::from(self.error_body.clone())
    }

    /// End the response and say what was sent. The body was already closed.
    ///
    /// Mirrors `BaseHandler.close` (the access log is the server's job).
    fn close(&self) -> ResponseSummary {
        let mut response = self.response.borrow_mut();
        if let Some(out) = response.out.as_mut() {
            if let Err(error) = out.flush() {
                log::debug!("could not flush the response: {error}");
                response.cut_off = true;
            }
        }
        let status = response
            .status
            .as_deref()
            .and_then(|s| s.get(..3))
            .and_then(|code| code.parse().ok());
        let summary = ResponseSummary {
            status: if response.headers_sent { status } else { None },
            bytes_sent: response.bytes_sent,
            headers_sent: response.headers_sent,
            complete: response.headers_sent && !response.cut_off,
        };
        let out = response.out.take();
        let trace = response.trace.take();
        *response = Response::new_empty();
        response.out = out;
        response.trace = trace;
        summary
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

impl<W: Write> Response<W> {
    fn new(out: W) -> Response<W> {
        let mut response = Response::new_empty();
        response.out = Some(out);
        response
    }

    fn new_empty() -> Response<W> {
        Response {
            out: None,
            origin_server: true,
            status_line_prefix: "HTTP/1.1 ".to_string(),
            server_software: None,
            is_head: false,
            single_chunk: false,
            status: None,
            headers: Vec::new(),
            headers_sent: false,
            bytes_sent: 0,
            declared_length: None,
            cut_off: false,
            trace: None,
        }
    }

    /// `start_response(status, headers, exc_info)` with wsgiref's checks,
    /// plus CR/LF/NUL, latin-1 and token checks.
    fn start_response(
        &mut self,
        status: String,
        headers: HeaderList,
        exc_info: Option<ExcInfo>,
    ) -> Result<(), StartResponseError> {
        if let Some(trace) = self.trace.as_mut() {
            trace.start_response(&status, &headers, exc_info.is_some());
        }
        let checked = self.check_and_store(status, headers, exc_info);
        if let (Err(error), Some(trace)) = (&checked, self.trace.as_mut()) {
            trace.note(&format!("refused: {error}"));
        }
        checked
    }

    fn check_and_store(
        &mut self,
        status: String,
        headers: HeaderList,
        exc_info: Option<ExcInfo>,
    ) -> Result<(), StartResponseError> {
        match exc_info {
            // Why: PEP 3333 says re-raise when the headers already went out.
            Some(exc_info) if self.headers_sent => return Err(StartResponseError::HeadersAlreadySent(exc_info)),
            Some(_) => {}
            None if self.status.is_some() => return Err(StartResponseError::AlreadyCalled),
            None => {}
        }
        check_status(&status)?;
        for (name, value) in &headers {
            check_header(name, value)?;
        }
        check_content_length(&headers)?;
        self.status = Some(status);
        self.headers = headers;
        Ok(())
    }

    /// Whether the status allows body bytes: not for HEAD, 1xx, 204, 304
    /// (RFC 9110 §6.4.1).
    fn body_allowed(&self) -> bool {
        !self.is_head && !self.status_without_body()
    }

    fn status_without_body(&self) -> bool {
        match self.status.as_deref().and_then(|s| s.get(..3)) {
            Some(code) => code.starts_with('1') || code == "204" || code == "304",
            None => false,
        }
    }

    /// Send `data` after the headers. Empty chunks send nothing: headers go
    /// just before the first non-empty chunk (PEP 3333 "Buffering and Streaming").
    ///
    /// Mirrors `BaseHandler.write`.
    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        if self.status.is_none() {
            return Err(io::Error::other("write() before start_response()"));
        }
        if self.cut_off {
            return Err(io::Error::other("the response was already cut off"));
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.body_chunk(data.len());
        }
        if data.is_empty() {
            return Ok(());
        }
        let data = self.clip_to_declared_length(data);
        if !self.headers_sent {
            self.send_headers(data)
        } else {
            self.send_body(data)
        }
    }

    /// A body longer than the application's `Content-Length` is cut there.
    fn clip_to_declared_length<'a>(&mut self, data: &'a [u8]) -> &'a [u8] {
        let Some(declared) = self.declared_length.or_else(|| self.content_length_header()) else {
            return data;
        };
        let room = declared.saturating_sub(self.bytes_sent);
        if (data.len() as u64) <= room {
            return data;
        }
        log::warn!("the application sent more than its Content-Length of {declared} bytes; the body was cut there");
        &data[..room as usize]
    }

    fn content_length_header(&self) -> Option<u64> {
        let (_, value) = self
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("Content-Length"))?;
        value.trim().parse().ok()
    }

    /// Send the status line and headers, with the first chunk in the same
    /// write (one system call for a small response).
    ///
    /// Mirrors `BaseHandler.send_headers`.
    fn send_headers(&mut self, first_chunk: &[u8]) -> io::Result<()> {
        self.cleanup_headers(first_chunk.len() as u64);
        self.headers_sent = true;
        self.declared_length = self.content_length_header();
        let mut bytes = self.send_preamble();
        if let Some(trace) = self.trace.as_mut() {
            trace.response_head(&bytes);
        }
        let body_allowed = self.body_allowed();
        if body_allowed {
            bytes.extend_from_slice(first_chunk);
            self.bytes_sent += first_chunk.len() as u64;
        }
        self.write_out(&bytes)
    }

    fn send_body(&mut self, data: &[u8]) -> io::Result<()> {
        if !self.body_allowed() || data.is_empty() {
            return Ok(());
        }
        self.bytes_sent += data.len() as u64;
        self.write_out(data)
    }

    fn write_out(&mut self, bytes: &[u8]) -> io::Result<()> {
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| io::Error::other("the response is finished"))?;
        out.write_all(bytes)?;
        out.flush()
    }

    /// Add `Content-Length` when it can be known.
    ///
    /// Mirrors `BaseHandler.cleanup_headers`.
    fn cleanup_headers(&mut self, first_chunk_length: u64) {
        if self.content_length_header().is_none() {
            self.set_content_length(first_chunk_length);
        }
    }

    /// Compute `Content-Length` for a body known to be one chunk — never for
    /// 1xx, 204 or 304, and for HEAD only when that chunk is non-empty.
    ///
    /// Mirrors `BaseHandler.set_content_length`.
    fn set_content_length(&mut self, length: u64) {
        if self.single_chunk && !self.status_without_body() && !(self.is_head && length == 0) {
            self.headers.push(("Content-Length".to_string(), length.to_string()));
        }
    }

    /// The status line (or CGI `Status:`), `Date`, `Server`, the headers and
    /// `Connection: close`, as bytes.
    ///
    /// Mirrors `BaseHandler.send_preamble` plus `Headers.__bytes__`.
    fn send_preamble(&self) -> Vec<u8> {
        let status = self.status.as_deref().unwrap_or_default();
        let mut head = String::with_capacity(256);
        let has = |wanted: &str| self.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case(wanted));
        if self.origin_server {
            head.push_str(&self.status_line_prefix);
            head.push_str(status);
            head.push_str("\r\n");
            // `write!` into a String cannot fail.
            if !has("Date") {
                let _ = write!(head, "Date: {}\r\n", format_date_time(SystemTime::now()));
            }
            if let (Some(software), false) = (&self.server_software, has("Server")) {
                let _ = write!(head, "Server: {software}\r\n");
            }
        } else {
            let _ = write!(head, "Status: {status}\r\n");
        }
        for (name, value) in &self.headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        if self.origin_server {
            // Why: one request per connection, as wsgiref; the client must not wait for another.
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        if head.is_ascii() {
            return head.into_bytes();
        }
        // Checked latin-1 in start_response, so each char is one byte.
        head.chars().map(|c| c as u8).collect()
    }

    /// Send the headers now if no body chunk did.
    ///
    /// Mirrors `BaseHandler.finish_content`.
    fn finish_content(&mut self) -> Result<(), AppError> {
        if self.status.is_none() {
            return Err("the application returned without calling start_response()".into());
        }
        if !self.headers_sent {
            if self.content_length_header().is_none() && !self.status_without_body() && !self.is_head {
                self.headers.push(("Content-Length".to_string(), "0".to_string()));
            }
            self.send_headers(b"")?;
        }
        if let Some(declared) = self.declared_length {
            if self.body_allowed() && self.bytes_sent < declared {
                log::warn!(
                    "the application sent {} bytes but declared Content-Length {declared}; closing the connection",
                    self.bytes_sent
                );
                self.cut_off = true;
            }
        }
        Ok(())
    }

    /// `HTTP/1.1 100 Continue`, only while nothing else was sent
    /// (RFC 9110 §10.1.1).
    fn send_100_continue(&mut self) -> io::Result<()> {
        if self.headers_sent {
            return Ok(());
        }
        self.write_out(b"HTTP/1.1 100 Continue\r\n\r\n")
    }
}

/// `Expect: 100-continue` on an HTTP/1.1 (or later 1.x) request.
fn expects_100_continue(environ: &Environ) -> bool {
    let expect = environ.get("HTTP_EXPECT").unwrap_or_default();
    // HTTP/1.1 and later 1.x minors (as CPython compares: `>= "HTTP/1.1"`); 1.0 clients ignore 100.
    let protocol = environ.get("SERVER_PROTOCOL").unwrap_or_default();
    expect.eq_ignore_ascii_case("100-continue") && protocol.starts_with("HTTP/1.") && protocol >= "HTTP/1.1"
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
/// A cause that reads exactly as the error before it is left out: a
/// wrapper such as [`StartResponseError::Header`] displays its
/// [`HeaderError`](crate::HeaderError) and also gives it as `source()`.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut previous = text.clone();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if cause_text != previous {
            text.push_str(&format!(": {cause_text}"));
        }
        previous = cause_text;
        source = cause.source();
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
}
