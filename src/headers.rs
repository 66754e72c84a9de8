//! Manage HTTP response headers: an ordered list of `(name, value)` pairs
//! with case-insensitive lookup, parameters and exact serialisation.
//!
//! Mirrors [wsgiref/headers.py](https://github.com/python/cpython/blob/3.11/Lib/wsgiref/headers.py),
//! which took much of its code from the standard library's `email.message`.
//!
//! | wsgiref.headers | here |
//! |---|---|
//! | `Headers(headers)` / `Headers()` | [`Headers::new`] / [`Headers::default`] |
//! | `len(h)` | [`Headers::len`] |
//! | `h[name] = value` | [`Headers::set`] |
//! | `del h[name]` | [`Headers::remove`] |
//! | `h[name]`, `h.get(name, default)` | [`Headers::get`] (with `unwrap_or(default)`) |
//! | `name in h` | [`Headers::contains`] |
//! | `h.get_all(name)` | [`Headers::get_all`] |
//! | `h.keys()`, `h.values()`, `h.items()` | [`Headers::keys`], [`Headers::values`], [`Headers::items`] |
//! | `str(h)`, `bytes(h)` | [`Headers`]'s `Display`, [`Headers::to_bytes`] |
//! | `h.setdefault(name, value)` | [`Headers::setdefault`] |
//! | `h.add_header(name, value, **params)` | [`Headers::add_header`] |
//!
//! # Design notes
//!
//! - CPython 3.11 stores any string. Here a name or value with CR, LF or
//!   NUL is refused with a [`HeaderError`], because written out it would
//!   split one header into two (header injection); later CPython versions
//!   refuse control characters too (`testRaisesControlCharacters`).
//! - A character above U+00FF is refused when it is added, not when the
//!   headers are turned into bytes (where CPython raises
//!   `UnicodeEncodeError`), so [`Headers::to_bytes`] cannot fail and the
//!   error points at the code that added the header. PEP 3333 allows only
//!   latin-1 in response headers anyway.
//! - Python's keyword parameters (`filename='bud.gif'`) become a slice of
//!   `(name, Option<value>)` pairs, kept in the order given.
//! - The one header check of the crate lives here (`check_text`,
//!   `check_field`, `is_token`, `is_latin1`, crate-private): [`Headers`],
//!   `start_response` (through
//!   [`StartResponseError::Header`](crate::StartResponseError::Header)),
//!   the validator and the test client use it. [`HeaderList`] is defined
//!   here too, so this module imports nothing from the crate and `types`
//!   can build on it.

use std::error::Error;
use std::fmt;

mod check;
pub(crate) use check::{check_field, check_text, is_latin1, is_token};

/// A response header list, as PEP 3333's `response_headers`: `(name, value)` pairs in order.
///
/// Shapes: names and values are native strings (latin-1).
///
/// # Example
///
/// ```
/// let headers: wsgiref::HeaderList = vec![("Content-Type".to_string(), "text/plain".to_string())];
/// let (start_response, seen) = wsgiref::StartResponse::recorder();
/// start_response.call("200 OK", headers)?;
/// assert_eq!(seen.header("content-type").as_deref(), Some("text/plain"));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Spec: PEP 3333 "The start_response() Callable".
pub type HeaderList = Vec<(String, String)>;

/// The "special" characters in a parameter value (RFC 2045 `tspecials`,
/// as wsgiref's regular expression lists them), which force quoting:
///
/// > tspecials := "(" / ")" / "<" / ">" / "@" / "," / ";" / ":" / "\" / <">
/// > / "/" / "[" / "]" / "?" / "="
///
/// wsgiref adds the space.
const TSPECIALS: &str = " ()<>@,;:\\\"/[]?=";

