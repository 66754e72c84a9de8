//! WSGI types: the application, the environ, `start_response` and the body.
//!
//! Mirrors [wsgiref/types.py](https://github.com/python/cpython/blob/3.11/Lib/wsgiref/types.py),
//! which describes the protocol's callables as typing protocols. In Rust they
//! are real types:
//!
//! | PEP 3333 | here |
//! |---|---|
//! | the application callable | [`Application`] (any `Fn(&mut Environ, StartResponse)`, or a struct) |
//! | the `environ` dict | [`Environ`] |
//! | `start_response(status, headers, exc_info=None)` | [`StartResponse`] |
//! | the `write(data)` callable | [`WriteCallable`] |
//! | the returned iterable and its `close()` | [`Body`] |
//! | `wsgi.input` | [`Input`] |
//! | `wsgi.errors` | [`Errors`] |
//! | `sys.exc_info()` | [`ExcInfo`] |
//!
//! # Design notes
//!
//! - Only the application is shared between threads, so only it must be
//!   `Send + Sync`. Everything else lives on the one thread that handles the
//!   connection, so middleware may use `Rc<RefCell<_>>` freely.
//! - [`StartResponse`] is an owned, cloneable handle rather than a borrowed
//!   closure, so a body may keep it and call it lazily on its first `next()`
//!   (PEP 3333 allows this).
//! - [`Body`] runs its close step from `Drop`, so no path (success, error,
//!   panic, client gone) can forget PEP 3333's `close()`.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt;
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::Arc;

pub use crate::input::Input;
use crate::util::FileWrapper;

/// The error type an application returns: any error, boxed.
///
/// `?` works on `io::Error`, [`StartResponseError`] and most other errors.
pub type AppError = Box<dyn Error + Send + Sync>;

/// A WSGI application: called once per request with the environ and a
/// `start_response` handle; returns the response body.
///
/// Implemented for every function or closure of the right shape, for
/// `Arc<A>` and for `Box<dyn Application>`; implement it by hand for
/// middleware structs that wrap another application.
///
/// # Errors
///
/// An `Err` before the response headers were sent makes the server answer
/// `500 Internal Server Error`; after that, the connection is closed. Either
/// way the error is logged. A panic is treated the same way.
///
/// # Example
///
/// ```
/// use wsgiref::{Body, Environ, StartResponse, AppError};
///
/// fn hello(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
///     start_response.call("200 OK", [("Content-Type", "text/plain")])?;
///     Ok(Body::from("Hello world!\n"))
/// }
/// let server = wsgiref::make_server("127.0.0.1", 0, hello)?;
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Spec: PEP 3333 "The Application/Framework Side".
pub trait Application: Send + Sync {
    /// Handle one request: the PEP 3333 call `application(environ, start_response)`.
    ///
    /// # Errors
    ///
    /// Any [`AppError`]; see the trait docs for what the server does with it.
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::{Application, Environ, StartResponse};
    ///
    /// let app = wsgiref::app_fn(|_environ, start_response| {
    ///     start_response.call("204 No Content", Vec::<(String, String)>::new())?;
    ///     Ok(wsgiref::Body::empty())
    /// });
    /// let (start_response, seen) = StartResponse::recorder();
    /// let body = Application::call(&app, &mut Environ::new(), start_response)?;
    /// assert_eq!(seen.borrow().as_ref().unwrap().0, "204 No Content");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError>;

    /// Run a server thread's whole life, `serve`, inside whatever the
    /// application keeps per thread; the default just calls `serve()`.
    ///
    /// The server calls it once on each worker thread of
    /// [`serve_forever`](crate::WsgiServer::serve_forever) (`serve` then
    /// accepts and handles connections until the worker exits) and around
    /// each [`handle_request`](crate::WsgiServer::handle_request). Every
    /// [`call`](Application::call) on that thread, the body's iteration and
    /// its close hooks happen inside `serve`. An implementation must call
    /// `serve` exactly once, on the calling thread.
    ///
    /// Why it exists: `wsgiref::python::PythonApplication` (the `python` feature)
    /// keeps one Python thread state per worker for the worker's life,
    /// instead of creating and deleting one per request. Middleware that
    /// wraps another application should forward it (the middleware of this
    /// crate does); one that does not only makes such an application slower.
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::{AppError, Application, Body, Environ, StartResponse};
    ///
    /// struct Logged<A>(A);
    /// impl<A: Application> Application for Logged<A> {
    ///     fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    ///         self.0.call(environ, start_response)
    ///     }
    ///     fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
    ///         log::debug!("a worker starts");
    ///         self.0.run_worker(serve); // forward: the inner application may need it
    ///     }
    /// }
    /// let mut served = false;
    /// Logged(wsgiref::simple_server::hello_app).run_worker(&mut || served = true);
    /// assert!(served);
    /// ```
    fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
        serve()
    }
}

