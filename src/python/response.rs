//! The response of a Python application as a [`Body`]: what is taken in
//! the first GIL acquisition, the rest one `next()` at a time, and
//! `close()`, all in the request's context (see "Threads and the GIL" in
//! the module docs of [`crate::python`]).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use super::objects::{unregister, with_request};
use super::{PythonApplication, PythonError};
use crate::types::{AppError, Body};

impl PythonApplication {
    /// The body for the application's result. An exact `list` or `tuple`
    /// (no `close()`, no code runs while it is read) is copied out whole;
    /// otherwise the first chunk is taken now (the server would ask for it
    /// next anyway), the rest one `next()` at a time.
    pub(super) fn body(
        &self,
        py: Python<'_>,
        context: Bound<'_, PyAny>,
        result: &Bound<'_, PyAny>,
        request: u64,
    ) -> Result<Body, AppError> {
        refuse_text(result)?;
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
        let wanted = helpers.chunks_to_take_now(py, &iterator, one_block);
        response.iterator = Some(iterator.unbind());
        let taken = response.take_chunks(py, wanted)?;
        Ok(response.into_body(taken, one_block))
    }
}

impl Helpers {
    /// How many chunks to take in the call's own GIL acquisition: all of a
    /// list or tuple iterator (Django's `HttpResponse` gives one: it runs
    /// no code and cannot block), two when `len() == 1` (to see the end),
    /// else the first (the server would ask for it next anyway).
    fn chunks_to_take_now(&self, py: Python<'_>, iterator: &Bound<'_, PyAny>, one_block: bool) -> usize {
        let iterator_type = iterator.get_type();
        if iterator_type.is(self.list_iterator.bind(py)) || iterator_type.is(self.tuple_iterator.bind(py)) {
            usize::MAX
        } else if one_block {
            2
        } else {
            1
        }
    }
}

/// PEP 3333: the result is an iterable of bytes; a `str` or `bytes` result
/// would be sent one character or byte at a time, which is never meant.
fn refuse_text(result: &Bound<'_, PyAny>) -> Result<(), AppError> {
    let kind = if result.is_instance_of::<PyString>() {
        "str"
    } else if result.is_instance_of::<PyBytes>() {
        "bytes"
    } else {
        return Ok(());
    };
    Err(format!(
        "the application returned a {kind}, not an iterable of bytes: return [body], a list of one bytes object"
    )
    .into())
}

impl PythonResponse {
    /// Take up to `wanted` chunks now, in this GIL acquisition. An error on
    /// the first closes the response and is returned; a later one ends the
    /// chunks taken.
    fn take_chunks(&mut self, py: Python<'_>, wanted: usize) -> Result<Vec<Result<Vec<u8>, AppError>>, AppError> {
        let mut taken = Vec::new();
        while taken.len() < wanted {
            match self.next_chunk(py) {
                Ok(Some(chunk)) => taken.push(Ok(chunk)),
                Ok(None) => break,
                Err(error) if taken.is_empty() => {
                    // PEP 3333: close() even when iteration failed; nothing was sent yet.
                    self.close(py);
                    return Err(error);
                }
                Err(error) => {
                    // As under wsgiref: what came before is sent, then the response is cut.
                    taken.push(Err(error));
                    break;
                }
            }
        }
        Ok(taken)
    }

    /// The body: the chunks taken, then the rest read under the GIL as the
    /// server asks; closing it closes the Python result.
    fn into_body(mut self, mut taken: Vec<Result<Vec<u8>, AppError>>, one_block: bool) -> Body {
        self.data_handed_out = taken.iter().any(|chunk| matches!(chunk, Ok(data) if !data.is_empty()));
        let finished = self.finished;
        let response = Rc::new(RefCell::new(self));
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
        body.on_close(move || closing.borrow_mut().finish())
    }
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

/// Python objects looked up once, when the application is loaded.
pub(super) struct Helpers {
    /// `contextvars.Context`: a fresh, empty context per request.
    pub(super) context_type: Py<PyAny>,
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
    pub(super) fn new(py: Python<'_>) -> PyResult<Helpers> {
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
pub(super) fn failure(request: u64, error: PythonError) -> AppError {
    match with_request(request, |state| state.write_error.take()).flatten() {
        Some(io_error) => Box::new(io_error),
        None => Box::new(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_cuts_long_reprs_at_60_characters() {
        assert_eq!(short("'abc'"), "'abc'");
        let long = "x".repeat(61);
        assert_eq!(short(&long), format!("{}...", "x".repeat(60)));
    }
}
