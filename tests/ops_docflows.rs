//! One httpmock test per operation of the `docflows` group: the request the client sends
//! (method, path, query, headers, body) and the decoding of a documented answer.

mod common;

use common::id;

use httpmock::prelude::*;
use kontur_extern::raw::types;
use kontur_extern::vocab::PatchOperationKind;
use serde_json::{Value, json};

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";
const DOCUMENT: &str = "008d30c8-b1b4-4b61-b726-cf32f2103ef4";
const SIGNATURE: &str = "cab34903-d98a-42eb-89f0-4dfb353e58ce";
const CONTENT: &str = "ece675b1-73f8-4bef-a9e3-864101e46d63";
const TASK: &str = "819ade20-665c-470a-befc-e897a56e1641";
const REQUEST: &str = "4e2c1f0a-93b5-4a7e-8d11-6f0c2b9e5a37";
const ORGANIZATION: &str = "988b38f1-5580-4ba9-b9f8-3215e7f392ea";

fn api(rest: &str) -> String {
    format!("https://extern-api.testkontur.ru/v1/{ACCOUNT}{rest}")
}

fn document_path(rest: &str) -> String {
    format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents/{DOCUMENT}{rest}")
}

/// A received FNS receipt as the docs show it, with its signature and contents.
fn document_json() -> Value {
    json!({
        "id": DOCUMENT,
        "description": {
            "type": "urn:document:fns534-report-receipt",
            "filename": "IZ_IVNOSRCHIS_0087_0087_7757424860680345565_20200331_d66b5737fd3b40c889809975d4bfc1b3.xml",
            "content-type": "application/xml",
            "decrypted-content-size": 2736,
            "compressed": true,
            "requisites": {},
            "support-recognition": false,
            "encrypted-certificates": [],
            "support-print": "yes"
        },
        "content": {
            "decrypted": { "rel": "decrypted-content", "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/decrypted-content")) },
            "docflow-document-contents": [{ "content-id": CONTENT, "encrypted": false, "compressed": true, "compression-type": "gzip" }]
        },
        "send-date": "2020-03-31T15:07:27.2873280Z",
        "signatures": [signature_json()],
        "links": [
            { "rel": "docflow", "href": api(&format!("/docflows/{DOCFLOW}")) },
            { "rel": "self", "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}")) }
        ]
    })
}

fn signature_json() -> Value {
    json!({
        "id": SIGNATURE,
        "title": "ООО 'Баланс Плюс' (Марков Георгий Эльдарович)",
        "signature-certificate-thumbprint": "20AACA440F33D0C90FBC052108012D3062D44873",
        "content-link": { "rel": "content", "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/signatures/{SIGNATURE}/content")) },
        "signer-type": "cu-representative",
        "links": [{ "rel": "docflow", "href": api(&format!("/docflows/{DOCFLOW}")) }]
    })
}

/// An FNS report docflow waiting for a receipt; `send-date` has no offset, as the server sends it.
fn docflow_json() -> Value {
    json!({
        "id": DOCFLOW,
        "organization-id": ORGANIZATION,
        "type": "urn:docflow:fns534-report",
        "status": "urn:docflow-common-status:response-arrived",
        "success-state": "urn:docflow-state:successful",
        "description": {
            "form-version": { "knd": "1110018", "version": "100501", "form-shortname": "Сведения о среднесписочной численности" },
            "recipient": "0087",
            "final-recipient": "0087",
            "correction-number": 0,
            "period-begin": "2012-01-01T00:00:00.0000000",
            "period-end": "2012-12-31T00:00:00.0000000",
            "period-code": "34",
            "payer-inn": "7757424860-680345565",
            "original-draft-id": "74b6e8b9-290a-4d12-b874-c7fb35cad54f"
        },
        "documents": [document_json()],
        "links": [
            { "rel": "self", "href": api(&format!("/docflows/{DOCFLOW}")) },
            { "rel": "reply", "name": "fns534-report-receipt",
              "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/generate-reply?documentType=fns534-report-receipt")) }
        ],
        "send-date": "2020-02-26T09:51:08.4636938",
        "last-change-date": "2020-03-31T15:07:27.2873280Z"
    })
}

