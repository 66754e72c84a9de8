//! The parts of the `wsgiref` command that make it a dev server, one file
//! each, so `main.rs` stays the argument parser and the order of events.
//!
//! Why a `cli` folder next to the library's modules: these are the binary's
//! own modules (`mod cli;` in `main.rs`), not part of the library, and
//! need the `cli` feature's crates.

pub mod address;
pub mod banner;
pub mod logging;
pub mod reload;
pub mod signals;

/// `eprintln!` that never panics: a message to a closed stderr (a pipe
/// whose reader has gone) is dropped instead of killing the thread that
/// prints it. Why: `eprintln!` panics on a write error, and in the signal
/// handler that panic killed the handler thread, so SIGTERM no longer
/// stopped the server.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(crate) use say;
