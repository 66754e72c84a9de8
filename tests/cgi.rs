//! `examples/13_cgi.rs` run as a web server runs a CGI program: a new
//! process per request, the request in environment variables and on stdin,
//! the response read from stdout (RFC 3875).
//!
//! How the example is run: this file includes the example's source as a
//! module and is its own `main` (`harness = false` in Cargo.toml). Started
//! normally, it runs the tests below; each test starts *this same
//! executable* again with `WSGIREF_TEST_CGI_CHILD` set, and that child calls
//! the example's `main`, i.e. `CgiHandler::new().run(&app)`, with the CGI
//! variables, stdin and stdout the test gave it.
//!
//! Why not the example's own binary: Cargo gives integration tests the path
//! of `[[bin]]` targets (`CARGO_BIN_EXE_*`) but not of examples, and
//! `cargo test --test cgi` does not build examples at all. Finding
//! `target/debug/examples/13_cgi` by hand breaks with `--release`,
//! `--target`, `--target-dir` or a stale build; running `cargo build
//! --example` from inside a test must guess the profile and features,
//! competes for the build-directory lock and may rebuild everything. The
//! test executable always exists and always holds the example's current
//! code, on every platform and profile.

use std::ffi::OsString;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::process::{Command, ExitCode, Stdio};

#[path = "../examples/13_cgi.rs"]
mod example;

/// Set in the environment of the child process: "be the CGI program".
const CHILD: &str = "WSGIREF_TEST_CGI_CHILD";

/// The variables a web server sets for every request (RFC 3875 §4.1).
const SERVER_VARIABLES: [(&str, &str); 7] = [
    ("GATEWAY_INTERFACE", "CGI/1.1"),
    ("SERVER_NAME", "example.com"),
    ("SERVER_PORT", "80"),
    ("SERVER_PROTOCOL", "HTTP/1.1"),
    ("SERVER_SOFTWARE", "Apache/2.4"),
    ("SCRIPT_NAME", "/cgi-bin/13_cgi"),
    ("REMOTE_ADDR", "192.0.2.1"),
];

/// What the CGI program printed and how it ended.
struct CgiOutput {
    status: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    stderr: String,
}

impl CgiOutput {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("a UTF-8 body")
    }
}

/// Start the CGI program with only the server's variables and `variables`
/// in its environment and `stdin` as its standard input; parse its output:
/// the `Status:` line, the headers, a blank line, the body.
fn run_cgi(variables: &[(&str, &str)], stdin: &[u8]) -> CgiOutput {
    let mut child = Command::new(std::env::current_exe().expect("the test executable"))
        .env_clear()
        .env(CHILD, "1")
        .envs(SERVER_VARIABLES)
        .envs(variables.iter().map(|(k, v)| (OsString::from(k), OsString::from(v))))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the CGI program");
    let mut child_stdin = child.stdin.take().expect("a stdin pipe");
    // The program may stop reading early (a short CONTENT_LENGTH): ignore a broken pipe.
    let _ = child_stdin.write_all(stdin);
    drop(child_stdin);
    let output = child.wait_with_output().expect("wait for the CGI program");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "CGI program failed: {:?}\n{stderr}",
        output.status
    );

    let end = output
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| {
            panic!(
                "no blank line after the headers in {:?}",
                String::from_utf8_lossy(&output.stdout)
            )
        });
    let head = String::from_utf8(output.stdout[..end].to_vec()).expect("an ASCII head");
    let mut headers: Vec<(String, String)> = head
        .split("\r\n")
        .map(|line| {
            let (name, value) = line.split_once(": ").expect("a `Name: value` line");
            (name.to_string(), value.to_string())
        })
        .collect();
    let (first, status) = headers.remove(0);
    assert_eq!(first, "Status", "a CGI response starts with the Status header");
    CgiOutput {
        status,
        headers,
        body: output.stdout[end + 4..].to_vec(),
        stderr,
    }
}

fn get_request() {
    let output = run_cgi(
        &[
            ("REQUEST_METHOD", "GET"),
            ("PATH_INFO", "/caf\u{e9}"),
            ("QUERY_STRING", "name=ferris&lang=rust"),
            ("HTTP_HOST", "example.com"),
            ("HTTP_USER_AGENT", "test/1.0"),
        ],
        b"",
    );
    assert_eq!(output.status, "200 OK");
    let expected = "Hello from a CGI program!\n\n\
                    REQUEST_METHOD = GET\n\
                    PATH_INFO = /caf\u{e9}\n\
                    QUERY_STRING = name=ferris&lang=rust\n";
    assert_eq!(output.text(), expected);
    let content_length = expected.len().to_string();
    assert_eq!(
        output.headers,
        [
            ("Content-Type".to_string(), "text/plain; charset=utf-8".to_string()),
            ("Content-Length".to_string(), content_length),
        ],
        "no Date, Server or Connection: the web server adds those"
    );
    assert_eq!(output.stderr, "");
}