fn assert_docflow(docflow: &types::Docflow) {
    assert_eq!(docflow.id, id(DOCFLOW));
    assert_eq!(docflow.organization_id, Some(id(ORGANIZATION)));
    assert_eq!(docflow.type_.as_ref().map(|v| v.as_str()), Some("urn:docflow:fns534-report"));
    assert_eq!(docflow.status.as_ref().map(|v| v.as_str()), Some("urn:docflow-common-status:response-arrived"));
    assert_eq!(docflow.send_date.as_ref().map(|v| v.as_str()), Some("2020-02-26T09:51:08.4636938"));
    assert_eq!(docflow.last_change_date.as_ref().map(|d| d.to_utc().to_rfc3339()).as_deref(), Some("2020-03-31T15:07:27.287328+00:00"));
    let description = docflow.description.as_ref().expect("description");
    assert_eq!(description.period_code.as_deref(), Some("34"));
    assert_eq!(description.correction_number, Some(0));
    assert_eq!(description.form_version.as_ref().and_then(|f| f.knd.as_deref()), Some("1110018"));
    let reply = docflow.links.iter().find(|l| l.rel.as_deref() == Some("reply")).expect("a reply link");
    assert_eq!(reply.name.as_deref(), Some("fns534-report-receipt"));
    assert_document(&docflow.documents[0]);
}

fn assert_document(document: &types::Document) {
    assert_eq!(document.id, id(DOCUMENT));
    let description = document.description.as_ref().expect("description");
    assert_eq!(description.type_.as_ref().map(|v| v.as_str()), Some("urn:document:fns534-report-receipt"));
    assert_eq!(description.decrypted_content_size, Some(2736));
    assert_eq!(description.support_print.as_ref().map(|v| v.as_str()), Some("yes"));
    let content = &document.content.as_ref().expect("content").docflow_document_contents[0];
    assert_eq!(content.content_id, Some(id(CONTENT)));
    assert_eq!(content.compressed, Some(true));
    assert_signature(&document.signatures[0]);
}

fn assert_signature(signature: &types::Signature) {
    assert_eq!(signature.id, id(SIGNATURE));
    assert_eq!(signature.signature_certificate_thumbprint.as_deref(), Some("20AACA440F33D0C90FBC052108012D3062D44873"));
    assert_eq!(signature.signer_type.as_ref().map(|v| v.as_str()), Some("cu-representative"));
    assert_eq!(signature.content_link.as_ref().and_then(|l| l.rel.as_deref()), Some("content"));
}

fn page_json() -> Value {
    json!({
        "skip": 0,
        "take": 2,
        "total-count": 17,
        "docflows-page-item": [{
            "id": DOCFLOW,
            "organization-id": ORGANIZATION,
            "type": "urn:docflow:fns534-report",
            "status": "urn:docflow-common-status:finished",
            "success-state": "urn:docflow-state:successful",
            "description": { "form-version": { "knd": "1151111" }, "recipient": "0087", "period-code": "21" },
            "links": [{ "rel": "self", "href": api(&format!("/docflows/{DOCFLOW}")) }],
            "send-date": "2024-06-05T10:27:58.5805863",
            "last-change-date": "2024-06-05T07:29:41.8642330Z"
        }]
    })
}

fn assert_page(page: &types::DocflowPage) {
    assert_eq!((page.skip, page.take, page.total_count), (Some(0), Some(2), Some(17)));
    let item = &page.docflows_page_item[0];
    assert_eq!(item.id, id(DOCFLOW));
    assert_eq!(item.success_state.as_ref().map(|v| v.as_str()), Some("urn:docflow-state:successful"));
    assert_eq!(item.description.as_ref().and_then(|d| d.recipient.as_deref()), Some("0087"));
}

fn task_json(state: &str, result: Value) -> Value {
    json!({ "id": TASK, "task-state": state, "task-type": "urn:task-type:docflowPrint", "task-result": result })
}

