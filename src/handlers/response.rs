//! The state of one response, shared by [`SimpleHandler`](super::SimpleHandler),
//! the `start_response` handle and the write callable.
//!
//! Here live the steps of CPython's `BaseHandler` that act on the response:
//! `start_response`, `write`, `send_headers`, `cleanup_headers`,
//! `set_content_length`, `send_preamble` and `finish_content` (the others,
//! `run`, `setup_environ`, `finish_response`, `handle_error`,
//! `error_output` and `close`, are `SimpleHandler`'s). Where `BaseHandler`
//! keeps `status`, `headers`, `headers_sent` and `bytes_sent` as separate
//! attributes, a response here is in exactly one [`Phase`], so no
//! impossible mix (headers sent but no status, say) can be represented.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::SystemTime;

use super::ResponseSummary;
use super::checks::{check_content_length, check_header, check_status};
use crate::date::format_date_time;
use crate::trace::Trace;
use crate::types::{AppError, ExcInfo, HeaderList, StartResponseError};

/// Where one response is, after h11's server states:
///
/// ```text
/// AwaitingStartResponse ─start_response─▶ Started ─first body bytes, or the end─▶ Sending ─body closed─▶ Finished
///                                          │  ▲                                                (last chunk sent)
///                                          └──┘ start_response with exc_info replaces status and headers
///
/// any phase ──▶ CutOff: an error after the headers, a short body, the client gone, a failed flush
/// ```
#[derive(Debug)]
pub(super) enum Phase {
    /// The application has not called `start_response` yet.
    AwaitingStartResponse,
    /// `start_response` was called; nothing is sent yet, so the status and
    /// headers may still be replaced (with `exc_info`).
    Started { status: String, headers: HeaderList },
    /// The status line and headers are sent; `sent` body bytes so far, and
    /// the `Content-Length` the headers declared, if any.
    Sending {
        status: String,
        sent: u64,
        declared: Option<u64>,
    },
    /// The whole response is sent.
    Finished { status: String, sent: u64 },
    /// The response ended early; `status` is the one sent, if the headers
    /// went out. The connection must be closed, not reused.
    CutOff { status: Option<String>, sent: u64 },
}

/// One response: its phase, where its bytes go, and what the handler decided.
pub(super) struct Response<W> {
    pub(super) out: Option<W>,
    pub(super) origin_server: bool,
    /// `HTTP/1.1 `: the status line up to the status.
    pub(super) status_line_prefix: String,
    pub(super) server_software: Option<String>,
    pub(super) is_head: bool,
    /// The body is known to be one chunk, so `Content-Length` can be computed.
    pub(super) single_chunk: bool,
    /// The client speaks HTTP/1.1 (or a later 1.x), so a body of unknown
    /// length may be sent with chunked transfer-coding.
    pub(super) client_takes_chunked: bool,
    /// This response's body goes out in chunks (RFC 9112 §7.1).
    chunked: bool,
    pub(super) phase: Phase,
    pub(super) trace: Option<Trace>,
}

impl<W: Write> Response<W> {
    pub(super) fn new(out: W) -> Response<W> {
        Response {
            out: Some(out),
            origin_server: true,
            status_line_prefix: "HTTP/1.1 ".to_string(),
            server_software: None,
            is_head: false,
            single_chunk: false,
            client_takes_chunked: false,
            chunked: false,
            phase: Phase::AwaitingStartResponse,
            trace: None,
        }
    }

    /// Whether the status line and headers went out.
    pub(super) fn headers_sent(&self) -> bool {
        match &self.phase {
            Phase::Sending { .. } | Phase::Finished { .. } => true,
            Phase::CutOff { status, .. } => status.is_some(),
            Phase::AwaitingStartResponse | Phase::Started { .. } => false,
        }
    }

    /// The status given to `start_response`, if any.
    fn status(&self) -> Option<&str> {
        match &self.phase {
            Phase::AwaitingStartResponse => None,
            Phase::Started { status, .. } | Phase::Sending { status, .. } | Phase::Finished { status, .. } => {
                Some(status)
            }
            Phase::CutOff { status, .. } => status.as_deref(),
        }
    }

