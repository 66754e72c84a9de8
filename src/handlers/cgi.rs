//! CGI gateways: run an application once, as a CGI program (RFC 3875), with
//! the request in environment variables and on stdin and the response on
//! stdout.
//!
//! Mirrors `read_environ`, `BaseCGIHandler` and `CGIHandler` of
//! [wsgiref/handlers.py](https://github.com/python/cpython/blob/3.11/Lib/wsgiref/handlers.py).
//! Both handlers are a [`SimpleHandler`] with `origin_server = false`, so
//! the output is what a web server expects from a CGI program:
//!
//! ```text
//! Status: 200 OK
//! Content-Type: text/plain
//! Content-Length: 13
//!
//! Hello world!
//! ```
//!
//! no status line, and no `Date`, `Server` or `Connection` (the web server
//! in front adds those).
//!
//! # Design notes
//!
//! - CPython's `read_environ` copies *all* of `os.environ`. Here only the
//!   request's variables are copied (see [`read_environ`]), as the crate's
//!   server does not copy its own environment either: a CGI program's
//!   environment also holds the web server's `PATH` and whatever else it was
//!   started with, which an application such as `demo_app` would print.
//! - CPython's handlers write tracebacks and `wsgi.errors` to the `stderr`
//!   they were given. Here `wsgi.errors` and one line per application error
//!   go to the handler's `stderr` when the request ends (a CGI program runs
//!   for one request, and the web server puts its stderr in its error log);
//!   they are also logged through `log`, as everywhere in the crate. Panics
//!   are printed by Rust's panic hook on the process's stderr.
//! - `wsgi.input` is bounded by `CONTENT_LENGTH` (RFC 3875 §4.2: the script
//!   "MUST NOT attempt to read more than CONTENT_LENGTH bytes"); CPython
//!   hands the application `stdin` as it is.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::sync::{Arc, Mutex};

use super::{ResponseSummary, SimpleHandler, error_chain};
use crate::input::Input;
use crate::native::from_latin1;
use crate::types::{AppError, Application, Body, Environ, Errors, StartResponse};

/// The request meta-variables of RFC 3875 §4.1, and the ones Apache and
/// nginx add that applications commonly read.
const CGI_VARIABLES: [&str; 23] = [
    // RFC 3875 §4.1.
    "AUTH_TYPE",
    "CONTENT_LENGTH",
    "CONTENT_TYPE",
    "GATEWAY_INTERFACE",
    "PATH_INFO",
    "PATH_TRANSLATED",
    "QUERY_STRING",
    "REMOTE_ADDR",
    "REMOTE_HOST",
    "REMOTE_IDENT",
    "REMOTE_USER",
    "REQUEST_METHOD",
    "SCRIPT_NAME",
    "SERVER_NAME",
    "SERVER_PORT",
    "SERVER_PROTOCOL",
    "SERVER_SOFTWARE",
    // wsgiref's `_is_request` adds HTTPS (set by servers with TLS).
    "HTTPS",
    // Common extensions (Apache mod_cgi, nginx + fcgiwrap).
    "DOCUMENT_ROOT",
    "REMOTE_PORT",
    "REQUEST_SCHEME",
    "REQUEST_URI",
    "SCRIPT_FILENAME",
];

/// Whether an environment variable describes the request: a CGI variable,
/// `HTTP_*` (request headers), `SSL_*` (TLS details), or `REDIRECT_` in
/// front of one of those (Apache after an internal redirect).
///
/// Mirrors `_needs_transcode` in `wsgiref.handlers`.
fn is_request_variable(name: &str) -> bool {
    CGI_VARIABLES.contains(&name)
        || name.starts_with("HTTP_")
        || name.starts_with("SSL_")
        || name.strip_prefix("REDIRECT_").is_some_and(is_request_variable)
}

