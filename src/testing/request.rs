//! [`TestRequest`]: a request built in code, as bytes for a server and as
//! the environ the server would make of them.

use crate::headers::is_token;
use crate::http::RequestHead;
use crate::input::Input;
use crate::native::from_latin1;
use crate::simple_server::environ::{BaseEnviron, base_environ, get_environ};
use crate::types::Environ;
use crate::uri::{quote_from_bytes, quote_plus, text_to_bytes, unquote};

/// A request to run an application with: method, target, headers and body.
///
/// Shapes: the target is text (`"/caf\u{e9}?q=1"`); characters not allowed
/// in a request target are sent as the percent-encoded bytes of their UTF-8
/// (as a browser does), so `PATH_INFO` holds those bytes as latin-1 chars.
/// Header values are text too: characters up to U+00FF are sent as one
/// byte, others as their UTF-8. Defaults: server `localhost` port 80 (443
/// for `https`), client `127.0.0.1`, `SCRIPT_NAME` empty, a `Host` header
/// made from the server name and port, no body.
///
/// # Example
///
/// ```
/// use wsgiref::testing::TestRequest;
///
/// let environ = TestRequest::get("/search?q=caf%C3%A9")
///     .header("Accept", "text/html")
///     .header("Accept", "text/plain")
///     .to_environ();
/// assert_eq!(environ.get("PATH_INFO"), Some("/search"));
/// assert_eq!(environ.get("QUERY_STRING"), Some("q=caf%C3%A9"));
/// assert_eq!(environ.get("HTTP_ACCEPT"), Some("text/html,text/plain"));
/// assert_eq!(environ.get("HTTP_HOST"), Some("localhost"));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Compare Werkzeug's `werkzeug.test.EnvironBuilder`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRequest {
    method: String,
    /// The percent-encoded path and query, as sent: `/a%20b?x=1`.
    target: String,
    headers: Vec<(String, String)>,
    /// Sent as one `Cookie` header, `name=value; name=value`.
    cookies: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    chunked: bool,
    pub(super) front: Front,
}

/// What a reverse proxy in front of the server would make the environ say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Front {
    server_name: String,
    server_port: Option<u16>,
    remote_addr: String,
    /// Percent-encoded, as it is sent in front of the path.
    script_name: String,
    https: bool,
    /// Environ keys set last, as given (Werkzeug's `environ_overrides`).
    overrides: Vec<(String, String)>,
}

mod more;

