//! The waiting room: where connections wait for their request head without
//! holding a worker.
//!
//! ```text
//! listener ──accept()──▶ worker ──head complete in time──▶ the application, the response
//!                          │ no byte for 20 ms (PARK_AFTER)
//!                          ▼
//!                     waiting room (one thread, epoll/kqueue through mio)
//!                          │ head complete, malformed, too late, or the client closed
//!                          ▼
//!                     job queue ──▶ the next free worker, from the bytes read so far
//! ```
//!
//! Why: a worker blocked in `read()` on a client that sends its head a
//! byte every few seconds (a slowloris attack, or a browser on a bad
//! network) cannot serve anyone else; with every worker so held, the
//! server looks dead. gunicorn's `gthread` worker and waitress park such
//! connections in a poller the same way; nginx never blocks on a client at
//! all. Why not every connection: a request that is already there (nearly
//! all of them) would then cost a trip through the poller and a hand-over
//! between threads; the worker that accepted it serves it at once.

use std::collections::HashMap;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use mio::{Events, Interest, Poll, Token, Waker};

use crate::http::{HeadLimits, HeadSoFar, parse_within_limits};
use crate::pool::{Job, JobQueue};

/// A connection whose request head is not complete yet.
pub(super) struct Parked {
    pub(super) stream: TcpStream,
    pub(super) client_address: SocketAddr,
    pub(super) so_far: HeadSoFar,
}

/// What a worker does with a connection the waiting room hands back: its
/// stream, client address and the head read so far.
pub(super) type Resume = Arc<dyn Fn(Parked, &AtomicBool) + Send + Sync>;

/// The token of the waker that says "new connections in the channel".
const WAKER: Token = Token(0);

