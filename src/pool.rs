//! The worker threads behind `serve_forever`: a bounded pool of threads
//! that each accept a connection from the shared listening socket, handle
//! it from its first byte to its close, then accept the next.
//!
//! # Design notes
//!
//! - **Workers accept for themselves**, as the threads of Apache's worker
//!   MPM or gunicorn's sync workers do. There is no accept thread and no
//!   queue in between: the kernel's accept queue (the listen backlog) is
//!   the queue, and several threads blocked in `accept()` on one socket are
//!   woken one at a time. Why: handing each connection from an accept
//!   thread to a worker over a `Condvar` queue cost two thread wake-ups per
//!   connection, and 8-12% of the requests per second of a small response
//!   (measured).
//! - **Pre-spawned workers**: a fresh `thread::spawn` per connection
//!   reaches only about half the throughput on 2 cores.
//! - **Growth only when stuck.** The thread that called `serve_forever`
//!   looks at the workers 20 times a second ([`Workers::grow_if_stuck`]).
//!   When every worker was busy at two looks in a row and no connection
//!   finished in between (all are stuck on idle or slow clients, or on
//!   slow applications), it starts `min_threads` more, up to
//!   `max_threads`, so that such clients cannot starve the others. Extra
//!   workers exit after 30 s without a connection. Why not grow whenever
//!   all workers are busy: under a CPU-bound load they always are, and 64
//!   threads on 2 cores served 7% fewer requests than 8 (measured).
//! - **Stopping.** A worker looks at the stop flag each time `accept()`
//!   returns: with a connection, or when the listener's read timeout ends
//!   the wait (on Linux it bounds `accept()` too). [`Workers::stop`] also
//!   connects once per worker, so that workers blocked in `accept()` wake
//!   up at once on every OS.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// What a worker does with each accepted connection.
pub(crate) type Handler = Arc<dyn Fn(TcpStream, SocketAddr) + Send + Sync>;

