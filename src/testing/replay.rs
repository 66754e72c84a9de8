//! Replay a recording (`wsgiref --record FILE`, see [`crate::record`]):
//! each request's exact bytes through the server's own code, in process.

use std::error::Error;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use super::response::parse_response;
use super::{TestResponse, Wire};
use crate::handlers::SimpleHandler;
use crate::http::{self, BodyFraming, RequestError, RequestHead};
use crate::input::Input;
use crate::record::{self, FormatError, RecordedRequest};
use crate::simple_server::environ::{get_environ, setup_environ};
use crate::simple_server::{SERVER_SOFTWARE, ServerConfig};
use crate::types::{Application, Errors};

/// One recorded request and the response it gets now.
///
/// # Example
///
/// See [`replay`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// The request as the file has it (its time, client, status noted).
    pub recorded: RecordedRequest,
    /// The response to its bytes now; `wire` holds the bytes both ways.
    pub response: TestResponse,
}

/// Why a recording could not be replayed.
///
/// # Example
///
/// ```
/// let error = wsgiref::testing::read_recording("/no/such/recording.txt").unwrap_err();
/// assert!(error.to_string().starts_with("cannot read /no/such/recording.txt: "));
/// assert!(std::error::Error::source(&error).is_some());
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum ReplayError {
    /// The file could not be read.
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        error: io::Error,
    },
    /// A line of the file is not in the format (see [`crate::record`]).
    Format {
        /// The file.
        path: PathBuf,
        /// The line and what is wrong with it.
        error: FormatError,
    },
    /// The server would answer the request with no response at all: it
    /// holds no byte, or opens with a TLS handshake (the recorder writes
    /// neither; a hand-edited file can).
    NoResponse {
        /// The line of the request's `>` line.
        line: usize,
    },
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::Io { path, error } => write!(f, "cannot read {}: {error}", path.display()),
            ReplayError::Format { path, error } => write!(f, "{}, {error}", path.display()),
            ReplayError::NoResponse { line } => write!(
                f,
                "the request at line {line} gets no response (no bytes, or a TLS handshake)"
            ),
        }
    }
}

impl Error for ReplayError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            ReplayError::Io { error, .. } => Some(error),
            ReplayError::Format { error, .. } => Some(error),
            ReplayError::NoResponse { .. } => None,
        }
    }
}

/// The requests of the recording at `path`, in order, to pick one from
/// (and run it with [`replay_request`]).
///
/// # Errors
///
/// [`ReplayError::Io`] when the file cannot be read (or is not UTF-8),
/// [`ReplayError::Format`] with the line that is not in the format.
///
/// # Example
///
/// See [`Recorder`](crate::record::Recorder).
pub fn read_recording(path: impl AsRef<Path>) -> Result<Vec<RecordedRequest>, ReplayError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path).map_err(|error| ReplayError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    record::parse(&text).map_err(|error| ReplayError::Format {
        path: path.to_path_buf(),
        error,
    })
}

/// Run every request of the recording at `path` through `application`,
/// with [`ServerConfig::default`]'s limits; the responses in order.
///
/// Each request's bytes go through the server's own code, as
/// [`replay_request`] says, so a refused request (400, 414, 431, ...) is
/// refused again and one the application answered is answered again; the
/// application sees the recorded client address and server address.
///
/// # Errors
///
/// As [`read_recording`]; [`ReplayError::NoResponse`] for a request the
/// server would not answer.
///
/// # Example
///
/// ```
/// use std::io::Write;
/// let path = std::env::temp_dir().join(format!("doc-replay-{}.txt", std::process::id()));
/// let mut file = std::fs::File::create(&path)?;
/// writeln!(file, "# wsgiref-record 1")?;
/// writeln!(file, "> 2026-12-04T17:50:00.123Z 127.0.0.1:53422 -> 127.0.0.1:8000")?;
/// writeln!(file, "# status 200")?;
/// writeln!(file, r"| POST /echo HTTP/1.1\r\n")?;
/// writeln!(file, r"| Host: localhost\r\nContent-Length: 5\r\n\r\nhello")?;
/// drop(file);
///
/// let replayed = wsgiref::testing::replay(&path, &wsgiref::simple_server::echo_app)?;
/// assert_eq!(replayed[0].response.status, replayed[0].recorded.status.unwrap());
/// assert_eq!(replayed[0].response.text(), "hello");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), wsgiref::AppError>(())
/// ```
pub fn replay(path: impl AsRef<Path>, application: &dyn Application) -> Result<Vec<Replayed>, ReplayError> {
    replay_with_config(path, application, &ServerConfig::default())
}

