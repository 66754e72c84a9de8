//! The rest of [`TestRequest`]'s builder: the other methods, query
//! parameters, multipart bodies, cookies, environ overrides, and what a
//! [`TestClient`](crate::testing::TestClient) reads back from a request.

use super::{TestRequest, encode_target};
use crate::testing::Multipart;
use crate::uri::quote_plus;

impl TestRequest {
    /// A `PUT` request for `target`.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::put("/items/1").body("x").to_environ();
    /// assert_eq!(environ.get("REQUEST_METHOD"), Some("PUT"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn put(target: &str) -> TestRequest {
        TestRequest::new("PUT", target)
    }

    /// A `PATCH` request for `target`.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::patch("/items/1").json("{}").to_environ();
    /// assert_eq!(environ.get("REQUEST_METHOD"), Some("PATCH"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn patch(target: &str) -> TestRequest {
        TestRequest::new("PATCH", target)
    }

    /// A `DELETE` request for `target`.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::delete("/items/1").to_environ();
    /// assert_eq!(environ.get("REQUEST_METHOD"), Some("DELETE"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn delete(target: &str) -> TestRequest {
        TestRequest::new("DELETE", target)
    }

    /// A `HEAD` request for `target`: the server sends the headers a `GET`
    /// would get, and no body.
    ///
    /// # Example
    ///
    /// ```
    /// let response = wsgiref::testing::run(&wsgiref::simple_server::hello_app, wsgiref::testing::TestRequest::head("/"));
    /// assert_eq!(response.header("Content-Length"), Some("13"));
    /// assert!(response.body.is_empty());
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn head(target: &str) -> TestRequest {
        TestRequest::new("HEAD", target)
    }

    /// An `OPTIONS` request for `target` (`"*"` asks about the server).
    ///
    /// # Example
    ///
    /// ```
    /// let request = wsgiref::testing::TestRequest::options("/api");
    /// assert!(request.to_bytes().starts_with(b"OPTIONS /api HTTP/1.1\r\n"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn options(target: &str) -> TestRequest {
        TestRequest::new("OPTIONS", target)
    }

    /// Add query parameters, encoded as a browser encodes a `GET` form
    /// (`application/x-www-form-urlencoded`, UTF-8: space as `+`, other
    /// reserved characters percent-encoded), after any query the target has.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::get("/search?page=2")
    ///     .query(&[("q", "caf\u{e9} & tea"), ("lang", "fr")])
    ///     .to_environ();
    /// assert_eq!(environ.get("QUERY_STRING"), Some("page=2&q=caf%C3%A9+%26+tea&lang=fr"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Compare Werkzeug's `query_string={...}`, Django's `client.get(path, data)`.
    pub fn query(mut self, parameters: &[(&str, &str)]) -> TestRequest {
        for (name, value) in parameters {
            let separator = match self.target.split_once('?') {
                None => "?",
                Some((_, "")) => "",
                Some(_) => "&",
            };
            self.target = format!("{}{separator}{}={}", self.target, quote_plus(name), quote_plus(value));
        }
        self
    }

    /// Set a [`Multipart`] form (fields and files) as the body, with its
    /// `Content-Type` and boundary.
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::testing::{Multipart, TestRequest};
    ///
    /// let form = Multipart::new().file("f", "a.bin", "", vec![1, 2, 3]);
    /// let environ = TestRequest::post("/upload").multipart(form).to_environ();
    /// assert!(environ.get("CONTENT_TYPE").unwrap().starts_with("multipart/form-data; boundary="));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn multipart(self, form: Multipart) -> TestRequest {
        let (content_type, body) = form.encode();
        self.content_type(&content_type).body(body)
    }

    /// Send a cookie: all cookies go in one `Cookie` header,
    /// `name=value; name=value` (added to a `Cookie` header given with
    /// [`TestRequest::header`]).
    ///
    /// # Panics
    ///
    /// When `name` is not an HTTP token, or `value` has a character a
    /// cookie value cannot have (a control character, space, `"`, `,`,
    /// `;` or `\`; RFC 6265 §4.1.1 `cookie-octet`).
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::get("/").cookie("session", "abc").cookie("theme", "dark").to_environ();
    /// assert_eq!(environ.get("HTTP_COOKIE"), Some("session=abc; theme=dark"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Spec: RFC 6265 §5.4. Compare Werkzeug's `client.set_cookie`.
    pub fn cookie(mut self, name: &str, value: &str) -> TestRequest {
        assert!(
            crate::headers::is_token(name),
            "cookie name {name:?} is not an HTTP token"
        );
        let bad = |c: char| c.is_control() || matches!(c, ' ' | '"' | ',' | ';' | '\\');
        assert!(
            !value.contains(bad),
            "cookie {name}: value {value:?} has a character cookies cannot have"
        );
        self.cookies.push((name.to_string(), value.to_string()));
        self
    }

    /// Set an environ key after the environ is built (any CGI or `HTTP_*`
    /// key, as given); the server sees the same request bytes.
    ///
    /// # Example
    ///
    /// ```
    /// let environ = wsgiref::testing::TestRequest::get("/").environ("REMOTE_USER", "alice").to_environ();
    /// assert_eq!(environ.get("REMOTE_USER"), Some("alice"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Compare Werkzeug's `environ_overrides`, Django's `**extra`.
    pub fn environ(mut self, key: &str, value: &str) -> TestRequest {
        self.front.overrides.push((key.to_string(), value.to_string()));
        self
    }

    /// The method, such as `"GET"`.
    ///
    /// # Example
    ///
    /// ```
    /// assert_eq!(wsgiref::testing::TestRequest::delete("/").method(), "DELETE");
    /// ```
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The request target as sent: `SCRIPT_NAME` and path, percent-encoded,
    /// and the query.
    ///
    /// # Example
    ///
    /// ```
    /// let request = wsgiref::testing::TestRequest::get("/a b").script_name("/app").query(&[("x", "1")]);
    /// assert_eq!(request.target(), "/app/a%20b?x=1");
    /// ```
    pub fn target(&self) -> String {
        format!("{}{}", self.front.script_name, self.target)
    }

    /// The host name cookies are matched against: the `Host` header's
    /// (given or default) without its port, lowercased.
    pub(crate) fn host_name(&self) -> String {
        let host = self
            .headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("Host"))
            .map_or(self.front.server_name.as_str(), |(_, value)| value.as_str());
        let name = match host.find(']') {
            Some(end) => &host[..=end],
            None => host.split(':').next().unwrap_or(host),
        };
        name.to_ascii_lowercase()
    }

    /// Whether the request is made over `https`.
    pub(crate) fn is_https(&self) -> bool {
        self.front.https
    }

    /// The path as sent, without the query (cookies match it).
    pub(crate) fn path(&self) -> String {
        let target = self.target();
        target.split('?').next().unwrap_or_default().to_string()
    }

    /// Add a cookie from a client's jar, as the server set it (no checks:
    /// a quoted value is sent with its quotes).
    pub(crate) fn jar_cookie(mut self, name: &str, value: &str) -> TestRequest {
        self.cookies.push((name.to_string(), value.to_string()));
        self
    }

    /// The request a redirect to `location` leads to: the same, at the
    /// resolved URL; a `GET` without body unless `keep_method` (307, 308)
    /// or it was `HEAD`. A new host drops a given `Host` header.
    ///
    /// Spec: RFC 9110 §15.4 (redirects), RFC 3986 §5.2 (resolving; dot
    /// segments are kept).
    pub(crate) fn redirected(&self, location: &str, keep_method: bool) -> TestRequest {
        let mut next = self.clone();
        // The fragment stays with the client (RFC 9110 §10.2.2).
        let location = location.split('#').next().unwrap_or_default();
        let path = match split_authority(location) {
            Some((scheme, authority, rest)) => {
                next.set_authority(scheme, authority);
                if rest.is_empty() {
                    "/".to_string()
                } else {
                    rest.to_string()
                }
            }
            None => resolve_path(&self.path(), location),
        };
        let script_name = next.front.script_name.clone();
        next.target = match path.strip_prefix(&script_name) {
            Some(rest) if !script_name.is_empty() && (rest.is_empty() || rest.starts_with(['/', '?'])) => {
                encode_target(rest)
            }
            _ => {
                next.front.script_name.clear();
                encode_target(&path)
            }
        };
        if !keep_method && next.method != "HEAD" {
            next.method = "GET".to_string();
            next.body = None;
            next.chunked = false;
            let content = ["Content-Type", "Content-Length", "Transfer-Encoding"];
            next.headers
                .retain(|(name, _)| !content.iter().any(|c| c.eq_ignore_ascii_case(name)));
        }
        next
    }

    /// Take the scheme (if given), host and port of an absolute URL.
    fn set_authority(&mut self, scheme: Option<&str>, authority: &str) {
        if let Some(scheme) = scheme {
            self.front.https = scheme.eq_ignore_ascii_case("https");
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => (host, port.parse().ok()),
            _ => (authority, None),
        };
        if !host.eq_ignore_ascii_case(&self.host_name()) || port != self.front.server_port {
            self.headers.retain(|(name, _)| !name.eq_ignore_ascii_case("Host"));
        }
        self.front.server_name = host.to_ascii_lowercase();
        self.front.server_port = port;
    }
}

