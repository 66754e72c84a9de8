//! The log on stderr: the access log in Python's form, coloured by status
//! class when a person is watching, and other records with their level.

use std::io::Write;

use log::kv::Key;

/// `--color`: when to use ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// When the stream is a terminal and `NO_COLOR` is not set (the default).
    Auto,
    /// Always (for tests, or a pager that shows colours: `less -R`).
    Always,
    /// Never.
    Never,
}

impl Colour {
    /// Parse `auto`, `always` or `never`.
    pub fn parse(text: &str) -> Result<Colour, String> {
        match text {
            "auto" => Ok(Colour::Auto),
            "always" => Ok(Colour::Always),
            "never" => Ok(Colour::Never),
            other => Err(format!("invalid --color {other:?}; choose auto, always or never")),
        }
    }

    /// Whether to colour a stream that is (or is not) a terminal.
    ///
    /// `auto` follows <https://no-color.org>: a non-empty `NO_COLOR` turns
    /// colours off; a non-empty `FORCE_COLOR` other than `0` turns them on
    /// even without a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        let set = |name: &str| std::env::var_os(name).is_some_and(|value| !value.is_empty() && value != "0");
        match self {
            Colour::Always => true,
            Colour::Never => false,
            Colour::Auto if set("NO_COLOR") => false,
            Colour::Auto => is_terminal || set("FORCE_COLOR"),
        }
    }
}

/// The ANSI style of an access-log line by its status, as Werkzeug's
/// `log_request` colours them (with every 2xx plain): 1xx bold, 304 cyan,
/// other 3xx green, 404 yellow, other 4xx bold red, 5xx bold magenta.
pub fn status_style(status: u64) -> Option<&'static str> {
    match status {
        100..=199 => Some("1"),
        200..=299 => None,
        304 => Some("36"),
        300..=399 => Some("32"),
        404 => Some("33"),
        400..=499 => Some("1;31"),
        _ => Some("1;35"),
    }
}

/// Install env_logger at `info` (unless `RUST_LOG` says otherwise), with
/// the access log in Python's form (none when not `access_log`) and, when
/// `colour`, ANSI colours. Does nothing when the process has a logger
/// already (the Python package's `make_server` installed one).
pub fn init(colour: bool, access_log: bool) {
    use env_logger::Env;
    let mut builder = env_logger::Builder::from_env(Env::default().default_filter_or("info"));
    if !access_log {
        builder.filter_module(crate::simple_server::ACCESS_LOG_TARGET, log::LevelFilter::Off);
    }
    builder
        .format(move |out, record| format_record(out, record, colour))
        .try_init()
        .ok();
}

/// One log record as a line: an access-log line as it is (coloured by its
/// status when `colour`), a trace block as it is, any other record as
/// `[LEVEL target] message` (errors and warnings coloured when `colour`).
fn format_record(out: &mut env_logger::fmt::Formatter, record: &log::Record, colour: bool) -> std::io::Result<()> {
    if record.target() == crate::simple_server::ACCESS_LOG_TARGET {
        // The status travels as a key-value (see wsgiref::simple_server::ACCESS_LOG_TARGET).
        let status = record
            .key_values()
            .get(Key::from("status"))
            .and_then(|value| value.to_u64());
        match status.and_then(status_style).filter(|_| colour) {
            Some(style) => writeln!(out, "\x1b[{style}m{}\x1b[0m", record.args()),
            None => writeln!(out, "{}", record.args()),
        }
    } else if record.target() == crate::trace::TARGET || record.target() == "wsgi.errors" {
        // A trace block has its own layout; what the application writes to
        // `wsgi.errors` (a traceback, say) is shown as it wrote it, so it can
        // be read and pasted without a prefix on every line.
        writeln!(out, "{}", record.args())
    } else {
        let level_style = match record.level() {
            log::Level::Error => "1;31",
            log::Level::Warn => "33",
            _ => "",
        };
        if colour && !level_style.is_empty() {
            writeln!(
                out,
                "[\x1b[{level_style}m{}\x1b[0m {}] {}",
                record.level(),
                record.target(),
                record.args()
            )
        } else {
            writeln!(out, "[{} {}] {}", record.level(), record.target(), record.args())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_by_status_class() {
        let cases = [
            (101, Some("1")),
            (200, None),
            (206, None),
            (301, Some("32")),
            (304, Some("36")),
            (400, Some("1;31")),
            (404, Some("33")),
            (500, Some("1;35")),
            (505, Some("1;35")),
        ];
        for (status, style) in cases {
            assert_eq!(status_style(status), style, "status {status}");
        }
    }
}
