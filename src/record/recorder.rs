//! [`Recorder`]: the file a server appends its requests to, and the
//! capture of one request's bytes on their way to the application.

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::{FILE_HEADER, RecordedRequest};
use crate::http::BodyFraming;
use crate::input::Input;

/// The log target of recording's warnings.
const LOG_TARGET: &str = "wsgiref::record";

/// Headers whose values are replaced unless [`RecordOptions::keep_secrets`]
/// (lowercase): credentials and session cookies.
const SECRET_HEADERS: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// What a redacted header value becomes.
const REDACTED: &[u8] = b"<redacted>";

/// How a [`Recorder`] records.
///
/// # Example
///
/// ```
/// let options = wsgiref::record::RecordOptions { max_request_bytes: 64 * 1024, ..Default::default() };
/// assert!(!options.keep_secrets);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOptions {
    /// Most bytes kept of one request, head and body; the rest is dropped
    /// and a note gives the request's size. Default 1 MiB (`wsgiref
    /// --record-max-bytes`).
    pub max_request_bytes: usize,
    /// Largest the file may grow to, in bytes, what it held before
    /// included; a request that would pass it stops the recording (one
    /// warning). Default 100 MiB.
    pub max_file_bytes: u64,
    /// Keep the values of `Authorization`, `Proxy-Authorization` and
    /// `Cookie`. Default `false`: they are written `<redacted>` (`wsgiref
    /// --record-secrets` keeps them).
    pub keep_secrets: bool,
}

impl Default for RecordOptions {
    fn default() -> RecordOptions {
        RecordOptions {
            max_request_bytes: 1024 * 1024,
            max_file_bytes: 100 * 1024 * 1024,
            keep_secrets: false,
        }
    }
}

/// A recording file that requests are appended to; cheap to clone (the
/// clones share the file), safe to use from every worker.
///
/// Each request is one `write` to a file opened in append mode, under a
/// lock: records of requests served at once do not interleave, and
/// another process appending to the same file (a reloaded server) does
/// not overwrite them.
///
/// # Example
///
/// ```
/// use wsgiref::record::{RecordOptions, Recorder};
///
/// let path = std::env::temp_dir().join(format!("doc-recorder-{}.txt", std::process::id()));
/// let server = wsgiref::make_server("127.0.0.1", 0, wsgiref::simple_server::hello_app)?;
/// let _ = server.set_recorder(Recorder::open(&path, RecordOptions::default())?);
/// let address = server.server_address();
/// let client = std::thread::spawn(move || {
///     use std::io::{Read, Write};
///     let mut stream = std::net::TcpStream::connect(address).unwrap();
///     stream.write_all(b"GET /hi HTTP/1.0\r\nCookie: id=secret\r\n\r\n").unwrap();
///     stream.read_to_end(&mut Vec::new()).unwrap();
/// });
/// server.handle_request()?;
/// client.join().unwrap();
/// let requests = wsgiref::testing::read_recording(&path)?;
/// assert_eq!(requests[0].bytes, b"GET /hi HTTP/1.0\r\nCookie: <redacted>\r\n\r\n");
/// assert_eq!(requests[0].status, Some(200));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), wsgiref::AppError>(())
/// ```
#[derive(Clone)]
pub struct Recorder {
    shared: Arc<Shared>,
}

struct Shared {
    path: PathBuf,
    options: RecordOptions,
    file: Mutex<FileState>,
}

struct FileState {
    file: File,
    /// Bytes in the file, what it held at open included.
    size: u64,
    /// Set once the file is full or a write failed: nothing more is written.
    stopped: bool,
}

