//! No secret reaches `Debug` output or logs over a whole login, refresh and failure.

#[path = "auth_support/mod.rs"]
mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::prelude::*;
use kontur_extern::auth::{Authenticator, TrustedLogin};
use secrecy::SecretString;
use serde_json::json;
use support::*;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;

const PASSWORD: &str = "pa55-Very-Secret";
const ACCESS_1: &str = "access-token-AAAA1111";
const ACCESS_2: &str = "access-token-BBBB2222";
const REFRESH_1: &str = "refresh-token-CCCC3333";
const REFRESH_2: &str = "refresh-token-DDDD4444";
const PARTIAL: &str = "partial-factor-EEEE5555";
const DECRYPTED_KEY: &[u8] = b"decrypted-key-HHHH8888";
const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLUZGRkY2NjY2";

/// Log output collected in memory.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[derive(Debug)]
struct FixedSigner;

impl kontur_extern::auth::JwtSigner for FixedSigner {
    fn algorithm(&self) -> &str {
        "RS256"
    }

    fn sign<'a>(
        &'a self,
        _: &'a [u8],
    ) -> futures::future::BoxFuture<'a, Result<Vec<u8>, kontur_extern::auth::BoxError>> {
        Box::pin(async { Ok(b"signature-GGGG7777".to_vec()) })
    }
}

#[derive(Debug)]
struct EchoDecryptor;

impl kontur_extern::auth::CertificateDecryptor for EchoDecryptor {
    fn decrypt<'a>(
        &'a self,
        _: &'a [u8],
    ) -> futures::future::BoxFuture<'a, Result<secrecy::SecretSlice<u8>, kontur_extern::auth::BoxError>> {
        Box::pin(async { Ok(secrecy::SecretSlice::from(DECRYPTED_KEY.to_vec())) })
    }
}

#[tokio::test]
async fn debug_output_and_logs_of_a_full_flow_hold_no_secret() {
    let logs = Buffer::default();
    let writer = logs.clone();
    // Everything this process logs at every level, except the mock server's own account of what it received.
    let layer = tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .with_filter(tracing_subscriber::filter::filter_fn(|meta| !meta.target().starts_with("httpmock")));
    let subscriber = tracing_subscriber::registry().with(layer);
    let _guard = tracing::subscriber::set_default(subscriber);
    let mut debug_output = String::new();

    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let grant = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token").form_urlencoded_tuple("grant_type", "password");
            then.status(200).json_body(token_body(ACCESS_1, 3600, Some(REFRESH_1)));
        })
        .await;
    let refresh = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token").form_urlencoded_tuple("grant_type", "refresh_token");
            then.status(200).json_body(token_body(ACCESS_2, 3600, Some(REFRESH_2)));
        })
        .await;
    hosts.accounts_for(ACCESS_1).await;
    hosts.accounts_for(ACCESS_2).await;

    let builder =
        hosts.builder(&clock).password("user@example.org", SecretString::from(PASSWORD)).send_api_key_header(true);
    debug_output += &format!("{builder:?}\n");
    let client = builder.build().unwrap();
    debug_output += &format!("{client:?}\n");

    list_accounts(&client).await;
    debug_output += &format!("{client:?}\n");
    clock.advance(Duration::from_secs(3600));
    list_accounts(&client).await;
    debug_output += &format!("{client:?}\n");
    grant.assert_calls_async(1).await;
    refresh.assert_calls_async(1).await;

    let mut request = reqwest::Request::new(reqwest::Method::GET, client.environment().api_url().join("v1").unwrap());
    client.authenticator().authorize(&mut request).await.unwrap();
    debug_output += &format!("{request:?}\n{:?}\n", request.headers());
    assert!(client.authenticator().reauthorize(&request).await.unwrap());

    // A second factor demanded: the error names what to do, never the partial token.
    let second = Hosts::start().await;
    second
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(400).json_body(json!({
                "error": "invalid_grant", "partial_factor_token": PARTIAL,
                "required_factors": [{ "grant_type": "certificate", "identity": "thumb" }]
            }));
        })
        .await;
    let error = second
        .builder(&clock)
        .password("user@example.org", SecretString::from(PASSWORD))
        .build()
        .unwrap()
        .authenticate()
        .await
        .unwrap_err();
    debug_output += &format!("{error}\n{error:?}\n");

    // A trusted login with a supplied JWT and one with a signer.
    let jwt_builder = second.builder(&clock).trusted_jwt(SecretString::from(JWT));
    debug_output += &format!("{jwt_builder:?}\n");
    debug_output += &format!("{:?}\n", jwt_builder.build().unwrap());
    let signed = second.builder(&clock).trusted(TrustedLogin::new("user", FixedSigner)).build().unwrap();
    debug_output += &format!("{signed:?}\n");
    let error = signed.authenticate().await.unwrap_err();
    debug_output += &format!("{error}\n{error:?}\n");

    // A certificate login: the decrypted key goes to the identity host and nowhere else.
    let certificate = Hosts::start().await;
    certificate
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/authentication/certificate");
            then.status(200).json_body(json!({ "encrypted_key": "ZW52ZWxvcGU=" }));
        })
        .await;
    let certificate_token = certificate
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token").form_urlencoded_tuple("grant_type", "certificate");
            then.status(400).json_body(json!({ "error": "invalid_grant", "error_description": "certificate revoked" }));
        })
        .await;
    let login = kontur_extern::auth::CertificateLogin::new(b"der".to_vec(), "thumb", EchoDecryptor);
    let client = certificate.builder(&clock).certificate(login).build().unwrap();
    debug_output += &format!("{client:?}\n");
    let error = client.authenticate().await.unwrap_err();
    debug_output += &format!("{error}\n{error:?}\n");
    certificate_token.assert_calls_async(1).await;
    let decrypted_b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, DECRYPTED_KEY);

    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("access token obtained"), "the flow was logged: {logs}");
    for secret in [PASSWORD, API_KEY, ACCESS_1, ACCESS_2, REFRESH_1, REFRESH_2, PARTIAL, JWT, &decrypted_b64] {
        assert!(!debug_output.contains(secret), "{secret} in Debug output:\n{debug_output}");
        assert!(!logs.contains(secret), "{secret} in logs:\n{logs}");
    }
    // The signed JWT as a whole never shows either (its signature part is base64url of the fake signature).
    let signature_b64 =
        base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, b"signature-GGGG7777");
    assert!(!debug_output.contains(&signature_b64) && !logs.contains(&signature_b64));
}
