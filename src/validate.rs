//! Middleware to check for obedience to the WSGI specification.
//!
//! Mirrors [wsgiref/validate.py](https://github.com/python/cpython/blob/3.11/Lib/wsgiref/validate.py).
//! Put [`validator`] between a server and an application: it checks *both*
//! sides of the protocol on every request and changes nothing when all is
//! well (the same bytes reach the client). A broken rule is a [`Violation`]:
//! it is logged with `log::error!` (target `wsgiref::validate`) and becomes
//! the application's error, so the server answers `500`; when it is found
//! while the body is being iterated, it is yielded as an `Err` chunk. What
//! validate.py raises as a `WSGIWarning` is a `log::warn!` line with the same
//! target, and the request goes on.
//!
//! # What is checked
//!
//! Each check of validate.py (and a few that PEP 3333 states and
//! validate.py leaves out, marked "PEP") is either **checked**, with the
//! rule name a [`Violation`] carries and a test in this module that breaks
//! it, or **impossible in Rust**, because the types forbid the mistake.
//!
//! The environ (`check_environ`), checked before the application runs:
//!
//! | check | here |
//! |---|---|
//! | `REQUEST_METHOD`, `SERVER_NAME`, `SERVER_PORT` present | checked: `environ_missing_key` |
//! | `wsgi.version`, `wsgi.input`, `wsgi.errors`, `wsgi.multithread`, `wsgi.multiprocess`, `wsgi.run_once` present | impossible: typed fields of [`Environ`] |
//! | no `HTTP_CONTENT_TYPE` / `HTTP_CONTENT_LENGTH` | checked: `environ_http_content_key` |
//! | warn if `QUERY_STRING` is missing | checked (warning): `environ_query_string` |
//! | CGI values (keys without a `.`) are native strings | checked: `environ_not_latin1` (every char ≤ U+00FF); "is a `str`" is impossible: values are `String` |
//! | `wsgi.version` is a tuple | impossible: `(u32, u32)`; PEP: must be `(1, 0)`, checked: `wsgi_version` |
//! | `wsgi.url_scheme` is `http` or `https` | checked: `wsgi_url_scheme` |
//! | PEP: `REQUEST_METHOD` is a method token | checked: `request_method` (methods are case-sensitive tokens, so `get` is only warned about as unknown) |
//! | warn on an unknown `REQUEST_METHOD` | checked (warning): `request_method_unknown` |
//! | `SCRIPT_NAME` empty or starts with `/` | checked: `script_name_slash` |
//! | `PATH_INFO` empty or starts with `/` | checked: `path_info_slash` |
//! | `CONTENT_LENGTH`, when not empty, is an integer ≥ 0 | checked: `content_length` (ASCII digits only; Python's `int()` also takes `" 5"` and `"+5"`) |
//! | `PATH_INFO` present when `SCRIPT_NAME` is empty | checked: `path_info_missing` |
//! | `SCRIPT_NAME` is not `/` | checked: `script_name_root` |
//! | the environ is a `dict`, not a subclass | impossible: [`Environ`] is one concrete type |
//! | the application is called with two positional arguments, no keywords | impossible: [`Application::call`]'s signature |
//!
//! `wsgi.input` and `wsgi.errors` (`InputWrapper`, `ErrorWrapper`,
//! `check_input`, `check_errors`): every check is impossible in Rust, so
//! the validator does not wrap them.
//!
//! | check | why impossible |
//! |---|---|
//! | input has `read`, `readline`, `readlines`, `__iter__` | [`Input`] is a concrete type with all of them |
//! | `read` called with exactly one argument | [`Input::read_bytes`] takes one `usize` |
//! | `readline`, `readlines` called with at most one argument | they take one `Option<usize>` |
//! | `read`, `readline`, `readlines`, iteration return bytes | they return `Vec<u8>` (or a `Vec` of them) |
//! | `input.close()` is not called | [`Input`] has no `close` method |
//! | errors has `write`, `writelines`, `flush`; `close()` not called | [`Errors`] is a concrete [`std::io::Write`] with no `close` |
//! | `errors.write` is given a `str` | [`Errors`] takes bytes and logs them as UTF-8 (lossy); a concrete type cannot be wrapped to check more |
//!
//! `start_response` (`check_status`, `check_headers`,
//! `check_content_type`, `check_exc_info`):
//!
//! | check | here |
//! |---|---|
//! | PEP: called a second time only with `exc_info` | checked: `start_response_twice` |
//! | the status code is three characters and an integer | checked: `status_code` |
//! | the status code is ≥ 100 | checked: `status_code_range` |
//! | warn unless the status is `NNN reason` | checked (warning): `status_reason` (also for an empty reason or surrounding whitespace, which the PEP forbids) |
//! | PEP: no control characters in the status | checked: `status_control_char` |
//! | PEP: the status is a native string | checked: `status_not_latin1` |
//! | no `Status` header | checked: `header_name_status` |
//! | header names have no `:` or newline and match a name pattern | checked: `header_name_token` (an RFC 9110 token, as the PEP asks; validate.py's pattern is stricter and refuses `X.Foo`) |
//! | header names do not end in `-` or `_` | checked: `header_name_end` |
//! | header values have no character below U+0020 | checked: `header_value_control_char` (also U+007F, which the PEP counts as a control character) |
//! | PEP: header values are native strings | checked: `header_value_not_latin1` |
//! | PEP: no hop-by-hop headers | checked: `hop_by_hop_header` |
//! | `Content-Type` given when there is content | checked: `content_type_missing` (not required for 1xx, 204, 304) |
//! | no `Content-Type` for 204 and 304 | checked: `content_type_forbidden` |
//! | the status is a `str`; headers a `list` of `tuple`s of two `str` | impossible: `String` and [`HeaderList`] |
//! | `exc_info` is a tuple or `None` | impossible: `Option<ExcInfo>` |
//! | called with two or three positional arguments, no keywords | impossible: [`StartResponse`]'s methods |
//!
//! The write callable (`WriteWrapper`) and the body (`IteratorWrapper`,
//! `check_iterator`):
//!
//! | check | here |
//! |---|---|
//! | `start_response` called before the body's first chunk | checked: `start_response_not_called` (a lazy call inside the first `next()` is fine; also when the body ends without it) |
//! | PEP: `write` not called once the body is closed | checked: `write_after_close` |
//! | `write` is given bytes | impossible: [`WriteCallable::write`] takes `&[u8]` |
//! | `write` used before `start_response` | impossible: the write callable *is* what `start_response` returns |
//! | the application returns an iterable, not `None` | impossible: it returns `Result<Body, AppError>` |
//! | the iterable is not a `str` or `bytes` (slow, char by char) | impossible: `Body::from("text")` is one chunk |
//! | each chunk is bytes | impossible: chunks are `Vec<u8>` |
//! | the server does not iterate after `close()` | impossible: close is `Drop`, and a dropped [`Body`] cannot be used |
//! | `close()` is called (validate.py can only print when it is not) | impossible to forget: `Drop` runs on every path; only a leak (`mem::forget`) skips it, and then no code runs that could report it. The wrapper body records its close, and closes the inner body exactly once |
//!
//! # Example
//!
//! ```
//! use wsgiref::validate::validator;
//! use wsgiref::{Body, Environ, app_fn, handlers::SimpleHandler};
//!
//! // Forgets the Content-Type header.
//! let app = validator(app_fn(|_environ, start_response| {
//!     start_response.call("200 OK", Vec::<(String, String)>::new())?;
//!     Ok(Body::from("hello"))
//! }));
//! let mut environ = Environ::new();
//! for (key, value) in [("REQUEST_METHOD", "GET"), ("SERVER_NAME", "localhost"),
//!                      ("SERVER_PORT", "80"), ("PATH_INFO", "/"), ("QUERY_STRING", "")] {
//!     environ.insert(key, value);
//! }
//! let mut handler = SimpleHandler::new(Vec::new());
//! let summary = handler.run(&app, environ);
//! assert_eq!(summary.status, Some(500));
//! # Ok::<(), wsgiref::AppError>(())
//! ```
//!
//! # Design notes
//!
//! - Warnings are log lines, not errors: Python's `warnings.warn` does not
//!   stop the request either.
//! - A violation found by `start_response` must also reach the application:
//!   it gets [`StartResponseError::Refused`] carrying the [`Violation`], and
//!   the validator then replaces whatever the application returns with the
//!   violation (an application may swallow the error).
//! - [`Body`] keeps "known to be one chunk" private, and a body made with
//!   [`Body::new`] never has it, so wrapping a one-chunk body would lose the
//!   server's computed `Content-Length`. The validator therefore takes the
//!   one chunk out at once (no application code runs for it, except a
//!   [`Body::map_chunks`] transform) and returns `Body::from(chunk)`, which
//!   closes the inner body when it is closed.
//! - "Before the first chunk" counts an empty chunk too, as validate.py
//!   does (PEP 3333's author later said the intent was the first
//!   *non-empty* chunk; this crate's server also refuses any chunk before
//!   `start_response`).
//!
//! [`Input`]: crate::Input
//! [`Input::read_bytes`]: crate::Input::read_bytes
//! [`Errors`]: crate::Errors
//! [`HeaderList`]: crate::HeaderList
//! [`StartResponseError::Refused`]: crate::StartResponseError::Refused
//! [`WriteCallable::write`]: crate::WriteCallable::write

