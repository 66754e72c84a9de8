//! [`CookieJar`]: the cookies a [`TestClient`](super::TestClient) keeps
//! between requests, by the rules of RFC 6265 §5 that a test client needs
//! (domain, path, expiry, `Secure`); no public-suffix list, no limits.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{TestRequest, TestResponse};

/// One stored cookie.
///
/// Shapes: `domain` is lowercased, without a leading dot; `host_only` is
/// true when the response gave no `Domain` (then only that exact host gets
/// it back); `path` starts with `/`; `expires` is `None` for a session
/// cookie.
///
/// # Example
///
/// ```
/// let mut jar = wsgiref::testing::CookieJar::new();
/// jar.set("theme", "dark", "localhost", "/");
/// let cookie = jar.get("theme").unwrap();
/// assert_eq!((cookie.value.as_str(), cookie.path.as_str(), cookie.expires), ("dark", "/", None));
/// ```
///
/// Spec: RFC 6265 §5.3 (the cookie's fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    /// The cookie's name.
    pub name: String,
    /// Its value, as the server set it (quotes included).
    pub value: String,
    /// The host (or domain) it goes back to.
    pub domain: String,
    /// Whether only `domain` itself gets it, not its subdomains.
    pub host_only: bool,
    /// The path prefix it goes back to.
    pub path: String,
    /// When it expires; `None`: at the end of the session (never, here).
    pub expires: Option<SystemTime>,
    /// Whether it goes back only over `https`.
    pub secure: bool,
    /// Whether the server marked it `HttpOnly` (kept for assertions).
    pub http_only: bool,
}

/// The cookies of a test session, in the order they were first set.
///
/// Shapes: a `Set-Cookie` replaces the cookie of the same name, domain and
/// path (keeping its place); an expired one (`Max-Age=0`, a past `Expires`)
/// removes it. [`CookieJar::matching`] gives the cookies a request gets,
/// longest path first.
///
/// # Example
///
/// ```
/// use wsgiref::testing::{CookieJar, TestRequest};
///
/// let mut jar = CookieJar::new();
/// let login = TestRequest::post("/account/login");
/// jar.store("sid=abc; Path=/account; HttpOnly", &login);
/// jar.store("lang=fr", &login);
/// let names = |request: &TestRequest| jar.matching(request).iter().map(|c| c.name.clone()).collect::<Vec<_>>();
/// assert_eq!(names(&TestRequest::get("/account/settings")), ["sid", "lang"]);
/// assert_eq!(names(&TestRequest::get("/")), Vec::<String>::new());
/// jar.store("sid=; Path=/account; Max-Age=0", &login);
/// assert!(jar.get("sid").is_none());
/// ```
///
/// Spec: RFC 6265 §5.2 (parsing `Set-Cookie`), §5.3 (storing), §5.4
/// (sending). Compare Werkzeug's `Client` cookie jar (`get_cookie`,
/// `set_cookie`, `delete_cookie`) and Django's `client.cookies`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CookieJar {
    cookies: Vec<Cookie>,
}

impl CookieJar {
    /// An empty jar.
    ///
    /// # Example
    ///
    /// ```
    /// assert!(wsgiref::testing::CookieJar::new().cookies().is_empty());
    /// ```
    pub fn new() -> CookieJar {
        CookieJar::default()
    }

    /// Every stored cookie, in the order they were first set.
    ///
    /// # Example
    ///
    /// ```
    /// let mut jar = wsgiref::testing::CookieJar::new();
    /// jar.set("a", "1", "localhost", "/");
    /// assert_eq!(jar.cookies().len(), 1);
    /// ```
    pub fn cookies(&self) -> &[Cookie] {
        &self.cookies
    }

    /// The first cookie called `name`, for any domain and path.
    ///
    /// # Example
    ///
    /// ```
    /// let mut jar = wsgiref::testing::CookieJar::new();
    /// jar.set("a", "1", "localhost", "/");
    /// assert_eq!(jar.get("a").map(|c| c.value.as_str()), Some("1"));
    /// ```
    ///
    /// Compare Werkzeug's `client.get_cookie(key)`.
    pub fn get(&self, name: &str) -> Option<&Cookie> {
        self.cookies.iter().find(|cookie| cookie.name == name)
    }

