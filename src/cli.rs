//! The `wsgiref` command as a library function: serve a built-in WSGI
//! application (or, with the `python` feature, a Python one), like
//! `python -m wsgiref.simple_server`, with what a developer expects of a
//! dev `runserver`. Needs the `cli` feature.
//!
//! Why it is in the library and not only in the binary: the same command
//! runs from two programs. `src/main.rs` (the `wsgiref` binary) calls
//! [`main`] with its own arguments, and the Python package (`python -m
//! wsgiref_rs`, the `wsgiref-rs` script; see `src/python_package.rs`)
//! calls it with Python's, so both parse, print and serve the same way.
//!
//! This file is the argument parser and the order of events; what makes
//! the command a dev server is in the modules next to it, one file each.
//! They use the rest of the library as any user would.
//!
//! ```no_run
//! // The whole `wsgiref` binary (src/main.rs).
//! use std::process::ExitCode;
//!
//! fn main() -> ExitCode {
//!     match wsgiref::cli::Invocation::from_env() {
//!         Ok(invocation) => wsgiref::cli::main(invocation),
//!         Err(error) => {
//!             eprintln!("wsgiref: cannot find this program: {error}");
//!             ExitCode::FAILURE
//!         }
//!     }
//! }
//! ```

/// `eprintln!` that never panics: a message to a closed stderr (a pipe
/// whose reader has gone) is dropped instead of killing the thread that
/// prints it. Why: `eprintln!` panics on a write error, and in the signal
/// handler that panic killed the handler thread, so SIGTERM no longer
/// stopped the server.
///
/// Defined before the `mod` lines so that the modules below can use it
/// without an import: a `macro_rules!` macro is in scope from its
/// definition to the end of the file, modules declared there included.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod address;
mod banner;
#[cfg(feature = "python")]
mod frameworks;
mod logging;
mod reload;
mod signals;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use crate::record::{RecordOptions, Recorder};
use crate::simple_server::{bytes_app, demo_app, echo_app, hello_app};
use crate::static_files::StaticFiles;
use crate::{Application, ServerConfig, WsgiServer};

use banner::Banner;
use logging::Colour;

const HELP: &str = "\
Serve a WSGI application over HTTP, like `python -m wsgiref.simple_server`,
as a development server.

Usage: wsgiref [OPTIONS] [MODULE:CALLABLE] [[ADDR:]PORT]

Arguments:
  MODULE:CALLABLE
                 A Python WSGI application: the same as --python
                 MODULE:CALLABLE (python -m wsgiref_rs myapp:app)
  [ADDR:]PORT    Where to listen, as Django's runserver takes it: 8080,
                 0.0.0.0:8000, [::1]:8000, localhost:8000 (0:8000 is
                 0.0.0.0:8000); a shortcut for --host and --port

