//! The `wsgiref` command: serve a built-in WSGI application, like
//! `python -m wsgiref.simple_server`.

use std::io::Write;
use std::process::ExitCode;

use wsgiref::WsgiServer;
use wsgiref::simple_server::{demo_app, echo_app, hello_app};

const HELP: &str = "\
Serve a WSGI application over HTTP, like `python -m wsgiref.simple_server`.

Usage: wsgiref [OPTIONS]

Options:
  --host HOST    Address to listen on [default: 127.0.0.1]
                 (0.0.0.0 for every IPv4 address, :: for IPv6)
  --port PORT    Port to listen on; 0 picks a free port [default: 8000]
  --once         Handle one request, then exit (as Python's wsgiref does)
  --app NAME     Built-in application to serve [default: demo]:
                   demo   Hello world! and the environ, one key per line
                   hello  200 text/plain 'Hello world!'
                   echo   stream the request body back
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
}

fn parse_args() -> Result<Option<Args>, lexopt::Error> {
    use lexopt::prelude::*;
    let mut args = Args {
        host: "127.0.0.1".to_string(),
        port: 8000,
        once: false,
        app: "demo".to_string(),
    };
    let mut parser = lexopt::Parser::from_env();
    while let Some(arg) = parser.next()? {
        match arg {
            Long("host") => args.host = parser.value()?.string()?,
            Long("port") => args.port = parser.value()?.parse()?,
            Long("once") => args.once = true,
            Long("app") => args.app = parser.value()?.string()?,
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

fn init_logging() {
    use env_logger::Env;
    env_logger::Builder::from_env(Env::default().default_filter_or("info"))
        .format(|out, record| {
            // The access log reads like Python's; other lines say their level and origin.
            if record.target() == "wsgiref::access" {
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
        "demo" => wsgiref::make_server(&args.host, args.port, demo_app),
        "hello" => wsgiref::make_server(&args.host, args.port, hello_app),
        "echo" => wsgiref::make_server(&args.host, args.port, echo_app),
        other => {
            eprintln!("wsgiref: unknown application {other:?}; choose demo, hello or echo");
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
