//! Shared set-up of the authentication tests: a controllable clock and mock hosts.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use httpmock::prelude::*;
use kontur_extern::auth::Clock;
use kontur_extern::{Client, ClientBuilder, Environment};
use secrecy::SecretString;
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "integrator.service";
pub const API_KEY: &str = "3f1c9a5e-api-key-0b7d";
pub const ACCOUNT_LIST: &str = r#"{"skip":0,"take":0,"total-count":0,"accounts":[],"links":[]}"#;

/// A clock that only moves when told to; `sleep` records the wait and jumps ahead at once.
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    elapsed: Mutex<Duration>,
    sleeps: Mutex<Vec<Duration>>,
}

impl ManualClock {
    pub fn new() -> Arc<Self> {
        Arc::new(Self { start: Instant::now(), elapsed: Mutex::new(Duration::ZERO), sleeps: Mutex::new(Vec::new()) })
    }

    pub fn advance(&self, by: Duration) {
        *self.elapsed.lock().unwrap() += by;
    }

    /// Every wait asked of the clock so far.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.elapsed.lock().unwrap()
    }

    fn unix_time(&self) -> Duration {
        Duration::from_secs(1_750_000_000) + *self.elapsed.lock().unwrap()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.sleeps.lock().unwrap().push(duration);
        self.advance(duration);
        Box::pin(async {})
    }
}

/// The API host and the identity host, each a mock server of its own.
pub struct Hosts {
    pub api: MockServer,
    pub identity: MockServer,
}

impl Hosts {
    pub async fn start() -> Self {
        Self { api: MockServer::start_async().await, identity: MockServer::start_async().await }
    }

    pub fn environment(&self) -> Environment {
        Environment::new(&self.api.base_url(), &self.identity.base_url()).expect("mock URLs are valid")
    }

    /// A builder pointed at the mocks, with the test integrator and `clock`.
    pub fn builder(&self, clock: &Arc<ManualClock>) -> ClientBuilder {
        Client::builder()
            .environment(self.environment())
            .client(CLIENT_ID, SecretString::from(API_KEY))
            .clock(clock.clone())
    }

    /// `GET /v1` answers an empty account list to requests bearing `token`.
    pub async fn accounts_for<'a>(&'a self, token: &str) -> httpmock::Mock<'a> {
        let bearer = format!("Bearer {token}");
        self.api
            .mock_async(|when, then| {
                when.method(GET).path("/v1").header("authorization", bearer);
                then.status(200).header("content-type", "application/json").body(ACCOUNT_LIST);
            })
            .await
    }
}

/// A token answer.
pub fn token_body(access: &str, expires_in: u64, refresh: Option<&str>) -> Value {
    let mut body = json!({ "access_token": access, "token_type": "Bearer", "expires_in": expires_in });
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    body
}

/// Calls `list_accounts` and fails the test unless it succeeds.
pub async fn list_accounts(client: &Client) {
    client.raw().list_accounts().send().await.expect("list_accounts succeeds");
}

/// The form fields of a recorded request body.
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}
