//! Miscellaneous WSGI-related utilities.
//!
//! Mirrors [wsgiref/util.py](https://github.com/python/cpython/blob/3.11/Lib/wsgiref/util.py),
//! plus the latin-1 "native string" helpers that Python gets from
//! `str.encode('iso-8859-1')` and Python's `repr` for `demo_app`.
//!
//! | wsgiref.util | here |
//! |---|---|
//! | `FileWrapper(filelike, blksize=8192)` | [`FileWrapper`] |
//! | `guess_scheme(environ)` | [`guess_scheme`] |
//! | `application_uri(environ)` | [`application_uri`] |
//! | `request_uri(environ, include_query=True)` | [`request_uri`] |
//! | `shift_path_info(environ)` | [`shift_path_info`] |
//! | `setup_testing_defaults(environ)` | [`setup_testing_defaults`] |
//! | `is_hop_by_hop(header_name)` | [`is_hop_by_hop`] |
//!
//! # Design notes
//!
//! - `quote` (from `urllib.parse`, in the crate's private `uri` module)
//!   and `normpath` (from `posixpath`) are written out as small private
//!   helpers rather than pulled in as dependencies; each quotes the Python
//!   behaviour it copies.
//! - Python's `environ` is a dict in which a key can be missing; the
//!   `wsgi.*` keys of [`Environ`] are typed fields that always hold a value.
//!   So [`setup_testing_defaults`] cannot tell "unset" from "set to the
//!   default" for them: [`Environ::new`] already gives wsgiref's testing
//!   defaults, and the only field it fills in is `url_scheme` (see there).
//! - Where CPython raises on an environ that breaks PEP 3333 (a missing
//!   `SERVER_NAME`, a `PATH_INFO` that does not start with `/`, a character
//!   above U+00FF), these functions return a documented answer instead of
//!   panicking.

use std::fmt;
use std::io::Read;

pub use crate::native::{decode_utf8, from_latin1, python_repr, to_bytes};
use crate::types::{AppError, Blocks, Body, Environ};
use crate::uri::quote;

/// Wrapper to convert a file-like object (any [`Read`]) to an iterator of
/// `block_size`-byte chunks; what `wsgi.file_wrapper` gives.
///
/// The wrapped reader is dropped (closed) when the wrapper is, so a `File`
/// is closed with the body. The blocks are read as [`Body::from_reader`]
/// reads them (one implementation); the handler gives
/// [`FileWrapper::into_body`] as `wsgi.file_wrapper`.
///
/// # Example
///
/// ```
/// use wsgiref::util::FileWrapper;
/// let wrapper = FileWrapper::new(std::io::Cursor::new(b"abcde".to_vec()), 2);
/// let chunks = wrapper.collect::<Result<Vec<Vec<u8>>, _>>()?;
/// assert_eq!(chunks, [b"ab".to_vec(), b"cd".to_vec(), b"e".to_vec()]);
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.util.FileWrapper`; spec: PEP 3333 "Optional
/// Platform-Specific File Handling".
pub struct FileWrapper<R> {
    // Why a wrapper: the block-reading loop is `Body::from_reader`'s, so
    // `types` needs nothing from `util` and there is one implementation.
    blocks: Blocks<R>,
}

/// `FileWrapper`'s default block size, in bytes (as in wsgiref).
pub const DEFAULT_BLOCK_SIZE: usize = crate::types::DEFAULT_BLOCK_SIZE;

impl<R: Read> FileWrapper<R> {
    /// Wrap `reader`; `block_size` is in bytes (0 is taken as [`DEFAULT_BLOCK_SIZE`]).
    ///
    /// # Example
    ///
    /// ```
    /// let wrapper = wsgiref::util::FileWrapper::new(std::io::Cursor::new(b"abc".to_vec()), 2);
    /// let chunks = wrapper.collect::<Result<Vec<Vec<u8>>, _>>()?;
    /// assert_eq!(chunks, [b"ab".to_vec(), b"c".to_vec()]);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `FileWrapper.__init__(filelike, blksize=8192)`.
    pub fn new(reader: R, block_size: usize) -> FileWrapper<R> {
        FileWrapper {
            blocks: Blocks::new(reader, block_size),
        }
    }

    /// Unwrap into the reader.
    ///
    /// # Example
    ///
    /// ```
    /// let wrapper = wsgiref::util::FileWrapper::new(std::io::empty(), 10);
    /// let _reader: std::io::Empty = wrapper.into_inner();
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn into_inner(self) -> R {
        self.blocks.reader
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
    /// let chunks = body.collect::<Result<Vec<Vec<u8>>, _>>()?;
    /// assert_eq!(chunks, [b"hi".to_vec()]);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn into_body(reader: Box<dyn Read>, block_size: usize) -> Body {
        Body::from_reader(reader, block_size)
    }
}

