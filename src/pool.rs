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
//! - **Slow clients do not hold workers.** A worker that gets no byte of
//!   a request head for 20 ms hands the connection to the waiting room
//!   (`simple_server::waiting_room`), which hands it back through the job
//!   queue once the head is complete; workers take queued jobs before
//!   each `accept()`. So the growth rule below is now rarely needed for
//!   slow or idle clients; it remains for slow applications and slow bodies.
//! - **Growth only when stuck or waiting.** The thread that called
//!   `serve_forever` looks at the workers 20 times a second
//!   ([`Workers::adjust`]). When every worker was busy at two looks in a
//!   row and either no connection finished in between (all are stuck on
//!   idle or slow clients, or on slow applications), or when every worker
//!   has been busy for 200 ms while the process used less than half the
//!   CPU it may use (the workers are waiting, for example on a database,
//!   not computing; Linux only, from `/proc/self/stat` and the cgroup's
//!   `cpu.max`), it doubles them (at least `min_threads` more), up to
//!   `max_threads`, so that such clients and applications cannot starve
//!   the others. A host whose CPU other processes take can make starved
//!   workers look like waiting ones; the bound is `max_threads`. Why
//!   not grow whenever all workers are busy: under a CPU-bound load they
//!   always are, and 64 threads on 2 cores served 7% fewer requests than 8
//!   (measured). The CPU rule is what lets a Python application start with
//!   one worker (see `wsgiref::python::DEFAULT_MIN_THREADS`) and still
//!   serve many clients of a view that waits on I/O.
//! - **Shrinking is decided for the pool, not per worker**: every 30 s, the
//!   workers beyond the most that were busy at once (and beyond
//!   `min_threads`) are asked to exit. Why not an idle timeout per worker:
//!   Linux hands connections to the threads blocked in `accept()` in turn,
//!   so under a light, steady trickle every worker stays "recently used".
//! - **Stopping.** A worker looks at the stop flag each time `accept()`
//!   returns: with a connection, or when the listener's read timeout (20
//!   ms) ends the wait (on Linux it bounds `accept()` too). [`Workers::stop`] also
//!   connects once per worker, so that workers blocked in `accept()` wake
//!   up at once. A client accepted while the pool stops is still answered.
//! - **Workers hold the listener weakly**, and only while they accept: a
//!   worker still busy when `stop` gave up waiting does not keep the
//!   listening socket open after the server is dropped.

use std::collections::VecDeque;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread;
use std::time::{Duration, Instant};

/// What a worker does with each accepted connection. The flag says whether
/// the pool is stopping (a worker waiting for a request head then gives up).
pub(crate) type Handler = Arc<dyn Fn(TcpStream, SocketAddr, &AtomicBool) + Send + Sync>;

/// Work handed to the workers from outside `accept()`: a connection whose
/// request head the waiting room collected. The flag says whether the pool
/// is stopping.
pub(crate) type Job = Box<dyn FnOnce(&AtomicBool) + Send>;

/// Jobs waiting for a worker. A worker takes one before each `accept()`;
/// idle workers look at least once per accept timeout (the listener's read
/// timeout), so a job waits at most that long when a worker is free.
#[derive(Clone, Default)]
pub(crate) struct JobQueue(Arc<Mutex<VecDeque<Job>>>);

impl JobQueue {
    /// Queue `job` for the next free worker.
    pub(crate) fn push(&self, job: Job) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push_back(job);
    }

    fn pop(&self) -> Option<Job> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }
}

/// Runs a worker's whole life (its argument) inside the application's
/// per-thread set-up: [`crate::Application::run_worker`].
pub(crate) type WorkerHook = Arc<dyn Fn(&mut (dyn FnMut() + Send)) + Send + Sync>;

