//! HTTP/1.1 plumbing the WSGI server needs: read a request head under size
//! and time limits, decide how its body is framed, answer a bad request, and
//! write the access-log line.
//!
//! This is what Python's `wsgiref.simple_server` gets from
//! `http.server.BaseHTTPRequestHandler`. Request heads are parsed with
//! `httparse`; the limits and checks around it follow RFC 9112.
//!
//! Private to the crate: only [`RequestError`] is public (as
//! `wsgiref::RequestError`), and the parser's entry points are re-exported,
//! hidden, for the fuzz tests (`wsgiref::__fuzz`).
//!
//! - this file: reading and parsing the request head;
//! - `framing`: what the head says about the target and the body (RFC 9112 §3, §6);
//! - `output`: the error page of a refused request and the access-log line.

use std::error::Error;
use std::fmt;
use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::native::from_latin1;

mod framing;
mod output;

pub use framing::{BodyFraming, check_request};
pub(crate) use framing::{RequestTarget, content_length};
pub use output::ACCESS_LOG_TARGET;
pub(crate) use output::{escape_for_log, log_request, reason_phrase, write_error_response};

/// Size and time limits for reading a request head. The server copies them
/// from its [`crate::ServerConfig`] (not passed itself: `http` sits below
/// `simple_server` and does not import it).
#[derive(Debug, Clone)]
pub(crate) struct HeadLimits {
    /// Longest request line, in bytes, CRLF included (longer: 414).
    pub max_request_line_bytes: usize,
    /// Largest request head (request line + header fields), in bytes (larger: 431).
    pub max_head_bytes: usize,
    /// Most header fields (more: 431).
    pub max_header_count: usize,
    /// Time allowed to receive the whole head, from when the server starts
    /// waiting (slower: 408; nothing at all: the connection is closed).
    pub head_timeout: Duration,
}

impl HeadLimits {
    /// The read timeout used while waiting for a head: the head timeout,
    /// but at most [`PARK_AFTER`], after which a worker hands a client
    /// that sends nothing to the waiting room (or, without one, looks at
    /// the deadline and whether the server is stopping, and waits again).
    /// At least 1 ms: std refuses a zero timeout.
    pub(crate) fn read_slice(&self) -> Duration {
        self.head_timeout.min(PARK_AFTER).max(Duration::from_millis(1))
    }
}

/// A parsed request head: the request line and header fields.
///
/// Shapes: `target` and header values are native strings (each byte one
/// latin-1 `char`); header names are ASCII as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestHead {
    /// The method, such as `GET`.
    pub method: String,
    /// The request target as sent, such as `/xyz?abc`.
    pub target: String,
    /// The minor version: `1` for `HTTP/1.1`, `0` for `HTTP/1.0`; `2` to
    /// `9` for a later `HTTP/1.x`, which is otherwise processed as HTTP/1.1.
    pub minor_version: u8,
    /// Header fields in order, names as sent, values latin-1 with outer
    /// whitespace removed by httparse.
    pub headers: Vec<(String, String)>,
    /// Bytes read after the head: the start of the body (or of a next request).
    pub leftover: Vec<u8>,
    /// The head exactly as received, blank line included (for the trace).
    pub raw: Vec<u8>,
}

impl RequestHead {
    /// The request line as it arrived, such as `GET /xyz?abc HTTP/1.1`.
    pub fn request_line(&self) -> String {
        format!("{} {} HTTP/1.{}", self.method, self.target, self.minor_version)
    }