/// Like [`replay`], under `config`'s limits (`max_body_bytes`,
/// `max_head_bytes`, ...) and its `debug_error_page`: give the limits the
/// recording server had to get its 413s and 431s again.
///
/// # Errors
///
/// As [`replay`].
///
/// # Example
///
/// ```
/// let config = wsgiref::ServerConfig { max_body_bytes: Some(4), ..Default::default() };
/// let mut request = wsgiref::record::RecordedRequest::new(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello".to_vec());
/// let text = format!("{}\n{}", wsgiref::record::FILE_HEADER, request.to_text());
/// let path = std::env::temp_dir().join(format!("doc-replay-config-{}.txt", std::process::id()));
/// std::fs::write(&path, text)?;
/// let replayed = wsgiref::testing::replay_with_config(&path, &wsgiref::simple_server::echo_app, &config)?;
/// assert_eq!(replayed[0].response.status, 413);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), wsgiref::AppError>(())
/// ```
pub fn replay_with_config(
    path: impl AsRef<Path>,
    application: &dyn Application,
    config: &ServerConfig,
) -> Result<Vec<Replayed>, ReplayError> {
    read_recording(path)?
        .into_iter()
        .map(|recorded| {
            let response = replay_request(&recorded, application, config)?;
            Ok(Replayed { recorded, response })
        })
        .collect()
}

/// Run one recorded request through `application`, in this thread: its
/// bytes are read as the server reads a connection's (the head parsed
/// and checked under `config`'s limits, a refused request answered with
/// the server's error response), the environ is the server's for the
/// recorded client and server addresses, and the response is written by
/// the server's [`SimpleHandler`]. The bytes end where the recording ends,
/// as if the client then closed: a head cut short gets the 400 a client
/// that closes mid-head gets, and a body cut short is a short body.
///
/// # Errors
///
/// [`ReplayError::NoResponse`] when the server would not answer (no bytes,
/// or a TLS handshake).
///
/// # Example
///
/// ```
/// let request = wsgiref::record::RecordedRequest::new(b"GET /a\r\nb HTTP/1.1\r\n\r\n".to_vec());
/// let config = wsgiref::ServerConfig::default();
/// let response = wsgiref::testing::replay_request(&request, &wsgiref::simple_server::hello_app, &config)?;
/// assert_eq!(response.status, 400);
/// assert_eq!(response.wire.unwrap().request, request.bytes);
/// # Ok::<(), wsgiref::testing::ReplayError>(())
/// ```
pub fn replay_request(
    recorded: &RecordedRequest,
    application: &dyn Application,
    config: &ServerConfig,
) -> Result<TestResponse, ReplayError> {
    let no_response = || ReplayError::NoResponse { line: recorded.line };
    let (output, errors, complete) = match checked_head(&recorded.bytes, config) {
        Ok((head, framing)) => run_checked(recorded, head, framing, application, config),
        Err(RequestError::TlsHandshake) => return Err(no_response()),
        Err(_) if recorded.bytes.is_empty() => return Err(no_response()),
        Err(error) => {
            let mut output = Vec::new();
            let _ = http::write_error_response(&mut output, &error, SERVER_SOFTWARE);
            (output, String::new(), true)
        }
    };
    // The server's own output always parses; this `Err` would be a bug here.
    let mut response = parse_response(&output).map_err(|_| no_response())?;
    response.errors = errors;
    response.complete &= complete;
    response.wire = Some(Wire {
        request: recorded.bytes.clone(),
        response: output,
    });
    Ok(response)
}

/// The head and body framing of `bytes` as the server checks them, or
/// the error it answers; bytes that end before the head does are the
/// server's "closed before the end of the request head".
fn checked_head(bytes: &[u8], config: &ServerConfig) -> Result<(RequestHead, BodyFraming), RequestError> {
    let head = http::parse_within_limits(bytes, &config.head_limits())?
        .ok_or_else(|| RequestError::BadRequest("connection closed before the end of the request head".into()))?;
    let framing = http::check_request(&head, config.max_body_bytes)?;
    Ok((head, framing))
}

/// Run the application for a checked head, as the server's `respond`
/// does; the response bytes, `wsgi.errors`, and whether it was complete.
fn run_checked(
    recorded: &RecordedRequest,
    mut head: RequestHead,
    framing: BodyFraming,
    application: &dyn Application,
    config: &ServerConfig,
) -> (Vec<u8>, String, bool) {
    let base = setup_environ(recorded.server);
    let mut environ = get_environ(&head, &base, &recorded.client.ip().to_string());
    let body = io::Cursor::new(std::mem::take(&mut head.leftover));
    environ.input = match framing {
        BodyFraming::Length(0) => Input::empty(),
        BodyFraming::Length(length) => Input::with_length(body, length),
        BodyFraming::Chunked => Input::chunked(body).with_max_body_bytes(config.max_body_bytes),
    };
    environ.input_terminated = framing == BodyFraming::Chunked;
    let (errors, captured) = Errors::capture();
    environ.errors = errors;
    let mut handler = SimpleHandler::new(Vec::new());
    handler.server_software = Some(SERVER_SOFTWARE.to_string());
    handler.debug_error_page = config.debug_error_page;
    let summary = handler.run(application, environ);
    let output = handler.into_output().unwrap_or_default();
    let errors = String::from_utf8_lossy(&captured.borrow()).into_owned();
    (output, errors, summary.complete)
}
