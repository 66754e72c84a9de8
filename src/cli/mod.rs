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
