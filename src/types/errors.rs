//! `wsgi.errors`: the application's error stream, written to the log.
//!
//! Part of [`crate::types`]; see its docs for the map from PEP 3333.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::rc::Rc;

/// `wsgi.errors`: a text stream for error output. Each complete line is
/// logged at `error` level with target `wsgi.errors`; a partial line is
/// logged on `flush` or drop.
///
/// # Example
///
/// ```
/// use std::io::Write;
/// let mut environ = wsgiref::Environ::new();
/// writeln!(environ.errors, "something odd happened")?;
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// Spec: PEP 3333 "environ Variables" (`wsgi.errors`).
pub struct Errors {
    line: Vec<u8>,
    captured: Option<Rc<RefCell<Vec<u8>>>>,
}

impl Errors {
    /// Errors that go to the log (what the server gives applications).
    ///
    /// # Example
    ///
    /// ```
    /// let errors = wsgiref::Errors::to_log();
    /// # let _ = errors;
    /// ```
    pub fn to_log() -> Errors {
        Errors {
            line: Vec::new(),
            captured: None,
        }
    }

    /// Errors that are kept in memory too, for tests: everything written is
    /// appended to the returned buffer as well as logged.
    ///
    /// # Example
    ///
    /// ```
    /// use std::io::Write;
    /// let (mut errors, captured) = wsgiref::Errors::capture();
    /// write!(errors, "oops")?;
    /// assert_eq!(&*captured.borrow(), b"oops");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[allow(clippy::type_complexity)] // the shape is spelled out so readers see it
    pub fn capture() -> (Errors, Rc<RefCell<Vec<u8>>>) {
        let captured = Rc::new(RefCell::new(Vec::new()));
        (
            Errors {
                line: Vec::new(),
                captured: Some(Rc::clone(&captured)),
            },
            captured,
        )
    }

    fn log_line(&mut self) {
        if !self.line.is_empty() {
            let text = String::from_utf8_lossy(&self.line);
            log::error!(target: "wsgi.errors", "{}", text.trim_end_matches(['\r', '\n']));
            self.line.clear();
        }
    }
}

impl io::Write for Errors {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if let Some(captured) = &self.captured {
            captured.borrow_mut().extend_from_slice(data);
        }
        for &byte in data {
            self.line.push(byte);
            if byte == b'\n' {
                self.log_line();
            }
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.log_line();
        Ok(())
    }
}

impl Drop for Errors {
    fn drop(&mut self) {
        self.log_line();
    }
}

impl fmt::Debug for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Errors")
    }
}
