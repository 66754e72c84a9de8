//! The development error page for a Django project whose `DEBUG` is off.
//!
//! Django answers an exception in a view itself: with `DEBUG` on, its
//! technical 500 page (the traceback, the request, the settings); with
//! `DEBUG` off, a bare `Server Error (500)` page, and its `django.request`
//! logger then prints nothing on the console (its console handler needs
//! `DEBUG`). So under a dev server a developer with `DEBUG = False` saw
//! neither the error nor a traceback anywhere. When the command's error
//! page is on (a loopback address, or `--debug-page`), it sets Django's
//! own `DEBUG_PROPAGATE_EXCEPTIONS = True`: an uncaught exception then
//! leaves Django (after its `got_request_exception` signal), and the
//! server shows it on its error page and logs its traceback once, as for
//! any WSGI application. `Http404`, `PermissionDenied` and bad requests
//! keep Django's own answers (they are not uncaught exceptions), and a
//! project that sets `DEBUG_PROPAGATE_EXCEPTIONS` itself is left alone.
//! `--no-debug-page` keeps Django's `Server Error (500)` page (and a
//! custom `handler500`).

use pyo3::prelude::*;

/// After the application is loaded: let a Django project with `DEBUG`
/// off propagate its views' exceptions to the error page (see the module
/// docs). Returns whether it did; `false` for an application that is not
/// Django (its `django.conf` never imported), whose settings are not
/// configured yet, with `DEBUG` on, or that sets
/// `DEBUG_PROPAGATE_EXCEPTIONS` itself.
///
/// # Errors
///
/// The Python exception of reading or setting Django's settings, as text
/// (the command warns and goes on: Django's own 500 page stays).
pub fn propagate_exceptions_when_debug_is_off() -> Result<bool, String> {
    Python::attach(|py| {
        let attempt = || -> PyResult<bool> {
            let modules = py.import("sys")?.getattr("modules")?;
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
        };
        attempt().map_err(|error| error.to_string())
    })
}
