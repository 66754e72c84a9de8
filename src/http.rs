//! HTTP/1.1 plumbing the WSGI server needs: read a request head under size
//! and time limits, decide how its body is framed, answer a bad request, and
//! write the access-log line.
//!
//! This is what Python's `wsgiref.simple_server` gets from
//! `http.server.BaseHTTPRequestHandler`. Request heads are parsed with
//! `httparse`; the limits and checks around it follow RFC 9112.

use std::error::Error;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::util::from_latin1;

/// Size and time limits for reading a request head. The server copies them
/// from its [`crate::ServerConfig`].
#[derive(Debug, Clone)]
pub struct HeadLimits {
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
    /// but at most 1 s, so that a worker waiting on an idle connection
    /// wakes up once a second to see whether the server is shutting down.
    /// At least 1 ms: std refuses a zero timeout.
    ///
    /// # Example
    ///
    /// ```
    /// use std::time::Duration;
    /// let limits = wsgiref::http::HeadLimits {
    ///     max_request_line_bytes: 8192, max_head_bytes: 32768, max_header_count: 100,
    ///     head_timeout: Duration::from_secs(30),
    /// };
    /// assert_eq!(limits.read_slice(), Duration::from_secs(1));
    /// ```
    pub fn read_slice(&self) -> Duration {
        self.head_timeout.min(STOP_CHECK_INTERVAL).max(Duration::from_millis(1))
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
    ///
    /// # Example
    ///
    /// ```
    /// let head = wsgiref::http::parse_head(b"GET /a HTTP/1.0\r\n\r\n", 100)?.unwrap();
    /// assert_eq!(head.request_line(), "GET /a HTTP/1.0");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn request_line(&self) -> String {
        format!("{} {} HTTP/1.{}", self.method, self.target, self.minor_version)
    }

    /// All values of a header, in order (case-insensitive name).
    ///
    /// # Example
    ///
    /// ```
    /// let head = wsgiref::http::parse_head(b"GET / HTTP/1.1\r\nA: 1\r\na: 2\r\n\r\n", 100)?.unwrap();
    /// assert_eq!(head.get_all("A"), ["1", "2"]);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
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
/// use wsgiref::http::RequestError;
/// assert_eq!(RequestError::RequestLineTooLong.status(), 414);
/// assert_eq!(RequestError::BadRequest("no Host header".into()).to_string(), "bad request: no Host header");
/// ```
///
/// Spec: RFC 9112 §2-§7, RFC 9110 §15.
#[derive(Debug)]
pub enum RequestError {
    /// Malformed request line, header, target or framing (400).
    BadRequest(String),
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
    /// HTTP server); nothing is answered, see [`starts_with_tls_handshake`].
    TlsHandshake,
}

impl RequestError {
    /// The response status for this error, such as `400`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(wsgiref::http::RequestError::Timeout.status(), 408);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            RequestError::BadRequest(_) => 400,
            RequestError::Timeout => 408,
            RequestError::PayloadTooLarge(_) => 413,
            RequestError::RequestLineTooLong => 414,
            RequestError::ExpectationFailed(_) => 417,
            RequestError::HeaderFieldsTooLarge(_) => 431,
            RequestError::NotImplemented(_) => 501,
            RequestError::UnsupportedVersion(_) => 505,
            RequestError::Io(_) => 400,
            RequestError::TlsHandshake => 400,
        }
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::BadRequest(why) => write!(f, "bad request: {why}"),
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
            _ => None,
        }
    }
}

