//! The `wsgiref` command as a developer runs it (issue 9): the banner,
//! addresses, friendly bind errors, Ctrl-C and SIGTERM, the coloured access
//! log, the HTTPS probe, `--static`, and `--reload`. Every wait is bounded.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::{split_response, status};

const WARNING: &str = "WARNING: This is a development server. Do not use it in a production deployment.";
const HTTPS_MESSAGE: &str = "You're accessing the development server over HTTPS, but it only supports HTTP.";

/// The binary, running, with its stdout and stderr read line by line on
/// threads. Dropping it sends SIGTERM, then SIGKILL if it lingers.
struct Running {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    /// Every stderr line received so far.
    stderr_seen: Vec<String>,
}

impl Running {
    fn start(args: &[&str]) -> Running {
        Running::start_with_env(args, &[])
    }

    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Running {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wsgiref"));
        command
            .args(args)
            .env_remove("NO_COLOR")
            .env_remove("FORCE_COLOR")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("start wsgiref");
        let stdout = lines_of(child.stdout.take().unwrap());
        let stderr = lines_of(child.stderr.take().unwrap());
        Running {
            child,
            stdout,
            stderr,
            stderr_seen: Vec::new(),
        }
    }

    fn stdout_line(&self) -> String {
        self.stdout
            .recv_timeout(Duration::from_secs(20))
            .expect("a line on stdout within 20 s")
    }

    /// The address from the first line, `Serving HTTP on HOST port PORT ...`,
    /// with loopback for a wildcard host.
    fn serving_address(&self) -> SocketAddr {
        parse_serving_line(&self.stdout_line())
    }

