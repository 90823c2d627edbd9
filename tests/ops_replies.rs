//! One httpmock test per operation of the `replies` group: answer documents to FNS, Rosstat and PFR.

mod common;

use common::id;

use httpmock::prelude::*;
use kontur_extern::raw::types;
use serde_json::{Value, json};

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const DOCFLOW: &str = "7b9edebc-32bc-4317-b4a4-abbc26fe3663";
const DOCUMENT: &str = "70c3746a-28c0-441c-ad5d-cb585cf5ed22";
const REPLY: &str = "9ae00ec3-9b23-48d7-a417-368e24f1c6ca";
const REPLY_DOCUMENT: &str = "2b7d9c1e-4f3a-4e8b-9d6c-5a1b0c9d8e7f";
const TASK: &str = "b54a8c6d-e1f1-4e93-841f-9863f6a90aeb";
const CERTIFICATE: &str = "MIIJcDCCCR2gAwIBAgIQAdCFAEOrPJJKYFuNhmHkPjAKBggqhQMHAQEDAjCB";
/// Start of an XML declaration, base64.
const XML_BASE64: &str = "PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0id2luZG93cy0xMjUxIj8+";
/// Bytes of a detached CMS signature: DER, so not valid UTF-8.
const SIGNATURE_BYTES: &[u8] = &[0x30, 0x82, 0x01, 0x0a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xff, 0x00];

fn api(rest: &str) -> String {
    format!("https://extern-api.testkontur.ru/v1/{ACCOUNT}{rest}")
}

fn document_path(rest: &str) -> String {
    format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents/{DOCUMENT}{rest}")
}

fn reply_path(rest: &str) -> String {
    document_path(&format!("/replies/{REPLY}{rest}"))
}

fn pfr_reply_path(rest: &str) -> String {
    document_path(&format!("/pfr-replies/{REPLY}{rest}"))
}

/// A generated receipt as the docs show it.
fn reply_json(signed: bool) -> Value {
    let mut value = json!({
        "id": REPLY,
        "content": XML_BASE64,
        "print-content": "JVBERi0xLjQK",
        "filename": "IZ_IVNOSRCHIS_0007_0007_7757424860680345565_20200421_e6abd9111944426e9956138cbfe16bfc.xml",
        "links": [
            { "rel": "self", "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/replies/{REPLY}")) },
            { "rel": "save-signature", "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/replies/{REPLY}/signature")) },
            { "rel": "send", "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/replies/{REPLY}/send")) }
        ],
        "docflow-id": DOCFLOW,
        "document-id": DOCUMENT
    });
    if signed {
        value["signature"] = json!("MIIBCgYJKoZIhvcNAQcC/wA=");
    }
    value
}

fn assert_reply(reply: &types::ReplyDocument) {
    assert_eq!(reply.id, id(REPLY));
    assert_eq!(reply.docflow_id, Some(id(DOCFLOW)));
    assert_eq!(reply.document_id, Some(id(DOCUMENT)));
    let content = reply.content.as_ref().expect("content").decode().unwrap();
    assert!(content.starts_with(b"<?xml version=\"1.0\""), "{content:?}");
    assert_eq!(reply.print_content.as_ref().expect("print form").decode().unwrap(), b"%PDF-1.4\n");
    assert!(reply.filename.as_deref().is_some_and(|f| f.starts_with("IZ_IVNOSRCHIS")));
    assert!(reply.links.iter().any(|l| l.rel.as_deref() == Some("save-signature")));
}

fn docflow_json() -> Value {
    json!({
        "id": DOCFLOW,
        "type": "urn:docflow:fns534-report",
        "status": "urn:docflow-common-status:response-processed",
        "success-state": "urn:docflow-state:successful",
        "description": { "form-version": { "knd": "1151111" }, "recipient": "0007" },
        "documents": [{ "id": DOCUMENT, "description": { "type": "urn:document:fns534-report-acceptance-result-positive" } }],
        "links": [{ "rel": "self", "href": api(&format!("/docflows/{DOCFLOW}")) }],
        "send-date": "2020-04-21T19:17:24.5827069",
        "last-change-date": "2020-04-22T08:48:32.0342794Z"
    })
}

fn assert_docflow(docflow: &types::Docflow) {
    assert_eq!(docflow.id, id(DOCFLOW));
    assert_eq!(docflow.status.as_ref().map(|v| v.as_str()), Some("urn:docflow-common-status:response-processed"));
    assert_eq!(docflow.documents[0].id, id(DOCUMENT));
}

