//! Every operation of the `drafts` group against a mock server: the request the client sends
//! (method, path, query, headers, body) and the typed decoding of a realistic answer.

mod common;

use common::{client, id};

use httpmock::prelude::*;
use kontur_extern::raw::{self, types};
use serde_json::{Value, json};

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const DRAFT: &str = "30717ae6-b0eb-4eb2-9e85-99553af15941";
const DOCUMENT: &str = "08d1aa6b-4506-4fd0-b45e-4e37086a38a6";
const SIGNATURE: &str = "5b2f0f9e-6c1d-4a0b-9f3e-2d7c8e1a4b6f";
const TASK: &str = "b54a8c6d-e1f1-4e93-841f-9863f6a90aeb";
const CONTENT: &str = "9089d7cf-58d0-4739-ba3f-110ecd4180d7";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";
const CERTIFICATE_BASE64: &str = "MIIJcDCCCR2gAwIBAgIQAdCFAEOrPJJKYFuNhmHkPjAKBggqhQMHAQEDAjCB";
const SIGNATURE_BASE64: &str = "MIINFQYJKoZIhvcNAQcCoIINBjCCDQICAQExDDAKBggqhQMHAQECAjALBgkq";

/// Path of the draft, with `rest` appended.
fn draft_path(rest: &str) -> String {
    format!("/v1/{ACCOUNT}/drafts/{DRAFT}{rest}")
}

/// Path of the draft document, with `rest` appended.
fn document_path(rest: &str) -> String {
    draft_path(&format!("/documents/{DOCUMENT}{rest}"))
}

/// The text of an open string value (status, URN) for comparisons.
fn text<T: AsRef<str>>(value: &Option<T>) -> Option<&str> {
    value.as_ref().map(AsRef::as_ref)
}

fn link(rel: &str, href: &str) -> Value {
    json!({ "rel": rel, "href": format!("https://extern-api.testkontur.ru{href}") })
}

/// The meta as the client sends it when creating an FNS report draft.
fn meta_request() -> types::DraftMeta {
    types::DraftMeta {
        sender: Some(types::DraftSender {
            inn: Some("7757424860".into()),
            kpp: Some("680345565".into()),
            certificate: Some(types::PublicKeyCertificate { content: Some(types::Base64Bytes(CERTIFICATE_BASE64.into())) }),
            is_representative: Some(false),
            ipaddress: Some("8.8.8.8".into()),
            ..Default::default()
        }),
        payer: Some(types::DraftPayer {
            inn: Some("7757424860".into()),
            organization: Some(types::PayerOrganization { kpp: Some("680345565".into()) }),
            ..Default::default()
        }),
        recipient: Some(types::DraftRecipient { ifns_code: Some("0087".into()), ..Default::default() }),
        related_document: Some(types::RelatedDocument {
            related_docflow_id: Some(id(DOCFLOW)),
            related_document_id: Some(id(DOCUMENT)),
        }),
        additional_info: Some(types::DraftAdditionalInfo {
            subject: Some("Пояснения к декларации".into()),
            additional_certificates: vec![types::Base64Bytes(CERTIFICATE_BASE64.into())],
            ..Default::default()
        }),
        draft_options: Some(types::DraftOptions { generate_warrant: Some(true) }),
    }
}

/// The same meta on the wire.
fn meta_request_json() -> Value {
    json!({
        "sender": {
            "inn": "7757424860",
            "kpp": "680345565",
            "certificate": { "content": CERTIFICATE_BASE64 },
            "is-representative": false,
            "ipaddress": "8.8.8.8"
        },
        "payer": { "inn": "7757424860", "organization": { "kpp": "680345565" } },
        "recipient": { "ifns-code": "0087" },
        "related-document": { "related-docflow-id": DOCFLOW, "related-document-id": DOCUMENT },
        "additional-info": { "subject": "Пояснения к декларации", "additional-certificates": [CERTIFICATE_BASE64] },
        "draft-options": { "generate-warrant": true }
    })
}