/// Format a `param=value` pair: quoted (with `\` and `"` escaped) when
/// `quote` is true or the value has a [`TSPECIALS`] character; just `param`
/// when the value is `None` or empty.
///
/// Mirrors `wsgiref.headers._formatparam`.
fn format_param(param: &str, value: Option<&str>, quote: bool) -> String {
    match value {
        Some(value) if !value.is_empty() => {
            if quote || value.contains(|c| TSPECIALS.contains(c)) {
                let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
                format!("{param}=\"{escaped}\"")
            } else {
                format!("{param}={value}")
            }
        }
        _ => param.to_string(),
    }
}

/// A status, header name, value or parameter that cannot be sent.
///
/// `Display` names the part and quotes the bad text, e.g.
/// `header name "X\r\nY" contains CR, LF or NUL`. [`Headers`] refuses
/// control characters and non-latin-1 text; `start_response` refuses the
/// same (wrapped in [`StartResponseError::Header`](crate::StartResponseError::Header)),
/// and also a header name that is not a token.
///
/// # Example
///
/// ```
/// use wsgiref::headers::{HeaderError, Headers};
/// let mut headers = Headers::default();
/// let error = headers.set("X\r\nY", "1").unwrap_err();
/// assert_eq!(error.to_string(), r#"header name "X\r\nY" contains CR, LF or NUL"#);
/// match error {
///     HeaderError::ControlCharacter { part, value } => assert_eq!((part, value.as_str()), ("header name", "X\r\nY")),
///     HeaderError::NotLatin1 { .. } => unreachable!("the name is ASCII"),
///     HeaderError::NotToken { .. } => unreachable!("Headers takes any name"),
///     _ => unreachable!("no other check applies to a header name"),
/// }
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors the checks of `wsgiref.headers.Headers._convert_string_type`
/// (CPython 3.12 and later) and the header checks of
/// `BaseHandler.start_response`; spec: RFC 9110 §5.1 (field names), §5.5
/// (field values).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderError {
    /// The text contains CR, LF or NUL, which would end the header early.
    ControlCharacter {
        /// Which part: `"status"`, `"header name"`, `"header value"`,
        /// `"parameter name"` or `"parameter value"`.
        part: &'static str,
        /// The offending text.
        value: String,
    },
    /// The text has a character above U+00FF, which latin-1 cannot encode.
    NotLatin1 {
        /// Which part: `"status"`, `"header name"`, `"header value"`,
        /// `"parameter name"` or `"parameter value"`.
        part: &'static str,
        /// The offending text.
        value: String,
    },
    /// A header name that is not an RFC 9110 token (refused by
    /// `start_response`, not by [`Headers`]).
    NotToken {
        /// Which part: `"header name"`.
        part: &'static str,
        /// The offending text.
        value: String,
    },
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::ControlCharacter { part, value } => {
                write!(f, "{part} {value:?} contains CR, LF or NUL")
            }
            HeaderError::NotLatin1 { part, value } => {
                write!(f, "{part} {value:?} has a character above U+00FF (not latin-1)")
            }
            HeaderError::NotToken { part, value } => {
                write!(f, "{part} {value:?} is not a token (RFC 9110 section 5.1)")
            }
        }
    }
}

impl Error for HeaderError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        // Why: the bad text is the whole story; no lower-level error caused it.
        None
    }
}

/// Manage a collection of HTTP response headers: `(name, value)` pairs in
/// the order they were added, duplicates allowed, names compared without
/// regard to ASCII case.
///
/// Shapes: names and values are native strings (latin-1, each `char`
/// U+0000..U+00FF) without CR, LF or NUL; every method that adds a header
/// checks this and returns a [`HeaderError`] otherwise, leaving the headers
/// unchanged.
///
/// # Example
///
/// ```
/// use wsgiref::{Headers, StartResponse};
/// let mut headers = Headers::new([("Content-Type", "text/plain")])?;
/// headers.add_header("Content-Disposition", Some("attachment"), &[("filename", Some("bud.gif"))])?;
/// assert_eq!(headers.get("content-type"), Some("text/plain"));
/// assert_eq!(
///     headers.to_string(),
///     "Content-Type: text/plain\r\nContent-Disposition: attachment; filename=\"bud.gif\"\r\n\r\n"
/// );
/// let (start_response, seen) = StartResponse::recorder();
/// start_response.call("200 OK", headers.into_list())?;
/// assert_eq!(seen.headers().map(|headers| headers.len()), Some(2));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.headers.Headers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    headers: HeaderList,
}

