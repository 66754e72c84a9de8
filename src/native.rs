//! Native strings: the latin-1 `str` values of PEP 3333, and Python's `repr`.
//!
//! PEP 3333 gives every environ value as a *native string*: one `char`
//! U+0000..U+00FF per byte of the request, as Python's
//! `bytes.decode('iso-8859-1')` makes them. These helpers convert between
//! those strings and bytes, and print them as Python's `repr` does (what
//! `demo_app` and the protocol trace show).
//!
//! The public paths are `wsgiref::util::from_latin1` and so on: `util`
//! re-exports them, as wsgiref keeps such helpers in `wsgiref.util`.
//!
//! # Design notes
//!
//! - A leaf module: it uses nothing from this crate, so `types` (which
//!   needs `python_repr` for `Environ`'s `Debug`) and `util` (which builds
//!   on `types`) can both use it without importing each other.

use std::error::Error;

/// Turn bytes into a native string: each byte becomes one `char`
/// U+0000..U+00FF (latin-1), as PEP 3333 asks for environ values.
///
/// # Example
///
/// ```
/// assert_eq!(wsgiref::util::from_latin1(b"caf\xc3\xa9"), "caf\u{c3}\u{a9}");
/// # Ok::<(), wsgiref::AppError>(())
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
/// assert_eq!(wsgiref::util::to_bytes("/caf\u{c3}\u{a9}").as_deref(), Some(&b"/caf\xc3\xa9"[..]));
/// assert_eq!(wsgiref::util::to_bytes("\u{20ac}"), None);
/// # Ok::<(), wsgiref::AppError>(())
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
/// A message (an [`AppError`](crate::AppError)) naming the value when it
/// is not latin-1 or its bytes are not valid UTF-8.
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
pub fn decode_utf8(native: &str) -> Result<String, Box<dyn Error + Send + Sync>> {
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
/// # Ok::<(), wsgiref::AppError>(())
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
