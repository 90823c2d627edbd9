//! Cloud signing of drafts, replies, PFR replies and inventory replies, end to end over httpmock.

mod cloud_support;

use std::time::Duration;

use cloud_support::*;
use httpmock::prelude::*;
use kontur_extern::cloud::{
    AppCheck, AppError, AppPolling, ConfirmError, ConfirmationCode, Pending, SavedConfirmation, SignedDocuments,
    SigningTarget, StartError, Started,
};
use serde_json::json;

fn awaiting_code(started: Started<SignedDocuments>) -> kontur_extern::cloud::AwaitingCode<SignedDocuments> {
    match started {
        Started::AwaitingCode(pending) => pending,
        other => panic!("expected a code to be asked for, got {other:?}"),
    }
}

fn awaiting_app(started: Started<SignedDocuments>) -> kontur_extern::cloud::AwaitingApp<SignedDocuments> {
    match started {
        Started::AwaitingApp(pending) => pending,
        other => panic!("expected myDSS, got {other:?}"),
    }
}

#[tokio::test]
async fn sms_path_signs_with_the_code() {
    for signing in Signing::ALL {
        let server = MockServer::start_async().await;
        let start = server
            .mock_async(|when, then| {
                when.method(POST).path(signing.start_path());
                then.status(200).json_body(sms_start());
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

        let pending = awaiting_code(signing.start(&client(&server), None).await.expect("started"));
        assert_eq!(pending.request_id(), REQUEST, "{signing:?}");
        assert_eq!(pending.documents().len(), 1, "{signing:?}: what is signed travels with the request");
        let signed = pending.confirm(ConfirmationCode::new(CODE)).await.expect("signed");

        start.assert_async().await;
        confirm.assert_async().await;
        assert_eq!(signed.documents[0].href.as_deref(), Some("https://extern-api.testkontur.ru/v1/doc-1"));
        assert_eq!(signed.links[0].rel.as_deref(), Some("self"));
        assert_eq!(signed.extra["future-field"], json!({ "kept": true }), "{signing:?}: unknown fields survive");
    }
}

#[tokio::test]
async fn my_dss_path_polls_the_task_of_the_resource() {
    for signing in Signing::ALL {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(signing.start_path());
                then.status(200).json_body(app_start());
            })
            .await;
        let ending = json!({
            "id": TASK,
            "task-state": "succeed",
            "task-type": "urn:task-type:initReplySignOperation",
            "task-result": { "operation-status": "Completed", "file-statuses": [] },
        });
        let (running, done) = task_mocks(&server, &signing.task_path(), 2, ending).await;

        let pending = awaiting_app(signing.start(&client(&server), None).await.expect("started"));
        assert_eq!(pending.task_id(), id(TASK));
        let signed = pending.wait_with(quick_polling()).await.expect("signed in myDSS");

        running.assert_calls_async(2).await;
        done.assert_calls_async(1).await;
        assert_eq!(
            signed.documents[0].href.as_deref(),
            Some("https://extern-api.testkontur.ru/v1/doc-1"),
            "{signing:?}"
        );
        assert_eq!(signed.task_result.as_ref().unwrap()["operation-status"], "Completed");
    }
}

#[tokio::test]
async fn a_receipt_is_signed_at_once_without_force_confirmation() {
    for signing in Signing::WITH_FORCE {
        let server = MockServer::start_async().await;
        let start = server
            .mock_async(|when, then| {
                when.method(POST).path(signing.start_path()).query_param_missing("forceConfirmation");
                then.status(200).json_body(json!({
                    "confirm-type": "none",
                    "documents-to-sign": [link("document", "https://extern-api.testkontur.ru/v1/receipt")],
                    "links": [link("send", "https://extern-api.testkontur.ru/v1/send")],
                }));
            })
            .await;
        let confirm = server
            .mock_async(|when, then| {
                when.path(signing.confirm_path());
                then.status(500);
            })
            .await;

        let started = signing.start(&client(&server), None).await.expect("started");
        let Started::Done(signed) = started else { panic!("{signing:?}: a receipt signs at once, got {started:?}") };
        start.assert_async().await;
        confirm.assert_calls_async(0).await;
        assert_eq!(signed.documents[0].href.as_deref(), Some("https://extern-api.testkontur.ru/v1/receipt"));
        assert_eq!(signed.links[0].rel.as_deref(), Some("send"));
    }
}

