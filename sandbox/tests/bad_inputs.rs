//! Bad inputs get the API's error shape (`ApiError` with `X-Kontur-Trace-Id`): unknown ids, unknown
//! paths, malformed JSON, wrong ranges, oversized parts, missing or expired tokens, operations not
//! implemented yet. The identity host answers in its own error shape.

mod common;

use std::time::Duration;

use common::start;
use kontur_extern::raw::types::ApiError;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Checks the status, the ApiError body and the trace header; returns the body.
async fn api_error(response: reqwest::Response, status: u16) -> ApiError {
    assert_eq!(response.status(), status, "{:?}", response.url().path());
    let trace = response.headers().get("x-kontur-trace-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert!(trace.as_deref().is_some_and(|t| !t.is_empty()), "every answer carries X-Kontur-Trace-Id");
    let body: ApiError = response.json().await.expect("an ApiError body");
    assert_eq!(body.trace_id, trace, "the body names the same trace id");
    assert_eq!(body.status_code.as_ref().map(ToString::to_string), Some(status.to_string()));
    assert!(body.id.as_deref().is_some_and(|id| id.starts_with("urn:error:")));
    body
}

#[tokio::test]
async fn unknown_ids_and_paths_are_404_in_the_api_shape() {
    let harness = start().await;
    let token = harness.token().await;
    let api = &harness.sandbox.api_url;
    let account = harness.account;
    for path in [
        format!("v1/{}", uuid::Uuid::new_v4()),
        format!("v1/{account}/drafts/{}", uuid::Uuid::new_v4()),
        format!("v1/{account}/drafts/not-a-uuid"),
        format!("v1/{account}/docflows/{}", uuid::Uuid::new_v4()),
        format!("v1/{account}/contents/{}", uuid::Uuid::new_v4()),
        "v2/nothing/here".to_owned(),
    ] {
        let response = harness.http.get(format!("{api}{path}")).bearer_auth(&token).send().await.unwrap();
        api_error(response, 404).await;
    }
}

#[tokio::test]
async fn missing_bad_or_expired_tokens_are_401() {
    let harness = start().await;
    let url = format!("{}v1", harness.sandbox.api_url);
    api_error(harness.http.get(&url).send().await.unwrap(), 401).await;
    api_error(harness.http.get(&url).bearer_auth("forged").send().await.unwrap(), 401).await;
    let token = harness.token().await;
    assert_eq!(harness.http.get(&url).bearer_auth(&token).send().await.unwrap().status(), 200);
    harness.sandbox.advance(Duration::from_secs(3601)).await;
    let expired = api_error(harness.http.get(&url).bearer_auth(&token).send().await.unwrap(), 401).await;
    assert!(expired.message.unwrap_or_default().contains("expired"));
}

#[tokio::test]
async fn malformed_json_is_400() {
    let harness = start().await;
    let token = harness.token().await;
    for body in ["{not json", "[]", "{\"sender\": 42}", ""] {
        let response = harness
            .http
            .post(format!("{}v1/{}/drafts", harness.sandbox.api_url, harness.account))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        api_error(response, 400).await;
    }
}

#[tokio::test]
async fn wrong_content_ranges_are_400_and_ranges_download_as_206() {
    let harness = start().await;
    let token = harness.token().await;
    let url = format!("{}v1/{}/contents", harness.sandbox.api_url, harness.account);
    for range in ["bytes 5-1/10", "bytes 0-3/2", "bytes 0-9/10", "lines 0-3/4", "bytes a-b/c"] {
        let response = harness
            .http
            .post(&url)
            .bearer_auth(&token)
            .header("content-range", range)
            .body("abcd")
            .send()
            .await
            .unwrap();
        api_error(response, 400).await;
    }
    let id = harness.upload(b"0123456789").await;
    let partial = harness.download(id, Some("bytes=2-5")).await;
    assert_eq!(partial.status(), 206);
    assert_eq!(partial.headers()["content-range"], "bytes 2-5/10");
    assert_eq!(partial.bytes().await.unwrap().as_ref(), b"2345");
    let suffix = harness.download(id, Some("bytes=-3")).await;
    assert_eq!(suffix.bytes().await.unwrap().as_ref(), b"789");
    api_error(harness.download(id, Some("bytes=7-2")).await, 400).await;
    api_error(harness.download(id, Some("pages=1-2")).await, 400).await;
    api_error(harness.download(id, Some("bytes=50-60")).await, 416).await;
    let whole = harness.download(id, None).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.bytes().await.unwrap().as_ref(), b"0123456789");
}