impl<R: Read> Iterator for FileWrapper<R> {
    type Item = Result<Vec<u8>, AppError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.blocks.next()
    }
}

impl<R> fmt::Debug for FileWrapper<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileWrapper")
            .field("block_size", &self.blocks.block_size)
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
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.util.guess_scheme`.
pub fn guess_scheme(environ: &Environ) -> &'static str {
    match environ.get("HTTPS") {
        Some("yes" | "on" | "1") => "https",
        _ => "http",
    }
}

/// Return the application's base URI: scheme, host (and port) and
/// `SCRIPT_NAME`, without `PATH_INFO` or `QUERY_STRING`.
///
/// Shapes: reads `wsgi.url_scheme` ([`Environ::url_scheme`]), `HTTP_HOST`,
/// or else `SERVER_NAME` plus `SERVER_PORT` (left out when it is the
/// scheme's default, 80 or 443), and `SCRIPT_NAME` (`/` when empty),
/// percent-encoded as latin-1 bytes. Returns an ASCII URI such as
/// `http://127.0.0.1/sp%E4m`.
///
/// CPython raises `KeyError` when `HTTP_HOST` is empty and `SERVER_NAME`
/// or `SERVER_PORT` is missing (PEP 3333 requires both); here a missing
/// `SERVER_NAME` counts as empty and a missing `SERVER_PORT` adds no port.
///
/// # Example
///
/// ```
/// use wsgiref::util::{application_uri, setup_testing_defaults};
/// let mut environ = wsgiref::Environ::new();
/// environ.insert("SCRIPT_NAME", "/sp\u{e4}m");
/// setup_testing_defaults(&mut environ);
/// assert_eq!(application_uri(&environ), "http://127.0.0.1/sp%E4m");
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.util.application_uri`; spec: PEP 3333 "URL Reconstruction".
pub fn application_uri(environ: &Environ) -> String {
    let mut url = format!("{}://", environ.url_scheme);
    match environ.get("HTTP_HOST") {
        Some(host) if !host.is_empty() => url.push_str(host),
        _ => {
            url.push_str(environ.get("SERVER_NAME").unwrap_or(""));
            let default_port = if environ.url_scheme == "https" { "443" } else { "80" };
            if let Some(port) = environ.get("SERVER_PORT")
                && port != default_port
            {
                url.push(':');
                url.push_str(port);
            }
        }
    }
    let script_name = match environ.get("SCRIPT_NAME") {
        Some(script_name) if !script_name.is_empty() => script_name,
        _ => "/",
    };
    url.push_str(&quote(script_name, "/"));
    url
}

/// Return the full request URI: [`application_uri`] plus `PATH_INFO`, and
/// `?QUERY_STRING` when `include_query` is true and the query is not empty.
///
/// Shapes: `PATH_INFO` is percent-encoded as latin-1 bytes, keeping `/`,
/// `;`, `=` and `,`; the query string is added as it is (it is still
/// percent-encoded in the environ). Returns an ASCII URI such as
/// `http://127.0.0.1/spammity/spam?say=ni`.
///
/// # Example
///
/// ```
/// use wsgiref::util::{request_uri, setup_testing_defaults};
/// let mut environ = wsgiref::Environ::new();
/// environ.insert("SCRIPT_NAME", "/spammity");
/// environ.insert("PATH_INFO", "/sp\u{e4}m;ham");
/// environ.insert("QUERY_STRING", "say=ni");
/// setup_testing_defaults(&mut environ);
/// assert_eq!(request_uri(&environ, true), "http://127.0.0.1/spammity/sp%E4m;ham?say=ni");
/// assert_eq!(request_uri(&environ, false), "http://127.0.0.1/spammity/sp%E4m;ham");
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.util.request_uri`; spec: PEP 3333 "URL Reconstruction".
pub fn request_uri(environ: &Environ, include_query: bool) -> String {
    let mut url = application_uri(environ);
    let path_info = quote(environ.get("PATH_INFO").unwrap_or(""), "/;=,");
    match environ.get("SCRIPT_NAME") {
        // Why: application_uri already ended with the "/" that stands in
        // for an empty SCRIPT_NAME; CPython drops PATH_INFO's first
        // character (whatever it is), and so do we.
        Some(script_name) if !script_name.is_empty() => url.push_str(&path_info),
        _ => url.push_str(path_info.get(1..).unwrap_or("")),
    }
    if include_query
        && let Some(query) = environ.get("QUERY_STRING")
        && !query.is_empty()
    {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Shift a name from `PATH_INFO` to `SCRIPT_NAME`, returning it; `None`
/// when `PATH_INFO` has no path segments left.
///
/// Shapes: both keys are native strings; `environ` is changed in place.
/// Empty segments and `.` segments inside `PATH_INFO` are skipped, and the
/// new `SCRIPT_NAME` is normalised as `posixpath.normpath` does (so a `..`
/// name removes the last segment of `SCRIPT_NAME`).
///
/// When `PATH_INFO` is just `/`, this returns `Some("")` and appends a
/// trailing `/` to `SCRIPT_NAME`, even though empty path segments are
/// normally ignored and `SCRIPT_NAME` does not normally end in a `/`: so an
/// application can tell `/x` from `/x/` when traversing to objects. A
/// final `/.` is shifted too, but returns `None`.
///
/// A non-empty `PATH_INFO` that does not start with `/` breaks PEP 3333;
/// CPython raises `IndexError` when it has no `/` at all, and here the
/// environ is left unchanged and `None` returned.
///
/// # Example
///
/// Routing on the first path segment:
///
/// ```
/// use wsgiref::util::shift_path_info;
/// let mut environ = wsgiref::Environ::new();
/// environ.insert("SCRIPT_NAME", "/app");
/// environ.insert("PATH_INFO", "/users/42");
/// assert_eq!(shift_path_info(&mut environ).as_deref(), Some("users"));
/// assert_eq!(environ.get("SCRIPT_NAME"), Some("/app/users"));
/// assert_eq!(environ.get("PATH_INFO"), Some("/42"));
/// assert_eq!(shift_path_info(&mut environ).as_deref(), Some("42"));
/// assert_eq!(shift_path_info(&mut environ), None);
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.util.shift_path_info`.
pub fn shift_path_info(environ: &mut Environ) -> Option<String> {
    let path_info = environ.get("PATH_INFO").unwrap_or("");
    if path_info.is_empty() {
        return None;
    }
    let path_parts: Vec<&str> = path_info.split('/').collect();
    if path_parts.len() < 2 {
        return None;
    }
    // path_parts[1:-1] = [p for p in path_parts[1:-1] if p and p != '.']
    let last = path_parts.len() - 1;
    let mut kept = vec![path_parts[0]];
    kept.extend(
        path_parts[1..last]
            .iter()
            .filter(|part| !part.is_empty() && **part != "."),
    );
    kept.push(path_parts[last]);
    let name = kept.remove(1).to_string();
    let new_path_info = kept.join("/");

    let script_name = environ.get("SCRIPT_NAME").unwrap_or("");
    let mut script_name = normpath(&format!("{script_name}/{name}"));
    if script_name.ends_with('/') {
        script_name.pop();
    }
    if name.is_empty() && !script_name.ends_with('/') {
        script_name.push('/');
    }

    environ.insert("SCRIPT_NAME", script_name);
    environ.insert("PATH_INFO", new_path_info);

    // Why (CPython's comment): '/.' on PATH_INFO doesn't get stripped,
    // because we don't strip the last element of PATH_INFO if there's only
    // one path part left. Instead of fixing this above, we fix it here so
    // that PATH_INFO gets normalized to an empty string in the environ.
    if name == "." { None } else { Some(name) }
}

/// Update `environ` with trivial defaults for testing purposes.
///
/// Adds the keys WSGI requires, each only when missing: `SERVER_NAME`
/// (`127.0.0.1`), `SERVER_PROTOCOL` (`HTTP/1.0`), `HTTP_HOST` (the
/// `SERVER_NAME`), `REQUEST_METHOD` (`GET`), `SCRIPT_NAME` (empty) and
/// `PATH_INFO` (`/`) when neither of those two is set, and `SERVER_PORT`
/// (`80`, or `443` when the scheme is `https`).
///
/// The `wsgi.*` values are typed fields that always hold a value, and
/// [`Environ::new`] already gives wsgiref's testing defaults: version
/// `(1, 0)`, `run_once`, `multithread` and `multiprocess` false, an empty
/// `input`, and `errors` (to the log, where wsgiref uses a `StringIO`).
/// They are left as they are, so values a test set are kept. The one
/// exception is `url_scheme`: when it still holds the default `"http"`, it
/// becomes [`guess_scheme`]'s answer (`"https"` when `HTTPS` is `on`).
///
/// This routine makes it easier for unit tests of WSGI servers and
/// applications to set up dummy environments. It should *not* be used by
/// real WSGI servers or applications, since the data is fake!
///
/// # Example
///
/// ```
/// let mut environ = wsgiref::Environ::new();
/// environ.insert("HTTPS", "on");
/// wsgiref::util::setup_testing_defaults(&mut environ);
/// assert_eq!(environ.get("REQUEST_METHOD"), Some("GET"));
/// assert_eq!(environ.get("PATH_INFO"), Some("/"));
/// assert_eq!(environ.url_scheme, "https");
/// assert_eq!(environ.get("SERVER_PORT"), Some("443"));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.util.setup_testing_defaults`.
pub fn setup_testing_defaults(environ: &mut Environ) {
    set_default(environ, "SERVER_NAME", "127.0.0.1");
    set_default(environ, "SERVER_PROTOCOL", "HTTP/1.0");

    let server_name = environ.get("SERVER_NAME").unwrap_or("").to_string();
    set_default(environ, "HTTP_HOST", &server_name);
    set_default(environ, "REQUEST_METHOD", "GET");

    if !environ.contains_key("SCRIPT_NAME") && !environ.contains_key("PATH_INFO") {
        set_default(environ, "SCRIPT_NAME", "");
        set_default(environ, "PATH_INFO", "/");
    }

    // wsgi.version, wsgi.run_once, wsgi.multithread, wsgi.multiprocess,
    // wsgi.input and wsgi.errors: Environ::new() already holds the defaults.
    if environ.url_scheme == "http" {
        environ.url_scheme = guess_scheme(environ).to_string();
    }

    match environ.url_scheme.as_str() {
        "http" => set_default(environ, "SERVER_PORT", "80"),
        "https" => set_default(environ, "SERVER_PORT", "443"),
        _ => {}
    }
}

