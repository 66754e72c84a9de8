//! The response body: PEP 3333's returned iterable and its `close()`.
//!
//! Part of [`crate::types`]; see its docs for the map from PEP 3333.

use std::fmt;
use std::io::Read;

use super::AppError;

type Chunks = Box<dyn Iterator<Item = Result<Vec<u8>, AppError>>>;

/// The response body: PEP 3333's returned iterable of byte strings, with
/// its `close()` step.
///
/// Shapes: an iterator of `Result<Vec<u8>, AppError>` chunks. A body made
/// from one value (`Body::from("text")`, a `Vec<u8>`, a `String`) is known
/// to be exactly one chunk, so the server computes `Content-Length` (as
/// wsgiref does when `len(result) == 1`); an iterator body is sent as it
/// comes and never gets a computed `Content-Length`.
///
/// # Automatic cleanup
///
/// The close step runs when the `Body` is dropped: after the last chunk,
/// after an error, after a panic, or when the client disconnects. Register
/// work for it with [`Body::on_close`]. A body that wraps another (as
/// middleware does) drops the inner one too, so closing propagates, as PEP
/// 3333 asks of middleware.
///
/// # Example
///
/// ```
/// use wsgiref::Body;
/// let body = Body::from_chunks(vec!["Hello ", "world"]).on_close(|| println!("closed"));
/// let text: Vec<u8> = body.map(|chunk| chunk.unwrap()).flatten().collect();
/// assert_eq!(text, b"Hello world");
/// ```
///
/// Spec: PEP 3333 "Specification Details" (the iterable and `close()`).
pub struct Body {
    chunks: Chunks,
    single_chunk: bool,
    on_close: Vec<Box<dyn FnOnce()>>,
}

impl Body {
    /// A body from any iterator of chunk results (a stream).
    ///
    /// # Example
    ///
    /// ```
    /// let lines = (1..=3).map(|n| Ok(format!("line {n}\n").into_bytes()));
    /// let body = wsgiref::Body::new(lines);
    /// assert!(!body.is_single_chunk());
    /// ```
    pub fn new<I>(chunks: I) -> Body
    where
        I: IntoIterator<Item = Result<Vec<u8>, AppError>>,
        I::IntoIter: 'static,
    {
        Body {
            chunks: Box::new(chunks.into_iter()),
            single_chunk: false,
            on_close: Vec::new(),
        }
    }

    /// A body from chunks that cannot fail (strings, byte vectors).
    ///
    /// # Example
    ///
    /// ```
    /// let body = wsgiref::Body::from_chunks(["a", "b"]);
    /// assert_eq!(body.count(), 2);
    /// ```
    pub fn from_chunks<I, C>(chunks: I) -> Body
    where
        I: IntoIterator<Item = C>,
        I::IntoIter: 'static,
        C: Into<Vec<u8>>,
    {
        Body::new(chunks.into_iter().map(|chunk| Ok(chunk.into())))
    }

    /// A body that reads `reader` in blocks of `block_size` bytes (0 is
    /// taken as 8192, wsgiref's default): what `wsgi.file_wrapper` gives.
    ///
    /// Shapes: each chunk is one block, `block_size` bytes except the last;
    /// the body ends at the reader's EOF. The reader is dropped (a `File` is
    /// closed) when the body is. This is the one block-reading loop of the
    /// crate: `wsgiref::util::FileWrapper` iterates with it too.
    ///
    /// # Example
    ///
    /// ```
    /// let body = wsgiref::Body::from_reader(std::io::Cursor::new(b"abcde".to_vec()), 2);
    /// let chunks = body.collect::<Result<Vec<Vec<u8>>, _>>()?;
    /// assert_eq!(chunks, [b"ab".to_vec(), b"cd".to_vec(), b"e".to_vec()]);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `wsgiref.util.FileWrapper(filelike, blksize)`; spec: PEP 3333
    /// "Optional Platform-Specific File Handling".
    pub fn from_reader(reader: impl Read + 'static, block_size: usize) -> Body {
        Body::new(Blocks::new(reader, block_size))
    }

    /// An empty body (no chunks), as an application that used the write
    /// callable returns.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(wsgiref::Body::empty().count(), 0);
    /// ```
    pub fn empty() -> Body {
        Body::new(std::iter::empty())
    }

    /// Whether the body is known to be exactly one chunk (so the server can
    /// compute `Content-Length`).
    ///
    /// # Example
    ///
    /// ```
    /// assert!(wsgiref::Body::from("one").is_single_chunk());
    /// ```
    pub fn is_single_chunk(&self) -> bool {
        self.single_chunk
    }

