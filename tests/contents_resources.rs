//! Every content-bearing resource of the layer downloads through `contents::Download`: documents
//! that list their contents fetch them from the content service in `Range` chunks; answers that
//! carry base64 (signatures, deprecated content endpoints, replies) are decoded once and handed
//! over the same way, with the same progress, offsets and errors.

mod common;

use std::sync::{Arc, Mutex};

use common::{id, layer_client};
use futures::TryStreamExt;
use httpmock::prelude::*;
use kontur_extern::contents::{ContentError, Progress};
use kontur_extern::ids::{
    AccountId, BuilderDocumentId, BuilderFileId, ContentId, DocflowId, DocumentId, DraftId, DraftsBuilderId, ReplyId,
    SignatureId,
};
use serde_json::json;

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const DRAFT: &str = "30717ae6-b0eb-4eb2-9e85-99553af15941";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";
const DOCUMENT: &str = "08d1aa6b-4506-4fd0-b45e-4e37086a38a6";
const INVENTORY: &str = "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6";
const SIGNATURE: &str = "5b2f0f9e-6c1d-4a0b-9f3e-2d7c8e1a4b6f";
const REPLY: &str = "c0ffee00-1234-4abc-8def-0123456789ab";
const BUILDER: &str = "7d3c2b1a-0f9e-4d8c-b7a6-5e4d3c2b1a0f";
const DECRYPTED: &str = "9089d7cf-58d0-4739-ba3f-110ecd4180d7";
const ENCRYPTED: &str = "4c1f0a77-92be-4e0c-8d3e-6b0f2a7d9e15";

/// "0123456789" as base64.
const DIGITS_BASE64: &str = "MDEyMzQ1Njc4OQ==";

fn account() -> AccountId {
    AccountId::from(id(ACCOUNT))
}

fn docflow_document(rest: &str) -> String {
    format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents/{DOCUMENT}{rest}")
}

fn draft_document(rest: &str) -> String {
    format!("/v1/{ACCOUNT}/drafts/{DRAFT}/documents/{DOCUMENT}{rest}")
}

fn content_path(content: &str) -> String {
    format!("/v1/{ACCOUNT}/contents/{content}")
}

/// Serves `body` as content `content` in 206 answers to exactly the ranges of `chunk` bytes.
async fn serve_in_ranges<'a>(
    server: &'a MockServer,
    content: &'static str,
    body: &[u8],
    chunk: usize,
) -> Vec<httpmock::Mock<'a>> {
    let mut mocks = Vec::new();
    for start in (0..body.len()).step_by(chunk) {
        let last = (start + chunk).min(body.len()) - 1;
        let part = body[start..=last].to_vec();
        let total = body.len();
        mocks.push(
            server
                .mock_async(move |when, then| {
                    // The first range is asked before the length is known; the rest end within it.
                    let asked_last = if start == 0 { chunk - 1 } else { (start + chunk).min(total) - 1 };
                    when.method(GET).path(content_path(content)).header("range", format!("bytes={start}-{asked_last}"));
                    then.status(206)
                        .header("content-type", "application/octet-stream")
                        .header("content-range", format!("bytes {start}-{last}/{total}"))
                        .body(part);
                })
                .await,
        );
    }
    mocks
}

/// A progress callback that keeps what it is told.
fn recorder() -> (Arc<Mutex<Vec<Progress>>>, impl Fn(Progress) + Send + Sync + 'static) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    (seen, move |progress| log.lock().unwrap().push(progress))
}

