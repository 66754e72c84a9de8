//! The tutorial, tested: what a chapter shows is what the code does.
//!
//! Each chapter `tutorial/NN-*.md` ties its fenced blocks to the code with
//! an HTML comment on the line before the fence (invisible when rendered):
//!
//! - `<!-- include: examples/01_hello.rs:app -->` before a `rust` (or
//!   `python`) fence: the fence holds exactly the lines between
//!   `// ANCHOR: app` and `// ANCHOR_END: app` of that file (`# ANCHOR:` in
//!   Python), other anchor lines left out. Every `rust` and `python` fence
//!   must have one: no code is pasted by hand.
//! - `<!-- response: APP | curl ... -->` before a `text` fence: what that
//!   `curl` command prints when APP serves it.
//! - `<!-- wire: APP | curl ... -->`: the response bytes exactly as they
//!   arrive, `\r\n` made visible, and how the connection ended.
//! - `<!-- trace: APP | curl ... -->`: the protocol trace the server logs
//!   for that request.
//! - `<!-- log: APP | curl ... -->`: what the server prints on stderr (its
//!   log messages, one per line, as the examples' logger prints them).
//! - `<!-- request: curl ... -->`: the bytes that curl command sends, with
//!   `\r\n` made visible as in the trace.
//! - `<!-- stdout: NAME -->`: what an example prints (a function of the
//!   example that its `main` prints too), or what a Python listing prints
//!   when run (`<!-- stdout: tutorial/python/NN_name.py -->`).
//! - `<!-- tests: NN_name -->`: what `cargo test --example NN_name` prints;
//!   the example's tests are compiled into this file and run with it.
//! - `<!-- file: PATH -->`: what the file at PATH (from the crate root)
//!   holds, exactly (a recording that an example's test replays).
//! - `<!-- cgi: APP | [printf 'BODY' |] VAR=value ... PROGRAM -->`: what
//!   APP prints on stdout as a CGI program run with those environment
//!   variables and that stdin (PROGRAM is `cargo run --example NN_name` or
//!   `python3 tutorial/python/NN_name.py`, and must match APP).
//!
//! With `TUTORIAL_BLESS=1` in the environment, `include:` blocks that
//! differ are rewritten from the code (after `cargo fmt`, say); shown
//! output is never rewritten.
//!
//! Every `text` fence must have one of these (a diagram uses a fence with
//! no language, which is not checked). APP names an application:
//! `01_hello::app` (a function of `examples/01_hello.rs`),
//! `06_middleware::app()` (a function that builds one),
//! `simple_server::demo_app` (the library's), or
//! `python/01_hello.py::app` (a Python listing, served by CPython's
//! wsgiref). The command must also appear in a `console` block of the
//! chapter, so the reader is shown the command whose output is checked;
//! every `cargo run --example NAME` in a `console` block must name an
//! existing example.
//!
//! Rust applications run on the real server (`make_server` on
//! `127.0.0.1:0`, then `handle_request()`); the request is the bytes curl
//! sends. In the shown output, the server's real port reads `8000` (the
//! port the examples use), CR LF reads as LF, and these placeholders stand
//! for what changes from run to run: `<DATE>`, `<PORT>` (a client's port),
//! `<TIME>`, `<VERSION>` (of curl, Python or this crate) and `<N>` (a
//! number that depends on the others). Otherwise it matches byte for byte.
//!
//! Python listings in `tutorial/python/` are byte-compiled with
//! `python3 -m py_compile`; those whose output a chapter shows are run.
//! Each chapter's Python listing `python/NN_name.py` is also sent every
//! request the chapter sends to `NN_name::APP` (served by CPython's
//! wsgiref, as the Python function or object of the same name), and must
//! answer with the same status and body, except where `PYTHON_DIFFERS`
//! says why not; chapter 11's listing runs its unit tests, and
//! `<!-- cgi-server: SCRIPT | curl ... -->` shows what curl prints when
//! `python3 -m http.server --cgi` runs SCRIPT as `cgi-bin/hello`.
//! Without `python3` these checks are skipped with a printed note.

#![allow(clippy::print_stdout)]

mod common;
#[cfg(feature = "python")]
#[path = "python/venv.rs"]
mod venv;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Mutex, MutexGuard, Once};

use wsgiref::handlers::BaseCgiHandler;
use wsgiref::simple_server::{demo_app, hello_app};
use wsgiref::static_files::StaticFiles;
use wsgiref::{Application, ServerConfig, WsgiServer};

// Chapter 14's example loads examples/01_hello.rs as its `hello` module;
// loading the file a second time here would make two copies of it.
use ex14::hello as ex01;
#[allow(dead_code)]
#[path = "../examples/02_environ.rs"]
mod ex02;
#[allow(dead_code)]
#[path = "../examples/03_start_response.rs"]
mod ex03;
#[allow(dead_code)]
#[path = "../examples/04_bodies.rs"]
mod ex04;
#[allow(dead_code)]
#[path = "../examples/05_input.rs"]
mod ex05;
#[allow(dead_code)]
#[path = "../examples/06_middleware.rs"]
mod ex06;
#[allow(dead_code)]
#[path = "../examples/07_errors.rs"]
mod ex07;
#[allow(dead_code)]
#[path = "../examples/08_routing.rs"]
mod ex08;
#[allow(dead_code)]
#[path = "../examples/09_files.rs"]
mod ex09;
#[allow(dead_code)]
#[path = "../examples/10_validate.rs"]
mod ex10;
#[allow(dead_code)]
#[path = "../examples/11_testing.rs"]
mod ex11;
#[allow(dead_code)]
#[path = "../examples/12_server.rs"]
mod ex12;
// Chapter 15's example loads examples/13_cgi.rs as its `cgi` module.
use ex15::cgi as ex13;
#[allow(dead_code)]
#[path = "../examples/14_tiny_server.rs"]
mod ex14;
#[allow(dead_code)]
#[path = "../examples/15_uwsgi.rs"]
mod ex15;
#[allow(dead_code)]
#[path = "../tutorial/project/src/main.rs"]
mod own_project;

/// The chapters, in order, as the issue lists them.
const CHAPTERS: [&str; 18] = [
    "00-what-is-wsgi.md",
    "01-hello-wsgi.md",
    "01b-your-own-project.md",
    "02-environ.md",
    "03-start-response.md",
    "04-response-bodies.md",
    "05-reading-the-request.md",
    "06-middleware.md",
    "07-errors.md",
    "08-routing.md",
    "09-serving-files.md",
    "10-validation.md",
    "11-testing.md",
    "12-the-server.md",
    "13-cgi.md",
    "14-tiny-server.md",
    "15-wsgi-uwsgi-asgi.md",
    "16-real-frameworks.md",
];

