//! Every login flow: the fields it sends to the identity host and how it reads the answers.

#[path = "auth_support/mod.rs"]
mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD as BASE64URL};
use futures::future::BoxFuture;
use httpmock::prelude::*;
use kontur_extern::Client;
use kontur_extern::auth::{
    AuthError, AuthorizationCodeLogin, BoxError, CertificateDecryptor, CertificateLogin, DevicePrompt, JwtSigner,
    TrustedLogin,
};
use secrecy::{SecretSlice, SecretString};
use serde_json::{Value, json};
use support::*;

#[tokio::test]
async fn password_login_sends_documented_fields_and_bearer_token() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let token = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/token")
                .header("content-type", "application/x-www-form-urlencoded")
                .form_urlencoded_tuple("grant_type", "password")
                .form_urlencoded_tuple("client_id", CLIENT_ID)
                .form_urlencoded_tuple("client_secret", API_KEY)
                .form_urlencoded_tuple("scope", "extern.api")
                .form_urlencoded_tuple("username", "accountant@example.org")
                .form_urlencoded_tuple("password", "correct horse")
                .form_urlencoded_tuple_missing("partial_factor_token");
            then.status(200).json_body(token_body("token-from-password", 3600, None));
        })
        .await;
    let accounts = hosts
        .api
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1")
                .header("authorization", "Bearer token-from-password")
                .header_missing("x-kontur-apikey");
            then.status(200).header("content-type", "application/json").body(ACCOUNT_LIST);
        })
        .await;

    let client =
        hosts.builder(&clock).password("accountant@example.org", SecretString::from("correct horse")).build().unwrap();
    list_accounts(&client).await;
    list_accounts(&client).await;

    token.assert_calls_async(1).await;
    accounts.assert_calls_async(2).await;
}

#[tokio::test]
async fn api_key_header_is_sent_beside_the_token_when_asked() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token").form_urlencoded_tuple("grant_type", "password");
            then.status(200).json_body(token_body("token-a", 3600, None));
        })
        .await;
    let accounts = hosts
        .api
        .mock_async(|when, then| {
            when.method(GET).path("/v1").header("authorization", "Bearer token-a").header("x-kontur-apikey", API_KEY);
            then.status(200).header("content-type", "application/json").body(ACCOUNT_LIST);
        })
        .await;

    let client =
        hosts.builder(&clock).password("user", SecretString::from("pw")).send_api_key_header(true).build().unwrap();
    list_accounts(&client).await;
    accounts.assert_calls_async(1).await;
}

/// Stands in for a CryptoPro binding: knows one envelope and the key inside it.
#[derive(Debug)]
struct KnownEnvelope {
    envelope: Vec<u8>,
    content: Vec<u8>,
}

impl CertificateDecryptor for KnownEnvelope {
    fn decrypt<'a>(&'a self, envelope: &'a [u8]) -> BoxFuture<'a, Result<SecretSlice<u8>, BoxError>> {
        Box::pin(async move {
            if envelope == self.envelope.as_slice() {
                Ok(SecretSlice::from(self.content.clone()))
            } else {
                Err("envelope not addressed to this key".into())
            }
        })
    }
}

#[tokio::test]
async fn certificate_login_decrypts_the_challenge_and_sends_the_key_and_thumbprint() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let certificate = b"\x30\x82 fake DER certificate".to_vec();
    let envelope = b"pkcs7 envelope bytes".to_vec();
    let random_key = b"the random key".to_vec();
    let challenge = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST)
                .path("/authentication/certificate")
                .form_urlencoded_tuple("client_id", CLIENT_ID)
                .form_urlencoded_tuple("client_secret", API_KEY)
                .form_urlencoded_tuple("public_key", BASE64.encode(&certificate))
                .form_urlencoded_tuple("free", "true");
            then.status(200)
                .json_body(json!({ "encrypted_key": BASE64.encode(&envelope), "trusted_thumbprints": null }));
        })
        .await;
    let token = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/token")
                .form_urlencoded_tuple("grant_type", "certificate")
                .form_urlencoded_tuple("client_id", CLIENT_ID)
                .form_urlencoded_tuple("client_secret", API_KEY)
                .form_urlencoded_tuple("scope", "extern.api")
                .form_urlencoded_tuple("decrypted_key", BASE64.encode(&random_key))
                .form_urlencoded_tuple("thumbprint", "517a26be6b0e2b84d8eb95614ececb121c441c89");
            then.status(200).json_body(token_body("token-from-certificate", 86400, None));
        })
        .await;
    let accounts = hosts.accounts_for("token-from-certificate").await;

    let login = CertificateLogin::new(
        certificate.clone(),
        "517a26be6b0e2b84d8eb95614ececb121c441c89",
        KnownEnvelope { envelope: envelope.clone(), content: random_key.clone() },
    )
    .skip_validity_check(true);
    let client = hosts.builder(&clock).certificate(login).build().unwrap();
    list_accounts(&client).await;

    challenge.assert_calls_async(1).await;
    token.assert_calls_async(1).await;
    accounts.assert_calls_async(1).await;
}

