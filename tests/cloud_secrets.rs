//! The SMS code never shows: not in an error (Display, Debug, any source in the chain), not in a
//! log line or span, not in a saved confirmation, for every cloud operation.

mod cloud_support;

use cloud_support::*;
use httpmock::prelude::*;
use kontur_extern::cloud::{CloudOutcome, ConfirmError, ConfirmationCode, Pending, Started};
use serde_json::json;

/// Confirm answers that make every kind of error; the first two echo the code back.
fn failing_answers() -> Vec<(u16, serde_json::Value)> {
    vec![
        (400, api_error("urn:error:externapi:invalidConfirmationCode", &format!("code {WRONG_CODE} is wrong"))),
        (400, json!({ "message": "bad", "properties": { "code": WRONG_CODE, "tried": [WRONG_CODE] } })),
        (404, api_error("urn:error:externapi:cloudSignRequestExpired", "expired")),
        (403, api_error("urn:error:externapi:ExceededConfirmationAttemptsCount", "no more")),
        (503, api_error("urn:error:externapi:unavailable", "busy")),
        (401, json!({})),
        (200, json!("not an answer object")),
    ]
}

fn assert_silent<O: CloudOutcome>(error: &ConfirmError<O>, what: &str) {
    let said = everything_said(error);
    assert!(!said.contains(WRONG_CODE), "{what}: the code leaked into the error:\n{said}");
    if let Some(pending) = match error {
        ConfirmError::WrongCode { pending, .. } | ConfirmError::Interrupted { pending, .. } => Some(pending),
        _ => None,
    } {
        assert!(!format!("{pending:?}").contains(WRONG_CODE), "{what}: pending Debug");
    }
}

async fn sign_with_failures(signing: Signing, printed: &Printed) {
    for (status, body) in failing_answers() {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(signing.start_path());
                then.status(200).json_body(sms_start());
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(signing.confirm_path());
                then.status(status).json_body(body);
            })
            .await;
        let Started::AwaitingCode(pending) = signing.start(&client(&server), None).await.unwrap() else { panic!() };
        let error = pending.confirm(ConfirmationCode::new(WRONG_CODE)).await.expect_err("fails");
        assert_silent(&error, &format!("{signing:?} {status}"));
        tracing::info!(error = %error, debug = ?error, "caller logs the error");
    }
    // No server at all: reqwest's own error names the URL, query and code included.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(signing.start_path());
            then.status(200).json_body(sms_start());
        })
        .await;
    let Started::AwaitingCode(pending) = signing.start(&client(&server), None).await.unwrap() else { panic!() };
    let saved = pending.into_saved();
    assert!(!serde_json::to_string(&saved).unwrap().contains(WRONG_CODE));
    let Pending::Code(pending) = saved.resume(&dead_client().await) else { panic!() };
    let error = pending.confirm(ConfirmationCode::new(WRONG_CODE)).await.expect_err("nobody listens");
    assert!(matches!(error, ConfirmError::Interrupted { .. }), "{error:?}");
    assert_silent(&error, &format!("{signing:?} without a server"));
    tracing::error!(error = %error, debug = ?error, "caller logs the error");
    assert!(!printed.text().contains(WRONG_CODE), "{signing:?}: the code leaked into the logs");
}

async fn decrypt_with_failures(decryption: Decryption, printed: &Printed) {
    for (status, body) in failing_answers() {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(decryption.start_path());
                then.status(200).json_body(json!({ "request-id": REQUEST, "confirm-type": "sms" }));
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(decryption.confirm_path());
                then.status(status).json_body(body);
            })
            .await;
        let Pending::Code(pending) = decryption.start(&client(&server)).await.unwrap() else { panic!() };
        let error = pending.confirm(ConfirmationCode::new(WRONG_CODE)).await.expect_err("fails");
        assert_silent(&error, &format!("{decryption:?} {status}"));
        tracing::info!(error = %error, debug = ?error, "caller logs the error");
    }
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(decryption.start_path());
            then.status(200).json_body(json!({ "request-id": REQUEST, "confirm-type": "sms" }));
        })
        .await;
    let Pending::Code(pending) = decryption.start(&client(&server)).await.unwrap() else { panic!() };
    let Pending::Code(pending) = pending.into_saved().resume(&dead_client().await) else { panic!() };
    let error = pending.confirm(ConfirmationCode::new(WRONG_CODE)).await.expect_err("nobody listens");
    assert_silent(&error, &format!("{decryption:?} without a server"));
    assert!(!printed.text().contains(WRONG_CODE), "{decryption:?}: the code leaked into the logs");
}

#[tokio::test]
async fn the_code_never_shows_in_errors_or_logs_of_a_signing() {
    let printed = Printed::default();
    let _guard = printed.capture();
    for signing in Signing::ALL {
        sign_with_failures(signing, &printed).await;
    }
    let logs = printed.text();
    // The capture works: the flow and the transport log, and so does the caller.
    assert!(logs.contains("cloud signing started"), "{logs}");
    assert!(logs.contains("confirm_cloud_sign_inventory_reply"), "{logs}");
    assert!(logs.contains("caller logs the error"), "{logs}");
    assert!(!logs.contains(WRONG_CODE));
}

#[tokio::test]
async fn the_code_never_shows_in_errors_or_logs_of_a_decryption() {
    let printed = Printed::default();
    let _guard = printed.capture();
    for decryption in Decryption::ALL {
        decrypt_with_failures(decryption, &printed).await;
    }
    let logs = printed.text();
    assert!(logs.contains("cloud decryption started"), "{logs}");
    assert!(logs.contains("confirm_inventory_document_decryption"), "{logs}");
    assert!(!logs.contains(WRONG_CODE));
}

#[tokio::test]
async fn the_code_never_shows_after_a_successful_confirmation() {
    let printed = Printed::default();
    let _guard = printed.capture();
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Signing::Draft.start_path());
            then.status(200).json_body(sms_start());
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Signing::Draft.confirm_path()).query_param("code", CODE);
            then.status(200).json_body(signed_answer());
        })
        .await;
    let Started::AwaitingCode(pending) = Signing::Draft.start(&client(&server), None).await.unwrap() else { panic!() };
    let code = ConfirmationCode::new(CODE);
    assert!(!format!("{code:?} {code:#?}").contains(CODE));
    let signed = pending.confirm(code).await.expect("signed");
    assert!(!format!("{signed:?}").contains(CODE));
    assert!(printed.text().contains("confirm_cloud_sign_draft"), "the confirm call was traced");
    assert!(!printed.text().contains(CODE));
}