/// Meta as the server answers it: names filled in, some fields the spec does not know yet.
fn meta_answer_json() -> Value {
    json!({
        "sender": {
            "inn": "7757424860",
            "kpp": "680345565",
            "name": "ООО \"Баланс Плюс\"",
            "certificate": { "content": CERTIFICATE_BASE64 },
            "is-representative": false,
            "ipaddress": "8.8.8.8"
        },
        "payer": {
            "inn": "7757424860",
            "name": "ООО \"Баланс Плюс\"",
            "organization": { "kpp": "680345565" },
            "registration-number-sfr": "087-109-048532"
        },
        "recipient": { "ifns-code": "0087" },
        "additional-info": { "subject": "Пояснения к декларации", "original-drafts-builder-id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f" },
        "field-added-later": { "anything": 1 }
    })
}

fn draft_json(status: &str) -> Value {
    json!({
        "id": DRAFT,
        "status": status,
        "meta": meta_answer_json(),
        "documents": [link("document", &document_path(""))],
        "docflows": [],
        "links": [link("self", &draft_path(""))]
    })
}

fn assert_answered_meta(meta: &types::DraftMeta) {
    let sender = meta.sender.as_ref().expect("sender");
    assert_eq!(sender.name.as_deref(), Some("ООО \"Баланс Плюс\""));
    assert_eq!(sender.certificate.as_ref().and_then(|c| c.content.as_ref()).map(|c| c.as_str()), Some(CERTIFICATE_BASE64));
    let payer = meta.payer.as_ref().expect("payer");
    assert_eq!(payer.registration_number_sfr.as_deref(), Some("087-109-048532"));
    assert_eq!(payer.organization.as_ref().and_then(|o| o.kpp.as_deref()), Some("680345565"));
    assert_eq!(meta.recipient.as_ref().and_then(|r| r.ifns_code.as_deref()), Some("0087"));
    let info = meta.additional_info.as_ref().expect("additional info");
    assert_eq!(info.original_drafts_builder_id, Some(id("1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f")));
}

fn document_json() -> Value {
    json!({
        "id": DOCUMENT,
        "description": {
            "type": "urn:document:fns534-report",
            "filename": "NO_BUHOTCH_0087_0087_7757424860680345565_20240411_0aaac90f-ac5b-4709-a799-625eb7c0f78b.xml",
            "content-type": "application/xml",
            "properties": { "knd": "0710099", "period": null }
        },
        "contents": [{ "content-id": CONTENT, "encrypted": false }],
        "signatures": [{
            "id": SIGNATURE,
            "title": "Марков Георгий Эльдарович",
            "signature-certificate-thumbprint": "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567",
            "content-link": link("content", &document_path(&format!("/signatures/{SIGNATURE}/content"))),
            "signer-type": "organization-representative"
        }],
        "data-to-sign-content-id": "0d6a3c2b-1e4f-4a5b-8c7d-9e0f1a2b3c4d",
        "signature-content-link": link("signature", &document_path("/signature"))
    })
}

fn assert_document(document: &types::DraftDocument) {
    assert_eq!(document.id, id(DOCUMENT));
    let description = document.description.as_ref().expect("description");
    assert_eq!(description.type_.as_ref().map(|v| v.as_str()), Some("urn:document:fns534-report"));
    assert_eq!(description.properties.get("knd"), Some(&Some("0710099".to_owned())));
    assert_eq!(description.properties.get("period"), Some(&None));
    assert_eq!(document.contents[0].content_id, Some(id(CONTENT)));
    assert_eq!(document.contents[0].encrypted, Some(false));
    assert_eq!(document.signatures[0].id, id(SIGNATURE));
    assert_eq!(document.signatures[0].signer_type.as_ref().map(|v| v.as_str()), Some("organization-representative"));
    assert_eq!(document.data_to_sign_content_id, Some(id("0d6a3c2b-1e4f-4a5b-8c7d-9e0f1a2b3c4d")));
}

fn signature_json() -> Value {
    json!({
        "id": SIGNATURE,
        "title": "Марков Георгий Эльдарович",
        "signature-certificate-thumbprint": "0A1B2C3D4E5F60718293A4B5C6D7E8F901234567",
        "content-link": link("content", &document_path(&format!("/signatures/{SIGNATURE}/content"))),
        "links": [link("self", &document_path(&format!("/signatures/{SIGNATURE}")))]
    })
}

fn running_task(task_type: &str) -> Value {
    json!({ "id": TASK, "task-state": "running", "task-type": task_type })
}

/// A task-starting answer decodes and names the task to poll.
fn assert_running(task: &types::ApiTask, task_type: &str) {
    assert_eq!(task.id, id(TASK));
    assert_eq!(text(&task.task_state), Some("running"));
    assert_eq!(text(&task.task_type), Some(task_type));
    assert!(task.task_result.is_none());
}

