//! FNS inventories attached to a docflow document (seeded with `attach_inventory`): listed and
//! read under that document only, their documents read, printed and decrypted, and the receipt
//! to the inspection's answer generated, signed (raw or in the cloud with the SMS code) and sent
//! once.

mod common;

use std::time::Duration;

use common::{Harness, base64, refusal, start, start_with, text, wire};
use kontur_extern::raw::types;
use kontur_extern::transport::SendExt;
use kontur_extern_sandbox::SandboxConfig;
use serde_json::json;
use uuid::Uuid;

const NOT_FOUND: &str = "urn:error:externapi:notFound";
const RECEIPT: &str = "fns534-inventory-receipt";

/// An inventory operation's request, pointed at the filed inventory.
macro_rules! at_inventory {
    ($harness:expr, $filed:expr, $operation:ident) => {
        $harness
            .raw()
            .$operation()
            .account_id($harness.account)
            .related_docflow_id($filed.docflow)
            .related_document_id($filed.document)
            .inventory_id($filed.inventory)
    };
}

/// A filed report with an inventory attached to its document.
struct Filed {
    docflow: Uuid,
    document: Uuid,
    inventory: Uuid,
}

async fn filed_with_inventory(harness: &Harness) -> Filed {
    let docflow = harness.sandbox.file_reports(1, "7700").await[0];
    let document = harness.docflow(docflow).await.documents[0].id;
    let inventory = harness.sandbox.attach_inventory(docflow, document).await.expect("the document is known");
    Filed { docflow, document, inventory }
}

impl Filed {
    async fn inventory(&self, harness: &Harness) -> types::Docflow {
        at_inventory!(harness, self, get_inventory).send().checked().await.unwrap().into_inner()
    }

    /// The inventory document of type `urn:document:fns534-inventory-{kind}`.
    async fn document_of(&self, harness: &Harness, kind: &str) -> types::Document {
        let inventory = self.inventory(harness).await;
        let wanted = format!("urn:document:fns534-inventory-{kind}");
        inventory
            .documents
            .into_iter()
            .find(|doc| doc.description.as_ref().is_some_and(|d| text(&d.type_) == wanted))
            .unwrap_or_else(|| panic!("the inventory has a {kind}"))
    }

    async fn generate_receipt(
        &self,
        harness: &Harness,
        document: Uuid,
        document_type: &str,
        certificate: String,
    ) -> Result<types::ReplyDocument, kontur_extern::Error> {
        at_inventory!(harness, self, generate_inventory_reply)
            .document_id(document)
            .document_type(document_type.to_owned())
            .body(wire::<types::GenerateReplyRequest>(json!({ "certificate-base64": certificate })))
            .send()
            .checked()
            .await
            .map(|answer| answer.into_inner())
    }

    async fn put_signature(
        &self,
        harness: &Harness,
        document: Uuid,
        reply: Uuid,
        signature: &[u8],
    ) -> Result<types::ReplyDocument, kontur_extern::Error> {
        at_inventory!(harness, self, put_inventory_reply_signature)
            .document_id(document)
            .reply_id(reply)
            .body(signature.to_vec())
            .send()
            .checked()
            .await
            .map(|answer| answer.into_inner())
    }

    async fn send_reply(
        &self,
        harness: &Harness,
        document: Uuid,
        reply: Uuid,
    ) -> Result<types::Docflow, kontur_extern::Error> {
        at_inventory!(harness, self, send_inventory_reply)
            .document_id(document)
            .reply_id(reply)
            .body(common::send_reply_request())
            .send()
            .checked()
            .await
            .map(|answer| answer.into_inner())
    }
}

