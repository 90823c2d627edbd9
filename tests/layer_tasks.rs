//! Long-running tasks through the layer: typed results, backoff, deadline, cancellation, failures,
//! 409 naming the blocking task, tickets that survive a restart.

mod common;

use std::time::Duration;

use common::{id, layer_client};
use httpmock::prelude::*;
use kontur_extern::Error;
use kontur_extern::ids::{AccountId, DocflowId, DocumentId, DraftId, DraftsBuilderId, TaskId};
use kontur_extern::tasks::{Print, SendDraft, SendOutcome, TaskErrorKind, TaskLocation, TaskTicket, WaitPolicy};
use serde_json::{Value, json};

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const DRAFT: &str = "30717ae6-b0eb-4eb2-9e85-99553af15941";
const DOCUMENT: &str = "08d1aa6b-4506-4fd0-b45e-4e37086a38a6";
const TASK: &str = "b54a8c6d-e1f1-4e93-841f-9863f6a90aeb";
const BLOCKING: &str = "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";
const CONTENT: &str = "9089d7cf-58d0-4739-ba3f-110ecd4180d7";
const BUILDER: &str = "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6";

fn account() -> AccountId {
    AccountId::from(id(ACCOUNT))
}

fn draft() -> DraftId {
    DraftId::from(id(DRAFT))
}

fn task_path() -> String {
    format!("/v1/{ACCOUNT}/drafts/{DRAFT}/tasks/{TASK}")
}

/// Short pauses so the tests run in milliseconds.
fn quick(deadline: Duration) -> WaitPolicy {
    WaitPolicy::default()
        .first_interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(20))
        .deadline(deadline)
}

fn task(state: &str, task_type: &str, extra: Value) -> Value {
    let mut task = json!({ "id": TASK, "task-state": state, "task-type": task_type });
    if let (Some(task), Some(extra)) = (task.as_object_mut(), extra.as_object()) {
        task.extend(extra.clone());
    }
    task
}

async fn mock_start<'a>(server: &'a MockServer, action: &str, task_type: &str) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/{ACCOUNT}/drafts/{DRAFT}/{action}")).query_param("deferred", "true");
            then.status(202).json_body(task("running", task_type, json!({})));
        })
        .await
}

#[tokio::test]
async fn check_polls_with_backoff_until_the_result_arrives() {
    let server = MockServer::start_async().await;
    let start = mock_start(&server, "check", "urn:task-type:check").await;
    let running = server
        .mock_async(|when, then| {
            when.method(GET).path(task_path());
            then.status(200).json_body(task("running", "urn:task-type:check", json!({})));
        })
        .await;
    let check = layer_client(&server).account(account()).draft(draft()).check().await.expect("check starts");
    assert_eq!(check.id(), TaskId::from(id(TASK)));
    let waiting = tokio::spawn(check.with_policy(quick(Duration::from_secs(10))).wait());
    while running.calls_async().await < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    running.delete_async().await;
    let done = server
        .mock_async(|when, then| {
            when.method(GET).path(task_path());
            then.status(200).json_body(task(
                "succeed",
                "urn:task-type:check",
                json!({ "task-result": { "data": {
                    "documents-errors": { DOCUMENT: [{ "id": "e1", "description": "wrong INN", "level": "error" }] },
                    "common-errors": []
                }}}),
            ));
        })
        .await;
    let result = waiting.await.expect("no panic").expect("check result");
    start.assert_async().await;
    assert_eq!(done.calls_async().await, 1);
    let data = result.data.expect("data");
    let errors = &data.documents_errors[DOCUMENT];
    assert_eq!(errors[0].description.as_deref(), Some("wrong INN"));
}