#[tokio::test]
async fn op_search_docflows() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/{ACCOUNT}/docflows"))
                .query_param("type", "fns534-report")
                .query_param("type", "pfr-report")
                .query_param_count("type", ".*", 2)
                .query_param("successState", "successful")
                .query_param("successState", "warning")
                .query_param("pfrLetterCategory", "letter")
                .query_param("skip", "100")
                .query_param("take", "50")
                .query_param("incoming", "false")
                .query_param("innKpp", "7757424860-680345565")
                .query_param("orderBy", "descending")
                .query_param("updatedFrom", "2024-01-01T00:00:00Z")
                .query_param("orgId", ORGANIZATION)
                .query_param("demandNumber", "12345");
            then.status(200).json_body(page_json());
        })
        .await;
    let page = common::raw_client(&server.base_url())
        .search_docflows()
        .account_id(id(ACCOUNT))
        .type_(vec!["fns534-report".to_owned(), "pfr-report".to_owned()])
        .success_state(vec!["successful".to_owned(), "warning".to_owned()])
        .pfr_letter_category(vec!["letter".to_owned()])
        .skip(100)
        .take(50)
        .incoming(false)
        .inn_kpp("7757424860-680345565")
        .order_by("descending")
        .updated_from("2024-01-01T00:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap())
        .org_id(id(ORGANIZATION))
        .demand_number("12345")
        .send()
        .await
        .expect("search answers")
        .into_inner();
    mock.assert_async().await;
    assert_page(&page);
}

#[tokio::test]
async fn op_list_demand_assignees() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/docflows/demands-assignees"));
            then.status(200).json_body(json!([
                { "id": "f39c4f77-6056-46ac-af1a-d2a6f3dd2e5d", "email": "buh@example.ru", "first-name": "Анна", "last-name": "Петрова" }
            ]));
        })
        .await;
    let answer = common::raw_client(&server.base_url()).list_demand_assignees().account_id(id(ACCOUNT)).send().await.expect("answer").into_inner();
    mock.assert_async().await;
    let types::DemandAssignees::Array(assignees) = answer else { panic!("a bare list decodes as a list: {answer:?}") };
    assert_eq!(assignees[0].id, id("f39c4f77-6056-46ac-af1a-d2a6f3dd2e5d"));
    assert_eq!(assignees[0].first_name.as_deref(), Some("Анна"));
}

#[tokio::test]
async fn demand_assignees_wrapped_in_an_object_decode_too() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/docflows/demands-assignees"));
            then.status(200).json_body(json!({ "assignees": [{ "id": "f39c4f77-6056-46ac-af1a-d2a6f3dd2e5d", "email": "buh@example.ru" }] }));
        })
        .await;
    let answer = common::raw_client(&server.base_url()).list_demand_assignees().account_id(id(ACCOUNT)).send().await.expect("answer").into_inner();
    let types::DemandAssignees::DemandAssigneeList(list) = answer else { panic!("an object decodes as the wrapped list: {answer:?}") };
    assert_eq!(list.assignees[0].email.as_deref(), Some("buh@example.ru"));
}

#[tokio::test]
async fn op_get_docflow() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}")).header("accept", "application/json");
            then.status(200).json_body(docflow_json());
        })
        .await;
    let docflow = common::raw_client(&server.base_url())
        .get_docflow()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .send()
        .await
        .expect("docflow")
        .into_inner();
    mock.assert_async().await;
    assert_docflow(&docflow);
}

#[tokio::test]
async fn op_patch_docflow() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}"))
                .header("content-type", "application/json")
                .json_body(json!([{ "op": "add", "path": "/description/requisites/comment", "value": { "text": "Проверить", "color": "red" } }]));
            then.status(200).json_body(docflow_json());
        })
        .await;
    let patch = types::PatchDocument(vec![types::PatchOperation {
        op: PatchOperationKind::Add,
        path: "/description/requisites/comment".to_owned(),
        value: Some(json!({ "text": "Проверить", "color": "red" })),
    }]);
    let docflow = common::raw_client(&server.base_url())
        .patch_docflow()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .body(patch)
        .send()
        .await
        .expect("patched docflow")
        .into_inner();
    mock.assert_async().await;
    assert_docflow(&docflow);
}

