//! The protocol trace of one request, checked line by line.

mod common;

use std::sync::Mutex;

use common::TestServer;
use wsgiref::ServerConfig;
use wsgiref::simple_server::{SERVER_SOFTWARE, hello_app};

/// A logger that keeps trace blocks.
struct Capture;

static BLOCKS: Mutex<Vec<String>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.target() == wsgiref::trace::TARGET
    }
    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            BLOCKS.lock().unwrap().push(record.args().to_string());
        }
    }
    fn flush(&self) {}
}

#[test]
fn trace_of_one_request() {
    log::set_logger(&Capture).unwrap();
    log::set_max_level(log::LevelFilter::Info);
    let server = TestServer::start_with_config(
        hello_app,
        ServerConfig {
            trace: true,
            ..Default::default()
        },
    );
    let response = server.send(b"GET /caf%C3%A9?x=1 HTTP/1.1\r\nHost: example\r\nX-Odd: a\xe9\r\n\r\n");
    assert!(response.starts_with(b"HTTP/1.1 200 OK\r\n"));
    drop(server);
    let blocks = BLOCKS.lock().unwrap();
    assert_eq!(blocks.len(), 1, "one block per request");
    let port = blocks[0]
        .split("SERVER_PORT = '")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let client_port = blocks[0]
        .split("=== request from 127.0.0.1:")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let expected = format!(
        "=== request from 127.0.0.1:{client_port} ===
request head (57 bytes):
  GET /caf%C3%A9?x=1 HTTP/1.1\\r\\n
  Host: example\\r\\n
  X-Odd: a\\xe9\\r\\n
  \\r\\n
environ:
  CONTENT_LENGTH = ''
  CONTENT_TYPE = 'text/plain'
  GATEWAY_INTERFACE = 'CGI/1.1'
  HTTP_HOST = 'example'
  HTTP_X_ODD = 'a\u{e9}'
  PATH_INFO = '/caf\u{c3}\u{a9}'
  QUERY_STRING = 'x=1'
  REMOTE_ADDR = '127.0.0.1'
  REMOTE_HOST = ''
  REQUEST_METHOD = 'GET'
  SCRIPT_NAME = ''
  SERVER_NAME = 'localhost'
  SERVER_PORT = '{port}'
  SERVER_PROTOCOL = 'HTTP/1.1'
  SERVER_SOFTWARE = '{SERVER_SOFTWARE}'
  wsgi.errors = <wsgiref::Errors>
  wsgi.file_wrapper = <wsgiref::util::FileWrapper>
  wsgi.input = <wsgiref::Input>
  wsgi.multiprocess = False
  wsgi.multithread = True
  wsgi.run_once = False
  wsgi.url_scheme = 'http'
  wsgi.version = (1, 0)
start_response('200 OK', [('Content-Type', 'text/plain')])
response head (<N> bytes):
  HTTP/1.1 200 OK\\r\\n
  Date: <DATE>\\r\\n
  Server: {SERVER_SOFTWARE}\\r\\n
  Content-Type: text/plain\\r\\n
  Content-Length: 13\\r\\n
  Connection: close\\r\\n
  \\r\\n
body: 1 chunk, 13 bytes
application time: <TIME> ms"
    );
    let actual: Vec<String> = blocks[0]
        .lines()
        .map(|line| {
            if line.starts_with("  Date: ") {
                "  Date: <DATE>\\r\\n".to_string()
            } else if line.starts_with("response head (") {
                "response head (<N> bytes):".to_string()
            } else if line.starts_with("application time: ") {
                "application time: <TIME> ms".to_string()
            } else {
                line.to_string()
            }
        })
        .collect();
    let expected: Vec<&str> = expected.lines().collect();
    for (number, (actual, expected)) in actual.iter().zip(&expected).enumerate() {
        assert_eq!(actual, expected, "line {}", number + 1);
    }
    assert_eq!(actual.len(), expected.len());
}