fn sign_init_json(with_documents: bool) -> Value {
    let mut value = json!({
        "request-id": "e1d2c3b4-a5f6-4789-8a0b-1c2d3e4f5a6b",
        "task-id": TASK,
        "confirm-type": "sms",
        "links": [{ "rel": "sign-confirm", "href": api("/sign-confirm") }]
    });
    if with_documents {
        value["documents-to-sign"] = json!([{ "rel": "reply", "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/replies/{REPLY}")) }]);
    }
    value
}

fn task_json() -> Value {
    json!({ "id": TASK, "task-state": "succeed", "task-type": "urn:task-type:initReplySignOperation", "task-result": { "signed-documents": [] } })
}

#[tokio::test]
async fn op_generate_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/generate-reply"))
                .query_param("documentType", "fns534-demand-acceptance-result-negative")
                .query_param("declineNoticeErrorCode", "0300300001")
                .query_param("declineNoticeErrorCode", "0400100005")
                .query_param_count("declineNoticeErrorCode", ".*", 2)
                .header("content-type", "application/json")
                .json_body(json!({ "certificate-base64": CERTIFICATE }));
            then.status(201).json_body(reply_json(false));
        })
        .await;
    let reply = common::raw_client(&server.base_url())
        .generate_reply()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .document_type("fns534-demand-acceptance-result-negative")
        .decline_notice_error_code(vec!["0300300001".to_owned(), "0400100005".to_owned()])
        .body(types::GenerateReplyRequest { certificate_base64: types::Base64Bytes(CERTIFICATE.to_owned()) })
        .send()
        .await
        .expect("generated reply");
    assert_eq!(reply.status().as_u16(), 201);
    mock.assert_async().await;
    assert_reply(&reply);
    assert!(reply.signature.is_none());
}

#[tokio::test]
async fn op_get_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(reply_path(""));
            then.status(200).json_body(reply_json(false));
        })
        .await;
    let reply = common::raw_client(&server.base_url())
        .get_reply()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .send()
        .await
        .expect("reply")
        .into_inner();
    mock.assert_async().await;
    assert_reply(&reply);
}

#[tokio::test]
async fn op_put_reply_content() {
    let server = MockServer::start_async().await;
    let content = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><Файл/>";
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT).path(reply_path("/content")).header("content-type", "application/octet-stream").body(content);
            then.status(200).json_body(reply_json(false));
        })
        .await;
    let reply = common::raw_client(&server.base_url())
        .put_reply_content()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .body(content.as_bytes().to_vec())
        .send()
        .await
        .expect("reply")
        .into_inner();
    mock.assert_async().await;
    assert_reply(&reply);
}

#[tokio::test]
async fn op_put_reply_signature() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(reply_path("/signature"))
                .header("content-type", "application/octet-stream")
                .is_true(|req| req.body().to_vec() == SIGNATURE_BYTES);
            then.status(200).json_body(reply_json(true));
        })
        .await;
    let reply = common::raw_client(&server.base_url())
        .put_reply_signature()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .body(SIGNATURE_BYTES.to_vec())
        .send()
        .await
        .expect("signed reply")
        .into_inner();
    mock.assert_async().await;
    assert_reply(&reply);
    assert_eq!(reply.signature.expect("signature").decode().unwrap(), SIGNATURE_BYTES);
}

#[tokio::test]
async fn op_send_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(reply_path("/send")).header("content-type", "application/json").json_body(json!({ "sender-ip": "8.8.8.8" }));
            then.status(200).json_body(docflow_json());
        })
        .await;
    let docflow = common::raw_client(&server.base_url())
        .send_reply()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .body_map(|b| b.sender_ip(Some("8.8.8.8".to_owned())))
        .send()
        .await
        .expect("docflow")
        .into_inner();
    mock.assert_async().await;
    assert_docflow(&docflow);
}

#[tokio::test]
async fn op_cloud_sign_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(reply_path("/cloud-sign")).query_param("forceConfirmation", "true");
            then.status(200).json_body(sign_init_json(true));
        })
        .await;
    let started = common::raw_client(&server.base_url())
        .cloud_sign_reply()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .force_confirmation(true)
        .send()
        .await
        .expect("signing request")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(started.request_id.as_deref(), Some("e1d2c3b4-a5f6-4789-8a0b-1c2d3e4f5a6b"));
    assert_eq!(started.confirm_type.as_ref().map(|v| v.as_str()), Some("sms"));
    assert_eq!(started.task_id, Some(id(TASK)));
    assert_eq!(started.documents_to_sign.len(), 1);
}

