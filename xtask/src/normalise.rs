//! Rewrites that make a description acceptable to progenitor 0.15 and tolerant of API growth.
//!
//! Each rule is one function and idempotent: imports are normalised once when stored as
//! `spec/upstream.json` and again after the project's parts are laid over them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde_json::{Map, Value, json};

const SCHEMA_PREFIX: &str = "#/components/schemas/";
const API_ERROR_REF: &str = "#/components/schemas/ApiError";

/// Applies every rule in place.
pub fn normalise(doc: &mut Value) {
    sanitise_schema_names(doc);
    keep_unknown_fields(doc);
    open_enums(doc);
    operation_ids(doc);
    fix_parameters(doc);
    single_request_media_type(doc);
    single_response_media_type(doc);
    collapse_success_responses(doc);
    collapse_error_responses(doc);
    add_default_error(doc);
}

pub fn is_method(key: &str) -> bool {
    matches!(key, "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace")
}

/// Calls `f(path, method, operation)` for every operation, in document order.
pub fn for_each_operation(doc: &mut Value, mut f: impl FnMut(&str, &str, &mut Map<String, Value>)) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            if let (true, Some(op)) = (is_method(method), op.as_object_mut()) {
                f(path, method, op);
            }
        }
    }
}

/// Calls `f` on every string under a `$ref` key.
fn for_each_ref(value: &mut Value, f: &mut impl FnMut(&mut String)) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                f(reference);
            }
            map.values_mut().for_each(|v| for_each_ref(v, f));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| for_each_ref(v, f)),
        _ => {}
    }
}

/// A schema name usable as a Rust type name: `UsnServiceContractInfo[Object]` → `UsnServiceContractInfoObject`.
fn type_name(name: &str) -> String {
    let mut out = String::new();
    for piece in name.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).filter(|p| !p.is_empty()) {
        let mut chars = piece.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Schema");
    }
    out
}

fn needs_new_name(name: &str) -> bool {
    name.is_empty()
        || name.starts_with(|c: char| c.is_ascii_digit())
        || name.chars().any(|c| !(c.is_ascii_alphanumeric() || c == '_'))
}

/// Decodes a JSON pointer token as written in a `$ref` (percent-encoding and `~1`/`~0`).
fn pointer_token(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(byte) =
                std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            decoded.push(byte);
            i += 3;
            continue;
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&decoded).replace("~1", "/").replace("~0", "~")
}

/// Schema names that are not Rust identifiers (Swashbuckle generics such as
/// `UsnServiceContractInfo[Object]`) get one, and every `$ref` follows.
fn sanitise_schema_names(doc: &mut Value) {
    let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) else { return };
    let mut taken: HashSet<String> = schemas.keys().filter(|k| !needs_new_name(k)).cloned().collect();
    let mut renames = HashMap::new();
    for name in schemas.keys().filter(|k| needs_new_name(k)) {
        let base = type_name(name);
        let mut candidate = base.clone();
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = format!("{base}{n}");
            n += 1;
        }
        taken.insert(candidate.clone());
        renames.insert(name.clone(), candidate);
    }
    if renames.is_empty() {
        return;
    }
    let renamed: Map<String, Value> =
        std::mem::take(schemas).into_iter().map(|(k, v)| (renames.get(&k).cloned().unwrap_or(k), v)).collect();
    *schemas = renamed;
    for_each_ref(doc, &mut |reference| {
        if let Some(name) = reference.strip_prefix(SCHEMA_PREFIX).map(pointer_token)
            && let Some(new) = renames.get(&name)
        {
            *reference = format!("{SCHEMA_PREFIX}{new}");
        }
    });
}

/// `additionalProperties: false` would make decoding reject fields the API adds later, so it goes
/// everywhere. Every object also gets `additionalProperties: {}`, so typify keeps the fields it does
/// not know in an `extra` map: an answer keeps them, and a read-modify-write sends them back.
/// (`build.rs` gives builders an empty `extra` by default, so request bodies stay easy to write.)
fn keep_unknown_fields(doc: &mut Value) {
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        for schema in schemas.values_mut() {
            open_schema(schema, true);
        }
    }
    for section in ["/paths", "/components/parameters", "/components/requestBodies", "/components/responses"] {
        if let Some(value) = doc.pointer_mut(section) {
            open_schemas_under(value);
        }
    }
}

