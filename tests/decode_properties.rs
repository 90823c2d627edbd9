//! Answers keep decoding as the API changes, and keep what they carried.
//!
//! Each property starts from a valid answer of a response type and changes it the way the API
//! really changes: new fields at any level, new vocabulary values, optional fields missing or
//! `null`, numbers sent as numeric strings (`status-code`), dates with and without an offset. The
//! spec (`spec/openapi.json`) says which fields are optional, which are dates and which are
//! vocabularies. After decoding, every value that was there is still there when the typed value is
//! written back.

mod transport_support;

use std::sync::{Arc, Mutex};

use kontur_extern::transport::{RetryPolicy, SendExt, Transport};
use kontur_extern::{Error, raw, raw::types};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use transport_support::{ACCOUNT, DOCFLOW, LoopbackServer, Reply, uuid};

const DOCUMENT: &str = "5d0b0c1e-7a1a-4f0e-9c55-8c5f8f1d2e3a";

fn link(rel: &str) -> Value {
    json!({ "href": format!("https://extern-api.testkontur.ru/v1/{ACCOUNT}/docflows/{DOCFLOW}"), "rel": rel, "name": "n", "templated": false })
}

fn docflow() -> Value {
    json!({
        "id": DOCFLOW,
        "organization-id": ACCOUNT,
        "type": "urn:docflow:fns534-report",
        "status": "urn:docflow-common-status:sent",
        "success-state": "urn:docflow-state:neutral",
        "description": {
            "form-version": { "knd": "1151001", "version": "5.01", "form-fullname": "НДС" },
            "original-draft-id": ACCOUNT,
            "period-begin": "2024-01-01T00:00:00.0000000",
            "period-end": "2024-03-31",
            "period-code": "21",
            "reply-deadline-date": "2024-05-02T00:00:00"
        },
        "documents": [{
            "id": DOCUMENT,
            "description": {
                "type": "urn:document:fns534-report",
                "filename": "NO_NDS.xml",
                "content-type": "application/xml",
                "compressed": false,
                "support-print": "yes",
                "encrypted-content-size": 12345
            },
            "content": { "docflow-document-contents": [{ "content-id": ACCOUNT, "encrypted": true, "compression-type": "gzip" }] },
            "send-date": "2024-04-20T09:00:00.1234567",
            "signatures": [{ "id": ACCOUNT, "title": "Signer", "signer-type": "organization-representative", "links": [link("content")] }],
            "links": [link("self")]
        }],
        "links": [link("self"), link("reply")],
        "send-date": "2024-04-20T06:00:00.1234567Z",
        "last-change-date": "2024-04-21T10:05:00+03:00"
    })
}

/// Valid answers, each with the name of its schema in the spec.
fn samples() -> Vec<(&'static str, Value)> {
    vec![
        ("Docflow", docflow()),
        (
            "DocflowPage",
            json!({ "skip": 0, "take": 100, "total-count": 1, "docflows-page-item": [{
            "id": DOCFLOW, "type": "urn:docflow:fns534-demand", "status": "urn:docflow-common-status:arrived",
            "success-state": "urn:docflow-state:warning", "links": [link("self")],
            "send-date": "2024-04-20T09:00:00", "last-change-date": "2024-04-20T06:00:00Z" }] }),
        ),
        (
            "ApiTask",
            json!({ "id": ACCOUNT, "task-state": "succeed", "task-type": "urn:task-type:check", "task-result": { "data": { "common-errors": [] } } }),
        ),
        (
            "EventsPage",
            json!({
                "first-event-id": "0_0", "next-event-id": "ae1_143", "requested-count": 10, "returned-count": 1,
                "api-events": [{ "id": "ae1_142", "inn": "7700000000", "kpp": "770001001", "docflow-type": "urn:docflow:fns534-report",
                                 "new-state": "urn:transaction:report-receipt", "docflow-id": DOCFLOW, "account-id": ACCOUNT,
                                 "event-date-time": "2024-04-20T09:00:00.5", "docflow-link": link("docflow") }],
                "links": [link("next")]
            }),
        ),
        (
            "Draft",
            json!({
                "id": ACCOUNT, "status": "checked", "docflows": [link("docflow")],
                "meta": {
                    "sender": { "inn": "7700000000", "kpp": "770001001", "is-representative": false, "ipaddress": "8.8.8.8" },
                    "recipient": { "ifns-code": "0087" },
                    "payer": { "inn": "7700000000", "organization": { "kpp": "770001001" } },
                    "additional-info": { "subject": "Отчёт", "machine-readable-warrant-id": DOCUMENT }
                },
                "links": [link("self")]
            }),
        ),
        (
            "SignInitResult",
            json!({ "request-id": "r-1", "confirm-type": "sms", "documents-to-sign": [link("document")], "links": [link("self")] }),
        ),
        (
            "ApiError",
            json!({ "id": "urn:error:externapi:docflowNotFound", "status-code": "not-found", "message": "m", "trace-id": "t", "properties": { "a": 1 } }),
        ),
    ]
}

