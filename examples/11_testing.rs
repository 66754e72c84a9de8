//! Chapter 11: testing applications, in-process with the single-request
//! harness, over a real socket with `handle_request`, and by replaying
//! requests the server recorded.
//!
//! ```text
//! cargo test --example 11_testing     # run the tests below
//! cargo run --example 11_testing      # serve the application
//! cargo run --example 11_testing -- --record requests.txt   # ... and record its requests
//! ```
//!
//! See `tutorial/11-testing.md`.

use std::io::Write as _;

use wsgiref::record::{RecordOptions, Recorder};
use wsgiref::{AppError, Body, Environ, StartResponse, make_server};

// ANCHOR: app
/// The application under test: greets the `name` given in the query string.
pub fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let query = environ.get("QUERY_STRING").unwrap_or("");
    let name = query
        .split('&')
        .find_map(|field| field.strip_prefix("name="))
        .filter(|name| !name.is_empty());
    let Some(name) = name else {
        start_response.call("400 Bad Request", [("Content-Type", "text/plain; charset=utf-8")])?;
        return Ok(Body::from("Who are you? Add ?name=...\n"));
    };
    let text = format!("Hello, {name}!\n");
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(text))
}
// ANCHOR_END: app

fn main() -> Result<(), AppError> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    // ANCHOR: record
    let server = make_server("127.0.0.1", 8000, app)?;
    let args: Vec<String> = std::env::args().collect();
    if let [_, flag, file] = &args[..]
        && flag == "--record"
    {
        // Append every request this server answers to `file`.
        let _ = server.set_recorder(Recorder::open(file, RecordOptions::default())?);
        println!("Recording requests to {file} (secrets redacted)");
    }
    // ANCHOR_END: record
    println!("Serving on http://127.0.0.1:8000/?name=you ... (Ctrl-C to stop)");
    server.serve_forever()?;
    Ok(())
}

// ANCHOR: in_process
#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    use wsgiref::testing::{TestClient, TestRequest, run, run_validated, serve_once};
    use wsgiref::validate::Violation;
    use wsgiref::{AppError, make_server};

    use super::app;

    #[test]
    fn greets_by_name() {
        let response = run(&app, TestRequest::get("/?name=Ann"));
        assert_eq!(response.status, 200);
        assert_eq!(response.header("Content-Type"), Some("text/plain; charset=utf-8"));
        assert_eq!(response.text(), "Hello, Ann!\n");
    }

    #[test]
    fn asks_who_you_are() {
        let response = run(&app, TestRequest::get("/?name="));
        assert_eq!(response.status_line(), "400 Bad Request");
    }

    #[test]
    fn follows_the_protocol() -> Result<(), Violation> {
        for target in ["/", "/?name=Ann", "/?x=1&name=Bo"] {
            let response = run_validated(&app, TestRequest::get(target))?;
            assert!(response.complete);
        }
        Ok(())
    }
    // ANCHOR_END: in_process

    // ANCHOR: socket
    #[test]
    fn over_a_real_socket() -> std::io::Result<()> {
        let response = serve_once(app, TestRequest::get("/?name=Ann"))?;
        assert_eq!(response.header("Connection"), Some("close"));
        assert_eq!(response.text(), "Hello, Ann!\n");
        Ok(())
    }

    #[test]
    fn with_handle_request() -> Result<(), AppError> {
        let server = make_server("127.0.0.1", 0, app)?; // port 0: any free port
        let address = server.server_address();
        let client = std::thread::spawn(move || -> std::io::Result<String> {
            let mut stream = TcpStream::connect(address)?;
            stream.write_all(b"GET /?name=Ann HTTP/1.1\r\nHost: test\r\n\r\n")?;
            let mut response = String::new();
            stream.read_to_string(&mut response)?;
            Ok(response)
        });
        server.handle_request()?; // serve that one request, on this thread
        let response = client.join().map_err(|_| "the client thread panicked")??;
        assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(response.ends_with("\r\n\r\nHello, Ann!\n"));
        Ok(())
    }
    // ANCHOR_END: socket

    // ANCHOR: session
    #[test]
    fn as_a_browser_session() -> Result<(), wsgiref::testing::ClientError> {
        let mut client = TestClient::new(app); // cookies kept, the validator on
        let response = client.open(TestRequest::get("/").query(&[("name", "Zoë")]))?;
        assert_eq!(response.text(), "Hello, Zo%C3%AB!\n"); // as a browser encodes it
        Ok(())
    }

    #[test]
    fn the_bytes_on_the_wire() -> Result<(), wsgiref::testing::ClientError> {
        let mut client = TestClient::new(app).over_socket();
        let response = client.open(TestRequest::head("/?name=Ann"))?;
        let wire = response.wire.expect("over a socket");
        assert_eq!(wire.request, b"HEAD /?name=Ann HTTP/1.1\r\nHost: localhost\r\n\r\n");
        assert!(wire.response_head().contains("\r\nContent-Length: 12\r\n"));
        assert!(wire.response_body().is_empty()); // HEAD: the headers only
        Ok(())
    }
    // ANCHOR_END: session

    // ANCHOR: replay
    #[test]
    fn replays_what_the_dev_server_saw() -> Result<(), wsgiref::testing::ReplayError> {
        let recording = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/11_requests.txt");
        let replayed = wsgiref::testing::replay(recording, &app)?;
        assert_eq!(replayed.len(), 3);
        for request in &replayed {
            // The same status as when it was recorded.
            assert_eq!(Some(request.response.status), request.recorded.status);
        }
        assert_eq!(replayed[2].response.text(), "Who are you? Add ?name=...\n");
        Ok(())
    }
}
// ANCHOR_END: replay
