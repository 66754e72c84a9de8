//! Chapter 14: a WSGI server in 150 lines: `TcpListener` and `httparse` to
//! the environ, `start_response`, the headers before the first chunk, and
//! the close. It serves chapter 1's application, unchanged.
//!
//! ```text
//! cargo run --example 14_tiny_server
//! curl -i http://127.0.0.1:8000/        # in another terminal
//! ```
//!
//! See `tutorial/14-tiny-server.md`.

// ANCHOR: imports
use std::cell::RefCell;
use std::io::{Cursor, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::rc::Rc;

use wsgiref::util::from_latin1;
use wsgiref::{AppError, Application, Body, Environ, HeaderList, Input};
use wsgiref::{StartResponse, StartResponseError, WriteCallable};
// ANCHOR_END: imports

// ANCHOR: serve
/// Accept connections one at a time, and answer one request on each.
pub fn serve(listener: TcpListener, app: &dyn Application) -> std::io::Result<()> {
    for stream in listener.incoming() {
        if let Err(error) = handle(stream?, app) {
            eprintln!("request failed: {error}");
        }
    }
    Ok(())
}
// ANCHOR_END: serve

// ANCHOR: handle
/// One connection: read the request, call the application, send what it
/// returns, close.
pub fn handle(mut stream: TcpStream, app: &dyn Application) -> Result<(), AppError> {
    // 1. Read until the blank line that ends the head, then parse it.
    let mut buffer = Vec::new();
    let mut block = [0; 4096];
    while !buffer.windows(4).any(|window| window == b"\r\n\r\n") {
        let count = stream.read(&mut block)?;
        if count == 0 || buffer.len() > 64 * 1024 {
            return Err("no complete request head".into());
        }
        buffer.extend_from_slice(&block[..count]);
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(head_length) = request.parse(&buffer)? else {
        return Err("incomplete request head".into());
    };

    // 2. The environ, and the body: the bytes read past the head, then
    //    the socket, CONTENT_LENGTH bytes in all.
    let mut environ = environ_for(&request, &stream)?;
    let length = environ.get("CONTENT_LENGTH").and_then(|l| l.parse().ok()).unwrap_or(0);
    let rest = Cursor::new(buffer[head_length..].to_vec());
    environ.input = Input::with_length(rest.chain(stream.try_clone()?), length);

    // 3. Call the application and send its body.
    let response = Rc::new(RefCell::new(Response::new(stream)));
    let result = app.call(&mut environ, start_response_for(&response));
    if let Err(error) = send_body(&response, result) {
        eprintln!("error in the application: {error}");
        let mut response = response.borrow_mut();
        if !response.head_sent {
            response.status = Some("500 Internal Server Error".into());
            response.headers = vec![("Content-Type".into(), "text/plain".into())];
            response.write(b"A server error occurred.\n")?;
        }
    }
    // 4. Close: dropping the last handle on the socket ends the body.
    Ok(())
}
// ANCHOR_END: handle

// ANCHOR: environ
/// The CGI keys of chapter 2, from the parsed head.
fn environ_for(request: &httparse::Request, stream: &TcpStream) -> Result<Environ, AppError> {
    let target = request.path.unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let server = stream.local_addr()?;
    let mut environ = Environ::new();
    environ.insert("REQUEST_METHOD", request.method.unwrap_or("GET"));
    environ.insert("SCRIPT_NAME", "");
    environ.insert("PATH_INFO", from_latin1(&percent_decode(path.as_bytes())));
    environ.insert("QUERY_STRING", query);
    environ.insert("SERVER_PROTOCOL", format!("HTTP/1.{}", request.version.unwrap_or(0)));
    environ.insert("SERVER_NAME", server.ip().to_string());
    environ.insert("SERVER_PORT", server.port().to_string());
    environ.insert("REMOTE_ADDR", stream.peer_addr()?.ip().to_string());
    for header in request.headers.iter() {
        let key = header.name.to_ascii_uppercase().replace('-', "_");
        let key = match key.as_str() {
            "CONTENT_TYPE" | "CONTENT_LENGTH" => key,
            _ => format!("HTTP_{key}"),
        };
        environ.insert(key, from_latin1(header.value));
    }
    Ok(environ)
}

/// `%C3%A9` to the bytes C3 A9; anything else stays as it is.
fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
        match (bytes[i], hex) {
            (b'%', Some(hex)) => {
                out.push(u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("0"), 16).unwrap_or(0));
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}
// ANCHOR_END: environ

// ANCHOR: response
/// What `start_response` recorded, and whether the head has gone out.
struct Response {
    stream: TcpStream,
    status: Option<String>,
    headers: HeaderList,
    head_sent: bool,
}

impl Response {
    fn new(stream: TcpStream) -> Response {
        let (status, headers, head_sent) = (None, Vec::new(), false);
        Response {
            stream,
            status,
            headers,
            head_sent,
        }
    }

    /// The status line and headers, once, before the first body bytes.
    fn send_head(&mut self) -> std::io::Result<()> {
        if self.head_sent {
            return Ok(());
        }
        let status = self.status.as_deref().unwrap_or("500 Internal Server Error");
        let mut head = format!("HTTP/1.0 {status}\r\n");
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        self.stream.write_all(head.as_bytes())?;
        self.head_sent = true;
        Ok(())
    }

    /// Body bytes: an empty chunk sends nothing, not even the head.
    fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        self.send_head()?;
        self.stream.write_all(data)
    }
}

/// `start_response` only records; a second call needs `exc_info`, and
/// after the head has gone out it re-raises the error.
fn start_response_for(response: &Rc<RefCell<Response>>) -> StartResponse {
    let response = Rc::clone(response);
    StartResponse::new(move |status, headers, exc_info| {
        let mut recorded = response.borrow_mut();
        match exc_info {
            Some(exc_info) if recorded.head_sent => return Err(StartResponseError::HeadersAlreadySent(exc_info)),
            None if recorded.status.is_some() => return Err(StartResponseError::AlreadyCalled),
            _ => {}
        }
        recorded.status = Some(status);
        recorded.headers = headers;
        let writer = Rc::clone(&response);
        Ok(WriteCallable::new(move |data| writer.borrow_mut().write(data)))
    })
}

/// Each chunk as it comes; the head goes out at the end if the body is
/// empty. The body is dropped, so closed, however this returns.
fn send_body(response: &Rc<RefCell<Response>>, result: Result<Body, AppError>) -> Result<(), AppError> {
    for chunk in result? {
        response.borrow_mut().write(&chunk?)?;
    }
    response.borrow_mut().send_head()?;
    Ok(())
}
// ANCHOR_END: response

// ANCHOR: main
#[allow(dead_code)] // chapter 1's `main`
#[path = "01_hello.rs"]
pub mod hello; // chapter 1's file, unchanged

fn main() -> std::io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:8000")?;
    println!("Serving chapter 1's app on http://127.0.0.1:8000/ ... (Ctrl-C to stop)");
    serve(listener, &hello::app)
}
// ANCHOR_END: main