/// Read one request head from `stream`, within `limits`.
///
/// Returns `Ok(None)` when the client closed the connection without sending
/// a byte (browsers' pre-connections do), when it sent nothing within the
/// head timeout (it is closed without an answer), or when `stopping` became
/// true while nothing had arrived yet (the server is shutting down).
///
/// # Errors
///
/// A [`RequestError`] for a malformed or oversized head (400/414/431/505),
/// a client too slow to send it (408), or a connection failure (`Io`).
///
/// # Example
///
/// ```
/// use std::io::Write;
/// use std::time::Duration;
/// use wsgiref::http::{read_request_head, HeadLimits};
///
/// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
/// let mut client = std::net::TcpStream::connect(listener.local_addr()?)?;
/// client.write_all(b"GET /xyz?abc HTTP/1.1\r\nHost: x\r\n\r\n")?;
/// let (server_side, _) = listener.accept()?;
/// let limits = HeadLimits {
///     max_request_line_bytes: 8192, max_head_bytes: 65536,
///     max_header_count: 100, head_timeout: Duration::from_secs(5),
/// };
/// let stopping = std::sync::atomic::AtomicBool::new(false);
/// let head = read_request_head(&server_side, &limits, &stopping)?.unwrap();
/// assert_eq!(head.target, "/xyz?abc");
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Spec: RFC 9112 §2.2 (message parsing), §3 (request line), §5 (fields).
pub fn read_request_head(
    stream: &TcpStream,
    limits: &HeadLimits,
    stopping: &AtomicBool,
) -> Result<Option<RequestHead>, RequestError> {
    stream
        .set_read_timeout(Some(limits.read_slice()))
        .map_err(RequestError::Io)?;
    read_request_head_in_slices(stream, limits, stopping)
}

/// [`read_request_head`] on a stream whose read timeout is already
/// [`HeadLimits::read_slice`] (the server's accepted sockets inherit it from
/// the listener, which saves a system call per connection).
pub(crate) fn read_request_head_in_slices(
    mut stream: &TcpStream,
    limits: &HeadLimits,
    stopping: &AtomicBool,
) -> Result<Option<RequestHead>, RequestError> {
    // Why bounded in bytes and time: httparse keeps no state and re-parses
    // the whole buffer on every call, and a client may trickle bytes forever.
    let deadline = Instant::now() + limits.head_timeout;
    // Why two buffers: most heads arrive in one read, parsed in place from
    // `block`; `buffer` collects the bytes only when more reads are needed.
    let mut block = [0u8; 4096];
    let mut buffer = Vec::new();
    let slice = limits.read_slice();
    loop {
        let count = match stream.read(&mut block) {
            Ok(count) => count,
            Err(error) if is_timeout(&error) || error.kind() == io::ErrorKind::Interrupted => {
                if buffer.is_empty() && stopping.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() && buffer.is_empty() {
                    // Never sent a byte (an idle pre-connection): close without a word.
                    return Ok(None);
                }
                if left.is_zero() {
                    return Err(RequestError::Timeout);
                }
                if left < slice {
                    stream.set_read_timeout(Some(left)).map_err(RequestError::Io)?;
                }
                continue;
            }
            Err(error) => return Err(RequestError::Io(error)),
        };
        if count == 0 {
            if buffer.is_empty() {
                return Ok(None);
            }
            return Err(RequestError::BadRequest(
                "connection closed before the end of the request head".into(),
            ));
        }
        let first_read = buffer.is_empty();
        let head_bytes: &[u8] = if first_read {
            &block[..count]
        } else {
            buffer.extend_from_slice(&block[..count]);
            &buffer
        };
        if starts_with_tls_handshake(head_bytes) {
            return Err(RequestError::TlsHandshake);
        }
        check_request_line_length(head_bytes, limits.max_request_line_bytes)?;
        if let Some(head) = parse_head(head_bytes, limits.max_header_count)? {
            if head.raw.len() > limits.max_head_bytes {
                return Err(too_large_head(limits.max_head_bytes));
            }
            return Ok(Some(head));
        }
        if head_bytes.len() >= limits.max_head_bytes {
            return Err(too_large_head(limits.max_head_bytes));
        }
        if first_read {
            buffer.extend_from_slice(&block[..count]);
        }
        if Instant::now() >= deadline {
            return Err(RequestError::Timeout);
        }
    }
}

fn too_large_head(max_head_bytes: usize) -> RequestError {
    RequestError::HeaderFieldsTooLarge(format!("request head larger than {max_head_bytes} bytes"))
}

/// Header slots kept on the stack by `parse_head`.
const STACK_HEADERS: usize = 128;