#[tokio::test]
async fn op_check_demand() {
    let server = MockServer::start_async().await;
    let attachment = "5b9f0b7c-0c1d-4d8e-9a4f-2e1b3c4d5e6f";
    let attachment_content = "6a6adf01-c138-48c8-b1fa-432fce4e5c03";
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/check-demand"))
                .header("content-type", "application/json")
                .json_body(json!({
                    "decrypted-demand-content-id": CONTENT,
                    "decrypted-attachments": [{ "id": attachment, "content-id": attachment_content }]
                }));
            then.status(200).json_body(json!({
                "has-errors": true,
                "error-codes": ["0300300001", "0400100005"],
                "links": [{ "rel": "reply", "name": "fns534-demand-acceptance-result-negative",
                            "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/generate-reply?documentType=fns534-demand-acceptance-result-negative&declineNoticeErrorCode=0300300001&declineNoticeErrorCode=0400100005")) }]
            }));
        })
        .await;
    let result = common::raw_client(&server.base_url())
        .check_demand()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .body_map(|b| {
            b.decrypted_demand_content_id(Some(id(CONTENT)))
                .decrypted_attachments(vec![types::DecryptedDemandAttachment { id: Some(id(attachment)), content_id: Some(id(attachment_content)) }])
        })
        .send()
        .await
        .expect("check result")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(result.has_errors, Some(true));
    assert_eq!(result.error_codes, ["0300300001", "0400100005"]);
    assert_eq!(result.links[0].name.as_deref(), Some("fns534-demand-acceptance-result-negative"));
}

#[tokio::test]
async fn op_list_docflow_documents() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents"));
            then.status(200).json_body(json!([document_json()]));
        })
        .await;
    let documents = common::raw_client(&server.base_url())
        .list_docflow_documents()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .send()
        .await
        .expect("documents")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(documents.len(), 1);
    assert_document(&documents[0]);
}

fn documents_request_json(with_signature: bool) -> Value {
    let mut value = json!({
        "id": REQUEST,
        "content": "PD94bWwgdmVyc2lvbj0iMS4wIj8+",
        "data-to-sign": "PD94bWwgdmVyc2lvbj0iMS4wIj8+",
        "links": [{ "rel": "self", "href": api(&format!("/docflows/{DOCFLOW}/documents-requests/{REQUEST}")) }],
        "docflow-id": DOCFLOW
    });
    if with_signature {
        value["signature"] = json!("MIAGCSqGSIb3DQEHAqCAMIACAQE=");
    }
    value
}

#[tokio::test]
async fn op_get_documents_request() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents-requests/{REQUEST}"));
            then.status(200).json_body(documents_request_json(false));
        })
        .await;
    let request = common::raw_client(&server.base_url())
        .get_documents_request()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .request_id(id(REQUEST))
        .send()
        .await
        .expect("documents request")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(request.id, id(REQUEST));
    assert_eq!(request.docflow_id, Some(id(DOCFLOW)));
    assert_eq!(request.data_to_sign.expect("data to sign").decode().unwrap(), b"<?xml version=\"1.0\"?>");
}

#[tokio::test]
async fn op_send_documents_request() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents-requests/{REQUEST}/send"));
            then.status(200).json_body(docflow_json());
        })
        .await;
    let docflow = common::raw_client(&server.base_url())
        .send_documents_request()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .request_id(id(REQUEST))
        .send()
        .await
        .expect("docflow")
        .into_inner();
    mock.assert_async().await;
    assert_docflow(&docflow);
}

/// Bytes of a detached CMS signature: DER, so not valid UTF-8.
const SIGNATURE_BYTES: &[u8] = &[0x30, 0x82, 0x01, 0x0a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xff, 0x00];

