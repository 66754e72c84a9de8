//! What the command prints once it listens: wsgiref's line, then where to
//! point a browser, how to stop, and that this is a development server.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;

use super::address;

/// Bold red, as Werkzeug prints its warning.
const BOLD_RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

/// The development-server warning, one line (after Django's and Werkzeug's).
pub const WARNING: &str = "WARNING: This is a development server. Do not use it in a production deployment.";

/// What the banner shows besides the address.
pub struct Banner<'a> {
    /// Only the first line (`--quiet`).
    pub quiet: bool,
    /// ANSI colour for the warning.
    pub colour: bool,
    /// `--static DIR` and its URL prefix, when given.
    pub static_files: Option<(&'a Path, &'a str)>,
    /// Django's `STATIC_URL`, when its static files are served.
    pub django_static: Option<&'a str>,
    /// `--record FILE`, and whether `--record-secrets` keeps secrets.
    pub recording: Option<(&'a Path, bool)>,
}

impl Banner<'_> {
    /// Print the banner for a server listening on `address` to stdout.
    ///
    /// The first line is exactly Python's `Serving HTTP on HOST port PORT ...`
    /// (tests and scripts read it), with the port resolved when 0 was asked.
    pub fn print(&self, address: SocketAddr) {
        let mut out = std::io::stdout().lock();
        let _ = self.write(&mut out, address);
        let _ = out.flush();
    }

    fn write(&self, out: &mut impl Write, address: SocketAddr) -> std::io::Result<()> {
        writeln!(out, "Serving HTTP on {} port {} ...", address.ip(), address.port())?;
        if self.quiet {
            return Ok(());
        }
        let urls = address::urls(address);
        if address.ip().is_unspecified() {
            writeln!(out, "Running on all addresses ({}):", address.ip())?;
            for url in &urls {
                writeln!(out, "  {url}")?;
            }
        } else {
            writeln!(out, "Running on {}", urls[0])?;
        }
        if let Some((directory, prefix)) = self.static_files {
            let prefix = prefix.trim_matches('/');
            let at = if prefix.is_empty() {
                String::new()
            } else {
                format!("{prefix}/")
            };
            writeln!(out, "Static files from {} at {}{at}", directory.display(), urls[0])?;
        }
        self.write_django_static(out, &urls[0])?;
        self.write_recording(out)?;
        writeln!(out, "Quit the server with CONTROL-C.")?;
        if self.colour {
            writeln!(out, "{BOLD_RED}{WARNING}{RESET}")
        } else {
            writeln!(out, "{WARNING}")
        }
    }

    /// Where Django's static files are served, when they are.
    fn write_django_static(&self, out: &mut impl Write, base_url: &str) -> std::io::Result<()> {
        let Some(static_url) = self.django_static else {
            return Ok(());
        };
        let url = match static_url.strip_prefix('/') {
            Some(path) => format!("{base_url}{path}"),
            None => static_url.to_string(),
        };
        writeln!(
            out,
            "Django's static files (through its finders, as runserver) at {url} (--no-django-static: off)"
        )
    }

    /// `Recording requests to FILE (secrets redacted)`, with `--record`.
    fn write_recording(&self, out: &mut impl Write) -> std::io::Result<()> {
        let Some((file, keep_secrets)) = self.recording else {
            return Ok(());
        };
        let secrets = match keep_secrets {
            true => "secrets kept: --record-secrets",
            false => "secrets redacted",
        };
        writeln!(out, "Recording requests to {} ({secrets})", file.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_names_djangos_static_files() {
        let banner = Banner {
            quiet: false,
            colour: false,
            static_files: None,
            django_static: Some("/static/"),
            recording: None,
        };
        let mut out = Vec::new();
        banner.write(&mut out, "127.0.0.1:8000".parse().unwrap()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.contains(
                "\nDjango's static files (through its finders, as runserver) at http://127.0.0.1:8000/static/ (--no-django-static: off)\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn banner_for_loopback() {
        let banner = Banner {
            quiet: false,
            colour: false,
            static_files: Some((Path::new("public"), "/static")),
            django_static: None,
            recording: Some((Path::new("requests.txt"), false)),
        };
        let mut out = Vec::new();
        banner
            .write(&mut out, SocketAddr::from(([127, 0, 0, 1], 8000)))
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!(
                "Serving HTTP on 127.0.0.1 port 8000 ...\nRunning on http://127.0.0.1:8000/\nStatic files from public at http://127.0.0.1:8000/static/\nRecording requests to requests.txt (secrets redacted)\nQuit the server with CONTROL-C.\n{WARNING}\n"
            )
        );
    }

    #[test]
    fn quiet_banner_is_one_line() {
        let banner = Banner {
            quiet: true,
            colour: true,
            static_files: None,
            django_static: None,
            recording: Some((Path::new("requests.txt"), true)),
        };
        let mut out = Vec::new();
        banner.write(&mut out, SocketAddr::from(([0, 0, 0, 0], 80))).unwrap();
        assert_eq!(out, b"Serving HTTP on 0.0.0.0 port 80 ...\n");
    }
}
