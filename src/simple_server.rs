//! A simple HTTP server that serves WSGI applications: `make_server`,
//! `handle_request`, `serve_forever`, and `demo_app`.
//!
//! Mirrors [wsgiref/simple_server.py](https://github.com/python/cpython/blob/3.11/Lib/wsgiref/simple_server.py).
//!
//! # Design notes
//!
//! - **The path of a connection**:
//!
//!   ```text
//!   listen backlog ─accept()─▶ worker ─head in time─▶ application ─▶ response
//!                               │ no byte for 20 ms      ▲
//!                               ▼                        │ head done
//!                          waiting room (one thread, epoll) ─▶ job queue
//!   ```
//!
//!   A slow or idle client waits in the waiting room, not in a worker:
//!   gunicorn's `gthread` worker and waitress wait for request heads in a
//!   poller too, and nginx never blocks on a client at all. CPython's
//!   wsgiref serves one connection at a time, so one idle socket stops it.
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
//! - **A cut response is never taken for a whole one**: a body of unknown
//!   length goes out chunked to HTTP/1.1 clients, so one cut by an error
//!   lacks its last chunk; a cut that the framing cannot show (HTTP/1.0, a
//!   body shorter than its `Content-Length`) ends with a reset.
//!
//! # Files
//!
//! - this file: [`make_server`], [`WsgiServer`] and its stop handle;
//! - `config`: [`ServerConfig`], every limit with its default;
//! - `connection`: one connection, from reading the request to closing;
//! - `environ`: the environ of one request (`get_environ`), shared with
//!   [`crate::testing`];
//! - `apps`: [`demo_app`] and the other built-in applications.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpListener, ToSocketAddrs};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use crate::http;
use crate::pool::{self, JobQueue, Workers};
use crate::record::Recorder;
use crate::types::Application;

mod apps;
mod config;
mod connection;
pub(crate) mod environ;
mod waiting_room;

pub use crate::http::ACCESS_LOG_TARGET;
pub use apps::{bytes_app, demo_app, echo_app, hello_app};
pub use config::ServerConfig;
use connection::{Handled, configure_listener, handle_connection, resume_connection};
use waiting_room::WaitingRoom;

/// The log target of this module and its submodules: the one it had
/// before they were split out, so log filters keep working.
const LOG_TARGET: &str = "wsgiref::simple_server";
use environ::{BaseEnviron, setup_environ};

