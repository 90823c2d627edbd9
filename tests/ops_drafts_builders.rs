//! Every operation of the `drafts-builders` group against a mock server: the request the client
//! sends (method, path, query, headers, body) and the typed decoding of a realistic answer.

mod common;

use common::{client, id};

use httpmock::prelude::*;
use kontur_extern::raw::{self, types};
use serde_json::{Map, Value, json};

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const BUILDER: &str = "4f1e2d3c-5b6a-4978-8695-a4b3c2d1e0f9";
const DOCUMENT: &str = "6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d";
const FILE: &str = "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f";
const TASK: &str = "8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a";
const CONTENT: &str = "1fa932c7-84c2-4f20-acc5-56917ba85aaa";
const DEMAND_DOCFLOW: &str = "7b9edebc-32bc-4317-b4a4-abbc26fe3663";
const DEMAND_DOCUMENT: &str = "eb312e60-6b26-425c-9917-3b8d2bd59fd0";
const CERTIFICATE_BASE64: &str = "MIIJcDCCCR2gAwIBAgIQAdCFAEOrPJJKYFuNhmHkPjAKBggqhQMHAQEDAjCB";
const SIGNATURE_BASE64: &str = "MIINFQYJKoZIhvcNAQcCoIINBjCCDQICAQExDDAKBggqhQMHAQECAjALBgkq";
const INVENTORY: &str = "urn:drafts-builder:fns534-inventory";

fn builder_path(rest: &str) -> String {
    format!("/v1/{ACCOUNT}/drafts/builders/{BUILDER}{rest}")
}

fn document_path(rest: &str) -> String {
    builder_path(&format!("/documents/{DOCUMENT}{rest}"))
}

fn file_path(rest: &str) -> String {
    document_path(&format!("/files/{FILE}{rest}"))
}

/// The text of an open string value (status, URN) for comparisons.
fn text<T: AsRef<str>>(value: &Option<T>) -> Option<&str> {
    value.as_ref().map(AsRef::as_ref)
}

/// A typed builder-data value as the open JSON object the meta carries.
fn as_data<T: serde::Serialize>(data: &T) -> Map<String, Value> {
    match serde_json::to_value(data).expect("builder data serializes") {
        Value::Object(map) => map,
        other => panic!("builder data is an object, got {other}"),
    }
}

fn link(rel: &str, href: &str) -> Value {
    json!({ "rel": rel, "href": format!("https://extern-api.testkontur.ru{href}") })
}

/// Meta of an inventory builder answering an FNS demand, built from the typed schemas.
fn meta_request() -> types::DraftsBuilderMeta {
    let data = types::FnsInventoryDraftsBuilderData {
        related_document: Some(types::RelatedDocument {
            related_docflow_id: Some(id(DEMAND_DOCFLOW)),
            related_document_id: Some(id(DEMAND_DOCUMENT)),
        }),
        ..Default::default()
    };
    types::DraftsBuilderMeta {
        sender: Some(types::DraftSender {
            inn: Some("7757424860".into()),
            kpp: Some("680345565".into()),
            certificate: Some(types::PublicKeyCertificate { content: Some(types::Base64Bytes(CERTIFICATE_BASE64.into())) }),
            is_representative: Some(false),
            ipaddress: Some("8.8.8.8".into()),
            ..Default::default()
        }),
        payer: Some(types::DraftPayer { inn: Some("7757424860".into()), ..Default::default() }),
        recipient: Some(types::DraftRecipient { ifns_code: Some("0007".into()), ..Default::default() }),
        builder_type: Some(INVENTORY.to_owned().into()),
        builder_data: Some(as_data(&data)),
        draft_options: None,
    }
}

fn meta_json() -> Value {
    json!({
        "sender": {
            "inn": "7757424860",
            "kpp": "680345565",
            "certificate": { "content": CERTIFICATE_BASE64 },
            "is-representative": false,
            "ipaddress": "8.8.8.8"
        },
        "payer": { "inn": "7757424860" },
        "recipient": { "ifns-code": "0007" },
        "builder-type": INVENTORY,
        "builder-data": {
            "related-document": { "related-docflow-id": DEMAND_DOCFLOW, "related-document-id": DEMAND_DOCUMENT }
        }
    })
}

fn builder_json(status: &str) -> Value {
    json!({ "id": BUILDER, "status": status, "meta": meta_json() })
}