/// How often a worker waiting for a request head checks for shutdown.
const STOP_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Whether `buffer` starts like a TLS handshake record: content type 22
/// (`0x16`, handshake) then major version 3 (`0x03`, SSL 3.0 to TLS 1.3).
/// No HTTP request line can start with these bytes (a method is a token).
///
/// Why a test of its own: a browser told `https://` for this plain HTTP
/// server sends a ClientHello; answering it with a 400 page is noise the
/// browser cannot show, so the server closes and says why once
/// ([`log_https_probe`]). Django does the same (ticket 23398).
///
/// # Example
///
/// ```
/// assert!(wsgiref::http::starts_with_tls_handshake(b"\x16\x03\x01\x02\x00"));
/// assert!(!wsgiref::http::starts_with_tls_handshake(b"GET / HTTP/1.1\r\n"));
/// ```
///
/// Spec: RFC 8446 §5.1 (`TLSPlaintext`: type, legacy_record_version).
pub fn starts_with_tls_handshake(buffer: &[u8]) -> bool {
    buffer.starts_with(&[0x16, 0x03])
}

/// Log, at most once a minute, that a client spoke HTTPS to this plain HTTP
/// server (warn level); the probes in between are debug lines.
///
/// Why once a minute: a browser retries and opens several connections per
/// page; one line says it all. The last time is process-wide.
///
/// # Example
///
/// ```
/// wsgiref::http::log_https_probe("127.0.0.1");
/// ```
pub fn log_https_probe(client_address: &str) {
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
/// [`RequestError::BadRequest`] for malformed syntax,
/// [`RequestError::HeaderFieldsTooLarge`] for more than `max_header_count`
/// fields, [`RequestError::UnsupportedVersion`] for `HTTP/2.0` and the like.
///
/// # Example
///
/// ```
/// use wsgiref::http::parse_head;
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
        Err(httparse::Error::TooManyHeaders) => {
            return Err(RequestError::HeaderFieldsTooLarge(format!(
                "more than {max_header_count} header fields"
            )));
        }
        Err(httparse::Error::Version) => {
            return match later_minor_version(buffer) {
                Some((patched, minor_version)) => {
                    Ok(parse_head(&patched, max_header_count)?.map(|head| RequestHead { minor_version, ..head }))
                }
                None => Err(version_error(buffer)),
            };
        }
        Err(error) => {
            let first_line = buffer.split(|&b| b == b'\n').next().unwrap_or_default();
            return Err(RequestError::BadRequest(format!(
                "{error} (request line {:?})",
                escape_for_log(&from_latin1(first_line))
            )));
        }
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

/// How the end of a request body is found (RFC 9112 §6.3).
///
/// # Example
///
/// ```
/// use wsgiref::http::{check_request, parse_head, BodyFraming};
/// let head = parse_head(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 100)?.unwrap();
/// assert_eq!(check_request(&head, None)?, BodyFraming::Length(5));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// Exactly this many bytes (0 when the request declares no body).
    Length(u64),
    /// `Transfer-Encoding: chunked`, decoded by [`crate::Input`].
    Chunked,
}

