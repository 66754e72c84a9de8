//! `wsgi.input`: the request body, as the application reads it.
//!
//! The body is framed by `Content-Length` (reading past it is EOF) or by
//! `Transfer-Encoding: chunked` (decoded here, so the application sees only
//! the data). Bytes after the body (a pipelined or smuggled second request)
//! are never returned.
//!
//! Spec: PEP 3333 "Input and Error Streams"; RFC 9112 §6 (message body
//! length) and §7.1 (chunked transfer coding).

use std::cell::RefCell;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

mod chunked;

/// Longest chunk-size line or trailer line accepted, in bytes.
/// Why: a chunk size is at most 16 hex digits; extensions are rare and
/// short. Bounding the line bounds memory (h11 uses the same idea).
const MAX_CHUNK_LINE_BYTES: usize = 4096;

/// The error text of a chunked body over `max_body_bytes` (413).
const BODY_TOO_LARGE: &str = "request body larger than the server's max_body_bytes";
/// Most bytes `read_bytes` allocates before any arrive (1 MiB); it grows
/// past that only as data comes.
const MAX_READ_PREALLOCATION: usize = 1024 * 1024;
/// Most trailer bytes accepted after the last chunk.
const MAX_TRAILER_BYTES: usize = 16 * 1024;

/// The size of `Input`'s read buffer, in bytes, for bodies larger than it.
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// `wsgi.input`: the request body, bounded by `CONTENT_LENGTH` or decoded
/// from chunked transfer coding.
///
/// Shapes: bytes. Implements [`Read`] and [`BufRead`]; the PEP 3333 methods
/// are [`Input::read_bytes`] (`read(size)`), [`Input::readline`],
/// [`Input::readlines`], and iteration by line over `&mut Input`.
/// `read(size)` is named `read_bytes` here so it does not shadow
/// [`Read::read`].
///
/// # Errors
///
/// Reads return `io::Error` when the client stalls past the read timeout
/// (`TimedOut`/`WouldBlock`), disconnects before the declared length
/// (`UnexpectedEof`), sends a malformed chunk (`InvalidData`), or sends more
/// than the server's `max_body_bytes` (`InvalidData`).
///
/// # Example
///
/// ```
/// let mut input = wsgiref::Input::from_bytes(b"name=Ann\nage=7\n".to_vec());
/// assert_eq!(input.readline(None)?, b"name=Ann\n");
/// let rest: Vec<Vec<u8>> = (&mut input).into_iter().collect::<Result<_, _>>()?;
/// assert_eq!(rest, [b"age=7\n".to_vec()]);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Spec: PEP 3333 "Input and Error Streams".
pub struct Input {
    source: BufReader<Box<dyn Read>>,
    framing: Framing,
    /// Bytes of body handed to the application so far.
    bytes_read: u64,
    /// Most body bytes allowed (chunked bodies; declared lengths are checked
    /// by the server before the application runs).
    max_body_bytes: Option<u64>,
    /// Run once, before the first read: sends `100 Continue` when the client asked.
    before_first_read: Option<Box<dyn FnOnce() -> io::Result<()>>>,
    /// Where the first mistake of the client is reported (see [`BodyFault`]).
    fault_report: Option<FaultReport>,
}

/// What the client did wrong while sending its body: the status the
/// server answers with (400: malformed chunk framing, or the body ended
/// early; 408: it stopped sending; 413: a chunked body over
/// `max_body_bytes`) and why. The handler reads it when the application
/// fails, so the client's mistake is answered as one, not as a 500 blamed
/// on the application.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BodyFault {
    pub(crate) status: u16,
    pub(crate) reason: String,
}

/// Shared between an [`Input`] and its handler: the first [`BodyFault`].
pub(crate) type FaultReport = Rc<RefCell<Option<BodyFault>>>;

/// How the end of the body is found.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    /// `remaining` bytes left of a `Content-Length` body.
    Length { remaining: u64 },
    /// Chunked: next is a chunk-size line.
    ChunkSize,
    /// Chunked: `remaining` bytes left in the current chunk.
    ChunkData { remaining: u64 },
    /// Chunked: the CRLF after a chunk's data.
    ChunkEnd,
    /// The body is over.
    Done,
    /// Chunk framing failed (malformed, or a read error mid-line): every
    /// later read fails too.
    Broken,
}