use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::io;
use std::rc::Rc;

use crate::types::{AppError, Application, Body, Environ, StartResponse, WriteCallable};

mod checks;
use checks::{check_environ, check_start_response};

/// The log target of every violation and warning.
const TARGET: &str = "wsgiref::validate";

// The PEP 3333 sections the rules come from.
const ENVIRON_VARIABLES: &str = "environ Variables";
const STRING_TYPES: &str = "A Note On String Types";
const START_RESPONSE: &str = "The start_response() Callable";
const SPECIFICATION_DETAILS: &str = "Specification Details";
const WRITE_CALLABLE: &str = "The write() Callable";
const OTHER_HTTP_FEATURES: &str = "Other HTTP Features";

/// A broken WSGI rule: which one, where PEP 3333 states it, and what was
/// seen.
///
/// Shapes: `rule` is one of the names in the [module docs](self) (such as
/// `"content_type_missing"`); `pep_section` is a PEP 3333 section title;
/// `message` is lowercase, without a trailing period, and quotes the bad
/// value. `Display` shows all three.
///
/// # Example
///
/// ```
/// use wsgiref::validate::Violation;
///
/// let violation = Violation {
///     rule: "status_code",
///     pep_section: "The start_response() Callable",
///     message: r#"status code "20" must be three digits"#.to_string(),
/// };
/// assert_eq!(
///     violation.to_string(),
///     r#"status code "20" must be three digits (rule status_code, PEP 3333 "The start_response() Callable")"#
/// );
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors the `AssertionError`s of `wsgiref.validate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule's name, such as `"hop_by_hop_header"`.
    pub rule: &'static str,
    /// The PEP 3333 section that states the rule, such as `"environ Variables"`.
    pub pep_section: &'static str,
    /// What was wrong, quoting the bad value.
    pub message: String,
}

impl Violation {
    fn new(rule: &'static str, pep_section: &'static str, message: String) -> Violation {
        Violation {
            rule,
            pep_section,
            message,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (rule {}, PEP 3333 \"{}\")",
            self.message, self.rule, self.pep_section
        )
    }
}

impl Error for Violation {}

/// What a check found: the warnings, or the first broken rule.
type Checked = Result<Vec<Violation>, Violation>;

/// Wrap `application` in middleware that checks both sides of the WSGI
/// protocol on every call.
///
/// Shapes: takes any [`Application`] by value; the result is one too, and
/// is `Send + Sync` when `application` is.
///
/// # Example
///
/// ```
/// use wsgiref::validate::{Violation, validator};
/// use wsgiref::{Application, Body, Environ, StartResponse, app_fn};
///
/// let app = validator(app_fn(|_environ, start_response| {
///     start_response.call("200 OK", [("Content-Type", "text/plain"), ("Connection", "close")])?;
///     Ok(Body::from("hello"))
/// }));
/// let mut environ = Environ::new();
/// for (key, value) in [("REQUEST_METHOD", "GET"), ("SERVER_NAME", "localhost"),
///                      ("SERVER_PORT", "80"), ("PATH_INFO", "/"), ("QUERY_STRING", "")] {
///     environ.insert(key, value);
/// }
/// let (start_response, _seen) = StartResponse::recorder();
/// let Err(error) = app.call(&mut environ, start_response) else {
///     return Err("expected a violation".into());
/// };
/// let violation = error.downcast_ref::<Violation>().ok_or("not a violation")?;
/// assert_eq!(violation.rule, "hop_by_hop_header");
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.validate.validator`.
pub fn validator<A: Application>(application: A) -> Validator<A> {
    Validator { application }
}

/// The middleware [`validator`] returns: an [`Application`] that checks the
/// environ, `start_response`, the write callable and the body of the
/// application it wraps.
///
/// # Errors
///
/// [`Application::call`] returns a boxed [`Violation`] when the environ or
/// a `start_response` call made during the call breaks a rule, and the
/// wrapped application's own error otherwise. The returned body yields a
/// boxed [`Violation`] as an `Err` chunk for a rule broken while it is
/// iterated, then ends.
///
/// # Example
///
/// ```
/// use wsgiref::validate::validator;
/// use wsgiref::{Application, Environ, StartResponse};
///
/// let app = validator(wsgiref::simple_server::demo_app);
/// let mut environ = Environ::new();
/// for (key, value) in [("REQUEST_METHOD", "GET"), ("SERVER_NAME", "localhost"),
///                      ("SERVER_PORT", "80"), ("PATH_INFO", "/"), ("QUERY_STRING", "")] {
///     environ.insert(key, value);
/// }
/// let (start_response, seen) = StartResponse::recorder();
/// let body = app.call(&mut environ, start_response)?;
/// assert_eq!(seen.status().ok_or("start_response not called")?, "200 OK");
/// assert!(body.is_single_chunk());
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `lint_app` in `wsgiref.validate.validator`.
pub struct Validator<A> {
    application: A,
}

