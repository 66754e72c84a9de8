//! Serve the files of a directory, alone or mounted under a URL prefix next
//! to another application: `GET` and `HEAD`, `Content-Type` from the file
//! name, `Content-Length`, `Last-Modified` and `If-Modified-Since` (304), a
//! listing page for directories, and never a byte from outside that
//! directory.
//!
//! New (CPython's wsgiref has none); what a dev server gets from Django's
//! `django.views.static.serve` or Werkzeug's `SharedDataMiddleware`, and
//! what `wsgiref --static DIR` serves. Needs the `static` feature, which the
//! default `cli` feature turns on.
//!
//! # Example
//!
//! ```
//! use std::io::{Read, Write};
//! use wsgiref::static_files::StaticFiles;
//!
//! let root = std::env::temp_dir().join(format!("wsgiref-static-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&root)?;
//! std::fs::write(root.join("hello.txt"), "Hello, file!\n")?;
//!
//! // Files under /static/, everything else to demo_app.
//! let app = StaticFiles::mount("/static", &root, wsgiref::simple_server::demo_app)?;
//! let server = wsgiref::make_server("127.0.0.1", 0, app)?;
//! let address = server.server_address();
//! let client = std::thread::spawn(move || -> std::io::Result<String> {
//!     let mut stream = std::net::TcpStream::connect(address)?;
//!     stream.write_all(b"GET /static/hello.txt HTTP/1.0\r\n\r\n")?;
//!     let mut response = String::new();
//!     stream.read_to_string(&mut response)?;
//!     Ok(response)
//! });
//! server.handle_request()?;
//! let response = client.join().unwrap()?;
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert!(response.contains("Content-Type: text/plain; charset=utf-8\r\n"));
//! assert!(response.ends_with("\r\n\r\nHello, file!\n"));
//! std::fs::remove_dir_all(&root)?;
//! # Ok::<(), wsgiref::AppError>(())
//! ```
//!
//! # How a request path is checked
//!
//! `PATH_INFO` arrives percent-decoded (so `%2e%2e` is already `..` and
//! `%2f` is `/`), one latin-1 `char` per byte. Then:
//!
//! 1. Its bytes must be UTF-8 (else 404).
//! 2. It is split at `/`; empty and `.` segments are skipped (so `//etc`
//!    is `etc` under the root, never the absolute `/etc`). A segment that is
//!    `..`, or holds a backslash, a NUL or a `:` (a Windows drive or stream),
//!    or that the platform would not take as one plain file name, is refused
//!    with 404.
//! 3. The segments are appended to the root one by one, and the result is
//!    resolved with `canonicalize` (symbolic links followed). A path that
//!    then lies outside the root (a link pointing out) is refused with 403;
//!    one that does not exist gets 404.
//!
//! Only regular files and directories are served (a FIFO or a device under
//! the root gets 404, so a worker never blocks on one).
//!
//! # Design notes
//!
//! - **Requests under the mount prefix never reach the other
//!   application**, not even for a missing file (Werkzeug's
//!   `SharedDataMiddleware` passes them on): a refused path gets a clear
//!   status, and application code that might echo it never sees it.
//! - **Between the check and the open, a link could be swapped** by someone
//!   who can write under the root. A dev server trusts its own files; a
//!   production server would open each segment with `O_NOFOLLOW` (not in
//!   std).
//! - **Dates at one-second resolution**: HTTP dates have no fractions, so
//!   `Last-Modified` and the `If-Modified-Since` comparison drop them.

