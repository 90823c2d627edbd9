//! Tracing: one span per attempt with the call's facts, and never a secret.

mod transport_support;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kontur_extern::transport::{RetryPolicy, SendExt, Transport};
use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use transport_support::{ACCOUNT, CountingAuthenticator, DOCFLOW, LoopbackServer, Reply, uuid};

type Fields = BTreeMap<String, String>;

/// Collects the fields of every span, in the order the spans were opened.
#[derive(Clone, Default)]
struct SpanRecorder {
    spans: Arc<Mutex<Vec<(Id, String, Fields)>>>,
}

impl SpanRecorder {
    fn named(&self, name: &str) -> Vec<Fields> {
        self.spans.lock().unwrap().iter().filter(|(_, n, _)| n == name).map(|(_, _, fields)| fields.clone()).collect()
    }
}

struct FieldVisitor<'a>(&'a mut Fields);

impl Visit for FieldVisitor<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().to_string(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> Layer<S> for SpanRecorder {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, _: Context<'_, S>) {
        let mut fields = Fields::new();
        attributes.record(&mut FieldVisitor(&mut fields));
        self.spans.lock().unwrap().push((id.clone(), attributes.metadata().name().to_string(), fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.spans.lock().unwrap();
        if let Some((_, _, fields)) = spans.iter_mut().rev().find(|(span_id, _, _)| span_id == id) {
            values.record(&mut FieldVisitor(fields));
        }
    }
}

/// Everything a formatting subscriber would print, at every level.
#[derive(Clone, Default)]
struct Printed(Arc<Mutex<Vec<u8>>>);

impl Write for Printed {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Printed {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }
}

#[tokio::test]
async fn each_attempt_has_a_span_with_the_call_facts_and_no_secrets() {
    let recorder = SpanRecorder::default();
    let printed = Printed::default();
    let writer = printed.clone();
    let subscriber = tracing_subscriber::registry().with(recorder.clone()).with(
        tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_span_events(FmtSpan::CLOSE)
            .with_filter(tracing_subscriber::filter::LevelFilter::TRACE),
    );
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = LoopbackServer::sequence(vec![
        Reply::json(503, json!({ "status-code": 503 })).header("X-Kontur-Trace-Id", "trace-first"),
        Reply::json(200, json!({ "id": DOCFLOW })).header("X-Kontur-Trace-Id", "trace-second"),
    ])
    .await;
    let client = Transport::with_authenticator(CountingAuthenticator::refreshing())
        .retry_policy(RetryPolicy::default().with_base_delay(Duration::from_millis(5)))
        .into_client(&server.base_url)
        .unwrap();

    client
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .checked()
        .await
        .expect("the retry succeeds");

    let spans = recorder.named("kontur_extern.request");
    assert_eq!(spans.len(), 2, "one span per attempt: {spans:?}");
    for (index, (fields, (status, trace_id))) in
        spans.iter().zip([("503", "trace-first"), ("200", "trace-second")]).enumerate()
    {
        assert_eq!(fields["operation"], "get_docflow");
        assert_eq!(fields["method"], "GET");
        assert_eq!(fields["path"], "/v1/{id}/docflows/{id}", "no ids in the path");
        assert_eq!(fields["attempt"], (index + 1).to_string());
        assert_eq!(fields["status"], status);
        assert_eq!(fields["trace_id"], trace_id);
        assert!(fields["duration_ms"].parse::<u64>().is_ok(), "{fields:?}");
    }

    let seen = server.seen();
    assert_eq!(seen[0].header("authorization"), Some("Bearer token-0"), "the secret did travel");
    let text = printed.text();
    assert!(text.contains("get_docflow"), "the formatter saw the spans: {text}");
    assert!(!text.contains("token-0"), "no credentials in traces: {text}");
    assert!(!text.contains(ACCOUNT) && !text.contains(DOCFLOW), "no ids in traces: {text}");
}

#[tokio::test]
async fn upload_bodies_are_never_traced() {
    let printed = Printed::default();
    let writer = printed.clone();
    let subscriber = tracing_subscriber::registry().with(
        tracing_subscriber::fmt::layer()
            .with_writer(move || writer.clone())
            .with_span_events(FmtSpan::FULL)
            .with_filter(tracing_subscriber::filter::LevelFilter::TRACE),
    );
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = LoopbackServer::always(Reply::json(201, json!({ "id": DOCFLOW }))).await;
    let client = Transport::unauthenticated().into_client(&server.base_url).unwrap();
    client
        .upload_content()
        .account_id(uuid(ACCOUNT))
        .body(b"login=alice&password=hunter2-secret".to_vec())
        .send()
        .checked()
        .await
        .expect("uploaded");

    assert_eq!(server.seen()[0].body, b"login=alice&password=hunter2-secret");
    let text = printed.text();
    assert!(text.contains("upload_content"), "{text}");
    assert!(!text.contains("hunter2"), "no bodies in traces: {text}");
}
