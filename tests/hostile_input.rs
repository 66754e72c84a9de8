//! Hostile and malformed requests: each gets a clear status and a closed
//! connection, and the server serves the next request. One test per rule.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use common::{TestServer, header, split_response, status};
use wsgiref::ServerConfig;
use wsgiref::simple_server::{demo_app, echo_app, hello_app};

/// Send `request`, check the status, then check a normal request still works.
fn expect_status(server: &TestServer, request: &[u8], expected: u16) {
    let response = server.send(request);
    let (head, body) = split_response(&response);
    assert_eq!(
        status(&head),
        expected,
        "request {:?} got\n{head}",
        String::from_utf8_lossy(request)
    );
    assert_eq!(header(&head, "Connection").as_deref(), Some("close"));
    if expected >= 400 {
        let text = String::from_utf8_lossy(&body);
        assert!(
            text.starts_with(&format!("{expected} ")),
            "error page says why: {text:?}"
        );
    }
    let (head, _) = split_response(&server.send(b"GET /next HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert_eq!(
        status(&head),
        200,
        "the request after {:?}",
        String::from_utf8_lossy(request)
    );
}

#[test]
fn request_line_too_long_is_414() {
    let server = TestServer::start(demo_app);
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(9000));
    expect_status(&server, long_target.as_bytes(), 414);
    // Without any line end at all.
    expect_status(&server, "A".repeat(20_000).as_bytes(), 414);
}

