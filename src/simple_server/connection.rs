//! One connection, from its first byte to its close: read the request,
//! run the application, send the response, linger, close.
//!
//! Mirrors `WSGIRequestHandler.handle` (with `BaseHTTPRequestHandler`'s
//! reading of the request, which CPython keeps in `http.server`).

use std::io::{self, Read};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::environ::get_environ;
use super::waiting_room::{Parked, WaitingRoom};
use super::{SERVER_SOFTWARE, ServerConfig, ServerShared};
use crate::handlers::SimpleHandler;
use crate::http::{self, BodyFraming, HeadRead, HeadSoFar, RefusedHead, RequestError, RequestHead};
use crate::input::Input;
use crate::record::BodyCapture;
use crate::trace::{self, Trace};
use crate::types::Environ;

/// Whether a connection carried a request.
#[derive(Debug, PartialEq)]
pub(super) enum Handled {
    Request,
    NothingSent,
    /// Left in the waiting room; a worker finishes it later.
    Parked,
}

/// Handle one connection from its first byte to its close. A client that
/// pauses before its request head is complete is left in the waiting room
/// (when there is one, and it has room) and comes back to a worker, maybe
/// another, through [`resume_connection`].
///
/// `stopping` becomes true when the server shuts down: a connection still
/// waiting for its request head is then closed within a read slice.
///
/// Mirrors `WSGIRequestHandler.handle`.
pub(super) fn handle_connection(
    shared: &ServerShared,
    stream: TcpStream,
    client_address: SocketAddr,
    stopping: &AtomicBool,
    room: Option<&WaitingRoom>,
) -> Handled {
    if !ACCEPTED_SOCKETS_INHERIT_OPTIONS {
        let _ = set_connection_options(&stream, &shared.config);
    }
    let so_far = HeadSoFar::new(&shared.config.head_limits());
    serve(
        shared,
        Parked {
            stream,
            client_address,
            so_far,
        },
        stopping,
        room,
    )
}

/// Go on with a connection the waiting room hands back: its head is done,
/// wrong, or late, or the client closed; it is not parked again.
pub(super) fn resume_connection(shared: &ServerShared, parked: Parked, stopping: &AtomicBool) {
    serve(shared, parked, stopping, None);
}

/// Read the head from where `parked` stands, then answer the request.
fn serve(shared: &ServerShared, parked: Parked, stopping: &AtomicBool, room: Option<&WaitingRoom>) -> Handled {
    let Parked {
        stream,
        client_address,
        so_far,
    } = parked;
    let deadline = so_far.deadline;
    let limits = shared.config.head_limits();
    let read = http::read_request_head(&stream, &limits, stopping, so_far, room.is_some());
    let read = match (read, room) {
        (Ok(HeadRead::Stalled(bytes)), Some(room)) => {
            let so_far = HeadSoFar { bytes, deadline };
            return match room.park(Parked {
                stream,
                client_address,
                so_far,
            }) {
                Ok(()) => Handled::Parked,
                // The room is full: this worker keeps the client, as without one.
                Err(parked) => serve(shared, parked, stopping, None),
            };
        }
        (read, _) => read,
    };
    match checked_request(shared, &stream, client_address, read) {
        Ok((head, framing)) => {
            respond(shared, stream, client_address, head, framing);
            Handled::Request
        }
        Err(handled) => handled,
    }
}

/// Check the request head that was read. A request the server refuses is
/// answered, logged and recorded here; the `Err` says whether there was one.
fn checked_request(
    shared: &ServerShared,
    stream: &TcpStream,
    client_address: SocketAddr,
    read: Result<HeadRead, RefusedHead>,
) -> Result<(RequestHead, BodyFraming), Handled> {
    let head = match read {
        Ok(HeadRead::Complete(head)) => head,
        Ok(HeadRead::Nothing | HeadRead::Stalled(_)) => {
            let client = client_address.ip();
            log::debug!(target: super::LOG_TARGET, "{client} closed the connection without sending a request");
            return Err(Handled::NothingSent);
        }
        Err(refused) => return Err(refuse_head(shared, stream, client_address, refused)),
    };
    match http::check_request(&head, shared.config.max_body_bytes) {
        Ok(framing) => Ok((head, framing)),
        Err(error) => {
            let received = [head.raw.as_slice(), &head.leftover].concat();
            reject(
                shared,
                stream,
                client_address,
                (&head.request_line(), &received),
                &error,
            );
            Err(Handled::Request)
        }
    }
}

/// Answer (or not) a head that could not be read, and say whether it
/// counts as a request.
fn refuse_head(shared: &ServerShared, stream: &TcpStream, client_address: SocketAddr, refused: RefusedHead) -> Handled {
    let client = &client_address.ip().to_string();
    match refused.error {
        RequestError::Io(error) => {
            log::debug!(target: super::LOG_TARGET, "{client}: connection failed while reading the request: {error}");
            Handled::Request
        }
        RequestError::TlsHandshake => {
            // A browser speaking HTTPS waits for a ServerHello that no HTTP
            // answer can be: close without a byte, and say why (rate-limited).
            // Not an HTTP request, so `handle_request` keeps waiting for one.
            http::log_https_probe(client);
            Handled::NothingSent
        }
        error => {
            reject(shared, stream, client_address, ("", &refused.received), &error);
            Handled::Request
        }
    }
}