impl TestRequest {
    /// A request with any method, such as `"PUT"`, for `target` (path and
    /// optional `?query`; a missing leading `/` is added).
    ///
    /// # Panics
    ///
    /// When `method` is not an HTTP token (empty, or with spaces or
    /// control characters).
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::new("DELETE", "users/42").to_environ();
    /// assert_eq!(environ.get("REQUEST_METHOD"), Some("DELETE"));
    /// assert_eq!(environ.get("PATH_INFO"), Some("/users/42"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn new(method: &str, target: &str) -> TestRequest {
        assert!(is_token(method), "method {method:?} is not an HTTP token");
        TestRequest {
            method: method.to_string(),
            target: encode_target(target),
            headers: Vec::new(),
            cookies: Vec::new(),
            body: None,
            chunked: false,
            front: Front {
                server_name: "localhost".to_string(),
                server_port: None,
                remote_addr: "127.0.0.1".to_string(),
                script_name: String::new(),
                https: false,
                overrides: Vec::new(),
            },
        }
    }

    /// A `GET` request for `target`.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::get("/xyz?abc").to_environ();
    /// assert_eq!(environ.get("QUERY_STRING"), Some("abc"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn get(target: &str) -> TestRequest {
        TestRequest::new("GET", target)
    }

    /// A `POST` request for `target`; give it a body with [`TestRequest::body`],
    /// [`TestRequest::form`] or [`TestRequest::json`].
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::post("/login").to_environ();
    /// assert_eq!(environ.get("REQUEST_METHOD"), Some("POST"));
    /// assert_eq!(environ.get("CONTENT_LENGTH"), Some(""));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn post(target: &str) -> TestRequest {
        TestRequest::new("POST", target)
    }

    /// Add a request header (repeat it to send several values). A `Host`
    /// header replaces the default one.
    ///
    /// # Panics
    ///
    /// When the name is not an HTTP token or the value contains CR, LF or
    /// NUL (send raw bytes over a socket to test hostile requests).
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::get("/").header("X-Request-Id", "42").to_environ();
    /// assert_eq!(environ.get("HTTP_X_REQUEST_ID"), Some("42"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn header(mut self, name: &str, value: &str) -> TestRequest {
        assert!(is_token(name), "header name {name:?} is not an HTTP token");
        assert!(
            !value.contains(['\r', '\n', '\0']),
            "header {name:?}: {value:?} contains CR, LF or NUL"
        );
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Set the body (bytes); `Content-Length` is sent with its length
    /// unless [`TestRequest::chunked`] is used.
    ///
    /// # Example
    ///
    /// ```
    /// let mut environ = wsgiref::testing::TestRequest::post("/").body(b"\x00\x01".to_vec()).to_environ();
    /// assert_eq!(environ.get("CONTENT_LENGTH"), Some("2"));
    /// assert_eq!(environ.input.read_bytes(10)?, b"\x00\x01");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> TestRequest {
        self.body = Some(body.into());
        self
    }

    /// Set the `Content-Type` header (replacing any), such as `"text/csv"`.
    /// Without one, `CONTENT_TYPE` is `text/plain`, as wsgiref gives.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::post("/").content_type("text/csv").to_environ();
    /// assert_eq!(environ.get("CONTENT_TYPE"), Some("text/csv"));
    /// assert!(!environ.contains_key("HTTP_CONTENT_TYPE"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn content_type(mut self, content_type: &str) -> TestRequest {
        self.headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("Content-Type"));
        self.header("Content-Type", content_type)
    }

    /// Set an HTML form as the body: `application/x-www-form-urlencoded`,
    /// UTF-8, as Python's `urllib.parse.urlencode` writes it.
    ///
    /// # Example
    ///
    /// ```
    /// let mut environ = wsgiref::testing::TestRequest::post("/").form(&[("name", "Zoë"), ("q", "a&b c")]).to_environ();
    /// assert_eq!(environ.get("CONTENT_TYPE"), Some("application/x-www-form-urlencoded"));
    /// assert_eq!(environ.input.read_bytes(100)?, b"name=Zo%C3%AB&q=a%26b+c");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Spec: WHATWG URL "application/x-www-form-urlencoded serializing".
    pub fn form(self, fields: &[(&str, &str)]) -> TestRequest {
        let pairs: Vec<String> = fields
            .iter()
            .map(|(name, value)| format!("{}={}", quote_plus(name), quote_plus(value)))
            .collect();
        self.content_type("application/x-www-form-urlencoded")
            .body(pairs.join("&"))
    }

    /// Set a JSON text as the body, with `Content-Type: application/json`.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::post("/api").json(r#"{"id": 1}"#).to_environ();
    /// assert_eq!(environ.get("CONTENT_TYPE"), Some("application/json"));
    /// assert_eq!(environ.get("CONTENT_LENGTH"), Some("9"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn json(self, text: &str) -> TestRequest {
        self.content_type("application/json").body(text)
    }

    /// Send the body with `Transfer-Encoding: chunked` instead of
    /// `Content-Length`: `CONTENT_LENGTH` is empty and
    /// `wsgi.input_terminated` is true, as our server gives.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::post("/").body("abc").chunked().to_environ();
    /// assert_eq!(environ.get("CONTENT_LENGTH"), Some(""));
    /// assert_eq!(environ.get("HTTP_TRANSFER_ENCODING"), Some("chunked"));
    /// assert!(environ.input_terminated);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn chunked(mut self) -> TestRequest {
        self.chunked = true;
        self
    }

    /// Set `SERVER_NAME` and `SERVER_PORT` (and the default `Host`).
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::get("/").server("example.com", 8080).to_environ();
    /// assert_eq!(environ.get("SERVER_PORT"), Some("8080"));
    /// assert_eq!(environ.get("HTTP_HOST"), Some("example.com:8080"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn server(mut self, name: &str, port: u16) -> TestRequest {
        self.front.server_name = name.to_string();
        self.front.server_port = Some(port);
        self
    }

    /// Set the URL scheme: `"https"` sets `HTTPS=on` and
    /// `wsgi.url_scheme = "https"` (and port 443 unless [`TestRequest::server`]
    /// gives one); `"http"` is the default.
    ///
    /// # Panics
    ///
    /// When `scheme` is neither `http` nor `https`.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::get("/").scheme("https").to_environ();
    /// assert_eq!(environ.get("HTTPS"), Some("on"));
    /// assert_eq!(environ.url_scheme, "https");
    /// assert_eq!(wsgiref::util::request_uri(&environ, true), "https://localhost/");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn scheme(mut self, scheme: &str) -> TestRequest {
        self.front.https = match scheme {
            "http" => false,
            "https" => true,
            other => panic!("scheme {other:?} is neither \"http\" nor \"https\""),
        };
        self
    }

    /// Mount the application under `prefix` (`SCRIPT_NAME`, such as
    /// `"/app"`): the target is sent as `prefix` + path, and `PATH_INFO`
    /// is the path after it.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::get("/users").script_name("/app").to_environ();
    /// assert_eq!(environ.get("SCRIPT_NAME"), Some("/app"));
    /// assert_eq!(environ.get("PATH_INFO"), Some("/users"));
    /// assert_eq!(wsgiref::util::request_uri(&environ, false), "http://localhost/app/users");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn script_name(mut self, prefix: &str) -> TestRequest {
        self.front.script_name = quote_from_bytes(prefix.trim_end_matches('/').as_bytes(), PATH_SAFE);
        self
    }

    /// Set the client's address, `REMOTE_ADDR` (default `127.0.0.1`).
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::get("/").remote_addr("192.0.2.7").to_environ();
    /// assert_eq!(environ.get("REMOTE_ADDR"), Some("192.0.2.7"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn remote_addr(mut self, address: &str) -> TestRequest {
        self.front.remote_addr = address.to_string();
        self
    }

    /// The headers as sent: the default `Host` first (unless one was
    /// given), the given ones in order, the cookies (added to a given
    /// `Cookie` header, else one of their own), then `Content-Length` or
    /// `Transfer-Encoding` for the body (unless given).
    fn wire_headers(&self) -> Vec<(String, String)> {
        let given = |wanted: &str| self.headers.iter().any(|(name, _)| name.eq_ignore_ascii_case(wanted));
        let mut headers = Vec::with_capacity(self.headers.len() + 2);
        if !given("Host") {
            let host = match self.front.server_port {
                Some(port) if port != self.front.default_port() => format!("{}:{port}", self.front.server_name),
                _ => self.front.server_name.clone(),
            };
            headers.push(("Host".to_string(), host));
        }
        headers.extend(self.headers.iter().cloned());
        self.add_cookie_header(&mut headers);
        match (&self.body, self.chunked) {
            (_, true) if !given("Transfer-Encoding") => {
                headers.push(("Transfer-Encoding".to_string(), "chunked".to_string()));
            }
            (Some(body), false) if !given("Content-Length") => {
                headers.push(("Content-Length".to_string(), body.len().to_string()));
            }
            _ => {}
        }
        headers
    }

    /// Put the cookies in the given `Cookie` header, or in one of their own.
    fn add_cookie_header(&self, headers: &mut Vec<(String, String)>) {
        if self.cookies.is_empty() {
            return;
        }
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        let pairs = pairs.join("; ");
        match headers.iter_mut().find(|(name, _)| name.eq_ignore_ascii_case("Cookie")) {
            Some((_, value)) => *value = format!("{value}; {pairs}"),
            None => headers.push(("Cookie".to_string(), pairs)),
        }
    }

    /// The exact bytes [`serve_once`](super::serve_once) sends: an HTTP/1.1
    /// request line, the headers, a blank line and the body (one chunk and
    /// the last chunk when [`TestRequest::chunked`]).
    ///
    /// # Example
    ///
    /// ```
    /// let bytes = wsgiref::testing::TestRequest::post("/caf\u{e9}?q=1").body("hi").to_bytes();
    /// assert_eq!(bytes, b"POST /caf%C3%A9?q=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Spec: RFC 9112 §3 (request line), §5 (fields), §7.1 (chunked coding).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = format!("{} {}{} HTTP/1.1\r\n", self.method, self.front.script_name, self.target).into_bytes();
        for (name, value) in self.wire_headers() {
            bytes.extend_from_slice(name.as_bytes());
            bytes.extend_from_slice(b": ");
            bytes.extend_from_slice(&text_to_bytes(&value));
            bytes.extend_from_slice(b"\r\n");
        }
        bytes.extend_from_slice(b"\r\n");
        let body = self.body.as_deref().unwrap_or_default();
        if self.chunked {
            if !body.is_empty() {
                bytes.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
                bytes.extend_from_slice(body);
                bytes.extend_from_slice(b"\r\n");
            }
            bytes.extend_from_slice(b"0\r\n\r\n");
        } else {
            bytes.extend_from_slice(body);
        }
        bytes
    }

    /// The PEP 3333 environ our server gives for [`TestRequest::to_bytes`]
    /// (with this request's server name, port, client address,
    /// `SCRIPT_NAME` and scheme): the CGI keys, `HTTP_*` keys, `wsgi.input`
    /// holding the body. `wsgi.errors` goes to the log; to keep what the
    /// application writes, replace it with
    /// [`Errors::capture`](crate::Errors::capture).
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::testing::TestRequest;
    ///
    /// let environ = TestRequest::get("/a%20b/caf\u{e9}").header("X_Forwarded_For", "evil").to_environ();
    /// assert_eq!(environ.get("PATH_INFO"), Some("/a b/caf\u{c3}\u{a9}"));
    /// assert_eq!(environ.get("SERVER_PROTOCOL"), Some("HTTP/1.1"));
    /// assert_eq!(environ.get("CONTENT_TYPE"), Some("text/plain"));
    /// assert!(!environ.contains_key("HTTP_X_FORWARDED_FOR"), "names with '_' are dropped");
    /// assert!(environ.multithread);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `WSGIRequestHandler.get_environ`; spec: PEP 3333 "environ Variables".
    pub fn to_environ(&self) -> Environ {
        let mut environ = get_environ(
            &self.request_head(),
            &self.front.base_environ(),
            &self.front.remote_addr,
        );
        self.front.apply(&mut environ);
        environ.input = match &self.body {
            Some(body) => Input::from_bytes(body.clone()),
            None => Input::empty(),
        };
        environ.input_terminated = self.chunked;
        environ
    }

    /// The request head the server would parse from [`TestRequest::to_bytes`]:
    /// each header value as the latin-1 native string of its bytes, outer
    /// spaces and tabs removed (as httparse does).
    fn request_head(&self) -> RequestHead {
        let headers = self
            .wire_headers()
            .into_iter()
            .map(|(name, value)| (name, from_latin1(&text_to_bytes(value.trim_matches([' ', '\t'])))))
            .collect();
        RequestHead {
            method: self.method.clone(),
            target: format!("{}{}", self.front.script_name, self.target),
            minor_version: 1,
            headers,
            leftover: Vec::new(),
            raw: Vec::new(),
        }
    }
}