#[tokio::test]
async fn op_list_drafts() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/{ACCOUNT}/drafts"))
                .query_param("skip", "100")
                .query_param("take", "40")
                .header("accept", "application/json");
            then.status(200).json_body(json!({
                "skip": 100,
                "take": 40,
                "total-count": 101,
                "drafts": [draft_json("new")],
                "page-links": [link("first", &format!("/v1/{ACCOUNT}/drafts?skip=0&take=40"))]
            }));
        })
        .await;
    let page = client(&server).list_drafts().account_id(id(ACCOUNT)).skip(100).take(40).send().await.expect("page").into_inner();
    mock.assert_async().await;
    assert_eq!((page.skip, page.take, page.total_count), (Some(100), Some(40), Some(101)));
    assert_eq!(page.drafts[0].id, id(DRAFT));
    assert_eq!(page.page_links[0].rel.as_deref(), Some("first"));
}

#[tokio::test]
async fn op_create_draft() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/drafts"))
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .json_body(meta_request_json());
            then.status(201).json_body(draft_json("new"));
        })
        .await;
    let draft = client(&server).create_draft().account_id(id(ACCOUNT)).body(meta_request()).send().await.expect("draft").into_inner();
    mock.assert_async().await;
    assert_eq!(draft.id, id(DRAFT));
    assert_eq!(text(&draft.status), Some("new"));
    assert_eq!(draft.documents[0].rel.as_deref(), Some("document"));
    assert_answered_meta(draft.meta.as_ref().expect("meta"));
}

#[tokio::test]
async fn op_get_draft() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path("")).header("accept", "application/json");
            let mut sent = draft_json("sent");
            sent["docflow-id"] = json!(DOCFLOW);
            sent["docflows"] = json!([link("docflow", &format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}"))]);
            then.status(200).json_body(sent);
        })
        .await;
    let draft = client(&server).get_draft().account_id(id(ACCOUNT)).draft_id(id(DRAFT)).send().await.expect("draft").into_inner();
    mock.assert_async().await;
    assert_eq!(text(&draft.status), Some("sent"));
    assert_eq!(draft.docflow_id, Some(id(DOCFLOW)));
    assert_eq!(draft.docflows[0].rel.as_deref(), Some("docflow"));
    assert_eq!(draft.links[0].rel.as_deref(), Some("self"));
}

#[tokio::test]
async fn op_update_draft() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT).path(draft_path("")).header("content-type", "application/json").json_body(meta_request_json());
            then.status(200).json_body(draft_json("checked"));
        })
        .await;
    let draft = client(&server)
        .update_draft()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .body(meta_request())
        .send()
        .await
        .expect("draft")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(text(&draft.status), Some("checked"));
    assert_answered_meta(draft.meta.as_ref().expect("meta"));
}

#[tokio::test]
async fn op_delete_draft() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(draft_path(""));
            then.status(204);
        })
        .await;
    let answer = client(&server).delete_draft().account_id(id(ACCOUNT)).draft_id(id(DRAFT)).send().await.expect("deleted");
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 204);
}

#[tokio::test]
async fn op_get_draft_meta() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path("/meta")).header("accept", "application/json");
            then.status(200).json_body(meta_answer_json());
        })
        .await;
    let meta = client(&server).get_draft_meta().account_id(id(ACCOUNT)).draft_id(id(DRAFT)).send().await.expect("meta").into_inner();
    mock.assert_async().await;
    assert_answered_meta(&meta);
}

#[tokio::test]
async fn op_update_draft_meta() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT).path(draft_path("/meta")).header("content-type", "application/json").json_body(meta_request_json());
            then.status(200).json_body(meta_answer_json());
        })
        .await;
    let meta = client(&server)
        .update_draft_meta()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .body(meta_request())
        .send()
        .await
        .expect("meta")
        .into_inner();
    mock.assert_async().await;
    assert_answered_meta(&meta);
}

#[tokio::test]
async fn op_check_draft() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(draft_path("/check")).query_param("deferred", "true").header("accept", "application/json");
            then.status(202).json_body(running_task("urn:task-type:check"));
        })
        .await;
    let task = client(&server).check_draft().account_id(id(ACCOUNT)).draft_id(id(DRAFT)).deferred(true).send().await.expect("task").into_inner();
    mock.assert_async().await;
    assert_running(&task, "urn:task-type:check");
}