    /// Body bytes sent so far.
    fn sent(&self) -> u64 {
        match &self.phase {
            Phase::Sending { sent, .. } | Phase::Finished { sent, .. } | Phase::CutOff { sent, .. } => *sent,
            Phase::AwaitingStartResponse | Phase::Started { .. } => 0,
        }
    }

    /// End the response early: the client must not take it as complete.
    pub(super) fn cut_off(&mut self) {
        let status = if self.headers_sent() {
            self.status().map(str::to_string)
        } else {
            None
        };
        self.phase = Phase::CutOff {
            status,
            sent: self.sent(),
        };
    }

    /// What the response came to; then a fresh phase for the next one.
    pub(super) fn take_summary(&mut self) -> ResponseSummary {
        let headers_sent = self.headers_sent();
        let summary = ResponseSummary {
            status: self
                .status()
                .filter(|_| headers_sent)
                .and_then(|s| s.get(..3))
                .and_then(|code| code.parse().ok()),
            bytes_sent: self.sent(),
            headers_sent,
            complete: headers_sent && !matches!(self.phase, Phase::CutOff { .. }),
            chunked: self.chunked,
        };
        self.phase = Phase::AwaitingStartResponse;
        self.single_chunk = false;
        self.chunked = false;
        summary
    }

    /// `start_response(status, headers, exc_info)` with wsgiref's checks,
    /// plus CR/LF/NUL, latin-1 and token checks.
    ///
    /// Mirrors `BaseHandler.start_response`.
    pub(super) fn start_response(
        &mut self,
        status: String,
        headers: HeaderList,
        exc_info: Option<ExcInfo>,
    ) -> Result<(), StartResponseError> {
        if let Some(trace) = self.trace.as_mut() {
            trace.start_response(&status, &headers, exc_info.is_some());
        }
        let checked = self.check_and_store(status, headers, exc_info);
        if let (Err(error), Some(trace)) = (&checked, self.trace.as_mut()) {
            trace.note(&format!("refused: {error}"));
        }
        checked
    }

    fn check_and_store(
        &mut self,
        status: String,
        headers: HeaderList,
        exc_info: Option<ExcInfo>,
    ) -> Result<(), StartResponseError> {
        match exc_info {
            // Why: PEP 3333 says re-raise when the headers already went out.
            Some(exc_info) if self.headers_sent() => return Err(StartResponseError::HeadersAlreadySent(exc_info)),
            Some(_) => {}
            None if self.status().is_some() => return Err(StartResponseError::AlreadyCalled),
            None => {}
        }
        check_status(&status)?;
        for (name, value) in &headers {
            check_header(name, value)?;
        }
        check_content_length(&headers)?;
        // A response already cut off stays so: nothing more may be sent.
        if let Phase::AwaitingStartResponse | Phase::Started { .. } = self.phase {
            self.phase = Phase::Started { status, headers };
        }
        Ok(())
    }

    /// Whether the status allows body bytes: not for HEAD, 1xx, 204, 304
    /// (RFC 9110 §6.4.1).
    fn body_allowed(&self) -> bool {
        !self.is_head && !self.status().is_some_and(status_without_body)
    }

    /// Send `data` after the headers. Empty chunks send nothing: headers go
    /// just before the first non-empty chunk (PEP 3333 "Buffering and Streaming").
    /// The body's close step may still write; once the response has ended
    /// (`Finished`, or `CutOff`), nothing more is sent.
    ///
    /// Mirrors `BaseHandler.write`.
    pub(super) fn write(&mut self, data: &[u8]) -> io::Result<()> {
        match self.phase {
            Phase::AwaitingStartResponse => return Err(io::Error::other("write() before start_response()")),
            Phase::CutOff { .. } => return Err(io::Error::other("the response was already cut off")),
            Phase::Finished { .. } => return Err(io::Error::other("the response is finished")),
            Phase::Started { .. } | Phase::Sending { .. } => {}
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.body_chunk(data.len());
        }
        if data.is_empty() {
            return Ok(());
        }
        let data = self.clip_to_declared_length(data);
        if !self.headers_sent() {
            self.send_headers(data)
        } else {
            self.send_body(data)
        }
    }

