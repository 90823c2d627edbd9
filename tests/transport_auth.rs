//! Credentials: every attempt is authorized; a 401 leads to one reauthorization and one repeat.

mod transport_support;

use std::sync::Arc;
use std::time::Duration;

use kontur_extern::transport::{AUTHENTICATION_FAILED_ID, RetryPolicy, SendExt, Transport};
use kontur_extern::{Error, raw};
use serde_json::json;
use transport_support::{ACCOUNT, CountingAuthenticator, DOCFLOW, LoopbackServer, Reply, uuid};

fn client(base_url: &str, authenticator: Arc<CountingAuthenticator>) -> raw::Client {
    Transport::with_authenticator(authenticator)
        .retry_policy(RetryPolicy::default().with_base_delay(Duration::from_millis(5)))
        .into_client(base_url)
        .unwrap()
}

fn unauthorized() -> Reply {
    Reply::json(401, json!({ "id": "urn:error:externapi:unauthorized", "status-code": 401 }))
}

fn docflow() -> Reply {
    Reply::json(200, json!({ "id": DOCFLOW }))
}

async fn get_docflow(client: &raw::Client) -> Result<raw::types::Docflow, Error> {
    Ok(client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().await?.into_inner())
}

#[tokio::test]
async fn a_401_leads_to_one_reauthorize_and_one_repeat_with_fresh_credentials() {
    let server = LoopbackServer::sequence(vec![unauthorized(), docflow()]).await;
    let authenticator = CountingAuthenticator::refreshing();

    get_docflow(&client(&server.base_url, authenticator.clone())).await.expect("the repeat succeeds");

    assert_eq!(authenticator.reauthorizes(), 1);
    assert_eq!(authenticator.authorizes(), 2, "the repeat is authorized again");
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "one repeat");
    assert_eq!(seen[0].header("authorization"), Some("Bearer token-0"));
    assert_eq!(seen[1].header("authorization"), Some("Bearer token-1"), "the repeat carries the fresh token");
}

#[tokio::test]
async fn a_second_401_is_returned_without_another_reauthorize() {
    let server = LoopbackServer::always(unauthorized()).await;
    let authenticator = CountingAuthenticator::refreshing();

    let error = get_docflow(&client(&server.base_url, authenticator.clone())).await.expect_err("still 401");

    assert_eq!(error.status(), Some(reqwest::StatusCode::UNAUTHORIZED));
    assert_eq!(authenticator.reauthorizes(), 1, "never a loop");
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn no_repeat_when_reauthorize_finds_nothing_fresher() {
    let server = LoopbackServer::always(unauthorized()).await;
    let authenticator = Arc::new(CountingAuthenticator::default());

    let error = get_docflow(&client(&server.base_url, authenticator.clone())).await.expect_err("401");

    assert_eq!(error.status(), Some(reqwest::StatusCode::UNAUTHORIZED));
    assert_eq!(authenticator.reauthorizes(), 1);
    assert_eq!(server.hits(), 1);
}

#[tokio::test]
async fn a_streaming_upload_answered_401_is_not_repeated() {
    let server = LoopbackServer::always(unauthorized()).await;
    let authenticator = CountingAuthenticator::refreshing();
    let chunks: Vec<Result<&'static [u8], std::io::Error>> = vec![Ok(b"chunk")];

    let error = client(&server.base_url, authenticator.clone())
        .upload_content()
        .account_id(uuid(ACCOUNT))
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .checked()
        .await
        .expect_err("401");

    assert_eq!(error.status(), Some(reqwest::StatusCode::UNAUTHORIZED));
    assert_eq!(server.hits(), 1, "the body cannot be sent again");
    assert_eq!(authenticator.reauthorizes(), 1, "fresh credentials serve the next call");
}

#[tokio::test]
async fn a_failed_authorization_is_an_auth_error_and_nothing_is_sent() {
    let server = LoopbackServer::always(docflow()).await;
    let authenticator = Arc::new(CountingAuthenticator { authorize_fails: true, ..CountingAuthenticator::default() });
    let client = client(&server.base_url, authenticator);

    let error = get_docflow(&client).await.expect_err("no credentials");
    let Error::Auth { operation, source } = &error else { panic!("expected an auth error, got {error:?}") };
    assert_eq!(*operation, Some("get_docflow"));
    assert!(source.to_string().contains("refused the api key"));
    assert!(error.to_string().contains("get_docflow"));

    // A caller of the bare `send()` sees a 401 whose body names the problem.
    let raw_error = client
        .get_docflow()
        .account_id(uuid(ACCOUNT))
        .docflow_id(uuid(DOCFLOW))
        .send()
        .await
        .expect_err("no credentials");
    let progenitor_client::Error::ErrorResponse(answer) = raw_error else { panic!("{raw_error:?}") };
    assert_eq!(answer.status(), reqwest::StatusCode::UNAUTHORIZED);
    assert_eq!(answer.id.as_deref(), Some(AUTHENTICATION_FAILED_ID));
    assert!(answer.message.as_deref().is_some_and(|message| message.contains("refused the api key")));

    assert_eq!(server.hits(), 0);
}
