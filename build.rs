//! Build script: only does something with the `python` feature.
//!
//! Why: a machine may have two CPython builds of the same minor version,
//! for example pyenv's 3.11.7 (`python3` on `PATH`, with its own
//! `lib/libpython3.11.so.1.0`) and Debian's 3.11.2 (in the loader's cache).
//! pyo3 compiles against the first, but the dynamic loader finds the second
//! first, and the binary then runs the other interpreter with the other
//! interpreter's `sys.path`. An rpath to the `LIBDIR` of the very Python
//! that pyo3 uses makes the binary, the tests and the benches load the
//! libpython they were built for.

use std::env;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PYO3_PYTHON");
    println!("cargo:rerun-if-env-changed=VIRTUAL_ENV");
    println!("cargo:rerun-if-env-changed=PYO3_BUILD_EXTENSION_MODULE");
    // The Python package's extension module is loaded by the user's own
    // interpreter and must not point at any libpython.
    let extension_module =
        env::var_os("CARGO_FEATURE_PYTHON_PACKAGE").is_some() || env::var_os("PYO3_BUILD_EXTENSION_MODULE").is_some();
    if env::var_os("CARGO_FEATURE_PYTHON").is_none() || extension_module {
        return;
    }
    let python = python_for_pyo3();
    let output = Command::new(&python)
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_config_var('LIBDIR') or '')",
        ])
        .output();
    let libdir = match output {
        Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout).trim().to_string(),
        _ => String::new(),
    };
    if libdir.is_empty() {
        println!(
            "cargo:warning=could not ask {python} for its LIBDIR; the binary will load whichever libpython the loader finds"
        );
        return;
    }
    println!("cargo:rustc-link-arg=-Wl,-rpath,{libdir}");
}

/// The interpreter pyo3's own build script picks: `PYO3_PYTHON`, else the
/// active virtual environment's `python`, else `python3` on `PATH`.
fn python_for_pyo3() -> String {
    if let Some(python) = env::var_os("PYO3_PYTHON") {
        return python.to_string_lossy().into_owned();
    }
    if let Some(venv) = env::var_os("VIRTUAL_ENV") {
        let python = std::path::Path::new(&venv).join("bin").join("python");
        if python.exists() {
            return python.to_string_lossy().into_owned();
        }
    }
    "python3".to_string()
}
