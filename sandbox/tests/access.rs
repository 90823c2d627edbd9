//! What a token may do: the `extern.api` scope for the API (403 without), an `X-Kontur-Apikey`
//! beside it only when it is the token's integrator's (401 otherwise), and the auth log that tells
//! tests which grants issued tokens and how many requests were refused.

mod common;

use common::start;
use serde_json::Value;

async fn token_with_scope(harness: &common::Harness, scope: &str) -> String {
    let credentials = &harness.sandbox.credentials;
    let answer: Value = harness
        .http
        .post(format!("{}connect/token", harness.sandbox.identity_url))
        .form(&[
            ("grant_type", "password"),
            ("client_id", credentials.client_id.as_str()),
            ("client_secret", credentials.api_key.as_str()),
            ("username", credentials.login.as_str()),
            ("password", credentials.password.as_str()),
            ("scope", scope),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().expect("a token").to_owned()
}

async fn get_account(harness: &common::Harness, token: &str, api_key: Option<&str>) -> reqwest::Response {
    let mut request = harness.http.get(format!("{}v1/{}", harness.sandbox.api_url, harness.account)).bearer_auth(token);
    if let Some(api_key) = api_key {
        request = request.header("X-Kontur-Apikey", api_key);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_token_without_the_api_scope_is_forbidden_from_the_api_but_not_from_the_test_tools() {
    let harness = start().await;
    let token = token_with_scope(&harness, "extern.test-tools").await;
    let refused = get_account(&harness, &token, None).await;
    assert_eq!(refused.status(), 403);
    assert!(refused.headers().contains_key("x-kontur-trace-id"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["id"], "urn:error:externapi:forbidden");
    assert_eq!(body["status-code"], 403);

    let tools = harness
        .http
        .get(format!("{}test-tools/v1/get-cloud-sign-confirmation-code?requestId=none", harness.sandbox.api_url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(tools.status(), 404, "the test tools take the token and look the request up");

    let full = token_with_scope(&harness, "extern.api").await;
    assert_eq!(get_account(&harness, &full, None).await.status(), 200);
}

#[tokio::test]
async fn an_api_key_header_must_be_the_tokens_integrators_own() {
    let harness = start().await;
    let token = harness.token().await;
    let own = harness.sandbox.credentials.api_key.clone();
    assert_eq!(get_account(&harness, &token, Some(&own)).await.status(), 200);
    let foreign = get_account(&harness, &token, Some("11111111-2222-3333-4444-555555555555")).await;
    assert_eq!(foreign.status(), 401);
    assert_eq!(foreign.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn the_auth_log_names_each_grant_and_counts_refused_requests() {
    let harness = start().await;
    assert_eq!(harness.sandbox.auth_log(), Default::default());
    let token = harness.token().await;
    let refresh: Value = {
        let credentials = &harness.sandbox.credentials;
        let first: Value = harness
            .http
            .post(format!("{}connect/token", harness.sandbox.identity_url))
            .form(&[
                ("grant_type", "password"),
                ("client_id", credentials.client_id.as_str()),
                ("client_secret", credentials.api_key.as_str()),
                ("username", credentials.login.as_str()),
                ("password", credentials.password.as_str()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        harness
            .http
            .post(format!("{}connect/token", harness.sandbox.identity_url))
            .form(&[
                ("grant_type", "refresh_token"),
                ("client_id", credentials.client_id.as_str()),
                ("client_secret", credentials.api_key.as_str()),
                ("refresh_token", first["refresh_token"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    assert!(refresh["access_token"].is_string());
    assert_eq!(get_account(&harness, &token, None).await.status(), 200);
    assert_eq!(get_account(&harness, "not a token", None).await.status(), 401);
    let log = harness.sandbox.auth_log();
    assert_eq!(log.grants, ["password", "password", "refresh_token"]);
    assert_eq!(log.refused_tokens, 1);
}
