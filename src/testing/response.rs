//! [`TestResponse`]: a response as a client reads it, with the helpers a
//! test asserts with, and [`Wire`]: the bytes both ways.

use crate::native::from_latin1;

use super::TestRequest;

/// The response an application gave, as a client receives it.
///
/// Shapes: `headers` in order, values latin-1 native strings; `Date`,
/// `Server` and `Connection: close` are there as the server sends them;
/// `body` is bytes (none for `HEAD`, 204 and 304), decoded from chunked
/// transfer-coding when it was streamed (`chunks` then keeps the chunks as
/// sent); `errors` is everything the application wrote to `wsgi.errors`
/// (UTF-8, lossy). An interim `100 Continue` response is skipped.
///
/// # Example
///
/// ```
/// use wsgiref::testing::{TestRequest, run};
///
/// let response = run(&wsgiref::simple_server::hello_app, TestRequest::get("/"));
/// assert_eq!(response.status_line(), "200 OK");
/// assert_eq!(response.header("content-type"), Some("text/plain"));
/// assert!(response.header("Date").is_some());
/// assert_eq!(response.body, b"Hello world!\n");
/// assert!(!response.is_streamed());
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Compare Werkzeug's `werkzeug.test.TestResponse` and Django's test
/// client response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResponse {
    /// The status code, such as `404` (Werkzeug's `status_code`).
    pub status: u16,
    /// The reason phrase, such as `"Not Found"`.
    pub reason: String,
    /// The response headers in order, `(name, value)`.
    pub headers: Vec<(String, String)>,
    /// The body bytes (Werkzeug's `get_data()`).
    pub body: Vec<u8>,
    /// What the application wrote to `wsgi.errors`.
    pub errors: String,
    /// Whether the whole response was sent: `false` when an error after
    /// the headers cut it off (over a socket: a body shorter than its
    /// `Content-Length`, or a chunked body without its last chunk).
    pub complete: bool,
    /// The body's chunks as they were framed, when it was sent with
    /// `Transfer-Encoding: chunked` (a streamed body of unknown length);
    /// `None` for a body with `Content-Length` or none.
    pub chunks: Option<Vec<Vec<u8>>>,
    /// The request that produced this response, as sent (with the cookies
    /// a [`TestClient`](super::TestClient) added); `None` only for a
    /// response made by hand.
    pub request: Option<TestRequest>,
    /// The responses that redirected to this one, first first, when a
    /// [`TestClient`](super::TestClient) followed redirects (Werkzeug's
    /// `response.history`, Django's `response.redirect_chain`).
    pub history: Vec<TestResponse>,
    /// The exact bytes sent and received, for a response that came over a
    /// socket ([`serve_once`](super::serve_once),
    /// [`TestClient::over_socket`](super::TestClient::over_socket)).
    pub wire: Option<Wire>,
}

