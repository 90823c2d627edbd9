//! The handles against a mock server: each capability's happy path, the error every method
//! returns, per-call options, and handles that move into spawned tasks.

mod common;

use std::time::Duration;

use common::{id, layer_client};
use futures::TryStreamExt;
use httpmock::prelude::*;
use kontur_extern::RequestOptions;
use kontur_extern::handles::{DraftHandle, NewDraft};
use kontur_extern::ids::{
    AccountId, BuilderDocumentId, BuilderFileId, ContentId, DocflowId, DocumentId, DocumentsRequestId, DraftId,
    DraftsBuilderId, OrganizationId, SignatureId,
};
use kontur_extern::raw::types;
use serde_json::json;

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const DRAFT: &str = "30717ae6-b0eb-4eb2-9e85-99553af15941";
const DOCUMENT: &str = "08d1aa6b-4506-4fd0-b45e-4e37086a38a6";
const SIGNATURE: &str = "5b2f0f9e-6c1d-4a0b-9f3e-2d7c8e1a4b6f";
const CONTENT: &str = "9089d7cf-58d0-4739-ba3f-110ecd4180d7";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";
const ORGANIZATION: &str = "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6";
const BUILDER: &str = "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f";
const REQUEST: &str = "c0ffee00-1234-4abc-8def-0123456789ab";

fn account() -> AccountId {
    AccountId::from(id(ACCOUNT))
}

fn draft_path(rest: &str) -> String {
    format!("/v1/{ACCOUNT}/drafts/{DRAFT}{rest}")
}

fn docflow_path(rest: &str) -> String {
    format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}{rest}")
}

#[test]
fn handles_and_the_client_can_move_across_threads() {
    fn assert_send_sync_static<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_static::<kontur_extern::Client>();
    assert_send_sync_static::<DraftHandle>();
    assert_send_sync_static::<kontur_extern::handles::AccountHandle>();
    assert_send_sync_static::<kontur_extern::handles::DocflowDocumentHandle>();
    assert_send_sync_static::<kontur_extern::handles::ReplyHandle>();
    fn assert_send<T: Send>(_: &T) {}
    let client = kontur_extern::Client::builder()
        .environment(kontur_extern::Environment::test())
        .access_token(secrecy::SecretString::from("t"))
        .build()
        .unwrap();
    let draft = client.account(account()).draft(DraftId::from(id(DRAFT)));
    assert_send(&draft.check());
    assert_send(&client.account(account()).drafts().list());
}