fn assert_meta(meta: &types::DraftsBuilderMeta) {
    assert_eq!(text(&meta.builder_type), Some(INVENTORY));
    assert_eq!(meta.recipient.as_ref().and_then(|r| r.ifns_code.as_deref()), Some("0007"));
    let data: types::FnsInventoryDraftsBuilderData =
        serde_json::from_value(Value::Object(meta.builder_data.clone().expect("builder data"))).expect("inventory data");
    let related = data.related_document.expect("related document");
    assert_eq!(related.related_docflow_id, Some(id(DEMAND_DOCFLOW)));
    assert_eq!(related.related_document_id, Some(id(DEMAND_DOCUMENT)));
}

fn document_meta_json() -> Value {
    json!({
        "builder-type": INVENTORY,
        "builder-data": {
            "claim-item-number": "1.01",
            "label-for-grouping": null,
            "scanned-document-name": "Счет-фактура.pdf",
            "type": "scanned",
            "background-processing": { "total-file-count": 2 }
        }
    })
}

fn document_json() -> Value {
    json!({ "id": DOCUMENT, "drafts-builder-id": BUILDER, "meta": document_meta_json() })
}

/// Document meta as the client sends it: only the builder data.
fn document_meta_request() -> (types::DraftsBuilderDocumentMeta, Value) {
    let data = types::FnsInventoryDraftsBuilderDocumentData {
        claim_item_number: Some("1.01".into()),
        scanned_document_name: Some("Счет-фактура.pdf".into()),
        type_: Some("scanned".into()),
        background_processing: Some(types::DocumentBackgroundProcessing { extra: Default::default(), total_file_count: Some(2) }),
        ..Default::default()
    };
    let meta = types::DraftsBuilderDocumentMeta { builder_data: Some(as_data(&data)), builder_type: None };
    let wire = json!({
        "builder-data": {
            "claim-item-number": "1.01",
            "scanned-document-name": "Счет-фактура.pdf",
            "type": "scanned",
            "background-processing": { "total-file-count": 2 }
        }
    });
    (meta, wire)
}

fn assert_document_meta(meta: &types::DraftsBuilderDocumentMeta) {
    assert_eq!(text(&meta.builder_type), Some(INVENTORY));
    let data: types::FnsInventoryDraftsBuilderDocumentData =
        serde_json::from_value(Value::Object(meta.builder_data.clone().expect("builder data"))).expect("inventory document data");
    assert_eq!(data.claim_item_number.as_deref(), Some("1.01"));
    assert_eq!(data.label_for_grouping, None);
    assert_eq!(data.type_.as_ref().map(|v| v.as_str()), Some("scanned"));
    assert_eq!(data.background_processing.and_then(|b| b.total_file_count), Some(2));
}

fn file_meta_json() -> Value {
    json!({ "file-name": "Счет-фактура-стр3.pdf", "builder-type": INVENTORY, "builder-data": { "scanned-file-order": 3 } })
}

fn file_json() -> Value {
    json!({
        "id": FILE,
        "drafts-builder-id": BUILDER,
        "drafts-builder-document-id": DOCUMENT,
        "content-id": CONTENT,
        "content-link": link("content", &file_path("/content")),
        "signature-content-link": link("signature", &file_path("/signature")),
        "meta": file_meta_json()
    })
}

fn assert_file(file: &types::DraftsBuilderDocumentFile) {
    assert_eq!(file.id, id(FILE));
    assert_eq!(file.drafts_builder_id, Some(id(BUILDER)));
    assert_eq!(file.drafts_builder_document_id, Some(id(DOCUMENT)));
    assert_eq!(file.content_id, Some(id(CONTENT)));
    assert_eq!(file.signature_content_link.as_ref().and_then(|l| l.rel.as_deref()), Some("signature"));
    assert_file_meta(file.meta.as_ref().expect("file meta"));
}

fn assert_file_meta(meta: &types::DraftsBuilderDocumentFileMeta) {
    assert_eq!(meta.file_name.as_deref(), Some("Счет-фактура-стр3.pdf"));
    let data: types::FnsInventoryDraftsBuilderDocumentFileData =
        serde_json::from_value(Value::Object(meta.builder_data.clone().expect("builder data"))).expect("inventory file data");
    assert_eq!(data.scanned_file_order, Some(3));
}