impl Headers {
    /// Headers from a list of `(name, value)` pairs, kept in order.
    /// [`Headers::default`] is the empty list (Python's `Headers()`).
    ///
    /// # Errors
    ///
    /// [`HeaderError`] for the first name or value that has CR, LF, NUL or
    /// a character above U+00FF.
    ///
    /// # Example
    ///
    /// ```
    /// let headers = wsgiref::Headers::new([("x", "y")])?;
    /// assert_eq!(headers.len(), 1);
    /// assert!(wsgiref::Headers::new([("x", "y\n")]).is_err());
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.__init__`.
    pub fn new<I, K, V>(headers: I) -> Result<Headers, HeaderError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut list = HeaderList::new();
        for (name, value) in headers {
            let (name, value) = (name.into(), value.into());
            check_text("header name", &name)?;
            check_text("header value", &value)?;
            list.push((name, value));
        }
        Ok(Headers { headers: list })
    }

    /// The total number of headers, including duplicates.
    ///
    /// # Example
    ///
    /// ```
    /// let headers = wsgiref::Headers::new([("A", "1"), ("a", "2")])?;
    /// assert_eq!(headers.len(), 2);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.__len__`.
    pub fn len(&self) -> usize {
        self.headers.len()
    }

    /// Whether there are no headers at all.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(wsgiref::Headers::default().is_empty());
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors Python's truth test `not headers` (via `Headers.__len__`).
    pub fn is_empty(&self) -> bool {
        self.headers.is_empty()
    }

