//! SFR answers (the API's PFR replies) to the protocol of an SFR docflow (seeded with
//! `deliver_sfr_protocol`): generated, their document's content and signature put, signed in the
//! cloud with the SMS code, and sent once; reached under `pfr-replies` only.

mod common;

use std::time::Duration;

use common::{Harness, base64, refusal, start, text, wire};
use kontur_extern::raw::types;
use kontur_extern::transport::SendExt;
use serde_json::json;
use uuid::Uuid;

const ACKNOWLEDGEMENT: &str = "sfr-report-acknowledgement";
const NOT_FOUND: &str = "urn:error:externapi:notFound";

/// An SFR docflow and the protocol waiting for the taxpayer's acknowledgement.
struct Protocol {
    docflow: Uuid,
    document: Uuid,
}

async fn sfr_protocol(harness: &Harness) -> Protocol {
    let draft = harness.signed_draft(json!({ "sfr-code": "087-000-000087" })).await;
    let docflow = harness.send_draft(draft).await.id;
    let document = harness.sandbox.deliver_sfr_protocol(docflow).await.expect("an SFR docflow");
    Protocol { docflow, document }
}

/// Calls an operation on a reply of the protocol: `$operation` with the path up to the reply set.
macro_rules! at_reply {
    ($harness:expr, $protocol:expr, $reply:expr, $operation:ident) => {
        $harness
            .raw()
            .$operation()
            .account_id($harness.account)
            .docflow_id($protocol.docflow)
            .document_id($protocol.document)
            .reply_id($reply)
    };
}

impl Protocol {
    async fn generate(
        &self,
        harness: &Harness,
        document_type: &str,
        certificate: String,
    ) -> Result<types::PfrReply, kontur_extern::Error> {
        harness
            .raw()
            .generate_pfr_reply()
            .account_id(harness.account)
            .docflow_id(self.docflow)
            .document_id(self.document)
            .document_type(document_type.to_owned())
            .body(wire::<types::GenerateReplyRequest>(json!({ "certificate-base64": certificate })))
            .send()
            .checked()
            .await
            .map(|answer| answer.into_inner())
    }

    async fn get(&self, harness: &Harness, reply: Uuid) -> Result<types::PfrReply, kontur_extern::Error> {
        at_reply!(harness, self, reply, get_pfr_reply).send().checked().await.map(|answer| answer.into_inner())
    }

    async fn put_signature(&self, harness: &Harness, reply: Uuid, document: Uuid, signature: &[u8]) -> (u16, String) {
        let answer = at_reply!(harness, self, reply, put_pfr_reply_document_signature)
            .reply_document_id(document)
            .body(signature.to_vec())
            .send()
            .checked()
            .await;
        match answer {
            Ok(answer) => (answer.status().as_u16(), String::new()),
            Err(error) => refusal(Err::<(), _>(error)),
        }
    }

    async fn send(&self, harness: &Harness, reply: Uuid) -> Result<types::Docflow, kontur_extern::Error> {
        at_reply!(harness, self, reply, send_pfr_reply)
            .body(common::send_reply_request())
            .send()
            .checked()
            .await
            .map(|answer| answer.into_inner())
    }
}

