//! From `MODULE:CALLABLE` to a [`PythonApplication`]: the spec's three
//! forms (gunicorn's), the import, and a hint when a module is missing.

use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyModule, PyTuple};

use super::response::Helpers;
use super::{PythonApplication, exception_line, format_traceback, support_module};

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
        /// An application factory the module has instead, by Flask's
        /// conventions (`create_app`, else `make_app`): the spec to use
        /// is `MODULE:create_app()`.
        factory: Option<String>,
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
    /// `MODULE:NAME` (no parentheses) names a callable that cannot be
    /// called as `NAME(environ, start_response)`, as `inspect.signature`
    /// tells: most likely an application factory, to be called once with
    /// `MODULE:NAME()`.
    NotAnApplication {
        /// `MODULE:NAME`, the callable's full name (for a bare `MODULE`,
        /// the default it found).
        spec: String,
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
            LoadError::NoDefaultCallable { module, factory: None } => write!(
                f,
                "module {module:?} has neither \"application\" nor \"app\": name the callable, as {module}:NAME"
            ),
            LoadError::NoDefaultCallable {
                module,
                factory: Some(factory),
            } => write!(
                f,
                "module {module:?} has neither \"application\" nor \"app\": it has {factory}(): use {module}:{factory}()"
            ),
            LoadError::Factory { spec, error } => write!(f, "{spec:?}: {error}"),
            LoadError::NotCallable { spec, type_name } => {
                write!(f, "{spec:?} is not callable (it is a {type_name})")
            }
            LoadError::NotAnApplication { spec } => write!(
                f,
                "{spec:?} takes no (environ, start_response): if it is an application factory, call it: {spec}()"
            ),
            LoadError::Setup(error) => write!(f, "cannot set up the Python path: {error}"),
        }
    }
}

impl Error for LoadError {}

/// Load `MODULE:CALLABLE` (the gunicorn and waitress convention) and wrap
/// it as an [`Application`](crate::Application).
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
/// environment to activate), the attribute is missing (for a bare `MODULE`
/// with a `create_app` or `make_app` instead, the error names
/// `MODULE:create_app()`), the factory's arguments are not literals or it
/// raised, or the result is not callable; and for `MODULE:NAME` without
/// parentheses, when `inspect.signature` says `NAME` cannot be called with
/// `(environ, start_response)` (a factory named without its call:
/// [`LoadError::NotAnApplication`], which says to write `MODULE:NAME()`).
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
        setup_path(&support, &pythonpath, virtual_env.as_deref())?;
        let module = py.import(module_name).map_err(|error| LoadError::Import {
            module: module_name.to_string(),
            error: import_error(py, &error),
            hint: import_hint(py, &error, module_name, &pythonpath, virtual_env.as_deref()),
        })?;
        let (name, callable) = find_callable(&module, &parsed)?;
        let callable = match parsed.arguments {
            Some(arguments) => {
                call_factory(py, &support, &callable, arguments).map_err(|error| LoadError::Factory {
                    spec: spec.to_string(),
                    error,
                })?
            }
            None => callable,
        };
        check_callable(&callable, spec)?;
        if parsed.arguments.is_none() && !takes_environ_and_start_response(&callable) {
            let spec = format!("{module_name}:{name}");
            return Err(LoadError::NotAnApplication { spec });
        }
        PythonApplication::from_callable(spec, callable).map_err(|error| LoadError::Setup(exception_line(py, &error)))
    })
}

impl PythonApplication {
    /// `callable` as an application, named `spec` (in log lines): what
    /// [`load`] does once it has the callable, and what the Python
    /// package's `make_server` does with the one it is given.
    pub(crate) fn from_callable(spec: &str, callable: Bound<'_, PyAny>) -> PyResult<PythonApplication> {
        let py = callable.py();
        let support = support_module(py)?;
        Ok(PythonApplication {
            spec: spec.to_string(),
            callable: callable.unbind(),
            file_wrapper: support.getattr("FileWrapper")?.unbind(),
            helpers: Arc::new(Helpers::new(py)?),
            template: Mutex::new(None),
        })
    }

