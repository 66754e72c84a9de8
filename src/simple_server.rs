//! A simple HTTP server that serves WSGI applications: `make_server`,
//! `handle_request`, `serve_forever`, and `demo_app`.
//!
//! Mirrors [wsgiref/simple_server.py](https://github.com/python/cpython/blob/3.11/Lib/wsgiref/simple_server.py).
//!
//! # Design notes
//!
//! - **Threads.** [`WsgiServer::serve_forever`] starts a pool of worker
//!   threads that each accept a connection and handle it from its first
//!   byte to its close (see the `pool` module's notes for why there is no
//!   accept thread). Connections wait in the kernel's accept queue, the
//!   listen backlog: std's `TcpListener::bind` asks for 128; the `wsgiref`
//!   command raises it (`--backlog`), and so can a program, through
//!   [`WsgiServer::socket`]. The pool grows past
//!   [`ServerConfig::min_threads`], up to [`ServerConfig::max_threads`],
//!   only when workers are stuck, not merely busy; the thread that called
//!   `serve_forever` watches them.
//! - **Socket options set once**: the read and write timeouts and
//!   `TCP_NODELAY` are set on the listening socket, and on Linux every
//!   accepted socket inherits them.
//! - **One request per connection**, like wsgiref: responses carry
//!   `Connection: close`. When the client may still be sending (a request
//!   body, or bytes it sent after its request, such as a pipelined second
//!   one), the server half-closes after the response and reads what comes
//!   (bounded in bytes and time) before closing, so the client never gets a
//!   reset instead of its response (RFC 9112 §9.6).
//! - **Limits everywhere**: every size and time the server waits for is a
//!   [`ServerConfig`] field with a documented default.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::handlers::SimpleHandler;
use crate::http::{self, BodyFraming, HeadLimits, RequestError, RequestHead};
use crate::input::Input;
use crate::pool::{self, Workers};
use crate::trace::{self, Trace};
use crate::types::{AppError, Application, Body, Environ, StartResponse};

/// `SERVER_SOFTWARE` and the `Server` header: wsgiref's `WSGIServer/0.2`
/// followed by this crate's name and version.
pub const SERVER_SOFTWARE: &str = concat!("WSGIServer/0.2 wsgiref-rs/", env!("CARGO_PKG_VERSION"));

/// The server's limits and timeouts. Every field has a documented default,
/// chosen after nginx, gunicorn and h11.
///
/// # Example
///
/// ```
/// use std::time::Duration;
/// let config = wsgiref::ServerConfig {
///     max_body_bytes: Some(1024 * 1024),
///     read_timeout: Duration::from_secs(5),
///     ..wsgiref::ServerConfig::default()
/// };
/// let server = wsgiref::WsgiServer::with_config("127.0.0.1", 0, wsgiref::simple_server::demo_app, config)?;
/// # Ok::<(), wsgiref::AppError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Worker threads started by `serve_forever`. Default 8: enough to keep
    /// 2 cores busy with short requests (measured). For a Python
    /// application the `wsgiref` command starts
    /// `wsgiref::python::DEFAULT_MIN_THREADS`
    /// (1) instead: Python runs one thread at a time.
    pub min_threads: usize,
    /// Most worker threads, hence most connections handled at once. Default
    /// 64. Workers beyond `min_threads` start only when every worker is
    /// stuck (idle or slow clients, slow applications: no connection
    /// finished in 50 ms) or has been busy for 200 ms with the process using
    /// less than half a core (Linux); every 30 s the pool shrinks back to the most
    /// workers that were busy at once (at least `min_threads`). Connections
    /// beyond the workers wait in the listen backlog (see
    /// [`WsgiServer::socket`]).
    pub max_threads: usize,
    /// Longest request line in bytes, CRLF included; longer gets 414.
    /// Default 8192 (nginx's `large_client_header_buffers` size; gunicorn
    /// uses 4094, CPython 65536).
    pub max_request_line_bytes: usize,
    /// Largest request head in bytes; larger gets 431. Default 32768
    /// (nginx: 4 buffers of 8 KiB; h11: 16 KiB).
    pub max_head_bytes: usize,
    /// Most header fields; more gets 431. Default 100 (gunicorn's
    /// `limit_request_fields`, CPython's `http.client._MAXHEADERS`).
    pub max_header_count: usize,
    /// Largest request body in bytes, or `None` for no limit (the default,
    /// as wsgiref). A larger declared length gets 413 before the
    /// application runs; a larger chunked body is a read error.
    pub max_body_bytes: Option<u64>,
    /// Time to receive the whole request head; slower gets 408. Default
    /// 30 s (gunicorn's worker timeout; nginx's `client_header_timeout` is 60 s).
    pub head_timeout: Duration,
    /// Longest wait for the next bytes of the request body; the application
    /// sees an I/O error. Default 30 s (gunicorn; nginx `client_body_timeout` 60 s).
    pub read_timeout: Duration,
    /// Longest wait for the client to accept response bytes. Default 30 s
    /// (nginx's `send_timeout` is 60 s).
    pub write_timeout: Duration,
    /// After the response, how long to keep reading (and discarding) what
    /// the client still sends before closing. Default 2 s.
    pub drain_timeout: Duration,
    /// After the response, how many bytes to discard at most. Default 64 MiB.
    pub max_drain_bytes: u64,
    /// Log a protocol trace of every request at `info` level (see
    /// [`crate::trace`]). Default `false`; the `trace` log level for the
    /// target `wsgiref::trace` turns it on too.
    pub trace: bool,
    /// How long `serve_forever` waits for requests in flight after
    /// `shutdown()`. Default 30 s (gunicorn's `graceful_timeout`).
    pub shutdown_grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            min_threads: 8,
            max_threads: 64,
            max_request_line_bytes: 8192,
            max_head_bytes: 32 * 1024,
            max_header_count: 100,
            max_body_bytes: None,
            head_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(30),
            write_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(2),
            max_drain_bytes: 64 * 1024 * 1024,
            shutdown_grace: Duration::from_secs(30),
            trace: false,
        }
    }
}

