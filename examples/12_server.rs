//! Chapter 12: the server itself: `handle_request` and `serve_forever`,
//! threads and shared state, shutting down, and limits.
//!
//! ```text
//! cargo run --example 12_server               # serve until Enter is pressed
//! curl http://127.0.0.1:8000/                 # in another terminal
//! cargo run --example 12_server -- compare    # handle_request vs serve_forever
//! ```
//!
//! See `tutorial/12-the-server.md`.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use wsgiref::{AppError, Application, Body, Environ, ServerConfig, StartResponse, WsgiServer, make_server};

// ANCHOR: app
/// Counts the requests it has served. One value is shared by every worker
/// thread, so it is changed through `&self`, with an atomic integer.
#[derive(Debug, Default)]
pub struct Counter {
    requests: AtomicU64,
}

impl Application for Counter {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        let number = self.requests.fetch_add(1, Ordering::Relaxed) + 1;
        if environ.get("PATH_INFO") == Some("/slow") {
            std::thread::sleep(Duration::from_secs(1)); // a slow database, say
        }
        start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
        Ok(Body::from(format!("This is request number {number}.\n")))
    }
}
// ANCHOR_END: app

// ANCHOR: config
/// The server's limits; every field has a documented default.
pub fn config() -> ServerConfig {
    ServerConfig {
        max_threads: 16,                       // at most 16 connections at once
        max_body_bytes: Some(100),             // tiny, to try it; the default is no limit
        read_timeout: Duration::from_secs(10), // a client that stalls mid-body
        ..ServerConfig::default()
    }
}
// ANCHOR_END: config

// ANCHOR: main
fn main() -> Result<(), AppError> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();
    if std::env::args().nth(1).as_deref() == Some("compare") {
        print!("{}", compare()?);
        return Ok(());
    }

    let server = WsgiServer::with_config("127.0.0.1", 8000, Counter::default(), config())?;
    // shutdown() may be called from any thread: here, one that waits for Enter.
    let stopper = server.shutdown_handle();
    std::thread::spawn(move || {
        let _ = io::stdin().read_line(&mut String::new());
        stopper.shutdown();
    });
    println!("Serving on http://127.0.0.1:8000/ ... press Enter to stop");
    server.serve_forever()?; // returns after shutdown(), once requests in flight are done
    println!("Stopped.");
    Ok(())
}
// ANCHOR_END: main

// ANCHOR: compare
/// Two clients ask for `/slow` at the same time: first served by
/// `handle_request` on one thread, then by `serve_forever`'s workers.
pub fn compare() -> Result<String, AppError> {
    let server = make_server("127.0.0.1", 0, Counter::default())?;
    let started = Instant::now();
    let clients = two_slow_requests(server.server_address());
    server.handle_request()?; // one request...
    server.handle_request()?; // ...then the other
    wait_for(clients)?;
    let one_thread = started.elapsed().as_secs_f64();

    let server = make_server("127.0.0.1", 0, Counter::default())?;
    let address = server.server_address();
    let stopper = server.shutdown_handle();
    let serving = std::thread::spawn(move || server.serve_forever());
    let started = Instant::now();
    wait_for(two_slow_requests(address))?;
    let workers = started.elapsed().as_secs_f64();
    stopper.shutdown();
    serving.join().map_err(|_| "the server thread panicked")??;

    Ok(format!(
        "handle_request, twice: both answered after {one_thread:.0} s\nserve_forever: both answered after {workers:.0} s\n"
    ))
}
// ANCHOR_END: compare

type Client = JoinHandle<io::Result<Vec<u8>>>;

fn two_slow_requests(address: SocketAddr) -> Vec<Client> {
    let request = |address| -> io::Result<Vec<u8>> {
        let mut stream = TcpStream::connect(address)?;
        stream.write_all(b"GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n")?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        Ok(response)
    };
    (0..2).map(|_| std::thread::spawn(move || request(address))).collect()
}

fn wait_for(clients: Vec<Client>) -> Result<(), AppError> {
    for client in clients {
        let response = client.join().map_err(|_| "a client thread panicked")??;
        if !response.starts_with(b"HTTP/1.1 200 OK") {
            return Err("a client did not get 200 OK".into());
        }
    }
    Ok(())
}
