//! Cloud signing confirmed by SMS: the code comes from the test tools; wrong codes, the attempt
//! limit and expiry; receipts sign at once unless forceConfirmation=true.

mod common;

use std::time::Duration;

use common::{base64, start, text, wire};
use kontur_extern::raw::types;
use kontur_extern::transport::SendExt;
use serde_json::json;

#[tokio::test]
async fn a_draft_signed_in_the_cloud_with_the_sms_code_is_sent() {
    let harness = start().await;
    let (draft, _) = harness.draft_with_document(json!({ "ifns-code": "0087" })).await;
    let init = harness
        .raw()
        .cloud_sign_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text(&init.confirm_type), "sms");
    assert_eq!(init.documents_to_sign.len(), 1);
    let request_id = init.request_id.expect("an SMS request id");

    // While the SMS is pending the draft is held.
    let held = harness
        .raw()
        .check_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .deferred(true)
        .send()
        .checked()
        .await
        .unwrap_err();
    assert_eq!(held.status().map(|s| s.as_u16()), Some(409));

    let code = harness.sms_code(&request_id).await;
    assert_eq!(code.len(), 6);
    let confirmed = harness
        .raw()
        .confirm_cloud_sign_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .request_id(request_id.clone())
        .code(code.clone())
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(confirmed.signed_documents.len(), 1);
    let again = harness
        .raw()
        .confirm_cloud_sign_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .request_id(request_id)
        .code(code)
        .send()
        .checked()
        .await
        .unwrap_err();
    assert_eq!(again.status().map(|s| s.as_u16()), Some(409), "a request is confirmed once");
    let docflow = harness.send_draft(draft).await;
    assert!(docflow.documents[0].signatures.iter().any(|s| s.signature_certificate_thumbprint.is_some()));
}

#[tokio::test]
async fn wrong_codes_count_down_to_the_limit() {
    let harness = start().await;
    let (draft, _) = harness.draft_with_document(json!({ "ifns-code": "0087" })).await;
    let init = harness
        .raw()
        .cloud_sign_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let request_id = init.request_id.unwrap();
    let code = harness.sms_code(&request_id).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let mut statuses = Vec::new();
    for attempt in [wrong, wrong, wrong, code.as_str()] {
        let answer = harness
            .raw()
            .confirm_cloud_sign_draft()
            .account_id(harness.account)
            .draft_id(draft)
            .request_id(request_id.clone())
            .code(attempt.to_owned())
            .send()
            .checked()
            .await
            .unwrap_err();
        statuses.push((answer.status().map(|s| s.as_u16()), answer.api_error().and_then(|e| e.id.clone())));
    }
    assert_eq!(statuses[0], (Some(400), Some("urn:error:cloudsign:wrongCode".to_owned())));
    assert_eq!(statuses[2], (Some(400), Some("urn:error:cloudsign:exceededConfirmationAttemptsCount".to_owned())));
    assert_eq!(statuses[3], statuses[2], "even the right code is refused after the limit");
    // The exhausted request no longer holds the draft: signing can start again.
    harness.raw().cloud_sign_draft().account_id(harness.account).draft_id(draft).send().checked().await.unwrap();
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let harness = start().await;
    let (draft, _) = harness.draft_with_document(json!({ "ifns-code": "0087" })).await;
    let init = harness
        .raw()
        .cloud_sign_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let request_id = init.request_id.unwrap();
    let code = harness.sms_code(&request_id).await;
    harness.sandbox.advance(Duration::from_secs(301)).await;
    let late = harness
        .raw()
        .confirm_cloud_sign_draft()
        .account_id(harness.account)
        .draft_id(draft)
        .request_id(request_id)
        .code(code)
        .send()
        .checked()
        .await
        .unwrap_err();
    assert_eq!(late.api_error().and_then(|e| e.id.as_deref()), Some("urn:error:cloudsign:timeout"));
    assert_eq!(late.status().map(|s| s.as_u16()), Some(400), "a spent request is not a busy object (409)");
}