/// A Rust application the chapters can name, with the server configuration
/// its example's `main` uses.
fn rust_server(name: &str) -> (Box<dyn Application>, ServerConfig) {
    let application: Box<dyn Application> = match name {
        "simple_server::demo_app" => Box::new(demo_app),
        "simple_server::hello_app" => Box::new(hello_app),
        r#"static_files::StaticFiles::mount("/static", "tutorial/static", demo_app)"# => {
            Box::new(StaticFiles::mount("/static", root().join("tutorial/static"), demo_app).expect("tutorial/static"))
        }
        "01_hello::app" => Box::new(ex01::app),
        "02_environ::app" => Box::new(ex02::app),
        "03_start_response::app" => Box::new(ex03::app),
        "04_bodies::app" => Box::new(ex04::app),
        "05_input::app" => Box::new(ex05::app),
        "06_middleware::app" => Box::new(ex06::app),
        "07_errors::app" => Box::new(ex07::app),
        "08_routing::app" => Box::new(ex08::app),
        "08_routing::site()" => Box::new(ex08::site()),
        "09_files::app" => Box::new(ex09::app),
        "10_validate::app()" => Box::new(ex10::app()),
        "11_testing::app" => Box::new(ex11::app),
        "13_cgi::app" => Box::new(ex13::app),
        "own_project::app" => Box::new(own_project::app),
        "12_server::app()" => return (Box::new(ex12::Counter::default()), ex12::config()),
        _ => panic!("unknown application {name:?}: add it to rust_server() in tests/tutorial.rs"),
    };
    (application, ServerConfig::default())
}

/// The uwsgi packet nginx sent, captured for chapter 15.
fn captured_packet() -> Vec<u8> {
    std::fs::read(root().join(ex15::CAPTURED)).expect("the captured packet")
}