#[tokio::test]
async fn a_draft_is_created_filled_signed_and_read_back() {
    let server = MockServer::start_async().await;
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/{ACCOUNT}/drafts")).json_body(json!({
                "sender": { "inn": "7700000000", "kpp": "770001001" },
                "recipient": { "ifns-code": "0087" },
                "payer": { "inn": "7700000000" },
                "related-document": { "related-docflow-id": DOCFLOW, "related-document-id": DOCUMENT }
            }));
            then.status(200).json_body(json!({ "id": DRAFT, "status": "new" }));
        })
        .await;
    let add_document = server
        .mock_async(|when, then| {
            when.method(POST).path(draft_path("/documents")).json_body(json!({ "content-id": CONTENT }));
            then.status(200).json_body(json!({ "id": DOCUMENT }));
        })
        .await;
    let add_signature = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(draft_path(&format!("/documents/{DOCUMENT}/signatures")))
                .json_body(json!({ "base64-content": "c2lnbmF0dXJl" }));
            then.status(200).json_body(json!({ "id": SIGNATURE }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path(&format!("/documents/{DOCUMENT}/signatures/{SIGNATURE}")));
            then.status(200).json_body(json!({ "id": SIGNATURE, "title": "Ivanov" }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path(&format!("/documents/{DOCUMENT}/signatures/{SIGNATURE}/content")));
            then.status(200).json_body(json!("c2lnbmF0dXJl"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path(&format!("/documents/{DOCUMENT}")));
            then.status(200).json_body(json!({ "id": DOCUMENT, "signatures": [{ "id": SIGNATURE }] }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path(""));
            then.status(200).json_body(json!({
                "id": DRAFT,
                "documents": [{ "rel": "document", "href": draft_path(&format!("/documents/{DOCUMENT}")) }]
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path("/meta"));
            then.status(200)
                .json_body(json!({ "recipient": { "ifns-code": "0087" }, "sender": { "inn": "7700000000" } }));
        })
        .await;
    let update_meta = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(draft_path("/meta"))
                .json_body(json!({ "recipient": { "ifns-code": "0088" }, "sender": { "inn": "7700000000" } }));
            then.status(200).json_body(json!({ "recipient": { "ifns-code": "0088" } }));
        })
        .await;

    let client = layer_client(&server);
    let drafts = client.account(account()).drafts();
    let new = NewDraft::new(
        types::DraftSender { inn: Some("7700000000".into()), kpp: Some("770001001".into()), ..Default::default() },
        types::DraftRecipient { ifns_code: Some("0087".into()), ..Default::default() },
        types::DraftPayer { inn: Some("7700000000".into()), ..Default::default() },
    )
    .related_document(DocflowId::from(id(DOCFLOW)), DocumentId::from(id(DOCUMENT)));
    let created = drafts.create(new).await.expect("created");
    create.assert_async().await;
    let draft = client.account(account()).draft(created.draft_id());

    let document = draft
        .add_document(types::DraftDocumentRequest { content_id: Some(id(CONTENT)), ..Default::default() })
        .await
        .expect("document added");
    add_document.assert_async().await;
    let document = draft.document(document.document_id());
    let signature = document.signatures().add(b"signature").await.expect("signed");
    add_signature.assert_async().await;
    assert_eq!(signature.signature_id(), SignatureId::from(id(SIGNATURE)));
    let read = document.signatures().get(signature.signature_id()).await.expect("signature");
    assert_eq!(read.title.as_deref(), Some("Ivanov"));
    assert_eq!(&document.signatures().content(signature.signature_id()).bytes().await.unwrap()[..], b"signature");
    assert_eq!(document.signatures().list().await.unwrap().len(), 1);
    let documents = draft.documents().await.expect("documents through links");
    assert_eq!(documents[0].document_id(), document.id());

    let mut meta = draft.meta().await.expect("meta");
    meta.recipient = Some(types::DraftRecipient { ifns_code: Some("0088".into()), ..Default::default() });
    let updated = draft.update_meta(meta).await.expect("meta updated");
    update_meta.assert_async().await;
    assert_eq!(updated.recipient.and_then(|r| r.ifns_code).as_deref(), Some("0088"));
}

#[tokio::test]
async fn errors_name_the_operation_status_and_trace_id() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path(""));
            then.status(404).header("X-Kontur-Trace-Id", "trace-404").json_body(json!({
                "id": "urn:error:externapi:draftNotFound", "message": "no such draft"
            }));
        })
        .await;
    let client = layer_client(&server);
    let error = client.account(account()).draft(DraftId::from(id(DRAFT))).get().await.expect_err("404");
    assert_eq!(error.operation(), Some("get_draft"));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(error.trace_id(), Some("trace-404"));
    assert!(error.to_string().contains("no such draft"), "{error}");
}

#[tokio::test]
async fn per_call_options_reach_the_transport() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}"));
            then.status(200).delay(Duration::from_millis(400)).json_body(json!({ "id": ACCOUNT }));
        })
        .await;
    let client = layer_client(&server);
    let impatient = client.account(account()).with_options(RequestOptions::new().timeout(Duration::from_millis(50)));
    let error = impatient.get().await.expect_err("times out");
    assert!(error.is_timeout(), "{error:?}");
    assert_eq!(error.operation(), Some("get_account"));
    let patient = client.account(account());
    assert_eq!(patient.get().await.expect("in time").account_id(), account());
}

#[tokio::test]
async fn a_handle_moves_into_a_spawned_task() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path(""));
            then.status(200).json_body(json!({ "id": DRAFT, "status": "new" }));
        })
        .await;
    let draft = layer_client(&server).account(account()).draft(DraftId::from(id(DRAFT)));
    let read = tokio::spawn(async move { draft.get().await }).await.expect("joined").expect("read");
    assert_eq!(read.draft_id(), DraftId::from(id(DRAFT)));
}

