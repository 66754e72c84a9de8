//! The benchmark: our server against CPython's `wsgiref.simple_server`,
//! side by side on loopback, loaded by `wrk`, one table with ratios.
//!
//! Run: `cargo bench --bench throughput` (add `-- --quick` for one short
//! run per point, and/or workload names such as `-- hello upload` to run
//! only those). Needs `wrk` (`apt-get install wrk`) and `python3`.
//! With `--features python` it adds rows for three Python applications
//! (a bare hello, a Flask page, a Django view) under our server, granian,
//! gunicorn and CPython's wsgiref, access logs off (workload names `python
//! hello`, `python flask`, `python django`, or `python` for all three; see
//! `mod python`).
//!
//! Each point starts a fresh server (ours: the release `wsgiref` binary;
//! CPython: `benches/cpython_server.py`), both with the access log on and
//! written to a file, runs `wrk` several times with `Connection: close`, and
//! reports the median run by requests per second, with that run's latency
//! percentiles, errors and timeouts, the server's CPU time per request (user
//! plus system, from `/proc/PID/stat`: a cost that does not depend on how
//! much of the machine the load generator takes), and the server's peak RSS
//! (`VmHWM`).
//! When nginx is installed (`apt-get install nginx-light`), the "hello" rows
//! get an nginx reference line (a static `return 200` with 2 workers; RSS
//! is the master's and the workers' together), with its own ratio to CPython
//! in the last column. The upload rows get a "bare" reference line: the
//! least work any server can do for that request (see `mod bare_echo`).

mod common;

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One kind of load: which application, which request, how many clients.
struct Workload {
    name: &'static str,
    app: &'static str,
    path: &'static str,
    clients: usize,
    /// A wrk Lua script (for POST bodies), if any.
    script: Option<&'static str>,
    /// MiB moved per request, for the MiB/s column (0 for small responses).
    mib_per_request: f64,
}

const UPLOAD_SCRIPT: &str = r#"
wrk.method = "POST"
wrk.body = string.rep("x", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
"#;

const WORKLOADS: &[Workload] = &[
    Workload {
        name: "hello",
        app: "hello",
        path: "/",
        clients: 1,
        script: None,
        mib_per_request: 0.0,
    },
    Workload {
        name: "hello",
        app: "hello",
        path: "/",
        clients: 16,
        script: None,
        mib_per_request: 0.0,
    },
    Workload {
        name: "hello",
        app: "hello",
        path: "/",
        clients: 128,
        script: None,
        mib_per_request: 0.0,
    },
    Workload {
        name: "hello",
        app: "hello",
        path: "/",
        clients: 512,
        script: None,
        mib_per_request: 0.0,
    },
    Workload {
        name: "demo",
        app: "demo",
        path: "/xyz?abc",
        clients: 16,
        script: None,
        mib_per_request: 0.0,
    },
    Workload {
        name: "upload 1 MiB",
        app: "echo",
        path: "/",
        clients: 4,
        script: Some(UPLOAD_SCRIPT),
        mib_per_request: 1.0,
    },
    Workload {
        name: "download 10 MiB",
        app: "bytes",
        path: "/?10485760",
        clients: 1,
        script: None,
        mib_per_request: 10.0,
    },
];

/// What one wrk run measured.
#[derive(Clone, Debug, Default)]
struct Measure {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    timeouts: u64,
    /// Requests wrk completed in the run.
    requests: u64,
    /// Server CPU time (user + system, all threads and child processes)
    /// per request, in milliseconds.
    cpu_ms_per_request: f64,
    peak_rss_kib: u64,
}

/// A running server process.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(command: &mut Command, log: PathBuf) -> Server {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(File::create(log).expect("access log file"))
            .spawn()
            .expect("start the server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .split(" port ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no port in {line:?}"));
        Server { child, port }
    }

    /// Peak RSS of the server and its child processes (nginx's workers).
    fn peak_rss_kib(&self) -> u64 {
        self.pids().map(peak_rss_of).sum()
    }
}

impl Server {
    /// CPU time used so far by the server and its child processes, in
    /// clock ticks (`utime + stime` of `/proc/PID/stat`, all threads).
    fn cpu_ticks(&self) -> u64 {
        self.pids().map(cpu_ticks_of).sum()
    }