#[tokio::test]
async fn certificate_decryption_failure_is_reported() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/authentication/certificate").form_urlencoded_tuple("free", "false");
            then.status(200).json_body(json!({ "encrypted_key": BASE64.encode(b"someone else's envelope") }));
        })
        .await;
    let token = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(200).json_body(token_body("never", 3600, None));
        })
        .await;
    let login = CertificateLogin::new(
        b"cert".to_vec(),
        "00",
        KnownEnvelope { envelope: b"mine".to_vec(), content: b"k".to_vec() },
    );
    let client = hosts.builder(&clock).certificate(login).build().unwrap();
    let error = client.authenticate().await.unwrap_err();
    assert!(matches!(error, AuthError::Decryption(_)), "{error:?}");
    token.assert_calls_async(0).await;
}

/// A stand-in signature: the signing input reversed, so the test can check what was signed.
#[derive(Debug)]
struct ReversingSigner;

impl JwtSigner for ReversingSigner {
    fn algorithm(&self) -> &str {
        "RS256"
    }

    fn key_id(&self) -> Option<&str> {
        Some("partner-key-1")
    }

    fn sign<'a>(&'a self, signing_input: &'a [u8]) -> BoxFuture<'a, Result<Vec<u8>, BoxError>> {
        Box::pin(async move { Ok(signing_input.iter().rev().copied().collect()) })
    }
}

fn decode_segment(segment: &str) -> Value {
    serde_json::from_slice(&BASE64URL.decode(segment).expect("base64url segment")).expect("JSON segment")
}

#[tokio::test]
async fn trusted_login_signs_a_fresh_jwt_for_every_token_request() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let seen_jwts = Arc::new(Mutex::new(Vec::<String>::new()));
    let recorder = seen_jwts.clone();
    let token = hosts
        .identity
        .mock_async(move |when, then| {
            when.method(POST)
                .path("/connect/token")
                .form_urlencoded_tuple("grant_type", "trusted")
                .form_urlencoded_tuple("client_id", CLIENT_ID)
                .form_urlencoded_tuple("client_secret", API_KEY)
                .form_urlencoded_tuple("scope", "extern.api")
                .form_urlencoded_tuple_exists("token")
                .is_true(move |request| {
                    for (name, value) in form_fields(request.body_ref()) {
                        let mut seen = recorder.lock().unwrap();
                        if name == "token" && !seen.contains(&value) {
                            seen.push(value);
                        }
                    }
                    true
                });
            // No refresh token: every renewal is a new trusted grant.
            then.status(200).json_body(token_body("token-from-trusted", 3600, None));
        })
        .await;
    hosts.accounts_for("token-from-trusted").await;

    let login = TrustedLogin::new("partner-user-42", ReversingSigner).lifetime(Duration::from_secs(600));
    let client = hosts.builder(&clock).trusted(login).build().unwrap();
    list_accounts(&client).await;
    clock.advance(Duration::from_secs(3600));
    list_accounts(&client).await;

    token.assert_calls_async(2).await;
    let jwts = seen_jwts.lock().unwrap().clone();
    assert_eq!(jwts.len(), 2, "each token request carries a different JWT");
    let mut jtis = Vec::new();
    for jwt in &jwts {
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3, "compact JWT");
        let header = decode_segment(parts[0]);
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["typ"], "JWT");
        assert_eq!(header["kid"], "partner-key-1");
        let claims = decode_segment(parts[1]);
        assert_eq!(claims["iss"], CLIENT_ID, "iss is the client_id");
        assert_eq!(claims["sub"], "partner-user-42");
        let jti = claims["jti"].as_str().expect("jti");
        assert!(!jti.is_empty() && jti.len() <= 36, "jti of {} bytes", jti.len());
        let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
        assert_eq!(lifetime, 600);
        let signing_input = format!("{}.{}", parts[0], parts[1]);
        let expected: Vec<u8> = signing_input.bytes().rev().collect();
        assert_eq!(BASE64URL.decode(parts[2]).unwrap(), expected, "the signer signed header.claims");
        jtis.push(jti.to_owned());
    }
    assert_ne!(jtis[0], jtis[1], "a fresh jti per token request");
}