    /// Add work to the close step (PEP 3333 `close()`); hooks run in the
    /// order added, when the body is dropped.
    ///
    /// # Example
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let closed = Rc::new(Cell::new(false));
    /// let flag = Rc::clone(&closed);
    /// let body = wsgiref::Body::from("x").on_close(move || flag.set(true));
    /// drop(body);
    /// assert!(closed.get());
    /// ```
    pub fn on_close(mut self, hook: impl FnOnce() + 'static) -> Body {
        self.on_close.push(Box::new(hook));
        self
    }

    /// A body whose chunks are `transform` applied to this body's chunks;
    /// keeps "known to be one chunk" and closes this body when closed.
    /// Middleware such as Upperware uses it.
    ///
    /// # Example
    ///
    /// ```
    /// let body = wsgiref::Body::from("abc").map_chunks(|chunk| chunk.to_ascii_uppercase());
    /// assert!(body.is_single_chunk());
    /// assert_eq!(body.map(|c| c.unwrap()).collect::<Vec<_>>(), [b"ABC".to_vec()]);
    /// ```
    pub fn map_chunks(self, mut transform: impl FnMut(Vec<u8>) -> Vec<u8> + 'static) -> Body {
        let single_chunk = self.single_chunk;
        let mut body = Body::new(self.map(move |chunk| chunk.map(&mut transform)));
        body.single_chunk = single_chunk;
        body
    }

    /// Run the close step now (the same as dropping the body).
    ///
    /// # Example
    ///
    /// ```
    /// wsgiref::Body::from("x").on_close(|| println!("bye")).close();
    /// ```
    pub fn close(self) {
        drop(self)
    }

    fn single(chunk: Vec<u8>) -> Body {
        let mut body = Body::new(std::iter::once(Ok(chunk)));
        body.single_chunk = true;
        body
    }
}

/// The block size used when 0 is given, in bytes: 8192, as `FileWrapper`'s
/// `blksize` default in wsgiref (`wsgiref::util::DEFAULT_BLOCK_SIZE`).
pub(crate) const DEFAULT_BLOCK_SIZE: usize = 8192;

/// A reader read in blocks of `block_size` bytes: the iterator behind
/// [`Body::from_reader`] and `wsgiref::util::FileWrapper`.
///
/// Mirrors `wsgiref.util.FileWrapper.__next__`: `data = self.filelike.read(self.blksize)`,
/// the end when `data` is empty.
pub(crate) struct Blocks<R> {
    /// The reader; dropped (closed) with the blocks.
    pub(crate) reader: R,
    /// Bytes per block, never 0.
    pub(crate) block_size: usize,
}

impl<R: Read> Blocks<R> {
    /// Read `reader` in `block_size` blocks (0 is taken as [`DEFAULT_BLOCK_SIZE`]).
    pub(crate) fn new(reader: R, block_size: usize) -> Blocks<R> {
        let block_size = if block_size == 0 {
            DEFAULT_BLOCK_SIZE
        } else {
            block_size
        };
        Blocks { reader, block_size }
    }
}

impl<R: Read> Iterator for Blocks<R> {
    type Item = Result<Vec<u8>, AppError>;

    fn next(&mut self) -> Option<Self::Item> {
        // Why read_to_end on a `take`: one `read` may return fewer bytes
        // than asked (a pipe, a socket); Python's `read(n)` on a buffered
        // file keeps reading until it has `n` bytes or reaches EOF.
        let mut block = Vec::with_capacity(self.block_size);
        match self
            .reader
            .by_ref()
            .take(self.block_size as u64)
            .read_to_end(&mut block)
        {
            Ok(0) => None,
            Ok(_) => Some(Ok(block)),
            Err(error) => Some(Err(error.into())),
        }
    }
}

impl Iterator for Body {
    type Item = Result<Vec<u8>, AppError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.chunks.next()
    }
}

impl Drop for Body {
    fn drop(&mut self) {
        // Why: PEP 3333 requires close() on every path. Hooks run in order;
        // the chunks iterator (and any inner body it owns) is dropped after.
        // A panicking hook must not skip the ones after it: each runs on its
        // own, and the first panic goes on once all have run.
        let mut first_panic = None;
        for hook in self.on_close.drain(..) {
            if let Err(panic) = std::panic::catch_unwind(std::panic::AssertUnwindSafe(hook)) {
                first_panic.get_or_insert(panic);
            }
        }
        if let Some(panic) = first_panic {
            if !std::thread::panicking() {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(chunk: Vec<u8>) -> Body {
        Body::single(chunk)
    }
}

impl From<&'static [u8]> for Body {
    fn from(chunk: &'static [u8]) -> Body {
        Body::single(chunk.to_vec())
    }
}

impl From<&'static str> for Body {
    fn from(chunk: &'static str) -> Body {
        Body::single(chunk.as_bytes().to_vec())
    }
}

impl From<String> for Body {
    fn from(chunk: String) -> Body {
        Body::single(chunk.into_bytes())
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Body")
            .field("single_chunk", &self.single_chunk)
            .finish_non_exhaustive()
    }
}