    /// A body longer than the application's `Content-Length` is cut there.
    fn clip_to_declared_length<'a>(&mut self, data: &'a [u8]) -> &'a [u8] {
        let declared = match &self.phase {
            Phase::Started { headers, .. } => content_length(headers),
            Phase::Sending { declared, .. } => *declared,
            _ => None,
        };
        let Some(declared) = declared else {
            return data;
        };
        let room = declared.saturating_sub(self.sent());
        if (data.len() as u64) <= room {
            return data;
        }
        log::warn!(target: super::LOG_TARGET, "the application sent more than its Content-Length of {declared} bytes; the body was cut there");
        &data[..room as usize]
    }

    /// Send the status line and headers, with the first chunk in the same
    /// write (one system call for a small response).
    ///
    /// Mirrors `BaseHandler.send_headers`.
    fn send_headers(&mut self, first_chunk: &[u8]) -> io::Result<()> {
        let (status, mut headers) = match std::mem::replace(&mut self.phase, Phase::AwaitingStartResponse) {
            Phase::Started { status, headers } => (status, headers),
            other => {
                self.phase = other;
                return Err(io::Error::other("send_headers() outside the Started phase"));
            }
        };
        self.cleanup_headers(&status, &mut headers, first_chunk.len() as u64);
        self.chunked = self.chunks_body(&status, &headers);
        if self.chunked {
            headers.push(("Transfer-Encoding".to_string(), "chunked".to_string()));
        }
        let mut bytes = self.send_preamble(&status, &headers);
        if let Some(trace) = self.trace.as_mut() {
            trace.response_head(&bytes);
        }
        self.phase = Phase::Sending {
            status,
            sent: 0,
            declared: content_length(&headers),
        };
        if self.body_allowed() && !first_chunk.is_empty() {
            self.frame_chunk(&mut bytes, first_chunk);
        }
        self.write_out(&bytes)
    }

    fn send_body(&mut self, data: &[u8]) -> io::Result<()> {
        if !self.body_allowed() || data.is_empty() {
            return Ok(());
        }
        if !self.chunked {
            self.add_sent(data.len());
            return self.write_out(data);
        }
        let mut bytes = Vec::with_capacity(data.len() + 12);
        self.frame_chunk(&mut bytes, data);
        self.write_out(&bytes)
    }

    /// Whether this response's body goes out with chunked transfer-coding:
    /// when its length is unknown (no `Content-Length`), it may have a body,
    /// and the client speaks HTTP/1.1. A cut body then lacks its last
    /// chunk, which every HTTP/1.1 client reports as an error; sent
    /// close-delimited, it would look complete. PEP 3333 allows it
    /// ("Handling the Content-Length Header"); gunicorn and Werkzeug do it.
    fn chunks_body(&self, status: &str, headers: &HeaderList) -> bool {
        self.client_takes_chunked && !self.is_head && !status_without_body(status) && content_length(headers).is_none()
    }

    /// Append `data` to `bytes` as the body sends it: as it is, or as one
    /// chunk (`SIZE-in-hex CRLF data CRLF`, RFC 9112 §7.1).
    fn frame_chunk(&mut self, bytes: &mut Vec<u8>, data: &[u8]) {
        self.add_sent(data.len());
        if !self.chunked {
            bytes.extend_from_slice(data);
            return;
        }
        if let Some(trace) = self.trace.as_mut() {
            trace.chunk_sent(data.len());
        }
        bytes.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
        bytes.extend_from_slice(data);
        bytes.extend_from_slice(b"\r\n");
    }

    fn add_sent(&mut self, count: usize) {
        if let Phase::Sending { sent, .. } = &mut self.phase {
            *sent += count as u64;
        }
    }

    fn write_out(&mut self, bytes: &[u8]) -> io::Result<()> {
        let out = self
            .out
            .as_mut()
            .ok_or_else(|| io::Error::other("the response is finished"))?;
        out.write_all(bytes)?;
        out.flush()
    }

    /// Add `Content-Length` when it can be known.
    ///
    /// Mirrors `BaseHandler.cleanup_headers`.
    fn cleanup_headers(&self, status: &str, headers: &mut HeaderList, first_chunk_length: u64) {
        if content_length(headers).is_none() {
            self.set_content_length(status, headers, first_chunk_length);
        }
    }

    /// Compute `Content-Length` for a body known to be one chunk — never for
    /// 1xx, 204 or 304, and for HEAD only when that chunk is non-empty.
    ///
    /// Mirrors `BaseHandler.set_content_length`.
    fn set_content_length(&self, status: &str, headers: &mut HeaderList, length: u64) {
        if self.single_chunk && !status_without_body(status) && !(self.is_head && length == 0) {
            headers.push(("Content-Length".to_string(), length.to_string()));
        }
    }

    /// The status line (or CGI `Status:`), `Date`, `Server`, the headers and
    /// `Connection: close`, as bytes.
    ///
    /// Mirrors `BaseHandler.send_preamble` plus `Headers.__bytes__`.
    fn send_preamble(&self, status: &str, headers: &HeaderList) -> Vec<u8> {
        let mut head = String::with_capacity(256);
        let has = |wanted: &str| headers.iter().any(|(name, _)| name.eq_ignore_ascii_case(wanted));
        if self.origin_server {
            head.push_str(&self.status_line_prefix);
            head.push_str(status);
            head.push_str("\r\n");
            // `write!` into a String cannot fail.
            if !has("Date") {
                let _ = write!(head, "Date: {}\r\n", format_date_time(SystemTime::now()));
            }
            if let (Some(software), false) = (&self.server_software, has("Server")) {
                let _ = write!(head, "Server: {software}\r\n");
            }
        } else {
            let _ = write!(head, "Status: {status}\r\n");
        }
        for (name, value) in headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        if self.origin_server {
            // Why: one request per connection, as wsgiref; the client must not wait for another.
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        if head.is_ascii() {
            return head.into_bytes();
        }
        // Checked latin-1 in start_response, so each char is one byte.
        head.chars().map(|c| c as u8).collect()
    }

    /// Send the headers now if no body chunk did; a body shorter than its
    /// `Content-Length` cuts the response off.
    ///
    /// Mirrors `BaseHandler.finish_content`.
    pub(super) fn finish_content(&mut self) -> Result<(), AppError> {
        if let Phase::AwaitingStartResponse = self.phase {
            return Err("the application returned without calling start_response()".into());
        }
        if let Phase::Started { status, headers } = &mut self.phase {
            if content_length(headers).is_none() && !status_without_body(status) && !self.is_head {
                headers.push(("Content-Length".to_string(), "0".to_string()));
            }
            self.send_headers(b"")?;
        }
        let body_allowed = self.body_allowed();
        let Phase::Sending { sent, declared, .. } = &mut self.phase else {
            return Ok(());
        };
        if let Some(declared) = *declared {
            if body_allowed && *sent < declared {
                log::warn!(target: super::LOG_TARGET, "the application sent {sent} bytes but declared Content-Length {declared}; closing the connection"
                );
                self.cut_off();
                return Ok(());
            }
        }
        Ok(())
    }

    /// End a body that was sent whole: its last chunk when it is chunked
    /// (only a body that ended normally gets one), then `Finished`. Called
    /// after the body's close step, which may still write (as under
    /// CPython's `BaseHandler`, whose `close()` closes the result first).
    pub(super) fn end_body(&mut self) {
        let Phase::Sending { status, sent, .. } = &mut self.phase else {
            return;
        };
        let finished = Phase::Finished {
            status: std::mem::take(status),
            sent: *sent,
        };
        if self.chunked {
            if let Some(trace) = self.trace.as_mut() {
                trace.last_chunk();
            }
            if let Err(error) = self.write_out(b"0\r\n\r\n") {
                log::debug!(target: super::LOG_TARGET, "could not send the last chunk: {error}");
                self.cut_off();
                return;
            }
        }
        self.phase = finished;
    }

    /// `HTTP/1.1 100 Continue`, only while nothing else was sent
    /// (RFC 9110 §10.1.1).
    pub(super) fn send_100_continue(&mut self) -> io::Result<()> {
        if self.headers_sent() {
            return Ok(());
        }
        self.write_out(b"HTTP/1.1 100 Continue\r\n\r\n")
    }
}

