//! The server end to end over real sockets: demo_app, handle_request,
//! serve_forever + shutdown, HEAD, Connection: close, Date/Server.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{TestServer, header, split_response, status, without_date};
use wsgiref::simple_server::{SERVER_SOFTWARE, demo_app};
use wsgiref::{ServerConfig, WsgiServer};

#[test]
fn demo_app_exact_bytes() {
    let server = TestServer::start(demo_app);
    let response = server.send(b"GET /xyz?abc HTTP/1.0\r\n\r\n");
    let (head, body) = split_response(&response);
    let port = server.address.port();
    let expected_body = format!(
        "Hello world!\n\n\
CONTENT_LENGTH = ''\n\
CONTENT_TYPE = 'text/plain'\n\
GATEWAY_INTERFACE = 'CGI/1.1'\n\
PATH_INFO = '/xyz'\n\
QUERY_STRING = 'abc'\n\
REMOTE_ADDR = '127.0.0.1'\n\
REMOTE_HOST = ''\n\
REQUEST_METHOD = 'GET'\n\
SCRIPT_NAME = ''\n\
SERVER_NAME = 'localhost'\n\
SERVER_PORT = '{port}'\n\
SERVER_PROTOCOL = 'HTTP/1.0'\n\
SERVER_SOFTWARE = '{SERVER_SOFTWARE}'\n\
wsgi.errors = <wsgiref::Errors>\n\
wsgi.file_wrapper = <wsgiref::util::FileWrapper>\n\
wsgi.input = <wsgiref::Input>\n\
wsgi.multiprocess = False\n\
wsgi.multithread = True\n\
wsgi.run_once = False\n\
wsgi.url_scheme = 'http'\n\
wsgi.version = (1, 0)\n"
    );
    assert_eq!(String::from_utf8(body).unwrap(), expected_body);
    assert_eq!(
        without_date(&head),
        format!(
            "HTTP/1.1 200 OK\r\nDate: <DATE>\r\nServer: {SERVER_SOFTWARE}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close",
            expected_body.len()
        )
    );
}

#[test]
fn handle_request_returns_after_exactly_one_request() {
    let server = wsgiref::make_server("127.0.0.1", 0, demo_app).unwrap();
    let address = server.server_address();
    // A pre-connection that never sends a byte does not count.
    let idle = TcpStream::connect(address).unwrap();
    drop(idle);
    let client = std::thread::spawn(move || common::send(address, b"GET / HTTP/1.0\r\n\r\n"));
    server.handle_request().unwrap();
    let response = client.join().unwrap();
    assert!(response.starts_with(b"HTTP/1.1 200 OK\r\n"));
    // The server handled one request and returned: a second client is not answered.
    let mut second = TcpStream::connect(address).unwrap();
    second.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    second.set_read_timeout(Some(Duration::from_millis(300))).unwrap();
    let mut buffer = [0u8; 16];
    assert!(
        second.read(&mut buffer).is_err(),
        "nobody should answer after handle_request returned"
    );
}

#[test]
fn serve_forever_returns_soon_after_shutdown() {
    let server = wsgiref::make_server("127.0.0.1", 0, demo_app).unwrap();
    let address = server.server_address();
    let stopper = server.shutdown_handle();
    let serving = std::thread::spawn(move || server.serve_forever());
    for _ in 0..3 {
        assert!(common::send(address, b"GET / HTTP/1.0\r\n\r\n").starts_with(b"HTTP/1.1 200"));
    }
    let started = Instant::now();
    stopper.shutdown();
    serving.join().unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    // The listening socket is released once the server is dropped.
    assert!(TcpStream::connect(address).is_err());
}

