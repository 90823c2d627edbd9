//! Project tasks:
//! - `cargo xtask update-spec [--from URL|FILE]... [--offline] [--check] [--out DIR [--verify]]`
//! - `cargo xtask check-operations FILE.tsv`

mod changes;
mod normalise;
mod operations;
mod source;
mod spec;
mod swagger2;
mod verify;

#[cfg(test)]
mod fixture_tests;

/// The generator of `build.rs`: one definition of the progenitor settings.
#[path = "../../build.rs"]
#[allow(dead_code)]
mod codegen;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage:
  cargo xtask update-spec [--from URL|FILE]... [--out DIR [--verify]]   import, then assemble
  cargo xtask update-spec --offline                                   assemble from spec/ only
  cargo xtask update-spec --check                                     fail if spec/ outputs are stale
  cargo xtask check-operations FILE.tsv                               documented operations are in the spec";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("update-spec") => spec::update_spec(&args[1..]),
        Some("check-operations") => operations::check_operations(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Root of the workspace (the parent of `xtask/`).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_path_buf()
}
