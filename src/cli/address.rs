//! Where to listen: Django's `[ADDR:]PORT` shortcut, URLs with IPv6
//! brackets, and bind errors as one plain sentence.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, ToSocketAddrs};

/// Parse Django's `[ADDR:]PORT`: `8080`, `0.0.0.0:8000`, `[::1]:8000`,
/// `localhost:8000`; `0:8000` is short for `0.0.0.0:8000`. Returns the
/// host (when given) and the port.
///
/// Mirrors the `naiveip_re` of Django's `runserver`.
pub fn parse_addrport(text: &str) -> Result<(Option<String>, u16), String> {
    let parse_port = |port: &str| {
        port.parse::<u16>().map_err(|_| {
            format!("invalid port {port:?} in {text:?}; expected [ADDR:]PORT, such as 8000 or 0.0.0.0:8000")
        })
    };
    if let Some(rest) = text.strip_prefix('[') {
        let Some((host, port)) = rest.split_once("]:") else {
            return Err(format!(
                "invalid address {text:?}; an IPv6 address takes a port: [::1]:8000"
            ));
        };
        return Ok((Some(host.to_string()), parse_port(port)?));
    }
    match text.rsplit_once(':') {
        None => Ok((None, parse_port(text)?)),
        Some((host, _)) if host.contains(':') => Err(format!(
            "invalid address {text:?}; put an IPv6 address in brackets: [::1]:8000"
        )),
        Some(("", port)) => Ok((None, parse_port(port)?)),
        Some(("0", port)) => Ok((Some("0.0.0.0".to_string()), parse_port(port)?)),
        Some((host, port)) => Ok((Some(host.to_string()), parse_port(port)?)),
    }
}

/// Bind and listen on `host` and `port` (`""` for every IPv4 address, 0
/// for a free port) with `backlog` (see [`set_backlog`]; a backlog that
/// cannot be set is warned about, not an error). The error is one
/// sentence to print (exit status 1): an unknown host, or see
/// [`bind_error_message`].
///
/// Used by the server and, with `--reload`, by the reloader, which keeps
/// the socket and hands it to each child: so both report the same errors.
pub fn listen(host: &str, port: u16, backlog: i32) -> Result<TcpListener, String> {
    check_host(host, port)?;
    let resolved = if host.is_empty() { "0.0.0.0" } else { host };
    let addresses: Vec<SocketAddr> = (resolved, port)
        .to_socket_addrs()
        .map_err(|error| unknown_host(resolved, &error.to_string()))?
        .collect();
    let listener = TcpListener::bind(&addresses[..]).map_err(|error| bind_error_message(&error, host, port))?;
    if let Err(error) = set_backlog(&listener, backlog) {
        say!("wsgiref: could not set the listen backlog to {backlog}: {error}; it stays 128");
    }
    Ok(listener)
}

/// Let the kernel queue up to `backlog` connections that no worker has
/// accepted yet: the listen backlog. Why: std's `TcpListener::bind` asks
/// for 128, and when more clients connect at once than workers plus 128,
/// the others get their SYNs dropped and retry a second later. Calling
/// `listen()` again on a listening socket only changes its backlog; the
/// kernel caps it at `net.core.somaxconn` (4096 on Linux 5.4 and later).
///
/// A value above the C library's `SOMAXCONN` (4096 with glibc, 128 on
/// macOS and musl) is lowered to it, as the kernel would do anyway.
///
/// Mirrors gunicorn's `--backlog` (2048 there; nginx asks for 511).
#[cfg(unix)]
pub fn set_backlog(listener: &TcpListener, backlog: i32) -> io::Result<()> {
    use nix::sys::socket::{Backlog, listen};
    let most: i32 = Backlog::MAXCONN.into();
    let backlog = Backlog::new(backlog.clamp(1, most))?;
    Ok(listen(listener, backlog)?)
}

/// Elsewhere the backlog stays std's 128.
#[cfg(not(unix))]
pub fn set_backlog(_listener: &TcpListener, _backlog: i32) -> io::Result<()> {
    Err(io::Error::other("--backlog needs a Unix system"))
}

/// `127.0.0.1:8000`, `[::1]:8000` or `localhost:8000`: a host and port as a
/// URL or a message writes them.
pub fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `http://127.0.0.1:8000/` or `http://[::1]:8000/`.
pub fn url(ip: IpAddr, port: u16) -> String {
    format!("http://{}/", host_port(&ip.to_string(), port))
}

/// Check that `host` resolves, so an unknown host gets its own sentence
/// (std reports a failed lookup as an uncategorised error).
pub fn check_host(host: &str, port: u16) -> Result<(), String> {
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    match (host, port).to_socket_addrs() {
        Ok(mut addresses) => match addresses.next() {
            Some(_) => Ok(()),
            None => Err(unknown_host(host, "it has no address")),
        },
        Err(error) => Err(unknown_host(host, &error.to_string())),
    }
}

fn unknown_host(host: &str, why: &str) -> String {
    format!(
        "Cannot find the host {host:?} to listen on ({why}). Check the spelling of --host, or give an address such as 127.0.0.1."
    )
}