/// Run the application for a checked request, send its response, write
/// the access-log line, and linger when the client may still be sending.
fn respond(
    shared: &ServerShared,
    stream: TcpStream,
    client_address: SocketAddr,
    head: RequestHead,
    framing: BodyFraming,
) {
    let config = &shared.config;
    let client = client_address.ip().to_string();
    let request_line = head.request_line();
    let body_expected = framing != BodyFraming::Length(0) || !head.leftover.is_empty();
    let trace = new_trace(config, client_address, &head);
    let capture = shared.recorder.get().map(|recorder| recorder.start(&head.raw));
    let environ = match request_environ(shared, &stream, &client, head, framing, capture.as_ref()) {
        Ok(environ) => environ,
        Err(error) => {
            log::warn!(target: super::LOG_TARGET, "{client}: could not set up the request: {error}");
            return;
        }
    };
    let mut handler = new_handler(stream, config, trace);
    let summary = handler.run(&*shared.application, environ);
    if let Some(trace) = handler.take_trace() {
        trace::emit(&trace.finish(), config.trace);
    }
    let cut_off = summary.headers_sent && !summary.complete;
    let status = summary.status.unwrap_or(500);
    http::log_request(&client, &request_line, status, Some(summary.bytes_sent), !cut_off);
    if let (Some(recorder), Some(capture)) = (shared.recorder.get(), capture) {
        recorder.finish(capture, (client_address, shared.address), status, Some(framing));
    }
    if let Some(stream) = handler.into_output() {
        // Why a reset: a cut body that its framing cannot show (not chunked).
        match cut_off && !summary.chunked {
            true => reset_connection(stream, &client),
            false => close_connection(&stream, body_expected, config),
        }
    }
}

/// End a connection with a reset (RST) instead of a clean close (FIN): the
/// response was cut off and nothing in its framing says so (no
/// `Content-Length` on HTTP/1.0, or fewer bytes than it declared), so a
/// clean close would make the part sent look like the whole body. Bytes not
/// yet delivered are dropped; the response is broken either way.
///
/// Spec: RFC 9112 §8 ("incomplete messages"); `SO_LINGER` with a zero
/// timeout makes `close()` send RST (socket(7)).
fn reset_connection(stream: TcpStream, client: &str) {
    if let Err(error) = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO)) {
        log::debug!(target: super::LOG_TARGET, "{client}: could not reset the connection of a cut response: {error}");
    }
    drop(stream);
}

/// The handler for one response, configured as the server's. It owns the
/// stream while it writes the response, then gives it back.
fn new_handler(stream: TcpStream, config: &ServerConfig, trace: Option<Trace>) -> SimpleHandler<TcpStream> {
    let mut handler = SimpleHandler::new(stream);
    handler.server_software = Some(SERVER_SOFTWARE.to_string());
    handler.debug_error_page = config.debug_error_page;
    if let Some(trace) = trace {
        handler.set_trace(trace);
    }
    handler
}

/// A protocol trace of this request, when tracing is on.
fn new_trace(config: &ServerConfig, client_address: SocketAddr, head: &RequestHead) -> Option<Trace> {
    trace::enabled(config.trace).then(|| {
        let mut trace = Trace::new(&client_address.to_string());
        trace.request_head(&head.raw);
        trace
    })
}

/// Close after a response, lingering first when the client may still be
/// sending.
///
/// Why lingering only when a body was expected or the client sent more:
/// as nginx's `lingering_close`, the server drains only when the client
/// may still be sending; a bodiless request answered in full is closed
/// at once, which saves a round trip on the commonest request.
fn close_connection(stream: &TcpStream, body_expected: bool, config: &ServerConfig) {
    if body_expected || client_sent_more(stream) {
        finish_connection(stream, config);
    }
}

/// The environ for a request read off `stream`, with `wsgi.input` reading
/// the rest of the body from it (and, when recording, into `capture`).
fn request_environ(
    shared: &ServerShared,
    stream: &TcpStream,
    client: &str,
    mut head: RequestHead,
    framing: BodyFraming,
    capture: Option<&BodyCapture>,
) -> io::Result<Environ> {
    let mut environ = get_environ(&head, &shared.base_environ, client);
    let leftover = std::mem::take(&mut head.leftover);
    if let Some(capture) = capture {
        capture.push(&leftover);
    }
    environ.input = make_input(stream, leftover, framing, &shared.config, capture)?;
    environ.input_terminated = framing == BodyFraming::Chunked;
    Ok(environ)
}