#[tokio::test]
async fn op_put_documents_request_signature() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents-requests/{REQUEST}/signature"))
                .header("content-type", "application/octet-stream")
                .is_true(|req| req.body().to_vec() == SIGNATURE_BYTES);
            then.status(200).json_body(documents_request_json(true));
        })
        .await;
    let request = common::raw_client(&server.base_url())
        .put_documents_request_signature()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .request_id(id(REQUEST))
        .body(SIGNATURE_BYTES.to_vec())
        .send()
        .await
        .expect("signed request")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(request.signature.expect("signature").decode().unwrap()[..2], [0x30, 0x80]);
}

#[tokio::test]
async fn op_get_docflow_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path(""));
            then.status(200).json_body(document_json());
        })
        .await;
    let document = common::raw_client(&server.base_url())
        .get_docflow_document()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("document")
        .into_inner();
    mock.assert_async().await;
    assert_document(&document);
}

#[tokio::test]
async fn op_patch_docflow_document() {
    let server = MockServer::start_async().await;
    let assignee = "f39c4f77-6056-46ac-af1a-d2a6f3dd2e5d";
    let mock = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(document_path(""))
                .header("content-type", "application/json")
                .json_body(json!([
                    { "op": "add", "path": "/description/requisites/assignees", "value": [{ "id": assignee }] },
                    { "op": "remove", "path": "/description/requisites/comment" }
                ]));
            let mut document = document_json();
            document["description"]["type"] = json!("urn:document:fns534-demand-attachment");
            document["description"]["requisites"] = json!({
                "demand-number": "12345", "demand-date": "2024-05-20", "demand-inn-list": ["6676130154"],
                "assignees": [{ "id": assignee, "email": "buh@example.ru" }],
                "labels": [{ "name": "Срочно" }],
                "demand-status": "in-progress"
            });
            then.status(200).json_body(document);
        })
        .await;
    let patch = types::PatchDocument(vec![
        types::PatchOperation { op: PatchOperationKind::Add, path: "/description/requisites/assignees".to_owned(), value: Some(json!([{ "id": assignee }])) },
        types::PatchOperation { op: PatchOperationKind::Remove, path: "/description/requisites/comment".to_owned(), value: None },
    ]);
    let document = common::raw_client(&server.base_url())
        .patch_docflow_document()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .body(patch)
        .send()
        .await
        .expect("patched document")
        .into_inner();
    mock.assert_async().await;
    let requisites = document.description.and_then(|d| d.requisites).expect("requisites");
    assert_eq!(requisites.demand_number.as_deref(), Some("12345"));
    assert_eq!(requisites.assignees[0].id, id(assignee));
    assert_eq!(requisites.labels[0].name.as_deref(), Some("Срочно"));
    assert_eq!(requisites.demand_status.as_ref().map(|v| v.as_str()), Some("in-progress"));
}

const CERTIFICATE: &str = "MIIJcDCCCR2gAwIBAgIQAdCFAEOrPJJKYFuNhmHkPjAKBggqhQMHAQEDAjCB";

#[tokio::test]
async fn op_decrypt_document_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/decrypt-content"))
                .header("content-type", "application/json")
                .json_body(json!({ "certificate-base64": CERTIFICATE }));
            then.status(200).json_body(json!({
                "request-id": "c7f3a1e2-0d5b-4b8e-a6f9-3c2d1e0f9a8b",
                "confirm-type": "sms",
                "confirm-link": { "rel": "confirm", "href": api(&format!("/docflows/{DOCFLOW}/documents/{DOCUMENT}/confirm-content-decryption?requestId=c7f3a1e2-0d5b-4b8e-a6f9-3c2d1e0f9a8b")) }
            }));
        })
        .await;
    let started = common::raw_client(&server.base_url())
        .decrypt_document_content()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .body_map(|b| b.certificate_base64(types::Base64Bytes(CERTIFICATE.to_owned())))
        .send()
        .await
        .expect("decryption request")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(started.request_id.as_deref(), Some("c7f3a1e2-0d5b-4b8e-a6f9-3c2d1e0f9a8b"));
    assert_eq!(started.confirm_type.as_deref(), Some("sms"));
    assert!(started.confirm_link.and_then(|l| l.href).is_some_and(|h| h.contains("confirm-content-decryption")));
}

