//! The rules the validator checks: the environ before the application
//! runs, and each `start_response` call.
//!
//! Part of [`crate::validate`], whose docs list every rule; the functions
//! here keep validate.py's names and order.

use super::{Checked, ENVIRON_VARIABLES, OTHER_HTTP_FEATURES, START_RESPONSE, STRING_TYPES, Violation};
use crate::headers::{is_latin1, is_token};
use crate::types::{Environ, StartResponseError};
use crate::util::is_hop_by_hop;

/// Check the environ; returns its warnings.
///
/// The rule groups run in validate.py's order, so the first broken rule is
/// the one CPython would report.
///
/// Mirrors `wsgiref.validate.check_environ`; spec: PEP 3333 "environ Variables".
pub(super) fn check_environ(environ: &Environ) -> Checked {
    let mut warnings = Vec::new();
    check_required_keys(environ, &mut warnings)?;
    check_native_strings(environ)?;
    check_wsgi_keys(environ)?;
    check_request_method(environ, &mut warnings)?;
    check_path_prefixes(environ)?;
    check_content_length(environ)?;
    check_path_info_present(environ)?;
    Ok(warnings)
}

/// A broken rule of PEP 3333's "environ Variables" section.
fn environ_rule(rule: &'static str, message: String) -> Result<(), Violation> {
    Err(Violation::new(rule, ENVIRON_VARIABLES, message))
}

/// `REQUEST_METHOD`, `SERVER_NAME`, `SERVER_PORT` present; no
/// `HTTP_CONTENT_TYPE` / `HTTP_CONTENT_LENGTH`; warn without `QUERY_STRING`.
fn check_required_keys(environ: &Environ, warnings: &mut Vec<Violation>) -> Result<(), Violation> {
    for key in ["REQUEST_METHOD", "SERVER_NAME", "SERVER_PORT"] {
        if !environ.contains_key(key) {
            return environ_rule("environ_missing_key", format!("environ has no {key:?} key"));
        }
    }
    for key in ["HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"] {
        if environ.contains_key(key) {
            let message = format!("environ has the key {key:?} (use {:?} instead)", &key[5..]);
            return environ_rule("environ_http_content_key", message);
        }
    }
    if !environ.contains_key("QUERY_STRING") {
        warnings.push(Violation::new(
            "environ_query_string",
            ENVIRON_VARIABLES,
            "environ has no \"QUERY_STRING\" key; applications that parse it may fail".to_string(),
        ));
    }
    Ok(())
}

/// CGI values (keys without a `.`) are native strings.
///
/// Spec: PEP 3333 "A Note On String Types".
fn check_native_strings(environ: &Environ) -> Result<(), Violation> {
    for (key, value) in environ.vars() {
        // Why: keys with a `.` are extensions, whose values are not CGI's.
        if !key.contains('.') && !is_latin1(value) {
            let message = format!("environ value {key} = {value:?} has a character above U+00FF");
            return Err(Violation::new("environ_not_latin1", STRING_TYPES, message));
        }
    }
    Ok(())
}

/// `wsgi.version` is `(1, 0)`; `wsgi.url_scheme` is `http` or `https`.
fn check_wsgi_keys(environ: &Environ) -> Result<(), Violation> {
    if environ.version != (1, 0) {
        let message = format!("wsgi.version is {:?}, not (1, 0)", environ.version);
        return environ_rule("wsgi_version", message);
    }
    if environ.url_scheme != "http" && environ.url_scheme != "https" {
        let message = format!(
            "wsgi.url_scheme {:?} is neither \"http\" nor \"https\"",
            environ.url_scheme
        );
        return environ_rule("wsgi_url_scheme", message);
    }
    Ok(())
}

/// `REQUEST_METHOD` is a method token; warn when validate.py does not know it.
fn check_request_method(environ: &Environ, warnings: &mut Vec<Violation>) -> Result<(), Violation> {
    /// The methods validate.py knows; any other `REQUEST_METHOD` is a warning.
    const KNOWN_METHODS: [&str; 8] = ["GET", "HEAD", "POST", "OPTIONS", "PATCH", "PUT", "DELETE", "TRACE"];

    let method = environ.get("REQUEST_METHOD").unwrap_or_default();
    if !is_token(method) {
        return environ_rule(
            "request_method",
            format!("REQUEST_METHOD {method:?} is not a method token"),
        );
    }
    if !KNOWN_METHODS.contains(&method) {
        let message = format!("unknown REQUEST_METHOD {method:?}");
        warnings.push(Violation::new("request_method_unknown", ENVIRON_VARIABLES, message));
    }
    Ok(())
}

/// `SCRIPT_NAME` and `PATH_INFO` are empty or start with `/`.
fn check_path_prefixes(environ: &Environ) -> Result<(), Violation> {
    let script_name = environ.get("SCRIPT_NAME").unwrap_or_default();
    if !script_name.is_empty() && !script_name.starts_with('/') {
        let message = format!("SCRIPT_NAME {script_name:?} does not start with /");
        return environ_rule("script_name_slash", message);
    }
    let path_info = environ.get("PATH_INFO").unwrap_or_default();
    if !path_info.is_empty() && !path_info.starts_with('/') {
        return environ_rule(
            "path_info_slash",
            format!("PATH_INFO {path_info:?} does not start with /"),
        );
    }
    Ok(())
}

/// `CONTENT_LENGTH`, when not empty, is a whole number of bytes.
fn check_content_length(environ: &Environ) -> Result<(), Violation> {
    let content_length = environ.get("CONTENT_LENGTH").unwrap_or_default();
    if !content_length.bytes().all(|byte| byte.is_ascii_digit()) {
        let message = format!("CONTENT_LENGTH {content_length:?} is not a whole number of bytes");
        return environ_rule("content_length", message);
    }
    Ok(())
}

