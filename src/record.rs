//! Record the requests a server receives, byte for byte, to a text file
//! that [`crate::testing::replay`] runs again: a request that broke the
//! application in development becomes a regression test in one step.
//!
//! New: neither Python's wsgiref, nor Werkzeug's dev server, nor Django's
//! `runserver` records requests (their users reach for a proxy such as
//! mitmproxy, or copy a browser's "Copy as cURL").
//!
//! The `wsgiref` command records with `--record FILE` (`--record-max-bytes
//! N`, `--record-secrets`); a program calls [`WsgiServer::set_recorder`]
//! with a [`Recorder`].
//!
//! # The file format (version 1)
//!
//! A UTF-8 text file of lines (`\n` ends a line; a `\r` before it is
//! ignored). Its first line is `# wsgiref-record 1`. After it, every line is
//! one of:
//!
//! - `> TIME CLIENT -> SERVER`: a new request. `TIME` is when its head
//!   arrived, UTC, RFC 3339 (`2026-12-04T17:50:00.123Z`); `CLIENT` and
//!   `SERVER` are socket addresses (`127.0.0.1:53422`, `[::1]:8000`);
//!   `SERVER` is the address the server listened on (`SERVER_NAME` and
//!   `SERVER_PORT` come from it).
//! - `| TEXT`: bytes of the request, escaped: printable ASCII (space to `~`)
//!   is itself, except `\`; `\\` is a backslash, `\r` CR, `\n` LF, `\t`
//!   TAB, `\xHH` any byte (two hex digits). The request is the
//!   concatenation of its data lines' bytes: a line break in the file is
//!   not a byte. The recorder breaks a line after each `\n` (so a request
//!   head reads as one header per line) and every 100 characters, and
//!   writes a space that would end a line as `\x20`.
//! - `# NOTE`: a note about the request above it (before its first `>`,
//!   a comment). The recorder writes `# status 200` (the status the client
//!   got), and notes such as a truncated request, a body the application
//!   did not read to its end, or the names of redacted headers.
//! - an empty line: nothing (the recorder puts one between requests).
//!
//! Anything else is an error that [`parse`] reports with its line number.
//!
//! ```text
//! # wsgiref-record 1
//!
//! > 2026-12-04T17:50:00.123Z 127.0.0.1:53422 -> 127.0.0.1:8000
//! # status 200
//! | POST /echo HTTP/1.1\r\n
//! | Host: localhost:8000\r\n
//! | Authorization: <redacted>\r\n
//! | Content-Length: 5\r\n
//! | \r\n
//! | hello
//! # redacted: Authorization (--record-secrets keeps them)
//!
//! > 2026-12-04T17:50:01.007Z 127.0.0.1:53424 -> 127.0.0.1:8000
//! # status 400
//! | GET /a\r\n
//! | b HTTP/1.1\r\n
//! | \r\n
//! ```
//!
//! # What is recorded
//!
//! Every request the server answers, refused ones (400, 413, 414, 431, ...)
//! included: the bytes the server read from the connection before
//! answering, as they arrived (a chunked body with its chunk framing).
//! Not recorded: connections that sent nothing, TLS handshakes, and bytes
//! the server discarded after its response. So a body the application
//! did not read is not in the file (a note says so), and a head that came
//! too slowly (408) holds the bytes that did come.
//!
//! Bounds: each request keeps at most [`RecordOptions::max_request_bytes`]
//! (the rest is dropped and a note says how much there was), and the file
//! grows to at most [`RecordOptions::max_file_bytes`]; past it, or after a
//! failed write, recording stops with one warning and serving goes on.
//!
//! Secrets: the values of `Authorization`, `Proxy-Authorization` and
//! `Cookie` are replaced by `<redacted>` (the line stays a header line, so
//! the request is framed as before) unless
//! [`RecordOptions::keep_secrets`].
//!
//! [`WsgiServer::set_recorder`]: crate::WsgiServer::set_recorder