impl Input {
    /// An input with no body.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(wsgiref::Input::empty().read_bytes(10)?.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn empty() -> Input {
        Input::with_length(io::empty(), 0)
    }

    /// An input over bytes in memory (for tests and the harness).
    ///
    /// # Example
    ///
    /// ```
    /// let mut input = wsgiref::Input::from_bytes(b"abc".to_vec());
    /// assert_eq!(input.read_bytes(2)?, b"ab");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn from_bytes(body: Vec<u8>) -> Input {
        let length = body.len() as u64;
        Input::with_length(io::Cursor::new(body), length)
    }

    /// An input that reads exactly `content_length` bytes from `reader`,
    /// then reports EOF.
    ///
    /// # Example
    ///
    /// ```
    /// let mut input = wsgiref::Input::with_length(&b"helloEXTRA"[..], 5);
    /// assert_eq!(input.read_bytes(100)?, b"hello");
    /// assert!(input.read_bytes(100)?.is_empty());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_length(reader: impl Read + 'static, content_length: u64) -> Input {
        Input::framed(
            Box::new(reader),
            Framing::Length {
                remaining: content_length,
            },
        )
    }

    /// An input that decodes a chunked body from `reader` (RFC 9112 §7.1).
    ///
    /// # Example
    ///
    /// ```
    /// let wire = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
    /// let mut input = wsgiref::Input::chunked(&wire[..]);
    /// assert_eq!(input.read_bytes(100)?, b"hello world");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn chunked(reader: impl Read + 'static) -> Input {
        Input::framed(Box::new(reader), Framing::ChunkSize)
    }

    fn framed(reader: Box<dyn Read>, framing: Framing) -> Input {
        // Why sized by the body: most requests have none, and an empty
        // input then allocates nothing.
        let capacity = match framing {
            Framing::Length { remaining } => remaining.min(READ_BUFFER_BYTES as u64) as usize,
            _ => READ_BUFFER_BYTES,
        };
        Input {
            source: BufReader::with_capacity(capacity, reader),
            framing,
            bytes_read: 0,
            max_body_bytes: None,
            before_first_read: None,
            fault_report: None,
        }
    }

    /// Report the client's first mistake (a malformed, short, stalled or
    /// oversized body) to `report`.
    pub(crate) fn with_fault_report(mut self, report: FaultReport) -> Input {
        self.fault_report = Some(report);
        self
    }

    /// Note `error` in the fault report when it is the client's mistake;
    /// hand it back either way.
    fn noted(&self, error: io::Error) -> io::Error {
        if let (Some(report), Some(fault)) = (&self.fault_report, client_fault(&error)) {
            report.borrow_mut().get_or_insert(fault);
        }
        error
    }

    /// Refuse to read more than `max_body_bytes` bytes of body (an
    /// `InvalidData` error past it). The server sets it for chunked bodies.
    ///
    /// # Example
    ///
    /// ```
    /// let wire = b"5\r\nhello\r\n0\r\n\r\n";
    /// let mut input = wsgiref::Input::chunked(&wire[..]).with_max_body_bytes(Some(3));
    /// assert!(input.read_bytes(100).is_err());
    /// ```
    pub fn with_max_body_bytes(mut self, max_body_bytes: Option<u64>) -> Input {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// Run `hook` once, just before the first read of the body. The server
    /// uses it to send `100 Continue` (RFC 9110 §10.1.1) only when the
    /// application really reads.
    ///
    /// # Example
    ///
    /// ```
    /// let mut input = wsgiref::Input::from_bytes(b"x".to_vec())
    ///     .with_before_first_read(|| { println!("reading"); Ok(()) });
    /// input.read_bytes(1)?;
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn with_before_first_read(mut self, hook: impl FnOnce() -> io::Result<()> + 'static) -> Input {
        self.before_first_read = Some(Box::new(hook));
        self
    }

    /// Body bytes read so far.
    ///
    /// # Example
    ///
    /// ```
    /// let mut input = wsgiref::Input::from_bytes(b"abc".to_vec());
    /// input.read_bytes(2)?;
    /// assert_eq!(input.bytes_read(), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Whether the whole body has been read (EOF reached).
    ///
    /// # Example
    ///
    /// ```
    /// let mut input = wsgiref::Input::from_bytes(b"abc".to_vec());
    /// assert!(!input.is_finished());
    /// input.read_bytes(3)?;
    /// assert!(input.is_finished());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        matches!(self.framing, Framing::Done | Framing::Length { remaining: 0 })
    }

    /// PEP 3333's `read(size)`: up to `size` bytes; fewer only at EOF.
    ///
    /// # Errors
    ///
    /// See the type docs.
    ///
    /// # Example
    ///
    /// ```
    /// let mut input = wsgiref::Input::from_bytes(b"abcdef".to_vec());
    /// assert_eq!(input.read_bytes(4)?, b"abcd");
    /// assert_eq!(input.read_bytes(4)?, b"ef");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn read_bytes(&mut self, size: usize) -> io::Result<Vec<u8>> {
        // Why a zeroed buffer read in place rather than `read_to_end`:
        // `read_to_end` starts with 8 KiB reads and doubles them, which made a
        // 1 MiB upload cost 55 `recv` calls instead of about 20 (measured);
        // zeroing is cheaper than those calls. The buffer starts at the body
        // left when that is known (64 KiB when not), at most `size` and 1 MiB,
        // so a huge `size` cannot allocate gigabytes before any byte arrives;
        // it doubles as data comes.
        let expected = match self.framing {
            Framing::Length { remaining } => remaining,
            Framing::ChunkData { remaining } => remaining.max(64 * 1024),
            Framing::Done | Framing::Broken => 0,
            _ => 64 * 1024,
        };
        let first_size = (size as u64).min(expected).min(MAX_READ_PREALLOCATION as u64) as usize;
        let mut data = vec![0u8; first_size];
        let mut filled = 0;
        while filled < size {
            if filled == data.len() {
                data.resize(data.len().saturating_mul(2).clamp(1, size), 0);
            }
            match self.read(&mut data[filled..]) {
                Ok(0) => break,
                Ok(count) => filled += count,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        data.truncate(filled);
        Ok(data)
    }

    /// PEP 3333's `readline(size)`: bytes up to and including the next
    /// `\n`, at most `limit` bytes when given; empty at EOF.
    ///
    /// # Errors
    ///
    /// See the type docs.
    ///
    /// # Example
    ///
    /// ```
    /// let mut input = wsgiref::Input::from_bytes(b"first line\nsecond".to_vec());
    /// assert_eq!(input.readline(Some(5))?, b"first");
    /// assert_eq!(input.readline(None)?, b" line\n");
    /// assert_eq!(input.readline(None)?, b"second");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn readline(&mut self, limit: Option<usize>) -> io::Result<Vec<u8>> {
        let mut line = Vec::new();
        let limit = limit.map_or(u64::MAX, |limit| limit as u64);
        Read::take(&mut *self, limit).read_until(b'\n', &mut line)?;
        Ok(line)
    }

    /// PEP 3333's `readlines(hint)`: every remaining line; with a hint above
    /// 0, stops after the line that brings the total to `hint` bytes or more
    /// (as Python's `IOBase.readlines`).
    ///
    /// # Errors
    ///
    /// See the type docs.
    ///
    /// # Example
    ///
    /// ```
    /// let mut input = wsgiref::Input::from_bytes(b"a\nb\nc".to_vec());
    /// assert_eq!(input.readlines(None)?, [b"a\n".to_vec(), b"b\n".to_vec(), b"c".to_vec()]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn readlines(&mut self, hint: Option<usize>) -> io::Result<Vec<Vec<u8>>> {
        let mut lines = Vec::new();
        let mut total = 0;
        loop {
            let line = self.readline(None)?;
            if line.is_empty() {
                return Ok(lines);
            }
            total += line.len();
            lines.push(line);
            // As Python's IOBase.readlines: a hint of 0 means no hint.
            if hint.is_some_and(|hint| hint > 0 && total >= hint) {
                return Ok(lines);
            }
        }
    }

    /// Make sure the next bytes of `source` are body data, reading chunk
    /// framing as needed; returns how many body bytes may be read now.
    fn available(&mut self) -> io::Result<u64> {
        if let Some(hook) = self.before_first_read.take() {
            hook()?;
        }
        let allowed = loop {
            match self.framing {
                Framing::Length { remaining } => break remaining,
                Framing::ChunkData { remaining } => break remaining,
                Framing::Done => break 0,
                Framing::Broken => {
                    return Err(invalid_data("the request body is unreadable after an earlier error"));
                }
                Framing::ChunkSize | Framing::ChunkEnd => {
                    // Why poison on error: a framing line read halfway is
                    // lost, so reading on would misread the rest of the body.
                    if let Err(error) = self.read_framing() {
                        self.framing = Framing::Broken;
                        return Err(error);
                    }
                }
            }
        };
        match self.max_body_bytes {
            Some(max) if allowed > 0 && self.bytes_read >= max => Err(invalid_data(BODY_TOO_LARGE)),
            Some(max) => Ok(allowed.min(max - self.bytes_read)),
            None => Ok(allowed),
        }
    }

    /// Record that `count` body bytes were handed out.
    fn advance(&mut self, count: u64) {
        self.bytes_read += count;
        self.framing = match self.framing {
            Framing::Length { remaining } => Framing::Length {
                remaining: remaining - count,
            },
            Framing::ChunkData { remaining } if remaining == count => Framing::ChunkEnd,
            Framing::ChunkData { remaining } => Framing::ChunkData {
                remaining: remaining - count,
            },
            other => other,
        };
    }
}

