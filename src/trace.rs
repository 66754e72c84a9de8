//! The protocol trace: each request's trip through WSGI, made visible.
//!
//! For every request, in order: the raw request head as received (CR and LF
//! shown as `\r\n`), the environ the application receives (sorted, one key
//! per line), each `start_response` call, the raw response head as sent,
//! the body's chunk and byte counts, and the time spent in the application.
//! The block is built while the request runs and logged as one record when
//! it ends, so blocks from different threads never interleave.
//!
//! Turn it on with [`crate::ServerConfig::trace`] (logged at `info` level)
//! or by enabling the `trace` level for the target `wsgiref::trace` (for
//! example `RUST_LOG=wsgiref::trace=trace`). The `wsgiref` command has
//! `--trace`.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::native::python_repr;
use crate::types::Environ;

/// Chunks whose framing a trace shows; the rest are only counted.
const SHOWN_CHUNKS: u64 = 3;

/// The log target of trace blocks.
pub const TARGET: &str = "wsgiref::trace";

/// One request's trace, collected as it happens.
///
/// # Example
///
/// ```
/// use wsgiref::trace::Trace;
/// let mut trace = Trace::new("127.0.0.1:50000");
/// trace.request_head(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n");
/// trace.start_response("200 OK", &[("Content-Type".into(), "text/plain".into())], false);
/// trace.body_chunk(5);
/// let block = trace.finish();
/// assert!(block.contains("start_response('200 OK', [('Content-Type', 'text/plain')])"));
/// assert!(block.contains("body: 1 chunk, 5 bytes"));
/// ```
#[derive(Debug)]
pub struct Trace {
    text: String,
    chunks: u64,
    bytes: u64,
    /// Chunks sent with chunked transfer-coding.
    framed_chunks: u64,
    last_chunk_sent: bool,
    application_started: Option<Instant>,
    application_time: Option<Duration>,
}

impl Trace {
    /// A new trace for a request from `client` (an address, for the block's title).
    ///
    /// # Example
    ///
    /// ```
    /// let trace = wsgiref::trace::Trace::new("[::1]:1234");
    /// assert!(trace.finish().starts_with("=== request from [::1]:1234 ==="));
    /// ```
    pub fn new(client: &str) -> Trace {
        Trace {
            text: format!("=== request from {client} ===\n"),
            chunks: 0,
            bytes: 0,
            framed_chunks: 0,
            last_chunk_sent: false,
            application_started: None,
            application_time: None,
        }
    }

    /// The request head as received, one line per line, bytes escaped.
    ///
    /// # Example
    ///
    /// ```
    /// let mut trace = wsgiref::trace::Trace::new("c");
    /// trace.request_head(b"GET /caf\xc3\xa9 HTTP/1.0\r\n\r\n");
    /// assert!(trace.finish().contains("  GET /caf\\xc3\\xa9 HTTP/1.0\\r\\n\n  \\r\\n\n"));
    /// ```
    pub fn request_head(&mut self, raw: &[u8]) {
        self.section("request head", raw.len());
        self.escaped_lines(raw);
    }

    /// The environ the application receives, sorted, as `demo_app` prints it.
    ///
    /// # Example
    ///
    /// ```
    /// let mut environ = wsgiref::Environ::new();
    /// environ.insert("PATH_INFO", "/x");
    /// let mut trace = wsgiref::trace::Trace::new("c");
    /// trace.environ(&environ);
    /// assert!(trace.finish().contains("  PATH_INFO = '/x'\n"));
    /// ```
    pub fn environ(&mut self, environ: &Environ) {
        self.text.push_str("environ:\n");
        for (key, value) in environ.repr_items() {
            let _ = writeln!(self.text, "  {key} = {value}");
        }
    }

    /// A `start_response` call, as Python would show it.
    ///
    /// # Example
    ///
    /// ```
    /// let mut trace = wsgiref::trace::Trace::new("c");
    /// trace.start_response("500 Oops", &[], true);
    /// assert!(trace.finish().contains("start_response('500 Oops', [], exc_info)"));
    /// ```
    pub fn start_response(&mut self, status: &str, headers: &[(String, String)], with_exc_info: bool) {
        let headers: Vec<String> = headers
            .iter()
            .map(|(name, value)| format!("({}, {})", python_repr(name), python_repr(value)))
            .collect();
        let exc_info = if with_exc_info { ", exc_info" } else { "" };
        let _ = writeln!(
            self.text,
            "start_response({}, [{}]{exc_info})",
            python_repr(status),
            headers.join(", ")
        );
    }

    /// What `start_response` answered when it refused the call.
    ///
    /// # Example
    ///
    /// ```
    /// let mut trace = wsgiref::trace::Trace::new("c");
    /// trace.note("refused: status \"OK\" is malformed");
    /// assert!(trace.finish().contains("  refused: status"));
    /// ```
    pub fn note(&mut self, note: &str) {
        let _ = writeln!(self.text, "  {note}");
    }

