//! Property tests: arbitrary bytes never make the parser panic, and the
//! server always answers or closes, then serves the next request.

mod common;

use proptest::prelude::*;

use common::{TestServer, split_response, status};
use wsgiref::__fuzz::{check_request, parse_head};
use wsgiref::simple_server::echo_app;

/// Request-ish bytes: a valid prefix, then noise, so the parser gets deep.
fn request_like() -> impl Strategy<Value = Vec<u8>> {
    let prefixes = prop::sample::select(vec![
        &b""[..],
        b"GET / HTTP/1.1\r\n",
        b"POST /x HTTP/1.1\r\nHost: a\r\n",
        b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"PUT / HTTP/1.0\r\nContent-Length: 3\r\n\r\n",
    ]);
    (prefixes, prop::collection::vec(any::<u8>(), 0..300)).prop_map(|(prefix, noise)| {
        let mut bytes = prefix.to_vec();
        bytes.extend_from_slice(&noise);
        bytes
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics(bytes in request_like()) {
        if let Ok(Some(head)) = parse_head(&bytes, 100) {
            let _ = check_request(&head, Some(1000));
            let _ = head.request_line();
        }
    }
}

proptest! {
    // Each case is a real connection: fewer cases, still bounded in time.
    #![proptest_config(ProptestConfig { cases: 150, ..ProptestConfig::default() })]

    #[test]
    fn server_answers_or_closes_then_serves_the_next(bytes in request_like()) {
        let server = shared_server();
        let response = common::send(server.address, &bytes);
        if !response.is_empty() {
            prop_assert!(response.starts_with(b"HTTP/1.1 "), "{:?}", String::from_utf8_lossy(&response));
        }
        let (head, body) = split_response(&common::send(server.address, b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nok"));
        prop_assert_eq!(status(&head), 200);
        prop_assert_eq!(body.as_slice(), &b"ok"[..]);
    }
}

/// One echo server for every case of the socket property.
fn shared_server() -> &'static TestServer {
    use std::sync::OnceLock;
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let config = wsgiref::ServerConfig {
            head_timeout: std::time::Duration::from_secs(2),
            read_timeout: std::time::Duration::from_secs(2),
            ..wsgiref::ServerConfig::default()
        };
        TestServer::start_with_config(echo_app, config)
    })
}

proptest! {
    // Each case pauses 30 ms mid-request, so the head goes through the
    // waiting room (a worker parks a head that stalls for 20 ms).
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn bytes_split_through_the_waiting_room_get_an_answer_or_a_close(bytes in request_like(), split in any::<prop::sample::Index>()) {
        use std::io::{Read, Write};
        let server = shared_server();
        let at = split.index(bytes.len() + 1);
        let mut stream = std::net::TcpStream::connect(server.address).unwrap();
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10))).unwrap();
        // The server may answer (and close) after the first part already.
        let _ = stream.write_all(&bytes[..at]);
        std::thread::sleep(std::time::Duration::from_millis(30));
        let _ = stream.write_all(&bytes[at..]);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        if !response.is_empty() {
            prop_assert!(response.starts_with(b"HTTP/1.1 "), "{:?}", String::from_utf8_lossy(&response));
        }
        let (head, _) = split_response(&common::send(server.address, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
        prop_assert_eq!(status(&head), 200);
    }
}