#[tokio::test]
async fn docflow_document_contents_come_from_the_content_service_in_ranges() {
    let server = MockServer::start_async().await;
    let listing = server
        .mock_async(|when, then| {
            when.method(GET).path(docflow_document(""));
            then.status(200).json_body(json!({
                "id": DOCUMENT,
                "content": { "docflow-document-contents": [
                    { "content-id": ENCRYPTED, "encrypted": true, "compressed": false },
                    { "content-id": DECRYPTED, "encrypted": false, "compressed": false }
                ] }
            }));
        })
        .await;
    let deprecated = server
        .mock_async(|when, then| {
            when.method(GET).path_includes("-content");
            then.status(200).json_body(json!("ZmFsbGJhY2s="));
        })
        .await;
    let decrypted = serve_in_ranges(&server, DECRYPTED, b"<report>0123456789</report>", 8).await;
    let encrypted = serve_in_ranges(&server, ENCRYPTED, b"\x30\x80encrypted", 64).await;
    let document = layer_client(&server)
        .account(account())
        .docflow(DocflowId::from(id(DOCFLOW)))
        .document(DocumentId::from(id(DOCUMENT)));

    let (seen, callback) = recorder();
    let pieces: Vec<_> = document
        .decrypted_content()
        .chunk_size(8)
        .on_progress(callback)
        .stream()
        .try_collect()
        .await
        .expect("decrypted");
    assert_eq!(pieces.concat(), b"<report>0123456789</report>");
    for mock in &decrypted {
        mock.assert_async().await;
    }
    let last = *seen.lock().unwrap().last().expect("progress reported");
    assert_eq!(last, Progress { done: 27, total: Some(27) });

    let bytes = document.encrypted_content().chunk_size(64).bytes().await.expect("encrypted");
    assert_eq!(&bytes[..], b"\x30\x80encrypted");
    encrypted[0].assert_async().await;
    listing.assert_calls_async(2).await;
    deprecated.assert_calls_async(0).await;
}

#[tokio::test]
async fn a_document_listing_no_content_is_read_from_the_deprecated_base64_answer() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_document(""));
            then.status(200).json_body(json!({ "id": DOCUMENT }));
        })
        .await;
    let deprecated = server
        .mock_async(|when, then| {
            when.method(GET).path(draft_document("/decrypted-content"));
            then.status(200).json_body(json!(DIGITS_BASE64));
        })
        .await;
    let document = layer_client(&server)
        .account(account())
        .draft(DraftId::from(id(DRAFT)))
        .document(DocumentId::from(id(DOCUMENT)));

    let (seen, callback) = recorder();
    let pieces: Vec<_> =
        document.decrypted_content().chunk_size(4).on_progress(callback).stream().try_collect().await.expect("content");
    assert_eq!(
        pieces.iter().map(|piece| piece.len()).collect::<Vec<_>>(),
        [4, 4, 2],
        "handed over in chunk-size pieces"
    );
    assert_eq!(pieces.concat(), b"0123456789");
    let dones: Vec<_> = seen.lock().unwrap().iter().map(|progress| (progress.done, progress.total)).collect();
    assert_eq!(dones, [(4, Some(10)), (8, Some(10)), (10, Some(10)), (10, Some(10))]);

    let rest = document.decrypted_content().starting_at(3).bytes().await.expect("from byte 3");
    assert_eq!(&rest[..], b"3456789");
    let past_the_end = document.decrypted_content().starting_at(11).bytes().await.expect("past the end");
    assert!(past_the_end.is_empty());
    let error = document.decrypted_content().chunk_size(0).bytes().await.expect_err("a zero chunk size");
    assert!(matches!(error, ContentError::InvalidSize { .. }), "{error:?}");
    deprecated.assert_calls_async(3).await;
}

#[tokio::test]
async fn draft_document_contents_come_from_the_listed_content_to_a_file() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(draft_document(""));
            then.status(200).json_body(json!({
                "id": DOCUMENT,
                "contents": [
                    { "content-id": DECRYPTED, "encrypted": false },
                    { "content-id": ENCRYPTED, "encrypted": true }
                ]
            }));
        })
        .await;
    let decrypted = serve_in_ranges(&server, DECRYPTED, b"<report/>", 1024).await;
    let encrypted = serve_in_ranges(&server, ENCRYPTED, b"sealed", 1024).await;
    let document = layer_client(&server)
        .account(account())
        .draft(DraftId::from(id(DRAFT)))
        .document(DocumentId::from(id(DOCUMENT)));
    let dir = tempfile::tempdir().expect("temp dir");

    let written =
        document.decrypted_content().chunk_size(1024).to_path(dir.path().join("report.xml")).await.expect("saved");
    assert_eq!(written, 9);
    assert_eq!(std::fs::read(dir.path().join("report.xml")).unwrap(), b"<report/>");
    decrypted[0].assert_async().await;
    let sealed = document.encrypted_content().chunk_size(1024).bytes().await.expect("encrypted");
    assert_eq!(&sealed[..], b"sealed");
    encrypted[0].assert_async().await;
}

