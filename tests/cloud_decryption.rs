//! Cloud decryption of docflow and inventory documents, end to end over httpmock.

mod cloud_support;

use base64::Engine as _;
use cloud_support::*;
use httpmock::prelude::*;
use kontur_extern::cloud::{
    AppError, ConfirmError, ConfirmationCode, DecryptedContent, DecryptionTarget, EncryptedDocument, Pending,
    SavedConfirmation, StartError,
};
use serde_json::json;

type AwaitingCode = kontur_extern::cloud::AwaitingCode<DecryptedContent>;
type AwaitingApp = kontur_extern::cloud::AwaitingApp<DecryptedContent>;

fn awaiting_code(started: Pending<DecryptedContent>) -> AwaitingCode {
    match started {
        Pending::Code(pending) => pending,
        other => panic!("expected a code to be asked for, got {other:?}"),
    }
}

fn awaiting_app(started: Pending<DecryptedContent>) -> AwaitingApp {
    match started {
        Pending::App(pending) => pending,
        other => panic!("expected myDSS, got {other:?}"),
    }
}

fn certificate_body() -> serde_json::Value {
    json!({ "certificate-base64": base64::engine::general_purpose::STANDARD.encode(CERTIFICATE) })
}

fn sms_decryption_start() -> serde_json::Value {
    json!({ "request-id": REQUEST, "confirm-type": "sms", "confirm-link": link("confirm", "/confirm") })
}

#[tokio::test]
async fn sms_path_decrypts_and_downloads_the_content() {
    for decryption in Decryption::ALL {
        let server = MockServer::start_async().await;
        let start = server
            .mock_async(|when, then| {
                when.method(POST).path(decryption.start_path()).json_body(certificate_body());
                then.status(200).json_body(sms_decryption_start());
            })
            .await;
        let confirm = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(decryption.confirm_path())
                    .query_param("requestId", REQUEST)
                    .query_param("code", CODE)
                    .query_param("unzip", "true");
                then.status(200).json_body(json!({ "content-id": CONTENT, "future-field": 1 }));
            })
            .await;
        let download = server
            .mock_async(|when, then| {
                // Asked in ranges: the decrypted content downloads like every content.
                when.method(GET).path(format!("/v1/{ACCOUNT}/contents/{CONTENT}")).header_exists("range");
                then.status(200).header("content-type", "application/octet-stream").body(b"<?xml plain?>");
            })
            .await;

        let pending = awaiting_code(decryption.start(&client(&server)).await.expect("started"));
        assert_eq!(pending.request_id(), REQUEST);
        assert!(pending.documents().is_empty());
        assert!(pending.target().unzip, "unpacked by default");
        let content = pending.confirm(ConfirmationCode::new(CODE)).await.expect("decrypted");
        assert_eq!(content.content_id(), id(CONTENT));
        assert_eq!(content.account_id(), id(ACCOUNT));
        assert_eq!(content.extra()["future-field"], 1);
        assert_eq!(content.download().bytes().await.expect("downloaded"), &b"<?xml plain?>"[..]);

        start.assert_async().await;
        confirm.assert_async().await;
        download.assert_async().await;
    }
}

#[tokio::test]
async fn unzip_off_is_sent_as_false() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Decryption::Docflow.start_path());
            then.status(200).json_body(sms_decryption_start());
        })
        .await;
    let confirm = server
        .mock_async(|when, then| {
            when.method(POST).path(Decryption::Docflow.confirm_path()).query_param("unzip", "false");
            then.status(200).json_body(json!({ "content-id": CONTENT }));
        })
        .await;
    let started = Decryption::Docflow.operation(&client(&server)).unzip(false).start().await.unwrap();
    awaiting_code(started).confirm(ConfirmationCode::new(CODE)).await.expect("decrypted");
    confirm.assert_async().await;
}

