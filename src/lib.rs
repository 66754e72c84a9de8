//! wsgiref for Rust: the Web Server Gateway Interface (PEP 3333) and its
//! reference server.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations)]

pub mod handlers;
pub mod http;
mod input;
mod pool;
pub mod simple_server;
pub mod types;
pub mod util;
pub mod validate;

pub use input::Input;
pub use simple_server::{ServerConfig, ShutdownHandle, WsgiServer, make_server};
pub use types::{
    AppError, Application, Body, Environ, Errors, ExcInfo, HeaderList, StartResponse, StartResponseError,
    WriteCallable, app_fn,
};

/// The README's examples, compiled and run as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
