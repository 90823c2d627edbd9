//! What changed between two versions of a spec: operations by method and path, and schemas.
//!
//! Operation ids and schema names are public names of the generated client (methods and types),
//! so an operation or schema that goes, and an operation whose id changes, is a breaking change.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use crate::normalise::is_method;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// `METHOD /path (operationId)` lines.
    pub operations_added: Vec<String>,
    pub operations_removed: Vec<String>,
    /// `METHOD /path: old_id → new_id` lines.
    pub operations_renamed: Vec<String>,
    /// Operations that differ in anything but their id.
    pub operations_changed: Vec<String>,
    pub schemas_added: Vec<String>,
    pub schemas_removed: Vec<String>,
    pub schemas_changed: Vec<String>,
}

type Route = (String, String);

fn operations(doc: &Value) -> BTreeMap<Route, &Value> {
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

fn operation_id(op: &Value) -> Option<&str> {
    op.get("operationId").and_then(Value::as_str)
}

fn label((path, method): &Route, op: &Value) -> String {
    match operation_id(op) {
        Some(id) => format!("{method} {path} ({id})"),
        None => format!("{method} {path}"),
    }
}

/// An operation without its id, to tell a rename from a change.
fn without_id(op: &Value) -> Value {
    let mut op = op.clone();
    if let Some(map) = op.as_object_mut() {
        map.remove("operationId");
    }
    op
}

/// Compares `old` (the previous spec; `Value::Null` when there was none) with `new`.
pub fn compare(old: &Value, new: &Value) -> Changes {
    let (old_ops, new_ops) = (operations(old), operations(new));
    let mut changes = Changes::default();
    for (route, op) in &new_ops {
        match old_ops.get(route) {
            None => changes.operations_added.push(label(route, op)),
            Some(before) => {
                let (was, is) = (operation_id(before), operation_id(op));
                if was != is {
                    let (path, method) = route;
                    let name = |id: Option<&str>| id.unwrap_or("no id").to_owned();
                    changes.operations_renamed.push(format!("{method} {path}: {} → {}", name(was), name(is)));
                }
                if without_id(before) != without_id(op) {
                    changes.operations_changed.push(label(route, op));
                }
            }
        }
    }
    changes.operations_removed =
        old_ops.iter().filter(|(route, _)| !new_ops.contains_key(*route)).map(|(r, op)| label(r, op)).collect();
    let (old_schemas, new_schemas) = (schemas(old), schemas(new));
    for (name, schema) in &new_schemas {
        match old_schemas.get(name) {
            None => changes.schemas_added.push(name.clone()),
            Some(before) if before != schema => changes.schemas_changed.push(name.clone()),
            Some(_) => {}
        }
    }
    changes.schemas_removed = old_schemas.keys().filter(|name| !new_schemas.contains_key(*name)).cloned().collect();
    changes
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }

    /// Changes that break code using the generated client: names that go or change.
    pub fn breaking(&self) -> Vec<String> {
        let mut out = Vec::new();
        out.extend(self.operations_removed.iter().map(|op| format!("- operation {op}")));
        out.extend(self.operations_renamed.iter().map(|op| format!("~ operation renamed {op}")));
        out.extend(self.schemas_removed.iter().map(|schema| format!("- schema {schema}")));
        out
    }
}

impl fmt::Display for Changes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(f, "  no operation or schema changed");
        }
        writeln!(
            f,
            "  operations: {} added, {} removed, {} renamed, {} changed; schemas: {} added, {} removed, {} changed",
            self.operations_added.len(),
            self.operations_removed.len(),
            self.operations_renamed.len(),
            self.operations_changed.len(),
            self.schemas_added.len(),
            self.schemas_removed.len(),
            self.schemas_changed.len()
        )?;
        let breaking = self.breaking();
        if !breaking.is_empty() {
            writeln!(f, "  BREAKING: {} (code calling these names stops compiling):", breaking.len())?;
            for item in &breaking {
                writeln!(f, "  ! {item}")?;
            }
        }
        let groups = [
            ("+ operation", &self.operations_added),
            ("~ operation", &self.operations_changed),
            ("+ schema", &self.schemas_added),
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
                operations_renamed: vec![
                    "GET /v1/{accountId}/certificates: accounts_get_certificates → get_v1_account_id_certificates"
                        .into()
                ],
                operations_changed: vec!["GET /v1/{accountId} (get_account)".into()],
                schemas_added: vec!["Draft".into()],
                schemas_removed: vec!["Legacy".into()],
                schemas_changed: vec!["Account".into()],
            }
        );
        let text = changes.to_string();
        assert!(
            text.contains(
                "operations: 1 added, 1 removed, 1 renamed, 1 changed; schemas: 1 added, 1 removed, 1 changed"
            ),
            "{text}"
        );
        assert!(text.contains("  + operation POST /v1/{accountId}/drafts (create_draft)\n"), "{text}");
        assert!(
            !text.contains("~ operation GET /v1/{accountId}/certificates"),
            "a rename alone is no other change: {text}"
        );
    }

    #[test]
    fn renames_and_removals_are_breaking() {
        let text = compare(&fixture("old.json"), &fixture("new.json")).to_string();
        let breaking = "  BREAKING: 3 (code calling these names stops compiling):\n\
                        \x20 ! - operation DELETE /v1/{accountId} (delete_account)\n\
                        \x20 ! ~ operation renamed GET /v1/{accountId}/certificates: accounts_get_certificates → get_v1_account_id_certificates\n\
                        \x20 ! - schema Legacy\n";
        assert!(text.contains(breaking), "{text}");
        assert!(compare(&fixture("new.json"), &fixture("old.json")).breaking().contains(&"- schema Draft".to_owned()));
        assert!(compare(&Value::Null, &fixture("new.json")).breaking().is_empty(), "additions break nothing");
    }

    #[test]
    fn everything_is_new_without_a_previous_spec() {
        let changes = compare(&Value::Null, &fixture("new.json"));
        assert_eq!(changes.operations_added.len(), 4);
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
