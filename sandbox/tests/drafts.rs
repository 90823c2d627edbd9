//! Drafts: tasks hold the draft (409 concurrentApiTaskActive), a draft is sent once, check finds
//! unsigned documents, docflow search filters and pages, printing is a task.

mod common;

use std::time::Duration;

use common::{start, text};
use kontur_extern::transport::SendExt;
use serde_json::json;

#[tokio::test]
async fn a_running_task_holds_the_draft_and_a_draft_is_sent_once() {
    let harness = start().await;
    let draft = harness.signed_draft(json!({ "ifns-code": "0087" })).await;
    let send = harness
        .raw()
        .send_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .deferred(true)
        .send()
        .checked()
        .await
        .unwrap();
    assert_eq!(send.status(), 202);
    let task = send.into_inner();
    assert_eq!(text(&task.task_state), "running");
    assert_eq!(text(&task.task_type), "urn:task-type:send");

    let locked = harness
        .raw()
        .check_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .deferred(true)
        .send()
        .checked()
        .await
        .unwrap_err();
    assert_eq!(locked.status().map(|s| s.as_u16()), Some(409));
    let api_error = locked.api_error().expect("an ApiError body");
    assert_eq!(api_error.id.as_deref(), Some("urn:error:externapi:concurrentApiTaskActive"));
    assert_eq!(api_error.context["concurrent-task"]["id"], json!(task.id.to_string()));
    assert!(locked.trace_id().is_some(), "errors carry the trace id");

    let finished = harness.finish_draft_task(draft, task.id).await;
    assert_eq!(text(&finished.task_state), "succeed");
    let again = harness
        .raw()
        .send_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .deferred(true)
        .send()
        .checked()
        .await
        .unwrap_err();
    assert_eq!(again.status().map(|s| s.as_u16()), Some(409));
    assert_eq!(again.api_error().and_then(|e| e.id.as_deref()), Some("urn:error:externapi:draftAlreadySent"));

    let tasks = harness
        .raw()
        .list_draft_tasks()
        .account_id(harness.account)
        .draft_id(draft)
        .include_released(true)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(tasks.api_task_page_items.len(), 1);
}

#[tokio::test]
async fn check_reports_unsigned_documents_and_send_refuses_them_without_force() {
    let harness = start().await;
    let (draft, document) = harness.draft_with_document(json!({ "ifns-code": "0087" })).await;
    let check = harness
        .raw()
        .check_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .deferred(true)
        .send()
        .checked()
        .await
        .unwrap();
    let check = harness.finish_draft_task(draft, check.into_inner().id).await;
    let result = check.task_result.expect("a check result");
    assert!(
        result["data"]["documents-errors"][document.to_string()].as_array().is_some_and(|errors| !errors.is_empty())
    );

    let send = harness
        .raw()
        .send_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .deferred(true)
        .send()
        .checked()
        .await
        .unwrap();
    let send = harness.finish_draft_task(draft, send.into_inner().id).await;
    let failure = send.task_result.expect("a send failure");
    assert_eq!(failure["status"], "check-protocol-has-errors");
    let draft_now = harness
        .raw()
        .get_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert!(draft_now.docflow_id.is_none());
}

#[tokio::test]
async fn docflow_search_filters_and_pages() {
    let harness = start().await;
    for code in ["0087", "0088"] {
        let draft = harness.signed_draft(json!({ "ifns-code": code })).await;
        harness.send_draft(draft).await;
        harness.sandbox.advance(Duration::from_secs(1)).await;
    }
    let rosstat = harness.signed_draft(json!({ "togs-code": "00-87" })).await;
    harness.send_draft(rosstat).await;

    let all = harness.raw().search_docflows().account_id(harness.account).send().checked().await.unwrap().into_inner();
    assert_eq!(all.total_count, Some(3));
    let fns = harness
        .raw()
        .search_docflows()
        .account_id(harness.account)
        .type_(vec!["fns534-report".to_owned()])
        .take(1)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fns.total_count, Some(2));
    assert_eq!(fns.docflows_page_item.len(), 1);
    let second = harness
        .raw()
        .search_docflows()
        .account_id(harness.account)
        .type_(vec!["fns534-report".to_owned()])
        .skip(1)
        .take(1)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_ne!(fns.docflows_page_item[0].id, second.docflows_page_item[0].id);
    let finished = harness
        .raw()
        .search_docflows()
        .account_id(harness.account)
        .finished(true)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(finished.total_count, Some(0));
}

