//! `--reload`: a parent process watches the source files and runs the
//! server as a child process (this same program, same arguments), which it
//! restarts when a file changes.
//!
//! As Werkzeug's and Django's reloaders do, the child is marked by an
//! environment variable (`WSGIREF_RELOADER_CHILD=1`): it serves; the
//! parent only watches. On Unix the parent binds the listening socket
//! itself and keeps it for its whole life: each child gets it as an
//! inherited descriptor (systemd's `LISTEN_FDS` protocol, read with
//! `listenfd`) instead of binding again. Why: between the old child's exit
//! and the new child's first `accept()`, a browser's connection waits in
//! the kernel's backlog of that socket and is answered by the new child,
//! where a rebind made it see "connection refused". It also keeps the
//! port of `--port 0` across reloads, and makes a port in use an error of
//! the parent, which exits 1 at once, as without `--reload` and as
//! runserver does (editing a source file would not free the port).
//! Elsewhere each child binds again.
//!
//! A child whose application failed to load (exit status 2: for
//! `--python`, a syntax error) leaves the parent watching: the next change
//! starts it again (meanwhile connections wait in the backlog). A child
//! that cannot listen (exit status 1) ends the parent with status 1. The
//! child is stopped with SIGTERM, so requests in flight finish as on
//! Ctrl-C; it stops accepting and closes its own descriptor, never calling
//! `shutdown()` on the shared socket. Each reload prints one line,
//! `Reloading: views.py changed`; the restarted child prints no banner
//! ([`RESTART_ENV`]) unless the one before it never served.
//!
//! Rust code is compiled, so re-running the same binary does not pick up
//! its changes: for a Rust application, `cargo watch -x run` (or
//! `watchexec -r cargo run`) rebuilds and restarts it.

use std::ffi::OsString;
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use notify::{EventKind, RecursiveMode, Watcher};

use super::signals::seconds;

/// The environment variable that marks the reloader's child.
pub const CHILD_ENV: &str = "WSGIREF_RELOADER_CHILD";

/// Set (to `1`) for a child started again after a change: it prints no
/// banner (on the reloader's socket) or only the `Serving HTTP on` line.
pub const RESTART_ENV: &str = "WSGIREF_RELOADER_RESTART";

/// File extensions whose changes restart the server.
pub const SOURCE_EXTENSIONS: &[&str] = &["py", "rs", "toml", "cfg", "ini", "json", "yaml", "yml", "html"];

/// Directories never watched (besides hidden ones, whose names start with `.`).
const IGNORED_DIRECTORIES: &[&str] = &["target", "__pycache__", "node_modules"];

/// How long to collect more events after a change: an editor's save is
/// several events (write, rename, attributes).
const SETTLE_TIME: Duration = Duration::from_millis(300);

/// Whether this process is the reloader's child (it serves; it does not watch).
pub fn is_child() -> bool {
    std::env::var_os(CHILD_ENV).is_some_and(|value| value == "1")
}

/// Whether this process is a reloader's child started again after a change.
pub fn is_restarted_child() -> bool {
    is_child() && std::env::var_os(RESTART_ENV).is_some_and(|value| value == "1")
}

/// The reloader's listening socket, bound as the server would bind it
/// (see `address::listen`), made inheritable so each child can take it.
/// `None` where children bind for themselves (not Unix). The error is the
/// message to print (exit status 1).
#[cfg(unix)]
pub fn listen_for_children(host: &str, port: u16, backlog: i32) -> Result<Option<TcpListener>, String> {
    use nix::fcntl::{FcntlArg, FdFlag, fcntl};
    let listener = super::address::listen(host, port, backlog)?;
    // std opens every descriptor close-on-exec; this one must survive the
    // exec of each child (and only the reloader starts processes).
    fcntl(&listener, FcntlArg::F_SETFD(FdFlag::empty()))
        .map_err(|error| format!("cannot hand the listening socket to the server: {error}"))?;
    Ok(Some(listener))
}

/// Without Unix descriptors to inherit, each child binds again (and a
/// request during a reload may be refused).
#[cfg(not(unix))]
pub fn listen_for_children(_host: &str, _port: u16, _backlog: i32) -> Result<Option<TcpListener>, String> {
    Ok(None)
}

