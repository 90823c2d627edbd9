//! Drafts builders through the crate's own raw client: documents and files with contents and
//! signatures, the build task making one draft per document, the locks of a building and a built
//! builder, 404 for unknown ids and 400 for bad input.

mod common;

use std::time::Duration;

use common::{Harness, base64, refusal, start, start_with, text, wire};
use kontur_extern::raw::types;
use kontur_extern::transport::SendExt;
use kontur_extern_sandbox::SandboxConfig;
use serde_json::{Value, json};
use uuid::Uuid;

const INVENTORY: &str = "urn:drafts-builder:fns534-inventory";

fn builder_meta(ifns_code: &str) -> types::DraftsBuilderMeta {
    wire(json!({
        "builder-type": INVENTORY,
        "sender": { "inn": "7700000087", "kpp": "770001001" },
        "payer": { "inn": "7700000087", "organization": { "kpp": "770001001" } },
        "recipient": { "ifns-code": ifns_code },
        "builder-data": { "id-file-osn": "NO_NDS_7700_7700_7700000087770001001_20260101_1" },
    }))
}

fn file_request(
    content_id: Uuid,
    file_name: &str,
    signature: Option<&[u8]>,
) -> types::DraftsBuilderDocumentFileRequest {
    let mut request = json!({ "content-id": content_id, "meta": { "file-name": file_name } });
    if let Some(signature) = signature {
        request["base64-signature-content"] = json!(base64(signature));
    }
    wire(request)
}

impl Harness {
    async fn create_builder(&self, meta: types::DraftsBuilderMeta) -> Uuid {
        let created =
            self.raw().create_drafts_builder().account_id(self.account).body(meta).send().checked().await.unwrap();
        assert_eq!(created.status(), 201);
        created.into_inner().id
    }

    async fn add_document(&self, builder: Uuid) -> Uuid {
        let meta: types::DraftsBuilderDocumentMeta = wire(json!({ "builder-data": {} }));
        let created = self
            .raw()
            .create_drafts_builder_document()
            .account_id(self.account)
            .drafts_builder_id(builder)
            .body(meta)
            .send()
            .checked()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        created.into_inner().id
    }

    async fn add_file(&self, builder: Uuid, document: Uuid, request: types::DraftsBuilderDocumentFileRequest) -> Uuid {
        let created = self
            .raw()
            .create_drafts_builder_document_file()
            .account_id(self.account)
            .drafts_builder_id(builder)
            .document_id(document)
            .body(request)
            .send()
            .checked()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        created.into_inner().id
    }

    async fn builder_status(&self, builder: Uuid) -> String {
        let builder = self
            .raw()
            .get_drafts_builder()
            .account_id(self.account)
            .drafts_builder_id(builder)
            .send()
            .checked()
            .await
            .unwrap()
            .into_inner();
        text(&builder.status)
    }

    async fn start_build(&self, builder: Uuid) -> types::ApiTask {
        let started = self
            .raw()
            .build_drafts()
            .account_id(self.account)
            .drafts_builder_id(builder)
            .deferred(true)
            .send()
            .checked()
            .await
            .unwrap();
        assert_eq!(started.status(), 202);
        started.into_inner()
    }

    /// Polls a builder task, moving the sandbox clock between polls, until it is no longer running.
    async fn finish_builder_task(&self, builder: Uuid, task: Uuid) -> types::ApiTask {
        for _ in 0..20 {
            let polled = self
                .raw()
                .get_drafts_builder_task()
                .account_id(self.account)
                .drafts_builder_id(builder)
                .api_task_id(task)
                .send()
                .checked()
                .await
                .unwrap()
                .into_inner();
            if text(&polled.task_state) != "running" {
                return polled;
            }
            self.sandbox.advance(Duration::from_secs(1)).await;
        }
        panic!("builder task {task} never finished");
    }

    async fn build(&self, builder: Uuid) -> types::DraftsBuilderBuildResult {
        let task = self.start_build(builder).await;
        let done = self.finish_builder_task(builder, task.id).await;
        assert_eq!(text(&done.task_state), "succeed");
        wire(done.task_result.expect("a build result"))
    }

