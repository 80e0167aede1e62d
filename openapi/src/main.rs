//! Writes or checks the committed OpenAPI document, `openapi/openapi.json`.
//!
//! `cargo run -p pingyi-openapi` rewrites it from the code; `-- --check` fails when it differs.

use std::path::PathBuf;
use std::process::ExitCode;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi.json")
}

fn main() -> ExitCode {
    let generated = match pingyi::http::openapi::render_openapi() {
        Ok(text) => text,
        Err(err) => {
            eprintln!("could not render the OpenAPI document: {err}");
            return ExitCode::FAILURE;
        }
    };
    let path = committed_path();
    if std::env::args().any(|a| a == "--check") {
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed == generated {
            println!("{} is up to date", path.display());
            return ExitCode::SUCCESS;
        }
        eprintln!("{} differs from the code: run `cargo run -p pingyi-openapi` and commit the result", path.display());
        return ExitCode::FAILURE;
    }
    match std::fs::write(&path, generated) {
        Ok(()) => {
            println!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("could not write {}: {err}", path.display());
            ExitCode::FAILURE
        }
    }
}
