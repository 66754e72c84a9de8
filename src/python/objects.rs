//! The Python objects one request hands to the application: `wsgi.input`,
//! `wsgi.errors`, `start_response` and the `write` callable, and the
//! per-thread table of the Rust state they act on (see the design notes of
//! [`crate::python`]).

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};

use pyo3::exceptions::{PyAssertionError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use crate::types::{Errors, ExcInfo, Input, StartResponse, StartResponseError, WriteCallable};

/// What the Python objects of one request act on.
pub(super) struct RequestState {
    /// `None` while a read is in progress.
    pub(super) input: Option<Input>,
    pub(super) errors: Errors,
    pub(super) start_response: StartResponse,
    pub(super) write: Option<WriteCallable>,
    /// The `io::Error` of a failed `write()` (usually: the client went away).
    pub(super) write_error: Option<io::Error>,
}

thread_local! {
    static REQUESTS: RefCell<HashMap<u64, RequestState>> = RefCell::new(HashMap::new());
}

static NEXT_REQUEST: AtomicU64 = AtomicU64::new(1);

pub(super) fn register(state: RequestState) -> u64 {
    let request = NEXT_REQUEST.fetch_add(1, Ordering::Relaxed);
    REQUESTS.with(|requests| requests.borrow_mut().insert(request, state));
    request
}

pub(super) fn unregister(request: u64) -> Option<RequestState> {
    REQUESTS.with(|requests| requests.borrow_mut().remove(&request))
}

/// Run `f` on the state of `request`; `None` when the request is over or
/// belongs to another thread. `f` must not call user code (no borrow is
/// held across user code).
pub(super) fn with_request<R>(request: u64, f: impl FnOnce(&mut RequestState) -> R) -> Option<R> {
    REQUESTS.with(|requests| requests.borrow_mut().get_mut(&request).map(f))
}

fn closed(what: &str) -> PyErr {
    PyValueError::new_err(format!(
        "{what} is closed: the request is over, or this is not the thread serving it"
    ))
}

/// Run `f` on the request's input with the GIL released.
fn with_input<R: Send>(
    py: Python<'_>,
    request: u64,
    f: impl FnOnce(&mut Input) -> io::Result<R> + Send,
) -> PyResult<R> {
    let result = py.detach(move || {
        let mut input = with_request(request, |state| state.input.take()).flatten()?;
        let result = f(&mut input);
        with_request(request, |state| state.input = Some(input));
        Some(result)
    });
    match result {
        Some(result) => result.map_err(PyErr::from),
        None => Err(closed("wsgi.input")),
    }
}

/// `size=-1`, `None` or a negative number: no limit.
fn limit(size: Option<i64>) -> Option<usize> {
    size.and_then(|size| usize::try_from(size).ok())
}

/// `wsgi.input`: the request body as a binary file-like object.
#[pyclass(frozen, module = "wsgiref_rs", name = "Input")]
pub(super) struct PyInput {
    pub(super) request: u64,
}

#[pymethods]
impl PyInput {
    /// read(size=-1): up to size bytes (all when -1); b'' at the end.
    #[pyo3(signature = (size = -1))]
    fn read<'py>(&self, py: Python<'py>, size: Option<i64>) -> PyResult<Bound<'py, PyBytes>> {
        let data = with_input(py, self.request, move |input| match limit(size) {
            Some(size) => input.read_bytes(size),
            None => {
                let mut data = Vec::new();
                input.read_to_end(&mut data)?;
                Ok(data)
            }
        })?;
        Ok(PyBytes::new(py, &data))
    }

    /// readline(size=-1): the next line, with its b'\n'; b'' at the end.
    #[pyo3(signature = (size = -1))]
    fn readline<'py>(&self, py: Python<'py>, size: Option<i64>) -> PyResult<Bound<'py, PyBytes>> {
        let line = with_input(py, self.request, move |input| input.readline(limit(size)))?;
        Ok(PyBytes::new(py, &line))
    }

    /// readlines(hint=-1): the remaining lines, stopping once hint bytes were read.
    #[pyo3(signature = (hint = -1))]
    fn readlines<'py>(&self, py: Python<'py>, hint: Option<i64>) -> PyResult<Bound<'py, PyList>> {
        let lines = with_input(py, self.request, move |input| input.readlines(limit(hint)))?;
        PyList::new(py, lines.iter().map(|line| PyBytes::new(py, line)))
    }

    fn __iter__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }

    fn __next__<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let line = with_input(py, self.request, |input| input.readline(None))?;
        Ok((!line.is_empty()).then(|| PyBytes::new(py, &line)))
    }
}

/// `wsgi.errors`: a text stream whose lines go to the log.
#[pyclass(frozen, module = "wsgiref_rs", name = "Errors")]
pub(super) struct PyErrors {
    pub(super) request: u64,
}

impl PyErrors {
    fn write_text(&self, text: &str) {
        let written = with_request(self.request, |state| state.errors.write_all(text.as_bytes()));
        if written.is_none() {
            // Late output (after the request): still worth a log line.
            let mut errors = Errors::to_log();
            let _ = errors.write_all(text.as_bytes());
        }
    }
}

#[pymethods]
impl PyErrors {
    /// write(s): write a str.
    fn write(&self, text: &str) -> usize {
        self.write_text(text);
        text.chars().count()
    }

    /// writelines(lines): write each str of an iterable.
    fn writelines(&self, lines: &Bound<'_, PyAny>) -> PyResult<()> {
        for line in lines.try_iter()? {
            self.write_text(&line?.extract::<String>()?);
        }
        Ok(())
    }