#[tokio::test]
async fn trusted_login_refuses_lifetimes_over_a_day() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let login = TrustedLogin::new("user", ReversingSigner).lifetime(Duration::from_secs(24 * 3600 + 1));
    let error = hosts.builder(&clock).trusted(login).build().unwrap_err();
    assert!(matches!(error, AuthError::Config(_)), "{error:?}");
}

#[tokio::test]
async fn a_supplied_trusted_jwt_is_used_once() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let token = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/token")
                .form_urlencoded_tuple("grant_type", "trusted")
                .form_urlencoded_tuple("token", "header.claims.signature");
            then.status(200).json_body(token_body("token-from-jwt", 3600, None));
        })
        .await;
    let accounts = hosts.accounts_for("token-from-jwt").await;

    let client = hosts.builder(&clock).trusted_jwt(SecretString::from("header.claims.signature")).build().unwrap();
    list_accounts(&client).await;
    clock.advance(Duration::from_secs(3600));
    let error = client.authenticate().await.unwrap_err();
    assert!(matches!(error, AuthError::LoginRequired { .. }), "{error:?}");
    token.assert_calls_async(1).await;
    accounts.assert_calls_async(1).await;
}

fn id_token_with_nonce(nonce: &str) -> String {
    let header = BASE64URL.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let claims = BASE64URL.encode(json!({ "sub": "user", "nonce": nonce }).to_string());
    format!("{header}.{claims}.c2lnbmF0dXJl")
}

#[tokio::test]
async fn authorization_code_login_builds_the_url_checks_state_and_exchanges_the_code() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let environment = hosts.environment();
    let login = AuthorizationCodeLogin::new(environment.identity_url(), CLIENT_ID, "https://app.example/callback");
    let other = AuthorizationCodeLogin::new(environment.identity_url(), CLIENT_ID, "https://app.example/callback");
    assert_ne!(login.state(), other.state(), "state is random per login");
    assert_ne!(login.nonce(), other.nonce(), "nonce is random per login");

    let url = login.authorize_url();
    assert_eq!(url.path(), "/connect/authorize");
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let expected = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("scope", "openid extern.api"),
        ("redirect_uri", "https://app.example/callback"),
        ("nonce", login.nonce()),
        ("state", login.state()),
    ];
    for (name, value) in expected {
        assert!(query.contains(&(name.to_owned(), value.to_owned())), "{name}={value} in {url}");
    }

    let forged = url::Url::parse("https://app.example/callback?code=abc&state=forged").unwrap();
    assert!(matches!(login.accept_redirect(&forged), Err(AuthError::StateMismatch)));
    let denied =
        url::Url::parse(&format!("https://app.example/callback?error=access_denied&state={}", login.state())).unwrap();
    assert!(matches!(login.accept_redirect(&denied), Err(AuthError::AccessDenied { .. })));

    let exchange = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/token")
                .form_urlencoded_tuple("grant_type", "authorization_code")
                .form_urlencoded_tuple("code", "SplxlOBeZQQYbYS6WxSbIA")
                .form_urlencoded_tuple("redirect_uri", "https://app.example/callback")
                .form_urlencoded_tuple("client_id", CLIENT_ID)
                .form_urlencoded_tuple("client_secret", API_KEY);
            then.status(200).json_body(json!({
                "access_token": "token-from-code",
                "token_type": "Bearer",
                "expires_in": 3600,
                "id_token": id_token_with_nonce(login.nonce()),
            }));
        })
        .await;
    let accounts = hosts.accounts_for("token-from-code").await;

    let redirect = url::Url::parse(&format!(
        "https://app.example/callback?code=SplxlOBeZQQYbYS6WxSbIA&state={}&scope=openid%20extern.api",
        login.state()
    ))
    .unwrap();
    let code = login.accept_redirect(&redirect).expect("state matches");
    let client = hosts.builder(&clock).authorization_code(code).build().unwrap();
    list_accounts(&client).await;
    exchange.assert_calls_async(1).await;
    accounts.assert_calls_async(1).await;

    // The code is single use and no refresh token came: renewal needs the user again.
    clock.advance(Duration::from_secs(3600));
    let error = client.authenticate().await.unwrap_err();
    assert!(matches!(error, AuthError::LoginRequired { .. }), "{error:?}");
    exchange.assert_calls_async(1).await;
}