impl<F> Application for F
where
    F: Fn(&mut Environ, StartResponse) -> Result<Body, AppError> + Send + Sync,
{
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        self(environ, start_response)
    }
}

impl<A: Application + ?Sized> Application for Arc<A> {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        (**self).call(environ, start_response)
    }

    fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
        (**self).run_worker(serve)
    }
}

impl Application for Box<dyn Application> {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        (**self).call(environ, start_response)
    }

    fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
        (**self).run_worker(serve)
    }
}

/// Turn a closure into an application, fixing its parameter types.
///
/// Rust cannot infer a closure's parameter types from a trait bound alone;
/// this function names them, so `|environ, start_response| ...` compiles
/// without annotations.
///
/// # Example
///
/// ```
/// let app = wsgiref::app_fn(|environ, start_response| {
///     let path = environ.get("PATH_INFO").unwrap_or("/").to_string();
///     start_response.call("200 OK", [("Content-Type", "text/plain")])?;
///     Ok(wsgiref::Body::from(path))
/// });
/// # let _ = wsgiref::make_server("127.0.0.1", 0, app)?;
/// # Ok::<(), wsgiref::AppError>(())
/// ```
pub fn app_fn<F>(f: F) -> F
where
    F: Fn(&mut Environ, StartResponse) -> Result<Body, AppError> + Send + Sync,
{
    f
}

/// The `environ` of PEP 3333: CGI variables plus the `wsgi.*` keys.
///
/// Shapes: CGI and `HTTP_*` keys (and keys that middleware adds) are
/// *native strings* in a sorted map: each byte of the request is one `char`
/// U+0000..U+00FF (latin-1), exactly as CPython's wsgiref gives them. Use
/// [`crate::util::to_bytes`] to get the bytes back. The `wsgi.*` keys are
/// typed fields.
///
/// # Example
///
/// ```
/// use wsgiref::Environ;
///
/// let mut environ = Environ::new();
/// environ.insert("PATH_INFO", "/caf\u{c3}\u{a9}");
/// assert_eq!(environ.get("PATH_INFO"), Some("/caf\u{c3}\u{a9}"));
/// assert_eq!(environ.url_scheme, "http");
/// assert_eq!(environ.version, (1, 0));
/// ```
///
/// Spec: PEP 3333 "environ Variables".
pub struct Environ {
    /// The CGI, `HTTP_*` and extension keys, native strings, sorted by key.
    vars: BTreeMap<String, String>,
    /// `wsgi.version`: always `(1, 0)`.
    pub version: (u32, u32),
    /// `wsgi.url_scheme`: `"http"` or `"https"`.
    pub url_scheme: String,
    /// `wsgi.input`: the request body. Move it out with [`Environ::take_input`].
    pub input: Input,
    /// `wsgi.errors`: a text stream whose lines go to the log.
    pub errors: Errors,
    /// `wsgi.multithread`: other requests may run at the same time on other threads.
    pub multithread: bool,
    /// `wsgi.multiprocess`: other processes may run the same application.
    pub multiprocess: bool,
    /// `wsgi.run_once`: this process handles only this one request (CGI).
    pub run_once: bool,
    /// `wsgi.input_terminated`: reading `input` to EOF is safe even without
    /// `CONTENT_LENGTH` (chunked bodies). Set by the server.
    pub input_terminated: bool,
    /// `wsgi.file_wrapper`: turns a reader into an efficient body; see [`Environ::wrap_file`].
    pub file_wrapper: Option<FileWrapperFn>,
}

/// The type of `wsgi.file_wrapper`: a reader and a block size in bytes give a [`Body`].
pub type FileWrapperFn = fn(Box<dyn Read>, usize) -> Body;

