//! Request and response bodies that do not fit in memory at once: a 10 MiB
//! echo (Content-Length and chunked), and FileWrapper.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

use common::{TestServer, header, split_response, status};
use wsgiref::simple_server::echo_app;

#[test]
fn echo_streams_ten_mib_with_content_length() {
    let server = TestServer::start(echo_app);
    let body = common::pattern(1, 10 * 1024 * 1024);
    let mut stream = TcpStream::connect(server.address).unwrap();
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-test\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    // Write on a thread: the echo answers while we are still sending.
    let mut writer = stream.try_clone().unwrap();
    let sent = body.clone();
    let sending = std::thread::spawn(move || {
        writer.write_all(head.as_bytes()).unwrap();
        writer.write_all(&sent).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let response = common::read_to_end(&mut stream);
    sending.join().unwrap();
    let (head, echoed) = split_response(&response);
    assert_eq!(status(&head), 200);
    assert_eq!(header(&head, "Content-Type").as_deref(), Some("application/x-test"));
    assert_eq!(header(&head, "Content-Length"), Some(body.len().to_string()));
    assert!(echoed == body, "the echoed body differs ({} bytes back)", echoed.len());
}

#[test]
fn echo_decodes_a_chunked_upload() {
    let server = TestServer::start(echo_app);
    let body = common::pattern(1, 3 * 1024 * 1024 + 17);
    let mut wire = b"POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for chunk in body.chunks(100_000) {
        wire.extend_from_slice(format!("{:x};name=value\r\n", chunk.len()).as_bytes());
        wire.extend_from_slice(chunk);
        wire.extend_from_slice(b"\r\n");
    }
    wire.extend_from_slice(b"0\r\nX-Trailer: yes\r\n\r\n");
    let mut stream = TcpStream::connect(server.address).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sending = std::thread::spawn(move || writer.write_all(&wire).unwrap());
    let response = common::read_to_end(&mut stream);
    sending.join().unwrap();
    let (head, echoed) = split_response(&response);
    assert_eq!(status(&head), 200);
    assert!(echoed == body, "the echoed body differs ({} bytes back)", echoed.len());
}

#[test]
fn file_wrapper_streams_a_file() {
    let path = std::env::temp_dir().join(format!("wsgiref-file-wrapper-{}", std::process::id()));
    let content = common::pattern(1, 200_000);
    std::fs::write(&path, &content).unwrap();
    let served = path.clone();
    let app = wsgiref::app_fn(move |environ, start_response| {
        let file = std::fs::File::open(&served)?;
        start_response.call("200 OK", [("Content-Type", "application/octet-stream")])?;
        Ok(environ.wrap_file(file, 8192))
    });
    let server = TestServer::start(app);
    let (head, body) = split_response(&server.send(b"GET /file HTTP/1.0\r\n\r\n"));
    std::fs::remove_file(&path).unwrap();
    assert_eq!(status(&head), 200);
    assert!(body == content);
}

#[test]
fn unread_request_body_does_not_reset_the_response() {
    // The application answers without reading a 4 MiB upload: the server must
    // drain it, or the kernel would reset the connection and the client could
    // lose the response.
    let server = TestServer::start(wsgiref::simple_server::hello_app);
    let body = common::pattern(1, 4 * 1024 * 1024);
    let mut stream = TcpStream::connect(server.address).unwrap();
    let head = format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n", body.len());
    let mut writer = stream.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(head.as_bytes());
        let _ = writer.write_all(&body);
        let _ = writer.shutdown(Shutdown::Write);
    });
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    sending.join().unwrap();
    let (head, body) = split_response(&response);
    assert_eq!(status(&head), 200);
    assert_eq!(body, b"Hello world!\n");
}
