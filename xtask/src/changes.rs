//! What changed between two versions of a spec: operations by method and path, and schemas.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::normalise::is_method;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// `METHOD /path (operationId)` lines.
    pub operations_added: Vec<String>,
    pub operations_removed: Vec<String>,
    pub operations_changed: Vec<String>,
    pub schemas_added: Vec<String>,
    pub schemas_removed: Vec<String>,
    pub schemas_changed: Vec<String>,
}

fn operations(doc: &Value) -> BTreeMap<(String, String), &Value> {
    let mut out = BTreeMap::new();
    for (path, item) in doc.get("paths").and_then(Value::as_object).into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            if is_method(method) {
                out.insert((path.clone(), method.to_uppercase()), op);
            }
        }
    }
    out
}

fn schemas(doc: &Value) -> BTreeMap<String, &Value> {
    doc.pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v))
        .collect()
}

fn label((path, method): &(String, String), op: &Value) -> String {
    match op.get("operationId").and_then(Value::as_str) {
        Some(id) => format!("{method} {path} ({id})"),
        None => format!("{method} {path}"),
    }
}

fn diff<K: Ord + Clone>(
    old: &BTreeMap<K, &Value>,
    new: &BTreeMap<K, &Value>,
    label: impl Fn(&K, &Value) -> String,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let added = new.iter().filter(|(k, _)| !old.contains_key(k)).map(|(k, v)| label(k, v)).collect();
    let removed = old.iter().filter(|(k, _)| !new.contains_key(k)).map(|(k, v)| label(k, v)).collect();
    let changed = new.iter().filter(|(k, v)| old.get(k).is_some_and(|o| o != *v)).map(|(k, v)| label(k, v)).collect();
    (added, removed, changed)
}

/// Compares `old` (the previous spec; `Value::Null` when there was none) with `new`.
pub fn compare(old: &Value, new: &Value) -> Changes {
    let (operations_added, operations_removed, operations_changed) = diff(&operations(old), &operations(new), label);
    let (schemas_added, schemas_removed, schemas_changed) = diff(&schemas(old), &schemas(new), |k, _| k.clone());
    Changes {
        operations_added,
        operations_removed,
        operations_changed,
        schemas_added,
        schemas_removed,
        schemas_changed,
    }
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

impl fmt::Display for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "  no operation or schema changed");
        }
        writeln!(
            f,
            "  operations: {} added, {} removed, {} changed; schemas: {} added, {} removed, {} changed",
            self.operations_added.len(),
            self.operations_removed.len(),
            self.operations_changed.len(),
            self.schemas_added.len(),
            self.schemas_removed.len(),
            self.schemas_changed.len()
        )?;
        let groups = [
            ("+ operation", &self.operations_added),
            ("- operation", &self.operations_removed),
            ("~ operation", &self.operations_changed),
            ("+ schema", &self.schemas_added),
            ("- schema", &self.schemas_removed),
            ("~ schema", &self.schemas_changed),
        ];
        for (sign, items) in groups {
            for item in items {
                writeln!(f, "  {sign} {item}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::spec::read_json;

    fn fixture(name: &str) -> Value {
        read_json(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/changes").join(name)).unwrap()
    }

    #[test]
    fn reports_operations_and_schemas() {
        let changes = compare(&fixture("old.json"), &fixture("new.json"));
        assert_eq!(
            changes,
            Changes {
                operations_added: vec!["POST /v1/{accountId}/drafts (create_draft)".into()],
                operations_removed: vec!["DELETE /v1/{accountId} (delete_account)".into()],
                operations_changed: vec!["GET /v1/{accountId} (get_account)".into()],
                schemas_added: vec!["Draft".into()],
                schemas_removed: vec!["Legacy".into()],
                schemas_changed: vec!["Account".into()],
            }
        );
        let text = changes.to_string();
        assert!(
            text.contains("operations: 1 added, 1 removed, 1 changed; schemas: 1 added, 1 removed, 1 changed"),
            "{text}"
        );
        assert!(text.contains("  + operation POST /v1/{accountId}/drafts (create_draft)\n"), "{text}");
        assert!(text.contains("  - schema Legacy\n"), "{text}");
    }

    #[test]
    fn everything_is_new_without_a_previous_spec() {
        let changes = compare(&Value::Null, &fixture("new.json"));
        assert_eq!(changes.operations_added.len(), 3);
        assert_eq!(changes.schemas_added, ["Account", "Draft"]);
        assert!(changes.operations_removed.is_empty() && changes.operations_changed.is_empty());
    }

    #[test]
    fn the_same_spec_has_no_changes() {
        let changes = compare(&fixture("new.json"), &fixture("new.json"));
        assert!(changes.is_empty());
        assert_eq!(changes.to_string(), "  no operation or schema changed\n");
    }
}
