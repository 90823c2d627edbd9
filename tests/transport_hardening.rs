//! The request path under a demanding user: redirects, secrets in errors and logs, deadlines and
//! body timeouts, retry safety from the spec, slots of errors kept for long.

mod transport_support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use kontur_extern::auth::{AuthError, Authenticator};
use kontur_extern::transport::{
    DEFAULT_DEADLINE, DEFAULT_FIRST_BYTE_TIMEOUT, RetryPolicy, SendExt, Transport, operation_facts, retry_safety_table,
};
use kontur_extern::{Client, Environment, Error, raw};
use secrecy::SecretString;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use transport_support::{ACCOUNT, DOCFLOW, DRAFT, LoopbackServer, Reply, uuid};

const SMS_CODE: &str = "SMS-739184-SECRET";
const REQUEST_ID: &str = "REQ-5521-SECRET";

fn quick_policy() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_base_delay(Duration::from_millis(5))
        .with_max_delay(Duration::from_millis(20))
}

fn client(base_url: &str) -> raw::Client {
    Transport::unauthenticated().retry_policy(quick_policy()).into_client(base_url).expect("a client")
}

fn docflow_json() -> serde_json::Value {
    json!({ "id": DOCFLOW, "type": "urn:docflow:fns534-report" })
}

fn draft_meta() -> raw::types::DraftMeta {
    serde_json::from_value(json!({
        "sender": { "inn": "7700000000", "kpp": "770001001" },
        "payer": { "inn": "7700000000" },
        "recipient": { "ifns-code": "7700" }
    }))
    .expect("a draft meta")
}

/// A closed loopback port: connecting to it is refused.
async fn refused_base_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}

// ---- redirects -------------------------------------------------------------------------------

