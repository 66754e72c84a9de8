//! A bounded pool of worker threads, in the style of the Rust Book's
//! `ThreadPool` (chapter 21): named `Worker`s, a channel of jobs, and a
//! `Drop` that waits for them.
//!
//! Two additions, both measured: some workers are pre-spawned (a fresh
//! `thread::spawn` per connection reaches only about half the throughput on
//! 2 cores), and the pool grows one thread at a time up to `max_threads`
//! when every worker is busy, so idle or slow clients cannot starve the
//! others. Extra workers exit after `idle_timeout` without work.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Counts shared by the pool and its workers.
#[derive(Default)]
struct Counts {
    /// Workers alive.
    live: usize,
    /// Workers waiting for a job.
    idle: usize,
    /// Jobs sent but not yet taken by a worker.
    queued: usize,
}

struct Shared {
    receiver: Mutex<Receiver<Job>>,
    counts: Mutex<Counts>,
    /// Signalled when a worker exits.
    worker_exited: Condvar,
}

pub(crate) struct ThreadPool {
    sender: Option<SyncSender<Job>>,
    shared: Arc<Shared>,
    min_threads: usize,
    max_threads: usize,
    idle_timeout: Duration,
    grace_period: Duration,
    next_id: usize,
}

impl ThreadPool {
    /// A pool with `min_threads` workers started now (at least 1), growing
    /// up to `max_threads`. `queue_bound` jobs may wait; past that,
    /// `execute` blocks (back-pressure on the accept loop).
    pub(crate) fn new(
        min_threads: usize,
        max_threads: usize,
        queue_bound: usize,
        grace_period: Duration,
    ) -> ThreadPool {
        let max_threads = max_threads.max(1);
        let min_threads = min_threads.clamp(1, max_threads);
        let (sender, receiver) = mpsc::sync_channel(queue_bound);
        let shared = Arc::new(Shared {
            receiver: Mutex::new(receiver),
            counts: Mutex::new(Counts::default()),
            worker_exited: Condvar::new(),
        });
        let mut pool = ThreadPool {
            sender: Some(sender),
            shared,
            min_threads,
            max_threads,
            idle_timeout: Duration::from_secs(30),
            grace_period,
            next_id: 0,
        };
        for _ in 0..min_threads {
            pool.spawn_worker(true);
        }
        pool
    }

    /// Run `job` on a worker; starts a new worker first when all are busy
    /// and the bound allows.
    pub(crate) fn execute(&mut self, job: impl FnOnce() + Send + 'static) {
        let mut counts = self.shared.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.queued += 1;
        // More jobs waiting than workers free: every worker is busy.
        let all_busy = counts.queued > counts.idle && counts.live < self.max_threads;
        drop(counts);
        if all_busy {
            self.spawn_worker(false);
        }
        if let Some(sender) = &self.sender {
            // A send fails only if every worker died, which catch_unwind prevents.
            let _ = sender.send(Box::new(job));
        }
    }

    fn spawn_worker(&mut self, permanent: bool) {
        self.next_id += 1;
        let shared = Arc::clone(&self.shared);
        let idle_timeout = if permanent { None } else { Some(self.idle_timeout) };
        shared.counts.lock().unwrap_or_else(|e| e.into_inner()).live += 1;
        let spawned = thread::Builder::new()
            .name(format!("wsgiref-worker-{}", self.next_id))
            .spawn(move || Worker { shared, idle_timeout }.run());
        if let Err(error) = spawned {
            log::warn!("could not start a worker thread: {error}");
            self.shared.counts.lock().unwrap_or_else(|e| e.into_inner()).live -= 1;
        }
    }

    /// How many workers are alive now.
    #[cfg(test)]
    pub(crate) fn live_threads(&self) -> usize {
        self.shared.counts.lock().unwrap_or_else(|e| e.into_inner()).live
    }

    /// Pre-spawned worker count, for the docs of the server.
    #[allow(dead_code)]
    pub(crate) fn min_threads(&self) -> usize {
        self.min_threads
    }
}

impl Drop for ThreadPool {
    /// Close the channel, then wait up to the grace period for the workers
    /// to finish what they are doing.
    fn drop(&mut self) {
        drop(self.sender.take());
        let deadline = Instant::now() + self.grace_period;
        let mut counts = self.shared.counts.lock().unwrap_or_else(|e| e.into_inner());
        while counts.live > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                log::warn!(
                    "{} request(s) still running after the grace period; not waiting for them",
                    counts.live
                );
                return;
            }
            counts = self
                .shared
                .worker_exited
                .wait_timeout(counts, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

struct Worker {
    shared: Arc<Shared>,
    /// `None` for pre-spawned workers, which never exit while the pool lives.
    idle_timeout: Option<Duration>,
}

impl Worker {
    fn run(self) {
        loop {
            self.set_idle(true);
            let job = self.next_job();
            self.set_idle(false);
            if job.is_some() {
                self.shared.counts.lock().unwrap_or_else(|e| e.into_inner()).queued -= 1;
            }
            let Some(job) = job else { break };
            // Why: a bug in our own code must not kill a worker; application
            // panics are already caught closer to the application.
            if catch_unwind(AssertUnwindSafe(job)).is_err() {
                log::error!("a connection handler panicked; the worker goes on");
            }
        }
        let mut counts = self.shared.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.live -= 1;
        self.shared.worker_exited.notify_all();
    }

    /// The next job, or `None` when the pool is closed (or, for an extra
    /// worker, after being idle too long).
    fn next_job(&self) -> Option<Job> {
        let receiver = self.shared.receiver.lock().unwrap_or_else(|e| e.into_inner());
        match self.idle_timeout {
            None => receiver.recv().ok(),
            // Timed out or disconnected: either way this extra worker exits.
            Some(timeout) => receiver.recv_timeout(timeout).ok(),
        }
    }

    fn set_idle(&self, idle: bool) {
        let mut counts = self.shared.counts.lock().unwrap_or_else(|e| e.into_inner());
        if idle {
            counts.idle += 1;
        } else {
            counts.idle -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn runs_every_job_and_grows_to_the_bound() {
        let done = Arc::new(AtomicUsize::new(0));
        let mut pool = ThreadPool::new(1, 4, 1, Duration::from_secs(5));
        for _ in 0..8 {
            let done = Arc::clone(&done);
            pool.execute(move || {
                thread::sleep(Duration::from_millis(50));
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        assert!(pool.live_threads() <= 4);
        drop(pool);
        assert_eq!(done.load(Ordering::SeqCst), 8);
    }

    #[test]
    fn a_panicking_job_does_not_kill_the_pool() {
        let done = Arc::new(AtomicUsize::new(0));
        let mut pool = ThreadPool::new(1, 1, 4, Duration::from_secs(5));
        pool.execute(|| panic!("job panics"));
        let counter = Arc::clone(&done);
        pool.execute(move || {
            counter.fetch_add(1, Ordering::SeqCst);
        });
        drop(pool);
        assert_eq!(done.load(Ordering::SeqCst), 1);
    }
}