    /// All values of a header, in order (case-insensitive name).
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// What the client did wrong; each maps to one response status.
///
/// # Example
///
/// ```
/// use wsgiref::RequestError;
/// assert_eq!(RequestError::RequestLineTooLong.status(), 414);
/// assert_eq!(RequestError::BadRequest("no Host header".into()).to_string(), "bad request: no Host header");
/// ```
///
/// Spec: RFC 9112 §2-§7, RFC 9110 §15.
#[derive(Debug)]
#[non_exhaustive]
pub enum RequestError {
    /// Malformed target, header values or framing (400).
    BadRequest(String),
    /// The request line or a header field is not HTTP/1.1 syntax (400):
    /// httparse's error, kept as the [`Error::source`], with the request
    /// line it was found in (escaped for the log).
    Syntax {
        /// What httparse found wrong.
        error: httparse::Error,
        /// The first line of the head, control characters escaped.
        request_line: String,
    },
    /// The head did not arrive within the head timeout (408).
    Timeout,
    /// The declared body is larger than the server accepts (413).
    PayloadTooLarge(u64),
    /// The request line is longer than the limit (414).
    RequestLineTooLong,
    /// An `Expect` other than `100-continue` (417).
    ExpectationFailed(String),
    /// Too many header fields, or a head larger than the limit (431).
    HeaderFieldsTooLarge(String),
    /// A transfer coding or method the server does not implement (501).
    NotImplemented(String),
    /// An HTTP major version other than 1 (505).
    UnsupportedVersion(String),
    /// The connection failed while reading; no response can be sent.
    Io(io::Error),
    /// The client opened with a TLS handshake (it speaks HTTPS to this plain
    /// HTTP server); nothing is answered.
    TlsHandshake,
}

impl RequestError {
    /// The response status for this error, such as `400`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(wsgiref::RequestError::Timeout.status(), 408);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            RequestError::BadRequest(_) | RequestError::Syntax { .. } => 400,
            RequestError::Timeout => 408,
            RequestError::PayloadTooLarge(_) => 413,
            RequestError::RequestLineTooLong => 414,
            RequestError::ExpectationFailed(_) => 417,
            RequestError::HeaderFieldsTooLarge(_) => 431,
            RequestError::NotImplemented(_) => 501,
            RequestError::UnsupportedVersion(_) => 505,
            RequestError::Io(_) | RequestError::TlsHandshake => 400,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::BadRequest(why) => write!(f, "bad request: {why}"),
            RequestError::Syntax { error, request_line } => {
                write!(f, "bad request: {error} (request line {request_line:?})")
            }
            RequestError::Timeout => write!(f, "request head not received in time"),
            RequestError::PayloadTooLarge(length) => {
                write!(f, "request body of {length} bytes is larger than the server accepts")
            }
            RequestError::RequestLineTooLong => write!(f, "request line too long"),
            RequestError::ExpectationFailed(value) => write!(f, "unsupported expectation {value:?}"),
            RequestError::HeaderFieldsTooLarge(why) => write!(f, "request header fields too large: {why}"),
            RequestError::NotImplemented(what) => write!(f, "not implemented: {what}"),
            RequestError::UnsupportedVersion(version) => write!(f, "unsupported HTTP version {version:?}"),
            RequestError::Io(error) => write!(f, "connection error while reading the request: {error}"),
            RequestError::TlsHandshake => write!(f, "a TLS handshake (HTTPS) on this plain HTTP port"),
        }
    }
}