use std::error::Error;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::date::{iso_8601, parse_iso_8601};

mod escape;
mod recorder;

pub(crate) use recorder::BodyCapture;
pub use recorder::{RecordOptions, Recorder};

/// The first line of every recording.
pub const FILE_HEADER: &str = "# wsgiref-record 1";

/// One recorded request: when, from whom, to which server, its bytes,
/// and the recorder's notes.
///
/// # Example
///
/// ```
/// use wsgiref::record::{RecordedRequest, parse};
///
/// let request = RecordedRequest::new(b"GET / HTTP/1.0\r\n\r\n".to_vec());
/// let text = format!("{}\n{}", wsgiref::record::FILE_HEADER, request.to_text());
/// let parsed = parse(&text)?;
/// assert_eq!((&parsed[0].bytes, parsed[0].time, parsed[0].line), (&request.bytes, request.time, 3));
/// # Ok::<(), wsgiref::record::FormatError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// When the request head arrived.
    pub time: SystemTime,
    /// The client's address.
    pub client: SocketAddr,
    /// The address the server listened on.
    pub server: SocketAddr,
    /// The request's bytes, exactly as received (secrets redacted unless kept).
    pub bytes: Vec<u8>,
    /// The status the client got (`# status N`), when noted.
    pub status: Option<u16>,
    /// The other notes, in order, without their `# `.
    pub notes: Vec<String>,
    /// The line of the file its `>` line is on (1-based; 0 when not read
    /// from a file).
    pub line: usize,
}

impl RecordedRequest {
    /// A request with these bytes, from `127.0.0.1:0` to `127.0.0.1:8000`
    /// now (to the millisecond, as the file keeps it), without notes: for
    /// a test that writes a recording by hand.
    ///
    /// # Example
    ///
    /// See [`RecordedRequest`].
    pub fn new(bytes: Vec<u8>) -> RecordedRequest {
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        RecordedRequest {
            time: UNIX_EPOCH + Duration::from_millis(since_epoch.as_millis() as u64),
            client: SocketAddr::from(([127, 0, 0, 1], 0)),
            server: SocketAddr::from(([127, 0, 0, 1], 8000)),
            bytes,
            status: None,
            notes: Vec::new(),
            line: 0,
        }
    }

    /// This request as the lines of the file format (see the module docs),
    /// each ending with `\n`, after an empty line; the time to the
    /// millisecond.
    ///
    /// # Example
    ///
    /// ```
    /// let request = wsgiref::record::RecordedRequest::new(b"GET /a\r\nb HTTP/1.1\r\n\r\n".to_vec());
    /// let text = request.to_text();
    /// assert!(text.ends_with("| GET /a\\r\\n\n| b HTTP/1.1\\r\\n\n| \\r\\n\n"));
    /// ```
    pub fn to_text(&self) -> String {
        let mut text = format!("\n> {} {} -> {}\n", iso_8601(self.time), self.client, self.server);
        if let Some(status) = self.status {
            text.push_str(&format!("# status {status}\n"));
        }
        for line in escape::escape_lines(&self.bytes) {
            text.push_str("| ");
            text.push_str(&line);
            text.push('\n');
        }
        for note in &self.notes {
            // A note is one line: a line break in it would start a line of another kind.
            text.push_str(&format!("# {}\n", note.replace(['\r', '\n'], " ")));
        }
        text
    }
}

/// A line of a recording that is not in the format, with its number.
///
/// # Example
///
/// ```
/// let error = wsgiref::record::parse("# wsgiref-record 1\n> yesterday\n").unwrap_err();
/// assert_eq!(error.line, 2);
/// assert!(error.to_string().starts_with("line 2: "));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError {
    /// The line (1-based).
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl Error for FormatError {}