fn invalid_data(message: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.to_string())
}

/// The client's mistake behind a body read error, if it is one: a framing
/// error or a body over the limit (`InvalidData`), a body that ended early
/// (`UnexpectedEof`), a client that stopped sending (a timeout). A reset
/// connection is a client gone, not a mistake to answer.
fn client_fault(error: &io::Error) -> Option<BodyFault> {
    let status = match error.kind() {
        io::ErrorKind::InvalidData if error.to_string() == BODY_TOO_LARGE => 413,
        io::ErrorKind::InvalidData | io::ErrorKind::UnexpectedEof => 400,
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => 408,
        _ => return None,
    };
    Some(BodyFault {
        status,
        reason: error.to_string(),
    })
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.read_body(buf).map_err(|error| self.noted(error))
    }
}

impl Input {
    fn read_body(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let allowed = self.available()?;
        let wanted = buf.len().min(usize::try_from(allowed).unwrap_or(usize::MAX));
        if wanted == 0 {
            return Ok(0);
        }
        // Why through `BufReader::read`: a large read with an empty buffer
        // goes straight from the socket into `buf`, without a copy.
        let count = self.source.read(&mut buf[..wanted])?;
        if count == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "client closed the connection before the end of the request body",
            ));
        }
        self.advance(count as u64);
        Ok(count)
    }
}