impl<A> fmt::Debug for Validator<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validator").finish_non_exhaustive()
    }
}

/// What one request's wrappers share.
#[derive(Default)]
struct State {
    /// `start_response` calls that passed the checks.
    start_response_calls: usize,
    /// A violation `start_response` found, not yet returned or yielded.
    violation: Option<Violation>,
    /// Whether the server closed (dropped) the body.
    body_closed: bool,
}

impl<A: Application> Application for Validator<A> {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        match check_environ(environ) {
            Ok(warnings) => warnings.iter().for_each(warn),
            Err(violation) => return Err(report(violation)),
        }
        let state = Rc::new(RefCell::new(State::default()));
        let result = self
            .application
            .call(environ, checked_start_response(start_response, &state));
        // Why: the application may have swallowed start_response's error;
        // the violation (already logged) wins over whatever it returned.
        let pending = state.borrow_mut().violation.take();
        if let Some(violation) = pending {
            return Err(Box::new(violation));
        }
        let body = result?;
        if body.is_single_chunk() {
            return checked_single_chunk(body, state);
        }
        let closed = Rc::clone(&state);
        let chunks = CheckedChunks {
            inner: body,
            state,
            first_seen: false,
            failed: false,
        };
        Ok(Body::new(chunks).on_close(move || closed.borrow_mut().body_closed = true))
    }

    fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
        self.application.run_worker(serve)
    }
}