/// Python's `environ.setdefault(key, value)`, without the return value.
fn set_default(environ: &mut Environ, key: &str, value: &str) {
    if !environ.contains_key(key) {
        environ.insert(key, value);
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
/// # Ok::<(), wsgiref::AppError>(())
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

/// Normalise a `/`-separated path as Python's `posixpath.normpath` does:
/// drop empty and `.` segments, let `..` remove the segment before it, and
/// keep exactly two leading slashes when there are two (POSIX leaves their
/// meaning to the implementation) but one for three or more. An empty
/// result is `.`.
///
/// Spec: POSIX.1-2017 §4.13 "Pathname Resolution".
fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let initial_slashes = if path.starts_with("//") && !path.starts_with("///") {
        2
    } else if path.starts_with('/') {
        1
    } else {
        0
    };
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." {
            continue;
        }
        let keep_dot_dot = (initial_slashes == 0 && segments.is_empty()) || segments.last() == Some(&"..");
        if segment != ".." || keep_dot_dot {
            segments.push(segment);
        } else {
            segments.pop();
        }
    }
    let normalised = "/".repeat(initial_slashes) + &segments.join("/");
    if normalised.is_empty() {
        ".".to_string()
    } else {
        normalised
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;
    use std::rc::Rc;

    /// CGI keys and values, as Python's `{'KEY': 'value', ...}` literal.
    type Vars = &'static [(&'static str, &'static str)];

    /// An environ holding `vars`.
    fn environ_with(vars: &[(&str, &str)]) -> Environ {
        let mut environ = Environ::new();
        for (key, value) in vars {
            environ.insert(*key, *value);
        }
        environ
    }

    /// CPython's `UtilityTests.checkShift`: shift once, return (part, SCRIPT_NAME, PATH_INFO).
    fn check_shift(script_name_in: &str, path_info_in: &str) -> (Option<String>, String, String) {
        let mut environ = environ_with(&[("SCRIPT_NAME", script_name_in), ("PATH_INFO", path_info_in)]);
        setup_testing_defaults(&mut environ);
        let part = shift_path_info(&mut environ);
        let script_name = environ.get("SCRIPT_NAME").unwrap_or("<missing>").to_string();
        let path_info = environ.get("PATH_INFO").unwrap_or("<missing>").to_string();
        (part, script_name, path_info)
    }

    /// Run `check_shift` over `(SCRIPT_NAME in, PATH_INFO in, part, SCRIPT_NAME out, PATH_INFO out)` rows.
    fn check_shifts(cases: &[(&str, &str, Option<&str>, &str, &str)]) {
        for &(script_name_in, path_info_in, part, script_name_out, path_info_out) in cases {
            let got = check_shift(script_name_in, path_info_in);
            let expected = (
                part.map(str::to_string),
                script_name_out.to_string(),
                path_info_out.to_string(),
            );
            assert_eq!(
                got, expected,
                "SCRIPT_NAME {script_name_in:?}, PATH_INFO {path_info_in:?}"
            );
        }
    }

    // UtilityTests.testSimpleShifts
    #[test]
    fn test_simple_shifts() {
        check_shifts(&[
            ("", "/", Some(""), "/", ""),
            ("", "/x", Some("x"), "/x", ""),
            ("/", "", None, "/", ""),
            ("/a", "/x/y", Some("x"), "/a/x", "/y"),
            ("/a", "/x/", Some("x"), "/a/x", "/"),
        ]);
    }

    // UtilityTests.testNormalizedShifts
    #[test]
    fn test_normalized_shifts() {
        check_shifts(&[
            ("/a/b", "/../y", Some(".."), "/a", "/y"),
            ("", "/../y", Some(".."), "", "/y"),
            ("/a/b", "//y", Some("y"), "/a/b/y", ""),
            ("/a/b", "//y/", Some("y"), "/a/b/y", "/"),
            ("/a/b", "/./y", Some("y"), "/a/b/y", ""),
            ("/a/b", "/./y/", Some("y"), "/a/b/y", "/"),
            ("/a/b", "///./..//y/.//", Some(".."), "/a", "/y/"),
            ("/a/b", "///", Some(""), "/a/b/", ""),
            ("/a/b", "/.//", Some(""), "/a/b/", ""),
            ("/a/b", "/x//", Some("x"), "/a/b/x", "/"),
            ("/a/b", "/.", None, "/a/b", ""),
        ]);
    }

    #[test]
    fn shifts_outside_pep_3333_match_cpython() {
        // Expected values printed by CPython 3.11.7's shift_path_info; a
        // PATH_INFO without "/" raises IndexError there and changes nothing here.
        check_shifts(&[
            ("/", "/x", Some("x"), "//x", ""),
            ("a", "/..", Some(".."), ".", ""),
            ("a/b", "/..", Some(".."), "a", ""),
            ("..", "/..", Some(".."), "../..", ""),
            ("//", "/", Some(""), "/", ""),
            ("///a", "/b/", Some("b"), "/a/b", "/"),
            ("/a", "x/y", Some("y"), "/a/y", "x"),
            ("/a", "x", None, "/a", "x"),
        ]);
    }

    // UtilityTests.testDefaults (the CGI keys)
    #[test]
    fn test_defaults() {
        let cases = [
            ("SERVER_NAME", "127.0.0.1"),
            ("SERVER_PORT", "80"),
            ("SERVER_PROTOCOL", "HTTP/1.0"),
            ("HTTP_HOST", "127.0.0.1"),
            ("REQUEST_METHOD", "GET"),
            ("SCRIPT_NAME", ""),
            ("PATH_INFO", "/"),
        ];
        for (key, value) in cases {
            // Check defaulting when empty.
            let mut environ = Environ::new();
            setup_testing_defaults(&mut environ);
            assert_eq!(environ.get(key), Some(value), "default of {key}");
            // Check that an existing value is kept.
            let mut environ = environ_with(&[(key, "alt")]);
            setup_testing_defaults(&mut environ);
            assert_eq!(environ.get(key), Some("alt"), "existing {key}");
        }
    }

    // UtilityTests.testDefaults (the wsgi.* keys, typed fields here)
    #[test]
    fn test_defaults_wsgi_fields() {
        let mut environ = Environ::new();
        setup_testing_defaults(&mut environ);
        assert_eq!(environ.version, (1, 0));
        assert!(!environ.run_once);
        assert!(!environ.multithread);
        assert!(!environ.multiprocess);
        // wsgi.input is BytesIO() in CPython: an empty stream.
        assert_eq!(environ.input.read_bytes(100).unwrap(), b"");
        // wsgi.errors is StringIO() in CPython: a writable text stream.
        std::io::Write::write_all(&mut environ.errors, b"").unwrap();
        assert_eq!(environ.url_scheme, "http");

        // Check that existing values are kept.
        let mut environ = Environ::new();
        environ.version = (1, 1);
        environ.run_once = true;
        environ.multithread = true;
        environ.multiprocess = true;
        environ.input = crate::Input::from_bytes(b"alt".to_vec());
        environ.url_scheme = "alt".to_string();
        setup_testing_defaults(&mut environ);
        assert_eq!(environ.version, (1, 1));
        assert!(environ.run_once && environ.multithread && environ.multiprocess);
        assert_eq!(environ.input.read_bytes(100).unwrap(), b"alt");
        assert_eq!(environ.url_scheme, "alt");
        // No SERVER_PORT default for a scheme that is neither http nor https.
        assert_eq!(environ.get("SERVER_PORT"), None);
    }

    // UtilityTests.testCrossDefaults
    #[test]
    fn test_cross_defaults() {
        // (key looked at, expected value, the environ before setup_testing_defaults)
        let cases = [
            ("HTTP_HOST", "foo.bar", ("SERVER_NAME", "foo.bar")),
            ("wsgi.url_scheme", "https", ("HTTPS", "on")),
            ("wsgi.url_scheme", "https", ("HTTPS", "1")),
            ("wsgi.url_scheme", "https", ("HTTPS", "yes")),
            ("wsgi.url_scheme", "http", ("HTTPS", "foo")),
            ("SERVER_PORT", "80", ("HTTPS", "foo")),
            ("SERVER_PORT", "443", ("HTTPS", "on")),
        ];
        for (key, expected, given) in cases {
            let mut environ = environ_with(&[given]);
            setup_testing_defaults(&mut environ);
            let got = if key == "wsgi.url_scheme" {
                Some(environ.url_scheme.as_str())
            } else {
                environ.get(key)
            };
            assert_eq!(got, Some(expected), "{key} given {given:?}");
        }
    }

    // UtilityTests.testGuessScheme
    #[test]
    fn test_guess_scheme() {
        assert_eq!(guess_scheme(&Environ::new()), "http");
        let cases = [("foo", "http"), ("on", "https"), ("yes", "https"), ("1", "https")];
        for (https, expected) in cases {
            assert_eq!(
                guess_scheme(&environ_with(&[("HTTPS", https)])),
                expected,
                "HTTPS={https:?}"
            );
        }
    }

    // UtilityTests.testAppURIs
    #[test]
    fn test_app_uris() {
        let cases: [(&str, Vars); 8] = [
            ("http://127.0.0.1/", &[]),
            ("http://127.0.0.1/spam", &[("SCRIPT_NAME", "/spam")]),
            ("http://127.0.0.1/sp%E4m", &[("SCRIPT_NAME", "/sp\u{e4}m")]),
            (
                "http://spam.example.com:2071/",
                &[("HTTP_HOST", "spam.example.com:2071"), ("SERVER_PORT", "2071")],
            ),
            ("http://spam.example.com/", &[("SERVER_NAME", "spam.example.com")]),
            (
                "http://127.0.0.1/",
                &[("HTTP_HOST", "127.0.0.1"), ("SERVER_NAME", "spam.example.com")],
            ),
            ("https://127.0.0.1/", &[("HTTPS", "on")]),
            // CPython passes HTTP_HOST=None; an environ value here is a
            // string, and an empty one is falsy in the same way.
            ("http://127.0.0.1:8000/", &[("SERVER_PORT", "8000"), ("HTTP_HOST", "")]),
        ];
        for (expected, vars) in cases {
            let mut environ = environ_with(vars);
            setup_testing_defaults(&mut environ);
            assert_eq!(application_uri(&environ), expected, "environ {vars:?}");
        }
    }

    // UtilityTests.testReqURIs
    #[test]
    fn test_req_uris() {
        let cases: [(&str, bool, Vars); 10] = [
            ("http://127.0.0.1/", true, &[]),
            ("http://127.0.0.1/spam", true, &[("SCRIPT_NAME", "/spam")]),
            ("http://127.0.0.1/sp%E4m", true, &[("SCRIPT_NAME", "/sp\u{e4}m")]),
            (
                "http://127.0.0.1/spammity/spam",
                true,
                &[("SCRIPT_NAME", "/spammity"), ("PATH_INFO", "/spam")],
            ),
            (
                "http://127.0.0.1/spammity/sp%E4m",
                true,
                &[("SCRIPT_NAME", "/spammity"), ("PATH_INFO", "/sp\u{e4}m")],
            ),
            (
                "http://127.0.0.1/spammity/spam;ham",
                true,
                &[("SCRIPT_NAME", "/spammity"), ("PATH_INFO", "/spam;ham")],
            ),
            (
                "http://127.0.0.1/spammity/spam;cookie=1234,5678",
                true,
                &[("SCRIPT_NAME", "/spammity"), ("PATH_INFO", "/spam;cookie=1234,5678")],
            ),
            (
                "http://127.0.0.1/spammity/spam?say=ni",
                true,
                &[
                    ("SCRIPT_NAME", "/spammity"),
                    ("PATH_INFO", "/spam"),
                    ("QUERY_STRING", "say=ni"),
                ],
            ),
            (
                "http://127.0.0.1/spammity/spam?s%E4y=ni",
                true,
                &[
                    ("SCRIPT_NAME", "/spammity"),
                    ("PATH_INFO", "/spam"),
                    ("QUERY_STRING", "s%E4y=ni"),
                ],
            ),
            (
                "http://127.0.0.1/spammity/spam",
                false,
                &[
                    ("SCRIPT_NAME", "/spammity"),
                    ("PATH_INFO", "/spam"),
                    ("QUERY_STRING", "say=ni"),
                ],
            ),
        ];
        for (expected, include_query, vars) in cases {
            let mut environ = environ_with(vars);
            setup_testing_defaults(&mut environ);
            assert_eq!(request_uri(&environ, include_query), expected, "environ {vars:?}");
        }
    }

    #[test]
    fn request_uri_without_script_name_drops_first_character() {
        // Expected values printed by CPython 3.11.7's request_uri.
        let cases = [
            ("x", "http://127.0.0.1/"),
            (" /a", "http://127.0.0.1/20/a"),
            ("", "http://127.0.0.1/"),
        ];
        for (path_info, expected) in cases {
            let mut environ = environ_with(&[("SCRIPT_NAME", ""), ("PATH_INFO", path_info)]);
            setup_testing_defaults(&mut environ);
            assert_eq!(request_uri(&environ, true), expected, "PATH_INFO {path_info:?}");
        }
    }

    #[test]
    fn quote_matches_urllib_parse_quote() {
        // Expected values printed by CPython 3.11.7's
        // quote(s, encoding='latin1') and quote(s, safe='/;=,', encoding='latin1').
        let cases = [
            ("/sp\u{e4}m", "/sp%E4m", "/sp%E4m"),
            (" /x~_.-", "%20/x~_.-", "%20/x~_.-"),
            (
                "/a;b=c,d?e#f%g&h+i:j@k",
                "/a%3Bb%3Dc%2Cd%3Fe%23f%25g%26h%2Bi%3Aj%40k",
                "/a;b=c,d%3Fe%23f%25g%26h%2Bi%3Aj%40k",
            ),
            ("\u{0}\u{ff}", "%00%FF", "%00%FF"),
            ("", "", ""),
        ];
        for (input, default_safe, path_safe) in cases {
            assert_eq!(quote(input, "/"), default_safe, "input {input:?}");
            assert_eq!(quote(input, "/;=,"), path_safe, "input {input:?}");
        }
        // CPython raises UnicodeEncodeError; the UTF-8 bytes are encoded here.
        assert_eq!(quote("/\u{20ac}", "/"), "/%E2%82%AC");
    }

    #[test]
    fn normpath_matches_posixpath() {
        // Expected values printed by CPython 3.11.7's posixpath.normpath.
        let cases = [
            ("", "."),
            ("/", "/"),
            ("//", "//"),
            ("///", "/"),
            ("//a//b", "//a/b"),
            ("///a/./b/", "/a/b"),
            ("/..", "/"),
            ("/a/b/..", "/a"),
            ("a/..", "."),
            ("../..", "../.."),
            ("a/../../b", "../b"),
            ("/a/../../b", "/b"),
        ];
        for (input, expected) in cases {
            assert_eq!(normpath(input), expected, "input {input:?}");
        }
    }

    /// A reader that records when it is dropped (Python's `filelike.closed`).
    struct ClosingReader {
        inner: std::io::Cursor<Vec<u8>>,
        closed: Rc<Cell<bool>>,
    }

    impl Read for ClosingReader {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.inner.read(buf)
        }
    }

    impl Drop for ClosingReader {
        fn drop(&mut self) {
            self.closed.set(true);
        }
    }

    // UtilityTests.testFileWrapper (with checkFW and compare_generic_iter).
    // CPython's FileWrapper.__getitem__ and its deprecation tests are gone in
    // 3.11 and have no Rust counterpart (an iterator has no indexing).
    #[test]
    fn test_file_wrapper() {
        let text = "xyz".repeat(50);
        let expected = ["xyz".repeat(40), "xyz".repeat(10)];
        let closed = Rc::new(Cell::new(false));
        let reader = ClosingReader {
            inner: std::io::Cursor::new(text.into_bytes()),
            closed: Rc::clone(&closed),
        };
        let mut wrapper = FileWrapper::new(reader, 120);
        for item in &expected {
            assert_eq!(wrapper.next().unwrap().unwrap(), item.as_bytes());
        }
        assert!(wrapper.next().is_none(), "too many items from next()");
        // Iterating to the end does not close the file; closing (dropping) does.
        assert!(!closed.get());
        drop(wrapper);
        assert!(closed.get());
    }

    #[test]
    fn the_handler_gives_file_wrapper() {
        // As BaseHandler.setup_environ: wsgi.file_wrapper comes from the
        // handler, and a bare environ has none (wrap_file still works).
        assert!(Environ::new().file_wrapper.is_none());
        let app = crate::types::app_fn(|environ, start_response| {
            assert!(environ.file_wrapper.is_some(), "no wsgi.file_wrapper");
            start_response.call("200 OK", [("Content-Type", "text/plain")])?;
            Ok(environ.wrap_file(std::io::Cursor::new(b"abc".to_vec()), 2))
        });
        let mut handler = crate::handlers::SimpleHandler::new(Vec::new());
        let summary = handler.run(&app, Environ::new());
        assert_eq!(summary.status, Some(200));
        assert!(handler.into_output().unwrap().ends_with(b"\r\n\r\nabc"));
    }

    // UtilityTests.testHopByHop
    #[test]
    fn test_hop_by_hop() {
        fn title(name: &str) -> String {
            // Python's str.title() for these ASCII names: upper after a non-letter.
            let mut out = String::new();
            let mut after_letter = false;
            for c in name.chars() {
                out.push(if after_letter {
                    c.to_ascii_lowercase()
                } else {
                    c.to_ascii_uppercase()
                });
                after_letter = c.is_ascii_alphabetic();
            }
            out
        }
        let hop_by_hop =
            "Connection Keep-Alive Proxy-Authenticate Proxy-Authorization TE Trailers Transfer-Encoding Upgrade";
        let end_to_end = "Accept Cache-Control Date Pragma Trailer Via Warning";
        for (names, expected) in [(hop_by_hop, true), (end_to_end, false)] {
            for hop in names.split_whitespace() {
                for alt in [hop.to_string(), title(hop), hop.to_uppercase(), hop.to_lowercase()] {
                    assert_eq!(is_hop_by_hop(&alt), expected, "header {alt:?}");
                }
            }
        }
    }
}