    /// Set a session cookie for the host `domain` (host-only) and `path`,
    /// as if the server had sent it.
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::testing::{CookieJar, TestRequest};
    ///
    /// let mut jar = CookieJar::new();
    /// jar.set("sid", "xyz", "localhost", "/");
    /// assert_eq!(jar.matching(&TestRequest::get("/any")).len(), 1);
    /// assert!(jar.matching(&TestRequest::get("/").server("example.com", 80)).is_empty());
    /// ```
    ///
    /// Compare Werkzeug's `client.set_cookie(key, value, domain=, path=)`.
    pub fn set(&mut self, name: &str, value: &str, domain: &str, path: &str) {
        self.put(Cookie {
            name: name.to_string(),
            value: value.to_string(),
            domain: domain.trim_start_matches('.').to_ascii_lowercase(),
            host_only: true,
            path: path.to_string(),
            expires: None,
            secure: false,
            http_only: false,
        });
    }

    /// Remove every cookie called `name`.
    ///
    /// # Example
    ///
    /// ```
    /// let mut jar = wsgiref::testing::CookieJar::new();
    /// jar.set("a", "1", "localhost", "/");
    /// jar.remove("a");
    /// assert!(jar.get("a").is_none());
    /// ```
    ///
    /// Compare Werkzeug's `client.delete_cookie(key)`.
    pub fn remove(&mut self, name: &str) {
        self.cookies.retain(|cookie| cookie.name != name);
    }

    /// Store the cookie of one `Set-Cookie` header value received for
    /// `request`. A header that is not a cookie (no `=`, an empty name) or
    /// whose `Domain` does not cover the request's host is ignored, as a
    /// browser ignores it.
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::testing::{CookieJar, TestRequest};
    ///
    /// let mut jar = CookieJar::new();
    /// let request = TestRequest::get("/docs/a").server("www.example.com", 80);
    /// jar.store("a=1; Domain=.Example.com", &request);
    /// jar.store("b=2; Domain=other.org", &request);
    /// let a = jar.get("a").unwrap();
    /// assert_eq!((a.domain.as_str(), a.host_only, a.path.as_str()), ("example.com", false, "/docs"));
    /// assert!(jar.get("b").is_none());
    /// ```
    ///
    /// Spec: RFC 6265 §5.2, §5.3.
    pub fn store(&mut self, set_cookie: &str, request: &TestRequest) {
        let Some((cookie, max_age)) = parse_set_cookie(set_cookie, request) else {
            return;
        };
        let expired = match (max_age, cookie.expires) {
            (Some(seconds), _) => seconds <= 0,
            (None, Some(expires)) => expires <= SystemTime::now(),
            (None, None) => false,
        };
        if expired {
            self.cookies
                .retain(|old| (&old.name, &old.domain, &old.path) != (&cookie.name, &cookie.domain, &cookie.path));
        } else {
            self.put(cookie);
        }
    }

    /// Store every `Set-Cookie` of `response`, received for its request
    /// (nothing when it has none).
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::testing::{CookieJar, TestRequest, run};
    ///
    /// let app = wsgiref::app_fn(|_environ, start_response| {
    ///     start_response.call("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2; Secure")])?;
    ///     Ok(wsgiref::Body::from(""))
    /// });
    /// let mut jar = CookieJar::new();
    /// jar.update(&run(&app, TestRequest::get("/")));
    /// assert_eq!(jar.cookies().len(), 2);
    /// assert_eq!(jar.matching(&TestRequest::get("/")).len(), 1, "b only over https");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn update(&mut self, response: &TestResponse) {
        if let Some(request) = &response.request {
            for value in response.header_all("Set-Cookie") {
                self.store(value, request);
            }
        }
    }

    /// The cookies `request` gets, not expired, longest path first, then
    /// in the order they were set.
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::testing::{CookieJar, TestRequest};
    ///
    /// let mut jar = CookieJar::new();
    /// jar.set("root", "1", "localhost", "/");
    /// jar.set("deep", "2", "localhost", "/a/b");
    /// let names: Vec<_> = jar.matching(&TestRequest::get("/a/b/c")).iter().map(|c| c.name.as_str()).collect();
    /// assert_eq!(names, ["deep", "root"]);
    /// assert_eq!(jar.matching(&TestRequest::get("/a/bc")).len(), 1);
    /// ```
    ///
    /// Spec: RFC 6265 §5.4.
    pub fn matching(&self, request: &TestRequest) -> Vec<&Cookie> {
        let (host, path, now) = (request.host_name(), request.path(), SystemTime::now());
        let mut found: Vec<&Cookie> = self
            .cookies
            .iter()
            .filter(|cookie| {
                let domain_ok = if cookie.host_only {
                    host == cookie.domain
                } else {
                    domain_match(&host, &cookie.domain)
                };
                domain_ok
                    && path_match(&path, &cookie.path)
                    && (!cookie.secure || request.is_https())
                    && cookie.expires.is_none_or(|expires| expires > now)
            })
            .collect();
        found.sort_by_key(|cookie| std::cmp::Reverse(cookie.path.len()));
        found
    }

    /// Add `cookie`, replacing the one of the same name, domain and path in place.
    fn put(&mut self, cookie: Cookie) {
        let same =
            |old: &&mut Cookie| (&old.name, &old.domain, &old.path) == (&cookie.name, &cookie.domain, &cookie.path);
        match self.cookies.iter_mut().find(same) {
            Some(old) => *old = cookie,
            None => self.cookies.push(cookie),
        }
    }
}

