//! Token life: caching, expiry, refresh, single-flight renewal, 401 re-authentication,
//! the API-host-only rule and the identity host's errors.

#[path = "auth_support/mod.rs"]
mod support;

use std::time::Duration;

use httpmock::prelude::*;
use kontur_extern::auth::{AuthError, Authenticator, RequiredFactor};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use support::*;

async fn mock_password_grant<'a>(hosts: &'a Hosts, access: &str, refresh: Option<&str>) -> httpmock::Mock<'a> {
    let body = token_body(access, 3600, refresh);
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token").form_urlencoded_tuple("grant_type", "password");
            then.status(200).json_body(body);
        })
        .await
}

async fn mock_refresh<'a>(hosts: &'a Hosts, refresh: &str, access: &str) -> httpmock::Mock<'a> {
    let body = token_body(access, 3600, Some("refresh-2"));
    let refresh = refresh.to_owned();
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/token")
                .form_urlencoded_tuple("grant_type", "refresh_token")
                .form_urlencoded_tuple("refresh_token", refresh)
                .form_urlencoded_tuple("client_id", CLIENT_ID)
                .form_urlencoded_tuple("client_secret", API_KEY)
                .form_urlencoded_tuple("scope", "extern.api");
            then.status(200).json_body(body);
        })
        .await
}

fn password_client(hosts: &Hosts, clock: &std::sync::Arc<ManualClock>) -> kontur_extern::Client {
    hosts.builder(clock).password("user", SecretString::from("pw")).build().unwrap()
}

#[tokio::test]
async fn token_is_reused_until_the_margin_then_refreshed_with_the_refresh_token() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let grant = mock_password_grant(&hosts, "token-1", Some("refresh-1")).await;
    let refresh = mock_refresh(&hosts, "refresh-1", "token-2").await;
    let first = hosts.accounts_for("token-1").await;
    let second = hosts.accounts_for("token-2").await;
    let client = hosts
        .builder(&clock)
        .password("user", SecretString::from("pw"))
        .token_expiry_margin(Duration::from_secs(120))
        .build()
        .unwrap();

    list_accounts(&client).await;
    clock.advance(Duration::from_secs(3600 - 121));
    list_accounts(&client).await;
    first.assert_calls_async(2).await;
    refresh.assert_calls_async(0).await;

    clock.advance(Duration::from_secs(2));
    list_accounts(&client).await;
    refresh.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    grant.assert_calls_async(1).await;
}

#[tokio::test]
async fn without_a_refresh_token_an_expired_token_is_replaced_by_a_new_grant() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let grant = mock_password_grant(&hosts, "token-1", None).await;
    let refresh = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token").form_urlencoded_tuple("grant_type", "refresh_token");
            then.status(500);
        })
        .await;
    hosts.accounts_for("token-1").await;
    let client = password_client(&hosts, &clock);

    list_accounts(&client).await;
    clock.advance(Duration::from_secs(3600));
    list_accounts(&client).await;
    grant.assert_calls_async(2).await;
    refresh.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_refused_refresh_token_falls_back_to_a_new_grant() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let grant = mock_password_grant(&hosts, "token-1", Some("refresh-revoked")).await;
    let refresh = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token").form_urlencoded_tuple("grant_type", "refresh_token");
            then.status(400).json_body(json!({ "error": "invalid_grant" }));
        })
        .await;
    hosts.accounts_for("token-1").await;
    let client = password_client(&hosts, &clock);

    list_accounts(&client).await;
    clock.advance(Duration::from_secs(3600));
    list_accounts(&client).await;
    refresh.assert_calls_async(1).await;
    grant.assert_calls_async(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_calls_with_an_expired_token_cause_one_token_request() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let grant = mock_password_grant(&hosts, "token-1", Some("refresh-1")).await;
    let refresh = mock_refresh(&hosts, "refresh-1", "token-2").await;
    hosts.accounts_for("token-1").await;
    let fresh = hosts.accounts_for("token-2").await;
    let client = password_client(&hosts, &clock);
    list_accounts(&client).await;

    clock.advance(Duration::from_secs(3600));
    let calls = (0..100).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.raw().list_accounts().send().await.map(|_| ()) })
    });
    for outcome in futures::future::join_all(calls).await {
        outcome.expect("task finished").expect("call succeeded");
    }

    refresh.assert_calls_async(1).await;
    grant.assert_calls_async(1).await;
    fresh.assert_calls_async(100).await;
}

