//! Slow and idle clients never hold a worker: a connection whose request
//! head has not come within 20 ms waits in the waiting room, and a normal
//! request is served meanwhile. Loopback only, bounded counts and times.
//!
//! Why 500 ms as the bound for "served meanwhile": these tests run beside
//! each other on a 2-core CI machine; without the room, the normal request
//! waits for the head timeout (30 s) or a worker freed by a trickling
//! client. The latency target itself (p99 within 100 ms under 1,000
//! trickling clients) is a benchmark's to check, not a timed test's.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use common::{TestServer, split_response, status};
use wsgiref::ServerConfig;
use wsgiref::simple_server::{echo_app, hello_app};

/// The bound on a normal request beside slow clients (see the module docs).
const SERVED_MEANWHILE: Duration = Duration::from_millis(500);

/// A normal request; its status and how long it took.
fn timed_get(server: &TestServer) -> (u16, Duration) {
    let started = Instant::now();
    let (head, _) = split_response(&server.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    (status(&head), started.elapsed())
}

/// Connections that never send a byte.
fn idle_connections(server: &TestServer, count: usize) -> Vec<TcpStream> {
    (0..count)
        .map(|_| TcpStream::connect(server.address).unwrap())
        .collect()
}

#[test]
fn three_hundred_idle_connections_do_not_delay_a_normal_request() {
    let server = TestServer::start(hello_app);
    let idle = idle_connections(&server, 300);
    // Each costs a worker at most 20 ms before it is parked.
    thread::sleep(Duration::from_millis(600));
    for _ in 0..5 {
        let (code, took) = timed_get(&server);
        assert_eq!(code, 200);
        assert!(took < SERVED_MEANWHILE, "a normal request took {took:?}");
    }
    drop(idle);
    assert_eq!(timed_get(&server).0, 200);
}

#[test]
fn trickling_heads_wait_in_the_room_and_are_served_when_complete() {
    let server = TestServer::start(hello_app);
    let head = b"GET /slow HTTP/1.1\r\nHost: a\r\nX-Slow: 1\r\n\r\n";
    // 100 clients send their head a few bytes at a time, 40 ms apart
    // (longer than the 20 ms after which a worker parks them).
    let clients: Vec<_> = (0..100)
        .map(|_| {
            let address = server.address;
            thread::spawn(move || {
                let mut stream = TcpStream::connect(address).unwrap();
                stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                for piece in head.chunks(8) {
                    stream.write_all(piece).unwrap();
                    thread::sleep(Duration::from_millis(40));
                }
                let mut response = Vec::new();
                stream.read_to_end(&mut response).unwrap();
                response
            })
        })
        .collect();
    // Meanwhile, once the trickling clients are parked (each cost a worker
    // 20 ms), normal requests are answered at once.
    thread::sleep(Duration::from_millis(400));
    for _ in 0..5 {
        let (code, took) = timed_get(&server);
        assert_eq!(code, 200);
        assert!(took < SERVED_MEANWHILE, "a normal request took {took:?}");
        thread::sleep(Duration::from_millis(20));
    }
    for client in clients {
        let response = client.join().unwrap();
        assert!(
            response.starts_with(b"HTTP/1.1 200 OK\r\n"),
            "{}",
            String::from_utf8_lossy(&response)
        );
    }
}

#[test]
fn a_head_one_byte_at_a_time_with_a_body_is_served_whole() {
    let server = TestServer::start(echo_app);
    let request = b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    for byte in &request[..request.len() - 5] {
        stream.write_all(&[*byte]).unwrap();
        thread::sleep(Duration::from_millis(25));
    }
    stream.write_all(b"hello").unwrap();
    let (head, body) = split_response(&common::read_to_end(&mut stream));
    assert_eq!((status(&head), body.as_slice()), (200, &b"hello"[..]));
}

#[test]
fn a_head_that_stops_coming_gets_408_from_the_room() {
    let config = ServerConfig {
        head_timeout: Duration::from_millis(500),
        ..ServerConfig::default()
    };
    let server = TestServer::start_with_config(hello_app, config);
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\nHost: a\r\n").unwrap();
    let started = Instant::now();
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    assert!(
        response.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"),
        "{}",
        String::from_utf8_lossy(&response)
    );
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    // An idle connection is closed without a word at the deadline.
    let mut idle = TcpStream::connect(server.address).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut nothing = Vec::new();
    let _ = idle.read_to_end(&mut nothing);
    assert!(nothing.is_empty());
    assert_eq!(timed_get(&server).0, 200);
}

#[test]
fn a_full_room_leaves_slow_clients_to_the_workers() {
    let config = ServerConfig {
        max_waiting_connections: 2,
        head_timeout: Duration::from_millis(400),
        ..ServerConfig::default()
    };
    let server = TestServer::start_with_config(hello_app, config);
    let idle = idle_connections(&server, 5);
    thread::sleep(Duration::from_millis(100));
    assert_eq!(timed_get(&server).0, 200);
    drop(idle);
}

#[test]
fn shutdown_closes_the_connections_in_the_room() {
    let server = wsgiref::make_server("127.0.0.1", 0, hello_app).unwrap();
    let address = server.server_address();
    let stopper = server.shutdown_handle();
    let serving = thread::spawn(move || server.serve_forever());
    let mut waiting: Vec<TcpStream> = (0..20).map(|_| TcpStream::connect(address).unwrap()).collect();
    for stream in waiting.iter_mut().take(10) {
        stream.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    }
    thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    stopper.shutdown();
    serving.join().unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "shutdown took {:?}",
        started.elapsed()
    );
    for mut stream in waiting {
        stream.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let _ = stream.shutdown(Shutdown::Write);
        let mut rest = Vec::new();
        // Closed by the server (EOF or reset), not left hanging.
        let ended = match stream.read_to_end(&mut rest) {
            Ok(_) => true,
            Err(error) => error.kind() == std::io::ErrorKind::ConnectionReset,
        };
        assert!(ended, "a waiting connection was left open");
    }
}

#[test]
fn handle_request_is_not_used_up_by_idle_connections_or_tls_probes() {
    let server = wsgiref::make_server("127.0.0.1", 0, hello_app).unwrap();
    let address = server.server_address();
    let client = thread::spawn(move || {
        // A pre-connection that closes after a while without a byte, and a
        // browser speaking HTTPS to the plain port: neither is the request.
        let idle = TcpStream::connect(address).unwrap();
        thread::sleep(Duration::from_millis(100));
        drop(idle);
        let mut probe = TcpStream::connect(address).unwrap();
        probe
            .write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
            .unwrap();
        let mut nothing = Vec::new();
        let _ = probe.read_to_end(&mut nothing);
        assert!(nothing.is_empty());
        common::send(address, b"GET /real HTTP/1.1\r\nHost: a\r\n\r\n")
    });
    server.handle_request().unwrap();
    let response = client.join().unwrap();
    assert!(response.starts_with(b"HTTP/1.1 200 OK\r\n"));
}