    /// Wait (20 s at most) for a stderr line containing `text`.
    fn stderr_line_with(&mut self, text: &str) -> String {
        if let Some(line) = self.stderr_seen.iter().find(|line| line.contains(text)) {
            return line.clone();
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while let Ok(line) = self
            .stderr
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.stderr_seen.push(line.clone());
            if line.contains(text) {
                return line;
            }
        }
        panic!("no stderr line with {text:?} within 20 s; saw {:#?}", self.stderr_seen);
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(exit) = self.child.try_wait().unwrap() {
                return exit;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("wsgiref still running after {timeout:?}");
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// Every stderr line until the process closes stderr (it exited).
    fn rest_of_stderr(&mut self) -> Vec<String> {
        while let Ok(line) = self.stderr.recv_timeout(Duration::from_secs(10)) {
            self.stderr_seen.push(line);
        }
        self.stderr_seen.clone()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.is_running() {
            self.signal("TERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            while self.is_running() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn lines_of(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

fn parse_serving_line(line: &str) -> SocketAddr {
    let rest = line
        .strip_prefix("Serving HTTP on ")
        .and_then(|rest| rest.strip_suffix(" ..."))
        .unwrap_or_else(|| panic!("not a Serving line: {line:?}"));
    let (host, port) = rest.split_once(" port ").unwrap();
    let ip: IpAddr = host.parse().unwrap();
    let ip = match ip {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, port.parse().unwrap())
}

/// Write `request`, read until the server closes; a reset ends the read too.
fn exchange(address: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request).unwrap();
    let mut response = Vec::new();
    let mut block = [0u8; 8192];
    loop {
        match stream.read(&mut block) {
            Ok(0) => return response,
            // Said, so that a rare failure can be told apart (reset, timeout).
            Err(error) if response.is_empty() => panic!("{request:?}: no response: {error}"),
            Err(_) => return response,
            Ok(count) => response.extend_from_slice(&block[..count]),
        }
    }
}

fn get(address: SocketAddr, target: &str) -> u16 {
    let request = format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
    status(&split_response(&exchange(address, request.as_bytes())).0)
}

fn ipv6_loopback_available() -> bool {
    TcpListener::bind("[::1]:0").is_ok()
}

/// A fresh directory under the system's temporary directory.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("wsgiref-runserver-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// 1. Banner.

#[test]
fn banner_for_loopback() {
    let server = Running::start(&["--port", "0"]);
    let address = server.serving_address();
    assert_eq!(
        server.stdout_line(),
        format!("Running on http://127.0.0.1:{}/", address.port())
    );
    assert_eq!(server.stdout_line(), "Quit the server with CONTROL-C.");
    assert_eq!(server.stdout_line(), WARNING);
    assert_eq!(get(address, "/"), 200);
}

#[test]
fn banner_for_every_ipv4_address_lists_loopback_first() {
    let server = Running::start(&["--host", "0.0.0.0", "--port", "0"]);
    let first = server.stdout_line();
    assert!(first.starts_with("Serving HTTP on 0.0.0.0 port "), "{first}");
    let port = parse_serving_line(&first).port();
    assert_eq!(server.stdout_line(), "Running on all addresses (0.0.0.0):");
    assert_eq!(server.stdout_line(), format!("  http://127.0.0.1:{port}/"));
    let mut line = server.stdout_line();
    while line.starts_with("  http://") {
        assert!(line.ends_with(&format!(":{port}/")), "{line}");
        line = server.stdout_line();
    }
    assert_eq!(line, "Quit the server with CONTROL-C.");
    assert_eq!(server.stdout_line(), WARNING);
    assert_eq!(get(SocketAddr::from(([127, 0, 0, 1], port)), "/"), 200);
}

#[test]
fn banner_and_log_for_ipv6_loopback() {
    if !ipv6_loopback_available() {
        eprintln!("skipped: no IPv6 loopback on this machine");
        return;
    }
    // The Django-style positional address, with brackets.
    let mut server = Running::start(&["[::1]:0"]);
    let first = server.stdout_line();
    assert!(first.starts_with("Serving HTTP on ::1 port "), "{first}");
    let address = parse_serving_line(&first);
    assert_eq!(
        server.stdout_line(),
        format!("Running on http://[::1]:{}/", address.port())
    );
    assert_eq!(get(address, "/ipv6"), 200);
    let line = server.stderr_line_with("\"GET /ipv6 HTTP/1.1\"");
    assert!(line.starts_with("::1 - - ["), "{line}");
}

#[test]
fn host_ipv6_any_and_localhost() {
    if ipv6_loopback_available() {
        let server = Running::start(&["--host", "::", "--port", "0"]);
        let first = server.stdout_line();
        assert!(first.starts_with("Serving HTTP on :: port "), "{first}");
        let address = parse_serving_line(&first);
        assert_eq!(server.stdout_line(), "Running on all addresses (::):");
        assert_eq!(server.stdout_line(), format!("  http://[::1]:{}/", address.port()));
        assert_eq!(get(address, "/"), 200);
    }
    let server = Running::start(&["--quiet", "localhost:0"]);
    let address = server.serving_address();
    assert!(address.ip().is_loopback(), "{address}");
    assert_eq!(get(address, "/"), 200);
}

#[test]
fn positional_port_and_zero_shortcut() {
    // `wsgiref PORT` and `wsgiref 0:PORT` (0 is 0.0.0.0), as Django's runserver.
    let server = Running::start(&["0"]);
    let first = server.stdout_line();
    assert!(first.starts_with("Serving HTTP on 127.0.0.1 port "), "{first}");
    let server = Running::start(&["0:0"]);
    let first = server.stdout_line();
    assert!(first.starts_with("Serving HTTP on 0.0.0.0 port "), "{first}");
    for bad in ["::1:8000", "[::1]", "8000x"] {
        let output = Command::new(env!("CARGO_BIN_EXE_wsgiref")).arg(bad).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{bad}");
        let message = String::from_utf8(output.stderr).unwrap();
        assert!(message.starts_with("wsgiref: invalid "), "{bad}: {message}");
    }
}

#[test]
fn quiet_prints_only_the_first_line() {
    let mut server = Running::start(&["--quiet", "--port", "0", "--once"]);
    let address = server.serving_address();
    assert_eq!(get(address, "/"), 200);
    assert!(server.wait_exit(Duration::from_secs(10)).success());
    // Until the process closes stdout: nothing more.
    let more = server.stdout.recv_timeout(Duration::from_secs(10));
    assert!(more.is_err(), "more stdout: {more:?}");
}

// 2. Friendly bind errors.

/// Run the binary to its end (10 s at most): exit code and stderr.
fn run_to_end(args: &[&str]) -> (Option<i32>, String) {
    let mut server = Running::start(args);
    let exit = server.wait_exit(Duration::from_secs(10));
    (exit.code(), server.rest_of_stderr().join("\n"))
}

#[test]
fn a_second_server_on_a_taken_port_exits_1_with_one_sentence() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let (code, stderr) = run_to_end(&["--port", &port.to_string()]);
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        format!(
            "wsgiref: Port {port} is in use by another program (cannot listen on 127.0.0.1:{port}). Stop it or start the server with --port {} (or --port 0 for any free port).",
            port + 1
        )
    );
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"));
}

#[test]
fn unknown_host_and_foreign_address_are_sentences() {
    let (code, stderr) = run_to_end(&["--host", "no-such-host.invalid", "--port", "0"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("wsgiref: Cannot find the host \"no-such-host.invalid\" to listen on"),
        "{stderr}"
    );
    // 192.0.2.1 (TEST-NET-1) is never an address of this machine; binding sends nothing.
    let (code, stderr) = run_to_end(&["192.0.2.1:0"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.starts_with("wsgiref: The address 192.0.2.1 is not an address of this machine"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

// 4. Ctrl-C and SIGTERM.

#[test]
fn sigint_during_a_slow_request_lets_it_finish_then_exits_0() {
    let mut server = Running::start(&["--quiet", "--port", "0", "--app", "echo"]);
    let address = server.serving_address();
    let mut slow = TcpStream::connect(address).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n")
        .unwrap();
    // The 100 Continue comes when the application first reads its input:
    // the request is in flight.
    let mut interim = [0u8; 25];
    slow.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");

    server.signal("INT");
    server.stderr_line_with("Stopping: no new connections");
    std::thread::sleep(Duration::from_millis(300));
    assert!(server.is_running(), "exited with a request in flight");

    slow.write_all(b"helloworld").unwrap();
    let mut response = Vec::new();
    slow.read_to_end(&mut response).unwrap();
    let (head, body) = split_response(&response);
    assert_eq!((status(&head), body.as_slice()), (200, &b"helloworld"[..]));

    let exit = server.wait_exit(Duration::from_secs(10));
    assert_eq!(exit.code(), Some(0));
    let stderr = server.rest_of_stderr();
    assert!(
        stderr.iter().any(|line| line.contains("\"POST / HTTP/1.1\" 200 10")),
        "{stderr:?}"
    );
    assert_eq!(stderr.last().map(String::as_str), Some("Server stopped."));
}

#[test]
fn sigint_with_a_stream_open_exits_0_within_three_seconds() {
    let mut server = Running::start(&["--quiet", "--port", "0", "--app", "bytes"]);
    let address = server.serving_address();
    // A 1 GiB download the client never reads: the worker blocks in write(),
    // as it does for a browser tab holding a streaming response.
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .write_all(b"GET /?1073741824 HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    server.signal("INT");
    let exit = server.wait_exit(Duration::from_secs(10));
    assert_eq!(exit.code(), Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    drop(stream);
}

#[test]
fn sigterm_when_idle_exits_0_at_once() {
    let mut server = Running::start(&["--quiet", "--port", "0"]);
    let address = server.serving_address();
    assert_eq!(get(address, "/"), 200);
    let started = Instant::now();
    server.signal("TERM");
    assert_eq!(server.wait_exit(Duration::from_secs(10)).code(), Some(0));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

/// Found this session: with stderr a pipe whose reader has gone, the
/// signal handler's message panicked (`eprintln!`), the handler thread died,
/// and SIGTERM no longer stopped the server.
#[test]
fn sigterm_stops_the_server_even_when_its_stderr_is_gone() {
    let mut server = Running::start(&["--quiet", "--port", "0"]);
    let address = server.serving_address();
    // Drop our receiver: the thread reading the server's stderr stops at the
    // next line (this request's access-log line) and closes the pipe, so the
    // server's later writes to stderr fail with EPIPE.
    server.stderr = mpsc::channel().1;
    assert_eq!(get(address, "/"), 200);
    std::thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    assert_eq!(server.wait_exit(Duration::from_secs(10)).code(), Some(0));
}

// 5. The access log for humans.

/// Requests that give 200, 301, 304, 404, 400 and 505, and the status each
/// access-log line should show.
fn log_every_status_class(server: &mut Running, address: SocketAddr) -> Vec<(u16, String)> {
    let far_future = "Fri, 01 Jan 2100 00:00:00 GMT";
    let requests: [(&[u8], u16); 5] = [
        (b"GET /ok HTTP/1.0\r\n\r\n", 200),
        (b"GET /static/sub HTTP/1.0\r\n\r\n", 301),
        (b"GET /static/missing HTTP/1.0\r\n\r\n", 404),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
    ];
    let mut lines = Vec::new();
    for (request, expected) in requests {
        let response = exchange(address, request);
        assert_eq!(
            status(&split_response(&response).0),
            expected,
            "{}",
            String::from_utf8_lossy(request)
        );
        lines.push((expected, server.stderr_line_with(&format!("\" {expected} "))));
    }
    let request = format!("GET /static/a.txt HTTP/1.0\r\nIf-Modified-Since: {far_future}\r\n\r\n");
    assert_eq!(status(&split_response(&exchange(address, request.as_bytes())).0), 304);
    lines.push((304, server.stderr_line_with("\" 304 ")));
    lines
}

fn static_root(name: &str) -> PathBuf {
    let root = temp_dir(name);
    std::fs::create_dir_all(root.join("sub")).unwrap();
    std::fs::write(root.join("a.txt"), "a\n").unwrap();
    root
}

#[test]
fn access_log_is_coloured_by_status_class_when_forced() {
    let root = static_root("colour");
    let mut server = Running::start(&[
        "--quiet",
        "--port",
        "0",
        "--color",
        "always",
        "--static",
        root.to_str().unwrap(),
    ]);
    let address = server.serving_address();
    for (status, line) in log_every_status_class(&mut server, address) {
        let expected_style = match status {
            200 => None,
            301 => Some("\x1b[32m"),
            304 => Some("\x1b[36m"),
            404 => Some("\x1b[33m"),
            400 => Some("\x1b[1;31m"),
            _ => Some("\x1b[1;35m"),
        };
        match expected_style {
            None => assert!(line.starts_with("127.0.0.1 - - ["), "{status}: {line:?}"),
            Some(style) => {
                assert!(
                    line.starts_with(&format!("{style}127.0.0.1 - - [")),
                    "{status}: {line:?}"
                );
                assert!(line.ends_with("\x1b[0m"), "{status}: {line:?}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn access_log_is_plain_when_not_a_terminal_or_no_color() {
    let root = static_root("plain");
    let root = root.to_str().unwrap();
    // (flags, environment variables)
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
    let cases: [Case; 3] = [
        (&["--color", "auto"], &[]),
        (&["--color", "never"], &[("FORCE_COLOR", "1")]),
        (&[], &[("NO_COLOR", "1"), ("FORCE_COLOR", "1")]),
    ];
    for (flags, env) in cases {
        let mut args = vec!["--quiet", "--port", "0", "--static", root];
        args.extend_from_slice(flags);
        let mut server = Running::start_with_env(&args, env);
        let address = server.serving_address();
        for (status, line) in log_every_status_class(&mut server, address) {
            assert!(!line.contains('\x1b'), "{flags:?} {env:?} {status}: {line:?}");
            assert!(line.starts_with("127.0.0.1 - - ["), "{line:?}");
        }
    }
    // FORCE_COLOR alone colours even without a terminal.
    let mut server = Running::start_with_env(&["--quiet", "--port", "0", "--static", root], &[("FORCE_COLOR", "1")]);
    let address = server.serving_address();
    assert_eq!(get(address, "/static/missing"), 404);
    assert!(server.stderr_line_with("\" 404 ").starts_with("\x1b[33m"));
}

#[test]
fn a_forged_cr_lf_in_a_request_target_never_breaks_a_log_line() {
    let mut server = Running::start(&["--quiet", "--port", "0"]);
    let address = server.serving_address();
    let forged = "127.0.0.1 - - [01/Jan/2000 00:00:00] \"GET /forged HTTP/1.1\" 200 1";
    let requests = [
        format!("GET /a\r\n{forged}\r\n HTTP/1.1\r\nHost: x\r\n\r\n"),
        format!("GET /a\n{forged}\n HTTP/1.1\r\nHost: x\r\n\r\n"),
        format!("GET /a\r{forged}\r HTTP/1.1\r\nHost: x\r\n\r\n"),
        format!(
            "GET /a{} HTTP/1.1\r\nHost: x\r\n\r\n",
            "%0d%0a127.0.0.1%20-%20-%20forged"
        ),
        "GET /a\x1b[2J\x08 HTTP/1.1\r\nHost: x\r\n\r\n".to_string(),
    ];
    for request in &requests {
        let response = exchange(address, request.as_bytes());
        assert!(!response.is_empty(), "{request:?} got no response");
    }
    assert_eq!(get(address, "/last"), 200);
    server.stderr_line_with("\"GET /last HTTP/1.1\"");
    for line in &server.stderr_seen {
        assert!(!line.starts_with("127.0.0.1 - - [01/Jan/2000"), "forged line: {line:?}");
        assert!(
            !line.contains('\x1b') && !line.contains('\x08') && !line.contains('\r'),
            "{line:?}"
        );
    }
    // The percent-encoded one is logged as sent: still encoded, one line.
    server.stderr_line_with("\"GET /a%0d%0a127.0.0.1%20-%20-%20forged HTTP/1.1\" 200 ");
}

// 6. The HTTPS probe.

/// The start of a TLS 1.2/1.3 ClientHello record, as a browser sends it.
fn client_hello() -> Vec<u8> {
    let mut body = vec![0x03, 0x03];
    body.extend_from_slice(&[0x42; 32]); // random
    body.extend_from_slice(&[0x00]); // session id
    body.extend_from_slice(&[0x00, 0x02, 0x13, 0x01]); // cipher suites
    body.extend_from_slice(&[0x01, 0x00]); // compression methods
    body.extend_from_slice(&[0x00, 0x00]); // extensions
    let mut handshake = vec![0x01, 0x00, 0x00, body.len() as u8];
    handshake.extend_from_slice(&body);
    let mut record = vec![0x16, 0x03, 0x01, 0x00, handshake.len() as u8];
    record.extend_from_slice(&handshake);
    record
}

#[test]
fn a_tls_client_hello_gets_a_closed_connection_and_one_log_line() {
    let mut server = Running::start(&["--quiet", "--port", "0"]);
    let address = server.serving_address();
    for _ in 0..3 {
        let answer = exchange(address, &client_hello());
        assert!(answer.is_empty(), "answered {answer:?}");
    }
    // A request after the probes: its log line comes after theirs.
    assert_eq!(get(address, "/after"), 200);
    server.stderr_line_with("\"GET /after HTTP/1.1\"");
    let probes: Vec<&String> = server
        .stderr_seen
        .iter()
        .filter(|line| line.contains(HTTPS_MESSAGE))
        .collect();
    assert_eq!(probes.len(), 1, "{:#?}", server.stderr_seen);
    assert!(
        probes[0].starts_with("[WARN wsgiref::http] 127.0.0.1: "),
        "{}",
        probes[0]
    );
    // No access-log line and no 400 for a probe.
    assert_eq!(
        server
            .stderr_seen
            .iter()
            .filter(|line| line.contains("127.0.0.1 - - ["))
            .count(),
        1
    );
}

// 7. Static files from the command line (every attack: tests/static_files.rs).

#[test]
fn static_dir_from_the_command_line() {
    let root = static_root("cli");
    std::fs::write(root.parent().unwrap().join("wsgiref-secret.txt"), "TOP-SECRET").unwrap();
    let server = Running::start(&[
        "--port",
        "0",
        "--static",
        root.to_str().unwrap(),
        "--static-url",
        "/files/",
    ]);
    let address = server.serving_address();
    let port = address.port();
    assert_eq!(server.stdout_line(), format!("Running on http://127.0.0.1:{port}/"));
    assert_eq!(
        server.stdout_line(),
        format!("Static files from {} at http://127.0.0.1:{port}/files/", root.display())
    );
    let (head, body) = split_response(&exchange(address, b"GET /files/a.txt HTTP/1.0\r\n\r\n"));
    assert_eq!((status(&head), body.as_slice()), (200, &b"a\n"[..]));
    let response = exchange(address, b"GET /files/%2e%2e/wsgiref-secret.txt HTTP/1.0\r\n\r\n");
    assert_eq!(status(&split_response(&response).0), 404);
    assert!(!String::from_utf8_lossy(&response).contains("TOP-SECRET"));
    assert_eq!(get(address, "/other"), 200, "other paths reach the application");
    let (code, stderr) = run_to_end(&["--port", "0", "--static", "/no/such/directory"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("wsgiref: cannot serve --static /no/such/directory: "),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(root);
}

// 8. --reload.

/// What a restarted child logs at debug level (`RUST_LOG=debug`) once it
/// serves on the reloader's socket: it prints no banner, so this is how a
/// test sees that a new child took over.
const NEW_CHILD: &str = "serving on the reloader's socket";

/// The binary with `--reload` on `watched`, `RUST_LOG=debug` (see
/// [`NEW_CHILD`]), and `args`.
fn start_reloader(watched: &Path, args: &[&str]) -> Running {
    let mut all = vec!["--reload", "--reload-dir", watched.to_str().unwrap()];
    all.extend_from_slice(args);
    Running::start_with_env(&all, &[("RUST_LOG", "debug")])
}

impl Running {
    /// Wait (20 s at most) until `count` stderr lines contain `text`; those lines.
    fn stderr_lines_with(&mut self, text: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let seen: Vec<String> = self
                .stderr_seen
                .iter()
                .filter(|line| line.contains(text))
                .cloned()
                .collect();
            if seen.len() >= count {
                return seen;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) => self.stderr_seen.push(line),
                Err(_) => panic!(
                    "not {count} stderr lines with {text:?} within 20 s; saw {:#?}",
                    self.stderr_seen
                ),
            }
        }
    }
}

fn touch(path: &Path) {
    std::fs::write(path, format!("# changed at {:?}\n", Instant::now())).unwrap();
}

#[test]
fn reload_restarts_the_server_after_a_file_change() {
    let watched = temp_dir("reload");
    let mut server = start_reloader(&watched, &["--quiet", "--port", "0"]);
    let address = server.serving_address();
    server.stderr_line_with("Watching for file changes in ");
    assert_eq!(get(address, "/"), 200);

    touch(&watched.join("app.py"));
    assert_eq!(server.stderr_line_with("Reloading: "), "Reloading: app.py changed");
    server.stderr_lines_with(NEW_CHILD, 1);
    // The same address: the new child serves on the reloader's socket.
    assert_eq!(get(address, "/"), 200);

    // A new directory is watched too; the line shows the path under the root.
    std::fs::create_dir(watched.join("package")).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    touch(&watched.join("package").join("module.py"));
    let reloads = server.stderr_lines_with("Reloading: ", 2);
    assert_eq!(reloads[1], "Reloading: package/module.py changed");
    server.stderr_lines_with(NEW_CHILD, 2);
    assert_eq!(get(address, "/"), 200);

    server.signal("TERM");
    assert_eq!(server.wait_exit(Duration::from_secs(15)).code(), Some(0));
    let _ = std::fs::remove_dir_all(watched);
}

#[test]
fn a_reload_prints_one_line_not_the_banner_again() {
    let watched = temp_dir("reload-banner");
    let mut server = start_reloader(&watched, &["--port", "0"]);
    let first: Vec<String> = (0..4).map(|_| server.stdout_line()).collect();
    assert!(
        first[3].starts_with("WARNING: This is a development server"),
        "{first:#?}"
    );
    let address = parse_serving_line(&first[0]);
    server.stderr_line_with("Watching for file changes in ");
    touch(&watched.join("app.py"));
    server.stderr_lines_with(NEW_CHILD, 1);
    assert_eq!(get(address, "/"), 200);
    // Nothing on stdout: no second banner, not even its first line.
    assert!(
        server.stdout.recv_timeout(Duration::from_millis(700)).is_err(),
        "the restarted child printed a banner"
    );
    server.signal("TERM");
    assert_eq!(server.wait_exit(Duration::from_secs(15)).code(), Some(0));
    // On stderr, one line for the reload, besides the access log and the
    // debug records (`[DEBUG ...]`).
    let lines: Vec<String> = server
        .rest_of_stderr()
        .into_iter()
        .filter(|line| !line.starts_with('[') && !line.contains("\"GET / HTTP/1.1\""))
        .collect();
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(lines[0].starts_with("Watching for file changes in "), "{lines:#?}");
    assert_eq!(lines[1], "Reloading: app.py changed", "{lines:#?}");
    assert!(lines[2].starts_with("Stopping: "), "{lines:#?}");
    assert_eq!(lines[3], "Server stopped.", "{lines:#?}");
    let _ = std::fs::remove_dir_all(watched);
}

/// What a client saw of one request: a complete 200 response, a refused
/// connection, or anything else (said how).
#[derive(Debug, PartialEq)]
enum Outcome {
    Complete,
    Refused,
    Failed(String),
}

/// One `GET /` to the `hello` application (`Hello world!` and a newline) on
/// a new connection; every wait bounded (10 s).
fn hello_request(address: SocketAddr) -> Outcome {
    let mut stream = match TcpStream::connect_timeout(&address, Duration::from_secs(10)) {
        Ok(stream) => stream,
        Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => return Outcome::Refused,
        Err(error) => return Outcome::Failed(format!("connect: {error}")),
    };
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    if let Err(error) = stream.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") {
        return Outcome::Failed(format!("write: {error}"));
    }
    let mut response = Vec::new();
    if let Err(error) = stream.read_to_end(&mut response) {
        return Outcome::Failed(format!("read after {} bytes: {error}", response.len()));
    }
    let text = String::from_utf8_lossy(&response);
    let complete = text.starts_with("HTTP/1.1 200 OK\r\n")
        && text.contains("\r\nContent-Length: 13\r\n")
        && text.ends_with("\r\n\r\nHello world!\n");
    if complete {
        Outcome::Complete
    } else {
        Outcome::Failed(format!("incomplete response: {text:?}"))
    }
}

/// Issue 17 item 4: the reloader keeps the listening socket, so a request
/// sent while one child stops and the next starts waits in the backlog and
/// is answered by the new child; it is never refused.
#[test]
fn during_reloads_no_request_is_refused() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let watched = temp_dir("reload-refused");
    let mut server = start_reloader(&watched, &["--quiet", "--port", "0", "--app", "hello"]);
    let address = server.serving_address();
    server.stderr_line_with("Watching for file changes in ");

    // A request every 20 ms (one at a time), until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let client = std::thread::spawn({
        let stop = Arc::clone(&stop);
        move || {
            let mut outcomes = Vec::new();
            let give_up = Instant::now() + Duration::from_secs(60);
            while !stop.load(Ordering::SeqCst) && Instant::now() < give_up {
                outcomes.push(hello_request(address));
                std::thread::sleep(Duration::from_millis(20));
            }
            outcomes
        }
    });
    for reload in 1..=3 {
        std::thread::sleep(Duration::from_millis(400));
        touch(&watched.join("views.py"));
        server.stderr_lines_with(NEW_CHILD, reload);
    }
    std::thread::sleep(Duration::from_millis(400));
    stop.store(true, Ordering::SeqCst);
    let outcomes = client.join().unwrap();

    let refused = outcomes.iter().filter(|outcome| **outcome == Outcome::Refused).count();
    let failed: Vec<&Outcome> = outcomes
        .iter()
        .filter(|outcome| matches!(outcome, Outcome::Failed(_)))
        .collect();
    println!(
        "{} requests, {refused} refused, {} failed",
        outcomes.len(),
        failed.len()
    );
    assert_eq!(refused, 0, "{refused} of {} requests refused", outcomes.len());
    assert!(
        failed.is_empty(),
        "{} of {} requests failed: {failed:#?}",
        failed.len(),
        outcomes.len()
    );
    // Some 20 requests in each of the four 400 ms pauses, at the least.
    assert!(outcomes.len() >= 40, "only {} requests sent", outcomes.len());
    // One line per reload, naming the file.
    assert_eq!(
        server.stderr_lines_with("Reloading: ", 3),
        ["Reloading: views.py changed"; 3]
    );
    server.signal("TERM");
    assert_eq!(server.wait_exit(Duration::from_secs(15)).code(), Some(0));
    let _ = std::fs::remove_dir_all(watched);
}

#[test]
fn reload_exits_1_at_once_when_the_port_is_taken() {
    let watched = temp_dir("reload-taken");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let started = Instant::now();
    let mut server = start_reloader(&watched, &["--quiet", "--port", &port]);
    // As without --reload (and as runserver): a file change would not free
    // it, so the reloader says so and exits before it starts watching.
    assert_eq!(server.wait_exit(Duration::from_secs(10)).code(), Some(1));
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(5), "exited after {elapsed:?}");
    let stderr = server.rest_of_stderr();
    assert!(
        stderr[0].starts_with(&format!("wsgiref: Port {port} is in use by another program")),
        "{stderr:#?}"
    );
    assert!(!stderr.iter().any(|line| line.contains("Watching")), "{stderr:#?}");
    let _ = std::fs::remove_dir_all(watched);
}

#[test]
fn reload_keeps_watching_when_the_application_fails_to_load() {
    let watched = temp_dir("reload-fail");
    let public = watched.join("public");
    let mut server = start_reloader(
        &watched,
        &["--quiet", "--port", "0", "--static", public.to_str().unwrap()],
    );
    server.stderr_line_with("wsgiref: cannot serve --static ");
    server.stderr_line_with("Waiting for a file change to start it again.");
    assert!(server.is_running(), "the reloader exited with its child");
    touch(&watched.join("settings.toml"));
    server.stderr_line_with("Reloading: settings.toml changed");
    // The restarted child fails the same way; the parent goes on watching.
    server.stderr_lines_with("wsgiref: cannot serve --static ", 2);
    std::thread::sleep(Duration::from_millis(500));
    assert!(server.is_running());
    // Fixed: the next child serves, and prints the banner (here --quiet's
    // one line) that no child has printed yet.
    std::fs::create_dir(&public).unwrap();
    touch(&watched.join("app.py"));
    server.stderr_line_with("Reloading: app.py changed");
    let address = server.serving_address();
    assert_eq!(get(address, "/"), 200);
    server.signal("INT");
    assert_eq!(server.wait_exit(Duration::from_secs(15)).code(), Some(0));
    let _ = std::fs::remove_dir_all(watched);
}

#[test]
fn help_mentions_the_dev_server_options() {
    let output = Command::new(env!("CARGO_BIN_EXE_wsgiref"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for text in [
        "[ADDR:]PORT",
        "--quiet",
        "--color",
        "--static",
        "--static-url",
        "--reload",
        "--reload-dir",
        "cargo watch -x run",
        "--shutdown-grace",
    ] {
        assert!(help.contains(text), "--help does not mention {text}");
    }
}