fn api_request(client: &kontur_extern::Client, path: &str) -> reqwest::Request {
    let url = client.environment().api_url().join(path).unwrap();
    reqwest::Request::new(reqwest::Method::GET, url)
}

fn bearer(request: &reqwest::Request) -> Option<String> {
    request.headers().get("authorization").map(|v| v.to_str().unwrap().to_owned())
}

#[tokio::test]
async fn reauthorize_renews_only_the_token_the_api_rejected() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let grant = mock_password_grant(&hosts, "token-1", Some("refresh-1")).await;
    let refresh = mock_refresh(&hosts, "refresh-1", "token-2").await;
    let client = password_client(&hosts, &clock);
    let auth = client.authenticator();

    let mut first = api_request(&client, "v1");
    auth.authorize(&mut first).await.unwrap();
    assert_eq!(bearer(&first).as_deref(), Some("Bearer token-1"));
    let mut concurrent = api_request(&client, "v1");
    auth.authorize(&mut concurrent).await.unwrap();

    // The API answered 401 to `first`: one renewal, worth one more try.
    assert!(auth.reauthorize(&first).await.unwrap());
    refresh.assert_calls_async(1).await;
    // `concurrent` carried the same, now replaced token: retry without another renewal.
    assert!(auth.reauthorize(&concurrent).await.unwrap());
    refresh.assert_calls_async(1).await;

    let mut retry = api_request(&client, "v1");
    auth.authorize(&mut retry).await.unwrap();
    assert_eq!(bearer(&retry).as_deref(), Some("Bearer token-2"));
    grant.assert_calls_async(1).await;

    // A request that carried no token is not worth a retry.
    assert!(!auth.reauthorize(&api_request(&client, "v1")).await.unwrap());
}

#[tokio::test]
async fn reauthorize_declines_when_the_token_was_supplied_by_the_caller() {
    let hosts = Hosts::start().await;
    let client = kontur_extern::Client::builder()
        .environment(hosts.environment())
        .access_token(SecretString::from("fixed"))
        .build()
        .unwrap();
    let mut request = api_request(&client, "v1");
    client.authenticator().authorize(&mut request).await.unwrap();
    assert!(!client.authenticator().reauthorize(&request).await.unwrap());
}

// Needs the transport's 401 handling (transport issue): the stub `exec` only calls `authorize`.
#[tokio::test]
async fn a_401_triggers_one_reauthentication_and_one_repeat() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let grant = mock_password_grant(&hosts, "revoked-token", Some("refresh-1")).await;
    let refresh = mock_refresh(&hosts, "refresh-1", "token-2").await;
    let rejected = hosts
        .api
        .mock_async(|when, then| {
            when.method(GET).path("/v1").header("authorization", "Bearer revoked-token");
            then.status(401);
        })
        .await;
    let accepted = hosts.accounts_for("token-2").await;
    let client = password_client(&hosts, &clock);

    list_accounts(&client).await;
    rejected.assert_calls_async(1).await;
    refresh.assert_calls_async(1).await;
    accepted.assert_calls_async(1).await;
    grant.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_second_401_is_returned_without_another_attempt() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    mock_password_grant(&hosts, "token-1", Some("refresh-1")).await;
    let refresh = mock_refresh(&hosts, "refresh-1", "token-2").await;
    let always_401 = hosts
        .api
        .mock_async(|when, then| {
            when.method(GET).path("/v1");
            then.status(401);
        })
        .await;
    let client = password_client(&hosts, &clock);

    let outcome = client.raw().list_accounts().send().await;
    assert!(outcome.is_err(), "the second 401 is the answer");
    always_401.assert_calls_async(2).await;
    refresh.assert_calls_async(1).await;
}

#[tokio::test]
async fn credentials_are_attached_only_to_the_api_host() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let grant = mock_password_grant(&hosts, "token-1", None).await;
    let client =
        hosts.builder(&clock).password("user", SecretString::from("pw")).send_api_key_header(true).build().unwrap();
    let auth = client.authenticator();
    let api = client.environment().api_url().clone();

    let mut other_port = api.clone();
    other_port.set_port(Some(api.port().unwrap() + 1)).unwrap();
    let mut other_host = api.clone();
    other_host.set_host(Some("attacker.example")).unwrap();
    let mut other_scheme = api.clone();
    other_scheme.set_scheme("https").unwrap();
    let identity_host = hosts.environment().identity_url().join("connect/token").unwrap();
    for target in [other_port, other_host, other_scheme, identity_host] {
        let mut request = reqwest::Request::new(reqwest::Method::GET, target.join("v1/contents/1").unwrap());
        let error = auth.authorize(&mut request).await.unwrap_err();
        assert!(matches!(error, AuthError::ForeignHost { .. }), "{target}: {error:?}");
        assert!(request.headers().get("authorization").is_none(), "no token to {target}");
        assert!(request.headers().get("x-kontur-apikey").is_none(), "no api-key to {target}");
    }
    grant.assert_calls_async(0).await;

    let mut own = reqwest::Request::new(reqwest::Method::GET, api.join("v1/anything").unwrap());
    auth.authorize(&mut own).await.unwrap();
    assert_eq!(bearer(&own).as_deref(), Some("Bearer token-1"));
    assert!(own.headers().get("authorization").unwrap().is_sensitive());
    assert_eq!(own.headers().get("x-kontur-apikey").unwrap().to_str().unwrap(), API_KEY);
}

