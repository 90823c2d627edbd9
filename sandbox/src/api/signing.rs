//! Cloud signing of drafts and replies, confirmed with an SMS code; the test tools read the code.
//!
//! The API does not document code length, expiry or attempt limits; the sandbox uses 6 digits,
//! [`CODE_LIFETIME_SECS`] of wall time and [`CODE_ATTEMPTS`] wrong codes, and answers: a wrong code
//! 400 `urn:error:cloudsign:wrongCode` (with `attempts-left`), a used-up or expired request 400
//! `urn:error:cloudsign:exceededConfirmationAttemptsCount` / `urn:error:cloudsign:timeout`. Those
//! two are 400, not 409: the API's documented 409 means "held by a running task, try again later"
//! (FACTS §3), which a spent request is not; a client that retries 409s must not loop on it.

use axum::http::StatusCode;
use base64::Engine;
use kontur_extern::raw::types::{
    ApiTask, DecryptContentRequest, DecryptionConfirmResult, DecryptionInitResult, SignConfirmResult, SignInitResult,
};
use uuid::Uuid;

use super::docflows::{docflow_path, document};
use super::drafts::{changeable_draft, draft, draft_path};
use super::replies::{reply, reply_path, unsent_reply};
use super::{Ctx, Reply, account};
use crate::error::{ApiFailure, ApiResult};
use crate::model::{CertificateRecord, ConfirmationRecord, SignatureRecord, SigningTarget, World};
use crate::wire::{blank, link, vocab, with_id};
use crate::world::{CODE_ATTEMPTS, CODE_LIFETIME_SECS, concurrent_task};

/// Task type of a reply's cloud signing.
const REPLY_SIGN_TASK: &str = "urn:task-type:initReplySignOperation";

fn cloud_certificate<'w>(world: &'w World, account_id: Uuid, certificate: &[u8]) -> ApiResult<&'w CertificateRecord> {
    world
        .accounts
        .get(&account_id)
        .and_then(|account| account.certificates.iter().find(|c| c.cloud && c.content == certificate))
        .ok_or_else(|| {
            ApiFailure::bad_request(
                "the certificate is not a cloud certificate of this account: sign it yourself and put the signature",
            )
        })
}

fn cloud_signature(certificate: &CertificateRecord, what: Uuid) -> SignatureRecord {
    SignatureRecord {
        id: Uuid::new_v4(),
        content: format!("sandbox cloud signature of {what} by {}", certificate.thumbprint).into_bytes(),
        thumbprint: Some(certificate.thumbprint.clone()),
        signer_type: "organization-representative".to_owned(),
        title: certificate.fio.clone(),
    }
}

fn start_confirmation(world: &mut World, ctx: &Ctx, account_id: Uuid, target: SigningTarget) -> String {
    let request_id = Uuid::new_v4().to_string();
    let code = format!("{:06}", Uuid::new_v4().as_u128() % 1_000_000);
    world.confirmations.insert(
        request_id.clone(),
        ConfirmationRecord {
            request_id: request_id.clone(),
            account_id,
            target,
            code,
            expires_at: ctx.wall + chrono::Duration::seconds(CODE_LIFETIME_SECS),
            attempts_left: CODE_ATTEMPTS,
            state: "pending".to_owned(),
        },
    );
    request_id
}

/// Checks the code of a request for `target`; on success the request is used up.
fn confirm(world: &mut World, ctx: &Ctx, target: &SigningTarget) -> ApiResult<()> {
    let request_id = ctx.query("requestId").ok_or_else(|| ApiFailure::bad_request("requestId is required"))?;
    let code = ctx.query("code").ok_or_else(|| ApiFailure::bad_request("code is required"))?;
    let confirmation = world
        .confirmations
        .get_mut(request_id)
        .filter(|c| &c.target == target)
        .ok_or_else(|| ApiFailure::not_found("signing request", request_id))?;
    match confirmation.state.as_str() {
        "pending" => {}
        "expired" => {
            return Err(ApiFailure::bad_request("the code has expired: start signing again")
                .with_id("urn:error:cloudsign:timeout"));
        }
        "exhausted" => return Err(attempts_exhausted()),
        _ => {
            return Err(ApiFailure::conflict(
                "urn:error:cloudsign:alreadyConfirmed",
                "this request is confirmed already",
            ));
        }
    }
    if confirmation.code != code {
        confirmation.attempts_left = confirmation.attempts_left.saturating_sub(1);
        if confirmation.attempts_left == 0 {
            confirmation.state = "exhausted".to_owned();
            return Err(attempts_exhausted());
        }
        return Err(ApiFailure::bad_request("the confirmation code is wrong")
            .with_id("urn:error:cloudsign:wrongCode")
            .with_context("attempts-left", serde_json::json!(confirmation.attempts_left)));
    }
    confirmation.state = "confirmed".to_owned();
    Ok(())
}