#[tokio::test]
async fn my_dss_path_polls_the_document_task() {
    for decryption in Decryption::ALL {
        for start_answer in [
            json!({ "decryption-task-id": TASK, "confirm-type": "myDSS" }),
            // The inventory docs call the field `TaskId`.
            json!({ "task-id": TASK, "confirm-type": "my-dss" }),
        ] {
            let server = MockServer::start_async().await;
            server
                .mock_async(|when, then| {
                    when.method(POST).path(decryption.start_path());
                    then.status(200).json_body(start_answer);
                })
                .await;
            let ending = json!({
                "id": TASK,
                "task-state": "succeed",
                "task-type": "urn:task-type:initDocumentDecryptionOperation",
                "task-result": { "content-id": CONTENT, "operation-status": "Completed" },
            });
            let (running, done) = task_mocks(&server, &decryption.task_path(), 2, ending).await;

            let pending = awaiting_app(decryption.start(&client(&server)).await.expect("started"));
            let content = pending.wait_with(quick_polling()).await.expect("decrypted in myDSS");
            assert_eq!(content.content_id(), id(CONTENT), "{decryption:?}");
            assert_eq!(content.extra()["operation-status"], "Completed");
            running.assert_calls_async(2).await;
            done.assert_calls_async(1).await;
        }
    }
}

#[tokio::test]
async fn a_finished_task_without_a_content_id_is_not_a_guess() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Decryption::Inventory.start_path());
            then.status(200).json_body(json!({ "decryption-task-id": TASK, "confirm-type": "my-dss" }));
        })
        .await;
    let ending =
        json!({ "id": TASK, "task-state": "succeed", "task-result": { "file-statuses": [{ "result-id": CONTENT }] } });
    task_mocks(&server, &Decryption::Inventory.task_path(), 1, ending).await;
    let pending = awaiting_app(Decryption::Inventory.start(&client(&server)).await.unwrap());
    let error = pending.wait_with(quick_polling()).await.expect_err("no content id");
    let AppError::UnexpectedAnswer { operation, detail, .. } = &error else { panic!("{error:?}") };
    assert_eq!(*operation, "get_inventory_document_task");
    assert!(detail.contains("file-statuses"), "{detail}");
}

#[tokio::test]
async fn no_confirmation_is_an_unexpected_answer_for_a_decryption() {
    for decryption in Decryption::ALL {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(decryption.start_path());
                then.status(200).json_body(json!({ "confirm-type": "none" }));
            })
            .await;
        let error = decryption.start(&client(&server)).await.expect_err("nothing to confirm");
        assert!(matches!(error, StartError::UnexpectedAnswer { .. }), "{error:?}");
        assert!(error.to_string().starts_with("decrypt_"), "{error}");
    }
}

#[tokio::test]
async fn a_wrong_code_hands_the_request_back_for_the_right_one() {
    for decryption in Decryption::ALL {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(decryption.start_path());
                then.status(200).json_body(sms_decryption_start());
            })
            .await;
        let wrong = server
            .mock_async(|when, then| {
                when.method(POST).path(decryption.confirm_path()).query_param("code", WRONG_CODE);
                // No id, no words: a 400 to the confirm call is read as the code being rejected.
                then.status(400).json_body(json!({ "status-code": "bad-request" }));
            })
            .await;
        let right = server
            .mock_async(|when, then| {
                when.method(POST).path(decryption.confirm_path()).query_param("code", CODE);
                then.status(200).json_body(json!({ "content-id": CONTENT }));
            })
            .await;

        let pending = awaiting_code(decryption.start(&client(&server)).await.unwrap());
        let error = pending.confirm(ConfirmationCode::new(WRONG_CODE)).await.expect_err("wrong");
        let ConfirmError::WrongCode { pending, source } = error else { panic!("{decryption:?}: {error:?}") };
        assert_eq!(source.status().map(|status| status.as_u16()), Some(400));
        let content = pending.confirm(ConfirmationCode::new(CODE)).await.expect("right");
        assert_eq!(content.content_id(), id(CONTENT));
        wrong.assert_calls_async(1).await;
        right.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn an_expired_request_says_to_start_over() {
    for decryption in Decryption::ALL {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(decryption.start_path());
                then.status(200).json_body(sms_decryption_start());
            })
            .await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(decryption.confirm_path());
                then.status(400).json_body(api_error("urn:error:externapi:validation", "Срок действия кода истек"));
            })
            .await;
        let pending = awaiting_code(decryption.start(&client(&server)).await.unwrap());
        let error = pending.confirm(ConfirmationCode::new(CODE)).await.expect_err("expired");
        assert!(matches!(error, ConfirmError::Expired { .. }), "{decryption:?}: {error:?}");
        assert!(error.must_start_over());
    }
}

