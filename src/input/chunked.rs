//! Chunked transfer coding of a request body (RFC 9112 §7.1): the framing
//! lines `wsgi.input` reads between the chunks' data.

use std::io::{self, BufRead, Read};

use super::{Framing, Input, MAX_CHUNK_LINE_BYTES, MAX_TRAILER_BYTES, invalid_data};

impl Input {
    /// Read the framing due next: a chunk-size line, or the CRLF that ends a chunk.
    pub(super) fn read_framing(&mut self) -> io::Result<()> {
        if self.framing == Framing::ChunkEnd {
            let line = self.read_line_bounded(MAX_CHUNK_LINE_BYTES)?;
            if !line.is_empty() {
                return Err(invalid_data("chunk data not followed by CRLF"));
            }
            self.framing = Framing::ChunkSize;
            return Ok(());
        }
        self.read_chunk_size()
    }

    /// `chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF` (RFC 9112 §7.1);
    /// extensions are read and ignored, as the RFC allows, but must be
    /// text: no CR, NUL or other control byte (HTAB aside). Nothing may
    /// come before the size: whitespace there is a framing error (a
    /// request-smuggling vector when proxies disagree).
    fn read_chunk_size(&mut self) -> io::Result<()> {
        let line = self.read_line_bounded(MAX_CHUNK_LINE_BYTES)?;
        let bad_line = || invalid_data(&format!("bad chunk size line {:?}", String::from_utf8_lossy(&line)));
        let digits_end = line.iter().position(|&b| b == b';').unwrap_or(line.len());
        let extensions_are_text = line[digits_end..]
            .iter()
            .all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f));
        if !extensions_are_text {
            return Err(bad_line());
        }
        let size = parse_hex(trim_trailing_ows(&line[..digits_end])).ok_or_else(bad_line)?;
        if size == 0 {
            self.read_trailers()?;
            self.framing = Framing::Done;
        } else {
            self.framing = Framing::ChunkData { remaining: size };
        }
        Ok(())
    }

    /// `trailer-section = *( field-line CRLF )` then CRLF; read and dropped
    /// (PEP 3333 has no place for trailers), bounded in bytes.
    fn read_trailers(&mut self) -> io::Result<()> {
        let mut total = 0;
        loop {
            let line = self.read_line_bounded(MAX_CHUNK_LINE_BYTES)?;
            if line.is_empty() {
                return Ok(());
            }
            total += line.len();
            if total > MAX_TRAILER_BYTES {
                return Err(invalid_data("chunked trailer section too large"));
            }
        }
    }

    /// One CRLF-terminated line of framing, without its CRLF.
    fn read_line_bounded(&mut self, max_bytes: usize) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        let read = self
            .source
            .by_ref()
            .take(max_bytes as u64 + 2)
            .read_until(b'\n', &mut line)?;
        if read == 0 || !line.ends_with(b"\n") {
            if line.len() > max_bytes {
                return Err(invalid_data("chunk framing line too long"));
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "body ended inside chunk framing",
            ));
        }
        line.pop();
        if line.pop() != Some(b'\r') {
            return Err(invalid_data("chunk framing line not ended by CRLF"));
        }
        Ok(line)
    }
}

/// `BWS = *( SP / HTAB )` removed from the end (before `;` of an extension).
fn trim_trailing_ows(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|b| *b != b' ' && *b != b'\t')
        .map_or(0, |i| i + 1);
    &bytes[..end]
}

/// `chunk-size = 1*HEXDIG`, at most 16 digits so it fits a `u64`.
fn parse_hex(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 16 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    u64::from_str_radix(std::str::from_utf8(digits).ok()?, 16).ok()
}