/// A file as the client sends it, with the wire form.
fn file_request() -> (types::DraftsBuilderDocumentFileRequest, Value) {
    let data = types::FnsInventoryDraftsBuilderDocumentFileData { extra: Default::default(), scanned_file_order: Some(3), is_file_encrypted: None };
    let request = types::DraftsBuilderDocumentFileRequest {
        content_id: Some(id(CONTENT)),
        base64_signature_content: Some(types::Base64Bytes(SIGNATURE_BASE64.into())),
        meta: Some(types::DraftsBuilderDocumentFileMeta {
            file_name: Some("Счет-фактура-стр3.pdf".into()),
            builder_data: Some(as_data(&data)),
            builder_type: None,
        }),
    };
    let wire = json!({
        "content-id": CONTENT,
        "base64-signature-content": SIGNATURE_BASE64,
        "meta": { "file-name": "Счет-фактура-стр3.pdf", "builder-data": { "scanned-file-order": 3 } }
    });
    (request, wire)
}

#[tokio::test]
async fn op_create_drafts_builder() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/drafts/builders"))
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .json_body(meta_json());
            then.status(201).json_body(builder_json("new"));
        })
        .await;
    let builder = client(&server).create_drafts_builder().account_id(id(ACCOUNT)).body(meta_request()).send().await.expect("builder").into_inner();
    mock.assert_async().await;
    assert_eq!(builder.id, id(BUILDER));
    assert_eq!(text(&builder.status), Some("new"));
    assert_meta(builder.meta.as_ref().expect("meta"));
}

#[test]
fn business_registration_builder_data_decodes() {
    let data: types::BusinessRegistrationDraftsBuilderData = serde_json::from_value(json!({
        "registration-info": {
            "application-code": "Р21001",
            "applicant-infos": [{ "inn": "855691531561", "fio": { "surname": "Фамилия", "name": "Имя", "patronymic": "Отчество" }, "email": "e-mail@email.ru" }],
            "ip-info": { "ogrn-ip": "304500116000157" }
        },
        "paper-documents-delivery-type": "No"
    }))
    .expect("business registration data");
    let info = data.registration_info.as_ref().expect("registration info");
    assert_eq!(info.application_code.as_deref(), Some("Р21001"));
    assert_eq!(info.applicant_infos[0].fio.as_ref().and_then(|f| f.surname.as_deref()), Some("Фамилия"));
    assert_eq!(info.ip_info.as_ref().and_then(|i| i.ogrn_ip.as_deref()), Some("304500116000157"));
    assert_eq!(data.paper_documents_delivery_type.as_ref().map(|v| v.as_str()), Some("No"));
}

#[tokio::test]
async fn op_get_drafts_builder() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(builder_path("")).header("accept", "application/json");
            then.status(200).json_body(builder_json("building"));
        })
        .await;
    let builder = client(&server)
        .get_drafts_builder()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .send()
        .await
        .expect("builder")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(text(&builder.status), Some("building"));
    assert_meta(builder.meta.as_ref().expect("meta"));
}

#[tokio::test]
async fn get_unknown_drafts_builder_answers_not_found() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(builder_path(""));
            then.status(404).json_body(json!({
                "id": "urn:error:externapi:draftsBuilderNotFound",
                "status-code": "not-found",
                "message": "Drafts builder was not found"
            }));
        })
        .await;
    let error = client(&server)
        .get_drafts_builder()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .send()
        .await
        .expect_err("404 is an error");
    let raw::Error::ErrorResponse(answer) = error else { panic!("an API error, got {error:?}") };
    assert_eq!(answer.status().as_u16(), 404);
    assert_eq!(answer.status_code, Some(types::StatusCode::String("not-found".into())));
    assert_eq!(answer.message.as_deref(), Some("Drafts builder was not found"));
}

#[tokio::test]
async fn op_update_drafts_builder() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT).path(builder_path("")).header("content-type", "application/json").json_body(meta_json());
            then.status(200).json_body(builder_json("new"));
        })
        .await;
    let builder = client(&server)
        .update_drafts_builder()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .body(meta_request())
        .send()
        .await
        .expect("builder")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(builder.id, id(BUILDER));
    assert_meta(builder.meta.as_ref().expect("meta"));
}

#[tokio::test]
async fn op_delete_drafts_builder() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(builder_path(""));
            then.status(204);
        })
        .await;
    let answer = client(&server).delete_drafts_builder().account_id(id(ACCOUNT)).drafts_builder_id(id(BUILDER)).send().await.expect("deleted");
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 204);
}

