//! Helpers shared by the integration tests: start the real server on
//! `127.0.0.1:0`, send exact bytes, read the response to EOF.
#![allow(dead_code)] // each test file uses its own subset

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

use wsgiref::{Application, ServerConfig, ShutdownHandle, WsgiServer};

/// A server running `serve_forever` on a thread; stopped when dropped.
pub struct TestServer {
    pub address: SocketAddr,
    shutdown: ShutdownHandle,
    thread: Option<JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    pub fn start(app: impl Application + 'static) -> TestServer {
        TestServer::start_with_config(app, ServerConfig::default())
    }

    pub fn start_with_config(app: impl Application + 'static, config: ServerConfig) -> TestServer {
        let server = WsgiServer::with_config("127.0.0.1", 0, app, config).expect("bind 127.0.0.1:0");
        TestServer::from_server(server)
    }

    /// Run `serve_forever` on a server made (and set up) by the test.
    pub fn from_server(server: WsgiServer) -> TestServer {
        let address = server.server_address();
        let shutdown = server.shutdown_handle();
        let thread = std::thread::spawn(move || server.serve_forever());
        TestServer {
            address,
            shutdown,
            thread: Some(thread),
        }
    }

    /// Send `request` and read the whole response (the server closes).
    pub fn send(&self, request: &[u8]) -> Vec<u8> {
        send(self.address, request)
    }

    /// Send `request` and read what comes until the server resets the
    /// connection (a response cut off where its framing cannot show it);
    /// panics if the connection ends with a clean close instead.
    pub fn send_expecting_reset(&self, request: &[u8]) -> Vec<u8> {
        let mut stream = TcpStream::connect(self.address).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(request).expect("write request");
        let mut response = Vec::new();
        let mut block = [0u8; 65536];
        loop {
            match stream.read(&mut block) {
                Ok(0) => panic!("a clean close after {} bytes, not a reset", response.len()),
                Ok(count) => response.extend_from_slice(&block[..count]),
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return response,
                Err(error) => panic!("reading failed after {} bytes: {error}", response.len()),
            }
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown.shutdown();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Connect, write `request`, half-close, read to EOF (10 s at most).
pub fn send(address: SocketAddr, request: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request).expect("write request");
    let _ = stream.shutdown(Shutdown::Write);
    read_to_end(&mut stream)
}

/// How a connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// A clean close (FIN).
    Closed,
    /// A reset (RST): the server said the response was cut off.
    Reset,
}

/// Connect, write `request`, half-close, and read until the server closes
/// or resets the connection (10 s at most).
pub fn send_until_closed(address: SocketAddr, request: &[u8]) -> (Vec<u8>, Ending) {
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    stream.write_all(request).expect("write request");
    let _ = stream.shutdown(Shutdown::Write);
    let mut response = Vec::new();
    let mut block = [0u8; 65536];
    loop {
        match stream.read(&mut block) {
            Ok(0) => return (response, Ending::Closed),
            Ok(count) => response.extend_from_slice(&block[..count]),
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => return (response, Ending::Reset),
            Err(error) => panic!("reading the response failed after {} bytes: {error}", response.len()),
        }
    }
}

/// Read until EOF; a reset is a failure (see [`send_until_closed`]).
pub fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut response = Vec::new();
    let mut block = [0u8; 65536];
    loop {
        match stream.read(&mut block) {
            Ok(0) => break,
            Ok(count) => response.extend_from_slice(&block[..count]),
            Err(error) => panic!("reading the response failed after {} bytes: {error}", response.len()),
        }
    }
    response
}

/// Split a response into its head (as text, without the final blank line)
/// and its body bytes.
pub fn split_response(response: &[u8]) -> (String, Vec<u8>) {
    let (head, body) = split_raw_response(response);
    if header(&head, "Transfer-Encoding").is_some_and(|coding| coding.eq_ignore_ascii_case("chunked")) {
        let (data, complete) = decode_chunked(&body);
        assert!(
            complete,
            "a chunked body without its last chunk (use split_raw_response): {body:?}"
        );
        return (head, data);
    }
    (head, body)
}

/// The head and the body exactly as sent (a chunked body keeps its framing).
pub fn split_raw_response(response: &[u8]) -> (String, Vec<u8>) {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = String::from_utf8_lossy(&response[..end]).into_owned();
    (head, response[end + 4..].to_vec())
}

/// A chunked body's data, and whether it ended with its last chunk.
pub fn decode_chunked(framed: &[u8]) -> (Vec<u8>, bool) {
    wsgiref::testing::decode_chunked(framed)
}

/// The head with the `Date:` line replaced by `Date: <DATE>`.
pub fn without_date(head: &str) -> String {
    head.split("\r\n")
        .map(|line| {
            if line.starts_with("Date: ") {
                "Date: <DATE>"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The value of the first header called `name` (case-insensitive).
pub fn header(head: &str, name: &str) -> Option<String> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

/// The status code of a response head.
pub fn status(head: &str) -> u16 {
    head.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .expect("a status line")
}

/// A deterministic pseudo-random body (xorshift), different for each
/// `seed`, so a corrupted or mixed-up response cannot pass.
pub fn pattern(seed: u32, length: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}