#[tokio::test]
async fn an_inventory_is_listed_and_read_under_its_document_only() {
    let harness = start().await;
    let filed = filed_with_inventory(&harness).await;
    let page = harness
        .raw()
        .list_inventories()
        .account_id(harness.account)
        .related_docflow_id(filed.docflow)
        .related_document_id(filed.document)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.total_count, Some(1));
    assert_eq!(page.docflows_page_item.iter().map(|item| item.id).collect::<Vec<_>>(), vec![filed.inventory]);

    let inventory = filed.inventory(&harness).await;
    assert_eq!(text(&inventory.type_), "urn:docflow:fns534-inventory");
    let self_link = inventory.links.iter().find(|link| link.rel.as_deref() == Some("self")).expect("a self link");
    assert!(
        text(&self_link.href).ends_with(&format!(
            "/docflows/{}/documents/{}/inventories/{}",
            filed.docflow, filed.document, filed.inventory
        )),
        "the inventory lives under its document: {self_link:?}"
    );
    let types: Vec<String> =
        inventory.documents.iter().filter_map(|doc| Some(text(&doc.description.as_ref()?.type_))).collect();
    assert_eq!(
        types,
        [
            "urn:document:fns534-inventory-description",
            "urn:document:fns534-inventory-attachment",
            "urn:document:fns534-inventory-acceptance-result-positive"
        ]
    );

    // An inventory is not a docflow of the account.
    let found = harness.raw().search_docflows().account_id(harness.account).send().checked().await.unwrap();
    assert_eq!(found.into_inner().total_count, Some(1), "only the report");
    let as_docflow =
        harness.raw().get_docflow().account_id(harness.account).docflow_id(filed.inventory).send().checked().await;
    assert_eq!(refusal(as_docflow), (404, NOT_FOUND.to_owned()));
}

#[tokio::test]
async fn inventory_documents_give_their_content_and_signatures() {
    let harness = start().await;
    let filed = filed_with_inventory(&harness).await;
    let description = filed.document_of(&harness, "description").await;
    let content = at_inventory!(harness, filed, get_inventory_document_decrypted_content)
        .document_id(description.id)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let xml = String::from_utf8(decode(&content)).expect("XML text");
    assert!(xml.contains(&description.id.to_string()) && xml.contains("fns534-inventory-description"), "{xml}");

    let signature = description.signatures.first().expect("the description is signed");
    let signature_content = at_inventory!(harness, filed, get_inventory_document_signature_content)
        .document_id(description.id)
        .signature_id(signature.id)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        decode(&signature_content),
        format!("sandbox signature of the taxpayer on {}", description.id).into_bytes()
    );
}

#[tokio::test]
async fn content_decrypted_by_the_client_is_saved_and_read_back() {
    let harness = start().await;
    let filed = filed_with_inventory(&harness).await;
    let attachment = filed.document_of(&harness, "attachment").await;
    let save = |content_id: Uuid| {
        at_inventory!(harness, filed, save_inventory_document_decrypted_content)
            .document_id(attachment.id)
            .body(wire::<types::SaveDecryptedContentRequest>(json!({ "content-id": content_id })))
            .send()
            .checked()
    };
    let (harness, filed, document) = (&harness, &filed, attachment.id);
    let read = move |encrypted: bool| async move {
        let answer = if encrypted {
            at_inventory!(harness, filed, get_inventory_document_encrypted_content)
                .document_id(document)
                .send()
                .checked()
                .await
        } else {
            at_inventory!(harness, filed, get_inventory_document_decrypted_content)
                .document_id(document)
                .send()
                .checked()
                .await
        };
        decode(&answer.unwrap().into_inner())
    };
    let stored = read(true).await;
    assert_eq!(stored, read(false).await, "the sandbox stores contents in the clear");

    assert_eq!(refusal(save(Uuid::new_v4()).await).0, 400, "a content that was never uploaded");
    let decrypted = "<Файл>расшифровано клиентом</Файл>".as_bytes();
    let content_id = harness.upload(decrypted).await;
    let saved = save(content_id).await.unwrap().into_inner();
    assert_eq!(saved.content_id, Some(content_id));
    assert!(saved.links.iter().any(|link| text(&link.href).ends_with(&format!("{}/decrypted-content", attachment.id))));
    assert_eq!(read(false).await, decrypted);
    assert_ne!(stored, decrypted);
}

fn decode(content: &types::Base64Bytes) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(content.as_bytes()).expect("base64")
}

