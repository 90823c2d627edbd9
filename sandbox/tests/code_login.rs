//! The authorization-code login of the identity host: authorize redirects back with a code and
//! the state, the code is exchanged once, for the same redirect_uri and PKCE verifier, and the ID
//! token carries the nonce.

mod common;

use base64::Engine;
use common::start;
use serde_json::Value;

const REDIRECT: &str = "http://127.0.0.1:9/back";

/// The code the authorize endpoint sends the browser back with.
async fn authorize(harness: &common::Harness, challenge: &str) -> String {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = browser
        .get(format!("{}connect/authorize", harness.sandbox.identity_url))
        .query(&[
            ("response_type", "code"),
            ("client_id", harness.sandbox.credentials.client_id.as_str()),
            ("scope", "openid extern.api"),
            ("redirect_uri", REDIRECT),
            ("nonce", "n-0S6_WzA2Mj"),
            ("state", "af0ifjsldkj"),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 302);
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let query = location.strip_prefix(&format!("{REDIRECT}?")).expect("back to the redirect_uri");
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    assert!(pairs.contains(&("state".to_owned(), "af0ifjsldkj".to_owned())), "{location}");
    pairs.into_iter().find(|(key, _)| key == "code").expect("a code").1
}

async fn exchange(harness: &common::Harness, code: &str, verifier: &str) -> (u16, Value) {
    let credentials = &harness.sandbox.credentials;
    let answer = harness
        .http
        .post(format!("{}connect/token", harness.sandbox.identity_url))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", credentials.client_id.as_str()),
            ("client_secret", credentials.api_key.as_str()),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap())
}

#[tokio::test]
async fn a_code_is_exchanged_once_with_its_verifier_for_tokens_and_an_id_token_with_the_nonce() {
    let harness = start().await;
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    // RFC 7636, appendix B: the S256 challenge of that verifier.
    let code = authorize(&harness, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM").await;

    let (status, refused) = exchange(&harness, &code, "another verifier").await;
    assert_eq!((status, refused["error"].as_str()), (400, Some("invalid_grant")), "a wrong verifier spends the code");

    let code = authorize(&harness, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM").await;
    let (status, tokens) = exchange(&harness, &code, verifier).await;
    assert_eq!(status, 200, "{tokens}");
    let id_token = tokens["id_token"].as_str().expect("an ID token");
    let claims = id_token.split('.').nth(1).unwrap();
    let claims: Value =
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["sub"], harness.sandbox.credentials.login.as_str());

    let (status, again) = exchange(&harness, &code, verifier).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")), "a code is exchanged once");
}