/// Decodes `value` as the type named `schema` and writes it back.
fn round_trip(schema: &str, value: &Value) -> Result<Value, serde_json::Error> {
    fn through<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, serde_json::Error> {
        serde_json::to_value(serde_json::from_value::<T>(value.clone())?)
    }
    match schema {
        "Docflow" => through::<types::Docflow>(value),
        "DocflowPage" => through::<types::DocflowPage>(value),
        "ApiTask" => through::<types::ApiTask>(value),
        "EventsPage" => through::<types::EventsPage>(value),
        "Draft" => through::<types::Draft>(value),
        "SignInitResult" => through::<types::SignInitResult>(value),
        "ApiError" => through::<types::ApiError>(value),
        other => panic!("no type for {other}"),
    }
}

/// Every value of `before` that is not `null` is in `after` (objects by key, lists by position).
fn kept(before: &Value, after: &Value, path: &str) -> Result<(), String> {
    match (before, after) {
        (Value::Null, _) => Ok(()),
        (Value::Object(was), Value::Object(now)) => was.iter().try_for_each(|(key, value)| match now.get(key) {
            Some(next) => kept(value, next, &format!("{path}/{key}")),
            None if value.is_null() || value == &json!([]) || value == &json!({}) => Ok(()),
            None => Err(format!("{path}/{key} was dropped")),
        }),
        (Value::Array(was), Value::Array(now)) if was.len() == now.len() => {
            was.iter().zip(now).enumerate().try_for_each(|(i, (a, b))| kept(a, b, &format!("{path}/{i}")))
        }
        (a, b) if a == b => Ok(()),
        (a, b) => Err(format!("{path}: {a} became {b}")),
    }
}

/// The spec, to tell optional fields, dates and vocabularies apart.
struct Spec(Value);

impl Spec {
    fn load() -> Self {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/openapi.json");
        Spec(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => self.resolve(self.0.pointer(&reference[1..]).expect("references resolve")),
            None => schema,
        }
    }

    fn named(&self, name: &str) -> &Value {
        &self.0["components"]["schemas"][name]
    }
}

/// One place of a sample where the API could change, found by walking it beside its schema.
#[derive(Debug, Clone)]
enum Site {
    /// An object where the API may add a field.
    Object(Vec<String>),
    /// An optional field that may be missing or `null`.
    Optional(Vec<String>),
    /// A vocabulary value that may be one this crate does not know.
    Vocabulary(Vec<String>),
    /// A date-time that may come with or without an offset.
    DateTime(Vec<String>),
}

fn sites(spec: &Spec, schema: &Value, value: &Value, path: Vec<String>, out: &mut Vec<Site>) {
    let schema = spec.resolve(schema);
    match value {
        Value::Object(map) => {
            out.push(Site::Object(path.clone()));
            let required: Vec<&str> =
                schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
            for (key, child) in map {
                let mut child_path = path.clone();
                child_path.push(key.clone());
                if !required.contains(&key.as_str()) {
                    out.push(Site::Optional(child_path.clone()));
                }
                let child_schema = schema["properties"].get(key).or_else(|| schema.get("additionalProperties"));
                if let Some(child_schema) = child_schema {
                    sites(spec, child_schema, child, child_path, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut item_path = path.clone();
                item_path.push(i.to_string());
                sites(spec, &schema["items"], item, item_path, out);
            }
        }
        Value::String(_) if schema.get("x-known-values").is_some() => out.push(Site::Vocabulary(path)),
        Value::String(text) if schema["format"] == "date-time" && text.ends_with('Z') => out.push(Site::DateTime(path)),
        _ => {}
    }
}

fn at<'a>(value: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(value, |value, step| match value {
        Value::Array(items) => &mut items[step.parse::<usize>().unwrap()],
        other => &mut other[step.as_str()],
    })
}