/// A WSGI server: a listening socket, an application and a configuration.
///
/// Dropping it closes the listening socket.
///
/// # Example
///
/// ```
/// use std::io::{Read, Write};
/// let server = wsgiref::make_server("127.0.0.1", 0, wsgiref::simple_server::demo_app)?;
/// let address = server.server_address();
/// let client = std::thread::spawn(move || {
///     let mut stream = std::net::TcpStream::connect(address).unwrap();
///     stream.write_all(b"GET /xyz?abc HTTP/1.0\r\n\r\n").unwrap();
///     let mut response = String::new();
///     stream.read_to_string(&mut response).unwrap();
///     response
/// });
/// server.handle_request()?;
/// assert!(client.join().unwrap().contains("PATH_INFO = '/xyz'"));
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.simple_server.WSGIServer`.
pub struct WsgiServer {
    /// Shared with the workers of `serve_forever`, which accept from it.
    listener: Arc<TcpListener>,
    shared: Arc<ServerShared>,
    control: Arc<Control>,
}

/// What every connection handler needs, shared between workers.
struct ServerShared {
    application: Box<dyn Application>,
    config: ServerConfig,
    /// `SERVER_NAME`, `GATEWAY_INTERFACE`, `SERVER_PORT`, `REMOTE_HOST`,
    /// `CONTENT_LENGTH`, `SCRIPT_NAME`: the same for every request.
    base_environ: BTreeMap<String, String>,
}

/// Stop requests between `shutdown()` and `serve_forever()`.
#[derive(Default)]
struct Control {
    state: Mutex<ControlState>,
    changed: Condvar,
}

#[derive(Default)]
struct ControlState {
    serving: bool,
    stop_requested: bool,
}

/// Create a new WSGI server listening on `host` and `port` for `application`,
/// with [`ServerConfig::default`].
///
/// Shapes: `host` is a name or address (`"127.0.0.1"`, `"localhost"`,
/// `"::1"`, `""` for all IPv4 addresses); `port` 0 picks a free port (see
/// [`WsgiServer::server_address`]).
///
/// # Errors
///
/// The `io::Error` of resolving `host` or binding the socket (address in use,
/// permission denied).
///
/// # Example
///
/// ```
/// let server = wsgiref::make_server("127.0.0.1", 0, wsgiref::simple_server::demo_app)?;
/// assert_ne!(server.server_address().port(), 0);
/// # Ok::<(), wsgiref::AppError>(())
/// ```
///
/// Mirrors `wsgiref.simple_server.make_server`.
pub fn make_server(host: &str, port: u16, application: impl Application + 'static) -> io::Result<WsgiServer> {
    WsgiServer::with_config(host, port, application, ServerConfig::default())
}