/// Every `schema` found under a paths-like section.
fn open_schemas_under(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "schema" {
                    open_schema(child, true);
                } else {
                    open_schemas_under(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(open_schemas_under),
        _ => {}
    }
}

/// Walks one schema by its structure, so a property that happens to be named `properties` or
/// `type` is never mistaken for a keyword.
fn open_schema(schema: &mut Value, keep_unknown: bool) {
    let Some(map) = schema.as_object_mut() else { return };
    if map.contains_key("$ref") {
        return;
    }
    if map.get("additionalProperties") == Some(&Value::Bool(false)) {
        map.remove("additionalProperties");
    }
    if let Some(properties) = map.get_mut("properties").and_then(Value::as_object_mut) {
        properties.values_mut().for_each(|property| open_schema(property, keep_unknown));
        if keep_unknown && !map.contains_key("additionalProperties") {
            map.insert("additionalProperties".into(), json!({}));
        }
    }
    if let Some(extra) = map.get_mut("additionalProperties") {
        open_schema(extra, keep_unknown);
    }
    if let Some(items) = map.get_mut("items") {
        open_schema(items, keep_unknown);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        if let Some(Value::Array(variants)) = map.get_mut(key) {
            variants.iter_mut().for_each(|variant| open_schema(variant, keep_unknown));
        }
    }
}

/// Closed string enums would reject new values: keep them as plain strings, listing the known values.
fn open_enums(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.remove("enum") {
                let known: Vec<String> =
                    values.iter().map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned)).collect();
                let line =
                    format!("Known values: {}.", known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "));
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

/// `Accounts_GetAllAsync` → `accounts_get_all`.
pub fn snake_case(input: &str) -> String {
    let input = input.strip_suffix("Async").filter(|rest| !rest.is_empty()).unwrap_or(input);
    let chars: Vec<char> = input.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary =
                prev.is_ascii_lowercase() || prev.is_ascii_digit() || (prev.is_ascii_uppercase() && next_lower);
            if boundary && !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.starts_with(|c: char| c.is_ascii_digit()) { format!("op_{out}") } else { out }
}

/// Every operation gets a unique snake_case id (progenitor needs one per operation):
/// missing ones are derived from method and path, repeated ones get a number.
fn operation_ids(doc: &mut Value) {
    let mut seen = HashSet::new();
    for_each_operation(doc, |path, method, op| {
        let written = op.get("operationId").and_then(Value::as_str).map(snake_case).filter(|id| !id.is_empty());
        let base = written.unwrap_or_else(|| snake_case(&format!("{method} {}", path.replace(['{', '}'], ""))));
        let mut id = base.clone();
        let mut n = 2;
        while !seen.insert(id.clone()) {
            id = format!("{base}_{n}");
            n += 1;
        }
        op.insert("operationId".into(), Value::String(id));
    });
}

/// Parameters in the forms progenitor supports: required simple path parameters, `form` query
/// parameters, `simple` headers, a `schema` rather than `content`; cookie parameters are dropped.
fn fix_parameters(doc: &mut Value) {
    let cookie_refs: HashSet<String> = doc
        .pointer("/components/parameters")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, p)| p.get("in").and_then(Value::as_str) == Some("cookie"))
        .map(|(name, _)| format!("#/components/parameters/{name}"))
        .collect();
    let fix_list = |list: &mut Value| {
        let Some(items) = list.as_array_mut() else { return };
        items.retain(|p| {
            p.get("in").and_then(Value::as_str) != Some("cookie")
                && !p.get("$ref").and_then(Value::as_str).is_some_and(|r| cookie_refs.contains(r))
        });
        items.iter_mut().for_each(fix_parameter);
    };
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for (key, value) in item.iter_mut() {
                if key == "parameters" {
                    fix_list(value);
                } else if is_method(key)
                    && let Some(list) = value.get_mut("parameters")
                {
                    fix_list(list);
                }
            }
        }
    }
    if let Some(params) = doc.pointer_mut("/components/parameters").and_then(Value::as_object_mut) {
        params.values_mut().for_each(fix_parameter);
    }
}