/// One plain sentence for an error of binding `host` and `port`: what went
/// wrong with which address, and what to do.
///
/// After Django's and Werkzeug's messages (Werkzeug PR 2321).
pub fn bind_error_message(error: &io::Error, host: &str, port: u16) -> String {
    let address = host_port(if host.is_empty() { "0.0.0.0" } else { host }, port);
    match error.kind() {
        io::ErrorKind::AddrInUse => {
            let other = if port == u16::MAX { 8000 } else { port + 1 };
            format!(
                "Port {port} is in use by another program (cannot listen on {address}). Stop it or start the server with --port {other} (or --port 0 for any free port)."
            )
        }
        io::ErrorKind::PermissionDenied if port < 1024 => format!(
            "You don't have permission to listen on {address}: ports below 1024 need administrator rights. Start the server with a port above 1023, such as --port 8000."
        ),
        io::ErrorKind::PermissionDenied => format!(
            "You don't have permission to listen on {address}. Try another port, such as --port 0 for any free port."
        ),
        io::ErrorKind::AddrNotAvailable => {
            let ipv6 = if host.contains(':') {
                " (or IPv6 is turned off)"
            } else {
                ""
            };
            format!(
                "The address {host} is not an address of this machine{ipv6}, so the server cannot listen on {address}. Use --host 127.0.0.1 (this machine only) or --host 0.0.0.0 (every network interface)."
            )
        }
        _ => format!("Cannot listen on {address}: {error}."),
    }
}

/// Every URL a server bound to `address` answers at: the address itself,
/// or for `0.0.0.0` and `::`, the loopback URL first and then each
/// address of this machine of the same family (link-local IPv6 addresses
/// left out: a browser cannot open them without a zone).
///
/// As Werkzeug's `log_startup` prints them.
pub fn urls(address: SocketAddr) -> Vec<String> {
    let port = address.port();
    let ip = address.ip();
    if !ip.is_unspecified() {
        return vec![url(ip, port)];
    }
    let loopback = match ip {
        IpAddr::V4(_) => IpAddr::from([127, 0, 0, 1]),
        IpAddr::V6(_) => IpAddr::from(std::net::Ipv6Addr::LOCALHOST),
    };
    let mut urls = vec![url(loopback, port)];
    let interfaces = if_addrs::get_if_addrs().unwrap_or_default();
    for interface in interfaces {
        let local = interface.ip();
        let same_family = local.is_ipv4() == ip.is_ipv4();
        if same_family && !local.is_loopback() && !interface.is_link_local() {
            let local_url = url(local, port);
            if !urls.contains(&local_url) {
                urls.push(local_url);
            }
        }
    }
    urls
}

/// Whether `host` resolves only to loopback addresses (`127.0.0.1`,
/// `localhost`, `::1`): then only this machine can reach the server, and the
/// development error page is safe to show.
pub fn is_loopback(host: &str, port: u16) -> bool {
    use std::net::ToSocketAddrs;
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    match (host, port).to_socket_addrs() {
        Ok(addresses) => {
            let addresses: Vec<_> = addresses.collect();
            !addresses.is_empty() && addresses.iter().all(|address| address.ip().is_loopback())
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addrport_forms() {
        let cases = [
            ("8080", Some((None, 8080))),
            ("0.0.0.0:8000", Some((Some("0.0.0.0"), 8000))),
            ("0:8000", Some((Some("0.0.0.0"), 8000))),
            ("[::1]:8000", Some((Some("::1"), 8000))),
            ("[::]:0", Some((Some("::"), 0))),
            ("localhost:8001", Some((Some("localhost"), 8001))),
            (":8002", Some((None, 8002))),
            ("::1:8000", None),
            ("[::1]", None),
            ("http", None),
            ("localhost:", None),
            ("70000", None),
        ];
        for (text, expected) in cases {
            let parsed = parse_addrport(text).ok();
            let parsed = parsed.as_ref().map(|(host, port)| (host.as_deref(), *port));
            assert_eq!(parsed, expected, "input {text:?}");
        }
    }

    #[test]
    fn urls_bracket_ipv6() {
        assert_eq!(
            urls(SocketAddr::from(([127, 0, 0, 1], 8000))),
            ["http://127.0.0.1:8000/"]
        );
        let v6 = SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, 8000));
        assert_eq!(urls(v6), ["http://[::1]:8000/"]);
        let any = urls(SocketAddr::from(([0, 0, 0, 0], 8000)));
        assert_eq!(any[0], "http://127.0.0.1:8000/");
        let any6 = urls(SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 8000)));
        assert_eq!(any6[0], "http://[::1]:8000/");
        assert!(any6.iter().all(|url| url.starts_with("http://[")));
    }

    #[test]
    fn bind_errors_are_sentences() {
        let in_use = io::Error::from(io::ErrorKind::AddrInUse);
        assert_eq!(
            bind_error_message(&in_use, "127.0.0.1", 8000),
            "Port 8000 is in use by another program (cannot listen on 127.0.0.1:8000). Stop it or start the server with --port 8001 (or --port 0 for any free port)."
        );
        let denied = io::Error::from(io::ErrorKind::PermissionDenied);
        assert!(bind_error_message(&denied, "0.0.0.0", 80).contains("0.0.0.0:80"));
        let not_here = io::Error::from(io::ErrorKind::AddrNotAvailable);
        assert!(bind_error_message(&not_here, "::1", 80).contains("[::1]:80"));
    }
}