#[tokio::test]
async fn op_confirm_cloud_sign_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(reply_path("/cloud-sign-confirm"))
                .query_param("requestId", "e1d2c3b4-a5f6-4789-8a0b-1c2d3e4f5a6b")
                .query_param("code", "654321");
            then.status(200).json_body(json!({
                "signed-documents": [{ "rel": "reply", "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/replies/{REPLY}")) }],
                "links": []
            }));
        })
        .await;
    let confirmed = common::raw_client(&server.base_url())
        .confirm_cloud_sign_reply()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .request_id("e1d2c3b4-a5f6-4789-8a0b-1c2d3e4f5a6b")
        .code("654321")
        .send()
        .await
        .expect("confirmation")
        .into_inner();
    mock.assert_async().await;
    assert!(confirmed.signed_documents[0].href.as_deref().is_some_and(|h| h.ends_with(REPLY)));
}

#[tokio::test]
async fn op_get_reply_task() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(reply_path(&format!("/tasks/{TASK}")));
            then.status(200).json_body(task_json());
        })
        .await;
    let task = common::raw_client(&server.base_url())
        .get_reply_task()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .api_task_id(id(TASK))
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(task.id, id(TASK));
    assert_eq!(task.task_state.as_ref().map(|v| v.as_str()), Some("succeed"));
    assert_eq!(task.task_type.as_ref().map(|v| v.as_str()), Some("urn:task-type:initReplySignOperation"));
}

fn pfr_reply_json() -> Value {
    json!({
        "id": REPLY,
        "docflow-id": DOCFLOW,
        "documents": [{
            "id": REPLY_DOCUMENT,
            "reply-id": REPLY,
            "docflow-id": DOCFLOW,
            "document-id": DOCUMENT,
            "encrypted-content": "MIAGCSqGSIb3DQEHA6CAMIACAQAxggE=",
            "decrypted-content": { "rel": "decrypted-content", "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/pfr-replies/{REPLY}/documents/{REPLY_DOCUMENT}/decrypted-content")) },
            "links": []
        }],
        "links": [{ "rel": "send", "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/pfr-replies/{REPLY}/send")) }]
    })
}

fn assert_pfr_reply(reply: &types::PfrReply) {
    assert_eq!(reply.id, id(REPLY));
    assert_eq!(reply.docflow_id, Some(id(DOCFLOW)));
    let document = &reply.documents[0];
    assert_eq!(document.id, id(REPLY_DOCUMENT));
    assert_eq!(document.reply_id, Some(id(REPLY)));
    assert_eq!(document.encrypted_content.as_ref().expect("content").decode().unwrap()[..2], [0x30, 0x80]);
    assert_eq!(document.decrypted_content.as_ref().and_then(|l| l.rel.as_deref()), Some("decrypted-content"));
}

#[tokio::test]
async fn op_generate_pfr_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/pfr-generate-reply"))
                .query_param("documentType", "pfr-report-acknowledgement-v2")
                .header("content-type", "application/json")
                .json_body(json!({ "certificate-base64": CERTIFICATE }));
            then.status(200).json_body(pfr_reply_json());
        })
        .await;
    let reply = common::raw_client(&server.base_url())
        .generate_pfr_reply()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .document_type("pfr-report-acknowledgement-v2")
        .body(types::GenerateReplyRequest { certificate_base64: types::Base64Bytes(CERTIFICATE.to_owned()) })
        .send()
        .await
        .expect("generated reply")
        .into_inner();
    mock.assert_async().await;
    assert_pfr_reply(&reply);
}

#[tokio::test]
async fn op_get_pfr_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(pfr_reply_path(""));
            then.status(200).json_body(pfr_reply_json());
        })
        .await;
    let reply = common::raw_client(&server.base_url())
        .get_pfr_reply()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .send()
        .await
        .expect("reply")
        .into_inner();
    mock.assert_async().await;
    assert_pfr_reply(&reply);
}