async fn login_error(status: u16, body: serde_json::Value) -> AuthError {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(status).header("X-Kontur-Trace-Id", "trace-42").json_body(body);
        })
        .await;
    password_client(&hosts, &clock).authenticate().await.unwrap_err()
}

#[tokio::test]
async fn identity_errors_become_errors_that_say_what_to_do() {
    let error = login_error(
        400,
        json!({ "error": "invalid_client", "error_description": "unknown client", "error_status": 400 }),
    )
    .await;
    match &error {
        AuthError::InvalidClient { description, trace_id } => {
            assert_eq!(description.as_deref(), Some("unknown client"));
            assert_eq!(trace_id.as_deref(), Some("trace-42"));
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("client_id") && error.to_string().contains("api-key"), "{error}");

    let error = login_error(
        400,
        json!({ "error": "invalid_grant", "error_description": "bad password", "error_status": "BadCredentials" }),
    )
    .await;
    assert!(matches!(&error, AuthError::InvalidGrant { description: Some(d), .. } if d == "bad password"), "{error:?}");
    assert!(error.to_string().contains("password"), "{error}");

    let error = login_error(400, json!({ "error": "invalid_scope", "unknown-field": [1] })).await;
    assert!(
        matches!(&error, AuthError::Identity { status: Some(400), error, .. } if error == "invalid_scope"),
        "{error:?}"
    );

    let error = login_error(503, json!("service unavailable")).await;
    assert!(matches!(&error, AuthError::UnexpectedAnswer { status: 503, .. }), "{error:?}");
    assert!(error.to_string().contains("service unavailable"), "an error page is quoted: {error}");

    // A malformed success may hold tokens: the error says where it broke, not what it held.
    let error = login_error(200, json!({ "access_token": 12345, "refresh_token": "leaky-refresh-token" })).await;
    assert!(matches!(&error, AuthError::UnexpectedAnswer { status: 200, .. }), "{error:?}");
    assert!(!format!("{error} {error:?}").contains("leaky-refresh-token"), "{error:?}");
}

#[tokio::test]
async fn a_required_second_factor_is_reported_and_can_be_completed() {
    let error = login_error(
        400,
        json!({
            "error": "invalid_grant",
            "error_description": "second factor required",
            "partial_factor_token": "partial-token-xyz",
            "required_factors": [
                { "grant_type": "certificate", "identity": "517a26be" },
                { "grant_type": "sms", "identity": null, "future-field": true }
            ]
        }),
    )
    .await;
    match &error {
        AuthError::SecondFactorRequired { partial_factor_token, required_factors, .. } => {
            assert_eq!(partial_factor_token.expose_secret(), "partial-token-xyz");
            assert_eq!(
                required_factors,
                &vec![
                    RequiredFactor { grant_type: Some("certificate".into()), identity: Some("517a26be".into()) },
                    RequiredFactor { grant_type: Some("sms".into()), identity: None },
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(error.to_string().contains("certificate"), "{error}");
    assert!(!format!("{error} {error:?}").contains("partial-token-xyz"), "the partial factor token stays secret");

    // The second step sends the partial factor token with the grant.
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let completed = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/token")
                .form_urlencoded_tuple("grant_type", "password")
                .form_urlencoded_tuple("partial_factor_token", "partial-token-xyz");
            then.status(200).json_body(token_body("token-after-second-factor", 3600, None));
        })
        .await;
    let AuthError::SecondFactorRequired { partial_factor_token, .. } = error else { unreachable!() };
    let client = hosts
        .builder(&clock)
        .password_with_partial_factor("user", SecretString::from("pw"), partial_factor_token)
        .build()
        .unwrap();
    client.authenticate().await.unwrap();
    completed.assert_calls_async(1).await;
}