impl Recorder {
    /// Open `path` for appending, creating it if needed. The file's
    /// first line, [`FILE_HEADER`], is written with the first request.
    ///
    /// # Errors
    ///
    /// The `io::Error` of opening the file; `InvalidData` when it exists,
    /// is not empty, and is not a recording (so no other file is appended to).
    ///
    /// # Example
    ///
    /// See [`Recorder`].
    pub fn open(path: impl AsRef<Path>, options: RecordOptions) -> io::Result<Recorder> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let size = file.metadata()?.len();
        if size > 0 {
            check_is_recording(&path)?;
        }
        Ok(Recorder {
            shared: Arc::new(Shared {
                path,
                options,
                file: Mutex::new(FileState {
                    file,
                    size,
                    stopped: false,
                }),
            }),
        })
    }

    /// The file's path, as given to [`Recorder::open`].
    ///
    /// # Example
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("doc-path-{}.txt", std::process::id()));
    /// let recorder = wsgiref::record::Recorder::open(&path, Default::default())?;
    /// assert_eq!(recorder.path(), path);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// The options it was opened with.
    ///
    /// # Example
    ///
    /// ```
    /// let path = std::env::temp_dir().join(format!("doc-options-{}.txt", std::process::id()));
    /// let recorder = wsgiref::record::Recorder::open(&path, Default::default())?;
    /// assert_eq!(recorder.options().max_request_bytes, 1024 * 1024);
    /// # std::fs::remove_file(&path)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn options(&self) -> &RecordOptions {
        &self.shared.options
    }

    /// Start the record of a request whose head (or, for a refused
    /// request, everything read) is `head`: its secrets redacted, the time
    /// taken now.
    pub(crate) fn start(&self, head: &[u8]) -> BodyCapture {
        let (head, redacted) = match self.shared.options.keep_secrets {
            true => (head.to_vec(), Vec::new()),
            false => redact(head),
        };
        let capture = BodyCapture {
            state: Rc::new(RefCell::new(Captured {
                time: Some(SystemTime::now()),
                bytes: Vec::new(),
                head_length: head.len(),
                total: 0,
                limit: self.shared.options.max_request_bytes,
                redacted,
            })),
        };
        capture.push(&head);
        capture
    }

    /// Append the request `capture` holds: from `client` to the server
    /// listening on `server`, answered with `status`. `framing`, for a
    /// request the application ran for, says how long its body was meant
    /// to be (a note tells when less of it was read).
    pub(crate) fn finish(
        &self,
        capture: BodyCapture,
        (client, server): (SocketAddr, SocketAddr),
        status: u16,
        framing: Option<BodyFraming>,
    ) {
        let captured = capture.state.take();
        let mut notes = Vec::new();
        let head_length = captured.head_length.min(captured.bytes.len());
        if captured.total > captured.bytes.len() as u64 {
            notes.push(format!(
                "truncated: the first {} of {} bytes (max_request_bytes)",
                captured.bytes.len(),
                captured.total
            ));
        } else if let Some(note) = framing.and_then(|framing| unread_body(&captured.bytes[head_length..], framing)) {
            notes.push(note);
        }
        if !captured.redacted.is_empty() {
            notes.push(format!(
                "redacted: {} (--record-secrets keeps them)",
                captured.redacted.join(", ")
            ));
        }
        let request = RecordedRequest {
            time: captured.time.unwrap_or_else(SystemTime::now),
            client,
            server,
            bytes: captured.bytes,
            status: Some(status),
            notes,
            line: 0,
        };
        self.append(&request.to_text());
    }

    /// Append `text` (with the file's first line when it is empty), or
    /// stop recording with one warning when the file would grow past its
    /// limit or the write fails.
    fn append(&self, text: &str) {
        let shared = &*self.shared;
        let mut state = shared.file.lock().unwrap_or_else(|e| e.into_inner());
        if state.stopped {
            return;
        }
        let record = match state.size {
            0 => format!("{FILE_HEADER}\n{text}"),
            _ => text.to_string(),
        };
        let path = shared.path.display();
        if state.size + record.len() as u64 > shared.options.max_file_bytes {
            state.stopped = true;
            let limit = shared.options.max_file_bytes;
            log::warn!(target: LOG_TARGET, "recording stopped: {path} would grow past {limit} bytes");
            return;
        }
        match state.file.write_all(record.as_bytes()) {
            Ok(()) => state.size += record.len() as u64,
            Err(error) => {
                state.stopped = true;
                log::warn!(target: LOG_TARGET, "recording stopped: cannot write to {path}: {error}");
            }
        }
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("path", &self.shared.path)
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

/// `InvalidData` unless the file at `path` starts with [`FILE_HEADER`].
fn check_is_recording(path: &Path) -> io::Result<()> {
    let mut start = Vec::new();
    File::open(path)?
        .take(FILE_HEADER.len() as u64 + 1)
        .read_to_end(&mut start)?;
    let first_line = start.split(|&b| b == b'\n').next().unwrap_or_default();
    match first_line.strip_suffix(b"\r").unwrap_or(first_line) == FILE_HEADER.as_bytes() {
        true => Ok(()),
        false => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{} is not empty and not a wsgiref recording (its first line is not {FILE_HEADER:?})",
                path.display()
            ),
        )),
    }
}