/// Check the request's target, `Host`, `Expect` and body framing; return
/// how its body is framed.
///
/// # Errors
///
/// - 400: a target that is not origin-, absolute- or asterisk-form (the
///   last only with `OPTIONS`); an HTTP/1.1 request without exactly one
///   `Host`; a `Content-Length` that is not digits, or several different
///   ones; `Transfer-Encoding` with `Content-Length`, on HTTP/1.0, or
///   `chunked` not last.
/// - 413: a declared length above `max_body_bytes`.
/// - 417: an `Expect` other than `100-continue`.
/// - 501: `CONNECT`, or a transfer coding other than `chunked`.
///
/// # Example
///
/// ```
/// use wsgiref::http::{check_request, parse_head};
/// let head = parse_head(b"GET / HTTP/1.1\r\n\r\n", 100)?.unwrap();
/// assert_eq!(check_request(&head, None).unwrap_err().status(), 400);
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Spec: RFC 9112 §3.2 (target forms), §3.2 and RFC 9110 §7.2 (`Host`),
/// §6.1-§6.3 (framing); RFC 9110 §10.1.1 (`Expect`).
pub fn check_request(head: &RequestHead, max_body_bytes: Option<u64>) -> Result<BodyFraming, RequestError> {
    check_target(head)?;
    let hosts = head.get_all("Host").len();
    if hosts > 1 || (head.minor_version >= 1 && hosts == 0) {
        return Err(RequestError::BadRequest(format!(
            "{hosts} Host header fields; HTTP/1.1 needs exactly one"
        )));
    }
    for expect in head.get_all("Expect") {
        if !expect.eq_ignore_ascii_case("100-continue") {
            return Err(RequestError::ExpectationFailed(expect.to_string()));
        }
    }
    let framing = body_framing(head)?;
    if let (BodyFraming::Length(length), Some(max)) = (framing, max_body_bytes) {
        if length > max {
            return Err(RequestError::PayloadTooLarge(length));
        }
    }
    Ok(framing)
}

fn check_target(head: &RequestHead) -> Result<(), RequestError> {
    if head.method == "CONNECT" {
        return Err(RequestError::NotImplemented(
            "the CONNECT method (this is not a proxy)".into(),
        ));
    }
    let target = head.target.as_str();
    let well_formed = match target {
        "*" => head.method == "OPTIONS",
        _ if target.starts_with('/') => true,
        _ => RequestTarget::parse(target)
            .authority
            .is_some_and(|authority| is_valid_authority(&authority)),
    };
    if !well_formed {
        return Err(RequestError::BadRequest(format!(
            "request target {:?} is not allowed here",
            escape_for_log(target)
        )));
    }
    Ok(())
}

/// An absolute-form authority must name a host, with no userinfo
/// (RFC 9110 §4.2.1: "A sender MUST NOT generate the userinfo
/// subcomponent"; an empty host is invalid) and balanced IPv6 brackets.
fn is_valid_authority(authority: &str) -> bool {
    if authority.is_empty() || authority.contains('@') {
        return false;
    }
    match authority.strip_prefix('[') {
        Some(rest) => rest.split_once(']').is_some_and(|(ip, port)| {
            !ip.is_empty()
                && (port.is_empty()
                    || port
                        .strip_prefix(':')
                        .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit())))
        }),
        None => {
            let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
            !host.is_empty() && !host.contains(['[', ']']) && port.bytes().all(|b| b.is_ascii_digit())
        }
    }
}

/// `Transfer-Encoding` and `Content-Length` rules (RFC 9112 §6.1-§6.3).
fn body_framing(head: &RequestHead) -> Result<BodyFraming, RequestError> {
    let lengths = head.get_all("Content-Length");
    let codings: Vec<String> = head
        .get_all("Transfer-Encoding")
        .iter()
        .flat_map(|value| value.split(','))
        .map(|coding| coding.trim().to_ascii_lowercase())
        .collect();
    if codings.is_empty() {
        return content_length(&lengths).map(BodyFraming::Length);
    }
    if !lengths.is_empty() {
        return Err(RequestError::BadRequest(
            "both Transfer-Encoding and Content-Length (request smuggling?)".into(),
        ));
    }
    if head.minor_version == 0 {
        return Err(RequestError::BadRequest(
            "Transfer-Encoding in an HTTP/1.0 request".into(),
        ));
    }
    if let Some(coding) = codings.iter().find(|coding| *coding != "chunked") {
        return Err(RequestError::NotImplemented(format!(
            "transfer coding {:?}",
            escape_for_log(coding)
        )));
    }
    if codings.len() > 1 {
        return Err(RequestError::BadRequest("chunked applied more than once".into()));
    }
    Ok(BodyFraming::Chunked)
}

