//! What both benchmarks need: stopping a server process.

use std::process::{Child, Command};
use std::time::Duration;

/// Stop a server as Ctrl-C would: SIGTERM first (so it shuts down
/// gracefully, and nginx's master takes its workers down with it), then,
/// if it is still there after 2 s, SIGKILL.
pub fn stop(child: &mut Child) {
    let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    for _ in 0..100 {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}