#[tokio::test]
async fn check_draft_with_deferred_false_answers_bad_request() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(draft_path("/check")).query_param("deferred", "false");
            then.status(400).json_body(json!({
                "id": "urn:error:externapi:badRequest",
                "status-code": "bad-request",
                "message": "Synchronous execution is no longer supported, pass deferred=true",
                "trace-id": "8a1f0c2e4b6d"
            }));
        })
        .await;
    let error = client(&server)
        .check_draft()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .deferred(false)
        .send()
        .await
        .expect_err("400 is an error");
    mock.assert_async().await;
    let raw::Error::ErrorResponse(answer) = error else { panic!("an API error, got {error:?}") };
    assert_eq!(answer.status().as_u16(), 400);
    assert_eq!(answer.id.as_deref(), Some("urn:error:externapi:badRequest"));
    assert_eq!(answer.status_code, Some(types::StatusCode::String("bad-request".into())));
    assert_eq!(answer.trace_id.as_deref(), Some("8a1f0c2e4b6d"));
}

#[tokio::test]
async fn op_prepare_draft() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(draft_path("/prepare")).query_param("deferred", "true");
            then.status(202).json_body(running_task("urn:task-type:prepare"));
        })
        .await;
    let task = client(&server).prepare_draft().account_id(id(ACCOUNT)).draft_id(id(DRAFT)).deferred(true).send().await.expect("task").into_inner();
    mock.assert_async().await;
    assert_running(&task, "urn:task-type:prepare");
}

#[tokio::test]
async fn op_send_draft() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(draft_path("/send")).query_param("deferred", "true").query_param("force", "true");
            then.status(202).json_body(running_task("urn:task-type:send"));
        })
        .await;
    let task = client(&server)
        .send_draft()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .deferred(true)
        .force(true)
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_running(&task, "urn:task-type:send");
}

#[tokio::test]
async fn send_draft_while_locked_answers_conflict_with_the_running_task() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(draft_path("/send")).query_param("deferred", "true");
            then.status(409).json_body(json!({
                "id": "urn:error:externapi:concurrentApiTaskActive",
                "status-code": 409,
                "message": "The draft is locked by a running task",
                "context": { "concurrent-task": { "id": TASK, "task-type": "urn:task-type:check" } }
            }));
        })
        .await;
    let error = client(&server)
        .send_draft()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .deferred(true)
        .send()
        .await
        .expect_err("409 is an error");
    mock.assert_async().await;
    let raw::Error::ErrorResponse(answer) = error else { panic!("an API error, got {error:?}") };
    assert_eq!(answer.status().as_u16(), 409);
    assert_eq!(answer.id.as_deref(), Some("urn:error:externapi:concurrentApiTaskActive"));
    assert_eq!(answer.status_code, Some(types::StatusCode::Int32(409)));
    assert_eq!(answer.context["concurrent-task"]["id"], json!(TASK));
    assert_eq!(answer.context["concurrent-task"]["task-type"], json!("urn:task-type:check"));
}

#[tokio::test]
async fn op_list_draft_tasks() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(draft_path("/tasks"))
                .query_param("skip", "0")
                .query_param("take", "10")
                .query_param("includeReleased", "true");
            then.status(200).json_body(json!({
                "skip": 0,
                "take": 10,
                "total-count": 2,
                "api-task-page-items": [
                    { "id": TASK, "task-state": "succeed", "task-type": "urn:task-type:check",
                      "task-result-link": link("task", &draft_path(&format!("/tasks/{TASK}"))) },
                    { "id": "c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f", "task-state": "running", "task-type": "urn:task-type:send" }
                ]
            }));
        })
        .await;
    let page = client(&server)
        .list_draft_tasks()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .skip(0)
        .take(10)
        .include_released(true)
        .send()
        .await
        .expect("page")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(page.total_count, Some(2));
    assert_eq!(page.api_task_page_items[0].id, id(TASK));
    assert_eq!(text(&page.api_task_page_items[0].task_state), Some("succeed"));
    assert_eq!(page.api_task_page_items[0].task_result_link.as_ref().and_then(|l| l.rel.as_deref()), Some("task"));
    assert_eq!(text(&page.api_task_page_items[1].task_type), Some("urn:task-type:send"));
}

