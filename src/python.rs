//! Serve Python WSGI applications (the optional `python` feature).
//!
//! WSGI is Python's protocol: [`PythonApplication`] runs a real Python WSGI
//! callable (a bare function, CPython's own `wsgiref.simple_server.demo_app`,
//! a Flask app, a Django `WSGIHandler`) as one of our [`Application`]s, by
//! embedding CPython through [pyo3](https://pyo3.rs). The command does it with
//! `wsgiref --python MODULE:CALLABLE [--pythonpath DIR]`.
//!
//! ```no_run
//! let app = wsgiref::python::load("myapp:app", std::path::Path::new("."))?;
//! wsgiref::make_server("127.0.0.1", 8000, app)?.serve_forever()?;
//! # Ok::<(), wsgiref::AppError>(())
//! ```
//!
//! The Python package (`pip install .`, the `python-package` feature; see
//! README.md, "For Python developers") serves through this same type from
//! inside the user's own interpreter: `python -m wsgiref_rs myapp:app`, or
//! `from wsgiref_rs import make_server`.
//!
//! # PEP 3333 on the Python side
//!
//! | PEP 3333 | what the Python application gets |
//! |---|---|
//! | `environ` | a real `dict`; CGI and `HTTP_*` keys are native `str` (each request byte one code point, latin-1, as CPython's wsgiref gives them) |
//! | `wsgi.version`, flags, `wsgi.url_scheme` | `(1, 0)`, `bool`s, `str` |
//! | `wsgi.input` | `wsgiref_rs.Input`: `read(size=-1)`, `readline(size=-1)`, `readlines(hint=-1)`, iteration by line; backed by our [`Input`](crate::Input) (EOF at `CONTENT_LENGTH`, chunked bodies decoded) |
//! | `wsgi.errors` | `wsgiref_rs.Errors`: a text stream with `write`, `writelines`, `flush`, backed by our [`Errors`] (each line goes to the log) |
//! | `wsgi.file_wrapper` | `wsgiref_rs._support.FileWrapper(filelike, blksize=8192)`: iterates `filelike.read(blksize)`, like `wsgiref.util.FileWrapper` |
//! | `start_response(status, headers, exc_info=None)` | `str` status and header names and values, a `list` of 2-tuples; `exc_info` re-raised when the headers were sent; returns the `write(data)` callable (`bytes` only) |
//! | the returned iterable | iterated one chunk at a time, `bytes` only (a `str` chunk is an error that says so); its `close()` is called on every path; a body with `len() == 1` gets a computed `Content-Length`, as in CPython |
//! | an exception | our 500 path; the log line has the Python traceback |
//!
//! # One context per request
//!
//! Each request runs in a fresh, empty [`contextvars.Context`]: the call of
//! the application, every `next()` of its body and its `close()` all run in
//! that one context (through `Context.run`), whatever the body's type. So a
//! `ContextVar` set in the application is seen by the body and by
//! `close()`, as under CPython's wsgiref: Flask's `stream_with_context`
//! keeps its request context while streaming, and Django's
//! `request_finished` receiver sees (and closes) the very database
//! connection the view used.
//!
//! What carries over from one request to the next on the same worker
//! thread:
//!
//! | state | carried over? | why |
//! |---|---|---|
//! | `ContextVar` values (Flask's and Django's request state, asgiref's `Local`) | no: each request starts with every variable unset | as under Django's runserver and Werkzeug's dev server, which give each connection a new thread (and we serve one request per connection); a connection or request object cannot leak into the next request |
//! | `threading.local` values | yes, for the worker's life | one Python thread state per worker (below), as under gunicorn's threads, waitress or mod_wsgi |
//! | module globals | yes | one interpreter for the whole server |
//!
//! CPython's wsgiref, which serves every request on one thread in one
//! context, carries `ContextVar` values over too; the first request sees
//! the same as ours (`tests/python.rs` compares them).
//!
//! [`contextvars.Context`]: https://docs.python.org/3/library/contextvars.html#contextvars.Context
//!
//! # Threads and the GIL
//!
//! - **One Python thread state per worker**, for the worker's life
//!   ([`Application::run_worker`]): the worker attaches to Python once,
//!   then releases the GIL at once. Why: attaching a thread that has no
//!   thread state creates one (and a 16 KiB frame stack) and deletes it on
//!   release; doing that per request cost more than the request's Python.
//!   A retiring worker deletes its thread state. [`WsgiServer::handle_request`](crate::WsgiServer::handle_request)
//!   does the same around its one connection.
//! - **The GIL is held only while Python code runs**, and as few times as
//!   a response allows: an exact `list` or `tuple` result is copied out in
//!   the same acquisition as the call (one per request); other bodies give
//!   their first chunk there too (the server would ask for it next
//!   anyway), then one acquisition per further chunk, and `close()` runs in
//!   the acquisition that ends the iteration once the response head is on
//!   the wire (else in one of its own, after the head is sent, as
//!   wsgiref's `close()` after `finish_content()`). A list or tuple
//!   iterator (Django's `HttpResponse` returns one) is read to its end in
//!   the first acquisition: it runs no code and cannot block.
//! - **Socket I/O never holds the GIL**: `wsgi.input` reads and `write()`
//!   calls release it while they wait for the client, so requests on other
//!   threads go on.
//! - **One worker to start with** ([`DEFAULT_MIN_THREADS`]): workers taking
//!   turns at the GIL cost more than they overlap; the pool adds workers
//!   when they are stuck or wait with the CPU idle.
//! - `close` and `__len__` are looked up with `getattr(obj, name, None)`
//!   run in the request's context, which on CPython 3.11 makes no
//!   `AttributeError` for a missing name (pyo3's `hasattr` makes and
//!   clears one); `close` is looked up when the response ends, as wsgiref
//!   does.
//!
//! # Design notes
//!
//! - Files: this one has the application, its environ and its per-thread
//!   hook; `src/python/load.rs` turns a spec into an application;
//!   `src/python/response.rs` turns its result into a [`Body`];
//!   `src/python/objects.rs` has the objects the environ hands out.
//! - The Python objects handed to the application (`wsgi.input`,
//!   `wsgi.errors`, `start_response`, `write`) hold only a request number.
//!   The Rust state they act on ([`Input`](crate::Input), [`Errors`], [`StartResponse`],
//!   [`WriteCallable`](crate::WriteCallable), none of them `Send`) stays in a thread-local table
//!   on the worker thread that serves the request, and leaves it when the
//!   body is closed (`src/python/objects.rs`). Rejected: moving the `Input` into a
//!   `#[pyclass(unsendable)]`. Python's cycle collector frees garbage on
//!   whichever thread happens to run it, and an environ is often part of a
//!   cycle (Django's `AuthenticationMiddleware` sets
//!   `request.user = SimpleLazyObject(lambda: get_user(request))`); pyo3
//!   then prints "is unsendable, but is being dropped on another thread" and
//!   leaks the value. A request number is `Send`, so nothing is leaked, and
//!   a closure that releases the GIL may carry it (pyo3's `detach` needs
//!   `Send`), where it could not carry an `&mut Input`.
//! - After the request, or from another thread, those objects act like
//!   closed files: `ValueError`.
//! - `wsgi.file_wrapper` is a small Python class, so the cycle collector
//!   sees through it, and an application can subclass it as it can
//!   `wsgiref.util.FileWrapper`.
//!
//! # Which Python
//!
//! pyo3 builds against `PYO3_PYTHON`, else the active virtual environment's
//! `python`, else `python3`; `build.rs` puts that interpreter's `LIBDIR` in
//! the binary's rpath, so the same libpython is loaded at run time. The
//! packages of `VIRTUAL_ENV`, when set, are put on `sys.path` by [`load`].