impl Environ {
    /// An environ with no CGI keys and default `wsgi.*` values: version
    /// `(1, 0)`, scheme `http`, empty input, errors to the log, all flags
    /// false, and [`FileWrapper`] as `wsgi.file_wrapper`.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::Environ::new();
    /// assert!(environ.get("REQUEST_METHOD").is_none());
    /// ```
    pub fn new() -> Environ {
        Environ {
            vars: BTreeMap::new(),
            version: (1, 0),
            url_scheme: "http".to_string(),
            input: Input::empty(),
            errors: Errors::to_log(),
            multithread: false,
            multiprocess: false,
            run_once: false,
            input_terminated: false,
            file_wrapper: Some(FileWrapper::into_body),
        }
    }

    /// The value of a CGI or extension key, such as `"PATH_INFO"`.
    ///
    /// # Example
    ///
    /// ```
    /// let mut environ = wsgiref::Environ::new();
    /// environ.insert("REQUEST_METHOD", "GET");
    /// assert_eq!(environ.get("REQUEST_METHOD"), Some("GET"));
    /// ```
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(key).map(String::as_str)
    }

    /// Set a key; returns the old value. Values are native strings (latin-1).
    ///
    /// # Example
    ///
    /// ```
    /// let mut environ = wsgiref::Environ::new();
    /// assert_eq!(environ.insert("SCRIPT_NAME", "/app"), None);
    /// ```
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) -> Option<String> {
        self.vars.insert(key.into(), value.into())
    }

    /// Remove a key; returns its value.
    ///
    /// # Example
    ///
    /// ```
    /// let mut environ = wsgiref::Environ::new();
    /// environ.insert("HTTP_COOKIE", "a=1");
    /// assert_eq!(environ.remove("HTTP_COOKIE").as_deref(), Some("a=1"));
    /// ```
    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.vars.remove(key)
    }

    /// Whether a CGI or extension key is present.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::Environ::new();
    /// assert!(!environ.contains_key("HTTPS"));
    /// ```
    pub fn contains_key(&self, key: &str) -> bool {
        self.vars.contains_key(key)
    }

    /// The CGI and extension keys with their values, sorted by key (no `wsgi.*`).
    ///
    /// # Example
    ///
    /// ```
    /// let mut environ = wsgiref::Environ::new();
    /// environ.insert("B", "2");
    /// environ.insert("A", "1");
    /// let keys: Vec<&str> = environ.vars().map(|(k, _)| k).collect();
    /// assert_eq!(keys, ["A", "B"]);
    /// ```
    pub fn vars(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Move `wsgi.input` out, leaving an empty input behind.
    ///
    /// A body that streams the request (an echo) needs to own the input,
    /// because a body cannot borrow the environ.
    ///
    /// # Example
    ///
    /// ```
    /// let mut environ = wsgiref::Environ::new();
    /// environ.input = wsgiref::Input::from_bytes(b"data".to_vec());
    /// let mut input = environ.take_input();
    /// assert_eq!(input.read_bytes(100)?, b"data");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn take_input(&mut self) -> Input {
        std::mem::replace(&mut self.input, Input::empty())
    }

    /// Wrap a reader as a body with `wsgi.file_wrapper` (or [`FileWrapper`]
    /// when the server gave none). `block_size` is in bytes.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::Environ::new();
    /// let body = environ.wrap_file(std::io::Cursor::new(b"abc".to_vec()), 2);
    /// let chunks: Vec<Vec<u8>> = body.map(|c| c.unwrap()).collect();
    /// assert_eq!(chunks, [b"ab".to_vec(), b"c".to_vec()]);
    /// ```
    ///
    /// Spec: PEP 3333 "Optional Platform-Specific File Handling".
    pub fn wrap_file(&self, reader: impl Read + 'static, block_size: usize) -> Body {
        let wrap = self.file_wrapper.unwrap_or(FileWrapper::into_body);
        wrap(Box::new(reader), block_size)
    }

    /// Every key, CGI and `wsgi.*`, sorted, with its value as Python's `repr`
    /// prints it: what `demo_app` shows.
    ///
    /// Shapes: `(key, repr)` pairs; string values are quoted as Python's
    /// `str.__repr__` does (see [`crate::util::python_repr`]).
    ///
    /// # Example
    ///
    /// ```
    /// let mut environ = wsgiref::Environ::new();
    /// environ.insert("QUERY_STRING", "abc");
    /// let items = environ.repr_items();
    /// assert_eq!(items[0], ("QUERY_STRING".to_string(), "'abc'".to_string()));
    /// assert!(items.contains(&("wsgi.version".to_string(), "(1, 0)".to_string())));
    /// ```
    pub fn repr_items(&self) -> Vec<(String, String)> {
        let python_bool = |b: bool| if b { "True" } else { "False" }.to_string();
        let mut items: Vec<(String, String)> = self
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), crate::native::python_repr(v)))
            .collect();
        let wsgi_items = [
            ("wsgi.errors", "<wsgiref::Errors>".to_string()),
            ("wsgi.file_wrapper", "<wsgiref::util::FileWrapper>".to_string()),
            ("wsgi.input", "<wsgiref::Input>".to_string()),
            ("wsgi.input_terminated", python_bool(self.input_terminated)),
            ("wsgi.multiprocess", python_bool(self.multiprocess)),
            ("wsgi.multithread", python_bool(self.multithread)),
            ("wsgi.run_once", python_bool(self.run_once)),
            ("wsgi.url_scheme", crate::native::python_repr(&self.url_scheme)),
            ("wsgi.version", format!("({}, {})", self.version.0, self.version.1)),
        ];
        for (key, value) in wsgi_items {
            // CPython's wsgiref has no wsgi.input_terminated: show it only when set.
            if key == "wsgi.input_terminated" && !self.input_terminated {
                continue;
            }
            if key == "wsgi.file_wrapper" && self.file_wrapper.is_none() {
                continue;
            }
            items.push((key.to_string(), value));
        }
        items.sort();
        items
    }
}