#[tokio::test]
async fn printing_a_docflow_document_is_a_task_with_a_pdf_content() {
    let harness = start().await;
    let draft = harness.signed_draft(json!({ "ifns-code": "0087" })).await;
    let docflow = harness.send_draft(draft).await;
    let document = docflow.documents[0].id;
    let print: kontur_extern::raw::types::PrintDocumentRequest = common::wire(json!({}));
    let task = harness
        .raw()
        .print_docflow_document()
        .account_id(harness.account)
        .docflow_id(docflow.id)
        .document_id(document)
        .deferred(true)
        .body(print)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    harness.sandbox.advance(Duration::from_secs(5)).await;
    let done = harness
        .raw()
        .get_docflow_document_task()
        .account_id(harness.account)
        .docflow_id(docflow.id)
        .document_id(document)
        .api_task_id(task.id)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text(&done.task_state), "succeed");
    let content_id: uuid::Uuid =
        serde_json::from_value(done.task_result.expect("a result")["content-id"].clone()).unwrap();
    let pdf = harness.download(content_id, None).await;
    assert_eq!(pdf.status(), 200);
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF"));
}

#[tokio::test]
async fn draft_documents_keep_their_content_and_signatures() {
    let harness = start().await;
    let (draft, document) = harness.draft_with_document(json!({ "ifns-code": "0087" })).await;
    let signature: kontur_extern::raw::types::SignatureRequest =
        common::wire(json!({ "base64-content": common::base64(b"a detached signature") }));
    let created = harness
        .raw()
        .create_draft_document_signature()
        .account_id(harness.account)
        .draft_id(draft)
        .document_id(document)
        .body(signature)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let fetched = harness
        .raw()
        .get_draft_document_signature()
        .account_id(harness.account)
        .draft_id(draft)
        .document_id(document)
        .signature_id(created.id)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.id, created.id);
    let content = harness
        .raw()
        .get_draft_document_signature_content()
        .account_id(harness.account)
        .draft_id(draft)
        .document_id(document)
        .signature_id(created.id)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(content.to_string(), common::base64(b"a detached signature"));
    let decrypted = harness
        .raw()
        .get_draft_document_decrypted_content()
        .account_id(harness.account)
        .draft_id(draft)
        .document_id(document)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decrypted.to_string(), common::base64("<Файл>декларация по НДС</Файл>".as_bytes()));
    let whole = harness
        .raw()
        .get_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(whole.documents.len(), 1);
    assert_eq!(text(&whole.status), "new");
}

#[tokio::test]
async fn printing_a_draft_document_and_replacing_its_content_drops_old_signatures() {
    let harness = start().await;
    let draft = harness.signed_draft(json!({ "ifns-code": "0087" })).await;
    let whole = harness
        .raw()
        .get_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let document: uuid::Uuid = whole.documents[0].href.as_deref().unwrap().rsplit('/').next().unwrap().parse().unwrap();
    let task = harness
        .raw()
        .print_draft_document()
        .account_id(harness.account)
        .draft_id(draft)
        .document_id(document)
        .deferred(true)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    harness.sandbox.advance(Duration::from_secs(3)).await;
    let done = harness
        .raw()
        .get_draft_document_task()
        .account_id(harness.account)
        .draft_id(draft)
        .document_id(document)
        .api_task_id(task.id)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text(&done.task_type), "urn:task-type:print");
    assert_eq!(text(&done.task_state), "succeed");

    let replacement = harness.upload(b"<corrected/>").await;
    let request: kontur_extern::raw::types::DraftDocumentRequest = common::wire(json!({ "content-id": replacement }));
    let updated = harness
        .raw()
        .update_draft_document()
        .account_id(harness.account)
        .draft_id(draft)
        .document_id(document)
        .body(request)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert!(updated.signatures.is_empty(), "a signature of the old content is dropped");
    assert_eq!(updated.contents[0].content_id, Some(replacement));
}