#[tokio::test]
async fn op_get_draft_task() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path(&format!("/tasks/{TASK}"))).header("accept", "application/json");
            then.status(200).json_body(json!({
                "id": TASK,
                "task-state": "succeed",
                "task-type": "urn:task-type:check",
                "task-result": {
                    "data": {
                        "documents-errors": {
                            DOCUMENT: [{ "id": "0400300001", "description": "Не заполнен ИНН", "source": "fns", "level": "error", "type": "flk", "tags": "" }]
                        },
                        "common-errors": [{ "id": "W1", "description": "Подпись устарела", "level": "warning" }]
                    }
                }
            }));
        })
        .await;
    let task = client(&server)
        .get_draft_task()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .api_task_id(id(TASK))
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(text(&task.task_state), Some("succeed"));
    let result: types::CheckResult = serde_json::from_value(task.task_result.expect("result")).expect("a check result");
    let data = result.data.expect("check data");
    let document_errors = &data.documents_errors[DOCUMENT];
    assert_eq!(document_errors[0].id.as_deref(), Some("0400300001"));
    assert_eq!(document_errors[0].level.as_deref(), Some("error"));
    assert_eq!(data.common_errors[0].level.as_deref(), Some("warning"));
}

#[test]
fn draft_task_results_decode_into_their_schemas() {
    let prepare: types::PrepareResult = serde_json::from_value(json!({
        "check-result": { "documents-errors": {}, "common-errors": [] },
        "links": [link("next", &draft_path("/send"))],
        "status": "ok"
    }))
    .expect("prepare result");
    assert_eq!(text(&prepare.status), Some("ok"));
    assert_eq!(prepare.links[0].rel.as_deref(), Some("next"));

    let failure: types::SendFailure = serde_json::from_value(json!({
        "id": "urn:error:externapi:draftCheckHasErrors",
        "status-code": "bad-request",
        "message": "The draft has check errors",
        "status": "check-protocol-has-errors",
        "check-result": { "common-errors": [{ "id": "E1", "level": "error" }] }
    }))
    .expect("send failure");
    assert_eq!(failure.status.as_deref(), Some("check-protocol-has-errors"));
    assert_eq!(failure.check_result.expect("check result").common_errors[0].id.as_deref(), Some("E1"));

    let docflow: types::Docflow = serde_json::from_value(json!({
        "id": DOCFLOW, "type": "urn:docflow:fns534-report", "status": "urn:docflow-common-status:sent"
    }))
    .expect("docflow");
    assert_eq!(docflow.id, id(DOCFLOW));

    let print: types::PrintResult = serde_json::from_value(json!({ "content-id": CONTENT })).expect("print result");
    assert_eq!(print.content_id, Some(id(CONTENT)));
}

#[tokio::test]
async fn op_cloud_sign_draft() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(draft_path("/cloud-sign")).header("accept", "application/json");
            then.status(200).json_body(json!({
                "request-id": "77f1d7b2c0e94b1c",
                "confirm-type": "sms",
                "documents-to-sign": [link("document", &document_path(""))],
                "links": [link("sign-confirm", &draft_path("/cloud-sign-confirm?requestId=77f1d7b2c0e94b1c"))]
            }));
        })
        .await;
    let started = client(&server).cloud_sign_draft().account_id(id(ACCOUNT)).draft_id(id(DRAFT)).send().await.expect("request").into_inner();
    mock.assert_async().await;
    assert_eq!(started.request_id.as_deref(), Some("77f1d7b2c0e94b1c"));
    assert_eq!(text(&started.confirm_type), Some("sms"));
    assert_eq!(started.documents_to_sign.len(), 1);
    assert_eq!(started.links[0].rel.as_deref(), Some("sign-confirm"));
    assert!(started.task_id.is_none());
}

#[tokio::test]
async fn op_confirm_cloud_sign_draft() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(draft_path("/cloud-sign-confirm"))
                .query_param("requestId", "77f1d7b2c0e94b1c")
                .query_param("code", "123456");
            then.status(200).json_body(json!({
                "signed-documents": [link("document", &document_path(""))],
                "links": [link("draft", &draft_path(""))]
            }));
        })
        .await;
    let signed = client(&server)
        .confirm_cloud_sign_draft()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .request_id("77f1d7b2c0e94b1c")
        .code("123456")
        .send()
        .await
        .expect("signed")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(signed.signed_documents[0].rel.as_deref(), Some("document"));
    assert_eq!(signed.links[0].rel.as_deref(), Some("draft"));
}

