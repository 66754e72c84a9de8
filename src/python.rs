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
//! # PEP 3333 on the Python side
//!
//! | PEP 3333 | what the Python application gets |
//! |---|---|
//! | `environ` | a real `dict`; CGI and `HTTP_*` keys are native `str` (each request byte one code point, latin-1, as CPython's wsgiref gives them) |
//! | `wsgi.version`, flags, `wsgi.url_scheme` | `(1, 0)`, `bool`s, `str` |
//! | `wsgi.input` | `wsgiref_rs.Input`: `read(size=-1)`, `readline(size=-1)`, `readlines(hint=-1)`, iteration by line; backed by our [`Input`](crate::Input) (EOF at `CONTENT_LENGTH`, chunked bodies decoded) |
//! | `wsgi.errors` | `wsgiref_rs.Errors`: a text stream with `write`, `writelines`, `flush`, backed by our [`Errors`] (each line goes to the log) |
//! | `wsgi.file_wrapper` | `wsgiref_rs.FileWrapper(filelike, blksize=8192)`: iterates `filelike.read(blksize)`, like `wsgiref.util.FileWrapper` |
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

use std::cell::RefCell;
use std::error::Error;
use std::ffi::CStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyModule, PyString, PyTuple};

use crate::types::{AppError, Application, Body, Environ, Errors, StartResponse};

mod objects;

use objects::{PyErrors, PyInput, PyStartResponse, PyWrite, RequestState, register, unregister, with_request};

/// Python code that is easier to read as Python: `wsgi.file_wrapper` and
/// the `sys.path` set-up. Loaded as the module `wsgiref_rs`.
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

/// Why [`load`] could not give a [`PythonApplication`].
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The spec is not `MODULE`, `MODULE:CALLABLE` or `MODULE:FACTORY(ARGS)`.
    BadSpec(String),
    /// Importing the module raised an exception.
    Import {
        /// The module name.
        module: String,
        /// The exception, and its traceback when it came from the module's own code.
        error: String,
        /// What to do about a `ModuleNotFoundError`: the folder to give
        /// with `--pythonpath`, or the virtual environment to activate.
        hint: Option<String>,
    },
    /// The module has no such attribute.
    MissingAttribute {
        /// The module name.
        module: String,
        /// The attribute path after the `:`.
        attribute: String,
    },
    /// A bare `MODULE` whose module has neither `application` nor `app`.
    NoDefaultCallable {
        /// The module name.
        module: String,
    },
    /// `MODULE:FACTORY(ARGS)`: the arguments are not Python literals, or
    /// the factory raised an exception.
    Factory {
        /// The spec as given.
        spec: String,
        /// What went wrong, with the traceback of an exception.
        error: String,
    },
    /// The attribute (or what the factory returned) cannot be called.
    NotCallable {
        /// The spec as given.
        spec: String,
        /// The Python type of the attribute.
        type_name: String,
    },
    /// Setting up `sys.path` failed.
    Setup(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::BadSpec(spec) => write!(
                f,
                "{spec:?} is not MODULE, MODULE:CALLABLE or MODULE:FACTORY(ARGS) (for example myapp:app)"
            ),
            LoadError::Import { module, error, hint } => {
                write!(f, "cannot import module {module:?}: {error}")?;
                match hint {
                    Some(hint) => write!(f, "\nhint: {hint}"),
                    None => Ok(()),
                }
            }
            LoadError::MissingAttribute { module, attribute } => {
                write!(f, "module {module:?} has no attribute {attribute:?}")
            }
            LoadError::NoDefaultCallable { module } => write!(
                f,
                "module {module:?} has neither \"application\" nor \"app\": name the callable, as {module}:NAME"
            ),
            LoadError::Factory { spec, error } => write!(f, "{spec:?}: {error}"),
            LoadError::NotCallable { spec, type_name } => {
                write!(f, "{spec:?} is not callable (it is a {type_name})")
            }
            LoadError::Setup(error) => write!(f, "cannot set up the Python path: {error}"),
        }
    }
}