impl Default for Environ {
    fn default() -> Environ {
        Environ::new()
    }
}

impl fmt::Debug for Environ {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.repr_items()).finish()
    }
}

/// A response header list, as PEP 3333's `response_headers`: `(name, value)` pairs in order.
pub type HeaderList = Vec<(String, String)>;

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
/// assert!(seen.borrow().as_ref().unwrap().1.iter().any(|(name, _)| name == "Server-Timing"));
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
    /// assert_eq!(seen.borrow().as_ref().unwrap().0, "404 Not Found");
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
    /// assert_eq!(seen.borrow().as_ref().unwrap().0, "500 Oops");
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
    /// Shapes: the shared cell holds `Some((status, headers))` after a call.
    /// The returned write callable discards its data.
    ///
    /// # Example
    ///
    /// ```
    /// let (start_response, seen) = wsgiref::StartResponse::recorder();
    /// assert!(seen.borrow().is_none());
    /// start_response.call("200 OK", [("A", "b")])?;
    /// assert_eq!(seen.borrow().as_ref().unwrap().1, [("A".to_string(), "b".to_string())]);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    #[allow(clippy::type_complexity)] // the shape is spelled out so readers see it
    pub fn recorder() -> (StartResponse, Rc<std::cell::RefCell<Option<(String, HeaderList)>>>) {
        let seen = Rc::new(std::cell::RefCell::new(None));
        let sink = Rc::clone(&seen);
        let start_response = StartResponse::new(move |status, headers, _exc_info| {
            *sink.borrow_mut() = Some((status, headers));
            Ok(WriteCallable::new(|_data| Ok(())))
        });
        (start_response, seen)
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
/// Mirrors the `assert`s of `wsgiref.handlers.BaseHandler.start_response`.
#[derive(Debug)]
pub enum StartResponseError {
    /// `start_response` was called a second time without `exc_info`.
    AlreadyCalled,
    /// `exc_info` was given after the headers were sent: the error is re-raised.
    HeadersAlreadySent(ExcInfo),
    /// The status is not `NNN reason`.
    BadStatus(String),
    /// The status is below 200: WSGI applications cannot send 1xx responses.
    InformationalStatus(String),
    /// A status, header name or header value contains CR, LF or NUL.
    ControlCharacter {
        /// Which part: `"status"`, `"header name"` or `"header value"`.
        part: &'static str,
        /// The offending text.
        value: String,
    },
    /// A header name is not an RFC 9110 token.
    BadHeaderName(String),
    /// A status or header has a character above U+00FF (not latin-1).
    NotLatin1 {
        /// Which part: `"status"`, `"header name"` or `"header value"`.
        part: &'static str,
        /// The offending text.
        value: String,
    },
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
            StartResponseError::ControlCharacter { part, value } => {
                write!(f, "{part} {value:?} contains CR, LF or NUL")
            }
            StartResponseError::BadHeaderName(name) => {
                write!(f, "header name {name:?} is not a token (RFC 9110 section 5.1)")
            }
            StartResponseError::NotLatin1 { part, value } => {
                write!(f, "{part} {value:?} has a character above U+00FF (not latin-1)")
            }
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
            _ => None,
        }
    }
}