#[tokio::test]
async fn a_failed_task_reports_its_own_error() {
    let server = MockServer::start_async().await;
    mock_start(&server, "prepare", "urn:task-type:prepare").await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(task_path());
            then.status(200).json_body(task(
                "failed",
                "urn:task-type:prepare",
                json!({ "error": {
                    "id": "urn:error:externapi:encryptionFailed",
                    "message": "the recipient's certificate is revoked",
                    "trace-id": "trace-of-the-task"
                }}),
            ));
        })
        .await;
    let prepare = layer_client(&server).account(account()).draft(draft()).prepare().await.expect("prepare starts");
    let error = prepare.with_policy(quick(Duration::from_secs(5))).wait().await.expect_err("the task failed");
    let Error::Task(task_error) = &error else { panic!("expected a task error, got {error:?}") };
    assert!(matches!(task_error.kind(), TaskErrorKind::Failed { .. }), "{task_error:?}");
    assert_eq!(task_error.task_id(), Some(TaskId::from(id(TASK))));
    assert_eq!(error.api_error().and_then(|e| e.id.as_deref()), Some("urn:error:externapi:encryptionFailed"));
    assert_eq!(error.trace_id(), Some("trace-of-the-task"));
    assert_eq!(error.operation(), Some("get_draft_task"));
    let text = error.to_string();
    assert!(text.contains("prepare task") && text.contains(TASK), "{text}");
    assert!(text.contains("the recipient's certificate is revoked"), "{text}");
}

#[tokio::test]
async fn waiting_gives_up_at_the_deadline() {
    let server = MockServer::start_async().await;
    mock_start(&server, "send", "urn:task-type:send").await;
    let polls = server
        .mock_async(|when, then| {
            when.method(GET).path(task_path());
            then.status(200).json_body(task("running", "urn:task-type:send", json!({})));
        })
        .await;
    let send = layer_client(&server).account(account()).draft(draft()).send().await.expect("send starts");
    let started = std::time::Instant::now();
    let error = send.with_policy(quick(Duration::from_millis(150))).wait().await.expect_err("deadline");
    assert!(started.elapsed() >= Duration::from_millis(150));
    let Error::Task(task_error) = &error else { panic!("expected a task error, got {error:?}") };
    assert!(matches!(task_error.kind(), TaskErrorKind::DeadlineExceeded { .. }), "{task_error:?}");
    assert!(error.to_string().contains("still running"), "{error}");
    assert!(polls.calls_async().await >= 3, "polled {} times", polls.calls_async().await);
}

#[tokio::test]
async fn a_dropped_awaiter_stops_polling() {
    let server = MockServer::start_async().await;
    mock_start(&server, "check", "urn:task-type:check").await;
    let polls = server
        .mock_async(|when, then| {
            when.method(GET).path(task_path());
            then.status(200).json_body(task("running", "urn:task-type:check", json!({})));
        })
        .await;
    let check = layer_client(&server).account(account()).draft(draft()).check().await.expect("check starts");
    let waiting = check.with_policy(quick(Duration::from_secs(60))).wait();
    let outcome = tokio::time::timeout(Duration::from_millis(100), waiting).await;
    assert!(outcome.is_err(), "the task never finishes");
    let after_drop = polls.calls_async().await;
    assert!(after_drop >= 2, "it was polling: {after_drop}");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(polls.calls_async().await, after_drop, "no poll after the awaiter was dropped");
}

#[tokio::test]
async fn send_that_succeeds_with_a_send_failure_inside() {
    let server = MockServer::start_async().await;
    mock_start(&server, "send", "urn:task-type:send").await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(task_path());
            then.status(200).json_body(task(
                "succeed",
                "urn:task-type:send",
                json!({ "task-result": {
                    "id": "urn:error:externapi:draftCheckFailed",
                    "status-code": "bad-request",
                    "message": "the check found errors",
                    "status": "checked",
                    "check-result": { "common-errors": [{ "description": "no signature" }] }
                }}),
            ));
        })
        .await;
    let send = layer_client(&server).account(account()).draft(draft()).send().await.expect("send starts");
    let outcome = send.with_policy(quick(Duration::from_secs(5))).wait().await.expect("the task succeeded");
    let SendOutcome::NotSent(failure) = outcome else { panic!("expected a send failure, got {outcome:?}") };
    assert_eq!(failure.id.as_deref(), Some("urn:error:externapi:draftCheckFailed"));
    assert_eq!(failure.message.as_deref(), Some("the check found errors"));
    assert_eq!(failure.status_code.as_ref().and_then(|code| code.as_u16()), Some(400));
    let common = &failure.check_result.expect("check result").common_errors;
    assert_eq!(common[0].description.as_deref(), Some("no signature"));
}

