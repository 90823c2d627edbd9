//! Where imported descriptions come from: files, URLs, or the API's public swagger groups.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// Swagger groups the Extern API publishes (one document each; they merge into one spec).
pub const GROUPS: [&str; 4] = ["extern", "extern.drafts", "extern.docflows", "extern.contents"];

/// Public swagger document of each group. The documentation browses them per group
/// (`developer.kontur.ru/doc/<group>`); the API host serves the JSON in Swashbuckle's
/// `/swagger/<group>/swagger.json` layout.
pub fn default_urls() -> Vec<String> {
    GROUPS.iter().map(|group| format!("https://extern-api.kontur.ru/swagger/{group}/swagger.json")).collect()
}

/// Reads one description from a URL (`http://`, `https://`) or a file path.
pub fn load(source: &str) -> Result<Value> {
    let text = if is_url(source) {
        fetch(source)?
    } else {
        std::fs::read_to_string(Path::new(source)).with_context(|| format!("reading {source}"))?
    };
    serde_json::from_str(&text).with_context(|| format!("{source} is not a JSON document"))
}

fn is_url(source: &str) -> bool {
    source.starts_with("https://") || source.starts_with("http://")
}

fn fetch(url: &str) -> Result<String> {
    let agent: ureq::Agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(60))).build().into();
    let mut response = agent.get(url).call().with_context(|| format!("fetching {url}"))?;
    response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_string()
        .with_context(|| format!("reading the answer of {url}"))
}

/// Loads every source; when none is given, the public swagger groups. An unreachable public
/// group is reported with every URL and a hint, since the import cannot be partial.
pub fn load_all(sources: &[String]) -> Result<Vec<(String, Value)>> {
    if !sources.is_empty() {
        return sources.iter().map(|s| Ok((s.clone(), load(s)?))).collect();
    }
    load_public(&default_urls())
}

fn load_public(urls: &[String]) -> Result<Vec<(String, Value)>> {
    let mut docs = Vec::new();
    let mut failures = Vec::new();
    for url in urls {
        match load(url) {
            Ok(doc) => docs.push((url.clone(), doc)),
            Err(err) => failures.push(format!("  {url}: {err:#}")),
        }
    }
    if !failures.is_empty() {
        bail!(
            "could not read the public swagger of the API:\n{}\n\
             Download the documents some other way and import them with `--from FILE` (repeatable), \
             or pass `--offline` to reassemble spec/openapi.json from spec/ without importing.",
            failures.join("\n")
        );
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_urls_cover_every_group() {
        let urls = default_urls();
        assert_eq!(urls.len(), GROUPS.len());
        assert!(
            urls.iter().all(|u| u.starts_with("https://extern-api.kontur.ru/swagger/") && u.ends_with("/swagger.json"))
        );
        assert!(urls.iter().any(|u| u.contains("/extern.drafts/")));
    }

    #[test]
    fn unreachable_groups_are_named_with_a_hint() {
        // Loopback, a port nothing listens on: the connection is refused at once.
        let urls = vec!["http://127.0.0.1:9/swagger/extern/swagger.json".to_owned()];
        let err = format!("{:#}", load_public(&urls).unwrap_err());
        assert!(err.contains("http://127.0.0.1:9/swagger/extern/swagger.json"), "{err}");
        assert!(err.contains("--from FILE") && err.contains("--offline"), "{err}");
    }

    #[test]
    fn files_load_and_bad_files_fail() {
        let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/changes/old.json");
        assert_eq!(load(fixture).unwrap()["openapi"], "3.0.3");
        assert!(load(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).is_err());
        assert!(load("/nonexistent/swagger.json").is_err());
    }
}