    fn pids(&self) -> impl Iterator<Item = u32> {
        let pid = self.child.id();
        let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
        let children: Vec<u32> = children.split_whitespace().filter_map(|c| c.parse().ok()).collect();
        std::iter::once(pid).chain(children)
    }
}

/// Linux reports `/proc` CPU times in USER_HZ ticks, 100 per second on
/// every architecture.
const TICKS_PER_SECOND: f64 = 100.0;

fn cpu_ticks_of(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces): state is the
    // 3rd field of the line, utime the 14th and stime the 15th.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let field = |index: usize| fields.get(index).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    field(11) + field(12)
}

/// Run wrk once against `server` and add the server's CPU time per request.
fn run_wrk_on(server: &Server, workload: &Workload, seconds: u64, script_path: Option<&PathBuf>) -> Measure {
    let before = server.cpu_ticks();
    let mut measure = run_wrk(server.port, workload, seconds, script_path);
    let ticks = server.cpu_ticks().saturating_sub(before);
    if measure.requests > 0 {
        measure.cpu_ms_per_request = ticks as f64 / TICKS_PER_SECOND * 1000.0 / measure.requests as f64;
    }
    measure
}

fn peak_rss_of(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

impl Drop for Server {
    fn drop(&mut self) {
        common::stop(&mut self.child);
    }
}

fn start_server(which: &str, app: &str, log_dir: &std::path::Path) -> Server {
    let log = log_dir.join(format!("{which}-{app}.log"));
    match which {
        "nginx" => start_nginx(log_dir),
        "bare" => Server::start(
            Command::new(std::env::current_exe().expect("the bench's own path")).env(bare_echo::ENV, "1"),
            log,
        ),
        "ours" => Server::start(
            Command::new(env!("CARGO_BIN_EXE_wsgiref")).args(["--port", "0", "--app", app]),
            log,
        ),
        _ => {
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/cpython_server.py");
            Server::start(Command::new("python3").args([script, "0", app]), log)
        }
    }
}

/// nginx answering `Hello world!\n` from its config (a reference point, not
/// a WSGI server): 2 workers, access log to a file, no keep-alive.
fn start_nginx(log_dir: &std::path::Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = log_dir.display();
    let config = format!(
        "worker_processes 2; pid {dir}/nginx.pid; error_log {dir}/nginx-error.log; daemon off;
events {{ worker_connections 4096; }}
http {{ access_log {dir}/nginx-access.log; keepalive_timeout 0;
  server {{ listen 127.0.0.1:{port} backlog=511;
    location / {{ default_type text/plain; return 200 \"Hello world!\\n\"; }} }} }}
"
    );
    let config_path = log_dir.join("nginx.conf");
    std::fs::write(&config_path, config).unwrap();
    let child = Command::new(nginx_path().unwrap())
        .arg("-c")
        .arg(&config_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start nginx");
    Server::when_listening(child, port)
}

impl Server {
    /// A server that prints no port line: wait (up to 5 s) until it accepts.
    fn when_listening(child: Child, port: u16) -> Server {
        for _ in 0..250 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Server { child, port }
    }
}

fn nginx_path() -> Option<PathBuf> {
    ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .iter()
        .map(PathBuf::from)
        .find(|path| path.exists())
}

/// Run wrk once and parse its report.
fn run_wrk(port: u16, workload: &Workload, seconds: u64, script_path: Option<&PathBuf>) -> Measure {
    let threads = workload.clients.min(2).to_string();
    let connections = workload.clients.to_string();
    let duration = format!("{seconds}s");
    let url = format!("http://127.0.0.1:{port}{}", workload.path);
    let mut command = Command::new("wrk");
    command.args([
        "-t",
        &threads,
        "-c",
        &connections,
        "-d",
        &duration,
        "--latency",
        "--timeout",
        "2s",
    ]);
    command.args(["-H", "Connection: close"]);
    if let Some(script) = script_path {
        command.arg("-s").arg(script);
    }
    let output = command.arg(&url).output().expect("run wrk (apt-get install wrk)");
    parse_wrk(&String::from_utf8_lossy(&output.stdout))
}

fn parse_wrk(report: &str) -> Measure {
    let mut measure = Measure::default();
    for line in report.lines().map(str::trim) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            ["Requests/sec:", value] => measure.requests_per_second = value.parse().unwrap_or(0.0),
            [count, "requests", "in", ..] => measure.requests = count.parse().unwrap_or(0),
            ["50%", value] => measure.p50_ms = milliseconds(value),
            ["99%", value] => measure.p99_ms = milliseconds(value),
            ["Socket", "errors:", ..] => {
                let numbers: Vec<u64> = line.split([' ', ',']).filter_map(|word| word.parse().ok()).collect();
                if let [connect, read, write, timeout] = numbers[..] {
                    measure.errors += connect + read + write;
                    measure.timeouts += timeout;
                }
            }
            ["Non-2xx", "or", "3xx", "responses:", count] => measure.errors += count.parse::<u64>().unwrap_or(0),
            _ => {}
        }
    }
    measure
}

/// wrk prints `812.00us`, `1.20ms`, `1.40s`.
fn milliseconds(value: &str) -> f64 {
    let (number, scale) = if let Some(n) = value.strip_suffix("us") {
        (n, 0.001)
    } else if let Some(n) = value.strip_suffix("ms") {
        (n, 1.0)
    } else if let Some(n) = value.strip_suffix('s') {
        (n, 1000.0)
    } else {
        (value, 1.0)
    };
    number.parse::<f64>().unwrap_or(0.0) * scale
}

/// Start a fresh server, run wrk `runs` times, keep the median run.
fn measure_point(which: &str, workload: &Workload, runs: usize, seconds: u64, log_dir: &std::path::Path) -> Measure {
    let server = start_server(which, workload.app, log_dir);
    std::thread::sleep(Duration::from_millis(300));
    let script_path = workload.script.map(|script| {
        let path = log_dir.join(format!("{}.lua", workload.app));
        std::fs::write(&path, script).unwrap();
        path
    });
    let mut measures: Vec<Measure> = (0..runs)
        .map(|_| run_wrk_on(&server, workload, seconds, script_path.as_ref()))
        .collect();
    measures.sort_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second));
    let mut median = measures[runs / 2].clone();
    median.errors = measures.iter().map(|m| m.errors).max().unwrap_or(0);
    median.timeouts = measures.iter().map(|m| m.timeouts).max().unwrap_or(0);
    median.peak_rss_kib = server.peak_rss_kib();
    median
}

fn main() {
    if std::env::var_os(bare_echo::ENV).is_some() {
        bare_echo::serve();
    }
    let quick = std::env::args().any(|arg| arg == "--quick");
    // Any other argument (not starting with '-') keeps only workloads whose name contains it.
    let filters: Vec<String> = std::env::args().skip(1).filter(|arg| !arg.starts_with('-')).collect();
    let (runs, seconds) = if quick { (1, 2) } else { (3, 4) };
    if Command::new("wrk").arg("--version").output().is_err() {
        eprintln!("wrk is not installed: apt-get install wrk");
        std::process::exit(1);
    }
    let log_dir = std::env::temp_dir().join(format!("wsgiref-bench-{}", std::process::id()));
    std::fs::create_dir_all(&log_dir).unwrap();
    println!(
        "wsgiref throughput benchmark: {} run(s) of {seconds} s per point, median shown",
        runs
    );
    println!("machine: {} cores, {}", cores(), cpu_model());
    println!("CPU ms: the server's CPU time (user + system) per request; wrk runs on the same cores");
    println!();
    println!(
        "{:<16} {:>7} {:<8} {:>10} {:>9} {:>9} {:>7} {:>8} {:>7} {:>9} {:>9} {:>12}",
        "workload",
        "clients",
        "server",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "timeouts",
        "CPU ms",
        "RSS MiB",
        "MiB/s",
        "ours/CPython"
    );
    let chosen = WORKLOADS
        .iter()
        .filter(|w| filters.is_empty() || filters.iter().any(|f| w.name.contains(f.as_str())));
    for workload in chosen {
        let ours = measure_point("ours", workload, runs, seconds, &log_dir);
        let cpython = measure_point("cpython", workload, runs, seconds, &log_dir);
        let ratio = if cpython.requests_per_second > 0.0 {
            ours.requests_per_second / cpython.requests_per_second
        } else {
            f64::INFINITY
        };
        print_row(workload, "ours", &ours, Some(ratio));
        print_row(workload, "CPython", &cpython, None);
        let reference = match workload.app {
            "hello" if nginx_path().is_some() => Some("nginx"),
            "echo" => Some("bare"),
            _ => None,
        };
        if let Some(reference) = reference {
            let measure = measure_point(reference, workload, runs, seconds, &log_dir);
            let reference_ratio = measure.requests_per_second / cpython.requests_per_second.max(f64::MIN_POSITIVE);
            print_row(workload, reference, &measure, Some(reference_ratio));
        }
        let _ = std::io::stdout().flush();
    }
    #[cfg(feature = "python")]
    python::rows(runs, seconds, &log_dir, &filters);
    let _ = std::fs::remove_dir_all(&log_dir);
}

fn print_row(workload: &Workload, server: &str, measure: &Measure, ratio: Option<f64>) {
    let mib_per_second = measure.requests_per_second * workload.mib_per_request;
    println!(
        "{:<16} {:>7} {:<8} {:>10.0} {:>9.2} {:>9.2} {:>7} {:>8} {:>7.3} {:>9.1} {:>9} {:>12}",
        workload.name,
        workload.clients,
        server,
        measure.requests_per_second,
        measure.p50_ms,
        measure.p99_ms,
        measure.errors,
        measure.timeouts,
        measure.cpu_ms_per_request,
        measure.peak_rss_kib as f64 / 1024.0,
        if workload.mib_per_request > 0.0 {
            format!("{mib_per_second:.0}")
        } else {
            "-".to_string()
        },
        ratio.map_or(String::new(), |ratio| format!("{ratio:.2}x")),
    );
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn cpu_model() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".to_string())
}

/// The Python rows (`cargo bench --bench throughput --features python`):
/// three Python applications, a bare "hello" (`tests/python/hello_app.py`),
/// a Flask page and a Django view (the index pages of the tests' Flask app
/// and Django project), each under four servers: ours (`wsgiref --python`),
/// granian (1 worker), gunicorn (1 sync worker) and CPython's wsgiref, at
/// 16 clients, connection per request, with the access log off in every
/// server. When the Python package is installed in `target/package-venv`
/// (`.ci/python-package` makes it), a fifth server, "ours (pip)", is
/// `python -m wsgiref_rs`: the same server loaded into that interpreter
/// as an extension module, which must be as fast as the embedding binary. The four servers of a workload run side by side and take turns
/// (ours, granian, gunicorn, CPython, then again), so that a slow moment of
/// the machine does not favour one of them; each row is the median of its
/// runs. Flask, Django, granian and gunicorn come from the tests' cached
/// virtual environment (`target/python-venv`). CPU ms counts every process
/// of a server (granian's and gunicorn's workers too); RSS is the first
/// process's only.
#[cfg(feature = "python")]
mod python {
    use super::{Measure, Server, Workload, print_row, run_wrk_on, venv};
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::time::Duration;

    const PYTHON_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python");
    const DJANGO_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/django_project");
    const SERVERS: [&str; 4] = ["ours", "granian", "gunicorn", "CPython"];
    /// The row of the Python package (`python -m wsgiref_rs`).
    const PACKAGE: &str = "ours (pip)";
    /// The virtual environment `.ci/python-package` installs the package into.
    const PACKAGE_VENV: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/package-venv");

    /// The servers to compare: [`SERVERS`], and [`PACKAGE`] when the
    /// package is installed (else a line says how to add it).
    fn servers() -> Vec<&'static str> {
        let mut servers = SERVERS.to_vec();
        let python = Path::new(PACKAGE_VENV).join("bin/python");
        let installed = Command::new(&python)
            .args(["-c", "import wsgiref_rs._native"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if installed {
            servers.push(PACKAGE);
        } else {
            println!("(no \"{PACKAGE}\" rows: run .ci/python-package to install the package in target/package-venv)");
        }
        servers
    }

    /// A Python workload: the wrk side, and where the application lives.
    struct PythonWorkload {
        load: Workload,
        /// The folder put on `sys.path` (and the working directory).
        dir: &'static str,
        /// Whether it needs the virtual environment's packages.
        venv: bool,
    }

    const fn workload(name: &'static str, app: &'static str) -> Workload {
        Workload {
            name,
            app,
            path: "/",
            clients: 16,
            script: None,
            mib_per_request: 0.0,
        }
    }

    const WORKLOADS: [PythonWorkload; 3] = [
        PythonWorkload {
            load: workload("python hello", "hello_app:app"),
            dir: PYTHON_DIR,
            venv: false,
        },
        PythonWorkload {
            load: workload("python flask", "flask_app:app"),
            dir: PYTHON_DIR,
            venv: true,
        },
        PythonWorkload {
            load: workload("python django", "mysite.wsgi:application"),
            dir: DJANGO_DIR,
            venv: true,
        },
    ];

    fn start(which: &str, workload: &PythonWorkload, log_dir: &Path) -> Server {
        let spec = workload.load.app;
        let log = log_dir.join(format!("python-{which}-{}.log", workload.load.name.replace(' ', "-")));
        let python: PathBuf = if workload.venv {
            venv::venv_python()
        } else {
            PathBuf::from(venv::base_python())
        };
        match which {
            "ours" => {
                let mut command = Command::new(env!("CARGO_BIN_EXE_wsgiref"));
                command
                    .args(["--python", spec, "--pythonpath", workload.dir, "--port", "0"])
                    .arg("--no-access-log")
                    .env_remove("VIRTUAL_ENV");
                if workload.venv {
                    command.env("VIRTUAL_ENV", venv::python_venv());
                }
                Server::start(&mut command, log)
            }
            PACKAGE => Server::start(
                Command::new(Path::new(PACKAGE_VENV).join("bin/python"))
                    .args(["-m", "wsgiref_rs", spec, "--pythonpath", workload.dir, "--port", "0"])
                    .arg("--no-access-log")
                    .env_remove("VIRTUAL_ENV"),
                log,
            ),
            "CPython" => Server::start(
                Command::new(python)
                    .arg(Path::new(PYTHON_DIR).join("cpython_server.py"))
                    .args([spec, workload.dir, "--no-access-log"]),
                log,
            ),
            "granian" => {
                let port = free_port();
                let mut command = Command::new(venv::venv_python());
                command
                    .args(["-m", "granian", "--interface", "wsgi", "--host", "127.0.0.1"])
                    .args(["--port", &port.to_string(), "--workers", "1", spec])
                    .current_dir(workload.dir);
                start_on_port(&mut command, port, log)
            }
            _ => {
                let config = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/gunicorn_conf.py");
                Server::start(
                    Command::new(venv::venv_python())
                        .args(["-m", "gunicorn", "-c", config, "-w", "1", "-k", "sync"])
                        .args(["-b", "127.0.0.1:0", "--chdir", workload.dir, spec]),
                    log,
                )
            }
        }
    }

    /// A port nobody listens on now, for a server that cannot take port 0.
    fn free_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        listener.local_addr().expect("its address").port()
    }

    /// Start a server that prints no port line: wait until it accepts.
    fn start_on_port(command: &mut Command, port: u16, log: PathBuf) -> Server {
        let child = command
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("log file"))
            .spawn()
            .expect("start the server");
        Server::when_listening(child, port)
    }

    pub fn rows(runs: usize, seconds: u64, log_dir: &Path, filters: &[String]) {
        let chosen: Vec<&PythonWorkload> = WORKLOADS
            .iter()
            .filter(|w| filters.is_empty() || filters.iter().any(|f| w.load.name.contains(f.as_str())))
            .collect();
        if chosen.is_empty() {
            return;
        }
        venv::python_venv(); // made before any clock runs
        let names = servers();
        for workload in chosen {
            let servers: Vec<Server> = names.iter().map(|which| start(which, workload, log_dir)).collect();
            std::thread::sleep(Duration::from_millis(500));
            let mut measures: Vec<Vec<Measure>> = vec![Vec::new(); names.len()];
            for _ in 0..runs {
                for (server, runs) in servers.iter().zip(&mut measures) {
                    runs.push(run_wrk_on(server, &workload.load, seconds, None));
                }
            }
            let medians: Vec<Measure> = measures
                .into_iter()
                .zip(&servers)
                .map(|(mut runs, server)| {
                    runs.sort_by(|a, b| a.requests_per_second.total_cmp(&b.requests_per_second));
                    let mut median = runs[runs.len() / 2].clone();
                    median.errors = runs.iter().map(|m| m.errors).max().unwrap_or(0);
                    median.timeouts = runs.iter().map(|m| m.timeouts).max().unwrap_or(0);
                    median.peak_rss_kib = server.peak_rss_kib();
                    median
                })
                .collect();
            let ours = medians[0].requests_per_second;
            let ratio = |other: &Measure| ours / other.requests_per_second.max(f64::MIN_POSITIVE);
            let cpython = &medians[3];
            for (which, measure) in names.iter().zip(&medians) {
                let shown = matches!(*which, "ours" | PACKAGE)
                    .then(|| measure.requests_per_second / cpython.requests_per_second.max(f64::MIN_POSITIVE));
                print_row(&workload.load, which, measure, shown);
            }
            if let Some(package) = medians.get(4) {
                println!(
                    "{}, 16 clients: ours (pip)/ours {:.2}x, ours (pip)/granian {:.2}x",
                    workload.load.name,
                    package.requests_per_second / ours.max(f64::MIN_POSITIVE),
                    package.requests_per_second / medians[1].requests_per_second.max(f64::MIN_POSITIVE),
                );
            }
            println!(
                "{}, 16 clients: ours/granian {:.2}x, ours/gunicorn {:.2}x, ours/CPython {:.2}x; CPU us per request: ours {:.0}, granian {:.0}",
                workload.load.name,
                ratio(&medians[1]),
                ratio(&medians[2]),
                ratio(cpython),
                medians[0].cpu_ms_per_request * 1000.0,
                medians[1].cpu_ms_per_request * 1000.0,
            );
            let _ = std::io::Write::flush(&mut std::io::stdout());
        }
    }
}

/// The tests' cached virtual environment (Flask, Django, gunicorn).
#[cfg(feature = "python")]
#[path = "../tests/python/venv.rs"]
mod venv;

/// The "bare" reference for the upload rows: an echo server with none of
/// WSGI's or HTTP's work, only what every server must do for that request
/// (accept, find the end of the head and its `Content-Length`, then `recv`
/// and `send` the body through one reused 64 KiB buffer), on 8 threads, with
/// no access log. Its ratio to CPython is the most any server can reach
/// on this machine with this load generator: on loopback, the kernel's
/// copies and the load generator's own CPU time set the pace. The bench
/// runs it by starting itself again with `WSGIREF_BENCH_BARE_ECHO=1`.
mod bare_echo {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;

    pub const ENV: &str = "WSGIREF_BENCH_BARE_ECHO";

    pub fn serve() -> ! {
        let listener = Arc::new(TcpListener::bind("127.0.0.1:0").expect("bind"));
        let port = listener.local_addr().expect("local address").port();
        println!("Serving HTTP on 127.0.0.1 port {port} ...");
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let listener = Arc::clone(&listener);
                std::thread::spawn(move || {
                    let mut buffer = vec![0u8; 64 * 1024];
                    loop {
                        if let Ok((stream, _)) = listener.accept() {
                            let _ = echo(stream, &mut buffer);
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            let _ = worker.join();
        }
        std::process::exit(0)
    }

    fn echo(mut stream: TcpStream, buffer: &mut [u8]) -> std::io::Result<()> {
        stream.set_nodelay(true)?;
        let mut filled = 0;
        let head_end = loop {
            let count = stream.read(&mut buffer[filled..])?;
            if count == 0 {
                return Ok(());
            }
            filled += count;
            if let Some(at) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
        let length: usize = head
            .split("content-length:")
            .nth(1)
            .and_then(|rest| rest.split("\r\n").next())
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0);
        let mut response =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n").into_bytes();
        response.extend_from_slice(&buffer[head_end..filled]);
        stream.write_all(&response)?;
        let mut left = length.saturating_sub(filled - head_end);
        while left > 0 {
            let count = stream.read(&mut buffer[..left.min(64 * 1024)])?;
            if count == 0 {
                break;
            }
            stream.write_all(&buffer[..count])?;
            left -= count;
        }
        Ok(())
    }
}