/// In a reloader's child: the listening socket the reloader handed down
/// (`LISTEN_FDS=1`, `LISTEN_FDS_FIRST_FD`), or `None` when it handed none.
/// The error (a descriptor that is not a TCP socket) is the message to
/// print (exit status 1).
///
/// Call it before starting threads: it removes `LISTEN_FDS` and
/// `LISTEN_PID` from the environment (so the application's own child
/// processes do not take the socket), and marks the descriptor
/// close-on-exec again.
#[cfg(unix)]
pub fn inherited_listener() -> Result<Option<TcpListener>, String> {
    if std::env::var_os("LISTEN_FDS").is_none() {
        return Ok(None);
    }
    listenfd::ListenFd::from_env()
        .take_tcp_listener(0)
        .map_err(|error| format!("cannot use the reloader's listening socket: {error}"))
}

/// Elsewhere the child binds for itself (see [`listen_for_children`]).
#[cfg(not(unix))]
pub fn inherited_listener() -> Result<Option<TcpListener>, String> {
    Ok(None)
}

/// What the parent waits for.
enum Event {
    /// A file or directory under a watched directory changed.
    Changed(PathBuf),
    /// Ctrl-C or SIGTERM.
    Signal,
}

/// Watch `directories` and run the server as a child until a signal; the
/// process's exit status. Each child gets `socket` (see
/// [`listen_for_children`]), which stays open here until the end.
pub fn run(command: &[OsString], directories: &[PathBuf], grace: Duration, socket: Option<TcpListener>) -> ExitCode {
    let mut roots = Vec::new();
    for directory in directories {
        match directory.canonicalize() {
            Ok(root) => roots.push(root),
            Err(error) => {
                say!("wsgiref: cannot watch --reload-dir {}: {error}", directory.display());
                return ExitCode::from(2);
            }
        }
    }
    let (sender, events) = mpsc::channel();
    let mut watcher = match start_watching(&roots, sender.clone()) {
        Ok(watcher) => watcher,
        Err(error) => {
            say!("wsgiref: cannot watch for file changes: {error}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(error) = ctrlc::set_handler(move || {
        let _ = sender.send(Event::Signal);
    }) {
        say!("wsgiref: cannot handle CONTROL-C: {error}");
        return ExitCode::FAILURE;
    }
    let shown: Vec<String> = roots.iter().map(|root| root.display().to_string()).collect();
    say!("Watching for file changes in {} (--reload)", shown.join(", "));
    let mut reloader = Reloader {
        command: command.to_vec(),
        roots,
        grace,
        child: spawn_child(command, false, socket.as_ref()),
        socket,
        restart_at: None,
        quit_by: None,
    };
    reloader.run(&events, &mut watcher)
}

/// The parent's state.
struct Reloader {
    /// The command line that runs the server: program first.
    command: Vec<OsString>,
    roots: Vec<PathBuf>,
    /// The child's grace period (`--shutdown-grace`).
    grace: Duration,
    /// The server, while it runs.
    child: Option<Child>,
    /// The listening socket every child serves on (Unix). While no child
    /// accepts, connections wait in its backlog.
    socket: Option<TcpListener>,
    /// A change was seen: restart once things settle.
    restart_at: Option<Instant>,
    /// A signal was seen: the child is stopping, and must be gone by then.
    quit_by: Option<Instant>,
}

impl Reloader {
    fn run(&mut self, events: &Receiver<Event>, watcher: &mut impl Watcher) -> ExitCode {
        loop {
            let wait = match self.restart_at {
                Some(at) => at.saturating_duration_since(Instant::now()),
                None => Duration::from_millis(200),
            };
            match events.recv_timeout(wait.min(Duration::from_millis(200))) {
                Ok(Event::Changed(path)) => self.changed(&path, watcher),
                Ok(Event::Signal) if self.quit_by.is_some() => {
                    say!("Quitting at once.");
                    self.kill_child();
                    return ExitCode::FAILURE;
                }
                Ok(Event::Signal) => {
                    say!(
                        "Stopping: requests in flight have up to {} to finish (CONTROL-C again to quit at once).",
                        seconds(self.grace)
                    );
                    self.quit_by = Some(Instant::now() + self.grace + Duration::from_secs(2));
                    self.terminate_child();
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return ExitCode::FAILURE,
            }
            if self.restart_at.is_some_and(|at| Instant::now() >= at) && self.quit_by.is_none() {
                self.restart_at = None;
                self.restart();
            }
            if let Some(code) = self.check_child() {
                return code;
            }
        }
    }

    /// A change under a watched directory: watch a new top-level directory;
    /// plan a restart for a source file.
    fn changed(&mut self, path: &Path, watcher: &mut impl Watcher) {
        let new_top_level = path.is_dir()
            && path
                .parent()
                .is_some_and(|parent| self.roots.iter().any(|root| root == parent));
        if new_top_level && !is_ignored_directory(path) {
            let _ = watcher.watch(path, RecursiveMode::Recursive);
        }
        if self.restart_at.is_none() {
            if let Some(relative) = source_file(path, &self.roots) {
                say!("Reloading: {} changed", relative.display());
                self.restart_at = Some(Instant::now() + SETTLE_TIME);
            }
        }
    }

    /// Stop the child (gracefully, within the grace period) and start a new one.
    ///
    /// The new one is a quiet restart (no banner) only after a child that
    /// served and stopped gracefully (status 0): after one that failed to
    /// load, or was stopped while still loading, the banner was never
    /// printed (or an error came after it), so the new child prints it.
    fn restart(&mut self) {
        let mut served = false;
        if let Some(mut child) = self.child.take() {
            terminate(&mut child);
            let deadline = Instant::now() + self.grace + Duration::from_secs(2);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            served = child.wait().is_ok_and(|status| status.success());
        }
        self.child = spawn_child(&self.command, served, self.socket.as_ref());
    }

    /// The exit status of the parent once it is done: the child exited
    /// after a signal, by itself with success (`--once`), or with status 1
    /// (it could not listen). A child whose application failed leaves the
    /// parent watching.
    fn check_child(&mut self) -> Option<ExitCode> {
        let finished = match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(Some(status))) => Some(status),
            _ => None,
        };
        if let Some(status) = finished {
            self.child = None;
            if self.quit_by.is_none() && status.code() == Some(1) {
                // It could not listen (it said why): no file change fixes that.
                return Some(ExitCode::FAILURE);
            } else if self.quit_by.is_none() && !status.success() {
                say!("wsgiref: the server stopped ({status}). Waiting for a file change to start it again.");
            } else if self.quit_by.is_none() {
                return Some(ExitCode::SUCCESS);
            }
        }
        let quit_by = self.quit_by?;
        if self.child.is_some() && Instant::now() < quit_by {
            return None;
        }
        self.kill_child();
        say!("Server stopped.");
        Some(ExitCode::SUCCESS)
    }

    fn terminate_child(&mut self) {
        if let Some(child) = self.child.as_mut() {
            terminate(child);
        }
    }

    fn kill_child(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Watch each root (its own entries) and each of its directories that is
/// not ignored (recursively), so `target/` and `.git/` cost no watches.
fn start_watching(roots: &[PathBuf], sender: Sender<Event>) -> notify::Result<notify::RecommendedWatcher> {
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
        let Ok(event) = result else { return };
        // Reading a file (Access) is no change; the server itself reads them.
        if matches!(
            event.kind,
            EventKind::Create(_) | EventKind::Modify(_) | EventKind::Remove(_)
        ) {
            for path in event.paths {
                let _ = sender.send(Event::Changed(path));
            }
        }
    })?;
    for root in roots {
        watcher.watch(root, RecursiveMode::NonRecursive)?;
        for entry in fs::read_dir(root)?.flatten() {
            let path = entry.path();
            if path.is_dir() && !is_ignored_directory(&path) {
                watcher.watch(&path, RecursiveMode::Recursive)?;
            }
        }
    }
    Ok(watcher)
}

fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.') || IGNORED_DIRECTORIES.contains(&name)
}

fn is_ignored_directory(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|name| is_ignored_name(&name.to_string_lossy()))
}

/// For a file with a source extension, not hidden, under a root and not
/// inside an ignored directory: its path relative to that root
/// (`views.py`, `polls/views.py`), as the reload line shows it.
fn source_file<'a>(path: &'a Path, roots: &[PathBuf]) -> Option<&'a Path> {
    let relative = roots.iter().find_map(|root| path.strip_prefix(root).ok())?;
    let in_ignored = relative
        .iter()
        .any(|component| is_ignored_name(&component.to_string_lossy()));
    let extension = relative.extension().map(|extension| extension.to_string_lossy());
    let source = !in_ignored && extension.is_some_and(|extension| SOURCE_EXTENSIONS.contains(&&*extension));
    source.then_some(relative)
}

/// The server: `command` (this program again, with the same arguments; see
/// `Invocation::restart`), marked as the child (and as `restarted`: see
/// `Reloader::restart`), serving on `socket` when there is one.
fn spawn_child(command: &[OsString], restarted: bool, socket: Option<&TcpListener>) -> Option<Child> {
    let Some((program, args)) = command.split_first() else {
        say!("wsgiref: no command to start the server with");
        return None;
    };
    let mut child = Command::new(program);
    child
        .args(args)
        .env(CHILD_ENV, "1")
        .env(RESTART_ENV, if restarted { "1" } else { "0" })
        // The reloader's own LISTEN_* (from systemd, say) are not the child's.
        .env_remove("LISTEN_FDS")
        .env_remove("LISTEN_PID")
        .env_remove("LISTEN_FDS_FIRST_FD");
    hand_down(&mut child, socket);
    match child.spawn() {
        Ok(child) => Some(child),
        Err(error) => {
            say!(
                "wsgiref: cannot start the server ({}): {error}",
                program.to_string_lossy()
            );
            None
        }
    }
}

