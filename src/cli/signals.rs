//! Ctrl-C (SIGINT) and SIGTERM: stop accepting at once, let the requests in
//! flight finish within the grace period, then `main` exits 0.
//!
//! `ctrlc` runs the handler on a thread of its own (not in signal context),
//! and the handler only hands the blocking `ShutdownHandle::shutdown` to
//! another thread, so a second signal is still seen.

use std::time::Duration;

use crate::ShutdownHandle;

/// What a signal does to a server that serves forever: the first stops it
/// gracefully; a second quits at once, unless this process is a reloader's
/// child (then the reloader decides, see `reload`), where every signal
/// just asks for the graceful stop: Ctrl-C in a terminal reaches both the
/// reloader and its child, and the reloader also forwards it.
pub fn stop_gracefully_on_signals(stopper: ShutdownHandle, grace: Duration, reloader_child: bool) {
    let mut signals = 0;
    let installed = ctrlc::set_handler(move || {
        signals += 1;
        if signals == 1 {
            // A reloader's child stops quietly: the reloader says what happens.
            if !reloader_child {
                say!(
                    "Stopping: no new connections; requests in flight have up to {} to finish (CONTROL-C again to quit at once).",
                    seconds(grace)
                );
            }
            let stopper = stopper.clone();
            std::thread::spawn(move || stopper.shutdown());
        } else if !reloader_child {
            say!("Quitting at once.");
            std::process::exit(1);
        }
    });
    if let Err(error) = installed {
        log::warn!("cannot handle CONTROL-C and SIGTERM ({error}); they will stop the server abruptly");
    }
}

/// `--once`: a signal while waiting for the one request exits at once.
pub fn exit_on_signals() {
    let installed = ctrlc::set_handler(|| {
        say!("Stopped.");
        std::process::exit(0);
    });
    if let Err(error) = installed {
        log::warn!("cannot handle CONTROL-C and SIGTERM: {error}");
    }
}

/// `30s`, `0.5s`.
pub fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

/// In a reloader's child: stop gracefully when the reloader goes away
/// without a word (killed with SIGKILL), instead of serving as an orphan.
///
/// Why polling the parent id: the portable signal for this (Linux's
/// `PR_SET_PDEATHSIG`) needs `unsafe` or another crate; a check a second
/// is cheap.
pub fn stop_when_orphaned(stopper: ShutdownHandle) {
    #[cfg(unix)]
    std::thread::spawn(move || {
        let parent = std::os::unix::process::parent_id();
        loop {
            std::thread::sleep(Duration::from_secs(1));
            if std::os::unix::process::parent_id() != parent {
                say!("The reloader is gone; stopping.");
                stopper.shutdown();
                return;
            }
        }
    });
    #[cfg(not(unix))]
    drop(stopper);
}