#[tokio::test]
async fn op_get_drafts_builder_meta() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(builder_path("/meta"));
            then.status(200).json_body(meta_json());
        })
        .await;
    let meta = client(&server)
        .get_drafts_builder_meta()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .send()
        .await
        .expect("meta")
        .into_inner();
    mock.assert_async().await;
    assert_meta(&meta);
}

#[tokio::test]
async fn op_update_drafts_builder_meta() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT).path(builder_path("/meta")).header("content-type", "application/json").json_body(meta_json());
            then.status(200).json_body(meta_json());
        })
        .await;
    let meta = client(&server)
        .update_drafts_builder_meta()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .body(meta_request())
        .send()
        .await
        .expect("meta")
        .into_inner();
    mock.assert_async().await;
    assert_meta(&meta);
}

#[tokio::test]
async fn op_build_drafts() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(builder_path("/build")).query_param("deferred", "true").header("accept", "application/json");
            then.status(202).json_body(json!({ "id": TASK, "task-state": "running", "task-type": "urn:task-type:draftBuilderBuild" }));
        })
        .await;
    let task = client(&server)
        .build_drafts()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .deferred(true)
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(task.id, id(TASK));
    assert_eq!(text(&task.task_state), Some("running"));
    assert_eq!(text(&task.task_type), Some("urn:task-type:draftBuilderBuild"));
}

#[tokio::test]
async fn build_drafts_while_locked_answers_conflict() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(builder_path("/build")).query_param("deferred", "true");
            then.status(409).json_body(json!({
                "id": "urn:error:externapi:concurrentApiTaskActive",
                "status-code": "conflict",
                "message": "The drafts builder is locked by a running task",
                "context": { "concurrent-task": { "id": TASK, "task-type": "urn:task-type:draftBuilderBuild" } }
            }));
        })
        .await;
    let error = client(&server)
        .build_drafts()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .deferred(true)
        .send()
        .await
        .expect_err("409 is an error");
    let raw::Error::ErrorResponse(answer) = error else { panic!("an API error, got {error:?}") };
    assert_eq!(answer.status().as_u16(), 409);
    assert_eq!(answer.id.as_deref(), Some("urn:error:externapi:concurrentApiTaskActive"));
    assert_eq!(answer.context["concurrent-task"]["task-type"], json!("urn:task-type:draftBuilderBuild"));
}

#[tokio::test]
async fn op_get_drafts_builder_task() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(builder_path(&format!("/tasks/{TASK}"))).header("accept", "application/json");
            then.status(200).json_body(json!({
                "id": TASK,
                "task-state": "succeed",
                "task-type": "urn:task-type:draftBuilderBuild",
                "task-result": {
                    "draft-ids": ["30717ae6-b0eb-4eb2-9e85-99553af15941"],
                    "error-drafts-builder-documents": [{ "document-id": DOCUMENT, "error-message": "The file is not a PDF" }]
                }
            }));
        })
        .await;
    let task = client(&server)
        .get_drafts_builder_task()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .api_task_id(id(TASK))
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(text(&task.task_state), Some("succeed"));
    let result: types::DraftsBuilderBuildResult = serde_json::from_value(task.task_result.expect("result")).expect("a build result");
    assert_eq!(result.draft_ids, vec![id("30717ae6-b0eb-4eb2-9e85-99553af15941")]);
    assert_eq!(result.error_drafts_builder_documents[0].document_id, Some(id(DOCUMENT)));
    assert_eq!(result.error_drafts_builder_documents[0].error_message.as_deref(), Some("The file is not a PDF"));
}

#[tokio::test]
async fn op_list_drafts_builder_documents() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(builder_path("/documents")).header("accept", "application/json");
            then.status(200).json_body(json!([document_json()]));
        })
        .await;
    let documents = client(&server)
        .list_drafts_builder_documents()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .send()
        .await
        .expect("documents")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].id, id(DOCUMENT));
    assert_eq!(documents[0].drafts_builder_id, Some(id(BUILDER)));
    assert_document_meta(documents[0].meta.as_ref().expect("meta"));
}

#[tokio::test]
async fn op_create_drafts_builder_document() {
    let server = MockServer::start_async().await;
    let (meta, wire) = document_meta_request();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(builder_path("/documents")).header("content-type", "application/json").json_body(wire);
            then.status(201).json_body(document_json());
        })
        .await;
    let document = client(&server)
        .create_drafts_builder_document()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .body(meta)
        .send()
        .await
        .expect("document")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(document.id, id(DOCUMENT));
    assert_document_meta(document.meta.as_ref().expect("meta"));
}