fn post_request_echoes_content_length_bytes() {
    let form = "greeting=hello+world";
    let output = run_cgi(
        &[
            ("REQUEST_METHOD", "POST"),
            ("PATH_INFO", "/form"),
            ("QUERY_STRING", ""),
            ("CONTENT_TYPE", "application/x-www-form-urlencoded"),
            ("CONTENT_LENGTH", &form.len().to_string()),
            ("HTTP_HOST", "example.com"),
        ],
        // Bytes past CONTENT_LENGTH are not part of the body (RFC 3875 §4.2).
        format!("{form}NOT PART OF THE BODY").as_bytes(),
    );
    assert_eq!(output.status, "200 OK");
    assert_eq!(
        output.text(),
        format!(
            "Hello from a CGI program!\n\nREQUEST_METHOD = POST\nPATH_INFO = /form\nQUERY_STRING = \n\n\
             You sent {} bytes:\n{form}",
            form.len()
        )
    );
    assert_eq!(
        output.header("Content-Length"),
        Some(output.body.len().to_string().as_str())
    );
    assert_eq!(output.stderr, "");
}

fn head_request_has_no_body() {
    let output = run_cgi(&[("REQUEST_METHOD", "HEAD"), ("PATH_INFO", "/")], b"");
    assert_eq!(output.status, "200 OK");
    assert!(output.header("Content-Length").is_some());
    assert!(output.body.is_empty());
}

fn application_error_gives_status_500() {
    // The body ends after 5 of the 100 declared bytes: reading wsgi.input
    // fails, and the application returns that error with `?`.
    let output = run_cgi(
        &[
            ("REQUEST_METHOD", "POST"),
            ("PATH_INFO", "/upload"),
            ("CONTENT_LENGTH", "100"),
        ],
        b"short",
    );
    assert_eq!(output.status, "500 Internal Server Error");
    assert_eq!(output.header("Content-Type"), Some("text/plain"));
    assert_eq!(
        output.text(),
        "A server error occurred.  Please contact the administrator."
    );
    assert!(
        output.stderr.starts_with("error in the application: "),
        "the error goes to the web server's error log: {:?}",
        output.stderr
    );
}

/// The tests, by name.
const TESTS: [(&str, fn()); 4] = [
    ("get_request", get_request),
    (
        "post_request_echoes_content_length_bytes",
        post_request_echoes_content_length_bytes,
    ),
    ("head_request_has_no_body", head_request_has_no_body),
    ("application_error_gives_status_500", application_error_gives_status_500),
];

/// Be the CGI program (in the child), or run the tests the way libtest
/// does: `cargo test -- NAME` runs those whose name contains NAME, `--exact`
/// and `--list` work; other flags are accepted and ignored.
fn main() -> ExitCode {
    if std::env::var_os(CHILD).is_some() {
        example::main();
        return ExitCode::SUCCESS;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let exact = args.iter().any(|arg| arg == "--exact");
    let filters: Vec<&String> = args.iter().filter(|arg| !arg.starts_with('-')).collect();
    let selected = TESTS.iter().filter(|(name, _)| {
        filters.is_empty()
            || filters.iter().any(|filter| {
                if exact {
                    name == filter
                } else {
                    name.contains(filter.as_str())
                }
            })
    });
    if args.iter().any(|arg| arg == "--list") {
        selected.for_each(|(name, _)| println!("{name}: test"));
        return ExitCode::SUCCESS;
    }
    let selected: Vec<_> = selected.collect();
    println!("\nrunning {} tests", selected.len());
    let mut failed = Vec::new();
    for (name, test) in &selected {
        let passed = panic::catch_unwind(AssertUnwindSafe(test)).is_ok();
        println!("test {name} ... {}", if passed { "ok" } else { "FAILED" });
        if !passed {
            failed.push(*name);
        }
    }
    let result = if failed.is_empty() { "ok" } else { "FAILED" };
    println!(
        "\ntest result: {result}. {} passed; {} failed\n",
        selected.len() - failed.len(),
        failed.len()
    );
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
