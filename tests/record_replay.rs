//! Record and replay (issue 19 item 5): requests recorded by the real
//! server, over real sockets, then replayed through
//! `wsgiref::testing::replay`, must get the responses the server sent.

mod common;

use std::io::Write;
use std::path::PathBuf;

use common::{TestServer, split_raw_response, without_date};
use wsgiref::record::{RecordOptions, Recorder};
use wsgiref::testing::{ReplayError, read_recording, replay_with_config};
use wsgiref::{AppError, Body, Environ, ServerConfig, StartResponse, WsgiServer};

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("wsgiref-record-{}-{name}.txt", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempFile(path)
    }

    fn text(&self) -> String {
        std::fs::read_to_string(&self.0).unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `/echo` streams the body back, `/boom` fails, `/cookie` shows the
/// `Cookie` and `Authorization` it got, anything else is `demo_app` (the
/// whole environ, so a replay that builds another environ shows).
fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    match environ.get("PATH_INFO").unwrap_or_default() {
        "/echo" => wsgiref::simple_server::echo_app(environ, start_response),
        "/boom" => Err("boom".into()),
        "/cookie" => {
            let seen = format!(
                "cookie={:?} authorization={:?}",
                environ.get("HTTP_COOKIE"),
                environ.get("HTTP_AUTHORIZATION")
            );
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(Body::from(seen))
        }
        _ => wsgiref::simple_server::demo_app(environ, start_response),
    }
}

/// A server running `app` under `config`, recording to `file`.
fn recording_server(file: &TempFile, options: RecordOptions, config: ServerConfig) -> TestServer {
    let server = WsgiServer::with_config("127.0.0.1", 0, app, config).unwrap();
    server.set_recorder(Recorder::open(&file.0, options).unwrap()).unwrap();
    TestServer::from_server(server)
}

/// The requests of the first test, as a client sends them.
fn requests() -> Vec<Vec<u8>> {
    vec![
        b"GET /xyz?abc=1 HTTP/1.1\r\nHost: localhost\r\nUser-Agent: test\r\n\r\n".to_vec(),
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 6\r\n\r\n\x00\r\n\xff\\n".to_vec(),
        b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n".to_vec(),
        b"GET /boom HTTP/1.0\r\n\r\n".to_vec(),
        b"GET /cookie HTTP/1.1\r\nHost: x\r\nCookie: session=s3cret\r\nAuthorization: Bearer t0ken\r\n\r\n".to_vec(),
        // Refused: a space in a header name (400), too large a body (413),
        // too many header fields (431), HTTP/2.0 (505).
        b"GET / HTTP/1.1\r\nHost: x\r\nBad Name: y\r\n\r\n".to_vec(),
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n".to_vec(),
        format!("GET / HTTP/1.1\r\nHost: x\r\n{}\r\n", "X-Many: y\r\n".repeat(9)).into_bytes(),
        b"GET / HTTP/2.0\r\n\r\n".to_vec(),
    ]
}

#[test]
fn record_under_the_real_server_then_replay_same_responses() {
    let file = TempFile::new("same");
    let config = ServerConfig {
        max_body_bytes: Some(50),
        max_header_count: 8,
        ..ServerConfig::default()
    };
    let keep = RecordOptions {
        keep_secrets: true,
        ..RecordOptions::default()
    };
    let server = recording_server(&file, keep, config.clone());
    let live: Vec<Vec<u8>> = requests().iter().map(|request| server.send(request)).collect();
    drop(server);
    let replayed = replay_with_config(&file.0, &app, &config).unwrap();
    assert_eq!(replayed.len(), live.len());
    let statuses: Vec<u16> = replayed.iter().map(|r| r.response.status).collect();
    assert_eq!(statuses, [200, 200, 200, 500, 200, 400, 413, 431, 505]);
    for ((request, live), replayed) in requests().iter().zip(&live).zip(&replayed) {
        assert_eq!(
            &replayed.recorded.bytes, request,
            "the recorded bytes are the bytes sent"
        );
        assert_eq!(replayed.recorded.status, Some(replayed.response.status));
        assert!(replayed.recorded.client.ip().is_loopback());
        let wire = replayed.response.wire.as_ref().unwrap();
        assert_eq!(&wire.request, request);
        let (live_head, live_body) = split_raw_response(live);
        let (replay_head, replay_body) = split_raw_response(&wire.response);
        assert_eq!(without_date(&replay_head), without_date(&live_head));
        assert_eq!(
            String::from_utf8_lossy(&replay_body),
            String::from_utf8_lossy(&live_body),
            "request {:?}",
            String::from_utf8_lossy(request)
        );
    }
    // The application saw the recorded client and server: demo_app's
    // environ (REMOTE_ADDR, SERVER_PORT, ...) is the same, byte for byte.
    assert!(replayed[0].response.text().contains("SERVER_PORT = '"));
}

