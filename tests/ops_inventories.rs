//! One httpmock test per operation of the `inventories` group: inventory docflows (documents sent
//! in answer to an FNS demand), addressed by the demand docflow, its document and the inventory id.

mod common;

use common::{client, id};

use httpmock::prelude::*;
use kontur_extern::raw::types;
use serde_json::{Value, json};

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const DEMAND: &str = "5f0e8a3c-1b2d-4c6e-8f9a-0b1c2d3e4f50";
const DEMAND_DOCUMENT: &str = "6a1f9b4d-2c3e-4d7f-9a0b-1c2d3e4f5a61";
const INVENTORY: &str = "7b2a0c5e-3d4f-4e80-8b1c-2d3e4f5a6b72";
const DOCUMENT: &str = "8c3b1d6f-4e5a-4f91-9c2d-3e4f5a6b7c83";
const REPLY: &str = "9d4c2e7a-5f6b-4a02-8d3e-4f5a6b7c8d94";
const SIGNATURE: &str = "ae5d3f8b-6a7c-4b13-9e4f-5a6b7c8d9ea5";
const TASK: &str = "bf6e4a9c-7b8d-4c24-8f5a-6b7c8d9eafb6";
const CONTENT: &str = "c07f5bad-8c9e-4d35-9a6b-7c8d9eafb0c7";
const CERTIFICATE: &str = "MIIJcDCCCR2gAwIBAgIQAdCFAEOrPJJKYFuNhmHkPjAKBggqhQMHAQEDAjCB";
const SIGNATURE_BYTES: &[u8] = &[0x30, 0x82, 0x01, 0x0a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xff, 0x00];

fn api(rest: &str) -> String {
    format!("https://extern-api.testkontur.ru/v1/{ACCOUNT}{rest}")
}

fn inventories_path(rest: &str) -> String {
    format!("/v1/{ACCOUNT}/docflows/{DEMAND}/documents/{DEMAND_DOCUMENT}/inventories{rest}")
}

fn document_path(rest: &str) -> String {
    inventories_path(&format!("/{INVENTORY}/documents/{DOCUMENT}{rest}"))
}

fn reply_path(rest: &str) -> String {
    document_path(&format!("/replies/{REPLY}{rest}"))
}

/// An inventory docflow after FNS accepted it.
fn inventory_json() -> Value {
    json!({
        "id": INVENTORY,
        "organization-id": "988b38f1-5580-4ba9-b9f8-3215e7f392ea",
        "type": "urn:docflow:fns534-inventory",
        "status": "urn:docflow-common-status:response-arrived",
        "success-state": "urn:docflow-state:successful",
        "description": {
            "form-version": { "knd": "1165013" },
            "recipient": "0087",
            "payer-inn": "6676130154-667601001",
            "related-docflow-id": DEMAND,
            "related-document-id": DEMAND_DOCUMENT,
            "original-draft-id": "d1a0c6be-9dae-4e46-8b7c-8d9eafb0c1d8"
        },
        "documents": [{
            "id": DOCUMENT,
            "description": { "type": "urn:document:fns534-inventory-acceptance-result-positive", "filename": "KV_OPISDOK.xml", "support-print": "yes" },
            "content": { "docflow-document-contents": [{ "content-id": CONTENT, "encrypted": true, "compressed": true }] },
            "send-date": "2024-05-21T09:12:00.0000000Z",
            "signatures": [{ "id": SIGNATURE, "signer-type": "cu-representative" }],
            "links": []
        }],
        "links": [{ "rel": "reply", "name": "fns534-inventory-receipt",
                    "href": api(&format!("/docflows/{DEMAND}/documents/{DEMAND_DOCUMENT}/inventories/{INVENTORY}/documents/{DOCUMENT}/generate-reply?documentType=fns534-inventory-receipt")) }],
        "send-date": "2024-05-21T12:00:00.0000000",
        "last-change-date": "2024-05-21T09:12:00.0000000Z"
    })
}

fn assert_inventory(inventory: &types::Docflow) {
    assert_eq!(inventory.id, id(INVENTORY));
    assert_eq!(inventory.type_.as_ref().map(|v| v.as_str()), Some("urn:docflow:fns534-inventory"));
    let description = inventory.description.as_ref().expect("description");
    assert_eq!(description.related_docflow_id, Some(id(DEMAND)));
    assert_eq!(description.related_document_id, Some(id(DEMAND_DOCUMENT)));
    let document = &inventory.documents[0];
    assert_eq!(document.id, id(DOCUMENT));
    assert_eq!(document.content.as_ref().expect("content").docflow_document_contents[0].encrypted, Some(true));
    assert_eq!(inventory.links[0].name.as_deref(), Some("fns534-inventory-receipt"));
}

