//! What the server writes itself: the answer to a request it refuses, and
//! the access-log line of every request.

use std::io::{self, Write};
use std::time::SystemTime;

use super::RequestError;

/// Escape control characters (and `\`) as CPython's `log_message` does, so
/// a client cannot forge log lines.
///
/// Mirrors `http.server.BaseHTTPRequestHandler._control_char_table`.
pub(crate) fn escape_for_log(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c < ' ' || ('\u{7f}'..'\u{a0}').contains(&c) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The reason phrase for the statuses the server itself sends.
///
/// Spec: RFC 9110 §15; RFC 6585 §5 for 431.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        414 => "URI Too Long",
        417 => "Expectation Failed",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

/// Write the response for a request the server refuses: a short
/// `text/plain` page saying why, with `Connection: close`. Returns the
/// body's size in bytes, for the access log.
///
/// # Errors
///
/// An `io::Error` when the client is gone.
pub(crate) fn write_error_response(
    out: &mut impl Write,
    error: &RequestError,
    server_software: &str,
) -> io::Result<u64> {
    let status = error.status();
    let body = format!("{status} {}: {error}\n", reason_phrase(status));
    let response = format!(
        "HTTP/1.1 {status} {}\r\nDate: {}\r\nServer: {server_software}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        reason_phrase(status),
        crate::date::format_date_time(SystemTime::now()),
        body.len(),
    );
    out.write_all(response.as_bytes())?;
    out.flush()?;
    Ok(body.len() as u64)
}

/// The log target of the access log lines: turn them off with a filter on
/// it (`RUST_LOG=info,wsgiref::access=off`, or `wsgiref --no-access-log`).
pub const ACCESS_LOG_TARGET: &str = "wsgiref::access";

/// Log one access-log line at `info` level, target `wsgiref::access`, in
/// `BaseHTTPRequestHandler.log_message` form:
/// `127.0.0.1 - - [22/Nov/2026 18:16:30] "GET /xyz?abc HTTP/1.1" 200 1234`.
///
/// Shapes: `size` is body bytes sent, `None` prints `-`. The time is UTC
/// (CPython prints local time; std has no time zone database). The record
/// also carries `status` as a key-value (`log`'s `kv`), so a logger can
/// colour the line by status class without parsing it. A response cut off
/// before its end (`complete` false: an error after the headers, a short
/// body, a client gone) gets ` (cut off)` after its size, so the log never
/// shows a broken download as a good one.
///
/// Mirrors `http.server.BaseHTTPRequestHandler.log_request`.
pub(crate) fn log_request(client_address: &str, request_line: &str, status: u16, size: Option<u64>, complete: bool) {
    // Why ask first: formatting the date and the line costs more than the
    // question, and the log may be off (`wsgiref --no-access-log`).
    if !log::log_enabled!(target: ACCESS_LOG_TARGET, log::Level::Info) {
        return;
    }
    let size = size.map_or("-".to_string(), |size| size.to_string());
    let marker = if complete { "" } else { " (cut off)" };
    log::info!(
        target: ACCESS_LOG_TARGET,
        status = status;
        "{client_address} - - [{}] \"{}\" {status} {size}{marker}",
        crate::date::log_date_time_string(SystemTime::now()),
        escape_for_log(request_line)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_for_the_log() {
        assert_eq!(escape_for_log("GET /\r\nx"), "GET /\\x0d\\x0ax");
        assert_eq!(escape_for_log("a\\b"), "a\\\\b");
    }

    #[test]
    fn error_response_has_status_line_and_length() {
        assert_eq!(reason_phrase(431), "Request Header Fields Too Large");
        let mut out = Vec::new();
        let size = write_error_response(&mut out, &RequestError::RequestLineTooLong, "wsgiref").unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 414 URI Too Long\r\nDate: "), "{text}");
        assert!(
            text.ends_with("\r\n\r\n414 URI Too Long: request line too long\n"),
            "{text}"
        );
        assert!(text.contains(&format!("\r\nContent-Length: {size}\r\n")));
    }
}