use std::error::Error;
use std::ffi::CStr;
use std::fmt;
use std::sync::{Arc, Mutex};

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule, PyString};

use crate::types::{AppError, Application, Body, Environ, Errors, StartResponse};

mod load;
mod objects;
mod response;

pub use load::{LoadError, load};
use response::{Helpers, failure};

use objects::{PyErrors, PyInput, PyStartResponse, PyWrite, RequestState, register, unregister};

/// Python code that is easier to read as Python: `wsgi.file_wrapper` and
/// the `sys.path` set-up. Loaded as the module `wsgiref_rs._support`.
const SUPPORT_MODULE: &CStr = cr#"
"""Helpers of wsgiref for Rust (the `wsgiref` command's --python)."""
import os
import site
import sys


class FileWrapper:
    """wsgi.file_wrapper: iterate a file-like object in blocks (PEP 3333),
    as wsgiref.util.FileWrapper does."""

    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration


def factory_arguments(source):
    """The positional and keyword arguments of `FACTORY(source)`, each a
    Python literal, as gunicorn reads `module:create_app(...)`."""
    import ast
    call = ast.parse("f(%s)" % source, mode="eval").body
    args = tuple(ast.literal_eval(arg) for arg in call.args)
    kwargs = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}
    return args, kwargs