/// A note when the body in `body` is shorter than `framing` says: the
/// application answered without reading the rest.
fn unread_body(body: &[u8], framing: BodyFraming) -> Option<String> {
    const NOTE: &str = "the application answered before reading the whole body; the rest is not recorded";
    match framing {
        BodyFraming::Length(length) if (body.len() as u64) < length => {
            Some(format!("body: {} of {length} bytes ({NOTE})", body.len()))
        }
        BodyFraming::Length(_) => None,
        BodyFraming::Chunked => {
            let mut decoded = Input::chunked(io::Cursor::new(body.to_vec()));
            let complete = io::copy(&mut decoded, &mut io::sink()).is_ok();
            (!complete).then(|| format!("body: chunked, {} bytes ({NOTE})", body.len()))
        }
    }
}

/// The bytes of one request as the server reads them, up to the
/// recorder's limit; shared with the tee on `wsgi.input`'s socket.
///
/// Why `Rc`: a request is served on one thread, and `wsgi.input` is not
/// `Send` either.
#[derive(Clone)]
pub(crate) struct BodyCapture {
    state: Rc<RefCell<Captured>>,
}

#[derive(Default)]
struct Captured {
    time: Option<SystemTime>,
    bytes: Vec<u8>,
    head_length: usize,
    /// Every byte seen, kept or not.
    total: u64,
    limit: usize,
    redacted: Vec<String>,
}

impl BodyCapture {
    /// Keep `bytes` (as much as fits under the limit).
    pub(crate) fn push(&self, bytes: &[u8]) {
        let mut state = self.state.borrow_mut();
        state.total += bytes.len() as u64;
        let room = state.limit.saturating_sub(state.bytes.len());
        state.bytes.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    /// `reader`, with every byte read from it kept here too.
    pub(crate) fn tee<R: Read>(&self, reader: R) -> Tee<R> {
        Tee {
            reader,
            capture: self.clone(),
        }
    }
}

/// A reader that copies what it reads into a [`BodyCapture`].
pub(crate) struct Tee<R> {
    reader: R,
    capture: BodyCapture,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let count = self.reader.read(buffer)?;
        self.capture.push(&buffer[..count]);
        Ok(count)
    }
}

/// `bytes` with the values of secret headers replaced by `<redacted>`, and
/// the names of those headers. Only the head (up to the first empty line)
/// is looked at; the bytes after it are kept as they are. The request line
/// and line endings are kept, so the request is framed as before.
fn redact(bytes: &[u8]) -> (Vec<u8>, Vec<String>) {
    let mut out = Vec::with_capacity(bytes.len());
    let mut names: Vec<String> = Vec::new();
    let mut in_secret = false;
    let mut lines = bytes.split_inclusive(|&b| b == b'\n');
    out.extend_from_slice(lines.next().unwrap_or_default());
    for line in lines.by_ref() {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.is_empty() {
            out.extend_from_slice(line);
            break;
        }
        let ending = &line[content.len()..];
        let folded = matches!(content[0], b' ' | b'\t');
        match secret_name(content) {
            Some(colon) if !folded => {
                let name = String::from_utf8_lossy(&content[..colon]).into_owned();
                if !names.iter().any(|seen| seen.eq_ignore_ascii_case(&name)) {
                    names.push(name);
                }
                in_secret = true;
                redacted_line(&mut out, &content[..=colon], ending);
            }
            // An obsolete continuation line (RFC 9112 §5.2) of a secret value.
            _ if folded && in_secret => redacted_line(&mut out, b"", ending),
            _ => {
                in_secret = false;
                out.extend_from_slice(line);
            }
        }
    }
    out.extend(lines.flatten());
    (out, names)
}

/// Where the colon of a header line with a secret value is; `None` for
/// other lines and for secret headers with an empty value.
fn secret_name(content: &[u8]) -> Option<usize> {
    let colon = content.iter().position(|&b| b == b':')?;
    let name = std::str::from_utf8(&content[..colon]).ok()?.trim();
    let value = &content[colon + 1..];
    let secret = SECRET_HEADERS.iter().any(|secret| secret.eq_ignore_ascii_case(name));
    (secret && value.iter().any(|b| !b.is_ascii_whitespace())).then_some(colon)
}