type Chunks = Box<dyn Iterator<Item = Result<Vec<u8>, AppError>>>;

/// The response body: PEP 3333's returned iterable of byte strings, with
/// its `close()` step.
///
/// Shapes: an iterator of `Result<Vec<u8>, AppError>` chunks. A body made
/// from one value (`Body::from("text")`, a `Vec<u8>`, a `String`) is known
/// to be exactly one chunk, so the server computes `Content-Length` (as
/// wsgiref does when `len(result) == 1`); an iterator body is sent as it
/// comes and never gets a computed `Content-Length`.
///
/// # Automatic cleanup
///
/// The close step runs when the `Body` is dropped: after the last chunk,
/// after an error, after a panic, or when the client disconnects. Register
/// work for it with [`Body::on_close`]. A body that wraps another (as
/// middleware does) drops the inner one too, so closing propagates, as PEP
/// 3333 asks of middleware.
///
/// # Example
///
/// ```
/// use wsgiref::Body;
/// let body = Body::from_chunks(vec!["Hello ", "world"]).on_close(|| println!("closed"));
/// let text: Vec<u8> = body.map(|chunk| chunk.unwrap()).flatten().collect();
/// assert_eq!(text, b"Hello world");
/// ```
///
/// Spec: PEP 3333 "Specification Details" (the iterable and `close()`).
pub struct Body {
    chunks: Chunks,
    single_chunk: bool,
    on_close: Vec<Box<dyn FnOnce()>>,
}

impl Body {
    /// A body from any iterator of chunk results (a stream).
    ///
    /// # Example
    ///
    /// ```
    /// let lines = (1..=3).map(|n| Ok(format!("line {n}\n").into_bytes()));
    /// let body = wsgiref::Body::new(lines);
    /// assert!(!body.is_single_chunk());
    /// ```
    pub fn new<I>(chunks: I) -> Body
    where
        I: IntoIterator<Item = Result<Vec<u8>, AppError>>,
        I::IntoIter: 'static,
    {
        Body {
            chunks: Box::new(chunks.into_iter()),
            single_chunk: false,
            on_close: Vec::new(),
        }
    }

    /// A body from chunks that cannot fail (strings, byte vectors).
    ///
    /// # Example
    ///
    /// ```
    /// let body = wsgiref::Body::from_chunks(["a", "b"]);
    /// assert_eq!(body.count(), 2);
    /// ```
    pub fn from_chunks<I, C>(chunks: I) -> Body
    where
        I: IntoIterator<Item = C>,
        I::IntoIter: 'static,
        C: Into<Vec<u8>>,
    {
        Body::new(chunks.into_iter().map(|chunk| Ok(chunk.into())))
    }

    /// An empty body (no chunks), as an application that used the write
    /// callable returns.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(wsgiref::Body::empty().count(), 0);
    /// ```
    pub fn empty() -> Body {
        Body::new(std::iter::empty())
    }

    /// Whether the body is known to be exactly one chunk (so the server can
    /// compute `Content-Length`).
    ///
    /// # Example
    ///
    /// ```
    /// assert!(wsgiref::Body::from("one").is_single_chunk());
    /// ```
    pub fn is_single_chunk(&self) -> bool {
        self.single_chunk
    }

    /// Add work to the close step (PEP 3333 `close()`); hooks run in the
    /// order added, when the body is dropped.
    ///
    /// # Example
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let closed = Rc::new(Cell::new(false));
    /// let flag = Rc::clone(&closed);
    /// let body = wsgiref::Body::from("x").on_close(move || flag.set(true));
    /// drop(body);
    /// assert!(closed.get());
    /// ```
    pub fn on_close(mut self, hook: impl FnOnce() + 'static) -> Body {
        self.on_close.push(Box::new(hook));
        self
    }