impl WsgiServer {
    /// Like [`make_server`], with a configuration.
    ///
    /// # Errors
    ///
    /// As [`make_server`].
    ///
    /// # Example
    ///
    /// ```
    /// let config = wsgiref::ServerConfig { max_threads: 4, ..Default::default() };
    /// let server = wsgiref::WsgiServer::with_config("127.0.0.1", 0, wsgiref::simple_server::demo_app, config)?;
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn with_config(
        host: &str,
        port: u16,
        application: impl Application + 'static,
        config: ServerConfig,
    ) -> io::Result<WsgiServer> {
        let host = if host.is_empty() { "0.0.0.0" } else { host };
        let addresses: Vec<SocketAddr> = (host, port).to_socket_addrs()?.collect();
        let listener = configure_listener(TcpListener::bind(&addresses[..])?, &config)?;
        let address = listener.local_addr()?;
        let base_environ = setup_environ(address);
        Ok(WsgiServer {
            listener: Arc::new(listener),
            shared: Arc::new(ServerShared {
                application: Box::new(application),
                config,
                base_environ,
            }),
            control: Arc::new(Control::default()),
        })
    }

    /// The address the server listens on, with the real port when 0 was asked.
    ///
    /// # Example
    ///
    /// ```
    /// let server = wsgiref::make_server("127.0.0.1", 0, wsgiref::simple_server::demo_app)?;
    /// assert!(server.server_address().ip().is_loopback());
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn server_address(&self) -> SocketAddr {
        // A bound listener always has an address; fall back to the base environ's port.
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The listening socket, for what `WsgiServer` does not set itself:
    /// for example a listen backlog larger than the 128 that std's
    /// `TcpListener::bind` asks for (the `wsgiref` command calls `listen()`
    /// again with `--backlog`, 1024 by default), or socket activation.
    ///
    /// On Linux, options set here are inherited by every accepted socket:
    /// the server sets the read timeout (the head's 1 s slice), the write
    /// timeout and `TCP_NODELAY` on it, and also relies on the read timeout
    /// bounding `accept()`; changing those three breaks its timeouts, and
    /// making the socket non-blocking makes every worker spin.
    ///
    /// # Example
    ///
    /// ```
    /// let server = wsgiref::make_server("127.0.0.1", 0, wsgiref::simple_server::demo_app)?;
    /// assert_eq!(server.socket().local_addr()?, server.server_address());
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `socketserver.BaseServer.socket`.
    pub fn socket(&self) -> &TcpListener {
        &self.listener
    }

    /// Handle one request on the calling thread, then return.
    ///
    /// Connections closed without sending a byte (browsers' pre-connections)
    /// do not count: it waits for the next one.
    ///
    /// # Errors
    ///
    /// The `io::Error` of `accept()`. Bad requests and application errors
    /// are answered and logged, not returned.
    ///
    /// # Example
    ///
    /// See [`WsgiServer`].
    ///
    /// Mirrors `socketserver.BaseServer.handle_request`.
    pub fn handle_request(&self) -> io::Result<()> {
        loop {
            let (stream, client_address) = match self.listener.accept() {
                Ok(accepted) => accepted,
                // The listener's read timeout also bounds accept(): nobody came yet.
                Err(error) if http::is_timeout(&error) => continue,
                Err(error) => return Err(error),
            };
            let never_stopping = AtomicBool::new(false);
            let mut connection = Some(stream);
            let mut handled = Handled::NothingSent;
            // The application's per-thread set-up around this one connection.
            self.shared.application.run_worker(&mut || {
                if let Some(stream) = connection.take() {
                    handled = handle_connection(&self.shared, stream, client_address, &never_stopping);
                }
            });
            if handled == Handled::Request {
                return Ok(());
            }
        }
    }

    /// Handle requests until [`ShutdownHandle::shutdown`] is called, then
    /// wait for requests in flight (up to [`ServerConfig::shutdown_grace`])
    /// and return.
    ///
    /// # Errors
    ///
    /// None today; `accept()` errors (out of file descriptors, aborted
    /// connections) are logged by the worker that got them and retried
    /// after a pause.
    ///
    /// # Example
    ///
    /// ```
    /// let server = wsgiref::make_server("127.0.0.1", 0, wsgiref::simple_server::demo_app)?;
    /// let stopper = server.shutdown_handle();
    /// let serving = std::thread::spawn(move || server.serve_forever());
    /// stopper.shutdown();
    /// serving.join().unwrap()?;
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `socketserver.BaseServer.serve_forever`.
    pub fn serve_forever(&self) -> io::Result<()> {
        if !self.control.start_serving() {
            return Ok(());
        }
        let config = &self.shared.config;
        let shared = Arc::clone(&self.shared);
        let handler: pool::Handler = Arc::new(move |stream, client_address, stopping: &AtomicBool| {
            handle_connection(&shared, stream, client_address, stopping);
        });
        let shared = Arc::clone(&self.shared);
        let hook: pool::WorkerHook = Arc::new(move |serve| shared.application.run_worker(serve));
        let mut workers = Workers::start(&self.listener, handler, hook, config.min_threads, config.max_threads);
        // The calling thread watches the workers until shutdown() is called.
        while !self.control.wait_for_stop(pool::WATCH_INTERVAL) {
            workers.adjust();
        }
        // Workers waiting for a request head give up within a second; requests
        // in flight get up to the grace period.
        workers.stop(wake_address(self.server_address()), config.shutdown_grace);
        self.control.stop_serving();
        Ok(())
    }

    /// A handle that stops [`WsgiServer::serve_forever`] from another thread.
    ///
    /// # Example
    ///
    /// ```
    /// let server = wsgiref::make_server("127.0.0.1", 0, wsgiref::simple_server::demo_app)?;
    /// let handle = server.shutdown_handle();
    /// let copy = handle.clone();
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            control: Arc::clone(&self.control),
            address: self.server_address(),
        }
    }
}

