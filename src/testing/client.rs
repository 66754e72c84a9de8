//! [`TestClient`]: an application and a cookie jar, for a test that makes
//! several requests as one browser session.

use std::fmt;
use std::io;
use std::sync::Arc;

use super::{CookieJar, RecordViolation, TestRequest, TestResponse, run, serve_once};
use crate::types::Application;
use crate::validate::{Violation, validator};

/// Most redirects a [`TestClient`] follows for one request.
const MAX_REDIRECTS: usize = 20;

/// Runs requests against one application as a browser session would:
/// cookies the application sets are sent back on later requests,
/// redirects can be followed, and every request goes through the
/// [validator](crate::validate::validator) unless it is switched off.
///
/// Shapes: each request runs in-process through the server's handler, as
/// [`run`] does, or, after [`TestClient::over_socket`], over a real
/// socket as [`serve_once`] does (the response then has its
/// [`Wire`](super::Wire) bytes). The response's `request` is the request
/// as sent (with the jar's cookies), `history` the redirects followed.
///
/// # Example
///
/// A login that sets a cookie, and the next request carrying it:
///
/// ```
/// use wsgiref::testing::{TestClient, TestRequest};
///
/// let app = wsgiref::app_fn(|environ, start_response| {
///     if environ.get("PATH_INFO") == Some("/login") {
///         start_response.call("303 See Other", [("Content-Type", "text/plain"), ("Location", "/me"), ("Set-Cookie", "user=alice; Path=/; HttpOnly")])?;
///         return Ok(wsgiref::Body::from(""));
///     }
///     let who = environ.get("HTTP_COOKIE").unwrap_or("nobody").to_string();
///     start_response.call("200 OK", [("Content-Type", "text/plain")])?;
///     Ok(wsgiref::Body::from(who))
/// });
/// let mut client = TestClient::new(app).follow_redirects(true);
/// let response = client.open(TestRequest::post("/login").form(&[("user", "alice")]))?;
/// assert_eq!(response.text(), "user=alice");
/// assert_eq!(response.history[0].status, 303);
/// assert_eq!(client.cookies().get("user").map(|c| c.value.as_str()), Some("alice"));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Compare Werkzeug's `werkzeug.test.Client(app, use_cookies=True)` and
/// Django's `django.test.Client`.
pub struct TestClient {
    application: Arc<dyn Application>,
    jar: CookieJar,
    use_cookies: bool,
    validate: bool,
    follow_redirects: bool,
    over_socket: bool,
}

impl fmt::Debug for TestClient {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("TestClient")
            .field("jar", &self.jar)
            .field("use_cookies", &self.use_cookies)
            .field("validate", &self.validate)
            .field("follow_redirects", &self.follow_redirects)
            .field("over_socket", &self.over_socket)
            .finish_non_exhaustive()
    }
}

/// Why a [`TestClient`] request gave no response.
///
/// # Example
///
/// ```
/// use wsgiref::testing::{ClientError, TestClient};
///
/// let no_content_type = wsgiref::app_fn(|_environ, start_response| {
///     start_response.call("200 OK", Vec::<(String, String)>::new())?;
///     Ok(wsgiref::Body::from("hi"))
/// });
/// match TestClient::new(no_content_type).get("/") {
///     Err(ClientError::Violation(violation)) => assert_eq!(violation.rule, "content_type_missing"),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The validator found a break of PEP 3333 (see [`crate::validate`]).
    Violation(Violation),
    /// Over a socket: binding, connecting, sending or receiving failed, or
    /// the bytes received were not an HTTP response.
    Io(io::Error),
    /// More redirects than a client follows (20): a loop, most likely.
    TooManyRedirects(Vec<TestResponse>),
}

impl fmt::Display for ClientError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Violation(violation) => write!(formatter, "{violation}"),
            ClientError::Io(error) => write!(formatter, "test request over a socket failed: {error}"),
            ClientError::TooManyRedirects(history) => {
                let targets: Vec<String> = history
                    .iter()
                    .filter_map(|response| Some(response.request.as_ref()?.target()))
                    .collect();
                write!(
                    formatter,
                    "more than {MAX_REDIRECTS} redirects: {}",
                    targets.join(" -> ")
                )
            }
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Violation(violation) => Some(violation),
            ClientError::Io(error) => Some(error),
            ClientError::TooManyRedirects(_) => None,
        }
    }
}

