//! The device login of the identity host: codes for the application, confirmation on the host's
//! page, `authorization_pending` until then, one exchange per code, refusal and expiry.

mod common;

use std::time::Duration;

use common::start;
use serde_json::Value;

async fn start_device(harness: &common::Harness) -> Value {
    let credentials = &harness.sandbox.credentials;
    let answer = harness
        .http
        .post(format!("{}connect/deviceauthorization", harness.sandbox.identity_url))
        .form(&[
            ("client_id", credentials.client_id.as_str()),
            ("client_secret", credentials.api_key.as_str()),
            ("scope", "extern.api"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

async fn poll(harness: &common::Harness, device: &Value) -> (u16, Value) {
    let credentials = &harness.sandbox.credentials;
    let answer = harness
        .http
        .post(format!("{}connect/token", harness.sandbox.identity_url))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ("client_id", credentials.client_id.as_str()),
            ("client_secret", credentials.api_key.as_str()),
            ("device_code", device["device_code"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

#[tokio::test]
async fn a_device_login_is_pending_until_confirmed_on_the_page_and_exchanged_once() {
    let harness = start().await;
    let device = start_device(&harness).await;
    assert_eq!(device["interval"], 3);
    assert_eq!(device["expires_in"], 300);
    let page = device["verification_uri_complete"].as_str().unwrap();
    assert!(page.starts_with(&format!("{}device?userCode=", harness.sandbox.identity_url)), "{page}");
    assert!(page.ends_with(device["user_code"].as_str().unwrap()));

    let (status, pending) = poll(&harness, &device).await;
    assert_eq!((status, pending["error"].as_str()), (400, Some("authorization_pending")));

    assert_eq!(harness.http.get(page).send().await.unwrap().status(), 200);
    let (status, token) = poll(&harness, &device).await;
    assert_eq!(status, 200, "{token}");
    let account = harness
        .http
        .get(format!("{}v1/{}", harness.sandbox.api_url, harness.account))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(account.status(), 200, "the token is the seeded user's");

    let (status, used) = poll(&harness, &device).await;
    assert_eq!((status, used["error"].as_str()), (400, Some("invalid_grant")), "a code is exchanged once");
    assert_eq!(harness.http.get(page).send().await.unwrap().status(), 404, "nothing waits for a used code");
}

#[tokio::test]
async fn a_refused_device_login_is_access_denied_and_an_unconfirmed_one_expires() {
    let harness = start().await;
    let refused = start_device(&harness).await;
    let page = format!("{}&deny=true", refused["verification_uri_complete"].as_str().unwrap());
    assert_eq!(harness.http.get(page).send().await.unwrap().status(), 200);
    let (status, answer) = poll(&harness, &refused).await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("access_denied")));

    let forgotten = start_device(&harness).await;
    harness.sandbox.advance(Duration::from_secs(301)).await;
    let (status, answer) = poll(&harness, &forgotten).await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("expired_token")));
    let page = forgotten["verification_uri_complete"].as_str().unwrap();
    assert_eq!(harness.http.get(page).send().await.unwrap().status(), 404, "too late to confirm");
}
