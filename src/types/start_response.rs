//! `start_response`, the write callable it returns, `exc_info`, and what
//! `start_response` refuses.
//!
//! Part of [`crate::types`]; see its docs for the map from PEP 3333.

use std::cell::RefCell;
use std::error::Error;
use std::fmt;
use std::io;
use std::rc::Rc;

use super::AppError;
use crate::headers::{HeaderError, HeaderList};

type StartResponseFn = dyn Fn(String, HeaderList, Option<ExcInfo>) -> Result<WriteCallable, StartResponseError>;

/// The `start_response` callable: an owned, cloneable handle.
///
/// Call it with a status (`"200 OK"`: three digits, a space, a reason) and a
/// header list; it returns the [`WriteCallable`]. It may be called inside the
/// body's first iteration (keep a clone in the body). Middleware builds its
/// own with [`StartResponse::new`] to see or change what the inner
/// application sends.
///
/// # Example
///
/// Middleware that adds a header to every response:
///
/// ```
/// use wsgiref::{Application, Body, Environ, StartResponse, AppError};
///
/// struct AddServerTiming<A>(A);
///
/// impl<A: Application> Application for AddServerTiming<A> {
///     fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
///         let outer = start_response.clone();
///         let inner = StartResponse::new(move |status, mut headers, exc_info| {
///             headers.push(("Server-Timing".to_string(), "app".to_string()));
///             outer.call_with_exc_info(status, headers, exc_info)
///         });
///         self.0.call(environ, inner)
///     }
/// }
/// let app = AddServerTiming(wsgiref::simple_server::demo_app);
/// let (start_response, seen) = StartResponse::recorder();
/// let _body = app.call(&mut Environ::new(), start_response)?;
/// assert_eq!(seen.header("Server-Timing").as_deref(), Some("app"));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Spec: PEP 3333 "The start_response() Callable".
#[derive(Clone)]
pub struct StartResponse {
    callable: Rc<StartResponseFn>,
}

impl StartResponse {
    /// Build a `start_response` from a function of `(status, headers, exc_info)`.
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::{StartResponse, WriteCallable};
    /// let start_response = StartResponse::new(|status, _headers, _exc_info| {
    ///     assert_eq!(status, "200 OK");
    ///     Ok(WriteCallable::new(|_data| Ok(())))
    /// });
    /// start_response.call("200 OK", [("Content-Type", "text/plain")])?;
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn new<F>(callable: F) -> StartResponse
    where
        F: Fn(String, HeaderList, Option<ExcInfo>) -> Result<WriteCallable, StartResponseError> + 'static,
    {
        StartResponse {
            callable: Rc::new(callable),
        }
    }