impl std::fmt::Debug for WsgiServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsgiServer")
            .field("address", &self.server_address())
            .finish_non_exhaustive()
    }
}

/// Stops a running [`WsgiServer::serve_forever`]; cloneable and `Send`.
///
/// # Example
///
/// See [`WsgiServer::serve_forever`].
#[derive(Clone)]
pub struct ShutdownHandle {
    control: Arc<Control>,
    address: SocketAddr,
}

impl ShutdownHandle {
    /// Tell `serve_forever` to stop accepting, and wait until it has
    /// returned (in-flight requests finished or the grace period over).
    /// When the server is not serving, the next `serve_forever` returns at
    /// once. Called from inside a request (an application that stops its
    /// server), it does not wait: `serve_forever` returns once that request
    /// is over.
    ///
    /// # Example
    ///
    /// See [`WsgiServer::serve_forever`].
    ///
    /// Mirrors `socketserver.BaseServer.shutdown`, without its hang when
    /// called while not serving.
    pub fn shutdown(&self) {
        let mut state = self.control.state.lock().unwrap_or_else(|e| e.into_inner());
        state.stop_requested = true;
        self.control.changed.notify_all();
        if !state.serving {
            return;
        }
        if crate::pool::on_worker_thread() {
            // Called from inside a request: serve_forever waits for this very
            // request to finish, so waiting here would wait for ourselves.
            return;
        }
        while state.serving {
            state = self.control.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

impl std::fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShutdownHandle")
            .field("address", &self.address)
            .finish()
    }
}

/// Where to connect to wake the accept loop: loopback for a wildcard bind.
fn wake_address(address: SocketAddr) -> SocketAddr {
    match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::from(([127, 0, 0, 1], address.port())),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, address.port())),
        _ => address,
    }
}

impl Control {
    /// Returns `false` when a stop was requested before serving began.
    fn start_serving(&self) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.stop_requested {
            state.stop_requested = false;
            return false;
        }
        state.serving = true;
        true
    }

    /// Wait up to `timeout` for a stop request; true when there is one.
    fn wait_for_stop(&self, timeout: Duration) -> bool {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (state, _) = self
            .changed
            .wait_timeout_while(state, timeout, |state| !state.stop_requested)
            .unwrap_or_else(|e| e.into_inner());
        state.stop_requested
    }

    fn stop_serving(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.serving = false;
        state.stop_requested = false;
        self.changed.notify_all();
    }
}