#[tokio::test]
async fn signatures_download_through_the_same_mechanism() {
    let server = MockServer::start_async().await;
    let docflow_signature = server
        .mock_async(|when, then| {
            when.method(GET).path(docflow_document(&format!("/signatures/{SIGNATURE}/content")));
            then.status(200).json_body(json!(DIGITS_BASE64));
        })
        .await;
    let draft_signature = server
        .mock_async(|when, then| {
            when.method(GET).path(draft_document(&format!("/signatures/{SIGNATURE}/content")));
            then.status(200).json_body(json!("c2lnbmF0dXJl"));
        })
        .await;
    let inventory_signature = server
        .mock_async(|when, then| {
            when.method(GET).path(docflow_document(&format!(
                "/inventories/{INVENTORY}/documents/{DOCUMENT}/signatures/{SIGNATURE}/content"
            )));
            then.status(200).json_body(json!("aW52ZW50b3J5"));
        })
        .await;
    let client = layer_client(&server);
    let docflow_document_handle =
        client.account(account()).docflow(DocflowId::from(id(DOCFLOW))).document(DocumentId::from(id(DOCUMENT)));
    let signature = SignatureId::from(id(SIGNATURE));
    let dir = tempfile::tempdir().expect("temp dir");

    let (seen, callback) = recorder();
    let written = docflow_document_handle
        .signature_content(signature)
        .on_progress(callback)
        .to_path(dir.path().join("signature.sig"))
        .await
        .expect("saved");
    assert_eq!(written, 10);
    assert_eq!(std::fs::read(dir.path().join("signature.sig")).unwrap(), b"0123456789");
    assert_eq!(seen.lock().unwrap().last().copied(), Some(Progress { done: 10, total: Some(10) }));
    docflow_signature.assert_async().await;

    let draft = client.account(account()).draft(DraftId::from(id(DRAFT))).document(DocumentId::from(id(DOCUMENT)));
    assert_eq!(&draft.signatures().content(signature).bytes().await.expect("draft signature")[..], b"signature");
    draft_signature.assert_async().await;

    let inventory_document =
        docflow_document_handle.inventory(DocflowId::from(id(INVENTORY))).document(DocumentId::from(id(DOCUMENT)));
    let mut reader = inventory_document.signature_content(signature).reader();
    let mut read = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut read).await.expect("read");
    assert_eq!(read, b"inventory");
    inventory_signature.assert_async().await;
}

#[tokio::test]
async fn invalid_base64_and_failed_lookups_are_errors_naming_the_operation() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(docflow_document(&format!("/signatures/{SIGNATURE}/content")));
            then.status(200).json_body(json!("not base64!"));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(docflow_document(""));
            then.status(404)
                .header("x-kontur-trace-id", "trace-404")
                .json_body(json!({ "message": "no such document" }));
        })
        .await;
    let document = layer_client(&server)
        .account(account())
        .docflow(DocflowId::from(id(DOCFLOW)))
        .document(DocumentId::from(id(DOCUMENT)));

    let error = document.signature_content(SignatureId::from(id(SIGNATURE))).bytes().await.expect_err("not base64");
    assert!(error.to_string().contains("get_docflow_document_signature_content"), "{error}");

    let error = document.decrypted_content().bytes().await.expect_err("no document");
    let ContentError::Call(call) = &error else { panic!("expected the failed call, got {error:?}") };
    assert_eq!(call.operation(), Some("get_docflow_document"));
    assert_eq!(call.status().map(|status| status.as_u16()), Some(404));
}