#[tokio::test]
async fn a_confirmation_without_a_content_id_is_an_unexpected_answer() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Decryption::Docflow.start_path());
            then.status(200).json_body(sms_decryption_start());
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Decryption::Docflow.confirm_path());
            then.status(200).json_body(json!({}));
        })
        .await;
    let pending = awaiting_code(Decryption::Docflow.start(&client(&server)).await.unwrap());
    let error = pending.confirm(ConfirmationCode::new(CODE)).await.expect_err("no content");
    assert!(error.to_string().starts_with("confirm_document_decryption: unexpected answer"), "{error}");
}

#[tokio::test]
async fn an_unknown_confirm_type_is_an_error_naming_it() {
    for decryption in Decryption::ALL {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(decryption.start_path());
                then.status(200).json_body(json!({ "request-id": REQUEST, "confirm-type": "applet" }));
            })
            .await;
        let error = decryption.start(&client(&server)).await.expect_err("applet");
        assert!(
            matches!(&error, StartError::UnsupportedConfirmType { confirm_type, .. } if confirm_type == "applet"),
            "{error:?}"
        );
    }
}

#[tokio::test]
async fn a_pending_decryption_is_saved_and_resumed() {
    for decryption in Decryption::ALL {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(decryption.start_path());
                then.status(200).json_body(sms_decryption_start());
            })
            .await;
        let confirm = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(decryption.confirm_path())
                    .query_param("requestId", REQUEST)
                    .query_param("code", CODE)
                    .query_param("unzip", "false");
                then.status(200).json_body(json!({ "content-id": CONTENT }));
            })
            .await;

        let started = decryption.operation(&client(&server)).unzip(false).start().await.unwrap();
        let stored = serde_json::to_string(&awaiting_code(started).into_saved()).unwrap();
        assert!(!stored.contains(CODE));
        let saved: SavedConfirmation<DecryptedContent> = serde_json::from_str(&stored).expect("deserialises");
        let expected = match decryption {
            Decryption::Docflow => EncryptedDocument::Docflow(document()),
            Decryption::Inventory => EncryptedDocument::Inventory(inventory_document()),
        };
        assert_eq!(saved.target(), &DecryptionTarget { document: expected, unzip: false }, "{stored}");
        let Pending::Code(pending) = saved.resume(&client(&server)) else { panic!("a code was awaited") };
        let content = pending.confirm(ConfirmationCode::new(CODE)).await.expect("decrypted after resuming");
        assert_eq!(content.content_id(), id(CONTENT));
        confirm.assert_async().await;
    }
}

#[tokio::test]
async fn a_signing_saved_state_does_not_resume_as_a_decryption() {
    let saved = json!({
        "target": { "resource": "draft", "account-id": ACCOUNT, "draft-id": DRAFT },
        "awaiting": { "by": "code", "request-id": REQUEST },
    });
    let error = serde_json::from_value::<SavedConfirmation<DecryptedContent>>(saved).expect_err("another kind");
    assert!(error.to_string().contains("missing field") || error.to_string().contains("unknown"), "{error}");
}