#[tokio::test]
async fn op_get_drafts_builder_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path(""));
            then.status(200).json_body(document_json());
        })
        .await;
    let document = client(&server)
        .get_drafts_builder_document()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("document")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(document.id, id(DOCUMENT));
    assert_document_meta(document.meta.as_ref().expect("meta"));
}

#[tokio::test]
async fn op_update_drafts_builder_document() {
    let server = MockServer::start_async().await;
    let (meta, wire) = document_meta_request();
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT).path(document_path("")).header("content-type", "application/json").json_body(wire);
            then.status(200).json_body(document_json());
        })
        .await;
    let document = client(&server)
        .update_drafts_builder_document()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .body(meta)
        .send()
        .await
        .expect("document")
        .into_inner();
    mock.assert_async().await;
    assert_document_meta(document.meta.as_ref().expect("meta"));
}

#[tokio::test]
async fn op_delete_drafts_builder_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(document_path(""));
            then.status(200);
        })
        .await;
    let answer = client(&server)
        .delete_drafts_builder_document()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("deleted");
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn op_get_drafts_builder_document_meta() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/meta"));
            then.status(200).json_body(document_meta_json());
        })
        .await;
    let meta = client(&server)
        .get_drafts_builder_document_meta()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("meta")
        .into_inner();
    mock.assert_async().await;
    assert_document_meta(&meta);
}

#[tokio::test]
async fn op_update_drafts_builder_document_meta() {
    let server = MockServer::start_async().await;
    let (meta, wire) = document_meta_request();
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT).path(document_path("/meta")).header("content-type", "application/json").json_body(wire);
            then.status(200).json_body(document_meta_json());
        })
        .await;
    let stored = client(&server)
        .update_drafts_builder_document_meta()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .body(meta)
        .send()
        .await
        .expect("meta")
        .into_inner();
    mock.assert_async().await;
    assert_document_meta(&stored);
}

#[tokio::test]
async fn op_list_drafts_builder_document_files() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/files")).header("accept", "application/json");
            then.status(200).json_body(json!([file_json()]));
        })
        .await;
    let files = client(&server)
        .list_drafts_builder_document_files()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("files")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(files.len(), 1);
    assert_file(&files[0]);
}

#[tokio::test]
async fn op_create_drafts_builder_document_file() {
    let server = MockServer::start_async().await;
    let (request, wire) = file_request();
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(document_path("/files")).header("content-type", "application/json").json_body(wire);
            then.status(201).json_body(file_json());
        })
        .await;
    let file = client(&server)
        .create_drafts_builder_document_file()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .body(request)
        .send()
        .await
        .expect("file")
        .into_inner();
    mock.assert_async().await;
    assert_file(&file);
}

#[tokio::test]
async fn op_get_drafts_builder_document_file() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(file_path(""));
            then.status(200).json_body(file_json());
        })
        .await;
    let file = client(&server)
        .get_drafts_builder_document_file()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .file_id(id(FILE))
        .send()
        .await
        .expect("file")
        .into_inner();
    mock.assert_async().await;
    assert_file(&file);
}

#[tokio::test]
async fn op_update_drafts_builder_document_file() {
    let server = MockServer::start_async().await;
    let (request, wire) = file_request();
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT).path(file_path("")).header("content-type", "application/json").json_body(wire);
            then.status(200).json_body(file_json());
        })
        .await;
    let file = client(&server)
        .update_drafts_builder_document_file()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .file_id(id(FILE))
        .body(request)
        .send()
        .await
        .expect("file")
        .into_inner();
    mock.assert_async().await;
    assert_file(&file);
}

#[tokio::test]
async fn op_delete_drafts_builder_document_file() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(file_path(""));
            then.status(204);
        })
        .await;
    let answer = client(&server)
        .delete_drafts_builder_document_file()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .file_id(id(FILE))
        .send()
        .await
        .expect("deleted");
    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 204);
}

#[tokio::test]
async fn op_get_drafts_builder_document_file_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(file_path("/content"));
            then.status(200).json_body(json!("JVBERi0xLjcKJcfsj6IK"));
        })
        .await;
    let content = client(&server)
        .get_drafts_builder_document_file_content()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .file_id(id(FILE))
        .send()
        .await
        .expect("content")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(content.as_str(), "JVBERi0xLjcKJcfsj6IK");
}