#[tokio::test]
async fn drafts_and_pfr_replies_without_confirmation_are_done_too() {
    for signing in [Signing::Draft, Signing::PfrReply] {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(signing.start_path());
                then.status(200).json_body(json!({ "documents-to-sign": [link("document", "/d")] }));
            })
            .await;
        let started = signing.start(&client(&server), None).await.expect("started");
        assert!(
            matches!(started, Started::Done(ref signed) if signed.documents.len() == 1),
            "{signing:?}: {started:?}"
        );
    }
}

#[tokio::test]
async fn force_confirmation_asks_for_a_code() {
    for signing in Signing::WITH_FORCE {
        let server = MockServer::start_async().await;
        let start = server
            .mock_async(|when, then| {
                when.method(POST).path(signing.start_path()).query_param("forceConfirmation", "true");
                then.status(200).json_body(sms_start());
            })
            .await;
        let confirm = server
            .mock_async(|when, then| {
                when.method(POST).path(signing.confirm_path()).query_param("code", CODE);
                then.status(200).json_body(signed_answer());
            })
            .await;

        let pending = awaiting_code(signing.start(&client(&server), Some(true)).await.expect("started"));
        pending.confirm(ConfirmationCode::new(CODE)).await.expect("signed");
        start.assert_async().await;
        confirm.assert_async().await;
    }
}

#[tokio::test]
async fn a_wrong_code_hands_the_request_back_for_the_right_one() {
    for signing in Signing::ALL {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(signing.start_path());
                then.status(200).json_body(sms_start());
            })
            .await;
        let wrong = server
            .mock_async(|when, then| {
                when.method(POST).path(signing.confirm_path()).query_param("code", WRONG_CODE);
                then.status(400)
                    .header("X-Kontur-Trace-Id", "trace-wrong-code")
                    .json_body(api_error("urn:error:externapi:invalidConfirmationCode", "Неверный код подтверждения"));
            })
            .await;
        let right = server
            .mock_async(|when, then| {
                when.method(POST)
                    .path(signing.confirm_path())
                    .query_param("code", CODE)
                    .query_param("requestId", REQUEST);
                then.status(200).json_body(signed_answer());
            })
            .await;

        let pending = awaiting_code(signing.start(&client(&server), None).await.unwrap());
        let error = pending.confirm(ConfirmationCode::new(WRONG_CODE)).await.expect_err("the wrong code fails");
        assert!(!error.must_start_over(), "{signing:?}: {error}");
        assert_eq!(error.call_error().and_then(|e| e.trace_id()), Some("trace-wrong-code"));
        let said = error.to_string();
        assert!(said.starts_with("confirm_cloud_sign_"), "the operation is named: {said}");
        assert!(said.ends_with("not accepted: ask for it again (HTTP 400, trace id trace-wrong-code)"), "{said}");
        let ConfirmError::WrongCode { pending, .. } = error else {
            panic!("{signing:?}: expected a wrong code, got {error:?}")
        };
        assert_eq!(pending.request_id(), REQUEST, "the same request waits");
        pending.confirm(ConfirmationCode::new(CODE)).await.expect("the right code signs");

        wrong.assert_calls_async(1).await;
        right.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn an_expired_request_says_to_start_over() {
    let answers = [
        (400, api_error("urn:error:externapi:cloudSignRequestExpired", "Request expired")),
        (404, api_error("urn:error:externapi:notFound", "Нет такого запроса")),
    ];
    for signing in Signing::ALL {
        for (status, body) in answers.clone() {
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

            let pending = awaiting_code(signing.start(&client(&server), None).await.unwrap());
            let error = pending.confirm(ConfirmationCode::new(CODE)).await.expect_err("expired");
            assert!(matches!(error, ConfirmError::Expired { .. }), "{signing:?} {status}: {error:?}");
            assert!(error.must_start_over());
            assert!(error.to_string().contains("start the operation over"), "{error}");
            assert!(error.into_pending().is_none());
        }
    }
}