/// What a Python listing prints on stdout when run as a program; `None`
/// without python3.
fn python_stdout(listing: &str) -> Option<String> {
    let Ok(output) = python().arg(root().join(listing)).output() else {
        println!("note: python3 not found; not running {listing}");
        return None;
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python3 {listing} failed:\n{stderr}");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// What an example prints, for `stdout:` blocks.
fn example_stdout(name: &str) -> String {
    let printed = match name {
        "12_server::compare()" => ex12::compare(),
        "15_uwsgi::describe(CAPTURED)" => ex15::describe(&captured_packet()),
        "15_uwsgi::answer(CAPTURED)" => ex15::answer(&captured_packet()),
        _ => panic!("unknown stdout {name:?}: add it to example_stdout() in tests/tutorial.rs"),
    };
    printed.unwrap_or_else(|error| panic!("{name} failed: {error}"))
}

#[test]
fn chapter_00() {
    check_chapter(CHAPTERS[0]);
}

#[test]
fn chapter_01() {
    check_chapter(CHAPTERS[1]);
}

#[test]
fn chapter_01b() {
    check_chapter(CHAPTERS[2]);
}

#[test]
fn chapter_02() {
    check_chapter(CHAPTERS[3]);
}

#[test]
fn chapter_03() {
    check_chapter(CHAPTERS[4]);
}

#[test]
fn chapter_04() {
    check_chapter(CHAPTERS[5]);
}

#[test]
fn chapter_05() {
    check_chapter(CHAPTERS[6]);
}

#[test]
fn chapter_06() {
    check_chapter(CHAPTERS[7]);
}

#[test]
fn chapter_07() {
    check_chapter(CHAPTERS[8]);
}

#[test]
fn chapter_08() {
    check_chapter(CHAPTERS[9]);
}

#[test]
fn chapter_09() {
    check_chapter(CHAPTERS[10]);
}

#[test]
fn chapter_10() {
    check_chapter(CHAPTERS[11]);
}

#[test]
fn chapter_11() {
    check_chapter(CHAPTERS[12]);
}

#[test]
fn chapter_12() {
    check_chapter(CHAPTERS[13]);
}

#[test]
fn chapter_13() {
    check_chapter(CHAPTERS[14]);
}

#[test]
fn chapter_14() {
    check_chapter(CHAPTERS[15]);
}

#[test]
fn chapter_15() {
    check_chapter(CHAPTERS[16]);
}

#[test]
fn chapter_16() {
    check_chapter(CHAPTERS[17]);
}

// ---------------------------------------------------------------------------
// Reading chapters

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// A fenced block of a chapter, with the marker comment before it.
#[derive(Debug)]
struct Fence {
    /// 1-based line of the opening fence.
    line: usize,
    /// The info string: `rust`, `text`, `console`, ...
    lang: String,
    /// What the comment on the line before says, without `<!--` and `-->`.
    marker: Option<String>,
    /// The lines inside, each ending with `\n`.
    content: String,
}

fn fences(markdown: &str) -> Vec<Fence> {
    let mut fences = Vec::new();
    let mut lines = markdown.lines().enumerate();
    let mut previous: Option<&str> = None;
    while let Some((number, line)) = lines.next() {
        if let Some(lang) = line.strip_prefix("```") {
            let marker = previous
                .and_then(|p| p.trim().strip_prefix("<!--"))
                .and_then(|p| p.strip_suffix("-->"))
                .map(|m| m.trim().to_string());
            let mut content = String::new();
            for (_, inner) in lines.by_ref() {
                if inner.starts_with("```") {
                    break;
                }
                content.push_str(inner);
                content.push('\n');
            }
            fences.push(Fence {
                line: number + 1,
                lang: lang.trim().to_string(),
                marker,
                content,
            });
            previous = None;
        } else if !line.trim().is_empty() {
            previous = Some(line);
        }
    }
    fences
}

/// The lines between `ANCHOR: name` and `ANCHOR_END: name` (all lines when
/// `name` is `None`), without any anchor lines.
fn anchored(path: &Path, name: Option<&str>) -> String {
    let source = read(path);
    let is_anchor = |line: &str| {
        let line = line.trim_start();
        let comment = line.strip_prefix("//").or_else(|| line.strip_prefix('#'));
        comment.is_some_and(|c| c.trim_start().starts_with("ANCHOR"))
    };
    let mut inside = name.is_none();
    let mut found = name.is_none();
    let mut out = String::new();
    for line in source.lines() {
        if let Some(name) = name {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() == 3 && is_anchor(line) && words[2] == name {
                match words[1] {
                    "ANCHOR:" => {
                        inside = true;
                        found = true;
                    }
                    "ANCHOR_END:" => inside = false,
                    _ => {}
                }
                continue;
            }
        }
        if inside && !is_anchor(line) {
            out.push_str(line);
            out.push('\n');
        }
    }
    assert!(found, "{} has no `ANCHOR: {}`", path.display(), name.unwrap_or(""));
    out
}

/// Check every fence of a chapter; panic with every failure found.
fn check_chapter(file: &str) {
    let path = root().join("tutorial").join(file);
    let markdown = read(&path);
    let consoles: String = fences(&markdown)
        .into_iter()
        .filter(|fence| fence.lang == "console")
        .map(|fence| fence.content)
        .collect();
    let mut failures = String::new();
    let mut blessed = markdown.clone();
    let mut fail = |fence: &Fence, message: String| {
        let _ = writeln!(failures, "\n{file}:{}: {message}", fence.line);
    };
    for fence in fences(&markdown) {
        let marker = fence.marker.clone().unwrap_or_default();
        let (kind, argument) = marker.split_once(':').unwrap_or(("", ""));
        let argument = argument.trim();
        match (fence.lang.as_str(), kind) {
            ("rust" | "python", "include") => {
                let (file, name) = match argument.rsplit_once(':') {
                    Some((file, name)) => (file, Some(name)),
                    None => (argument, None),
                };
                let expected = anchored(&root().join(file), name);
                if fence.content != expected && std::env::var_os("TUTORIAL_BLESS").is_some() {
                    let fenced = |content: &str| format!("<!-- {marker} -->\n```{}\n{content}```\n", fence.lang);
                    blessed = blessed.replacen(&fenced(&fence.content), &fenced(&expected), 1);
                } else if fence.content != expected {
                    fail(&fence, format!("differs from {argument}:\n{}", diff(&expected, &fence.content)));
                }
            }
            ("rust" | "python", _) => fail(&fence, "code without an `<!-- include: FILE:ANCHOR -->` marker".into()),
            ("text", "response" | "wire" | "trace" | "log" | "cgi") => {
                let (application, command) = argument
                    .split_once('|')
                    .map(|(a, c)| (a.trim(), c.trim()))
                    .unwrap_or_else(|| panic!("{file}:{}: `{kind}: APP | COMMAND` expected", fence.line));
                if !consoles.contains(command) {
                    fail(&fence, format!("no console block shows the command `{command}`"));
                    continue;
                }
                let Some(actual) = run(kind, application, command) else {
                    continue;
                };
                if let Err(message) = matches(&fence.content, &actual) {
                    fail(&fence, format!("`{marker}` printed something else: {message}"));
                }
            }
            ("text", "cgi-server") => {
                let (script, command) = argument
                    .split_once('|')
                    .map(|(a, c)| (a.trim(), c.trim()))
                    .unwrap_or_else(|| panic!("{file}:{}: `cgi-server: SCRIPT | COMMAND` expected", fence.line));
                if !consoles.contains(command) {
                    fail(&fence, format!("no console block shows the command `{command}`"));
                    continue;
                }
                let Some(actual) = run_cgi_server(script, command) else {
                    continue;
                };
                if let Err(message) = matches(&fence.content, &actual) {
                    fail(&fence, format!("`{marker}` printed something else: {message}"));
                }
            }
            ("text", "request") => {
                let actual = escaped_lines(&Curl::parse(argument).request());
                if let Err(message) = matches(&fence.content, &actual) {
                    fail(&fence, format!("`{marker}` sends something else: {message}"));
                }
            }
            ("text", "stdout") if argument.ends_with(".py") => {
                let Some(actual) = python_stdout(argument) else {
                    continue;
                };
                if let Err(message) = matches(&fence.content, &actual) {
                    fail(&fence, format!("`{marker}` printed something else: {message}"));
                }
            }
            ("text", "stdout") => {
                let actual = example_stdout(argument);
                if let Err(message) = matches(&fence.content, &actual) {
                    fail(&fence, format!("`{marker}` printed something else: {message}"));
                }
            }
            ("text", "file") => {
                let actual = read(&root().join(argument));
                if fence.content != actual {
                    fail(&fence, format!("differs from {argument}:\n{}", diff(&actual, &fence.content)));
                }
            }
            ("text", "tests") => {
                let actual = cargo_test_output(argument);
                if let Err(message) = matches(&fence.content, &actual) {
                    fail(&fence, format!("`{marker}`: {message}"));
                }
            }
            ("text", _) => fail(&fence, "output without a `<!-- response: APP | COMMAND -->` marker (or wire, trace, log, request, stdout, tests, file, cgi, cgi-server)".into()),
            ("console", _) => {
                for example in mentioned_examples(&fence.content) {
                    if !root().join("examples").join(format!("{example}.rs")).exists() {
                        fail(&fence, format!("examples/{example}.rs does not exist"));
                    }
                }
            }
            _ => {}
        }
    }
    if blessed != markdown {
        std::fs::write(&path, blessed).expect("write the blessed chapter");
    }
    check_python_twins(file, &markdown, &mut failures);
    assert!(failures.is_empty(), "{failures}");
}

/// The `NAME`s of `cargo run --example NAME` and `cargo test --example NAME`.
fn mentioned_examples(console: &str) -> Vec<String> {
    let words: Vec<&str> = console.split_whitespace().collect();
    words
        .windows(2)
        .filter(|pair| pair[0] == "--example")
        .map(|pair| pair[1].to_string())
        .collect()
}

// ---------------------------------------------------------------------------
// Running applications

/// Runs one at a time: the log capture is shared.
static SERVER_LOCK: Mutex<()> = Mutex::new(());

fn lock() -> MutexGuard<'static, ()> {
    SERVER_LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A log message: the thread that wrote it, target, level, message.
type Logged = (std::thread::ThreadId, String, log::Level, String);

/// The log messages written while a chapter's server ran. The example's
/// tests (chapter 11) run servers at the same time, so only messages from
/// the thread that called `handle_request` count.
static LOGGED: Mutex<Vec<Logged>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Info
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            let entry = (
                std::thread::current().id(),
                record.target().to_string(),
                record.level(),
                record.args().to_string(),
            );
            LOGGED.lock().unwrap_or_else(|p| p.into_inner()).push(entry);
        }
    }
    fn flush(&self) {}
}

fn start_capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&Capture).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Info);
    });
    LOGGED.lock().unwrap_or_else(|p| p.into_inner()).clear();
}

/// The messages this thread logged: (target, level, message).
fn take_log() -> Vec<(String, log::Level, String)> {
    let logged = std::mem::take(&mut *LOGGED.lock().unwrap_or_else(|p| p.into_inner()));
    let this_thread = std::thread::current().id();
    logged
        .into_iter()
        .filter(|(thread, _, _, _)| *thread == this_thread)
        .map(|(_, target, level, message)| (target, level, message))
        .collect()
}

/// The bytes a client read, and how the connection ended.
type Response = (Vec<u8>, common::Ending);