#[tokio::test]
async fn print_results_and_inventory_contents_download_by_content_id() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(docflow_document("/print")).query_param("deferred", "true");
            then.status(202).json_body(json!({
                "id": REPLY, "task-state": "succeed", "task-result": { "content-id": DECRYPTED }
            }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(docflow_document(&format!("/inventories/{INVENTORY}")));
            then.status(200).json_body(json!({
                "id": INVENTORY,
                "documents": [{
                    "id": DOCUMENT,
                    "content": { "docflow-document-contents": [{ "content-id": ENCRYPTED, "encrypted": false }] }
                }]
            }));
        })
        .await;
    let pdf = serve_in_ranges(&server, DECRYPTED, b"%PDF-1.7 printed", 5).await;
    let listed = serve_in_ranges(&server, ENCRYPTED, b"inventory list", 1024).await;
    let document = layer_client(&server)
        .account(account())
        .docflow(DocflowId::from(id(DOCFLOW)))
        .document(DocumentId::from(id(DOCUMENT)));

    let printed = document.print(None).await.expect("print starts").wait().await.expect("printed");
    assert_eq!(printed, ContentId::from(id(DECRYPTED)));
    let bytes = document.content(printed).chunk_size(5).bytes().await.expect("pdf");
    assert_eq!(&bytes[..], b"%PDF-1.7 printed");
    for mock in &pdf {
        mock.assert_async().await;
    }

    let inventory_document =
        document.inventory(DocflowId::from(id(INVENTORY))).document(DocumentId::from(id(DOCUMENT)));
    let bytes = inventory_document.decrypted_content().chunk_size(1024).bytes().await.expect("inventory document");
    assert_eq!(&bytes[..], b"inventory list");
    listed[0].assert_async().await;
}

#[tokio::test]
async fn reply_contents_and_builder_files_download_through_the_same_mechanism() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(docflow_document(&format!("/replies/{REPLY}")));
            then.status(200).json_body(json!({ "id": REPLY, "content": DIGITS_BASE64 }));
        })
        .await;
    let files = format!("/v1/{ACCOUNT}/drafts/builders/{BUILDER}/documents/{DOCUMENT}/files/{SIGNATURE}");
    let file_path = files.clone();
    server
        .mock_async(move |when, then| {
            when.method(GET).path(file_path);
            then.status(200).json_body(json!({ "id": SIGNATURE, "content-id": DECRYPTED }));
        })
        .await;
    let signature_path = format!("{files}/signature");
    server
        .mock_async(move |when, then| {
            when.method(GET).path(signature_path);
            then.status(200).json_body(json!("c2lnbmF0dXJl"));
        })
        .await;
    let file_content = serve_in_ranges(&server, DECRYPTED, b"builder file", 1024).await;
    let client = layer_client(&server);
    let reply = client
        .account(account())
        .docflow(DocflowId::from(id(DOCFLOW)))
        .document(DocumentId::from(id(DOCUMENT)))
        .reply(ReplyId::from(id(REPLY)));

    assert_eq!(&reply.content().bytes().await.expect("reply content")[..], b"0123456789");
    let error = reply.print_content().bytes().await.expect_err("the reply has no print content");
    assert!(error.to_string().contains("print-content"), "{error}");

    let file = client
        .account(account())
        .drafts_builder(DraftsBuilderId::from(id(BUILDER)))
        .document(BuilderDocumentId::from(id(DOCUMENT)))
        .file(BuilderFileId::from(id(SIGNATURE)));
    assert_eq!(&file.content().chunk_size(1024).bytes().await.expect("file")[..], b"builder file");
    file_content[0].assert_async().await;
    assert_eq!(&file.signature().bytes().await.expect("file signature")[..], b"signature");
}

#[tokio::test]
async fn a_handles_options_reach_the_content_service_requests() {
    use kontur_extern::RequestOptions;
    use kontur_extern::transport::RetryPolicy;
    use std::time::Duration;

    const CONTENT: &str = "9d3c1b7a-5e2f-4a6b-8c0d-1e2f3a4b5c6d";
    let server = MockServer::start_async().await;
    let busy = server
        .mock_async(|when, then| {
            when.method(GET).path(content_path(CONTENT));
            then.status(503).json_body(json!({ "message": "try later" }));
        })
        .await;
    let client = layer_client(&server);

    let once = RequestOptions::new().retry_policy(RetryPolicy::none());
    let error = client.account(account()).with_options(once).contents().download(id(CONTENT)).bytes().await;
    assert!(matches!(error, Err(ContentError::Call(_))), "{error:?}");
    assert_eq!(busy.calls_async().await, 1, "no retry under RetryPolicy::none()");

    busy.delete_async().await;
    let busy = server
        .mock_async(|when, then| {
            when.method(GET).path(content_path(CONTENT));
            then.status(503).json_body(json!({ "message": "try later" }));
        })
        .await;
    let thrice = RequestOptions::new()
        .retry_policy(RetryPolicy::default().with_max_attempts(3).with_base_delay(Duration::from_millis(1)));
    let error = client.account(account()).with_options(thrice).contents().download(id(CONTENT)).bytes().await;
    assert!(error.is_err());
    assert_eq!(busy.calls_async().await, 3, "three attempts, as the handle's policy says");
}