/// `Content-Length = 1*DIGIT`; a list of identical values counts as one
/// (RFC 9110 §8.6), different values are an error.
fn content_length(values: &[&str]) -> Result<u64, RequestError> {
    let mut length = None;
    for value in values.iter().flat_map(|value| value.split(',')) {
        let value = value.trim_matches([' ', '\t']);
        let parsed = match value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
            true => value.parse::<u64>().ok(),
            false => None,
        };
        let Some(parsed) = parsed else {
            return Err(RequestError::BadRequest(format!(
                "Content-Length {:?} is not a number",
                escape_for_log(value)
            )));
        };
        if length.is_some_and(|length| length != parsed) {
            return Err(RequestError::BadRequest(
                "several different Content-Length values".into(),
            ));
        }
        length = Some(parsed);
    }
    Ok(length.unwrap_or(0))
}

/// A request target split into its parts (RFC 9112 §3.2).
///
/// Shapes: native strings, not yet percent-decoded.
///
/// # Example
///
/// ```
/// use wsgiref::http::RequestTarget;
/// let target = RequestTarget::parse("http://example.com:8080/a?b=1");
/// assert_eq!(target.authority.as_deref(), Some("example.com:8080"));
/// assert_eq!((target.path.as_str(), target.query.as_str()), ("/a", "b=1"));
/// assert_eq!(RequestTarget::parse("//x//y").path, "/x//y");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestTarget {
    /// The authority of an absolute-form target (`host:port`), else `None`.
    pub authority: Option<String>,
    /// The path, `/` when an absolute-form target has none.
    pub path: String,
    /// What follows the first `?`, or empty.
    pub query: String,
}

impl RequestTarget {
    /// Split `target` into authority, path and query. A leading `//`
    /// becomes `/`, as in CPython's `http.server` (so it is not taken as a
    /// scheme-relative URL).
    ///
    /// # Example
    ///
    /// ```
    /// let target = wsgiref::http::RequestTarget::parse("/xyz?abc");
    /// assert_eq!((target.path.as_str(), target.query.as_str()), ("/xyz", "abc"));
    /// ```
    pub fn parse(target: &str) -> RequestTarget {
        let (authority, rest) = split_absolute_form(target);
        let rest = match rest.strip_prefix("//") {
            Some(_) => format!("/{}", rest.trim_start_matches('/')),
            None => rest.to_string(),
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path.to_string(), query.to_string()),
            None => (rest, String::new()),
        };
        let path = if authority.is_some() && path.is_empty() {
            "/".to_string()
        } else {
            path
        };
        RequestTarget { authority, path, query }
    }
}

/// `absolute-form = absolute-URI` with an `http` or `https` scheme.
fn split_absolute_form(target: &str) -> (Option<String>, &str) {
    let scheme_end = target.find("://");
    let Some(scheme_end) = scheme_end else {
        return (None, target);
    };
    let scheme = &target[..scheme_end];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return (None, target);
    }
    let after = &target[scheme_end + 3..];
    let authority_end = after.find(['/', '?']).unwrap_or(after.len());
    (Some(after[..authority_end].to_string()), &after[authority_end..])
}

/// Escape control characters (and `\`) as CPython's `log_message` does, so
/// a client cannot forge log lines.
///
/// # Example
///
/// ```
/// assert_eq!(wsgiref::http::escape_for_log("GET /\r\nx"), "GET /\\x0d\\x0ax");
/// ```
///
/// Mirrors `http.server.BaseHTTPRequestHandler._control_char_table`.
pub fn escape_for_log(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c < ' ' || ('\u{7f}'..'\u{a0}').contains(&c) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The reason phrase for the statuses the server itself sends.
///
/// # Example
///
/// ```
/// assert_eq!(wsgiref::http::reason_phrase(431), "Request Header Fields Too Large");
/// ```
///
/// Spec: RFC 9110 §15; RFC 6585 §5 for 431.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        417 => "Expectation Failed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Write the response for a request the server refuses: a short
/// `text/plain` page saying why, with `Connection: close`. Returns the
/// body's size in bytes, for the access log.
///
/// # Errors
///
/// An `io::Error` when the client is gone.
///
/// # Example
///
/// ```
/// use wsgiref::http::{write_error_response, RequestError};
/// let mut out = Vec::new();
/// write_error_response(&mut out, &RequestError::RequestLineTooLong, "wsgiref")?;
/// assert!(out.starts_with(b"HTTP/1.1 414 URI Too Long\r\n"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write_error_response(out: &mut impl Write, error: &RequestError, server_software: &str) -> io::Result<u64> {
    let status = error.status();
    let body = format!("{status} {}: {error}\n", reason_phrase(status));
    let response = format!(
        "HTTP/1.1 {status} {}\r\nDate: {}\r\nServer: {server_software}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        reason_phrase(status),
        crate::handlers::format_date_time(SystemTime::now()),
        body.len(),
    );
    out.write_all(response.as_bytes())?;
    out.flush()?;
    Ok(body.len() as u64)
}

