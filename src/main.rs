//! The `wsgiref` command: serve a built-in WSGI application, like
//! `python -m wsgiref.simple_server`.

use std::io::Write;
use std::process::ExitCode;

use std::time::Duration;

use wsgiref::simple_server::{bytes_app, demo_app, echo_app, hello_app};
use wsgiref::{ServerConfig, WsgiServer};

const HELP: &str = "\
Serve a WSGI application over HTTP, like `python -m wsgiref.simple_server`.

Usage: wsgiref [OPTIONS]

Options:
  --host HOST    Address to listen on [default: 127.0.0.1]
                 (0.0.0.0 for every IPv4 address, :: for IPv6)
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
  --python MODULE:CALLABLE   Serve a Python WSGI application instead, such as
                 myapp:app or mysite.wsgi:application (needs the `python`
                 feature; honours VIRTUAL_ENV)
  --pythonpath DIR           Directory put first on sys.path [default: .]

Limits (defaults in parentheses; see wsgiref::ServerConfig):
  --min-threads N              Worker threads started at once (8)
  --max-threads N              Most worker threads (64)
  --max-queued-connections N   Accepted connections waiting for a worker (1024)
  --max-request-line-bytes N   Longest request line; longer gets 414 (8192)
  --max-head-bytes N           Largest request head; larger gets 431 (32768)
  --max-header-count N         Most header fields; more gets 431 (100)
  --max-body-bytes N           Largest request body; larger gets 413 (no limit)
  --head-timeout SECONDS       Time to receive the request head; 408 after (30)
  --read-timeout SECONDS       Longest wait for request body bytes (30)
  --write-timeout SECONDS      Longest wait for the client to take response bytes (30)
  --drain-timeout SECONDS      Time to discard unread request bytes after the response (2)
  --max-drain-bytes N          Most unread request bytes discarded after the response (67108864)
  --shutdown-grace SECONDS     Time requests in flight get to finish at shutdown (30)

  -h, --help     Print this help
  -V, --version  Print the version

As soon as it listens it prints `Serving HTTP on HOST port PORT ...` on
stdout. Each request is logged on stderr; set RUST_LOG=debug (or trace)
for more.
";

/// What the command line asked for.
struct Args {
    host: String,
    port: u16,
    once: bool,
    app: String,
    /// `--python MODULE:CALLABLE` (which also sets `app` to `python`).
    python: String,
    pythonpath: std::path::PathBuf,
    config: ServerConfig,
}

fn parse_args() -> Result<Option<Args>, lexopt::Error> {
    use lexopt::prelude::*;
    let mut args = Args {
        host: "127.0.0.1".to_string(),
        port: 8000,
        once: false,
        app: "demo".to_string(),
        python: String::new(),
        pythonpath: ".".into(),
        config: ServerConfig::default(),
    };
    let config = &mut args.config;
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
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
            Long("min-threads") => config.min_threads = parser.value()?.parse()?,
            Long("max-threads") => config.max_threads = parser.value()?.parse()?,
            Long("max-queued-connections") => config.max_queued_connections = parser.value()?.parse()?,
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
    Ok(Some(args))
}

/// A duration given in seconds, such as `30` or `0.5`.
fn seconds(value: std::ffi::OsString) -> Result<Duration, lexopt::Error> {
    let text = value.into_string().map_err(lexopt::Error::NonUnicodeValue)?;
    match text
        .parse::<f64>()
        .ok()
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
    {
        Some(duration) => Ok(duration),
        None => Err(format!("invalid number of seconds {text:?}").into()),
    }
}

/// `--python MODULE:CALLABLE`: the application, or a message and an exit code.
#[cfg(feature = "python")]
fn python_application(spec: &str, pythonpath: &std::path::Path) -> Result<Box<dyn wsgiref::Application>, (String, u8)> {
    match wsgiref::python::load(spec, pythonpath) {
        Ok(app) => Ok(Box::new(app)),
        Err(error) => Err((format!("--python {spec}: {error}"), 1)),
    }
}

#[cfg(not(feature = "python"))]
fn python_application(
    _spec: &str,
    _pythonpath: &std::path::Path,
) -> Result<Box<dyn wsgiref::Application>, (String, u8)> {
    Err((
        "this wsgiref was built without the `python` feature; rebuild with `cargo run --features python -- --python ...`".to_string(),
        2,
    ))
}

fn init_logging() {
    use env_logger::Env;
    env_logger::Builder::from_env(Env::default().default_filter_or("info"))
        .format(|out, record| {
            // The access log reads like Python's; other lines say their level and origin.
            if record.target() == "wsgiref::access" || record.target() == wsgiref::trace::TARGET {
                writeln!(out, "{}", record.args())
            } else {
                writeln!(out, "[{} {}] {}", record.level(), record.target(), record.args())
            }
        })
        .init();
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => return ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wsgiref: {error}\nTry 'wsgiref --help' for more information.");
            return ExitCode::from(2);
        }
    };
    init_logging();
    let server = match args.app.as_str() {
        "python" => match python_application(&args.python, &args.pythonpath) {
            Ok(app) => WsgiServer::with_config(&args.host, args.port, app, args.config),
            Err((message, code)) => {
                eprintln!("wsgiref: {message}");
                return ExitCode::from(code);
            }
        },
        "demo" => WsgiServer::with_config(&args.host, args.port, demo_app, args.config),
        "hello" => WsgiServer::with_config(&args.host, args.port, hello_app, args.config),
        "echo" => WsgiServer::with_config(&args.host, args.port, echo_app, args.config),
        "bytes" => WsgiServer::with_config(&args.host, args.port, bytes_app, args.config),
        other => {
            eprintln!("wsgiref: unknown application {other:?}; choose demo, hello, echo or bytes");
            return ExitCode::from(2);
        }
    };
    let server: WsgiServer = match server {
        Ok(server) => server,
        Err(error) => {
            eprintln!("wsgiref: cannot listen on {} port {}: {error}", args.host, args.port);
            return ExitCode::FAILURE;
        }
    };
    let address = server.server_address();
    println!("Serving HTTP on {} port {} ...", address.ip(), address.port());
    let _ = std::io::stdout().flush();
    let result = if args.once {
        server.handle_request()
    } else {
        server.serve_forever()
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("wsgiref: {error}");
            ExitCode::FAILURE
        }
    }
}
