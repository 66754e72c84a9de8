//! The Python virtual environment of `tests/python.rs` and the benchmark:
//! made once from `tests/python/requirements.txt`, cached in
//! `target/python-venv`.
//!
//! Made with the Python that pyo3 builds against (`PYO3_PYTHON`, else
//! `python3`), so the embedded interpreter can import its packages. Safe
//! against concurrent tests: within a process a `OnceLock` makes one thread
//! do the work while the others wait; across processes each builds in its
//! own temporary folder and renames it into place, which is atomic, and the
//! loser of a race throws its copy away. A venv's packages do not care
//! where the folder is; its console scripts (`bin/flask`, `bin/gunicorn`,
//! `bin/pip`, ...) and `bin/activate` do: they name the folder they were
//! made in. So before the rename they are pointed at the final folder
//! ([`point_scripts_at`]), and run from there.
#![allow(dead_code)] // each user takes what it needs

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The interpreter pyo3 builds against (see build.rs).
pub fn base_python() -> String {
    std::env::var("PYO3_PYTHON").unwrap_or_else(|_| "python3".to_string())
}

/// The virtual environment's folder, made on first use (about 10 to 60 s
/// cold, depending on the network; instant when cached).
pub fn python_venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(make_venv)
}

/// The virtual environment's `python`.
pub fn venv_python() -> PathBuf {
    python_venv().join("bin").join("python")
}

fn make_venv() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let requirements_path = manifest.join("tests/python/requirements.txt");
    let requirements = std::fs::read_to_string(&requirements_path).expect("read tests/python/requirements.txt");
    let venv = manifest.join("target").join("python-venv");
    // The copy of requirements.txt is written last, so it marks a complete venv.
    if is_ready(&venv, &requirements) {
        return venv;
    }
    let unique = format!(
        "python-venv.tmp-{}-{:?}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
    );
    let building = manifest.join("target").join(unique);
    std::fs::create_dir_all(manifest.join("target")).expect("create target/");
    run(Command::new(base_python()).args(["-m", "venv"]).arg(&building));
    run(Command::new(building.join("bin").join("python"))
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements_path));
    point_scripts_at(&building, &venv);
    std::fs::write(building.join("requirements.txt"), &requirements).expect("write the marker");
    if venv.exists() && !is_ready(&venv, &requirements) {
        // Stale (other requirements, or an interrupted old build): move it away first.
        let old = building.with_extension("old");
        if std::fs::rename(&venv, &old).is_ok() {
            let _ = std::fs::remove_dir_all(&old);
        }
    }
    if std::fs::rename(&building, &venv).is_err() {
        // Another process won the race; its venv is as good as ours.
        let _ = std::fs::remove_dir_all(&building);
        assert!(is_ready(&venv, &requirements), "no usable venv at {}", venv.display());
    }
    venv
}

fn is_ready(venv: &Path, requirements: &str) -> bool {
    venv.join("bin").join("python").exists()
        && std::fs::read_to_string(venv.join("requirements.txt")).is_ok_and(|copy| copy == requirements)
}

fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|error| panic!("cannot run {command:?}: {error}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Make the scripts in `building/bin` name `destination`, the folder
/// `building` is about to be renamed to: every regular text file there that
/// names `building` (the console scripts' `#!.../bin/python` line, or the
/// `exec` line pip writes under `#!/bin/sh` for a long path; `activate`'s
/// `VIRTUAL_ENV`) gets `destination` instead.
///
/// Why rewrite, and why before the rename: pip writes the interpreter's
/// path into every console script it installs, and the venv is built in a
/// temporary folder so that it appears whole, by one rename, even when two
/// test binaries make it at once. Rewriting in the temporary folder keeps
/// that: a venv found at `target/python-venv` always has working scripts
/// (rewriting after the rename would leave a moment with broken ones, and
/// the loser of a race rewrites only its own copy). Rejected: building in
/// place (not atomic); `--without-pip` (the requirements' scripts are
/// still written by pip, with the temporary path); reinstalling after the
/// rename (slow, and not atomic either). `bin/python` and the other links
/// to the base interpreter are symbolic links, never written through;
/// binary files (Windows launchers) are left as they are.
pub fn point_scripts_at(building: &Path, destination: &Path) {
    let (Some(from), Some(to)) = (building.to_str(), destination.to_str()) else {
        return; // a path that is not UTF-8 cannot be in a text file as such
    };
    let Ok(entries) = std::fs::read_dir(building.join("bin")) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.file_type().is_file()) {
            continue; // bin/python and its kin: links to the base interpreter
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue; // not UTF-8: a binary
        };
        if text.contains(from) {
            // `fs::write` truncates the file in place: its mode (+x) stays.
            std::fs::write(&path, text.replace(from, to))
                .unwrap_or_else(|error| panic!("rewrite {}: {error}", path.display()));
        }
    }
}
