//! Assembling `spec/openapi.json` from the project's sources.

use std::fs;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::normalise;

/// Reads a JSON document.
pub fn read_json(path: &Path) -> Result<Value> {
    let text = fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// Base document, then every part under `spec/parts/` in name order, merged as JSON merge patches.
pub fn assemble(spec_dir: &Path) -> Result<Value> {
    let mut doc = read_json(&spec_dir.join("base.json"))?;
    let mut parts: Vec<_> = fs::read_dir(spec_dir.join("parts"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    parts.retain(|p| p.extension().is_some_and(|e| e == "json"));
    parts.sort();
    for part in parts {
        json_patch::merge(&mut doc, &read_json(&part)?);
    }
    Ok(doc)
}

pub fn update_spec(_args: &[String]) -> Result<ExitCode> {
    let spec_dir = crate::workspace_root().join("spec");
    let mut doc = assemble(&spec_dir)?;
    normalise::normalise(&mut doc);
    let text = serde_json::to_string_pretty(&doc)? + "\n";
    fs::write(spec_dir.join("openapi.json"), text)?;
    Ok(ExitCode::SUCCESS)
}