    /// The documents of a draft, read one by one through their links.
    async fn draft_documents(&self, draft: &types::Draft) -> Vec<types::DraftDocument> {
        let mut documents = Vec::new();
        for document_link in &draft.documents {
            let id: Uuid = document_link.href.as_deref().unwrap().rsplit('/').next().unwrap().parse().unwrap();
            let document = self
                .raw()
                .get_draft_document()
                .account_id(self.account)
                .draft_id(draft.id)
                .document_id(id)
                .send()
                .checked()
                .await
                .unwrap()
                .into_inner();
            documents.push(document);
        }
        documents
    }
}

#[tokio::test]
async fn builder_meta_documents_and_files_are_kept_replaced_and_deleted() {
    let harness = start().await;
    let builder = harness.create_builder(builder_meta("0087")).await;
    let read = harness
        .raw()
        .get_drafts_builder()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .send()
        .checked()
        .await;
    let read = read.unwrap().into_inner();
    assert_eq!(text(&read.status), "new");
    assert_eq!(
        read.meta.as_ref().and_then(|meta| meta.builder_type.as_ref()).map(ToString::to_string).as_deref(),
        Some(INVENTORY)
    );

    // The meta is replaced as a whole.
    let replaced = harness
        .raw()
        .update_drafts_builder_meta()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .body(builder_meta("0088"))
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replaced, builder_meta("0088"));
    let meta = harness
        .raw()
        .get_drafts_builder_meta()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(meta.recipient.and_then(|recipient| recipient.ifns_code).as_deref(), Some("0088"));

    // Documents: answers add the builder's type to the meta the client sent.
    let document = harness.add_document(builder).await;
    let document_meta: types::DraftsBuilderDocumentMeta = wire(json!({ "builder-data": { "claim-item-number": "1" } }));
    let updated = harness
        .raw()
        .update_drafts_builder_document_meta()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .body(document_meta)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.builder_data.as_ref().unwrap()["claim-item-number"], json!("1"));
    assert_eq!(updated.builder_type.as_ref().map(ToString::to_string).as_deref(), Some(INVENTORY));
    let read_meta = harness
        .raw()
        .get_drafts_builder_document_meta()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read_meta, updated);

    // A PUT of an unknown document id creates it under that id.
    let chosen = Uuid::new_v4();
    let upserted = harness
        .raw()
        .update_drafts_builder_document()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(chosen)
        .body(wire::<types::DraftsBuilderDocumentMeta>(json!({})))
        .send()
        .checked()
        .await
        .unwrap();
    assert_eq!(upserted.status(), 201);
    let upserted = upserted.into_inner();
    assert_eq!((upserted.id, upserted.drafts_builder_id), (chosen, Some(builder)));
    let documents = harness
        .raw()
        .list_drafts_builder_documents()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(documents.iter().map(|document| document.id).collect::<Vec<_>>(), vec![document, chosen]);

    // Files: a content of the content service, a name, and a signature when one is sent.
    let content = harness.upload("<Файл>опись</Файл>".as_bytes()).await;
    let file =
        harness.add_file(builder, document, file_request(content, "inventory.xml", Some(b"file signature"))).await;
    let fetched = harness
        .raw()
        .get_drafts_builder_document_file()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(file)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(fetched.content_id, Some(content));
    assert_eq!((fetched.drafts_builder_id, fetched.drafts_builder_document_id), (Some(builder), Some(document)));
    let content_href = fetched.content_link.and_then(|link| link.href).expect("a content link");
    assert!(content_href.ends_with(&format!("/v1/{}/contents/{content}", harness.account)), "{content_href}");
    assert!(fetched.signature_content_link.is_some(), "a signed file links to its signature");
    assert_eq!(fetched.meta.as_ref().and_then(|meta| meta.file_name.as_deref()), Some("inventory.xml"));
    let bytes = harness
        .raw()
        .get_drafts_builder_document_file_content()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(file)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bytes.to_string(), base64("<Файл>опись</Файл>".as_bytes()));
    let signature = harness
        .raw()
        .get_drafts_builder_document_file_signature()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(file)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(signature.to_string(), base64(b"file signature"));

    // The file's meta is renamed; then the file is replaced, and with no signature sent it has none.
    let renamed = harness
        .raw()
        .update_drafts_builder_document_file_meta()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(file)
        .body(wire::<types::DraftsBuilderDocumentFileMeta>(json!({ "file-name": "renamed.xml" })))
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(renamed.file_name.as_deref(), Some("renamed.xml"));
    assert_eq!(renamed.builder_type.as_ref().map(ToString::to_string).as_deref(), Some(INVENTORY));
    let file_meta = harness
        .raw()
        .get_drafts_builder_document_file_meta()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(file)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(file_meta, renamed);
    let corrected = harness.upload(b"<corrected inventory/>").await;
    let replaced_file = harness
        .raw()
        .update_drafts_builder_document_file()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(file)
        .body(file_request(corrected, "corrected.xml", None))
        .send()
        .checked()
        .await
        .unwrap();
    assert_eq!(replaced_file.status(), 200, "an existing file is replaced");
    let replaced_file = replaced_file.into_inner();
    assert_eq!(replaced_file.content_id, Some(corrected));
    assert!(replaced_file.signature_content_link.is_none(), "the old signature went with the old file");
    let no_signature = harness
        .raw()
        .get_drafts_builder_document_file_signature()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(file)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(no_signature), (404, "urn:error:externapi:notFound".to_owned()));

    // A PUT of an unknown file id creates it; the list has both, in order.
    let second_file = Uuid::new_v4();
    let created_file = harness
        .raw()
        .update_drafts_builder_document_file()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(second_file)
        .body(file_request(content, "attachment.xml", None))
        .send()
        .checked()
        .await
        .unwrap();
    assert_eq!(created_file.status(), 201);
    let files = harness
        .raw()
        .list_drafts_builder_document_files()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(files.iter().map(|file| file.id).collect::<Vec<_>>(), vec![file, second_file]);

    // Deleting a file, then a document with its files, then the builder with everything.
    let deleted = harness
        .raw()
        .delete_drafts_builder_document_file()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(second_file)
        .send()
        .checked()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone_file = harness
        .raw()
        .get_drafts_builder_document_file()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(second_file)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(gone_file).0, 404);
    harness
        .raw()
        .delete_drafts_builder_document()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .send()
        .checked()
        .await
        .unwrap();
    let gone_document_file = harness
        .raw()
        .get_drafts_builder_document_file()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(file)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(gone_document_file).0, 404, "the document's files went with it");
    harness
        .raw()
        .delete_drafts_builder()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .send()
        .checked()
        .await
        .unwrap();
    let gone_document = harness
        .raw()
        .get_drafts_builder_document()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(chosen)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(gone_document).0, 404, "the builder's documents went with it");
    let gone_builder = harness
        .raw()
        .get_drafts_builder()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(gone_builder), (404, "urn:error:externapi:notFound".to_owned()));
}

