//! Decoding never panics: random, truncated and wrongly-typed bodies end in errors (or values),
//! both through the generated types directly and through the full client path.

mod transport_support;

use std::sync::{Arc, Mutex};

use kontur_extern::raw::types;
use kontur_extern::transport::{RetryPolicy, SendExt, Transport};
use kontur_extern::{Error, raw};
use proptest::prelude::*;
use serde_json::{Value, json};
use transport_support::{ACCOUNT, DOCFLOW, LoopbackServer, Reply, uuid};

/// Realistic answers of a sample of operations, the seeds of truncation and type mutation.
fn samples() -> Vec<Value> {
    let link = json!({ "href": "https://extern-api.example/v1/a/docflows/b", "rel": "self", "templated": false });
    let docflow = json!({
        "id": DOCFLOW,
        "organization-id": ACCOUNT,
        "type": "urn:docflow:fns534-report",
        "status": "urn:docflow-common-status:sent",
        "success-state": "urn:docflow-state:neutral",
        "description": { "form-version": { "knd": "1151001", "version": "5.01" }, "original-draft-id": ACCOUNT },
        "documents": [{
            "id": "5d0b0c1e-7a1a-4f0e-9c55-8c5f8f1d2e3a",
            "description": { "type": "urn:document:fns534-report", "filename": "NO.xml", "compressed": false },
            "content": { "docflow-document-contents": [{ "content-id": ACCOUNT, "encrypted": true }] },
            "signatures": [{ "id": ACCOUNT, "title": "Signer" }],
            "links": [link]
        }],
        "links": [link],
        "send-date": "2024-03-01T10:00:00.1234567+03:00",
        "last-change-date": "2024-03-01T10:05:00Z"
    });
    vec![
        docflow.clone(),
        json!({ "skip": 0, "take": 100, "total-count": 1, "docflows-page-item": [docflow] }),
        json!({ "id": ACCOUNT, "task-state": "succeed", "task-type": "urn:task-type:check", "task-result": { "data": {} } }),
        json!({
            "first-event-id": "0_0", "next-event-id": "ae1_143", "requested-count": 10, "returned-count": 1,
            "api-events": [{ "id": "ae1_142", "inn": "7700000000", "docflow-type": "urn:docflow:fns534-report",
                             "new-state": "urn:transaction:report", "docflow-id": DOCFLOW, "account-id": ACCOUNT,
                             "event-date-time": "2024-03-01T10:00:00Z", "docflow-link": link }]
        }),
        json!({ "id": "urn:error:externapi:docflowNotFound", "status-code": "not-found", "message": "m", "properties": {} }),
    ]
}

/// Decodes `body` as every sample type (that this returns at all is the main check);
/// how many types accepted it.
fn decode_all(body: &[u8]) -> usize {
    [
        serde_json::from_slice::<types::Docflow>(body).is_ok(),
        serde_json::from_slice::<types::DocflowPage>(body).is_ok(),
        serde_json::from_slice::<types::ApiTask>(body).is_ok(),
        serde_json::from_slice::<types::EventsPage>(body).is_ok(),
        serde_json::from_slice::<types::AccountList>(body).is_ok(),
        serde_json::from_slice::<types::SignInitResult>(body).is_ok(),
        serde_json::from_slice::<types::ContentId>(body).is_ok(),
        serde_json::from_slice::<types::ApiError>(body).is_ok(),
    ]
    .into_iter()
    .filter(|decoded| *decoded)
    .count()
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |x| x.is_finite()).prop_map(Value::from),
        "[a-z:-]{0,12}".prop_map(Value::from),
        Just(Value::from(DOCFLOW)),
        Just(Value::from("2024-13-45T99:99:99Z")),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_string()),
                    Just("type".to_string()),
                    Just("documents".to_string()),
                    Just("status-code".to_string()),
                    Just("links".to_string()),
                    "[a-z-]{1,10}"
                ],
                inner,
                0..6
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Replaces the value found by following `path` (indices taken modulo the container sizes).
fn replace_at(value: &mut Value, path: &[usize], replacement: Value) {
    let Some((&step, rest)) = path.split_first() else {
        *value = replacement;
        return;
    };
    let child = match value {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(step % map.len()).cloned().unwrap_or_default();
            map.get_mut(&key)
        }
        Value::Array(items) if !items.is_empty() => {
            let len = items.len();
            items.get_mut(step % len)
        }
        _ => None,
    };
    match child {
        Some(child) => replace_at(child, rest, replacement),
        None => *value = replacement,
    }
}