    /// `start_response(status, response_headers)`.
    ///
    /// Shapes: `status` like `"404 Not Found"`; headers as any list of
    /// `(name, value)` string pairs, values latin-1.
    ///
    /// # Errors
    ///
    /// A [`StartResponseError`] when the status or a header is malformed, a
    /// header is hop-by-hop, or `start_response` was already called.
    ///
    /// # Example
    ///
    /// ```
    /// let (start_response, seen) = wsgiref::StartResponse::recorder();
    /// start_response.call("404 Not Found", [("Content-Type", "text/plain")])?;
    /// assert_eq!(seen.status().as_deref(), Some("404 Not Found"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn call<S, I, K, V>(&self, status: S, headers: I) -> Result<WriteCallable, StartResponseError>
    where
        S: Into<String>,
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let headers = headers.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        (self.callable)(status.into(), headers, None)
    }

    /// `start_response(status, response_headers, exc_info)`: replace the
    /// headers after an error, as an error handler does.
    ///
    /// # Errors
    ///
    /// As [`StartResponse::call`]; and when the headers were already sent,
    /// [`StartResponseError::HeadersAlreadySent`] carries `exc_info` back (PEP
    /// 3333's "re-raise").
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::{ExcInfo, StartResponse};
    /// let (start_response, seen) = StartResponse::recorder();
    /// start_response.call("200 OK", [("Content-Type", "text/plain")])?;
    /// let error = ExcInfo::new("database is down");
    /// start_response.call_with_exc_info("500 Oops", vec![], Some(error))?;
    /// assert_eq!(seen.status().as_deref(), Some("500 Oops"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn call_with_exc_info(
        &self,
        status: impl Into<String>,
        headers: HeaderList,
        exc_info: Option<ExcInfo>,
    ) -> Result<WriteCallable, StartResponseError> {
        (self.callable)(status.into(), headers, exc_info)
    }

    /// A `start_response` that only records the last status and headers:
    /// for unit tests of applications and middleware.
    ///
    /// Shapes: the [`Recorded`] view shows the last call's status and
    /// headers (`None` before the first call). The returned write callable
    /// discards its data.
    ///
    /// # Example
    ///
    /// ```
    /// let (start_response, seen) = wsgiref::StartResponse::recorder();
    /// assert_eq!(seen.status(), None);
    /// start_response.call("200 OK", [("A", "b")])?;
    /// assert_eq!(seen.status().as_deref(), Some("200 OK"));
    /// assert_eq!(seen.headers(), Some(vec![("A".to_string(), "b".to_string())]));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn recorder() -> (StartResponse, Recorded) {
        let seen = Recorded {
            last: Rc::new(RefCell::new(None)),
        };
        let sink = seen.clone();
        let start_response = StartResponse::new(move |status, headers, _exc_info| {
            *sink.last.borrow_mut() = Some((status, headers));
            Ok(WriteCallable::new(|_data| Ok(())))
        });
        (start_response, seen)
    }
}

/// What a [`StartResponse::recorder`] saw: the status and headers of the
/// last `start_response` call.
///
/// A shared view: the recorder writes into it, and a clone shows the same
/// record (it is an `Rc`), so a test keeps one while the recorder goes into
/// the application. Like the rest of the request, it stays on one thread.
///
/// # Example
///
/// ```
/// use wsgiref::{Application, Environ, StartResponse};
///
/// let (start_response, seen) = StartResponse::recorder();
/// let _body = wsgiref::simple_server::hello_app.call(&mut Environ::new(), start_response)?;
/// assert_eq!(seen.status().as_deref(), Some("200 OK"));
/// assert_eq!(seen.header("content-type").as_deref(), Some("text/plain"));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
#[derive(Clone)]
pub struct Recorded {
    /// `Some((status, headers))` once `start_response` was called.
    last: Rc<RefCell<Option<(String, HeaderList)>>>,
}

impl Recorded {
    /// The status of the last call, such as `"404 Not Found"`; `None` before
    /// the first call.
    ///
    /// # Example
    ///
    /// ```
    /// let (start_response, seen) = wsgiref::StartResponse::recorder();
    /// start_response.call("404 Not Found", [("Content-Type", "text/plain")])?;
    /// assert_eq!(seen.status().as_deref(), Some("404 Not Found"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn status(&self) -> Option<String> {
        self.last.borrow().as_ref().map(|(status, _)| status.clone())
    }

    /// The headers of the last call, in order, as given; `None` before the
    /// first call.
    ///
    /// # Example
    ///
    /// ```
    /// let (start_response, seen) = wsgiref::StartResponse::recorder();
    /// start_response.call("200 OK", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])?;
    /// assert_eq!(seen.headers().map(|headers| headers.len()), Some(2));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn headers(&self) -> Option<HeaderList> {
        self.last.borrow().as_ref().map(|(_, headers)| headers.clone())
    }

    /// The value of the first header called `name` (ASCII case ignored, as
    /// [`Headers::get`](crate::Headers::get) does) in the last call; `None`
    /// when there is no such header or no call yet.
    ///
    /// # Example
    ///
    /// ```
    /// let (start_response, seen) = wsgiref::StartResponse::recorder();
    /// start_response.call("200 OK", [("Content-Type", "text/html")])?;
    /// assert_eq!(seen.header("content-type").as_deref(), Some("text/html"));
    /// assert_eq!(seen.header("Content-Length"), None);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn header(&self, name: &str) -> Option<String> {
        let last = self.last.borrow();
        let (_, headers) = last.as_ref()?;
        headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    }
}

