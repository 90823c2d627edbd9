//! Error answers of the sandbox decoded by the real client over HTTP: each becomes a
//! `kontur_extern::Error` naming the operation, the HTTP status, the API's error id and the trace
//! id the answer carried.

mod sandbox_support;

use futures::StreamExt;
use kontur_extern::Error;
use kontur_extern::events::{EventCursor, MemoryCursorStore};
use kontur_extern::handles::NewDraft;
use kontur_extern::ids::DocflowId;
use sandbox_support::{builder, start, wire};
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

/// Checks an API error answer and returns its trace id.
fn api_failure(error: &Error, operation: &str, status: u16, id: &str) -> String {
    let Error::Api(failure) = error else { panic!("not an API error answer: {error:?}") };
    assert_eq!(failure.operation, Some(operation), "{error}");
    assert_eq!(failure.status.as_u16(), status, "{error}");
    assert_eq!(failure.id(), Some(id), "{error}");
    assert!(failure.message().is_some_and(|message| !message.is_empty()), "{error}");
    let trace_id = error.trace_id().expect("every answer carries X-Kontur-Trace-Id").to_owned();
    assert!(trace_id.len() >= 16 && trace_id.chars().all(|c| c.is_ascii_hexdigit()), "{trace_id}");
    let shown = error.to_string();
    for part in [operation, &status.to_string(), id, &trace_id] {
        assert!(shown.contains(part), "the message names {part}: {shown}");
    }
    trace_id
}

#[tokio::test]
async fn a_missing_docflow_is_a_404_naming_the_operation_and_trace_id() {
    let stand = start().await;
    let missing = stand.account().docflow(DocflowId::from(Uuid::new_v4())).get().await.unwrap_err();
    let first = api_failure(&missing, "get_docflow", 404, "urn:error:externapi:notFound");
    let again = stand.account().docflow(DocflowId::from(Uuid::new_v4())).get().await.unwrap_err();
    let second = api_failure(&again, "get_docflow", 404, "urn:error:externapi:notFound");
    assert_ne!(first, second, "each answer has its own trace id");
}

#[tokio::test]
async fn a_link_to_nothing_is_a_404_of_the_followed_link() {
    let stand = start().await;
    let link: kontur_extern::raw::types::Link = wire(json!({
        "href": format!("{}v1/{}/docflows/{}", stand.sandbox.api_url, stand.account_id, Uuid::new_v4()),
        "rel": "docflow",
    }));
    let missing = stand.client.links().docflow(&link).await.unwrap_err();
    api_failure(&missing, kontur_extern::links::FOLLOW_LINK_OPERATION, 404, "urn:error:externapi:notFound");
}

#[tokio::test]
async fn an_invalid_draft_is_a_400() {
    let stand = start().await;
    let meta: kontur_extern::raw::types::DraftMeta = wire(json!({ "recipient": { "ifns-code": "0087" } }));
    let refused = stand.account().drafts().create(NewDraft::from(meta)).await.unwrap_err();
    api_failure(&refused, "create_draft", 400, "urn:error:externapi:badRequest");
}

#[tokio::test]
async fn a_feed_cursor_the_server_does_not_know_is_a_400_from_the_feed() {
    let stand = start().await;
    let store = MemoryCursorStore::starting_at(EventCursor::new("s1_999999").unwrap());
    let mut feed = stand.client.events().feed(store).start().await.unwrap();
    let refused = feed.next().await.expect("the feed reports the failure").unwrap_err();
    api_failure(&refused, "get_events", 400, "urn:error:externapi:badRequest");
}

#[tokio::test]
async fn a_token_without_the_api_scope_is_a_403() {
    let stand = start().await;
    let credentials = &stand.sandbox.credentials;
    let openid_only = builder(&stand.sandbox)
        .password(credentials.login.clone(), SecretString::from(credentials.password.clone()))
        .scope("openid")
        .build()
        .unwrap();
    let refused = openid_only.account(stand.account_id).get().await.unwrap_err();
    api_failure(&refused, "get_account", 403, "urn:error:externapi:forbidden");
    assert_eq!(stand.sandbox.auth_log().refused_tokens, 0, "the token is valid, only not for the API");
}