/// The waiting room of one `serve_forever` call.
pub(super) struct WaitingRoom {
    arrivals: Mutex<mpsc::Sender<Parked>>,
    waker: Waker,
    /// Connections in the room now, and the most it takes.
    held: Arc<AtomicUsize>,
    max_held: usize,
    stopping: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl WaitingRoom {
    /// Start the room's thread. Connections whose head is done go to `jobs`,
    /// to be finished by `resume` on a worker.
    pub(super) fn start(
        limits: HeadLimits,
        max_held: usize,
        jobs: JobQueue,
        resume: Resume,
    ) -> io::Result<WaitingRoom> {
        let poll = Poll::new()?;
        let waker = Waker::new(poll.registry(), WAKER)?;
        let (arrivals, arrived) = mpsc::channel();
        let held = Arc::new(AtomicUsize::new(0));
        let stopping = Arc::new(AtomicBool::new(false));
        let room = Room {
            poll,
            arrived,
            parked: HashMap::new(),
            next_token: 1,
            limits,
            jobs,
            resume,
            held: Arc::clone(&held),
            stopping: Arc::clone(&stopping),
        };
        let thread = thread::Builder::new()
            .name("wsgiref-waiting-room".into())
            .spawn(move || room.run())?;
        Ok(WaitingRoom {
            arrivals: Mutex::new(arrivals),
            waker,
            held,
            max_held,
            stopping,
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Leave `parked` in the room; it comes back when its head is done.
    /// `Err` gives it back when the room is full (the caller keeps it).
    pub(super) fn park(&self, parked: Parked) -> Result<(), Parked> {
        if self.held.fetch_add(1, Ordering::SeqCst) >= self.max_held {
            self.held.fetch_sub(1, Ordering::SeqCst);
            return Err(parked);
        }
        let sent = self.arrivals.lock().unwrap_or_else(|e| e.into_inner()).send(parked);
        if let Err(mpsc::SendError(parked)) = sent {
            self.held.fetch_sub(1, Ordering::SeqCst);
            return Err(parked);
        }
        let _ = self.waker.wake();
        Ok(())
    }

    /// Close every connection still waiting and end the room's thread.
    pub(super) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        let _ = self.waker.wake();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

/// The room's own state, on its thread.
struct Room {
    poll: Poll,
    arrived: mpsc::Receiver<Parked>,
    parked: HashMap<Token, Waiter>,
    next_token: usize,
    limits: HeadLimits,
    jobs: JobQueue,
    resume: Resume,
    held: Arc<AtomicUsize>,
    stopping: Arc<AtomicBool>,
}

/// One connection in the room.
struct Waiter {
    stream: mio::net::TcpStream,
    client_address: SocketAddr,
    so_far: HeadSoFar,
}

/// What the bytes of a waiting connection say now.
enum Verdict {
    Wait,
    /// Done waiting: the head is complete or wrong, the client closed
    /// after some bytes, or the deadline passed after some: a worker answers.
    HandBack,
    /// Closed or expired before a byte: nothing to answer.
    Drop,
}

impl Room {
    fn run(mut self) {
        let mut events = Events::with_capacity(256);
        while !self.stopping.load(Ordering::SeqCst) {
            let timeout = self
                .next_deadline()
                .map(|deadline| deadline.saturating_duration_since(Instant::now()));
            if let Err(error) = self
                .poll
                .poll(&mut events, Some(timeout.unwrap_or(Duration::from_secs(1))))
            {
                if error.kind() != io::ErrorKind::Interrupted {
                    log::error!(target: super::LOG_TARGET, "the waiting room cannot poll: {error}");
                    thread::sleep(Duration::from_millis(50));
                }
                continue;
            }
            let ready: Vec<Token> = events.iter().map(|event| event.token()).collect();
            for token in ready {
                match token {
                    WAKER => self.admit_arrivals(),
                    token => self.look_at(token),
                }
            }
            self.expire();
        }
        // Stopping: the connections still waiting are closed.
        self.held.fetch_sub(self.parked.len(), Ordering::SeqCst);
        self.parked.clear();
    }

    /// Register the connections workers parked since the last look.
    fn admit_arrivals(&mut self) {
        while let Ok(parked) = self.arrived.try_recv() {
            let token = Token(self.next_token);
            self.next_token += 1;
            let registered = parked.stream.set_nonblocking(true).and_then(|()| {
                let mut stream = mio::net::TcpStream::from_std(parked.stream);
                self.poll.registry().register(&mut stream, token, Interest::READABLE)?;
                Ok(stream)
            });
            let Ok(stream) = registered else {
                self.held.fetch_sub(1, Ordering::SeqCst);
                continue;
            };
            let waiter = Waiter {
                stream,
                client_address: parked.client_address,
                so_far: parked.so_far,
            };
            self.parked.insert(token, waiter);
            // Bytes may have come between the worker's last read and now.
            self.look_at(token);
        }
    }

    /// Read what `token`'s connection sent and decide.
    fn look_at(&mut self, token: Token) {
        let Some(waiter) = self.parked.get_mut(&token) else {
            return;
        };
        match waiter.read_available(&self.limits) {
            Verdict::Wait => {}
            Verdict::HandBack => self.hand_back(token),
            Verdict::Drop => self.leave(token),
        }
    }

    /// Hand the expired connections back (a 408 for a partial head) or
    /// close them (nothing sent: no answer, as before the room).
    fn expire(&mut self) {
        let now = Instant::now();
        let expired: Vec<Token> = self
            .parked
            .iter()
            .filter(|(_, waiter)| waiter.so_far.deadline <= now)
            .map(|(token, _)| *token)
            .collect();
        for token in expired {
            match self
                .parked
                .get(&token)
                .is_some_and(|waiter| waiter.so_far.bytes.is_empty())
            {
                true => self.leave(token),
                false => self.hand_back(token),
            }
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.parked.values().map(|waiter| waiter.so_far.deadline).min()
    }

    /// Remove `token` from the room, closing its connection.
    fn leave(&mut self, token: Token) {
        if let Some(mut waiter) = self.parked.remove(&token) {
            let _ = self.poll.registry().deregister(&mut waiter.stream);
            self.held.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Give `token`'s connection to the next free worker.
    fn hand_back(&mut self, token: Token) {
        let Some(mut waiter) = self.parked.remove(&token) else {
            return;
        };
        let _ = self.poll.registry().deregister(&mut waiter.stream);
        self.held.fetch_sub(1, Ordering::SeqCst);
        let stream = TcpStream::from(waiter.stream);
        if stream.set_nonblocking(false).is_err() {
            return;
        }
        let parked = Parked {
            stream,
            client_address: waiter.client_address,
            so_far: waiter.so_far,
        };
        let resume = Arc::clone(&self.resume);
        let job: Job = Box::new(move |stopping| resume(parked, stopping));
        self.jobs.push(job);
    }
}

impl Waiter {
    /// Read everything the client sent (non-blocking), then judge the head.
    fn read_available(&mut self, limits: &HeadLimits) -> Verdict {
        let mut block = [0u8; 4096];
        loop {
            match self.stream.read(&mut block) {
                Ok(0) if self.so_far.bytes.is_empty() => return Verdict::Drop,
                Ok(0) => return Verdict::HandBack,
                Ok(count) => self.so_far.bytes.extend_from_slice(&block[..count]),
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => break,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Verdict::Drop,
            }
            // Why a bound here too: a client that sends fast but never ends
            // its head must not grow the buffer past the limit.
            if self.so_far.bytes.len() >= limits.max_head_bytes {
                return Verdict::HandBack;
            }
        }
        match parse_within_limits(&self.so_far.bytes, limits) {
            Ok(None) => Verdict::Wait,
            _ => Verdict::HandBack,
        }
    }
}
