//! Miscellaneous WSGI-related utilities.
//!
//! Mirrors [wsgiref/util.py](https://github.com/python/cpython/blob/3.11/Lib/wsgiref/util.py),
//! plus the latin-1 "native string" helpers that Python gets from
//! `str.encode('iso-8859-1')` and Python's `repr` for `demo_app`.

use std::fmt;
use std::io::Read;

use crate::types::{AppError, Body, Environ};

/// Wrapper to convert a file-like object (any [`Read`]) to an iterator of
/// `block_size`-byte chunks; what `wsgi.file_wrapper` gives.
///
/// The wrapped reader is dropped (closed) when the wrapper is, so a `File`
/// is closed with the body.
///
/// # Example
///
/// ```
/// use wsgiref::util::FileWrapper;
/// let wrapper = FileWrapper::new(std::io::Cursor::new(b"abcde".to_vec()), 2);
/// let chunks: Vec<Vec<u8>> = wrapper.map(|chunk| chunk.unwrap()).collect();
/// assert_eq!(chunks, [b"ab".to_vec(), b"cd".to_vec(), b"e".to_vec()]);
/// ```
///
/// Mirrors `wsgiref.util.FileWrapper`; spec: PEP 3333 "Optional
/// Platform-Specific File Handling".
pub struct FileWrapper<R> {
    reader: R,
    block_size: usize,
}

/// `FileWrapper`'s default block size, in bytes (as in wsgiref).
pub const DEFAULT_BLOCK_SIZE: usize = 8192;

impl<R: Read> FileWrapper<R> {
    /// Wrap `reader`; `block_size` is in bytes (0 is taken as [`DEFAULT_BLOCK_SIZE`]).
    ///
    /// # Example
    ///
    /// ```
    /// let wrapper = wsgiref::util::FileWrapper::new(std::io::empty(), 8192);
    /// assert_eq!(wrapper.count(), 0);
    /// ```
    pub fn new(reader: R, block_size: usize) -> FileWrapper<R> {
        let block_size = if block_size == 0 {
            DEFAULT_BLOCK_SIZE
        } else {
            block_size
        };
        FileWrapper { reader, block_size }
    }

    /// Unwrap into the reader.
    ///
    /// # Example
    ///
    /// ```
    /// let wrapper = wsgiref::util::FileWrapper::new(std::io::empty(), 10);
    /// let _reader: std::io::Empty = wrapper.into_inner();
    /// ```
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl FileWrapper<Box<dyn Read>> {
    /// The function the server gives as `wsgi.file_wrapper`: a boxed reader
    /// and a block size in bytes become a [`Body`].
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::util::FileWrapper;
    /// let body = FileWrapper::into_body(Box::new(std::io::Cursor::new(b"hi".to_vec())), 8192);
    /// assert_eq!(body.count(), 1);
    /// ```
    pub fn into_body(reader: Box<dyn Read>, block_size: usize) -> Body {
        Body::new(FileWrapper::new(reader, block_size))
    }
}

impl<R: Read> Iterator for FileWrapper<R> {
    type Item = Result<Vec<u8>, AppError>;

    fn next(&mut self) -> Option<Self::Item> {
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

impl<R> fmt::Debug for FileWrapper<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileWrapper")
            .field("block_size", &self.block_size)
            .finish_non_exhaustive()
    }
}

/// Return a guess for whether `wsgi.url_scheme` should be `"http"` or `"https"`:
/// `"https"` when the `HTTPS` key is `yes`, `on` or `1`.
///
/// # Example
///
/// ```
/// let mut environ = wsgiref::Environ::new();
/// assert_eq!(wsgiref::util::guess_scheme(&environ), "http");
/// environ.insert("HTTPS", "on");
/// assert_eq!(wsgiref::util::guess_scheme(&environ), "https");
/// ```
///
/// Mirrors `wsgiref.util.guess_scheme`.
pub fn guess_scheme(environ: &Environ) -> &'static str {
    match environ.get("HTTPS") {
        Some("yes" | "on" | "1") => "https",
        _ => "http",
    }
}