#[tokio::test]
async fn op_confirm_document_decryption() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/confirm-content-decryption"))
                .query_param("requestId", "c7f3a1e2-0d5b-4b8e-a6f9-3c2d1e0f9a8b")
                .query_param("code", "123456")
                .query_param("unzip", "true");
            then.status(200).json_body(json!({ "content-id": CONTENT }));
        })
        .await;
    let confirmed = common::raw_client(&server.base_url())
        .confirm_document_decryption()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .request_id("c7f3a1e2-0d5b-4b8e-a6f9-3c2d1e0f9a8b")
        .code("123456")
        .unzip(true)
        .send()
        .await
        .expect("confirmation")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(confirmed.content_id, Some(id(CONTENT)));
}

#[tokio::test]
async fn op_get_document_decrypted_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/decrypted-content"));
            then.status(200).json_body(json!("PD94bWwgdmVyc2lvbj0iMS4wIj8+"));
        })
        .await;
    let content = common::raw_client(&server.base_url())
        .get_document_decrypted_content()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("content")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(content.decode().unwrap(), b"<?xml version=\"1.0\"?>");
}

#[tokio::test]
async fn op_save_document_decrypted_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(document_path("/decrypted-content"))
                .header("content-type", "application/json")
                .json_body(json!({ "content-id": CONTENT }));
            then.status(200).json_body(json!({
                "content-id": CONTENT,
                "links": [{ "rel": "content", "href": api(&format!("/contents/{CONTENT}")) }]
            }));
        })
        .await;
    let saved = common::raw_client(&server.base_url())
        .save_document_decrypted_content()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .body_map(|b| b.content_id(id(CONTENT)))
        .send()
        .await
        .expect("saved content")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(saved.content_id, Some(id(CONTENT)));
    assert_eq!(saved.links[0].rel.as_deref(), Some("content"));
}

#[tokio::test]
async fn op_get_docflow_document_description() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/description"));
            then.status(200).json_body(json!({
                "type": "urn:document:fns534-demand",
                "filename": "ON_TREBNDS_0087_0087_6676130154667601001_20240520.xml",
                "content-type": "application/xml",
                "encrypted-content-size": 5120,
                "compressed": true,
                "related-docflows-count": 2,
                "support-recognition": true,
                "encrypted-certificates": [{ "serial-number": "01D0850043AB3C924A605B8D8661E43E" }],
                "support-print": "unknown",
                "requisites": { "demand-knd": "1160070", "receipt-deadline-date": "2024-05-27", "tax-event-name": "Камеральная проверка" }
            }));
        })
        .await;
    let description = common::raw_client(&server.base_url())
        .get_docflow_document_description()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("description")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(description.type_.as_ref().map(|v| v.as_str()), Some("urn:document:fns534-demand"));
    assert_eq!(description.encrypted_content_size, Some(5120));
    assert_eq!(description.related_docflows_count, Some(2));
    assert_eq!(description.encrypted_certificates[0].serial_number.as_deref(), Some("01D0850043AB3C924A605B8D8661E43E"));
    let requisites = description.requisites.expect("requisites");
    assert_eq!(requisites.demand_knd.as_deref(), Some("1160070"));
    assert_eq!(requisites.receipt_deadline_date.as_ref().map(|v| v.as_str()), Some("2024-05-27"));
}

#[tokio::test]
async fn op_get_document_encrypted_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/encrypted-content"));
            then.status(200).json_body(json!("MIAGCSqGSIb3DQEHA6CAMIACAQAxggE="));
        })
        .await;
    let content = common::raw_client(&server.base_url())
        .get_document_encrypted_content()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("content")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(content.decode().unwrap()[..4], [0x30, 0x80, 0x06, 0x09]);
}