fn attempts_exhausted() -> ApiFailure {
    ApiFailure::bad_request("too many wrong codes: start signing again")
        .with_id("urn:error:cloudsign:exceededConfirmationAttemptsCount")
}

fn draft_sender_certificate(world: &World, draft_id: Uuid) -> Vec<u8> {
    world.drafts[&draft_id]
        .meta
        .sender
        .as_ref()
        .and_then(|sender| sender.certificate.as_ref())
        .and_then(|certificate| certificate.content.as_ref())
        .and_then(|content| base64::engine::general_purpose::STANDARD.decode(content.as_bytes()).ok())
        .unwrap_or_default()
}

pub fn cloud_sign_draft(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let draft_id = changeable_draft(world, ctx)?;
    let account_id = account(world, ctx)?.id;
    cloud_certificate(world, account_id, &draft_sender_certificate(world, draft_id))?;
    let draft = &world.drafts[&draft_id];
    if draft.documents.is_empty() {
        return Err(ApiFailure::bad_request("the draft has no documents to sign"));
    }
    let path = draft_path(account_id, draft_id);
    let documents =
        draft.documents.iter().map(|doc| link(ctx.url(&format!("{path}/documents/{}", doc.id)), "document")).collect();
    let request_id = start_confirmation(world, ctx, account_id, SigningTarget::Draft(draft_id));
    let mut wire: SignInitResult = blank();
    wire.request_id = Some(request_id.clone());
    wire.confirm_type = Some(vocab("sms"));
    wire.documents_to_sign = documents;
    wire.links = vec![link(ctx.url(&format!("{path}/cloud-sign-confirm?requestId={request_id}")), "sign-confirm")];
    Reply::ok(&wire)
}

pub fn confirm_cloud_sign_draft(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let draft_id = draft(world, ctx)?.id;
    let account_id = account(world, ctx)?.id;
    confirm(world, ctx, &SigningTarget::Draft(draft_id))?;
    let certificate = cloud_certificate(world, account_id, &draft_sender_certificate(world, draft_id))?.clone();
    let path = draft_path(account_id, draft_id);
    let draft = world.drafts.get_mut(&draft_id).ok_or_else(|| ApiFailure::not_found("draft", &draft_id.to_string()))?;
    let mut signed = Vec::new();
    for document in &mut draft.documents {
        document.signatures.push(cloud_signature(&certificate, document.id));
        signed.push(link(ctx.url(&format!("{path}/documents/{}", document.id)), "document"));
    }
    draft.status = "new".to_owned();
    let mut wire: SignConfirmResult = blank();
    wire.signed_documents = signed;
    wire.links = vec![link(ctx.url(&path), "draft")];
    Reply::ok(&wire)
}

pub fn cloud_sign_reply(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let reply_id = unsent_reply(world, ctx)?;
    let reply = world.replies[&reply_id].clone();
    let certificate = cloud_certificate(world, reply.account_id, &reply.certificate)?.clone();
    let force = ctx.query_bool("forceConfirmation")?.unwrap_or(false);
    let path = reply_path(world, &reply);
    let mut wire: SignInitResult = blank();
    wire.documents_to_sign = vec![link(ctx.url(&path), "reply")];
    // Receipts are signed at once unless the caller forces a confirmation.
    if reply.document_type.ends_with("-receipt") && !force {
        if let Some(stored) = world.replies.get_mut(&reply_id) {
            stored.signature = Some(cloud_signature(&certificate, reply_id));
        }
        wire.confirm_type = Some(vocab("none"));
        wire.links = vec![link(ctx.url(&path), "signed")];
        return Reply::ok(&wire);
    }
    // Signing two answers of one docflow at once is refused.
    if let Some(busy) = world.confirmations.values().find(|c| {
        c.state == "pending"
            && matches!(c.target, SigningTarget::Reply(other) if other != reply_id
                && world.replies.get(&other).is_some_and(|other| other.docflow_id == reply.docflow_id))
    }) {
        let what = format!("an answer of docflow {}", reply.docflow_id);
        return Err(concurrent_task(&what, busy.request_id.clone(), REPLY_SIGN_TASK.to_owned()));
    }
    let request_id = start_confirmation(world, ctx, reply.account_id, SigningTarget::Reply(reply_id));
    // The signing is the reply's task too: polled by the same id.
    wire.task_id = Uuid::parse_str(&request_id).ok();
    wire.request_id = Some(request_id.clone());
    wire.confirm_type = Some(vocab("sms"));
    wire.links = vec![link(ctx.url(&format!("{path}/cloud-sign-confirm?requestId={request_id}")), "sign-confirm")];
    Reply::ok(&wire)
}