def django_static(application):
    """runserver's static files: a Django WSGIHandler, in DEBUG, with
    django.contrib.staticfiles installed, wrapped in StaticFilesHandler
    (which finds each file through the finders, so a file added after start
    is served). Returns (application, STATIC_URL), or (application, None)
    when it does not apply. Django is not imported for other applications."""
    handlers = sys.modules.get("django.core.handlers.wsgi")
    if handlers is None or not isinstance(application, handlers.WSGIHandler):
        return application, None
    from django.apps import apps
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    if isinstance(application, StaticFilesHandler):
        return application, None  # the project's wsgi.py already does it
    if not settings.DEBUG or not apps.is_installed("django.contrib.staticfiles"):
        return application, None
    return StaticFilesHandler(application), settings.STATIC_URL


def setup_path(pythonpath, virtual_env):
    """Put the virtual environment's site-packages (with its .pth files)
    ahead of the interpreter's own, and `pythonpath` ahead of everything.
    Returns a warning, or None."""
    warning = None
    if virtual_env:
        version = "python%d.%d" % sys.version_info[:2]
        site_packages = os.path.join(virtual_env, "lib", version, "site-packages")
        if os.path.isdir(site_packages):
            before = list(sys.path)
            site.addsitedir(site_packages)
            added = [path for path in sys.path if path not in before]
            sys.path[:] = added + before
        else:
            warning = "VIRTUAL_ENV=%s has no %s (is it a virtual environment of Python %d.%d?)" % (
                virtual_env, os.path.join("lib", version, "site-packages"), *sys.version_info[:2])
    if pythonpath in sys.path:
        sys.path.remove(pythonpath)
    sys.path.insert(0, pythonpath)
    return warning
"#;

/// A Python WSGI callable, run as an [`Application`].
///
/// Made by [`load`]. Cloning is not needed: share it with `Arc` or hand it
/// to the server, which shares it between its worker threads.
///
/// # Errors
///
/// A Python exception in the application, in its body's iteration or in its
/// `close()` becomes a [`PythonError`] carrying the traceback; the server
/// answers 500 (or cuts the response, when the headers were sent) and logs
/// it.
///
/// Spec: PEP 3333 "The Server/Gateway Side", with the application in Python.
pub struct PythonApplication {
    spec: String,
    callable: Py<PyAny>,
    file_wrapper: Py<PyAny>,
    helpers: Arc<Helpers>,
    /// The `wsgi.*` part of every environ, and the flags it was made for.
    template: Mutex<Option<(TemplateFlags, Py<PyDict>)>>,
}

/// A Python exception raised by the application, its body or its `close()`.
///
/// Shapes: `Display` is one line naming where it was raised and the
/// exception, then the Python traceback.
#[derive(Debug)]
pub struct PythonError {
    context: &'static str,
    exception: String,
    traceback: String,
}

impl PythonError {
    pub(crate) fn new(py: Python<'_>, error: &PyErr, context: &'static str) -> PythonError {
        let exception = exception_line(py, error);
        let traceback = format_traceback(py, error).unwrap_or_default();
        PythonError {
            context,
            exception,
            traceback,
        }
    }

