//! The environ of one request, built once for the server and for
//! [`crate::testing::TestRequest`], so the two cannot drift apart.
//!
//! Mirrors `WSGIServer.setup_environ` (the keys every request shares) and
//! `WSGIRequestHandler.get_environ` (the keys of one request); spec: PEP
//! 3333 "environ Variables".

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use super::SERVER_SOFTWARE;
use crate::http::{RequestHead, RequestTarget, content_length};
use crate::types::Environ;
use crate::uri::unquote;

/// The environ keys that are the same for every request of a server:
/// `SERVER_NAME`, `GATEWAY_INTERFACE`, `SERVER_PORT`, `REMOTE_HOST`,
/// `CONTENT_LENGTH`, `SCRIPT_NAME`.
pub(crate) type BaseEnviron = BTreeMap<String, String>;

/// The base environ of a server listening on `address`, named as
/// `socket.getfqdn` would name it.
///
/// Mirrors `WSGIServer.setup_environ`.
pub(crate) fn setup_environ(address: SocketAddr) -> BaseEnviron {
    base_environ(getfqdn(&address.ip().to_string()), address.port())
}

/// The base environ for a server called `server_name` on `port`.
pub(crate) fn base_environ(server_name: String, port: u16) -> BaseEnviron {
    let mut environ = BTreeMap::new();
    environ.insert("SERVER_NAME".to_string(), server_name);
    environ.insert("GATEWAY_INTERFACE".to_string(), "CGI/1.1".to_string());
    environ.insert("SERVER_PORT".to_string(), port.to_string());
    environ.insert("REMOTE_HOST".to_string(), String::new());
    environ.insert("CONTENT_LENGTH".to_string(), String::new());
    environ.insert("SCRIPT_NAME".to_string(), String::new());
    environ
}

/// The environ for `head` from a client at `remote_addr`: the `base` keys,
/// the request's CGI keys and its `HTTP_*` keys. `wsgi.input` is left
/// empty: the caller knows where the body comes from (the socket, or a
/// test's bytes).
///
/// Mirrors `WSGIRequestHandler.get_environ`; spec: PEP 3333 "environ Variables".
pub(crate) fn get_environ(head: &RequestHead, base: &BaseEnviron, remote_addr: &str) -> Environ {
    let mut environ = Environ::new();
    for (key, value) in base {
        environ.insert(key.clone(), value.clone());
    }
    environ.insert("SERVER_PROTOCOL", format!("HTTP/1.{}", head.minor_version));
    environ.insert("SERVER_SOFTWARE", SERVER_SOFTWARE);
    environ.insert("REQUEST_METHOD", head.method.clone());
    let target = RequestTarget::parse(&head.target);
    if let Some(authority) = &target.authority {
        // RFC 9112 §3.2.2: the authority of an absolute-form target replaces Host.
        environ.insert("SERVER_NAME", authority_host(authority));
    }
    environ.insert("PATH_INFO", unquote(&target.path));
    environ.insert("QUERY_STRING", target.query.clone());
    environ.insert("REMOTE_ADDR", remote_addr);
    // CPython's server, not PEP 3333, defaults CONTENT_TYPE to text/plain.
    let content_type = head
        .get_all("Content-Type")
        .first()
        .map_or("text/plain", |v| v)
        .to_string();
    environ.insert("CONTENT_TYPE", content_type);
    if let Some(length) = normalised_content_length(head) {
        environ.insert("CONTENT_LENGTH", length);
    }
    add_http_headers(&mut environ, &head.headers, target.authority.as_deref());
    environ.multithread = true;
    environ
}

/// `CONTENT_LENGTH` as one plain decimal number: a list of identical
/// values (`Content-Length: 5, 5`, or the header twice), which RFC 9110
/// §8.6 lets a recipient take as one, gives `5`, so that
/// `int(environ['CONTENT_LENGTH'])` works (CPython passes `'5, 5'` on). A
/// single value is kept as sent (`05` too, as CPython). The server has
/// refused other lists already; a harness request that it would refuse
/// keeps its first value as sent.
fn normalised_content_length(head: &RequestHead) -> Option<String> {
    let values = head.get_all("Content-Length");
    let first = values.first().filter(|value| !value.is_empty())?;
    if values.len() == 1 && !first.contains(',') {
        return Some(first.to_string());
    }
    Some(content_length(&values).map_or_else(|_| first.to_string(), |length| length.to_string()))
}

/// `HTTP_*` keys: names uppercased with `-` → `_`, values stripped,
/// repeated headers joined with `,`. Names containing `_` are dropped
/// (ambiguous with `-`), and names that collide with CGI keys are skipped.
fn add_http_headers(environ: &mut Environ, headers: &[(String, String)], authority: Option<&str>) {
    for (name, value) in headers {
        if name.contains('_') {
            log::debug!(target: super::LOG_TARGET, "dropped request header {name:?}: names with '_' are ambiguous in the environ");
            continue;
        }
        let key = name.replace('-', "_").to_ascii_uppercase();
        if environ.contains_key(&key) || (authority.is_some() && key == "HOST") {
            continue;
        }
        let http_key = format!("HTTP_{key}");
        let value = python_strip(value);
        let joined = match environ.get(&http_key) {
            Some(previous) => format!("{previous},{value}"),
            None => value.to_string(),
        };
        environ.insert(http_key, joined);
    }
    if let Some(authority) = authority {
        environ.insert("HTTP_HOST", authority);
    }
}

/// `str.strip()` for latin-1 text: Python also strips `\x1c`-`\x1f`, `\x85` and `\xa0`.
fn python_strip(value: &str) -> &str {
    let is_space = |c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c);
    value.trim_matches(is_space)
}

/// The host part of an authority, without port or brackets.
fn authority_host(authority: &str) -> String {
    let without_userinfo = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(rest) = without_userinfo.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_string();
    }
    without_userinfo.split(':').next().unwrap_or_default().to_string()
}

/// A fully qualified name for `host`, as Python's `socket.getfqdn` finds it
/// through `/etc/hosts` (std has no reverse lookup; DNS is not consulted):
/// the first name of the first line with that address, or an alias of it
/// that contains a dot; `host` itself when nothing matches.
fn getfqdn(host: &str) -> String {
    let name = match host {
        "" | "0.0.0.0" | "::" => std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|name| name.trim().to_string())
            .unwrap_or_else(|_| host.to_string()),
        _ => host.to_string(),
    };
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let entries: Vec<Vec<&str>> = hosts
        .lines()
        .map(|line| {
            line.split('#')
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<&str>>()
        })
        .filter(|fields| fields.len() >= 2)
        .collect();
    // gethostbyaddr(name): a name is first resolved to its address.
    let address = match name.parse::<IpAddr>() {
        Ok(_) => name.clone(),
        Err(_) => match entries.iter().find(|fields| fields[1..].contains(&name.as_str())) {
            Some(fields) => fields[0].to_string(),
            None => return name,
        },
    };
    match entries.iter().find(|fields| fields[0] == address) {
        Some(fields) => fields[1..]
            .iter()
            .find(|alias| alias.contains('.'))
            .unwrap_or(&fields[1])
            .to_string(),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_hosts() {
        assert_eq!(authority_host("example.com:8080"), "example.com");
        assert_eq!(authority_host("[::1]:80"), "::1");
        assert_eq!(authority_host("user@host"), "host");
    }
}
