//! The slow-client benchmark: can a normal request get through while many
//! clients hold connections open without finishing their request head?
//!
//! Run: `cargo bench --bench slowloris` (add `--features python` to also
//! serve the Python hello application; `-- --quick` for short runs). Two
//! scenarios per server, on loopback:
//!
//! - **slowloris**: 1,000 clients each send `GET / HTTP/1.1` and one more
//!   header line every second, never ending the head (30 s; 10 s quick);
//! - **idle**: 10,000 connections that send nothing (10 s; 5 s quick).
//!
//! Meanwhile a probe sends a normal request every 20 ms; the table gives
//! how many connections it held open, the probes' p50, p99 and worst
//! latency (counted once all are open), the probes that failed (no answer in
//! 5 s), and the server's most threads and peak RSS (summed over its
//! processes). Servers: ours (`wsgiref --app hello`, and `--python
//! hello_app:app` with the `python` feature), and, when the test
//! virtualenv (`target/python-venv`, made by `cargo test --features
//! python`) has them, gunicorn with the `gthread` worker (64 threads),
//! waitress (64 threads), and always CPython's `wsgiref.simple_server`.
//! The file-descriptor limit is raised to the hard limit for this process
//! and the servers (10,000 idle connections need 10,000 on each side).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const PYTHON_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python");
const VENV_PYTHON: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/python-venv/bin/python");
/// How long a probe waits for its answer before it counts as failed.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

fn main() {
    if std::env::var_os("SLOWLORIS_FD_LIMIT_RAISED").is_none() {
        // Why re-run through `sh`: std cannot call setrlimit; `ulimit -n`
        // raises the soft limit to the hard one for us and our children.
        let status = Command::new("sh")
            .arg("-c")
            .arg("ulimit -n \"$(ulimit -Hn)\"; exec \"$0\" \"$@\"")
            .arg(std::env::current_exe().expect("the bench's own path"))
            .args(std::env::args().skip(1))
            .env("SLOWLORIS_FD_LIMIT_RAISED", "1")
            .status()
            .expect("run sh");
        std::process::exit(status.code().unwrap_or(1));
    }
    let quick = std::env::args().any(|arg| arg == "--quick");
    let (slow_for, idle_for) = match quick {
        true => (Duration::from_secs(10), Duration::from_secs(5)),
        false => (Duration::from_secs(30), Duration::from_secs(10)),
    };
    println!("| server | scenario | held open | probes | p50 ms | p99 ms | worst ms | failed | threads | RSS MiB |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (name, command) in servers() {
        for (scenario, clients, trickle, duration) in [
            ("slowloris 1,000", 1000, true, slow_for),
            ("idle 10,000", 10_000, false, idle_for),
        ] {
            let Some(mut server) = Server::start(name, command()) else {
                println!("| {name} | {scenario} | could not start | | | | | | | |");
                continue;
            };
            let row = run(&mut server, clients, trickle, duration);
            println!("| {name} | {scenario} | {row} |");
        }
    }
}

/// How to start a server: its command, and the port it will listen on
/// (`None`: it prints `... port N ...`).
type Launch = Box<dyn Fn() -> (Command, Option<u16>)>;

/// Each server: a name and how to start it.
fn servers() -> Vec<(&'static str, Launch)> {
    let mut servers: Vec<(&'static str, Launch)> = vec![(
        "ours (Rust app)",
        Box::new(|| {
            let mut command = Command::new(env!("CARGO_BIN_EXE_wsgiref"));
            command.args(["--app", "hello", "--port", "0", "--no-access-log"]);
            (command, None)
        }),
    )];
    if cfg!(feature = "python") {
        servers.push((
            "ours (Python app)",
            Box::new(|| {
                let mut command = Command::new(env!("CARGO_BIN_EXE_wsgiref"));
                command.args(["--python", "hello_app:app", "--pythonpath", PYTHON_DIR]);
                command.args(["--port", "0", "--no-access-log"]);
                (command, None)
            }),
        ));
    }
    let has = |module: &str| {
        Path::new(VENV_PYTHON).exists()
            && Command::new(VENV_PYTHON)
                .args(["-c", &format!("import {module}")])
                .status()
                .is_ok_and(|status| status.success())
    };
    if has("gunicorn") {
        servers.push((
            "gunicorn gthread",
            Box::new(|| {
                let port = free_port();
                let mut command = Command::new(VENV_PYTHON);
                command.args(["-m", "gunicorn", "-k", "gthread", "--threads", "64", "-w", "1"]);
                command.args([
                    "-b",
                    &format!("127.0.0.1:{port}"),
                    "--chdir",
                    PYTHON_DIR,
                    "hello_app:app",
                ]);
                (command, Some(port))
            }),
        ));
    }
    if has("waitress") {
        servers.push((
            "waitress",
            Box::new(|| {
                let port = free_port();
                let mut command = Command::new(VENV_PYTHON);
                command.args(["-m", "waitress", "--threads=64", &format!("--listen=127.0.0.1:{port}")]);
                command.current_dir(PYTHON_DIR).arg("hello_app:app");
                (command, Some(port))
            }),
        ));
    }
    servers.push((
        "CPython wsgiref",
        Box::new(|| {
            let mut command = Command::new("python3");
            command.arg(Path::new(PYTHON_DIR).join("cpython_server.py"));
            command.args(["hello_app:app", PYTHON_DIR, "--no-access-log"]);
            (command, None)
        }),
    ));
    servers
}

