//! The checks `start_response` makes before it stores a status and headers.
//!
//! Mirrors the `assert`s of `wsgiref.handlers.BaseHandler.start_response`
//! (status and header types, no hop-by-hop headers), plus what this server
//! also refuses: CR, LF or NUL, text that is not latin-1, header names that
//! are not tokens (one check for all three: [`crate::headers`]'s
//! `check_text` and `check_field`) and a `Content-Length` it cannot rely on.
//!
//! # Design notes
//!
//! - A separate file so `handlers.rs` keeps to `BaseHandler`'s steps; the
//!   checks return [`StartResponseError`], whose `Header` variant wraps the
//!   [`HeaderError`](crate::HeaderError) of the shared header check.

use crate::headers::{check_field, check_text};
use crate::types::{HeaderList, StartResponseError};
use crate::util::is_hop_by_hop;

/// `status = 3DIGIT SP reason-phrase`, latin-1, no CR/LF/NUL, not 1xx.
///
/// Mirrors `assert type(status) is str` and `assert len(status)>=4` in
/// `BaseHandler.start_response`; spec: PEP 3333 "The start_response() Callable".
pub(super) fn check_status(status: &str) -> Result<(), StartResponseError> {
    check_text("status", status)?;
    let bytes = status.as_bytes();
    let well_formed = bytes.len() >= 4 && bytes[..3].iter().all(u8::is_ascii_digit) && bytes[3] == b' ';
    if !well_formed {
        return Err(StartResponseError::BadStatus(status.to_string()));
    }
    if bytes[0] < b'2' {
        return Err(StartResponseError::InformationalStatus(status.to_string()));
    }
    Ok(())
}

/// A header name must be a token; neither part may hold CR, LF or NUL, or
/// leave latin-1; hop-by-hop headers are the server's.
///
/// Mirrors `assert not is_hop_by_hop(name)` in `BaseHandler.start_response`;
/// spec: PEP 3333 "Other HTTP Features".
pub(super) fn check_header(name: &str, value: &str) -> Result<(), StartResponseError> {
    check_field(name, value)?;
    if is_hop_by_hop(name) {
        return Err(StartResponseError::HopByHop(name.to_string()));
    }
    Ok(())
}

/// At most one `Content-Length`, and it is `1*DIGIT` (RFC 9110 §8.6): the
/// server relies on it to cut or flag a body of the wrong length.
pub(super) fn check_content_length(headers: &HeaderList) -> Result<(), StartResponseError> {
    let mut lengths = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("Content-Length"));
    if let Some((_, value)) = lengths.next() {
        let digits = value.trim_matches([' ', '\t']);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.parse::<u64>().is_err() {
            return Err(StartResponseError::BadContentLength(value.clone()));
        }
    }
    if let Some((_, value)) = lengths.next() {
        return Err(StartResponseError::BadContentLength(format!("a second value, {value}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headers::HeaderError;
    use std::error::Error;

    #[test]
    fn header_errors_wrap_the_header_check() {
        /// Which check refused it.
        fn kind(error: &HeaderError) -> &'static str {
            match error {
                HeaderError::ControlCharacter { .. } => "control",
                HeaderError::NotLatin1 { .. } => "latin-1",
                HeaderError::NotToken { .. } => "token",
            }
        }
        // (name, value, the text the error shows, which check refused it)
        let cases = [
            (
                "A\r\nB",
                "b",
                r#"header name "A\r\nB" contains CR, LF or NUL"#,
                "control",
            ),
            (
                "A B",
                "b\nc",
                r#"header value "b\nc" contains CR, LF or NUL"#,
                "control",
            ),
            (
                "A",
                "\u{20ac}",
                "header value \"\u{20ac}\" has a character above U+00FF (not latin-1)",
                "latin-1",
            ),
            (
                "A B",
                "b",
                r#"header name "A B" is not a token (RFC 9110 section 5.1)"#,
                "token",
            ),
        ];
        for (name, value, text, expected_kind) in cases {
            let error = check_header(name, value).unwrap_err();
            assert_eq!(error.to_string(), text, "header {name:?}: {value:?}");
            let source = error.source().and_then(|source| source.downcast_ref::<HeaderError>());
            assert_eq!(source.map(kind), Some(expected_kind), "header {name:?}: {value:?}");
            // The log line shows the text once, not "text: text".
            assert_eq!(super::super::error_chain(&error), text);
        }
    }

    #[test]
    fn status_errors() {
        let cases = [
            ("200 OK\r\nX: y", r#"status "200 OK\r\nX: y" contains CR, LF or NUL"#),
            (
                "200",
                r#"status "200" is not a 3-digit code, a space and a reason phrase"#,
            ),
            (
                "100 Continue",
                r#"status "100 Continue" is informational (1xx), which applications cannot send"#,
            ),
        ];
        for (status, text) in cases {
            assert_eq!(check_status(status).unwrap_err().to_string(), text);
        }
        assert!(check_status("200 OK").is_ok());
    }
}