/// Run `command` against `application` and render what the reader sees;
/// `None` when it cannot run here (no python3).
fn run(kind: &str, application: &str, command: &str) -> Option<String> {
    if kind == "cgi" {
        return run_cgi(application, command);
    }
    let curl = Curl::parse(command);
    let tiny = application
        .strip_prefix("14_tiny_server::handle(")
        .and_then(|inner| inner.strip_suffix(')'));
    let (response, port, log) = if let Some(inner) = tiny {
        let (response, port) = serve_tiny(rust_server(inner).0, curl.request());
        (response, port, Vec::new())
    } else if let Some(spec) = application.strip_prefix("wsgiref --python ") {
        let (response, port) = serve_with_python_feature(spec, curl.request())?;
        (response, port, Vec::new())
    } else if let Some(listing) = application.strip_prefix("venv:") {
        let (listing, name) = listing.split_once(".py::").expect("venv:python/NN_name.py::APP");
        let (response, port) = serve_python_in_venv(&format!("tutorial/{listing}.py"), name, curl.request())?;
        (response, port, Vec::new())
    } else if let Some((listing, name)) = application.split_once(".py::") {
        let (response, port) = serve_python(&format!("tutorial/{listing}.py"), name, curl.request())?;
        (response, port, Vec::new())
    } else {
        let (app, mut config) = rust_server(application);
        config.trace = kind == "trace";
        let _guard = lock();
        start_capture();
        let (response, port) = serve_rust(app, config, curl.request());
        (response, port, take_log())
    };
    let text = match kind {
        "response" => curl.render(&response.0, response.1),
        "wire" => wire(&response),
        "trace" => log
            .iter()
            .filter(|(target, _, _)| target == wsgiref::trace::TARGET)
            .map(|(_, _, message)| format!("{message}\n"))
            .collect(),
        _ => log.iter().map(|(_, _, message)| format!("{message}\n")).collect(),
    };
    Some(with_port(&text, port, "8000"))
}

/// Serve one request with the real server; returns the response and the port.
fn serve_rust(application: Box<dyn Application>, config: ServerConfig, request: Vec<u8>) -> (Response, u16) {
    let server = WsgiServer::with_config("127.0.0.1", 0, application, config).expect("bind 127.0.0.1:0");
    let address = server.server_address();
    let client = std::thread::spawn(move || common::send_until_closed(address, &request));
    server.handle_request().expect("handle_request");
    let response = client.join().expect("the client thread");
    (response, address.port())
}

/// Serve one request with chapter 14's tiny server; returns the response
/// and the port.
fn serve_tiny(application: Box<dyn Application>, request: Vec<u8>) -> (Response, u16) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let address = listener.local_addr().expect("the listening address");
    let client = std::thread::spawn(move || common::send_until_closed(address, &request));
    let (stream, _) = listener.accept().expect("accept");
    if let Err(error) = ex14::handle(stream, &*application) {
        println!("the tiny server: {error}");
    }
    (client.join().expect("the client thread"), address.port())
}

