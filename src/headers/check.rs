//! The one header check of the crate: CR, LF and NUL refused, latin-1
//! only, names that are tokens.
//!
//! Part of [`crate::headers`]. [`Headers`](super::Headers) uses
//! [`check_text`]; `start_response` (`handlers`), the validator and the
//! test client use [`check_field`], [`is_token`] and [`is_latin1`].

use super::HeaderError;

/// Check one status, name, value or parameter before it is stored or
/// sent: no CR, LF or NUL (they would end the line early), nothing above
/// U+00FF (latin-1 cannot encode it). `part` names it in the error.
///
/// # Errors
///
/// [`HeaderError::ControlCharacter`] or [`HeaderError::NotLatin1`].
///
/// Mirrors `Headers._convert_string_type`, which CPython 3.12 and later
/// use to refuse control characters.
pub(crate) fn check_text(part: &'static str, text: &str) -> Result<(), HeaderError> {
    if text.contains(['\r', '\n', '\0']) {
        return Err(HeaderError::ControlCharacter {
            part,
            value: text.to_string(),
        });
    }
    if !is_latin1(text) {
        return Err(HeaderError::NotLatin1 {
            part,
            value: text.to_string(),
        });
    }
    Ok(())
}

/// Check a header as it goes on the wire: both parts pass [`check_text`]
/// (the name first, then the value), and the name is a token.
///
/// [`Headers`](super::Headers) does not call it: CPython's `Headers` takes any name, and so
/// does ours; `start_response` refuses a name that is not a token.
///
/// # Errors
///
/// [`check_text`]'s errors, then [`HeaderError::NotToken`].
///
/// Spec: RFC 9110 §5.1 (`field-name = token`), §5.5 (field values).
pub(crate) fn check_field(name: &str, value: &str) -> Result<(), HeaderError> {
    check_text("header name", name)?;
    check_text("header value", value)?;
    if !is_token(name) {
        return Err(HeaderError::NotToken {
            part: "header name",
            value: name.to_string(),
        });
    }
    Ok(())
}

/// > token = 1*tchar; tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+"
/// > / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
///
/// A header name, a method. Spec: RFC 9110 §5.6.2.
pub(crate) fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

/// A native string: every char is one latin-1 byte, U+0000..U+00FF.
///
/// Spec: PEP 3333 "A Note On String Types".
pub(crate) fn is_latin1(text: &str) -> bool {
    text.chars().all(|c| c <= '\u{ff}')
}
