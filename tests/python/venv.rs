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
//! where the folder is; its console scripts do, so run them as
//! `python -m pip` and `python -m gunicorn`.
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
