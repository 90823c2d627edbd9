//! Proves an imported spec builds the crate: `DIR/crate` is a copy of the crate itself (its
//! manifest, lock file, `build.rs`, `src/` and `spec/`) with the imported spec files in place of
//! the committed ones, built as CI builds the crate. Whatever `build.rs` and `src/` do with the
//! spec (generator settings, the transport inner type, type replacements) is what is checked.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::codegen;

/// Where in the output directory the copy of the crate goes.
pub const CRATE_DIR: &str = "crate";

/// Files and directories of the crate a library build reads (besides `Cargo.toml`).
const CRATE_FILES: [&str; 5] = ["Cargo.lock", "build.rs", "README.md", "src", "spec"];

/// Runs the generator of `build.rs` on one spec, turning progenitor's assertions into errors that
/// name the file: a quick, clear failure before the slow build.
pub fn generate(name: &str, spec: &Value) -> Result<String> {
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(spec.clone()).with_context(|| format!("{name} is not OpenAPI 3.0"))?;
    std::panic::catch_unwind(|| codegen::generate_code(&spec, None))
        .map_err(|panic| {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            anyhow::anyhow!("progenitor panicked on {name}: {message}")
        })?
        .map_err(|err| anyhow::anyhow!("progenitor rejected {name}: {err}"))
}