/// `wsgi.input`: the bytes already read after the head, then the socket,
/// framed by `Content-Length` or chunked coding; what it reads from the
/// socket is copied to `capture` too.
fn make_input(
    stream: &TcpStream,
    leftover: Vec<u8>,
    framing: BodyFraming,
    config: &ServerConfig,
    capture: Option<&BodyCapture>,
) -> io::Result<Input> {
    if framing == BodyFraming::Length(0) {
        return Ok(Input::empty());
    }
    let socket = stream.try_clone()?;
    socket.set_read_timeout(Some(socket_timeout(config.read_timeout)))?;
    let leftover = io::Cursor::new(leftover);
    Ok(match capture {
        Some(capture) => framed_input(leftover.chain(capture.tee(socket)), framing, config),
        None => framed_input(leftover.chain(socket), framing, config),
    })
}

/// `reader`'s body as `wsgi.input`, framed as the head says.
fn framed_input(reader: impl Read + 'static, framing: BodyFraming, config: &ServerConfig) -> Input {
    match framing {
        BodyFraming::Length(length) => Input::with_length(reader, length),
        BodyFraming::Chunked => Input::chunked(reader).with_max_body_bytes(config.max_body_bytes),
    }
}

/// Whether the client sent bytes we have not read (such as a pipelined
/// second request), without waiting for any. Closing a socket with unread
/// bytes makes the kernel send a reset, and the client may then lose the
/// end of its response. When it returns false the stream is left
/// non-blocking: the caller only closes it (one system call fewer).
fn client_sent_more(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    match (&*stream).read(&mut [0u8; 1]) {
        Ok(count) if count > 0 => {
            let _ = stream.set_nonblocking(false);
            true
        }
        // Closed by the client, nothing pending, or a failed connection.
        _ => false,
    }
}

/// Whether accepted sockets start with the listener's options (read and
/// write timeouts, `TCP_NODELAY`): true on Linux, where `accept()` copies
/// the listening socket's settings; elsewhere each connection sets them.
const ACCEPTED_SOCKETS_INHERIT_OPTIONS: bool = cfg!(target_os = "linux");

/// Set on the listening socket the options every connection needs, so that
/// on Linux accepted sockets inherit them and no connection pays three
/// system calls to set them (measured: about 5% of the requests per second
/// of a small response). A side effect we rely on: the read timeout also
/// bounds `accept()`, so an idle accept loop wakes up once a second.
#[cfg(unix)]
pub(super) fn configure_listener(listener: TcpListener, config: &ServerConfig) -> io::Result<TcpListener> {
    use std::os::fd::OwnedFd;
    // std has these setters on `TcpStream` only; the listener is the same
    // kind of socket, so it is wrapped as one for the calls, then unwrapped.
    let socket = TcpStream::from(OwnedFd::from(listener));
    set_connection_options(&socket, config)?;
    Ok(TcpListener::from(OwnedFd::from(socket)))
}

/// Elsewhere each connection sets its own options (see
/// [`ACCEPTED_SOCKETS_INHERIT_OPTIONS`]).
#[cfg(not(unix))]
pub(super) fn configure_listener(listener: TcpListener, _config: &ServerConfig) -> io::Result<TcpListener> {
    Ok(listener)
}

/// The options of every connection: the head's read slice, the write
/// timeout, and `TCP_NODELAY` (Nagle's algorithm would delay the second of
/// two small writes, such as a streamed body's chunks).
fn set_connection_options(socket: &TcpStream, config: &ServerConfig) -> io::Result<()> {
    socket.set_nodelay(true)?;
    socket.set_read_timeout(Some(config.head_limits().read_slice()))?;
    socket.set_write_timeout(Some(socket_timeout(config.write_timeout)))
}

/// std refuses a zero socket timeout (it would mean "wait forever" to the
/// OS); a zero limit is taken as the shortest one, 1 ms.
fn socket_timeout(limit: Duration) -> Duration {
    limit.max(Duration::from_millis(1))
}

/// Answer a request the server refuses, log why, record it (`received`:
/// the bytes read), and close.
fn reject(
    shared: &ServerShared,
    stream: &TcpStream,
    client_address: SocketAddr,
    (request_line, received): (&str, &[u8]),
    error: &RequestError,
) {
    let client = client_address.ip().to_string();
    log::warn!(target: super::LOG_TARGET, "{client}: {error}");
    let size = http::write_error_response(&mut &*stream, error, SERVER_SOFTWARE).ok();
    http::log_request(&client, request_line, error.status(), size, true);
    if let Some(recorder) = shared.recorder.get() {
        let capture = recorder.start(received);
        recorder.finish(capture, (client_address, shared.address), error.status(), None);
    }
    finish_connection(stream, &shared.config);
}

/// Half-close, then read and discard what the client still sends (bounded),
/// then close: closing with unread bytes would make the kernel send a reset,
/// and the client could lose the response (RFC 9112 §9.6).
fn finish_connection(stream: &TcpStream, config: &ServerConfig) {
    if stream.shutdown(Shutdown::Write).is_err() {
        return;
    }
    let deadline = Instant::now() + config.drain_timeout;
    let mut discarded = 0u64;
    let mut block = [0u8; 8192];
    while discarded < config.max_drain_bytes {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match (&*stream).read(&mut block) {
            Ok(0) | Err(_) => break,
            Ok(count) => discarded += count as u64,
        }
    }
}
