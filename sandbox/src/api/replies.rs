//! Replies to regulator documents: generate-reply → signature → send.

use axum::http::StatusCode;
use kontur_extern::raw::types::{GenerateReplyRequest, ReplyDocument};
use uuid::Uuid;

use super::docflows::{docflow_path, docflow_wire, document};
use super::{Ctx, Reply, account};
use crate::error::{ApiFailure, ApiResult};
use crate::model::{DocflowDocumentRecord, ReplyRecord, SignatureRecord, World};
use crate::wire::{base64, link, with_id};

pub fn reply_path(world: &World, reply: &ReplyRecord) -> String {
    let docflow = world.docflows.get(&reply.docflow_id).map(docflow_path).unwrap_or_default();
    format!("{docflow}/documents/{}/replies/{}", reply.document_id, reply.id)
}

pub fn reply_wire(ctx: &Ctx, world: &World, reply: &ReplyRecord) -> ReplyDocument {
    let path = reply_path(world, reply);
    let mut wire: ReplyDocument = with_id(reply.id);
    wire.content = Some(base64(&reply.content));
    wire.data_to_sign = Some(base64(&reply.content));
    wire.docflow_id = Some(reply.docflow_id);
    wire.document_id = Some(reply.document_id);
    wire.filename = Some(format!("{}.xml", reply.document_type.trim_start_matches("urn:document:")));
    wire.signature = reply.signature.as_ref().map(|signature| base64(&signature.content));
    let docflow = world.docflows.get(&reply.docflow_id).map(docflow_path).unwrap_or_default();
    wire.links = vec![
        link(ctx.url(&path), "self"),
        link(ctx.url(&format!("{path}/signature")), "save-signature"),
        link(ctx.url(&format!("{path}/content")), "content"),
        link(ctx.url(&format!("{path}/send")), "send"),
        link(ctx.url(&docflow), "docflow"),
    ];
    wire
}

fn decode_base64(text: &str, what: &str) -> ApiResult<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| ApiFailure::bad_request(format!("{what} is not base64")))
}

pub fn generate_reply(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let (docflow, index) = document(world, ctx)?;
    let requested = ctx.query("documentType").ok_or_else(|| ApiFailure::bad_request("documentType is required"))?;
    let requested =
        if requested.starts_with("urn:") { requested.to_owned() } else { format!("urn:document:{requested}") };
    let target = &docflow.documents[index];
    if target.reply_due.as_deref() != Some(requested.as_str()) {
        return Err(ApiFailure::bad_request(format!("no reply of type {requested} is due on document {}", target.id)));
    }
    if target.reply_sent {
        return Err(ApiFailure::conflict(
            "urn:error:externapi:replyAlreadySent",
            format!("the reply to document {} is sent already", target.id),
        ));
    }
    let request: GenerateReplyRequest = ctx.json()?;
    let certificate = decode_base64(&request.certificate_base64, "certificate-base64")?;
    let id = Uuid::new_v4();
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Файл ИдФайл=\"{id}\" Тип=\"{requested}\" Документ=\"{}\" Документооборот=\"{}\"/>\n",
        target.id, docflow.id
    )
    .into_bytes();
    let reply = ReplyRecord {
        id,
        account_id,
        docflow_id: docflow.id,
        document_id: target.id,
        document_type: requested,
        content,
        certificate,
        signature: None,
        sent: false,
    };
    let wire = reply_wire(ctx, world, &reply);
    world.replies.insert(id, reply);
    Reply::with_status(StatusCode::CREATED, &wire)
}

/// The reply named by the path, under its docflow and document.
pub fn reply<'w>(world: &'w World, ctx: &Ctx) -> ApiResult<&'w ReplyRecord> {
    let (docflow, index) = document(world, ctx)?;
    let document_id = docflow.documents[index].id;
    let id = ctx.id("replyId", "reply")?;
    world
        .replies
        .get(&id)
        .filter(|reply| reply.docflow_id == docflow.id && reply.document_id == document_id)
        .ok_or_else(|| ApiFailure::not_found("reply", &id.to_string()))
}

/// The reply, if it is not sent yet.
pub fn unsent_reply(world: &World, ctx: &Ctx) -> ApiResult<Uuid> {
    let reply = reply(world, ctx)?;
    if reply.sent {
        return Err(ApiFailure::conflict(
            "urn:error:externapi:replyAlreadySent",
            format!("reply {} is sent already", reply.id),
        ));
    }
    Ok(reply.id)
}

pub fn get_reply(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    Reply::ok(&reply_wire(ctx, world, reply(world, ctx)?))
}

pub fn put_reply_signature(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = unsent_reply(world, ctx)?;
    if ctx.body.is_empty() {
        return Err(ApiFailure::bad_request("the signature is empty"));
    }
    let signature = SignatureRecord {
        id: Uuid::new_v4(),
        content: ctx.body.to_vec(),
        thumbprint: None,
        signer_type: "organization-representative".to_owned(),
        title: "Подпись налогоплательщика".to_owned(),
    };
    if let Some(reply) = world.replies.get_mut(&id) {
        reply.signature = Some(signature);
    }
    Reply::ok(&reply_wire(ctx, world, &world.replies[&id]))
}

pub fn put_reply_content(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = unsent_reply(world, ctx)?;
    if ctx.body.is_empty() {
        return Err(ApiFailure::bad_request("the reply content is empty"));
    }
    if let Some(reply) = world.replies.get_mut(&id) {
        reply.content = ctx.body.to_vec();
        // A signature of the old content no longer fits.
        reply.signature = None;
    }
    Reply::ok(&reply_wire(ctx, world, &world.replies[&id]))
}

pub fn send_reply(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = unsent_reply(world, ctx)?;
    let reply = world.replies[&id].clone();
    let signature = reply.signature.clone().ok_or_else(|| {
        ApiFailure::bad_request(format!("reply {id} is not signed: put a signature or sign it in the cloud first"))
    })?;
    let docflow = world
        .docflows
        .get(&reply.docflow_id)
        .ok_or_else(|| ApiFailure::not_found("docflow", &reply.docflow_id.to_string()))?;
    if docflow.documents.iter().any(|doc| doc.id == reply.document_id && doc.reply_sent) {
        return Err(ApiFailure::conflict(
            "urn:error:externapi:replyAlreadySent",
            format!("a reply to document {} is sent already", reply.document_id),
        ));
    }
    let content_id = world.store_content(reply.account_id, reply.content.clone());
    let docflow = world.docflows.get_mut(&reply.docflow_id).ok_or_else(|| ApiFailure::not_found("docflow", ""))?;
    for doc in docflow.documents.iter_mut().filter(|doc| doc.id == reply.document_id) {
        doc.reply_sent = true;
    }
    docflow.documents.push(DocflowDocumentRecord {
        id: Uuid::new_v4(),
        document_type: reply.document_type.clone(),
        filename: format!("{}.xml", reply.document_type.trim_start_matches("urn:document:")),
        content_type: "application/xml".to_owned(),
        content_id: Some(content_id),
        size: reply.content.len() as u64,
        incoming: false,
        signatures: vec![signature],
        reply_due: None,
        reply_sent: false,
        send_date: ctx.now,
        decrypted_content_id: None,
        requisites: Default::default(),
    });
    if let Some(stored) = world.replies.get_mut(&id) {
        stored.sent = true;
    }
    world.after_reply_sent(reply.docflow_id, ctx.now);
    Reply::ok(&docflow_wire(ctx, &world.docflows[&reply.docflow_id]))
}