/// `PATH_INFO` is present when `SCRIPT_NAME` is empty, and `SCRIPT_NAME` is
/// not `/` (the root is `SCRIPT_NAME = ""`, `PATH_INFO = "/"`).
fn check_path_info_present(environ: &Environ) -> Result<(), Violation> {
    let script_name = environ.get("SCRIPT_NAME").unwrap_or_default();
    if script_name.is_empty() && !environ.contains_key("PATH_INFO") {
        let message = "environ has neither SCRIPT_NAME nor PATH_INFO (PATH_INFO should at least be \"/\")";
        return environ_rule("path_info_missing", message.to_string());
    }
    if script_name == "/" {
        let message = "SCRIPT_NAME is \"/\"; it should be \"\" and PATH_INFO should be \"/\"";
        return environ_rule("script_name_root", message.to_string());
    }
    Ok(())
}

/// Check one `start_response` call; returns its warnings, or the violation
/// with the [`StartResponseError`] the application sees.
pub(super) fn check_start_response(
    status: &str,
    headers: &[(String, String)],
    exc_info_given: bool,
    previous_calls: usize,
) -> Result<Vec<Violation>, (Violation, StartResponseError)> {
    let refused = |violation: Violation| {
        let refusal = StartResponseError::Refused(Box::new(violation.clone()));
        (violation, refusal)
    };
    if previous_calls > 0 && !exc_info_given {
        let message = format!("start_response({status:?}) called a second time without exc_info");
        return Err(refused(Violation::new("start_response_twice", START_RESPONSE, message)));
    }
    let warnings = check_status(status).map_err(refused)?;
    for (name, value) in headers {
        check_header(name, value).map_err(refused)?;
    }
    check_content_type(status, headers).map_err(refused)?;
    // check_exc_info: `Option<ExcInfo>` is always "a tuple or None".
    Ok(warnings)
}

/// > The status argument is an HTTP "status" string like "200 OK" [...] It
/// > must not contain control characters.
///
/// Mirrors `wsgiref.validate.check_status`; spec: PEP 3333 "The start_response() Callable".
pub(super) fn check_status(status: &str) -> Checked {
    let broken = |rule, message| Err(Violation::new(rule, START_RESPONSE, message));
    if status.chars().any(|c| c.is_ascii_control()) {
        return broken(
            "status_control_char",
            format!("status {status:?} contains a control character"),
        );
    }
    if !is_latin1(status) {
        let message = format!("status {status:?} has a character above U+00FF");
        return Err(Violation::new("status_not_latin1", STRING_TYPES, message));
    }
    let code = status.split_whitespace().next().unwrap_or_default();
    if code.len() != 3 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return broken("status_code", format!("status code {code:?} must be three digits"));
    }
    // Three ASCII digits always parse.
    if code.parse::<u16>().unwrap_or_default() < 100 {
        return broken("status_code_range", format!("status code {code:?} is below 100"));
    }
    let reason = status.get(4..).unwrap_or_default();
    let mut warnings = Vec::new();
    if status.get(3..4) != Some(" ") || reason.trim().is_empty() || status.trim() != status {
        let message = format!("status {status:?} should be three digits, one space and a reason phrase");
        warnings.push(Violation::new("status_reason", START_RESPONSE, message));
    }
    Ok(warnings)
}

/// > Each header_name must be a valid HTTP header field-name [...] Each
/// > header_value must not include any control characters.
///
/// Mirrors `wsgiref.validate.check_headers`; spec: PEP 3333 "The start_response() Callable".
fn check_header(name: &str, value: &str) -> Result<(), Violation> {
    let broken = |rule, message| Err(Violation::new(rule, START_RESPONSE, message));
    if name.eq_ignore_ascii_case("status") {
        let message = format!("header {name:?} (value {value:?}) is CGI's; WSGI gives the status to start_response");
        return broken("header_name_status", message);
    }
    if !is_token(name) {
        return broken("header_name_token", format!("header name {name:?} is not a token"));
    }
    if name.ends_with(['-', '_']) {
        return broken("header_name_end", format!("header name {name:?} ends in '-' or '_'"));
    }
    if let Some(bad) = value.chars().find(|c| c.is_ascii_control()) {
        let message = format!("header {name} value {value:?} contains the control character {bad:?}");
        return broken("header_value_control_char", message);
    }
    if !is_latin1(value) {
        let message = format!("header {name} value {value:?} has a character above U+00FF");
        return Err(Violation::new("header_value_not_latin1", STRING_TYPES, message));
    }
    if is_hop_by_hop(name) {
        let message = format!("hop-by-hop header {name:?} is for the server alone to send");
        return Err(Violation::new("hop_by_hop_header", OTHER_HTTP_FEATURES, message));
    }
    Ok(())
}

/// `Content-Type` is required when a response has content (not 1xx, 204,
/// 304) and forbidden for 204 and 304 (RFC 9110 §15.3.5, §15.4.5).
///
/// Mirrors `wsgiref.validate.check_content_type`.
pub(super) fn check_content_type(status: &str, headers: &[(String, String)]) -> Result<(), Violation> {
    let code = status.get(..3).unwrap_or_default();
    let has_content_type = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("Content-Type"));
    let no_content = code == "204" || code == "304";
    if has_content_type && no_content {
        let message = format!("Content-Type header in a {code} response, which has no content");
        return Err(Violation::new("content_type_forbidden", START_RESPONSE, message));
    }
    if !has_content_type && !no_content && !code.starts_with('1') {
        let message = format!("no Content-Type header in the {status:?} response");
        return Err(Violation::new("content_type_missing", START_RESPONSE, message));
    }
    Ok(())
}