/// The application's `Content-Length`, when it gave one (checked to be
/// `1*DIGIT` by `start_response`).
fn content_length(headers: &HeaderList) -> Option<u64> {
    let (_, value) = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Content-Length"))?;
    value.trim().parse().ok()
}

/// 1xx, 204 and 304 responses have no body (RFC 9110 §6.4.1).
fn status_without_body(status: &str) -> bool {
    match status.get(..3) {
        Some(code) => code.starts_with('1') || code == "204" || code == "304",
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(status: &str, headers: &[(&str, &str)]) -> Response<Vec<u8>> {
        let mut response = Response::new(Vec::new());
        let headers = headers.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        response.start_response(status.to_string(), headers, None).unwrap();
        response
    }

    #[test]
    fn phases_of_a_complete_response() {
        let mut response = Response::new(Vec::new());
        assert!(matches!(response.phase, Phase::AwaitingStartResponse));
        assert!(response.write(b"x").is_err(), "write before start_response");
        let mut response = started("200 OK", &[("Content-Length", "2")]);
        assert!(matches!(response.phase, Phase::Started { .. }));
        response.write(b"ab").unwrap();
        assert!(matches!(
            response.phase,
            Phase::Sending {
                sent: 2,
                declared: Some(2),
                ..
            }
        ));
        response.finish_content().unwrap();
        assert!(
            matches!(response.phase, Phase::Sending { sent: 2, .. }),
            "the close step may still write"
        );
        response.end_body();
        assert!(matches!(response.phase, Phase::Finished { sent: 2, .. }));
        assert!(response.write(b"x").is_err(), "nothing after the end");
        let summary = response.take_summary();
        assert_eq!(
            (summary.status, summary.bytes_sent, summary.complete),
            (Some(200), 2, true)
        );
        assert!(matches!(response.phase, Phase::AwaitingStartResponse));
    }

    #[test]
    fn short_body_is_cut_off_and_exc_info_after_headers_is_re_raised() {
        let mut response = started("200 OK", &[("Content-Length", "5")]);
        response.write(b"ab").unwrap();
        let again = response.start_response("500 Oops".into(), Vec::new(), Some(ExcInfo::new("late")));
        assert!(matches!(again, Err(StartResponseError::HeadersAlreadySent(_))));
        response.finish_content().unwrap();
        assert!(matches!(
            response.phase,
            Phase::CutOff {
                status: Some(_),
                sent: 2
            }
        ));
        assert!(response.write(b"c").is_err(), "nothing more after a cut");
        response.end_body();
        let summary = response.take_summary();
        assert_eq!(
            (summary.status, summary.headers_sent, summary.complete),
            (Some(200), true, false)
        );
    }

    #[test]
    fn exc_info_before_headers_replaces_them() {
        let mut response = started("200 OK", &[("A", "1")]);
        assert!(matches!(
            response.start_response("201 Created".into(), Vec::new(), None),
            Err(StartResponseError::AlreadyCalled)
        ));
        response
            .start_response("500 Oops".into(), Vec::new(), Some(ExcInfo::new("x")))
            .unwrap();
        assert!(matches!(&response.phase, Phase::Started { status, .. } if status == "500 Oops"));
    }
}