#[tokio::test]
async fn op_print_docflow_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/print"))
                .query_param("deferred", "true")
                .header("content-type", "application/json")
                .json_body(json!({ "content-id": CONTENT }));
            then.status(202).json_body(task_json("running", Value::Null));
        })
        .await;
    let task = common::raw_client(&server.base_url())
        .print_docflow_document()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .deferred(true)
        .body_map(|b| b.content_id(Some(id(CONTENT))))
        .send()
        .await
        .expect("print task")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(task.id, id(TASK));
    assert_eq!(task.task_state.as_ref().map(|v| v.as_str()), Some("running"));
    assert_eq!(task.task_type.as_ref().map(|v| v.as_str()), Some("urn:task-type:docflowPrint"));
}

#[tokio::test]
async fn op_recognize_document() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(document_path("/recognize"))
                .header("content-type", "application/json")
                .json_body(json!({ "content-id": CONTENT }));
            then.status(200).json_body(json!({
                "demand-number": "12345",
                "demand-knd": "1160070",
                "demand-date": "2024-05-20",
                "receipt-deadline-date": "2024-05-27",
                "reply-deadline-date": "2024-06-03",
                "demand-inn-list": ["6676130154"]
            }));
        })
        .await;
    let meta = common::raw_client(&server.base_url())
        .recognize_document()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .body_map(|b| b.content_id(id(CONTENT)))
        .send()
        .await
        .expect("recognized")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(meta.demand_number.as_deref(), Some("12345"));
    assert_eq!(meta.reply_deadline_date.as_ref().map(|v| v.as_str()), Some("2024-06-03"));
    assert_eq!(meta.demand_inn_list, ["6676130154"]);
}

#[tokio::test]
async fn op_list_docflow_document_signatures() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path("/signatures"));
            then.status(200).json_body(json!([signature_json()]));
        })
        .await;
    let signatures = common::raw_client(&server.base_url())
        .list_docflow_document_signatures()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .send()
        .await
        .expect("signatures")
        .into_inner();
    mock.assert_async().await;
    assert_signature(&signatures[0]);
}

#[tokio::test]
async fn op_get_docflow_document_signature() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path(&format!("/signatures/{SIGNATURE}")));
            then.status(200).json_body(signature_json());
        })
        .await;
    let signature = common::raw_client(&server.base_url())
        .get_docflow_document_signature()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .signature_id(id(SIGNATURE))
        .send()
        .await
        .expect("signature")
        .into_inner();
    mock.assert_async().await;
    assert_signature(&signature);
}

#[tokio::test]
async fn op_get_docflow_document_signature_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path(&format!("/signatures/{SIGNATURE}/content")));
            then.status(200).json_body(json!("MIIBCgYJKoZIhvcNAQcC/wA="));
        })
        .await;
    let content = common::raw_client(&server.base_url())
        .get_docflow_document_signature_content()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .signature_id(id(SIGNATURE))
        .send()
        .await
        .expect("signature content")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(content.decode().unwrap(), SIGNATURE_BYTES);
}

#[tokio::test]
async fn op_get_docflow_document_task() {
    let server = MockServer::start_async().await;
    let pdf = "d065adea-8b9d-4228-bc17-8f86539e01a3";
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(document_path(&format!("/tasks/{TASK}")));
            then.status(200).json_body(task_json("succeed", json!({ "content-id": pdf })));
        })
        .await;
    let task = common::raw_client(&server.base_url())
        .get_docflow_document_task()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .document_id(id(DOCUMENT))
        .api_task_id(id(TASK))
        .send()
        .await
        .expect("task")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(task.task_state.as_ref().map(|v| v.as_str()), Some("succeed"));
    assert_eq!(task.task_result, Some(json!({ "content-id": pdf })));
}

