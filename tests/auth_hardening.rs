//! Logins under stress: a renewal whose caller gives up, an identity host that fails for a
//! while, PKCE, a missing ID token, plain http, and numbers no clock can hold.

mod auth_support;

use std::time::Duration;

use auth_support::{Hosts, ManualClock, list_accounts, token_body};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use httpmock::prelude::*;
use kontur_extern::Environment;
use kontur_extern::auth::{AuthError, AuthorizationCodeLogin};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sha2::Digest as _;

async fn password_mock<'a>(hosts: &'a Hosts, body: serde_json::Value) -> httpmock::Mock<'a> {
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token").form_urlencoded_tuple("grant_type", "password");
            then.status(200).json_body(body);
        })
        .await
}

async fn refresh_mock<'a>(
    hosts: &'a Hosts,
    refresh: &str,
    status: u16,
    body: serde_json::Value,
    delay: Duration,
) -> httpmock::Mock<'a> {
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/token")
                .form_urlencoded_tuple("grant_type", "refresh_token")
                .form_urlencoded_tuple("refresh_token", refresh);
            then.status(status).json_body(body).delay(delay);
        })
        .await
}

async fn token_now(client: &kontur_extern::Client) -> Result<String, AuthError> {
    client.authenticator().access_token().await.map(|token| token.expose_secret().to_owned())
}

#[tokio::test]
async fn a_renewal_whose_caller_gave_up_still_stores_the_rotated_refresh_token() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let login = password_mock(&hosts, token_body("token-a", 120, Some("refresh-1"))).await;
    let first_refresh = refresh_mock(
        &hosts,
        "refresh-1",
        200,
        token_body("token-b", 120, Some("refresh-2")),
        Duration::from_millis(500),
    )
    .await;
    let second_refresh =
        refresh_mock(&hosts, "refresh-2", 200, token_body("token-c", 120, Some("refresh-3")), Duration::ZERO).await;
    let client = hosts.builder(&clock).password("user", SecretString::from("pw")).build().unwrap();
    assert_eq!(token_now(&client).await.unwrap(), "token-a");

    clock.advance(Duration::from_secs(61));
    let gave_up = tokio::time::timeout(Duration::from_millis(100), client.authenticator().access_token()).await;
    assert!(gave_up.is_err(), "the caller gives up while the identity host is still answering");
    tokio::time::sleep(Duration::from_millis(900)).await;

    assert_eq!(token_now(&client).await.unwrap(), "token-b", "the renewal finished and was stored");
    assert_eq!(first_refresh.calls_async().await, 1, "refresh-1 was rotated away: it must not be sent again");
    clock.advance(Duration::from_secs(61));
    assert_eq!(token_now(&client).await.unwrap(), "token-c", "the rotated refresh token was kept");
    assert_eq!(second_refresh.calls_async().await, 1);
    assert_eq!(login.calls_async().await, 1, "no new login was needed");
}

#[tokio::test]
async fn an_early_renewal_that_fails_for_a_while_keeps_serving_the_valid_token() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    password_mock(&hosts, token_body("token-a", 120, Some("refresh-1"))).await;
    let mut failing = refresh_mock(&hosts, "refresh-1", 503, json!("temporarily unavailable"), Duration::ZERO).await;
    let client = hosts.builder(&clock).password("user", SecretString::from("pw")).build().unwrap();
    assert_eq!(token_now(&client).await.unwrap(), "token-a");

    clock.advance(Duration::from_secs(61));
    assert_eq!(token_now(&client).await.unwrap(), "token-a", "still valid for 59 s");
    assert_eq!(failing.calls_async().await, 1);
    assert_eq!(token_now(&client).await.unwrap(), "token-a");
    assert_eq!(failing.calls_async().await, 1, "the renewal waits before trying again");
    clock.advance(Duration::from_secs(11));
    assert_eq!(token_now(&client).await.unwrap(), "token-a");
    assert_eq!(failing.calls_async().await, 2, "tried again after the pause");

    clock.advance(Duration::from_secs(60));
    let error = token_now(&client).await.expect_err("the token has expired and cannot be renewed");
    assert!(error.is_transient(), "{error:?}");

    failing.delete_async().await;
    failing = refresh_mock(&hosts, "refresh-1", 200, token_body("token-b", 120, None), Duration::ZERO).await;
    assert_eq!(token_now(&client).await.unwrap(), "token-b", "an expired token is renewed at once");
    assert_eq!(failing.calls_async().await, 1);
}