fn fix_parameter(p: &mut Value) {
    let Some(map) = p.as_object_mut() else { return };
    if map.contains_key("$ref") {
        return;
    }
    if !map.contains_key("schema") {
        let schema = map
            .remove("content")
            .and_then(|c| c.as_object().and_then(|c| c.values().next().cloned()))
            .and_then(|media| media.get("schema").cloned())
            .unwrap_or_else(|| json!({ "type": "string" }));
        map.insert("schema".into(), schema);
    }
    let style = match map.get("in").and_then(Value::as_str) {
        Some("path") => {
            map.insert("required".into(), json!(true));
            "simple"
        }
        Some("query") => "form",
        Some("header") => "simple",
        _ => return,
    };
    if map.get("style").is_some_and(|s| s != style) {
        map.insert("style".into(), json!(style));
    }
}

fn is_json_like(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence.ends_with("/json") || essence.ends_with("+json")
}

fn is_exact(media_type: &str, wanted: &str) -> bool {
    media_type.split(';').next().unwrap_or("").trim() == wanted
}

/// One media type per request body, of a kind progenitor sends: JSON first (Swashbuckle lists
/// `application/json-patch+json`, `text/json`, ...), then form, octet-stream, plain text.
/// Anything else (multipart, XML) becomes a raw octet-stream body; the original media type is
/// kept in `x-original-media-type` for the hand-written layer.
fn single_request_media_type(doc: &mut Value) {
    let mut bodies: Vec<&mut Value> = Vec::new();
    for (key, value) in doc.as_object_mut().into_iter().flatten() {
        match key.as_str() {
            "paths" => {
                for item in value.as_object_mut().into_iter().flatten().filter_map(|(_, i)| i.as_object_mut()) {
                    for (key, op) in item.iter_mut() {
                        if is_method(key)
                            && let Some(body) = op.get_mut("requestBody")
                        {
                            bodies.push(body);
                        }
                    }
                }
            }
            "components" => {
                if let Some(shared) = value.get_mut("requestBodies").and_then(Value::as_object_mut) {
                    bodies.extend(shared.values_mut());
                }
            }
            _ => {}
        }
    }
    for body in bodies {
        let Some(content) = body.get_mut("content").and_then(Value::as_object_mut) else { continue };
        if content.is_empty() {
            continue;
        }
        let pick = |f: &dyn Fn(&str) -> bool| content.keys().find(|k| f(k)).cloned();
        let (key, kind) = if let Some(k) = pick(&|k| is_exact(k, "application/json")) {
            (k, "application/json")
        } else if let Some(k) = pick(&is_json_like) {
            (k, "application/json")
        } else if let Some(k) = pick(&|k| is_exact(k, "application/x-www-form-urlencoded")) {
            (k, "application/x-www-form-urlencoded")
        } else if let Some(k) = pick(&|k| is_exact(k, "application/octet-stream")) {
            (k, "application/octet-stream")
        } else if let Some(k) = pick(&|k| is_exact(k, "text/plain")) {
            (k, "text/plain")
        } else {
            (content.keys().next().cloned().unwrap_or_default(), "other")
        };
        let mut media = content.get(&key).cloned().unwrap_or_else(|| json!({}));
        if let Some(m) = media.as_object_mut() {
            m.remove("encoding");
        }
        let (media_type, schema) = match kind {
            "application/octet-stream" | "other" => {
                ("application/octet-stream", Some(json!({ "type": "string", "format": "binary" })))
            }
            "text/plain" => ("text/plain", Some(json!({ "type": "string" }))),
            json_or_form => (json_or_form, media.get("schema").is_none().then(|| json!({}))),
        };
        if let Some(schema) = schema {
            media["schema"] = schema;
        }
        *content = Map::from_iter([(media_type.to_owned(), media)]);
        if kind == "other" {
            body["x-original-media-type"] = json!(key);
        }
    }
}