Options:
  --host HOST    Address to listen on [default: 127.0.0.1]: an IPv4 or
                 IPv6 address or a name (0.0.0.0 for every IPv4 address,
                 :: for every IPv6 address, ::1, localhost)
  --port PORT    Port to listen on; 0 picks a free port [default: 8000]
  --once         Handle one request, then exit (as Python's wsgiref does)
  --trace        Show each request's trip through WSGI: the raw request
                 head, the environ, start_response, the raw response head,
                 body chunks and bytes, time in the application
  --app NAME     Built-in application to serve [default: demo]:
                   demo   Hello world! and the environ, one key per line
                   hello  200 text/plain 'Hello world!'
                   echo   stream the request body back
                   bytes  send N bytes, N the query string (default 10 MiB)
  --python MODULE:CALLABLE
                 Serve a Python WSGI application instead, such as myapp:app
                 or mysite.wsgi:application (needs the `python` feature;
                 honours VIRTUAL_ENV). MODULE alone means MODULE:application,
                 else MODULE:app; MODULE:create_app() calls a factory once
  --no-django-static
                 Do not serve a Django project's static files (served by
                 default, as runserver does, when DEBUG is on and
                 django.contrib.staticfiles is installed)
  --pythonpath DIR
                 Directory put first on sys.path [default: .]
  --static DIR   Also serve the files under DIR (GET and HEAD, directory
                 listings) at --static-url; nothing outside DIR is served
  --static-url PREFIX
                 URL prefix of --static files [default: /static/]; / serves
                 only the files
  -q, --quiet    Print only the `Serving HTTP on ...` line at start
  --no-debug-page
                 Answer an application error with the plain 500 text, not
                 the development error page (the error and its traceback
                 as HTML), which is on when listening on a loopback address
                 (for a Django project with DEBUG off, or a Flask app, it
                 also sets DEBUG_PROPAGATE_EXCEPTIONS or PROPAGATE_EXCEPTIONS
                 so their views' errors show here)
  --debug-page   Show the development error page even when listening on
                 other addresses (every client on the network sees it)
  --no-access-log
                 Do not log each request (uvicorn's name for it; gunicorn
                 and granian log none unless asked). Warnings and errors
                 are still logged
  --color WHEN   Colour the access log by status: auto (when stderr is a
                 terminal and NO_COLOR is unset), always, never [default: auto]
  --reload       Restart the server when a source file changes under the
                 --reload-dir directories (.py .rs .toml .cfg .ini .json
                 .yaml .yml .html; not in target/, hidden or __pycache__
                 directories). This re-runs the same program: for a Rust
                 application, rebuild and restart it with `cargo watch -x run`
                 (or `watchexec -r cargo run`) instead
  --reload-dir DIR
                 Directory to watch for --reload (repeatable) [default: .]
  --record FILE  Append every request received, refused ones included, to
                 FILE (raw bytes, time, client address; a text format, see
                 wsgiref::record); wsgiref::testing::replay(FILE, &app)
                 runs them again in a test
  --record-max-bytes N
                 Most bytes recorded of one request [default: 1048576]
  --record-secrets
                 Record Authorization, Proxy-Authorization and Cookie
                 values (written <redacted> by default)

Limits (defaults in parentheses; see wsgiref::ServerConfig):
  --min-threads N              Worker threads started at once (8; 1 with --python:
                               Python runs one thread at a time)
  --max-threads N              Most worker threads (64)
  --backlog N                  Connections the kernel queues for a free worker (1024)
  --max-request-line-bytes N   Longest request line; longer gets 414 (8192)
  --max-head-bytes N           Largest request head; larger gets 431 (32768)
  --max-header-count N         Most header fields; more gets 431 (100)
  --max-body-bytes N           Largest request body; larger gets 413 (no limit)
  --head-timeout SECONDS       Time to receive the request head; 408 after (30)
  --read-timeout SECONDS       Longest wait for request body bytes (30)
  --write-timeout SECONDS      Longest wait for the client to take response bytes (30)
  --drain-timeout SECONDS      Time to discard unread request bytes after the response (2)
  --max-drain-bytes N          Most unread request bytes discarded after the response (67108864)
  --shutdown-grace SECONDS     Time requests in flight get to finish at shutdown (2;
                               the library's ServerConfig default is 30)

  -h, --help     Print this help
  -V, --version  Print the version

As soon as it listens it prints `Serving HTTP on HOST port PORT ...` on
stdout, then the URL to open. Each request is logged on stderr; set
RUST_LOG=debug (or trace) for more. CONTROL-C or SIGTERM stops it: no new
connections, and requests in flight get --shutdown-grace to finish.
";

/// The command's `--shutdown-grace` default. Why shorter than the
/// library's 30 s: a developer's Ctrl-C should not wait for a browser tab
/// that holds a streaming response (`flask run` and runserver quit at
/// once); 2 s still lets a short request in flight finish.
const COMMAND_SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// What the command line asked for.
struct Args {
    host: String,
    port: u16,
    once: bool,
    app: String,
    /// `--python MODULE:CALLABLE` (which also sets `app` to `python`).
    python: String,
    pythonpath: PathBuf,
    static_dir: Option<PathBuf>,
    static_url: String,
    quiet: bool,
    /// `--no-access-log` clears it.
    access_log: bool,
    /// `--debug-page` / `--no-debug-page`; by default, on for a loopback address.
    debug_page: Option<bool>,
    /// `--no-django-static` clears it.
    django_static: bool,
    /// Whether `--min-threads` was given (else `--python` picks its own).
    min_threads_given: bool,
    colour: Colour,
    reload: bool,
    reload_dirs: Vec<PathBuf>,
    /// `--backlog`: the listen backlog (the library's `ServerConfig` has no
    /// such field, since std cannot set it; see `address::set_backlog`).
    backlog: i32,
    /// `--record FILE`, with `--record-max-bytes` and `--record-secrets`.
    record: Option<PathBuf>,
    record_options: RecordOptions,
    config: ServerConfig,
}

/// What the command line asks for, or `None` when `--help` or `--version`
/// has been answered.
// Long: one flat match arm per option, in the order of --help; split up, it would hide which option sets what.
fn parse_args(arguments: Vec<OsString>) -> Result<Option<Args>, lexopt::Error> {
    use lexopt::prelude::*;
    let mut args = Args {
        host: "127.0.0.1".to_string(),
        port: 8000,
        once: false,
        app: "demo".to_string(),
        python: String::new(),
        pythonpath: ".".into(),
        static_dir: None,
        static_url: "/static/".to_string(),
        quiet: false,
        access_log: true,
        debug_page: None,
        django_static: true,
        min_threads_given: false,
        colour: Colour::Auto,
        reload: false,
        reload_dirs: Vec::new(),
        backlog: 1024,
        record: None,
        record_options: RecordOptions::default(),
        config: ServerConfig {
            shutdown_grace: COMMAND_SHUTDOWN_GRACE,
            ..ServerConfig::default()
        },
    };
    let config = &mut args.config;
    let mut parser = lexopt::Parser::from_args(arguments);
    while let Some(arg) = parser.next()? {
        match arg {
            Value(value) => {
                let value = value.string()?;
                match address::parse_addrport(&value) {
                    Ok((host, port)) => {
                        args.host = host.unwrap_or(args.host);
                        args.port = port;
                    }
                    // Not [ADDR:]PORT: the application, as gunicorn and
                    // `python -m wsgiref_rs` take it (myapp:app).
                    Err(_) if looks_like_spec(&value) => {
                        args.python = value;
                        args.app = "python".to_string();
                    }
                    Err(message) => return Err(message.into()),
                }
            }
            Long("host") => args.host = parser.value()?.string()?,
            Long("port") => args.port = parser.value()?.parse()?,
            Long("once") => args.once = true,
            Long("trace") => config.trace = true,
            Long("app") => args.app = parser.value()?.string()?,
            Long("python") => {
                args.python = parser.value()?.string()?;
                args.app = "python".to_string();
            }
            Long("pythonpath") => args.pythonpath = parser.value()?.into(),
            Long("static") => args.static_dir = Some(parser.value()?.into()),
            Long("static-url") => args.static_url = parser.value()?.string()?,
            Short('q') | Long("quiet") => args.quiet = true,
            Long("no-access-log") => args.access_log = false,
            Long("debug-page") => args.debug_page = Some(true),
            Long("no-debug-page") => args.debug_page = Some(false),
            Long("no-django-static") => args.django_static = false,
            Long("color") | Long("colour") => args.colour = Colour::parse(&parser.value()?.string()?)?,
            Long("reload") => args.reload = true,
            Long("reload-dir") => args.reload_dirs.push(parser.value()?.into()),
            Long("record") => args.record = Some(parser.value()?.into()),
            Long("record-max-bytes") => args.record_options.max_request_bytes = parser.value()?.parse()?,
            Long("record-secrets") => args.record_options.keep_secrets = true,
            Long("min-threads") => {
                config.min_threads = parser.value()?.parse()?;
                args.min_threads_given = true;
            }
            Long("max-threads") => config.max_threads = parser.value()?.parse()?,
            Long("backlog") => args.backlog = parser.value()?.parse()?,
            Long("max-request-line-bytes") => config.max_request_line_bytes = parser.value()?.parse()?,
            Long("max-head-bytes") => config.max_head_bytes = parser.value()?.parse()?,
            Long("max-header-count") => config.max_header_count = parser.value()?.parse()?,
            Long("max-body-bytes") => config.max_body_bytes = Some(parser.value()?.parse()?),
            Long("head-timeout") => config.head_timeout = seconds(parser.value()?)?,
            Long("read-timeout") => config.read_timeout = seconds(parser.value()?)?,
            Long("write-timeout") => config.write_timeout = seconds(parser.value()?)?,
            Long("drain-timeout") => config.drain_timeout = seconds(parser.value()?)?,
            Long("max-drain-bytes") => config.max_drain_bytes = parser.value()?.parse()?,
            Long("shutdown-grace") => config.shutdown_grace = seconds(parser.value()?)?,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(None);
            }
            Short('V') | Long("version") => {
                println!("wsgiref {}", env!("CARGO_PKG_VERSION"));
                return Ok(None);
            }
            _ => return Err(arg.unexpected()),
        }
    }
    if args.reload_dirs.is_empty() {
        args.reload_dirs.push(PathBuf::from("."));
    }
    Ok(Some(args))
}

/// Whether a positional argument that is not `[ADDR:]PORT` names a Python
/// application (`myapp`, `myapp:app`, `mysite.wsgi:application`,
/// `app:create_app()`): it starts with a letter or `_`. An address with a
/// bad port (`localhost:80x`, `[::1]:x`, `8o00`) still gets the address
/// error only when it starts otherwise; `localhost:80x` is taken as a spec
/// and fails to import, with that module's name in the message.
fn looks_like_spec(value: &str) -> bool {
    value.starts_with(|first: char| first.is_alphabetic() || first == '_')
}

/// The access log and warnings on stderr, as the command prints them
/// (no colour): for the Python package's `make_server`, which has no
/// command line. Does nothing when the process has a logger already.
#[cfg(feature = "python-package")]
pub(crate) fn install_logger() {
    logging::init(false, true);
}

/// A duration given in seconds, such as `30` or `0.5`.
fn seconds(value: std::ffi::OsString) -> Result<Duration, lexopt::Error> {
    let text = value.into_string().map_err(lexopt::Error::NonUnicodeValue)?;
    match text
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
    {
        Some(duration) if !duration.is_zero() => Ok(duration),
        Some(_) => Err(format!("{text:?} seconds: a timeout must be more than 0").into()),
        None => Err(format!("invalid number of seconds {text:?}").into()),
    }
}

/// The built-in application named by `--app`, with `--static` files mounted
/// next to it.
///
/// Also returns the URL prefix of Django's static files when `--python`
/// serves them (see `python_application`).
fn application(args: &Args) -> Result<(Box<dyn Application>, Option<String>), String> {
    let mut django_static = None;
    let application: Box<dyn Application> = match args.app.as_str() {
        "demo" => Box::new(demo_app),
        "hello" => Box::new(hello_app),
        "echo" => Box::new(echo_app),
        "bytes" => Box::new(bytes_app),
        "python" => {
            let (application, static_url) = python_application(args)?;
            django_static = static_url;
            application
        }
        other => {
            return Err(format!(
                "unknown application {other:?}; choose demo, hello, echo or bytes"
            ));
        }
    };
    let Some(directory) = &args.static_dir else {
        return Ok((application, django_static));
    };
    match StaticFiles::mount(&args.static_url, directory, application) {
        Ok(files) => Ok((Box::new(files), django_static)),
        Err(error) => Err(format!("cannot serve --static {}: {error}", directory.display())),
    }
}

/// `--python MODULE:CALLABLE`: the Python application.
#[cfg(feature = "python")]
fn python_application(args: &Args) -> Result<(Box<dyn Application>, Option<String>), String> {
    let spec = &args.python;
    let mut app = crate::python::load(spec, &args.pythonpath).map_err(|error| format!("--python {spec}: {error}"))?;
    // As runserver: a Django project in DEBUG serves its static files.
    let static_url = match args.django_static {
        true => app
            .serve_django_static()
            .map_err(|error| format!("--python {spec}: {error}"))?,
        false => None,
    };
    // Django and Flask: their views' errors on our error page; Django's URLconf imported now.
    Ok((frameworks::prepare(app, debug_page(args)), static_url))
}

/// The workers a Python application starts with: see
/// `wsgiref::python::DEFAULT_MIN_THREADS`.
#[cfg(feature = "python")]
fn python_min_threads() -> usize {
    crate::python::DEFAULT_MIN_THREADS
}

#[cfg(not(feature = "python"))]
fn python_min_threads() -> usize {
    ServerConfig::default().min_threads
}

#[cfg(not(feature = "python"))]
fn python_application(_args: &Args) -> Result<(Box<dyn Application>, Option<String>), String> {
    Err(
        "this wsgiref was built without the `python` feature; rebuild with `cargo run --features python -- --python ...`"
            .to_string(),
    )
}

/// How the command was started: its arguments, and how to start it again
/// (the `--reload` parent runs the server as a child process).
#[derive(Debug, Clone)]
pub struct Invocation {
    /// The options and arguments, without the program name: `["--port",
    /// "8080"]`.
    pub args: Vec<OsString>,
    /// The command line that starts this command again with the same
    /// arguments, program first. For the binary, this executable and
    /// `args`; for the Python package, `sys.executable -m wsgiref_rs` and
    /// `args` (the executable of a process running Python is the base
    /// interpreter, outside the virtual environment).
    pub restart: Vec<OsString>,
}

impl Invocation {
    /// This process's arguments (`std::env::args_os`), restarted as this
    /// executable.
    ///
    /// # Errors
    ///
    /// The error of [`std::env::current_exe`].
    pub fn from_env() -> std::io::Result<Invocation> {
        let args: Vec<OsString> = std::env::args_os().skip(1).collect();
        let mut restart = vec![std::env::current_exe()?.into_os_string()];
        restart.extend(args.iter().cloned());
        Ok(Invocation { args, restart })
    }
}

/// Run the `wsgiref` command (see `wsgiref --help`) until it stops; its
/// exit status: 0 when stopped by Ctrl-C or SIGTERM (or after `--once`),
/// 1 when it cannot listen or serve, 2 for a usage error or an application
/// that cannot be loaded.
///
/// It installs handlers for Ctrl-C and SIGTERM, and a logger
/// (`env_logger`): call it once per process, as a program's `main`.
pub fn main(invocation: Invocation) -> ExitCode {
    let args = match parse_args(invocation.args) {
        Ok(Some(args)) => args,
        Ok(None) => return ExitCode::SUCCESS,
        Err(error) => {
            say!("wsgiref: {error}\nTry 'wsgiref --help' for more information.");
            return ExitCode::from(2);
        }
    };
    let reloader_child = reload::is_child();
    if args.reload && !reloader_child {
        // The reloader listens itself (a bind error ends it at once) and
        // hands the socket to each child it starts.
        let socket = match reload::listen_for_children(&args.host, args.port, args.backlog) {
            Ok(socket) => socket,
            Err(message) => {
                say!("wsgiref: {message}");
                return ExitCode::FAILURE;
            }
        };
        return reload::run(
            &invocation.restart,
            &args.reload_dirs,
            args.config.shutdown_grace,
            socket,
        );
    }
    // First, before any thread starts: taking the socket edits the environment.
    let inherited = if reloader_child {
        reload::inherited_listener()
    } else {
        Ok(None)
    };
    serve_command(&args, reloader_child, inherited)
}

/// The command once its arguments are known (in a reloader, the child,
/// with the reloader's socket in `inherited`).
fn serve_command(args: &Args, reloader_child: bool, inherited: Result<Option<TcpListener>, String>) -> ExitCode {
    logging::init(args.colour.enabled(std::io::stderr().is_terminal()), args.access_log);
    // A restarted child on the reloader's socket is where the last one
    // was: the reloader's `Reloading: ...` line says it all.
    let silent_restart = reload::is_restarted_child() && matches!(inherited, Ok(Some(_)));
    let (application, django_static) = match application(args) {
        Ok(served) => served,
        Err(message) => {
            say!("wsgiref: {message}");
            return ExitCode::from(2);
        }
    };
    let server = match start_server(args, application, inherited) {
        Ok(server) => server,
        Err(message) => {
            say!("wsgiref: {message}");
            return ExitCode::FAILURE;
        }
    };
    let banner = Banner {
        // A reloader's restarted child: the first line only, not the banner again.
        quiet: args.quiet || reload::is_restarted_child(),
        colour: args.colour.enabled(std::io::stdout().is_terminal()),
        static_files: args.static_dir.as_deref().map(|dir| (dir, args.static_url.as_str())),
        django_static: django_static.as_deref(),
        recording: args
            .record
            .as_deref()
            .map(|file| (file, args.record_options.keep_secrets)),
    };
    if silent_restart {
        log::debug!("serving on the reloader's socket at {}", server.server_address());
    } else {
        banner.print(server.server_address());
    }
    serve(server, args, reloader_child)
}

/// Listen (on `inherited`, the reloader's socket, or a new one: check the
/// host, bind, set the backlog) and pick the worker count. The error is
/// the message to print (exit status 1).
fn start_server(
    args: &Args,
    application: Box<dyn Application>,
    inherited: Result<Option<TcpListener>, String>,
) -> Result<WsgiServer, String> {
    let listener = match inherited? {
        Some(listener) => listener,
        None => address::listen(&args.host, args.port, args.backlog)?,
    };
    let mut config = args.config.clone();
    if args.app == "python" && !args.min_threads_given {
        config.min_threads = python_min_threads();
    }
    config.debug_error_page = debug_page(args);
    let server = WsgiServer::from_listener(listener, application, config).map_err(|error| {
        let at = address::host_port(&args.host, args.port);
        format!("Cannot listen on {at}: {error}.")
    })?;
    if let Some(file) = &args.record {
        let recorder = Recorder::open(file, args.record_options.clone())
            .map_err(|error| format!("Cannot record to {}: {error}.", file.display()))?;
        let _ = server.set_recorder(recorder);
    }
    Ok(server)
}

/// Whether the development error page is on: `--debug-page` or
/// `--no-debug-page`, else on for a loopback address.
fn debug_page(args: &Args) -> bool {
    args.debug_page
        .unwrap_or_else(|| address::is_loopback(&args.host, args.port))
}

/// Serve one request (`--once`) or until a signal stops the server; the
/// exit status.
fn serve(server: WsgiServer, args: &Args, reloader_child: bool) -> ExitCode {
    let result = if args.once {
        signals::exit_on_signals();
        server.handle_request()
    } else {
        let stopper = server.shutdown_handle();
        signals::stop_gracefully_on_signals(stopper.clone(), args.config.shutdown_grace, reloader_child);
        if reloader_child {
            signals::stop_when_orphaned(stopper);
        }
        server.serve_forever()
    };
    match result {
        Ok(()) => {
            if !args.once && !reloader_child {
                say!("Server stopped.");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            say!("wsgiref: {error}");
            ExitCode::FAILURE
        }
    }
}