/// The environ keys that are the same for every request.
///
/// Mirrors `WSGIServer.setup_environ`.
fn setup_environ(address: SocketAddr) -> BTreeMap<String, String> {
    let mut environ = BTreeMap::new();
    environ.insert("SERVER_NAME".to_string(), getfqdn(&address.ip().to_string()));
    environ.insert("GATEWAY_INTERFACE".to_string(), "CGI/1.1".to_string());
    environ.insert("SERVER_PORT".to_string(), address.port().to_string());
    environ.insert("REMOTE_HOST".to_string(), String::new());
    environ.insert("CONTENT_LENGTH".to_string(), String::new());
    environ.insert("SCRIPT_NAME".to_string(), String::new());
    environ
}

/// A fully qualified name for `host`, as Python's `socket.getfqdn` finds it
/// through `/etc/hosts` (std has no reverse lookup; DNS is not consulted):
/// the first name of the first line with that address, or an alias of it
/// that contains a dot; `host` itself when nothing matches.
fn getfqdn(host: &str) -> String {
    let name = match host {
        "" | "0.0.0.0" | "::" => std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|name| name.trim().to_string())
            .unwrap_or_else(|_| host.to_string()),
        _ => host.to_string(),
    };
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    let entries: Vec<Vec<&str>> = hosts
        .lines()
        .map(|line| {
            line.split('#')
                .next()
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<&str>>()
        })
        .filter(|fields| fields.len() >= 2)
        .collect();
    // gethostbyaddr(name): a name is first resolved to its address.
    let address = match name.parse::<IpAddr>() {
        Ok(_) => name.clone(),
        Err(_) => match entries.iter().find(|fields| fields[1..].contains(&name.as_str())) {
            Some(fields) => fields[0].to_string(),
            None => return name,
        },
    };
    match entries.iter().find(|fields| fields[0] == address) {
        Some(fields) => fields[1..]
            .iter()
            .find(|alias| alias.contains('.'))
            .unwrap_or(&fields[1])
            .to_string(),
        None => name,
    }
}

/// Whether a connection carried a request.
#[derive(Debug, PartialEq)]
enum Handled {
    Request,
    NothingSent,
}

