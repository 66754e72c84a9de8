//! `wsgiref::testing::TestClient` and the rest of the grown-up harness
//! against a real application, in-process and over the real server: a login
//! flow with a cookie, a chain of redirects, a multipart upload, the framing
//! of HEAD, 204 and streamed responses as seen on the wire.

use wsgiref::simple_server::echo_app;
use wsgiref::testing::{ClientError, Multipart, TestClient, TestRequest, TestResponse, serve_once};
use wsgiref::{AppError, Body, Environ, StartResponse};

/// A small site: `/login` sets a session cookie and redirects to
/// `/dashboard`, which needs it; `/logout` removes it; `/r/N` redirects N
/// times; `/loop` forever; `/stream` streams three chunks; `/empty` is 204.
fn site(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let path = environ.get("PATH_INFO").unwrap_or_default().to_string();
    let cookie = environ.get("HTTP_COOKIE").unwrap_or_default().to_string();
    let text = [("Content-Type", "text/plain; charset=utf-8")];
    let redirect = |status: &str, location: &str, cookie: Option<&str>| -> Result<Body, AppError> {
        let mut headers = vec![("Content-Type", "text/plain"), ("Location", location)];
        headers.extend(cookie.map(|cookie| ("Set-Cookie", cookie)));
        start_response.call(status, headers)?;
        Ok(Body::from(""))
    };
    match path.as_str() {
        "/login" => {
            let form = environ.input.read_bytes(1000)?;
            let user = String::from_utf8_lossy(&form).trim_start_matches("user=").to_string();
            redirect(
                "303 See Other",
                "/dashboard",
                Some(&format!("session={user}; Path=/; HttpOnly")),
            )
        }
        "/logout" => redirect("302 Found", "/dashboard", Some("session=gone; Path=/; Max-Age=0")),
        "/dashboard" => match cookie.strip_prefix("session=") {
            Some(user) => {
                start_response.call("200 OK", text)?;
                Ok(Body::from(format!("hello {user}")))
            }
            None => {
                start_response.call("401 Unauthorized", text)?;
                Ok(Body::from("log in first"))
            }
        },
        "/loop" => redirect("302 Found", "/loop", None),
        "/stream" => {
            start_response.call("200 OK", text)?;
            Ok(Body::from_chunks(["one,", "two,", "three"]))
        }
        "/empty" => {
            start_response.call("204 No Content", Vec::<(String, String)>::new())?;
            Ok(Body::from(""))
        }
        _ => match path.strip_prefix("/r/").and_then(|n| n.parse::<u32>().ok()) {
            Some(0) => {
                start_response.call("200 OK", text)?;
                Ok(Body::from(format!(
                    "done, method {}",
                    environ.get("REQUEST_METHOD").unwrap_or_default()
                )))
            }
            Some(n) => redirect("307 Temporary Redirect", &format!("http://localhost/r/{}", n - 1), None),
            None => {
                start_response.call("404 Not Found", text)?;
                Ok(Body::from("no such page"))
            }
        },
    }
}