    /// The exception as Python's last traceback line shows it, such as
    /// `ValueError: boom`.
    pub fn exception(&self) -> &str {
        &self.exception
    }

    /// The whole traceback text (`Traceback (most recent call last): ...`).
    pub fn traceback(&self) -> &str {
        &self.traceback
    }
}

impl fmt::Display for PythonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} raised {}", self.context, self.exception)?;
        if !self.traceback.is_empty() {
            write!(f, "\n{}", self.traceback.trim_end())?;
        }
        Ok(())
    }
}

impl Error for PythonError {}

/// `ValueError: boom`: the exception's type name and its `str()`.
fn exception_line(py: Python<'_>, error: &PyErr) -> String {
    let type_name = error
        .get_type(py)
        .qualname()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "Exception".to_string());
    match error.value(py).str() {
        Ok(message) if !message.to_string().is_empty() => format!("{type_name}: {message}"),
        _ => type_name,
    }
}

fn format_traceback(py: Python<'_>, error: &PyErr) -> PyResult<String> {
    let lines = py.import("traceback")?.call_method1(
        "format_exception",
        (error.get_type(py), error.value(py), error.traceback(py)),
    )?;
    let mut text = String::new();
    for line in lines.try_iter()? {
        text.push_str(&line?.extract::<String>()?);
    }
    Ok(text)
}

/// How many worker threads the `wsgiref` command starts for a Python
/// application (its `--python` default for
/// [`ServerConfig::min_threads`](crate::ServerConfig::min_threads)): one.
///
/// Why one, where a Rust application gets 8: Python code runs one thread
/// at a time (the GIL), and when two workers take turns at it, every turn
/// moves the interpreter's objects from one core's cache to the other's
/// and wakes a sleeping thread. Measured on 2 cores, 16 clients,
/// connection per request, access log off: one worker served a Flask page
/// at 8.9k requests/s and 110 µs of CPU per request, two workers 5.6-6.9k
/// at 150-190 µs; a Django view 7.4-7.7k at 130 µs against 3.8-4.6k at
/// 230-285 µs; a bare hello about the same either way (36k against
/// 38-46k, with more spread). The pool still grows, up to `max_threads`,
/// when every worker is stuck (slow clients, a long stream) or waits with
/// the CPU idle (a view that waits on a database); see the pool's notes.
/// `--min-threads` overrides it.
///
/// # Example
///
/// ```
/// let config = wsgiref::ServerConfig {
///     min_threads: wsgiref::python::DEFAULT_MIN_THREADS,
///     ..wsgiref::ServerConfig::default()
/// };
/// assert_eq!(config.min_threads, 1);
/// ```
pub const DEFAULT_MIN_THREADS: usize = 1;

/// The name of the support module (`SUPPORT_MODULE`) in `sys.modules`.
/// Why not `wsgiref_rs`: with the Python package installed, that is the
/// package users import (`from wsgiref_rs import make_server`).
const SUPPORT_MODULE_NAME: &CStr = c"wsgiref_rs._support";

/// The support module, made once per process.
fn support_module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    if let Ok(module) = py
        .import("sys")?
        .getattr("modules")?
        .get_item(SUPPORT_MODULE_NAME.to_str().unwrap_or_default())
    {
        return Ok(module.cast_into::<PyModule>()?);
    }
    let module = PyModule::from_code(py, SUPPORT_MODULE, c"<wsgiref_rs._support>", SUPPORT_MODULE_NAME)?;
    module.add_class::<PyInput>()?;
    module.add_class::<PyErrors>()?;
    module.add_class::<PyStartResponse>()?;
    module.add_class::<PyWrite>()?;
    Ok(module)
}

impl PythonApplication {
    /// `MODULE:CALLABLE` as given to [`load`].
    pub fn spec(&self) -> &str {
        &self.spec
    }

