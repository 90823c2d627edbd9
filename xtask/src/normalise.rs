//! Rewrites that make a description acceptable to progenitor and tolerant of API growth.

use serde_json::{Value, json};

/// Applies every rule in place.
pub fn normalise(doc: &mut Value) {
    open_enums(doc);
    add_default_error(doc);
}

/// Closed string enums would reject new values: keep them as plain strings, listing the known values.
fn open_enums(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.remove("enum") {
                let known: Vec<String> = values.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect();
                let line = format!("Known values: {}.", known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "));
                let description = match map.get("description").and_then(Value::as_str) {
                    Some(d) => format!("{d} {line}"),
                    None => line,
                };
                map.insert("description".into(), Value::String(description));
                map.insert("x-known-values".into(), json!(known));
            }
            for child in map.values_mut() {
                open_enums(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(open_enums),
        _ => {}
    }
}

/// Every operation answers errors with the one `ApiError` body.
fn add_default_error(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for item in paths.values_mut().filter_map(Value::as_object_mut) {
        for (method, op) in item.iter_mut() {
            if !is_method(method) {
                continue;
            }
            if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
                // Ranges, not `default`: progenitor counts `default` as a success type too.
                for range in ["4XX", "5XX"] {
                    responses.entry(range).or_insert_with(|| json!({
                        "description": "Error answer.",
                        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ApiError" } } }
                    }));
                }
            }
        }
    }
}

pub fn is_method(key: &str) -> bool {
    matches!(key, "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace")
}