#[tokio::test]
async fn a_put_of_an_unknown_builder_id_creates_it_and_a_put_of_a_known_one_replaces_its_meta() {
    let harness = start().await;
    let chosen = Uuid::new_v4();
    let created = harness
        .raw()
        .update_drafts_builder()
        .account_id(harness.account)
        .drafts_builder_id(chosen)
        .body(builder_meta("0087"))
        .send()
        .checked()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.into_inner().id, chosen);
    let replaced = harness
        .raw()
        .update_drafts_builder()
        .account_id(harness.account)
        .drafts_builder_id(chosen)
        .body(builder_meta("0088"))
        .send()
        .checked()
        .await
        .unwrap();
    assert_eq!(replaced.status(), 200);
    let replaced = replaced.into_inner();
    assert_eq!(replaced.meta, Some(builder_meta("0088")));
    assert_eq!(text(&replaced.status), "new");
}

#[tokio::test]
async fn building_makes_one_draft_per_document_from_the_builders_meta_and_files() {
    let harness = start().await;
    let builder = harness.create_builder(builder_meta("0087")).await;
    let first = harness.add_document(builder).await;
    let inventory = harness.upload("<Файл>опись документов</Файл>".as_bytes()).await;
    let scan = harness.upload(b"%PDF-1.4 scanned invoice").await;
    let inventory_file =
        harness.add_file(builder, first, file_request(inventory, "ON_OPISDOK.xml", Some(b"inventory signature"))).await;
    let scan_file = harness.add_file(builder, first, file_request(scan, "invoice.pdf", None)).await;
    let second = harness.add_document(builder).await;
    let letter = harness.upload(b"<letter/>").await;
    harness.add_file(builder, second, file_request(letter, "letter.xml", Some(b"letter signature"))).await;

    let task = harness.start_build(builder).await;
    assert_eq!(text(&task.task_type), "urn:task-type:draftBuilderBuild");
    assert_eq!(text(&task.task_state), "running");
    assert_eq!(harness.builder_status(builder).await, "building");
    let done = harness.finish_builder_task(builder, task.id).await;
    assert_eq!(text(&done.task_state), "succeed");
    let result: types::DraftsBuilderBuildResult = wire(done.task_result.expect("a build result"));
    assert!(result.error_drafts_builder_documents.is_empty(), "{:?}", result.error_drafts_builder_documents);
    assert_eq!(result.draft_ids.len(), 2, "one draft per builder document");
    assert_eq!(harness.builder_status(builder).await, "finished");

    let draft = harness
        .raw()
        .get_draft()
        .account_id(harness.account)
        .draft_id(result.draft_ids[0])
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text(&draft.status), "new");
    let meta = draft.meta.as_ref().expect("the builder's meta");
    assert_eq!(meta.sender.as_ref().and_then(|sender| sender.inn.as_deref()), Some("7700000087"));
    assert_eq!(meta.recipient.as_ref().and_then(|recipient| recipient.ifns_code.as_deref()), Some("0087"));
    let documents = harness.draft_documents(&draft).await;
    assert_eq!(documents.len(), 2, "one draft document per file");
    let description = |document: &types::DraftDocument| document.description.clone().expect("a description");
    assert_eq!(description(&documents[0]).filename.as_deref(), Some("ON_OPISDOK.xml"));
    assert_eq!(description(&documents[0]).content_type.as_deref(), Some("application/xml"));
    let origin = description(&documents[0]).original_drafts_builder.expect("where the document came from");
    assert_eq!((origin.document_id, origin.file_id), (Some(first), Some(inventory_file)));
    assert_eq!(documents[0].contents[0].content_id, Some(inventory));
    assert_eq!(documents[0].signatures.len(), 1, "the file's signature came along");
    let signature = harness
        .raw()
        .get_draft_document_signature_content()
        .account_id(harness.account)
        .draft_id(draft.id)
        .document_id(documents[0].id)
        .signature_id(documents[0].signatures[0].id)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(signature.to_string(), base64(b"inventory signature"));
    assert_eq!(description(&documents[1]).content_type.as_deref(), Some("application/pdf"));
    assert_eq!(description(&documents[1]).original_drafts_builder.and_then(|origin| origin.file_id), Some(scan_file));
    assert!(documents[1].signatures.is_empty());
    let decrypted = harness
        .raw()
        .get_draft_document_decrypted_content()
        .account_id(harness.account)
        .draft_id(draft.id)
        .document_id(documents[1].id)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(decrypted.to_string(), base64(b"%PDF-1.4 scanned invoice"));

    let other = harness
        .raw()
        .get_draft()
        .account_id(harness.account)
        .draft_id(result.draft_ids[1])
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let other_documents = harness.draft_documents(&other).await;
    assert_eq!(other_documents.len(), 1);
    assert_eq!(other_documents[0].contents[0].content_id, Some(letter));

    // The built drafts are ordinary drafts: signed, they go out.
    let docflow = harness.send_draft(other.id).await;
    assert_eq!(docflow.documents.len(), 1);

    // Deleting the builder keeps the drafts it built.
    harness
        .raw()
        .delete_drafts_builder()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .send()
        .checked()
        .await
        .unwrap();
    harness.raw().get_draft().account_id(harness.account).draft_id(draft.id).send().checked().await.unwrap();
}