thread_local! {
    /// Set on worker threads, so code running a request can know it.
    static ON_WORKER_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the calling thread is a pool worker (it is running a request).
pub(crate) fn on_worker_thread() -> bool {
    ON_WORKER_THREAD.with(|flag| flag.get())
}

/// How often `serve_forever` looks at the workers.
pub(crate) const WATCH_INTERVAL: Duration = Duration::from_millis(50);
/// How long every worker must have been busy before the CPU time says
/// whether they wait or compute. Why 200 ms: Linux counts CPU time in
/// 10 ms ticks, so a shorter span mistakes a busy worker for a waiting one.
const CPU_WINDOW: Duration = Duration::from_millis(200);
/// How long the pool looks at its busiest moment before retiring workers.
const RETIRE_WINDOW: Duration = Duration::from_secs(30);
/// How long `stop` waits for each wake-up connection.
const WAKE_CONNECT_TIMEOUT: Duration = Duration::from_millis(200);
/// How long `stop` waits, past the grace period, for idle workers to leave
/// `accept()` (on Linux they do within the listener's 20 ms read timeout).
const IDLE_EXIT_WAIT: Duration = Duration::from_secs(2);

/// What the workers and the pool share.
struct Shared {
    listener: Weak<TcpListener>,
    handler: Handler,
    jobs: JobQueue,
    hook: WorkerHook,
    /// Set by `stop`, never reset: workers exit when `accept()` next
    /// returns, even those still busy when `stop` gave up waiting.
    stopping: AtomicBool,
    /// Workers alive, under a lock so that `stop` can wait for it to reach 0.
    live: Mutex<usize>,
    /// Signalled when a worker exits.
    exited: Condvar,
    /// Workers handling a connection now.
    busy: AtomicUsize,
    /// Connections handled so far: the watcher's measure of progress.
    completed: AtomicU64,
    /// Workers asked to exit (each worker that sees it takes one).
    retire: AtomicUsize,
    /// Numbers worker threads' names.
    next_id: AtomicUsize,
}

impl Shared {
    /// Take one retirement request, if there is one.
    fn take_retirement(&self) -> bool {
        self.retire
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// The running workers of one `serve_forever` call.
pub(crate) struct Workers {
    shared: Arc<Shared>,
    min_threads: usize,
    max_threads: usize,
    /// `completed` at the last look, to see whether workers are stuck.
    last_completed: u64,
    /// Since when every worker has been busy at every look, and the
    /// process's CPU time then ([`process_cpu_time`]).
    all_busy_since: Option<(Instant, Option<Duration>)>,
    /// [`process_cpu_time`]; a stand-in clock in tests.
    cpu_clock: fn() -> Option<Duration>,
    /// The share of one core the process may use ([`cpu_share`]): "waiting"
    /// is using less than half of it.
    cpu_share: f64,
    /// The most workers busy at once since `window_start`.
    peak_busy: usize,
    window_start: Instant,
    /// [`RETIRE_WINDOW`]; shorter in tests.
    retire_window: Duration,
}

impl Workers {
    /// Start `min_threads` workers (at least 1) accepting from `listener`,
    /// each running its life inside `hook`; the pool may grow to `max_threads`.
    pub(crate) fn start(
        listener: &Arc<TcpListener>,
        handler: Handler,
        jobs: JobQueue,
        hook: WorkerHook,
        min_threads: usize,
        max_threads: usize,
    ) -> Workers {
        let max_threads = max_threads.max(1);
        let min_threads = min_threads.clamp(1, max_threads);
        let shared = Arc::new(Shared {
            listener: Arc::downgrade(listener),
            handler,
            jobs,
            hook,
            stopping: AtomicBool::new(false),
            live: Mutex::new(0),
            exited: Condvar::new(),
            busy: AtomicUsize::new(0),
            completed: AtomicU64::new(0),
            retire: AtomicUsize::new(0),
            next_id: AtomicUsize::new(0),
        });
        for _ in 0..min_threads {
            spawn_worker(&shared);
        }
        Workers {
            shared,
            min_threads,
            max_threads,
            last_completed: 0,
            all_busy_since: None,
            cpu_clock: process_cpu_time,
            cpu_share: cpu_share(),
            peak_busy: 0,
            window_start: Instant::now(),
            retire_window: RETIRE_WINDOW,
        }
    }

    /// Grow or shrink the pool; called every [`WATCH_INTERVAL`]. Doubles
    /// the workers (at least `min_threads` more, at most up to
    /// `max_threads`) when every worker has been busy since the last call
    /// and none finished a connection, or every worker has been busy for
    /// [`CPU_WINDOW`] with the process using less than half the CPU it may
    /// use; every
    /// [`RETIRE_WINDOW`], asks the workers beyond the most that were
    /// busy at once (and beyond `min_threads`) to exit.
    pub(crate) fn adjust(&mut self) {
        let live = self.live_threads();
        let busy = self.shared.busy.load(Ordering::Relaxed);
        self.peak_busy = self.peak_busy.max(busy);
        // No live worker is not "all busy": workers that could not start
        // (their hook failed) are not restarted forever.
        let all_busy = live > 0 && busy >= live;
        let all_busy_last_time = self.all_busy_since.is_some();
        if !all_busy {
            self.all_busy_since = None;
        }
        let completed = self.shared.completed.load(Ordering::Relaxed);
        let stuck = all_busy && all_busy_last_time && completed == self.last_completed;
        let waiting = all_busy && self.waiting_with_the_cpu_idle();
        self.last_completed = completed;
        if (stuck || waiting) && live < self.max_threads {
            // Double them: stuck or waiting workers may be many times too few
            // (a browser's idle pre-connections, a view waiting on a database).
            let more = live.max(self.min_threads).min(self.max_threads - live);
            if waiting {
                log::debug!("every worker waits with the CPU idle: starting {more} more");
            } else {
                log::debug!("every worker is stuck on a connection: starting {more} more");
            }
            for _ in 0..more {
                spawn_worker(&self.shared);
            }
            // The new workers are not busy yet: judge again from the next look,
            // and keep them for a whole window.
            self.all_busy_since = None;
            self.peak_busy = live + more;
            self.window_start = Instant::now();
        }
        if self.window_start.elapsed() >= self.retire_window {
            let needed = self.peak_busy.max(self.min_threads);
            self.shared.retire.store(live.saturating_sub(needed), Ordering::SeqCst);
            self.peak_busy = busy;
            self.window_start = Instant::now();
        }
    }

    /// Whether every worker has been busy for [`CPU_WINDOW`] while the
    /// process used less than half a core: they wait, they do not compute.
    /// Called at each look where every worker is busy.
    fn waiting_with_the_cpu_idle(&mut self) -> bool {
        let cpu = (self.cpu_clock)();
        let (since, cpu_then) = *self.all_busy_since.get_or_insert((Instant::now(), cpu));
        let span = since.elapsed();
        let (Some(now), Some(then), true) = (cpu, cpu_then, span >= CPU_WINDOW) else {
            return false;
        };
        let waiting = now.saturating_sub(then).as_secs_f64() < span.as_secs_f64() * self.cpu_share / 2.0;
        if !waiting {
            // Judge the next window on its own: a load that turns from
            // computing to waiting is seen within one window.
            self.all_busy_since = Some((Instant::now(), cpu));
        }
        waiting
    }

    /// How many workers are alive now.
    pub(crate) fn live_threads(&self) -> usize {
        *self.shared.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tell the workers to stop, wake those blocked in `accept()` (by
    /// connecting to `wake_address`), and wait up to `grace_period` for
    /// them to finish the connections they are handling. Idle workers are
    /// waited for a little longer (up to [`IDLE_EXIT_WAIT`]), so that none
    /// is still accepting once `stop` returns.
    pub(crate) fn stop(self, wake_address: SocketAddr, grace_period: Duration) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        self.shared.retire.store(0, Ordering::SeqCst);
        for _ in 0..self.live_threads() {
            // On Linux a failed connect (a full backlog) is not worth more
            // tries: the listener's read timeout wakes the workers anyway.
            if TcpStream::connect_timeout(&wake_address, WAKE_CONNECT_TIMEOUT).is_err() && cfg!(target_os = "linux") {
                break;
            }
        }
        let started = Instant::now();
        let mut live = self.shared.live.lock().unwrap_or_else(|e| e.into_inner());
        while *live > 0 {
            let waited = started.elapsed();
            let idle_left = *live > self.shared.busy.load(Ordering::SeqCst);
            if waited >= grace_period && !(idle_left && waited < grace_period + IDLE_EXIT_WAIT) {
                log::warn!(
                    "{} request(s) still running after the grace period; not waiting for them",
                    *live
                );
                return;
            }
            // Short waits: `busy` changes without a signal.
            live = self
                .shared
                .exited
                .wait_timeout(live, Duration::from_millis(10))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// The CPU time (user and system, all threads) this process has used so
/// far: `utime + stime` of `/proc/self/stat`, in USER_HZ ticks of 10 ms.
/// `None` where there is no such file (not Linux).
fn process_cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces and parentheses).
    let mut fields = stat.rsplit_once(')')?.1.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 10))
}

/// The share of one core this process may use: 1, or less under a cgroup
/// v2 CPU quota (`cpu.max` of the process's cgroup, such as a container's
/// `cpu: 250m`, which reads `25000 100000`). Without it, a CPU-bound worker
/// held to a quarter core would look like a waiting one.
fn cpu_share() -> f64 {
    let quota = || -> Option<f64> {
        let cgroup = std::fs::read_to_string("/proc/self/cgroup").ok()?;
        let path = cgroup.lines().find_map(|line| line.strip_prefix("0::"))?;
        let max = std::fs::read_to_string(format!("/sys/fs/cgroup{}/cpu.max", path.trim_end_matches('/'))).ok()?;
        parse_cpu_max(&max)
    };
    quota().map_or(1.0, |share| share.min(1.0))
}

/// `cpu.max` is `QUOTA PERIOD` in microseconds, or `max PERIOD` for none.
fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut fields = text.split_whitespace();
    let quota: f64 = fields.next()?.parse().ok()?;
    let period: f64 = fields.next()?.parse().ok()?;
    (period > 0.0).then_some(quota / period)
}

/// Start one worker.
fn spawn_worker(shared: &Arc<Shared>) {
    *shared.live.lock().unwrap_or_else(|e| e.into_inner()) += 1;
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let worker = Worker {
        shared: Arc::clone(shared),
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
}

impl Worker {
    /// The worker thread: the accept loop inside the application's hook.
    fn run(self) {
        ON_WORKER_THREAD.with(|flag| flag.set(true));
        // Why a guard: the pool must count this worker out even if the hook panics.
        struct Exited<'a>(&'a Shared);
        impl Drop for Exited<'_> {
            fn drop(&mut self) {
                worker_exited(self.0);
            }
        }
        let _exited = Exited(&self.shared);
        let mut served = false;
        let hooked = catch_unwind(AssertUnwindSafe(|| {
            (self.shared.hook)(&mut || {
                served = true;
                self.accept_loop();
            })
        }));
        match hooked {
            Err(_) => log::error!("the application's run_worker panicked; this worker stops"),
            Ok(()) if !served => log::error!("the application's run_worker did not call serve; this worker stops"),
            Ok(()) => {}
        }
    }

    /// Accept and handle connections until the pool stops, the worker is
    /// asked to retire, or the listener is gone.
    fn accept_loop(&self) {
        let shared = &*self.shared;
        while !shared.stopping.load(Ordering::SeqCst) && !shared.take_retirement() {
            if let Some(job) = shared.jobs.pop() {
                self.work_on(job);
                continue;
            }
            let Some(listener) = shared.listener.upgrade() else {
                break;
            };
            let accepted = listener.accept();
            drop(listener);
            match accepted {
                // Answered even when the pool began stopping meanwhile: a
                // client that got in is served (a wake-up connection from
                // `stop` sends nothing and is closed at once).
                Ok((stream, client_address)) => {
                    self.work_on(|stopping| (shared.handler)(stream, client_address, stopping));
                }
                // The listener's read timeout ended the wait: nobody came.
                Err(error) if crate::http::is_timeout(&error) => {}
                Err(error) => accept_failed(&error),
            }
        }
    }

    /// Run one connection's work, counted as busy.
    fn work_on(&self, work: impl FnOnce(&AtomicBool)) {
        let shared = &*self.shared;
        shared.busy.fetch_add(1, Ordering::SeqCst);
        // Why: a bug in our own code must not kill a worker; application
        // panics are already caught closer to the application.
        if catch_unwind(AssertUnwindSafe(|| work(&shared.stopping))).is_err() {
            log::error!("a connection handler panicked; the worker goes on");
        }
        shared.busy.fetch_sub(1, Ordering::SeqCst);
        shared.completed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Log an `accept()` failure (out of file descriptors, an aborted
/// connection) and pause. Why a pause: EMFILE would otherwise make the
/// accept loop a busy loop. Why at most one line a second: with every
/// worker retrying, a full descriptor table logged 520 lines in 4 s; the
/// line says how many failures it stands for.
fn accept_failed(error: &io::Error) {
    static FAILURES: Mutex<AcceptFailures> = Mutex::new(AcceptFailures {
        last_line: None,
        unlogged: 0,
    });
    let due = FAILURES
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .record(Instant::now());
    match due {
        Some(1) => log::warn!("accept() failed: {error}; retrying"),
        Some(count) => log::warn!("accept() failed: {error}; retrying ({count} failures since the last line)"),
        None => {}
    }
    thread::sleep(Duration::from_millis(50));
}

/// `accept()` failures since the last log line about them.
struct AcceptFailures {
    last_line: Option<Instant>,
    unlogged: u64,
}

impl AcceptFailures {
    /// Count one failure at `now`; `Some(count)` when a line is due (at
    /// most one a second), with the failures it stands for.
    fn record(&mut self, now: Instant) -> Option<u64> {
        self.unlogged += 1;
        if self
            .last_line
            .is_some_and(|last| now.duration_since(last) < Duration::from_secs(1))
        {
            return None;
        }
        self.last_line = Some(now);
        Some(std::mem::take(&mut self.unlogged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_failures_are_logged_at_most_once_a_second_with_a_count() {
        let mut failures = AcceptFailures {
            last_line: None,
            unlogged: 0,
        };
        let start = Instant::now();
        assert_eq!(failures.record(start), Some(1));
        for n in 1..=519u64 {
            assert_eq!(failures.record(start + Duration::from_millis(n)), None);
        }
        assert_eq!(failures.record(start + Duration::from_millis(1000)), Some(520));
        assert_eq!(failures.record(start + Duration::from_millis(1500)), None);
    }
    use std::io::{Read, Write};

    /// A pool whose handler sleeps `hold`, then answers `ok`. The listener
    /// is returned too: the workers hold it only weakly.
    fn pool(min: usize, max: usize, hold: Duration) -> (Workers, SocketAddr, Arc<TcpListener>) {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        let address = listener.local_addr().unwrap();
        let handler: Handler = Arc::new(move |mut stream: TcpStream, _, _: &AtomicBool| {
            thread::sleep(hold);
            let _ = stream.write_all(b"ok");
        });
        (
            Workers::start(&listener, handler, JobQueue::default(), no_hook(), min, max),
            address,
            listener,
        )
    }

    fn no_hook() -> WorkerHook {
        Arc::new(|serve: &mut (dyn FnMut() + Send)| serve())
    }

    fn fetch(address: SocketAddr) -> String {
        let mut stream = TcpStream::connect(address).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    }

    fn wait_until(what: impl Fn() -> bool) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !what() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        what()
    }

    #[test]
    fn workers_accept_and_handle_every_connection() {
        let (workers, address, _listener) = pool(2, 2, Duration::ZERO);
        let answers: Vec<String> = (0..20).map(|_| fetch(address)).collect();
        assert!(answers.iter().all(|answer| answer == "ok"));
        // A client has its answer a moment before its worker counts it.
        assert!(wait_until(|| workers.shared.completed.load(Ordering::SeqCst) == 20));
        workers.stop(address, Duration::from_secs(5));
    }

    #[test]
    fn stuck_workers_get_help_up_to_the_bound() {
        let (mut workers, address, _listener) = pool(1, 3, Duration::from_millis(600));
        let clients: Vec<_> = (0..5).map(|_| thread::spawn(move || fetch(address))).collect();
        for _ in 0..8 {
            thread::sleep(WATCH_INTERVAL);
            workers.adjust();
        }
        assert_eq!(workers.live_threads(), 3);
        for client in clients {
            assert_eq!(client.join().unwrap(), "ok");
        }
        workers.stop(address, Duration::from_secs(5));
    }

    /// A CPU clock that says a whole core was busy between any two looks.
    fn busy_cpu() -> Option<Duration> {
        static NOW: AtomicU64 = AtomicU64::new(0);
        Some(Duration::from_millis(NOW.fetch_add(1000, Ordering::SeqCst)))
    }

    /// A CPU clock that never moves: the workers only wait.
    fn idle_cpu() -> Option<Duration> {
        Some(Duration::ZERO)
    }

    #[test]
    fn process_cpu_time_is_read_and_grows() {
        let before = process_cpu_time().expect("/proc/self/stat on Linux");
        // Spin until a clock tick (10 ms of CPU) shows; bounded in wall time.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut spin = 0u64;
        while process_cpu_time().unwrap() == before && Instant::now() < deadline {
            for _ in 0..100_000 {
                spin = std::hint::black_box(spin.wrapping_add(1));
            }
        }
        assert!(process_cpu_time().unwrap() > before);
    }

    #[test]
    fn busy_workers_that_make_progress_do_not_grow() {
        let (mut workers, address, _listener) = pool(1, 4, Duration::ZERO);
        workers.cpu_clock = busy_cpu;
        let client = thread::spawn(move || (0..200).for_each(|_| assert_eq!(fetch(address), "ok")));
        while !client.is_finished() {
            thread::sleep(WATCH_INTERVAL);
            workers.adjust();
        }
        client.join().unwrap();
        assert_eq!(workers.live_threads(), 1);
        workers.stop(address, Duration::from_secs(5));
    }

    #[test]
    fn workers_that_make_progress_while_the_cpu_idles_get_help() {
        // A handler that waits (as on a database) and finishes often enough
        // that the stuck rule alone would never grow the pool.
        let (mut workers, address, _listener) = pool(1, 3, Duration::from_millis(30));
        workers.cpu_clock = idle_cpu;
        // More clients than workers, for up to 6 x 30 x 30 ms = 5.4 s: the
        // one worker always has the next connection waiting.
        let clients: Vec<_> = (0..6)
            .map(|_| thread::spawn(move || (0..30).for_each(|_| assert_eq!(fetch(address), "ok"))))
            .collect();
        while workers.live_threads() < 3 && clients.iter().any(|client| !client.is_finished()) {
            thread::sleep(WATCH_INTERVAL);
            workers.adjust();
        }
        assert_eq!(workers.live_threads(), 3);
        clients.into_iter().for_each(|client| client.join().unwrap());
        workers.stop(address, Duration::from_secs(5));
    }

    #[test]
    fn extra_workers_retire_under_a_light_trickle() {
        let (mut workers, address, _listener) = pool(2, 8, Duration::from_millis(300));
        // Six clients at once: every worker stuck, so the pool grows.
        let clients: Vec<_> = (0..6).map(|_| thread::spawn(move || fetch(address))).collect();
        for _ in 0..8 {
            thread::sleep(WATCH_INTERVAL);
            workers.adjust();
        }
        assert!(workers.live_threads() > 2, "grew to {}", workers.live_threads());
        clients
            .into_iter()
            .for_each(|client| assert_eq!(client.join().unwrap(), "ok"));
        // Then one request at a time, which every worker takes in turn.
        workers.retire_window = Duration::from_millis(400);
        let trickle = thread::spawn(move || (0..6).for_each(|_| assert_eq!(fetch(address), "ok")));
        while !trickle.is_finished() {
            thread::sleep(WATCH_INTERVAL);
            workers.adjust();
        }
        trickle.join().unwrap();
        // Retiring workers leave when accept() next returns (at most the
        // 1 s read timeout on Linux; here a connection wakes them).
        let deadline = Instant::now() + Duration::from_secs(5);
        while workers.live_threads() > 2 && Instant::now() < deadline {
            let _ = fetch(address);
            workers.adjust();
        }
        assert_eq!(workers.live_threads(), 2);
        workers.stop(address, Duration::from_secs(5));
    }

    #[test]
    fn each_worker_runs_its_whole_life_inside_the_hook() {
        thread_local! {
            static INSIDE_HOOK: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        }
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        let address = listener.local_addr().unwrap();
        let handler: Handler = Arc::new(|mut stream: TcpStream, _, _: &AtomicBool| {
            let answer = if INSIDE_HOOK.with(|flag| flag.get()) {
                "inside"
            } else {
                "outside"
            };
            let _ = stream.write_all(answer.as_bytes());
        });
        let (entered, left) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let (entered_copy, left_copy) = (Arc::clone(&entered), Arc::clone(&left));
        let hook: WorkerHook = Arc::new(move |serve: &mut (dyn FnMut() + Send)| {
            entered_copy.fetch_add(1, Ordering::SeqCst);
            INSIDE_HOOK.with(|flag| flag.set(true));
            serve();
            INSIDE_HOOK.with(|flag| flag.set(false));
            left_copy.fetch_add(1, Ordering::SeqCst);
        });
        let workers = Workers::start(&listener, handler, JobQueue::default(), hook, 3, 3);
        for _ in 0..10 {
            assert_eq!(fetch(address), "inside");
        }
        // Once per worker, not per connection (a worker thread may still be
        // starting when the fetches are done).
        assert!(wait_until(|| entered.load(Ordering::SeqCst) == 3));
        assert_eq!(left.load(Ordering::SeqCst), 0);
        workers.stop(address, Duration::from_secs(5));
        assert_eq!(
            left.load(Ordering::SeqCst),
            3,
            "every worker left its hook before stop returned"
        );
    }

    #[test]
    fn a_panicking_hook_still_counts_its_worker_out() {
        let (listener, handler) = (
            Arc::new(TcpListener::bind("127.0.0.1:0").unwrap()),
            Arc::new(|_: TcpStream, _, _: &AtomicBool| {}) as Handler,
        );
        let entered = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&entered);
        let hook: WorkerHook = Arc::new(move |_: &mut (dyn FnMut() + Send)| {
            counted.fetch_add(1, Ordering::SeqCst);
            panic!("hook fails")
        });
        let mut workers = Workers::start(&listener, handler, JobQueue::default(), hook, 2, 4);
        assert!(wait_until(|| workers.live_threads() == 0));
        // Not restarted: no live worker is not "every worker busy".
        for _ in 0..6 {
            thread::sleep(WATCH_INTERVAL);
            workers.adjust();
        }
        assert_eq!((workers.live_threads(), entered.load(Ordering::SeqCst)), (0, 2));
    }

    #[test]
    fn cgroup_cpu_max_gives_the_share_of_a_core() {
        assert_eq!(parse_cpu_max("25000 100000\n"), Some(0.25));
        assert_eq!(parse_cpu_max("200000 100000"), Some(2.0));
        assert_eq!(parse_cpu_max("max 100000"), None);
        assert_eq!(parse_cpu_max(""), None);
        assert!(cpu_share() > 0.0 && cpu_share() <= 1.0);
    }

    #[test]
    fn a_panicking_handler_does_not_kill_its_worker() {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").unwrap());
        let address = listener.local_addr().unwrap();
        let handler: Handler = Arc::new(|mut stream: TcpStream, _, _: &AtomicBool| {
            let mut first = [0u8; 1];
            let _ = stream.read(&mut first);
            if first[0] == b'p' {
                panic!("handler panics");
            }
            let _ = stream.write_all(b"ok");
        });
        let workers = Workers::start(&listener, handler, JobQueue::default(), no_hook(), 1, 1);
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
        let (workers, address, _listener) = pool(4, 4, Duration::ZERO);
        let started = Instant::now();
        workers.stop(address, Duration::from_secs(5));
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "took {:?}",
            started.elapsed()
        );
    }

    #[test]
    fn after_stop_with_no_grace_no_worker_is_still_accepting() {
        let (workers, address, listener) = pool(4, 4, Duration::ZERO);
        workers.stop(address, Duration::ZERO);
        // A client now must wait in the backlog for whoever accepts next,
        // not be taken by a worker of the stopped pool.
        let _client = TcpStream::connect(address).unwrap();
        listener.set_nonblocking(true).unwrap();
        let mut waiting = 0;
        while listener.accept().is_ok() {
            waiting += 1; // wake-up connections, then the client
        }
        assert!(waiting >= 1, "the client was taken by a stopped worker");
    }

    #[test]
    fn stop_gives_up_after_the_grace_period() {
        let (workers, address, _listener) = pool(1, 1, Duration::from_secs(2));
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

    #[test]
    fn a_worker_busy_past_the_grace_period_does_not_keep_the_listener_open() {
        let (workers, address, listener) = pool(1, 1, Duration::from_secs(2));
        let _client = thread::spawn(move || fetch(address));
        thread::sleep(Duration::from_millis(100));
        workers.stop(address, Duration::from_millis(50));
        drop(listener);
        // The worker is still busy, yet the port is free again.
        assert!(TcpListener::bind(address).is_ok());
    }
}
