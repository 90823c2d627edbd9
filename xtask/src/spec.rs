//! Assembling the spec files from the project's sources.
//!
//! `spec/base.json` + `spec/parts/*.json` → `spec/openapi.json` (the Extern API);
//! `spec/base.json` + `spec/test-tools.json` → `spec/test-tools.openapi.json` (test stand only).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::normalise;

/// Reads a JSON document.
pub fn read_json(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// The base document with `parts` merged in order as JSON merge patches.
pub fn assemble(base: &Path, parts: &[PathBuf]) -> Result<Value> {
    let mut doc = read_json(base)?;
    for part in parts {
        json_patch::merge(&mut doc, &read_json(part)?);
    }
    Ok(doc)
}

/// The `*.json` files of a directory, in name order.
pub fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .with_context(|| format!("listing {}", dir.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    Ok(files)
}

fn write_spec(doc: &mut Value, out: &Path) -> Result<()> {
    normalise::normalise(doc);
    let text = serde_json::to_string_pretty(doc)? + "\n";
    fs::write(out, text).with_context(|| format!("writing {}", out.display()))
}

pub fn update_spec(_args: &[String]) -> Result<ExitCode> {
    let spec_dir = crate::workspace_root().join("spec");
    let base = spec_dir.join("base.json");
    let mut api = assemble(&base, &json_files(&spec_dir.join("parts"))?)?;
    write_spec(&mut api, &spec_dir.join("openapi.json"))?;
    let test_tools = spec_dir.join("test-tools.json");
    if test_tools.exists() {
        let mut doc = assemble(&base, &[test_tools])?;
        write_spec(&mut doc, &spec_dir.join("test-tools.openapi.json"))?;
    }
    Ok(ExitCode::SUCCESS)
}