thread_local! {
    /// Set on worker threads, so code running a request can know it.
    static ON_WORKER_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the calling thread is a pool worker (it is running a request).
pub(crate) fn on_worker_thread() -> bool {
    ON_WORKER_THREAD.with(|flag| flag.get())
}

/// How long an extra (not pre-spawned) worker waits for a connection before exiting.
const EXTRA_WORKER_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How often `serve_forever` looks at the workers.
pub(crate) const WATCH_INTERVAL: Duration = Duration::from_millis(50);
/// How long `stop` waits for each wake-up connection.
const WAKE_CONNECT_TIMEOUT: Duration = Duration::from_millis(200);

/// What the workers and the pool share.
struct Shared {
    listener: Arc<TcpListener>,
    handler: Handler,
    /// Set by `stop`, never reset: workers exit when `accept()` next
    /// returns, even those still busy when `stop` gave up waiting.
    stopping: AtomicBool,
    /// Workers alive, under a lock so that `stop` can wait for it to reach 0.
    live: Mutex<usize>,
    /// Signalled when a worker exits.
    exited: Condvar,
    /// Workers handling a connection now.
    busy: AtomicUsize,
    /// Connections handled so far: the watchdog's measure of progress.
    completed: AtomicU64,
    /// Numbers worker threads' names.
    next_id: AtomicUsize,
}

/// The running workers of one `serve_forever` call.
pub(crate) struct Workers {
    shared: Arc<Shared>,
    min_threads: usize,
    max_threads: usize,
    /// `completed` and "all busy" at the last look, to see whether workers are stuck.
    last_completed: u64,
    all_busy_last_time: bool,
}

impl Workers {
    /// Start `min_threads` workers (at least 1) accepting from `listener`;
    /// the pool may grow to `max_threads`.
    pub(crate) fn start(
        listener: Arc<TcpListener>,
        handler: Handler,
        min_threads: usize,
        max_threads: usize,
    ) -> Workers {
        let max_threads = max_threads.max(1);
        let min_threads = min_threads.clamp(1, max_threads);
        let shared = Arc::new(Shared {
            listener,
            handler,
            stopping: AtomicBool::new(false),
            live: Mutex::new(0),
            exited: Condvar::new(),
            busy: AtomicUsize::new(0),
            completed: AtomicU64::new(0),
            next_id: AtomicUsize::new(0),
        });
        for _ in 0..min_threads {
            spawn_worker(&shared, None);
        }
        Workers {
            shared,
            min_threads,
            max_threads,
            last_completed: 0,
            all_busy_last_time: false,
        }
    }

    /// Start `min_threads` more workers (up to `max_threads`) when every
    /// worker has been busy since the last call and none finished a
    /// connection. Called every [`WATCH_INTERVAL`].
    pub(crate) fn grow_if_stuck(&mut self) {
        let live = self.live_threads();
        let all_busy = self.shared.busy.load(Ordering::Relaxed) >= live;
        let completed = self.shared.completed.load(Ordering::Relaxed);
        let stuck = all_busy && self.all_busy_last_time && completed == self.last_completed;
        self.all_busy_last_time = all_busy;
        self.last_completed = completed;
        if stuck && live < self.max_threads {
            let more = self.min_threads.min(self.max_threads - live);
            log::debug!("every worker is stuck on a connection: starting {more} more");
            for _ in 0..more {
                spawn_worker(&self.shared, Some(EXTRA_WORKER_IDLE_TIMEOUT));
            }
            // The new workers are not busy yet: judge again from the next look.
            self.all_busy_last_time = false;
        }
    }

    /// How many workers are alive now.
    pub(crate) fn live_threads(&self) -> usize {
        *self.shared.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tell the workers to stop, wake those blocked in `accept()` (by
    /// connecting to `wake_address`), and wait up to `grace_period` for
    /// them to finish the connections they are handling.
    pub(crate) fn stop(self, wake_address: SocketAddr, grace_period: Duration) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        for _ in 0..self.live_threads() {
            // A failed connect (a full backlog) is not worth more tries: on
            // Linux the listener's read timeout wakes the workers anyway.
            if TcpStream::connect_timeout(&wake_address, WAKE_CONNECT_TIMEOUT).is_err() {
                break;
            }
        }
        let deadline = Instant::now() + grace_period;
        let mut live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
        while *live > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                log::warn!(
                    "{} request(s) still running after the grace period; not waiting for them",
                    *live
                );
                return;
            }
            live = self
                .shared
                .exited
                .wait_timeout(live, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Start one worker; `idle_timeout` is `None` for a pre-spawned worker.
fn spawn_worker(shared: &Arc<Shared>, idle_timeout: Option<Duration>) {
    *shared.live.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let worker = Worker {
        shared: Arc::clone(shared),
        idle_timeout,
    };
    let spawned = thread::Builder::new()
        .name(format!("wsgiref-worker-{id}"))
        .spawn(move || worker.run());
    if let Err(error) = spawned {
        log::warn!("could not start a worker thread: {error}");
        worker_exited(shared);
    }
}

fn worker_exited(shared: &Shared) {
    *shared.live.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
    shared.exited.notify_all();
}

struct Worker {
    shared: Arc<Shared>,
    /// `None` for pre-spawned workers, which never exit while the pool runs.
    idle_timeout: Option<Duration>,
}

impl Worker {
    /// Accept and handle connections until the pool stops (or, for an
    /// extra worker, until it has been idle too long).
    fn run(self) {
        ON_WORKER_THREAD.with(|flag| flag.set(true));
        let shared = &*self.shared;
        let mut idle_since = Instant::now();
        while !shared.stopping.load(Ordering::SeqCst) {
            match shared.listener.accept() {
                Ok((stream, client_address)) => {
                    if shared.stopping.load(Ordering::SeqCst) {
                        // A wake-up connection from `stop`, or a client too late.
                        break;
                    }
                    self.handle(stream, client_address);
                    idle_since = Instant::now();
                }
                // The listener's read timeout ended the wait: nobody came.
                Err(error) if crate::http::is_timeout(&error) => {
                    if self.idle_timeout.is_some_and(|timeout| idle_since.elapsed() >= timeout) {
                        break;
                    }
                }
                Err(error) => accept_failed(&error),
            }
        }
        worker_exited(shared);
    }

    fn handle(&self, stream: TcpStream, client_address: SocketAddr) {
        let shared = &*self.shared;
        shared.busy.fetch_add(1, Ordering::Relaxed);
        // Why: a bug in our own code must not kill a worker; application
        // panics are already caught closer to the application.
        if catch_unwind(AssertUnwindSafe(|| (shared.handler)(stream, client_address))).is_err() {
            log::error!("a connection handler panicked; the worker goes on");
        }
        shared.busy.fetch_sub(1, Ordering::Relaxed);
        shared.completed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Log an `accept()` failure (out of file descriptors, an aborted
/// connection) and pause. Why a pause: EMFILE would otherwise make the
/// accept loop a busy loop.
fn accept_failed(error: &io::Error) {
    log::warn!("accept() failed: {error}; retrying");
    thread::sleep(Duration::from_millis(50));
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    /// A pool whose handler sleeps `hold`, then answers `ok`.
    fn pool(min: usize, max: usize, hold: Duration) -> (Workers, SocketAddr) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let handler: Handler = Arc::new(move |mut stream: TcpStream, _| {
            thread::sleep(hold);
            let _ = stream.write_all(b"ok");
        });
        (Workers::start(Arc::new(listener), handler, min, max), address)
    }

    fn fetch(address: SocketAddr) -> String {
        let mut stream = TcpStream::connect(address).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    #[test]
    fn workers_accept_and_handle_every_connection() {
        let (workers, address) = pool(2, 2, Duration::ZERO);
        let answers: Vec<String> = (0..20).map(|_| fetch(address)).collect();
        assert!(answers.iter().all(|answer| answer == "ok"));
        // A client has its answer a moment before its worker counts it.
        let deadline = Instant::now() + Duration::from_secs(5);
        while workers.shared.completed.load(Ordering::SeqCst) < 20 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(workers.shared.completed.load(Ordering::SeqCst), 20);
        workers.stop(address, Duration::from_secs(5));
    }

    #[test]
    fn stuck_workers_get_help_up_to_the_bound() {
        let (mut workers, address) = pool(1, 3, Duration::from_millis(600));
        let clients: Vec<_> = (0..5).map(|_| thread::spawn(move || fetch(address))).collect();
        for _ in 0..8 {
            thread::sleep(WATCH_INTERVAL);
            workers.grow_if_stuck();
        }
        assert_eq!(workers.live_threads(), 3);
        for client in clients {
            assert_eq!(client.join().unwrap(), "ok");
        }
        workers.stop(address, Duration::from_secs(5));
    }

    #[test]
    fn busy_workers_that_make_progress_do_not_grow() {
        let (mut workers, address) = pool(1, 4, Duration::ZERO);
        let client = thread::spawn(move || (0..200).for_each(|_| assert_eq!(fetch(address), "ok")));
        while !client.is_finished() {
            thread::sleep(WATCH_INTERVAL);
            workers.grow_if_stuck();
        }
        client.join().unwrap();
        assert_eq!(workers.live_threads(), 1);
        workers.stop(address, Duration::from_secs(5));
    }

    #[test]
    fn a_panicking_handler_does_not_kill_its_worker() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let handler: Handler = Arc::new(|mut stream: TcpStream, _| {
            let mut first = [0u8; 1];
            let _ = stream.read(&mut first);
            if first[0] == b'p' {
                panic!("handler panics");
            }
            let _ = stream.write_all(b"ok");
        });
        let workers = Workers::start(Arc::new(listener), handler, 1, 1);
        TcpStream::connect(address).unwrap().write_all(b"p").unwrap();
        let mut stream = TcpStream::connect(address).unwrap();
        stream.write_all(b"x").unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        assert_eq!(answer, "ok");
        assert_eq!(workers.live_threads(), 1);
        workers.stop(address, Duration::from_secs(5));
    }

    #[test]
    fn stop_wakes_idle_workers_at_once() {
        let (workers, address) = pool(4, 4, Duration::ZERO);
        let started = Instant::now();
        workers.stop(address, Duration::from_secs(5));
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn stop_gives_up_after_the_grace_period() {
        let (workers, address) = pool(1, 1, Duration::from_secs(2));
        let _client = thread::spawn(move || fetch(address));
        thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        workers.stop(address, Duration::from_millis(100));
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "took {:?}",
            started.elapsed()
        );
    }
}