    /// Set the value of a header: remove every header named `name` (any
    /// case), then append `(name, value)` at the end.
    ///
    /// # Errors
    ///
    /// [`HeaderError`] when the name or value has CR, LF, NUL or a
    /// character above U+00FF; the headers are then left unchanged (CPython
    /// has already removed the old ones when it finds a bad value).
    ///
    /// # Example
    ///
    /// ```
    /// let mut headers = wsgiref::Headers::new([("Foo", "1"), ("Bar", "2"), ("foo", "3")])?;
    /// headers.set("FOO", "4")?;
    /// assert_eq!(headers.items(), [("Bar", "2"), ("FOO", "4")]);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.__setitem__`.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) -> Result<(), HeaderError> {
        let (name, value) = (name.into(), value.into());
        check_text("header name", &name)?;
        check_text("header value", &value)?;
        self.remove(&name);
        self.headers.push((name, value));
        Ok(())
    }

    /// Remove every header named `name` (any case); nothing happens when
    /// there is none.
    ///
    /// # Example
    ///
    /// ```
    /// let mut headers = wsgiref::Headers::new([("Foo", "1"), ("foo", "2")])?;
    /// headers.remove("FOO");
    /// headers.remove("missing");
    /// assert!(headers.is_empty());
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.__delitem__`.
    pub fn remove(&mut self, name: &str) {
        self.headers.retain(|(key, _)| !key.eq_ignore_ascii_case(name));
    }

    /// Whether there is a header named `name` (any case).
    ///
    /// # Example
    ///
    /// ```
    /// let headers = wsgiref::Headers::new([("Foo", "bar")])?;
    /// assert!(headers.contains("foo"));
    /// assert!(!headers.contains("bar"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.__contains__`.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Every value of the headers named `name` (any case), in the order
    /// they were added; empty when there is none. A header removed and set
    /// again comes last.
    ///
    /// # Example
    ///
    /// ```
    /// let headers = wsgiref::Headers::new([("Set-Cookie", "a=1"), ("Vary", "*"), ("set-cookie", "b=2")])?;
    /// assert_eq!(headers.get_all("SET-COOKIE"), ["a=1", "b=2"]);
    /// assert!(headers.get_all("Date").is_empty());
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.get_all`.
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The first value of the header named `name` (any case), or `None`.
    /// Python's `get(name, default)` is `get(name).unwrap_or(default)`.
    ///
    /// # Example
    ///
    /// ```
    /// let headers = wsgiref::Headers::new([("Foo", "bar"), ("foo", "baz")])?;
    /// assert_eq!(headers.get("FOO"), Some("bar"));
    /// assert_eq!(headers.get("zoo").unwrap_or("whee"), "whee");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.get` and `Headers.__getitem__`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Every header name, in order, duplicates included.
    ///
    /// # Example
    ///
    /// ```
    /// let headers = wsgiref::Headers::new([("A", "1"), ("B", "2"), ("a", "3")])?;
    /// assert_eq!(headers.keys(), ["A", "B", "a"]);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.keys`.
    pub fn keys(&self) -> Vec<&str> {
        self.headers.iter().map(|(key, _)| key.as_str()).collect()
    }

    /// Every header value, in order, duplicates included.
    ///
    /// # Example
    ///
    /// ```
    /// let headers = wsgiref::Headers::new([("A", "1"), ("B", "2")])?;
    /// assert_eq!(headers.values(), ["1", "2"]);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.values`.
    pub fn values(&self) -> Vec<&str> {
        self.headers.iter().map(|(_, value)| value.as_str()).collect()
    }

    /// Every `(name, value)` pair, in order, duplicates included. (Python
    /// returns a copy so callers cannot change the headers through it; a
    /// shared borrow gives the same guarantee.)
    ///
    /// # Example
    ///
    /// ```
    /// let headers = wsgiref::Headers::new([("A", "1")])?;
    /// assert_eq!(headers.items(), [("A", "1")]);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.items`.
    pub fn items(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect()
    }

    /// The headers as HTTP sends them, latin-1 encoded: `Name: value\r\n`
    /// for each, then `\r\n`.
    ///
    /// # Example
    ///
    /// ```
    /// let headers = wsgiref::Headers::new([("Content-Type", "text/plain; charset=latin-1"), ("X-Name", "Ren\u{e9}")])?;
    /// assert_eq!(
    ///     headers.to_bytes(),
    ///     b"Content-Type: text/plain; charset=latin-1\r\nX-Name: Ren\xe9\r\n\r\n"
    /// );
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.__bytes__`.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string()
            .chars()
            // Why: every name and value was checked to be latin-1 when it was
            // added, so the fallback never happens.
            .map(|c| u8::try_from(c).unwrap_or(b'?'))
            .collect()
    }

    /// The first value of the header named `name` (any case); when there
    /// is none, append `(name, value)` and return `value`.
    ///
    /// # Errors
    ///
    /// [`HeaderError`] when a header has to be added and its name or value
    /// has CR, LF, NUL or a character above U+00FF.
    ///
    /// # Example
    ///
    /// ```
    /// let mut headers = wsgiref::Headers::new([("Foo", "baz")])?;
    /// assert_eq!(headers.setdefault("foo", "whee")?, "baz");
    /// assert_eq!(headers.setdefault("zoo", "whee")?, "whee");
    /// assert_eq!(headers.get("Zoo"), Some("whee"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.setdefault`.
    pub fn setdefault(&mut self, name: impl Into<String>, value: impl Into<String>) -> Result<&str, HeaderError> {
        let name = name.into();
        let index = match self.headers.iter().position(|(key, _)| key.eq_ignore_ascii_case(&name)) {
            Some(index) => index,
            None => {
                let value = value.into();
                check_text("header name", &name)?;
                check_text("header value", &value)?;
                self.headers.push((name, value));
                self.headers.len() - 1
            }
        };
        Ok(&self.headers[index].1)
    }

    /// Extended header setting: append a header whose value is `value`
    /// followed by `; `-separated parameters.
    ///
    /// Shapes: each parameter is `(name, Some(value))`, written
    /// `name="value"` (quoted, with `\` and `"` escaped), or `(name, None)`
    /// (or an empty value), written `name` alone; underscores in parameter
    /// names become dashes, so `("max_age", ..)` gives `max-age`. A `value`
    /// of `None` leaves just the parameters.
    ///
    /// # Errors
    ///
    /// [`HeaderError`] when the name, value, a parameter name or a parameter
    /// value has CR, LF, NUL or a character above U+00FF.
    ///
    /// # Example
    ///
    /// ```
    /// let mut headers = wsgiref::Headers::default();
    /// headers.add_header("content-disposition", Some("attachment"), &[("filename", Some("bud.gif"))])?;
    /// headers.add_header("Cache-Control", None, &[("no_store", None)])?;
    /// assert_eq!(headers.get("Content-Disposition"), Some(r#"attachment; filename="bud.gif""#));
    /// assert_eq!(headers.get("cache-control"), Some("no-store"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `Headers.add_header` (with `_formatparam`); unlike
    /// `email.message`'s, it does not take `(charset, language, value)`
    /// triples.
    pub fn add_header(
        &mut self,
        name: &str,
        value: Option<&str>,
        params: &[(&str, Option<&str>)],
    ) -> Result<(), HeaderError> {
        check_text("header name", name)?;
        let mut parts = Vec::with_capacity(params.len() + 1);
        if let Some(value) = value {
            check_text("header value", value)?;
            parts.push(value.to_string());
        }
        for &(param, param_value) in params {
            check_text("parameter name", param)?;
            if let Some(param_value) = param_value {
                check_text("parameter value", param_value)?;
            }
            parts.push(format_param(&param.replace('_', "-"), param_value, true));
        }
        self.headers.push((name.to_string(), parts.join("; ")));
        Ok(())
    }

    /// Unwrap into the `(name, value)` list, as `start_response` takes it.
    ///
    /// # Example
    ///
    /// ```
    /// let headers = wsgiref::Headers::new([("A", "1")])?;
    /// let list: wsgiref::HeaderList = headers.into_list();
    /// assert_eq!(list, [("A".to_string(), "1".to_string())]);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn into_list(self) -> HeaderList {
        self.headers
    }
}