pub fn confirm_cloud_sign_reply(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let reply_id = reply(world, ctx)?.id;
    confirm(world, ctx, &SigningTarget::Reply(reply_id))?;
    let reply = world.replies[&reply_id].clone();
    let certificate = cloud_certificate(world, reply.account_id, &reply.certificate)?.clone();
    if let Some(stored) = world.replies.get_mut(&reply_id) {
        stored.signature = Some(cloud_signature(&certificate, reply_id));
    }
    let path = reply_path(world, &reply);
    let mut wire: SignConfirmResult = blank();
    wire.signed_documents = vec![link(ctx.url(&path), "reply")];
    wire.links = vec![link(ctx.url(&format!("{path}/send")), "send")];
    Reply::ok(&wire)
}

/// A reply's task: its cloud signing, polled by the signing request's id; running while the SMS
/// code is awaited, then succeeded (confirmed) or failed (expired, or too many wrong codes).
pub fn get_reply_task(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let reply_id = reply(world, ctx)?.id;
    let task_id = ctx.id("apiTaskId", "task")?;
    let signing = world
        .confirmations
        .get(&task_id.to_string())
        .filter(|c| c.target == SigningTarget::Reply(reply_id))
        .ok_or_else(|| ApiFailure::not_found("task", &task_id.to_string()))?;
    let mut wire: ApiTask = with_id(task_id);
    wire.task_type = Some(vocab(REPLY_SIGN_TASK));
    wire.task_state = Some(vocab(match signing.state.as_str() {
        "pending" => "running",
        "confirmed" => "succeed",
        _ => "failed",
    }));
    Reply::ok(&wire)
}

pub fn decrypt_document_content(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index) = document(world, ctx)?;
    let (account_id, docflow_id, document_id) = (docflow.account_id, docflow.id, docflow.documents[index].id);
    let request: DecryptContentRequest = ctx.json()?;
    let certificate = base64::engine::general_purpose::STANDARD
        .decode(request.certificate_base64.as_bytes())
        .map_err(|_| ApiFailure::bad_request("certificate-base64 is not base64"))?;
    cloud_certificate(world, account_id, &certificate)?;
    // Decrypting two documents of one docflow at once is refused.
    if let Some(busy) = world.confirmations.values().find(|c| {
        c.state == "pending"
            && matches!(c.target, SigningTarget::Decryption { docflow_id: d, document_id: other } if d == docflow_id && other != document_id)
    }) {
        return Err(ApiFailure::conflict(
            "urn:error:externapi:concurrentApiTaskActive",
            format!("another document of docflow {docflow_id} is being decrypted"),
        )
        .with_context(
            "concurrent-task",
            serde_json::json!({ "id": busy.request_id, "task-type": "urn:task-type:initDocumentDecryptionOperation" }),
        ));
    }
    let request_id = start_confirmation(world, ctx, account_id, SigningTarget::Decryption { docflow_id, document_id });
    let path = format!("{}/documents/{document_id}", docflow_path(&world.docflows[&docflow_id]));
    let mut wire: DecryptionInitResult = blank();
    wire.request_id = Some(request_id.clone());
    wire.confirm_type = Some(vocab("sms"));
    wire.confirm_link =
        Some(link(ctx.url(&format!("{path}/confirm-content-decryption?requestId={request_id}")), "confirm"));
    Reply::ok(&wire)
}

pub fn confirm_document_decryption(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index) = document(world, ctx)?;
    let (account_id, docflow_id, document) = (docflow.account_id, docflow.id, docflow.documents[index].clone());
    ctx.query_bool("unzip")?;
    confirm(world, ctx, &SigningTarget::Decryption { docflow_id, document_id: document.id })?;
    // Sandbox documents are stored in the clear and uncompressed, so `unzip` changes nothing.
    let bytes = document
        .content_id
        .and_then(|id| world.content_bytes(id))
        .ok_or_else(|| ApiFailure::not_found("content of document", &document.id.to_string()))?;
    let mut wire: DecryptionConfirmResult = blank();
    wire.content_id = Some(world.store_content(account_id, bytes));
    Reply::ok(&wire)
}

/// Test tools: the SMS code of a signing request.
pub fn get_confirmation_code(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let request_id = ctx.query("requestId").ok_or_else(|| ApiFailure::bad_request("requestId is required"))?;
    let confirmation =
        world.confirmations.get(request_id).ok_or_else(|| ApiFailure::not_found("signing request", request_id))?;
    Ok(Reply::Text(StatusCode::OK, confirmation.code.clone()))
}
