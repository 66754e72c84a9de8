//! Real Python WSGI applications under our server (the `python` feature):
//! bare functions, CPython's own `demo_app`, a Flask app and a Django
//! project, each compared with CPython's `wsgiref.simple_server` serving
//! the same application, and each run again inside CPython's
//! `wsgiref.validate.validator`.
//!
//! Run: `cargo test --features python --test python`. The first run makes
//! the virtual environment `target/python-venv` from
//! `tests/python/requirements.txt` (see `tests/python/venv.rs`).
//!
//! # Deliberate differences from CPython, not compared
//!
//! - The status line says `HTTP/1.1` (CPython: `HTTP/1.0`): only the code
//!   and reason are compared.
//! - We send `Connection: close`; both send `Date` and `Server` with their
//!   own values. These three headers are left out.
//! - `demo_app` prints the environ: `SERVER_SOFTWARE`, `wsgi.multithread`
//!   (ours `True`: a pool of threads), the reprs of `wsgi.input`,
//!   `wsgi.errors` and `wsgi.file_wrapper` (our objects are `wsgiref_rs.*`)
//!   and of course `SERVER_PORT` differ, and CPython also copies its process
//!   environment into the environ; so that body and its `Content-Length`
//!   differ.
//!
//! Everything else must be equal: status, every other header (including a
//! `Content-Length` computed for a one-item body, as wsgiref does for
//! `len(result) == 1`), and the body bytes.
#![cfg(feature = "python")]

mod common;
#[path = "python/venv.rs"]
mod venv;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::TestServer;
use wsgiref::python::{LoadError, load};
use wsgiref::{Application, Environ, StartResponse};

const PYTHON_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python");
const DJANGO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/django_project");
const DJANGO_ADMIN_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/django_admin");

// ---------------------------------------------------------------------------
// Helpers

/// A response split into what the comparisons look at.
#[derive(Debug, PartialEq)]
struct Response {
    /// `200 OK`: the status line without the HTTP version.
    status: String,
    /// Lower-case names, in order, without `Date`, `Server`, `Connection`
    /// and `Transfer-Encoding` (see `chunked`).
    headers: Vec<(String, String)>,
    /// The body, its chunked framing removed.
    body: Vec<u8>,
    /// Whether the body ended as its framing says (its last chunk came).
    complete: bool,
}