impl TestResponse {
    /// The status as `start_response` got it: `"200 OK"`.
    ///
    /// # Example
    ///
    /// ```
    /// let response = wsgiref::testing::run(&wsgiref::simple_server::demo_app, wsgiref::testing::TestRequest::get("/"));
    /// assert_eq!(response.status_line(), "200 OK");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn status_line(&self) -> String {
        format!("{} {}", self.status, self.reason)
    }

    /// The value of the first header called `name` (case-insensitive).
    ///
    /// # Example
    ///
    /// ```
    /// let response = wsgiref::testing::run(&wsgiref::simple_server::demo_app, wsgiref::testing::TestRequest::get("/"));
    /// assert_eq!(response.header("Connection"), Some("close"));
    /// assert_eq!(response.header("Set-Cookie"), None);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.header_all(name).into_iter().next()
    }

    /// Every value of the headers called `name` (case-insensitive), in
    /// order, such as each `Set-Cookie`; empty when there is none.
    ///
    /// # Example
    ///
    /// ```
    /// let app = wsgiref::app_fn(|_environ, start_response| {
    ///     start_response.call("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "a=1"), ("set-cookie", "b=2")])?;
    ///     Ok(wsgiref::Body::from(""))
    /// });
    /// let response = wsgiref::testing::run(&app, wsgiref::testing::TestRequest::get("/"));
    /// assert_eq!(response.header_all("Set-Cookie"), ["a=1", "b=2"]);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Compare Werkzeug's `response.headers.getlist(name)`.
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The body bytes (the same as the `body` field).
    ///
    /// # Example
    ///
    /// ```
    /// let response = wsgiref::testing::run(&wsgiref::simple_server::hello_app, wsgiref::testing::TestRequest::get("/"));
    /// assert_eq!(response.bytes(), b"Hello world!\n");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// The `charset` parameter of `Content-Type`, lowercased, without
    /// quotes: `Some("utf-8")` for `text/html; charset="UTF-8"`.
    ///
    /// # Example
    ///
    /// ```
    /// let app = wsgiref::app_fn(|_environ, start_response| {
    ///     start_response.call("200 OK", [("Content-Type", "text/plain; Charset=\"ISO-8859-1\"")])?;
    ///     Ok(wsgiref::Body::from(b"caf\xe9".to_vec()))
    /// });
    /// let response = wsgiref::testing::run(&app, wsgiref::testing::TestRequest::get("/"));
    /// assert_eq!(response.charset().as_deref(), Some("iso-8859-1"));
    /// assert_eq!(response.text(), "caf\u{e9}");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Spec: RFC 9110 §8.3.1 (media type parameters).
    pub fn charset(&self) -> Option<String> {
        let content_type = self.header("Content-Type")?;
        content_type.split(';').skip(1).find_map(|parameter| {
            let (name, value) = parameter.split_once('=')?;
            let value = value.trim().trim_matches('"');
            name.trim()
                .eq_ignore_ascii_case("charset")
                .then(|| value.to_ascii_lowercase())
        })
    }

    /// The body as text, decoded with the charset of `Content-Type`:
    /// `iso-8859-1` (`latin1`, `us-ascii`) byte for char, anything else,
    /// and no charset, as UTF-8 (invalid bytes become U+FFFD).
    ///
    /// # Example
    ///
    /// ```
    /// let response = wsgiref::testing::run(&wsgiref::simple_server::demo_app, wsgiref::testing::TestRequest::get("/"));
    /// assert!(response.text().starts_with("Hello world!\n"));
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Compare Werkzeug's `response.get_data(as_text=True)` / `.text`.
    pub fn text(&self) -> String {
        match self.charset().as_deref() {
            Some("iso-8859-1" | "latin1" | "latin-1" | "l1" | "us-ascii" | "ascii") => from_latin1(&self.body),
            _ => String::from_utf8_lossy(&self.body).into_owned(),
        }
    }

    /// The body parsed as JSON (feature `json`).
    ///
    /// # Errors
    ///
    /// `serde_json`'s error when the body is not JSON.
    ///
    /// # Example
    ///
    /// ```
    /// let response = wsgiref::testing::run(&wsgiref::simple_server::echo_app, wsgiref::testing::TestRequest::post("/").json(r#"{"id": [1, 2]}"#));
    /// assert_eq!(response.json()?["id"][1], 2);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Compare Werkzeug's `response.json`, Django's `response.json()`.
    #[cfg(feature = "json")]
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// Whether the body was streamed: sent with chunked transfer-coding,
    /// its chunks kept in `chunks`.
    ///
    /// # Example
    ///
    /// ```
    /// let app = wsgiref::app_fn(|_environ, start_response| {
    ///     start_response.call("200 OK", [("Content-Type", "text/plain")])?;
    ///     Ok(wsgiref::Body::from_chunks(["one ", "two"]))
    /// });
    /// let response = wsgiref::testing::run(&app, wsgiref::testing::TestRequest::get("/"));
    /// assert!(response.is_streamed());
    /// assert_eq!(response.chunks, Some(vec![b"one ".to_vec(), b"two".to_vec()]));
    /// assert_eq!(response.text(), "one two");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Compare Werkzeug's `Client(..., buffered=False)` and `response.is_streamed`.
    pub fn is_streamed(&self) -> bool {
        self.chunks.is_some()
    }
}

