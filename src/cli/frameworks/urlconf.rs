//! A Django URLconf that cannot be imported, told once at start instead of
//! in a chain of tracebacks at every request.
//!
//! Django imports the URLconf (`ROOT_URLCONF`, and the views it imports)
//! at the first request that needs it, and again at every request while
//! the import fails. A `SyntaxError` in `views.py` then printed a chain of
//! tracebacks for every request (Django imports it again in each
//! middleware layer's error handling: ~550 lines a request with
//! `startproject`'s middleware and `DEBUG = True`). `manage.py runserver`
//! imports the URLconf at start (its system checks do), prints the error
//! once, and serves nothing until the file is fixed.
//!
//! So, at start, the command imports it as runserver's checks do
//! (`django.urls.get_resolver().url_patterns`). If that raises, it logs the
//! traceback once, as Python prints it, and answers each request itself,
//! without calling Django: a 500 with the development error page of that
//! exception (the plain 500 text when the page is off), so the terminal
//! shows one access line a request. Each request first tries the import
//! again (what Django would do anyway): the import is cheap next to a
//! developer's reload, and so the server recovers as soon as the file is
//! fixed, with or without `--reload`. Why serve at all, where runserver
//! refuses connections: the browser then shows the error instead of
//! "connection refused", and without `--reload` a fix needs no restart. A
//! different error (the file edited, still broken) is logged once too;
//! the one that was logged is not logged again.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::prelude::*;

use crate::handlers::debug_page;
use crate::python::{PythonApplication, PythonError};
use crate::{AppError, Application, Body, Environ, StartResponse};

/// A Django project whose URLconf failed to import at start: answers
/// with that error until an import succeeds, then is the project.
pub struct BrokenUrlconf {
    django: PythonApplication,
    debug_page: bool,
    /// Set once an import succeeded: from then on, Django answers.
    fixed: AtomicBool,
    /// The text of the last error logged (and shown).
    error: Mutex<String>,
}

/// Import the URLconf of the Django project that `application` serves, if
/// it is one (`django.conf` imported, its settings configured with a
/// `ROOT_URLCONF`, `django.urls` importable). Returns `application` as it
/// was, or wrapped in [`BrokenUrlconf`] when the import raised (the
/// traceback is logged then).
pub fn check(application: PythonApplication, debug_page: bool) -> Box<dyn Application> {
    let Some(error) = import_error() else {
        return Box::new(application);
    };
    log::error!(
        "{error}\nEvery request gets this error (it is tried again at each request) until the URLconf imports."
    );
    Box::new(BrokenUrlconf {
        django: application,
        debug_page,
        fixed: AtomicBool::new(false),
        error: Mutex::new(error),
    })
}

/// The error of importing the URLconf, as text: `importing Django's
/// URLconf raised ...` and the traceback. `None` when it imports, or
/// when the application is not a configured Django project.
fn import_error() -> Option<String> {
    Python::attach(|py| {
        let attempt = || -> PyResult<Option<Bound<'_, PyAny>>> {
            let modules = py.import("sys")?.getattr("modules")?;
            if !modules.contains("django.conf")? {
                return Ok(None);
            }
            let settings = py.import("django.conf")?.getattr("settings")?;
            if !settings.getattr("configured")?.is_truthy()? || !settings.hasattr("ROOT_URLCONF")? {
                return Ok(None);
            }
            Ok(py.import("django.urls").ok().map(Bound::into_any))
        };
        let urls = attempt().ok()??;
        let error = urls
            .call_method0("get_resolver")
            .and_then(|resolver| resolver.getattr("url_patterns"))
            .err()?;
        Some(PythonError::new(py, &error, "importing Django's URLconf").to_string())
    })
}

impl BrokenUrlconf {
    /// The response while the import fails: a 500, the development error
    /// page of `error` (or the plain 500 text of wsgiref's `error_body`).
    fn error_response(&self, error: &str, environ: &Environ, start_response: StartResponse) -> Result<Body, AppError> {
        let (content_type, body) = match self.debug_page {
            true => (
                "text/html; charset=utf-8",
                debug_page::render(error, &crate::handlers::request_line(environ)),
            ),
            false => (
                "text/plain",
                "A server error occurred.  Please contact the administrator.".to_string(),
            ),
        };
        start_response.call(
            "500 Internal Server Error",
            [
                ("Content-Type", content_type.to_string()),
                ("Content-Length", body.len().to_string()),
            ],
        )?;
        Ok(Body::from(body))
    }
}

impl Application for BrokenUrlconf {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        if self.fixed.load(Ordering::Acquire) {
            return self.django.call(environ, start_response);
        }
        // Why the lock is not held across the import: Python may release
        // the GIL there, and another worker would wait on both.
        let Some(error) = import_error() else {
            self.fixed.store(true, Ordering::Release);
            log::info!("Django's URLconf imports now: serving the project");
            return self.django.call(environ, start_response);
        };
        {
            let mut logged = self.error.lock().unwrap_or_else(|e| e.into_inner());
            if *logged != error {
                log::error!("{error}");
                *logged = error.clone();
            }
        }
        self.error_response(&error, environ, start_response)
    }

    fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
        self.django.run_worker(serve)
    }
}