use std::fmt;
use std::fs::{self, File};
use std::io;
use std::path::{Component, Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::date::format_date_time;
use crate::handlers::escape_html;
use crate::types::{AppError, Application, Body, Environ, StartResponse};
use crate::uri::quote_from_bytes;
use crate::util::to_bytes;

/// Block size for file bodies given to `wsgi.file_wrapper`, in bytes.
const FILE_BLOCK_SIZE: usize = 64 * 1024;

/// An application that serves the files under a directory (the *root*),
/// optionally only under a URL prefix, with another application for every
/// other path.
///
/// Shapes: the prefix is a URL path such as `/static` (a trailing `/` is
/// dropped; `""` or `/` means every path). When a request is under the
/// prefix, the prefix moves from `PATH_INFO` to `SCRIPT_NAME`, as
/// [`crate::util::shift_path_info`] would move it.
///
/// # Example
///
/// See the [module documentation](self).
pub struct StaticFiles {
    // Configuration.
    /// The root directory, canonical (absolute, links resolved).
    root: PathBuf,
    /// The URL prefix without a trailing `/`: `""` for every path.
    prefix: String,
    // Collaborators.
    /// Where requests outside the prefix go; `None` answers them with 404.
    application: Option<Box<dyn Application>>,
}

impl StaticFiles {
    /// Serve the files under `root` for every request path.
    ///
    /// # Errors
    ///
    /// The `io::Error` of resolving `root` (it does not exist), or
    /// `InvalidInput` when it is not a directory.
    ///
    /// # Example
    ///
    /// ```
    /// let files = wsgiref::static_files::StaticFiles::new(".")?;
    /// assert!(files.root().is_absolute());
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn new(root: impl AsRef<Path>) -> io::Result<StaticFiles> {
        let root = root.as_ref().canonicalize()?;
        if !root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{} is not a directory", root.display()),
            ));
        }
        Ok(StaticFiles {
            root,
            prefix: String::new(),
            application: None,
        })
    }

    /// Serve the files under `root` at the URL `prefix` (such as
    /// `/static`), and every other request with `application`.
    ///
    /// # Errors
    ///
    /// As [`StaticFiles::new`].
    ///
    /// # Example
    ///
    /// ```
    /// use wsgiref::static_files::StaticFiles;
    /// let app = StaticFiles::mount("/static/", ".", wsgiref::simple_server::hello_app)?;
    /// assert_eq!(app.prefix(), "/static");
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn mount(
        prefix: &str,
        root: impl AsRef<Path>,
        application: impl Application + 'static,
    ) -> io::Result<StaticFiles> {
        let mut files = StaticFiles::new(root)?;
        files.prefix = format!("/{}", prefix.trim_matches('/'));
        if files.prefix == "/" {
            files.prefix.clear();
        }
        files.application = Some(Box::new(application));
        Ok(files)
    }

    /// The root directory, canonical.
    ///
    /// # Example
    ///
    /// See [`StaticFiles::new`].
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The URL prefix the files are served under, without a trailing `/`
    /// (`""` for every path).
    ///
    /// # Example
    ///
    /// See [`StaticFiles::mount`].
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Answer a request whose `PATH_INFO` is relative to the root.
    fn serve(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        let method = environ.get("REQUEST_METHOD").unwrap_or("GET");
        if method != "GET" && method != "HEAD" {
            return plain_response(start_response, "405 Method Not Allowed", &[("Allow", "GET, HEAD")]);
        }
        let path_info = environ.get("PATH_INFO").unwrap_or("").to_string();
        let segments = match safe_segments(&path_info) {
            Ok(segments) => segments,
            Err(why) => {
                log::debug!("refused path {path_info:?}: {why}");
                return plain_response(start_response, "404 Not Found", &[]);
            }
        };
        let mut path = self.root.clone();
        path.extend(&segments);
        let path = match self.resolve(&path) {
            Ok(path) => path,
            Err(status) => return plain_response(start_response, status, &[]),
        };
        if path.is_dir() {
            if !path_info.ends_with('/') {
                // Relative links in the listing need the trailing slash.
                let location = directory_location(environ, &segments);
                return plain_response(start_response, "301 Moved Permanently", &[("Location", &location)]);
            }
            let index = path.join("index.html");
            match self.resolve(&index) {
                Ok(index) if index.is_file() => return serve_file(environ, start_response, &index),
                _ => return serve_listing(environ, start_response, &path),
            }
        }
        if path.is_file() {
            return serve_file(environ, start_response, &path);
        }
        plain_response(start_response, "404 Not Found", &[])
    }

    /// Follow links; refuse what does not exist (404) or lies outside the
    /// root (403).
    fn resolve(&self, path: &Path) -> Result<PathBuf, &'static str> {
        let real = path.canonicalize().map_err(|_| "404 Not Found")?;
        if !real.starts_with(&self.root) {
            log::warn!(
                "{} leads outside {} (a symbolic link?); refused",
                path.display(),
                self.root.display()
            );
            return Err("403 Forbidden");
        }
        Ok(real)
    }
}

impl Application for StaticFiles {
    fn call(&self, environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
        let path_info = environ.get("PATH_INFO").unwrap_or("").to_string();
        let Some(rest) = strip_mount_prefix(&path_info, &self.prefix) else {
            return match &self.application {
                Some(application) => application.call(environ, start_response),
                None => plain_response(start_response, "404 Not Found", &[]),
            };
        };
        let script_name = format!("{}{}", environ.get("SCRIPT_NAME").unwrap_or(""), self.prefix);
        let rest = rest.to_string();
        environ.insert("SCRIPT_NAME", script_name);
        environ.insert("PATH_INFO", rest);
        self.serve(environ, start_response)
    }

    fn run_worker(&self, serve: &mut (dyn FnMut() + Send)) {
        match &self.application {
            Some(application) => application.run_worker(serve),
            None => serve(),
        }
    }
}