/// Read the CGI request variables from the process environment.
///
/// Shapes: each value becomes a native string, one `char` per byte of the
/// operating system's value (latin-1), so the bytes a web server put in
/// `PATH_INFO` reach the application unchanged (on Windows, the UTF-8 of the
/// value). Only request variables are copied: those of RFC 3875 §4.1
/// (`REQUEST_METHOD`, `PATH_INFO`, `SERVER_NAME`, ...), `HTTPS`,
/// `DOCUMENT_ROOT`, `REMOTE_PORT`, `REQUEST_SCHEME`, `REQUEST_URI`,
/// `SCRIPT_FILENAME`, and every `HTTP_*`, `SSL_*` and `REDIRECT_*` one. The
/// `wsgi.*` fields keep [`Environ::new`]'s values; the handler sets them.
///
/// # Example
///
/// ```
/// let environ = wsgiref::handlers::read_environ();
/// // PATH is the web server's, not the request's: it is not copied.
/// assert!(!environ.contains_key("PATH"));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.handlers.read_environ` (its POSIX "bytes → latin-1"
/// path); spec: RFC 3875 §4.1 "Request Meta-Variables".
pub fn read_environ() -> Environ {
    read_environ_from(std::env::vars_os())
}

/// [`read_environ`] over the given variables instead of the process
/// environment: for gateways that receive them another way (FastCGI-like
/// protocols) and for tests.
///
/// Shapes: `(name, value)` pairs of OS strings; names that are not UTF-8
/// are skipped.
///
/// # Example
///
/// ```
/// use std::ffi::OsString;
/// let vars = [("REQUEST_METHOD", "GET"), ("PATH_INFO", "/caf\u{e9}"), ("HOME", "/root")]
///     .map(|(name, value)| (OsString::from(name), OsString::from(value)));
/// let environ = wsgiref::handlers::read_environ_from(vars);
/// assert_eq!(environ.get("REQUEST_METHOD"), Some("GET"));
/// // The UTF-8 bytes of "é", one char each: PEP 3333's native string.
/// assert_eq!(environ.get("PATH_INFO"), Some("/caf\u{c3}\u{a9}"));
/// assert!(!environ.contains_key("HOME"));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.handlers.read_environ`.
pub fn read_environ_from(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Environ {
    let mut environ = Environ::new();
    for (name, value) in vars {
        let Some(name) = name.to_str() else {
            continue;
        };
        if is_request_variable(name) {
            // Why: on POSIX the encoded bytes are exactly the OS bytes, which
            // is what `v.encode(enc, 'surrogateescape').decode('iso-8859-1')` recovers.
            environ.insert(name, from_latin1(value.as_encoded_bytes()));
        }
    }
    environ
}

/// Runs an application as a CGI-like gateway: the request body from
/// `stdin`, the response (with a CGI `Status:` header) to `stdout`,
/// `wsgi.errors` and error reports to `stderr`, and the request's variables
/// from a base environ.
///
/// Shapes: `W` is where the response bytes go, `E` where error text goes.
/// The base environ's CGI keys are copied into the environ of each run;
/// `wsgi.input` reads `CONTENT_LENGTH` bytes of `stdin` (none when
/// `CONTENT_LENGTH` is missing, empty or not a number). `stdin` is used by
/// the first run only, as a CGI program runs once.
///
/// # Example
///
/// ```
/// use wsgiref::handlers::BaseCgiHandler;
///
/// let mut environ = wsgiref::Environ::new();
/// environ.insert("REQUEST_METHOD", "POST");
/// environ.insert("CONTENT_LENGTH", "4");
/// environ.insert("CONTENT_TYPE", "text/plain");
/// let stdin = std::io::Cursor::new(b"ping and more".to_vec());
/// let mut handler = BaseCgiHandler::new(stdin, Vec::new(), Vec::new(), environ);
/// handler.run(&wsgiref::simple_server::echo_app);
/// let output = handler.into_output().ok_or("no output")?;
/// assert_eq!(output, b"Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\nping");
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.handlers.BaseCGIHandler`.
pub struct BaseCgiHandler<W: Write, E: Write> {
    // Configuration (CPython's constructor arguments and `wsgi_run_once`).
    /// `wsgi.multithread`; default `true`, as in CPython.
    pub multithread: bool,
    /// `wsgi.multiprocess`; default `false`, as in CPython.
    pub multiprocess: bool,
    /// `wsgi.run_once`; default `false`, as in CPython.
    pub run_once: bool,

    // Collaborators.
    handler: SimpleHandler<W>,
    stdin: Option<Box<dyn Read>>,
    stderr: E,
    base_environ: Environ,
}

impl<W: Write + 'static, E: Write> BaseCgiHandler<W, E> {
    /// A handler for one request: its body on `stdin`, its variables in
    /// `base_environ`; the response goes to `stdout`, error text to `stderr`.
    ///
    /// # Example
    ///
    /// ```
    /// let handler = wsgiref::handlers::BaseCgiHandler::new(std::io::empty(), Vec::new(), Vec::new(), wsgiref::Environ::new());
    /// assert!(handler.multithread && !handler.multiprocess && !handler.run_once);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn new(stdin: impl Read + 'static, stdout: W, stderr: E, base_environ: Environ) -> BaseCgiHandler<W, E> {
        let mut handler = SimpleHandler::new(stdout);
        // Why: a CGI program answers with a `Status:` header; the web server
        // in front writes the status line, Date and Server.
        handler.origin_server = false;
        BaseCgiHandler {
            multithread: true,
            multiprocess: false,
            run_once: false,
            handler,
            stdin: Some(Box::new(stdin)),
            stderr,
            base_environ,
        }
    }

    /// Run `application` for the request and write its response; then
    /// write what it wrote to `wsgi.errors`, and a line for its error if it
    /// failed, to `stderr`. An error before the headers gives `Status: 500`
    /// and wsgiref's error page. Never panics because of application code.
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::Write;
    /// let failing = wsgiref::app_fn(|environ, _start_response| {
    ///     writeln!(environ.errors, "about to fail")?;
    ///     Err("the database is down".into())
    /// });
    /// let mut handler = wsgiref::handlers::BaseCgiHandler::new(std::io::empty(), Vec::new(), Vec::new(), wsgiref::Environ::new());
    /// let summary = handler.run(&failing);
    /// assert_eq!(summary.status, Some(500));
    /// assert_eq!(handler.stderr(), b"about to fail\nerror in the application: the database is down\n");
    /// let output = handler.into_output().ok_or("no output")?;
    /// assert!(output.starts_with(b"Status: 500 Internal Server Error\r\n"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `BaseHandler.run` with `BaseCGIHandler`'s `add_cgi_vars`.
    pub fn run(&mut self, application: &dyn Application) -> ResponseSummary {
        let mut environ = Environ::new();
        for (key, value) in self.base_environ.vars() {
            environ.insert(key, value);
        }
        environ.input = cgi_input(self.stdin.take(), environ.get("CONTENT_LENGTH"));
        let (errors, captured) = Errors::capture();
        environ.errors = errors;
        self.handler.multithread = self.multithread;
        self.handler.multiprocess = self.multiprocess;
        self.handler.run_once = self.run_once;
        let reporting = ReportErrors {
            application,
            error_lines: Arc::default(),
        };
        let summary = self.handler.run(&reporting, environ);
        // The environ (and its wsgi.errors) was dropped by run(): the capture is complete.
        let mut report = std::mem::take(&mut *captured.borrow_mut());
        let error_lines = reporting.error_lines.lock().map(|lines| lines.concat());
        report.extend_from_slice(error_lines.unwrap_or_default().as_bytes());
        if !report.is_empty() {
            let written = self.stderr.write_all(&report).and_then(|()| self.stderr.flush());
            if let Err(error) = written {
                log::debug!("could not write to the CGI program's stderr: {error}");
            }
        }
        summary
    }

    /// What was written to `stderr` so far.
    ///
    /// # Example
    ///
    /// ```
    /// let handler = wsgiref::handlers::BaseCgiHandler::new(std::io::empty(), Vec::new(), b"x".to_vec(), wsgiref::Environ::new());
    /// assert_eq!(handler.stderr(), b"x");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn stderr(&self) -> &E {
        &self.stderr
    }

    /// Take back `stdout` (the stream or buffer the response went to).
    ///
    /// # Example
    ///
    /// ```
    /// let handler = wsgiref::handlers::BaseCgiHandler::new(std::io::empty(), vec![1u8], Vec::new(), wsgiref::Environ::new());
    /// assert_eq!(handler.into_output(), Some(vec![1u8]));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn into_output(self) -> Option<W> {
        self.handler.into_output()
    }
}