#[tokio::test]
async fn op_create_web_draft() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(draft_path("/create-web-draft"));
            then.status(200).json_body(link("web-draft", "/drafts/30717ae6"));
        })
        .await;
    let reference = client(&server).create_web_draft().account_id(id(ACCOUNT)).draft_id(id(DRAFT)).send().await.expect("link").into_inner();
    mock.assert_async().await;
    let types::WebDraftReference::Link(web) = reference else { panic!("a link object, got {reference:?}") };
    assert_eq!(web.rel.as_deref(), Some("web-draft"));
    assert_eq!(web.href.as_deref(), Some("https://extern-api.testkontur.ru/drafts/30717ae6"));
}

#[tokio::test]
async fn create_web_draft_answer_may_be_a_plain_address() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(draft_path("/create-web-draft"));
            then.status(200).json_body(json!("https://extern.kontur.ru/drafts/30717ae6"));
        })
        .await;
    let reference = client(&server).create_web_draft().account_id(id(ACCOUNT)).draft_id(id(DRAFT)).send().await.expect("address").into_inner();
    assert_eq!(reference, types::WebDraftReference::String("https://extern.kontur.ru/drafts/30717ae6".into()));
}

#[tokio::test]
async fn op_create_draft_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(draft_path("/documents"))
                .header("content-type", "application/json")
                .json_body(json!({
                    "content-id": CONTENT,
                    "description": { "type": "urn:document:fns534-report", "content-type": "application/xml" }
                }));
            then.status(201).json_body(document_json());
        })
        .await;
    let request = types::DraftDocumentRequest {
        content_id: Some(id(CONTENT)),
        description: Some(types::DraftDocumentDescription {
            type_: Some("urn:document:fns534-report".into()),
            content_type: Some("application/xml".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let document = client(&server)
        .create_draft_document()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .body(request)
        .send()
        .await
        .expect("document")
        .into_inner();
    mock.assert_async().await;
    assert_document(&document);
}

#[tokio::test]
async fn op_create_draft_document_from_contract() {
    let server = MockServer::start_async().await;
    let contract = json!({ "inn": "7757424860", "year": 2024, "periods": [{ "code": "34", "income": 120000 }] });
    let expected = contract.clone();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(draft_path("/build-document"))
                .query_param("type", "USN")
                .query_param("version", "2")
                .header("content-type", "application/json")
                .json_body(expected);
            then.status(200).json_body(document_json());
        })
        .await;
    let Value::Object(contract) = contract else { unreachable!("the contract is an object") };
    let document = client(&server)
        .create_draft_document_from_contract()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .type_("USN")
        .version(2)
        .body(types::DocumentContract(contract))
        .send()
        .await
        .expect("document")
        .into_inner();
    mock.assert_async().await;
    assert_document(&document);
}

#[tokio::test]
async fn op_get_draft_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("")).header("accept", "application/json");
            then.status(200).json_body(document_json());
        })
        .await;
    let document = client(&server)
        .get_draft_document()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("document")
        .into_inner();
    mock.assert_async().await;
    assert_document(&document);
    assert_eq!(document.signature_content_link.as_ref().and_then(|l| l.rel.as_deref()), Some("signature"));
}