/// Handle one connection from its first byte to its close.
///
/// Mirrors `WSGIRequestHandler.handle`.
/// `stopping` becomes true when the server shuts down: a connection still
/// waiting for its request head is then closed within a second.
fn handle_connection(
    shared: &ServerShared,
    stream: TcpStream,
    client_address: SocketAddr,
    stopping: &AtomicBool,
) -> Handled {
    let config = &shared.config;
    if !ACCEPTED_SOCKETS_INHERIT_OPTIONS {
        let _ = set_connection_options(&stream, config);
    }
    let client = client_address.ip().to_string();
    let limits = head_limits(config);
    let mut head = match http::read_request_head_in_slices(&stream, &limits, stopping) {
        Ok(Some(head)) => head,
        Ok(None) => {
            log::debug!("{client} closed the connection without sending a request");
            return Handled::NothingSent;
        }
        Err(RequestError::Io(error)) => {
            log::debug!("{client}: connection failed while reading the request: {error}");
            return Handled::Request;
        }
        Err(RequestError::TlsHandshake) => {
            // A browser speaking HTTPS waits for a ServerHello that no HTTP
            // answer can be: close without a byte, and say why (rate-limited).
            // Not an HTTP request, so `handle_request` keeps waiting for one.
            http::log_https_probe(&client);
            return Handled::NothingSent;
        }
        Err(error) => {
            reject(&stream, &client, "", &error, config);
            return Handled::Request;
        }
    };
    let framing = match http::check_request(&head, config.max_body_bytes) {
        Ok(framing) => framing,
        Err(error) => {
            reject(&stream, &client, &head.request_line(), &error, config);
            return Handled::Request;
        }
    };
    let request_line = head.request_line();
    let body_expected = framing != BodyFraming::Length(0) || !head.leftover.is_empty();
    let raw_head = std::mem::take(&mut head.raw);
    let environ = match WsgiRequestHandler::new(shared, &stream, &client).get_environ(head, framing) {
        Ok(environ) => environ,
        Err(error) => {
            log::warn!("{client}: could not set up the request: {error}");
            return Handled::Request;
        }
    };
    // The handler owns the stream while it writes the response, then gives it back.
    let mut handler = SimpleHandler::new(stream);
    handler.server_software = Some(SERVER_SOFTWARE.to_string());
    if trace::enabled(config.trace) {
        let mut trace = Trace::new(&client_address.to_string());
        trace.request_head(&raw_head);
        handler.set_trace(trace);
    }
    let summary = handler.run(&*shared.application, environ);
    if let Some(trace) = handler.take_trace() {
        trace::emit(&trace.finish(), config.trace);
    }
    let status = summary.status.unwrap_or(500);
    http::log_request(&client, &request_line, status, Some(summary.bytes_sent));
    // Why lingering only when a body was expected or the client sent more:
    // as nginx's `lingering_close`, the server drains only when the client
    // may still be sending; a bodiless request answered in full is closed
    // at once, which saves a round trip on the commonest request.
    if let Some(stream) = handler.into_output() {
        if body_expected || client_sent_more(&stream) {
            finish_connection(&stream, config);
        }
    }
    Handled::Request
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
fn configure_listener(listener: TcpListener, config: &ServerConfig) -> io::Result<TcpListener> {
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
fn configure_listener(listener: TcpListener, _config: &ServerConfig) -> io::Result<TcpListener> {
    Ok(listener)
}

/// The options of every connection: the head's read slice, the write
/// timeout, and `TCP_NODELAY` (Nagle's algorithm would delay the second of
/// two small writes, such as a streamed body's chunks).
fn set_connection_options(socket: &TcpStream, config: &ServerConfig) -> io::Result<()> {
    socket.set_nodelay(true)?;
    socket.set_read_timeout(Some(head_limits(config).read_slice()))?;
    socket.set_write_timeout(Some(socket_timeout(config.write_timeout)))
}

fn head_limits(config: &ServerConfig) -> HeadLimits {
    HeadLimits {
        max_request_line_bytes: config.max_request_line_bytes,
        max_head_bytes: config.max_head_bytes,
        max_header_count: config.max_header_count,
        head_timeout: config.head_timeout,
    }
}

/// std refuses a zero socket timeout (it would mean "wait forever" to the
/// OS); a zero limit is taken as the shortest one, 1 ms.
fn socket_timeout(limit: Duration) -> Duration {
    limit.max(Duration::from_millis(1))
}

/// Answer a request the server refuses, log why, and close.
fn reject(stream: &TcpStream, client: &str, request_line: &str, error: &RequestError, config: &ServerConfig) {
    log::warn!("{client}: {error}");
    let size = http::write_error_response(&mut &*stream, error, SERVER_SOFTWARE).ok();
    http::log_request(client, request_line, error.status(), size);
    finish_connection(stream, config);
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

/// Builds the environ for one request.
///
/// Mirrors `wsgiref.simple_server.WSGIRequestHandler`.
pub struct WsgiRequestHandler<'a> {
    shared: &'a ServerShared,
    stream: &'a TcpStream,
    /// The client's IP address as text (`REMOTE_ADDR`).
    client_host: &'a str,
}

impl<'a> WsgiRequestHandler<'a> {
    fn new(shared: &'a ServerShared, stream: &'a TcpStream, client_host: &'a str) -> WsgiRequestHandler<'a> {
        WsgiRequestHandler {
            shared,
            stream,
            client_host,
        }
    }

    /// The environ for `head`: the server's base keys, the request's CGI
    /// keys, `HTTP_*` keys, and `wsgi.input` framed as `framing` says.
    ///
    /// Mirrors `WSGIRequestHandler.get_environ`; spec: PEP 3333 "environ Variables".
    fn get_environ(&self, head: RequestHead, framing: BodyFraming) -> io::Result<Environ> {
        let mut environ = Environ::new();
        for (key, value) in &self.shared.base_environ {
            environ.insert(key.clone(), value.clone());
        }
        environ.insert("SERVER_PROTOCOL", format!("HTTP/1.{}", head.minor_version));
        environ.insert("SERVER_SOFTWARE", SERVER_SOFTWARE);
        environ.insert("REQUEST_METHOD", head.method.clone());
        let target = http::RequestTarget::parse(&head.target);
        if let Some(authority) = &target.authority {
            // RFC 9112 §3.2.2: the authority of an absolute-form target replaces Host.
            environ.insert("SERVER_NAME", authority_host(authority));
        }
        environ.insert("PATH_INFO", unquote(&target.path));
        environ.insert("QUERY_STRING", target.query.clone());
        environ.insert("REMOTE_ADDR", self.client_host);
        let content_type = head
            .get_all("Content-Type")
            .first()
            .map_or("text/plain", |v| v)
            .to_string();
        environ.insert("CONTENT_TYPE", content_type);
        if let Some(length) = head.get_all("Content-Length").first().filter(|v| !v.is_empty()) {
            environ.insert("CONTENT_LENGTH", length.to_string());
        }
        add_http_headers(&mut environ, &head.headers, target.authority.as_deref());
        environ.input = self.make_input(head.leftover, framing)?;
        environ.input_terminated = framing == BodyFraming::Chunked;
        environ.multithread = true;
        Ok(environ)
    }

    /// `wsgi.input`: the bytes already read after the head, then the socket,
    /// framed by `Content-Length` or chunked coding.
    fn make_input(&self, leftover: Vec<u8>, framing: BodyFraming) -> io::Result<Input> {
        if framing == BodyFraming::Length(0) {
            return Ok(Input::empty());
        }
        let socket = self.stream.try_clone()?;
        socket.set_read_timeout(Some(socket_timeout(self.shared.config.read_timeout)))?;
        let reader = io::Cursor::new(leftover).chain(socket);
        Ok(match framing {
            BodyFraming::Length(length) => Input::with_length(reader, length),
            BodyFraming::Chunked => Input::chunked(reader).with_max_body_bytes(self.shared.config.max_body_bytes),
        })
    }
}

impl std::fmt::Debug for WsgiRequestHandler<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsgiRequestHandler")
            .field("client_host", &self.client_host)
            .finish_non_exhaustive()
    }
}

/// `HTTP_*` keys: names uppercased with `-` → `_`, values stripped,
/// repeated headers joined with `,`. Names containing `_` are dropped
/// (ambiguous with `-`), and names that collide with CGI keys are skipped.
pub(crate) fn add_http_headers(environ: &mut Environ, headers: &[(String, String)], authority: Option<&str>) {
    for (name, value) in headers {
        if name.contains('_') {
            log::debug!("dropped request header {name:?}: names with '_' are ambiguous in the environ");
            continue;
        }
        let key = name.replace('-', "_").to_ascii_uppercase();
        if environ.contains_key(&key) || (authority.is_some() && key == "HOST") {
            continue;
        }
        let http_key = format!("HTTP_{key}");
        let value = python_strip(value);
        let joined = match environ.get(&http_key) {
            Some(previous) => format!("{previous},{value}"),
            None => value.to_string(),
        };
        environ.insert(http_key, joined);
    }
    if let Some(authority) = authority {
        environ.insert("HTTP_HOST", authority);
    }
}

/// `str.strip()` for latin-1 text: Python also strips `\x1c`-`\x1f`, `\x85` and `\xa0`.
fn python_strip(value: &str) -> &str {
    let is_space = |c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c);
    value.trim_matches(is_space)
}