impl<W: Write, E: Write> std::fmt::Debug for BaseCgiHandler<W, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BaseCgiHandler")
            .field("multithread", &self.multithread)
            .field("multiprocess", &self.multiprocess)
            .field("run_once", &self.run_once)
            .field("base_environ", &self.base_environ)
            .finish_non_exhaustive()
    }
}

/// `wsgi.input` for a CGI request: `CONTENT_LENGTH` bytes of `stdin`.
///
/// > The server MUST make at least that many bytes available for the script
/// > to read. [...] the script MUST NOT attempt to read more than
/// > CONTENT_LENGTH bytes, even if more data is available.
///
/// Spec: RFC 3875 §4.2 "Request Message-Body".
fn cgi_input(stdin: Option<Box<dyn Read>>, content_length: Option<&str>) -> Input {
    let length = content_length.and_then(|length| length.trim().parse::<u64>().ok());
    match (stdin, length) {
        (Some(stdin), Some(length)) if length > 0 => Input::with_length(stdin, length),
        _ => Input::empty(),
    }
}

/// Middleware that keeps a line for each error the application returns or
/// its body yields, so the CGI handler can put it on `stderr` after what
/// the application wrote to `wsgi.errors` (an error ends the response, so
/// nothing comes after it), as CPython's `log_exception` does.
struct ReportErrors<'a> {
    application: &'a dyn Application,
    error_lines: Arc<Mutex<Vec<String>>>,
}