impl Error for RequestError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            RequestError::Io(error) => Some(error),
            RequestError::Syntax { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Read one request head from `stream`, within `limits`, going on from
/// `so_far` (bytes the waiting room already read; empty for a new
/// connection). The stream's read timeout must already be
/// [`HeadLimits::read_slice`] (the server's accepted sockets inherit it from
/// the listener, which saves a system call per connection).
///
/// Returns [`HeadRead::Nothing`] when the client closed the connection
/// without sending a byte (browsers' pre-connections do), when it sent
/// nothing before the deadline (it is closed without an answer), or when
/// `stopping` became true while nothing had arrived yet (the server is
/// shutting down); [`HeadRead::Stalled`] when `may_park` and no byte came
/// for a read slice (a slow or idle client: the caller hands it to the
/// waiting room instead of holding a worker).
///
/// # Errors
///
/// A [`RefusedHead`]: a [`RequestError`] for a malformed or oversized head
/// (400/414/431/505), a client too slow to send it (408), or a connection
/// failure (`Io`), with the bytes received until then.
///
/// Spec: RFC 9112 §2.2 (message parsing), §3 (request line), §5 (fields).
pub(crate) fn read_request_head(
    stream: &TcpStream,
    limits: &HeadLimits,
    stopping: &AtomicBool,
    so_far: HeadSoFar,
    may_park: bool,
) -> Result<HeadRead, RefusedHead> {
    // Why bounded in bytes and time: httparse keeps no state and re-parses
    // the whole buffer on every call, and a client may trickle bytes forever.
    let waiting = Waiting {
        deadline: so_far.deadline,
        limits,
        stopping,
        may_park,
    };
    let mut buffer = so_far.bytes;
    let read = read_head_into(stream, &waiting, &mut buffer);
    read.map_err(|error| RefusedHead {
        error,
        received: buffer,
    })
}

/// A request head the server refuses: why, and the bytes that came
/// before it found out (what `wsgiref --record` writes).
#[derive(Debug)]
pub(crate) struct RefusedHead {
    pub(crate) error: RequestError,
    pub(crate) received: Vec<u8>,
}

/// [`read_request_head`]'s loop; on an error `buffer` holds every byte read.
fn read_head_into(stream: &TcpStream, waiting: &Waiting<'_>, buffer: &mut Vec<u8>) -> Result<HeadRead, RequestError> {
    if !buffer.is_empty() {
        if let Some(head) = parse_within_limits(buffer, waiting.limits)? {
            return Ok(HeadRead::Complete(head));
        }
    }
    let mut block = [0u8; 4096];
    loop {
        let count = match waiting.read(stream, &mut block, buffer.is_empty())? {
            Arrived::Bytes(count) => count,
            Arrived::Nothing => return Ok(HeadRead::Nothing),
            Arrived::Stalled => return Ok(HeadRead::Stalled(std::mem::take(buffer))),
        };
        if let Some(head) = parse_received(buffer, &block[..count], waiting.limits)? {
            return Ok(HeadRead::Complete(head));
        }
        if Instant::now() >= waiting.deadline {
            return Err(RequestError::Timeout);
        }
    }
}

/// The head, if `received` completes it after what `buffer` holds; when it
/// does not (more is needed, or an error), `buffer` then holds `received` too.
///
/// Why two buffers: most heads arrive in one read, parsed in place from
/// the read block; `buffer` collects the bytes only when more reads are needed.
fn parse_received(
    buffer: &mut Vec<u8>,
    received: &[u8],
    limits: &HeadLimits,
) -> Result<Option<RequestHead>, RequestError> {
    if buffer.is_empty() {
        let parsed = parse_within_limits(received, limits);
        if !matches!(parsed, Ok(Some(_))) {
            buffer.extend_from_slice(received);
        }
        return parsed;
    }
    buffer.extend_from_slice(received);
    parse_within_limits(buffer, limits)
}

/// The start of a request head: the bytes read so far (by the waiting
/// room) and when the whole head is due.
#[derive(Debug)]
pub(crate) struct HeadSoFar {
    pub(crate) bytes: Vec<u8>,
    pub(crate) deadline: Instant,
}

impl HeadSoFar {
    /// A new connection: nothing read, the head due within `limits.head_timeout`.
    pub(crate) fn new(limits: &HeadLimits) -> HeadSoFar {
        HeadSoFar {
            bytes: Vec::new(),
            deadline: Instant::now() + limits.head_timeout,
        }
    }
}

/// How a head read ended without an error.
#[derive(Debug)]
pub(crate) enum HeadRead {
    /// The whole head.
    Complete(RequestHead),
    /// Nothing will be answered (see [`read_request_head`]).
    Nothing,
    /// The client paused mid-head (or before it): the bytes so far, for
    /// the waiting room.
    Stalled(Vec<u8>),
}

/// What one wait for request-head bytes gave.
enum Arrived {
    Bytes(usize),
    Nothing,
    Stalled,
}

/// The wait for the bytes of one request head: until when, under which
/// limits, whether the server is stopping, and whether a stalled client
/// may be handed to the waiting room.
struct Waiting<'a> {
    deadline: Instant,
    limits: &'a HeadLimits,
    stopping: &'a AtomicBool,
    may_park: bool,
}

impl Waiting<'_> {
    /// Read into `block`, waking once a read slice to look at the deadline
    /// and at `stopping`; `nothing_yet` when no byte of the head has come.
    fn read(&self, mut stream: &TcpStream, block: &mut [u8], nothing_yet: bool) -> Result<Arrived, RequestError> {
        loop {
            match stream.read(block) {
                Ok(0) if nothing_yet => return Ok(Arrived::Nothing),
                Ok(0) => {
                    return Err(RequestError::BadRequest(
                        "connection closed before the end of the request head".into(),
                    ));
                }
                Ok(count) => return Ok(Arrived::Bytes(count)),
                Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(RequestError::Io(error)),
            }
            if nothing_yet && self.stopping.load(Ordering::Relaxed) {
                return Ok(Arrived::Nothing);
            }
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() && nothing_yet {
                // Never sent a byte (an idle pre-connection): close without a word.
                return Ok(Arrived::Nothing);
            }
            if left.is_zero() {
                return Err(RequestError::Timeout);
            }
            if self.may_park {
                return Ok(Arrived::Stalled);
            }
            if left < self.limits.read_slice() {
                stream.set_read_timeout(Some(left)).map_err(RequestError::Io)?;
            }
        }
    }
}