fn parent_and_key<'a>(value: &'a mut Value, path: &'a [String]) -> (&'a mut Map<String, Value>, &'a str) {
    let (key, parent) = path.split_last().expect("a field has a name");
    (at(value, parent).as_object_mut().expect("fields are in objects"), key)
}

/// A change the API could make at `site`; `seed` varies names and values.
fn apply(value: &mut Value, site: &Site, seed: u32, remove: bool) {
    match site {
        Site::Object(path) => {
            let field = json!({ "since": "2030", "values": [seed, "x"], "nested": { "flag": seed.is_multiple_of(2) } });
            at(value, path).as_object_mut().unwrap().insert(format!("added-in-2030-{seed}"), field);
        }
        Site::Optional(path) => {
            let (parent, key) = parent_and_key(value, path);
            if remove {
                parent.remove(key);
            } else {
                parent.insert(key.to_owned(), Value::Null);
            }
        }
        Site::Vocabulary(path) => {
            let slot = at(value, path);
            let text = slot.as_str().unwrap().to_owned();
            let prefix = text.rfind(':').map_or("", |i| &text[..=i]);
            *slot = json!(format!("{prefix}added-in-2030-{seed}"));
        }
        Site::DateTime(path) => {
            // The same instant as Moscow time without an offset, as the API also writes it.
            let slot = at(value, path);
            let instant: kontur_extern::ExternDateTime = slot.as_str().unwrap().parse().unwrap();
            let moscow = instant.to_moscow().naive_local();
            *slot = json!(moscow.format("%Y-%m-%dT%H:%M:%S%.f").to_string());
        }
    }
}

/// The value at `path`, if every step is there and not `null`.
fn lookup<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |value, step| match value {
        Value::Array(items) => items.get(step.parse::<usize>().ok()?),
        Value::Object(map) => map.get(step).filter(|value| !value.is_null()),
        _ => None,
    })
}

fn all_sites() -> Vec<(usize, Site)> {
    let spec = Spec::load();
    let mut all = Vec::new();
    for (index, (schema, value)) in samples().iter().enumerate() {
        let mut found = Vec::new();
        sites(&spec, spec.named(schema), value, Vec::new(), &mut found);
        all.extend(found.into_iter().map(|site| (index, site)));
    }
    all
}