    /// Serve a Django project's static files as `manage.py runserver` does:
    /// when the application is Django's `WSGIHandler`, `DEBUG` is on and
    /// `django.contrib.staticfiles` is installed, wrap it in Django's
    /// `StaticFilesHandler`, which finds each file under `STATIC_URL`
    /// through the project's finders (app `static/` folders,
    /// `STATICFILES_DIRS`; no `collectstatic` needed, and a file added
    /// after start is served). The `wsgiref` command does it unless
    /// `--no-django-static`.
    ///
    /// Returns `STATIC_URL` when it applies, `None` otherwise (not Django,
    /// `DEBUG` off, staticfiles not installed, or the project's `wsgi.py`
    /// wraps it already).
    ///
    /// # Errors
    ///
    /// A [`PythonError`] when Django's settings or handler raise.
    ///
    /// # Example
    ///
    /// ```no_run
    /// let mut app = wsgiref::python::load("mysite.wsgi", std::path::Path::new("."))?;
    /// if let Some(url) = app.serve_django_static()? {
    ///     println!("static files at {url}");
    /// }
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn serve_django_static(&mut self) -> Result<Option<String>, PythonError> {
        Python::attach(|py| {
            let wrapped = support_module(py)
                .and_then(|support| support.call_method1("django_static", (self.callable.bind(py),)))
                .and_then(|pair| pair.extract::<(Bound<'_, PyAny>, Option<String>)>())
                .map_err(|error| PythonError::new(py, &error, "serving Django's static files"))?;
            let (application, static_url) = wrapped;
            if static_url.is_some() {
                self.callable = application.unbind();
            }
            Ok(static_url)
        })
    }

    /// The Python part of [`Application::call`], with the GIL held: the
    /// call in a fresh context, then as much of the response as can be
    /// taken now without changing what the application sees.
    fn call_in_python(&self, py: Python<'_>, environ: &Environ, request: u64) -> Result<Body, AppError> {
        let environ = self
            .environ_dict(py, environ, request)
            .map_err(|error| PythonError::new(py, &error, "building the environ"))?;
        let start_response = Bound::new(py, PyStartResponse { request })
            .map_err(|error| PythonError::new(py, &error, "building start_response"))?;
        let helpers = &self.helpers;
        // Why a fresh Context: see "One context per request" in the module docs.
        let context = helpers
            .context_type
            .bind(py)
            .call0()
            .map_err(|error| PythonError::new(py, &error, "making the request's context"))?;
        let result = context
            .call_method1(intern!(py, "run"), (self.callable.bind(py), environ, start_response))
            .map_err(|error| failure(request, PythonError::new(py, &error, "the application")))?;
        self.body(py, context, &result, request)
    }

    /// The environ as a Python `dict`: native `str` CGI keys, typed `wsgi.*`
    /// keys. The `wsgi.*` values that are the same for every request come
    /// from a template dict; common CGI keys are interned strings.
    fn environ_dict<'py>(&self, py: Python<'py>, environ: &Environ, request: u64) -> PyResult<Bound<'py, PyDict>> {
        let dict = self.template(py, environ)?.copy()?;
        // Why no decoding step: our native strings already hold one char
        // U+0000..U+00FF per request byte, the code points of latin-1.
        for (key, value) in environ.vars() {
            dict.set_item(environ_key(py, key), value)?;
        }
        dict.set_item(intern!(py, "wsgi.input"), Bound::new(py, PyInput { request })?)?;
        dict.set_item(intern!(py, "wsgi.errors"), Bound::new(py, PyErrors { request })?)?;
        if environ.input_terminated {
            dict.set_item(intern!(py, "wsgi.input_terminated"), true)?;
        }
        Ok(dict)
    }