#[tokio::test]
async fn the_authorization_code_flow_uses_pkce_s256() {
    let hosts = Hosts::start().await;
    let environment = hosts.environment();
    let login =
        AuthorizationCodeLogin::new(environment.identity_url(), "integrator.service", "https://app.example/back");
    let url = login.authorize_url();
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let challenge = BASE64URL.encode(sha2::Sha256::digest(login.code_verifier().expose_secret().as_bytes()));
    assert!(query.contains(&("code_challenge".into(), challenge)), "{query:?}");
    assert!(query.contains(&("code_challenge_method".into(), "S256".into())), "{query:?}");
    let verifier_length = login.code_verifier().expose_secret().len();
    assert!((43..=128).contains(&verifier_length), "RFC 7636 verifier length: {verifier_length}");
    assert!(!url.as_str().contains(login.code_verifier().expose_secret()), "the verifier stays secret");

    let redirect = format!("https://app.example/back?code=the-code&state={}", login.state());
    let code = login.accept_redirect(&redirect.parse().unwrap()).unwrap();
    let nonce_claims = BASE64URL.encode(json!({ "nonce": login.nonce() }).to_string());
    let exchange = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/token")
                .form_urlencoded_tuple("grant_type", "authorization_code")
                .form_urlencoded_tuple("code_verifier", login.code_verifier().expose_secret());
            then.status(200).json_body(json!({
                "access_token": "token", "expires_in": 3600, "id_token": format!("h.{nonce_claims}.s")
            }));
        })
        .await;
    hosts.accounts_for("token").await;
    let clock = ManualClock::new();
    let client = hosts.builder(&clock).authorization_code(code).build().unwrap();
    list_accounts(&client).await;
    exchange.assert_async().await;
}

#[tokio::test]
async fn an_answer_without_id_token_fails_when_a_nonce_was_sent() {
    let hosts = Hosts::start().await;
    let login = AuthorizationCodeLogin::new(hosts.environment().identity_url(), "integrator.service", "https://app/cb");
    let code = login.accept_code(SecretString::from("the-code"), login.state()).unwrap();
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(200).json_body(json!({ "access_token": "token", "expires_in": 3600 }));
        })
        .await;
    let clock = ManualClock::new();
    let client = hosts.builder(&clock).authorization_code(code).build().unwrap();
    let error = client.authenticate().await.expect_err("the nonce cannot be checked");
    assert!(matches!(error, AuthError::IdTokenMissing), "{error:?}");
}

#[test]
fn plain_http_is_only_for_loopback_unless_asked_for() {
    for api in ["http://extern-api.kontur.ru/", "http://10.0.0.7:8080/", "http://localhost.example/"] {
        let error = Environment::new(api, "https://identity.kontur.ru/").expect_err(api);
        assert!(error.to_string().contains("plain http"), "{error}");
        assert!(Environment::new("https://extern-api.kontur.ru/", api).is_err(), "{api} as identity");
        Environment::new_allowing_plain_http(api, api).expect("explicitly allowed");
    }
    for loopback in ["http://127.0.0.1:8080/", "http://localhost:1/", "http://[::1]:9/", "http://127.5.0.1/"] {
        Environment::new(loopback, loopback).expect(loopback);
    }
    Environment::new("https://extern-api.kontur.ru/", "https://identity.kontur.ru/").expect("https");
}

#[tokio::test]
async fn numbers_no_clock_can_hold_do_not_panic() {
    let hosts = Hosts::start().await;
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/deviceauthorization");
            then.status(200).json_body(json!({
                "device_code": "device", "user_code": "USER-CODE", "verification_uri": "https://id/device",
                "interval": u64::MAX, "expires_in": u64::MAX
            }));
        })
        .await;
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(200).json_body(json!({ "access_token": "token", "expires_in": 1e300 }));
        })
        .await;
    hosts.accounts_for("token").await;
    let clock = ManualClock::new();
    let client = hosts.builder(&clock).device_flow(|_| {}).build().unwrap();
    list_accounts(&client).await;
    clock.advance(Duration::from_secs(365 * 24 * 3600));
    list_accounts(&client).await;
}