/// The log target of the access log lines: turn them off with a filter on
/// it (`RUST_LOG=info,wsgiref::access=off`, or `wsgiref --no-access-log`).
pub const ACCESS_LOG_TARGET: &str = "wsgiref::access";

/// Log one access-log line at `info` level, target `wsgiref::access`, in
/// `BaseHTTPRequestHandler.log_message` form:
/// `127.0.0.1 - - [22/Nov/2026 18:16:30] "GET /xyz?abc HTTP/1.1" 200 1234`.
///
/// Shapes: `size` is body bytes sent, `None` prints `-`. The time is UTC
/// (CPython prints local time; std has no time zone database). The record
/// also carries `status` as a key-value (`log`'s `kv`), so a logger can
/// colour the line by status class without parsing it.
///
/// # Example
///
/// ```
/// wsgiref::http::log_request("127.0.0.1", "GET / HTTP/1.1", 200, Some(13));
/// ```
///
/// Mirrors `http.server.BaseHTTPRequestHandler.log_request`.
pub fn log_request(client_address: &str, request_line: &str, status: u16, size: Option<u64>) {
    // Why ask first: formatting the date and the line costs more than the
    // question, and the log may be off (`wsgiref --no-access-log`).
    if !log::log_enabled!(target: ACCESS_LOG_TARGET, log::Level::Info) {
        return;
    }
    let size = size.map_or("-".to_string(), |size| size.to_string());
    log::info!(
        target: ACCESS_LOG_TARGET,
        status = status;
        "{client_address} - - [{}] \"{}\" {status} {size}",
        log_date_time_string(SystemTime::now()),
        escape_for_log(request_line)
    );
}

const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A UTC calendar time, from a Unix timestamp.
pub(crate) struct CivilTime {
    pub year: i64,
    pub month_name: &'static str,
    pub day: u32,
    pub weekday_name: &'static str,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// Break `time` into UTC calendar fields (Howard Hinnant's `civil_from_days`).
pub(crate) fn civil_time(time: SystemTime) -> CivilTime {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let days = seconds.div_euclid(86_400);
    let second_of_day = seconds.rem_euclid(86_400) as u32;
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 = March
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    CivilTime {
        year,
        month_name: MONTH_NAMES[(month - 1) as usize],
        day,
        // 1970-01-01 was a Thursday (index 3 from Monday).
        weekday_name: WEEKDAY_NAMES[(days + 3).rem_euclid(7) as usize],
        hour: second_of_day / 3600,
        minute: second_of_day / 60 % 60,
        second: second_of_day % 60,
    }
}

/// `22/Nov/2026 18:16:30`, as `BaseHTTPRequestHandler.log_date_time_string`.
fn log_date_time_string(time: SystemTime) -> String {
    let t = civil_time(time);
    format!(
        "{:02}/{}/{:04} {:02}:{:02}:{:02}",
        t.day, t.month_name, t.year, t.hour, t.minute, t.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time_known_dates() {
        let cases = [
            (0, "01/Jan/1970 00:00:00"),
            (784_111_777, "06/Nov/1994 08:49:37"),
            (951_782_400, "29/Feb/2000 00:00:00"),
            (1_795_544_190, "24/Nov/2026 18:16:30"),
        ];
        for (seconds, expected) in cases {
            let time = UNIX_EPOCH + Duration::from_secs(seconds);
            assert_eq!(log_date_time_string(time), expected, "timestamp {seconds}");
        }
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