/// A `Set-Cookie` value as the cookie it sets for `request`, and its
/// `Max-Age` (which wins over `Expires`); `None` when it is to be ignored.
fn parse_set_cookie(set_cookie: &str, request: &TestRequest) -> Option<(Cookie, Option<i64>)> {
    let mut pieces = set_cookie.split(';');
    let (name, value) = pieces.next()?.split_once('=')?;
    let (name, value) = (name.trim(), value.trim());
    if name.is_empty() {
        return None;
    }
    let host = request.host_name();
    let mut cookie = Cookie {
        name: name.to_string(),
        value: value.to_string(),
        domain: host.clone(),
        host_only: true,
        path: default_path(&request.path()),
        expires: None,
        secure: false,
        http_only: false,
    };
    let mut max_age = None;
    for attribute in pieces {
        let (key, value) = attribute.split_once('=').unwrap_or((attribute, ""));
        apply_attribute(&mut cookie, &mut max_age, key.trim(), value.trim());
    }
    if !cookie.host_only && !domain_match(&host, &cookie.domain) {
        return None;
    }
    if let Some(seconds) = max_age.filter(|&seconds| seconds > 0) {
        cookie.expires = SystemTime::now().checked_add(Duration::from_secs(seconds.unsigned_abs()));
    }
    Some((cookie, max_age))
}

/// One `Set-Cookie` attribute (RFC 6265 §5.2.1 to §5.2.6); unknown ones,
/// and values that are not valid, are ignored.
fn apply_attribute(cookie: &mut Cookie, max_age: &mut Option<i64>, key: &str, value: &str) {
    match key.to_ascii_lowercase().as_str() {
        "expires" => cookie.expires = parse_cookie_date(value).or(cookie.expires),
        "max-age" => *max_age = value.parse::<i64>().ok().or(*max_age),
        "domain" if !value.is_empty() => {
            cookie.domain = value.trim_start_matches('.').to_ascii_lowercase();
            cookie.host_only = false;
        }
        "path" if value.starts_with('/') => cookie.path = value.to_string(),
        "secure" => cookie.secure = true,
        "httponly" => cookie.http_only = true,
        _ => {}
    }
}

/// RFC 6265 §5.1.3: the host is the domain, or a name under it (not an IP address).
fn domain_match(host: &str, domain: &str) -> bool {
    host == domain
        || (host.ends_with(domain)
            && host[..host.len() - domain.len()].ends_with('.')
            && host.parse::<std::net::IpAddr>().is_err())
}

/// RFC 6265 §5.1.4: the request path is the cookie path or under it.
fn path_match(request_path: &str, cookie_path: &str) -> bool {
    request_path == cookie_path
        || (request_path.starts_with(cookie_path)
            && (cookie_path.ends_with('/') || request_path[cookie_path.len()..].starts_with('/')))
}

/// RFC 6265 §5.1.4: the default path is the request path up to its last
/// `/` (not included), or `/`.
fn default_path(request_path: &str) -> String {
    match request_path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(at) => request_path[..at].to_string(),
    }
}