#[tokio::test]
async fn op_generate_documents_request() {
    let server = MockServer::start_async().await;
    let warrant = "3f1d2c4b-5a69-4788-9abc-def012345678";
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/generate-documents-request"))
                .header("content-type", "application/json")
                .json_body(json!({ "certificate-base64": CERTIFICATE, "machine-readable-warrant-id": warrant }));
            then.status(200).json_body(documents_request_json(false));
        })
        .await;
    let request = common::raw_client(&server.base_url())
        .generate_documents_request()
        .account_id(id(ACCOUNT))
        .docflow_id(id(DOCFLOW))
        .body_map(|b| b.certificate_base64(types::Base64Bytes(CERTIFICATE.to_owned())).machine_readable_warrant_id(Some(id(warrant))))
        .send()
        .await
        .expect("documents request")
        .into_inner();
    mock.assert_async().await;
    assert_eq!(request.id, id(REQUEST));
    assert!(request.signature.is_none());
}

#[tokio::test]
async fn op_list_related_docflows() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents/{DOCUMENT}/related"))
                .query_param("type", "fns534-letter")
                .query_param("take", "10");
            then.status(200).json_body(page_json());
        })
        .await;
    let page = common::raw_client(&server.base_url())
        .list_related_docflows()
        .account_id(id(ACCOUNT))
        .related_docflow_id(id(DOCFLOW))
        .related_document_id(id(DOCUMENT))
        .type_(vec!["fns534-letter".to_owned()])
        .take(10)
        .send()
        .await
        .expect("related docflows")
        .into_inner();
    mock.assert_async().await;
    assert_page(&page);
}

/// A locked docflow answers 409 with the task that holds the lock; `status-code` comes as a number or a string.
#[tokio::test]
async fn concurrent_task_conflict_decodes_into_api_error() {
    for status_code in [json!(409), json!("409"), json!("conflict")] {
        let sent_status_code = status_code.clone();
        let server = MockServer::start_async().await;
        server
            .mock_async(|when, then| {
                when.method(POST).path(document_path("/decrypt-content"));
                then.status(409).header("X-Kontur-Trace-Id", "9f1c2d3e4b5a6978").json_body(json!({
                    "id": "urn:error:externapi:concurrentApiTaskActive",
                    "status-code": sent_status_code,
                    "message": "Another task is running for this docflow",
                    "trace-id": "9f1c2d3e4b5a6978",
                    "context": { "concurrent-task": { "id": TASK, "task-type": "urn:task-type:initDocumentDecryptionOperation" } }
                }));
            })
            .await;
        let error = common::raw_client(&server.base_url())
            .decrypt_document_content()
            .account_id(id(ACCOUNT))
            .docflow_id(id(DOCFLOW))
            .document_id(id(DOCUMENT))
            .body_map(|b| b.certificate_base64(types::Base64Bytes(CERTIFICATE.to_owned())))
            .send()
            .await
            .expect_err("409 is an error");
        let progenitor_client::Error::ErrorResponse(answer) = error else { panic!("an ApiError answer, got {error:?}") };
        assert_eq!(answer.status().as_u16(), 409);
        assert_eq!(answer.id.as_deref(), Some("urn:error:externapi:concurrentApiTaskActive"));
        assert_eq!(answer.trace_id.as_deref(), Some("9f1c2d3e4b5a6978"));
        assert_eq!(answer.context["concurrent-task"]["id"], json!(TASK));
        match (&answer.status_code, &status_code) {
            (Some(types::StatusCode::Int32(code)), Value::Number(_)) => assert_eq!(*code, 409),
            (Some(types::StatusCode::String(code)), Value::String(sent)) => assert_eq!(code, sent),
            (decoded, sent) => panic!("status-code {sent} decoded as {decoded:?}"),
        }
    }
}

#[tokio::test]
async fn not_found_decodes_into_api_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}"));
            then.status(404).json_body(json!({ "id": "urn:error:externapi:docflowNotFound", "status-code": "not-found", "message": "Docflow not found" }));
        })
        .await;
    let error = common::raw_client(&server.base_url()).get_docflow().account_id(id(ACCOUNT)).docflow_id(id(DOCFLOW)).send().await.expect_err("404");
    let progenitor_client::Error::ErrorResponse(answer) = error else { panic!("an ApiError answer, got {error:?}") };
    assert_eq!(answer.status().as_u16(), 404);
    assert_eq!(answer.status_code, Some(types::StatusCode::String("not-found".to_owned())));
}