impl Front {
    fn default_port(&self) -> u16 {
        if self.https { 443 } else { 80 }
    }

    fn port(&self) -> u16 {
        self.server_port.unwrap_or(self.default_port())
    }

    /// The keys the server sets for every request, for this server name and port.
    fn base_environ(&self) -> BaseEnviron {
        base_environ(self.server_name.clone(), self.port())
    }

    /// Set the keys a reverse proxy decides: server name and port, client
    /// address, scheme, and `SCRIPT_NAME` taken off the front of `PATH_INFO`;
    /// then the overrides.
    pub(super) fn apply(&self, environ: &mut Environ) {
        environ.insert("SERVER_NAME", self.server_name.clone());
        environ.insert("SERVER_PORT", self.port().to_string());
        environ.insert("REMOTE_ADDR", self.remote_addr.clone());
        if self.https {
            environ.insert("HTTPS", "on");
            environ.url_scheme = "https".to_string();
        }
        let script_name = unquote(&self.script_name);
        let path_info = environ.get("PATH_INFO").unwrap_or_default();
        if let Some(rest) = path_info.strip_prefix(script_name.as_str())
            && (rest.is_empty() || rest.starts_with('/'))
        {
            let rest = rest.to_string();
            environ.insert("PATH_INFO", rest);
            environ.insert("SCRIPT_NAME", script_name);
        }
        for (key, value) in &self.overrides {
            environ.insert(key.clone(), value.clone());
        }
    }
}