/// `start`, then ` <redacted>`, then the line's `ending`.
fn redacted_line(out: &mut Vec<u8>, start: &[u8], ending: &[u8]) {
    out.extend_from_slice(start);
    out.push(b' ');
    out.extend_from_slice(REDACTED);
    out.extend_from_slice(ending);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted_and_framing_kept() {
        let head = b"GET /?Cookie:x HTTP/1.1\r\nHost: a\r\nauthorization:  Basic dXNlcjpwdw==\r\n\
                     COOKIE: a=1\r\n b=2\r\nCookie:\r\nX-Cookie: c\r\nContent-Length: 3\r\n\r\nCookie: body";
        let (redacted, names) = redact(head);
        assert_eq!(
            String::from_utf8(redacted).unwrap(),
            "GET /?Cookie:x HTTP/1.1\r\nHost: a\r\nauthorization: <redacted>\r\n\
             COOKIE: <redacted>\r\n <redacted>\r\nCookie:\r\nX-Cookie: c\r\nContent-Length: 3\r\n\r\nCookie: body"
        );
        assert_eq!(names, ["authorization", "COOKIE"]);
        // Bare LF line ends, and a head cut short, are handled too.
        let (redacted, _) = redact(b"GET / HTTP/1.1\nProxy-Authorization: x\nCookie: y");
        assert_eq!(
            redacted,
            b"GET / HTTP/1.1\nProxy-Authorization: <redacted>\nCookie: <redacted>"
        );
    }

    proptest::proptest! {
        #[test]
        fn redaction_never_panics_and_keeps_lines(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            let (redacted, names) = redact(&bytes);
            if names.is_empty() {
                proptest::prop_assert_eq!(&redacted, &bytes);
            }
            let lines = |b: &[u8]| b.iter().filter(|&&b| b == b'\n').count();
            proptest::prop_assert_eq!(lines(&redacted), lines(&bytes));
        }

        #[test]
        fn no_cookie_value_is_left(fields in proptest::collection::vec("Cookie: [a-z=;]{1,10}|X-[A-Za-z]{1,8}: [ -~]{0,10}| [a-z]{1,5}", 0..8)) {
            let head = format!("GET / HTTP/1.1\r\n{}\r\nCookie: body", fields.iter().map(|f| format!("{f}\r\n")).collect::<String>());
            let (redacted, names) = redact(head.as_bytes());
            let redacted = String::from_utf8(redacted).unwrap();
            let (redacted_head, body) = redacted.split_once("\r\n\r\n").unwrap();
            proptest::prop_assert_eq!(body, "Cookie: body");
            proptest::prop_assert_eq!(names.is_empty(), !fields.iter().any(|f| f.starts_with("Cookie:")));
            for line in redacted_head.lines().filter(|line| line.starts_with("Cookie:")) {
                proptest::prop_assert_eq!(line, "Cookie: <redacted>");
            }
        }
    }

    #[test]
    fn unread_bodies_are_noted() {
        assert!(unread_body(b"abc", BodyFraming::Length(3)).is_none());
        assert!(
            unread_body(b"ab", BodyFraming::Length(3))
                .unwrap()
                .starts_with("body: 2 of 3 bytes")
        );
        assert!(unread_body(b"3\r\nabc\r\n0\r\n\r\n", BodyFraming::Chunked).is_none());
        assert!(unread_body(b"3\r\nab", BodyFraming::Chunked).is_some());
    }

    #[test]
    fn the_capture_keeps_up_to_its_limit() {
        let path = std::env::temp_dir().join(format!("wsgiref-capture-{}.txt", std::process::id()));
        let options = RecordOptions {
            max_request_bytes: 10,
            ..RecordOptions::default()
        };
        let recorder = Recorder::open(&path, options).unwrap();
        let capture = recorder.start(b"GET / HTTP/1.0\r\n\r\n");
        let mut tee = capture.tee(&b"more"[..]);
        std::io::copy(&mut tee, &mut std::io::sink()).unwrap();
        let state = capture.state.borrow();
        assert_eq!((state.bytes.as_slice(), state.total), (&b"GET / HTTP"[..], 22));
        std::fs::remove_file(&path).unwrap();
    }
}