#[tokio::test]
async fn an_inventory_document_prints_to_a_pdf_through_its_task() {
    let harness = start().await;
    let filed = filed_with_inventory(&harness).await;
    let description = filed.document_of(&harness, "description").await;
    let print = |deferred: bool| {
        at_inventory!(harness, filed, print_inventory_document)
            .document_id(description.id)
            .deferred(deferred)
            .body(wire::<types::PrintDocumentRequest>(json!({})))
            .send()
            .checked()
    };
    assert_eq!(refusal(print(false).await).0, 400, "only deferred printing");
    let task = print(true).await.unwrap().into_inner();
    harness.sandbox.advance(Duration::from_secs(5)).await;
    let task = at_inventory!(harness, filed, get_inventory_document_task)
        .document_id(description.id)
        .api_task_id(task.id)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text(&task.task_state), "succeed");
    let result = task.task_result.expect("a result");
    let content_id: Uuid = wire(result["content-id"].clone());
    let pdf = harness.download(content_id, None).await.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
}

#[tokio::test]
async fn an_inventory_document_is_decrypted_with_the_sms_code() {
    let harness = start().await;
    let filed = filed_with_inventory(&harness).await;
    let attachment = filed.document_of(&harness, "attachment").await;
    let init = at_inventory!(harness, filed, decrypt_inventory_document_content)
        .document_id(attachment.id)
        .body(wire::<types::DecryptContentRequest>(json!({ "certificate-base64": harness.cloud_certificate().await })))
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let request_id = init.request_id.expect("an SMS request");
    let confirm_link = init.confirm_link.expect("a confirm link");
    assert!(
        text(&confirm_link.href).contains(&format!("/inventories/{}/documents/{}/", filed.inventory, attachment.id))
    );
    let confirm = |request_id: String, code: String| {
        at_inventory!(harness, filed, confirm_inventory_document_decryption)
            .document_id(attachment.id)
            .request_id(request_id)
            .code(code)
            .send()
            .checked()
    };
    let code = harness.sms_code(&request_id).await;
    assert_eq!(refusal(confirm(Uuid::new_v4().to_string(), code.clone()).await).0, 404, "an unknown request");
    let decrypted = confirm(request_id, code).await.unwrap().into_inner();
    let downloaded = harness.download(decrypted.content_id.expect("a content"), None).await.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&downloaded).contains(&attachment.id.to_string()));
}