impl fmt::Display for Headers {
    /// The formatted headers, complete with the empty line that ends them,
    /// ready for HTTP: `Name: value\r\n` for each header, then `\r\n`.
    /// Mirrors `Headers.__str__`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, value) in &self.headers {
            write!(f, "{name}: {value}\r\n")?;
        }
        f.write_str("\r\n")
    }
}

impl From<Headers> for HeaderList {
    fn from(headers: Headers) -> HeaderList {
        headers.into_list()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // HeaderTests.testMappingInterface
    #[test]
    fn test_mapping_interface() {
        let test = [("x", "y")];
        assert_eq!(Headers::default().len(), 0);
        assert_eq!(Headers::new(HeaderList::new()).unwrap().len(), 0);
        assert_eq!(Headers::new(test).unwrap().len(), 1);
        assert_eq!(Headers::new(test).unwrap().keys(), ["x"]);
        assert_eq!(Headers::new(test).unwrap().values(), ["y"]);
        assert_eq!(Headers::new(test).unwrap().items(), test);
        // CPython: "must be copy!" (items() is not the list given). Here
        // `new` takes its own copy and `items` borrows; nothing to check.

        let mut h = Headers::default();
        h.remove("foo"); // should not raise an error

        h.set("Foo", "bar").unwrap();
        for name in ["foo", "Foo", "FOO"] {
            assert!(h.contains(name), "contains {name:?}");
            assert!(h.get(name).is_some(), "get {name:?}");
            assert!(!h.get_all(name).is_empty(), "get_all {name:?}");
        }
        assert!(!h.contains("bar"));
        assert!(h.get("bar").is_none());
        assert!(h.get_all("bar").is_empty());

        assert_eq!(h.get("foo"), Some("bar"));
        h.set("foo", "baz").unwrap();
        assert_eq!(h.get("FOO"), Some("baz"));
        assert_eq!(h.get_all("foo"), ["baz"]);

        assert_eq!(h.get("foo").unwrap_or("whee"), "baz");
        assert_eq!(h.get("zoo").unwrap_or("whee"), "whee");
        assert_eq!(h.setdefault("foo", "whee").unwrap(), "baz");
        assert_eq!(h.setdefault("zoo", "whee").unwrap(), "whee");
        assert_eq!(h.get("foo"), Some("baz"));
        assert_eq!(h.get("zoo"), Some("whee"));
    }

    // HeaderTests.testRequireList does not apply: CPython checks at run
    // time that `Headers("foo")` gets a list; here `Headers::new("foo")`
    // does not compile, because a `&str` is not an iterator of pairs.

    // HeaderTests.testExtras
    #[test]
    fn test_extras() {
        let mut h = Headers::default();
        assert_eq!(h.to_string(), "\r\n");

        h.add_header("foo", Some("bar"), &[("baz", Some("spam"))]).unwrap();
        assert_eq!(h.get("foo"), Some("bar; baz=\"spam\""));
        assert_eq!(h.to_string(), "foo: bar; baz=\"spam\"\r\n\r\n");

        h.add_header("Foo", Some("bar"), &[("cheese", None)]).unwrap();
        assert_eq!(h.get_all("foo"), ["bar; baz=\"spam\"", "bar; cheese"]);

        assert_eq!(h.to_string(), "foo: bar; baz=\"spam\"\r\nFoo: bar; cheese\r\n\r\n");
    }

    // HeaderTests.testRaisesControlCharacters (CPython 3.12 and later; 3.11
    // accepts anything). CPython loops over every C0 control character and
    // DEL; the characters refused here are CR, LF and NUL.
    #[test]
    fn test_raises_control_characters() {
        let mut headers = Headers::default();
        for c0 in ['\r', '\n', '\0'] {
            let bad_name = format!("key{c0}");
            let bad_value = format!("val{c0}");
            let bad_param = format!("param{c0}");
            let attempts = [
                ("set name", headers.set(bad_name.as_str(), "val")),
                ("set value", headers.set("key", bad_value.as_str())),
                (
                    "add_header name",
                    headers.add_header(&bad_name, Some("val"), &[("param", Some("param"))]),
                ),
                (
                    "add_header value",
                    headers.add_header("key", Some(&bad_value), &[("param", Some("param"))]),
                ),
                (
                    "add_header param value",
                    headers.add_header("key", Some("val"), &[("param", Some(&bad_param))]),
                ),
                (
                    "add_header param name",
                    headers.add_header("key", Some("val"), &[(&bad_param, Some("param"))]),
                ),
                (
                    "setdefault name",
                    headers.setdefault(bad_name.as_str(), "val").map(drop),
                ),
                (
                    "setdefault value",
                    headers.setdefault("key", bad_value.as_str()).map(drop),
                ),
                ("new name", Headers::new([(bad_name.as_str(), "val")]).map(drop)),
                ("new value", Headers::new([("key", bad_value.as_str())]).map(drop)),
            ];
            for (what, result) in attempts {
                assert!(
                    matches!(result, Err(HeaderError::ControlCharacter { .. })),
                    "{what} with {c0:?}: {result:?}"
                );
            }
            assert!(headers.is_empty(), "nothing added with {c0:?}");
        }
    }

    #[test]
    fn refused_set_leaves_headers_unchanged() {
        let mut headers = Headers::new([("Foo", "1")]).unwrap();
        assert!(headers.set("foo", "2\r\nX-Evil: 1").is_err());
        assert_eq!(headers.items(), [("Foo", "1")]);
    }

    #[test]
    fn tab_and_other_text_are_allowed() {
        let mut headers = Headers::default();
        headers.set("X-Tab", "a\tb").unwrap();
        headers.set("X-Latin-1", "caf\u{e9}").unwrap();
        assert_eq!(headers.to_bytes(), b"X-Tab: a\tb\r\nX-Latin-1: caf\xe9\r\n\r\n");
    }

    #[test]
    fn header_error_messages() {
        let cases = [
            (
                Headers::new([("X\r\nY", "1")]).unwrap_err(),
                r#"header name "X\r\nY" contains CR, LF or NUL"#,
            ),
            (
                Headers::new([("X", "a\0b")]).unwrap_err(),
                r#"header value "a\0b" contains CR, LF or NUL"#,
            ),
            (
                Headers::default().add_header("X", None, &[("p\n", None)]).unwrap_err(),
                r#"parameter name "p\n" contains CR, LF or NUL"#,
            ),
            (
                Headers::default()
                    .add_header("X", None, &[("p", Some("\u{20ac}"))])
                    .unwrap_err(),
                "parameter value \"\u{20ac}\" has a character above U+00FF (not latin-1)",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.to_string(), expected);
            assert!(error.source().is_none());
        }
    }

    #[test]
    fn add_header_matches_cpython() {
        // Expected text printed by CPython 3.11.7's str(Headers) after the
        // same add_header calls.
        let mut headers = Headers::default();
        headers
            .add_header(
                "Content-Disposition",
                Some("attachment"),
                &[
                    ("filename", Some("bud.gif")),
                    ("size", None),
                    ("x_y", Some("")),
                    ("z", Some("b\"c\\d")),
                ],
            )
            .unwrap();
        headers.add_header("X-Empty", None, &[]).unwrap();
        headers.add_header("X-Only", None, &[("a_b", None)]).unwrap();
        assert_eq!(
            headers.to_string(),
            "Content-Disposition: attachment; filename=\"bud.gif\"; size; x-y; z=\"b\\\"c\\\\d\"\r\n\
             X-Empty: \r\n\
             X-Only: a-b\r\n\
             \r\n"
        );
    }

    #[test]
    fn format_param_matches_cpython() {
        // Expected values printed by CPython 3.11.7's
        // _formatparam('p', value, 0) and _formatparam('p', value, 1).
        let cases = [
            (Some("plain"), "p=plain", "p=\"plain\""),
            (Some("a b"), "p=\"a b\"", "p=\"a b\""),
            (Some("a;b"), "p=\"a;b\"", "p=\"a;b\""),
            (Some("a/b"), "p=\"a/b\"", "p=\"a/b\""),
            (Some("q\""), "p=\"q\\\"\"", "p=\"q\\\"\""),
            (Some(""), "p", "p"),
            (None, "p", "p"),
        ];
        for (value, unquoted, quoted) in cases {
            assert_eq!(format_param("p", value, false), unquoted, "value {value:?}");
            assert_eq!(format_param("p", value, true), quoted, "value {value:?}");
        }
    }

    #[test]
    fn set_removes_every_case_and_appends() {
        // Expected items printed by CPython 3.11.7 after h['A'] = '4'.
        let mut headers = Headers::new([("A", "1"), ("b", "2"), ("a", "3")]).unwrap();
        headers.set("A", "4").unwrap();
        assert_eq!(headers.items(), [("b", "2"), ("A", "4")]);
        assert_eq!(headers.setdefault("B", "x").unwrap(), "2");
        assert_eq!(headers.len(), 2);
        assert_eq!(HeaderList::from(headers.clone()), headers.into_list());
    }
}