    /// flush(): log a partial line now.
    fn flush(&self) {
        with_request(self.request, |state| state.errors.flush());
    }
}

/// `start_response(status, headers, exc_info=None)`.
#[pyclass(frozen, module = "wsgiref_rs", name = "StartResponse")]
pub(super) struct PyStartResponse {
    pub(super) request: u64,
}

/// The value as a Rust string if its type is exactly `str`, as wsgiref's
/// `_convert_string_type` asks.
fn native_string(value: &Bound<'_, PyAny>, title: &str) -> PyResult<String> {
    if value.is_exact_instance_of::<PyString>() {
        return value.extract();
    }
    let shown = value.repr().map(|repr| repr.to_string()).unwrap_or_default();
    Err(PyAssertionError::new_err(format!(
        "{title} must be of type str (got {shown})"
    )))
}

#[pymethods]
impl PyStartResponse {
    #[pyo3(signature = (status, headers, exc_info = None))]
    fn __call__(
        &self,
        status: &Bound<'_, PyAny>,
        headers: &Bound<'_, PyAny>,
        exc_info: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyWrite> {
        let status = native_string(status, "Status")?;
        let headers = header_list(headers)?;
        // Why truthiness: wsgiref tests `if exc_info:`.
        let exc_info = match exc_info {
            Some(exc_info) if exc_info.is_truthy()? => Some(exc_info),
            _ => None,
        };
        let rust_exc_info = exc_info.map(as_rust_exc_info).transpose()?;
        let Some(start_response) = with_request(self.request, |state| state.start_response.clone()) else {
            return Err(closed("start_response"));
        };
        match (
            start_response.call_with_exc_info(status, headers, rust_exc_info),
            exc_info,
        ) {
            (Ok(write), _) => {
                with_request(self.request, |state| state.write = Some(write));
                Ok(PyWrite { request: self.request })
            }
            (Err(StartResponseError::HeadersAlreadySent(_)), Some(exc_info)) => {
                // PEP 3333: "raise exc_info[1].with_traceback(exc_info[2])".
                let value = exc_info
                    .get_item(1)?
                    .call_method1("with_traceback", (exc_info.get_item(2)?,))?;
                Err(PyErr::from_value(value))
            }
            (Err(error), _) => Err(PyAssertionError::new_err(error.to_string())),
        }
    }
}

/// The Rust side's `exc_info`: the Python exception, as its `repr`.
fn as_rust_exc_info(exc_info: &Bound<'_, PyAny>) -> PyResult<ExcInfo> {
    let shown = exc_info.get_item(1)?.repr()?.to_string();
    Ok(ExcInfo::new(format!("Python exception {shown}")))
}

/// `headers`: a `list` of `(str, str)` tuples.
fn header_list(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    let Ok(list) = headers.cast::<PyList>() else {
        return Err(PyTypeError::new_err("Headers must be a list of name/value tuples"));
    };
    let mut pairs = Vec::with_capacity(list.len());
    for item in list.iter() {
        let pair = match item.cast::<PyTuple>() {
            Ok(pair) if pair.len() == 2 => pair.clone(),
            _ => {
                let shown = item.repr().map(|repr| repr.to_string()).unwrap_or_default();
                return Err(PyTypeError::new_err(format!(
                    "each header must be a (name, value) tuple, got {shown}"
                )));
            }
        };
        let name = native_string(&pair.get_item(0)?, "Header name")?;
        let value = native_string(&pair.get_item(1)?, "Header value")?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// The `write(data)` callable that `start_response` returns.
#[pyclass(frozen, module = "wsgiref_rs", name = "Write")]
pub(super) struct PyWrite {
    request: u64,
}

#[pymethods]
impl PyWrite {
    fn __call__(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let Ok(bytes) = data.cast::<PyBytes>() else {
            return Err(PyAssertionError::new_err("write() argument must be a bytes instance"));
        };
        let data = bytes.as_bytes().to_vec();
        let request = self.request;
        // Why detach: sending waits for the client; other threads may run Python meanwhile.
        let written = py.detach(move || {
            let write = with_request(request, |state| state.write.clone()).flatten()?;
            let result = write.write(&data);
            if let Err(error) = &result {
                let copy = io::Error::new(error.kind(), error.to_string());
                with_request(request, |state| state.write_error = Some(copy));
            }
            Some(result)
        });
        match written {
            Some(result) => result.map_err(PyErr::from),
            None => Err(closed("write")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minus_one_none_and_negative_sizes_mean_no_limit() {
        let cases = [
            (Some(-1), None),
            (None, None),
            (Some(-7), None),
            (Some(0), Some(0)),
            (Some(5), Some(5)),
        ];
        for (size, expected) in cases {
            assert_eq!(limit(size), expected, "size {size:?}");
        }
    }

    #[test]
    fn request_state_is_seen_only_on_its_own_thread() {
        let (start_response, _seen) = StartResponse::recorder();
        let request = register(RequestState {
            input: Some(Input::from_bytes(b"body".to_vec())),
            errors: Errors::to_log(),
            start_response,
            write: None,
            write_error: None,
        });
        assert_eq!(with_request(request, |state| state.input.is_some()), Some(true));
        let elsewhere = std::thread::spawn(move || with_request(request, |_| ()).is_some());
        assert!(!elsewhere.join().unwrap());
        assert!(unregister(request).is_some());
        assert!(with_request(request, |_| ()).is_none());
    }
}
