//! The response side over real sockets: errors and panics give 500 and the
//! server keeps serving; bad headers are never written; lazy start_response;
//! the write callable; exc_info; the close step always runs.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{TestServer, header, split_raw_response, split_response, status};
use wsgiref::{AppError, Body, Environ, ExcInfo, StartResponse, app_fn};

const ERROR_BODY: &[u8] = b"A server error occurred.  Please contact the administrator.";

/// `/fail` returns an error, `/panic` panics, anything else says "ok".
fn flaky_app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    match environ.get("PATH_INFO") {
        Some("/fail") => Err("the database is down".into()),
        Some("/panic") => panic!("the application panicked on purpose"),
        Some("/panic-in-body") => {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::new(std::iter::from_fn(
                || -> Option<Result<Vec<u8>, AppError>> { panic!("the body panicked on purpose") },
            )))
        }
        _ => {
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from("ok"))
        }
    }
}

#[test]
fn application_error_gives_500_and_the_next_request_is_served() {
    let server = TestServer::start(flaky_app);
    for path in ["/fail", "/panic", "/panic-in-body"] {
        let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n");
        let (head, body) = split_response(&server.send(request.as_bytes()));
        assert_eq!(status(&head), 500, "path {path}");
        assert_eq!(header(&head, "Content-Type").as_deref(), Some("text/plain"));
        assert_eq!(header(&head, "Content-Length").as_deref(), Some("59"));
        assert_eq!(body, ERROR_BODY, "path {path}");
        let (head, body) = split_response(&server.send(b"GET /fine HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert_eq!((status(&head), body.as_slice()), (200, &b"ok"[..]), "after {path}");
    }
}

#[test]
fn error_after_headers_closes_the_connection() {
    let app = app_fn(|_environ, start_response| {
        start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        let chunks: Vec<Result<Vec<u8>, AppError>> = vec![Ok(b"first ".to_vec()), Err("second chunk failed".into())];
        Ok(Body::new(chunks))
    });
    let server = TestServer::start(app);
    // HTTP/1.0, no length: only a reset can tell the client the body is cut.
    let (head, body) = split_raw_response(&server.send_expecting_reset(b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(status(&head), 200);
    assert_eq!(body, b"first ");
    assert_eq!(header(&head, "Content-Length"), None);
    // HTTP/1.1: chunked, and the cut body has no last chunk (a clean close).
    let (head, body) = split_raw_response(&server.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert_eq!(header(&head, "Transfer-Encoding").as_deref(), Some("chunked"));
    assert_eq!(body, b"6\r\nfirst \r\n");
}

#[test]
fn headers_with_cr_lf_or_nul_are_never_written() {
    let cases: [(&str, &str, &str); 5] = [
        ("200 OK\r\nSet-Cookie: evil=1", "Content-Type", "text/plain"),
        ("200 OK", "X-Evil\r\nSet-Cookie", "evil=1"),
        ("200 OK", "X-Evil", "a\r\nSet-Cookie: evil=1"),
        ("200 OK", "X-Evil", "a\nSet-Cookie: evil=1"),
        ("200 OK", "X-Evil", "a\0b"),
    ];
    for (status_text, name, value) in cases {
        let app = app_fn(move |_environ, start_response| {
            start_response.call(status_text, [(name, value)])?;
            Ok(Body::from("body"))
        });
        let server = TestServer::start(app);
        let response = server.send(b"GET / HTTP/1.0\r\n\r\n");
        let text = String::from_utf8_lossy(&response);
        assert!(text.starts_with("HTTP/1.1 500 "), "case {name:?} {value:?}: {text}");
        assert!(
            !text.contains("evil") && !text.contains('\0'),
            "case {name:?} {value:?}: {text}"
        );
    }
}

#[test]
fn start_response_called_lazily_inside_the_body() {
    // PEP 3333 allows start_response during the first iteration (the "class with __iter__").
    let app = app_fn(|_environ, start_response| {
        let mut started = false;
        let chunks = std::iter::from_fn(move || {
            if started {
                return None;
            }
            started = true;
            Some(
                start_response
                    .call("202 Accepted", [("Content-Type", "text/plain")])
                    .map(|_| b"lazy".to_vec())
                    .map_err(AppError::from),
            )
        });
        Ok(Body::new(chunks))
    });
    let server = TestServer::start(app);
    let (head, body) = split_response(&server.send(b"GET / HTTP/1.0\r\n\r\n"));
    assert!(head.starts_with("HTTP/1.1 202 Accepted\r\n"));
    assert_eq!(body, b"lazy");
}

#[test]
fn the_write_callable_sends_headers_then_data() {
    let app = app_fn(|_environ, start_response| {
        let write = start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        write.write(b"written ")?;
        write.write(b"")?;
        write.write(b"then ")?;
        Ok(Body::from_chunks(["returned"]))
    });
    let server = TestServer::start(app);
    let (head, body) = split_response(&server.send(b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(status(&head), 200);
    assert_eq!(header(&head, "Content-Length"), None);
    assert_eq!(body, b"written then returned");
}

#[test]
fn exc_info_replaces_headers_not_yet_sent() {
    let app = app_fn(|_environ, start_response| {
        start_response.call("200 OK", [("Content-Type", "text/html")])?;
        // Something failed before any body was produced: replace the response.
        start_response.call_with_exc_info(
            "503 Service Unavailable",
            vec![("Content-Type".into(), "text/plain".into())],
            Some(ExcInfo::new("cache unavailable")),
        )?;
        Ok(Body::from("try later"))
    });
    let server = TestServer::start(app);
    let (head, body) = split_response(&server.send(b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(status(&head), 503);
    assert_eq!(header(&head, "Content-Type").as_deref(), Some("text/plain"));
    assert_eq!(body, b"try later");
}

#[test]
fn exc_info_after_headers_were_sent_is_reraised() {
    let app = app_fn(|_environ, start_response| {
        let write = start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        write.write(b"partial")?;
        // PEP 3333: with headers sent, start_response re-raises exc_info.
        let reraised = start_response.call_with_exc_info("500 Oops", vec![], Some(ExcInfo::new("late")));
        match reraised {
            Err(wsgiref::StartResponseError::HeadersAlreadySent(exc_info)) => Err(exc_info.into_error()),
            other => panic!("expected the error back, got {other:?}"),
        }
    });
    let server = TestServer::start(app);
    let (head, body) = split_raw_response(&server.send_expecting_reset(b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(status(&head), 200);
    assert_eq!(body, b"partial");
}

#[test]
fn second_start_response_without_exc_info_is_an_error() {
    let app = app_fn(|_environ, start_response| {
        start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        start_response.call("404 Not Found", [("Content-Type", "text/plain")])?;
        Ok(Body::from("never"))
    });
    let server = TestServer::start(app);
    let (head, _) = split_response(&server.send(b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(status(&head), 500);
}

#[test]
fn the_close_step_runs_on_every_path() {
    let closed = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&closed);
    let app = move |environ: &mut Environ, start_response: StartResponse| -> Result<Body, AppError> {
        let counter = Arc::clone(&counter);
        let on_close = move || {
            counter.fetch_add(1, Ordering::SeqCst);
        };
        start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        let body = match environ.get("PATH_INFO") {
            Some("/error") => Body::new(vec![Err::<Vec<u8>, AppError>("chunk failed".into())]),
            Some("/panic") => Body::new(std::iter::from_fn(|| -> Option<Result<Vec<u8>, AppError>> {
                panic!("boom")
            })),
            Some("/big") => Body::new(std::iter::repeat_with(|| Ok(vec![b'x'; 65536])).take(200)),
            _ => Body::from("fine"),
        };
        Ok(body.on_close(on_close))
    };
    let server = TestServer::start(app);
    for path in ["/ok", "/error", "/panic"] {
        server.send(format!("GET {path} HTTP/1.0\r\n\r\n").as_bytes());
    }
    // A client that goes away mid-response.
    {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(server.address).unwrap();
        stream.write_all(b"GET /big HTTP/1.0\r\n\r\n").unwrap();
        let mut first = [0u8; 1024];
        let _ = stream.read(&mut first).unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while closed.load(Ordering::SeqCst) < 4 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(closed.load(Ordering::SeqCst), 4);
}

#[test]
fn status_below_200_and_hop_by_hop_headers_are_refused() {
    let cases: [(&str, &str, &str); 3] = [
        ("100 Continue", "Content-Type", "text/plain"),
        ("200 OK", "Connection", "keep-alive"),
        ("200 OK", "Transfer-Encoding", "chunked"),
    ];
    for (status_text, name, value) in cases {
        let app = app_fn(move |_environ, start_response| {
            start_response.call(status_text, [(name, value)])?;
            Ok(Body::from("x"))
        });
        let server = TestServer::start(app);
        let (head, _) = split_response(&server.send(b"GET / HTTP/1.0\r\n\r\n"));
        assert_eq!(status(&head), 500, "case {status_text} {name}");
    }
}

#[test]
fn no_body_for_204_and_304() {
    for status_text in ["204 No Content", "304 Not Modified"] {
        let app = app_fn(move |_environ, start_response| {
            start_response.call(status_text, Vec::<(String, String)>::new())?;
            Ok(Body::from("must not be sent"))
        });
        let server = TestServer::start(app);
        let (head, body) = split_response(&server.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        assert!(body.is_empty(), "{status_text}");
        assert_eq!(header(&head, "Content-Length"), None, "{status_text}");
    }
}

#[test]
fn body_shorter_than_content_length_is_logged_and_closed() {
    let app = app_fn(|_environ, start_response| {
        start_response.call("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])?;
        Ok(Body::from_chunks(["only5"]))
    });
    let server = TestServer::start(app);
    let (head, body) = split_raw_response(&server.send_expecting_reset(b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(header(&head, "Content-Length").as_deref(), Some("10"));
    // The client gets 5 bytes, then a reset: a short body it cannot miss.
    assert_eq!(body, b"only5");
    // The server goes on: the next request is served (and cut) the same way.
    let (head, _) = split_raw_response(&server.send_expecting_reset(b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(status(&head), 200);
}

#[test]
fn body_longer_than_content_length_is_cut() {
    let app = app_fn(|_environ, start_response| {
        start_response.call("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])?;
        Ok(Body::from_chunks(["ab", "cdef", "gh"]))
    });
    let server = TestServer::start(app);
    let (_, body) = split_response(&server.send(b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(body, b"abcd");
}

#[test]
fn a_panic_in_the_close_step_is_contained() {
    let app = app_fn(|_environ, start_response| {
        start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        Ok(Body::from("fine").on_close(|| panic!("close step panicked on purpose")))
    });
    let server = TestServer::start(app);
    for _ in 0..3 {
        let (head, body) = split_response(&server.send(b"GET / HTTP/1.0\r\n\r\n"));
        assert_eq!((status(&head), body.as_slice()), (200, &b"fine"[..]));
    }
}

#[test]
fn every_close_hook_runs_even_after_one_panics() {
    let closed = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&closed);
    let app = move |_environ: &mut Environ, start_response: StartResponse| -> Result<Body, AppError> {
        let counter = Arc::clone(&counter);
        start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        Ok(Body::from("x")
            .on_close(|| panic!("first hook panics"))
            .on_close(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            }))
    };
    let server = TestServer::start(app);
    let (head, _) = split_response(&server.send(b"GET / HTTP/1.0\r\n\r\n"));
    assert_eq!(status(&head), 200);
    drop(server);
    assert_eq!(closed.load(Ordering::SeqCst), 1);
}

#[test]
fn a_malformed_or_second_content_length_from_the_application_is_refused() {
    for headers in [
        vec![("Content-Length", "five")],
        vec![("Content-Length", "5, 5")],
        vec![("Content-Length", "5"), ("content-length", "5")],
    ] {
        let app = app_fn(move |_environ, start_response| {
            let mut all = vec![("Content-Type", "text/plain")];
            all.extend(headers.iter().copied());
            start_response.call("200 OK", all)?;
            Ok(Body::from("hello"))
        });
        let server = TestServer::start(app);
        let (head, _) = split_response(&server.send(b"GET / HTTP/1.0\r\n\r\n"));
        assert_eq!(status(&head), 500);
        assert_eq!(head.matches("Content-Length").count(), 1, "{head}");
    }
}
