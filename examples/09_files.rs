//! Chapter 9: serving files with `wsgi.file_wrapper` and `FileWrapper`.
//!
//! ```text
//! cargo run --example 09_files
//! curl -i http://127.0.0.1:8000/hello.txt    # in another terminal, or open
//!                                            # http://127.0.0.1:8000/ in a browser
//! ```
//!
//! See `tutorial/09-serving-files.md`.

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use wsgiref::util::decode_utf8;
use wsgiref::{AppError, Body, Environ, StartResponse, make_server};

// ANCHOR: app
/// Serve the files under `tutorial/static/`.
pub fn app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let path = file_path(environ.get("PATH_INFO").unwrap_or("/"));
    let Some(file) = path.as_deref().and_then(|path| File::open(path).ok()) else {
        return not_found(start_response);
    };
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return not_found(start_response);
    }
    let length = metadata.len().to_string();
    let headers = [
        ("Content-Type", content_type(path.as_deref())),
        ("Content-Length", length.as_str()),
    ];
    start_response.call("200 OK", headers)?;
    // wsgi.file_wrapper: the server's way of sending a file, 8 KiB at a time.
    Ok(environ.wrap_file(file, 8192))
}
// ANCHOR_END: app

// ANCHOR: file_path
/// The file for a `PATH_INFO`, or `None` when the path tries to leave the
/// folder (`..`), names a hidden file (`.`) or is not UTF-8.
pub fn file_path(path_info: &str) -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tutorial/static");
    // PATH_INFO is already percent-decoded: "%2e%2e" arrives as "..".
    let path_info = decode_utf8(path_info).ok()?;
    let mut path = root;
    for segment in path_info.split('/').filter(|segment| !segment.is_empty()) {
        if segment.starts_with('.') || segment.contains('\\') {
            return None;
        }
        path.push(segment);
    }
    if path_info.ends_with('/') || path_info.is_empty() {
        path.push("index.html");
    }
    Some(path)
}
// ANCHOR_END: file_path

fn content_type(path: Option<&Path>) -> &'static str {
    match path.and_then(Path::extension).and_then(|extension| extension.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        Some("css") => "text/css",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

fn not_found(start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("404 Not Found", [("Content-Type", "text/plain")])?;
    Ok(Body::from("No such file.\n"))
}

fn main() -> Result<(), AppError> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"))
        .format(|out, record| writeln!(out, "{}", record.args()))
        .init();

    let server = make_server("127.0.0.1", 8000, app)?;
    println!("Serving tutorial/static/ on http://127.0.0.1:8000/ ... (Ctrl-C to stop)");
    server.serve_forever()?;
    Ok(())
}
