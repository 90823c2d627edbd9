//! On the test stand a pending confirmation takes its code from the test tools: no phone needed.
#![cfg(feature = "test-tools")]

mod cloud_support;

use cloud_support::*;
use httpmock::prelude::*;
use kontur_extern::cloud::{ConfirmError, Pending, Started, test_stand_code};
use kontur_extern::transport::Transport;
use serde_json::json;

fn tools(server: &MockServer) -> kontur_extern::raw_test_tools::Client {
    kontur_extern::raw_test_tools::Client::new(&server.base_url(), Transport::unauthenticated())
}

#[tokio::test]
async fn confirms_with_the_code_the_test_stand_sent() {
    for (signing, code_body) in
        Signing::ALL.into_iter().zip([CODE.to_owned(), format!("\"{CODE}\""), format!("{CODE}\n"), CODE.to_owned()])
    {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(signing.start_path());
                then.status(200).json_body(sms_start());
            })
            .await;
        let read = server
            .mock_async(|when, then| {
                when.method(GET)
                    .path("/test-tools/v1/get-cloud-sign-confirmation-code")
                    .query_param("requestId", REQUEST);
                then.status(200).header("content-type", "text/plain").body(code_body);
            })
            .await;
        let confirm = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(signing.confirm_path())
                    .query_param("requestId", REQUEST)
                    .query_param("code", CODE);
                then.status(200).json_body(signed_answer());
            })
            .await;

        let Started::AwaitingCode(pending) = signing.start(&client(&server), None).await.unwrap() else { panic!() };
        let signed = pending.confirm_with_test_stand_code(&tools(&server)).await.expect("signed with the stand's code");
        assert_eq!(signed.documents.len(), 1);
        read.assert_async().await;
        confirm.assert_async().await;
    }
}

#[tokio::test]
async fn decryption_confirms_with_the_stand_code_too() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Decryption::Inventory.start_path());
            then.status(200).json_body(json!({ "request-id": REQUEST, "confirm-type": "sms" }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/test-tools/v1/get-cloud-sign-confirmation-code");
            then.status(200).body(CODE);
        })
        .await;
    let confirm = server
        .mock_async(|when, then| {
            when.method(POST).path(Decryption::Inventory.confirm_path()).query_param("code", CODE);
            then.status(200).json_body(json!({ "content-id": CONTENT }));
        })
        .await;
    let Pending::Code(pending) = Decryption::Inventory.start(&client(&server)).await.unwrap() else { panic!() };
    let content = pending.confirm_with_test_stand_code(&tools(&server)).await.expect("decrypted");
    assert_eq!(content.content_id(), id(CONTENT));
    confirm.assert_async().await;
}

#[tokio::test]
async fn an_unreadable_code_hands_the_request_back() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Signing::Draft.start_path());
            then.status(200).json_body(sms_start());
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/test-tools/v1/get-cloud-sign-confirmation-code");
            then.status(404).json_body(api_error("urn:error:test-tools:noCode", "no such request"));
        })
        .await;
    let Started::AwaitingCode(pending) = Signing::Draft.start(&client(&server), None).await.unwrap() else { panic!() };
    let error = pending.confirm_with_test_stand_code(&tools(&server)).await.expect_err("no code");
    let ConfirmError::Interrupted { pending, source } = error else { panic!("{error:?}") };
    assert_eq!(source.operation(), Some("get_cloud_sign_confirmation_code"));
    assert_eq!(pending.request_id(), REQUEST);
    let code = test_stand_code(&tools(&server), REQUEST).await;
    assert!(code.is_err());
}