#[tokio::test]
async fn op_update_draft_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(document_path(""))
                .header("content-type", "application/json")
                .json_body(json!({
                    "content-id": CONTENT,
                    "signature": SIGNATURE_BASE64,
                    "description": { "filename": "report.xml", "svdreg-code": "011011", "is-document-encrypted": false }
                }));
            then.status(200).json_body(document_json());
        })
        .await;
    let request = types::DraftDocumentRequest {
        content_id: Some(id(CONTENT)),
        signature: Some(types::Base64Bytes(SIGNATURE_BASE64.into())),
        description: Some(types::DraftDocumentDescription {
            filename: Some("report.xml".into()),
            svdreg_code: Some("011011".into()),
            is_document_encrypted: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    let document = client(&server)
        .update_draft_document()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .body(request)
        .send()
        .await
        .expect("document")
        .into_inner();
    mock.assert_async().await;
    assert_document(&document);
}

#[tokio::test]
async fn op_delete_draft_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(document_path(""));
            then.status(200);
        })
        .await;
    let answer = client(&server)
        .delete_draft_document()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("deleted");
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn op_build_draft_document_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/build"))
                .query_param("type", "ION1")
                .query_param("version", "1")
                .header("content-type", "application/json")
                .json_body(json!({ "inn": "7757424860", "kpp": "680345565", "request-type": 1 }));
            then.status(200);
        })
        .await;
    let Value::Object(contract) = json!({ "inn": "7757424860", "kpp": "680345565", "request-type": 1 }) else { unreachable!() };
    let answer = client(&server)
        .build_draft_document_content()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .type_("ION1")
        .version(1)
        .body(types::DocumentContract(contract))
        .send()
        .await
        .expect("built");
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn op_prepare_draft_document_data_to_sign() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH).path(document_path("/data-to-sign")).header("accept", "application/json");
            then.status(200).json_body(json!({ "decrypted-content-id": CONTENT, "order-id": "1234567890" }));
        })
        .await;
    let result = client(&server)
        .prepare_draft_document_data_to_sign()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("data to sign")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(result.decrypted_content_id, Some(id(CONTENT)));
    assert_eq!(result.extra["order-id"], json!("1234567890"), "undocumented fields are kept");
}

#[tokio::test]
async fn op_get_draft_document_decrypted_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/decrypted-content"));
            then.status(200).json_body(json!("PD94bWwgdmVyc2lvbj0iMS4wIj8+"));
        })
        .await;
    let content = client(&server)
        .get_draft_document_decrypted_content()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("content")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(content.as_str(), "PD94bWwgdmVyc2lvbj0iMS4wIj8+");
}

#[tokio::test]
async fn op_get_draft_document_encrypted_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/encrypted-content"));
            then.status(200).json_body(json!("MIAGCSqGSIb3DQEHA6CAMIACAQA="));
        })
        .await;
    let content = client(&server)
        .get_draft_document_encrypted_content()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("content")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(content.as_str(), "MIAGCSqGSIb3DQEHA6CAMIACAQA=");
}

#[tokio::test]
async fn op_print_draft_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/print")).query_param("deferred", "true");
            then.status(202).json_body(running_task("urn:task-type:print"));
        })
        .await;
    let task = client(&server)
        .print_draft_document()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .deferred(true)
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_running(&task, "urn:task-type:print");
}

#[tokio::test]
async fn op_get_draft_document_task() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path(&format!("/tasks/{TASK}")));
            then.status(200).json_body(json!({
                "id": TASK, "task-state": "succeed", "task-type": "urn:task-type:print", "task-result": { "content-id": CONTENT }
            }));
        })
        .await;
    let task = client(&server)
        .get_draft_document_task()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .api_task_id(id(TASK))
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(text(&task.task_state), Some("succeed"));
    let result: types::PrintResult = serde_json::from_value(task.task_result.expect("result")).expect("a print result");
    assert_eq!(result.content_id, Some(id(CONTENT)));
}

#[test]
fn failed_draft_task_carries_its_error() {
    let task: types::ApiTask = serde_json::from_value(json!({
        "id": TASK,
        "task-state": "failed",
        "task-type": "urn:task-type:initDraftSignOperation",
        "error": { "id": "urn:error:externapi:cloudSignTimeout", "status-code": "request-timeout", "message": "The user did not confirm" },
        "progress": "Timeout"
    }))
    .expect("failed task");
    assert_eq!(text(&task.task_state), Some("failed"));
    let error = task.error.expect("error");
    assert_eq!(error.status_code, Some(types::StatusCode::String("request-timeout".into())));
    assert_eq!(task.progress, Some(json!("Timeout")));
}

#[tokio::test]
async fn op_get_draft_document_legacy_signature() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/signature"));
            then.status(200).json_body(json!(SIGNATURE_BASE64));
        })
        .await;
    let signature = client(&server)
        .get_draft_document_legacy_signature()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("signature")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(signature.as_str(), SIGNATURE_BASE64);
}

