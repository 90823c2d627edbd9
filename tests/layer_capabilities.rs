//! Contents, event sharing and cloud signing are reached from the handles of their resources.

mod common;

use common::{id, layer_client};
use httpmock::prelude::*;
use kontur_extern::cloud::Started;
use kontur_extern::contents::UploadSource;
use kontur_extern::events::EventFilter;
use kontur_extern::ids::{AccountId, DocflowId, DocumentId, DraftId, ReplyId};
use serde_json::json;

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const DRAFT: &str = "30717ae6-b0eb-4eb2-9e85-99553af15941";
const CONTENT: &str = "9089d7cf-58d0-4739-ba3f-110ecd4180d7";
const DOCFLOW: &str = "5d0f3b8e-4c1a-4e6f-9a3b-2c7d8e9f0a1b";
const DOCUMENT: &str = "7e2a9c41-0b3d-4f5e-8a6c-1d2e3f4a5b6c";
const REPLY: &str = "a41c7e90-2b5d-4c8f-9e1a-3f6b7d8c9e0f";

fn account() -> AccountId {
    AccountId::from(id(ACCOUNT))
}

#[tokio::test]
async fn an_account_uploads_its_contents() {
    let server = MockServer::start_async().await;
    let upload = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/contents"))
                .header("content-range", "bytes 0-4/5")
                .body("hello");
            then.status(201).json_body(json!({ "id": CONTENT }));
        })
        .await;
    let client = layer_client(&server);
    let content = client.account(account()).contents().upload(UploadSource::bytes(&b"hello"[..])).await.unwrap();
    upload.assert_async().await;
    assert_eq!(content, id(CONTENT));
}

#[tokio::test]
async fn an_account_shares_its_events() {
    let server = MockServer::start_async().await;
    let share = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/share-events"))
                .json_body_includes(r#"{ "subscriber": "my.service" }"#);
            then.status(200);
        })
        .await;
    let client = layer_client(&server);
    client.account(account()).events().share("my.service", &EventFilter::all()).await.unwrap();
    share.assert_async().await;
}

#[tokio::test]
async fn a_draft_starts_cloud_signing() {
    let server = MockServer::start_async().await;
    let start = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/{ACCOUNT}/drafts/{DRAFT}/cloud-sign"));
            then.status(200)
                .json_body(json!({ "request-id": "request-7", "confirm-type": "sms", "documents-to-sign": [] }));
        })
        .await;
    let client = layer_client(&server);
    let started = client.account(account()).draft(DraftId::from(id(DRAFT))).cloud_sign().start().await.unwrap();
    start.assert_async().await;
    match started {
        Started::AwaitingCode(pending) => assert_eq!(pending.request_id(), "request-7"),
        other => panic!("an SMS confirmation was expected, got {other:?}"),
    }
}

#[tokio::test]
async fn a_reply_starts_cloud_signing_of_itself() {
    let server = MockServer::start_async().await;
    let start = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents/{DOCUMENT}/replies/{REPLY}/cloud-sign"));
            then.status(200).json_body(json!({ "confirm-type": "none", "documents-to-sign": [] }));
        })
        .await;
    let client = layer_client(&server);
    let reply = client
        .account(account())
        .docflow(DocflowId::from(id(DOCFLOW)))
        .document(DocumentId::from(id(DOCUMENT)))
        .reply(ReplyId::from(id(REPLY)));
    let started = reply.cloud_sign().start().await.unwrap();
    start.assert_async().await;
    assert!(matches!(started, Started::Done(_)), "a receipt signed at once, got {started:?}");
}

#[cfg(feature = "test-tools")]
#[tokio::test]
async fn the_test_tools_read_the_sms_code_with_the_clients_login() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/{ACCOUNT}/drafts/{DRAFT}/cloud-sign"));
            then.status(200)
                .json_body(json!({ "request-id": "request-7", "confirm-type": "sms", "documents-to-sign": [] }));
        })
        .await;
    let read = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/test-tools/v1/get-cloud-sign-confirmation-code")
                .query_param("requestId", "request-7")
                .header("authorization", "Bearer layer-test-token");
            then.status(200).body("123456");
        })
        .await;
    let confirm = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/drafts/{DRAFT}/cloud-sign-confirm"))
                .query_param("requestId", "request-7")
                .query_param("code", "123456");
            then.status(200).json_body(json!({ "signed-documents": [] }));
        })
        .await;
    let client = layer_client(&server);
    let started = client.account(account()).draft(DraftId::from(id(DRAFT))).cloud_sign().start().await.unwrap();
    let Started::AwaitingCode(pending) = started else { panic!("an SMS confirmation was expected, got {started:?}") };
    pending.confirm_with_test_stand_code(&client.test_tools()).await.expect("confirmed with the stand's code");
    read.assert_async().await;
    confirm.assert_async().await;
}
