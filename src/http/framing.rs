//! What a request head says about its target and its body: the target's
//! form and parts, `Host`, `Expect`, and how the body is framed.
//!
//! Spec: RFC 9112 §3.2 (target forms), §6 (message body); RFC 9110 §7.2
//! (`Host`), §8.6 (`Content-Length`), §10.1.1 (`Expect`).

use super::{RequestError, RequestHead, escape_for_log};

/// How the end of a request body is found (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// Exactly this many bytes (0 when the request declares no body).
    Length(u64),
    /// `Transfer-Encoding: chunked`, decoded by [`crate::Input`].
    Chunked,
}

/// Check the request's target, `Host`, `Expect` and body framing; return
/// how its body is framed.
///
/// # Errors
///
/// - 400: a target that is not origin-, absolute- or asterisk-form (the
///   last only with `OPTIONS`); an HTTP/1.1 request without exactly one
///   `Host`; a `Content-Length` that is not digits, or several different
///   ones; `Transfer-Encoding` with `Content-Length`, on HTTP/1.0, or
///   `chunked` not last.
/// - 413: a declared length above `max_body_bytes`.
/// - 417: an `Expect` other than `100-continue`.
/// - 501: `CONNECT`, or a transfer coding other than `chunked`.
///
/// Spec: RFC 9112 §3.2 (target forms), §3.2 and RFC 9110 §7.2 (`Host`),
/// §6.1-§6.3 (framing); RFC 9110 §10.1.1 (`Expect`).
pub fn check_request(head: &RequestHead, max_body_bytes: Option<u64>) -> Result<BodyFraming, RequestError> {
    check_target(head)?;
    let hosts = head.get_all("Host");
    if hosts.len() > 1 || (head.minor_version >= 1 && hosts.is_empty()) {
        return Err(RequestError::BadRequest(format!(
            "{} Host header fields; HTTP/1.1 needs exactly one",
            hosts.len()
        )));
    }
    if let Some(host) = hosts.first().filter(|host| !is_valid_host(host)) {
        return Err(RequestError::BadRequest(format!(
            "Host {:?} is not a host[:port] (RFC 9112 section 3.2)",
            escape_for_log(host)
        )));
    }
    for expect in head.get_all("Expect") {
        if !expect.eq_ignore_ascii_case("100-continue") {
            return Err(RequestError::ExpectationFailed(expect.to_string()));
        }
    }
    let framing = body_framing(head)?;
    if let (BodyFraming::Length(length), Some(max)) = (framing, max_body_bytes) {
        if length > max {
            return Err(RequestError::PayloadTooLarge(length));
        }
    }
    Ok(framing)
}

fn check_target(head: &RequestHead) -> Result<(), RequestError> {
    if head.method == "CONNECT" {
        return Err(RequestError::NotImplemented(
            "the CONNECT method (this is not a proxy)".into(),
        ));
    }
    let target = head.target.as_str();
    let well_formed = match target {
        "*" => head.method == "OPTIONS",
        _ if target.starts_with('/') => true,
        _ => RequestTarget::parse(target)
            .authority
            .is_some_and(|authority| is_valid_authority(&authority)),
    };
    if !well_formed {
        return Err(RequestError::BadRequest(format!(
            "request target {:?} is not allowed here",
            escape_for_log(target)
        )));
    }
    Ok(())
}

/// An absolute-form authority must name a host, with no userinfo
/// (RFC 9110 §4.2.1: "A sender MUST NOT generate the userinfo
/// subcomponent"; `@` is not in a host) and an empty host is invalid.
fn is_valid_authority(authority: &str) -> bool {
    !authority.is_empty() && !authority.starts_with(':') && is_valid_host(authority)
}

/// `Host = uri-host [ ":" port ]`, `uri-host = IP-literal / IPv4address /
/// reg-name`, `port = *DIGIT`; an empty value is allowed (a client sends
/// one when the target has no authority).
///
/// Spec: RFC 9112 §3.2, RFC 3986 §3.2.2 and §3.2.3.
fn is_valid_host(value: &str) -> bool {
    let (host_is_valid, port) = match value.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((literal, after)) => (is_ip_literal(literal), after),
            None => return false,
        },
        None => {
            let end = value.find(':').unwrap_or(value.len());
            (is_reg_name(&value[..end]), &value[end..])
        }
    };
    let port_is_valid = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    host_is_valid && port_is_valid
}

/// `reg-name = *( unreserved / pct-encoded / sub-delims )`, which also
/// covers `IPv4address`.
fn is_reg_name(host: &str) -> bool {
    let bytes = host.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'%' {
            let escape = bytes.get(i + 1..i + 3);
            if !escape.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
                return false;
            }
            i += 3;
            continue;
        }
        if !(byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&byte)) {
            return false;
        }
        i += 1;
    }
    true
}

/// `IP-literal = "[" ( IPv6address / IPvFuture ) "]"`, without its
/// brackets; `IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )`.
fn is_ip_literal(literal: &str) -> bool {
    if let Some(future) = literal.strip_prefix(['v', 'V']) {
        let Some((version, rest)) = future.split_once('.') else {
            return false;
        };
        let rest_is_valid = rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:".contains(&b));
        return !version.is_empty()
            && version.bytes().all(|b| b.is_ascii_hexdigit())
            && !rest.is_empty()
            && rest_is_valid;
    }
    literal.parse::<std::net::Ipv6Addr>().is_ok()
}