/// An absolute (`http://host/x`) or scheme-relative (`//host/x`) URL as
/// `(scheme, authority, path and query)`; `None` for a relative reference.
fn split_authority(location: &str) -> Option<(Option<&str>, &str, &str)> {
    let (scheme, rest) = match location.split_once("://") {
        Some((scheme, rest)) if scheme.bytes().all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)) => {
            (Some(scheme), rest)
        }
        _ => (None, location.strip_prefix("//")?),
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    Some((scheme, &rest[..end], &rest[end..]))
}

/// A relative reference resolved against the current path: an absolute
/// path as it is, a query after the current path, anything else after the
/// current path's last `/`.
fn resolve_path(current: &str, reference: &str) -> String {
    if reference.starts_with('/') {
        reference.to_string()
    } else if reference.starts_with('?') {
        format!("{current}{reference}")
    } else {
        let directory = current.rfind('/').map_or("/", |at| &current[..=at]);
        format!("{directory}{reference}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_resolve_like_a_browser() {
        let base = TestRequest::post("/app/a/b?x=1").script_name("/s").body("data");
        // (Location, keep method, target sent, method)
        let cases = [
            ("/s/c", false, "/s/c", "GET"),
            ("/other", false, "/other", "GET"),
            ("d?y=2", true, "/s/app/a/d?y=2", "POST"),
            ("?z", false, "/s/app/a/b?z", "GET"),
            ("/s/f#top", false, "/s/f", "GET"),
            ("http://localhost/s/e", false, "/s/e", "GET"),
        ];
        for (location, keep, target, method) in cases {
            let next = base.redirected(location, keep);
            assert_eq!((next.target().as_str(), next.method()), (target, method), "{location}");
            assert_eq!(next.body.is_some(), keep, "{location}");
        }
        let elsewhere = base.redirected("https://Example.com:8443/x", false);
        assert_eq!(elsewhere.host_name(), "example.com");
        assert!(elsewhere.is_https());
        assert!(
            elsewhere
                .to_bytes()
                .starts_with(b"GET /x HTTP/1.1\r\nHost: example.com:8443\r\n")
        );
    }

    #[test]
    fn cookies_join_a_given_cookie_header() {
        let request = TestRequest::get("/").header("Cookie", "a=1").cookie("b", "2");
        let bytes = String::from_utf8(request.to_bytes()).unwrap();
        assert_eq!(bytes.matches("Cookie:").count(), 1);
        assert!(bytes.contains("\r\nCookie: a=1; b=2\r\n"));
        assert_eq!(request.host_name(), "localhost");
        assert_eq!(TestRequest::get("/").header("Host", "Ex.org:81").host_name(), "ex.org");
    }
}
