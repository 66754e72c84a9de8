//! The Python package `wsgiref_rs` (the `python-package` feature): the
//! extension module `wsgiref_rs._native` that maturin builds from this
//! crate for `pip install .` (see `pyproject.toml`). The Python half of the
//! package, `python/wsgiref_rs/`, wraps it in CPython's API
//! (`make_server`, `WSGIServer`, `wsgiref_rs.testing`).
//!
//! # Two ways to run Python, kept apart by features
//!
//! | feature | who starts Python | libpython | built by |
//! |---|---|---|---|
//! | `python` | our binary embeds CPython (`wsgiref --python app:app`) | linked: a shared `libpython` is needed | `cargo build --features python` |
//! | `python-package` (implies `python` and `cli`) | the user's `python` loads our module | not linked: the module uses the symbols of the interpreter that loads it, so any CPython 3.9+ works, with or without a shared `libpython` | maturin, which sets `PYO3_BUILD_EXTENSION_MODULE` |
//!
//! Why two: an embedding binary must link `libpython` to start it, and an
//! extension module must not (it would load a second interpreter, or fail
//! where Python is built statically, as pyenv's is by default). Both serve
//! through the same [`PythonApplication`]: one context per request, the GIL
//! released during socket I/O.
//!
//! # What the module holds
//!
//! - `main(args, restart)`: the `wsgiref` command ([`crate::cli::main`]),
//!   for `python -m wsgiref_rs` and the `wsgiref-rs` script.
//! - `Server(host, port, **limits)`: a bound [`WsgiServer`] whose
//!   application is set later (`set_app`), as CPython's `WSGIServer`.
//! - `run(app, method, target, headers, body, validate)`: one request
//!   through [`testing::run`](crate::testing::run), no socket.

use std::ffi::OsString;
use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use pyo3::exceptions::{PyAssertionError, PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::cli::{self, Invocation};
use crate::python::PythonApplication;
use crate::testing::{self, TestRequest};
use crate::{AppError, Application, Body, Environ, ServerConfig, ShutdownHandle, StartResponse, WsgiServer};

/// The extension module `wsgiref_rs._native`.
#[pymodule]
#[pyo3(name = "_native")]
fn native_module(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(main, module)?)?;
    module.add_function(wrap_pyfunction!(run, module)?)?;
    module.add_class::<Server>()?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    module.add("SERVER_SOFTWARE", crate::simple_server::SERVER_SOFTWARE)?;
    module.add("CONFIG_NAMES", CONFIG_NAMES.to_vec())?;
    Ok(())
}

/// Run the `wsgiref` command with `args` (without the program name) and
/// return its exit status (0, 1 or 2). `restart` is the command line that
/// runs it again (the `--reload` child): `[sys.executable, "-m",
/// "wsgiref_rs", *args]`. The GIL is released while it serves; the
/// command's own Ctrl-C handler replaces Python's for the process.
#[pyfunction]
fn main(py: Python<'_>, args: Vec<OsString>, restart: Vec<OsString>) -> u8 {
    let code = py.detach(|| cli::main(Invocation { args, restart }));
    exit_status(code)
}

/// The number in an `ExitCode` (which std does not expose): the command
/// only ever returns 0, 1 or 2.
fn exit_status(code: ExitCode) -> u8 {
    (0..=2).find(|status| ExitCode::from(*status) == code).unwrap_or(1)
}

/// The application a `Server` serves, set (and replaced) by `set_app`
/// after the socket is bound, as CPython's `WSGIServer.set_app`.
#[derive(Clone, Default)]
struct AppSlot(Arc<RwLock<Option<Arc<PythonApplication>>>>);

impl AppSlot {
    fn get(&self) -> Option<Arc<PythonApplication>> {
        self.0.read().unwrap_or_else(|error| error.into_inner()).clone()
    }

    fn set(&self, application: PythonApplication) {
        *self.0.write().unwrap_or_else(|error| error.into_inner()) = Some(Arc::new(application));
    }
}

impl Application for AppSlot {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        match self.get() {
            Some(application) => application.call(environ, start_response),
            None => Err("no application is set: call server.set_app(app) first".into()),
        }
    }

    /// One Python thread state per worker: see `PythonApplication::run_worker`.
    fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
        Python::attach(|py| py.detach(serve));
    }
}

/// A name for a Python application in log lines: `module.qualname`.
fn application_name(application: &Bound<'_, PyAny>) -> String {
    let attribute = |name: &str| -> Option<String> { application.getattr(name).ok()?.extract().ok() };
    match (attribute("__module__"), attribute("__qualname__")) {
        (Some(module), Some(name)) => format!("{module}:{name}"),
        _ => application
            .get_type()
            .name()
            .map(|name| name.to_string())
            .unwrap_or_default(),
    }
}

/// Longest time between two checks for signals (Ctrl-C) while serving.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(100);