    /// The Python callable served (after [`serve_django_static`](Self::serve_django_static),
    /// the handler that wraps it): for the command to look at what framework
    /// it is.
    pub(crate) fn callable<'py>(&self, py: Python<'py>) -> Bound<'py, PyAny> {
        self.callable.bind(py).clone()
    }
}

/// `sys.path` and the virtual environment set up as the support module's
/// `setup_path` does; its warning (a venv it could not use) is logged.
fn setup_path(support: &Bound<'_, PyModule>, pythonpath: &Path, virtual_env: Option<&Path>) -> Result<(), LoadError> {
    let warning = support
        .call_method1("setup_path", (pythonpath.as_os_str(), virtual_env))
        .and_then(|warning| warning.extract::<Option<String>>())
        .map_err(|error| LoadError::Setup(exception_line(support.py(), &error)))?;
    if let Some(warning) = warning {
        log::warn!("{warning}");
    }
    Ok(())
}

/// The object the spec names in `module`, and its name there: its dotted
/// attribute path, or `application` (gunicorn's default), then `app`
/// (Flask's). Without either, the error names a factory the module has
/// (Flask's conventions: `create_app`, then `make_app`), if any.
fn find_callable<'py, 'a>(
    module: &Bound<'py, PyModule>,
    parsed: &Spec<'a>,
) -> Result<(&'a str, Bound<'py, PyAny>), LoadError> {
    let Some(attribute) = parsed.attribute else {
        let found = ["application", "app"]
            .into_iter()
            .find_map(|name| Some((name, module.getattr(name).ok()?)));
        return found.ok_or_else(|| LoadError::NoDefaultCallable {
            module: parsed.module.to_string(),
            factory: ["create_app", "make_app"]
                .into_iter()
                .find(|name| module.getattr(*name).is_ok_and(|factory| factory.is_callable()))
                .map(str::to_string),
        });
    };
    let mut callable = module.clone().into_any();
    for name in attribute.split('.') {
        callable = callable.getattr(name).map_err(|_| LoadError::MissingAttribute {
            module: parsed.module.to_string(),
            attribute: attribute.to_string(),
        })?;
    }
    Ok((attribute, callable))
}

/// Whether `callable(environ, start_response)` can bind, as
/// `inspect.signature` tells: `false` for `create_app` given without its
/// parentheses, which would start and then fail every request with
/// `TypeError: create_app() takes 0 positional arguments but 2 were given`.
/// `true` whenever Python cannot tell: a builtin without a signature, or
/// any error of `inspect`. A class is checked through its `__init__`, an
/// instance through its `__call__`, a `functools.partial` without its bound
/// arguments, and `*args` binds anything. Why `follow_wrapped=False`: a
/// decorator made with `functools.wraps` (Werkzeug's
/// `@Request.application`) turns a one-argument function into a WSGI
/// application taking `*args`; the wrapped function's signature is not the
/// application's.
fn takes_environ_and_start_response(callable: &Bound<'_, PyAny>) -> bool {
    let py = callable.py();
    let bind = || -> PyResult<bool> {
        let options = PyDict::new(py);
        options.set_item("follow_wrapped", false)?;
        let signature = py
            .import("inspect")?
            .call_method("signature", (callable,), Some(&options))?;
        Ok(signature.call_method1("bind", (py.None(), py.None())).is_ok())
    };
    bind().unwrap_or(true)
}

/// A WSGI application must be callable; say what was found instead.
fn check_callable(callable: &Bound<'_, PyAny>, spec: &str) -> Result<(), LoadError> {
    if callable.is_callable() {
        return Ok(());
    }
    let type_name = callable
        .get_type()
        .qualname()
        .map(|name| name.to_string())
        .unwrap_or_default();
    Err(LoadError::NotCallable {
        spec: spec.to_string(),
        type_name,
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
}
