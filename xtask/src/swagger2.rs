//! Swagger 2.0 → OpenAPI 3.0.3.
//!
//! Written here rather than taken from a crate: `openapiv3-extended` (feature `v2`, the maintained
//! candidate) mis-converts Swashbuckle output: it gives every GET a required JSON body, wraps a
//! `body` parameter into an object with one property named after the parameter, and ignores
//! `consumes`, so octet-stream uploads turn into JSON.

use serde_json::{Map, Value, json};

use crate::normalise::is_method;

/// True when the document is Swagger 2.0.
pub fn is_swagger2(doc: &Value) -> bool {
    doc.get("swagger").and_then(Value::as_str).is_some_and(|v| v.starts_with("2."))
}

/// Converts a Swagger 2.0 document.
pub fn convert(v2: &Value) -> Value {
    let global_consumes = strings(v2.get("consumes"));
    let global_produces = strings(v2.get("produces"));
    let global_params = v2.get("parameters").and_then(Value::as_object).cloned().unwrap_or_default();

    let mut out = Map::new();
    out.insert("openapi".into(), json!("3.0.3"));
    out.insert("info".into(), v2.get("info").cloned().unwrap_or_else(|| json!({"title": "", "version": ""})));
    out.insert("servers".into(), Value::Array(servers(v2)));
    for key in ["security", "tags", "externalDocs"] {
        if let Some(v) = v2.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    copy_extensions(v2, &mut out);

    let mut paths = Map::new();
    for (path, item) in v2.get("paths").and_then(Value::as_object).into_iter().flatten() {
        let Some(item) = item.as_object() else { continue };
        let path_params: Vec<Value> = item.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
        let mut new_item = Map::new();
        for (key, value) in item {
            if is_method(key) {
                let op = operation(value, &path_params, &global_params, &global_consumes, &global_produces);
                new_item.insert(key.clone(), op);
            } else if key.starts_with("x-") || key == "summary" || key == "description" {
                new_item.insert(key.clone(), value.clone());
            }
        }
        paths.insert(path.clone(), Value::Object(new_item));
    }
    out.insert("paths".into(), Value::Object(paths));

    let mut components = Map::new();
    if let Some(defs) = v2.get("definitions") {
        components.insert("schemas".into(), defs.clone());
    }
    let plain_params: Map<String, Value> = global_params
        .iter()
        .filter(|(_, p)| !matches!(p.get("in").and_then(Value::as_str), Some("body" | "formData")))
        .map(|(name, p)| (name.clone(), parameter(p)))
        .collect();
    if !plain_params.is_empty() {
        components.insert("parameters".into(), Value::Object(plain_params));
    }
    if let Some(responses) = v2.get("responses").and_then(Value::as_object) {
        let converted = responses.iter().map(|(name, r)| (name.clone(), response(r, &global_produces))).collect();
        components.insert("responses".into(), Value::Object(converted));
    }
    if let Some(defs) = v2.get("securityDefinitions").and_then(Value::as_object) {
        let converted = defs.iter().map(|(name, d)| (name.clone(), security_scheme(d))).collect();
        components.insert("securitySchemes".into(), Value::Object(converted));
    }
    out.insert("components".into(), Value::Object(components));

    let mut doc = Value::Object(out);
    rewrite_schemas(&mut doc);
    doc
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default()
}

fn copy_extensions(from: &Value, to: &mut Map<String, Value>) {
    for (key, value) in from.as_object().into_iter().flatten() {
        if key.starts_with("x-") {
            to.insert(key.clone(), value.clone());
        }
    }
}

/// `schemes` × `host` + `basePath`; https first.
fn servers(v2: &Value) -> Vec<Value> {
    let base_path = v2.get("basePath").and_then(Value::as_str).unwrap_or("");
    let Some(host) = v2.get("host").and_then(Value::as_str) else {
        return vec![json!({ "url": if base_path.is_empty() { "/" } else { base_path } })];
    };
    let mut schemes = strings(v2.get("schemes"));
    if schemes.is_empty() {
        schemes.push("https".into());
    }
    schemes.sort_by_key(|s| s != "https");
    schemes.iter().map(|scheme| json!({ "url": format!("{scheme}://{host}{base_path}") })).collect()
}

/// Resolves `#/parameters/NAME` against the global parameters.
fn resolve_param<'a>(param: &'a Value, global: &'a Map<String, Value>) -> &'a Value {
    param
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/parameters/"))
        .and_then(|name| global.get(name))
        .unwrap_or(param)
}

fn operation(
    op: &Value,
    path_params: &[Value],
    global_params: &Map<String, Value>,
    global_consumes: &[String],
    global_produces: &[String],
) -> Value {
    let mut out = Map::new();
    for key in ["tags", "summary", "description", "externalDocs", "operationId", "deprecated", "security"] {
        if let Some(v) = op.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    copy_extensions(op, &mut out);
    let consumes = op.get("consumes").map(|c| strings(Some(c))).unwrap_or_else(|| global_consumes.to_vec());
    let produces = op.get("produces").map(|p| strings(Some(p))).unwrap_or_else(|| global_produces.to_vec());

    // Operation parameters override path-level ones of the same name and place.
    let op_params: Vec<Value> = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let key = |p: &Value| (p.get("name").cloned(), p.get("in").cloned());
    // (resolved, as written): references to global parameters stay references.
    let mut all: Vec<(&Value, &Value)> = Vec::new();
    for p in path_params {
        let resolved = resolve_param(p, global_params);
        if !op_params.iter().any(|o| key(resolve_param(o, global_params)) == key(resolved)) {
            all.push((resolved, p));
        }
    }
    all.extend(op_params.iter().map(|p| (resolve_param(p, global_params), p)));

    let mut parameters = Vec::new();
    let mut body = None;
    let mut form = Vec::new();
    for (resolved, written) in all {
        match resolved.get("in").and_then(Value::as_str) {
            Some("body") => body = Some(resolved),
            Some("formData") => form.push(resolved),
            _ if written.get("$ref").is_some() => parameters.push(written.clone()),
            _ => parameters.push(parameter(resolved)),
        }
    }
    if !parameters.is_empty() {
        out.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = body {
        out.insert("requestBody".into(), body_request(body, &consumes));
    } else if !form.is_empty() {
        out.insert("requestBody".into(), form_request(&form, &consumes));
    }

    let responses = op
        .get("responses")
        .and_then(Value::as_object)
        .map(|rs| rs.iter().map(|(code, r)| (code.clone(), response(r, &produces))).collect())
        .unwrap_or_default();
    out.insert("responses".into(), Value::Object(responses));
    Value::Object(out)
}

/// Keys that describe a value in Swagger 2 parameters and headers and move into `schema` in 3.0.
const SCHEMA_KEYS: [&str; 16] = [
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
];

fn value_schema(p: &Value) -> Value {
    let mut schema = Map::new();
    for key in SCHEMA_KEYS {
        if let Some(v) = p.get(key) {
            schema.insert(key.into(), v.clone());
        }
    }
    if let Some(items) = schema.get_mut("items") {
        *items = value_schema(items);
    }
    if p.get("x-nullable").and_then(Value::as_bool) == Some(true) {
        schema.insert("nullable".into(), json!(true));
    }
    Value::Object(schema)
}

/// A non-body parameter.
fn parameter(p: &Value) -> Value {
    if p.get("$ref").is_some() {
        return p.clone();
    }
    let place = p.get("in").and_then(Value::as_str).unwrap_or("query");
    let mut out = Map::new();
    for key in ["name", "in", "description", "required", "deprecated"] {
        if let Some(v) = p.get(key) {
            out.insert(key.into(), v.clone());
        }
    }
    if place == "path" {
        out.insert("required".into(), json!(true));
    }
    if place == "query" && p.get("allowEmptyValue").is_some() {
        out.insert("allowEmptyValue".into(), p["allowEmptyValue"].clone());
    }
    copy_extensions(p, &mut out);
    out.insert("schema".into(), value_schema(p));
    if p.get("type").and_then(Value::as_str) == Some("array") {
        let format = p.get("collectionFormat").and_then(Value::as_str).unwrap_or("csv");
        let (style, explode) = match (place, format) {
            ("query", "multi") => ("form", true),
            ("query", "ssv") => ("spaceDelimited", false),
            ("query", "pipes") => ("pipeDelimited", false),
            ("query", _) => ("form", false),
            _ => ("simple", false),
        };
        out.insert("style".into(), json!(style));
        out.insert("explode".into(), json!(explode));
    }
    Value::Object(out)
}

fn body_request(body: &Value, consumes: &[String]) -> Value {
    let schema = body.get("schema").cloned().unwrap_or_else(|| json!({}));
    let types: Vec<String> = if consumes.is_empty() { vec!["application/json".into()] } else { consumes.to_vec() };
    let content: Map<String, Value> = types.into_iter().map(|t| (t, json!({ "schema": schema.clone() }))).collect();
    let mut out = Map::new();
    if let Some(d) = body.get("description") {
        out.insert("description".into(), d.clone());
    }
    out.insert("content".into(), Value::Object(content));
    out.insert("required".into(), json!(body.get("required").and_then(Value::as_bool).unwrap_or(false)));
    Value::Object(out)
}

/// `formData` parameters become one object schema; multipart when a file is among them or asked for.
fn form_request(form: &[&Value], consumes: &[String]) -> Value {
    let has_file = form.iter().any(|p| p.get("type").and_then(Value::as_str) == Some("file"));
    let media_type = if has_file || consumes.iter().any(|c| c.starts_with("multipart/form-data")) {
        "multipart/form-data"
    } else {
        "application/x-www-form-urlencoded"
    };
    let mut properties = Map::new();
    let mut required = Vec::new();
    for p in form {
        let Some(name) = p.get("name").and_then(Value::as_str) else { continue };
        let mut schema = value_schema(p);
        if let Some(d) = p.get("description") {
            schema["description"] = d.clone();
        }
        properties.insert(name.into(), schema);
        if p.get("required").and_then(Value::as_bool) == Some(true) {
            required.push(json!(name));
        }
    }
    let mut schema = json!({ "type": "object", "properties": properties });
    if !required.is_empty() {
        schema["required"] = Value::Array(required.clone());
    }
    json!({ "content": { media_type: { "schema": schema } }, "required": !required.is_empty() })
}

fn response(r: &Value, produces: &[String]) -> Value {
    if let Some(reference) = r.get("$ref").and_then(Value::as_str) {
        return json!({ "$ref": reference.replace("#/responses/", "#/components/responses/") });
    }
    let mut out = Map::new();
    out.insert("description".into(), r.get("description").cloned().unwrap_or_else(|| json!("")));
    copy_extensions(r, &mut out);
    if let Some(schema) = r.get("schema") {
        let is_file = schema.get("type").and_then(Value::as_str) == Some("file");
        let types: Vec<String> = if is_file {
            vec!["application/octet-stream".into()]
        } else if produces.is_empty() {
            vec!["application/json".into()]
        } else {
            produces.to_vec()
        };
        let examples = r.get("examples").and_then(Value::as_object);
        let content: Map<String, Value> = types
            .into_iter()
            .map(|t| {
                let mut media = json!({ "schema": schema.clone() });
                if let Some(example) = examples.and_then(|e| e.get(&t)) {
                    media["example"] = example.clone();
                }
                (t, media)
            })
            .collect();
        out.insert("content".into(), Value::Object(content));
    }
    if let Some(headers) = r.get("headers").and_then(Value::as_object) {
        let converted: Map<String, Value> = headers
            .iter()
            .map(|(name, h)| {
                let mut header = json!({ "schema": value_schema(h) });
                if let Some(d) = h.get("description") {
                    header["description"] = d.clone();
                }
                (name.clone(), header)
            })
            .collect();
        out.insert("headers".into(), Value::Object(converted));
    }
    Value::Object(out)
}

fn security_scheme(d: &Value) -> Value {
    let description = d.get("description").cloned();
    let mut out = match d.get("type").and_then(Value::as_str) {
        Some("basic") => json!({ "type": "http", "scheme": "basic" }),
        Some("oauth2") => {
            let scopes = d.get("scopes").cloned().unwrap_or_else(|| json!({}));
            let auth = d.get("authorizationUrl").cloned();
            let token = d.get("tokenUrl").cloned();
            let (flow, mut body) = match d.get("flow").and_then(Value::as_str) {
                Some("implicit") => ("implicit", json!({ "authorizationUrl": auth })),
                Some("password") => ("password", json!({ "tokenUrl": token })),
                Some("application") => ("clientCredentials", json!({ "tokenUrl": token })),
                _ => ("authorizationCode", json!({ "authorizationUrl": auth, "tokenUrl": token })),
            };
            body["scopes"] = scopes;
            json!({ "type": "oauth2", "flows": { flow: body } })
        }
        _ => json!({ "type": "apiKey", "name": d.get("name"), "in": d.get("in") }),
    };
    if let Some(description) = description {
        out["description"] = description;
    }
    out
}

/// Rewrites Swagger 2 schema idioms anywhere in the document: `$ref`s into `components`,
/// `x-nullable`, `type: file`, and string discriminators.
fn rewrite_schemas(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref") {
                for (from, to) in [
                    ("#/definitions/", "#/components/schemas/"),
                    ("#/parameters/", "#/components/parameters/"),
                    ("#/responses/", "#/components/responses/"),
                ] {
                    if let Some(rest) = reference.strip_prefix(from) {
                        *reference = format!("{to}{rest}");
                    }
                }
            }
            if map.get("x-nullable").and_then(Value::as_bool) == Some(true) {
                map.remove("x-nullable");
                map.insert("nullable".into(), json!(true));
            }
            if map.get("type").and_then(Value::as_str) == Some("file") {
                map.insert("type".into(), json!("string"));
                map.insert("format".into(), json!("binary"));
            }
            if let Some(Value::String(property)) = map.get("discriminator") {
                let property = property.clone();
                map.insert("discriminator".into(), json!({ "propertyName": property }));
            }
            map.values_mut().for_each(rewrite_schemas);
        }
        Value::Array(items) => items.iter_mut().for_each(rewrite_schemas),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Value {
        json!({
            "swagger": "2.0",
            "info": { "title": "Shop", "version": "1" },
            "host": "shop.example",
            "basePath": "/api",
            "schemes": ["http", "https"],
            "consumes": ["application/json", "text/json"],
            "produces": ["application/json"],
            "parameters": {
                "pageSize": { "name": "take", "in": "query", "type": "integer", "format": "int32" }
            },
            "paths": {
                "/items/{itemId}": {
                    "parameters": [ { "name": "itemId", "in": "path", "required": true, "type": "string", "format": "uuid" } ],
                    "get": {
                        "operationId": "Items_Get",
                        "parameters": [
                            { "$ref": "#/parameters/pageSize" },
                            { "name": "tags", "in": "query", "type": "array", "items": { "type": "string" }, "collectionFormat": "multi" }
                        ],
                        "responses": {
                            "200": { "description": "OK", "schema": { "$ref": "#/definitions/Item" } },
                            "404": { "description": "Missing" }
                        }
                    },
                    "put": {
                        "operationId": "Items_Put",
                        "consumes": ["application/octet-stream"],
                        "parameters": [ { "name": "content", "in": "body", "required": true, "schema": { "type": "string", "format": "byte" } } ],
                        "responses": { "204": { "description": "" } }
                    }
                },
                "/upload": {
                    "post": {
                        "operationId": "Upload",
                        "parameters": [
                            { "name": "file", "in": "formData", "type": "file", "required": true },
                            { "name": "note", "in": "formData", "type": "string" }
                        ],
                        "responses": { "200": { "description": "", "schema": { "type": "file" } } }
                    }
                }
            },
            "definitions": {
                "Item": { "type": "object", "properties": {
                    "owner": { "$ref": "#/definitions/Owner" },
                    "note": { "type": "string", "x-nullable": true }
                } },
                "Owner": { "type": "object" }
            },
            "securityDefinitions": {
                "key": { "type": "apiKey", "name": "X-Key", "in": "header" },
                "basic": { "type": "basic" }
            }
        })
    }

    #[test]
    fn converts_the_document_skeleton() {
        let doc = convert(&fixture());
        assert_eq!(doc["openapi"], "3.0.3");
        assert_eq!(
            doc["servers"],
            json!([{ "url": "https://shop.example/api" }, { "url": "http://shop.example/api" }])
        );
        assert_eq!(doc["components"]["schemas"]["Item"]["properties"]["owner"]["$ref"], "#/components/schemas/Owner");
        assert_eq!(doc["components"]["schemas"]["Item"]["properties"]["note"]["nullable"], true);
        assert_eq!(
            doc["components"]["parameters"]["pageSize"]["schema"],
            json!({ "type": "integer", "format": "int32" })
        );
        assert_eq!(
            doc["components"]["securitySchemes"]["key"],
            json!({ "type": "apiKey", "name": "X-Key", "in": "header" })
        );
        assert_eq!(doc["components"]["securitySchemes"]["basic"], json!({ "type": "http", "scheme": "basic" }));
    }

    #[test]
    fn converts_parameters_and_responses() {
        let doc = convert(&fixture());
        let get = &doc["paths"]["/items/{itemId}"]["get"];
        assert_eq!(get["parameters"][0]["name"], "itemId");
        assert_eq!(get["parameters"][0]["schema"], json!({ "type": "string", "format": "uuid" }));
        assert_eq!(get["parameters"][1]["$ref"], "#/components/parameters/pageSize");
        assert_eq!(get["parameters"][2]["style"], "form");
        assert_eq!(get["parameters"][2]["explode"], true);
        assert!(get.get("requestBody").is_none(), "a GET without a body parameter has no body");
        assert_eq!(
            get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Item"
        );
        assert!(get["responses"]["404"].get("content").is_none());
    }

    #[test]
    fn body_follows_consumes() {
        let doc = convert(&fixture());
        let put = &doc["paths"]["/items/{itemId}"]["put"];
        assert_eq!(
            put["requestBody"],
            json!({ "content": { "application/octet-stream": { "schema": { "type": "string", "format": "byte" } } }, "required": true })
        );
        assert_eq!(put["parameters"][0]["name"], "itemId", "path-level parameters reach every operation");
    }

    #[test]
    fn form_data_with_a_file_is_multipart() {
        let doc = convert(&fixture());
        let post = &doc["paths"]["/upload"]["post"];
        let schema = &post["requestBody"]["content"]["multipart/form-data"]["schema"];
        assert_eq!(schema["properties"]["file"], json!({ "type": "string", "format": "binary" }));
        assert_eq!(schema["required"], json!(["file"]));
        assert_eq!(
            post["responses"]["200"]["content"],
            json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } })
        );
    }
}