#[test]
fn a_target_with_cr_lf_is_escaped_in_the_file_and_replayed_exactly() {
    let file = TempFile::new("crlf");
    let server = recording_server(&file, RecordOptions::default(), ServerConfig::default());
    let request = b"GET /a\r\nb\x00\x7f HTTP/1.1\r\nHost: x\r\n\r\n";
    let live = server.send(request);
    drop(server);
    let text = file.text();
    assert!(
        text.contains("# status 400\n| GET /a\\r\\n\n| b\\x00\\x7f HTTP/1.1\\r\\n\n| Host: x\\r\\n\n| \\r\\n\n"),
        "{text}"
    );
    assert!(text.bytes().all(|b| b == b'\n' || (0x20..=0x7e).contains(&b)));
    let replayed = wsgiref::testing::replay(&file.0, &app).unwrap();
    let response = &replayed[0].response;
    assert_eq!(response.wire.as_ref().unwrap().request, request);
    assert_eq!(response.status, 400);
    let (live_head, live_body) = split_raw_response(&live);
    let (head, body) = split_raw_response(&response.wire.as_ref().unwrap().response);
    assert_eq!((without_date(&head), body), (without_date(&live_head), live_body));
}

#[test]
fn secrets_are_redacted_unless_kept() {
    let file = TempFile::new("secrets");
    let server = recording_server(&file, RecordOptions::default(), ServerConfig::default());
    let request = b"GET /cookie HTTP/1.1\r\nHost: x\r\nCookie: session=s3cret\r\nAuthorization: Bearer t0ken\r\nproxy-authorization: Basic cDpx\r\n\r\n";
    server.send(request);
    drop(server);
    let text = file.text();
    for secret in ["s3cret", "t0ken", "cDpx"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(text.contains("| Cookie: <redacted>\\r\\n\n"), "{text}");
    assert!(text.contains("# redacted: Cookie, Authorization, proxy-authorization (--record-secrets keeps them)\n"));
    // Still a well-framed request: the application runs, and sees the marker.
    let replayed = wsgiref::testing::replay(&file.0, &app).unwrap();
    assert_eq!(
        replayed[0].response.text(),
        r#"cookie=Some("<redacted>") authorization=Some("<redacted>")"#
    );

    let kept = TempFile::new("secrets-kept");
    let options = RecordOptions {
        keep_secrets: true,
        ..RecordOptions::default()
    };
    let server = recording_server(&kept, options, ServerConfig::default());
    server.send(request);
    drop(server);
    assert_eq!(read_recording(&kept.0).unwrap()[0].bytes, request);
}

#[test]
fn requests_are_cut_at_max_request_bytes_and_the_file_at_max_file_bytes() {
    let file = TempFile::new("cap");
    let options = RecordOptions {
        max_request_bytes: 100,
        max_file_bytes: 1000,
        ..RecordOptions::default()
    };
    let server = recording_server(&file, options, ServerConfig::default());
    let body = common::pattern(7, 5000);
    let mut request = format!(
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(&body);
    let (head, echoed) = common::split_response(&server.send(&request));
    assert_eq!((common::status(&head), echoed), (200, body.clone()));
    let recorded = read_recording(&file.0).unwrap();
    assert_eq!(recorded[0].bytes, request[..100]);
    let note = format!(
        "truncated: the first 100 of {} bytes (max_request_bytes)",
        request.len()
    );
    assert_eq!(recorded[0].notes, [note]);
    // Then the file fills up: recording stops, serving goes on.
    for _ in 0..20 {
        let (head, _) = common::split_response(&server.send(b"GET /x HTTP/1.0\r\n\r\n"));
        assert_eq!(common::status(&head), 200);
    }
    drop(server);
    let size = std::fs::metadata(&file.0).unwrap().len();
    assert!(size <= 1000, "{size}");
    let count = read_recording(&file.0).unwrap().len();
    assert!((2..21).contains(&count), "{count} requests recorded");
}

#[test]
fn a_body_the_application_did_not_read_is_noted() {
    let file = TempFile::new("unread");
    let server = recording_server(&file, RecordOptions::default(), ServerConfig::default());
    let mut request = b"POST /xyz HTTP/1.1\r\nHost: x\r\nContent-Length: 300000\r\n\r\n".to_vec();
    request.extend_from_slice(&common::pattern(1, 300_000));
    let (head, _) = common::split_response(&server.send(&request));
    assert_eq!(common::status(&head), 200);
    drop(server);
    let recorded = &read_recording(&file.0).unwrap()[0];
    assert!(recorded.bytes.len() < request.len());
    assert_eq!(recorded.bytes, request[..recorded.bytes.len()]);
    assert!(
        recorded.notes[0].starts_with("body: ") && recorded.notes[0].contains(" of 300000 bytes"),
        "{:?}",
        recorded.notes
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_failing_record_file_never_stops_the_server() {
    // /dev/full: every write fails with ENOSPC.
    let server = WsgiServer::with_config("127.0.0.1", 0, app, ServerConfig::default()).unwrap();
    server
        .set_recorder(Recorder::open("/dev/full", RecordOptions::default()).unwrap())
        .unwrap();
    let server = TestServer::from_server(server);
    for _ in 0..3 {
        let (head, _) = common::split_response(&server.send(b"GET /x HTTP/1.0\r\n\r\n"));
        assert_eq!(common::status(&head), 200);
    }
}

#[test]
fn malformed_files_are_errors_with_their_line() {
    let file = TempFile::new("malformed");
    std::fs::write(
        &file.0,
        "# wsgiref-record 1\n\n> 2026-12-04T17:50:00.123Z 127.0.0.1:5 -> 127.0.0.1:8000\n| GET / HTTP/1.0\\r\\n\\r\\n\n| \\xZZ\n",
    )
    .unwrap();
    let error = wsgiref::testing::replay(&file.0, &app).unwrap_err();
    assert!(
        matches!(&error, ReplayError::Format { error, .. } if error.line == 5),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        format!(
            "{}, line 5: column 1: bad escape \"\\\\xZZ\" (expected \\\\, \\r, \\n, \\t or \\xHH)",
            file.0.display()
        )
    );
    let source = std::error::Error::source(&error).unwrap();
    assert!(source.to_string().starts_with("line 5: "));
    // Not a recording: refused, and never appended to.
    std::fs::write(&file.0, "my notes\n").unwrap();
    let error = Recorder::open(&file.0, RecordOptions::default()).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidData);
    assert_eq!(file.text(), "my notes\n");
    // Bytes the server would not answer.
    let mut handle = std::fs::File::create(&file.0).unwrap();
    writeln!(
        handle,
        "# wsgiref-record 1\n> 2026-12-04T17:50:00Z 127.0.0.1:5 -> 127.0.0.1:8000"
    )
    .unwrap();
    drop(handle);
    let error = wsgiref::testing::replay(&file.0, &app).unwrap_err();
    assert!(matches!(error, ReplayError::NoResponse { line: 2 }), "{error:?}");
}

#[test]
fn a_recording_is_appended_to() {
    let file = TempFile::new("append");
    for target in ["/first", "/second"] {
        let server = recording_server(&file, RecordOptions::default(), ServerConfig::default());
        server.send(format!("GET {target} HTTP/1.0\r\n\r\n").as_bytes());
    }
    let text = file.text();
    assert_eq!(text.matches("# wsgiref-record 1").count(), 1, "{text}");
    let targets: Vec<String> = read_recording(&file.0)
        .unwrap()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.bytes).into_owned())
        .collect();
    assert_eq!(targets, ["GET /first HTTP/1.0\r\n\r\n", "GET /second HTTP/1.0\r\n\r\n"]);
}

#[test]
fn a_slow_client_is_recorded_whole() {
    // A pause mid-head sends the connection to the waiting room and back:
    // the bytes read on both sides of it are in the record.
    use std::io::Read;
    let file = TempFile::new("slow");
    let server = recording_server(&file, RecordOptions::default(), ServerConfig::default());
    let halves: [(&[u8], &[u8]); 2] = [
        (b"GET /sl", b"ow HTTP/1.1\r\nHost: x\r\n\r\n"),
        (b"GET /a", b"\r\nb HTTP/1.1\r\nHost: x\r\n\r\n"),
    ];
    for (first, second) in halves {
        let mut stream = std::net::TcpStream::connect(server.address).unwrap();
        stream.write_all(first).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        stream.write_all(second).unwrap();
        stream.read_to_end(&mut Vec::new()).unwrap();
    }
    drop(server);
    let recorded = read_recording(&file.0).unwrap();
    let statuses: Vec<Option<u16>> = recorded.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(200), Some(400)]);
    for ((first, second), recorded) in halves.iter().zip(&recorded) {
        assert_eq!(recorded.bytes, [*first, *second].concat());
    }
}