/// Log a violation and box it as the application's error.
fn report(violation: Violation) -> AppError {
    log::error!(target: TARGET, "{violation}");
    Box::new(violation)
}

fn warn(warning: &Violation) {
    log::warn!(target: TARGET, "{warning}");
}

/// The `start_response` handed to the application: checks each call, then
/// passes it on.
///
/// Mirrors `start_response_wrapper` in `wsgiref.validate.validator`.
fn checked_start_response(start_response: StartResponse, state: &Rc<RefCell<State>>) -> StartResponse {
    let state = Rc::clone(state);
    StartResponse::new(move |status, headers, exc_info| {
        let calls = state.borrow().start_response_calls;
        match check_start_response(&status, &headers, exc_info.is_some(), calls) {
            Ok(warnings) => warnings.iter().for_each(warn),
            Err((violation, refusal)) => {
                log::error!(target: TARGET, "{violation}");
                state.borrow_mut().violation.get_or_insert(violation);
                return Err(refusal);
            }
        }
        state.borrow_mut().start_response_calls += 1;
        let write = start_response.call_with_exc_info(status, headers, exc_info)?;
        Ok(checked_write(write, Rc::clone(&state)))
    })
}

/// The write callable handed to the application.
///
/// Mirrors `wsgiref.validate.WriteWrapper`.
fn checked_write(write: WriteCallable, state: Rc<RefCell<State>>) -> WriteCallable {
    WriteCallable::new(move |data| {
        if state.borrow().body_closed {
            let violation = Violation::new(
                "write_after_close",
                WRITE_CALLABLE,
                format!("write() called with {} bytes after the body was closed", data.len()),
            );
            log::error!(target: TARGET, "{violation}");
            return Err(io::Error::other(violation));
        }
        write.write(data)
    })
}

/// Take the one chunk of a one-chunk body now, so the result is still
/// known to be one chunk (see "Design notes").
fn checked_single_chunk(mut body: Body, state: Rc<RefCell<State>>) -> Result<Body, AppError> {
    let first = body.next();
    let pending = state.borrow_mut().violation.take();
    if let Some(violation) = pending {
        return Err(Box::new(violation));
    }
    let chunk = first.unwrap_or_else(|| Ok(Vec::new()))?;
    if state.borrow().start_response_calls == 0 {
        return Err(report(not_called("the body's first chunk was produced")));
    }
    Ok(Body::from(chunk).on_close(move || {
        state.borrow_mut().body_closed = true;
        drop(body);
    }))
}

