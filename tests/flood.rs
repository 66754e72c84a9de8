//! A flood of connections on loopback, bounded in count and time: the
//! thread bound holds, the server stays up and serves normal requests after.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{TestServer, split_response, status};
use wsgiref::ServerConfig;
use wsgiref::simple_server::hello_app;

/// Threads of this process, from /proc (Linux); None elsewhere.
fn thread_count() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
}

#[test]
fn thousands_of_connections_then_normal_service() {
    let config = ServerConfig {
        min_threads: 4,
        max_threads: 16,
        head_timeout: Duration::from_secs(2),
        ..ServerConfig::default()
    };
    let threads_before = thread_count();
    let server = TestServer::start_with_config(hello_app, config);
    let address = server.address;
    let started = Instant::now();
    // 8 flooders × 250 connections: half send a request, a quarter close at
    // once, a quarter send half a request line and hang up.
    let flooders: Vec<_> = (0..8)
        .map(|flooder| {
            std::thread::spawn(move || {
                let mut answered = 0;
                for n in 0..250 {
                    if started.elapsed() > Duration::from_secs(60) {
                        break;
                    }
                    let Ok(mut stream) = TcpStream::connect(address) else {
                        continue;
                    };
                    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
                    match (flooder + n) % 4 {
                        0 | 1 => {
                            let _ = stream.write_all(b"GET / HTTP/1.0\r\n\r\n");
                            let mut response = Vec::new();
                            let _ = stream.read_to_end(&mut response);
                            if response.starts_with(b"HTTP/1.1 200 OK\r\n") {
                                answered += 1;
                            }
                        }
                        2 => drop(stream),
                        _ => {
                            let _ = stream.write_all(b"GET /half");
                        }
                    }
                }
                answered
            })
        })
        .collect();
    let answered: usize = flooders.into_iter().map(|f| f.join().unwrap()).sum();
    assert_eq!(answered, 1000, "every complete request is answered");
    if let (Some(before), Some(during)) = (threads_before, thread_count()) {
        // The server's workers (16), plus slack for other tests' threads.
        assert!(during <= before + 16 + 8, "threads: {before} before, {during} during");
    }
    let (head, body) = split_response(&server.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert_eq!((status(&head), body.as_slice()), (200, &b"Hello world!\n"[..]));
    assert!(started.elapsed() < Duration::from_secs(90));
}