/// `wsgiref_rs._native.Server`: a bound, listening [`WsgiServer`] for the
/// Python `WSGIServer` class. The GIL is released while it waits or
/// serves; the application runs on the server's worker threads, under the
/// GIL while Python code runs.
#[pyclass(frozen, module = "wsgiref_rs._native", name = "Server")]
struct Server {
    /// `None` once `server_close()` was called.
    server: RwLock<Option<Arc<WsgiServer>>>,
    stopper: ShutdownHandle,
    application: AppSlot,
    address: SocketAddr,
}

/// `ServerConfig`'s fields, the keyword arguments of `Server` (and of
/// `make_server`), in the order of its docs.
const CONFIG_NAMES: &[&str] = &[
    "min_threads",
    "max_threads",
    "max_request_line_bytes",
    "max_head_bytes",
    "max_header_count",
    "max_body_bytes",
    "head_timeout",
    "read_timeout",
    "write_timeout",
    "drain_timeout",
    "max_drain_bytes",
    "trace",
    "max_waiting_connections",
    "debug_error_page",
    "shutdown_grace",
];

#[pymethods]
impl Server {
    /// Bind and listen on `(host, port)` (port 0: a free one); `config` are
    /// `ServerConfig`'s fields by name, durations in seconds.
    #[new]
    #[pyo3(signature = (host, port, **config))]
    fn new(py: Python<'_>, host: &str, port: u16, config: Option<&Bound<'_, PyDict>>) -> PyResult<Server> {
        let config = server_config(config)?;
        cli::install_logger();
        let application = AppSlot::default();
        let slot = application.clone();
        let server = py
            .detach(|| WsgiServer::with_config(host, port, slot, config))
            .map_err(|error| PyOSError::new_err(format!("cannot listen on {host}:{port}: {error}")))?;
        Ok(Server {
            stopper: server.shutdown_handle(),
            address: server.server_address(),
            server: RwLock::new(Some(Arc::new(server))),
            application,
        })
    }

    /// The application every request from now on goes to.
    fn set_app(&self, application: &Bound<'_, PyAny>) -> PyResult<()> {
        if !application.is_callable() {
            let type_name = application.get_type().name()?;
            return Err(PyTypeError::new_err(format!(
                "a WSGI application must be callable, not {type_name}"
            )));
        }
        let name = application_name(application);
        self.application
            .set(PythonApplication::from_callable(&name, application.clone())?);
        Ok(())
    }

    /// The bound address: `(host, port)`, the host as a string.
    #[getter]
    fn server_address(&self) -> (String, u16) {
        (self.address.ip().to_string(), self.address.port())
    }

    /// The listening socket's file descriptor (for `select`).
    fn fileno(&self) -> PyResult<i32> {
        Ok(self.server()?.socket().as_raw_fd())
    }

    /// Serve until `shutdown()` or, on the main thread, a signal whose
    /// Python handler raises (Ctrl-C: `KeyboardInterrupt`), checked every
    /// `poll_interval` seconds (at most 0.1 s apart). The server runs on
    /// its own thread; this one waits without the GIL.
    #[pyo3(signature = (poll_interval = 0.5))]
    fn serve_forever(&self, py: Python<'_>, poll_interval: f64) -> PyResult<()> {
        let server = self.server()?;
        let (done, mut finished) = mpsc::channel();
        std::thread::Builder::new()
            .name("wsgiref-serve-forever".to_string())
            .spawn(move || {
                let _ = done.send(server.serve_forever());
            })
            .map_err(|error| PyOSError::new_err(format!("cannot start the server thread: {error}")))?;
        let interval = Duration::from_secs_f64(poll_interval.clamp(0.001, SIGNAL_CHECK_INTERVAL.as_secs_f64()));
        loop {
            // The receiver goes into the GIL-free closure and comes back:
            // pyo3 lets only `Send` values cross, and `&Receiver` is not.
            let (received, receiver) = py.detach(move || (finished.recv_timeout(interval), finished));
            finished = receiver;
            match received {
                Ok(result) => return result.map_err(PyErr::from),
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(PyRuntimeError::new_err("the server thread ended without a result"));
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            if let Err(raised) = py.check_signals() {
                return Err(self.stop_after_signal(py, finished, raised));
            }
        }
    }

    /// Accept one connection and handle its request on this thread (the
    /// Python class waits for it first, with its `timeout`).
    fn handle_request(&self, py: Python<'_>) -> PyResult<()> {
        let server = self.server()?;
        py.detach(|| server.handle_request()).map_err(PyErr::from)
    }

    /// Stop `serve_forever` and wait until it has returned.
    fn shutdown(&self, py: Python<'_>) {
        py.detach(|| self.stopper.shutdown());
    }

    /// Close the listening socket (once nothing serves from it any more).
    fn server_close(&self) {
        self.server.write().unwrap_or_else(|error| error.into_inner()).take();
    }
}

impl Server {
    /// After a signal's exception (`raised`, Ctrl-C's `KeyboardInterrupt`)
    /// in `serve_forever`: stop accepting, let requests in flight finish
    /// (up to `shutdown_grace`), and return the exception, as CPython's
    /// `serve_forever` lets it out. A second exception meanwhile (Ctrl-C
    /// again) is returned at once, the requests in flight left to finish
    /// on the server's threads, as the command's second Ctrl-C quits.
    fn stop_after_signal(&self, py: Python<'_>, mut finished: mpsc::Receiver<io::Result<()>>, raised: PyErr) -> PyErr {
        let stopper = self.stopper.clone();
        // shutdown() waits for the server to stop: on a thread of its own,
        // so that this one can keep checking for signals.
        std::thread::spawn(move || stopper.shutdown());
        loop {
            let (received, receiver) = py.detach(move || (finished.recv_timeout(SIGNAL_CHECK_INTERVAL), finished));
            finished = receiver;
            if !matches!(received, Err(RecvTimeoutError::Timeout)) {
                return raised;
            }
            if let Err(again) = py.check_signals() {
                return again;
            }
        }
    }

