//! [`Multipart`]: a `multipart/form-data` body (RFC 7578) with fields and
//! files, encoded as browsers encode it.

/// A `multipart/form-data` body: text fields and files in order, for
/// [`TestRequest::multipart`](super::TestRequest::multipart).
///
/// Shapes: names and file names are text, sent as UTF-8 with `"`, CR and
/// LF percent-encoded (`%22`, `%0D`, `%0A`), as the WHATWG HTML standard
/// has browsers do; field values are sent as UTF-8, file contents as the
/// bytes given. A file part has a `Content-Type` (default
/// `application/octet-stream`); a field part has none. The boundary is
/// `----wsgirefBoundary` and a number, the first not found in any part, so
/// the same body always gives the same bytes.
///
/// # Example
///
/// ```
/// use wsgiref::testing::{Multipart, TestRequest};
///
/// let form = Multipart::new()
///     .field("title", "Notes")
///     .file("upload", "a.txt", "text/plain", b"hello\n".to_vec());
/// let request = TestRequest::post("/upload").multipart(form);
/// let environ = request.to_environ();
/// assert_eq!(
///     environ.get("CONTENT_TYPE"),
///     Some("multipart/form-data; boundary=----wsgirefBoundary0")
/// );
/// let body = String::from_utf8(request.to_bytes()).unwrap();
/// assert!(body.ends_with(concat!(
///     "------wsgirefBoundary0\r\n",
///     "Content-Disposition: form-data; name=\"title\"\r\n\r\n",
///     "Notes\r\n",
///     "------wsgirefBoundary0\r\n",
///     "Content-Disposition: form-data; name=\"upload\"; filename=\"a.txt\"\r\n",
///     "Content-Type: text/plain\r\n\r\n",
///     "hello\n\r\n",
///     "------wsgirefBoundary0--\r\n",
/// )));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Spec: RFC 7578 (multipart/form-data), RFC 2046 §5.1 (boundaries), WHATWG
/// HTML "multipart/form-data encoding algorithm". Compare Werkzeug's
/// `EnvironBuilder(data={'f': (BytesIO(b'...'), 'a.txt')})` and Django's
/// `client.post(path, {'f': file})`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multipart {
    parts: Vec<Part>,
}

/// One part: its name, and for a file its file name and content type.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    name: String,
    file: Option<(String, String)>,
    data: Vec<u8>,
}

impl Multipart {
    /// An empty form (its body is only the closing boundary).
    ///
    /// # Example
    ///
    /// ```
    /// let (_content_type, body) = wsgiref::testing::Multipart::new().encode();
    /// assert_eq!(body, b"------wsgirefBoundary0--\r\n");
    /// ```
    pub fn new() -> Multipart {
        Multipart::default()
    }

    /// Add a text field.
    ///
    /// # Example
    ///
    /// ```
    /// let (_content_type, body) = wsgiref::testing::Multipart::new().field("q", "caf\u{e9}").encode();
    /// assert!(body.windows(5).any(|w| w == "caf\u{e9}".as_bytes()));
    /// ```
    pub fn field(mut self, name: &str, value: &str) -> Multipart {
        self.parts.push(Part {
            name: name.to_string(),
            file: None,
            data: value.as_bytes().to_vec(),
        });
        self
    }

    /// Add a file: the field's `name`, the `filename` the browser would
    /// send, its `content_type` (an empty one means
    /// `application/octet-stream`) and its bytes.
    ///
    /// # Panics
    ///
    /// When `content_type` contains CR, LF or NUL.
    ///
    /// # Example
    ///
    /// ```
    /// let form = wsgiref::testing::Multipart::new().file("f", "x\".bin", "", vec![0, 255]);
    /// let body = form.encode().1;
    /// let text = String::from_utf8_lossy(&body);
    /// assert!(text.contains("name=\"f\"; filename=\"x%22.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"));
    /// ```
    pub fn file(mut self, name: &str, filename: &str, content_type: &str, data: Vec<u8>) -> Multipart {
        assert!(
            !content_type.contains(['\r', '\n', '\0']),
            "content type {content_type:?} contains CR, LF or NUL"
        );
        let content_type = if content_type.is_empty() {
            "application/octet-stream"
        } else {
            content_type
        };
        self.parts.push(Part {
            name: name.to_string(),
            file: Some((filename.to_string(), content_type.to_string())),
            data,
        });
        self
    }

    /// The `Content-Type` header value (with its boundary) and the body.
    ///
    /// # Example
    ///
    /// ```
    /// let (content_type, body) = wsgiref::testing::Multipart::new().field("a", "1").encode();
    /// assert_eq!(content_type, "multipart/form-data; boundary=----wsgirefBoundary0");
    /// assert!(body.starts_with(b"------wsgirefBoundary0\r\n"));
    /// ```
    pub fn encode(&self) -> (String, Vec<u8>) {
        let boundary = self.boundary();
        let mut body = Vec::new();
        for part in &self.parts {
            body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
            let mut disposition = format!("Content-Disposition: form-data; name=\"{}\"", escape(&part.name));
            if let Some((filename, content_type)) = &part.file {
                disposition.push_str(&format!(
                    "; filename=\"{}\"\r\nContent-Type: {content_type}",
                    escape(filename)
                ));
            }
            body.extend_from_slice(disposition.as_bytes());
            body.extend_from_slice(b"\r\n\r\n");
            body.extend_from_slice(&part.data);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        (format!("multipart/form-data; boundary={boundary}"), body)
    }

    /// The first `----wsgirefBoundary{n}` that no part's data contains
    /// (RFC 2046 §5.1.1: the boundary must not appear in the parts).
    fn boundary(&self) -> String {
        (0u64..)
            .map(|n| format!("----wsgirefBoundary{n}"))
            .find(|boundary| {
                !self
                    .parts
                    .iter()
                    .any(|part| part.data.windows(boundary.len()).any(|w| w == boundary.as_bytes()))
            })
            .unwrap_or_default()
    }
}

/// A name or file name in a quoted string: `"`, CR and LF percent-encoded,
/// as browsers do (WHATWG HTML); other characters sent as UTF-8.
fn escape(name: &str) -> String {
    name.replace('"', "%22").replace('\r', "%0D").replace('\n', "%0A")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_avoids_the_data() {
        let form = Multipart::new().field("a", "x----wsgirefBoundary0y----wsgirefBoundary1");
        let (content_type, body) = form.encode();
        assert_eq!(content_type, "multipart/form-data; boundary=----wsgirefBoundary2");
        assert!(body.starts_with(b"------wsgirefBoundary2\r\n"));
    }

    #[test]
    fn names_are_escaped_like_browsers() {
        let form = Multipart::new().file("n\"a\r\nme", "caf\u{e9}.txt", "text/plain", b"x".to_vec());
        let body = String::from_utf8(form.encode().1).unwrap();
        assert!(body.contains("name=\"n%22a%0D%0Ame\"; filename=\"caf\u{e9}.txt\""));
    }
}