/// `SERVER_SOFTWARE` and the `Server` header: wsgiref's `WSGIServer/0.2`
/// followed by this crate's name and version.
pub const SERVER_SOFTWARE: &str = concat!("WSGIServer/0.2 wsgiref-rs/", env!("CARGO_PKG_VERSION"));
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
    base_environ: BaseEnviron,
    /// The address listened on (what a recorded request says it was sent to).
    address: SocketAddr,
    /// Where requests are recorded, once [`WsgiServer::set_recorder`] is called.
    recorder: OnceLock<Recorder>,
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
        WsgiServer::from_listener(TcpListener::bind(&addresses[..])?, application, config)
    }

    /// A server on a socket that is already listening: one bound by the
    /// caller (with options `with_config` does not set), handed down by a
    /// parent process (the `wsgiref --reload` parent keeps its socket and
    /// gives it to each new child, so no request is refused while it
    /// restarts), or passed by systemd's socket activation.
    ///
    /// Shapes: `listener` must be a bound, listening TCP socket (IPv4 or
    /// IPv6), as [`TcpListener::bind`] returns it; its listen backlog is
    /// kept. The server puts it in blocking mode (the workers block in
    /// `accept()`) and sets the options every accepted connection inherits
    /// (see [`WsgiServer::socket`]), so it should not be shared with
    /// another server in this process. Dropping the server closes this
    /// process's descriptor only: the server never calls `shutdown()` on
    /// the listening socket, so a copy held by another process goes on
    /// queueing connections.
    ///
    /// # Errors
    ///
    /// The `io::Error` of setting those options, or of `local_addr()` on a
    /// socket that is not bound.
    ///
    /// # Example
    ///
    /// ```
    /// let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    /// let address = listener.local_addr()?;
    /// let config = wsgiref::ServerConfig::default();
    /// let server = wsgiref::WsgiServer::from_listener(listener, wsgiref::simple_server::demo_app, config)?;
    /// assert_eq!(server.server_address(), address);
    /// # Ok::<(), wsgiref::AppError>(())
    /// ```
    ///
    /// Mirrors `socketserver.TCPServer(..., bind_and_activate=False)` with
    /// `server.socket` replaced by an existing socket, as Werkzeug's
    /// reloader and gunicorn's socket activation use it.
    pub fn from_listener(
        listener: TcpListener,
        application: impl Application + 'static,
        config: ServerConfig,
    ) -> io::Result<WsgiServer> {
        // An inherited socket may have been made non-blocking by whoever
        // created it; the accept loop relies on blocking accept() bounded
        // by the read timeout.
        listener.set_nonblocking(false)?;
        let listener = configure_listener(listener, &config)?;
        let address = listener.local_addr()?;
        let base_environ = setup_environ(address);
        Ok(WsgiServer {
            listener: Arc::new(listener),
            shared: Arc::new(ServerShared {
                application: Box::new(application),
                config,
                base_environ,
                address,
                recorder: OnceLock::new(),
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
        // A bound listener always has an address; `local_addr` fails only on
        // a socket that is not bound, so this fallback is never taken.
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

    /// Record every request this server answers from now on to
    /// `recorder`'s file (see [`crate::record`]), refused requests
    /// included; [`crate::testing::replay`] runs them again.
    ///
    /// A server records to one file: a second call changes nothing and
    /// gives its recorder back as the `Err`. A write that fails stops the
    /// recording with one warning; serving goes on.
    ///
    /// # Errors
    ///
    /// `recorder`, when a recorder was already set.
    ///
    /// # Example
    ///
    /// See [`Recorder`].
    pub fn set_recorder(&self, recorder: Recorder) -> Result<(), Recorder> {
        self.shared.recorder.set(recorder)
    }

    /// Handle one request on the calling thread, then return.
    ///
    /// Connections closed without sending a byte (browsers' pre-connections)
    /// and TLS probes do not count: it waits for the next one. It reads the
    /// head as a worker does but without the waiting room (one thread, one
    /// connection at a time), so a client that connects and then sends
    /// nothing holds it until it closes or `head_timeout` passes.
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
                    handled = handle_connection(&self.shared, stream, client_address, &never_stopping, None);
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
        let jobs = JobQueue::default();
        let room = self.open_waiting_room(&jobs).map(Arc::new);
        let (shared, parking) = (Arc::clone(&self.shared), room.clone());
        let handler: pool::Handler = Arc::new(move |stream, client_address, stopping: &AtomicBool| {
            handle_connection(&shared, stream, client_address, stopping, parking.as_deref());
        });
        let shared = Arc::clone(&self.shared);
        let hook: pool::WorkerHook = Arc::new(move |serve| shared.application.run_worker(serve));
        let mut workers = Workers::start(
            &self.listener,
            handler,
            jobs,
            hook,
            config.min_threads,
            config.max_threads,
        );
        // The calling thread watches the workers until shutdown() is called.
        while !self.control.wait_for_stop(pool::WATCH_INTERVAL) {
            workers.adjust();
        }
        // Connections still waiting for their head are closed; workers
        // waiting for one give up within a read slice; requests in flight
        // get up to the grace period.
        if let Some(room) = &room {
            room.stop();
        }
        workers.stop(wake_address(self.server_address()), config.shutdown_grace);
        self.control.stop_serving();
        Ok(())
    }

    /// The waiting room for this `serve_forever`, whose finished heads go
    /// to `jobs`; `None` (workers then wait on slow clients themselves, as
    /// before) when `max_waiting_connections` is 0 or the poller cannot start.
    fn open_waiting_room(&self, jobs: &JobQueue) -> Option<WaitingRoom> {
        let config = &self.shared.config;
        if config.max_waiting_connections == 0 {
            return None;
        }
        let shared = Arc::clone(&self.shared);
        let resume: waiting_room::Resume =
            Arc::new(move |parked, stopping| resume_connection(&shared, parked, stopping));
        match WaitingRoom::start(
            config.head_limits(),
            config.max_waiting_connections,
            jobs.clone(),
            resume,
        ) {
            Ok(room) => Some(room),
            Err(error) => {
                log::warn!(target: LOG_TARGET, "no waiting room for slow clients: {error}");
                None
            }
        }
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