#[tokio::test]
async fn authorization_code_login_rejects_an_id_token_with_another_nonce() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let environment = hosts.environment();
    let login = AuthorizationCodeLogin::new(environment.identity_url(), CLIENT_ID, "https://app.example/cb");
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token").form_urlencoded_tuple("grant_type", "authorization_code");
            then.status(200).json_body(json!({
                "access_token": "t", "expires_in": 3600, "id_token": id_token_with_nonce("replayed-nonce"),
            }));
        })
        .await;
    let code = login.accept_code(SecretString::from("code-1"), login.state()).unwrap();
    let client = hosts.builder(&clock).authorization_code(code).build().unwrap();
    let error = client.authenticate().await.unwrap_err();
    assert!(matches!(error, AuthError::NonceMismatch), "{error:?}");
}

#[tokio::test]
async fn device_login_prompts_polls_at_the_interval_and_slows_down_when_told() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    let start = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/deviceauthorization")
                .form_urlencoded_tuple("client_id", CLIENT_ID)
                .form_urlencoded_tuple("client_secret", API_KEY)
                .form_urlencoded_tuple("scope", "extern.api");
            then.status(200).json_body(json!({
                "device_code": "NGU5OWFiNjQ5YmQwNGY3YTdmZTEyNzQ3YzQ1YSA",
                "user_code": "BDWPHQPK",
                "verification_uri": "https://identity.example/device",
                "verification_uri_complete": "https://identity.example/device?user-code=BDWPHQPK",
                "interval": 3,
                "expires_in": 300
            }));
        })
        .await;
    let poll = |when: httpmock::When| {
        when.method(POST)
            .path("/connect/token")
            .form_urlencoded_tuple("grant_type", "urn:ietf:params:oauth:grant-type:device_code")
            .form_urlencoded_tuple("device_code", "NGU5OWFiNjQ5YmQwNGY3YTdmZTEyNzQ3YzQ1YSA")
            .form_urlencoded_tuple("client_id", CLIENT_ID)
            .form_urlencoded_tuple("client_secret", API_KEY)
            .form_urlencoded_tuple("scope", "extern.api")
    };
    let pending = hosts
        .identity
        .mock_async(|when, then| {
            poll(when);
            then.status(400).json_body(json!({ "error": "authorization_pending" })).up_to_n_times(2);
        })
        .await;
    let slow_down = hosts
        .identity
        .mock_async(|when, then| {
            poll(when);
            then.status(400).json_body(json!({ "error": "slow_down" })).up_to_n_times(1);
        })
        .await;
    let pending_again = hosts
        .identity
        .mock_async(|when, then| {
            poll(when);
            then.status(400).json_body(json!({ "error": "authorization_pending" })).up_to_n_times(1);
        })
        .await;
    let granted = hosts
        .identity
        .mock_async(|when, then| {
            poll(when);
            // The documented example names the lifetime `expires`.
            then.status(200).json_body(json!({
                "access_token": "token-from-device", "refresh_token": "refresh-from-device",
                "token_type": "Bearer", "expires": 3600, "scope": "extern.api"
            }));
        })
        .await;
    let refresh = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST)
                .path("/connect/token")
                .form_urlencoded_tuple("grant_type", "refresh_token")
                .form_urlencoded_tuple("refresh_token", "refresh-from-device");
            then.status(200).json_body(token_body("token-after-refresh", 3600, None));
        })
        .await;
    hosts.accounts_for("token-from-device").await;
    hosts.accounts_for("token-after-refresh").await;

    let prompts = Arc::new(Mutex::new(Vec::<DevicePrompt>::new()));
    let shown = prompts.clone();
    let client =
        hosts.builder(&clock).device_flow(move |prompt| shown.lock().unwrap().push(prompt.clone())).build().unwrap();
    list_accounts(&client).await;

    let prompts = prompts.lock().unwrap().clone();
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].user_code, "BDWPHQPK");
    assert_eq!(prompts[0].verification_uri, "https://identity.example/device");
    assert_eq!(
        prompts[0].verification_uri_complete.as_deref(),
        Some("https://identity.example/device?user-code=BDWPHQPK")
    );
    assert_eq!(prompts[0].expires_in, Duration::from_secs(300));
    let waits: Vec<u64> = clock.sleeps().iter().map(Duration::as_secs).collect();
    assert_eq!(waits, vec![3, 3, 3, 8, 8], "interval, then +5 s after slow_down");
    start.assert_calls_async(1).await;
    pending.assert_calls_async(2).await;
    slow_down.assert_calls_async(1).await;
    pending_again.assert_calls_async(1).await;
    granted.assert_calls_async(1).await;

    // `expires: 3600` was understood: no renewal before the margin, a refresh after it.
    clock.advance(Duration::from_secs(3600 - 61));
    list_accounts(&client).await;
    refresh.assert_calls_async(0).await;
    clock.advance(Duration::from_secs(2));
    list_accounts(&client).await;
    refresh.assert_calls_async(1).await;
    start.assert_calls_async(1).await;
}