fn reply_json(signed: bool) -> Value {
    let mut value = json!({
        "id": REPLY,
        "content": "PD94bWwgdmVyc2lvbj0iMS4wIj8+",
        "data-to-sign": "PD94bWwgdmVyc2lvbj0iMS4wIj8+",
        "filename": "IZ_OPISDOK_0087_0087_6676130154667601001_20240521.xml",
        "links": [{ "rel": "send", "href": api(&format!("/docflows/{DEMAND}/documents/{DEMAND_DOCUMENT}/inventories/{INVENTORY}/documents/{DOCUMENT}/replies/{REPLY}/send")) }],
        "docflow-id": INVENTORY,
        "document-id": DOCUMENT
    });
    if signed {
        value["signature"] = json!("MIIBCgYJKoZIhvcNAQcC/wA=");
    }
    value
}

fn assert_reply(reply: &types::ReplyDocument) {
    assert_eq!(reply.id, id(REPLY));
    assert_eq!(reply.docflow_id, Some(id(INVENTORY)));
    assert_eq!(reply.document_id, Some(id(DOCUMENT)));
    assert_eq!(reply.content.as_ref().expect("content").decode().unwrap(), b"<?xml version=\"1.0\"?>");
}

fn task_json(task_type: &str, result: Value) -> Value {
    json!({ "id": TASK, "task-state": "succeed", "task-type": task_type, "task-result": result })
}

#[tokio::test]
async fn op_list_inventories() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(inventories_path(""))
                .query_param("skip", "0")
                .query_param("take", "20")
                .query_param("orderBy", "ascending")
                .query_param("finished", "true");
            then.status(200).json_body(json!({
                "skip": 0, "take": 20, "total-count": 1,
                "docflows-page-item": [{
                    "id": INVENTORY, "type": "urn:docflow:fns534-inventory",
                    "status": "urn:docflow-common-status:finished",
                    "description": { "related-docflow-id": DEMAND },
                    "send-date": "2024-05-21T12:00:00.0000000"
                }]
            }));
        })
        .await;
    let page = client(&server)
        .list_inventories()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .skip(0)
        .take(20)
        .order_by("ascending")
        .finished(true)
        .send()
        .await
        .expect("inventories")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(page.total_count, Some(1));
    let item = &page.docflows_page_item[0];
    assert_eq!(item.id, id(INVENTORY));
    assert_eq!(item.send_date.as_ref().map(|v| v.as_str()), Some("2024-05-21T12:00:00.0000000"));
    assert_eq!(item.description.as_ref().and_then(|d| d.related_docflow_id), Some(id(DEMAND)));
}

#[tokio::test]
async fn op_get_inventory() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(inventories_path(&format!("/{INVENTORY}")));
            then.status(200).json_body(inventory_json());
        })
        .await;
    let inventory = client(&server)
        .get_inventory()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .send()
        .await
        .expect("inventory")
        .into_inner();
    mock.assert_async().await;
    assert_inventory(&inventory);
}

#[tokio::test]
async fn op_decrypt_inventory_document_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/decrypt-content"))
                .header("content-type", "application/json")
                .json_body(json!({ "certificate-base64": CERTIFICATE }));
            then.status(200).json_body(json!({ "request-id": "dec-1", "decryption-task-id": TASK, "confirm-type": "myDSS" }));
        })
        .await;
    let started = client(&server)
        .decrypt_inventory_document_content()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .body_map(|b| b.certificate_base64(types::Base64Bytes(CERTIFICATE.to_owned())))
        .send()
        .await
        .expect("decryption request")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(started.request_id.as_deref(), Some("dec-1"));
    assert_eq!(started.decryption_task_id, Some(id(TASK)));
    assert_eq!(started.confirm_type.as_deref(), Some("myDSS"));
}