/// Return true if `header_name` is an HTTP/1.1 "Hop-by-Hop" header
/// (case-insensitive), which only the server may send.
///
/// # Example
///
/// ```
/// assert!(wsgiref::util::is_hop_by_hop("Connection"));
/// assert!(wsgiref::util::is_hop_by_hop("transfer-encoding"));
/// assert!(!wsgiref::util::is_hop_by_hop("Content-Type"));
/// ```
///
/// Mirrors `wsgiref.util.is_hop_by_hop`; spec: RFC 2616 §13.5.1.
pub fn is_hop_by_hop(header_name: &str) -> bool {
    const HOP_BY_HOP: [&str; 8] = [
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
    ];
    HOP_BY_HOP.iter().any(|hop| hop.eq_ignore_ascii_case(header_name))
}

/// Turn bytes into a native string: each byte becomes one `char`
/// U+0000..U+00FF (latin-1), as PEP 3333 asks for environ values.
///
/// # Example
///
/// ```
/// assert_eq!(wsgiref::util::from_latin1(b"caf\xc3\xa9"), "caf\u{c3}\u{a9}");
/// ```
///
/// Spec: PEP 3333 "Unicode Issues"; Python's `bytes.decode('iso-8859-1')`.
pub fn from_latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&byte| char::from(byte)).collect()
}

/// Turn a native string back into its bytes (latin-1), or `None` when it
/// has a character above U+00FF (which no server puts in an environ).
///
/// # Example
///
/// ```
/// assert_eq!(wsgiref::util::to_bytes("/caf\u{c3}\u{a9}").unwrap(), b"/caf\xc3\xa9");
/// assert_eq!(wsgiref::util::to_bytes("\u{20ac}"), None);
/// ```
///
/// Spec: PEP 3333 "Unicode Issues"; Python's `str.encode('iso-8859-1')`.
pub fn to_bytes(native: &str) -> Option<Vec<u8>> {
    native.chars().map(|c| u8::try_from(c).ok()).collect()
}

/// Decode a native string as UTF-8: what an application does with
/// `PATH_INFO` to get the text the client meant.
///
/// # Errors
///
/// A message naming the value when it is not latin-1 or its bytes are not
/// valid UTF-8.
///
/// # Example
///
/// ```
/// let environ_path = "/caf\u{c3}\u{a9}";
/// assert_eq!(wsgiref::util::decode_utf8(environ_path)?, "/café");
/// assert!(wsgiref::util::decode_utf8("/\u{ff}").is_err());
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Spec: PEP 3333 "Unicode Issues".
pub fn decode_utf8(native: &str) -> Result<String, AppError> {
    let bytes = to_bytes(native).ok_or_else(|| format!("{native:?} is not a native (latin-1) string"))?;
    String::from_utf8(bytes)
        .map_err(|error| format!("{native:?} is not valid UTF-8 once encoded as latin-1: {error}").into())
}

/// Python's `repr` of a `str`: what `demo_app` prints for each value.
///
/// Single quotes unless the text contains `'` and no `"`; `\\`, the quote,
/// `\t`, `\n`, `\r` escaped; other characters below U+0020, U+007F..U+00A0
/// and U+00AD as `\xNN`; everything else as itself.
///
/// # Example
///
/// ```
/// use wsgiref::util::python_repr;
/// assert_eq!(python_repr("abc"), "'abc'");
/// assert_eq!(python_repr("it's"), "\"it's\"");
/// assert_eq!(python_repr("a\tb\u{85}\u{e9}"), "'a\\tb\\x85\u{e9}'");
/// ```
///
/// Mirrors CPython's `unicode_repr` (Objects/unicodeobject.c) for
/// characters up to U+00FF; above that, characters print as themselves.
pub fn python_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c < ' ' || ('\u{7f}'..='\u{a0}').contains(&c) || c == '\u{ad}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr_matches_cpython() {
        // Expected values printed by CPython 3.11's repr().
        let cases = [
            ("", "''"),
            ("'", "\"'\""),
            ("'\"", "'\\'\"'"),
            ("\\", "'\\\\'"),
            ("\x00\x1f\x7f", "'\\x00\\x1f\\x7f'"),
            ("\u{a0}\u{a1}\u{ad}\u{ff}", "'\\xa0\u{a1}\\xad\u{ff}'"),
        ];
        for (input, expected) in cases {
            assert_eq!(python_repr(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn latin1_round_trip() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(to_bytes(&from_latin1(&all)).unwrap(), all);
    }
}