impl fmt::Debug for Recorded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.last.borrow() {
            Some((status, headers)) => f
                .debug_struct("Recorded")
                .field("status", status)
                .field("headers", headers)
                .finish(),
            None => f.write_str("Recorded(not called)"),
        }
    }
}

impl fmt::Debug for StartResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StartResponse")
    }
}

/// The `write(data)` callable that `start_response` returns (legacy,
/// imperative output). Its first non-empty call sends the headers.
///
/// Named `WriteCallable`, not `Write`, so it does not collide with
/// [`std::io::Write`].
///
/// # Example
///
/// ```
/// use wsgiref::{Body, StartResponse};
/// let app = wsgiref::app_fn(|_environ, start_response| {
///     let write = start_response.call("200 OK", [("Content-Type", "text/plain")])?;
///     write.write(b"Hello ")?;
///     write.write(b"world!\n")?;
///     Ok(Body::empty())
/// });
/// # let _ = app;
/// ```
///
/// Spec: PEP 3333 "The write() Callable".
#[derive(Clone)]
pub struct WriteCallable {
    callable: Rc<WriteFn>,
}

type WriteFn = dyn Fn(&[u8]) -> io::Result<()>;

impl WriteCallable {
    /// Build a write callable from a function of the bytes to send.
    ///
    /// # Example
    ///
    /// ```
    /// let write = wsgiref::WriteCallable::new(|data| {
    ///     assert_eq!(data, b"x");
    ///     Ok(())
    /// });
    /// write.write(b"x")?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new(callable: impl Fn(&[u8]) -> io::Result<()> + 'static) -> WriteCallable {
        WriteCallable {
            callable: Rc::new(callable),
        }
    }

    /// Send `data` (bytes) to the client now, after the headers if they are
    /// not sent yet.
    ///
    /// # Errors
    ///
    /// An `io::Error` when the client is gone or the write timed out.
    ///
    /// # Example
    ///
    /// ```
    /// let write = wsgiref::WriteCallable::new(|_data| Ok(()));
    /// write.write(b"chunk")?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write(&self, data: &[u8]) -> io::Result<()> {
        (self.callable)(data)
    }
}

impl fmt::Debug for WriteCallable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WriteCallable")
    }
}

/// The error being handled, passed to `start_response` as PEP 3333's
/// `exc_info` (Python's `(type, value, traceback)` triple).
///
/// # Example
///
/// ```
/// let exc_info = wsgiref::ExcInfo::new("template not found");
/// assert_eq!(exc_info.error().to_string(), "template not found");
/// ```
///
/// Spec: PEP 3333 "Error Handling".
#[derive(Debug)]
pub struct ExcInfo {
    error: AppError,
}

impl ExcInfo {
    /// Wrap an error (or a message) as `exc_info`.
    ///
    /// # Example
    ///
    /// ```
    /// let io_error = std::io::Error::other("disk full");
    /// let exc_info = wsgiref::ExcInfo::new(io_error);
    /// # let _ = exc_info;
    /// ```
    pub fn new(error: impl Into<AppError>) -> ExcInfo {
        ExcInfo { error: error.into() }
    }

    /// The wrapped error.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(wsgiref::ExcInfo::new("x").error().to_string(), "x");
    /// ```
    pub fn error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.error
    }

    /// Unwrap into the error, to re-raise it with `?`.
    ///
    /// # Example
    ///
    /// ```
    /// let error = wsgiref::ExcInfo::new("x").into_error();
    /// assert_eq!(error.to_string(), "x");
    /// ```
    pub fn into_error(self) -> AppError {
        self.error
    }
}