#[tokio::test]
async fn exhausted_attempts_say_to_start_over() {
    for signing in Signing::ALL {
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
                then.status(403)
                    .json_body(api_error("urn:error:externapi:ExceededConfirmationAttemptsCount", "No more"));
            })
            .await;

        let pending = awaiting_code(signing.start(&client(&server), None).await.unwrap());
        let error = pending.confirm(ConfirmationCode::new(CODE)).await.expect_err("exhausted");
        assert!(matches!(error, ConfirmError::AttemptsExhausted { .. }), "{signing:?}: {error:?}");
        assert!(error.to_string().contains("start the operation over"), "{error}");
    }
}

#[tokio::test]
async fn a_server_failure_hands_the_request_back() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Signing::Draft.start_path());
            then.status(200).json_body(sms_start());
        })
        .await;
    let failing = server
        .mock_async(|when, then| {
            when.method(POST).path(Signing::Draft.confirm_path());
            then.status(503).json_body(api_error("urn:error:externapi:unavailable", "busy"));
        })
        .await;
    let pending = awaiting_code(Signing::Draft.start(&client(&server), None).await.unwrap());
    let error = pending.confirm(ConfirmationCode::new(CODE)).await.expect_err("busy");
    assert!(matches!(error, ConfirmError::Interrupted { .. }), "{error:?}");
    failing.assert_calls_async(1).await;
    assert!(error.into_pending().is_some(), "the request can be retried");
}

#[tokio::test]
async fn an_unknown_confirm_type_is_an_error_naming_it() {
    for signing in Signing::ALL {
        for confirm_type in ["applet", "urn:confirm-type:voice"] {
            let server = MockServer::start_async().await;
            server
                .mock_async(|when, then| {
                    when.method(POST).path(signing.start_path());
                    then.status(200).json_body(json!({ "request-id": REQUEST, "confirm-type": confirm_type }));
                })
                .await;
            let error = signing.start(&client(&server), None).await.expect_err("not a guess");
            match &error {
                StartError::UnsupportedConfirmType { confirm_type: named, operation } => {
                    assert_eq!(named, confirm_type);
                    assert!(operation.starts_with("cloud_sign"), "{operation}");
                }
                other => panic!("{signing:?}: {other:?}"),
            }
            assert!(error.to_string().contains(confirm_type), "{error}");
        }
    }
}

#[tokio::test]
async fn a_failed_start_names_the_operation_and_trace_id() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Signing::Reply.start_path());
            then.status(409)
                .header("X-Kontur-Trace-Id", "trace-locked")
                .json_body(api_error("urn:error:externapi:concurrentApiTaskActive", "locked"));
        })
        .await;
    let error = Signing::Reply.start(&client(&server), None).await.expect_err("locked");
    let StartError::Call(call) = &error else { panic!("{error:?}") };
    assert_eq!(call.operation(), Some("cloud_sign_reply"));
    assert_eq!(call.trace_id(), Some("trace-locked"));
}

