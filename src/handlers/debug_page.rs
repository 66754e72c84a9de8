//! The development error page: what went wrong, as HTML, in place of the
//! plain `500` text, for a server a developer runs on their own machine.
//!
//! Like Django's technical 500 page (`DEBUG = True`) and the traceback
//! page of `flask run --debug`, without their interactive parts: the
//! error's first line, the request line, and the whole error (a Python
//! traceback, or a Rust error's chain of causes), HTML-escaped. Never on a
//! public address: an error can show code paths, settings and data.

/// The page for `error` (its text as the log shows it: first line, then
/// details) on the request `request_line`.
pub(crate) fn render(error_text: &str, request_line: &str) -> String {
    let summary = error_text.lines().next().unwrap_or_default();
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>500 Internal Server Error: {summary}</title>\n\
         <style>body {{ font-family: sans-serif; margin: 2em; }} \
         pre {{ background: #f6f6f6; padding: 1em; overflow: auto; }}</style>\n\
         </head>\n<body>\n<h1>500 Internal Server Error</h1>\n\
         <p><code>{request_line}</code></p>\n<h2>{summary}</h2>\n<pre>{details}</pre>\n\
         <p>This page is shown because the server runs on a loopback address, for \
         development (<code>wsgiref --no-debug-page</code> turns it off). Clients on other \
         machines get the plain error page.</p>\n</body>\n</html>\n",
        summary = escape_html(summary),
        request_line = escape_html(request_line),
        details = escape_html(error_text),
    )
}

/// Escape `&`, `<`, `>`, `"` and `'` for HTML element content and
/// attribute values (the error page here; directory listings in
/// `static_files`).
///
/// Mirrors Python's `html.escape(text, quote=True)`.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_is_escaped_and_shown_whole() {
        let page = render("boom <script>\nTraceback: a & b", "GET /x?<y> HTTP/1.1");
        assert!(page.contains("<title>500 Internal Server Error: boom &lt;script&gt;</title>"));
        assert!(page.contains("<code>GET /x?&lt;y&gt; HTTP/1.1</code>"));
        assert!(page.contains("<pre>boom &lt;script&gt;\nTraceback: a &amp; b</pre>"));
        assert!(!page.contains("<script>"));
        assert_eq!(escape_html("\"'"), "&quot;&#x27;");
    }
}
