//! A loopback events feed for the events tests and benchmark: serves `GET /v1/events` from a list
//! of events that a test can extend, with scripted failures, and records what was asked.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use kontur_extern::transport::{RetryPolicy, Transport};
use kontur_extern::{Client, Environment};
use secrecy::SecretString;
use serde_json::json;

pub const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";

/// The cursor after the first `position` events of the fake feed.
pub fn cursor_at(position: usize) -> String {
    if position == 0 { "0_0".to_owned() } else { format!("ae1_{position}") }
}

fn position_of(cursor: &str) -> Option<usize> {
    if cursor == "0_0" {
        return Some(0);
    }
    cursor.strip_prefix("ae1_")?.parse().ok()
}

/// The id of the event at `index` (0-based) of the fake feed.
pub fn event_id(index: usize) -> String {
    format!("ae1_{}", index + 1)
}

/// A realistic event: a docflow of the account moved to `new_state`.
pub fn event_json(index: usize, new_state: &str) -> serde_json::Value {
    let docflow = format!("a9bc74bd-311b-43f0-aff7-{index:012x}");
    json!({
        "id": event_id(index),
        "inn": "6699000000",
        "kpp": "660001001",
        "docflow-type": "urn:docflow:fns534-report",
        "docflow-link": {
            "href": format!("https://extern-api.testkontur.ru/v1/{ACCOUNT}/docflows/{docflow}"),
            "rel": "docflow"
        },
        "new-state": new_state,
        "event-date-time": "2024-05-20T10:15:30.1234567Z",
        "docflow-id": docflow,
        "account-id": ACCOUNT
    })
}

/// One request the fake feed answered.
#[derive(Clone, Debug)]
pub struct Asked {
    pub from_id: String,
    pub take: usize,
    pub at: Instant,
    /// The status answered.
    pub status: u16,
}

#[derive(Default)]
struct State {
    /// Each event pre-serialized, so serving a page costs little next to reading it.
    events: Vec<String>,
    /// Statuses to answer the next requests with, instead of a page.
    failures: VecDeque<u16>,
    asked: Vec<Asked>,
}

/// A running fake feed on 127.0.0.1.
#[derive(Clone)]
pub struct FakeFeed {
    state: Arc<Mutex<State>>,
    base_url: String,
}

impl FakeFeed {
    /// Starts serving on a free loopback port.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State::default()));
        let served = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = served.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = state.clone();
                        async move { Ok::<_, Infallible>(answer(&state, request)) }
                    });
                    let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
                });
            }
        });
        Self { state, base_url }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Appends events to the feed.
    pub fn push(&self, events: impl IntoIterator<Item = serde_json::Value>) {
        let mut state = self.state.lock().unwrap();
        state.events.extend(events.into_iter().map(|event| event.to_string()));
    }

    /// Appends `count` ordinary events.
    pub fn push_ordinary(&self, count: usize) {
        let start = self.state.lock().unwrap().events.len();
        self.push((start..start + count).map(|index| event_json(index, "urn:transaction:report-receipt")));
    }

    /// The next request is answered with `status` and an API error body.
    pub fn fail_next(&self, status: u16) {
        self.state.lock().unwrap().failures.push_back(status);
    }

    /// The requests answered so far.
    pub fn asked(&self) -> Vec<Asked> {
        self.state.lock().unwrap().asked.clone()
    }

    /// A client of this feed: a fixed token, no transport retries (the feed's own backoff is
    /// what the tests watch).
    pub fn client(&self) -> Client {
        Client::builder()
            .environment(Environment::new(&self.base_url, &self.base_url).unwrap())
            .access_token(SecretString::from("test-token"))
            .transport(Transport::default().retry_policy(RetryPolicy::none()))
            .build()
            .expect("the client builds")
    }
}

fn answer(state: &Mutex<State>, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let query = request.uri().query().unwrap_or_default();
    let mut from_id = String::new();
    let mut take = 0usize;
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "fromId" => from_id = value.into_owned(),
            "take" => take = value.parse().unwrap_or(0),
            _ => {}
        }
    }
    let mut state = state.lock().unwrap();
    let (status, body) = if request.uri().path() != "/v1/events" {
        (404, json!({"status-code": 404, "message": "not here"}).to_string())
    } else if let Some(status) = state.failures.pop_front() {
        (status, json!({"status-code": status, "id": "urn:error:fake", "message": "scripted failure"}).to_string())
    } else if let Some(from) = position_of(&from_id).filter(|position| *position <= state.events.len()) {
        let until = (from + take).min(state.events.len());
        let events = state.events[from..until].join(",");
        let body = format!(
            r#"{{"first-event-id":"{}","next-event-id":"{}","requested-count":{take},"returned-count":{},"api-events":[{events}],"links":[]}}"#,
            cursor_at(from),
            cursor_at(until),
            until - from,
        );
        (200, body)
    } else {
        (400, json!({"status-code": 400, "message": "bad fromId"}).to_string())
    };
    state.asked.push(Asked { from_id, take, at: Instant::now(), status });
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .header("x-kontur-trace-id", "trace-fake")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}