#[tokio::test]
async fn a_document_without_files_is_a_build_error_not_a_draft() {
    let harness = start().await;
    let builder = harness.create_builder(builder_meta("0087")).await;
    let empty = harness.add_document(builder).await;
    let filled = harness.add_document(builder).await;
    let content = harness.upload(b"<letter/>").await;
    harness.add_file(builder, filled, file_request(content, "letter.xml", None)).await;
    let drafts_before = harness.raw().list_drafts().account_id(harness.account).send().checked().await.unwrap();
    assert_eq!(drafts_before.into_inner().total_count, Some(0));

    let result = harness.build(builder).await;
    assert_eq!(result.draft_ids.len(), 1, "the document with a file made a draft");
    assert_eq!(result.error_drafts_builder_documents.len(), 1);
    assert_eq!(result.error_drafts_builder_documents[0].document_id, Some(empty));
    assert!(result.error_drafts_builder_documents[0].error_message.as_deref().is_some_and(|m| !m.is_empty()));
    let drafts_after = harness.raw().list_drafts().account_id(harness.account).send().checked().await.unwrap();
    assert_eq!(drafts_after.into_inner().total_count, Some(1));
}

#[tokio::test]
async fn preparing_documents_lists_those_the_build_would_refuse_and_holds_the_builder_meanwhile() {
    let harness = start().await;
    let builder = harness.create_builder(builder_meta("0087")).await;
    let empty = harness.add_document(builder).await;
    let filled = harness.add_document(builder).await;
    let content = harness.upload(b"<letter/>").await;
    harness.add_file(builder, filled, file_request(content, "letter.xml", None)).await;

    let started = harness
        .raw()
        .prepare_drafts_builder_documents()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .deferred(true)
        .send()
        .checked()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let task = started.into_inner();
    let build_meanwhile = harness
        .raw()
        .build_drafts()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .deferred(true)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(build_meanwhile), (409, "urn:error:externapi:concurrentApiTaskActive".to_owned()));

    let done = harness.finish_builder_task(builder, task.id).await;
    assert_eq!(text(&done.task_state), "succeed");
    let result: types::DraftsBuilderPrepareDocumentsResult = wire(done.task_result.expect("a prepare result"));
    let refused: Vec<_> = result.error_drafts_builder_documents.iter().map(|error| error.document_id).collect();
    assert_eq!(refused, vec![Some(empty)]);
    assert_eq!(harness.builder_status(builder).await, "new", "preparing does not build");
    let drafts = harness.raw().list_drafts().account_id(harness.account).send().checked().await.unwrap();
    assert_eq!(drafts.into_inner().total_count, Some(0), "nor make drafts");
    assert_eq!(harness.build(builder).await.draft_ids.len(), 1, "the builder builds afterwards");
}