#[tokio::test]
async fn op_confirm_inventory_document_decryption() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/confirm-content-decryption"))
                .query_param("requestId", "dec-1")
                .query_param("code", "246810")
                .query_param_missing("unzip");
            then.status(200).json_body(json!({ "content-id": CONTENT }));
        })
        .await;
    let confirmed = client(&server)
        .confirm_inventory_document_decryption()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .request_id("dec-1")
        .code("246810")
        .send()
        .await
        .expect("confirmation")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(confirmed.content_id, Some(id(CONTENT)));
}

#[tokio::test]
async fn op_get_inventory_document_decrypted_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/decrypted-content"));
            then.status(200).json_body(json!("PD94bWwgdmVyc2lvbj0iMS4wIj8+"));
        })
        .await;
    let content = client(&server)
        .get_inventory_document_decrypted_content()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("content")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(content.decode().unwrap(), b"<?xml version=\"1.0\"?>");
}

#[tokio::test]
async fn op_save_inventory_document_decrypted_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(document_path("/decrypted-content"))
                .header("content-type", "application/json")
                .json_body(json!({ "content-id": CONTENT }));
            then.status(200).json_body(json!({ "content-id": CONTENT, "links": [] }));
        })
        .await;
    let saved = client(&server)
        .save_inventory_document_decrypted_content()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .body(types::SaveDecryptedContentRequest { content_id: id(CONTENT) })
        .send()
        .await
        .expect("saved")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(saved.content_id, Some(id(CONTENT)));
}

#[tokio::test]
async fn op_get_inventory_document_encrypted_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/encrypted-content"));
            then.status(200).json_body(json!("MIAGCSqGSIb3DQEHA6CAMIACAQAxggE="));
        })
        .await;
    let content = client(&server)
        .get_inventory_document_encrypted_content()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("content")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(content.decode().unwrap()[..2], [0x30, 0x80]);
}

#[tokio::test]
async fn op_generate_inventory_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/generate-reply"))
                .query_param("documentType", "fns534-inventory-receipt")
                .header("content-type", "application/json")
                .json_body(json!({ "certificate-base64": CERTIFICATE }));
            then.status(201).json_body(reply_json(false));
        })
        .await;
    let reply = client(&server)
        .generate_inventory_reply()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .document_type("fns534-inventory-receipt")
        .body(types::GenerateReplyRequest { certificate_base64: types::Base64Bytes(CERTIFICATE.to_owned()) })
        .send()
        .await
        .expect("reply")
        .into_inner();
    mock.assert_async().await;
    assert_reply(&reply);
}

#[tokio::test]
async fn op_print_inventory_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/print"))
                .query_param("deferred", "true")
                .header("content-type", "application/json")
                .json_body(json!({ "content-id": CONTENT }));
            then.status(202).json_body(json!({ "id": TASK, "task-state": "running", "task-type": "urn:task-type:docflowPrint" }));
        })
        .await;
    let task = client(&server)
        .print_inventory_document()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .deferred(true)
        .body(types::PrintDocumentRequest { content_id: Some(id(CONTENT)), content: None })
        .send()
        .await
        .expect("print task");
    assert_eq!(task.status().as_u16(), 202);
    mock.assert_async().await;
    assert_eq!(task.id, id(TASK));
    assert_eq!(task.task_state.as_ref().map(|v| v.as_str()), Some("running"));
}

#[tokio::test]
async fn op_get_inventory_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(reply_path(""));
            then.status(200).json_body(reply_json(false));
        })
        .await;
    let reply = client(&server)
        .get_inventory_reply()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
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
async fn op_cloud_sign_inventory_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(reply_path("/cloud-sign")).query_param("forceConfirmation", "false");
            then.status(200).json_body(json!({
                "request-id": "sign-7", "confirm-type": "none",
                "documents-to-sign": [{ "rel": "reply", "href": api("/reply") }], "links": []
            }));
        })
        .await;
    let started = client(&server)
        .cloud_sign_inventory_reply()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .force_confirmation(false)
        .send()
        .await
        .expect("signing request")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(started.request_id.as_deref(), Some("sign-7"));
    assert_eq!(started.confirm_type.as_ref().map(|v| v.as_str()), Some("none"));
}

#[tokio::test]
async fn op_confirm_cloud_sign_inventory_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(reply_path("/cloud-sign-confirm")).query_param("requestId", "sign-7").query_param("code", "135790");
            then.status(200).json_body(json!({ "signed-documents": [{ "rel": "reply", "href": api("/reply") }] }));
        })
        .await;
    let confirmed = client(&server)
        .confirm_cloud_sign_inventory_reply()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .request_id("sign-7")
        .code("135790")
        .send()
        .await
        .expect("confirmation")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(confirmed.signed_documents.len(), 1);
}

