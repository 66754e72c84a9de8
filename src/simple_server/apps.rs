//! The applications the server comes with: `demo_app` (as wsgiref's), and
//! `hello_app`, `echo_app`, `bytes_app` for trying and benchmarking it.

use crate::types::{AppError, Body, Environ, StartResponse};

/// Print `Hello world!`, a blank line, then every environ key in sorted
/// order with its value as Python's `repr` shows it. The response is UTF-8
/// `text/plain`.
///
/// # Errors
///
/// Only what `start_response` returns (it cannot fail for these headers).
///
/// # Example
///
/// ```
/// let mut environ = wsgiref::Environ::new();
/// environ.insert("PATH_INFO", "/xyz");
/// let (start_response, _) = wsgiref::StartResponse::recorder();
/// let body = wsgiref::simple_server::demo_app(&mut environ, start_response)?;
/// let text = String::from_utf8(body.map(|c| c.unwrap()).flatten().collect())?;
/// assert!(text.starts_with("Hello world!\n\nPATH_INFO = '/xyz'\n"));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.simple_server.demo_app`.
pub fn demo_app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let mut text = String::from("Hello world!\n\n");
    for (key, value) in environ.repr_items() {
        text.push_str(&format!("{key} = {value}\n"));
    }
    start_response.call("200 OK", [("Content-Type", "text/plain; charset=utf-8")])?;
    Ok(Body::from(text))
}

/// The smallest application: `200 OK`, `text/plain`, body `Hello world!\n`
/// (what the benchmarks serve).
///
/// # Errors
///
/// None in practice (only what `start_response` returns).
///
/// # Example
///
/// ```
/// let (start_response, _) = wsgiref::StartResponse::recorder();
/// let body = wsgiref::simple_server::hello_app(&mut wsgiref::Environ::new(), start_response)?;
/// assert_eq!(body.map(|c| c.unwrap()).collect::<Vec<_>>(), [b"Hello world!\n".to_vec()]);
/// # Ok::<(), wsgiref::AppError>(())
/// ```
pub fn hello_app(_environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    start_response.call("200 OK", [("Content-Type", "text/plain")])?;
    Ok(Body::from("Hello world!\n"))
}

/// Stream the request body back, 64 KiB at a time, never holding it whole.
/// The response has the request's `Content-Type` (default
/// `application/octet-stream`) and, when the request declared one, its
/// `Content-Length`.
///
/// # Errors
///
/// A read error of `wsgi.input` (client gone, timeout, bad chunk) ends the
/// body with that error: the server logs it and closes the connection.
///
/// # Example
///
/// ```
/// let mut environ = wsgiref::Environ::new();
/// environ.input = wsgiref::Input::from_bytes(b"ping".to_vec());
/// let (start_response, _) = wsgiref::StartResponse::recorder();
/// let body = wsgiref::simple_server::echo_app(&mut environ, start_response)?;
/// assert_eq!(body.map(|c| c.unwrap()).flatten().collect::<Vec<u8>>(), b"ping");
/// # Ok::<(), wsgiref::AppError>(())
/// ```
pub fn echo_app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let content_type = environ
        .get("CONTENT_TYPE")
        .unwrap_or("application/octet-stream")
        .to_string();
    let mut headers = vec![("Content-Type".to_string(), content_type)];
    // The declared length, when it is one plain number (not `5, 5`).
    if let Some(length) = environ
        .get("CONTENT_LENGTH")
        .and_then(|length| length.parse::<u64>().ok())
    {
        headers.push(("Content-Length".to_string(), length.to_string()));
    }
    start_response.call("200 OK", headers)?;
    let mut input = environ.take_input();
    let chunks = std::iter::from_fn(move || match input.read_bytes(64 * 1024) {
        Ok(chunk) if chunk.is_empty() => None,
        Ok(chunk) => Some(Ok(chunk)),
        Err(error) => Some(Err(error.into())),
    });
    Ok(Body::new(chunks))
}

/// Send `N` bytes of `x`, where `N` is the query string (default 10 MiB),
/// in 64 KiB chunks with a `Content-Length`: a download for benchmarks.
///
/// # Errors
///
/// A query string that is not a number gives a `400 Bad Request` page, not
/// an error.
///
/// # Example
///
/// ```
/// let mut environ = wsgiref::Environ::new();
/// environ.insert("QUERY_STRING", "100000");
/// let (start_response, seen) = wsgiref::StartResponse::recorder();
/// let body = wsgiref::simple_server::bytes_app(&mut environ, start_response)?;
/// assert_eq!(body.map(|c| c.unwrap().len()).sum::<usize>(), 100_000);
/// assert!(seen.headers().unwrap().contains(&("Content-Length".to_string(), "100000".to_string())));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
pub fn bytes_app(environ: &mut Environ, start_response: StartResponse) -> Result<Body, AppError> {
    let query = environ.get("QUERY_STRING").unwrap_or_default();
    let Ok(total) = (if query.is_empty() {
        Ok(10 * 1024 * 1024)
    } else {
        query.parse::<usize>()
    }) else {
        start_response.call("400 Bad Request", [("Content-Type", "text/plain")])?;
        return Ok(Body::from("the query string must be a number of bytes\n"));
    };
    start_response.call(
        "200 OK",
        [
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", &total.to_string()),
        ],
    )?;
    const BLOCK: usize = 64 * 1024;
    let block = vec![b'x'; BLOCK];
    let chunks = (0..total.div_ceil(BLOCK)).map(move |n| Ok(block[..BLOCK.min(total - n * BLOCK)].to_vec()));
    Ok(Body::new(chunks))
}