#[tokio::test]
async fn device_login_gives_up_when_the_code_expires() {
    let hosts = Hosts::start().await;
    let clock = ManualClock::new();
    hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/deviceauthorization");
            // `expires` instead of `expires_in`, as in the documented example.
            then.status(200).json_body(json!({
                "device_code": "dc", "user_code": "UC", "verification_uri": "https://identity.example/device",
                "interval": 3, "expires": 10
            }));
        })
        .await;
    let pending = hosts
        .identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token");
            then.status(400).json_body(json!({ "error": "authorization_pending" }));
        })
        .await;

    let client = hosts.builder(&clock).device_flow(|_| {}).build().unwrap();
    let error = client.authenticate().await.unwrap_err();
    assert!(matches!(error, AuthError::DeviceCodeExpired), "{error:?}");
    // Polls at 3, 6 and 9 s; at 12 s the code is past its 10 s.
    pending.assert_calls_async(3).await;
    assert_eq!(clock.sleeps().len(), 4);
}

#[tokio::test]
async fn device_login_reports_expired_token_and_access_denied() {
    for (error_code, check) in [
        ("expired_token", (|e: &AuthError| matches!(e, AuthError::DeviceCodeExpired)) as fn(&AuthError) -> bool),
        ("access_denied", |e: &AuthError| matches!(e, AuthError::AccessDenied { .. })),
    ] {
        let hosts = Hosts::start().await;
        let clock = ManualClock::new();
        hosts
            .identity
            .mock_async(|when, then| {
                when.method(POST).path("/connect/deviceauthorization");
                then.status(200).json_body(json!({
                    "device_code": "dc", "user_code": "UC", "verification_uri": "https://identity.example/device",
                    "expires_in": 300
                }));
            })
            .await;
        hosts
            .identity
            .mock_async(|when, then| {
                when.method(POST).path("/connect/token");
                then.status(400).json_body(json!({ "error": error_code }));
            })
            .await;
        let client = hosts.builder(&clock).device_flow(|_| {}).build().unwrap();
        let error = client.authenticate().await.unwrap_err();
        assert!(check(&error), "{error_code}: {error:?}");
        assert_eq!(clock.sleeps(), vec![Duration::from_secs(5)], "default interval without `interval`");
    }
}

#[tokio::test]
async fn a_supplied_access_token_needs_no_identity_host() {
    let hosts = Hosts::start().await;
    let identity = hosts
        .identity
        .mock_async(|when, then| {
            when.any_request();
            then.status(500);
        })
        .await;
    let accounts = hosts.accounts_for("token-from-elsewhere").await;
    let client = Client::builder()
        .environment(hosts.environment())
        .access_token(SecretString::from("token-from-elsewhere"))
        .build()
        .unwrap();
    list_accounts(&client).await;
    accounts.assert_calls_async(1).await;
    identity.assert_calls_async(0).await;
}

#[tokio::test]
async fn builder_requires_an_environment_a_login_and_credentials() {
    let no_environment = Client::builder().access_token(SecretString::from("t")).build().unwrap_err();
    assert!(matches!(no_environment, AuthError::Config(_)));
    let no_login = Client::builder().environment(kontur_extern::Environment::test()).build().unwrap_err();
    assert!(matches!(no_login, AuthError::Config(_)));
    let no_credentials = Client::builder()
        .environment(kontur_extern::Environment::test())
        .password("u", SecretString::from("p"))
        .build()
        .unwrap_err();
    assert!(matches!(no_credentials, AuthError::Config(_)));
    assert!(kontur_extern::Environment::new("not a url", "https://identity.example").is_err());
}

#[test]
fn environment_presets_name_the_documented_hosts() {
    let production = kontur_extern::Environment::production();
    assert_eq!(production.api_url().as_str(), "https://extern-api.kontur.ru/");
    assert_eq!(production.identity_url().as_str(), "https://identity.kontur.ru/");
    let test = kontur_extern::Environment::test();
    assert_eq!(test.api_url().as_str(), "https://extern-api.testkontur.ru/");
    assert_eq!(test.identity_url().as_str(), "https://identity.testkontur.ru/");
}