/// The host part of an authority, without port or brackets.
fn authority_host(authority: &str) -> String {
    let without_userinfo = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(rest) = without_userinfo.strip_prefix('[') {
        return rest.split(']').next().unwrap_or_default().to_string();
    }
    without_userinfo.split(':').next().unwrap_or_default().to_string()
}

/// Percent-decode a native string, each decoded byte one latin-1 char;
/// malformed escapes stay as they are.
///
/// Mirrors `urllib.parse.unquote(path, 'iso-8859-1')`.
pub(crate) fn unquote(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '%' && i + 2 < chars.len() {
            let hex: String = chars[i + 1..=i + 2].iter().collect();
            if hex.chars().all(|c| c.is_ascii_hexdigit()) {
                out.push(char::from(u8::from_str_radix(&hex, 16).unwrap_or_default()));
                i += 3;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquote_like_python() {
        let cases = [
            ("/a%20b", "/a b"),
            ("/caf%C3%A9", "/caf\u{c3}\u{a9}"),
            ("/%zz%2", "/%zz%2"),
            ("/%", "/%"),
            ("/%4", "/%4"),
            ("/%41", "/A"),
            ("/%2F", "//"),
        ];
        for (input, expected) in cases {
            assert_eq!(unquote(input), expected, "input {input:?}");
        }
    }

    #[test]
    fn authority_hosts() {
        assert_eq!(authority_host("example.com:8080"), "example.com");
        assert_eq!(authority_host("[::1]:80"), "::1");
        assert_eq!(authority_host("user@host"), "host");
    }
}