impl Error for LoadError {}

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
    fn new(py: Python<'_>, error: &PyErr, context: &'static str) -> PythonError {
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

/// Load `MODULE:CALLABLE` (the gunicorn and waitress convention) and wrap
/// it as an [`Application`].
///
/// Starts the embedded interpreter if needed (without Python's signal
/// handlers, so Ctrl-C stops the server as usual), puts `pythonpath` first
/// on `sys.path` and, when `VIRTUAL_ENV` is set, that environment's
/// `site-packages` before the interpreter's own. The spec, as gunicorn
/// takes it:
///
/// - `MODULE:CALLABLE`, where `CALLABLE` may be a dotted path
///   (`myproject.wsgi:application`, `app:server.wsgi`);
/// - `MODULE` alone: `MODULE:application`, else `MODULE:app`;
/// - `MODULE:FACTORY(ARGS)`: the factory is called once, with `ARGS` read
///   as Python literals (`create_app()`, `create_app("dev", debug=True)`),
///   and what it returns is the application.
///
/// # Errors
///
/// A [`LoadError`] when the spec has none of these forms, the module
/// cannot be imported (the Python error says why; a `ModuleNotFoundError`
/// comes with a hint: the `--pythonpath` folder, or the virtual
/// environment to activate), the attribute is missing, the factory's
/// arguments are not literals or it raised, or the result is not callable.
///
/// # Example
///
/// ```no_run
/// let app = wsgiref::python::load("myproject.wsgi:application", std::path::Path::new("."))?;
/// let flask_app = wsgiref::python::load("myapp:create_app()", std::path::Path::new("."))?;
/// # Ok::<(), wsgiref::python::LoadError>(())
/// ```
pub fn load(spec: &str, pythonpath: &Path) -> Result<PythonApplication, LoadError> {
    let Some(parsed) = Spec::parse(spec) else {
        return Err(LoadError::BadSpec(spec.to_string()));
    };
    let module_name = parsed.module;
    let pythonpath = std::path::absolute(pythonpath).unwrap_or_else(|_| PathBuf::from(pythonpath));
    let virtual_env = std::env::var_os("VIRTUAL_ENV").map(PathBuf::from);
    Python::initialize();
    Python::attach(|py| {
        let support = support_module(py).map_err(|error| LoadError::Setup(exception_line(py, &error)))?;
        let warning = support
            .call_method1("setup_path", (pythonpath.as_os_str(), virtual_env.as_deref()))
            .and_then(|warning| warning.extract::<Option<String>>())
            .map_err(|error| LoadError::Setup(exception_line(py, &error)))?;
        if let Some(warning) = warning {
            log::warn!("{warning}");
        }
        let module = py.import(module_name).map_err(|error| LoadError::Import {
            module: module_name.to_string(),
            error: import_error(py, &error),
            hint: import_hint(py, &error, module_name, &pythonpath, virtual_env.as_deref()),
        })?;
        let callable = match parsed.attribute {
            Some(attribute) => {
                let mut callable = module.into_any();
                for name in attribute.split('.') {
                    callable = callable.getattr(name).map_err(|_| LoadError::MissingAttribute {
                        module: module_name.to_string(),
                        attribute: attribute.to_string(),
                    })?;
                }
                callable
            }
            // gunicorn's default name, then Flask's.
            None => ["application", "app"]
                .into_iter()
                .find_map(|name| module.getattr(name).ok())
                .ok_or_else(|| LoadError::NoDefaultCallable {
                    module: module_name.to_string(),
                })?,
        };
        let callable = match parsed.arguments {
            Some(arguments) => {
                call_factory(py, &support, &callable, arguments).map_err(|error| LoadError::Factory {
                    spec: spec.to_string(),
                    error,
                })?
            }
            None => callable,
        };
        if !callable.is_callable() {
            let type_name = callable
                .get_type()
                .qualname()
                .map(|name| name.to_string())
                .unwrap_or_default();
            return Err(LoadError::NotCallable {
                spec: spec.to_string(),
                type_name,
            });
        }
        let setup = |error: PyErr| LoadError::Setup(exception_line(py, &error));
        Ok(PythonApplication {
            spec: spec.to_string(),
            callable: callable.unbind(),
            file_wrapper: support.getattr("FileWrapper").map_err(setup)?.unbind(),
            helpers: Arc::new(Helpers::new(py).map_err(setup)?),
            template: Mutex::new(None),
        })
    })
}

/// A spec split into its parts: `MODULE[:NAME.PATH[(ARGS)]]`.
#[derive(Debug, PartialEq)]
struct Spec<'a> {
    module: &'a str,
    attribute: Option<&'a str>,
    /// The text between the parentheses of a factory call.
    arguments: Option<&'a str>,
}