impl TestClient {
    /// A client for `application`: cookies kept, validator on, redirects
    /// not followed, requests run in-process.
    ///
    /// # Example
    ///
    /// ```
    /// let mut client = wsgiref::testing::TestClient::new(wsgiref::simple_server::hello_app);
    /// assert_eq!(client.get("/")?.text(), "Hello world!\n");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn new(application: impl Application + 'static) -> TestClient {
        TestClient {
            application: Arc::new(application),
            jar: CookieJar::new(),
            use_cookies: true,
            validate: true,
            follow_redirects: false,
            over_socket: false,
        }
    }

    /// Switch the validator on (the default) or off: off, a break of PEP
    /// 3333 gives the server's answer (such as its `500` page) instead of a
    /// [`ClientError::Violation`].
    ///
    /// # Example
    ///
    /// ```
    /// let no_content_type = wsgiref::app_fn(|_environ, start_response| {
    ///     start_response.call("200 OK", Vec::<(String, String)>::new())?;
    ///     Ok(wsgiref::Body::from("hi"))
    /// });
    /// let mut client = wsgiref::testing::TestClient::new(no_content_type).validate(false);
    /// assert_eq!(client.get("/")?.text(), "hi");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn validate(mut self, on: bool) -> TestClient {
        self.validate = on;
        self
    }

    /// Follow redirects (301, 302, 303, 307, 308 with a `Location`): the
    /// response is the last one, the ones before it in its `history`. 303,
    /// and 301 and 302 after anything but `HEAD`, become a `GET` without
    /// body, as browsers do; 307 and 308 repeat the method and body.
    ///
    /// # Example
    ///
    /// ```
    /// let app = wsgiref::app_fn(|environ, start_response| {
    ///     if environ.get("PATH_INFO") == Some("/old") {
    ///         start_response.call("301 Moved Permanently", [("Content-Type", "text/plain"), ("Location", "/new")])?;
    ///         return Ok(wsgiref::Body::from(""));
    ///     }
    ///     start_response.call("200 OK", [("Content-Type", "text/plain")])?;
    ///     Ok(wsgiref::Body::from("new"))
    /// });
    /// let mut client = wsgiref::testing::TestClient::new(app).follow_redirects(true);
    /// let response = client.get("/old")?;
    /// assert_eq!((response.status, response.history.len()), (200, 1));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Spec: RFC 9110 §15.4. Compare Werkzeug's `follow_redirects=True`,
    /// Django's `follow=True`.
    pub fn follow_redirects(mut self, on: bool) -> TestClient {
        self.follow_redirects = on;
        self
    }

    /// Send every request over a real socket to a server on `127.0.0.1:0`
    /// (one per request, as [`serve_once`]): each response has the exact
    /// bytes in its `wire`.
    ///
    /// # Example
    ///
    /// ```
    /// let mut client = wsgiref::testing::TestClient::new(wsgiref::simple_server::hello_app).over_socket();
    /// let response = client.get("/")?;
    /// let wire = response.wire.expect("over a socket");
    /// assert!(wire.response_head().starts_with("HTTP/1.1 200 OK\r\n"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn over_socket(mut self) -> TestClient {
        self.over_socket = true;
        self
    }

    /// Keep no cookies: the jar stays as it is and is not sent.
    ///
    /// # Example
    ///
    /// ```
    /// let client = wsgiref::testing::TestClient::new(wsgiref::simple_server::hello_app).without_cookies();
    /// assert!(client.cookies().cookies().is_empty());
    /// ```
    ///
    /// Compare Werkzeug's `use_cookies=False`.
    pub fn without_cookies(mut self) -> TestClient {
        self.use_cookies = false;
        self
    }

    /// The cookie jar.
    ///
    /// # Example
    ///
    /// ```
    /// let client = wsgiref::testing::TestClient::new(wsgiref::simple_server::hello_app);
    /// assert!(client.cookies().get("session").is_none());
    /// ```
    pub fn cookies(&self) -> &CookieJar {
        &self.jar
    }

    /// The cookie jar, to set or remove cookies by hand.
    ///
    /// # Example
    ///
    /// ```
    /// let mut client = wsgiref::testing::TestClient::new(wsgiref::simple_server::echo_app);
    /// client.cookies_mut().set("theme", "dark", "localhost", "/");
    /// let response = client.get("/")?;
    /// assert_eq!(response.request.unwrap().to_environ().get("HTTP_COOKIE"), Some("theme=dark"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn cookies_mut(&mut self) -> &mut CookieJar {
        &mut self.jar
    }

    /// `GET target` (see [`TestClient::open`]).
    ///
    /// # Errors
    ///
    /// As [`TestClient::open`].
    ///
    /// # Example
    ///
    /// ```
    /// let mut client = wsgiref::testing::TestClient::new(wsgiref::simple_server::hello_app);
    /// assert_eq!(client.get("/")?.status, 200);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn get(&mut self, target: &str) -> Result<TestResponse, ClientError> {
        self.open(TestRequest::get(target))
    }

    /// Send `request` with the jar's cookies, store the cookies the
    /// response sets, and follow redirects if asked.
    ///
    /// # Errors
    ///
    /// [`ClientError::Violation`] with the validator on,
    /// [`ClientError::Io`] over a socket, [`ClientError::TooManyRedirects`].
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::testing::{TestClient, TestRequest};
    ///
    /// let mut client = TestClient::new(wsgiref::simple_server::echo_app);
    /// let response = client.open(TestRequest::put("/doc").body("v2"))?;
    /// assert_eq!(response.text(), "v2");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Compare Werkzeug's `client.open(...)`.
    pub fn open(&mut self, request: TestRequest) -> Result<TestResponse, ClientError> {
        let mut base = request;
        let mut history = Vec::new();
        loop {
            let mut response = self.send(&base)?;
            let next = self.redirect_of(&base, &response);
            let Some(next) = next else {
                response.history = history;
                return Ok(response);
            };
            history.push(response);
            if history.len() > MAX_REDIRECTS {
                return Err(ClientError::TooManyRedirects(history));
            }
            base = next;
        }
    }

    /// One request with the jar's cookies added; the jar updated from the response.
    fn send(&mut self, base: &TestRequest) -> Result<TestResponse, ClientError> {
        let mut request = base.clone();
        if self.use_cookies {
            for cookie in self.jar.matching(base) {
                request = request.jar_cookie(&cookie.name, &cookie.value);
            }
        }
        let response = self.run_once(request)?;
        if self.use_cookies {
            self.jar.update(&response);
        }
        Ok(response)
    }

    /// Run one request in-process or over a socket, through the validator if on.
    fn run_once(&self, request: TestRequest) -> Result<TestResponse, ClientError> {
        let application = Arc::clone(&self.application);
        if !self.validate {
            return match self.over_socket {
                true => serve_once(application, request).map_err(ClientError::Io),
                false => Ok(run(&application, request)),
            };
        }
        let checked = RecordViolation {
            application: validator(application),
            violation: Arc::default(),
        };
        let violation = Arc::clone(&checked.violation);
        let response = match self.over_socket {
            true => serve_once(checked, request).map_err(ClientError::Io)?,
            false => run(&checked, request),
        };
        match violation.lock().ok().and_then(|mut violation| violation.take()) {
            Some(violation) => Err(ClientError::Violation(violation)),
            None => Ok(response),
        }
    }

    /// The request a redirect response leads to, when redirects are followed.
    fn redirect_of(&self, base: &TestRequest, response: &TestResponse) -> Option<TestRequest> {
        if !self.follow_redirects || !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
            return None;
        }
        let location = response.header("Location")?;
        let keep_method = matches!(response.status, 307 | 308);
        Some(base.redirected(location, keep_method))
    }
}