#[tokio::test]
async fn send_that_succeeds_gives_the_docflow() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/drafts/{DRAFT}/send"))
                .query_param("deferred", "true")
                .query_param("force", "true");
            then.status(202).json_body(task(
                "succeed",
                "urn:task-type:send",
                json!({ "task-result": {
                    "id": DOCFLOW, "type": "urn:docflow:fns534-report",
                    "status": "urn:docflow-common-status:sent", "documents": [], "links": []
                }}),
            ));
        })
        .await;
    let polls = server
        .mock_async(|when, then| {
            when.method(GET).path(task_path());
            then.status(500);
        })
        .await;
    let send = layer_client(&server).account(account()).draft(draft()).send_forced().await.expect("send starts");
    let outcome = send.await.expect("sent"); // a task is a future of its typed result
    let docflow = outcome.docflow().expect("a docflow");
    assert_eq!(docflow.docflow_id(), DocflowId::from(id(DOCFLOW)));
    assert_eq!(polls.calls_async().await, 0, "a task that is already done is not polled");
}

#[tokio::test]
async fn conflict_names_the_blocking_task_and_can_wait_for_it() {
    let server = MockServer::start_async().await;
    let refused = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/{ACCOUNT}/drafts/{DRAFT}/send"));
            then.status(409).header("X-Kontur-Trace-Id", "trace-409").json_body(json!({
                "id": "urn:error:externapi:concurrentApiTaskActive",
                "status-code": 409,
                "message": "Another task is running",
                "context": { "concurrent-task": { "id": BLOCKING, "task-type": "urn:task-type:check" } }
            }));
        })
        .await;
    let blocking = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/drafts/{DRAFT}/tasks/{BLOCKING}"));
            then.status(200)
                .json_body(json!({ "id": BLOCKING, "task-state": "succeed", "task-type": "urn:task-type:check" }));
        })
        .await;
    let client = layer_client(&server);
    let error = client.account(account()).draft(draft()).send().await.expect_err("409");
    refused.assert_async().await;
    assert_eq!(error.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(error.trace_id(), Some("trace-409"));
    assert_eq!(error.operation(), Some("send_draft"));
    let text = error.to_string();
    assert!(text.contains(BLOCKING) && text.contains("urn:task-type:check") && text.contains("trace-409"), "{text}");
    let Error::Task(task_error) = &error else { panic!("expected a task error, got {error:?}") };
    let conflict = task_error.conflict().expect("a conflict");
    assert_eq!(conflict.blocking_task_id(), Some(TaskId::from(id(BLOCKING))));
    assert_eq!(conflict.blocking_task_type(), Some("urn:task-type:check"));
    let ticket = conflict.blocking_task().expect("the layer knows where draft tasks are polled");
    assert_eq!(ticket.location, TaskLocation::Draft { account_id: account(), draft_id: draft() });
    let finished = conflict.wait(&client, quick(Duration::from_secs(5))).await.expect("the blocking task ends");
    assert_eq!(finished.id, id(BLOCKING));
    assert_eq!(blocking.calls_async().await, 1);
}

#[tokio::test]
async fn a_ticket_survives_serialisation_and_resumes_at_the_right_place() {
    let server = MockServer::start_async().await;
    let print = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents/{DOCUMENT}/print"))
                .query_param("deferred", "true")
                .json_body(json!({ "content-id": CONTENT }));
            then.status(202).json_body(task("running", "urn:task-type:docflowPrint", json!({})));
        })
        .await;
    let poll = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents/{DOCUMENT}/tasks/{TASK}"));
            then.status(200).json_body(task(
                "succeed",
                "urn:task-type:docflowPrint",
                json!({ "task-result": { "content-id": CONTENT } }),
            ));
        })
        .await;
    let client = layer_client(&server);
    let document =
        client.account(account()).docflow(DocflowId::from(id(DOCFLOW))).document(DocumentId::from(id(DOCUMENT)));
    let started = document.print(Some(id(CONTENT).into())).await.expect("print starts");
    print.assert_async().await;
    let saved = serde_json::to_string(&started.ticket()).expect("serialises");
    drop(started);

    let ticket: TaskTicket<Print> = serde_json::from_str(&saved).expect("deserialises");
    assert_eq!(ticket.task_id, TaskId::from(id(TASK)));
    let pdf = ticket.resume(&client).with_policy(quick(Duration::from_secs(5))).wait().await.expect("printed");
    assert_eq!(pdf, id(CONTENT).into());
    assert_eq!(poll.calls_async().await, 1);
}