#[tokio::test]
async fn a_file_generated_from_a_contract_carries_the_contract_and_is_built_like_any_file() {
    use base64::Engine;
    let harness = start().await;
    let builder = harness.create_builder(builder_meta("0087")).await;
    let document = harness.add_document(builder).await;
    let generate = |contract: Value, version: i32| {
        harness
            .raw()
            .generate_drafts_builder_document_file()
            .account_id(harness.account)
            .drafts_builder_id(builder)
            .document_id(document)
            .version(version)
            .body(contract)
            .send()
            .checked()
    };
    let contract = json!({ "subject": "Ответ <на> требование & пояснения", "pages": 2 });
    let generated = generate(contract.clone(), 2).await.unwrap();
    assert_eq!(generated.status(), 201);
    let generated = generated.into_inner();
    assert_eq!(generated.drafts_builder_document_id, Some(document));
    let file_name = generated.meta.as_ref().and_then(|meta| meta.file_name.clone()).expect("a file name");
    assert_eq!(file_name, format!("{}.xml", generated.id));
    let content = harness
        .raw()
        .get_drafts_builder_document_file_content()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(generated.id)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let xml = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(content.as_bytes()).unwrap()).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("Ответ &lt;на&gt; требование &amp; пояснения"), "the contract, escaped: {xml}");
    assert!(xml.contains("ВерсКонтракта=\"2\""), "{xml}");

    let bad_request = (400, "urn:error:externapi:badRequest".to_owned());
    assert_eq!(refusal(generate(json!(["not", "an", "object"]), 1).await), bad_request);
    assert_eq!(refusal(generate(contract.clone(), 0).await), bad_request);
    let unknown_document = harness
        .raw()
        .generate_drafts_builder_document_file()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(Uuid::new_v4())
        .body(contract)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(unknown_document).0, 404);

    let result = harness.build(builder).await;
    assert_eq!(result.draft_ids.len(), 1);
    let draft = harness
        .raw()
        .get_draft()
        .account_id(harness.account)
        .draft_id(result.draft_ids[0])
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let documents = harness.draft_documents(&draft).await;
    assert_eq!(documents.len(), 1, "only the generated file: the refused ones were not added");
    assert_eq!(documents[0].contents[0].content_id, generated.content_id);
}

