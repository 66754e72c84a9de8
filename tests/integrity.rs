//! Data integrity under concurrency: many uploads of several MiB at once
//! through the echo application, Content-Length and chunked, each checked
//! byte for byte.

mod common;

use std::io::Write;
use std::net::{Shutdown, TcpStream};

use common::{TestServer, split_response, status};
use wsgiref::simple_server::echo_app;

fn upload(address: std::net::SocketAddr, body: Vec<u8>, chunked: bool) -> Vec<u8> {
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        if chunked {
            writer
                .write_all(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
                .unwrap();
            for piece in body.chunks(77_777) {
                writer.write_all(format!("{:X}\r\n", piece.len()).as_bytes()).unwrap();
                writer.write_all(piece).unwrap();
                writer.write_all(b"\r\n").unwrap();
            }
            writer.write_all(b"0\r\n\r\n").unwrap();
        } else {
            let head = format!("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: {}\r\n\r\n", body.len());
            writer.write_all(head.as_bytes()).unwrap();
            writer.write_all(&body).unwrap();
        }
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let response = common::read_to_end(&mut stream);
    sending.join().unwrap();
    response
}

#[test]
fn concurrent_uploads_come_back_byte_for_byte() {
    let server = TestServer::start(echo_app);
    let address = server.address;
    let clients: Vec<_> = (0..16u32)
        .map(|seed| {
            std::thread::spawn(move || {
                let length = 2 * 1024 * 1024 + seed as usize * 4099;
                let body = common::pattern(seed, length);
                let response = upload(address, body.clone(), seed % 2 == 1);
                let (head, echoed) = split_response(&response);
                assert_eq!(status(&head), 200, "client {seed}");
                assert_eq!(echoed.len(), body.len(), "client {seed}");
                assert!(echoed == body, "client {seed}: body differs");
            })
        })
        .collect();
    for client in clients {
        client.join().unwrap();
    }
}

/// A client that pipelines a second request in its own packet, while the
/// first is being answered: the server must not close with those bytes
/// unread (the kernel would then reset the connection, and the client could
/// lose the end of its response). Found in review: closing a bodiless
/// request at once lost 20 of 20 such responses.
#[test]
fn a_pipelined_request_in_a_later_packet_does_not_cost_the_response() {
    use std::io::Read;
    use std::time::Duration;
    let app = wsgiref::app_fn(|_environ, start_response| {
        std::thread::sleep(Duration::from_millis(50));
        start_response.call("200 OK", [("Content-Type", "application/octet-stream")])?;
        Ok(wsgiref::Body::from(common::pattern(7, 300_000)))
    });
    let server = TestServer::start(app);
    for round in 0..10 {
        let mut stream = TcpStream::connect(server.address).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        stream.write_all(b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(10));
        stream.write_all(b"GET /2 HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let mut response = Vec::new();
        let result = stream.read_to_end(&mut response);
        assert!(
            result.is_ok(),
            "round {round}: {result:?} after {} bytes",
            response.len()
        );
        let (head, body) = split_response(&response);
        assert_eq!(status(&head), 200);
        assert_eq!(body, common::pattern(7, 300_000), "round {round}");
    }
}