fn not_called(when: &str) -> Violation {
    Violation::new(
        "start_response_not_called",
        SPECIFICATION_DETAILS,
        format!("{when} before start_response was called"),
    )
}

/// The body's chunks, checked as the server takes them.
///
/// Mirrors `wsgiref.validate.IteratorWrapper`.
struct CheckedChunks {
    inner: Body,
    state: Rc<RefCell<State>>,
    first_seen: bool,
    failed: bool,
}

impl Iterator for CheckedChunks {
    type Item = Result<Vec<u8>, AppError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.inner.next();
        // A start_response called lazily inside this next() may have failed.
        let pending = self.state.borrow_mut().violation.take();
        if let Some(violation) = pending {
            self.failed = true;
            return Some(Err(Box::new(violation)));
        }
        if !self.first_seen {
            self.first_seen = true;
            let called = self.state.borrow().start_response_calls > 0;
            let when = match &item {
                Some(Ok(_)) => Some("the body yielded its first chunk"),
                None => Some("the body ended"),
                Some(Err(_)) => None, // the application's own error goes through
            };
            if let (false, Some(when)) = (called, when) {
                self.failed = true;
                return Some(Err(report(not_called(when))));
            }
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::checks::{check_content_type, check_status};
    use super::*;
    use crate::handlers::{ResponseSummary, SimpleHandler};
    use crate::types::{ExcInfo, StartResponseError, app_fn};
    use std::sync::{Arc, Mutex};

    /// An environ that passes every check, without warnings.
    fn valid_environ() -> Environ {
        let mut environ = Environ::new();
        let keys = [
            ("REQUEST_METHOD", "GET"),
            ("SERVER_NAME", "localhost"),
            ("SERVER_PORT", "80"),
            ("SCRIPT_NAME", ""),
            ("PATH_INFO", "/"),
            ("QUERY_STRING", ""),
        ];
        for (key, value) in keys {
            environ.insert(key, value);
        }
        environ
    }

    /// A way to break the environ, and the rule that breaks.
    type EnvironCase = (fn(&mut Environ), &'static str);

    /// A status, headers, and the rule they break.
    type StartResponseCase = (&'static str, &'static [(&'static str, &'static str)], &'static str);

    fn hello(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        Ok(Body::from("hello"))
    }

    /// Call `app` through the validator, and return the rule of the
    /// violation found: in the call's error or in a chunk of the body.
    fn broken_rule(app: impl Application, mut environ: Environ) -> &'static str {
        let (start_response, _) = StartResponse::recorder();
        let error = match validator(app).call(&mut environ, start_response) {
            Err(error) => error,
            Ok(body) => body.filter_map(Result::err).next().expect("no violation found"),
        };
        match error.downcast_ref::<Violation>() {
            Some(violation) => violation.rule,
            None => panic!("not a violation: {error}"),
        }
    }

    /// Run `app` in memory; the output without its `Date` line.
    fn run_in_memory(app: &dyn Application) -> (ResponseSummary, String) {
        let mut handler = SimpleHandler::new(Vec::new());
        let summary = handler.run(app, valid_environ());
        let output = String::from_utf8(handler.into_output().unwrap()).unwrap();
        let kept: Vec<&str> = output
            .split("\r\n")
            .filter(|line| !line.starts_with("Date: "))
            .collect();
        (summary, kept.join("\r\n"))
    }

    /// The same bytes reach the client with and without the validator.
    fn assert_untouched<A: Application + Clone>(app: A) -> String {
        let (summary, output) = run_in_memory(&app.clone());
        let (validated_summary, validated_output) = run_in_memory(&validator(app));
        assert_eq!(validated_output, output);
        assert_eq!(validated_summary, summary);
        output
    }

    #[test]
    fn correct_application_passes_untouched() {
        let output = assert_untouched(hello);
        assert!(
            output.ends_with("Content-Length: 5\r\nConnection: close\r\n\r\nhello"),
            "{output}"
        );
        assert_untouched(crate::simple_server::demo_app);
        assert_untouched(app_fn(|_environ, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from_chunks(["one ", "", "two"]))
        }));
        assert_untouched(app_fn(|_environ, start_response| {
            start_response.call("204 No Content", Vec::<(String, String)>::new())?;
            Ok(Body::empty())
        }));
    }