/// Bodies: arbitrary JSON, truncated samples, samples with a value of the wrong type, raw bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let sample_count = samples().len();
    prop_oneof![
        any_json().prop_map(|value| value.to_string().into_bytes()),
        (0..sample_count, any::<prop::sample::Index>()).prop_map(|(sample, cut)| {
            let text = samples()[sample].to_string().into_bytes();
            text[..cut.index(text.len() + 1)].to_vec()
        }),
        (0..sample_count, prop::collection::vec(any::<usize>(), 1..6), any_json()).prop_map(
            |(sample, path, replacement)| {
                let mut value = samples()[sample].clone();
                replace_at(&mut value, &path, replacement);
                value.to_string().into_bytes()
            }
        ),
        prop::collection::vec(any::<u8>(), 0..256),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_types_never_panic_on_bad_bodies(body in body()) {
        let decoded = decode_all(&body);
        if serde_json::from_slice::<Value>(&body).is_err() {
            prop_assert_eq!(decoded, 0, "a body that is not JSON decodes as nothing");
        }
    }
}

#[test]
fn the_samples_themselves_decode() {
    let samples = samples();
    assert!(serde_json::from_value::<types::Docflow>(samples[0].clone()).is_ok());
    assert!(serde_json::from_value::<types::DocflowPage>(samples[1].clone()).is_ok());
    assert!(serde_json::from_value::<types::ApiTask>(samples[2].clone()).is_ok());
    assert!(serde_json::from_value::<types::EventsPage>(samples[3].clone()).is_ok());
    assert!(serde_json::from_value::<types::ApiError>(samples[4].clone()).is_ok());
}

/// The same bodies through the whole client: the call ends in a value or a described error,
/// and agrees with decoding the body directly.
#[test]
fn the_client_never_panics_on_bad_bodies() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let answer: Arc<Mutex<(u16, Vec<u8>)>> = Arc::new(Mutex::new((200, Vec::new())));
    let serving = answer.clone();
    let server = runtime.block_on(LoopbackServer::start(move |_, _| {
        let (status, body) = serving.lock().unwrap().clone();
        Reply::raw(status, String::from_utf8_lossy(&body).to_string()).header("X-Kontur-Trace-Id", "fuzz-trace")
    }));
    let client: raw::Client =
        Transport::unauthenticated().retry_policy(RetryPolicy::none()).into_client(&server.base_url).unwrap();

    let config = ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() };
    proptest!(config, |(body in body(), status in prop::sample::select(vec![200u16, 400, 404, 409, 500, 503]))| {
        // The loopback server sends text; decode what it actually sends.
        let sent = String::from_utf8_lossy(&body).to_string().into_bytes();
        *answer.lock().unwrap() = (status, sent.clone());
        let result = runtime.block_on(
            client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().into_future(),
        );
        match (status, result) {
            (200, Ok(_)) => prop_assert!(serde_json::from_slice::<types::Docflow>(&sent).is_ok()),
            (200, Err(Error::Decode(failure))) => {
                prop_assert!(serde_json::from_slice::<types::Docflow>(&sent).is_err());
                prop_assert_eq!(failure.status, Some(reqwest::StatusCode::OK));
                prop_assert_eq!(failure.trace_id.as_deref(), Some("fuzz-trace"));
            }
            (_, Err(Error::Api(failure))) => {
                prop_assert_eq!(failure.status.as_u16(), status);
                prop_assert!(serde_json::from_slice::<types::ApiError>(&sent).is_ok());
            }
            (_, Err(Error::Decode(failure))) => {
                prop_assert_eq!(failure.status.map(|s| s.as_u16()), Some(status));
                prop_assert!(serde_json::from_slice::<types::ApiError>(&sent).is_err());
            }
            (status, other) => prop_assert!(false, "status {} gave {:?}", status, other),
        }
    });
}
