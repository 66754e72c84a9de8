//! The `wsgiref` command as a user runs it: `--port 0`, the printed line,
//! `--once`, `--app`, `--help`, bad arguments.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{split_response, status};

/// The binary with `args`, its stdout and stderr piped.
fn spawn(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_wsgiref"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start wsgiref")
}

/// Start the binary and read the port from its `Serving HTTP on HOST port PORT ...` line.
fn start(args: &[&str]) -> (Child, SocketAddr) {
    let mut child = spawn(args);
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let rest = line
        .strip_prefix("Serving HTTP on 127.0.0.1 port ")
        .unwrap_or_else(|| panic!("first line {line:?}"));
    let port: u16 = rest.strip_suffix(" ...\n").unwrap().parse().unwrap();
    (child, SocketAddr::from(([127, 0, 0, 1], port)))
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(exit) = child.try_wait().unwrap() {
            return Some(exit);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

#[test]
fn once_serves_demo_app_and_exits_zero() {
    let (mut child, address) = start(&["--port", "0", "--once"]);
    let (head, body) = split_response(&common::send(address, b"GET /xyz?abc HTTP/1.1\r\nHost: x\r\n\r\n"));
    assert_eq!(status(&head), 200);
    assert!(String::from_utf8(body).unwrap().contains("PATH_INFO = '/xyz'\n"));
    let exit = wait_with_timeout(&mut child, Duration::from_secs(10)).expect("--once exits");
    assert!(exit.success());
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    let line = log
        .lines()
        .find(|line| line.contains("\"GET /xyz?abc HTTP/1.1\""))
        .expect("an access-log line");
    assert!(line.starts_with("127.0.0.1 - - ["), "{line}");
    assert!(line.contains("\" 200 "), "{line}");
}

#[test]
fn serves_forever_with_the_hello_app() {
    let (mut child, address) = start(&["--port", "0", "--app", "hello"]);
    for _ in 0..3 {
        let (head, body) = split_response(&common::send(address, b"GET / HTTP/1.0\r\n\r\n"));
        assert_eq!((status(&head), body.as_slice()), (200, &b"Hello world!\n"[..]));
    }
    assert!(child.try_wait().unwrap().is_none(), "still serving");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn echo_app_from_the_command_line() {
    let (mut child, address) = start(&["--port", "0", "--app", "echo", "--once"]);
    let (head, body) = split_response(&common::send(
        address,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
    ));
    assert_eq!((status(&head), body.as_slice()), (200, &b"hello"[..]));
    assert!(
        wait_with_timeout(&mut child, Duration::from_secs(10))
            .unwrap()
            .success()
    );
}

#[test]
fn help_explains_every_option() {
    let output = Command::new(env!("CARGO_BIN_EXE_wsgiref"))
        .arg("--help")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for option in [
        "--host",
        "--port",
        "--once",
        "--app",
        "demo",
        "hello",
        "echo",
        "--no-access-log",
        "--record",
        "--record-max-bytes",
        "--record-secrets",
    ] {
        assert!(help.contains(option), "--help does not mention {option}");
    }
}

#[test]
fn bad_arguments_exit_two_with_a_message() {
    // `8o00` is neither [ADDR:]PORT nor MODULE:CALLABLE (a letter first).
    for args in [&["--port", "http"][..], &["--bogus"], &["--app", "nope"], &["8o00"]] {
        let output = Command::new(env!("CARGO_BIN_EXE_wsgiref")).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "args {args:?}");
        let message = String::from_utf8(output.stderr).unwrap();
        assert!(message.starts_with("wsgiref: "), "args {args:?}: {message}");
        assert!(!message.contains("panicked"));
    }
}

#[test]
fn a_taken_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_wsgiref"))
        .args(["--port", &port])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = String::from_utf8(output.stderr).unwrap();
    assert!(message.contains(&port) && !message.contains("panicked"), "{message}");
}

#[cfg(not(feature = "python"))]
#[test]
fn python_without_the_feature_is_a_clear_error() {
    // `--python SPEC`, and SPEC alone as a positional argument (as
    // `python -m wsgiref_rs myapp:app` takes it), before or after a port.
    for args in [
        &["--python", "myapp:app", "--port", "0"][..],
        &["myapp:app", "0"],
        &["0", "myapp"],
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_wsgiref")).args(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(
            String::from_utf8_lossy(&output.stderr),
            "wsgiref: this wsgiref was built without the `python` feature; rebuild with `cargo run --features python -- --python ...`\n",
            "{args:?}"
        );
    }
}

