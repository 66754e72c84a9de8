//! The single-request harness (`wsgiref::testing`) against the crate's own
//! applications: in-process and over a real socket the application sees the
//! same environ and the client gets the same response.

use std::io::Write;

use wsgiref::simple_server::{demo_app, echo_app};
use wsgiref::testing::{TestRequest, TestResponse, run, run_validated, serve_once};
use wsgiref::{AppError, Body, Environ, StartResponse};

/// Requests that exercise every part of the builder.
fn requests() -> Vec<(&'static str, TestRequest)> {
    vec![
        ("plain GET", TestRequest::get("/xyz?abc")),
        ("encoded path", TestRequest::get("/caf\u{e9}/a%20b?q=caf%C3%A9&x=1")),
        (
            "headers",
            TestRequest::get("/")
                .header("Accept", "text/html")
                .header("Accept", "text/plain")
                .header("X_Dropped", "1")
                .header("User-Agent", "harness/1.0"),
        ),
        (
            "mounted https",
            TestRequest::get("/users/42")
                .script_name("/app")
                .scheme("https")
                .server("example.com", 8443)
                .remote_addr("192.0.2.7"),
        ),
        (
            "form",
            TestRequest::post("/login").form(&[("user", "zoë"), ("pass", "a b&c")]),
        ),
        ("json", TestRequest::new("PUT", "/api/items/1").json(r#"{"name": "x"}"#)),
        ("chunked", TestRequest::post("/upload").body("0123456789").chunked()),
    ]
}

/// A response without the `Date` header, which changes every second, and
/// without the wire bytes, which only a response over a socket has.
fn without_date(mut response: TestResponse) -> TestResponse {
    response.headers.retain(|(name, _)| name != "Date");
    response.wire = None;
    response
}

#[test]
fn demo_app_sees_the_same_environ_in_process_and_over_a_socket() {
    for (name, request) in requests() {
        let in_process = without_date(run(&demo_app, request.clone()));
        let over_socket = without_date(serve_once(demo_app, request).expect("serve_once"));
        assert_eq!(in_process.text(), over_socket.text(), "request {name}");
        assert_eq!(in_process, over_socket, "request {name}");
    }
}

#[test]
fn demo_app_shows_the_request() {
    let response = run(&demo_app, requests().remove(3).1);
    let text = response.text();
    for line in [
        "HTTPS = 'on'",
        "HTTP_HOST = 'example.com:8443'",
        "PATH_INFO = '/users/42'",
        "SCRIPT_NAME = '/app'",
        "SERVER_NAME = 'example.com'",
        "SERVER_PORT = '8443'",
        "REMOTE_ADDR = '192.0.2.7'",
        "wsgi.url_scheme = 'https'",
    ] {
        assert!(text.contains(&format!("\n{line}\n")), "missing {line:?} in\n{text}");
    }
}

#[test]
fn echo_app_returns_each_body_both_ways() {
    for (name, request) in requests() {
        let expected = match name {
            "form" => "user=zo%C3%AB&pass=a+b%26c",
            "json" => r#"{"name": "x"}"#,
            "chunked" => "0123456789",
            _ => "",
        };
        let in_process = run_validated(&echo_app, request.clone()).expect("echo_app follows PEP 3333");
        let over_socket = serve_once(echo_app, request).expect("serve_once");
        for response in [in_process, over_socket] {
            assert_eq!(response.status, 200, "request {name}");
            assert_eq!(response.text(), expected, "request {name}");
            assert!(response.complete, "request {name}");
        }
    }
}

/// Logs to `wsgi.errors`, then fails on `/fail`.
fn noisy_app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let path = environ.get("PATH_INFO").unwrap_or_default().to_string();
    writeln!(environ.errors, "handling {path}")?;
    if path == "/fail" {
        return Err("the database is down".into());
    }
    start_response.call("200 OK", [("Content-Type", "text/plain")])?;
    Ok(Body::from("fine"))
}

#[test]
fn wsgi_errors_are_kept_both_ways() {
    let cases = [
        ("/ok", 200, "fine"),
        (
            "/fail",
            500,
            "A server error occurred.  Please contact the administrator.",
        ),
    ];
    for (path, status, body) in cases {
        let in_process = run(&noisy_app, TestRequest::get(path));
        let over_socket = serve_once(noisy_app, TestRequest::get(path)).expect("serve_once");
        for response in [in_process, over_socket] {
            assert_eq!(
                (response.status, response.text().as_str()),
                (status, body),
                "path {path}"
            );
            assert_eq!(response.errors, format!("handling {path}\n"), "path {path}");
        }
    }
}

#[test]
fn run_validated_finds_protocol_violations() {
    let hop_by_hop = wsgiref::app_fn(|_environ, start_response| {
        start_response.call("200 OK", [("Content-Type", "text/plain"), ("Keep-Alive", "timeout=5")])?;
        Ok(Body::from("x"))
    });
    let violation = run_validated(&hop_by_hop, TestRequest::get("/")).unwrap_err();
    assert_eq!(violation.rule, "hop_by_hop_header");
    // The same application without the validator: the server refuses the header itself.
    assert_eq!(run(&hop_by_hop, TestRequest::get("/")).status, 500);
    assert!(run_validated(&demo_app, TestRequest::get("/")).is_ok());
}

#[test]
fn head_gets_no_body() {
    let response = serve_once(demo_app, TestRequest::new("HEAD", "/")).expect("serve_once");
    assert_eq!(response.status, 200);
    assert!(response.body.is_empty());
    assert!(response.header("Content-Length").is_some());
}