#[test]
fn too_many_or_too_large_header_fields_are_431() {
    let server = TestServer::start(demo_app);
    let mut many = b"GET / HTTP/1.1\r\nHost: a\r\n".to_vec();
    for n in 0..101 {
        many.extend_from_slice(format!("X-Field-{n}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    expect_status(&server, &many, 431);
    let large = format!("GET / HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n", "b".repeat(40_000));
    expect_status(&server, large.as_bytes(), 431);
}

#[test]
fn malformed_heads_are_400() {
    let server = TestServer::start(demo_app);
    let cases: [&[u8]; 12] = [
        b"GET / HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n  b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x00b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n",
        b"GE\x7fT / HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n",
        b"GET / HTTX/1.1\r\nHost: a\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /\xff HTTP/1.1\r\nHost: a\r\n\r\n",
        b"GET / HTTP/1.1\r\nNo-Colon\r\n\r\n",
    ];
    for request in cases {
        expect_status(&server, request, 400);
    }
}

#[test]
fn host_rules_are_400() {
    let server = TestServer::start(demo_app);
    expect_status(&server, b"GET / HTTP/1.1\r\n\r\n", 400);
    expect_status(&server, b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
    expect_status(&server, b"GET / HTTP/1.0\r\n\r\n", 200);
}

#[test]
fn unsupported_major_version_is_505() {
    let server = TestServer::start(demo_app);
    expect_status(&server, b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
    expect_status(&server, b"GET / HTTP/3.1\r\nHost: a\r\n\r\n", 505);
}

#[test]
fn absolute_form_takes_path_and_host_from_the_target() {
    let server = TestServer::start(demo_app);
    let response = server.send(b"GET http://example.com:8080/some/path?q=1 HTTP/1.1\r\nHost: ignored.test\r\n\r\n");
    let (head, body) = split_response(&response);
    assert_eq!(status(&head), 200);
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("PATH_INFO = '/some/path'\n"), "{text}");
    assert!(text.contains("QUERY_STRING = 'q=1'\n"), "{text}");
    assert!(text.contains("HTTP_HOST = 'example.com:8080'\n"), "{text}");
    assert!(text.contains("SERVER_NAME = 'example.com'\n"), "{text}");
    assert!(!text.contains("ignored.test"));
}

#[test]
fn asterisk_form_only_with_options_and_connect_refused() {
    let server = TestServer::start(demo_app);
    expect_status(&server, b"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 200);
    expect_status(&server, b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
    expect_status(
        &server,
        b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        501,
    );
    expect_status(&server, b"GET relative/path HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

#[test]
fn body_framing_rules() {
    let server = TestServer::start(echo_app);
    let cases: [(&[u8], u16); 9] = [
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5x\r\n\r\nhello", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\nhello", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello!", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        (b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
        (b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ];
    for (request, expected) in cases {
        expect_status(&server, request, expected);
    }
    // Identical repeated lengths count as one (RFC 9110 §8.6).
    let (head, body) = split_response(&server.send(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello"));
    assert_eq!((status(&head), body.as_slice()), (200, &b"hello"[..]));
}

#[test]
fn bytes_after_the_body_never_reach_the_application() {
    let server = TestServer::start(echo_app);
    let smuggled =
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /admin HTTP/1.1\r\nHost: a\r\n\r\n";
    let (head, body) = split_response(&server.send(smuggled));
    assert_eq!((status(&head), body.as_slice()), (200, &b"hello"[..]));
    let chunked = b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /admin HTTP/1.1\r\n\r\n";
    let (head, body) = split_response(&server.send(chunked));
    assert_eq!((status(&head), body.as_slice()), (200, &b"hello"[..]));
}

#[test]
fn bad_chunk_size_is_the_clients_400_not_the_applications_500() {
    // The application's read fails and so does the application; the client
    // made the mistake, so it gets a 400 that says which (issue 15).
    let server = TestServer::start(echo_app);
    let response =
        server.send(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    let (head, body) = split_response(&response);
    assert_eq!(status(&head), 400);
    assert_eq!(body, b"400 Bad Request: bad chunk size line \"zz\"\n");
    expect_status(&server, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200);
}

#[test]
fn max_body_bytes_gives_413_or_a_read_error() {
    let config = ServerConfig {
        max_body_bytes: Some(10),
        ..ServerConfig::default()
    };
    let server = TestServer::start_with_config(echo_app, config);
    expect_status(
        &server,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world",
        413,
    );
    expect_status(
        &server,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nhelloworld",
        200,
    );
    let chunked =
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n6\r\nworld!\r\n0\r\n\r\n";
    let (head, body) = split_response(&server.send(chunked));
    // echo_app reads up to 64 KiB at once, so the error comes before any
    // output: the client's mistake, answered with 413.
    assert_eq!(status(&head), 413, "{}", String::from_utf8_lossy(&body));
}

#[test]
fn expect_100_continue_is_sent_on_first_read_only() {
    let server = TestServer::start(echo_app);
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n")
        .unwrap();
    let mut interim = [0u8; 25];
    stream.read_exact(&mut interim).unwrap();
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"hello").unwrap();
    let (head, body) = split_response(&common::read_to_end(&mut stream));
    assert_eq!((status(&head), body.as_slice()), (200, &b"hello"[..]));

    // An application that answers without reading gets no 100 Continue.
    let server = TestServer::start(hello_app);
    let response = server.send(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
    assert!(
        response.starts_with(b"HTTP/1.1 200 OK\r\n"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    // Any other expectation is refused.
    expect_status(&server, b"GET / HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n", 417);
}

fn short_timeouts() -> ServerConfig {
    ServerConfig {
        head_timeout: Duration::from_millis(800),
        read_timeout: Duration::from_millis(500),
        write_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    }
}

#[test]
fn slowloris_is_cut_off_with_408() {
    let server = TestServer::start_with_config(demo_app, short_timeouts());
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let mut response = Vec::new();
    for byte in b"GET / HTTP/1.1\r\nHost: a\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaa".iter() {
        if stream.write_all(&[*byte]).is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    let _ = stream.read_to_end(&mut response);
    assert!(
        response.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    expect_status(&server, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200);
}

#[test]
fn stalled_body_is_a_read_error_the_application_sees_and_a_408_for_the_client() {
    let server = TestServer::start_with_config(echo_app, short_timeouts());
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly ten b")
        .unwrap();
    let (head, _) = split_response(&common::read_to_end(&mut stream));
    assert_eq!(status(&head), 408);
    expect_status(&server, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200);
}

#[test]
fn a_client_that_does_not_read_is_timed_out() {
    let big = wsgiref::app_fn(|_environ, start_response| {
        start_response.call("200 OK", [("Content-Type", "application/octet-stream")])?;
        Ok(wsgiref::Body::new(
            std::iter::repeat_with(|| Ok(vec![0u8; 1 << 20])).take(64),
        ))
    });
    let server = TestServer::start_with_config(big, short_timeouts());
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(2000));
    // The server gave up writing: reading now ends well before 64 MiB.
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut total = 0usize;
    let mut block = vec![0u8; 1 << 16];
    while let Ok(count) = stream.read(&mut block) {
        if count == 0 {
            break;
        }
        total += count;
    }
    assert!(total < 64 << 20, "read {total} bytes");
    drop(stream);
}

#[test]
fn idle_pre_connections_do_not_hold_back_other_clients() {
    let config = ServerConfig {
        min_threads: 2,
        max_threads: 32,
        ..ServerConfig::default()
    };
    let server = TestServer::start_with_config(demo_app, config);
    let idle: Vec<TcpStream> = (0..10).map(|_| TcpStream::connect(server.address).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(100));
    let started = Instant::now();
    expect_status(&server, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    for stream in idle {
        let _ = stream.shutdown(Shutdown::Both);
    }
}

#[test]
fn a_head_over_max_head_bytes_is_431_even_when_it_arrives_whole() {
    let config = ServerConfig {
        max_head_bytes: 1000,
        ..ServerConfig::default()
    };
    let server = TestServer::start_with_config(demo_app, config);
    let request = format!("GET / HTTP/1.1\r\nHost: a\r\nX-Big: {}\r\n\r\n", "b".repeat(1500));
    expect_status(&server, request.as_bytes(), 431);
}

#[test]
fn absolute_form_needs_a_host_and_no_userinfo() {
    let server = TestServer::start(demo_app);
    for target in [
        "http://",
        "http://:80/",
        "http://user@host/",
        "http://[::1/",
        "http://host:8x/",
    ] {
        let request = format!("GET {target} HTTP/1.1\r\nHost: a\r\n\r\n");
        expect_status(&server, request.as_bytes(), 400);
    }
    expect_status(&server, b"GET http://[::1]:8080/p HTTP/1.1\r\nHost: a\r\n\r\n", 200);
}

#[test]
fn handle_request_is_not_used_up_by_an_idle_connection() {
    let config = ServerConfig {
        head_timeout: Duration::from_millis(300),
        ..ServerConfig::default()
    };
    let server = wsgiref::WsgiServer::with_config("127.0.0.1", 0, demo_app, config).unwrap();
    let address = server.server_address();
    // A pre-connection that never sends: it times out silently and does not count.
    let idle = TcpStream::connect(address).unwrap();
    let client = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        common::send(address, b"GET /real HTTP/1.0\r\n\r\n")
    });
    server.handle_request().unwrap();
    let (head, body) = split_response(&client.join().unwrap());
    assert_eq!(status(&head), 200);
    assert!(String::from_utf8_lossy(&body).contains("PATH_INFO = '/real'"));
    let mut idle = idle;
    let mut nothing = Vec::new();
    idle.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = idle.read_to_end(&mut nothing);
    assert!(nothing.is_empty(), "the idle connection gets no answer: {nothing:?}");
}

#[test]
fn host_values_must_be_host_and_port() {
    // RFC 9112 §3.2: a Host with an invalid value is a 400 (RFC 3986 grammar).
    let server = TestServer::start(hello_app);
    for host in [
        "evil.example/path@x",
        "localhost:8o",
        "a.example, b.example",
        "user@host",
        "[::1",
        "[zz]:80",
        "::1",
        "a b",
        "host:80:81",
        "%zz.example",
    ] {
        let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        expect_status(&server, request.as_bytes(), 400);
    }
    for host in [
        "",
        "localhost",
        "127.0.0.1:8000",
        "[::1]:8000",
        "[v1.fe80::a+en1]",
        "example.com:",
        "xn--caf-dma.example",
        "caf%C3%A9.example",
    ] {
        let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        expect_status(&server, request.as_bytes(), 200);
    }
}

#[test]
fn chunked_framing_errors_are_the_clients_400() {
    let server = TestServer::start(echo_app);
    let framed =
        |chunks: &str| format!("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}").into_bytes();
    for chunks in [
        "zz\r\nhello\r\n0\r\n\r\n",
        "-5\r\nhello\r\n0\r\n\r\n",
        "+5\r\nhello\r\n0\r\n\r\n",
        "0x5\r\nhello\r\n0\r\n\r\n",
        "5_0\r\nhello\r\n0\r\n\r\n",
        "\r\nhello\r\n0\r\n\r\n",
        "10000000000000005\r\nhello\r\n0\r\n\r\n",
        " 5\r\nhello\r\n0\r\n\r\n",
        "\t5\r\nhello\r\n0\r\n\r\n",
        "5\nhello\r\n0\r\n\r\n",
        "5;a=\rb\r\nhello\r\n0\r\n\r\n",
        "5;a=\0\r\nhello\r\n0\r\n\r\n",
        "5;a=\x01\r\nhello\r\n0\r\n\r\n",
    ] {
        let (head, body) = split_response(&server.send(&framed(chunks)));
        assert_eq!(status(&head), 400, "{chunks:?}: {}", String::from_utf8_lossy(&body));
        assert!(body.starts_with(b"400 Bad Request: "), "{chunks:?}");
    }
    // A chunk longer than its size, or data without its CRLF: the size
    // line and "hello" are read, then the framing is wrong.
    for chunks in ["5\r\nhelloEXTRA\r\n0\r\n\r\n", "5\r\nhello\n0\r\n\r\n"] {
        let (head, _) = split_response(&server.send(&framed(chunks)));
        assert_eq!(status(&head), 400, "{chunks:?}");
    }
    // Extensions that are text, and whitespace before `;`, are fine.
    let (head, body) = split_response(&server.send(&framed("5 ;name=\"v\"\t\r\nhello\r\n0\r\n\r\n")));
    assert_eq!((status(&head), body.as_slice()), (200, &b"hello"[..]));
    expect_status(&server, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200);
}

#[test]
fn a_client_that_closes_before_its_body_gets_a_400() {
    let server = TestServer::start(echo_app);
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly ten b")
        .unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let (head, body) = split_response(&common::read_to_end(&mut stream));
    assert_eq!(status(&head), 400, "{}", String::from_utf8_lossy(&body));
    assert!(body.starts_with(b"400 Bad Request: client closed the connection before the end of the request body"));
    expect_status(&server, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 200);
}

#[test]
fn identical_content_lengths_become_one_plain_number() {
    // RFC 9110 §8.6 lets a recipient take `5, 5` as 5; the application
    // then sees CONTENT_LENGTH = '5', not '5, 5'.
    let server = TestServer::start(demo_app);
    let (head, body) = split_response(&server.send(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello"));
    assert_eq!(status(&head), 200);
    assert!(String::from_utf8_lossy(&body).contains("\nCONTENT_LENGTH = '5'\n"));
    let (head, body) = split_response(
        &server.send(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
    );
    assert_eq!(status(&head), 200);
    assert!(String::from_utf8_lossy(&body).contains("\nCONTENT_LENGTH = '5'\n"));
    expect_status(
        &server,
        b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\nhello",
        400,
    );
}