/// Load the server with `clients` slow or idle connections for `duration`
/// while probing it; the table row.
fn run(server: &mut Server, clients: usize, trickle: bool, duration: Duration) -> String {
    let stop = Arc::new(AtomicBool::new(false));
    let address = server.address;
    let (opened, all_open) = std::sync::mpsc::channel();
    let loader = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || hold_connections(address, clients, trickle, &stop, opened))
    };
    // Probe once the connections are open (or the loader gave up opening
    // more): what is measured is the server holding them, not the flood.
    let open = all_open.recv_timeout(Duration::from_secs(60)).unwrap_or(0);
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let mut failed = 0;
    let mut most_threads = 0;
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        match probe(address) {
            Some(took) => latencies.lock().unwrap().push(took),
            None => failed += 1,
        }
        most_threads = most_threads.max(server.threads());
        thread::sleep(Duration::from_millis(20));
    }
    let rss = server.peak_rss_kib();
    stop.store(true, Ordering::SeqCst);
    let _ = loader.join();
    let mut latencies = latencies.lock().unwrap().clone();
    latencies.sort();
    let at = |fraction: f64| {
        latencies
            .get(((latencies.len() as f64 * fraction) as usize).min(latencies.len().saturating_sub(1)))
            .map_or("-".to_string(), |took| format!("{:.1}", took.as_secs_f64() * 1000.0))
    };
    format!(
        "{open} | {} | {} | {} | {} | {failed} | {most_threads} | {:.1}",
        latencies.len() + failed,
        at(0.5),
        at(0.99),
        latencies
            .last()
            .map_or("-".to_string(), |took| format!("{:.1}", took.as_secs_f64() * 1000.0)),
        rss as f64 / 1024.0
    )
}

/// Open `clients` connections (say how many opened on `opened`, within
/// 30 s); when `trickle`, start a head on each and add a header line to
/// each every second (reconnecting those the server closed), until `stop`.
fn hold_connections(
    address: SocketAddr,
    clients: usize,
    trickle: bool,
    stop: &AtomicBool,
    opened: std::sync::mpsc::Sender<usize>,
) {
    let connect = || {
        let mut stream = TcpStream::connect_timeout(&address, Duration::from_millis(200)).ok()?;
        stream.set_write_timeout(Some(Duration::from_millis(100))).ok()?;
        if trickle {
            stream.write_all(b"GET / HTTP/1.1\r\nHost: slow\r\n").ok()?;
        }
        Some(stream)
    };
    let started = Instant::now();
    let mut streams: Vec<Option<TcpStream>> = Vec::with_capacity(clients);
    while streams.len() < clients && started.elapsed() < Duration::from_secs(30) && !stop.load(Ordering::SeqCst) {
        streams.push(connect());
    }
    let _ = opened.send(streams.iter().filter(|stream| stream.is_some()).count());
    while !stop.load(Ordering::SeqCst) {
        let round = Instant::now();
        if trickle {
            for stream in &mut streams {
                let sent = stream
                    .as_mut()
                    .is_some_and(|s| s.write_all(b"X-Trickle: 1\r\n").is_ok());
                if !sent {
                    *stream = connect();
                }
                if stop.load(Ordering::SeqCst) {
                    break;
                }
            }
        }
        thread::sleep(Duration::from_secs(1).saturating_sub(round.elapsed()));
    }
}

/// One normal request; how long its whole answer took, or `None`.
fn probe(address: SocketAddr) -> Option<Duration> {
    let started = Instant::now();
    let mut stream = TcpStream::connect_timeout(&address, PROBE_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(PROBE_TIMEOUT)).ok()?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    response.starts_with(b"HTTP/1.").then(|| started.elapsed())
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("a bound address").port()
}

/// A server process, stopped when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
}

impl Server {
    /// Start `command`, and learn its port from its `... port N ...` line
    /// (or use `port`); `None` when it does not come up in 20 s.
    fn start(name: &str, (mut command, port): (Command, Option<u16>)) -> Option<Server> {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().ok()?;
        let port = match port {
            Some(port) => port,
            None => {
                let stdout = BufReader::new(child.stdout.take()?);
                let line = stdout
                    .lines()
                    .map_while(Result::ok)
                    .find(|line| line.contains(" port "))?;
                line.split(" port ").nth(1)?.split_whitespace().next()?.parse().ok()?
            }
        };
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect(address).is_err() {
            if started.elapsed() > Duration::from_secs(20) {
                eprintln!("{name} did not listen on {address}");
                let _ = child.kill();
                return None;
            }
            thread::sleep(Duration::from_millis(50));
        }
        Some(Server { child, address })
    }

    /// The server's processes: it and its children (gunicorn's worker).
    fn processes(&self) -> Vec<u32> {
        let mut pids = vec![self.child.id()];
        let mut index = 0;
        while index < pids.len() {
            let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", pids[index]));
            pids.extend(
                children
                    .unwrap_or_default()
                    .split_whitespace()
                    .filter_map(|pid| pid.parse::<u32>().ok()),
            );
            index += 1;
        }
        pids
    }

    fn status_field(&self, field: &str) -> u64 {
        self.processes()
            .iter()
            .map(|pid| {
                let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
                status
                    .lines()
                    .find_map(|line| line.strip_prefix(field))
                    .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                    .unwrap_or(0)
            })
            .sum()
    }

    fn threads(&self) -> u64 {
        self.status_field("Threads:")
    }

    fn peak_rss_kib(&self) -> u64 {
        self.status_field("VmHWM:")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        common::stop(&mut self.child);
    }
}