#[tokio::test]
async fn receipts_sign_at_once_unless_confirmation_is_forced() {
    let harness = start().await;
    let draft = harness.signed_draft(json!({ "ifns-code": "0087" })).await;
    let docflow = harness.send_draft(draft).await;
    harness.sandbox.advance(Duration::from_secs(61)).await;
    let docflow = harness.docflow(docflow.id).await;
    let confirmation =
        docflow.documents.iter().find(|doc| doc.links.iter().any(|l| l.rel.as_deref() == Some("reply"))).unwrap();
    let certificate = harness.cloud_certificate().await;
    let generate = |force: Option<bool>| {
        let harness = &harness;
        let certificate = certificate.clone();
        async move {
            let reply = harness
                .raw()
                .generate_reply()
                .account_id(harness.account)
                .docflow_id(docflow.id)
                .document_id(confirmation.id)
                .document_type("fns534-report-receipt".to_owned())
                .body(wire::<types::GenerateReplyRequest>(json!({ "certificate-base64": certificate })))
                .send()
                .checked()
                .await
                .unwrap()
                .into_inner();
            let mut sign = harness
                .raw()
                .cloud_sign_reply()
                .account_id(harness.account)
                .docflow_id(docflow.id)
                .document_id(confirmation.id)
                .reply_id(reply.id);
            if let Some(force) = force {
                sign = sign.force_confirmation(force);
            }
            (reply.id, sign.send().checked().await.unwrap().into_inner())
        }
    };
    let (_, at_once) = generate(None).await;
    assert!(at_once.request_id.is_none() && at_once.task_id.is_none(), "a receipt needs no code");
    assert_eq!(text(&at_once.confirm_type), "none");

    let (forced_reply, forced) = generate(Some(true)).await;
    let request_id = forced.request_id.expect("forceConfirmation=true asks for the SMS code");
    let task = harness
        .raw()
        .get_reply_task()
        .account_id(harness.account)
        .docflow_id(docflow.id)
        .document_id(confirmation.id)
        .reply_id(forced_reply)
        .api_task_id(forced.task_id.expect("the signing is a task"))
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(text(&task.task_state), "running", "the reply's task waits for the code");
    let code = harness.sms_code(&request_id).await;
    harness
        .raw()
        .confirm_cloud_sign_reply()
        .account_id(harness.account)
        .docflow_id(docflow.id)
        .document_id(confirmation.id)
        .reply_id(forced_reply)
        .request_id(request_id)
        .code(code)
        .send()
        .checked()
        .await
        .unwrap();
    let sent = harness
        .raw()
        .send_reply()
        .account_id(harness.account)
        .docflow_id(docflow.id)
        .document_id(confirmation.id)
        .reply_id(forced_reply)
        .body(wire::<types::SendReplyRequest>(json!({})))
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert!(sent.links.iter().all(|l| l.rel.as_deref() != Some("reply")), "the receipt answered the only due reply");
}

#[tokio::test]
async fn a_certificate_that_is_not_a_cloud_one_cannot_sign_in_the_cloud() {
    let harness = start().await;
    let meta: types::DraftMeta = wire(json!({
        "sender": { "inn": "7700000087", "certificate": { "content": base64(b"a certificate on a token") } },
        "recipient": { "ifns-code": "0087" },
    }));
    let draft = harness
        .raw()
        .create_draft()
        .account_id(harness.account)
        .body(meta)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let refused = harness
        .raw()
        .cloud_sign_draft()
        .account_id(harness.account)
        .draft_id(draft.id)
        .send()
        .checked()
        .await
        .unwrap_err();
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400));
}

#[tokio::test]
async fn decrypting_a_regulator_document_is_confirmed_by_sms_and_lands_in_the_content_service() {
    let harness = start().await;
    let draft = harness.signed_draft(json!({ "ifns-code": "0087" })).await;
    let docflow = harness.send_draft(draft).await;
    harness.sandbox.advance(Duration::from_secs(121)).await;
    let docflow = harness.docflow(docflow.id).await;
    let incoming: Vec<_> =
        docflow.documents.iter().filter(|doc| doc.links.iter().any(|l| l.rel.as_deref() == Some("reply"))).collect();
    assert_eq!(incoming.len(), 2, "date confirmation and acceptance result");
    let request: types::DecryptContentRequest =
        wire(json!({ "certificate-base64": harness.cloud_certificate().await }));
    let init = harness
        .raw()
        .decrypt_document_content()
        .account_id(harness.account)
        .docflow_id(docflow.id)
        .document_id(incoming[0].id)
        .body(request.clone())
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let request_id = init.request_id.expect("an SMS request");
    let busy = harness
        .raw()
        .decrypt_document_content()
        .account_id(harness.account)
        .docflow_id(docflow.id)
        .document_id(incoming[1].id)
        .body(request)
        .send()
        .checked()
        .await
        .unwrap_err();
    assert_eq!(busy.status().map(|s| s.as_u16()), Some(409), "one decryption per docflow at a time");

    let code = harness.sms_code(&request_id).await;
    let confirmed = harness
        .raw()
        .confirm_document_decryption()
        .account_id(harness.account)
        .docflow_id(docflow.id)
        .document_id(incoming[0].id)
        .request_id(request_id)
        .code(code)
        .unzip(true)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    let content_id = confirmed.content_id.expect("the decrypted content's id");
    let decrypted = harness.download(content_id, None).await.bytes().await.unwrap();
    assert!(String::from_utf8_lossy(&decrypted).contains("fns534-report-date-confirmation"));
}