/// The head in `head_bytes` if it is complete and within `limits`;
/// `Ok(None)` when more bytes may still make it so.
pub(crate) fn parse_within_limits(head_bytes: &[u8], limits: &HeadLimits) -> Result<Option<RequestHead>, RequestError> {
    if starts_with_tls_handshake(head_bytes) {
        return Err(RequestError::TlsHandshake);
    }
    check_request_line_length(head_bytes, limits.max_request_line_bytes)?;
    match parse_head(head_bytes, limits.max_header_count)? {
        Some(head) if head.raw.len() > limits.max_head_bytes => Err(too_large_head(limits.max_head_bytes)),
        Some(head) => Ok(Some(head)),
        None if head_bytes.len() >= limits.max_head_bytes => Err(too_large_head(limits.max_head_bytes)),
        None => Ok(None),
    }
}

fn too_large_head(max_head_bytes: usize) -> RequestError {
    RequestError::HeaderFieldsTooLarge(format!("request head larger than {max_head_bytes} bytes"))
}

/// Header slots kept on the stack by `parse_head`.
const STACK_HEADERS: usize = 128;

/// How long a worker waits for the next bytes of a request head before it
/// hands the connection to the waiting room. Why 20 ms: a client that
/// sends its request right after connecting (every browser, curl, a load
/// generator) has it there within a round trip, so the common request
/// never leaves its worker; an idle or trickling client costs a worker 20
/// ms, not the head timeout. It is also the listener's read timeout, so
/// an idle worker looks at the waiting room's finished heads, and at a stop
/// request, 50 times a second.
pub(crate) const PARK_AFTER: Duration = Duration::from_millis(20);

/// Whether `buffer` starts like a TLS handshake record: content type 22
/// (`0x16`, handshake) then major version 3 (`0x03`, SSL 3.0 to TLS 1.3).
/// No HTTP request line can start with these bytes (a method is a token).
///
/// Why a test of its own: a browser told `https://` for this plain HTTP
/// server sends a ClientHello; answering it with a 400 page is noise the
/// browser cannot show, so the server closes and says why once
/// ([`log_https_probe`]). Django does the same (ticket 23398).
///
/// Spec: RFC 8446 §5.1 (`TLSPlaintext`: type, legacy_record_version).
fn starts_with_tls_handshake(buffer: &[u8]) -> bool {
    buffer.starts_with(&[0x16, 0x03])
}

/// Log, at most once a minute, that a client spoke HTTPS to this plain HTTP
/// server (warn level); the probes in between are debug lines.
///
/// Why once a minute: a browser retries and opens several connections per
/// page; one line says it all. The last time is process-wide.
pub(crate) fn log_https_probe(client_address: &str) {
    static LAST_LOGGED: Mutex<Option<Instant>> = Mutex::new(None);
    let mut last_logged = LAST_LOGGED.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    if last_logged.is_some_and(|last| now.duration_since(last) < Duration::from_secs(60)) {
        log::debug!("{client_address}: another TLS handshake on the plain HTTP port; closed");
        return;
    }
    *last_logged = Some(now);
    log::warn!("{client_address}: You're accessing the development server over HTTPS, but it only supports HTTP.");
}

/// Whether an I/O error is a read or write timeout (`WouldBlock` on Unix,
/// `TimedOut` on Windows).
pub(crate) fn is_timeout(error: &io::Error) -> bool {
    matches!(error.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut)
}

/// httparse has no request-line limit, so find the first line end ourselves.
fn check_request_line_length(buffer: &[u8], max_request_line_bytes: usize) -> Result<(), RequestError> {
    let line_end = buffer.iter().position(|&b| b == b'\n');
    match line_end {
        Some(end) if end + 1 > max_request_line_bytes => Err(RequestError::RequestLineTooLong),
        None if buffer.len() > max_request_line_bytes => Err(RequestError::RequestLineTooLong),
        _ => Ok(()),
    }
}