/// The requests of a recording, in file order.
///
/// # Errors
///
/// A [`FormatError`] for the first line that is not in the format (see the
/// module docs): a missing or other first line, a `>` line without a time
/// and two addresses, a data line before any `>` line, a bad escape, a
/// line of another kind.
///
/// # Example
///
/// ```
/// let text = [
///     "# wsgiref-record 1",
///     "",
///     "> 2026-12-04T17:50:00.123Z 127.0.0.1:53422 -> 127.0.0.1:8000",
///     "# status 400",
///     r"| GET /a\r\nb HTTP/1.1\r\n",
///     r"| \r\n",
/// ]
/// .join("\n");
/// let requests = wsgiref::record::parse(&text)?;
/// assert_eq!(requests[0].bytes, b"GET /a\r\nb HTTP/1.1\r\n\r\n");
/// assert_eq!((requests[0].status, requests[0].line), (Some(400), 3));
/// assert_eq!(requests[0].client.port(), 53422);
/// # Ok::<(), wsgiref::record::FormatError>(())
/// ```
pub fn parse(text: &str) -> Result<Vec<RecordedRequest>, FormatError> {
    let mut lines = text.split('\n').enumerate().map(|(index, line)| {
        let line = line.strip_suffix('\r').unwrap_or(line);
        (index + 1, line)
    });
    let error = |line: usize, message: String| FormatError { line, message };
    match lines.next() {
        Some((_, FILE_HEADER)) => {}
        Some((number, first)) if first.starts_with("# wsgiref-record ") => {
            return Err(error(number, format!("{first:?}: this wsgiref reads version 1 only")));
        }
        Some((number, _)) => {
            return Err(error(
                number,
                format!("not a wsgiref recording (its first line must be {FILE_HEADER:?})"),
            ));
        }
        None => unreachable!("split always yields a first item"),
    }
    let mut requests: Vec<RecordedRequest> = Vec::new();
    for (number, line) in lines {
        parse_line(number, line, &mut requests).map_err(|message| error(number, message))?;
    }
    Ok(requests)
}

/// Add what line `number` says to `requests`.
fn parse_line(number: usize, line: &str, requests: &mut Vec<RecordedRequest>) -> Result<(), String> {
    if line.is_empty() {
        return Ok(());
    }
    if let Some(start) = line.strip_prefix('>') {
        let mut request = parse_start(start.trim())?;
        request.line = number;
        requests.push(request);
        return Ok(());
    }
    let current = requests.last_mut();
    if let Some(note) = line.strip_prefix('#') {
        if let Some(request) = current {
            add_note(request, note.strip_prefix(' ').unwrap_or(note));
        }
        return Ok(());
    }
    if let Some(data) = line.strip_prefix('|') {
        let Some(request) = current else {
            return Err("request bytes before the first `>` line".into());
        };
        // Columns count from the first character after `| `.
        let data = data.strip_prefix(' ').unwrap_or(data);
        return escape::unescape_line(data, &mut request.bytes);
    }
    Err(format!(
        "{line:?} is none of `> TIME CLIENT -> SERVER`, `| BYTES`, `# NOTE` or an empty line"
    ))
}

/// A request from its `>` line (after the `>`): `TIME CLIENT -> SERVER`.
fn parse_start(start: &str) -> Result<RecordedRequest, String> {
    let fields: Vec<&str> = start.split_whitespace().collect();
    let [time, client, "->", server] = fields[..] else {
        return Err(format!("{start:?}: expected `> TIME CLIENT -> SERVER`"));
    };
    let time =
        parse_iso_8601(time).ok_or_else(|| format!("{time:?} is not a UTC time such as 2026-12-04T17:50:00.123Z"))?;
    let address = |text: &str| {
        text.parse::<SocketAddr>()
            .map_err(|_| format!("{text:?} is not a socket address such as 127.0.0.1:8000"))
    };
    Ok(RecordedRequest {
        client: address(client)?,
        server: address(server)?,
        time,
        ..RecordedRequest::new(Vec::new())
    })
}