impl Response {
    /// Parse a response. A chunked body is decoded and its
    /// `Transfer-Encoding` dropped: the one documented difference from
    /// CPython's wsgiref, which sends such bodies close-delimited (the
    /// chunking itself is checked in `tests/cut_responses.rs`).
    fn parse(raw: &[u8]) -> Response {
        let (head, body) = common::split_raw_response(raw);
        let chunked = common::header(&head, "Transfer-Encoding").as_deref() == Some("chunked");
        let (body, complete) = match chunked {
            true => common::decode_chunked(&body),
            false => (body, true),
        };
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let status = status_line.split_once(' ').map_or("", |(_, rest)| rest).to_string();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_string()))
            .filter(|(name, _)| !matches!(name.as_str(), "date" | "server" | "connection" | "transfer-encoding"))
            .collect();
        Response {
            status,
            headers,
            body,
            complete,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A server in a child process, ours or CPython's; killed when dropped.
struct ServerProcess {
    child: Child,
    address: SocketAddr,
    log: PathBuf,
}

impl ServerProcess {
    /// `wsgiref --python SPEC --pythonpath DIR --port 0`, with `VIRTUAL_ENV` when given.
    fn ours(spec: &str, pythonpath: &str, virtual_env: Option<&Path>) -> ServerProcess {
        ServerProcess::start(our_command(spec, pythonpath, virtual_env), &format!("ours {spec}"))
    }

    /// Ours serving `validated:SPEC`: CPython's validator around the
    /// application (`tests/python/validated.py`, found through `PYTHONPATH`).
    fn ours_validated(spec: &str, pythonpath: &str, virtual_env: Option<&Path>) -> ServerProcess {
        let (module, callable) = spec.split_once(':').expect("MODULE:CALLABLE");
        let validated = format!("validated:{module}.{callable}");
        let mut command = our_command(&validated, pythonpath, virtual_env);
        command.env("PYTHONPATH", PYTHON_DIR);
        ServerProcess::start(command, &format!("ours {validated}"))
    }

    /// `python tests/python/cpython_server.py SPEC DIR`, with an empty
    /// process environment (CPython copies it into every environ).
    fn cpython(spec: &str, pythonpath: &str, python: &Path) -> ServerProcess {
        let mut command = Command::new(python);
        command.env_clear();
        command
            .arg(Path::new(PYTHON_DIR).join("cpython_server.py"))
            .args([spec, pythonpath]);
        ServerProcess::start(command, &format!("cpython {spec}"))
    }

    fn start(mut command: Command, what: &str) -> ServerProcess {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let log = std::env::temp_dir().join(format!(
            "wsgiref-python-test-{}-{}.log",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .unwrap_or_else(|error| panic!("start {what}: {error}"));
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
        let port: u16 = line
            .split(" port ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                let _ = child.wait();
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("{what} did not start; stdout {line:?}, stderr:\n{log}")
            });
        ServerProcess {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        }
    }

    fn request(&self, request: &[u8]) -> Response {
        Response::parse(&common::send(self.address, request))
    }

    /// What the server wrote on stderr so far.
    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

fn our_command(spec: &str, pythonpath: &str, virtual_env: Option<&Path>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wsgiref"));
    command.args(["--python", spec, "--pythonpath", pythonpath, "--port", "0"]);
    command.env_remove("VIRTUAL_ENV").env_remove("PYTHONPATH");
    if let Some(venv) = virtual_env {
        command.env("VIRTUAL_ENV", venv);
    }
    command
}

/// The base interpreter's real executable (not a pyenv shim), for children
/// started with an empty environment.
fn base_python_executable() -> &'static Path {
    static EXECUTABLE: OnceLock<PathBuf> = OnceLock::new();
    EXECUTABLE.get_or_init(|| {
        let output = Command::new(venv::base_python())
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("run python3");
        PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
    })
}

/// A GET with `Host: localhost`.
fn get(target: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").into_bytes()
}

/// A POST with a body and its content type.
fn post(target: &str, content_type: &str, body: &[u8]) -> Vec<u8> {
    let mut request = format!(
        "POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    request
}

fn multipart_upload() -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\n");
    body.extend_from_slice(b"Content-Type: text/plain\r\n\r\nfirst line\nsecond line\n\r\n--XyZ--\r\n");
    post("/upload", "multipart/form-data; boundary=XyZ", &body)
}

/// Make each request against ours and CPython's and compare; then serve the
/// application inside CPython's validator under our server and check that
/// it answers the same, with nothing in the log but access lines.
fn compare_with_cpython(
    spec: &str,
    pythonpath: &str,
    virtual_env: Option<&Path>,
    requests: &[(&str, Vec<u8>)],
) -> Vec<Response> {
    let python = match virtual_env {
        Some(venv) => venv.join("bin").join("python"),
        None => base_python_executable().to_path_buf(),
    };
    let ours = ServerProcess::ours(spec, pythonpath, virtual_env);
    let cpython = ServerProcess::cpython(spec, pythonpath, &python);
    let validated = ServerProcess::ours_validated(spec, pythonpath, virtual_env);
    let mut responses = Vec::new();
    for (name, request) in requests {
        let our_response = ours.request(request);
        let cpython_response = cpython.request(request);
        assert_eq!(
            our_response,
            cpython_response,
            "{spec} {name}: ours (left) and CPython's wsgiref (right) differ\nour log:\n{}",
            ours.stderr()
        );
        let checked = validated.request(request);
        assert_eq!(
            (&checked.status, &checked.body),
            (&our_response.status, &our_response.body),
            "{spec} {name}: under the validator (left) and without (right)\nlog:\n{}",
            validated.stderr()
        );
        responses.push(our_response);
    }
    assert_clean_log(&ours, spec);
    assert_clean_log(&validated, &format!("validated {spec}"));
    responses
}

/// Only access-log lines: no error, no traceback, no ignored exception.
fn assert_clean_log(server: &ServerProcess, spec: &str) {
    let log = server.stderr();
    for line in log.lines() {
        assert!(
            line.starts_with("127.0.0.1 - - ["),
            "{spec}: unexpected log line {line:?}; whole log:\n{log}"
        );
    }
}

fn bare(name: &str) -> wsgiref::python::PythonApplication {
    load(&format!("bare_apps:{name}"), Path::new(PYTHON_DIR)).expect("load a bare app")
}

/// Serve `app` in this process for one request.
fn serve_once(app: impl Application + 'static, request: &[u8]) -> Response {
    let server = TestServer::start(app);
    Response::parse(&server.send(request))
}

// ---------------------------------------------------------------------------
// The embedded interpreter

#[test]
fn runs_the_same_python_as_python3() {
    let response = serve_once(bare("version"), &get("/"));
    let output = Command::new(venv::base_python())
        .args(["-c", "import sys; print(sys.version)"])
        .output()
        .expect("run python3");
    let expected = String::from_utf8(output.stdout).unwrap();
    assert_eq!(
        response.text(),
        expected.trim_end(),
        "build.rs's rpath should pick this libpython"
    );
}

#[test]
fn the_test_venvs_scripts_run_after_the_rename() {
    // tests/python/venv.rs builds the venv in a temporary folder and renames
    // it into place; its console scripts named the temporary folder and
    // could not run (`target/python-venv/bin/flask`: no such file). The
    // same steps on a throwaway venv (the shared one is left alone).
    let root = std::env::temp_dir().join(format!("wsgiref-venv-scripts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let building = root.join("python-venv.tmp-1-2");
    let venv = root.join("python-venv");
    let made = Command::new(venv::base_python())
        .args(["-m", "venv"])
        .arg(&building)
        .status()
        .unwrap();
    assert!(made.success());
    // The form pip writes for a path too long for a `#!` line.
    let long_form = format!(
        "#!/bin/sh\n'''exec' \"{}/bin/python\" \"$0\" \"$@\"\n' '''\nimport sys\nprint(sys.prefix)\n",
        building.display()
    );
    std::fs::write(building.join("bin/long-form"), long_form).unwrap();
    let chmod = Command::new("chmod")
        .arg("+x")
        .arg(building.join("bin/long-form"))
        .status();
    assert!(chmod.unwrap().success());
    venv::point_scripts_at(&building, &venv);
    std::fs::rename(&building, &venv).unwrap();
    let run = |script: &str, args: &[&str]| {
        let output = Command::new(venv.join("bin").join(script))
            .args(args)
            .output()
            .unwrap_or_else(|error| panic!("run bin/{script}: {error}"));
        assert!(output.status.success(), "bin/{script}: {output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let pip = run("pip", &["--version"]);
    assert!(pip.contains(&format!("from {}/lib/", venv.display())), "{pip}");
    assert_eq!(run("long-form", &[]), format!("{}\n", venv.display()));
    let activate = std::fs::read_to_string(venv.join("bin/activate")).unwrap();
    assert!(
        activate.contains(&format!("VIRTUAL_ENV=\"{}\"", venv.display())),
        "{activate}"
    );
    // The links to the base interpreter stay links.
    assert!(
        std::fs::symlink_metadata(venv.join("bin/python"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn load_errors_say_what_is_wrong() {
    let dir = Path::new(PYTHON_DIR);
    let cases: [(&str, &str); 6] = [
        (
            "my-app:app",
            "\"my-app:app\" is not MODULE, MODULE:CALLABLE or MODULE:FACTORY(ARGS) (for example myapp:app)",
        ),
        (
            "no_such_module:app",
            "cannot import module \"no_such_module\": ModuleNotFoundError: No module named 'no_such_module'",
        ),
        ("bare_apps:nothing", "module \"bare_apps\" has no attribute \"nothing\""),
        (
            "bare_apps:hello.nothing",
            "module \"bare_apps\" has no attribute \"hello.nothing\"",
        ),
        (
            "bare_apps:not_callable",
            "\"bare_apps:not_callable\" is not callable (it is a str)",
        ),
        (
            "broken_module:app",
            "cannot import module \"broken_module\": RuntimeError: broken at import time\nTraceback",
        ),
    ];
    for (spec, expected) in cases {
        let error = load(spec, dir).expect_err(spec);
        assert!(error.to_string().starts_with(expected), "{spec}: {error}");
    }
    assert!(matches!(load("x:", dir), Err(LoadError::BadSpec(_))));
}

#[test]
fn a_bare_module_means_application_then_app() {
    assert_eq!(
        serve_once(load("hello_app", Path::new(PYTHON_DIR)).unwrap(), &get("/")).text(),
        "Hello world!\n"
    );
    // No factory either (cpython_server.py has only its `load` function).
    let error = load("cpython_server", Path::new(PYTHON_DIR)).unwrap_err().to_string();
    assert_eq!(
        error,
        "module \"cpython_server\" has neither \"application\" nor \"app\": name the callable, as cpython_server:NAME"
    );
}

#[test]
fn an_application_factory_named_without_its_call_is_refused_with_a_hint() {
    // Issue 17: `--python app:create_app` started, then every request
    // failed with "create_app() takes 0 positional arguments but 2 were
    // given"; `--python app` said only "name the callable".
    let refused = |spec: &str| load_error_from_the_command(spec, Path::new(PYTHON_DIR), None);
    assert_eq!(
        refused("factory_app:create_app"),
        "wsgiref: --python factory_app:create_app: \"factory_app:create_app\" takes no (environ, start_response): if it is an application factory, call it: factory_app:create_app()\n"
    );
    assert_eq!(
        refused("factory_app"),
        "wsgiref: --python factory_app: module \"factory_app\" has neither \"application\" nor \"app\": it has create_app(): use factory_app:create_app()\n"
    );
    assert_eq!(
        refused("bare_apps"),
        "wsgiref: --python bare_apps: module \"bare_apps\" has neither \"application\" nor \"app\": it has make_app(): use bare_apps:make_app()\n"
    );
    assert_eq!(
        refused("bare_apps:failing_factory"),
        "wsgiref: --python bare_apps:failing_factory: \"bare_apps:failing_factory\" takes no (environ, start_response): if it is an application factory, call it: bare_apps:failing_factory()\n"
    );
    // As the hint says:
    let server = ServerProcess::ours("factory_app:create_app()", PYTHON_DIR, None);
    assert_eq!(server.request(&get("/")).text(), "made by create_app()\n");
    // Callables that take (environ, start_response) in other shapes are
    // served: a class, an instance with __call__, *args, a partial, a
    // functools.wraps decorator around a one-argument view.
    let dir = Path::new(PYTHON_DIR);
    for (name, body) in [
        ("AppClass", "class"),
        ("instance", "instance"),
        ("star_args", "star args"),
        ("partial", "partial"),
        ("decorated", "decorated /x"),
    ] {
        let app = load(&format!("bare_apps:{name}"), dir).unwrap_or_else(|error| panic!("{name}: {error}"));
        assert_eq!(serve_once(app, &get("/x")).text(), body, "{name}");
    }
    // A builtin without a signature: Python cannot tell, so it is let through.
    assert!(load("bare_apps:no_signature", dir).is_ok());
    // Django's handler (an instance whose __call__ takes the two) loads: see
    // django_project_matches_cpython.
}

#[test]
fn factories_are_called_once_with_literal_arguments() {
    let dir = Path::new(PYTHON_DIR);
    let greet = |spec: &str| serve_once(load(spec, dir).unwrap(), &get("/")).text();
    assert_eq!(greet("bare_apps:make_app()"), "Hello!");
    assert_eq!(greet("bare_apps:make_app('Hi', punctuation='?')"), "Hi?");
    let error = |spec: &str| load(spec, dir).unwrap_err().to_string();
    assert!(
        error("bare_apps:make_app(print)")
            .starts_with("\"bare_apps:make_app(print)\": the factory's arguments must be Python literals"),
        "{}",
        error("bare_apps:make_app(print)")
    );
    let failed = error("bare_apps:failing_factory()");
    assert!(
        failed.starts_with(
            "\"bare_apps:failing_factory()\": the factory raised RuntimeError: the factory fails\nTraceback"
        ),
        "{failed}"
    );
    assert_eq!(
        error("bare_apps:factory_of_nothing()"),
        "\"bare_apps:factory_of_nothing()\" is not callable (it is a NoneType)"
    );
}

/// The command's error for `spec`, with `VIRTUAL_ENV` as given. A
/// command that starts serving instead fails the test (after 30 s) rather
/// than hanging it.
fn load_error_from_the_command(spec: &str, pythonpath: &Path, virtual_env: Option<&Path>) -> String {
    let mut child = our_command(spec, pythonpath.to_str().unwrap(), virtual_env)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{spec}: the command started instead of refusing the application");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{spec}");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_missing_module_comes_with_a_hint() {
    let dir = Path::new(PYTHON_DIR);
    // The application's own module: the wrong --pythonpath.
    let own = load_error_from_the_command("no_such_module:app", dir, None);
    assert!(
        own.contains(&format!(
            "\nhint: \"no_such_module\" is not under {PYTHON_DIR}: give the folder that holds it with --pythonpath DIR"
        )),
        "{own}"
    );
    // A package it imports, with no virtual environment active and none beside it.
    let missing = "\"no_such_package_for_wsgiref_tests\"";
    let none = load_error_from_the_command("needs_missing:app", dir, None);
    assert!(
        none.contains(&format!(
            "ModuleNotFoundError: No module named 'no_such_package_for_wsgiref_tests'\nhint: VIRTUAL_ENV is not set: activate the virtual environment that has {missing}"
        )),
        "{none}"
    );
    // With one beside the project, not active: it is named.
    let project = std::env::temp_dir().join(format!("wsgiref-hint-{}", std::process::id()));
    std::fs::create_dir_all(project.join(".venv")).unwrap();
    std::fs::write(project.join(".venv/pyvenv.cfg"), "home = /usr/bin\n").unwrap();
    std::fs::copy(dir.join("needs_missing.py"), project.join("needs_missing.py")).unwrap();
    let beside = load_error_from_the_command("needs_missing:app", &project, None);
    let venv = project.join(".venv");
    let _ = std::fs::remove_dir_all(&project);
    assert!(
        beside.contains(&format!(
            "hint: VIRTUAL_ENV is not set, and {} looks like this project's virtual environment: activate it (source {}/bin/activate)",
            venv.display(),
            venv.display()
        )),
        "{beside}"
    );
    // With one active that lacks it.
    let active = load_error_from_the_command("needs_missing:app", dir, Some(venv::python_venv()));
    assert!(
        active.contains(&format!(
            "hint: {missing} is not installed in the virtual environment {} (VIRTUAL_ENV)",
            venv::python_venv().display()
        )),
        "{active}"
    );
}

#[test]
fn command_reports_load_errors_and_exits_two() {
    let output = our_command("bare_apps:nothing", PYTHON_DIR, None).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "wsgiref: --python bare_apps:nothing: module \"bare_apps\" has no attribute \"nothing\"\n"
    );
}

// ---------------------------------------------------------------------------
// PEP 3333 on the Python side, in this process

#[test]
fn environ_values_have_the_pep_3333_types() {
    let text = serve_once(bare("types"), &get("/x?y=1")).text();
    for line in [
        "PATH_INFO str\n",
        "QUERY_STRING str\n",
        "HTTP_HOST str\n",
        "wsgi.multiprocess bool False\n",
        "wsgi.multithread bool True\n",
        "wsgi.run_once bool False\n",
        "wsgi.url_scheme str 'http'\n",
        "wsgi.version tuple (1, 0)\n",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
}

#[test]
fn native_strings_are_latin1_decoded_bytes() {
    // PATH_INFO '/cafÃ©', as CPython gives it; .encode('latin-1') is the UTF-8 again.
    let response = serve_once(bare("path_bytes"), &get("/caf%C3%A9"));
    assert_eq!(response.text(), "/café");
}

#[test]
fn wsgi_input_read_readline_readlines_and_iteration() {
    let echoed = serve_once(bare("echo"), &post("/", "text/plain", b"hello body"));
    assert_eq!(echoed.body, b"hello body");
    let lines = serve_once(bare("lines"), &post("/", "text/plain", b"one\ntwo\nthree\nfour"));
    assert_eq!(lines.text(), "(b'one\\n', b'two', [b'\\n', b'three\\n', b'four'])");
    let chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\na\nb\n\r\n1\r\nc\r\n0\r\n\r\n";
    let iterated = serve_once(bare("iterate"), chunked);
    assert_eq!(iterated.text(), "[b'a\\n', b'b\\n', b'c']");
}

#[test]
fn write_callable_lazy_start_response_and_file_wrapper() {
    assert_eq!(serve_once(bare("writer"), &get("/")).text(), "written by write()\n");
    assert_eq!(serve_once(bare("lazy"), &get("/")).text(), "lazy body");
    let wrapped = serve_once(bare("file_wrapper"), &get("/"));
    let source = std::fs::read(Path::new(PYTHON_DIR).join("bare_apps.py")).unwrap();
    assert_eq!(wrapped.body, source);
    assert_eq!(
        wrapped.header("content-length"),
        None,
        "an iterator body gets no computed length"
    );
}

#[test]
fn one_item_list_gets_a_content_length() {
    let response = serve_once(bare("hello"), &get("/"));
    assert_eq!(response.header("content-length"), Some("13"));
}

#[test]
fn python_errors_take_the_500_path() {
    let server = TestServer::start(bare("raises"));
    for _ in 0..2 {
        let response = Response::parse(&server.send(&get("/")));
        assert_eq!(response.status, "500 Internal Server Error");
    }
    for name in ["str_chunk", "bytes_status", "bad_headers", "second_call"] {
        let response = serve_once(bare(name), &get("/"));
        assert_eq!(response.status, "500 Internal Server Error", "{name}");
    }
    // After the headers: the response is cut off (no last chunk), not replaced.
    let response = serve_once(bare("raises_in_body"), &get("/"));
    assert_eq!(
        (response.status.as_str(), response.text().as_str(), response.complete),
        ("200 OK", "first ", false)
    );
    let response = serve_once(bare("exc_info_after_headers"), &get("/"));
    assert_eq!(
        (response.status.as_str(), response.text().as_str(), response.complete),
        ("200 OK", "partial", false)
    );
    let response = serve_once(bare("exc_info_before_headers"), &get("/"));
    assert_eq!(
        (response.status.as_str(), response.text().as_str()),
        ("503 Service Unavailable", "replaced")
    );
}

#[test]
fn error_messages_carry_the_traceback_and_name_the_mistake() {
    let call = |name: &str| {
        let (start_response, _seen) = StartResponse::recorder();
        let app = bare(name);
        let body = app.call(&mut Environ::new(), start_response);
        body.and_then(|body| body.collect::<Result<Vec<_>, _>>())
    };
    let error = call("raises").unwrap_err().to_string();
    assert!(
        error.starts_with("the application raised ValueError: boom from Python\nTraceback (most recent call last):"),
        "{error}"
    );
    assert!(error.contains("bare_apps.py\", line"), "{error}");
    let error = call("str_chunk").unwrap_err().to_string();
    assert!(
        error.starts_with("the response body yielded a str ('not bytes'), not bytes"),
        "{error}"
    );
    let error = call("bytes_status").unwrap_err().to_string();
    assert!(
        error.contains("AssertionError: Status must be of type str (got b'200 OK')"),
        "{error}"
    );
}

#[test]
fn close_is_called_after_success_and_after_failure() {
    let count = || {
        serve_once(bare("closed_count"), &get("/"))
            .text()
            .parse::<u32>()
            .unwrap()
    };
    let before = count();
    assert_eq!(serve_once(bare("closing"), &get("/")).text(), "ab");
    let failed = serve_once(bare("closing"), &get("/?fail"));
    assert_eq!(failed.status, "500 Internal Server Error");
    // Other tests may close bodies too, but never fewer than ours.
    assert!(count() >= before + 2);
}

#[test]
fn objects_kept_past_their_request_act_like_closed_files() {
    // Why it matters: Python's cycle collector may free an old environ on
    // any thread; its wsgi.input must then be harmless, not a leak or a panic.
    let stashed = serve_once(bare("stash"), &post("/", "text/plain", b"body"));
    assert_eq!(stashed.text(), "stashed");
    let server = TestServer::start(bare("read_stashed"));
    let response = Response::parse(&server.send(&get("/")));
    assert_eq!(
        response.text(),
        "ValueError: wsgi.input is closed: the request is over, or this is not the thread serving it\nok"
    );
}

// ---------------------------------------------------------------------------
// Side by side with CPython's wsgiref.simple_server, and under its validator

#[test]
fn bare_apps_match_cpython() {
    let requests = [
        ("hello", "bare_apps:hello", get("/")),
        ("echo", "bare_apps:echo", post("/", "text/plain", b"0123456789")),
        ("writer", "bare_apps:writer", get("/")),
        ("lazy", "bare_apps:lazy", get("/")),
        ("file_wrapper", "bare_apps:file_wrapper", get("/")),
        ("exc_info", "bare_apps:exc_info_before_headers", get("/")),
    ];
    for (name, spec, request) in requests {
        compare_with_cpython(spec, PYTHON_DIR, None, &[(name, request)]);
    }
}

#[test]
fn demo_app_matches_cpython_but_for_the_documented_keys() {
    let spec = "bare_apps:demo_app";
    let ours = ServerProcess::ours(spec, PYTHON_DIR, None);
    let cpython = ServerProcess::cpython(spec, PYTHON_DIR, base_python_executable());
    let request =
        b"GET /caf%C3%A9/x?abc=1 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\nX-Twice: a\r\nX-Twice: b\r\n\r\n";
    let mut our_response = ours.request(request);
    let mut cpython_response = cpython.request(request);
    let lines = |response: &Response| -> Vec<(String, String)> {
        response
            .text()
            .lines()
            .skip(2)
            .filter_map(|line| line.split_once(" = "))
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    };
    let (our_lines, cpython_lines) = (lines(&our_response), lines(&cpython_response));
    let differ = [
        "SERVER_PORT",
        "SERVER_SOFTWARE",
        "wsgi.multithread",
        "wsgi.errors",
        "wsgi.file_wrapper",
        "wsgi.input",
    ];
    for (key, value) in &our_lines {
        if differ.contains(&key.as_str()) {
            continue;
        }
        let theirs = cpython_lines.iter().find(|(k, _)| k == key).map(|(_, v)| v);
        assert_eq!(Some(value), theirs, "{key}");
    }
    for (key, value) in &cpython_lines {
        let ours_has = our_lines.iter().any(|(k, _)| k == key);
        // CPython copies its process environment (here empty but for what
        // Python itself sets, such as LC_CTYPE) into the environ.
        assert!(
            ours_has || !(key.starts_with("HTTP_") || key.starts_with("wsgi.") || key.starts_with("SERVER_")),
            "only CPython has {key} = {value}"
        );
    }
    assert!(our_lines.iter().any(|(k, v)| k == "PATH_INFO" && v == "'/cafÃ©/x'"));
    assert!(
        our_lines
            .iter()
            .any(|(k, v)| k == "wsgi.input" && v.starts_with("<wsgiref_rs.Input object"))
    );
    assert!(
        our_lines
            .iter()
            .any(|(k, v)| k == "wsgi.file_wrapper" && v == "<class 'wsgiref_rs._support.FileWrapper'>")
    );
    // The body differs, so its computed length does too.
    our_response.headers.retain(|(name, _)| name != "content-length");
    cpython_response.headers.retain(|(name, _)| name != "content-length");
    assert_eq!(
        (&our_response.status, &our_response.headers),
        (&cpython_response.status, &cpython_response.headers)
    );
    assert_clean_log(&ours, spec);
    // And under the validator: the same status, nothing in the log.
    let validated = ServerProcess::ours_validated(spec, PYTHON_DIR, None);
    assert_eq!(validated.request(request).status, "200 OK");
    assert_clean_log(&validated, "validated:bare_apps.demo_app");
}

#[test]
fn the_validator_harness_catches_a_broken_application() {
    let validated = ServerProcess::ours_validated("bare_apps:no_content_type", PYTHON_DIR, None);
    assert_eq!(validated.request(&get("/")).status, "500 Internal Server Error");
    let log = validated.stderr();
    assert!(
        log.contains("AssertionError: No Content-Type header found in headers"),
        "{log}"
    );
}

#[test]
fn flask_app_matches_cpython() {
    let venv = venv::python_venv();
    let responses = compare_with_cpython(
        "flask_app:app",
        PYTHON_DIR,
        Some(venv),
        &[
            ("page", get("/")),
            (
                "form POST",
                post("/form", "application/x-www-form-urlencoded", b"name=Ann+Lee&age=7"),
            ),
            ("multipart upload", multipart_upload()),
            ("json", get("/json?q=caf%C3%A9")),
            ("stream", get("/stream")),
            ("download", get("/download")),
            ("404 from the app", get("/missing-page")),
            ("404 from Flask", get("/no/such/page")),
            ("stream_with_context", get("/stream-with-context")),
            ("teardowns so far", get("/teardowns")),
        ],
    );
    assert_eq!(responses[0].text(), "Hello from Flask\n");
    assert_eq!(responses[1].text(), "got age=7, name=Ann Lee\n");
    assert!(responses[2].text().contains("\"size\":23"), "{}", responses[2].text());
    assert_eq!(responses[3].header("content-type"), Some("application/json"));
    assert!(
        responses[3].text().contains("\"query\":\"caf\\u00e9\""),
        "{}",
        responses[3].text()
    );
    assert_eq!(responses[4].text(), "line 1\nline 2\nline 3\nline 4\nline 5\n");
    assert_eq!(responses[4].header("content-length"), None);
    assert_eq!(
        responses[5].body,
        std::fs::read(Path::new(PYTHON_DIR).join("files/data.txt")).unwrap()
    );
    assert_eq!(
        responses[5].header("content-disposition"),
        Some("attachment; filename=data.txt")
    );
    assert_eq!(responses[7].status, "404 NOT FOUND");
    // stream_with_context needs the request's context in every next().
    assert_eq!(
        responses[8].text(),
        "/stream-with-context line 1\n/stream-with-context line 2\n/stream-with-context line 3\n"
    );
    // The 8 requests before it tore down once each; Flask 3.1 itself tears
    // a stream_with_context request down twice (its own test client counts
    // the same, and so did CPython's wsgiref just above).
    assert_eq!(responses[9].text(), "10\n");
}

/// A request built by `wsgiref::testing` (two files, one with bytes that
/// look like boundaries and every byte value, a UTF-8 field) parsed by
/// Werkzeug's form parser under ours and CPython's server: what it parsed
/// is what was sent, byte for byte.
#[test]
fn werkzeug_parses_our_multipart_upload_byte_for_byte() {
    use wsgiref::testing::{Multipart, TestRequest};
    let binary: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
    let tricky = b"line\r\n--not-a-boundary\r\n----wsgirefBoundary0\r\nend".to_vec();
    let form = Multipart::new()
        .field("title", "Zo\u{eb}'s files")
        .file("first", "data.bin", "application/octet-stream", binary.clone())
        .file("second", "caf\u{e9}.txt", "text/plain", tricky.clone());
    let request = TestRequest::post("/upload").multipart(form).to_bytes();
    let responses = compare_with_cpython(
        "form_echo:app",
        PYTHON_DIR,
        Some(venv::python_venv()),
        &[("multipart from wsgiref::testing", request)],
    );
    let mut expected = "field title=Zo\u{eb}'s files\n".as_bytes().to_vec();
    expected.extend_from_slice(b"file first data.bin application/octet-stream 5000\n");
    expected.extend_from_slice(&binary);
    expected.extend_from_slice(format!("\nfile second caf\u{e9}.txt text/plain {}\n", tricky.len()).as_bytes());
    expected.extend_from_slice(&tricky);
    expected.push(b'\n');
    assert_eq!(responses[0].status, "200 OK");
    assert!(
        responses[0].body == expected,
        "Werkzeug parsed:\n{}",
        responses[0].text()
    );
}

#[test]
fn flask_tears_each_request_down_once_and_streams_in_context_without_errors() {
    let server = ServerProcess::ours("flask_app:app", PYTHON_DIR, Some(venv::python_venv()));
    for path in ["/", "/json", "/stream", "/no/such/page", "/missing-page"] {
        server.request(&get(path));
    }
    assert_eq!(server.request(&get("/teardowns")).text(), "5\n");
    for _ in 0..3 {
        let streamed = server.request(&get("/stream-with-context"));
        assert_eq!(streamed.text().lines().count(), 3, "{}", server.stderr());
    }
    // No "Working outside of request context" or any other error.
    assert_clean_log(&server, "flask_app:app");
}

#[test]
fn django_project_matches_cpython() {
    let venv = venv::python_venv();
    let responses = compare_with_cpython(
        "mysite.wsgi:application",
        DJANGO_DIR,
        Some(venv),
        &[
            ("page", get("/")),
            (
                "form POST",
                post("/form", "application/x-www-form-urlencoded", b"name=Ann+Lee&age=7"),
            ),
            ("json", get("/json?q=1")),
            ("stream", get("/stream")),
            ("static file", get("/static/site.css")),
            ("404", get("/no/such/page")),
        ],
    );
    assert_eq!(responses[0].text(), "Hello from Django\n");
    assert_eq!(responses[1].text(), "got age=7, name=Ann Lee\n");
    assert_eq!(
        responses[2].text(),
        r#"{"numbers": [1, 2, 3], "path": "/json", "query": "1"}"#
    );
    assert_eq!(responses[3].text(), "line 1\nline 2\nline 3\nline 4\nline 5\n");
    assert_eq!(responses[4].text(), "body { color: teal; }\n");
    assert_eq!(responses[5].status, "404 Not Found");
}

// ---------------------------------------------------------------------------
// One context per request

const PROBE_ANSWER: &str =
    "call saw <unset>\nnext 2 saw set in call\nnext 3 saw set in next 2\nnext 4 saw set in next 3\n";

#[test]
fn context_variables_persist_through_call_next_and_close_as_under_cpython() {
    for spec in ["bare_apps:context_probe", "bare_apps:context_probe_generator"] {
        let responses = compare_with_cpython(
            spec,
            PYTHON_DIR,
            None,
            &[("probe", get("/")), ("report", get("/?report"))],
        );
        assert_eq!(responses[0].text(), PROBE_ANSWER, "{spec}");
        assert_eq!(responses[1].text(), "close saw: set in next 4\n", "{spec}");
    }
}

#[test]
fn each_request_gets_a_fresh_context_and_a_worker_keeps_its_thread_locals() {
    // One worker, so that every request runs on the same thread.
    let mut command = our_command("bare_apps:carry_over", PYTHON_DIR, None);
    command.args(["--min-threads", "1", "--max-threads", "1"]);
    let server = ServerProcess::start(command, "ours carry_over");
    let answers: Vec<String> = (0..3).map(|_| server.request(&get("/")).text()).collect();
    let thread = answers[0].split(' ').nth(1).unwrap_or_default().to_string();
    for (number, answer) in answers.iter().enumerate() {
        // threading.local lives as long as the worker; ContextVars start empty.
        assert_eq!(
            answer,
            &format!("thread {thread} local {} context 1", number + 1),
            "all answers: {answers:?}"
        );
    }
    assert_clean_log(&server, "carry_over");
}

#[test]
fn the_context_probe_behaves_the_same_in_this_process() {
    // handle_request on the calling thread, not a pool worker.
    let server = wsgiref::make_server("127.0.0.1", 0, bare("context_probe")).unwrap();
    let address = server.server_address();
    let client = std::thread::spawn(move || common::send(address, &get("/")));
    server.handle_request().unwrap();
    let response = Response::parse(&client.join().unwrap());
    assert_eq!(response.text(), PROBE_ANSWER);
}

#[test]
fn django_closes_the_connection_its_view_used_and_holds_no_more_descriptors() {
    let venv = venv::python_venv();
    let server = ServerProcess::ours("mysite.wsgi:application", DJANGO_DIR, Some(venv));
    let report = |server: &ServerProcess| {
        let response = server.request(&get("/db-report"));
        assert_eq!(response.status, "200 OK", "{}", server.stderr());
        response.text()
    };
    let descriptors = |report: &str| -> usize {
        report
            .split("\"open_descriptors\": ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|count| count.parse().ok())
            .unwrap_or_else(|| panic!("no count in {report}"))
    };
    assert_eq!(server.request(&get("/db")).text(), "ok\n");
    let first = report(&server);
    assert!(
        first.contains("\"closed\": true") && first.contains("\"same_connection\": true"),
        "request_finished saw another connection, or left it open: {first}"
    );
    for _ in 0..200 {
        assert_eq!(server.request(&get("/db")).status, "200 OK");
    }
    let after = report(&server);
    assert!(after.contains("\"same_connection\": true"), "{after}");
    assert!(
        descriptors(&after) <= descriptors(&first),
        "descriptors grew from {first} to {after}"
    );
    assert_clean_log(&server, "django /db");
}

// ---------------------------------------------------------------------------
// When close() is looked up, what a cut body sends, where an unfinished body goes

#[test]
fn close_is_looked_up_at_the_end_as_under_cpython() {
    let responses = compare_with_cpython(
        "bare_apps:late_close",
        PYTHON_DIR,
        None,
        &[("late close", get("/")), ("report", get("/?report"))],
    );
    assert_eq!(responses[0].text(), "late close\n");
    assert_eq!(responses[1].text(), "close calls: 1\n");
}

#[test]
fn an_error_after_the_first_chunk_cuts_the_response_on_every_path() {
    // A list iterator (read whole at once) and a len() == 1 body (two
    // chunks taken at once): what came before the error is sent, then the
    // response is cut, as under wsgiref; no 500 replaces it.
    for name in ["list_iterator_bad_item", "one_block_then_raises"] {
        let response = serve_once(bare(name), &get("/"));
        assert_eq!(
            (response.status.as_str(), response.text().as_str(), response.complete),
            ("200 OK", "first ", false),
            "{name}"
        );
    }
}

#[test]
fn an_unfinished_body_is_let_go_in_its_request_context() {
    use std::io::{Read, Write};
    let server = ServerProcess::ours("bare_apps:endless", PYTHON_DIR, None);
    let mut client = std::net::TcpStream::connect(server.address).unwrap();
    client.write_all(&get("/")).unwrap();
    let mut first = [0u8; 1024];
    assert!(client.read(&mut first).unwrap() > 0);
    drop(client); // the client leaves mid-body: the server stops iterating
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let report = server.request(&get("/?report")).text();
        if report.trim().is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
            continue;
        }
        assert_eq!(report, "reset in the request's context\n", "log:\n{}", server.stderr());
        break;
    }
}

#[test]
fn a_workers_thread_state_lives_until_the_worker_exits() {
    let notes = std::env::temp_dir().join(format!("wsgiref-thread-state-{}", std::process::id()));
    let _ = std::fs::remove_file(&notes);
    let mut command = our_command("bare_apps:thread_state_probe", PYTHON_DIR, None);
    command
        .args(["--min-threads", "1", "--max-threads", "1"])
        .env("WSGIREF_TEST_FREED", &notes);
    let mut server = ServerProcess::start(command, "ours thread_state_probe");
    assert_eq!(server.request(&get("/")).text(), "stored");
    assert_eq!(server.request(&get("/")).text(), "still there");
    // The worker, and so its thread state and its threading.local, live on.
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert!(!notes.exists(), "freed while the worker lives");
    // SIGTERM: a graceful stop; the worker exits and deletes its thread state.
    let stopped = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let written = std::fs::read_to_string(&notes).unwrap_or_default();
    let _ = std::fs::remove_file(&notes);
    assert_eq!(written, "freed\n", "log:\n{}", server.stderr());
}

// ---------------------------------------------------------------------------
// Django's static files, as runserver serves them

/// Copy a folder (not `__pycache__`), so a test can add files to it.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "__pycache__" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn a_django_project_in_debug_serves_its_static_files_with_no_flag() {
    let venv = venv::python_venv();
    let project = std::env::temp_dir().join(format!("wsgiref-django-admin-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&project);
    copy_tree(Path::new(DJANGO_ADMIN_DIR), &project);
    let folder = project.to_str().unwrap();
    // `startproject`'s wsgi.py, no StaticFilesHandler in it; MODULE alone.
    let server = ServerProcess::ours("adminsite.wsgi", folder, Some(venv));
    let css = server.request(&get("/static/admin/css/base.css"));
    assert_eq!(css.status, "200 OK", "{}", server.stderr());
    assert_eq!(css.header("content-type"), Some("text/css"));
    assert!(css.text().contains("DJANGO Admin styles"), "not the admin's CSS");
    assert_eq!(server.request(&get("/admin/login/")).status, "200 OK");
    // A file added to an app after the start is found (no collectstatic).
    let added = project.join("shop/static/shop/added.css");
    std::fs::write(&added, "p { color: teal; }\n").unwrap();
    let response = server.request(&get("/static/shop/added.css"));
    assert_eq!(
        (response.status.as_str(), response.text().as_str()),
        ("200 OK", "p { color: teal; }\n")
    );
    assert_clean_log(&server, "adminsite.wsgi");
    // --no-django-static: the application's own 404.
    let mut command = our_command("adminsite.wsgi", folder, Some(venv));
    command.arg("--no-django-static");
    let plain = ServerProcess::start(command, "ours --no-django-static");
    assert_eq!(
        plain.request(&get("/static/admin/css/base.css")).status,
        "404 Not Found"
    );
    drop((server, plain));
    let _ = std::fs::remove_dir_all(&project);
}

#[test]
fn django_static_files_are_left_alone_when_they_do_not_apply() {
    // DEBUG off: runserver serves no static files either.
    let mut command = our_command("adminsite.wsgi", DJANGO_ADMIN_DIR, Some(venv::python_venv()));
    command.env("DJANGO_DEBUG", "0");
    let server = ServerProcess::start(command, "ours DEBUG off");
    assert_eq!(
        server.request(&get("/static/admin/css/base.css")).status,
        "404 Not Found"
    );
    // Not Django at all: nothing changes.
    let mut app = load("hello_app:app", Path::new(PYTHON_DIR)).unwrap();
    assert_eq!(app.serve_django_static().unwrap(), None);
    assert_eq!(serve_once(app, &get("/")).text(), "Hello world!\n");
}

#[test]
fn a_cut_response_is_an_incomplete_read_for_http_client() {
    // What Python's own HTTP client makes of an application that yields a
    // chunk and then raises: under ours, `IncompleteRead` (HTTP/1.1, no
    // last chunk) or a reset (HTTP/1.0); under CPython's wsgiref, a
    // complete-looking body (the documented difference).
    const CLIENT: &str = r#"
import http.client, sys
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
if sys.argv[2] == "1.0":
    connection._http_vsn, connection._http_vsn_str = 10, "HTTP/1.0"
connection.request("GET", "/")
response = connection.getresponse()
try:
    body = response.read()
    print("complete", repr(body))
except http.client.IncompleteRead as error:
    print("IncompleteRead", repr(error.partial))
except ConnectionResetError:
    print("ConnectionResetError")
"#;
    let read_with_http_client = |address: std::net::SocketAddr, version: &str| {
        let output = Command::new(venv::base_python())
            .args(["-c", CLIENT, &address.port().to_string(), version])
            .output()
            .expect("run python3");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    };
    let ours = ServerProcess::ours("bare_apps:raises_in_body", PYTHON_DIR, None);
    assert_eq!(read_with_http_client(ours.address, "1.1"), "IncompleteRead b'first '");
    assert_eq!(read_with_http_client(ours.address, "1.0"), "ConnectionResetError");
    let cpython = ServerProcess::cpython("bare_apps:raises_in_body", PYTHON_DIR, base_python_executable());
    assert_eq!(read_with_http_client(cpython.address, "1.1"), "complete b'first '");
}

#[test]
fn a_bad_chunked_body_is_the_clients_400_under_python_too() {
    // The Python application's read raises and so does the application;
    // the client made the mistake: 400, not the application's 500.
    let bad = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n";
    let response = serve_once(bare("echo"), bad);
    assert_eq!(response.status, "400 Bad Request");
    assert_eq!(response.text(), "400 Bad Request: bad chunk size line \"zz\"\n");
    // `Content-Length: 5, 5` is one length of 5 (CONTENT_LENGTH = '5', see
    // tests/environ.rs): the body is read whole.
    let listed = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 5\r\n\r\nhello";
    let response = serve_once(bare("echo"), listed);
    assert_eq!(
        (response.status.as_str(), response.text().as_str()),
        ("200 OK", "hello")
    );
}

/// The development error page of a view that raised
/// `ValueError("<b>boom</b> & more")`: a 500 in HTML with the exception
/// escaped and the traceback. Returns the page.
fn boom_error_page(response: &Response) -> String {
    assert_eq!(response.status, "500 Internal Server Error");
    assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"));
    let page = response.text();
    assert!(
        page.contains("<h2>the application raised ValueError: &lt;b&gt;boom&lt;/b&gt; &amp; more</h2>"),
        "{page}"
    );
    assert!(page.contains("Traceback (most recent call last):"), "{page}");
    assert!(!page.contains("<b>boom"), "escaped");
    page
}

#[test]
fn the_development_error_page_shows_the_traceback_on_loopback() {
    // A Flask view raises and Flask lets the error through (as in debug
    // mode): on a loopback address, the 500 page is the error and its
    // traceback as HTML, escaped; the terminal shows the traceback once.
    let server = ServerProcess::ours("flask_app:propagating", PYTHON_DIR, Some(venv::python_venv()));
    let response = server.request(&get("/boom"));
    let page = boom_error_page(&response);
    assert!(page.contains("in helper_that_fails"), "{page}");
    assert!(page.contains("<code>GET /boom HTTP/1.1</code>"), "{page}");
    let log = server.stderr();
    assert_eq!(log.matches("Traceback (most recent call last):").count(), 1, "{log}");
    // --no-debug-page: the plain page, as CPython's wsgiref.
    let mut command = our_command("flask_app:propagating", PYTHON_DIR, Some(venv::python_venv()));
    command.arg("--no-debug-page");
    let plain = ServerProcess::start(command, "ours --no-debug-page");
    let response = plain.request(&get("/boom"));
    assert_eq!(
        response.text(),
        "A server error occurred.  Please contact the administrator."
    );
}

#[test]
fn a_flask_view_that_raises_shows_on_the_error_page_with_no_flag() {
    // Issue 17: Flask answers a view's exception with its own generic 500
    // page unless PROPAGATE_EXCEPTIONS is true (its default, None, means
    // "in debug mode"). With the error page on (a loopback address), the
    // command sets it on a Flask app that leaves it None: the page shows
    // the exception, escaped, with the traceback, and the terminal shows
    // the traceback once.
    let venv = Some(venv::python_venv());
    let server = ServerProcess::ours("flask_app:app", PYTHON_DIR, venv);
    let page = boom_error_page(&server.request(&get("/boom")));
    assert!(page.contains("in helper_that_fails"), "{page}");
    // Flask's own answers that are not uncaught exceptions stay its own.
    assert_eq!(server.request(&get("/no-such-page")).status, "404 NOT FOUND");
    assert_eq!(server.request(&get("/")).text(), "Hello from Flask\n");
    let log = server.stderr();
    assert_eq!(log.matches("Traceback (most recent call last):").count(), 1, "{log}");
    let raised = |log: &str| {
        log.lines()
            .filter(|line| *line == "ValueError: <b>boom</b> & more")
            .count()
    };
    assert_eq!(raised(&log), 1, "{log}");
    // --no-debug-page: Flask's own page (and its own log of the error).
    let mut command = our_command("flask_app:app", PYTHON_DIR, venv);
    command.arg("--no-debug-page");
    let plain = ServerProcess::start(command, "ours --no-debug-page");
    let response = plain.request(&get("/boom"));
    assert_eq!(response.status, "500 INTERNAL SERVER ERROR");
    assert!(
        response.text().contains("<h1>Internal Server Error</h1>"),
        "{}",
        response.text()
    );
    assert!(
        plain.stderr().contains("Exception on /boom [GET]"),
        "{}",
        plain.stderr()
    );
    assert_eq!(raised(&plain.stderr()), 1, "{}", plain.stderr());
    // An application that sets PROPAGATE_EXCEPTIONS itself is left alone.
    let own = ServerProcess::ours("flask_app:keeps_its_own", PYTHON_DIR, venv);
    let response = own.request(&get("/boom"));
    assert_eq!(response.status, "500 INTERNAL SERVER ERROR");
    assert!(
        response.text().contains("<h1>Internal Server Error</h1>"),
        "{}",
        response.text()
    );
}

#[test]
fn wsgi_errors_reaches_the_terminal_as_the_application_wrote_it() {
    // No `[ERROR wsgi.errors]` before each line: a traceback an application
    // writes there can be read and pasted as it is.
    let server = ServerProcess::ours("bare_apps:errors", PYTHON_DIR, None);
    assert_eq!(server.request(&get("/")).text(), "logged");
    let log = server.stderr();
    assert!(log.lines().any(|line| line == "a line for wsgi.errors"), "{log}");
    assert!(log.lines().any(|line| line == "two parts"), "{log}");
    assert!(!log.contains("[ERROR wsgi.errors]"), "{log}");
}

/// A copy of the test Django project (`mysite`) in a new temporary
/// folder named after `name`, with `views_tail` appended to its `views.py`
/// and `urls_tail` to its `urls.py`.
fn django_project_copy(name: &str, views_tail: &str, urls_tail: &str) -> PathBuf {
    let project = std::env::temp_dir().join(format!("wsgiref-django-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&project);
    let mysite = project.join("mysite");
    std::fs::create_dir_all(&mysite).unwrap();
    for file in [
        "__init__.py",
        "db_views.py",
        "settings.py",
        "urls.py",
        "views.py",
        "wsgi.py",
    ] {
        std::fs::copy(Path::new(DJANGO_DIR).join("mysite").join(file), mysite.join(file)).unwrap();
    }
    for (file, tail) in [("views.py", views_tail), ("urls.py", urls_tail)] {
        let mut text = std::fs::read_to_string(mysite.join(file)).unwrap();
        text.push_str(tail);
        std::fs::write(mysite.join(file), text).unwrap();
    }
    project
}

#[test]
fn a_django_view_that_raises_with_debug_off_shows_on_the_error_page() {
    // Issue 17: with DEBUG = False (the test project's), Django answers a
    // view's exception with its bare "Server Error (500)" page and prints
    // nothing on the console. On a loopback address the command lets the
    // exception through (DEBUG_PROPAGATE_EXCEPTIONS), so the error page
    // shows it, HTML-escaped, with the traceback, and the terminal shows
    // the traceback once.
    let project = django_project_copy(
        "raises",
        "\n\ndef boom(request):\n    raise ValueError(\"<b>boom</b> & more\")\n",
        "\nurlpatterns.append(path(\"boom\", views.boom))\n",
    );
    let folder = project.to_str().unwrap();
    let server = ServerProcess::ours("mysite.wsgi:application", folder, Some(venv::python_venv()));
    let response = server.request(&get("/boom"));
    let page = boom_error_page(&response);
    assert!(page.contains("mysite/views.py&quot;, line "), "{page}");
    assert!(page.contains(", in boom\n"), "{page}");
    // Django's own answers that are not uncaught exceptions stay its own.
    assert_eq!(server.request(&get("/no-such-page")).status, "404 Not Found");
    assert_eq!(server.request(&get("/")).text(), "Hello from Django\n");
    let log = server.stderr();
    assert_eq!(log.matches("Traceback (most recent call last):").count(), 1, "{log}");
    assert_eq!(
        log.lines()
            .filter(|line| *line == "ValueError: <b>boom</b> & more")
            .count(),
        1,
        "{log}"
    );
    // --no-debug-page: Django's own page, as under runserver.
    let mut command = our_command("mysite.wsgi:application", folder, Some(venv::python_venv()));
    command.arg("--no-debug-page");
    let plain = ServerProcess::start(command, "ours --no-debug-page");
    let response = plain.request(&get("/boom"));
    assert_eq!(response.status, "500 Internal Server Error");
    assert!(
        response.text().contains("<h1>Server Error (500)</h1>"),
        "{}",
        response.text()
    );
    assert!(!plain.stderr().contains("Traceback"), "{}", plain.stderr());
    drop((server, plain));
    let _ = std::fs::remove_dir_all(&project);
}

#[test]
fn a_django_urlconf_that_cannot_be_imported_is_told_once_at_start() {
    // Issue 17: a SyntaxError in views.py (imported by the URLconf) made
    // Django print a chain of tracebacks at every request (~550 lines with
    // DEBUG = True). As runserver, the command imports the URLconf at start
    // and prints the error once; each request gets the error page of that
    // error (one access line), and the import is tried again each time, so
    // the fix is served without a restart.
    let project = django_project_copy("syntax", "\ndef broken(:\n", "");
    let settings = project.join("mysite/settings.py");
    let debug_on = std::fs::read_to_string(&settings).unwrap() + "\nDEBUG = True\n";
    std::fs::write(&settings, debug_on).unwrap();
    let folder = project.to_str().unwrap();
    let server = ServerProcess::ours("mysite.wsgi:application", folder, Some(venv::python_venv()));
    let tracebacks = |log: &str| log.matches("Traceback (most recent call last):").count();
    let at_start = server.stderr();
    assert_eq!(tracebacks(&at_start), 1, "{at_start}");
    assert!(
        at_start.contains("importing Django's URLconf raised SyntaxError: invalid syntax (views.py, line "),
        "{at_start}"
    );
    assert!(at_start.contains("mysite/views.py\", line "), "{at_start}");
    for _ in 0..3 {
        let response = server.request(&get("/"));
        assert_eq!(response.status, "500 Internal Server Error");
        assert_eq!(response.header("content-type"), Some("text/html; charset=utf-8"));
        let page = response.text();
        assert!(
            page.contains("<h2>importing Django&#x27;s URLconf raised SyntaxError: invalid syntax (views.py, line "),
            "{page}"
        );
        assert!(page.contains("def broken(:"), "{page}");
    }
    let log = server.stderr();
    assert_eq!(tracebacks(&log), 1, "{log}");
    assert_eq!(log.matches("\"GET / HTTP/1.1\" 500 ").count(), 3, "{log}");
    assert!(log.lines().count() < 60, "{} lines:\n{log}", log.lines().count());
    // Fixed (no restart, no --reload): Django answers.
    std::fs::copy(
        Path::new(DJANGO_DIR).join("mysite/views.py"),
        project.join("mysite/views.py"),
    )
    .unwrap();
    assert_eq!(server.request(&get("/")).text(), "Hello from Django\n");
    assert!(
        server.stderr().contains("Django's URLconf imports now"),
        "{}",
        server.stderr()
    );
    drop(server);
    // --no-debug-page (and the project's DEBUG = False): the plain 500.
    let project = django_project_copy("syntax-plain", "\ndef broken(:\n", "");
    let mut command = our_command(
        "mysite.wsgi:application",
        project.to_str().unwrap(),
        Some(venv::python_venv()),
    );
    command.arg("--no-debug-page");
    let plain = ServerProcess::start(command, "ours --no-debug-page");
    for _ in 0..2 {
        let response = plain.request(&get("/"));
        assert_eq!(
            (response.status.as_str(), response.text().as_str()),
            (
                "500 Internal Server Error",
                "A server error occurred.  Please contact the administrator."
            )
        );
    }
    assert_eq!(tracebacks(&plain.stderr()), 1, "{}", plain.stderr());
    drop(plain);
    let _ = std::fs::remove_dir_all(&project);
    let _ = std::fs::remove_dir_all(project.with_file_name(format!("wsgiref-django-syntax-{}", std::process::id())));
}