#[test]
fn head_sends_headers_but_no_body() {
    let server = TestServer::start(demo_app);
    let get = server.send(b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    let head_response = server.send(b"HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n");
    let (get_head, get_body) = split_response(&get);
    let (head_head, head_body) = split_response(&head_response);
    assert!(head_body.is_empty());
    assert_eq!(
        header(&head_head, "Content-Length"),
        header(&get_head, "Content-Length").map(|l| {
            // HEAD's environ says REQUEST_METHOD = 'HEAD' (one byte less than 'GET ' + 1)
            (l.parse::<usize>().unwrap() + 1).to_string()
        })
    );
    assert!(!get_body.is_empty());
    assert_eq!(status(&head_head), 200);
}

#[test]
fn every_response_says_connection_close_date_and_server() {
    let server = TestServer::start(demo_app);
    let (head, _) = split_response(&server.send(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    assert_eq!(header(&head, "Connection").as_deref(), Some("close"));
    assert_eq!(header(&head, "Server").as_deref(), Some(SERVER_SOFTWARE));
    let date = header(&head, "Date").unwrap();
    assert!(date.ends_with(" GMT") && date.len() == 29, "date {date:?}");
}

#[test]
fn shutdown_waits_for_requests_in_flight() {
    let slow = wsgiref::app_fn(|_environ, start_response| {
        std::thread::sleep(Duration::from_millis(700));
        start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        Ok(wsgiref::Body::from("finished"))
    });
    let server = wsgiref::make_server("127.0.0.1", 0, slow).unwrap();
    let address = server.server_address();
    let stopper = server.shutdown_handle();
    let serving = std::thread::spawn(move || server.serve_forever());
    let client = std::thread::spawn(move || common::send(address, b"GET / HTTP/1.0\r\n\r\n"));
    std::thread::sleep(Duration::from_millis(200));
    // An idle connection (no request yet) must not hold shutdown back.
    let _idle = TcpStream::connect(address).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    stopper.shutdown();
    serving.join().unwrap().unwrap();
    let (head, body) = split_response(&client.join().unwrap());
    assert_eq!((status(&head), body.as_slice()), (200, &b"finished"[..]));
    // New connections are refused once serve_forever has returned and the server is dropped.
    assert!(TcpStream::connect(address).is_err());
}

#[test]
fn shutdown_gives_up_after_the_grace_period() {
    let stuck = wsgiref::app_fn(|_environ, start_response| {
        std::thread::sleep(Duration::from_secs(5));
        start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        Ok(wsgiref::Body::from("late"))
    });
    let config = wsgiref::ServerConfig {
        shutdown_grace: Duration::from_millis(300),
        ..Default::default()
    };
    let server = wsgiref::WsgiServer::with_config("127.0.0.1", 0, stuck, config).unwrap();
    let address = server.server_address();
    let stopper = server.shutdown_handle();
    let serving = std::thread::spawn(move || server.serve_forever());
    let _client = std::thread::spawn(move || common::send(address, b"GET / HTTP/1.0\r\n\r\n"));
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    stopper.shutdown();
    serving.join().unwrap().unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "waited {waited:?}"
    );
}

#[test]
fn an_application_can_stop_its_own_server() {
    use std::sync::{Arc, OnceLock};
    let handle: Arc<OnceLock<wsgiref::ShutdownHandle>> = Arc::new(OnceLock::new());
    let inside = Arc::clone(&handle);
    let app = move |_environ: &mut wsgiref::Environ, start_response: wsgiref::StartResponse| {
        // From inside a request: must not wait for this very request.
        inside.get().unwrap().shutdown();
        start_response.call("200 OK", [("Content-Type", "text/plain")])?;
        Ok::<_, wsgiref::AppError>(wsgiref::Body::from("bye"))
    };
    let server = wsgiref::make_server("127.0.0.1", 0, app).unwrap();
    handle.set(server.shutdown_handle()).unwrap();
    let address = server.server_address();
    let serving = std::thread::spawn(move || server.serve_forever());
    let started = Instant::now();
    let (head, body) = split_response(&common::send(address, b"GET /quit HTTP/1.0\r\n\r\n"));
    assert_eq!((status(&head), body.as_slice()), (200, &b"bye"[..]));
    serving.join().unwrap().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
}

/// The options every connection needs are set once, on the listening
/// socket; on Linux each accepted socket starts with them.
#[cfg(target_os = "linux")]
#[test]
fn accepted_sockets_inherit_the_connection_options() {
    let config = ServerConfig {
        write_timeout: Duration::from_secs(7),
        head_timeout: Duration::from_millis(400),
        ..ServerConfig::default()
    };
    let server = WsgiServer::with_config("127.0.0.1", 0, demo_app, config).unwrap();
    let _client = TcpStream::connect(server.server_address()).unwrap();
    let (accepted, _) = server.socket().accept().unwrap();
    // The read slice: the head timeout, at most 20 ms (after which a
    // client that sends nothing goes to the waiting room).
    assert_eq!(accepted.read_timeout().unwrap(), Some(Duration::from_millis(20)));
    assert_eq!(accepted.write_timeout().unwrap(), Some(Duration::from_secs(7)));
    assert!(accepted.nodelay().unwrap());
}

#[test]
fn a_server_from_an_existing_listener_serves_and_blocks_in_accept() {
    // As a listener handed down by another process may be: non-blocking.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let server = WsgiServer::from_listener(listener, demo_app, ServerConfig::default()).unwrap();
    assert_eq!(server.server_address(), address);
    // Blocking again: with nobody connecting, accept() waits for the
    // listener's read timeout (20 ms) instead of failing at once, so the
    // workers do not spin.
    let started = Instant::now();
    let error = server.socket().accept().unwrap_err();
    assert!(
        started.elapsed() >= Duration::from_millis(10),
        "accept() returned at once: {error}"
    );
    let stopper = server.shutdown_handle();
    let serving = std::thread::spawn(move || server.serve_forever());
    let response = common::send(address, b"GET /from-listener HTTP/1.0\r\n\r\n");
    let (head, body) = split_response(&response);
    assert_eq!(status(&head), 200);
    assert!(String::from_utf8_lossy(&body).contains("PATH_INFO = '/from-listener'"));
    stopper.shutdown();
    serving.join().unwrap().unwrap();
}