#[tokio::test]
async fn pfr_reply_documents_and_the_legacy_signature_download_through_the_same_mechanism() {
    const PFR_DOCUMENT: &str = "e1d2c3b4-a596-4877-8899-aabbccddeeff";
    const UNSIGNED: &str = "f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b";
    let server = MockServer::start_async().await;
    let decrypted_link = server.url(content_path(DECRYPTED));
    let reply = server
        .mock_async(move |when, then| {
            when.method(GET).path(docflow_document(&format!("/pfr-replies/{REPLY}")));
            then.status(200).json_body(json!({
                "id": REPLY,
                "documents": [
                    {
                        "id": PFR_DOCUMENT,
                        "encrypted-content": DIGITS_BASE64,
                        "signature": "c2lnbmF0dXJl",
                        "decrypted-content": { "href": decrypted_link, "rel": "decrypted-content" }
                    },
                    { "id": UNSIGNED, "encrypted-content": "bm90IHNpZ25lZA==" }
                ]
            }));
        })
        .await;
    let decrypted = serve_in_ranges(&server, DECRYPTED, b"<pfr-answer/>", 8).await;
    let legacy = server
        .mock_async(|when, then| {
            when.method(GET).path(draft_document("/signature"));
            then.status(200).json_body(json!("bGVnYWN5"));
        })
        .await;
    let put_legacy = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(draft_document("/signature"))
                .header("content-type", "application/octet-stream")
                .body("detached");
            then.status(200);
        })
        .await;
    let client = layer_client(&server);
    let pfr = client
        .account(account())
        .docflow(DocflowId::from(id(DOCFLOW)))
        .document(DocumentId::from(id(DOCUMENT)))
        .pfr_reply(ReplyId::from(id(REPLY)));
    let document = kontur_extern::ids::ReplyDocumentId::from(id(PFR_DOCUMENT));
    let unsigned = kontur_extern::ids::ReplyDocumentId::from(id(UNSIGNED));

    let (seen, record) = recorder();
    let encrypted = pfr.document_encrypted_content(document).chunk_size(4).on_progress(record).bytes().await;
    assert_eq!(&encrypted.expect("encrypted content")[..], b"0123456789");
    assert_eq!(seen.lock().unwrap().last().map(|progress| progress.done), Some(10), "progress reaches the end");
    assert_eq!(&pfr.document_signature(document).bytes().await.expect("signature")[..], b"signature");
    assert_eq!(&pfr.document_encrypted_content(unsigned).bytes().await.expect("second document")[..], b"not signed");
    let decrypted_bytes = pfr.document_content(document).chunk_size(8).bytes().await.expect("decrypted content");
    assert_eq!(&decrypted_bytes[..], b"<pfr-answer/>");
    decrypted[1].assert_async().await;

    let error = pfr.document_signature(unsigned).bytes().await.expect_err("the second document has no signature");
    assert!(error.to_string().contains("`signature`") && error.to_string().contains(UNSIGNED), "{error}");
    let error = pfr.document_content(unsigned).bytes().await.expect_err("the second document has no link");
    assert!(error.to_string().contains("`decrypted-content`"), "{error}");
    let stranger = kontur_extern::ids::ReplyDocumentId::from(id(SIGNATURE));
    let error = pfr.document_encrypted_content(stranger).bytes().await.expect_err("no such document");
    assert!(error.to_string().contains(&format!("has no document {SIGNATURE}")), "{error}");
    assert_eq!(reply.calls_async().await, 7, "each of the seven downloads reads the reply once");

    let signatures =
        client.account(account()).draft(DraftId::from(id(DRAFT))).document(DocumentId::from(id(DOCUMENT))).signatures();
    assert_eq!(&signatures.legacy().bytes().await.expect("legacy signature")[..], b"legacy");
    legacy.assert_async().await;
    signatures.put_legacy(b"detached".to_vec()).await.expect("legacy signature saved");
    put_legacy.assert_async().await;
}