/// `--backlog`: connections beyond the workers wait in the kernel's accept
/// queue. With the only worker held by a client that sends half a request,
/// 300 more clients connect at once, well past std's default backlog of 128
/// (beyond which SYNs are dropped and connecting takes a second or more);
/// once the worker is free, every one of them is served.
#[test]
fn backlog_lets_many_clients_wait_for_a_worker() {
    use std::io::{Read, Write};
    // The kernel caps the backlog at net.core.somaxconn (128 before Linux 5.4).
    let somaxconn: u32 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(0);
    if somaxconn < 400 {
        eprintln!("skipped: net.core.somaxconn is {somaxconn}, below the 400 this test needs");
        return;
    }
    let (mut child, address) = start(&[
        "--port",
        "0",
        "--app",
        "hello",
        "--min-threads",
        "1",
        "--max-threads",
        "1",
        "--backlog",
        "1024",
    ]);
    let mut holder = std::net::TcpStream::connect(address).unwrap();
    holder.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let mut clients: Vec<std::net::TcpStream> = (0..300)
        .map(|n| {
            std::net::TcpStream::connect_timeout(&address, Duration::from_millis(700))
                .unwrap_or_else(|error| panic!("client {n} could not connect at once: {error}"))
        })
        .collect();
    for client in &mut clients {
        client.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    }
    holder.write_all(b"Host: x\r\n\r\n").unwrap();
    for mut client in std::iter::once(holder).chain(clients) {
        client.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut response = Vec::new();
        client.read_to_end(&mut response).unwrap();
        assert!(response.starts_with(b"HTTP/1.1 200 OK\r\n"), "{response:?}");
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn no_access_log_leaves_out_the_request_lines() {
    for rust_log in [None, Some("info")] {
        let mut command = Command::new(env!("CARGO_BIN_EXE_wsgiref"));
        command.args(["--port", "0", "--once", "--no-access-log", "--app", "hello"]);
        if let Some(filter) = rust_log {
            command.env("RUST_LOG", filter);
        }
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port: u16 = line
            .split(" port ")
            .nth(1)
            .unwrap()
            .trim_end_matches(" ...\n")
            .parse()
            .unwrap();
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let (head, _) = split_response(&common::send(address, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert_eq!(status(&head), 200);
        wait_with_timeout(&mut child, Duration::from_secs(10)).expect("--once exits");
        let mut log = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
        assert!(!log.contains("\"GET / HTTP/1.1\""), "RUST_LOG={rust_log:?}: {log}");
    }
    // And the same server without the flag does log the line.
    let (mut child, address) = start(&["--port", "0", "--once", "--app", "hello"]);
    common::send(address, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    wait_with_timeout(&mut child, Duration::from_secs(10)).expect("--once exits");
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    assert!(log.contains("\"GET / HTTP/1.1\" 200 13"), "{log}");
}

/// Start the binary with `args` and read its banner up to `Quit the
/// server`: the address it listens on, and the banner's lines.
fn start_with_banner(args: &[&str]) -> (Child, SocketAddr, Vec<String>) {
    let mut child = spawn(args);
    let mut lines = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        let last = line.starts_with("Quit the server");
        lines.push(line);
        if last {
            break;
        }
    }
    let port = lines[0].strip_prefix("Serving HTTP on 127.0.0.1 port ").unwrap();
    let port: u16 = port.strip_suffix(" ...").unwrap().parse().unwrap();
    (child, SocketAddr::from(([127, 0, 0, 1], port)), lines)
}

/// Everything the child wrote to stderr, once it is killed.
fn kill_and_read_stderr(mut child: Child) -> String {
    child.kill().unwrap();
    child.wait().unwrap();
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    log
}

#[test]
fn record_then_replay_from_the_command_line() {
    let path = std::env::temp_dir().join(format!("wsgiref-cli-record-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let file = path.to_str().unwrap();
    let (child, address, banner) = start_with_banner(&["--port", "0", "--app", "echo", "--record", file]);
    assert!(
        banner.contains(&format!("Recording requests to {file} (secrets redacted)")),
        "{banner:?}"
    );
    let requests: [&[u8]; 2] = [
        b"POST /e HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dTpw\r\nContent-Length: 5\r\n\r\nhello",
        b"GET /a\r\nb HTTP/1.1\r\nHost: x\r\n\r\n",
    ];
    let live: Vec<Vec<u8>> = requests.iter().map(|request| common::send(address, request)).collect();
    kill_and_read_stderr(child);
    let replayed = wsgiref::testing::replay(&path, &wsgiref::simple_server::echo_app).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(replayed.len(), 2);
    for (live, replayed) in live.iter().zip(&replayed) {
        let (live_head, live_body) = split_response(live);
        assert_eq!(replayed.recorded.status, Some(status(&live_head)));
        assert_eq!(
            (replayed.response.status, &replayed.response.body),
            (status(&live_head), &live_body)
        );
    }
    assert_eq!(replayed[0].response.text(), "hello");
    assert_eq!(
        replayed[0].recorded.bytes,
        b"POST /e HTTP/1.1\r\nHost: x\r\nAuthorization: <redacted>\r\nContent-Length: 5\r\n\r\nhello"
    );
    assert_eq!(replayed[1].recorded.bytes, requests[1]);
}

#[cfg(target_os = "linux")]
#[test]
fn a_record_file_that_fails_warns_once_and_the_server_serves_on() {
    let (child, address, _) = start_with_banner(&["--port", "0", "--app", "hello", "--record", "/dev/full"]);
    for _ in 0..3 {
        let (head, _) = split_response(&common::send(address, b"GET / HTTP/1.0\r\n\r\n"));
        assert_eq!(status(&head), 200);
    }
    let log = kill_and_read_stderr(child);
    assert_eq!(
        log.matches("recording stopped: cannot write to /dev/full").count(),
        1,
        "{log}"
    );
}

#[test]
fn record_refuses_a_file_that_is_not_a_recording() {
    let path = std::env::temp_dir().join(format!("wsgiref-cli-not-a-recording-{}.txt", std::process::id()));
    std::fs::write(&path, "precious notes\n").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_wsgiref"))
        .args(["--port", "0", "--record", path.to_str().unwrap()])
        .output()
        .unwrap();
    let kept = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(output.status.code(), Some(1));
    let message = String::from_utf8(output.stderr).unwrap();
    assert!(message.starts_with("wsgiref: Cannot record to "), "{message}");
    assert!(message.contains("not a wsgiref recording"), "{message}");
    assert_eq!(kept, "precious notes\n");
}

#[test]
fn record_max_bytes_cuts_each_request() {
    let path = std::env::temp_dir().join(format!("wsgiref-cli-record-max-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let args = [
        "--port",
        "0",
        "--app",
        "hello",
        "--record",
        path.to_str().unwrap(),
        "--record-max-bytes",
        "20",
    ];
    let (child, address, _) = start_with_banner(&args);
    let request = b"GET /a-long-enough-path HTTP/1.0\r\n\r\n";
    common::send(address, request);
    kill_and_read_stderr(child);
    let recorded = wsgiref::testing::read_recording(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(recorded[0].bytes, request[..20]);
    let note = format!("truncated: the first 20 of {} bytes (max_request_bytes)", request.len());
    assert_eq!(recorded[0].notes, [note]);
}