/// One media type per response: JSON when offered (Swashbuckle adds `text/json`), else the first.
/// A JSON answer without a schema gets an open one (progenitor needs a schema there).
fn single_response_media_type(doc: &mut Value) {
    let mut responses: Vec<&mut Value> = Vec::new();
    for (key, value) in doc.as_object_mut().into_iter().flatten() {
        match key.as_str() {
            "paths" => {
                for item in value.as_object_mut().into_iter().flatten().filter_map(|(_, i)| i.as_object_mut()) {
                    for (key, op) in item.iter_mut() {
                        if is_method(key)
                            && let Some(rs) = op.get_mut("responses").and_then(Value::as_object_mut)
                        {
                            responses.extend(rs.values_mut());
                        }
                    }
                }
            }
            "components" => {
                if let Some(shared) = value.get_mut("responses").and_then(Value::as_object_mut) {
                    responses.extend(shared.values_mut());
                }
            }
            _ => {}
        }
    }
    for response in responses {
        let Some(content) = response.get_mut("content").and_then(Value::as_object_mut) else { continue };
        let Some(key) = content
            .keys()
            .find(|k| is_exact(k, "application/json"))
            .or_else(|| content.keys().find(|k| is_json_like(k)))
            .or_else(|| content.keys().next())
            .cloned()
        else {
            continue;
        };
        let mut media = content.get(&key).cloned().unwrap_or_else(|| json!({}));
        if let Some(m) = media.as_object_mut() {
            m.remove("encoding");
        }
        let media_type = if is_json_like(&key) {
            if media.get("schema").is_none() {
                media["schema"] = json!({});
            }
            "application/json".to_owned()
        } else {
            key
        };
        *content = Map::from_iter([(media_type, media)]);
    }
}

fn is_success(code: &str) -> bool {
    code.starts_with('2') || code == "default"
}

fn is_error(code: &str) -> bool {
    code.starts_with('4') || code.starts_with('5')
}

/// The response a `$ref` points to, or the response itself.
fn resolve_response<'a>(response: &'a Value, shared: Option<&'a Map<String, Value>>) -> &'a Value {
    response
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/responses/"))
        .and_then(|name| shared?.get(name))
        .unwrap_or(response)
}

/// How progenitor sees an answer: `None` (no body), `Raw` (not JSON) or a JSON schema.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    None,
    Raw,
    Typed(String),
}

fn kind(response: &Value) -> Kind {
    match response.get("content").and_then(Value::as_object) {
        None => Kind::None,
        Some(c) if c.is_empty() => Kind::None,
        Some(c) => match c.get("application/json") {
            Some(media) => Kind::Typed(media.get("schema").map(Value::to_string).unwrap_or_default()),
            None => Kind::Raw,
        },
    }
}

/// How much a success answer says: a named type beats an inline one, which beats a bare object.
fn rank(response: &Value) -> u8 {
    let Some(schema) = response.pointer("/content/application~1json/schema") else {
        return if kind(response) == Kind::Raw { 1 } else { 0 };
    };
    let trivial = schema.as_object().is_none_or(|s| s.keys().all(|k| matches!(k.as_str(), "type" | "description")));
    if schema.get("$ref").is_some() {
        4
    } else if trivial {
        2
    } else {
        3
    }
}