#[tokio::test]
async fn a_building_builder_is_held_and_a_built_one_is_frozen() {
    let harness = start().await;
    let builder = harness.create_builder(builder_meta("0087")).await;
    let document = harness.add_document(builder).await;
    let content = harness.upload(b"<letter/>").await;
    harness.add_file(builder, document, file_request(content, "letter.xml", None)).await;
    let task = harness.start_build(builder).await;

    let again = harness
        .raw()
        .build_drafts()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .deferred(true)
        .send()
        .checked()
        .await;
    let error = again.expect_err("a second build while the first runs");
    assert_eq!(error.status().map(|status| status.as_u16()), Some(409));
    let api_error = error.api_error().expect("an ApiError body");
    assert_eq!(api_error.id.as_deref(), Some("urn:error:externapi:concurrentApiTaskActive"));
    assert_eq!(api_error.context["concurrent-task"]["id"], json!(task.id.to_string()));
    let delete_while_building =
        harness.raw().delete_drafts_builder().account_id(harness.account).drafts_builder_id(builder).send().checked();
    assert_eq!(refusal(delete_while_building.await), (409, "urn:error:externapi:concurrentApiTaskActive".to_owned()));
    let add_while_building = harness
        .raw()
        .create_drafts_builder_document()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .body(wire::<types::DraftsBuilderDocumentMeta>(json!({})))
        .send()
        .checked()
        .await;
    assert_eq!(refusal(add_while_building).0, 409);

    harness.finish_builder_task(builder, task.id).await;
    let frozen = "urn:error:sandbox:draftsBuilderFinished".to_owned();
    let rebuild = harness
        .raw()
        .build_drafts()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .deferred(true)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(rebuild), (409, frozen.clone()));
    let new_meta = harness
        .raw()
        .update_drafts_builder_meta()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .body(builder_meta("0088"))
        .send()
        .checked()
        .await;
    assert_eq!(refusal(new_meta), (409, frozen.clone()));
    let new_file = harness
        .raw()
        .create_drafts_builder_document_file()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .body(file_request(content, "more.xml", None))
        .send()
        .checked()
        .await;
    assert_eq!(refusal(new_file), (409, frozen));
    // Reading a built builder still works, and it may be deleted.
    assert_eq!(harness.builder_status(builder).await, "finished");
    harness
        .raw()
        .delete_drafts_builder()
        .account_id(harness.account)
        .drafts_builder_id(builder)
        .send()
        .checked()
        .await
        .unwrap();
}

