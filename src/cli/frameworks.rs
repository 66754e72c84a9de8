//! The development error page for Django and Flask applications, which
//! catch their views' exceptions themselves.
//!
//! Both frameworks answer an exception in a view with a 500 page of their
//! own, so the server's error page never sees it unless the framework lets
//! it through:
//!
//! - **Django** with `DEBUG` on shows its technical 500 page (left alone).
//!   With `DEBUG` off it shows a bare `Server Error (500)` page, and its
//!   `django.request` logger prints nothing on the console (its console
//!   handler needs `DEBUG`): a developer saw neither the error nor a
//!   traceback anywhere. The command sets `DEBUG_PROPAGATE_EXCEPTIONS =
//!   True`: an uncaught exception leaves Django (after its
//!   `got_request_exception` signal).
//! - **Flask** propagates only when `PROPAGATE_EXCEPTIONS` is true, or,
//!   when it is `None` (the default), in debug or testing mode; otherwise
//!   it logs the traceback and answers with its generic `Internal Server
//!   Error` page. So under `flask run` without `--debug`, and under this
//!   command, the page was Flask's. The command sets `PROPAGATE_EXCEPTIONS
//!   = True` on a `flask.Flask` application that leaves it `None`.
//!
//! Either way, the server then shows the exception on its error page and
//! logs its traceback once, as for any WSGI application. Only when the
//! error page is on (a loopback address, or `--debug-page`); with
//! `--no-debug-page` the frameworks keep their own handling.
//!
//! The trade-off, while the page is on: the framework's own 500 handling
//! is bypassed, so a custom Django `handler500` or Flask
//! `@app.errorhandler(500)` (and `InternalServerError`) page does not
//! show; `--no-debug-page` brings it back. What is not an uncaught
//! exception keeps the framework's answer: Django's `Http404`,
//! `PermissionDenied` and bad requests; Flask's `abort(404)` and other
//! HTTP exceptions, and a Flask handler registered for the exception's own
//! class (`@app.errorhandler(ValueError)`, or `Exception`). A project that
//! sets the setting itself (Django's `DEBUG_PROPAGATE_EXCEPTIONS`, Flask's
//! `PROPAGATE_EXCEPTIONS`, to any value) is left alone.
//!
//! Neither framework is imported here: each is looked at only when its
//! module is already in `sys.modules` (the application imported it).

use pyo3::prelude::*;

use crate::Application;
use crate::python::PythonApplication;

mod urlconf;

/// What the command does to a loaded Python application for its
/// framework: with the error page on, let its views' exceptions through
/// ([`propagate_exceptions`]); for a Django project, import its URLconf at
/// start, as runserver does (see `src/cli/frameworks/urlconf.rs`).
pub fn prepare(application: PythonApplication, debug_page: bool) -> Box<dyn Application> {
    if debug_page {
        match propagate_exceptions(&application) {
            Ok(Some(framework)) => log::debug!("{framework} lets its views' exceptions reach the error page"),
            Ok(None) => {}
            Err(error) => log::warn!("the framework's errors will show as its own 500 page: {error}"),
        }
    }
    urlconf::check(application, debug_page)
}

/// After the application is loaded: let a Django project with `DEBUG` off,
/// or a Flask application, propagate its views' exceptions to the error
/// page (see the module docs). Returns which one it changed: `Some("Django")`,
/// `Some("Flask")`, or `None` when neither applies.
///
/// # Errors
///
/// The Python exception of reading or setting the framework's settings, as
/// text (the command warns and goes on: the framework's own 500 page stays).
pub fn propagate_exceptions(application: &PythonApplication) -> Result<Option<&'static str>, String> {
    Python::attach(|py| {
        let attempt = || -> PyResult<Option<&'static str>> {
            let modules = py.import("sys")?.getattr("modules")?;
            if django(py, &modules)? {
                return Ok(Some("Django"));
            }
            if flask(&modules, &application.callable(py))? {
                return Ok(Some("Flask"));
            }
            Ok(None)
        };
        attempt().map_err(|error| error.to_string())
    })
}

/// Django's `DEBUG_PROPAGATE_EXCEPTIONS = True`, when `DEBUG` is off and
/// the project does not set it. `false` for an application that is not
/// Django (its `django.conf` never imported), or whose settings are not
/// configured yet.
fn django(py: Python<'_>, modules: &Bound<'_, PyAny>) -> PyResult<bool> {
    if !modules.contains("django.conf")? {
        return Ok(false);
    }
    let settings = py.import("django.conf")?.getattr("settings")?;
    let configured = settings.getattr("configured")?.is_truthy()?;
    if !configured || settings.getattr("DEBUG")?.is_truthy()? {
        return Ok(false);
    }
    let set_by_project = settings
        .call_method1("is_overridden", ("DEBUG_PROPAGATE_EXCEPTIONS",))?
        .is_truthy()?;
    if set_by_project {
        return Ok(false);
    }
    settings.setattr("DEBUG_PROPAGATE_EXCEPTIONS", true)?;
    Ok(true)
}

/// Flask's `PROPAGATE_EXCEPTIONS = True`, when `application` is a
/// `flask.Flask` whose setting is `None` (Flask's default: "in debug or
/// testing mode"). Why not only in debug mode, as Flask does: with the
/// setting `None` and debug off, Flask logs the traceback and answers with
/// a generic page that says nothing; the error page is the point of a dev
/// server.
fn flask(modules: &Bound<'_, PyAny>, application: &Bound<'_, PyAny>) -> PyResult<bool> {
    let Ok(flask) = modules.get_item("flask") else {
        return Ok(false);
    };
    if !application.is_instance(&flask.getattr("Flask")?)? {
        return Ok(false);
    }
    let config = application.getattr("config")?;
    let setting = config.call_method1("get", ("PROPAGATE_EXCEPTIONS",))?;
    if !setting.is_none() {
        return Ok(false);
    }
    config.set_item("PROPAGATE_EXCEPTIONS", true)?;
    Ok(true)
}
