//! The `wsgiref` command: serve a WSGI application as a development server
//! (`wsgiref --help`). The command itself is the library's [`wsgiref::cli`]
//! module, which the Python package runs too (`python -m wsgiref_rs`).

use std::process::ExitCode;

fn main() -> ExitCode {
    match wsgiref::cli::Invocation::from_env() {
        Ok(invocation) => wsgiref::cli::main(invocation),
        Err(error) => {
            eprintln!("wsgiref: cannot find this program to run it again: {error}");
            ExitCode::FAILURE
        }
    }
}
