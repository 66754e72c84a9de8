//! A response cut off by an error is never mistaken for a complete one:
//! a body of unknown length goes out chunked to HTTP/1.1 clients (a cut
//! one lacks its last chunk), and a cut that framing cannot show (HTTP/1.0,
//! or fewer bytes than a declared `Content-Length`) ends with a reset.
//! Raw sockets, exact bytes; and ureq, an independent client, must see the
//! cut as an error.

mod common;

use common::{TestServer, header, split_raw_response, status, without_date};
use wsgiref::testing::{TestRequest, run, serve_once};
use wsgiref::{AppError, Body, app_fn};

/// Two chunks, no length.
fn streamed(_environ: &mut wsgiref::Environ, start_response: wsgiref::StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain")])?;
    Ok(Body::from_chunks(["part one\n", "part two\n"]))
}

/// One chunk, then an error (a database that went away mid-export).
fn fails_mid_body(_environ: &mut wsgiref::Environ, start_response: wsgiref::StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain")])?;
    let chunks: Vec<Result<Vec<u8>, AppError>> = vec![Ok(b"part one\n".to_vec()), Err("the database went away".into())];
    Ok(Body::new(chunks))
}

const GET_1_1: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const GET_1_0: &[u8] = b"GET / HTTP/1.0\r\n\r\n";

#[test]
fn a_streamed_body_is_chunked_for_http_1_1_and_close_delimited_for_http_1_0() {
    let server = TestServer::start(streamed);
    let (head, body) = split_raw_response(&server.send(GET_1_1));
    assert_eq!(
        without_date(&head),
        format!(
            "HTTP/1.1 200 OK\r\nDate: <DATE>\r\nServer: {}\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close",
            wsgiref::simple_server::SERVER_SOFTWARE
        )
    );
    assert_eq!(body, b"9\r\npart one\n\r\n9\r\npart two\n\r\n0\r\n\r\n");
    let (head, body) = split_raw_response(&server.send(GET_1_0));
    assert_eq!(header(&head, "Transfer-Encoding"), None);
    assert_eq!(header(&head, "Content-Length"), None);
    assert_eq!(body, b"part one\npart two\n");
}

#[test]
fn the_write_callable_is_chunked_too() {
    let app = app_fn(|_environ, start_response| {
        let write = start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        write.write(b"abc")?;
        write.write(b"")?;
        write.write(b"0123456789abcdef")?;
        Ok(Body::empty())
    });
    let server = TestServer::start(app);
    let (_, body) = split_raw_response(&server.send(GET_1_1));
    assert_eq!(body, b"3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n");
}

#[test]
fn an_error_after_the_first_chunk_leaves_no_last_chunk_on_http_1_1() {
    let server = TestServer::start(fails_mid_body);
    // A clean close, but without `0\r\n\r\n`: every HTTP/1.1 client sees the cut.
    let (head, body) = split_raw_response(&server.send(GET_1_1));
    assert_eq!(status(&head), 200);
    assert_eq!(body, b"9\r\npart one\n\r\n");
    assert_eq!(common::decode_chunked(&body), (b"part one\n".to_vec(), false));
    // The server goes on serving.
    let (_, body) = split_raw_response(&server.send(GET_1_1));
    assert_eq!(body, b"9\r\npart one\n\r\n");
}

#[test]
fn an_error_after_the_first_chunk_resets_an_http_1_0_connection() {
    let server = TestServer::start(fails_mid_body);
    let (head, body) = split_raw_response(&server.send_expecting_reset(GET_1_0));
    assert_eq!(status(&head), 200);
    assert_eq!(body, b"part one\n");
}

#[test]
fn a_body_shorter_than_its_content_length_resets_on_both_versions() {
    let app = app_fn(|_environ, start_response| {
        start_response.call("200 OK", [("Content-Length", "100")])?;
        Ok(Body::from_chunks(["only ", "ten b"]))
    });
    let server = TestServer::start(app);
    for request in [GET_1_1, GET_1_0] {
        let (head, body) = split_raw_response(&server.send_expecting_reset(request));
        assert_eq!(header(&head, "Content-Length").as_deref(), Some("100"));
        assert_eq!(
            header(&head, "Transfer-Encoding"),
            None,
            "a declared length is never chunked"
        );
        assert_eq!(body, b"only ten b");
    }
}

#[test]
fn ureq_reports_a_cut_response_as_an_error() {
    let server = TestServer::start(fails_mid_body);
    let url = format!("http://{}/", server.address);
    let mut response = ureq::get(&url).call().expect("the head arrives");
    assert_eq!(response.status(), 200);
    let read = response.body_mut().read_to_vec();
    assert!(read.is_err(), "ureq took a cut body as complete: {read:?}");
    // The same client reads a complete chunked body.
    let server = TestServer::start(streamed);
    let url = format!("http://{}/", server.address);
    let text = ureq::get(&url).call().unwrap().body_mut().read_to_string().unwrap();
    assert_eq!(text, "part one\npart two\n");
}

#[test]
fn head_204_and_304_are_never_chunked() {
    let server = TestServer::start(streamed);
    let (head, body) = split_raw_response(&server.send(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert_eq!((header(&head, "Transfer-Encoding"), body.as_slice()), (None, &b""[..]));
    for status_line in ["204 No Content", "304 Not Modified"] {
        let app = app_fn(move |_environ, start_response| {
            start_response.call(status_line, Vec::<(String, String)>::new())?;
            Ok(Body::from_chunks(["", ""]))
        });
        let server = TestServer::start(app);
        let (head, body) = split_raw_response(&server.send(GET_1_1));
        assert_eq!(status(&head), status_line[..3].parse::<u16>().unwrap());
        assert_eq!(header(&head, "Transfer-Encoding"), None, "{status_line}");
        assert_eq!(header(&head, "Content-Length"), None, "{status_line}");
        assert!(body.is_empty(), "{status_line}");
    }
}

#[test]
fn the_test_harness_decodes_chunks_and_reports_a_cut() {
    let response = run(&streamed, TestRequest::get("/"));
    assert_eq!(response.header("Transfer-Encoding"), Some("chunked"));
    assert_eq!(
        (response.body.as_slice(), response.complete),
        (&b"part one\npart two\n"[..], true)
    );
    let response = run(&fails_mid_body, TestRequest::get("/"));
    assert_eq!(
        (response.body.as_slice(), response.complete),
        (&b"part one\n"[..], false)
    );
    let response = serve_once(fails_mid_body, TestRequest::get("/")).unwrap();
    assert_eq!(
        (response.body.as_slice(), response.complete),
        (&b"part one\n"[..], false)
    );
}
