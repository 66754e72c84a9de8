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
//! | `response_headers` | [`HeaderList`] (defined in [`crate::headers`]) |
//!
//! This file holds the application and the environ; `start_response`, the
//! write callable, [`ExcInfo`], [`StartResponseError`] and the test
//! recorder ([`Recorded`]) are in `types/start_response.rs`, the body in
//! `types/body.rs`, `wsgi.errors` in `types/errors.rs`. All are used from
//! here (`wsgiref::types::Body`, or `wsgiref::Body`).
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
//! - `types` builds on `headers` and nothing else of the crate's modules
//!   but `input` (and the private `native`): `util` builds on `types`, so
//!   `wsgi.file_wrapper` is given by the handler, as in wsgiref, and the
//!   block-reading loop is [`Body::from_reader`].

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt;
use std::io::Read;
use std::sync::Arc;

mod body;
mod errors;
mod start_response;

pub use body::Body;
pub(crate) use body::{Blocks, DEFAULT_BLOCK_SIZE};
pub use errors::Errors;
pub use start_response::{ExcInfo, Recorded, StartResponse, StartResponseError, WriteCallable};

pub use crate::headers::HeaderList;
pub use crate::input::Input;

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
    /// assert_eq!(seen.status().as_deref(), Some("204 No Content"));
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
/// `wsgiref::util::to_bytes` to get the bytes back. The `wsgi.*` keys are
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
    /// `wsgi.file_wrapper`: turns a reader into an efficient body; see
    /// [`Environ::wrap_file`]. Set by the handler (`SimpleHandler`'s
    /// `wsgi_file_wrapper`), as wsgiref's `BaseHandler.setup_environ` does.
    pub file_wrapper: Option<FileWrapperFn>,
}

/// The type of `wsgi.file_wrapper`: a reader and a block size in bytes give a [`Body`].
pub type FileWrapperFn = fn(Box<dyn Read>, usize) -> Body;

impl Environ {
    /// An environ with no CGI keys and default `wsgi.*` values: version
    /// `(1, 0)`, scheme `http`, empty input, errors to the log, all flags
    /// false, and no `wsgi.file_wrapper` (the handler that runs the
    /// application sets it, as wsgiref's `BaseHandler.setup_environ` does;
    /// [`Environ::wrap_file`] works without it).
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
            file_wrapper: None,
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

    /// Wrap a reader as a body with `wsgi.file_wrapper`, or with
    /// [`Body::from_reader`] (the same blocks as `wsgiref::util::FileWrapper`)
    /// when the server gave none. `block_size` is in bytes.
    ///
    /// Mirrors PEP 3333's `environ.get('wsgi.file_wrapper', FileWrapper)`.
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
        match self.file_wrapper {
            Some(wrap) => wrap(Box::new(reader), block_size),
            None => Body::from_reader(reader, block_size),
        }
    }

    /// Every key, CGI and `wsgi.*`, sorted, with its value as Python's `repr`
    /// prints it: what `demo_app` shows.
    ///
    /// Shapes: `(key, repr)` pairs; string values are quoted as Python's
    /// `str.__repr__` does (see `wsgiref::util::python_repr`).
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