/// A target as sent: a leading `/` added, characters not allowed in a
/// path or query percent-encoded (UTF-8).
fn encode_target(target: &str) -> String {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut encoded = String::from(if path.starts_with('/') { "" } else { "/" });
    encoded.push_str(&quote_from_bytes(path.as_bytes(), PATH_SAFE));
    if let Some(query) = query {
        encoded.push('?');
        encoded.push_str(&quote_from_bytes(query.as_bytes(), QUERY_SAFE));
    }
    encoded
}

/// What stays as it is in a target's path, besides the letters, digits
/// and `-._~` that quoting always keeps: the rest of `pchar`, `/`, and `%`
/// (the text may be percent-encoded already). Every other character is
/// sent as the percent-encoded bytes of its UTF-8.
///
/// > pchar = unreserved / pct-encoded / sub-delims / ":" / "@"
/// > path = *( "/" / pchar ); query = *( pchar / "/" / "?" )
///
/// Spec: RFC 3986 §3.3, §3.4.
const PATH_SAFE: &str = "!$&'()*+,;=:@/%";

/// What stays as it is in a target's query: `PATH_SAFE` and `?`.
const QUERY_SAFE: &str = "!$&'()*+,;=:@/%?";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_encoded_and_decoded_like_the_server() {
        // (target given, target sent, PATH_INFO, QUERY_STRING)
        let cases = [
            ("/xyz?abc", "/xyz?abc", "/xyz", "abc"),
            ("/a b?q=a b", "/a%20b?q=a%20b", "/a b", "q=a%20b"),
            ("/caf\u{e9}", "/caf%C3%A9", "/caf\u{c3}\u{a9}", ""),
            ("/caf%C3%A9", "/caf%C3%A9", "/caf\u{c3}\u{a9}", ""),
            ("/%zz%4", "/%zz%4", "/%zz%4", ""),
            ("//x//y", "//x//y", "/x//y", ""),
            ("no-slash", "/no-slash", "/no-slash", ""),
            ("/q?a?b#c", "/q?a?b%23c", "/q", "a?b%23c"),
        ];
        for (given, sent, path_info, query) in cases {
            let request = TestRequest::get(given);
            let bytes = request.to_bytes();
            assert!(
                bytes.starts_with(format!("GET {sent} HTTP/1.1\r\n").as_bytes()),
                "target {given:?}: {:?}",
                String::from_utf8_lossy(&bytes)
            );
            let environ = request.to_environ();
            assert_eq!(environ.get("PATH_INFO"), Some(path_info), "target {given:?}");
            assert_eq!(environ.get("QUERY_STRING"), Some(query), "target {given:?}");
        }
    }

    #[test]
    fn form_is_encoded_like_python_urlencode() {
        // urlencode([('a b','c&d'),('é','~*/')]) in Python 3.11.
        let request = TestRequest::post("/").form(&[("a b", "c&d"), ("\u{e9}", "~*/")]);
        assert!(request.to_bytes().ends_with(b"\r\n\r\na+b=c%26d&%C3%A9=~%2A%2F"));
    }

    #[test]
    fn headers_follow_the_server_rules() {
        let environ = TestRequest::post("/")
            .header("Accept", " text/html ")
            .header("accept", "text/plain")
            .header("X_Secret", "dropped")
            .header("Path-Info", "/ignored")
            .header("Content-Type", "text/csv")
            .header("X-Cafe", "caf\u{e9} \u{20ac}")
            .body("a,b")
            .to_environ();
        let expected = [
            ("HTTP_ACCEPT", Some("text/html,text/plain")),
            ("HTTP_X_SECRET", None),
            ("X_SECRET", None),
            ("PATH_INFO", Some("/")),
            ("HTTP_PATH_INFO", None),
            ("CONTENT_TYPE", Some("text/csv")),
            ("HTTP_CONTENT_TYPE", None),
            ("CONTENT_LENGTH", Some("3")),
            ("HTTP_CONTENT_LENGTH", None),
            ("HTTP_X_CAFE", Some("caf\u{e9} \u{e2}\u{82}\u{ac}")),
            ("HTTP_HOST", Some("localhost")),
        ];
        for (key, value) in expected {
            assert_eq!(environ.get(key), value, "key {key}");
        }
    }

    #[test]
    fn host_port_and_scheme() {
        let cases = [
            (TestRequest::get("/"), "localhost", "80", "http"),
            (TestRequest::get("/").scheme("https"), "localhost", "443", "https"),
            (
                TestRequest::get("/").server("example.com", 443).scheme("https"),
                "example.com",
                "443",
                "https",
            ),
            (
                TestRequest::get("/").server("example.com", 8080),
                "example.com:8080",
                "8080",
                "http",
            ),
            (TestRequest::get("/").header("Host", "other:1"), "other:1", "80", "http"),
        ];
        for (request, host, port, scheme) in cases {
            assert_eq!(
                request
                    .to_bytes()
                    .windows(host.len() + 8)
                    .filter(|w| *w == format!("Host: {host}\r\n").as_bytes())
                    .count(),
                1
            );
            let environ = request.to_environ();
            assert_eq!(environ.get("HTTP_HOST"), Some(host));
            assert_eq!(environ.get("SERVER_PORT"), Some(port));
            assert_eq!(environ.url_scheme, scheme);
        }
    }

    #[test]
    fn script_name_is_taken_off_the_path() {
        let request = TestRequest::get("/users/42?x").script_name("/my app/");
        assert!(request.to_bytes().starts_with(b"GET /my%20app/users/42?x HTTP/1.1\r\n"));
        let environ = request.to_environ();
        assert_eq!(environ.get("SCRIPT_NAME"), Some("/my app"));
        assert_eq!(environ.get("PATH_INFO"), Some("/users/42"));
    }

    #[test]
    fn chunked_body_on_the_wire() {
        let cases: [(&[u8], &[u8]); 2] = [(b"hello", b"5\r\nhello\r\n0\r\n\r\n"), (b"", b"0\r\n\r\n")];
        for (body, wire) in cases {
            let bytes = TestRequest::post("/").body(body).chunked().to_bytes();
            assert!(bytes.ends_with(&[b"Transfer-Encoding: chunked\r\n\r\n", wire].concat()));
            assert!(!bytes.windows(15).any(|w| w == b"Content-Length:"));
        }
    }

    #[test]
    #[should_panic(expected = "contains CR, LF or NUL")]
    fn header_with_newline_panics() {
        let _ = TestRequest::get("/").header("X", "a\r\nEvil: yes");
    }
}