#[tokio::test]
async fn op_put_inventory_reply_content() {
    let server = MockServer::start_async().await;
    let content = "<?xml version=\"1.0\"?><Файл ИдФайл=\"IZ_OPISDOK\"/>";
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT).path(reply_path("/content")).header("content-type", "application/octet-stream").body(content);
            then.status(200).json_body(reply_json(false));
        })
        .await;
    let reply = client(&server)
        .put_inventory_reply_content()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
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
async fn op_send_inventory_reply() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(reply_path("/send")).header("content-type", "application/json").json_body(json!({ "sender-ip": "192.0.2.10" }));
            then.status(200).json_body(inventory_json());
        })
        .await;
    let inventory = client(&server)
        .send_inventory_reply()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .body(types::SendReplyRequest { sender_ip: Some("192.0.2.10".to_owned()) })
        .send()
        .await
        .expect("docflow")
        .into_inner();
    mock.assert_async().await;
    assert_inventory(&inventory);
}

#[tokio::test]
async fn op_put_inventory_reply_signature() {
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
    let reply = client(&server)
        .put_inventory_reply_signature()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .body(SIGNATURE_BYTES.to_vec())
        .send()
        .await
        .expect("signed reply")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(reply.signature.expect("signature").decode().unwrap(), SIGNATURE_BYTES);
}

#[tokio::test]
async fn op_get_inventory_reply_task() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(reply_path(&format!("/tasks/{TASK}")));
            then.status(200).json_body(task_json("urn:task-type:initReplySignOperation", json!({ "signed-documents": [] })));
        })
        .await;
    let task = client(&server)
        .get_inventory_reply_task()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .reply_id(id(REPLY))
        .api_task_id(id(TASK))
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(task.task_type.as_ref().map(|v| v.as_str()), Some("urn:task-type:initReplySignOperation"));
    assert_eq!(task.task_state.as_ref().map(|v| v.as_str()), Some("succeed"));
}

#[tokio::test]
async fn op_get_inventory_document_signature_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path(&format!("/signatures/{SIGNATURE}/content")));
            then.status(200).json_body(json!("MIIBCgYJKoZIhvcNAQcC/wA="));
        })
        .await;
    let content = client(&server)
        .get_inventory_document_signature_content()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .signature_id(id(SIGNATURE))
        .send()
        .await
        .expect("signature")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(content.decode().unwrap(), SIGNATURE_BYTES);
}

#[tokio::test]
async fn op_get_inventory_document_task() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path(&format!("/tasks/{TASK}")));
            then.status(200).json_body(task_json("urn:task-type:docflowPrint", json!({ "content-id": CONTENT })));
        })
        .await;
    let task = client(&server)
        .get_inventory_document_task()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .api_task_id(id(TASK))
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(task.task_result, Some(json!({ "content-id": CONTENT })));
}

/// Decrypting a second document of the same inventory while one decryption runs answers 409.
#[tokio::test]
async fn concurrent_decryption_decodes_into_api_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(document_path("/decrypt-content"));
            then.status(409).json_body(json!({
                "id": "urn:error:externapi:concurrentApiTaskActive",
                "status-code": 409,
                "message": "Another decryption is running",
                "trace-id": "0b1c2d3e4f",
                "context": { "concurrent-task": { "id": TASK, "task-type": "urn:task-type:initDocumentDecryptionOperation" } }
            }));
        })
        .await;
    let error = client(&server)
        .decrypt_inventory_document_content()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DEMAND))
        .related_document_id(id(DEMAND_DOCUMENT))
        .inventory_id(id(INVENTORY))
        .document_id(id(DOCUMENT))
        .body_map(|b| b.certificate_base64(types::Base64Bytes(CERTIFICATE.to_owned())))
        .send()
        .await
        .expect_err("409 is an error");
    let progenitor_client::Error::ErrorResponse(answer) = error else { panic!("an ApiError answer, got {error:?}") };
    assert_eq!(answer.status().as_u16(), 409);
    assert_eq!(answer.status_code, Some(types::StatusCode::Int32(409)));
    assert_eq!(answer.id.as_deref(), Some("urn:error:externapi:concurrentApiTaskActive"));
}