#[tokio::test]
async fn a_succeeded_task_without_its_result_is_an_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(task_path());
            then.status(200).json_body(task("succeed", "urn:task-type:send", json!({})));
        })
        .await;
    let client = layer_client(&server);
    let ticket: TaskTicket<SendDraft> =
        TaskTicket::new(TaskId::from(id(TASK)), TaskLocation::Draft { account_id: account(), draft_id: draft() });
    let error = ticket.resume(&client).wait().await.expect_err("no result");
    let Error::Task(task_error) = &error else { panic!("expected a task error, got {error:?}") };
    assert!(matches!(task_error.kind(), TaskErrorKind::UnexpectedResult { .. }), "{task_error:?}");
}

#[tokio::test]
async fn build_gives_draft_ids_and_failed_documents() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/drafts/builders/{BUILDER}/build"))
                .query_param("deferred", "true");
            then.status(202).json_body(
                json!({ "id": TASK, "task-state": "running", "task-type": "urn:task-type:draftBuilderBuild" }),
            );
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/drafts/builders/{BUILDER}/tasks/{TASK}"));
            then.status(200).json_body(json!({
                "id": TASK, "task-state": "succeed", "task-type": "urn:task-type:draftBuilderBuild",
                "task-result": {
                    "draft-ids": [DRAFT],
                    "error-drafts-builder-documents": [{ "document-id": DOCUMENT, "error-message": "empty file" }]
                }
            }));
        })
        .await;
    let builder = layer_client(&server).account(account()).drafts_builder(DraftsBuilderId::from(id(BUILDER)));
    let built = builder.build().await.expect("build starts").with_policy(quick(Duration::from_secs(5))).wait().await;
    let built = built.expect("built");
    assert_eq!(built.draft_ids, vec![draft()]);
    assert_eq!(built.errors[0].error_message.as_deref(), Some("empty file"));
}

#[tokio::test]
async fn builder_documents_prepare_is_a_task_polled_at_the_builder() {
    let server = MockServer::start_async().await;
    let start = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/drafts/builders/{BUILDER}/documents/prepare"))
                .query_param("deferred", "true");
            then.status(202).json_body(json!({ "id": TASK, "task-state": "running" }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/drafts/builders/{BUILDER}/tasks/{TASK}"));
            then.status(200).json_body(json!({
                "id": TASK, "task-state": "succeed",
                "task-result": { "error-drafts-builder-documents": [{ "document-id": DOCUMENT, "error-message": "bad form" }] }
            }));
        })
        .await;
    let builder = layer_client(&server).account(account()).drafts_builder(DraftsBuilderId::from(id(BUILDER)));
    let task = builder.prepare_documents().await.expect("prepare starts");
    start.assert_async().await;
    let errors = task.with_policy(quick(Duration::from_secs(5))).wait().await.expect("prepared");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].error_message.as_deref(), Some("bad form"));
}

#[tokio::test]
async fn pauses_between_polls_grow_up_to_the_cap() {
    let server = MockServer::start_async().await;
    let polls = server
        .mock_async(|when, then| {
            when.method(GET).path(task_path());
            then.status(200).json_body(task("running", "urn:task-type:check", json!({})));
        })
        .await;
    let client = layer_client(&server);
    let ticket: TaskTicket<SendDraft> =
        TaskTicket::new(TaskId::from(id(TASK)), TaskLocation::Draft { account_id: account(), draft_id: draft() });
    // Pauses 20, 40, 80, 80, ... ms: about 7 polls in 400 ms, where constant 20 ms pauses would make 20.
    let growing = WaitPolicy::default()
        .first_interval(Duration::from_millis(20))
        .multiplier(2.0)
        .max_interval(Duration::from_millis(80))
        .deadline(Duration::from_millis(400));
    let error = ticket.resume(&client).with_policy(growing).wait().await.expect_err("never finishes");
    assert!(matches!(&error, Error::Task(e) if matches!(e.kind(), TaskErrorKind::DeadlineExceeded { .. })), "{error}");
    let count = polls.calls_async().await;
    assert!((3..=10).contains(&count), "{count} polls in 400 ms");
}