/// `# status N` sets the status; any other note is kept as is.
fn add_note(request: &mut RecordedRequest, note: &str) {
    let status = note.strip_prefix("status ").and_then(|code| code.trim().parse().ok());
    match status {
        Some(status) if request.status.is_none() => request.status = Some(status),
        _ => request.notes.push(note.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(requests: &[RecordedRequest]) -> String {
        let mut text = format!("{FILE_HEADER}\n");
        for request in requests {
            text.push_str(&request.to_text());
        }
        text
    }

    prop_compose! {
        fn recorded()(
            millis in 0u64..8_000_000_000_000,
            // IP and port: an IPv6 flow label is not written (nor sent by a client).
            client in (any::<std::net::IpAddr>(), any::<u16>()),
            server in (any::<std::net::IpAddr>(), any::<u16>()),
            bytes in proptest::collection::vec(any::<u8>(), 0..600),
            status in proptest::option::of(100u16..600),
            notes in proptest::collection::vec("[ -~]{0,30}", 0..3),
        ) -> RecordedRequest {
            RecordedRequest {
                time: UNIX_EPOCH + Duration::from_millis(millis),
                client: client.into(),
                server: server.into(),
                bytes,
                status,
                // A note that reads as a status would come back as one.
                notes: notes.into_iter().filter(|note| !note.starts_with("status ")).collect(),
                line: 0,
            }
        }
    }

    proptest! {
        #[test]
        fn any_requests_round_trip(requests in proptest::collection::vec(recorded(), 0..4)) {
            let text = file(&requests);
            let mut parsed = parse(&text).unwrap();
            for request in &mut parsed {
                prop_assert!(text.lines().nth(request.line - 1).unwrap().starts_with("> "));
                request.line = 0;
            }
            prop_assert_eq!(parsed, requests);
            // Only printable ASCII in the file.
            prop_assert!(text.bytes().all(|b| b == b'\n' || (0x20..=0x7e).contains(&b)));
        }
    }

    #[test]
    fn malformed_files_name_their_line() {
        let cases = [
            ("", 1, "not a wsgiref recording"),
            ("GET / HTTP/1.1\n", 1, "not a wsgiref recording"),
            ("# wsgiref-record 2\n", 1, "version 1 only"),
            ("# wsgiref-record 1\n| GET\n", 2, "before the first `>` line"),
            (
                "# wsgiref-record 1\n> 2026-12-04T17:50:00Z 1.2.3.4:5\n",
                2,
                "expected `> TIME CLIENT -> SERVER`",
            ),
            (
                "# wsgiref-record 1\n> now 1.2.3.4:5 -> 1.2.3.4:6\n",
                2,
                "not a UTC time",
            ),
            (
                "# wsgiref-record 1\n> 2026-12-04T17:50:00Z 1.2.3.4 -> 1.2.3.4:6\n",
                2,
                "not a socket address",
            ),
            (
                "# wsgiref-record 1\n\n> 2026-12-04T17:50:00Z 1.2.3.4:5 -> 1.2.3.4:6\n| a\\yb\n",
                4,
                "column 2: bad escape",
            ),
            ("# wsgiref-record 1\nGET / HTTP/1.1\n", 2, "is none of"),
        ];
        for (text, line, message) in cases {
            let error = parse(text).unwrap_err();
            assert_eq!(error.line, line, "{text:?}: {error}");
            assert!(error.message.contains(message), "{text:?}: {error}");
        }
    }

    #[test]
    fn crlf_files_and_hand_written_notes() {
        let text = "# wsgiref-record 1\r\n# a comment\r\n> 2026-12-04T17:50:00Z [::1]:5 -> [::1]:6\r\n#status 201\r\n|GET\r\n# why\r\n";
        let requests = parse(text).unwrap();
        assert_eq!(requests.len(), 1);
        assert_eq!(requests[0].bytes, b"GET");
        assert_eq!(
            (requests[0].status, requests[0].notes.clone()),
            (Some(201), vec!["why".to_string()])
        );
    }
}