#[tokio::test]
async fn op_put_pfr_reply_document_content() {
    let server = MockServer::start_async().await;
    let content = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ЭДПФР/>";
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(pfr_reply_path(&format!("/documents/{REPLY_DOCUMENT}/decrypted-content")))
                .header("content-type", "application/octet-stream")
                .body(content);
            then.status(200);
        })
        .await;
    let answer = common::raw_client(&server.base_url())
        .put_pfr_reply_document_content()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .reply_document_id(id(REPLY_DOCUMENT))
        .body(content.as_bytes().to_vec())
        .send()
        .await
        .expect("stored");
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn op_put_pfr_reply_document_signature() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(pfr_reply_path(&format!("/documents/{REPLY_DOCUMENT}/signature")))
                .header("content-type", "application/octet-stream")
                .is_true(|req| req.body().to_vec() == SIGNATURE_BYTES);
            then.status(200);
        })
        .await;
    let answer = common::raw_client(&server.base_url())
        .put_pfr_reply_document_signature()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .reply_document_id(id(REPLY_DOCUMENT))
        .body(SIGNATURE_BYTES.to_vec())
        .send()
        .await
        .expect("stored");
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn op_send_pfr_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(pfr_reply_path("/send")).header("content-type", "application/json").json_body(json!({ "sender-ip": "10.0.0.1" }));
            then.status(200).json_body(docflow_json());
        })
        .await;
    let docflow = common::raw_client(&server.base_url())
        .send_pfr_reply()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .body_map(|b| b.sender_ip(Some("10.0.0.1".to_owned())))
        .send()
        .await
        .expect("docflow")
        .into_inner();
    mock.assert_async().await;
    assert_docflow(&docflow);
}

#[tokio::test]
async fn op_cloud_sign_pfr_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(pfr_reply_path("/cloud-sign")).query_param_missing("forceConfirmation");
            then.status(200).json_body(sign_init_json(false));
        })
        .await;
    let started = common::raw_client(&server.base_url())
        .cloud_sign_pfr_reply()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .send()
        .await
        .expect("signing request")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(started.request_id.as_deref(), Some("e1d2c3b4-a5f6-4789-8a0b-1c2d3e4f5a6b"));
    assert!(started.documents_to_sign.is_empty());
}

#[tokio::test]
async fn op_confirm_cloud_sign_pfr_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(pfr_reply_path("/cloud-sign-confirm")).query_param("requestId", "req-42").query_param("code", "000111");
            then.status(200).json_body(json!({ "links": [{ "rel": "reply", "href": api("/reply") }] }));
        })
        .await;
    let confirmed = common::raw_client(&server.base_url())
        .confirm_cloud_sign_pfr_reply()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .request_id("req-42")
        .code("000111")
        .send()
        .await
        .expect("confirmation")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(confirmed.links[0].rel.as_deref(), Some("reply"));
    assert!(confirmed.signed_documents.is_empty());
}

#[tokio::test]
async fn op_get_pfr_reply_task() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(pfr_reply_path(&format!("/tasks/{TASK}")));
            then.status(200).json_body(json!({ "id": TASK, "task-state": "running", "task-type": "urn:task-type:initReplySignOperation", "progress": "AwaitingForConfirmation" }));
        })
        .await;
    let task = common::raw_client(&server.base_url())
        .get_pfr_reply_task()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .api_task_id(id(TASK))
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(task.task_state.as_ref().map(|v| v.as_str()), Some("running"));
    assert_eq!(task.progress, Some(json!("AwaitingForConfirmation")));
}

/// Signing two answers of one docflow at once answers 409 with the task holding the lock.
#[tokio::test]
async fn concurrent_signing_decodes_into_api_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(reply_path("/cloud-sign"));
            then.status(409).json_body(json!({
                "id": "urn:error:externapi:concurrentApiTaskActive",
                "status-code": "409",
                "message": "The docflow is locked by a running task",
                "context": { "concurrent-task": { "id": TASK, "task-type": "urn:task-type:initReplySignOperation" } }
            }));
        })
        .await;
    let error = common::raw_client(&server.base_url())
        .cloud_sign_reply()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .send()
        .await
        .expect_err("409 is an error");
    let progenitor_client::Error::ErrorResponse(answer) = error else { panic!("an ApiError answer, got {error:?}") };
    assert_eq!(answer.status().as_u16(), 409);
    assert_eq!(answer.id.as_deref(), Some("urn:error:externapi:concurrentApiTaskActive"));
    assert_eq!(answer.status_code, Some(types::StatusCode::String("409".to_owned())));
    assert_eq!(answer.context["concurrent-task"]["task-type"], json!("urn:task-type:initReplySignOperation"));
}