/// Serve one request with `wsgiref --python SPEC --pythonpath tutorial/python
/// --once` in the virtual environment of `tests/python.rs` (Flask, Django);
/// `None` without the `python` feature.
#[cfg(feature = "python")]
fn serve_with_python_feature(spec: &str, request: Vec<u8>) -> Option<(Response, u16)> {
    let pythonpath = root().join("tutorial/python");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wsgiref"))
        .args(["--python", spec, "--pythonpath"])
        .arg(&pythonpath)
        .args(["--port", "0", "--once"])
        .env_remove("PYTHONPATH")
        .env("VIRTUAL_ENV", venv::python_venv())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wsgiref --python");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("the banner");
    let port = line
        .split(" port ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|port| port.parse::<u16>().ok());
    let Some(port) = port else {
        let _ = child.kill();
        let output = child.wait_with_output().expect("wsgiref exits");
        panic!(
            "wsgiref --python {spec} did not start: {line:?}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let response = common::send_until_closed(std::net::SocketAddr::from(([127, 0, 0, 1], port)), &request);
    let _ = child.kill();
    let _ = child.wait();
    Some((response, port))
}

#[cfg(not(feature = "python"))]
fn serve_with_python_feature(spec: &str, _request: Vec<u8>) -> Option<(Response, u16)> {
    println!("note: the python feature is off; not serving {spec} (cargo test --features python does)");
    None
}

/// Serve one request with CPython's wsgiref and a listing that needs the
/// virtual environment of `tests/python.rs`; `None` without the `python`
/// feature (which makes that environment).
#[cfg(feature = "python")]
fn serve_python_in_venv(listing: &str, name: &str, request: Vec<u8>) -> Option<(Response, u16)> {
    let python = venv::python_venv().join("bin").join("python");
    serve_python_with(Command::new(python), listing, name, request)
}

#[cfg(not(feature = "python"))]
fn serve_python_in_venv(listing: &str, _name: &str, _request: Vec<u8>) -> Option<(Response, u16)> {
    println!("note: the python feature is off; not serving {listing} (cargo test --features python does)");
    None
}

/// Serve one request with CPython's wsgiref and the listing's application.
fn serve_python(listing: &str, name: &str, request: Vec<u8>) -> Option<(Response, u16)> {
    serve_python_with(python(), listing, name, request)
}

/// Serve one request with `python` running CPython's wsgiref and the
/// listing's application.
fn serve_python_with(mut python: Command, listing: &str, name: &str, request: Vec<u8>) -> Option<(Response, u16)> {
    const SERVE: &str = "
import importlib.util, sys
from wsgiref.simple_server import make_server, WSGIRequestHandler
spec = importlib.util.spec_from_file_location('listing', sys.argv[1])
listing = importlib.util.module_from_spec(spec)
spec.loader.exec_module(listing)
class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass
with make_server('127.0.0.1', 0, getattr(listing, sys.argv[2]), handler_class=Quiet) as server:
    print(server.server_port, flush=True)
    server.handle_request()
";
    let mut child = match python
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .arg("-c")
        .arg(SERVE)
        .arg(root().join(listing))
        .arg(name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(child) => child,
        Err(_) => {
            println!("note: python3 not found; not running {listing}");
            return None;
        }
    };
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("the port python3 printed");
    let Ok(port) = line.trim().parse::<u16>() else {
        let output = child.wait_with_output().expect("python3 exits");
        panic!(
            "{listing} did not start serving {name}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let response = common::send_until_closed(std::net::SocketAddr::from(([127, 0, 0, 1], port)), &request);
    let output = child.wait_with_output().expect("python3 exits");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python3 serving {listing} failed:\n{stderr}");
    Some((response, port))
}

fn python() -> Command {
    let mut command = Command::new("python3");
    command.env("PYTHONDONTWRITEBYTECODE", "1");
    command
}

// ---------------------------------------------------------------------------
// The Python listings, run against their chapter's requests

/// Where a chapter's Python listing and its Rust example answer a request
/// differently on purpose: (Rust application, command, what the chapter
/// says about it). Every other request a chapter sends to a Rust example
/// must get the same status and body from the Python listing (served by
/// CPython's wsgiref); a listed one must differ (or the entry is stale).
const PYTHON_DIFFERS: &[(&str, &str, &str)] = &[
    (
        "05_input::app",
        "curl -H 'Transfer-Encoding: chunked' -d 'sent in chunks' http://127.0.0.1:8000/upload",
        "CPython's wsgiref does not decode a chunked body nor set wsgi.input_terminated: 411",
    ),
    (
        "09_files::app",
        "curl -I http://127.0.0.1:8000/",
        "CPython's wsgiref sends the body of a HEAD response; ours does not",
    ),
    (
        "12_server::app()",
        "curl -i --data-binary @tutorial/static/index.html http://127.0.0.1:8000/",
        "CPython's wsgiref has no max_body_bytes: the application counts the request",
    ),
];

/// The Python listing that mirrors a chapter's Rust application:
/// `03_start_response::app` is mirrored by `python/03_start_response.py::app`.
fn python_twin(application: &str) -> Option<String> {
    let (example, function) = application.split_once("::")?;
    let listing = format!("python/{example}.py");
    root()
        .join("tutorial")
        .join(&listing)
        .exists()
        .then(|| format!("{listing}::{}", function.trim_end_matches("()")))
}

/// Status code and body (de-chunked) of a response, as the comparison sees it.
fn status_and_body(response: &[u8]) -> (u16, Vec<u8>) {
    let (head, body) = common::split_raw_response(response);
    let chunked = common::header(&head, "Transfer-Encoding").is_some_and(|coding| coding == "chunked");
    let body = if chunked { common::decode_chunked(&body).0 } else { body };
    (common::status(&head), body)
}

/// Send every request the chapter sends to a Rust example to the Python
/// listing too, and compare status and body.
fn check_python_twins(file: &str, markdown: &str, failures: &mut String) {
    let mut seen = Vec::new();
    for fence in fences(markdown) {
        let marker = fence.marker.unwrap_or_default();
        let Some((kind, argument)) = marker.split_once(':') else {
            continue;
        };
        if !matches!(kind.trim(), "response" | "wire" | "trace" | "log") {
            continue;
        }
        let Some((application, command)) = argument.split_once('|').map(|(a, c)| (a.trim(), c.trim())) else {
            continue;
        };
        let Some(twin) = python_twin(application) else {
            continue;
        };
        if seen.contains(&(application.to_string(), command.to_string())) {
            continue;
        }
        seen.push((application.to_string(), command.to_string()));
        let request = Curl::parse(command).request();
        let (listing, name) = twin.split_once(".py::").expect("a listing");
        let Some((python, _)) = serve_python(&format!("tutorial/{listing}.py"), name, request.clone()) else {
            return;
        };
        let (app, config) = rust_server(application);
        let rust = {
            let _guard = lock();
            start_capture();
            let (response, _) = serve_rust(app, config, request);
            take_log();
            response
        };
        let (rust, python) = (status_and_body(&rust.0), status_and_body(&python.0));
        let differs = PYTHON_DIFFERS
            .iter()
            .any(|(a, c, _)| *a == application && *c == command);
        if differs && rust == python {
            let _ = writeln!(
                failures,
                "\n{file}:{}: `{command}`: {twin} now answers as {application} does; remove it from PYTHON_DIFFERS",
                fence.line
            );
        } else if !differs && rust != python {
            let _ = writeln!(
                failures,
                "\n{file}:{}: `{command}`: {twin} answers {} {:?}, {application} answers {} {:?}",
                fence.line,
                python.0,
                String::from_utf8_lossy(&python.1),
                rust.0,
                String::from_utf8_lossy(&rust.1),
            );
        }
    }
}

/// What a CGI program prints on stdout for `command`, which is
/// `[printf 'BODY' |] NAME=value ... PROGRAM`: PROGRAM is the example
/// (`cargo run --example NN_name`), run in-process through
/// `BaseCgiHandler` as `CgiHandler` would run it, or a Python listing
/// (`python3 tutorial/python/NN_name.py`), run by python3.
fn run_cgi(application: &str, command: &str) -> Option<String> {
    let (stdin, command) = match command.split_once(" | ") {
        Some((printf, rest)) if printf.starts_with("printf ") => (shell_words(printf)[1].clone().into_bytes(), rest),
        _ => (Vec::new(), command),
    };
    let words = shell_words(command);
    let first_word = words.iter().position(|word| !word.contains('=')).expect("a program");
    let vars: Vec<(String, String)> = words[..first_word]
        .iter()
        .filter_map(|word| word.split_once('='))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    let program = words[first_word..].join(" ");
    let stdout = if let Some((listing, _)) = application.split_once(".py::") {
        let script = format!("tutorial/{listing}.py");
        assert_eq!(program, format!("python3 {script}"), "the command runs another program");
        let mut child = match python()
            .arg(root().join(&script))
            .envs(vars)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
        {
            Ok(child) => child,
            Err(_) => {
                println!("note: python3 not found; not running {script}");
                return None;
            }
        };
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(&stdin)
            .expect("write stdin");
        let output = child.wait_with_output().expect("python3 exits");
        assert!(output.status.success(), "{script} failed");
        output.stdout
    } else {
        let example = application.split("::").next().unwrap_or_default();
        assert_eq!(
            program,
            format!("cargo run --example {example}"),
            "the command runs another program"
        );
        let (app, _) = rust_server(application);
        let vars = vars.into_iter().map(|(name, value)| (name.into(), value.into()));
        let environ = wsgiref::handlers::read_environ_from(vars);
        let mut handler = BaseCgiHandler::new(std::io::Cursor::new(stdin), Vec::new(), Vec::new(), environ);
        handler.multithread = false;
        handler.multiprocess = true;
        handler.run_once = true;
        handler.run(&*app);
        handler.into_output().expect("the CGI output")
    };
    Some(String::from_utf8_lossy(&stdout).replace("\r\n", "\n"))
}

/// What curl prints for `command` when `python3 -m http.server --cgi`
/// serves `script` as `cgi-bin/hello` (chapter 13); `None` without python3.
fn run_cgi_server(script: &str, command: &str) -> Option<String> {
    let site = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("cgi-site-{}", std::process::id()));
    let cgi_bin = site.join("cgi-bin");
    std::fs::create_dir_all(&cgi_bin).expect("create cgi-bin");
    let program = cgi_bin.join("hello");
    std::fs::copy(root().join(script), &program).expect("copy the CGI program");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).expect("chmod +x");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let Ok(mut child) = python()
        .args(["-m", "http.server", "--cgi", "--bind", "127.0.0.1", &port.to_string()])
        .current_dir(&site)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
    else {
        println!("note: python3 not found; not running python3 -m http.server --cgi");
        return None;
    };
    let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(address).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "http.server did not start in 10 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let curl = Curl::parse(command);
    let (response, ending) = common::send_until_closed(address, &curl.request());
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&site);
    Some(with_port(&curl.render(&response, ending), port, "8000"))
}

/// What `cargo test --example NAME` prints when every test of the
/// example passes: its `#[test]` functions in name order (libtest prints
/// them as they finish; the chapter says the order may vary). They really
/// run: this file compiles the example with its tests.
fn cargo_test_output(example: &str) -> String {
    let source = read(&root().join("examples").join(format!("{example}.rs")));
    let lines: Vec<&str> = source.lines().map(str::trim).collect();
    let mut names: Vec<String> = lines
        .windows(2)
        .filter(|pair| pair[0] == "#[test]")
        .filter_map(|pair| pair[1].strip_prefix("fn "))
        .filter_map(|rest| rest.split('(').next())
        .map(|name| format!("tests::{name}"))
        .collect();
    names.sort();
    let count = names.len();
    let mut out = format!("running {count} tests\n");
    for name in names {
        let _ = writeln!(out, "test {name} ... ok");
    }
    let _ = write!(
        out,
        "\ntest result: ok. {count} passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in <TIME>s\n"
    );
    out
}

/// Replace the number `port` (not part of a longer number) by `with`.
fn with_port(text: &str, port: u16, with: &str) -> String {
    let port = port.to_string();
    let mut out = String::with_capacity(text.len());
    let mut start = 0;
    while let Some(found) = text[start..].find(&port) {
        let at = start + found;
        let end = at + port.len();
        let digit_before = text[..at].ends_with(|c: char| c.is_ascii_digit());
        let digit_after = text[end..].starts_with(|c: char| c.is_ascii_digit());
        out.push_str(&text[start..at]);
        out.push_str(if digit_before || digit_after { &port } else { with });
        start = end;
    }
    out.push_str(&text[start..]);
    out
}

// ---------------------------------------------------------------------------
// curl, as far as the chapters use it

/// A curl command line: the request it sends and how it prints the answer.
#[derive(Debug)]
struct Curl {
    method: String,
    target: String,
    host: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    /// `-i`: print the response head too.
    include_head: bool,
    /// `-I`: HEAD, print only the head.
    head_only: bool,
}

impl Curl {
    fn parse(command: &str) -> Curl {
        let words = shell_words(command);
        assert_eq!(
            words.first().map(String::as_str),
            Some("curl"),
            "not a curl command: {command}"
        );
        let mut curl = Curl {
            method: "GET".into(),
            target: String::new(),
            host: String::new(),
            headers: Vec::new(),
            body: None,
            include_head: false,
            head_only: false,
        };
        let mut method = None;
        let mut path_as_is = false;
        let mut words = words.into_iter().skip(1);
        while let Some(word) = words.next() {
            let mut value = || {
                words
                    .next()
                    .unwrap_or_else(|| panic!("{word} needs a value in {command}"))
            };
            match word.as_str() {
                "-i" => curl.include_head = true,
                "-I" => curl.head_only = true,
                "-s" | "-N" => {}
                "--path-as-is" => path_as_is = true,
                "-X" => method = Some(value()),
                "-H" => {
                    let header = value();
                    let (name, value) = header.split_once(':').expect("-H 'Name: value'");
                    curl.headers.push((name.to_string(), value.trim().to_string()));
                }
                "-d" | "--data-binary" => {
                    let data = value();
                    let data = match data.strip_prefix('@') {
                        Some(file) => std::fs::read(root().join(file)).expect("the file given to curl"),
                        None => data.into_bytes(),
                    };
                    let body = curl.body.get_or_insert_with(Vec::new);
                    if !body.is_empty() {
                        body.push(b'&');
                    }
                    body.extend_from_slice(&data);
                }
                url if url.starts_with("http://") => {
                    let rest = &url["http://".len()..];
                    let (host, target) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                    curl.host = host.to_string();
                    curl.target = if target.is_empty() { "/".into() } else { target.into() };
                }
                other => panic!("curl option {other:?} is not emulated (in {command})"),
            }
        }
        let has_dot_segment = curl.target.split(['/', '?']).any(|s| s == "." || s == "..");
        assert!(
            !has_dot_segment || path_as_is,
            "curl removes ./ and ../ without --path-as-is: {command}"
        );
        curl.method = match (method, curl.head_only, &curl.body) {
            (Some(method), _, _) => method,
            (None, true, _) => "HEAD".into(),
            (None, false, Some(_)) => "POST".into(),
            (None, false, None) => "GET".into(),
        };
        curl
    }

    /// The bytes curl 7.88 sends: Host, User-Agent, Accept, then `-H`
    /// headers, then Content-Length and Content-Type for a body.
    fn request(&self) -> Vec<u8> {
        let mut head = format!("{} {} HTTP/1.1\r\n", self.method, self.target);
        let given = |name: &str| self.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
        for (name, value) in [
            ("Host", self.host.as_str()),
            ("User-Agent", "curl/7.88.1"),
            ("Accept", "*/*"),
        ] {
            if !given(name) {
                let _ = write!(head, "{name}: {value}\r\n");
            }
        }
        for (name, value) in &self.headers {
            if !value.is_empty() {
                let _ = write!(head, "{name}: {value}\r\n");
            }
        }
        let chunked = self
            .headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("Transfer-Encoding") && v.eq_ignore_ascii_case("chunked"));
        let mut body = Vec::new();
        if let Some(data) = &self.body {
            if chunked {
                body = format!("{:x}\r\n", data.len()).into_bytes();
                body.extend_from_slice(data);
                body.extend_from_slice(b"\r\n0\r\n\r\n");
            } else {
                if !given("Content-Length") {
                    let _ = write!(head, "Content-Length: {}\r\n", data.len());
                }
                body = data.clone();
            }
            if !given("Content-Type") {
                head.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            }
        }
        head.push_str("\r\n");
        let mut request = head.into_bytes();
        request.extend_from_slice(&body);
        request
    }

    /// What curl prints for `response`: the head when asked (`-i`, `-I`),
    /// then the body (decoded when chunked), then curl's error line when
    /// the response was cut off (curl 7.88's wording).
    fn render(&self, response: &[u8], ending: common::Ending) -> String {
        let (head, body) = common::split_raw_response(response);
        let chunked = common::header(&head, "Transfer-Encoding").is_some_and(|coding| coding == "chunked");
        let (body, cut) = match (chunked, ending) {
            (true, _) => {
                let (data, complete) = common::decode_chunked(&body);
                (
                    data,
                    (!complete).then_some("curl: (18) transfer closed with outstanding read data remaining"),
                )
            }
            (false, common::Ending::Reset) => (body, Some("curl: (56) Recv failure: Connection reset by peer")),
            (false, common::Ending::Closed) => (body, None),
        };
        let mut out = String::new();
        if self.include_head || self.head_only {
            out.push_str(&head.replace("\r\n", "\n"));
            out.push('\n');
        }
        // The empty line after the head is shown only when a body follows.
        if !self.head_only {
            if self.include_head {
                out.push('\n');
            }
            out.push_str(&String::from_utf8_lossy(&body));
        }
        if let Some(error) = cut {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(error);
            out.push('\n');
        }
        out
    }
}

/// The response as it arrives on the wire (as the trace shows bytes), then
/// how the connection ended.
fn wire((bytes, ending): &Response) -> String {
    let ending = match ending {
        common::Ending::Closed => "(the server closes the connection)",
        common::Ending::Reset => "(the server resets the connection)",
    };
    format!("{}{ending}\n", escaped_lines(bytes))
}

/// Bytes as the trace shows them: one line per line, `\r` and `\n` visible.
fn escaped_lines(bytes: &[u8]) -> String {
    let mut out = String::new();
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        for &byte in line {
            match byte {
                b'\r' => out.push_str("\\r"),
                b'\n' => out.push_str("\\n"),
                0x20..=0x7e => out.push(char::from(byte)),
                _ => {
                    let _ = write!(out, "\\x{byte:02x}");
                }
            }
        }
        out.push('\n');
    }
    out
}