/// The exact bytes of one exchange over a socket: what the client sent and
/// what it read until the server closed.
///
/// Shapes: both are raw bytes; [`Wire::response_head`] is the status line
/// and header lines (latin-1 text, up to the blank line), so a test can
/// assert on framing (`Content-Length`, `Transfer-Encoding`, `Connection`)
/// as easily as on the body.
///
/// # Example
///
/// ```
/// use wsgiref::testing::{TestRequest, serve_once};
///
/// let response = serve_once(wsgiref::simple_server::hello_app, TestRequest::new("HEAD", "/"))?;
/// let wire = response.wire.as_ref().expect("over a socket");
/// assert!(wire.request.starts_with(b"HEAD / HTTP/1.1\r\n"));
/// assert!(wire.response_head().contains("\r\nContent-Length: 13\r\n"));
/// assert!(wire.response.ends_with(b"\r\n\r\n"), "HEAD: no body on the wire");
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// None of Werkzeug's or Django's clients shows the bytes; compare
/// `curl -v` or a packet capture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wire {
    /// The request bytes as sent ([`TestRequest::to_bytes`]).
    pub request: Vec<u8>,
    /// Every byte the client read, interim `100 Continue` included.
    pub response: Vec<u8>,
}

impl Wire {
    /// The response's status line and headers as latin-1 text, ending with
    /// the blank line's `\r\n\r\n` (all of it when there is no blank line).
    /// After an interim `100 Continue`, that interim head is the first one:
    /// this returns it, and [`Wire::response_body`] starts with the final head.
    ///
    /// # Example
    ///
    /// ```
    /// let wire = wsgiref::testing::Wire { request: Vec::new(), response: b"HTTP/1.1 204 No Content\r\n\r\n".to_vec() };
    /// assert_eq!(wire.response_head(), "HTTP/1.1 204 No Content\r\n\r\n");
    /// ```
    pub fn response_head(&self) -> String {
        from_latin1(&self.response[..head_end(&self.response)])
    }

    /// The bytes after the response head: the body as framed (chunk sizes
    /// included).
    ///
    /// # Example
    ///
    /// ```
    /// let wire = wsgiref::testing::Wire { request: Vec::new(), response: b"HTTP/1.1 200 OK\r\n\r\n2\r\nhi\r\n0\r\n\r\n".to_vec() };
    /// assert_eq!(wire.response_body(), b"2\r\nhi\r\n0\r\n\r\n");
    /// ```
    pub fn response_body(&self) -> &[u8] {
        &self.response[head_end(&self.response)..]
    }
}

/// Where a head ends: after its first `\r\n\r\n`, or the length.
fn head_end(bytes: &[u8]) -> usize {
    bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .map_or(bytes.len(), |at| at + 4)
}

/// `name: value` lines, values without outer spaces and tabs.
fn parse_header_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Result<Vec<(String, String)>, String> {
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| format!("bad header line {line:?}"))?;
        headers.push((name.to_string(), value.trim_matches([' ', '\t']).to_string()));
    }
    Ok(headers)
}

/// Decode a body sent with chunked transfer-coding: its data, and whether
/// it ended with its last chunk (`false`: the response was cut off, or the
/// framing is malformed; the data before that point is kept).
///
/// Shapes: `framed` is the body as it came off the wire, after the head.
/// It is read with the server's own chunked decoder (`wsgi.input`'s).
///
/// # Example
///
/// ```
/// use wsgiref::testing::decode_chunked;
/// assert_eq!(decode_chunked(b"3\r\nabc\r\n0\r\n\r\n"), (b"abc".to_vec(), true));
/// assert_eq!(decode_chunked(b"3\r\nabc\r\n"), (b"abc".to_vec(), false));
/// ```
///
/// Spec: RFC 9112 §7.1 (chunked transfer coding).
pub fn decode_chunked(framed: &[u8]) -> (Vec<u8>, bool) {
    let mut input = crate::Input::chunked(std::io::Cursor::new(framed.to_vec()));
    let mut data = Vec::new();
    let mut block = [0u8; 8192];
    // Why `read`, not `read_to_end`: each read stops at a chunk's end, so
    // the data before a cut is kept when the next read fails.
    loop {
        match std::io::Read::read(&mut input, &mut block) {
            Ok(0) => return (data, true),
            Ok(count) => data.extend_from_slice(&block[..count]),
            Err(_) => return (data, false),
        }
    }
}