/// What the application did wrong when calling `start_response`.
///
/// Each `Display` names the mistake and quotes the bad value.
///
/// # Example
///
/// ```
/// let error = wsgiref::StartResponseError::BadStatus("OK".to_string());
/// assert_eq!(error.to_string(), r#"status "OK" is not a 3-digit code, a space and a reason phrase"#);
/// ```
///
/// A header that would split in two is refused; the [`HeaderError`] is the
/// `source()`:
///
/// ```
/// use std::error::Error;
/// use wsgiref::{HeaderError, handlers::SimpleHandler};
///
/// let app = wsgiref::app_fn(|_environ, start_response| {
///     let error = start_response.call("200 OK", [("X-Evil", "1\r\nSet-Cookie: a=b")]).unwrap_err();
///     assert_eq!(error.to_string(), r#"header value "1\r\nSet-Cookie: a=b" contains CR, LF or NUL"#);
///     let header_error = error.source().and_then(|source| source.downcast_ref::<HeaderError>());
///     assert!(matches!(header_error, Some(HeaderError::ControlCharacter { part: "header value", .. })));
///     Err(error.into())
/// });
/// let summary = SimpleHandler::new(Vec::new()).run(&app, wsgiref::Environ::new());
/// assert_eq!(summary.status, Some(500));
/// ```
///
/// Mirrors the `assert`s of `wsgiref.handlers.BaseHandler.start_response`.
#[derive(Debug)]
#[non_exhaustive]
pub enum StartResponseError {
    /// `start_response` was called a second time without `exc_info`.
    AlreadyCalled,
    /// `exc_info` was given after the headers were sent: the error is re-raised.
    HeadersAlreadySent(ExcInfo),
    /// The status is not `NNN reason`.
    BadStatus(String),
    /// The status is below 200: WSGI applications cannot send 1xx responses.
    InformationalStatus(String),
    /// A status or header that cannot be sent: CR, LF or NUL in it, a
    /// character above U+00FF, or a header name that is not an RFC 9110
    /// token. `Display` is the [`HeaderError`]'s, which is also the `source()`.
    Header(HeaderError),
    /// A hop-by-hop header such as `Connection`, which only the server may send.
    HopByHop(String),
    /// A `Content-Length` that is not `1*DIGIT`, or more than one of them.
    BadContentLength(String),
    /// Middleware (such as [`crate::validate::validator`]) refused the call;
    /// the error says which rule was broken.
    Refused(AppError),
}

impl fmt::Display for StartResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartResponseError::AlreadyCalled => {
                write!(f, "start_response called a second time without exc_info")
            }
            StartResponseError::HeadersAlreadySent(exc_info) => {
                write!(f, "headers already sent; re-raising exc_info: {}", exc_info.error)
            }
            StartResponseError::BadStatus(status) => {
                write!(
                    f,
                    "status {status:?} is not a 3-digit code, a space and a reason phrase"
                )
            }
            StartResponseError::InformationalStatus(status) => {
                write!(
                    f,
                    "status {status:?} is informational (1xx), which applications cannot send"
                )
            }
            // Why the same text: the HeaderError says all there is to say
            // (which part, the bad value); log lines stay as they were.
            StartResponseError::Header(error) => write!(f, "{error}"),
            StartResponseError::HopByHop(name) => {
                write!(f, "hop-by-hop header {name:?} not allowed from an application")
            }
            StartResponseError::Refused(error) => write!(f, "start_response refused: {error}"),
            StartResponseError::BadContentLength(value) => {
                write!(
                    f,
                    "Content-Length {value:?} is not one number of bytes (RFC 9110 section 8.6)"
                )
            }
        }
    }
}

impl Error for StartResponseError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            StartResponseError::HeadersAlreadySent(exc_info) => Some(&*exc_info.error),
            StartResponseError::Refused(error) => Some(&**error),
            StartResponseError::Header(error) => Some(error),
            _ => None,
        }
    }
}

impl From<HeaderError> for StartResponseError {
    fn from(error: HeaderError) -> StartResponseError {
        StartResponseError::Header(error)
    }
}