/// Split a command line into words, as a POSIX shell does for plain words
/// and '...' or "..." quotes.
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' => words.extend(word.take()),
            '\'' => {
                let word = word.get_or_insert_with(String::new);
                word.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                let word = word.get_or_insert_with(String::new);
                word.extend(chars.by_ref().take_while(|&c| c != '"'));
            }
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    words
}

// ---------------------------------------------------------------------------
// Comparing

const PLACEHOLDERS: [&str; 5] = ["<DATE>", "<PORT>", "<TIME>", "<VERSION>", "<N>"];

/// Whether `actual` is what `shown` shows: line by line, each placeholder
/// standing for one or more characters; one final newline is optional.
fn matches(shown: &str, actual: &str) -> Result<(), String> {
    let actual = actual.replace("\r\n", "\n");
    let shown_lines: Vec<&str> = shown.strip_suffix('\n').unwrap_or(shown).split('\n').collect();
    let actual_lines: Vec<&str> = actual.strip_suffix('\n').unwrap_or(&actual).split('\n').collect();
    for (number, (shown_line, actual_line)) in shown_lines.iter().zip(&actual_lines).enumerate() {
        if !line_matches(shown_line, actual_line) {
            return Err(format!(
                "line {} differs\n  shown:  {shown_line:?}\n  actual: {actual_line:?}\nthe actual output:\n{actual}",
                number + 1
            ));
        }
    }
    if shown_lines.len() != actual_lines.len() {
        return Err(format!(
            "{} lines shown, {} printed; the actual output:\n{actual}",
            shown_lines.len(),
            actual_lines.len()
        ));
    }
    Ok(())
}