/// Parse a complete request head from `buffer`, or `Ok(None)` when more
/// bytes are needed (httparse's `Status::Partial`).
///
/// # Errors
///
/// [`RequestError::Syntax`] for malformed syntax,
/// [`RequestError::HeaderFieldsTooLarge`] for more than `max_header_count`
/// fields, [`RequestError::UnsupportedVersion`] for `HTTP/2.0` and the like.
///
/// # Example
///
/// ```
/// use wsgiref::__fuzz::parse_head;
/// let head = parse_head(b"POST /form HTTP/1.1\r\nHost: a\r\n\r\nbody", 100)?.unwrap();
/// assert_eq!((head.method.as_str(), head.leftover.as_slice()), ("POST", &b"body"[..]));
/// assert!(parse_head(b"GET / HTTP/1.1\r\nHost:", 100)?.is_none());
/// assert_eq!(parse_head(b"GET / HTTP/3.0\r\n\r\n", 100).unwrap_err().status(), 505);
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Spec: RFC 9112 §2.2, §3, §5.
pub fn parse_head(buffer: &[u8], max_header_count: usize) -> Result<Option<RequestHead>, RequestError> {
    // Why on the stack: a heap array this size would be allocated and freed
    // for every request; only an unusually high limit needs the heap.
    let mut on_stack = [httparse::EMPTY_HEADER; STACK_HEADERS];
    let mut on_heap;
    let headers: &mut [httparse::Header<'_>] = if max_header_count <= STACK_HEADERS {
        &mut on_stack[..max_header_count]
    } else {
        on_heap = vec![httparse::EMPTY_HEADER; max_header_count];
        &mut on_heap
    };
    let mut request = httparse::Request::new(headers);
    let head_length = match request.parse(buffer) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(error) => return parse_error(error, buffer, max_header_count),
    };
    let headers = request
        .headers
        .iter()
        .map(|header| (header.name.to_string(), from_latin1(header.value)))
        .collect();
    Ok(Some(RequestHead {
        method: request.method.unwrap_or_default().to_string(),
        // Why as bytes: httparse hands the target out as `&str`, but PEP 3333
        // wants each byte as one latin-1 char, as wsgiref does.
        target: from_latin1(request.path.unwrap_or_default().as_bytes()),
        minor_version: request.version.unwrap_or(1),
        headers,
        leftover: buffer[head_length..].to_vec(),
        raw: buffer[..head_length].to_vec(),
    }))
}

/// What an httparse error means: 431 for too many fields; for a version
/// httparse does not know, a later `HTTP/1.x` parsed again, or 505/400;
/// else 400 with httparse's error kept.
fn parse_error(
    error: httparse::Error,
    buffer: &[u8],
    max_header_count: usize,
) -> Result<Option<RequestHead>, RequestError> {
    match error {
        httparse::Error::TooManyHeaders => Err(RequestError::HeaderFieldsTooLarge(format!(
            "more than {max_header_count} header fields"
        ))),
        httparse::Error::Version => match later_minor_version(buffer) {
            Some((patched, minor_version)) => {
                Ok(parse_head(&patched, max_header_count)?.map(|head| RequestHead { minor_version, ..head }))
            }
            None => Err(version_error(buffer)),
        },
        error => {
            let first_line = buffer.split(|&b| b == b'\n').next().unwrap_or_default();
            Err(RequestError::Syntax {
                error,
                request_line: escape_for_log(&from_latin1(first_line)),
            })
        }
    }
}

/// RFC 9112 §2.3: a request with a later minor version (`HTTP/1.2` to
/// `HTTP/1.9`) is processed as HTTP/1.1, as CPython does; httparse knows
/// only 1.0 and 1.1. Returns `buffer` with the version patched to `HTTP/1.1`
/// for httparse, and the minor version sent (for `SERVER_PROTOCOL`).
fn later_minor_version(buffer: &[u8]) -> Option<(Vec<u8>, u8)> {
    // httparse skips empty lines before the request line (RFC 9112 §2.2).
    let start = buffer.iter().position(|&b| b != b'\r' && b != b'\n')?;
    let rest = &buffer[start..];
    // The line may not be complete yet: then the patched parse says Partial.
    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let (&minor, before) = line.split_last()?;
    if !before.ends_with(b" HTTP/1.") || !(b'2'..=b'9').contains(&minor) {
        return None;
    }
    let mut patched = buffer.to_vec();
    patched[start + line.len() - 1] = b'1';
    Some((patched, minor - b'0'))
}