#[tokio::test]
async fn docflow_documents_contents_print_and_recognize() {
    let server = MockServer::start_async().await;
    let doc = |rest: &str| docflow_path(&format!("/documents/{DOCUMENT}{rest}"));
    server
        .mock_async(|when, then| {
            when.method(GET).path(docflow_path(""));
            then.status(200).json_body(json!({ "id": DOCFLOW, "organization-id": ORGANIZATION }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(docflow_path("/documents"));
            then.status(200).json_body(json!([{ "id": DOCUMENT }]));
        })
        .await;
    server
        .mock_async(|when, then| {
            // A document that lists no contents: read through the deprecated base64 answer.
            when.method(GET).path(doc(""));
            then.status(200).json_body(json!({ "id": DOCUMENT }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(doc("/decrypted-content"));
            then.status(200).json_body(json!("PGRlbWFuZC8+"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(doc("/signatures"));
            then.status(200).json_body(json!([{ "id": SIGNATURE }]));
        })
        .await;
    let recognize = server
        .mock_async(|when, then| {
            when.method(POST).path(doc("/recognize")).json_body(json!({ "content-id": CONTENT }));
            then.status(200).json_body(json!({ "demand-number": "42", "demand-knd": "1160001" }));
        })
        .await;
    let print = server
        .mock_async(|when, then| {
            when.method(POST).path(doc("/print")).query_param("deferred", "true");
            then.status(202).json_body(json!({
                "id": REQUEST, "task-state": "succeed", "task-result": { "content-id": CONTENT }
            }));
        })
        .await;
    let client = layer_client(&server);
    let docflow = client.account(account()).docflow(DocflowId::from(id(DOCFLOW)));
    let read = docflow.get().await.expect("docflow");
    assert_eq!(read.organization_id(), Some(OrganizationId::from(id(ORGANIZATION))));
    let documents = docflow.documents().await.expect("documents");
    let document = docflow.document(documents[0].document_id());
    assert_eq!(&document.decrypted_content().bytes().await.expect("content")[..], b"<demand/>");
    assert_eq!(document.signatures().await.expect("signatures")[0].signature_id(), SignatureId::from(id(SIGNATURE)));
    let meta = document.recognize(ContentId::from(id(CONTENT))).await.expect("recognized");
    recognize.assert_async().await;
    assert_eq!(meta.demand_number.as_deref(), Some("42"));
    let pdf = document.print(None).await.expect("print starts").wait().await.expect("printed");
    print.assert_async().await;
    assert_eq!(pdf, ContentId::from(id(CONTENT)));
}

#[tokio::test]
async fn documents_requests_are_generated_signed_and_sent() {
    let server = MockServer::start_async().await;
    let generate = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(docflow_path("/generate-documents-request"))
                .json_body(json!({ "certificate-base64": "Y2VydA==" }));
            then.status(201).json_body(json!({ "id": REQUEST, "docflow-id": DOCFLOW }));
        })
        .await;
    let sign = server
        .mock_async(|when, then| {
            when.method(PUT).path(docflow_path(&format!("/documents-requests/{REQUEST}/signature"))).body("cms");
            then.status(200).json_body(json!({ "id": REQUEST }));
        })
        .await;
    let send = server
        .mock_async(|when, then| {
            when.method(POST).path(docflow_path(&format!("/documents-requests/{REQUEST}/send")));
            then.status(200).json_body(json!({ "id": DOCFLOW }));
        })
        .await;
    let client = layer_client(&server);
    let docflow = client.account(account()).docflow(DocflowId::from(id(DOCFLOW)));
    let (request, generated) = docflow.generate_documents_request(b"cert", None).await.expect("generated");
    generate.assert_async().await;
    assert_eq!(request.id(), DocumentsRequestId::from(id(REQUEST)));
    assert_eq!(generated.docflow_id(), Some(docflow.id()));
    request.put_signature(b"cms".to_vec()).await.expect("signed");
    sign.assert_async().await;
    request.send().await.expect("sent");
    send.assert_async().await;
}

#[tokio::test]
async fn organizations_are_created_renamed_and_deleted() {
    let server = MockServer::start_async().await;
    let base = format!("/v1/{ACCOUNT}/organizations");
    let create = server
        .mock_async(|when, then| {
            when.method(POST).path(base.clone()).json_body(json!({ "inn": "7700000000", "name": "Romashka" }));
            then.status(201).json_body(json!({ "id": ORGANIZATION }));
        })
        .await;
    let rename = server
        .mock_async(|when, then| {
            when.method(PUT).path(format!("{base}/{ORGANIZATION}")).json_body(json!({ "name": "Romashka LLC" }));
            then.status(200).json_body(json!({ "id": ORGANIZATION }));
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE).path(format!("{base}/{ORGANIZATION}"));
            then.status(204);
        })
        .await;
    let client = layer_client(&server);
    let account = client.account(account());
    let created = account
        .organizations()
        .create(types::CreateOrganizationRequest {
            inn: "7700000000".into(),
            kpp: None,
            name: "Romashka".into(),
            extra: Default::default(),
        })
        .await
        .expect("created");
    create.assert_async().await;
    let organization = account.organization(created.organization_id());
    organization.rename("Romashka LLC").await.expect("renamed");
    rename.assert_async().await;
    organization.delete().await.expect("deleted");
    delete.assert_async().await;
}

#[tokio::test]
async fn drafts_builders_hold_documents_and_files() {
    let server = MockServer::start_async().await;
    let base = format!("/v1/{ACCOUNT}/drafts/builders");
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path(base.clone())
                .json_body(json!({ "builder-type": "urn:drafts-builder:fns534-inventory" }));
            then.status(200).json_body(json!({ "id": BUILDER }));
        })
        .await;
    let add_document = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{base}/{BUILDER}/documents"));
            then.status(200).json_body(json!({ "id": DOCUMENT }));
        })
        .await;
    let add_file = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("{base}/{BUILDER}/documents/{DOCUMENT}/files"))
                .json_body(json!({ "content-id": CONTENT }));
            then.status(200).json_body(json!({ "id": SIGNATURE, "content-id": CONTENT }));
        })
        .await;
    server
        .mock_async(|when, then| {
            // A file that names no content: read through the deprecated base64 answer.
            when.method(GET).path(format!("{base}/{BUILDER}/documents/{DOCUMENT}/files/{SIGNATURE}"));
            then.status(200).json_body(json!({ "id": SIGNATURE }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{base}/{BUILDER}/documents/{DOCUMENT}/files/{SIGNATURE}/content"));
            then.status(200).json_body(json!("ZmlsZQ=="));
        })
        .await;
    let client = layer_client(&server);
    let account = client.account(account());
    let meta = types::DraftsBuilderMeta {
        builder_type: Some(kontur_extern::vocab::DraftsBuilderType::from(
            "urn:drafts-builder:fns534-inventory".to_owned(),
        )),
        ..Default::default()
    };
    let created = account.drafts_builders().create(meta).await.expect("created");
    let builder = account.drafts_builder(created.drafts_builder_id());
    assert_eq!(builder.id(), DraftsBuilderId::from(id(BUILDER)));
    let document = builder.add_document(types::DraftsBuilderDocumentMeta::default()).await.expect("document");
    add_document.assert_async().await;
    let document = builder.document(document.builder_document_id());
    assert_eq!(document.id(), BuilderDocumentId::from(id(DOCUMENT)));
    let file = document
        .add_file(types::DraftsBuilderDocumentFileRequest { content_id: Some(id(CONTENT)), ..Default::default() })
        .await
        .expect("file");
    add_file.assert_async().await;
    assert_eq!(file.content_id(), Some(ContentId::from(id(CONTENT))));
    let file = document.file(file.builder_file_id());
    assert_eq!(file.id(), BuilderFileId::from(id(SIGNATURE)));
    assert_eq!(&file.content().bytes().await.expect("content")[..], b"file");
}

#[tokio::test]
async fn draft_tasks_are_listed_and_attached() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path("/tasks")).query_param("includeReleased", "true");
            then.status(200).json_body(json!({
                "total-count": 1,
                "api-task-page-items": [{ "id": REQUEST, "task-state": "succeed", "task-type": "urn:task-type:check" }]
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_path(&format!("/tasks/{REQUEST}")));
            then.status(200)
                .json_body(json!({ "id": REQUEST, "task-state": "succeed", "task-type": "urn:task-type:check" }));
        })
        .await;
    let client = layer_client(&server);
    let draft = client.account(account()).draft(DraftId::from(id(DRAFT)));
    let tasks: Vec<_> = draft.tasks(true).try_collect().await.expect("tasks");
    let task = draft.task(tasks[0].task_id()).wait().await.expect("finished");
    assert_eq!(task.task_id(), tasks[0].task_id());
}