/// A sample changed at up to four places (at most one removal or `null` per field path).
fn changed_answer() -> impl Strategy<Value = (&'static str, Value)> {
    let sites = all_sites();
    let count = samples().len();
    (0..count, prop::collection::vec((any::<prop::sample::Index>(), any::<u32>(), any::<bool>()), 1..5)).prop_map(
        move |(sample, changes)| {
            let (schema, mut value) = samples()[sample].clone();
            let here: Vec<&Site> = sites.iter().filter(|(i, _)| *i == sample).map(|(_, site)| site).collect();
            for (pick, seed, remove) in changes {
                let site = here[pick.index(here.len())];
                // A change below a field removed or nulled earlier has nothing to change.
                let applies = match site {
                    Site::Optional(path) => lookup(&value, &path[..path.len() - 1]).is_some_and(Value::is_object),
                    Site::Object(path) => lookup(&value, path).is_some_and(Value::is_object),
                    Site::Vocabulary(path) | Site::DateTime(path) => lookup(&value, path).is_some_and(Value::is_string),
                };
                if applies {
                    apply(&mut value, site, seed, remove);
                }
            }
            (schema, value)
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// New fields, new vocabulary values, missing or `null` optional fields and both date forms
    /// decode, and writing the value back keeps every value that was there.
    #[test]
    fn a_changed_answer_decodes_and_keeps_its_values((schema, value) in changed_answer()) {
        let written = round_trip(schema, &value).map_err(|error| TestCaseError::fail(format!("{schema} {value}: {error}")))?;
        kept(&value, &written, schema).map_err(|error| TestCaseError::fail(format!("{schema} {value}: {error}")))?;
    }

    /// `status-code` arrives as a number, a numeric string or a kebab-case word.
    #[test]
    fn the_status_code_arrives_in_any_of_its_forms(code in prop_oneof![
        (100u16..600).prop_map(Value::from),
        (100u16..600).prop_map(|code| Value::from(code.to_string())),
        "[a-z]{2,10}(-[a-z]{2,10}){0,2}".prop_map(Value::from),
    ]) {
        let body = json!({ "id": "urn:error:x", "status-code": code, "message": "m" });
        let error: types::ApiError = serde_json::from_value(body.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(serde_json::to_value(&error).unwrap(), body);
    }
}

#[test]
fn the_samples_are_valid_and_have_every_kind_of_site() {
    for (schema, value) in samples() {
        let written = round_trip(schema, &value).unwrap_or_else(|error| panic!("{schema}: {error}"));
        assert_eq!(written, value, "{schema} writes back exactly what it read");
    }
    let sites = all_sites();
    for kind in ["Object", "Optional", "Vocabulary", "DateTime"] {
        assert!(sites.iter().any(|(_, site)| format!("{site:?}").starts_with(kind)), "no {kind} site");
    }
}

#[test]
fn the_comparison_notices_a_dropped_or_changed_value() {
    let before = json!({ "a": { "b": [1, 2] }, "c": "x" });
    assert!(kept(&before, &json!({ "a": { "b": [1, 2] } }), "").is_err());
    assert!(kept(&before, &json!({ "a": { "b": [1, 3] }, "c": "x" }), "").is_err());
    assert!(kept(&before, &json!({ "a": { "b": [1, 2] }, "c": "x", "d": 1 }), "").is_ok());
}

/// Changed answers and broken bodies through the whole client: a value, or a described error
/// that agrees with decoding the body directly; never a panic.
#[test]
fn the_client_decodes_changed_answers_and_describes_broken_ones() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let answer: Arc<Mutex<(u16, String)>> = Arc::new(Mutex::new((200, String::new())));
    let serving = answer.clone();
    let server = runtime.block_on(LoopbackServer::start(move |_, _| {
        let (status, body) = serving.lock().unwrap().clone();
        Reply::raw(status, body).header("X-Kontur-Trace-Id", "property-trace")
    }));
    let client: raw::Client =
        Transport::unauthenticated().retry_policy(RetryPolicy::none()).into_client(&server.base_url).unwrap();
    let body = prop_oneof![
        changed_answer()
            .prop_filter_map("docflows", |(schema, value)| (schema == "Docflow").then(|| value.to_string())),
        (any::<prop::sample::Index>()).prop_map(|cut| {
            let text = docflow().to_string().into_bytes();
            String::from_utf8_lossy(&text[..cut.index(text.len())]).into_owned()
        }),
        Just(json!({ "id": "urn:error:x", "status-code": 404, "message": "m" }).to_string()),
    ];
    let config = ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(body in body, status in prop::sample::select(vec![200u16, 400, 404, 409, 500]))| {
        *answer.lock().unwrap() = (status, body.clone());
        let result = runtime.block_on(
            client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().into_future(),
        );
        match (status, result) {
            (200, Ok(docflow)) => {
                let expected: Value = serde_json::from_str(&body).unwrap();
                kept(&expected, &serde_json::to_value(docflow.into_inner()).unwrap(), "").map_err(TestCaseError::fail)?;
            }
            (200, Err(Error::Decode(failure))) => {
                prop_assert!(serde_json::from_str::<types::Docflow>(&body).is_err());
                prop_assert_eq!(failure.trace_id.as_deref(), Some("property-trace"));
            }
            (_, Err(Error::Api(failure))) => {
                prop_assert_eq!(failure.status.as_u16(), status);
                prop_assert_eq!(failure.trace_id.as_deref(), Some("property-trace"));
            }
            (_, Err(Error::Decode(failure))) => {
                prop_assert_eq!(failure.status.map(|s| s.as_u16()), Some(status));
                prop_assert!(serde_json::from_str::<types::ApiError>(&body).is_err());
            }
            (status, other) => prop_assert!(false, "status {} gave {:?}", status, other),
        }
    });
}