#[tokio::test]
async fn a_receipt_signed_in_the_cloud_with_the_sms_code_is_sent_once() {
    let harness = start().await;
    let filed = filed_with_inventory(&harness).await;
    let answer = filed.document_of(&harness, "acceptance-result-positive").await;
    let reply_link = answer.links.iter().find(|link| link.rel.as_deref() == Some("reply")).expect("a reply is due");
    assert_eq!(reply_link.name.as_deref(), Some("urn:document:fns534-inventory-receipt"));
    let reply = filed.generate_receipt(&harness, answer.id, RECEIPT, harness.cloud_certificate().await).await.unwrap();

    let read = at_inventory!(harness, filed, get_inventory_reply)
        .document_id(answer.id)
        .reply_id(reply.id)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!((read.id, read.document_id), (reply.id, Some(answer.id)));
    assert!(read.signature.is_none());

    let content = b"<?xml version=\"1.0\"?><receipt/>".to_vec();
    let replaced = at_inventory!(harness, filed, put_inventory_reply_content)
        .document_id(answer.id)
        .reply_id(reply.id)
        .body(content.clone())
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replaced.content.map(|c| c.to_string()), Some(base64(&content)));

    let init = at_inventory!(harness, filed, cloud_sign_inventory_reply)
        .document_id(answer.id)
        .reply_id(reply.id)
        .force_confirmation(true)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text(&init.confirm_type), "sms", "a forced confirmation asks for a code even for a receipt");
    let request_id = init.request_id.expect("an SMS request");
    let task_id = init.task_id.expect("the signing is a task");
    let task_state = || async {
        let task = at_inventory!(harness, filed, get_inventory_reply_task)
            .document_id(answer.id)
            .reply_id(reply.id)
            .api_task_id(task_id)
            .send()
            .checked()
            .await
            .unwrap()
            .into_inner();
        text(&task.task_state)
    };
    assert_eq!(task_state().await, "running", "while the code is awaited");

    // Another answer of the inventory waits until this signing is done.
    let second = filed.generate_receipt(&harness, answer.id, RECEIPT, harness.cloud_certificate().await).await.unwrap();
    let concurrent = at_inventory!(harness, filed, cloud_sign_inventory_reply)
        .document_id(answer.id)
        .reply_id(second.id)
        .force_confirmation(true)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(concurrent), (409, "urn:error:externapi:concurrentApiTaskActive".to_owned()));
    let confirm = |code: String| {
        at_inventory!(harness, filed, confirm_cloud_sign_inventory_reply)
            .document_id(answer.id)
            .reply_id(reply.id)
            .request_id(request_id.clone())
            .code(code)
            .send()
            .checked()
    };
    let code = harness.sms_code(&request_id).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(refusal(confirm(wrong.to_owned()).await), (400, "urn:error:cloudsign:wrongCode".to_owned()));
    let confirmed = confirm(code).await.unwrap().into_inner();
    assert_eq!(confirmed.signed_documents.len(), 1);
    assert_eq!(task_state().await, "succeed");

    let inventory = filed.send_reply(&harness, answer.id, reply.id).await.unwrap();
    assert_eq!(inventory.id, filed.inventory, "sending answers the inventory");
    let receipt = inventory
        .documents
        .iter()
        .find(|doc| doc.description.as_ref().is_some_and(|d| text(&d.type_) == "urn:document:fns534-inventory-receipt"))
        .expect("the receipt is in the inventory");
    assert!(receipt.signatures.iter().any(|s| s.signature_certificate_thumbprint.is_some()), "signed in the cloud");
    assert!(inventory.links.iter().all(|link| link.rel.as_deref() != Some("reply")), "no reply is due any more");
    assert_eq!(harness.docflow(filed.docflow).await.documents.len(), 1, "the report itself is untouched");
    let events = harness.raw().get_events().from_id("0_0".to_owned()).take(100).send().checked().await.unwrap();
    let event_docflows: Vec<Option<Uuid>> = events.into_inner().api_events.iter().map(|e| e.docflow_id).collect();
    assert_eq!(event_docflows, vec![Some(filed.docflow)], "only the report's filing is an event");

    let conflict = (409, "urn:error:externapi:replyAlreadySent".to_owned());
    assert_eq!(refusal(filed.send_reply(&harness, answer.id, reply.id).await), conflict, "sent once");
    assert_eq!(refusal(filed.put_signature(&harness, answer.id, reply.id, b"late").await), conflict);
    let again = filed.generate_receipt(&harness, answer.id, RECEIPT, base64(b"a certificate")).await;
    assert_eq!(refusal(again), conflict);
}

#[tokio::test]
async fn a_receipt_with_its_own_signature_is_sent_and_bad_input_is_refused() {
    let harness = start().await;
    let filed = filed_with_inventory(&harness).await;
    let answer = filed.document_of(&harness, "acceptance-result-positive").await;
    let description = filed.document_of(&harness, "description").await;
    let certificate = base64(b"my own certificate");

    let not_due = filed.generate_receipt(&harness, description.id, RECEIPT, certificate.clone()).await;
    assert_eq!(refusal(not_due).0, 400, "no reply is due on the taxpayer's own document");
    let wrong_type = filed.generate_receipt(&harness, answer.id, "fns534-report-receipt", certificate.clone()).await;
    assert_eq!(refusal(wrong_type).0, 400);
    let not_base64 = filed.generate_receipt(&harness, answer.id, RECEIPT, "not base64!".to_owned()).await;
    assert_eq!(refusal(not_base64).0, 400);

    let reply = filed.generate_receipt(&harness, answer.id, RECEIPT, certificate).await.unwrap();
    assert_eq!(refusal(filed.send_reply(&harness, answer.id, reply.id).await).0, 400, "not signed yet");
    assert_eq!(refusal(filed.put_signature(&harness, answer.id, reply.id, b"").await).0, 400, "an empty signature");
    let cloud = at_inventory!(harness, filed, cloud_sign_inventory_reply)
        .document_id(answer.id)
        .reply_id(reply.id)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(cloud).0, 400, "not a cloud certificate");

    let signed = filed.put_signature(&harness, answer.id, reply.id, b"detached signature").await.unwrap();
    assert_eq!(signed.signature.map(|s| s.to_string()), Some(base64(b"detached signature")));
    let inventory = filed.send_reply(&harness, answer.id, reply.id).await.unwrap();
    assert_eq!(inventory.documents.len(), 4, "the receipt joined the inventory");
}