/// progenitor asserts that all success answers of an operation have one type, and counts
/// `default` as success. So `default` goes where typed successes exist (errors are covered by
/// `4XX`/`5XX`), bodiless successes beside a body go (their codes are kept in
/// `x-untyped-success-codes`), and other successes take the most specific body.
fn collapse_success_responses(doc: &mut Value) {
    let shared = doc.pointer("/components/responses").and_then(Value::as_object).cloned();
    for_each_operation(doc, |_, _, op| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { return };
        if responses.contains_key("default") && responses.keys().any(|c| c.starts_with('2')) {
            responses.remove("default");
        }
        let codes: Vec<String> = responses.keys().filter(|c| is_success(c)).cloned().collect();
        let resolved: BTreeMap<String, Value> =
            codes.iter().map(|c| (c.clone(), resolve_response(&responses[c], shared.as_ref()).clone())).collect();
        let kinds: BTreeSet<Kind> = resolved.values().map(kind).collect();
        if kinds.len() <= 1 {
            return;
        }
        let Some(winner) = codes.iter().max_by_key(|c| (rank(&resolved[*c]), std::cmp::Reverse(c.as_str()))).cloned()
        else {
            return;
        };
        let content = resolved[&winner].get("content").cloned();
        let mut untyped = Vec::new();
        for code in codes.iter().filter(|c| **c != winner) {
            if kind(&resolved[code]) == Kind::None {
                responses.remove(code);
                untyped.push(json!(code));
            } else {
                let mut replacement = resolved[code].clone();
                if let Some(content) = &content {
                    replacement["content"] = content.clone();
                }
                responses.insert(code.clone(), replacement);
            }
        }
        if !untyped.is_empty() {
            op.insert("x-untyped-success-codes".into(), Value::Array(untyped));
        }
    });
}

fn is_api_error(response: &Value) -> bool {
    let Some(content) = response.get("content").and_then(Value::as_object) else { return false };
    content.len() == 1
        && content.get("application/json").and_then(|m| m.pointer("/schema/$ref")) == Some(&json!(API_ERROR_REF))
}

/// progenitor asserts one error type per operation: error answers other than `ApiError` are
/// dropped for the `4XX`/`5XX` ranges; a schema they named is kept in `x-error-schemas`.
fn collapse_error_responses(doc: &mut Value) {
    let shared = doc.pointer("/components/responses").and_then(Value::as_object).cloned();
    for_each_operation(doc, |_, _, op| {
        let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else { return };
        let mut dropped = Map::new();
        let codes: Vec<String> = responses.keys().filter(|c| is_error(c)).cloned().collect();
        for code in codes {
            let response = resolve_response(&responses[&code], shared.as_ref()).clone();
            if is_api_error(&response) {
                continue;
            }
            responses.remove(&code);
            if let Some(schema) = response.pointer("/content/application~1json/schema") {
                dropped.insert(code, schema.clone());
            }
        }
        if !dropped.is_empty() {
            let entry = op.entry("x-error-schemas").or_insert_with(|| json!({}));
            if let Some(map) = entry.as_object_mut() {
                map.extend(dropped);
            }
        }
    });
}