/// The crate's manifest as a workspace of its own: `[workspace]` keeps its shared settings but
/// no members, and dev-dependencies and test, bench and example targets go (a library build does
/// not use them, and their files are not copied).
pub fn library_manifest(manifest: &str) -> String {
    let mut out = String::from("# Copy of the crate's manifest made by `cargo xtask update-spec --verify`.\n");
    let mut skip_table = false;
    let mut in_workspace = false;
    let mut open_brackets = 0i32;
    for line in manifest.lines() {
        let code = line.split('#').next().unwrap_or("").trim();
        if open_brackets > 0 {
            open_brackets += brackets(code);
            continue;
        }
        if code.starts_with('[') {
            let array_table = code.starts_with("[[");
            let name = code.trim_matches(|c| c == '[' || c == ']').trim();
            let dev = name == "dev-dependencies"
                || name.starts_with("dev-dependencies.")
                || (name.starts_with("target.") && name.contains(".dev-dependencies"));
            skip_table = dev || (array_table && matches!(name, "bench" | "example" | "test"));
            in_workspace = name == "workspace";
        } else if in_workspace
            && let Some((key, value)) = code.split_once('=')
            && matches!(key.trim(), "members" | "default-members" | "exclude")
        {
            open_brackets = brackets(value);
            continue;
        }
        if !skip_table {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Opened minus closed square brackets (enough for the arrays of a manifest).
fn brackets(text: &str) -> i32 {
    text.chars().map(|c| i32::from(c == '[') - i32::from(c == ']')).sum()
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    if from.is_dir() {
        fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
        for entry in fs::read_dir(from).with_context(|| format!("listing {}", from.display()))? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
    } else {
        fs::copy(from, to).with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    }
    Ok(())
}

/// Writes a copy of the crate at `root` into `dir`, with `specs` (file name, document) written
/// over the files of its `spec/`.
pub fn copy_crate(root: &Path, dir: &Path, specs: &[(PathBuf, &Value)]) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let manifest = fs::read_to_string(root.join("Cargo.toml")).context("reading Cargo.toml")?;
    fs::write(dir.join("Cargo.toml"), library_manifest(&manifest))?;
    for name in CRATE_FILES {
        if root.join(name).exists() {
            copy_tree(&root.join(name), &dir.join(name))?;
        }
    }
    for (file, doc) in specs {
        let target = dir.join("spec").join(file.file_name().context("a spec file name")?);
        fs::write(&target, crate::spec::to_text(doc)?).with_context(|| format!("writing {}", target.display()))?;
    }
    Ok(())
}

/// Copies the crate into `DIR/crate` with `specs` as its spec files and builds its library with
/// every feature, with the workspace's dependency versions (its `Cargo.lock`).
pub fn verify(dir: &Path, specs: &[(PathBuf, &Value)]) -> Result<()> {
    for (file, doc) in specs {
        let written = dir.join(file.file_name().context("a spec file name")?);
        generate(&crate::spec::shown(&written), doc)?;
    }
    let root = crate::workspace_root();
    let crate_dir = dir.join(CRATE_DIR);
    copy_crate(&root, &crate_dir, specs)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("building the crate with the imported spec in {}", crate_dir.display());
    let status = Command::new(cargo)
        .args(["build", "--lib", "--all-features", "--manifest-path"])
        .arg(crate_dir.join("Cargo.toml"))
        // One target directory for every check, so that repeated checks reuse compiled dependencies.
        .env("CARGO_TARGET_DIR", root.join("target/spec-check"))
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("the crate does not build with the spec imported into {}", dir.display());
    }
    println!("the crate builds with the imported spec");
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec(responses: Value) -> Value {
        json!({
            "openapi": "3.0.3",
            "info": { "title": "Fixture", "version": "1" },
            "paths": { "/items": { "get": { "operationId": "list_items", "responses": responses } } }
        })
    }

    #[test]
    fn generates_with_the_build_settings() {
        let ok = json!({ "200": { "description": "", "content": { "application/json": { "schema": { "type": "string" } } } } });
        let source = generate("spec/openapi.json", &spec(ok)).unwrap();
        assert!(source.contains("pub fn list_items(&self)"), "builder-style method: {source}");
    }

    #[test]
    fn a_spec_progenitor_asserts_on_is_an_error() {
        // Two success types: progenitor asserts; normalisation exists to prevent this.
        let two_types = json!({
            "200": { "description": "", "content": { "application/json": { "schema": { "type": "string" } } } },
            "201": { "description": "", "content": { "application/json": { "schema": { "type": "integer" } } } }
        });
        let err = generate("spec/openapi.json", &spec(two_types)).unwrap_err().to_string();
        assert!(err.contains("progenitor panicked on spec/openapi.json"), "{err}");
    }

    #[test]
    fn the_manifest_becomes_a_library_workspace_of_its_own() {
        let manifest = r#"[workspace]
members = [
    ".",
    "xtask", # the tasks
]
resolver = "3"

[workspace.package]
edition = "2024"

[package]
name = "kontur-extern"
edition.workspace = true

[dependencies]
serde = { version = "1", features = ["derive"] }

[dev-dependencies]
httpmock = "0.9"

[dev-dependencies.sandbox]
path = "sandbox"

[[bench]]
name = "events"
harness = false

[features]
test-tools = []
"#;
        assert_eq!(
            library_manifest(manifest),
            r#"# Copy of the crate's manifest made by `cargo xtask update-spec --verify`.
[workspace]
resolver = "3"

[workspace.package]
edition = "2024"

[package]
name = "kontur-extern"
edition.workspace = true

[dependencies]
serde = { version = "1", features = ["derive"] }

[features]
test-tools = []
"#
        );
    }

    /// The copy is the crate: a `--verify` that generated its own crate (its own dependency list,
    /// without `src/` and the transport inner type) could pass where the real build fails.
    #[test]
    fn the_copy_is_the_crate_with_the_imported_spec() {
        let root = crate::workspace_root();
        let dir = std::env::temp_dir().join(format!("xtask-verify-copy-{}", std::process::id()));
        let imported = json!({ "openapi": "3.0.3", "info": { "title": "Imported", "version": "1" }, "paths": {} });
        copy_crate(&root, &dir, &[(PathBuf::from("/elsewhere/openapi.json"), &imported)]).unwrap();
        let same =
            |path: &str| assert_eq!(fs::read(root.join(path)).unwrap(), fs::read(dir.join(path)).unwrap(), "{path}");
        for path in ["Cargo.lock", "build.rs", "src/lib.rs", "src/transport/mod.rs", "spec/test-tools.openapi.json"] {
            same(path);
        }
        let root_manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let manifest = fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        for section in ["[package]", "[dependencies]", "[build-dependencies]", "[features]"] {
            let body = |text: &str| text.split(section).nth(1).map(|s| s.split("\n[").next().unwrap().to_owned());
            assert_eq!(body(&manifest), body(&root_manifest), "{section}");
        }
        assert_eq!(crate::spec::read_json(&dir.join("spec/openapi.json")).unwrap(), imported);
        fs::remove_dir_all(&dir).unwrap();
    }
}