#[tokio::test]
async fn an_sfr_answer_signed_in_the_cloud_with_the_sms_code_is_sent_once() {
    let harness = start().await;
    let protocol = sfr_protocol(&harness).await;
    let docflow = harness.docflow(protocol.docflow).await;
    let due = docflow.documents.iter().find(|doc| doc.id == protocol.document).expect("the protocol");
    let reply_link = due.links.iter().find(|link| link.rel.as_deref() == Some("reply")).expect("an answer is due");
    assert!(text(&reply_link.href).contains("/pfr-generate-reply?documentType=sfr-report-acknowledgement"));

    let generated = protocol.generate(&harness, ACKNOWLEDGEMENT, harness.cloud_certificate().await).await.unwrap();
    assert_eq!(generated.docflow_id, Some(protocol.docflow));
    let [document] = generated.documents.as_slice() else { panic!("one document: {generated:?}") };
    assert!(document.signature.is_none());

    let content = b"<?xml version=\"1.0\"?><acknowledgement/>".to_vec();
    at_reply!(harness, protocol, generated.id, put_pfr_reply_document_content)
        .reply_document_id(document.id)
        .body(content.clone())
        .send()
        .checked()
        .await
        .unwrap();
    let read = protocol.get(&harness, generated.id).await.unwrap();
    assert_eq!(read.documents[0].encrypted_content.as_ref().map(|c| c.to_string()), Some(base64(&content)));

    let init =
        at_reply!(harness, protocol, generated.id, cloud_sign_pfr_reply).send().checked().await.unwrap().into_inner();
    assert_eq!(text(&init.confirm_type), "sms", "an acknowledgement is no receipt: it asks for a code");
    let request_id = init.request_id.expect("an SMS request");
    let task_id = init.task_id.expect("the signing is a task");
    let task_state = || async {
        let task = at_reply!(harness, protocol, generated.id, get_pfr_reply_task)
            .api_task_id(task_id)
            .send()
            .checked()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(text(&task.task_type), "urn:task-type:initReplySignOperation");
        text(&task.task_state)
    };
    assert_eq!(task_state().await, "running", "while the code is awaited");
    let confirm = |code: String| {
        at_reply!(harness, protocol, generated.id, confirm_cloud_sign_pfr_reply)
            .request_id(request_id.clone())
            .code(code)
            .send()
            .checked()
    };
    let code = harness.sms_code(&request_id).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    assert_eq!(refusal(confirm(wrong.to_owned()).await), (400, "urn:error:cloudsign:wrongCode".to_owned()));
    assert_eq!(confirm(code).await.unwrap().into_inner().signed_documents.len(), 1);
    assert_eq!(task_state().await, "succeed");
    assert!(protocol.get(&harness, generated.id).await.unwrap().documents[0].signature.is_some());

    let sent = protocol.send(&harness, generated.id).await.unwrap();
    let acknowledgement = sent
        .documents
        .iter()
        .find(|doc| {
            doc.description.as_ref().is_some_and(|d| text(&d.type_) == "urn:document:sfr-report-acknowledgement")
        })
        .expect("the acknowledgement is in the docflow");
    assert!(acknowledgement.signatures.iter().any(|s| s.signature_certificate_thumbprint.is_some()));
    assert!(sent.links.iter().all(|link| link.rel.as_deref() != Some("reply")), "no answer is due any more");

    let conflict = (409, "urn:error:externapi:replyAlreadySent".to_owned());
    assert_eq!(refusal(protocol.send(&harness, generated.id).await), conflict, "sent once");
    assert_eq!(protocol.put_signature(&harness, generated.id, document.id, b"late").await, conflict);
    let again = protocol.generate(&harness, ACKNOWLEDGEMENT, base64(b"a certificate")).await;
    assert_eq!(refusal(again), conflict);
}