/// Every operation answers errors with the one `ApiError` body. An import without the
/// project's `base.json` gets a minimal `ApiError`, which `base.json` completes.
fn add_default_error(doc: &mut Value) {
    let mut any = false;
    for_each_operation(doc, |_, _, op| {
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            any = true;
            // Ranges, not `default`: progenitor counts `default` as a success type too.
            for range in ["4XX", "5XX"] {
                responses.entry(range).or_insert_with(|| {
                    json!({
                        "description": "Error answer.",
                        "content": { "application/json": { "schema": { "$ref": API_ERROR_REF } } }
                    })
                });
            }
        }
    });
    if any && doc.pointer("/components/schemas/ApiError").is_none() {
        let Some(root) = doc.as_object_mut() else { return };
        let components = root.entry("components").or_insert_with(|| json!({}));
        let Some(components) = components.as_object_mut() else { return };
        let schemas = components.entry("schemas").or_insert_with(|| json!({}));
        if let Some(schemas) = schemas.as_object_mut() {
            schemas.insert("ApiError".into(), json!({ "type": "object", "description": "Error answer of the API." }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
        &doc["paths"][path][method]
    }

    #[test]
    fn schema_names_become_type_names_and_refs_follow() {
        let mut doc = json!({
            "paths": { "/a": { "get": { "responses": { "200": { "description": "", "content": { "application/json": {
                "schema": { "$ref": "#/components/schemas/Wrapper[Inner]" } } } } } } } },
            "components": { "schemas": {
                "Wrapper[Inner]": { "type": "object", "properties": { "x": { "$ref": "#/components/schemas/Wrapper%5BOther%5D" } } },
                "Wrapper[Other]": { "type": "object" },
                "WrapperInner": { "type": "string" },
                "Plain_Name": { "type": "string" }
            } }
        });
        sanitise_schema_names(&mut doc);
        let names: Vec<&String> = doc["components"]["schemas"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["WrapperInner2", "WrapperOther", "WrapperInner", "Plain_Name"]);
        assert_eq!(
            op(&doc, "/a", "get")["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/WrapperInner2"
        );
        assert_eq!(
            doc["components"]["schemas"]["WrapperInner2"]["properties"]["x"]["$ref"],
            "#/components/schemas/WrapperOther"
        );
    }

    #[test]
    fn every_object_keeps_unknown_fields_and_nothing_stays_closed() {
        let mut doc = json!({
            "components": { "schemas": {
                "A": { "type": "object", "additionalProperties": false, "properties": {
                    "m": { "type": "object", "additionalProperties": { "type": "string" } },
                    "properties": { "type": "object", "properties": { "type": { "type": "string" } } },
                    "list": { "type": "array", "items": { "type": "object", "properties": { "x": { "type": "integer" } } } },
                    "r": { "$ref": "#/components/schemas/B" }
                } },
                "B": { "type": "object", "additionalProperties": false },
                "Sent": { "type": "object", "additionalProperties": false, "properties": { "inner": { "$ref": "#/components/schemas/SentInner" } } },
                "SentInner": { "type": "object", "properties": { "z": { "type": "string" } } }
            } },
            "paths": { "/a": { "post": {
                "requestBody": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Sent" } } } },
                "parameters": [{ "name": "q", "in": "query", "schema": { "type": "object", "properties": { "p": { "type": "string" } } } }],
                "responses": { "200": { "content": { "application/json": { "schema": {
                    "type": "object", "properties": { "y": { "type": "string" } }
                } } } } }
            } } }
        });
        keep_unknown_fields(&mut doc);
        let a = &doc["components"]["schemas"]["A"];
        assert_eq!(a["additionalProperties"], json!({}), "closed becomes open");
        assert_eq!(a["properties"]["m"]["additionalProperties"], json!({ "type": "string" }), "a typed map stays");
        assert_eq!(a["properties"]["properties"]["additionalProperties"], json!({}), "a property named `properties` is a schema");
        assert!(a["properties"]["properties"]["properties"].get("additionalProperties").is_none(), "property names are not keywords");
        assert_eq!(a["properties"]["list"]["items"]["additionalProperties"], json!({}));
        assert_eq!(a["properties"]["r"], json!({ "$ref": "#/components/schemas/B" }), "references are left alone");
        assert_eq!(doc["components"]["schemas"]["B"], json!({ "type": "object" }), "no properties: just not closed");
        let inline = &doc["paths"]["/a"]["post"]["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(inline["additionalProperties"], json!({}), "inline answer schemas keep unknown fields");
        for sent in ["Sent", "SentInner"] {
            assert_eq!(
                doc["components"]["schemas"][sent]["additionalProperties"],
                json!({}),
                "{sent} is sent in a request body, directly or nested: it sends back what it read"
            );
        }
        let parameter = &doc["paths"]["/a"]["post"]["parameters"][0]["schema"];
        assert_eq!(parameter["additionalProperties"], json!({}), "inline schemas elsewhere keep them too");
    }

    #[test]
    fn closed_enums_become_known_values() {
        let mut doc = json!({ "components": { "schemas": { "State": { "type": "string", "description": "State.", "enum": ["a", "b"] } } } });
        open_enums(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["State"],
            json!({ "type": "string", "description": "State. Known values: `a`, `b`.", "x-known-values": ["a", "b"] })
        );
    }

    #[test]
    fn snake_case_handles_swashbuckle_ids() {
        assert_eq!(snake_case("Accounts_GetAll"), "accounts_get_all");
        assert_eq!(snake_case("Docflows_GetDocflowsAsync"), "docflows_get_docflows");
        assert_eq!(snake_case("getHTTPStatus"), "get_http_status");
        assert_eq!(snake_case("search_docflows"), "search_docflows");
        assert_eq!(snake_case("get /v1/{accountId}/drafts"), "get_v1_account_id_drafts");
    }

    #[test]
    fn operation_ids_are_derived_and_unique() {
        let mut doc = json!({ "paths": {
            "/v1/{accountId}/items/USN/1": { "post": { "operationId": "Items_Build", "responses": {} } },
            "/v1/{accountId}/items/USN/2": { "post": { "operationId": "Items_Build", "responses": {} } },
            "/v1/{accountId}/items": { "get": { "responses": {} }, "parameters": [] }
        } });
        operation_ids(&mut doc);
        assert_eq!(op(&doc, "/v1/{accountId}/items/USN/1", "post")["operationId"], "items_build");
        assert_eq!(op(&doc, "/v1/{accountId}/items/USN/2", "post")["operationId"], "items_build_2");
        assert_eq!(op(&doc, "/v1/{accountId}/items", "get")["operationId"], "get_v1_account_id_items");
    }

    #[test]
    fn parameters_take_supported_forms() {
        let mut doc = json!({
            "paths": { "/a/{id}": {
                "parameters": [ { "name": "id", "in": "path", "schema": { "type": "string" }, "style": "label" } ],
                "get": { "parameters": [
                    { "name": "filter", "in": "query", "style": "deepObject", "schema": { "type": "object" } },
                    { "name": "session", "in": "cookie", "schema": { "type": "string" } },
                    { "$ref": "#/components/parameters/Tracking" },
                    { "name": "q", "in": "query", "content": { "application/json": { "schema": { "type": "integer" } } } }
                ], "responses": {} }
            } },
            "components": { "parameters": { "Tracking": { "name": "t", "in": "cookie", "schema": { "type": "string" } } } }
        });
        fix_parameters(&mut doc);
        assert_eq!(
            doc["paths"]["/a/{id}"]["parameters"][0],
            json!({ "name": "id", "in": "path", "schema": { "type": "string" }, "style": "simple", "required": true })
        );
        assert_eq!(
            op(&doc, "/a/{id}", "get")["parameters"],
            json!([
                { "name": "filter", "in": "query", "style": "form", "schema": { "type": "object" } },
                { "name": "q", "in": "query", "schema": { "type": "integer" } }
            ])
        );
    }

    #[test]
    fn request_bodies_keep_one_media_type() {
        let mut doc = json!({ "paths": { "/a": {
            "post": { "requestBody": { "content": {
                "application/json-patch+json": { "schema": { "$ref": "#/components/schemas/A" } },
                "application/json": { "schema": { "$ref": "#/components/schemas/A" } },
                "text/json": { "schema": { "$ref": "#/components/schemas/A" } },
                "application/x-www-form-urlencoded": { "schema": { "$ref": "#/components/schemas/A" } }
            } }, "responses": {} },
            "put": { "requestBody": { "content": {
                "text/json": { "schema": { "$ref": "#/components/schemas/A" } }
            } }, "responses": {} },
            "patch": { "requestBody": { "content": {
                "application/octet-stream": { "schema": { "type": "string", "format": "byte" } }
            } }, "responses": {} }
        } } });
        single_request_media_type(&mut doc);
        let json_body = json!({ "application/json": { "schema": { "$ref": "#/components/schemas/A" } } });
        assert_eq!(op(&doc, "/a", "post")["requestBody"]["content"], json_body);
        assert_eq!(op(&doc, "/a", "put")["requestBody"]["content"], json_body);
        assert_eq!(
            op(&doc, "/a", "patch")["requestBody"]["content"],
            json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } })
        );
    }

    #[test]
    fn multipart_bodies_become_raw_bodies() {
        let mut doc = json!({ "paths": { "/upload": { "post": { "requestBody": { "content": {
            "multipart/form-data": {
                "schema": { "type": "object", "properties": { "file": { "type": "string", "format": "binary" } } },
                "encoding": { "file": { "contentType": "application/pdf" } }
            }
        } }, "responses": {} } } } });
        single_request_media_type(&mut doc);
        assert_eq!(
            op(&doc, "/upload", "post")["requestBody"],
            json!({
                "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } },
                "x-original-media-type": "multipart/form-data"
            })
        );
    }

    #[test]
    fn responses_keep_one_media_type() {
        let mut doc = json!({ "paths": { "/a": { "get": { "responses": {
            "200": { "description": "", "content": { "text/json": { "schema": { "type": "string" } }, "application/json": { "schema": { "type": "string" } } } },
            "202": { "description": "", "content": { "text/json": {} } }
        } } } } });
        single_response_media_type(&mut doc);
        let responses = &op(&doc, "/a", "get")["responses"];
        assert_eq!(responses["200"]["content"], json!({ "application/json": { "schema": { "type": "string" } } }));
        assert_eq!(responses["202"]["content"], json!({ "application/json": { "schema": {} } }));
    }

    #[test]
    fn success_responses_collapse_to_one_type() {
        let body =
            |r: &str| json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{r}") } } });
        let mut doc = json!({ "paths": { "/a": {
            "post": { "responses": {
                "200": { "description": "OK", "content": { "application/json": { "schema": { "type": "object" } } } },
                "201": { "description": "Created", "content": body("Account") }
            } },
            "get": { "responses": {
                "200": { "description": "Found", "content": body("Item") },
                "204": { "description": "Nothing yet" },
                "default": { "description": "Anything else", "content": body("Problem") }
            } },
            "put": { "responses": { "200": { "description": "", "content": body("Item") } } }
        } } });
        collapse_success_responses(&mut doc);
        let post = &op(&doc, "/a", "post")["responses"];
        assert_eq!(post["200"], json!({ "description": "OK", "content": body("Account") }));
        assert_eq!(post["201"]["content"], body("Account"));
        let get = op(&doc, "/a", "get");
        assert_eq!(get["responses"], json!({ "200": { "description": "Found", "content": body("Item") } }));
        assert_eq!(get["x-untyped-success-codes"], json!(["204"]));
        assert_eq!(op(&doc, "/a", "put")["responses"]["200"]["content"], body("Item"));
    }

    #[test]
    fn error_responses_collapse_into_api_error() {
        let api_error = json!({ "application/json": { "schema": { "$ref": API_ERROR_REF } } });
        let mut doc = json!({ "paths": { "/a": { "get": { "responses": {
            "200": { "description": "" },
            "400": { "description": "Bad", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/PrepareError" } } } },
            "404": { "description": "Missing" },
            "409": { "description": "Busy", "content": api_error.clone() }
        } } } } });
        collapse_error_responses(&mut doc);
        add_default_error(&mut doc);
        let get = op(&doc, "/a", "get");
        let codes: Vec<&String> = get["responses"].as_object().unwrap().keys().collect();
        assert_eq!(codes, ["200", "409", "4XX", "5XX"]);
        assert_eq!(get["responses"]["4XX"]["content"], api_error);
        assert_eq!(get["x-error-schemas"], json!({ "400": { "$ref": "#/components/schemas/PrepareError" } }));
        assert_eq!(
            doc["components"]["schemas"]["ApiError"]["type"], "object",
            "an import alone gets a minimal ApiError"
        );
    }

    #[test]
    fn every_rule_is_idempotent() {
        let mut doc = json!({ "paths": { "/x/{id}": { "post": {
            "operationId": "X_Post",
            "parameters": [ { "name": "id", "in": "path", "schema": { "type": "string" } } ],
            "requestBody": { "content": { "text/json": { "schema": { "$ref": "#/components/schemas/In[Out]" } } } },
            "responses": {
                "200": { "description": "", "content": { "application/json": { "schema": { "type": "object" } } } },
                "202": { "description": "", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/In[Out]" } } } },
                "500": { "description": "" }
            }
        } } }, "components": { "schemas": { "In[Out]": { "type": "string", "enum": ["a"] } } } });
        normalise(&mut doc);
        let once = doc.clone();
        normalise(&mut doc);
        assert_eq!(doc, once);
    }
}