    /// The response head as sent.
    ///
    /// # Example
    ///
    /// ```
    /// let mut trace = wsgiref::trace::Trace::new("c");
    /// trace.response_head(b"HTTP/1.1 200 OK\r\n\r\n");
    /// assert!(trace.finish().contains("response head (19 bytes):\n  HTTP/1.1 200 OK\\r\\n\n"));
    /// ```
    pub fn response_head(&mut self, raw: &[u8]) {
        self.section("response head", raw.len());
        self.escaped_lines(raw);
    }

    /// One body chunk of `length` bytes came from the application.
    ///
    /// # Example
    ///
    /// ```
    /// let mut trace = wsgiref::trace::Trace::new("c");
    /// trace.body_chunk(3);
    /// trace.body_chunk(4);
    /// assert!(trace.finish().contains("body: 2 chunks, 7 bytes"));
    /// ```
    pub fn body_chunk(&mut self, length: usize) {
        self.chunks += 1;
        self.bytes += length as u64;
    }

    /// One body chunk of `length` bytes went out with chunked
    /// transfer-coding: the first three are shown with their framing.
    ///
    /// # Example
    ///
    /// ```
    /// let mut trace = wsgiref::trace::Trace::new("c");
    /// trace.chunk_sent(28);
    /// trace.last_chunk();
    /// let block = trace.finish();
    /// assert!(block.contains("  chunk: 1c\\r\\n + 28 bytes + \\r\\n\n"));
    /// assert!(block.contains("  last chunk: 0\\r\\n\\r\\n\n"));
    /// ```
    ///
    /// Spec: RFC 9112 §7.1 (chunked transfer coding).
    pub fn chunk_sent(&mut self, length: usize) {
        self.framed_chunks += 1;
        if self.framed_chunks <= SHOWN_CHUNKS {
            let _ = writeln!(self.text, "  chunk: {length:x}\\r\\n + {length} bytes + \\r\\n");
        } else if self.framed_chunks == SHOWN_CHUNKS + 1 {
            self.text.push_str("  (more chunks, framed the same way)\n");
        }
    }

    /// The last chunk (`0\r\n\r\n`) went out: the body ended normally.
    /// A chunked body cut off by an error never gets one.
    ///
    /// # Example
    ///
    /// See [`Trace::chunk_sent`].
    pub fn last_chunk(&mut self) {
        self.text.push_str("  last chunk: 0\\r\\n\\r\\n\n");
        self.last_chunk_sent = true;
    }

    /// The application is called now.
    ///
    /// # Example
    ///
    /// ```
    /// let mut trace = wsgiref::trace::Trace::new("c");
    /// trace.application_started();
    /// trace.application_finished();
    /// assert!(trace.finish().contains("application time: "));
    /// ```
    pub fn application_started(&mut self) {
        self.application_started = Some(Instant::now());
    }

    /// The application's body is finished and closed.
    ///
    /// # Example
    ///
    /// See [`Trace::application_started`].
    pub fn application_finished(&mut self) {
        self.application_time = self.application_started.map(|started| started.elapsed());
    }

    /// The finished block: everything recorded, then the body counts and the
    /// application time in milliseconds.
    ///
    /// # Example
    ///
    /// ```
    /// let block = wsgiref::trace::Trace::new("c").finish();
    /// assert!(block.ends_with("body: 0 chunks, 0 bytes\n"));
    /// ```
    pub fn finish(mut self) -> String {
        let plural = if self.chunks == 1 { "" } else { "s" };
        let _ = writeln!(self.text, "body: {} chunk{plural}, {} bytes", self.chunks, self.bytes);
        if self.framed_chunks > 0 && !self.last_chunk_sent {
            self.text.push_str("no last chunk: the response was cut off\n");
        }
        if let Some(time) = self.application_time {
            let _ = writeln!(self.text, "application time: {:.3} ms", time.as_secs_f64() * 1000.0);
        }
        self.text
    }

    fn section(&mut self, title: &str, length: usize) {
        let _ = writeln!(self.text, "{title} ({length} bytes):");
    }

    /// Each line of `raw` with its CR/LF shown, other control and non-ASCII
    /// bytes as `\xNN`.
    fn escaped_lines(&mut self, raw: &[u8]) {
        for line in raw.split_inclusive(|&b| b == b'\n') {
            self.text.push_str("  ");
            for &byte in line {
                match byte {
                    b'\r' => self.text.push_str("\\r"),
                    b'\n' => self.text.push_str("\\n"),
                    b'\\' => self.text.push_str("\\\\"),
                    0x20..=0x7e => self.text.push(char::from(byte)),
                    _ => {
                        let _ = write!(self.text, "\\x{byte:02x}");
                    }
                }
            }
            self.text.push('\n');
        }
    }
}

/// Whether traces are wanted: the server option, or the `trace` log level
/// for [`TARGET`].
pub(crate) fn enabled(option: bool) -> bool {
    option || log::log_enabled!(target: TARGET, log::Level::Trace)
}

/// Log a finished block: at `info` when the server option asked for it,
/// else at `trace`.
pub(crate) fn emit(block: &str, option: bool) {
    let level = if option { log::Level::Info } else { log::Level::Trace };
    log::log!(target: TARGET, level, "{}", block.trim_end());
}