/// Split an HTTP response into status, headers and body, skipping interim
/// (1xx) responses. A chunked body is decoded. `complete` says whether the
/// body is as long as its `Content-Length`, or ended with its last chunk;
/// `errors`, `request` and `wire` are left empty.
pub(super) fn parse_response(raw: &[u8]) -> Result<TestResponse, String> {
    let mut rest = raw;
    loop {
        let end = rest
            .windows(4)
            .position(|window| window == b"\r\n\r\n")
            .ok_or_else(|| format!("no complete response head in {:?}", String::from_utf8_lossy(raw)))?;
        let head = from_latin1(&rest[..end]);
        rest = &rest[end + 4..];
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap_or_default();
        let mut parts = status_line.splitn(3, ' ');
        let status = match (parts.next(), parts.next()) {
            (Some(version), Some(code)) if version.starts_with("HTTP/") => code.parse::<u16>().ok(),
            _ => None,
        }
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
        if (100..200).contains(&status) {
            continue;
        }
        let mut response = TestResponse {
            status,
            reason: parts.next().unwrap_or_default().to_string(),
            headers: parse_header_lines(lines)?,
            body: rest.to_vec(),
            errors: String::new(),
            complete: true,
            chunks: None,
            request: None,
            history: Vec::new(),
            wire: None,
        };
        frame_body(&mut response);
        return Ok(response);
    }
}

/// Check the body against its `Content-Length`, or decode it when it is
/// chunked (keeping its chunks); a 204 or 304 has none. (A response to
/// `HEAD` is checked by the caller, which knows the method.)
fn frame_body(response: &mut TestResponse) {
    if matches!(response.status, 204 | 304) {
        // No body, whatever the headers say (RFC 9110 §6.4.1).
        return;
    }
    if let Some(length) = response.header("Content-Length").and_then(|l| l.parse::<usize>().ok()) {
        response.complete = response.body.len() >= length;
    }
    if response
        .header("Transfer-Encoding")
        .is_some_and(|coding| coding.eq_ignore_ascii_case("chunked"))
    {
        let framed = std::mem::take(&mut response.body);
        (response.body, response.complete) = decode_chunked(&framed);
        response.chunks = Some(split_chunks(&framed));
    }
}

/// The data of each chunk of a chunked body, as framed (extensions and
/// trailers dropped); stops at the last chunk, or where the framing breaks
/// (a cut chunk's data kept). [`decode_chunked`] says whether it was whole.
fn split_chunks(framed: &[u8]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    let mut rest = framed;
    while let Some(line_end) = rest.windows(2).position(|window| window == b"\r\n") {
        let size_line = from_latin1(&rest[..line_end]);
        let size_text = size_line.split(';').next().unwrap_or_default().trim();
        let Ok(size) = usize::from_str_radix(size_text, 16) else {
            break;
        };
        rest = &rest[line_end + 2..];
        if size == 0 {
            break;
        }
        let data = &rest[..size.min(rest.len())];
        chunks.push(data.to_vec());
        rest = rest.get(size + 2..).unwrap_or_default();
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_split_as_framed() {
        // (framed body, chunks, whole)
        type Case = (&'static [u8], &'static [&'static [u8]], bool);
        let cases: [Case; 4] = [
            (b"3\r\nabc\r\n1;x=y\r\nd\r\n0\r\n\r\n", &[b"abc", b"d"], true),
            (b"0\r\n\r\n", &[], true),
            (b"3\r\nabc\r\n5\r\nde", &[b"abc", b"de"], false),
            (b"zz\r\n", &[], false),
        ];
        for (framed, chunks, whole) in cases {
            let split = split_chunks(framed);
            assert_eq!(split, chunks, "{framed:?}");
            assert_eq!(decode_chunked(framed), (split.concat(), whole), "{framed:?}");
        }
    }

    #[test]
    fn parse_keeps_chunks_and_text_follows_the_charset() {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=latin1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n\xe9a\r\n0\r\n\r\n";
        let response = parse_response(raw).unwrap();
        assert_eq!(response.chunks, Some(vec![b"\xe9a".to_vec()]));
        assert_eq!(response.text(), "\u{e9}a");
        assert!(response.complete);
    }
}