#[tokio::test]
async fn unknown_ids_under_an_inventory_are_404() {
    let harness = start().await;
    let filed = filed_with_inventory(&harness).await;
    // A second report: the inventory is not under its document.
    let other = filed_with_inventory(&harness).await;
    let answer = filed.document_of(&harness, "acceptance-result-positive").await;
    let unknown = Uuid::new_v4();
    let get = |docflow: Uuid, document: Uuid, inventory: Uuid| {
        harness
            .raw()
            .get_inventory()
            .account_id(harness.account)
            .related_docflow_id(docflow)
            .related_document_id(document)
            .inventory_id(inventory)
            .send()
            .checked()
    };
    for (docflow, document, inventory) in [
        (unknown, filed.document, filed.inventory),
        (filed.docflow, unknown, filed.inventory),
        (filed.docflow, filed.document, unknown),
        (other.docflow, other.document, filed.inventory),
        // An inventory is no document an inventory may be attached to.
        (filed.inventory, answer.id, filed.inventory),
    ] {
        assert_eq!(refusal(get(docflow, document, inventory).await), (404, NOT_FOUND.to_owned()));
    }
    let listed = harness
        .raw()
        .list_inventories()
        .account_id(harness.account)
        .related_docflow_id(filed.docflow)
        .related_document_id(unknown)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(listed).0, 404);

    let content = at_inventory!(harness, filed, get_inventory_document_decrypted_content)
        .document_id(unknown)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(content).0, 404, "an unknown inventory document");
    let signature = at_inventory!(harness, filed, get_inventory_document_signature_content)
        .document_id(answer.id)
        .signature_id(unknown)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(signature).0, 404, "an unknown signature");
    let task = at_inventory!(harness, filed, get_inventory_document_task)
        .document_id(answer.id)
        .api_task_id(unknown)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(task).0, 404, "an unknown task");
    let reply_task = at_inventory!(harness, filed, get_inventory_reply_task)
        .document_id(answer.id)
        .reply_id(unknown)
        .api_task_id(unknown)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(reply_task).0, 404, "an unknown reply");

    // A reply of one inventory is not found under another.
    let reply = filed.generate_receipt(&harness, answer.id, RECEIPT, base64(b"a certificate")).await.unwrap();
    let elsewhere = at_inventory!(harness, other, get_inventory_reply)
        .document_id(answer.id)
        .reply_id(reply.id)
        .send()
        .checked()
        .await;
    assert_eq!(refusal(elsewhere).0, 404);
    assert_eq!(refusal(filed.send_reply(&harness, answer.id, unknown).await), (404, NOT_FOUND.to_owned()));
    assert!(harness.sandbox.attach_inventory(filed.docflow, unknown).await.is_none(), "nothing to attach to");
}

#[tokio::test]
async fn an_inventory_and_its_unsent_receipt_survive_a_restart_with_a_state_file() {
    let directory = std::env::temp_dir().join(format!("kontur-extern-sandbox-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&directory).unwrap();
    let config =
        SandboxConfig { speed: 0.0, state_file: Some(directory.join("state.json")), ..SandboxConfig::default() };

    let first = start_with(config.clone()).await;
    let filed = filed_with_inventory(&first).await;
    let answer = filed.document_of(&first, "acceptance-result-positive").await;
    let reply = filed.generate_receipt(&first, answer.id, RECEIPT, base64(b"a certificate")).await.unwrap();
    first.sandbox.stop().await;

    let second = start_with(config).await;
    assert_eq!(filed.inventory(&second).await.documents.len(), 3, "the inventory is back under its document");
    filed.put_signature(&second, answer.id, reply.id, b"detached signature").await.unwrap();
    let inventory = filed.send_reply(&second, answer.id, reply.id).await.unwrap();
    assert_eq!(inventory.documents.len(), 4, "the restored receipt is sent");
    second.sandbox.stop().await;
    let _ = std::fs::remove_dir_all(&directory);
}