impl Spec<'_> {
    fn parse(spec: &str) -> Option<Spec<'_>> {
        let (module, rest) = match spec.split_once(':') {
            Some((module, rest)) => (module, Some(rest)),
            None => (spec, None),
        };
        if !is_dotted_name(module) {
            return None;
        }
        let Some(rest) = rest else {
            return Some(Spec {
                module,
                attribute: None,
                arguments: None,
            });
        };
        let (attribute, arguments) = match rest.split_once('(') {
            Some((name, arguments)) => (name.trim_end(), Some(arguments.strip_suffix(')')?)),
            None => (rest, None),
        };
        is_dotted_name(attribute).then_some(Spec {
            module,
            attribute: Some(attribute),
            arguments,
        })
    }
}

/// `a.b.c` with each part a Python identifier.
fn is_dotted_name(name: &str) -> bool {
    name.split('.').all(|part| {
        let mut chars = part.chars();
        chars.next().is_some_and(|first| first.is_alphabetic() || first == '_')
            && chars.all(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Call the factory with its literal arguments (the support module's
/// `call_factory`); the error text says what went wrong.
fn call_factory<'py>(
    py: Python<'py>,
    support: &Bound<'py, PyModule>,
    factory: &Bound<'py, PyAny>,
    arguments: &str,
) -> Result<Bound<'py, PyAny>, String> {
    let parsed = support.call_method1("factory_arguments", (arguments,)).map_err(|error| {
        format!(
            "the factory's arguments must be Python literals (strings, numbers, True, False, None, lists, dicts): {}",
            exception_line(py, &error)
        )
    })?;
    let (args, kwargs): (Bound<'py, PyTuple>, Bound<'py, PyDict>) =
        parsed.extract().map_err(|error| exception_line(py, &error))?;
    factory.call(args, Some(&kwargs)).map_err(|error| {
        let traceback = format_traceback(py, &error).unwrap_or_default();
        format!(
            "the factory raised {}\n{}",
            exception_line(py, &error),
            traceback.trim_end()
        )
    })
}

/// What to do about a `ModuleNotFoundError`: the application's own module
/// not found means the wrong `--pythonpath`; a package it imports means the
/// virtual environment that has it is not in use.
fn import_hint(
    py: Python<'_>,
    error: &PyErr,
    module: &str,
    pythonpath: &Path,
    virtual_env: Option<&Path>,
) -> Option<String> {
    if !error.is_instance_of::<pyo3::exceptions::PyModuleNotFoundError>(py) {
        return None;
    }
    let missing: String = error.value(py).getattr("name").ok()?.extract().ok()?;
    let folder = pythonpath.display();
    if module == missing || module.starts_with(&format!("{missing}.")) {
        return Some(format!(
            "{missing:?} is not under {folder}: give the folder that holds it with --pythonpath DIR (for Django, the folder of manage.py)"
        ));
    }
    if let Some(venv) = virtual_env {
        return Some(format!(
            "{missing:?} is not installed in the virtual environment {} (VIRTUAL_ENV): install the package that provides it there",
            venv.display()
        ));
    }
    let here = std::env::current_dir().unwrap_or_default();
    let found = [pythonpath, here.as_path()]
        .into_iter()
        .flat_map(|dir| [".venv", "venv", "env"].map(|name| dir.join(name)))
        .find(|candidate| candidate.join("pyvenv.cfg").is_file());
    Some(match found {
        Some(venv) => format!(
            "VIRTUAL_ENV is not set, and {} looks like this project's virtual environment: activate it (source {}/bin/activate) or set VIRTUAL_ENV={}",
            venv.display(),
            venv.display(),
            venv.display()
        ),
        None => format!(
            "VIRTUAL_ENV is not set: activate the virtual environment that has {missing:?} (source .venv/bin/activate), or install it for this Python"
        ),
    })
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

/// The `wsgiref_rs` module, made once per process.
fn support_module(py: Python<'_>) -> PyResult<Bound<'_, PyModule>> {
    if let Ok(module) = py.import("wsgiref_rs") {
        return Ok(module);
    }
    let module = PyModule::from_code(py, SUPPORT_MODULE, c"<wsgiref_rs>", c"wsgiref_rs")?;
    module.add_class::<PyInput>()?;
    module.add_class::<PyErrors>()?;
    module.add_class::<PyStartResponse>()?;
    module.add_class::<PyWrite>()?;
    Ok(module)
}

/// The exception line; with the traceback when the failure is in the
/// module's own code rather than "no module named ...".
fn import_error(py: Python<'_>, error: &PyErr) -> String {
    let line = exception_line(py, error);
    if error.is_instance_of::<pyo3::exceptions::PyModuleNotFoundError>(py) {
        return line;
    }
    match format_traceback(py, error) {
        Ok(traceback) => format!("{line}\n{}", traceback.trim_end()),
        Err(_) => line,
    }
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

    /// The body for the application's result. An exact `list` or `tuple`
    /// (no `close()`, no code runs while it is read) is copied out whole;
    /// otherwise the first chunk is taken now (the server would ask for it
    /// next anyway), the rest one `next()` at a time.
    fn body(
        &self,
        py: Python<'_>,
        context: Bound<'_, PyAny>,
        result: &Bound<'_, PyAny>,
        request: u64,
    ) -> Result<Body, AppError> {
        if result.is_instance_of::<PyString>() || result.is_instance_of::<PyBytes>() {
            let kind = if result.is_instance_of::<PyString>() {
                "str"
            } else {
                "bytes"
            };
            return Err(format!(
                "the application returned a {kind}, not an iterable of bytes: return [body], a list of one bytes object"
            )
            .into());
        }
        if result.is_exact_instance_of::<PyList>() || result.is_exact_instance_of::<PyTuple>() {
            return whole_sequence(py, result, request);
        }
        let mut response = PythonResponse {
            request,
            helpers: Arc::clone(&self.helpers),
            context: Some(context.clone().unbind()),
            result: Some(result.clone().unbind()),
            iterator: None,
            finished: false,
            data_handed_out: false,
        };
        let helpers = &self.helpers;
        let iterator = match context.call_method1(intern!(py, "run"), (helpers.iter.bind(py), result)) {
            Ok(iterator) => iterator,
            Err(error) => {
                let error = failure(
                    request,
                    PythonError::new(py, &error, "iter() of the application's result"),
                );
                response.close(py);
                return Err(error);
            }
        };
        // Why: wsgiref computes Content-Length when len(result) == 1
        // (BaseHandler.set_content_length); a Body made from one value does.
        let one_block = helpers.length_in(&context, result) == Some(1);
        let iterator_type = iterator.get_type();
        // A list or tuple iterator (Django's HttpResponse gives one) runs no
        // code and cannot block: read it to its end now.
        let whole =
            iterator_type.is(helpers.list_iterator.bind(py)) || iterator_type.is(helpers.tuple_iterator.bind(py));
        response.iterator = Some(iterator.unbind());
        let wanted = if whole {
            usize::MAX
        } else if one_block {
            2
        } else {
            1
        };
        let mut taken = Vec::new();
        while taken.len() < wanted {
            match response.next_chunk(py) {
                Ok(Some(chunk)) => taken.push(Ok(chunk)),
                Ok(None) => break,
                Err(error) if taken.is_empty() => {
                    // PEP 3333: close() even when iteration failed; nothing was sent yet.
                    response.close(py);
                    return Err(error);
                }
                Err(error) => {
                    // As under wsgiref: what came before is sent, then the response is cut.
                    taken.push(Err(error));
                    break;
                }
            }
        }
        response.data_handed_out = taken.iter().any(|chunk| matches!(chunk, Ok(data) if !data.is_empty()));
        let finished = response.finished;
        let response = Rc::new(RefCell::new(response));
        let closing = Rc::clone(&response);
        let body = match (one_block && finished, taken.len()) {
            (true, 1) => Body::from(taken.pop().and_then(Result::ok).unwrap_or_default()),
            _ => {
                let rest = PythonChunks {
                    response: (!finished).then_some(response),
                };
                Body::new(taken.into_iter().chain(rest))
            }
        };
        Ok(body.on_close(move || closing.borrow_mut().finish()))
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
        let flags = TemplateFlags {
            version: environ.version,
            url_scheme: environ.url_scheme.clone(),
            multithread: environ.multithread,
            multiprocess: environ.multiprocess,
            run_once: environ.run_once,
            file_wrapper: environ.file_wrapper.is_some(),
        };
        // Why the lock is never held across a call into Python: Python may
        // release the GIL there (pyo3's `intern!` does on first use), and a
        // thread that then takes the GIL and waits for this lock would wait
        // forever.
        {
            let template = self.template.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((made_for, dict)) = template.as_ref() {
                if *made_for == flags {
                    return Ok(dict.bind(py).clone());
                }
            }
        }
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
#[derive(PartialEq)]
struct TemplateFlags {
    version: (u32, u32),
    url_scheme: String,
    multithread: bool,
    multiprocess: bool,
    run_once: bool,
    file_wrapper: bool,
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

/// An exact `list` or `tuple` result, copied out in this one acquisition.
/// It has no `close()`, so the body's end needs no Python.
fn whole_sequence(py: Python<'_>, result: &Bound<'_, PyAny>, request: u64) -> Result<Body, AppError> {
    let mut chunks = Vec::new();
    for item in result.try_iter().map_err(|error| {
        failure(
            request,
            PythonError::new(py, &error, "iter() of the application's result"),
        )
    })? {
        let item = item.map_err(|error| failure(request, PythonError::new(py, &error, "the response body")))?;
        let chunk = chunk_bytes(&item);
        let failed = chunk.is_err();
        chunks.push(chunk);
        if failed {
            // The server stops at the first error; what follows is never sent.
            break;
        }
    }
    let body = match (chunks.len(), chunks.pop()) {
        // wsgiref's computed Content-Length for len(result) == 1.
        (1, Some(only)) => Body::from(only?),
        (_, last) => Body::new(chunks.into_iter().chain(last)),
    };
    Ok(body.on_close(move || drop(unregister(request))))
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

/// Python objects looked up once, when the application is loaded.
struct Helpers {
    /// `contextvars.Context`: a fresh, empty context per request.
    context_type: Py<PyAny>,
    /// The built-ins `iter`, `next` and `getattr`, called through `Context.run`
    /// or with a default (which raises no exception on a miss).
    iter: Py<PyAny>,
    next: Py<PyAny>,
    getattr: Py<PyAny>,
    /// `type(iter([]))` and `type(iter(()))`.
    list_iterator: Py<PyAny>,
    tuple_iterator: Py<PyAny>,
    /// The default `next()` returns at the end (no `StopIteration` is made).
    end: Py<PyAny>,
}

impl Helpers {
    fn new(py: Python<'_>) -> PyResult<Helpers> {
        let builtins = py.import("builtins")?;
        Ok(Helpers {
            context_type: py.import("contextvars")?.getattr("Context")?.unbind(),
            iter: builtins.getattr("iter")?.unbind(),
            next: builtins.getattr("next")?.unbind(),
            getattr: builtins.getattr("getattr")?.unbind(),
            list_iterator: PyList::empty(py).try_iter()?.get_type().into_any().unbind(),
            tuple_iterator: PyTuple::empty(py).try_iter()?.get_type().into_any().unbind(),
            end: builtins.getattr("object")?.call0()?.unbind(),
        })
    }

    /// `len(object)` run in `context`, when the object has a `__len__`;
    /// `None` when it has none or it fails (wsgiref: no computed length).
    /// Why `getattr(object, "__len__", None)` first: on CPython 3.11 it makes
    /// no exception for a missing name, where `len()` makes a `TypeError`
    /// (and pyo3's `hasattr` an `AttributeError`) that is thrown away.
    fn length_in(&self, context: &Bound<'_, PyAny>, object: &Bound<'_, PyAny>) -> Option<usize> {
        let py = context.py();
        let run = intern!(py, "run");
        let method = context
            .call_method1(run, (self.getattr.bind(py), object, intern!(py, "__len__"), py.None()))
            .ok()?;
        if method.is_none() {
            return None;
        }
        context.call_method1(run, (method,)).ok()?.extract().ok()
    }
}

/// What is left of a response after the first acquisition: its context,
/// its result and iterator until `close()`.
struct PythonResponse {
    request: u64,
    helpers: Arc<Helpers>,
    /// `None` once closed.
    context: Option<Py<PyAny>>,
    result: Option<Py<PyAny>>,
    iterator: Option<Py<PyAny>>,
    /// The iteration ended (or failed).
    finished: bool,
    /// A non-empty chunk was given to the server, which writes each chunk
    /// before asking for the next: the response head is on the wire.
    data_handed_out: bool,
}

impl PythonResponse {
    /// The next chunk, `next()` run in the request's context; `None` at the end.
    fn next_chunk(&mut self, py: Python<'_>) -> Result<Option<Vec<u8>>, AppError> {
        let (Some(context), Some(iterator), false) = (&self.context, &self.iterator, self.finished) else {
            return Ok(None);
        };
        let helpers = &self.helpers;
        let end = helpers.end.bind(py);
        let next = context
            .bind(py)
            .call_method1(intern!(py, "run"), (helpers.next.bind(py), iterator.bind(py), end));
        let chunk = match next {
            Ok(item) if item.is(end) => Ok(None),
            Ok(item) => chunk_bytes(&item).map(Some),
            Err(error) => Err(failure(self.request, PythonError::new(py, &error, "the response body"))),
        };
        self.finished = !matches!(chunk, Ok(Some(_)));
        chunk
    }

    /// PEP 3333's `close()`, at most once, in the request's context: looked
    /// up now, as wsgiref does (an iterable may set `close` while it is
    /// iterated), then called. The result and iterator are let go inside
    /// the context too, so that an unfinished generator's `finally` sees it.
    fn close(&mut self, py: Python<'_>) {
        let Some(context) = self.context.take() else {
            return;
        };
        let context = context.into_bound(py);
        let run = intern!(py, "run");
        if let Some(result) = &self.result {
            let getattr = self.helpers.getattr.bind(py);
            let closed = context
                .call_method1(run, (getattr, result.bind(py), intern!(py, "close"), py.None()))
                .and_then(|close| match close.is_none() {
                    true => Ok(()),
                    false => context.call_method1(run, (close,)).map(drop),
                });
            if let Err(error) = closed {
                log::error!("{}", PythonError::new(py, &error, "close() of the response body"));
            }
        }
        let last = [self.result.take(), self.iterator.take()].into_iter().flatten();
        let released = PyList::new(py, last)
            .and_then(|holder| context.call_method1(run, (holder.getattr(intern!(py, "clear"))?,)));
        if let Err(error) = released {
            log::error!("{}", PythonError::new(py, &error, "freeing the response body"));
        }
    }

    /// The body's close hook: `close()` if the iteration did not already
    /// call it, then the request's state goes.
    fn finish(&mut self) {
        if self.context.is_some() {
            Python::attach(|py| self.close(py));
        }
        drop(unregister(self.request));
    }
}

/// The body after its first chunks: one `next()` per chunk, each in its
/// own acquisition of the GIL. Where the iteration ends (or fails), the
/// same acquisition calls `close()` when the response head is already sent,
/// so that a streamed body costs no extra acquisition at its end.
struct PythonChunks {
    response: Option<Rc<RefCell<PythonResponse>>>,
}

impl Iterator for PythonChunks {
    type Item = Result<Vec<u8>, AppError>;

    fn next(&mut self) -> Option<Self::Item> {
        let shared = self.response.as_ref()?;
        let mut response = shared.borrow_mut();
        let next = Python::attach(|py| {
            let next = response.next_chunk(py);
            match &next {
                Ok(Some(chunk)) => response.data_handed_out |= !chunk.is_empty(),
                // Why not close after an empty body: wsgiref closes after
                // finish_content() sent the head; our close hook does too.
                Ok(None) if response.data_handed_out => response.close(py),
                Ok(None) => {}
                // PEP 3333: close() when iteration failed, before the error page.
                Err(_) => response.close(py),
            }
            next
        });
        drop(response);
        if !matches!(next, Ok(Some(_))) {
            self.response = None;
        }
        next.transpose()
    }
}

/// One item of the body as bytes; any other type is an error that says so.
fn chunk_bytes(item: &Bound<'_, PyAny>) -> Result<Vec<u8>, AppError> {
    if let Ok(bytes) = item.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    let shown = item.repr().map(|repr| short(&repr.to_string())).unwrap_or_default();
    let type_name = item.get_type().qualname().map(|n| n.to_string()).unwrap_or_default();
    if item.is_instance_of::<PyString>() {
        return Err(format!(
            "the response body yielded a str ({shown}), not bytes: WSGI bodies are bytes, so encode it (for example with .encode('utf-8'))"
        )
        .into());
    }
    Err(format!("the response body yielded a {type_name} ({shown}), not bytes").into())
}

/// The first 60 characters of `text`, for error messages.
fn short(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(60).collect();
    if chars.next().is_some() {
        format!("{head}...")
    } else {
        head
    }
}

/// The error to report: a client that went away while the application
/// called `write()` is an `io::Error` (the server logs it at debug level),
/// whatever exception the application raised after it.
fn failure(request: u64, error: PythonError) -> AppError {
    match with_request(request, |state| state.write_error.take()).flatten() {
        Some(io_error) => Box::new(io_error),
        None => Box::new(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_take_gunicorns_three_forms() {
        let spec = |module, attribute, arguments| {
            Some(Spec {
                module,
                attribute,
                arguments,
            })
        };
        assert_eq!(Spec::parse("myapp"), spec("myapp", None, None));
        assert_eq!(
            Spec::parse("my.app:server.wsgi"),
            spec("my.app", Some("server.wsgi"), None)
        );
        assert_eq!(
            Spec::parse("app:create_app()"),
            spec("app", Some("create_app"), Some(""))
        );
        assert_eq!(
            Spec::parse("app:create_app('dev', debug=True)"),
            spec("app", Some("create_app"), Some("'dev', debug=True"))
        );
        for bad in [
            "",
            "x:",
            ":app",
            "my-app:app",
            "app:create_app(",
            "a..b:app",
            "app:1x",
            "app:f()x",
        ] {
            assert_eq!(Spec::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn short_cuts_long_reprs_at_60_characters() {
        assert_eq!(short("'abc'"), "'abc'");
        let long = "x".repeat(61);
        assert_eq!(short(&long), format!("{}...", "x".repeat(60)));
    }
}