#[tokio::test]
async fn a_pending_code_is_saved_without_secrets_and_resumed() {
    for signing in Signing::ALL {
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(signing.start_path());
                then.status(200).json_body(sms_start());
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

        let pending = awaiting_code(signing.start(&client(&server), None).await.unwrap());
        let stored = serde_json::to_string(&pending.into_saved()).expect("serialises");
        let value: serde_json::Value = serde_json::from_str(&stored).unwrap();
        assert_eq!(value["awaiting"], json!({ "by": "code", "request-id": REQUEST }), "{stored}");
        assert_eq!(value["documents"][0]["rel"], "document");
        assert!(!stored.contains(CODE));

        // A later request, another client.
        let saved: SavedConfirmation<SignedDocuments> = serde_json::from_str(&stored).expect("deserialises");
        let expected_target = match signing {
            Signing::Draft => SigningTarget::Draft { account_id: id(ACCOUNT), draft_id: id(DRAFT) },
            Signing::Reply => SigningTarget::Reply { document: document(), reply_id: id(REPLY) },
            Signing::PfrReply => SigningTarget::PfrReply { document: document(), reply_id: id(REPLY) },
            Signing::InventoryReply => {
                SigningTarget::InventoryReply { document: inventory_document(), reply_id: id(REPLY) }
            }
        };
        assert_eq!(saved.target(), &expected_target);
        let Pending::Code(pending) = saved.resume(&client(&server)) else { panic!("a code was awaited") };
        assert_eq!(pending.documents().len(), 1);
        pending.confirm(ConfirmationCode::new(CODE)).await.expect("signed after resuming");
        confirm.assert_async().await;
    }
}

#[tokio::test]
async fn a_pending_app_confirmation_is_saved_and_resumed() {
    let signing = Signing::InventoryReply;
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(signing.start_path());
            then.status(200).json_body(app_start());
        })
        .await;
    let (running, done) =
        task_mocks(&server, &signing.task_path(), 1, json!({ "id": TASK, "task-state": "succeed" })).await;

    let pending = awaiting_app(signing.start(&client(&server), None).await.unwrap());
    let AppCheck::Waiting(pending) = pending.check().await.expect("looked") else { panic!("still running") };
    let stored = serde_json::to_value(pending.into_saved()).unwrap();
    assert_eq!(stored["awaiting"], json!({ "by": "app", "task-id": TASK }));
    assert_eq!(stored["target"]["resource"], "inventory-reply");

    let saved: SavedConfirmation<SignedDocuments> = serde_json::from_value(stored).unwrap();
    let Pending::App(pending) = saved.resume(&client(&server)) else { panic!("myDSS was awaited") };
    let signed = pending.wait_with(quick_polling()).await.expect("signed");
    assert_eq!(signed.documents.len(), 1);
    running.assert_calls_async(1).await;
    done.assert_calls_async(1).await;
}

#[tokio::test]
async fn my_dss_endings_are_distinct_outcomes() {
    let endings = [
        (
            json!({ "id": TASK, "task-state": "failed", "task-result": { "operation-status": "CanceledByUser" } }),
            "cancelled",
        ),
        (json!({ "id": TASK, "task-state": "failed", "progress": "Timeout" }), "timeout"),
        (
            json!({ "id": TASK, "task-state": "failed", "task-result": { "operation-status": "ExceededConfirmationAttemptsCount" } }),
            "attempts",
        ),
        (
            json!({ "id": TASK, "task-state": "failed", "progress": "Crashed", "error": { "id": "urn:error:dss:crash", "message": "boom" } }),
            "crashed",
        ),
        (json!({ "id": TASK, "task-state": "failed", "error": { "message": "other" } }), "failed"),
    ];
    for signing in Signing::ALL {
        for (ending, expected) in endings.clone() {
            let server = MockServer::start_async().await;
            server
                .mock_async(|when, then| {
                    when.method(POST).path(signing.start_path());
                    then.status(200).json_body(app_start());
                })
                .await;
            task_mocks(&server, &signing.task_path(), 1, ending).await;
            let pending = awaiting_app(signing.start(&client(&server), None).await.unwrap());
            let error = pending.wait_with(quick_polling()).await.expect_err("not signed");
            let matched = match (&error, expected) {
                (AppError::CancelledByUser { task_id }, "cancelled") => *task_id == id(TASK),
                (AppError::TimedOut { .. }, "timeout") => true,
                (AppError::AttemptsExhausted { .. }, "attempts") => true,
                (AppError::Crashed { error: Some(error), .. }, "crashed") => error.message.as_deref() == Some("boom"),
                (AppError::Failed { error: Some(error), .. }, "failed") => error.message.as_deref() == Some("other"),
                _ => false,
            };
            assert!(matched, "{signing:?}: expected {expected}, got {error:?}");
            assert!(error.to_string().contains(TASK), "{error}");
        }
    }
}

