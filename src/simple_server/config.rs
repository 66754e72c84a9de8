//! [`ServerConfig`]: every limit and timeout of the server, with its default.

use std::time::Duration;

use crate::http::HeadLimits;

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
    /// [`WsgiServer::socket`](super::WsgiServer::socket)).
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
    /// Most connections held at once in the waiting room: clients that
    /// paused for [`PARK_AFTER`](crate::simple_server) (20 ms) before their
    /// request head was complete wait there, not in a worker, until the
    /// head is done. Each holds one file descriptor and the bytes it sent.
    /// Past it, workers wait on slow clients themselves (and accept no
    /// one else meanwhile). Default: half the process's open-file limit
    /// (`RLIMIT_NOFILE`, read from `/proc/self/limits`), at most 10,000,
    /// or 512 where the limit cannot be read. 0: no waiting room.
    pub max_waiting_connections: usize,
    /// Answer an application error with the development error page (the
    /// error and its traceback as HTML; see
    /// [`SimpleHandler::debug_error_page`](crate::handlers::SimpleHandler::debug_error_page)).
    /// Default `false`; the `wsgiref` command turns it on when it listens
    /// on a loopback address. Never for a public address.
    pub debug_error_page: bool,
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
            debug_error_page: false,
            max_waiting_connections: default_max_waiting_connections(),
        }
    }
}

impl ServerConfig {
    /// The limits `http` reads a request head under.
    pub(crate) fn head_limits(&self) -> HeadLimits {
        HeadLimits {
            max_request_line_bytes: self.max_request_line_bytes,
            max_head_bytes: self.max_head_bytes,
            max_header_count: self.max_header_count,
            head_timeout: self.head_timeout,
        }
    }
}

/// Half the soft `RLIMIT_NOFILE` (the other half for workers' connections,
/// the application's files and sockets), at most 10,000; 512 when unknown.
fn default_max_waiting_connections() -> usize {
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    let soft = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse::<usize>().ok());
    soft.map_or(512, |soft| (soft / 2).clamp(1, 10_000))
}