impl BufRead for Input {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let allowed = match self.available() {
            Ok(allowed) => allowed,
            Err(error) => return Err(self.noted(error)),
        };
        if allowed == 0 {
            return Ok(&[]);
        }
        // Why look first: `noted` needs `self` while the buffer borrows it.
        let error = match self.source.fill_buf() {
            Ok([]) => io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "client closed the connection before the end of the request body",
            ),
            Ok(_) => {
                let buffered = self.source.buffer();
                let count = buffered.len().min(usize::try_from(allowed).unwrap_or(usize::MAX));
                return Ok(&self.source.buffer()[..count]);
            }
            Err(error) => error,
        };
        Err(self.noted(error))
    }

    fn consume(&mut self, count: usize) {
        self.source.consume(count);
        self.advance(count as u64);
    }
}

/// Iterate over the lines of the body, as `for line in environ['wsgi.input']`.
impl Iterator for &mut Input {
    type Item = io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.readline(None) {
            Ok(line) if line.is_empty() => None,
            other => Some(other),
        }
    }
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Input")
            .field("framing", &self.framing)
            .field("bytes_read", &self.bytes_read)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_stops_at_content_length() {
        let mut input = Input::with_length(&b"abcdefGET / HTTP/1.1"[..], 6);
        let mut all = Vec::new();
        input.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"abcdef");
    }

    /// A reader that hands out one byte per call, as a slow socket may.
    struct Trickle(io::Cursor<Vec<u8>>);

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let end = buf.len().min(1);
            self.0.read(&mut buf[..end])
        }
    }

    #[test]
    fn read_bytes_returns_size_bytes_or_what_is_left() {
        let body: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        for size in [0, 1, 7, 1000, 2999, 3000, 3001, usize::MAX] {
            let framings = [
                Input::with_length(Trickle(io::Cursor::new(body.clone())), body.len() as u64),
                Input::chunked(Trickle(io::Cursor::new(b"5\r\nhello\r\n1\r\n \r\n0\r\n\r\n".to_vec()))),
            ];
            for (n, mut input) in framings.into_iter().enumerate() {
                let expected: &[u8] = if n == 0 { &body } else { b"hello " };
                let first = input.read_bytes(size).unwrap();
                assert_eq!(first, &expected[..size.min(expected.len())], "size {size}, framing {n}");
                let rest = input.read_bytes(usize::MAX).unwrap();
                assert_eq!([first, rest].concat(), expected, "size {size}, framing {n}");
            }
        }
    }

    #[test]
    fn short_body_is_unexpected_eof() {
        let mut input = Input::with_length(&b"abc"[..], 6);
        let error = input.read_bytes(10).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn chunked_decodes_and_stops_before_next_request() {
        let wire = b"3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n";
        let mut input = Input::chunked(&wire[..]);
        let mut all = Vec::new();
        input.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"abc0123456789");
        assert!(input.is_finished());
    }

    #[test]
    fn bad_chunk_sizes_are_invalid_data() {
        let cases: [&[u8]; 6] = [
            b"x\r\nabc\r\n0\r\n\r\n",
            b"-1\r\nabc\r\n0\r\n\r\n",
            b"\r\nabc\r\n0\r\n\r\n",
            b"11111111111111111\r\n",
            b"3\r\nabcX\r\n0\r\n\r\n",
            b"3\nabc\r\n0\r\n\r\n",
        ];
        for wire in cases {
            let error = Input::chunked(wire).read_bytes(100).unwrap_err();
            assert_eq!(
                error.kind(),
                io::ErrorKind::InvalidData,
                "input {:?}",
                String::from_utf8_lossy(wire)
            );
        }
    }

    /// A reader that hands out its pieces one by one, with a timeout between.
    struct Stalling(Vec<Result<&'static [u8], io::ErrorKind>>);

    impl Read for Stalling {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            match self.0.remove(0) {
                Ok(piece) => {
                    buf[..piece.len()].copy_from_slice(piece);
                    Ok(piece.len())
                }
                Err(kind) => Err(io::Error::from(kind)),
            }
        }
    }

    #[test]
    fn a_timeout_inside_chunk_framing_poisons_the_input() {
        // "1" then a timeout then "0\r\n...": retrying must not read "0" as the size.
        let reader = Stalling(vec![
            Ok(b"1"),
            Err(io::ErrorKind::WouldBlock),
            Ok(b"0\r\n0123456789abcdef\r\n0\r\n\r\n"),
        ]);
        let mut input = Input::chunked(reader);
        assert_eq!(input.read_bytes(100).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        assert!(
            input.read_bytes(100).is_err(),
            "a retry must fail, not truncate silently"
        );
    }

    #[test]
    fn chunked_over_max_body_is_an_error() {
        let wire = b"4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n";
        let mut input = Input::chunked(&wire[..]).with_max_body_bytes(Some(6));
        let mut all = Vec::new();
        assert!(input.read_to_end(&mut all).is_err());
        assert!(all.len() <= 8);
    }

    #[test]
    fn hook_runs_once_before_first_read_only() {
        use std::{cell::Cell, rc::Rc};
        let calls = Rc::new(Cell::new(0));
        let counter = Rc::clone(&calls);
        let mut input = Input::from_bytes(b"ab".to_vec()).with_before_first_read(move || {
            counter.set(counter.get() + 1);
            Ok(())
        });
        assert_eq!(calls.get(), 0);
        input.read_bytes(1).unwrap();
        input.read_bytes(1).unwrap();
        assert_eq!(calls.get(), 1);
    }

    #[test]
    fn readlines_with_hint() {
        let mut input = Input::from_bytes(b"aa\nbb\ncc\n".to_vec());
        // As io.BytesIO(b"aa\nbb\ncc\n").readlines(3) == [b"aa\n"].
        assert_eq!(input.readlines(Some(3)).unwrap(), [b"aa\n".to_vec()]);
    }
}
