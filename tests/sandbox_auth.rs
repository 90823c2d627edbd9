//! Logging in to the sandbox over real HTTP with every login it supports, and keeping the token
//! alive through its expiry: renewed in time with the refresh token, or after a 401 when the
//! server dropped it early. The sandbox's auth log tells a refresh from a new login and counts
//! the requests it refused.

mod sandbox_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use kontur_extern::Error;
use kontur_extern::auth::{AuthError, AuthorizationCodeLogin, Clock, DevicePrompt};
use kontur_extern_sandbox::{Sandbox, SandboxConfig};
use sandbox_support::{builder, password_client, start, start_with, stopped_clock};
use secrecy::SecretString;

/// A clock a test moves forward, beside the sandbox's, so tokens age without waiting.
#[derive(Debug, Default)]
struct SteppedClock {
    ahead: Mutex<Duration>,
}

impl SteppedClock {
    fn advance(&self, by: Duration) {
        *self.ahead.lock().unwrap() += by;
    }
}

impl Clock for SteppedClock {
    fn now(&self) -> Instant {
        Instant::now() + *self.ahead.lock().unwrap()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock whose pauses take a millisecond of real time while its reading jumps by the whole
/// pause: the device login's 3-second polls run at once.
#[derive(Debug, Default)]
struct HurriedClock {
    ahead: Mutex<Duration>,
}

impl Clock for HurriedClock {
    fn now(&self) -> Instant {
        Instant::now() + *self.ahead.lock().unwrap()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        *self.ahead.lock().unwrap() += duration;
        Box::pin(tokio::time::sleep(Duration::from_millis(1)))
    }
}

/// A device-login client whose prompts land in the returned list.
fn device_client(
    sandbox: &kontur_extern_sandbox::SandboxHandle,
) -> (kontur_extern::Client, Arc<Mutex<Vec<DevicePrompt>>>) {
    let prompts = Arc::new(Mutex::new(Vec::new()));
    let seen = prompts.clone();
    let client = builder(sandbox)
        .device_flow(move |prompt| seen.lock().unwrap().push(prompt.clone()))
        .clock(Arc::new(HurriedClock::default()))
        .build()
        .unwrap();
    (client, prompts)
}

/// The prompt, once the client has shown it.
async fn shown(prompts: &Mutex<Vec<DevicePrompt>>) -> DevicePrompt {
    for _ in 0..500 {
        if let Some(prompt) = prompts.lock().unwrap().first().cloned() {
            return prompt;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the client never showed the device prompt");
}

#[tokio::test]
async fn the_device_flow_logs_in_once_the_user_confirms_on_the_identity_host() {
    let sandbox = Sandbox::start(stopped_clock()).await.unwrap();
    let (client, prompts) = device_client(&sandbox);
    let login = tokio::spawn({
        let client = client.clone();
        async move { client.authenticate().await }
    });
    let prompt = shown(&prompts).await;
    assert!(prompt.verification_uri.starts_with(&sandbox.identity_url), "{prompt:?}");
    // The user takes a while: the client keeps polling meanwhile.
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(!login.is_finished(), "no token before the user confirms");
    let page = prompt.verification_uri_complete.clone().expect("the page with the code filled in");
    let confirmed = reqwest::get(&page).await.unwrap();
    assert_eq!(confirmed.status(), 200);
    login.await.unwrap().expect("the login completes once confirmed");

    let account = client.account(sandbox.credentials.account_id.into()).get().await.expect("the user's account");
    assert_eq!(account.id, sandbox.credentials.account_id);
    assert_eq!(prompts.lock().unwrap().len(), 1, "one prompt per login");
    assert_eq!(sandbox.auth_log().grants, ["urn:ietf:params:oauth:grant-type:device_code"]);
}

#[tokio::test]
async fn a_device_login_the_user_refuses_is_access_denied() {
    let sandbox = Sandbox::start(stopped_clock()).await.unwrap();
    let (client, prompts) = device_client(&sandbox);
    let login = tokio::spawn({
        let client = client.clone();
        async move { client.authenticate().await }
    });
    let page = shown(&prompts).await.verification_uri_complete.unwrap();
    reqwest::get(format!("{page}&deny=true")).await.unwrap();
    let refused = login.await.unwrap().expect_err("a refused login gives no token");
    assert!(matches!(refused, AuthError::AccessDenied { .. }), "{refused:?}");
}

#[tokio::test]
async fn a_device_login_no_one_confirms_ends_when_its_code_expires() {
    let sandbox = Sandbox::start(stopped_clock()).await.unwrap();
    let (client, _prompts) = device_client(&sandbox);
    // 300 s at one poll every 3 s, on the hurried clock: a hundred quick polls, then the end.
    let expired = tokio::time::timeout(Duration::from_secs(20), client.authenticate()).await.unwrap();
    assert!(matches!(expired, Err(AuthError::DeviceCodeExpired)), "{expired:?}");
}

#[tokio::test]
async fn the_authorization_code_login_goes_through_the_browser_redirect_and_refreshes() {
    let sandbox = Sandbox::start(stopped_clock()).await.unwrap();
    let identity = url::Url::parse(&sandbox.identity_url).unwrap();
    let login = AuthorizationCodeLogin::new(&identity, &sandbox.credentials.client_id, "http://127.0.0.1:9/callback");
    // The browser: the sandbox's user is signed in, so the identity host sends it straight back.
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let answer = browser.get(login.authorize_url()).send().await.unwrap();
    assert_eq!(answer.status(), 302);
    let back = url::Url::parse(answer.headers()["location"].to_str().unwrap()).unwrap();
    assert!(back.as_str().starts_with("http://127.0.0.1:9/callback?"), "{back}");
    let code = login.accept_redirect(&back).expect("the redirect carries a code and our state");

    let client = builder(&sandbox).authorization_code(code).build().unwrap();
    let account = client.account(sandbox.credentials.account_id.into());
    account.get().await.expect("the code is exchanged (PKCE verifier, nonce in the ID token) on the first call");
    sandbox.advance(Duration::from_secs(2 * 3600)).await;
    account.get().await.expect("the spent code is not needed again: the refresh token renews");
    assert_eq!(sandbox.auth_log().grants, ["authorization_code", "refresh_token"]);
}

#[tokio::test]
async fn the_password_grant_logs_in_once_for_many_calls() {
    let stand = start().await;
    for _ in 0..3 {
        let account = stand.account().get().await.expect("the account answers with the password login");
        assert_eq!(account.id, stand.sandbox.credentials.account_id);
    }
    let log = stand.sandbox.auth_log();
    assert_eq!(log.grants, ["password"], "one login serves every call while the token lives");
    assert_eq!(log.refused_tokens, 0);
}

#[tokio::test]
async fn a_token_about_to_expire_is_refreshed_in_time_and_calls_keep_working() {
    let sandbox =
        Sandbox::start(SandboxConfig { token_lifetime: Duration::from_secs(120), ..stopped_clock() }).await.unwrap();
    let clock = Arc::new(SteppedClock::default());
    let client = password_client(&sandbox).clock(clock.clone()).build().unwrap();
    let account = client.account(sandbox.credentials.account_id.into());
    // Each step ages the token past the renewal point (half its life here) but not past expiry;
    // four steps outlive the first token three times over.
    for step in 0..4 {
        account.get().await.unwrap_or_else(|error| panic!("call after {step} steps: {error}"));
        clock.advance(Duration::from_secs(90));
        sandbox.advance(Duration::from_secs(90)).await;
    }
    account.get().await.expect("the last call");
    let log = sandbox.auth_log();
    assert_eq!(
        log.grants,
        ["password", "refresh_token", "refresh_token", "refresh_token", "refresh_token"],
        "one login, then the refresh token before each expiry"
    );
    assert_eq!(log.refused_tokens, 0, "no request went out with an expired token");
}

#[tokio::test]
async fn a_token_the_server_expired_early_is_renewed_after_one_401() {
    let stand = start().await;
    stand.account().get().await.unwrap();
    // The server's clock runs two hours ahead: to it the token is dead, to the client it is fresh.
    stand.sandbox.advance(Duration::from_secs(2 * 3600)).await;
    let account = stand.account().get().await.expect("the client renews on the 401 and repeats the call");
    assert_eq!(account.id, stand.sandbox.credentials.account_id);
    let log = stand.sandbox.auth_log();
    assert_eq!(log.grants, ["password", "refresh_token"]);
    assert_eq!(log.refused_tokens, 1, "exactly the one call with the dead token was refused");
}

#[tokio::test]
async fn the_api_key_header_the_client_sends_is_the_integrators_own() {
    let sandbox = Sandbox::start(stopped_clock()).await.unwrap();
    let credentials = &sandbox.credentials;
    let client = builder(&sandbox)
        .password(credentials.login.clone(), SecretString::from(credentials.password.clone()))
        .send_api_key_header(true)
        .build()
        .unwrap();
    // The sandbox refuses an X-Kontur-Apikey that is not the token's integrator's (401).
    let account = client.account(credentials.account_id.into()).get().await.expect("bearer token and api-key accepted");
    assert_eq!(account.id, credentials.account_id);
    assert_eq!(sandbox.auth_log().refused_tokens, 0);
}

#[tokio::test]
async fn a_caller_supplied_access_token_works_until_it_expires_and_is_not_renewed() {
    let stand = start().await;
    let token = stand.client.authenticator().access_token().await.unwrap();
    let borrowed = kontur_extern::Client::builder()
        .environment(stand.client.environment().clone())
        .access_token(token)
        .build()
        .unwrap();
    let account = borrowed.account(stand.account_id);
    account.get().await.expect("a token obtained elsewhere is accepted");
    stand.sandbox.advance(Duration::from_secs(2 * 3600)).await;
    let error = account.get().await.expect_err("an expired token the client cannot renew");
    match &error {
        Error::Api(failure) => assert_eq!(failure.status, 401, "{error}"),
        Error::Auth { source, .. } => assert!(matches!(source, AuthError::LoginRequired { .. }), "{error}"),
        other => panic!("not an auth failure: {other}"),
    }
    assert_eq!(stand.sandbox.auth_log().grants, ["password"], "nothing tried to log in again");
}

#[tokio::test]
async fn a_wrong_password_is_refused_by_the_identity_host_as_invalid_grant() {
    let sandbox = Sandbox::start(stopped_clock()).await.unwrap();
    let client = builder(&sandbox)
        .password(sandbox.credentials.login.clone(), SecretString::from("not the password".to_owned()))
        .build()
        .unwrap();
    let refused = client.authenticate().await.expect_err("a wrong password logs no one in");
    assert!(matches!(refused, AuthError::InvalidGrant { .. }), "{refused:?}");
    let error = client.account(sandbox.credentials.account_id.into()).get().await.expect_err("no call without a login");
    assert!(matches!(error, Error::Auth { source: AuthError::InvalidGrant { .. }, .. }), "{error}");
    assert_eq!(error.operation(), Some("get_account"), "the error names the call: {error}");
    assert!(sandbox.auth_log().grants.is_empty());
}

#[tokio::test]
async fn a_wrong_api_key_is_refused_as_invalid_client() {
    let sandbox = Sandbox::start(stopped_clock()).await.unwrap();
    let credentials = &sandbox.credentials;
    let client = kontur_extern::Client::builder()
        .environment(kontur_extern::Environment::new(&sandbox.api_url, &sandbox.identity_url).unwrap())
        .client(credentials.client_id.clone(), SecretString::from("00000000-0000-0000-0000-000000000000".to_owned()))
        .password(credentials.login.clone(), SecretString::from(credentials.password.clone()))
        .build()
        .unwrap();
    let refused = client.authenticate().await.expect_err("the api-key is checked at login");
    assert!(matches!(refused, AuthError::InvalidClient { .. }), "{refused:?}");
}

#[tokio::test]
async fn a_short_token_lifetime_in_real_time_does_not_break_a_run() {
    // Tokens of 2 s against the real clock: the client renews on its own while calls go on.
    let stand = start_with(SandboxConfig { token_lifetime: Duration::from_secs(2), ..stopped_clock() }).await;
    let started = Instant::now();
    let mut calls = 0;
    while started.elapsed() < Duration::from_millis(2500) {
        stand.account().get().await.unwrap_or_else(|error| panic!("call {calls}: {error}"));
        calls += 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = stand.sandbox.auth_log();
    assert!(log.grants.len() >= 2, "the token was renewed during the run: {log:?}");
    assert_eq!(log.grants[0], "password");
    assert!(log.grants[1..].iter().all(|grant| grant == "refresh_token"), "{log:?}");
    // No assertion on refused requests here: on a starved machine a request may reach the server
    // after its token died, and the 401 path renews it; the stepped-clock test pins that down.
}