impl fmt::Debug for StaticFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticFiles")
            .field("root", &self.root)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// What follows `prefix` in `path_info` when the path is under it: `/static`
/// matches `/static` and `/static/x`, not `/staticx`.
fn strip_mount_prefix<'a>(path_info: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = path_info.strip_prefix(prefix)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// The file-name segments of a `PATH_INFO`, each checked to be one plain
/// name (see the module documentation); the reason when one is not.
fn safe_segments(path_info: &str) -> Result<Vec<String>, String> {
    let bytes = to_bytes(path_info).ok_or("not a native string")?;
    let path = String::from_utf8(bytes).map_err(|_| "not UTF-8")?;
    let mut segments = Vec::new();
    for segment in path.split('/') {
        if segment.is_empty() || segment == "." {
            continue;
        }
        if segment == ".." {
            return Err("a \"..\" segment".into());
        }
        if segment.contains(['\\', '\0', ':']) {
            return Err(format!("segment {segment:?} holds a backslash, NUL or colon"));
        }
        let mut components = Path::new(segment).components();
        if !matches!(
            (components.next(), components.next()),
            (Some(Component::Normal(_)), None)
        ) {
            return Err(format!("segment {segment:?} is not a plain file name"));
        }
        segments.push(segment.to_string());
    }
    Ok(segments)
}

/// Where a directory asked for without its trailing slash lives: built
/// from the checked segments, so it can never start with `//` (which a
/// browser would take for another host).
fn directory_location(environ: &Environ, segments: &[String]) -> String {
    let script_name = environ.get("SCRIPT_NAME").unwrap_or("");
    let script_name = to_bytes(script_name).unwrap_or_default();
    let mut location = format!("/{}", quote_path(&script_name).trim_matches('/'));
    for segment in segments {
        if !location.ends_with('/') {
            location.push('/');
        }
        location.push_str(&quote_path(segment.as_bytes()));
    }
    if !location.ends_with('/') {
        location.push('/');
    }
    location
}

/// A file: 304 when `If-Modified-Since` says the client has it, else 200
/// with the file through `wsgi.file_wrapper` (no body bytes for HEAD).
fn serve_file(environ: &mut Environ, start_response: StartResponse, path: &Path) -> Result<Body, AppError> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::PermissionDenied => {
            return plain_response(start_response, "403 Forbidden", &[]);
        }
        Err(_) => return plain_response(start_response, "404 Not Found", &[]),
    };
    let metadata = file.metadata()?;
    let modified = metadata.modified().ok().map(whole_seconds);
    let last_modified = modified.map(format_date_time);
    if let Some(modified) = modified
        && not_modified_since(environ, modified)
    {
        let headers: Vec<(&str, &str)> = last_modified
            .iter()
            .map(|date| ("Last-Modified", date.as_str()))
            .collect();
        start_response.call("304 Not Modified", headers)?;
        return Ok(Body::empty());
    }
    let mut headers = vec![
        ("Content-Type".to_string(), content_type(path)),
        ("Content-Length".to_string(), metadata.len().to_string()),
    ];
    if let Some(date) = last_modified {
        headers.push(("Last-Modified".to_string(), date));
    }
    start_response.call("200 OK", headers)?;
    if environ.get("REQUEST_METHOD") == Some("HEAD") {
        return Ok(Body::empty());
    }
    Ok(environ.wrap_file(file, FILE_BLOCK_SIZE))
}

/// `If-Modified-Since` (GET and HEAD only, ignored beside `If-None-Match`
/// or when not an HTTP-date): whether the file changed since that date.
///
/// Spec: RFC 9110 §13.1.3; §5.6.7 (all three HTTP-date formats accepted).
fn not_modified_since(environ: &Environ, modified: SystemTime) -> bool {
    if environ.contains_key("HTTP_IF_NONE_MATCH") {
        return false;
    }
    match environ.get("HTTP_IF_MODIFIED_SINCE").map(httpdate::parse_http_date) {
        Some(Ok(since)) => modified <= since,
        _ => false,
    }
}

/// `time` without its fraction of a second.
fn whole_seconds(time: SystemTime) -> SystemTime {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_secs());
    UNIX_EPOCH + std::time::Duration::from_secs(seconds)
}

/// `Content-Type` from the file name (`application/octet-stream` when
/// unknown); text types say UTF-8.
fn content_type(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    if mime.type_() == mime_guess::mime::TEXT {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    }
}