    #[test]
    fn lazy_start_response_passes_untouched() {
        // PEP 3333 allows start_response inside the body's first iteration.
        let output = assert_untouched(app_fn(|_environ, start_response| {
            let first = std::iter::once_with(move || -> Result<Vec<u8>, AppError> {
                start_response.call("200 OK", [("Content-Type", "text/plain")])?;
                Ok(b"lazy ".to_vec())
            });
            Ok(Body::new(first.chain([Ok(b"body".to_vec())])))
        }));
        assert!(
            output.starts_with("HTTP/1.1 200 OK\r\n") && output.ends_with("lazy body"),
            "{output}"
        );
    }

    #[test]
    fn write_callable_passes_untouched() {
        let output = assert_untouched(app_fn(|_environ, start_response| {
            let write = start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            write.write(b"written ")?;
            write.write(b"twice")?;
            Ok(Body::empty())
        }));
        assert!(output.ends_with("\r\n\r\nwritten twice"), "{output}");
    }

    #[test]
    fn second_start_response_with_exc_info_passes() {
        let app = app_fn(|_environ, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            let headers = vec![("Content-Type".to_string(), "text/plain".to_string())];
            start_response.call_with_exc_info("500 Oops", headers, Some(ExcInfo::new("failed")))?;
            Ok(Body::from("oops"))
        });
        let (start_response, seen) = StartResponse::recorder();
        let body = validator(app).call(&mut valid_environ(), start_response);
        assert!(body.is_ok());
        assert_eq!(seen.status().unwrap(), "500 Oops");
    }

    #[test]
    fn broken_environ_is_refused() {
        let cases: [EnvironCase; 13] = [
            (|e| drop(e.remove("SERVER_PORT")), "environ_missing_key"),
            (|e| drop(e.remove("REQUEST_METHOD")), "environ_missing_key"),
            (
                |e| drop(e.insert("HTTP_CONTENT_TYPE", "text/plain")),
                "environ_http_content_key",
            ),
            (
                |e| drop(e.insert("HTTP_CONTENT_LENGTH", "5")),
                "environ_http_content_key",
            ),
            (|e| drop(e.insert("HTTP_X_NAME", "\u{100}")), "environ_not_latin1"),
            (|e| e.version = (2, 0), "wsgi_version"),
            (|e| e.url_scheme = "ftp".to_string(), "wsgi_url_scheme"),
            (|e| drop(e.insert("REQUEST_METHOD", "GE T")), "request_method"),
            (|e| drop(e.insert("SCRIPT_NAME", "app")), "script_name_slash"),
            (|e| drop(e.insert("PATH_INFO", "index.html")), "path_info_slash"),
            (|e| drop(e.insert("CONTENT_LENGTH", "5, 5")), "content_length"),
            (|e| drop(e.remove("PATH_INFO")), "path_info_missing"),
            (|e| drop(e.insert("SCRIPT_NAME", "/")), "script_name_root"),
        ];
        for (breaks, rule) in cases {
            let mut environ = valid_environ();
            breaks(&mut environ);
            assert_eq!(broken_rule(hello, environ), rule, "case {rule}");
        }
    }

    #[test]
    fn extension_keys_may_hold_any_text() {
        let mut environ = valid_environ();
        environ.insert("myapp.user", "\u{263a}");
        assert_eq!(check_environ(&environ), Ok(vec![]));
    }

    #[test]
    fn application_is_not_called_with_a_broken_environ() {
        let called = Arc::new(Mutex::new(false));
        let flag = Arc::clone(&called);
        let app = move |environ: &mut Environ, start_response: StartResponse| {
            *flag.lock().unwrap() = true;
            hello(environ, start_response)
        };
        let mut environ = valid_environ();
        environ.remove("SERVER_NAME");
        assert_eq!(broken_rule(app, environ), "environ_missing_key");
        assert!(!*called.lock().unwrap());
    }

    #[test]
    fn environ_warnings() {
        let mut environ = valid_environ();
        environ.remove("QUERY_STRING");
        environ.insert("REQUEST_METHOD", "BREW");
        let rules: Vec<&str> = check_environ(&environ).unwrap().iter().map(|w| w.rule).collect();
        assert_eq!(rules, ["environ_query_string", "request_method_unknown"]);
        assert_eq!(check_environ(&valid_environ()), Ok(vec![]));
    }

    #[test]
    fn broken_start_response_is_refused() {
        const CONTENT_TYPE: (&str, &str) = ("Content-Type", "text/plain");
        let cases: [StartResponseCase; 20] = [
            ("20 OK", &[CONTENT_TYPE], "status_code"),
            ("2000 OK", &[CONTENT_TYPE], "status_code"),
            ("abc OK", &[CONTENT_TYPE], "status_code"),
            ("", &[CONTENT_TYPE], "status_code"),
            ("099 Too Low", &[CONTENT_TYPE], "status_code_range"),
            ("200 OK\r\n", &[CONTENT_TYPE], "status_control_char"),
            ("200 \u{100}K", &[CONTENT_TYPE], "status_not_latin1"),
            ("200 OK", &[CONTENT_TYPE, ("Status", "200 OK")], "header_name_status"),
            ("200 OK", &[CONTENT_TYPE, ("X Name", "1")], "header_name_token"),
            ("200 OK", &[CONTENT_TYPE, ("X-Name:", "1")], "header_name_token"),
            ("200 OK", &[CONTENT_TYPE, ("", "1")], "header_name_token"),
            ("200 OK", &[CONTENT_TYPE, ("X-Name-", "1")], "header_name_end"),
            ("200 OK", &[CONTENT_TYPE, ("X_", "1")], "header_name_end"),
            (
                "200 OK",
                &[CONTENT_TYPE, ("X-Name", "a\u{1}b")],
                "header_value_control_char",
            ),
            (
                "200 OK",
                &[CONTENT_TYPE, ("X-Name", "a\tb")],
                "header_value_control_char",
            ),
            (
                "200 OK",
                &[CONTENT_TYPE, ("X-Name", "\u{100}")],
                "header_value_not_latin1",
            ),
            (
                "200 OK",
                &[CONTENT_TYPE, ("Transfer-Encoding", "chunked")],
                "hop_by_hop_header",
            ),
            ("200 OK", &[], "content_type_missing"),
            ("204 No Content", &[CONTENT_TYPE], "content_type_forbidden"),
            ("304 Not Modified", &[CONTENT_TYPE], "content_type_forbidden"),
        ];
        for (status, headers, rule) in cases {
            let app = app_fn(move |_environ, start_response| {
                start_response.call(status, headers.iter().copied())?;
                Ok(Body::from("x"))
            });
            assert_eq!(broken_rule(app, valid_environ()), rule, "case {status:?} {headers:?}");
        }
    }

    #[test]
    fn start_response_twice_is_refused() {
        let app = app_fn(|_environ, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            start_response.call("404 Not Found", [("Content-Type", "text/plain")])?;
            Ok(Body::from("x"))
        });
        assert_eq!(broken_rule(app, valid_environ()), "start_response_twice");
    }

    #[test]
    fn refused_start_response_is_not_passed_on() {
        let state = Rc::new(RefCell::new(State::default()));
        let (inner, seen) = StartResponse::recorder();
        let start_response = checked_start_response(inner, &state);
        let error = start_response.call("200 OK", [("Content-Type", "text/plain"), ("Connection", "close")]);
        match error {
            Err(StartResponseError::Refused(refusal)) => assert!(refusal.to_string().contains("Connection")),
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(seen.status().is_none());
        assert_eq!(state.borrow().violation.as_ref().unwrap().rule, "hop_by_hop_header");
    }

    #[test]
    fn status_warnings() {
        let cases = [
            ("200", true),
            ("200 ", true),
            ("200  OK ", true),
            (" 200 OK", true),
            ("200 OK", false),
            ("100 Continue", false),
        ];
        for (status, warned) in cases {
            let rules: Vec<&str> = check_status(status).unwrap().iter().map(|w| w.rule).collect();
            assert_eq!(rules == ["status_reason"], warned, "case {status:?}");
        }
        // 1xx needs no Content-Type.
        assert_eq!(check_content_type("100 Continue", &[]), Ok(()));
    }

    #[test]
    fn start_response_must_come_before_the_first_chunk() {
        let stream = app_fn(|_environ, _start_response| Ok(Body::from_chunks(["x"])));
        assert_eq!(broken_rule(stream, valid_environ()), "start_response_not_called");
        let single = app_fn(|_environ, _start_response| Ok(Body::from("x")));
        assert_eq!(broken_rule(single, valid_environ()), "start_response_not_called");
        let empty = app_fn(|_environ, _start_response| Ok(Body::empty()));
        assert_eq!(broken_rule(empty, valid_environ()), "start_response_not_called");
    }

    #[test]
    fn violations_inside_the_body_are_yielded() {
        let lazy_bad_status = app_fn(|_environ, start_response| {
            Ok(Body::new(std::iter::once_with(move || -> Result<Vec<u8>, AppError> {
                start_response.call("2000 OK", [("Content-Type", "text/plain")])?;
                Ok(b"x".to_vec())
            })))
        });
        assert_eq!(broken_rule(lazy_bad_status, valid_environ()), "status_code");
        let late_second_call = app_fn(|_environ, start_response| {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            let mut count = 0;
            Ok(Body::new(std::iter::from_fn(move || {
                count += 1;
                if count == 2 {
                    // The application ignores the error; the validator does not.
                    let _ = start_response.call("200 OK", [("Content-Type", "text/plain")]);
                }
                (count <= 3).then(|| Ok(b"x".to_vec()))
            })))
        });
        assert_eq!(broken_rule(late_second_call, valid_environ()), "start_response_twice");
    }

    #[test]
    fn violation_gives_500() {
        let app = validator(app_fn(|_environ, start_response| {
            start_response.call("200 OK", Vec::<(String, String)>::new())?;
            Ok(Body::from("x"))
        }));
        let (summary, output) = run_in_memory(&app);
        assert_eq!(summary.status, Some(500));
        assert!(output.starts_with("HTTP/1.1 500 Internal Server Error\r\n"), "{output}");
    }

    #[test]
    fn write_after_close_is_refused() {
        let late_write = Arc::new(Mutex::new(None));
        let record = Arc::clone(&late_write);
        let app = move |_environ: &mut Environ, start_response: StartResponse| -> Result<Body, AppError> {
            let write = start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            let record = Arc::clone(&record);
            Ok(Body::from_chunks(["x"]).on_close(move || {
                let error = write.write(b"too late").unwrap_err();
                let violation = error.get_ref().and_then(|inner| inner.downcast_ref::<Violation>());
                *record.lock().unwrap() = violation.map(|violation| violation.rule);
            }))
        };
        run_in_memory(&validator(app));
        assert_eq!(*late_write.lock().unwrap(), Some("write_after_close"));
    }

    #[test]
    fn inner_body_is_closed_exactly_once() {
        for single_chunk in [true, false] {
            let closes = Arc::new(Mutex::new(0));
            let count = Arc::clone(&closes);
            let app = move |_environ: &mut Environ, start_response: StartResponse| -> Result<Body, AppError> {
                start_response.call("200 OK", [("Content-Type", "text/plain")])?;
                let body = if single_chunk {
                    Body::from("x")
                } else {
                    Body::from_chunks(["x"])
                };
                let count = Arc::clone(&count);
                Ok(body.on_close(move || *count.lock().unwrap() += 1))
            };
            run_in_memory(&validator(app));
            assert_eq!(*closes.lock().unwrap(), 1, "single chunk: {single_chunk}");
        }
    }

    /// A logger that keeps this thread's records, to see the log lines.
    struct Capture;

    thread_local! {
        static RECORDS: RefCell<Vec<(log::Level, String, String)>> = const { RefCell::new(Vec::new()) };
    }

    impl log::Log for Capture {
        fn enabled(&self, _metadata: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            let line = (record.level(), record.target().to_string(), record.args().to_string());
            RECORDS.with(|records| records.borrow_mut().push(line));
        }
        fn flush(&self) {}
    }

    static CAPTURE: Capture = Capture;

    #[test]
    fn warnings_and_violations_are_logged() {
        if log::set_logger(&CAPTURE).is_ok() {
            log::set_max_level(log::LevelFilter::Trace);
        }
        if !std::ptr::addr_eq(log::logger(), &CAPTURE) {
            eprintln!("another logger is installed; not checking log lines");
            return;
        }
        RECORDS.with(|records| records.borrow_mut().clear());
        let mut environ = valid_environ();
        environ.remove("QUERY_STRING");
        broken_rule(|_: &mut Environ, _: StartResponse| Ok(Body::empty()), environ);
        let records = RECORDS.with(|records| records.take());
        let ours: Vec<(log::Level, &str)> = records
            .iter()
            .filter(|(_, target, _)| target == TARGET)
            .map(|(level, _, message)| (*level, message.as_str()))
            .collect();
        assert_eq!(ours.len(), 2, "{ours:?}");
        assert_eq!(ours[0].0, log::Level::Warn);
        assert!(ours[0].1.contains("rule environ_query_string"), "{}", ours[0].1);
        assert_eq!(ours[1].0, log::Level::Error);
        assert!(ours[1].1.contains("rule start_response_not_called"), "{}", ours[1].1);
    }
}