/// Tell the child which inherited descriptor is its socket: systemd's
/// `LISTEN_FDS`, without `LISTEN_PID` (the child's pid is not known before
/// it starts; `listenfd` accepts its absence), and listenfd's
/// `LISTEN_FDS_FIRST_FD`, since the descriptor keeps its number here
/// rather than being moved to 3 (that takes a `pre_exec` hook, `unsafe`).
#[cfg(unix)]
fn hand_down(child: &mut Command, socket: Option<&TcpListener>) {
    use std::os::fd::AsRawFd;
    if let Some(socket) = socket {
        child
            .env("LISTEN_FDS", "1")
            .env("LISTEN_FDS_FIRST_FD", socket.as_raw_fd().to_string());
    }
}

#[cfg(not(unix))]
fn hand_down(_child: &mut Command, _socket: Option<&TcpListener>) {}

/// Ask the child to stop gracefully: SIGTERM, which it handles as Ctrl-C.
#[cfg(unix)]
fn terminate(child: &mut Child) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    match i32::try_from(child.id()) {
        Ok(pid) => {
            let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
        }
        Err(_) => {
            let _ = child.kill();
        }
    }
}

/// No SIGTERM here: stop the child at once.
#[cfg(not(unix))]
fn terminate(child: &mut Child) {
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_files_only() {
        let roots = [PathBuf::from("/project")];
        let cases = [
            ("/project/app.py", true),
            ("/project/src/main.rs", true),
            ("/project/templates/index.html", true),
            ("/project/Cargo.toml", true),
            ("/project/target/debug/build.rs", false),
            ("/project/.git/config.toml", false),
            ("/project/pkg/__pycache__/app.py", false),
            ("/project/.app.py.swp", false),
            ("/project/app.pyc", false),
            ("/project/notes", false),
            ("/elsewhere/app.py", false),
        ];
        for (path, expected) in cases {
            assert_eq!(source_file(Path::new(path), &roots).is_some(), expected, "path {path}");
        }
        let relative = source_file(Path::new("/project/polls/views.py"), &roots);
        assert_eq!(relative, Some(Path::new("polls/views.py")));
    }
}