fn line_matches(pattern: &str, text: &str) -> bool {
    let next_placeholder = PLACEHOLDERS
        .iter()
        .filter_map(|p| pattern.find(p).map(|at| (at, *p)))
        .min();
    let Some((at, placeholder)) = next_placeholder else {
        return pattern == text;
    };
    let (literal, rest) = (&pattern[..at], &pattern[at + placeholder.len()..]);
    let Some(text) = text.strip_prefix(literal) else {
        return false;
    };
    // The placeholder takes one or more characters; try each length.
    text.char_indices()
        .skip(1)
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()).filter(|&len| len > 0))
        .any(|i| line_matches(rest, &text[i..]))
}

/// The first differing line of two texts, for a failure message.
fn diff(expected: &str, actual: &str) -> String {
    for (number, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
        if e != a {
            return format!("line {}:\n  source: {e:?}\n  shown:  {a:?}", number + 1);
        }
    }
    format!(
        "the source has {} lines, the chapter {}",
        expected.lines().count(),
        actual.lines().count()
    )
}

// ---------------------------------------------------------------------------
// The tutorial as a whole

#[test]
fn every_chapter_exists_and_the_readme_lists_it() {
    let top_readme = read(&root().join("README.md"));
    assert!(
        top_readme.contains("(tutorial/README.md)"),
        "README.md does not link the tutorial"
    );
    let readme = read(&root().join("tutorial/README.md"));
    for chapter in CHAPTERS {
        assert!(
            root().join("tutorial").join(chapter).exists(),
            "tutorial/{chapter} is missing"
        );
        assert!(
            readme.contains(&format!("({chapter})")),
            "tutorial/README.md does not link {chapter}"
        );
    }
}

#[test]
fn every_example_and_listing_is_shown_in_a_chapter() {
    let chapters: String = CHAPTERS
        .iter()
        .map(|chapter| read(&root().join("tutorial").join(chapter)))
        .collect();
    for folder in ["examples", "tutorial/python"] {
        for entry in std::fs::read_dir(root().join(folder)).expect("the folder") {
            let name = entry.expect("an entry").file_name().to_string_lossy().into_owned();
            if name.ends_with(".rs") || name.ends_with(".py") {
                let path = format!("{}/{name}", folder.trim_start_matches("tutorial/"));
                assert!(
                    chapters.contains(&format!("include: {folder}/{name}")) || chapters.contains(&path),
                    "no chapter shows {folder}/{name}"
                );
            }
        }
    }
}

#[test]
fn python_listings_compile() {
    let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("pycache");
    let listings: Vec<PathBuf> = std::fs::read_dir(root().join("tutorial/python"))
        .expect("tutorial/python")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "py"))
        .collect();
    assert!(!listings.is_empty());
    let status = Command::new("python3")
        .env("PYTHONPYCACHEPREFIX", &cache)
        .args(["-m", "py_compile"])
        .args(&listings)
        .status();
    match status {
        Ok(status) => assert!(status.success(), "python3 -m py_compile failed"),
        Err(_) => println!("note: python3 not found; the Python listings were not compiled"),
    }
}