#[tokio::test]
async fn waiting_past_the_deadline_hands_the_task_back() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Signing::Draft.start_path());
            then.status(200).json_body(app_start());
        })
        .await;
    let running = server
        .mock_async(|when, then| {
            when.method(GET).path(Signing::Draft.task_path());
            then.status(200).json_body(json!({ "id": TASK, "task-state": "running" }));
        })
        .await;
    let pending = awaiting_app(Signing::Draft.start(&client(&server), None).await.unwrap());
    let polling = AppPolling::default().interval(Duration::from_millis(30)).deadline(Duration::from_millis(100));
    let error = pending.wait_with(polling).await.expect_err("still running");
    assert!(running.calls_async().await >= 1, "the task was looked at");
    let AppError::DeadlineExceeded { pending } = error else { panic!("{error:?}") };
    assert_eq!(pending.task_id(), id(TASK));

    // The user confirms later: waiting again on the handed-back value finishes.
    running.delete_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(Signing::Draft.task_path());
            then.status(200).json_body(json!({ "id": TASK, "task-state": "succeed" }));
        })
        .await;
    let signed = pending.wait_with(quick_polling()).await.expect("signed on the second wait");
    assert_eq!(signed.documents.len(), 1);
}

#[tokio::test]
async fn dropping_the_wait_stops_polling() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Signing::Reply.start_path());
            then.status(200).json_body(app_start());
        })
        .await;
    let running = server
        .mock_async(|when, then| {
            when.method(GET).path(Signing::Reply.task_path());
            then.status(200).json_body(json!({ "id": TASK, "task-state": "running" }));
        })
        .await;
    let pending = awaiting_app(Signing::Reply.start(&client(&server), None).await.unwrap());
    let polling = AppPolling::default().interval(Duration::from_millis(20));
    let waited = tokio::time::timeout(Duration::from_millis(70), pending.wait_with(polling)).await;
    assert!(waited.is_err(), "still waiting when dropped");
    let calls = running.calls_async().await;
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(running.calls_async().await, calls, "no poll after the wait was dropped");
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

fn assert_send_sync_static<T: Send + Sync + 'static>() {}

/// Web back ends run flows on multi-threaded runtimes and keep errors in `Box<dyn Error + Send + Sync>`.
#[tokio::test]
async fn flows_and_their_errors_cross_threads() {
    assert_send_sync_static::<ConfirmError<SignedDocuments>>();
    assert_send_sync_static::<AppError<kontur_extern::cloud::DecryptedContent>>();
    assert_send_sync_static::<StartError>();
    assert_send_sync_static::<SavedConfirmation<SignedDocuments>>();

    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Signing::Draft.start_path());
            then.status(200).json_body(sms_start());
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(Signing::Draft.confirm_path());
            then.status(200).json_body(signed_answer());
        })
        .await;
    let client = client(&server);
    let started =
        tokio::spawn(assert_send(kontur_extern::cloud::CloudSigning::draft(&client, id(ACCOUNT), id(DRAFT)).start()))
            .await
            .unwrap()
            .unwrap();
    let pending = awaiting_code(started);
    let signed = tokio::spawn(assert_send(pending.confirm(ConfirmationCode::new(CODE)))).await.unwrap().unwrap();
    assert_eq!(signed.documents.len(), 1);
}

/// Compiles only when waiting for myDSS and resuming are Send futures.
#[allow(dead_code)]
fn waiting_is_send(
    app: kontur_extern::cloud::AwaitingApp<kontur_extern::cloud::DecryptedContent>,
    check: kontur_extern::cloud::AwaitingApp<SignedDocuments>,
) {
    drop(assert_send(app.wait()));
    drop(assert_send(check.check()));
}