impl Application for ReportErrors<'_> {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        let body = match self.application.call(environ, start_response) {
            Ok(body) => body,
            Err(error) => {
                if let Ok(mut lines) = self.error_lines.lock() {
                    lines.push(error_line(&*error));
                }
                return Err(error);
            }
        };
        if body.is_single_chunk() {
            // Its one chunk cannot be an error; wrapping it would lose the computed Content-Length.
            return Ok(body);
        }
        let error_lines = Arc::clone(&self.error_lines);
        let mut body = body;
        Ok(Body::new(std::iter::from_fn(move || {
            let chunk = body.next()?;
            if let Err(error) = &chunk
                && let Ok(mut lines) = error_lines.lock()
            {
                lines.push(error_line(&**error));
            }
            Some(chunk)
        })))
    }
}

/// The line the server logs for an application error.
fn error_line(error: &(dyn std::error::Error + 'static)) -> String {
    format!("error in the application: {}\n", error_chain(error))
}

/// Runs an application as a CGI program: the request from the process
/// environment ([`read_environ`]) and stdin, the response to stdout, error
/// text to stderr. `wsgi.run_once` is true, `wsgi.multithread` false and
/// `wsgi.multiprocess` true.
///
/// A CGI program's `main` is one line (see `examples/13_cgi.rs`):
///
/// ```
/// wsgiref::handlers::CgiHandler::new().run(&wsgiref::simple_server::hello_app);
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Without a web server, try it from a shell:
/// `REQUEST_METHOD=GET PATH_INFO=/ cargo run --example 13_cgi`.
///
/// Mirrors `wsgiref.handlers.CGIHandler`; spec: RFC 3875 "The Common
/// Gateway Interface (CGI) Version 1.1".
pub struct CgiHandler {
    handler: BaseCgiHandler<io::Stdout, io::Stderr>,
}

impl CgiHandler {
    /// A handler for the request this process was started for.
    ///
    /// # Example
    ///
    /// ```
    /// let handler = wsgiref::handlers::CgiHandler::new();
    /// # let _ = handler;
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn new() -> CgiHandler {
        let mut handler = BaseCgiHandler::new(io::stdin(), io::stdout(), io::stderr(), read_environ());
        handler.multithread = false;
        handler.multiprocess = true;
        handler.run_once = true;
        CgiHandler { handler }
    }

    /// Run `application` for this process's request and write the response
    /// to stdout. Never panics because of application code.
    ///
    /// # Example
    ///
    /// ```
    /// let summary = wsgiref::handlers::CgiHandler::new().run(&wsgiref::simple_server::hello_app);
    /// assert_eq!(summary.status, Some(200));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `BaseHandler.run`.
    pub fn run(&mut self, application: &dyn Application) -> ResponseSummary {
        self.handler.run(application)
    }
}

impl Default for CgiHandler {
    fn default() -> CgiHandler {
        CgiHandler::new()
    }
}

impl std::fmt::Debug for CgiHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CgiHandler").field("handler", &self.handler).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::app_fn;

    fn environ_of(vars: &[(&str, &str)]) -> Environ {
        let mut environ = Environ::new();
        for (key, value) in vars {
            environ.insert(*key, *value);
        }
        environ
    }

    /// Run `app` as a CGI program over buffers; returns (stdout, stderr).
    fn run_cgi(app: &dyn Application, vars: &[(&str, &str)], stdin: &[u8]) -> (String, String) {
        let stdin = io::Cursor::new(stdin.to_vec());
        let mut handler = BaseCgiHandler::new(stdin, Vec::new(), Vec::new(), environ_of(vars));
        handler.run(app);
        let stderr = String::from_utf8(handler.stderr().clone()).unwrap();
        let stdout = String::from_utf8(handler.into_output().unwrap()).unwrap();
        (stdout, stderr)
    }

    #[test]
    fn only_request_variables_are_read() {
        let cases = [
            ("REQUEST_METHOD", true),
            ("HTTP_X_FORWARDED_FOR", true),
            ("HTTPS", true),
            ("SSL_PROTOCOL", true),
            ("REDIRECT_QUERY_STRING", true),
            ("REDIRECT_REDIRECT_HTTP_HOST", true),
            ("REDIRECT_HOME", false),
            ("PATH", false),
            ("AWS_SECRET_ACCESS_KEY", false),
            ("request_method", false),
        ];
        for (name, expected) in cases {
            assert_eq!(is_request_variable(name), expected, "variable {name}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn values_are_os_bytes_as_latin1() {
        use std::os::unix::ffi::OsStringExt;
        let vars = [(
            OsString::from("PATH_INFO"),
            OsString::from_vec(b"/\xff\xc3\xa9".to_vec()),
        )];
        let environ = read_environ_from(vars);
        assert_eq!(environ.get("PATH_INFO"), Some("/\u{ff}\u{c3}\u{a9}"));
    }

    #[test]
    fn cgi_output_has_status_header_and_no_date() {
        // HandlerTests.testCGIEnviron's output side: origin_server is False.
        let (stdout, stderr) = run_cgi(&crate::simple_server::hello_app, &[("REQUEST_METHOD", "GET")], b"");
        assert_eq!(
            stdout,
            "Status: 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello world!\n"
        );
        assert_eq!(stderr, "");
    }

    #[test]
    fn wsgi_flags_follow_the_handler() {
        let app = app_fn(|environ, start_response| {
            let flags = format!("{} {} {}", environ.multithread, environ.multiprocess, environ.run_once);
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from(flags))
        });
        let (stdout, _) = run_cgi(&app, &[], b"");
        assert!(stdout.ends_with("\r\n\r\ntrue false false"), "{stdout:?}");
        let mut handler = BaseCgiHandler::new(io::empty(), Vec::new(), Vec::new(), Environ::new());
        handler.multithread = false;
        handler.multiprocess = true;
        handler.run_once = true;
        handler.run(&app);
        let stdout = handler.into_output().unwrap();
        assert!(stdout.ends_with(b"\r\n\r\nfalse true true"));
    }

    #[test]
    fn input_is_bounded_by_content_length() {
        let cases = [("5", "hello"), ("", ""), ("x", ""), ("0", ""), (" 3 ", "hel")];
        for (content_length, expected) in cases {
            let vars = [("REQUEST_METHOD", "POST"), ("CONTENT_LENGTH", content_length)];
            let (stdout, _) = run_cgi(&crate::simple_server::echo_app, &vars, b"hello world");
            assert!(
                stdout.ends_with(&format!("\r\n\r\n{expected}")),
                "CONTENT_LENGTH {content_length:?}"
            );
        }
    }

    #[test]
    fn https_sets_the_url_scheme() {
        let app = app_fn(|environ, start_response| {
            let scheme = environ.url_scheme.clone();
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from(scheme))
        });
        let (stdout, _) = run_cgi(&app, &[("HTTPS", "on")], b"");
        assert!(stdout.ends_with("\r\n\r\nhttps"));
    }

    #[test]
    fn error_in_the_body_is_reported_on_stderr() {
        let app = app_fn(|_environ, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::new(vec![Ok(b"partial".to_vec()), Err("disk on fire".into())]))
        });
        let (stdout, stderr) = run_cgi(&app, &[], b"");
        assert_eq!(stdout, "Status: 200 OK\r\nContent-Type: text/plain\r\n\r\npartial");
        assert_eq!(stderr, "error in the application: disk on fire\n");
    }

    #[test]
    fn short_stdin_is_an_application_error() {
        let app = app_fn(|environ, start_response| {
            let mut body = Vec::new();
            environ.input.read_to_end(&mut body)?;
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from(body))
        });
        let (stdout, stderr) = run_cgi(&app, &[("CONTENT_LENGTH", "10")], b"abc");
        assert!(stdout.starts_with("Status: 500 Internal Server Error\r\n"));
        assert!(stderr.starts_with("error in the application: "), "{stderr:?}");
    }
}