#[tokio::test]
async fn a_part_above_64_mb_is_413_before_its_body_is_read() {
    let harness = start().await;
    let token = harness.token().await;
    let address = harness.sandbox.api_url.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let request = format!(
        "POST /v1/{}/contents HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        harness.account,
        64 * 1024 * 1024 + 1
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("urn:error:externapi:payloadTooLarge"));
}

#[tokio::test]
async fn operations_not_implemented_yet_are_501_naming_the_operation() {
    let harness = start().await;
    let token = harness.token().await;
    let implemented: Vec<&str> = kontur_extern_sandbox::implemented_operations().collect();
    let missing: Vec<_> = kontur_extern_sandbox::routes::spec_operations()
        .iter()
        .filter(|op| !implemented.contains(&op.operation_id.as_str()))
        .collect();
    assert!(!missing.is_empty(), "this test needs an operation the sandbox does not implement yet");
    for operation in missing {
        let path: Vec<String> = operation
            .path
            .split('/')
            .map(|segment| match segment {
                "{accountId}" => harness.account.to_string(),
                s if s.starts_with('{') => uuid::Uuid::new_v4().to_string(),
                s => s.to_owned(),
            })
            .collect();
        let method = reqwest::Method::from_bytes(operation.method.as_bytes()).unwrap();
        let url = format!("{}{}", harness.sandbox.api_url.trim_end_matches('/'), path.join("/"));
        let response = harness.http.request(method, url).bearer_auth(&token).send().await.unwrap();
        let body = api_error(response, 501).await;
        assert!(
            body.message.unwrap_or_default().contains(&operation.operation_id),
            "501 names {}",
            operation.operation_id
        );
    }
    let wrong_method =
        harness.http.patch(format!("{}v1", harness.sandbox.api_url)).bearer_auth(&token).send().await.unwrap();
    api_error(wrong_method, 405).await;
}

#[tokio::test]
async fn identity_errors_have_the_identity_shape() {
    let harness = start().await;
    let credentials = &harness.sandbox.credentials;
    let url = format!("{}connect/token", harness.sandbox.identity_url);
    let cases = [
        (vec![("grant_type", "password"), ("client_id", "stranger"), ("client_secret", "nope")], "invalid_client"),
        (
            vec![
                ("grant_type", "password"),
                ("client_id", credentials.client_id.as_str()),
                ("client_secret", credentials.api_key.as_str()),
                ("username", credentials.login.as_str()),
                ("password", "wrong"),
            ],
            "invalid_grant",
        ),
        (
            vec![
                ("grant_type", "magic"),
                ("client_id", credentials.client_id.as_str()),
                ("client_secret", credentials.api_key.as_str()),
            ],
            "unsupported_grant_type",
        ),
        (
            vec![
                ("grant_type", "refresh_token"),
                ("client_id", credentials.client_id.as_str()),
                ("client_secret", credentials.api_key.as_str()),
                ("refresh_token", "forged"),
            ],
            "invalid_grant",
        ),
    ];
    for (form, error) in cases {
        let response = harness.http.post(&url).form(&form).send().await.unwrap();
        assert_eq!(response.status(), 400);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], error);
        assert!(body["error_description"].is_string());
    }
}

#[tokio::test]
async fn a_refresh_token_gives_a_new_access_token_once() {
    let harness = start().await;
    let credentials = &harness.sandbox.credentials;
    let url = format!("{}connect/token", harness.sandbox.identity_url);
    let first: Value = harness
        .http
        .post(&url)
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
    assert_eq!(first["expires_in"], 3600);
    let refresh = first["refresh_token"].as_str().unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", credentials.client_id.as_str()),
        ("client_secret", credentials.api_key.as_str()),
        ("refresh_token", refresh),
    ];
    let renewed = harness.http.post(&url).form(&form).send().await.unwrap();
    assert_eq!(renewed.status(), 200);
    let renewed: Value = renewed.json().await.unwrap();
    let token = renewed["access_token"].as_str().unwrap();
    let accounts = harness.http.get(format!("{}v1", harness.sandbox.api_url)).bearer_auth(token).send().await.unwrap();
    assert_eq!(accounts.status(), 200);
    assert_eq!(harness.http.post(&url).form(&form).send().await.unwrap().status(), 400, "a refresh token is used once");
}