/// Chapter 1b for real: `cargo new` in a scratch folder, the chapter's
/// dependency lines (with this repository's path), `src/main.rs` from
/// `tutorial/project/`, then `cargo build` and `cargo test` there. This
/// repository's `Cargo.lock` pins the versions it already uses, so the
/// registry cache suffices; each step has 10 minutes at most.
#[test]
fn own_project_builds_and_passes_its_tests() {
    let chapter = read(&root().join("tutorial/01b-your-own-project.md"));
    let shown = fences(&chapter)
        .into_iter()
        .find(|fence| fence.marker.as_deref() == Some("project: dependencies"))
        .expect("01b-your-own-project.md has a `<!-- project: dependencies -->` block")
        .content;
    let mut dependencies = String::new();
    for line in shown.lines().filter(|line| *line != "[dependencies]") {
        if line.starts_with("wsgiref = ") {
            let _ = writeln!(
                dependencies,
                "wsgiref = {{ path = {:?} }}",
                root().display().to_string()
            );
        } else {
            let _ = writeln!(dependencies, "{line}");
        }
    }
    assert!(
        dependencies.contains("wsgiref = { path"),
        "no wsgiref line in:\n{shown}"
    );

    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("own-project-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("create the scratch folder");
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("own-project-target");
    let cargo = |args: &[&str], folder: &Path| {
        let log = scratch.join("cargo.log");
        let file = std::fs::File::create(&log).expect("cargo.log");
        let mut child = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(args)
            .current_dir(folder)
            .env("CARGO_TARGET_DIR", &target)
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("cargo.log"))
            .stderr(file)
            .spawn()
            .expect("start cargo");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for cargo") {
                break status;
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("cargo {args:?} took more than 10 minutes:\n{}", read(&log));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        let output = read(&log);
        assert!(status.success(), "cargo {args:?} failed:\n{output}");
        output
    };
    cargo(&["new", "--vcs", "none", "hello-wsgi"], &scratch);
    let project = scratch.join("hello-wsgi");
    let manifest = project.join("Cargo.toml");
    let generated = read(&manifest);
    assert!(
        generated.trim_end().ends_with("[dependencies]"),
        "cargo new wrote:\n{generated}"
    );
    std::fs::write(&manifest, format!("{}\n{dependencies}", generated.trim_end())).expect("write Cargo.toml");
    std::fs::copy(root().join("tutorial/project/src/main.rs"), project.join("src/main.rs")).expect("copy main.rs");
    std::fs::copy(root().join("Cargo.lock"), project.join("Cargo.lock")).expect("copy Cargo.lock");
    cargo(&["build"], &project);
    let tested = cargo(&["test"], &project);
    assert!(
        tested.contains("test result: ok. 2 passed"),
        "cargo test in hello-wsgi:\n{tested}"
    );
    let _ = std::fs::remove_dir_all(&scratch);
}

/// Every Python listing is run by some check: as the twin of a chapter's
/// Rust application, named in a marker, or (chapter 11) by its own tests.
#[test]
fn every_python_listing_is_run() {
    let markers: String = CHAPTERS
        .iter()
        .flat_map(|chapter| fences(&read(&root().join("tutorial").join(chapter))))
        .filter_map(|fence| fence.marker)
        .collect::<Vec<_>>()
        .join("\n");
    for entry in std::fs::read_dir(root().join("tutorial/python")).expect("tutorial/python") {
        let name = entry.expect("an entry").file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".py") else {
            continue;
        };
        let run = markers.contains(&format!(": {stem}::"))
            || markers.contains(&format!("python/{name}"))
            || markers.contains(&format!("--python {stem}"))
            || stem == "11_testing";
        assert!(run, "no check runs tutorial/python/{name}");
    }
}

#[test]
fn python_testing_listing_passes_its_tests() {
    let listing = root().join("tutorial/python/11_testing.py");
    let output = match python().arg(&listing).output() {
        Ok(output) => output,
        Err(_) => {
            println!("note: python3 not found; the tests of 11_testing.py were not run");
            return;
        }
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "python3 {}:\n{stderr}", listing.display());
    assert!(
        stderr.contains("Ran 2 tests"),
        "python3 {}:\n{stderr}",
        listing.display()
    );
}

#[test]
fn placeholders_match_what_they_stand_for() {
    assert!(line_matches("Date: <DATE>", "Date: Sun, 06 Nov 1994 08:49:37 GMT"));
    assert!(!line_matches("Date: <DATE>", "Date: "));
    assert!(line_matches("from 127.0.0.1:<PORT> ===", "from 127.0.0.1:5123 ==="));
    assert!(!line_matches("a<N>b", "ab"));
    assert!(line_matches("no placeholder", "no placeholder"));
    assert_eq!(
        with_port("port 4000, 40001, 14000 4000", 4000, "8000"),
        "port 8000, 40001, 14000 8000"
    );
}

#[test]
fn tutorial_readme() {
    check_chapter("README.md");
}

/// The Chinese edition (`tutorial/zh/`): every chapter is there, passes
/// the same checks, shows exactly the fences (code and output, with their
/// markers) of its English original, in the same order, so only the prose
/// differs; and its relative links lead to files that exist.
#[test]
fn chinese_edition_shows_what_the_english_one_does() {
    let zh = root().join("tutorial/zh");
    assert!(
        read(&root().join("tutorial/README.md")).contains("(zh/README.md)"),
        "tutorial/README.md does not link the Chinese edition"
    );
    for chapter in CHAPTERS {
        assert!(
            zh.join(chapter).exists(),
            "tutorial/zh/{chapter} is missing: the Chinese edition has every chapter"
        );
    }
    for entry in std::fs::read_dir(&zh).expect("tutorial/zh") {
        let name = entry.expect("an entry").file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".md") else {
            continue;
        };
        let translated = read(&zh.join(&name));
        for link in relative_links(&translated) {
            assert!(
                zh.join(&link).exists(),
                "tutorial/zh/{name} links {link}, which does not exist"
            );
        }
        if stem == "README" {
            continue;
        }
        assert!(
            CHAPTERS.contains(&name.as_str()),
            "tutorial/zh/{name} translates no chapter"
        );
        let shown = |markdown: &str| -> Vec<(String, Option<String>, String)> {
            fences(markdown)
                .into_iter()
                .map(|fence| (fence.lang, fence.marker, fence.content))
                .collect()
        };
        let original = read(&root().join("tutorial").join(&name));
        assert!(
            shown(&translated) == shown(&original),
            "tutorial/zh/{name}: its code and output blocks differ from tutorial/{name}"
        );
        check_chapter(&format!("zh/{name}"));
    }
}

/// The targets of `](target)` links that are not URLs or anchors, without
/// their `#fragment`.
fn relative_links(markdown: &str) -> Vec<String> {
    markdown
        .split("](")
        .skip(1)
        .filter_map(|rest| rest.split_once(')').map(|(target, _)| target))
        .filter(|target| !target.contains("://") && !target.starts_with('#'))
        .map(|target| target.split('#').next().unwrap_or_default().to_string())
        .collect()
}