/// A directory listing page, as `http.server`'s `list_directory` writes it:
/// names sorted, directories with a trailing `/`, links percent-encoded and
/// names HTML-escaped.
fn serve_listing(environ: &Environ, start_response: StartResponse, directory: &Path) -> Result<Body, AppError> {
    let mut names: Vec<(String, bool)> = Vec::new();
    for entry in fs::read_dir(directory)? {
        let entry = entry?;
        let is_dir = fs::metadata(entry.path()).is_ok_and(|metadata| metadata.is_dir());
        names.push((entry.file_name().to_string_lossy().into_owned(), is_dir));
    }
    names.sort_by_key(|(name, _)| name.to_lowercase());
    let shown_path = format!(
        "{}{}",
        environ.get("SCRIPT_NAME").unwrap_or(""),
        environ.get("PATH_INFO").unwrap_or("")
    );
    let shown_path = String::from_utf8_lossy(&to_bytes(&shown_path).unwrap_or_default()).into_owned();
    let title = format!("Directory listing for {}", escape_html(&shown_path));
    let mut page = format!(
        "<!DOCTYPE HTML>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n</head>\n<body>\n<h1>{title}</h1>\n<hr>\n<ul>\n"
    );
    for (name, is_dir) in names {
        let shown = if is_dir { format!("{name}/") } else { name };
        page.push_str(&format!(
            "<li><a href=\"{}\">{}</a></li>\n",
            escape_html(&quote_path(shown.as_bytes())),
            escape_html(&shown)
        ));
    }
    page.push_str("</ul>\n<hr>\n</body>\n</html>\n");
    start_response.call("200 OK", [("Content-Type", "text/html; charset=utf-8")])?;
    if environ.get("REQUEST_METHOD") == Some("HEAD") {
        return Ok(Body::empty());
    }
    Ok(Body::from(page))
}

/// A short `text/plain` page for a status such as `404 Not Found`.
fn plain_response(start_response: StartResponse, status: &str, extra: &[(&str, &str)]) -> Result<Body, AppError> {
    let body = format!("{status}\n");
    let mut headers = vec![
        ("Content-Type".to_string(), "text/plain; charset=utf-8".to_string()),
        ("Content-Length".to_string(), body.len().to_string()),
    ];
    headers.extend(extra.iter().map(|(name, value)| (name.to_string(), value.to_string())));
    start_response.call(status, headers)?;
    Ok(Body::from(body))
}

/// Percent-encode a path's bytes as Python's `urllib.parse.quote(path)`
/// does (its default `safe='/'`): letters, digits, `_.-~` and `/` stay,
/// every other byte becomes `%XX`.
fn quote_path(bytes: &[u8]) -> String {
    quote_from_bytes(bytes, "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_refuse_escapes() {
        let refused = [
            "/../etc/passwd",
            "/a/../../b",
            "/..",
            "/a\\..\\b",
            "/a\0b",
            "/C:/Windows",
            "/caf\u{e9}", // latin-1 0xE9 alone is not UTF-8
        ];
        for path in refused {
            assert!(safe_segments(path).is_err(), "path {path:?}");
        }
        let cases: [(&str, &[&str]); 5] = [
            ("/", &[]),
            ("", &[]),
            ("//etc/passwd", &["etc", "passwd"]),
            ("/a/./b/", &["a", "b"]),
            ("/caf\u{c3}\u{a9}.txt", &["café.txt"]),
        ];
        for (path, expected) in cases {
            assert_eq!(safe_segments(path).unwrap(), expected, "path {path:?}");
        }
    }

    #[test]
    fn mount_prefixes() {
        let cases = [
            ("/static/a", "/static", Some("/a")),
            ("/static", "/static", Some("")),
            ("/staticx", "/static", None),
            ("/other", "/static", None),
            ("/x", "", Some("/x")),
        ];
        for (path_info, prefix, expected) in cases {
            assert_eq!(
                strip_mount_prefix(path_info, prefix),
                expected,
                "{path_info:?} under {prefix:?}"
            );
        }
    }

    #[test]
    fn quoting_and_escaping() {
        assert_eq!(quote_path("a b/<c>&\"'.txt".as_bytes()), "a%20b/%3Cc%3E%26%22%27.txt");
        assert_eq!(quote_path("é".as_bytes()), "%C3%A9");
        assert_eq!(
            escape_html("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;&#x27;&lt;/a&gt;"
        );
    }

    #[test]
    fn directory_locations_never_start_with_two_slashes() {
        let mut environ = Environ::new();
        environ.insert("SCRIPT_NAME", "");
        assert_eq!(directory_location(&environ, &["evil.com".to_string()]), "/evil.com/");
        environ.insert("SCRIPT_NAME", "/static");
        assert_eq!(directory_location(&environ, &["a b".to_string()]), "/static/a%20b/");
        assert_eq!(directory_location(&environ, &[]), "/static/");
    }
}