/// The two ways a client runs requests.
fn clients() -> [(&'static str, TestClient); 2] {
    [
        ("in-process", TestClient::new(site)),
        ("over a socket", TestClient::new(site).over_socket()),
    ]
}

#[test]
fn login_sets_a_cookie_that_the_next_request_sends() {
    for (way, mut client) in clients() {
        assert_eq!(client.get("/dashboard").unwrap().status, 401, "{way}");
        let login = client
            .open(TestRequest::post("/login").form(&[("user", "alice")]))
            .unwrap();
        assert_eq!(login.status, 303, "{way}: redirects are not followed by default");
        let session = client.cookies().get("session").expect("the session cookie");
        assert_eq!((session.value.as_str(), session.http_only), ("alice", true), "{way}");
        let dashboard = client.get("/dashboard").unwrap();
        assert_eq!(dashboard.text(), "hello alice", "{way}");
        let sent = dashboard.request.as_ref().unwrap().to_bytes();
        assert!(sent.windows(24).any(|w| w == b"\r\nCookie: session=alice\r"), "{way}");
        assert!(client.get("/logout").unwrap().status == 302 && client.cookies().get("session").is_none());
        assert_eq!(client.get("/dashboard").unwrap().status, 401, "{way}: logged out");
    }
    let mut forgetful = TestClient::new(site).without_cookies();
    forgetful
        .open(TestRequest::post("/login").form(&[("user", "bob")]))
        .unwrap();
    assert_eq!(forgetful.get("/dashboard").unwrap().status, 401);
}

#[test]
fn a_chain_of_three_redirects_is_kept_in_history() {
    for (way, client) in clients() {
        let mut client = client.follow_redirects(true);
        let response = client.open(TestRequest::put("/r/3").body("payload")).unwrap();
        assert_eq!(response.text(), "done, method PUT", "{way}: 307 keeps the method");
        let chain: Vec<(u16, String)> = response
            .history
            .iter()
            .map(|hop| (hop.status, hop.request.as_ref().unwrap().target()))
            .collect();
        let expected = [(307, "/r/3"), (307, "/r/2"), (307, "/r/1")].map(|(s, t)| (s, t.to_string()));
        assert_eq!(chain, expected, "{way}");
        assert_eq!(response.request.as_ref().unwrap().target(), "/r/0", "{way}");
        // The login redirect (303) becomes a GET that carries the new cookie.
        let login = client
            .open(TestRequest::post("/login").form(&[("user", "carol")]))
            .unwrap();
        assert_eq!((login.status, login.text().as_str()), (200, "hello carol"), "{way}");
        assert_eq!(login.request.as_ref().unwrap().method(), "GET", "{way}");
        match client.get("/loop") {
            Err(ClientError::TooManyRedirects(history)) => assert_eq!(history.len(), 21, "{way}"),
            other => panic!("{way}: {other:?}"),
        }
    }
}

/// The parts of a `multipart/form-data` body: `(headers, data)`, split by
/// hand (RFC 2046 §5.1.1) so the encoder is checked by something else.
fn split_multipart(content_type: &str, body: &[u8]) -> Vec<(String, Vec<u8>)> {
    let boundary = content_type.split("boundary=").nth(1).expect("a boundary");
    let delimiter = format!("\r\n--{boundary}");
    let body = [b"\r\n", body].concat();
    let mut parts = Vec::new();
    let mut rest = &body[..];
    loop {
        let at = rest
            .windows(delimiter.len())
            .position(|w| w == delimiter.as_bytes())
            .expect("a delimiter");
        rest = &rest[at + delimiter.len()..];
        if rest.starts_with(b"--") {
            return parts;
        }
        let next = rest
            .windows(delimiter.len())
            .position(|w| w == delimiter.as_bytes())
            .unwrap();
        let part = &rest[2..next];
        let head_end = part.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        parts.push((
            String::from_utf8(part[..head_end].to_vec()).unwrap(),
            part[head_end + 4..].to_vec(),
        ));
        rest = &rest[next..];
    }
}

#[test]
fn a_multipart_upload_of_two_files_comes_back_byte_for_byte() {
    let binary: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let tricky = b"line\r\n--not-a-boundary\r\n----wsgirefBoundary0\r\nend".to_vec();
    let form = Multipart::new()
        .field("title", "Zoë's files")
        .file("first", "data.bin", "application/octet-stream", binary.clone())
        .file("second", "na\"me.txt", "text/plain", tricky.clone());
    let request = TestRequest::post("/upload").multipart(form);
    for (way, mut client) in [
        ("in-process", TestClient::new(echo_app)),
        ("over a socket", TestClient::new(echo_app).over_socket()),
    ] {
        let response = client.open(request.clone()).unwrap();
        let content_type = response.header("Content-Type").unwrap().to_string();
        assert!(content_type.starts_with("multipart/form-data; boundary="), "{way}");
        let parts = split_multipart(&content_type, &response.body);
        let heads: Vec<&str> = parts.iter().map(|(head, _)| head.as_str()).collect();
        assert_eq!(
            heads,
            [
                "Content-Disposition: form-data; name=\"title\"",
                "Content-Disposition: form-data; name=\"first\"; filename=\"data.bin\"\r\nContent-Type: application/octet-stream",
                "Content-Disposition: form-data; name=\"second\"; filename=\"na%22me.txt\"\r\nContent-Type: text/plain",
            ],
            "{way}"
        );
        assert_eq!(parts[0].1, "Zoë's files".as_bytes(), "{way}");
        assert!(
            parts[1].1 == binary && parts[2].1 == tricky,
            "{way}: files byte for byte"
        );
    }
}

#[test]
fn head_and_204_framing_on_the_wire() {
    let head = serve_once(site, TestRequest::head("/dashboard").cookie("session", "dan")).unwrap();
    let wire = head.wire.as_ref().unwrap();
    assert!(
        wire.request
            .starts_with(b"HEAD /dashboard HTTP/1.1\r\nHost: localhost\r\nCookie: session=dan\r\n\r\n")
    );
    let response_head = wire.response_head();
    assert!(response_head.starts_with("HTTP/1.1 200 OK\r\n"), "{response_head}");
    assert!(
        response_head.contains("\r\nContent-Length: 9\r\n"),
        "the GET's length: {response_head}"
    );
    assert!(response_head.contains("\r\nConnection: close\r\n"), "{response_head}");
    assert!(
        wire.response_body().is_empty() && head.body.is_empty(),
        "HEAD: no body bytes"
    );
    assert!(head.complete, "a HEAD response is whole without the GET's body");

    let mut client = TestClient::new(site).over_socket();
    let empty = client.get("/empty").unwrap();
    let wire = empty.wire.as_ref().unwrap();
    let response_head = wire.response_head();
    assert!(
        response_head.starts_with("HTTP/1.1 204 No Content\r\n"),
        "{response_head}"
    );
    for framing in ["Content-Length", "Transfer-Encoding"] {
        assert!(
            !response_head.contains(framing),
            "204 has no {framing}: {response_head}"
        );
    }
    assert!(wire.response_body().is_empty() && empty.complete);
}

#[test]
fn a_streamed_body_keeps_its_chunks_both_ways() {
    for (way, mut client) in clients() {
        let response = client.get("/stream").unwrap();
        assert!(response.is_streamed(), "{way}");
        let chunks = response.chunks.clone().unwrap();
        assert_eq!(chunks, [b"one,".to_vec(), b"two,".to_vec(), b"three".to_vec()], "{way}");
        assert_eq!(
            (response.text(), response.charset()),
            ("one,two,three".to_string(), Some("utf-8".to_string()))
        );
        if let Some(wire) = &response.wire {
            assert!(wire.response_head().contains("\r\nTransfer-Encoding: chunked\r\n"));
            assert_eq!(
                wire.response_body(),
                b"4\r\none,\r\n4\r\ntwo,\r\n5\r\nthree\r\n0\r\n\r\n"
            );
        }
    }
    let fixed: TestResponse = TestClient::new(site).get("/dashboard").unwrap();
    assert!(!fixed.is_streamed());
}

#[test]
fn queries_methods_and_environ_overrides_reach_the_application() {
    // (request, a line demo_app shows for it)
    let cases = [
        (
            TestRequest::get("/").query(&[("q", "a b&c"), ("\u{e9}", "/")]),
            "QUERY_STRING = 'q=a+b%26c&%C3%A9=%2F'",
        ),
        (TestRequest::patch("/x").json("{}"), "REQUEST_METHOD = 'PATCH'"),
        (TestRequest::delete("/x"), "REQUEST_METHOD = 'DELETE'"),
        (TestRequest::options("/x"), "REQUEST_METHOD = 'OPTIONS'"),
        (
            TestRequest::get("/").environ("REMOTE_USER", "erin"),
            "REMOTE_USER = 'erin'",
        ),
    ];
    for (request, line) in cases {
        let in_process = TestClient::new(wsgiref::simple_server::demo_app)
            .open(request.clone())
            .unwrap();
        let over_socket = serve_once(wsgiref::simple_server::demo_app, request.clone()).unwrap();
        assert_eq!(in_process.text(), over_socket.text(), "{request:?}");
        let text = in_process.text();
        assert!(text.contains(&format!("\n{line}\n")), "missing {line:?} in\n{text}");
    }
}

#[test]
fn the_validator_is_on_by_default_and_can_be_switched_off() {
    let bad = wsgiref::app_fn(|_environ, start_response| {
        start_response.call("200 OK", [("Content-Type", "text/plain"), ("Connection", "keep-alive")])?;
        Ok(Body::from("x"))
    });
    let bad = std::sync::Arc::new(bad);
    for over_socket in [false, true] {
        let client = TestClient::new(std::sync::Arc::clone(&bad));
        let mut client = if over_socket { client.over_socket() } else { client };
        match client.get("/") {
            Err(ClientError::Violation(violation)) => assert_eq!(violation.rule, "hop_by_hop_header"),
            other => panic!("over socket {over_socket}: {other:?}"),
        }
        let mut unchecked = TestClient::new(std::sync::Arc::clone(&bad)).validate(false);
        assert_eq!(unchecked.get("/").unwrap().status, 500, "the server refuses the header");
    }
}

#[cfg(feature = "json")]
#[test]
fn json_bodies_both_ways() {
    let request = TestRequest::post("/api").json(r#"{"user": "zoë", "ids": [1, 2]}"#);
    for mut client in [TestClient::new(echo_app), TestClient::new(echo_app).over_socket()] {
        let response = client.open(request.clone()).unwrap();
        let value = response.json().unwrap();
        assert_eq!(value["user"], "zoë");
        assert_eq!(value["ids"], serde_json::json!([1, 2]));
    }
    let text = TestClient::new(echo_app)
        .open(TestRequest::post("/").body("not json"))
        .unwrap();
    assert!(text.json().is_err());
}