#[tokio::test]
async fn api_redirects_are_not_followed_even_with_the_callers_http_settings() {
    let elsewhere = LoopbackServer::always(Reply::raw(200, r#"{"accounts":[]}"#)).await;
    let api =
        LoopbackServer::always(Reply::raw(307, "").header("Location", &format!("{}/v1?stolen=1", elsewhere.base_url)))
            .await;
    let identity = LoopbackServer::always(Reply::raw(500, "")).await;
    for http in [None, Some(reqwest::Client::builder())] {
        let mut builder = Client::builder()
            .environment(Environment::new(&api.base_url, &identity.base_url).unwrap())
            .client("integrator", SecretString::from("api-key-that-must-stay-home"))
            .send_api_key_header(true)
            .access_token(SecretString::from("access-token"));
        if let Some(http) = http {
            builder = builder.http_client(http);
        }
        let client = builder.build().expect("a client");
        let error = client.raw().list_accounts().send().checked().await.expect_err("a 307 is no answer");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(307), "{error}");
    }
    assert_eq!(api.hits(), 2);
    assert_eq!(elsewhere.hits(), 0, "the redirect target received the api-key header");
}

#[tokio::test]
async fn identity_redirects_are_not_followed_so_the_login_form_stays_home() {
    let elsewhere = LoopbackServer::always(Reply::json(200, json!({ "access_token": "x", "expires_in": 60 }))).await;
    let identity = LoopbackServer::always(
        Reply::raw(308, "").header("Location", &format!("{}/connect/token", elsewhere.base_url)),
    )
    .await;
    let api = LoopbackServer::always(Reply::raw(200, r#"{"accounts":[]}"#)).await;
    let client = Client::builder()
        .environment(Environment::new(&api.base_url, &identity.base_url).unwrap())
        .client("integrator", SecretString::from("api-key"))
        .password("user", SecretString::from("password-that-must-stay-home"))
        .http_client(reqwest::Client::builder())
        .build()
        .expect("a client");
    let error = client.authenticate().await.expect_err("a redirect is no token");
    assert!(matches!(error, AuthError::UnexpectedAnswer { status: 308, .. }), "{error:?}");
    assert_eq!(identity.hits(), 1);
    assert_eq!(elsewhere.hits(), 0, "the password form followed the redirect");
    assert_eq!(api.hits(), 0);
}

// ---- no query values in errors or logs ---------------------------------------------------------

/// A log sink for one test (the test runtime runs on the test's thread).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// Everything an error says about itself: Display and Debug of it and of every source.
fn everything_said(error: &(dyn std::error::Error + 'static)) -> String {
    let mut said = format!("{error}\n{error:?}\n");
    let mut source = error.source();
    while let Some(cause) = source {
        said.push_str(&format!("{cause}\n{cause:?}\n"));
        source = cause.source();
    }
    said
}

fn assert_no_secret(what: &str, text: &str) {
    assert!(!text.contains(SMS_CODE) && !text.contains(REQUEST_ID), "{what} carries a query value:\n{text}");
}

async fn confirm(client: &raw::Client) -> Result<(), Error> {
    client
        .confirm_cloud_sign_draft()
        .account_id(uuid(ACCOUNT))
        .draft_id(uuid(DRAFT))
        .request_id(REQUEST_ID)
        .code(SMS_CODE)
        .send()
        .checked()
        .await
        .map(drop)
}

async fn confirm_bare(client: &raw::Client) -> String {
    let error = client
        .confirm_cloud_sign_draft()
        .account_id(uuid(ACCOUNT))
        .draft_id(uuid(DRAFT))
        .request_id(REQUEST_ID)
        .code(SMS_CODE)
        .send()
        .await
        .expect_err("the call fails");
    format!("{error}\n{error:?}\n{}", everything_said(&error))
}

#[tokio::test]
async fn a_failed_cloud_sign_confirmation_never_shows_the_sms_code() {
    let (logs, _guard) = capture_logs();
    let slow = LoopbackServer::always(Reply::json(200, json!({})).delay(Duration::from_secs(3))).await;
    let undocumented = LoopbackServer::always(Reply::raw(302, "moved")).await;
    let refused = refused_base_url().await;

    for (name, base_url) in
        [("refused", &refused), ("timed out", &slow.base_url), ("undocumented", &undocumented.base_url)]
    {
        let client = Transport::unauthenticated()
            .retry_policy(RetryPolicy::none())
            .first_byte_timeout(Duration::from_millis(200))
            .into_client(base_url)
            .unwrap();
        let error = confirm(&client).await.expect_err("the call fails");
        assert_no_secret(name, &everything_said(&error));
        assert_no_secret(name, &format!("{error:#?}"));
        assert_no_secret(&format!("{name} (bare send)"), &confirm_bare(&client).await);
    }
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("kontur_extern::transport"), "the transport's log lines were captured:\n{logs}");
    assert_no_secret("the logs", &logs);
}

// ---- deadlines and body timeouts ---------------------------------------------------------------

/// An authenticator whose login never ends.
#[derive(Debug)]
struct EndlessLogin;

impl Authenticator for EndlessLogin {
    fn authorize<'a>(&'a self, _request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), AuthError>> {
        Box::pin(futures::future::pending())
    }
    fn reauthorize<'a>(&'a self, _rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(futures::future::pending())
    }
}

async fn get_docflow(client: &raw::Client, deadline: Duration) -> Result<(), Error> {
    let call = client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked();
    tokio::time::timeout(Duration::from_secs(10), call.deadline(deadline))
        .await
        .expect("the deadline ends the call")
        .map(drop)
}

#[tokio::test]
async fn the_deadline_covers_the_login() {
    let server = LoopbackServer::always(Reply::json(200, docflow_json())).await;
    let client = Transport::with_authenticator(Arc::new(EndlessLogin)).into_client(&server.base_url).unwrap();
    let started = Instant::now();
    let error = get_docflow(&client, Duration::from_millis(300)).await.expect_err("no login, no call");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn the_deadline_covers_the_wait_for_a_slot() {
    let server = LoopbackServer::always(Reply::json(200, docflow_json()).delay(Duration::from_secs(2))).await;
    let client = Transport::unauthenticated().max_in_flight(1).into_client(&server.base_url).unwrap();
    let busy = client.clone();
    let holder = tokio::spawn(async move { get_docflow(&busy, Duration::from_secs(5)).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let error = get_docflow(&client, Duration::from_millis(300)).await.expect_err("the only slot is taken");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_millis(1500));
    holder.await.unwrap().expect("the first call succeeds");
}

#[tokio::test]
async fn the_deadline_covers_the_pauses_between_retries() {
    let server =
        LoopbackServer::always(Reply::json(503, json!({ "status-code": 503 })).header("Retry-After", "2")).await;
    let client = Transport::unauthenticated().into_client(&server.base_url).unwrap();
    let started = Instant::now();
    let error = get_docflow(&client, Duration::from_millis(500)).await.expect_err("unavailable");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert!(started.elapsed() < Duration::from_secs(1), "paused past the deadline: {:?}", started.elapsed());
    assert_eq!(server.hits(), 1);
}

#[test]
fn with_the_defaults_a_timed_out_get_is_still_retried() {
    let policy = RetryPolicy::default();
    assert!(
        DEFAULT_FIRST_BYTE_TIMEOUT + policy.max_delay() <= policy.max_elapsed(),
        "a first attempt that times out leaves no retry budget"
    );
    assert!(DEFAULT_FIRST_BYTE_TIMEOUT * 2 + policy.max_delay() <= DEFAULT_DEADLINE);
    let transport = Transport::default();
    assert_eq!(transport.current_first_byte_timeout(), DEFAULT_FIRST_BYTE_TIMEOUT);
    assert_eq!(transport.current_deadline(), DEFAULT_DEADLINE);
}

#[tokio::test]
async fn a_get_whose_answer_is_late_is_sent_again() {
    let server = LoopbackServer::sequence(vec![
        Reply::json(200, docflow_json()).delay(Duration::from_secs(2)),
        Reply::json(200, docflow_json()),
    ])
    .await;
    let client = Transport::unauthenticated()
        .retry_policy(quick_policy())
        .first_byte_timeout(Duration::from_millis(200))
        .into_client(&server.base_url)
        .unwrap();
    get_docflow(&client, Duration::from_secs(5)).await.expect("a later attempt answers");
    assert!(server.hits() >= 2, "the late GET was sent again");
}

/// A call with a short first-byte timeout against a server that answers after 5 s, on `client`.
async fn late_answer_with_a_short_timeout(client: &raw::Client) -> (Result<(), Error>, Duration) {
    let started = Instant::now();
    let result = client
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .checked()
        .first_byte_timeout(Duration::from_millis(150))
        .retry_policy(RetryPolicy::none())
        .await
        .map(drop);
    (result, started.elapsed())
}

/// First-byte timers are reused across calls on a thread: one left at the default 30 s must
/// still fire at a later call's much earlier limit.
#[tokio::test]
async fn a_reused_first_byte_timer_fires_at_an_earlier_limit() {
    let quick = LoopbackServer::always(Reply::json(200, docflow_json())).await;
    get_docflow(&client(&quick.base_url), Duration::from_secs(5)).await.expect("an answer at once");
    let late = LoopbackServer::always(Reply::json(200, docflow_json()).delay(Duration::from_secs(5))).await;
    let (result, took) = late_answer_with_a_short_timeout(&client(&late.base_url)).await;
    assert!(result.expect_err("the answer comes after the limit").is_timeout());
    assert!(took < Duration::from_secs(2), "the limit fired after {took:?}");
}

/// A timer belongs to its runtime's timer wheel: a runtime started after another one ended on
/// the same thread must not get that runtime's timers (they would never fire, or panic).
#[test]
fn first_byte_timers_stay_with_their_runtime() {
    let runtime = || tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime().block_on(async {
        let quick = LoopbackServer::always(Reply::json(200, docflow_json())).await;
        get_docflow(&client(&quick.base_url), Duration::from_secs(5)).await.expect("an answer at once");
    });
    let (result, took) = runtime().block_on(async {
        let late = LoopbackServer::always(Reply::json(200, docflow_json()).delay(Duration::from_secs(5))).await;
        late_answer_with_a_short_timeout(&client(&late.base_url)).await
    });
    assert!(result.expect_err("the answer comes after the limit").is_timeout());
    assert!(took < Duration::from_secs(2), "the limit fired after {took:?}");
}

/// Serves one GET with `chunks` body pieces of `size` bytes, `gap` apart; `stall_after` stops
/// sending (without closing) after that many pieces.
async fn trickling_server(chunks: usize, size: usize, gap: Duration, stall_after: Option<usize>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        if transport_support::read_request(&mut socket).await.is_none() {
            return;
        }
        let total = chunks * size;
        let head =
            format!("HTTP/1.1 200 OK\r\nContent-Length: {total}\r\nContent-Type: application/octet-stream\r\n\r\n");
        socket.write_all(head.as_bytes()).await.unwrap();
        for index in 0..chunks {
            if stall_after == Some(index) {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
            if socket.write_all(&vec![b'x'; size]).await.is_err() {
                return;
            }
            tokio::time::sleep(gap).await;
        }
    });
    format!("http://{address}")
}

async fn download(transport: &Transport, base_url: &str) -> reqwest::Result<bytes::Bytes> {
    let http = kontur_extern::transport::http_client().unwrap();
    let request =
        reqwest::Request::new(reqwest::Method::GET, format!("{base_url}/v1/{ACCOUNT}/contents/x").parse().unwrap());
    transport.send(&http, request, "download_content").await?.bytes().await
}

#[tokio::test]
async fn a_download_that_keeps_moving_is_never_cut_off() {
    let base_url = trickling_server(16, 1000, Duration::from_millis(80), None).await;
    let transport = Transport::unauthenticated()
        .deadline(Duration::from_millis(500))
        .first_byte_timeout(Duration::from_millis(400))
        .idle_timeout(Duration::from_millis(400));
    let started = Instant::now();
    let body = download(&transport, &base_url).await.expect("the whole body");
    assert_eq!(body.len(), 16_000);
    assert!(started.elapsed() > Duration::from_millis(1000), "the body took longer than every limit");
}

#[tokio::test]
async fn a_stalled_download_ends_with_a_timeout() {
    let base_url = trickling_server(4, 1000, Duration::from_millis(10), Some(2)).await;
    let transport = Transport::unauthenticated().idle_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let error = download(&transport, &base_url).await.expect_err("the body stalls");
    assert!(error.is_timeout(), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

// ---- retry safety from the spec ----------------------------------------------------------------

/// The committed table lists the test-tools operations too, so it is compared with all features.
#[cfg(feature = "test-tools")]
#[test]
fn the_committed_retry_table_is_what_the_spec_says() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/transport/retry-safety.md");
    let generated = retry_safety_table();
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(committed == generated, "{} is stale: run with BLESS=1 to rewrite it", path.display());
    let print = operation_facts("print_draft_document").expect("in the spec");
    assert!(!print.retry_safe && print.declared_in_spec && print.method == "GET");
    let search = operation_facts("search_reports_tables").expect("in the spec");
    assert!(search.retry_safe && search.method == "POST");
    assert!(operation_facts("get_docflow").expect("in the spec").retry_safe);
    assert!(!operation_facts("create_draft").expect("in the spec").retry_safe);
}

#[tokio::test]
async fn a_get_that_starts_a_task_is_not_sent_twice() {
    let server = LoopbackServer::always(Reply::json(503, json!({ "status-code": 503 }))).await;
    let error = client(&server.base_url)
        .print_draft_document()
        .account_id(uuid(ACCOUNT))
        .draft_id(uuid(DRAFT))
        .document_id(uuid(DOCFLOW))
        .deferred(true)
        .send()
        .checked()
        .await
        .expect_err("unavailable");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.hits(), 1, "a retry would start a second print");
}

#[tokio::test]
async fn a_post_the_spec_marks_safe_is_retried() {
    let server = LoopbackServer::always(Reply::json(503, json!({ "status-code": 503 }))).await;
    let error = client(&server.base_url)
        .search_reports_tables()
        .account_id(uuid(ACCOUNT))
        .body_map(|body| body.take(Some(10)))
        .send()
        .checked()
        .await
        .expect_err("unavailable");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(server.hits(), 3);
}

#[tokio::test]
async fn a_post_is_sent_again_after_429_but_not_after_503() {
    for (status, expected_hits) in [(429, 3), (503, 1)] {
        let server = LoopbackServer::always(Reply::json(status, json!({ "status-code": status }))).await;
        let error = client(&server.base_url)
            .create_draft()
            .account_id(uuid(ACCOUNT))
            .body(draft_meta())
            .send()
            .checked()
            .await
            .expect_err("refused");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(server.hits(), expected_hits, "HTTP {status}");
    }
}

#[tokio::test]
async fn a_post_is_sent_again_after_connection_refused() {
    let error = client(&refused_base_url().await)
        .create_draft()
        .account_id(uuid(ACCOUNT))
        .body(draft_meta())
        .send()
        .checked()
        .await
        .expect_err("refused");
    let Error::Transport(failure) = &error else { panic!("{error:?}") };
    assert_eq!(failure.attempts, 3, "{error}");
}

// ---- slots -------------------------------------------------------------------------------------

#[tokio::test]
async fn a_kept_error_of_an_undocumented_answer_does_not_hold_a_slot() {
    let server = LoopbackServer::sequence(vec![Reply::raw(302, "moved"), Reply::json(200, docflow_json())]).await;
    let client = Transport::unauthenticated().max_in_flight(1).into_client(&server.base_url).unwrap();
    let kept = client
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .await
        .expect_err("302 is not documented");
    assert!(matches!(kept, progenitor_client::Error::UnexpectedResponse(_)), "{kept:?}");
    get_docflow(&client, Duration::from_secs(1)).await.expect("the slot is free while the error lives");
    drop(kept);
}