/// `Transfer-Encoding` and `Content-Length` rules (RFC 9112 §6.1-§6.3).
fn body_framing(head: &RequestHead) -> Result<BodyFraming, RequestError> {
    let lengths = head.get_all("Content-Length");
    let codings: Vec<String> = head
        .get_all("Transfer-Encoding")
        .iter()
        .flat_map(|value| value.split(','))
        .map(|coding| coding.trim().to_ascii_lowercase())
        .collect();
    if codings.is_empty() {
        return content_length(&lengths).map(BodyFraming::Length);
    }
    if !lengths.is_empty() {
        return Err(RequestError::BadRequest(
            "both Transfer-Encoding and Content-Length (request smuggling?)".into(),
        ));
    }
    if head.minor_version == 0 {
        return Err(RequestError::BadRequest(
            "Transfer-Encoding in an HTTP/1.0 request".into(),
        ));
    }
    if let Some(coding) = codings.iter().find(|coding| *coding != "chunked") {
        return Err(RequestError::NotImplemented(format!(
            "transfer coding {:?}",
            escape_for_log(coding)
        )));
    }
    if codings.len() > 1 {
        return Err(RequestError::BadRequest("chunked applied more than once".into()));
    }
    Ok(BodyFraming::Chunked)
}

/// `Content-Length = 1*DIGIT`; a list of identical values counts as one
/// (RFC 9110 §8.6), different values are an error.
pub(crate) fn content_length(values: &[&str]) -> Result<u64, RequestError> {
    let mut length = None;
    for value in values.iter().flat_map(|value| value.split(',')) {
        let value = value.trim_matches([' ', '\t']);
        let parsed = match value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
            true => value.parse::<u64>().ok(),
            false => None,
        };
        let Some(parsed) = parsed else {
            return Err(RequestError::BadRequest(format!(
                "Content-Length {:?} is not a number",
                escape_for_log(value)
            )));
        };
        if length.is_some_and(|length| length != parsed) {
            return Err(RequestError::BadRequest(
                "several different Content-Length values".into(),
            ));
        }
        length = Some(parsed);
    }
    Ok(length.unwrap_or(0))
}

/// A request target split into its parts (RFC 9112 §3.2).
///
/// Shapes: native strings, not yet percent-decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestTarget {
    /// The authority of an absolute-form target (`host:port`), else `None`.
    pub authority: Option<String>,
    /// The path, `/` when an absolute-form target has none.
    pub path: String,
    /// What follows the first `?`, or empty.
    pub query: String,
}

impl RequestTarget {
    /// Split `target` into authority, path and query. A leading `//`
    /// becomes `/`, as in CPython's `http.server` (so it is not taken as a
    /// scheme-relative URL).
    pub(crate) fn parse(target: &str) -> RequestTarget {
        let (authority, rest) = split_absolute_form(target);
        let rest = match rest.strip_prefix("//") {
            Some(_) => format!("/{}", rest.trim_start_matches('/')),
            None => rest.to_string(),
        };
        let (path, query) = match rest.split_once('?') {
            Some((path, query)) => (path.to_string(), query.to_string()),
            None => (rest, String::new()),
        };
        let path = if authority.is_some() && path.is_empty() {
            "/".to_string()
        } else {
            path
        };
        RequestTarget { authority, path, query }
    }
}

/// `absolute-form = absolute-URI` with an `http` or `https` scheme.
fn split_absolute_form(target: &str) -> (Option<String>, &str) {
    let scheme_end = target.find("://");
    let Some(scheme_end) = scheme_end else {
        return (None, target);
    };
    let scheme = &target[..scheme_end];
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return (None, target);
    }
    let after = &target[scheme_end + 3..];
    let authority_end = after.find(['/', '?']).unwrap_or(after.len());
    (Some(after[..authority_end].to_string()), &after[authority_end..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::parse_head;

    #[test]
    fn framing_from_content_length_and_host_required() {
        let head = parse_head(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", 100)
            .unwrap()
            .unwrap();
        assert_eq!(check_request(&head, None).unwrap(), BodyFraming::Length(5));
        let head = parse_head(b"GET / HTTP/1.1\r\n\r\n", 100).unwrap().unwrap();
        assert_eq!(check_request(&head, None).unwrap_err().status(), 400);
    }

    #[test]
    fn targets_split_into_parts() {
        let target = RequestTarget::parse("http://example.com:8080/a?b=1");
        assert_eq!(target.authority.as_deref(), Some("example.com:8080"));
        assert_eq!((target.path.as_str(), target.query.as_str()), ("/a", "b=1"));
        assert_eq!(RequestTarget::parse("//x//y").path, "/x//y");
        let target = RequestTarget::parse("/xyz?abc");
        assert_eq!((target.path.as_str(), target.query.as_str()), ("/xyz", "abc"));
    }
}