    fn server(&self) -> PyResult<Arc<WsgiServer>> {
        let server = self.server.read().unwrap_or_else(|error| error.into_inner());
        server
            .clone()
            .ok_or_else(|| PyOSError::new_err("the server is closed (server_close() was called)"))
    }
}

/// `ServerConfig` from keyword arguments named as its fields; the rest as
/// `ServerConfig::default()`, but `min_threads` as for `--python`
/// ([`crate::python::DEFAULT_MIN_THREADS`]).
// Long: one flat match arm per field, in the order of CONFIG_NAMES.
fn server_config(given: Option<&Bound<'_, PyDict>>) -> PyResult<ServerConfig> {
    let mut config = ServerConfig {
        min_threads: crate::python::DEFAULT_MIN_THREADS,
        ..ServerConfig::default()
    };
    let Some(given) = given else {
        return Ok(config);
    };
    for (name, value) in given.iter() {
        let name: String = name.extract()?;
        match name.as_str() {
            "min_threads" => config.min_threads = value.extract()?,
            "max_threads" => config.max_threads = value.extract()?,
            "max_request_line_bytes" => config.max_request_line_bytes = value.extract()?,
            "max_head_bytes" => config.max_head_bytes = value.extract()?,
            "max_header_count" => config.max_header_count = value.extract()?,
            "max_body_bytes" => config.max_body_bytes = value.extract()?,
            "head_timeout" => config.head_timeout = seconds(&name, &value)?,
            "read_timeout" => config.read_timeout = seconds(&name, &value)?,
            "write_timeout" => config.write_timeout = seconds(&name, &value)?,
            "drain_timeout" => config.drain_timeout = seconds(&name, &value)?,
            "max_drain_bytes" => config.max_drain_bytes = value.extract()?,
            "trace" => config.trace = value.extract()?,
            "max_waiting_connections" => config.max_waiting_connections = value.extract()?,
            "debug_error_page" => config.debug_error_page = value.extract()?,
            "shutdown_grace" => config.shutdown_grace = seconds(&name, &value)?,
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument {name:?}; the server's limits are {}",
                    CONFIG_NAMES.join(", ")
                )));
            }
        }
    }
    Ok(config)
}

/// A duration given in seconds (an `int` or a `float`, not negative).
fn seconds(name: &str, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let seconds: f64 = value.extract()?;
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| PyValueError::new_err(format!("{name} must be a number of seconds >= 0, not {seconds}")))
}

/// What `run` returns to Python: `(status, reason, headers, body, errors)`.
type RunResult<'py> = (u16, String, Vec<(String, String)>, Bound<'py, PyBytes>, String);

/// One request through the harness ([`testing::run`], or
/// [`testing::run_validated`] when `validate`), without a socket: returns
/// `(status, reason, headers, body, errors)`, `errors` being what the
/// application wrote to `wsgi.errors`. A validator finding raises
/// `AssertionError`, as `wsgiref.validate` does.
#[pyfunction]
#[pyo3(signature = (application, method, target, headers = Vec::new(), body = Vec::new(), validate = true))]
fn run<'py>(
    py: Python<'py>,
    application: &Bound<'py, PyAny>,
    method: &str,
    target: &str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    validate: bool,
) -> PyResult<RunResult<'py>> {
    let application = PythonApplication::from_callable(&application_name(application), application.clone())?;
    let mut request = TestRequest::new(method, target);
    for (name, value) in &headers {
        request = request.header(name, value);
    }
    if !body.is_empty() || !matches!(method, "GET" | "HEAD") {
        request = request.body(body);
    }
    let response = if validate {
        testing::run_validated(&application, request)
            .map_err(|violation| PyAssertionError::new_err(violation.to_string()))?
    } else {
        testing::run(&application, request)
    };
    let body = PyBytes::new(py, &response.body);
    Ok((
        response.status,
        response.reason,
        response.headers,
        body,
        response.errors,
    ))
}
