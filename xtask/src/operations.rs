//! `cargo xtask check-operations FILE.tsv`: every documented API operation is in the spec.
//!
//! The file has a header line and tab-separated `method, path, host, group, purpose` rows.
//! Rows with host `api` are checked: group `test-tools` against `spec/test-tools.openapi.json`,
//! the others against `spec/openapi.json`. Paths match by shape (parameter names ignored).

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde_json::Value;

use crate::normalise::is_method;
use crate::spec::{path_shape, read_json};

/// `(METHOD, shape)` of every operation of a spec.
pub fn operation_shapes(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for (method, _) in item.as_object().into_iter().flatten().filter(|(m, _)| is_method(m)) {
            out.insert((method.to_uppercase(), path_shape(path)));
        }
    }
    out
}

#[derive(Debug, PartialEq, Eq)]
pub struct Row {
    pub method: String,
    pub path: String,
    pub test_tools: bool,
}

/// The `api` rows of the table.
pub fn api_rows(tsv: &str) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    for (index, line) in tsv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split('\t').collect();
        let [method, path, host, group, ..] = cells.as_slice() else {
            bail!("line {}: expected method, path, host, group", index + 1);
        };
        if *host == "api" {
            rows.push(Row {
                method: method.to_uppercase(),
                path: path.to_string(),
                test_tools: *group == "test-tools",
            });
        }
    }
    Ok(rows)
}

/// Rows missing from the specs.
pub fn missing<'a>(rows: &'a [Row], api: &Value, test_tools: &Value) -> Vec<&'a Row> {
    let api = operation_shapes(api);
    let test_tools = operation_shapes(test_tools);
    rows.iter()
        .filter(|row| {
            let spec = if row.test_tools { &test_tools } else { &api };
            !spec.contains(&(row.method.clone(), path_shape(&row.path)))
        })
        .collect()
}

pub fn check_operations(args: &[String]) -> Result<ExitCode> {
    let [file] = args else { bail!("usage: cargo xtask check-operations FILE.tsv") };
    let tsv = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
    let rows = api_rows(&tsv)?;
    let spec_dir = crate::workspace_root().join("spec");
    let load = |name: &str| -> Result<Value> {
        let path = spec_dir.join(name);
        if path.exists() { read_json(&path) } else { Ok(Value::Null) }
    };
    let missing = missing(&rows, &load("openapi.json")?, &load("test-tools.openapi.json")?);
    for row in &missing {
        let spec = if row.test_tools { "test-tools.openapi.json" } else { "openapi.json" };
        println!("missing from spec/{spec}: {} {}", row.method, row.path);
    }
    println!("{} of {} documented API operations are in the spec", rows.len() - missing.len(), rows.len());
    Ok(if missing.is_empty() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const TABLE: &str = "method\tpath\thost\tgroup\tpurpose\n\
        GET\t/v1/{accountId}/drafts/{draftId}\tapi\tdrafts\tGet draft\n\
        POST\t/v1/{accountId}/drafts\tapi\tdrafts\tCreate draft\n\
        POST\t/connect/token\tidentity\tidentity\tToken\n\
        GET\t/test-tools/v1/code\tapi\ttest-tools\tCode\n";

    #[test]
    fn reads_api_rows_only() {
        let rows = api_rows(TABLE).unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2], Row { method: "GET".into(), path: "/test-tools/v1/code".into(), test_tools: true });
    }

    #[test]
    fn matches_by_method_and_shape() {
        let rows = api_rows(TABLE).unwrap();
        let api = json!({ "paths": {
            "/v1/{id}/drafts/{draftId}": { "get": {}, "parameters": [] },
            "/v1/{accountId}/drafts": { "get": {} }
        } });
        let test_tools = json!({ "paths": { "/test-tools/v1/code": { "get": {} } } });
        let missing: Vec<String> =
            missing(&rows, &api, &test_tools).iter().map(|r| format!("{} {}", r.method, r.path)).collect();
        assert_eq!(missing, ["POST /v1/{accountId}/drafts"]);
    }

    #[test]
    fn test_tools_rows_need_the_test_tools_spec() {
        let rows = api_rows(TABLE).unwrap();
        let api = json!({ "paths": { "/test-tools/v1/code": { "get": {} } } });
        let missing = missing(&rows, &api, &Value::Null);
        assert!(missing.iter().any(|r| r.path == "/test-tools/v1/code"));
    }
}