#[tokio::test]
async fn op_put_draft_document_legacy_signature() {
    // A DER-encoded detached signature starts like this; it is not valid UTF-8.
    const RAW_SIGNATURE: [u8; 8] = [0x30, 0x82, 0x0d, 0x15, 0x06, 0x09, 0x2a, 0x86];
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(document_path("/signature"))
                .header("content-type", "application/octet-stream")
                .is_true(|request| request.body_ref() == RAW_SIGNATURE);
            then.status(200);
        })
        .await;
    let answer = client(&server)
        .put_draft_document_legacy_signature()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .body(RAW_SIGNATURE.to_vec())
        .send()
        .await
        .expect("stored");
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn op_create_draft_document_signature() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/signatures"))
                .header("content-type", "application/json")
                .json_body(json!({ "base64-content": SIGNATURE_BASE64, "is-third-party-signature": false }));
            then.status(201).json_body(signature_json());
        })
        .await;
    let signature = client(&server)
        .create_draft_document_signature()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .body(types::SignatureRequest {
            base64_content: Some(types::Base64Bytes(SIGNATURE_BASE64.into())),
            is_third_party_signature: Some(false),
        })
        .send()
        .await
        .expect("signature")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(signature.id, id(SIGNATURE));
    assert_eq!(signature.title.as_deref(), Some("Марков Георгий Эльдарович"));
    assert_eq!(signature.content_link.as_ref().and_then(|l| l.rel.as_deref()), Some("content"));
}

#[tokio::test]
async fn op_update_draft_document_signature() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(document_path(&format!("/signatures/{SIGNATURE}")))
                .header("content-type", "application/json")
                .json_body(json!({ "base64-content": SIGNATURE_BASE64, "is-third-party-signature": true }));
            then.status(200).json_body(signature_json());
        })
        .await;
    let signature = client(&server)
        .update_draft_document_signature()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .signature_id(id(SIGNATURE))
        .body(types::SignatureRequest {
            base64_content: Some(types::Base64Bytes(SIGNATURE_BASE64.into())),
            is_third_party_signature: Some(true),
        })
        .send()
        .await
        .expect("signature")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(signature.id, id(SIGNATURE));
    assert_eq!(signature.signature_certificate_thumbprint.as_deref(), Some("0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"));
}

#[tokio::test]
async fn op_delete_draft_document_signature() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(document_path(&format!("/signatures/{SIGNATURE}")));
            then.status(204);
        })
        .await;
    let answer = client(&server)
        .delete_draft_document_signature()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .signature_id(id(SIGNATURE))
        .send()
        .await
        .expect("deleted");
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 204);
}

#[tokio::test]
async fn op_get_draft_document_signature_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path(&format!("/signatures/{SIGNATURE}/content"))).header("accept", "application/json");
            then.status(200).json_body(json!(SIGNATURE_BASE64));
        })
        .await;
    let content = client(&server)
        .get_draft_document_signature_content()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .signature_id(id(SIGNATURE))
        .send()
        .await
        .expect("content")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(content.as_str(), SIGNATURE_BASE64);
}

#[tokio::test]
async fn unknown_draft_status_and_task_type_decode() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path(""));
            then.status(200).json_body(draft_json("archived-in-2030"));
        })
        .await;
    let draft = client(&server).get_draft().account_id(id(ACCOUNT)).draft_id(id(DRAFT)).send().await.expect("draft").into_inner();
    assert_eq!(text(&draft.status), Some("archived-in-2030"));
    let task: types::ApiTask = serde_json::from_value(running_task("urn:task-type:somethingNew")).expect("task");
    assert_eq!(text(&task.task_type), Some("urn:task-type:somethingNew"));
}

#[tokio::test]
async fn op_get_draft_document_signature() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path(&format!("/signatures/{SIGNATURE}"))).header("accept", "application/json");
            then.status(200).json_body(signature_json());
        })
        .await;
    let signature = client(&server)
        .get_draft_document_signature()
        .account_id(id(ACCOUNT))
        .draft_id(id(DRAFT))
        .document_id(id(DOCUMENT))
        .signature_id(id(SIGNATURE))
        .send()
        .await
        .expect("signature")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(signature.id, id(SIGNATURE));
    assert_eq!(signature.title.as_deref(), Some("Марков Георгий Эльдарович"));
    assert_eq!(signature.signature_certificate_thumbprint.as_deref(), Some("0A1B2C3D4E5F60718293A4B5C6D7E8F901234567"));
    assert!(signature.content_link.and_then(|link| link.href).is_some_and(|href| href.ends_with("/content")));
}