/// `HTTP/2.0` is well-formed but unsupported (505); `HTTP/1.x` with an odd
/// `x`, or garbage, is malformed (400).
fn version_error(buffer: &[u8]) -> RequestError {
    let first_line = buffer.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = from_latin1(first_line);
    let version = line.trim_end().rsplit(' ').next().unwrap_or_default().to_string();
    let bytes = version.as_bytes();
    let well_formed = bytes.len() == 8
        && version.starts_with("HTTP/")
        && bytes[5].is_ascii_digit()
        && bytes[6] == b'.'
        && bytes[7].is_ascii_digit();
    if well_formed && bytes[5] != b'1' {
        RequestError::UnsupportedVersion(version)
    } else {
        RequestError::BadRequest(format!("malformed HTTP version {:?}", escape_for_log(&version)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_and_repeated_headers() {
        let head = parse_head(b"GET /a HTTP/1.0\r\nA: 1\r\na: 2\r\n\r\n", 100)
            .unwrap()
            .unwrap();
        assert_eq!(head.request_line(), "GET /a HTTP/1.0");
        assert_eq!(head.get_all("A"), ["1", "2"]);
    }

    #[test]
    fn tls_handshakes_are_recognised() {
        assert!(starts_with_tls_handshake(b"\x16\x03\x01\x02\x00"));
        assert!(!starts_with_tls_handshake(b"GET / HTTP/1.1\r\n"));
    }

    #[test]
    fn syntax_errors_keep_httparse_error_as_source() {
        let error = parse_head(b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 100).unwrap_err();
        let source = error.source().and_then(|s| s.downcast_ref::<httparse::Error>());
        assert_eq!(source, Some(&httparse::Error::HeaderName));
        assert_eq!(
            error.to_string(),
            "bad request: invalid header name (request line \"GET / HTTP/1.1\\\\x0d\")"
        );
    }

    #[test]
    fn parse_errors_map_to_statuses() {
        let cases: [(&[u8], u16); 9] = [
            (b"GET / HTTP/2.0\r\n\r\n", 505),
            (b"GET / HTTP/1.x\r\n\r\n", 400),
            (b"GET / FOO\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nName : x\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nA: b\x00c\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", 400),
            (b"G\x01T / HTTP/1.1\r\n\r\n", 400),
        ];
        for (input, status) in cases {
            let result = parse_head(input, 100);
            assert_eq!(
                result.map(|_| 0).unwrap_or_else(|e| e.status()),
                status,
                "input {input:?}"
            );
        }
    }

    #[test]
    fn later_minor_versions_are_processed_as_http_1_1() {
        let head = parse_head(b"GET /v HTTP/1.2\r\nHost: a\r\n\r\nbody", 100)
            .unwrap()
            .unwrap();
        assert_eq!(
            (head.minor_version, head.request_line()),
            (2, "GET /v HTTP/1.2".to_string())
        );
        assert_eq!((head.headers.len(), head.leftover.as_slice()), (1, &b"body"[..]));
        let head = parse_head(b"\r\nGET / HTTP/1.9\n\n", 100).unwrap().unwrap();
        assert_eq!(head.minor_version, 9);
        // An HTTP/1.9 request needs a Host, as an HTTP/1.1 one does.
        assert_eq!(check_request(&head, None).unwrap_err().status(), 400);
        // Incomplete heads wait for more bytes.
        assert!(parse_head(b"GET / HTTP/1.2", 100).unwrap().is_none());
        assert!(parse_head(b"GET / HTTP/1.2\r\nHost: a\r\n", 100).unwrap().is_none());
        for malformed in [
            &b"GET / HTTP/1.10\r\n\r\n"[..],
            b"GET / HTTP/1.01\r\n\r\n",
            b"GET / HTTP/1.2x\r\n\r\n",
        ] {
            assert_eq!(parse_head(malformed, 100).unwrap_err().status(), 400, "{malformed:?}");
        }
    }

    #[test]
    fn too_many_headers_is_431() {
        let mut request = b"GET / HTTP/1.1\r\n".to_vec();
        for n in 0..5 {
            request.extend_from_slice(format!("X-{n}: v\r\n").as_bytes());
        }
        request.extend_from_slice(b"\r\n");
        assert_eq!(parse_head(&request, 4).unwrap_err().status(), 431);
        assert!(parse_head(&request, 5).unwrap().is_some());
    }

    #[test]
    fn request_line_limit() {
        assert!(check_request_line_length(b"GET /aaaa", 8).is_err());
        assert!(check_request_line_length(b"GET /a\r\n", 8).is_ok());
        assert!(check_request_line_length(b"GET /aaaa HTTP/1.1\r\n", 8).is_err());
    }
}