    /// A body whose chunks are `transform` applied to this body's chunks;
    /// keeps "known to be one chunk" and closes this body when closed.
    /// Middleware such as Upperware uses it.
    ///
    /// # Example
    ///
    /// ```
    /// let body = wsgiref::Body::from("abc").map_chunks(|chunk| chunk.to_ascii_uppercase());
    /// assert!(body.is_single_chunk());
    /// assert_eq!(body.map(|c| c.unwrap()).collect::<Vec<_>>(), [b"ABC".to_vec()]);
    /// ```
    pub fn map_chunks(self, mut transform: impl FnMut(Vec<u8>) -> Vec<u8> + 'static) -> Body {
        let single_chunk = self.single_chunk;
        let mut body = Body::new(self.map(move |chunk| chunk.map(&mut transform)));
        body.single_chunk = single_chunk;
        body
    }

    /// Run the close step now (the same as dropping the body).
    ///
    /// # Example
    ///
    /// ```
    /// wsgiref::Body::from("x").on_close(|| println!("bye")).close();
    /// ```
    pub fn close(self) {
        drop(self)
    }

    fn single(chunk: Vec<u8>) -> Body {
        let mut body = Body::new(std::iter::once(Ok(chunk)));
        body.single_chunk = true;
        body
    }
}

impl Iterator for Body {
    type Item = Result<Vec<u8>, AppError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.chunks.next()
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        // Why: PEP 3333 requires close() on every path. Hooks run in order;
        // the chunks iterator (and any inner body it owns) is dropped after.
        // A panicking hook must not skip the ones after it: each runs on its
        // own, and the first panic goes on once all have run.
        let mut first_panic = None;
        for hook in self.on_close.drain(..) {
            if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(hook)) {
                first_panic.get_or_insert(panic);
            }
        }
        if let Some(panic) = first_panic {
            if !std::thread::panicking() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(chunk: Vec<u8>) -> Body {
        Body::single(chunk)
    }
}

impl From<&'static [u8]> for Body {
    fn from(chunk: &'static [u8]) -> Body {
        Body::single(chunk.to_vec())
    }
}

impl From<&'static str> for Body {
    fn from(chunk: &'static str) -> Body {
        Body::single(chunk.as_bytes().to_vec())
    }
}

impl From<String> for Body {
    fn from(chunk: String) -> Body {
        Body::single(chunk.into_bytes())
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("single_chunk", &self.single_chunk)
            .finish_non_exhaustive()
    }
}

/// `wsgi.errors`: a text stream for error output. Each complete line is
/// logged at `error` level with target `wsgi.errors`; a partial line is
/// logged on `flush` or drop.
///
/// # Example
///
/// ```
/// use std::io::Write;
/// let mut environ = wsgiref::Environ::new();
/// writeln!(environ.errors, "something odd happened")?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Spec: PEP 3333 "environ Variables" (`wsgi.errors`).
pub struct Errors {
    line: Vec<u8>,
    captured: Option<Rc<std::cell::RefCell<Vec<u8>>>>,
}

impl Errors {
    /// Errors that go to the log (what the server gives applications).
    ///
    /// # Example
    ///
    /// ```
    /// let errors = wsgiref::Errors::to_log();
    /// # let _ = errors;
    /// ```
    pub fn to_log() -> Errors {
        Errors {
            line: Vec::new(),
            captured: None,
        }
    }

    /// Errors that are kept in memory too, for tests: everything written is
    /// appended to the returned buffer as well as logged.
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::Write;
    /// let (mut errors, captured) = wsgiref::Errors::capture();
    /// write!(errors, "oops")?;
    /// assert_eq!(&*captured.borrow(), b"oops");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[allow(clippy::type_complexity)] // the shape is spelled out so readers see it
    pub fn capture() -> (Errors, Rc<std::cell::RefCell<Vec<u8>>>) {
        let captured = Rc::new(std::cell::RefCell::new(Vec::new()));
        (
            Errors {
                line: Vec::new(),
                captured: Some(Rc::clone(&captured)),
            },
            captured,
        )
    }

    fn log_line(&mut self) {
        if !self.line.is_empty() {
            let text = String::from_utf8_lossy(&self.line);
            log::error!(target: "wsgi.errors", "{}", text.trim_end_matches(['\r', '\n']));
            self.line.clear();
        }
    }
}

impl io::Write for Errors {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some(captured) = &self.captured {
            captured.borrow_mut().extend_from_slice(data);
        }
        for &byte in data {
            self.line.push(byte);
            if byte == b'\n' {
                self.log_line();
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.log_line();
        Ok(())
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        self.log_line();
    }
}

impl fmt::Debug for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Errors")
    }
}