#[tokio::test]
async fn unknown_builder_document_file_and_task_ids_are_404() {
    let harness = start().await;
    let not_found = (404, "urn:error:externapi:notFound".to_owned());
    let unknown = Uuid::new_v4();
    let raw = harness.raw();
    let account = harness.account;
    assert_eq!(
        refusal(raw.get_drafts_builder().account_id(account).drafts_builder_id(unknown).send().checked().await),
        not_found
    );
    assert_eq!(
        refusal(raw.delete_drafts_builder().account_id(account).drafts_builder_id(unknown).send().checked().await),
        not_found
    );
    assert_eq!(
        refusal(raw.get_drafts_builder_meta().account_id(account).drafts_builder_id(unknown).send().checked().await),
        not_found
    );
    assert_eq!(
        refusal(
            raw.list_drafts_builder_documents().account_id(account).drafts_builder_id(unknown).send().checked().await
        ),
        not_found
    );
    let build = raw.build_drafts().account_id(account).drafts_builder_id(unknown).deferred(true).send().checked();
    assert_eq!(refusal(build.await), not_found);
    let create_document = raw
        .create_drafts_builder_document()
        .account_id(account)
        .drafts_builder_id(unknown)
        .body(wire::<types::DraftsBuilderDocumentMeta>(json!({})))
        .send()
        .checked();
    assert_eq!(refusal(create_document.await), not_found);

    let builder = harness.create_builder(builder_meta("0087")).await;
    let document_of = |document: Uuid| {
        raw.get_drafts_builder_document().account_id(account).drafts_builder_id(builder).document_id(document)
    };
    assert_eq!(refusal(document_of(unknown).send().checked().await), not_found);
    let files_of_unknown = raw
        .list_drafts_builder_document_files()
        .account_id(account)
        .drafts_builder_id(builder)
        .document_id(unknown)
        .send()
        .checked();
    assert_eq!(refusal(files_of_unknown.await), not_found);
    let meta_of_unknown =
        raw.get_drafts_builder_document_meta().account_id(account).drafts_builder_id(builder).document_id(unknown);
    assert_eq!(refusal(meta_of_unknown.send().checked().await), not_found);
    let delete_unknown =
        raw.delete_drafts_builder_document().account_id(account).drafts_builder_id(builder).document_id(unknown);
    assert_eq!(refusal(delete_unknown.send().checked().await), not_found);

    let document = harness.add_document(builder).await;
    let file_of = |file: Uuid| {
        raw.get_drafts_builder_document_file()
            .account_id(account)
            .drafts_builder_id(builder)
            .document_id(document)
            .file_id(file)
    };
    assert_eq!(refusal(file_of(unknown).send().checked().await), not_found);
    let content_of_unknown = raw
        .get_drafts_builder_document_file_content()
        .account_id(account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(unknown);
    assert_eq!(refusal(content_of_unknown.send().checked().await), not_found);
    let signature_of_unknown = raw
        .get_drafts_builder_document_file_signature()
        .account_id(account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(unknown);
    assert_eq!(refusal(signature_of_unknown.send().checked().await), not_found);
    let meta_of_unknown_file = raw
        .get_drafts_builder_document_file_meta()
        .account_id(account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(unknown);
    assert_eq!(refusal(meta_of_unknown_file.send().checked().await), not_found);
    let delete_unknown_file = raw
        .delete_drafts_builder_document_file()
        .account_id(account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(unknown);
    assert_eq!(refusal(delete_unknown_file.send().checked().await), not_found);
    let unknown_task =
        raw.get_drafts_builder_task().account_id(account).drafts_builder_id(builder).api_task_id(unknown);
    assert_eq!(refusal(unknown_task.send().checked().await), not_found);

    // A draft's task is not a builder's task.
    let draft = harness.signed_draft(json!({ "ifns-code": "0087" })).await;
    let check = raw.check_draft().account_id(account).draft_id(draft).deferred(true).send().checked().await.unwrap();
    let foreign_task =
        raw.get_drafts_builder_task().account_id(account).drafts_builder_id(builder).api_task_id(check.into_inner().id);
    assert_eq!(refusal(foreign_task.send().checked().await), not_found);
    // Nor is a builder of another account visible under this one.
    let other_account: types::CreateAccountRequest =
        wire(json!({ "inn": "7700000088", "kpp": "770001001", "organization-name": "ООО «Другая»" }));
    let other = raw.create_account().body(other_account).send().checked().await.unwrap().into_inner();
    let foreign = raw.get_drafts_builder().account_id(other.id).drafts_builder_id(builder).send().checked();
    assert_eq!(refusal(foreign.await), not_found);
}

#[tokio::test]
async fn bad_input_is_refused_with_400_and_changes_nothing() {
    let harness = start().await;
    let bad_request = (400, "urn:error:externapi:badRequest".to_owned());
    let raw = harness.raw();
    let account = harness.account;
    let without_type: types::DraftsBuilderMeta = wire(json!({ "sender": { "inn": "7700000087" } }));
    let refused = raw.create_drafts_builder().account_id(account).body(without_type).send().checked().await;
    assert_eq!(refusal(refused), bad_request);
    let without_sender: types::DraftsBuilderMeta = wire(json!({ "builder-type": INVENTORY }));
    let refused = raw.create_drafts_builder().account_id(account).body(without_sender).send().checked().await;
    assert_eq!(refusal(refused), bad_request);

    let builder = harness.create_builder(builder_meta("0087")).await;
    let without_type: types::DraftsBuilderMeta = wire(json!({ "sender": { "inn": "7700000087" } }));
    let refused =
        raw.update_drafts_builder_meta().account_id(account).drafts_builder_id(builder).body(without_type).send();
    assert_eq!(refusal(refused.checked().await), bad_request);
    let meta = raw.get_drafts_builder_meta().account_id(account).drafts_builder_id(builder).send().checked().await;
    assert_eq!(meta.unwrap().into_inner(), builder_meta("0087"), "a refused meta changes nothing");

    // Nothing to build yet, and building is a task only.
    let empty = raw.build_drafts().account_id(account).drafts_builder_id(builder).deferred(true).send().checked();
    assert_eq!(refusal(empty.await), bad_request);
    let document = harness.add_document(builder).await;
    let not_deferred = raw.build_drafts().account_id(account).drafts_builder_id(builder).deferred(false).send();
    assert_eq!(refusal(not_deferred.checked().await), bad_request);

    let content = harness.upload(b"<letter/>").await;
    let add_file = |request: Value| {
        raw.create_drafts_builder_document_file()
            .account_id(account)
            .drafts_builder_id(builder)
            .document_id(document)
            .body(wire::<types::DraftsBuilderDocumentFileRequest>(request))
            .send()
            .checked()
    };
    let refusals = [
        json!({ "meta": { "file-name": "letter.xml" } }),
        json!({ "content-id": content }),
        json!({ "content-id": content, "meta": { "file-name": " " } }),
        json!({ "content-id": Uuid::new_v4(), "meta": { "file-name": "letter.xml" } }),
        json!({ "content-id": content, "meta": { "file-name": "letter.xml" }, "base64-signature-content": "not base64!" }),
        json!({ "content-id": content, "meta": { "file-name": "letter.xml" }, "base64-signature-content": "" }),
    ];
    for request in refusals {
        assert_eq!(refusal(add_file(request.clone()).await), bad_request, "{request}");
    }
    // A content still being uploaded is not a file's content yet.
    let partial = raw
        .upload_content()
        .account_id(account)
        .content_range("bytes 0-3/10")
        .body(b"<let".to_vec())
        .send()
        .checked()
        .await
        .unwrap();
    assert_eq!(partial.status(), 200);
    let partial_file = add_file(json!({ "content-id": partial.into_inner().id, "meta": { "file-name": "a.xml" } }));
    assert_eq!(refusal(partial_file.await), bad_request);
    let files = raw
        .list_drafts_builder_document_files()
        .account_id(account)
        .drafts_builder_id(builder)
        .document_id(document)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert!(files.is_empty(), "no refused file was added");

    // A body that is not JSON.
    let token = harness.token().await;
    let garbage = harness
        .http
        .post(format!("{}v1/{account}/drafts/builders", harness.sandbox.api_url))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    let body: types::ApiError = garbage.json().await.unwrap();
    assert_eq!(body.id.as_deref(), Some("urn:error:externapi:badRequest"));
}

#[tokio::test]
async fn a_builder_survives_a_restart_with_a_state_file() {
    let directory = std::env::temp_dir().join(format!("kontur-extern-sandbox-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&directory).unwrap();
    let state = directory.join("state.json");
    let config = SandboxConfig { speed: 0.0, state_file: Some(state.clone()), ..SandboxConfig::default() };

    let first = start_with(config.clone()).await;
    let builder = first.create_builder(builder_meta("0087")).await;
    let document = first.add_document(builder).await;
    let content = first.upload(b"<letter/>").await;
    let file = first.add_file(builder, document, file_request(content, "letter.xml", Some(b"signature"))).await;
    first.sandbox.stop().await;

    let second = start_with(config).await;
    let signature = second
        .raw()
        .get_drafts_builder_document_file_signature()
        .account_id(second.account)
        .drafts_builder_id(builder)
        .document_id(document)
        .file_id(file)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(signature.to_string(), base64(b"signature"));
    let result = second.build(builder).await;
    assert_eq!(result.draft_ids.len(), 1, "the restored builder builds");
    second.sandbox.stop().await;
    let _ = std::fs::remove_dir_all(&directory);
}