/// RFC 6265 §5.1.1: a cookie date (`Wed, 21 Oct 2015 07:28:00 GMT` and
/// the older forms), as a time; `None` when it is not one.
fn parse_cookie_date(text: &str) -> Option<SystemTime> {
    let (seconds, day, month, year) = cookie_date_fields(text)?;
    if !(1..=31).contains(&day) || year < 1601 || seconds >= 24 * 3600 {
        return None;
    }
    let since_epoch = days_from_civil(year, month, day) * 86_400 + seconds as i64;
    Some(match u64::try_from(since_epoch) {
        Ok(after) => UNIX_EPOCH + Duration::from_secs(after),
        Err(_) => UNIX_EPOCH - Duration::from_secs(since_epoch.unsigned_abs()),
    })
}

/// The time of day (seconds), day, month (1 to 12) and year (two digits
/// made four) of a cookie date's tokens, each the first token that fits.
fn cookie_date_fields(text: &str) -> Option<(u64, u64, u64, i64)> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let delimiter = |c: char| {
        c == '\t'
            || (' '..='/').contains(&c)
            || (';'..='@').contains(&c)
            || ('['..='`').contains(&c)
            || ('{'..='~').contains(&c)
    };
    let (mut time, mut day, mut month, mut year) = (None, None, None, None);
    for token in text.split(delimiter).filter(|token| !token.is_empty()) {
        let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
        let lower = token.to_ascii_lowercase();
        if time.is_none() && token.contains(':') {
            let parts: Vec<u64> = token.split(':').map_while(|part| part.parse().ok()).collect();
            time = (parts.len() == 3).then(|| parts[0] * 3600 + parts[1] * 60 + parts[2]);
        } else if day.is_none() && (1..=2).contains(&digits.len()) {
            day = digits.parse::<u64>().ok();
        } else if month.is_none() && MONTHS.iter().any(|m| lower.starts_with(m)) {
            month = MONTHS.iter().position(|m| lower.starts_with(m)).map(|m| m as u64 + 1);
        } else if year.is_none() && (2..=4).contains(&digits.len()) {
            year = digits.parse::<i64>().ok().map(|y| match y {
                0..=69 => y + 2000,
                70..=99 => y + 1900,
                _ => y,
            });
        }
    }
    Some((time?, day?, month?, year?))
}

/// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u64, day: u64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month as i64 + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day as i64 - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_dates_in_all_forms() {
        let expected = UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        for text in [
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "Wednesday, 21-Oct-15 07:28:00 GMT",
            "Wed Oct 21 07:28:00 2015",
        ] {
            assert_eq!(parse_cookie_date(text), Some(expected), "{text}");
        }
        assert_eq!(parse_cookie_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(UNIX_EPOCH));
        for bad in ["", "tomorrow", "Wed, 32 Oct 2015 07:28:00 GMT", "21 Oct 2015"] {
            assert_eq!(parse_cookie_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn domains_and_paths_match_as_rfc_6265_says() {
        assert!(domain_match("www.example.com", "example.com"));
        assert!(!domain_match("wwwexample.com", "example.com"));
        assert!(!domain_match("1.2.3.4", "2.3.4"));
        assert!(path_match("/a/b", "/a") && path_match("/a/", "/a/") && path_match("/a", "/a"));
        assert!(!path_match("/ab", "/a"));
        assert_eq!(default_path("/a/b/c"), "/a/b");
        assert_eq!(default_path("/a"), "/");
    }

    #[test]
    fn expiry_and_security() {
        let mut jar = CookieJar::new();
        let request = TestRequest::get("/");
        jar.store("old=1; Expires=Thu, 01 Jan 1994 00:00:00 GMT", &request);
        jar.store("new=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT", &request);
        jar.store("aged=1; Max-Age=60; Expires=Thu, 01 Jan 1994 00:00:00 GMT", &request);
        jar.store("novalue", &request);
        jar.store("=x", &request);
        let names: Vec<&str> = jar.cookies().iter().map(|cookie| cookie.name.as_str()).collect();
        assert_eq!(names, ["new", "aged"]);
        jar.store("new=2; Max-Age=-1", &request);
        assert!(jar.get("new").is_none());
        jar.store("s=1; Secure", &request);
        assert!(jar.matching(&request).iter().all(|cookie| cookie.name != "s"));
        assert_eq!(jar.matching(&TestRequest::get("/").scheme("https")).len(), 2);
    }
}