#[tokio::test]
async fn an_sfr_answer_with_its_own_signature_is_sent_and_bad_input_is_refused() {
    let harness = start().await;
    let protocol = sfr_protocol(&harness).await;
    let certificate = base64(b"my own certificate");
    assert_eq!(refusal(protocol.generate(&harness, "sfr-report-receipt", certificate.clone()).await).0, 400);
    assert_eq!(refusal(protocol.generate(&harness, ACKNOWLEDGEMENT, "not base64!".to_owned()).await).0, 400);
    let by_the_other_operation = harness
        .raw()
        .generate_reply()
        .account_id(harness.account)
        .docflow_id(protocol.docflow)
        .document_id(protocol.document)
        .document_type(ACKNOWLEDGEMENT.to_owned())
        .body(wire::<types::GenerateReplyRequest>(json!({ "certificate-base64": certificate })))
        .send()
        .checked()
        .await;
    assert_eq!(refusal(by_the_other_operation).0, 400, "SFR answers come from pfr-generate-reply");

    // An FNS docflow's receipt is no PFR reply.
    let fns = harness.sandbox.file_reports(1, "0087").await[0];
    harness.sandbox.advance(Duration::from_secs(60)).await;
    let fns_document = harness.docflow(fns).await.documents.last().expect("the date confirmation").id;
    let fns_protocol = Protocol { docflow: fns, document: fns_document };
    let fns_reply = fns_protocol.generate(&harness, "fns534-report-receipt", certificate.clone()).await;
    assert_eq!(refusal(fns_reply).0, 400);

    let generated = protocol.generate(&harness, ACKNOWLEDGEMENT, certificate).await.unwrap();
    let document = generated.documents[0].id;
    assert_eq!(refusal(protocol.send(&harness, generated.id).await).0, 400, "not signed yet");
    assert_eq!(protocol.put_signature(&harness, generated.id, document, b"").await.0, 400, "an empty signature");
    let cloud = at_reply!(harness, protocol, generated.id, cloud_sign_pfr_reply).send().checked().await;
    assert_eq!(refusal(cloud).0, 400, "not a cloud certificate");
    assert_eq!(protocol.put_signature(&harness, generated.id, document, b"detached signature").await.0, 200);
    let read = protocol.get(&harness, generated.id).await.unwrap();
    assert_eq!(read.documents[0].signature.as_ref().map(|s| s.to_string()), Some(base64(b"detached signature")));
    let sent = protocol.send(&harness, generated.id).await.unwrap();
    assert_eq!(text(&sent.status), "urn:docflow-common-status:response-processed");
}

#[tokio::test]
async fn unknown_ids_of_sfr_answers_are_404() {
    let harness = start().await;
    let protocol = sfr_protocol(&harness).await;
    let generated = protocol.generate(&harness, ACKNOWLEDGEMENT, base64(b"a certificate")).await.unwrap();
    let document = generated.documents[0].id;
    let unknown = Uuid::new_v4();

    assert_eq!(refusal(protocol.get(&harness, unknown).await), (404, NOT_FOUND.to_owned()));
    let elsewhere = Protocol { docflow: protocol.docflow, document: unknown };
    assert_eq!(refusal(elsewhere.get(&harness, generated.id).await).0, 404, "an unknown document");
    let other_docflow = Protocol { docflow: unknown, document: protocol.document };
    assert_eq!(refusal(other_docflow.generate(&harness, ACKNOWLEDGEMENT, base64(b"c")).await).0, 404);
    assert_eq!(
        protocol.put_signature(&harness, generated.id, unknown, b"signature").await.0,
        404,
        "an unknown document"
    );
    let content = at_reply!(harness, protocol, generated.id, put_pfr_reply_document_content)
        .reply_document_id(unknown)
        .body(b"content".to_vec())
        .send()
        .checked()
        .await;
    assert_eq!(refusal(content).0, 404);
    let by_the_other_route = at_reply!(harness, protocol, generated.id, get_reply).send().checked().await;
    assert_eq!(refusal(by_the_other_route).0, 404, "an SFR answer is reached under pfr-replies only");
    assert_eq!(refusal(protocol.send(&harness, unknown).await).0, 404);
    let task =
        at_reply!(harness, protocol, generated.id, get_pfr_reply_task).api_task_id(unknown).send().checked().await;
    assert_eq!(refusal(task), (404, NOT_FOUND.to_owned()), "an unknown task");
    let fns = harness.sandbox.file_reports(1, "7700").await[0];
    assert!(harness.sandbox.deliver_sfr_protocol(fns).await.is_none(), "no protocol for an FNS docflow");
    assert_eq!(document, generated.id, "the sandbox's SFR answers have one document, with the answer's id");
}