#[tokio::test]
async fn op_get_drafts_builder_document_file_meta() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(file_path("/meta"));
            then.status(200).json_body(file_meta_json());
        })
        .await;
    let meta = client(&server)
        .get_drafts_builder_document_file_meta()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .file_id(id(FILE))
        .send()
        .await
        .expect("meta")
        .into_inner();
    mock.assert_async().await;
    assert_file_meta(&meta);
    assert_eq!(text(&meta.builder_type), Some(INVENTORY));
}

#[tokio::test]
async fn op_update_drafts_builder_document_file_meta() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(file_path("/meta"))
                .header("content-type", "application/json")
                .json_body(json!({ "file-name": "Выписка.pdf", "builder-data": { "scanned-file-order": 4 } }));
            // Business registration files answer with null builder data.
            then.status(200).json_body(json!({ "file-name": "Выписка.pdf", "builder-type": "urn:drafts-builder:business-registration", "builder-data": null }));
        })
        .await;
    let data = types::FnsInventoryDraftsBuilderDocumentFileData { extra: Default::default(), scanned_file_order: Some(4), is_file_encrypted: None };
    let meta = types::DraftsBuilderDocumentFileMeta {
        file_name: Some("Выписка.pdf".into()),
        builder_type: None,
        builder_data: Some(as_data(&data)),
    };
    let stored = client(&server)
        .update_drafts_builder_document_file_meta()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .file_id(id(FILE))
        .body(meta)
        .send()
        .await
        .expect("meta")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(stored.file_name.as_deref(), Some("Выписка.pdf"));
    assert_eq!(text(&stored.builder_type), Some("urn:drafts-builder:business-registration"));
    assert_eq!(stored.builder_data, None);
}

#[tokio::test]
async fn op_get_drafts_builder_document_file_signature() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(file_path("/signature")).header("accept", "application/json");
            then.status(200).json_body(json!(SIGNATURE_BASE64));
        })
        .await;
    let signature = client(&server)
        .get_drafts_builder_document_file_signature()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .file_id(id(FILE))
        .send()
        .await
        .expect("signature")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(signature.as_str(), SIGNATURE_BASE64);
}

#[tokio::test]
async fn op_prepare_drafts_builder_documents() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(builder_path("/documents/prepare")).query_param("deferred", "true");
            then.status(202).json_body(json!({ "id": TASK, "task-state": "running", "task-type": "urn:task-type:draftsBuilderDocumentsPrepare" }));
        })
        .await;
    let task = client(&server)
        .prepare_drafts_builder_documents()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .deferred(true)
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(task.id, id(TASK));
    assert_eq!(text(&task.task_state), Some("running"));
    assert_eq!(text(&task.task_type), Some("urn:task-type:draftsBuilderDocumentsPrepare"));
}

#[test]
fn prepare_documents_result_lists_failed_documents() {
    let result: types::DraftsBuilderPrepareDocumentsResult = serde_json::from_value(json!({
        "error-drafts-builder-documents": [{ "document-id": DOCUMENT, "error-message": "The warrant is missing" }]
    }))
    .expect("a prepare result");
    assert_eq!(result.error_drafts_builder_documents.len(), 1);
    assert_eq!(result.error_drafts_builder_documents[0].document_id, Some(id(DOCUMENT)));
    assert_eq!(result.error_drafts_builder_documents[0].error_message.as_deref(), Some("The warrant is missing"));
}

#[tokio::test]
async fn op_generate_drafts_builder_document_file() {
    let server = MockServer::start_async().await;
    let contract = json!({ "form": "letter", "subject": "Ответ на требование", "attachments": [{ "name": "act.pdf" }] });
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/files/generate"))
                .query_param("version", "2")
                .header("content-type", "application/json")
                .json_body(contract.clone());
            then.status(200).json_body(file_json());
        })
        .await;
    let file = client(&server)
        .generate_drafts_builder_document_file()
        .account_id(id(ACCOUNT))
        .drafts_builder_id(id(BUILDER))
        .document_id(id(DOCUMENT))
        .version(2)
        .body(contract.clone())
        .send()
        .await
        .expect("file")
        .into_inner();
    mock.assert_async().await;
    assert_file(&file);
}