    /// The template of the `wsgi.*` keys for this environ's flags, made on
    /// first use and again only if the flags change.
    fn template<'py>(&self, py: Python<'py>, environ: &Environ) -> PyResult<Bound<'py, PyDict>> {
        // Why the lock is never held across a call into Python: Python may
        // release the GIL there (pyo3's `intern!` does on first use), and a
        // thread that then takes the GIL and waits for this lock would wait
        // forever.
        {
            let template = self.template.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((made_for, dict)) = template.as_ref() {
                if made_for.fit(environ) {
                    return Ok(dict.bind(py).clone());
                }
            }
        }
        let flags = TemplateFlags::of(environ);
        let dict = PyDict::new(py);
        dict.set_item(intern!(py, "wsgi.version"), flags.version)?;
        dict.set_item(intern!(py, "wsgi.url_scheme"), flags.url_scheme.as_str())?;
        dict.set_item(intern!(py, "wsgi.multithread"), flags.multithread)?;
        dict.set_item(intern!(py, "wsgi.multiprocess"), flags.multiprocess)?;
        dict.set_item(intern!(py, "wsgi.run_once"), flags.run_once)?;
        if flags.file_wrapper {
            dict.set_item(intern!(py, "wsgi.file_wrapper"), self.file_wrapper.bind(py))?;
        }
        let made = Some((flags, dict.clone().unbind()));
        let old = std::mem::replace(&mut *self.template.lock().unwrap_or_else(|e| e.into_inner()), made);
        drop(old);
        Ok(dict)
    }
}

/// The environ values a template dict was made for.
struct TemplateFlags {
    version: (u32, u32),
    url_scheme: String,
    multithread: bool,
    multiprocess: bool,
    run_once: bool,
    file_wrapper: bool,
}

impl TemplateFlags {
    fn of(environ: &Environ) -> TemplateFlags {
        TemplateFlags {
            version: environ.version,
            url_scheme: environ.url_scheme.clone(),
            multithread: environ.multithread,
            multiprocess: environ.multiprocess,
            run_once: environ.run_once,
            file_wrapper: environ.file_wrapper.is_some(),
        }
    }

    /// Whether `environ` has these values (compared in place: no copy per request).
    fn fit(&self, environ: &Environ) -> bool {
        self.version == environ.version
            && self.url_scheme == environ.url_scheme
            && self.multithread == environ.multithread
            && self.multiprocess == environ.multiprocess
            && self.run_once == environ.run_once
            && self.file_wrapper == environ.file_wrapper.is_some()
    }
}

/// The key as a Python `str`: interned for the keys most requests have
/// (their hash is computed once), a new string for the others.
fn environ_key<'py>(py: Python<'py>, key: &str) -> Bound<'py, PyString> {
    macro_rules! interned {
        ($($name:literal),* $(,)?) => {
            match key {
                $($name => intern!(py, $name).clone(),)*
                _ => PyString::new(py, key),
            }
        };
    }
    interned!(
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "PATH_INFO",
        "QUERY_STRING",
        "CONTENT_TYPE",
        "CONTENT_LENGTH",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "SERVER_SOFTWARE",
        "GATEWAY_INTERFACE",
        "REMOTE_ADDR",
        "REMOTE_HOST",
        "HTTP_HOST",
        "HTTP_USER_AGENT",
        "HTTP_ACCEPT",
        "HTTP_ACCEPT_ENCODING",
        "HTTP_ACCEPT_LANGUAGE",
        "HTTP_CONNECTION",
        "HTTP_COOKIE",
        "HTTP_REFERER",
        "HTTP_CACHE_CONTROL",
        "HTTP_UPGRADE_INSECURE_REQUESTS",
    )
}

impl Application for PythonApplication {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        let request = register(RequestState {
            input: Some(environ.take_input()),
            errors: std::mem::replace(&mut environ.errors, Errors::to_log()),
            start_response,
            write: None,
            write_error: None,
        });
        let called = Python::attach(|py| self.call_in_python(py, environ, request));
        if called.is_err() {
            // The error path has no body to close: the request ends here.
            drop(unregister(request));
        }
        called
    }

    /// Attach this thread to Python once, for the worker's whole life, and
    /// release the GIL at once: see "Threads and the GIL" in the module docs.
    fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
        Python::attach(|py| py.detach(serve));
    }
}

impl fmt::Debug for PythonApplication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PythonApplication").field("spec", &self.spec).finish()
    }
}
