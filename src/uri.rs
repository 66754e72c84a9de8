//! Percent-encoding and -decoding for URIs: what Python's wsgiref gets from
//! `urllib.parse` (`quote`, `quote_from_bytes`, `quote_plus`, `unquote`).
//!
//! One place for it, so the server, `util::request_uri`, the test harness
//! and the static files agree byte for byte. The rules, from RFC 3986:
//!
//! > A percent-encoding mechanism is used to represent a data octet in a
//! > component when that octet's corresponding character is outside the
//! > allowed set or is being used as a delimiter of, or within, the
//! > component. A percent-encoded octet is encoded as a character triplet,
//! > consisting of the percent character "%" followed by the two
//! > hexadecimal digits representing that octet's numeric value. [...]
//! > For consistency, URI producers and normalizers should use uppercase
//! > hexadecimal digits for all percent-encodings.
//! >
//! > ```text
//! > pct-encoded = "%" HEXDIG HEXDIG
//! > unreserved  = ALPHA / DIGIT / "-" / "." / "_" / "~"
//! > ```
//!
//! Spec: RFC 3986 §2.1 (percent-encoding) and §2.3 (unreserved characters).
//!
//! Each function says which text encoding it works in: a PEP 3333 native
//! string stands for latin-1 bytes (one `char` per byte), while text a
//! person typed (a form field, a target in a test) is UTF-8.
//!
//! This module is a leaf: it uses nothing else from the crate.

/// The bytes a text stands for: each character up to U+00FF as its one
/// latin-1 byte, any other character as its UTF-8 bytes.
///
/// Shapes: a native string (PEP 3333: latin-1 `char`s) gives back exactly
/// the bytes it was made from; text with characters above U+00FF (which
/// CPython would refuse with `UnicodeEncodeError`) still gives bytes, as a
/// browser would send them.
///
/// Spec: PEP 3333 "Unicode Issues"; Python's `str.encode('iso-8859-1')`
/// where that succeeds.
pub(crate) fn text_to_bytes(text: &str) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(text.len());
    for c in text.chars() {
        match u8::try_from(c) {
            Ok(byte) => bytes.push(byte),
            Err(_) => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    bytes
}

/// Percent-encode a native string, as Python's
/// `urllib.parse.quote(text, safe, encoding='latin1')` does.
///
/// Shapes: `text` is taken as its latin-1 bytes ([`text_to_bytes`]); every
/// byte except ASCII letters, digits, `_.-~` and the ASCII characters in
/// `safe` becomes `%XX` (upper-case hex). Returns ASCII.
///
/// Mirrors `urllib.parse.quote`.
pub(crate) fn quote(text: &str, safe: &str) -> String {
    quote_from_bytes(&text_to_bytes(text), safe)
}

/// Percent-encode bytes: ASCII letters, digits, `_.-~` and the ASCII
/// characters in `safe` stay, every other byte becomes `%XX` (upper-case
/// hex). Returns ASCII.
///
/// For text typed by a person, pass `text.as_bytes()`: that is Python's
/// `quote(text, safe)` with its default UTF-8.
///
/// Mirrors `urllib.parse.quote_from_bytes`.
pub(crate) fn quote_from_bytes(bytes: &[u8], safe: &str) -> String {
    let mut quoted = String::with_capacity(bytes.len());
    for &byte in bytes {
        let unreserved = byte.is_ascii_alphanumeric() || b"_.-~".contains(&byte);
        // Why `is_ascii`: Python drops non-ASCII characters from `safe`.
        if unreserved || (byte.is_ascii() && safe.as_bytes().contains(&byte)) {
            quoted.push(char::from(byte));
        } else {
            quoted.push_str(&format!("%{byte:02X}"));
        }
    }
    quoted
}

/// Encode a form name or value: UTF-8, a space as `+`, everything but
/// ASCII letters, digits and `_.-~` as `%XX` (so `/` too). Returns ASCII.
///
/// Mirrors `urllib.parse.quote_plus(text)` (what `urlencode` uses); spec:
/// WHATWG URL "application/x-www-form-urlencoded serializing".
pub(crate) fn quote_plus(text: &str) -> String {
    // As CPython does it: spaces are kept by `quote`, then replaced.
    quote_from_bytes(text.as_bytes(), " ").replace(' ', "+")
}

/// Percent-decode a native string: each `%XX` becomes the one latin-1
/// `char` of that byte; a `%` not followed by two hex digits stays as it
/// is, and so does every other character.
///
/// Shapes: `"/caf%C3%A9"` gives `"/caf\u{c3}\u{a9}"` (PEP 3333 native
/// string: the bytes, not the decoded UTF-8).
///
/// Mirrors `urllib.parse.unquote(text, 'iso-8859-1')`.
pub(crate) fn unquote(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '%' && i + 2 < chars.len() {
            let hex: String = chars[i + 1..=i + 2].iter().collect();
            if hex.chars().all(|c| c.is_ascii_hexdigit()) {
                out.push(char::from(u8::from_str_radix(&hex, 16).unwrap_or_default()));
                i += 3;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_like_python() {
        // Moved from simple_server's test of the same name: the server's
        // decoding and this one must agree.
        let cases = [
            ("/a%20b", "/a b"),
            ("/caf%C3%A9", "/caf\u{c3}\u{a9}"),
            ("/%zz%2", "/%zz%2"),
            ("/%", "/%"),
            ("/%4", "/%4"),
            ("/%41", "/A"),
            ("/%2F", "//"),
        ];
        for (input, expected) in cases {
            assert_eq!(unquote(input), expected, "input {input:?}");
        }
        // Not in the server's test: lower-case hex, an escape at the very
        // end, and characters above U+00FF left as they are.
        let more = [("%2f%41", "/A"), ("a%41", "aA"), ("\u{20ac}%20", "\u{20ac} ")];
        for (input, expected) in more {
            assert_eq!(unquote(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn quote_latin1_and_utf8() {
        // Expected values printed by CPython 3.11.7's
        // quote('/sp\xe4m', encoding='latin1') and quote('/sp\xe4m').
        assert_eq!(quote("/sp\u{e4}m", "/"), "/sp%E4m");
        assert_eq!(quote_from_bytes("/sp\u{e4}m".as_bytes(), "/"), "/sp%C3%A4m");
        assert_eq!(quote_from_bytes(b"a b/%41", "/%"), "a%20b/%41");
        // Non-ASCII characters in `safe` do not make any byte safe.
        assert_eq!(quote("\u{e9}", "\u{e9}"), "%E9");
        assert_eq!(quote_from_bytes(&[0x80, 0xff], ""), "%80%FF");
    }

    #[test]
    fn quote_plus_like_python() {
        // Expected values printed by CPython 3.11.7's quote_plus.
        let cases = [
            ("a b", "a+b"),
            ("c&d", "c%26d"),
            ("\u{e9}", "%C3%A9"),
            ("~*/", "~%2A%2F"),
            ("a+b", "a%2Bb"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(quote_plus(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn text_to_bytes_latin1_else_utf8() {
        assert_eq!(text_to_bytes("caf\u{e9}"), b"caf\xe9");
        assert_eq!(text_to_bytes("\u{0}\u{ff}"), b"\x00\xff");
        assert_eq!(text_to_bytes("\u{20ac}"), "\u{20ac}".as_bytes());
        assert_eq!(text_to_bytes(""), b"");
    }
}
