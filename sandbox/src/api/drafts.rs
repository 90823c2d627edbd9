//! Drafts: meta, documents, signatures, and the check / prepare / send tasks.

use axum::http::StatusCode;
use base64::Engine;
use kontur_extern::raw::types::{
    ApiTask, ApiTaskPage, ApiTaskPageItem, Draft, DraftDocument, DraftDocumentContent, DraftDocumentRequest, DraftMeta,
    DraftsPage, Signature, SignatureRequest,
};
use uuid::Uuid;

use super::accounts::{base64_text, paging};
use super::{Ctx, Reply, account};
use crate::error::{ApiFailure, ApiResult};
use crate::model::{DraftDocumentRecord, DraftRecord, SignatureRecord, TaskAction, TaskOwner, TaskRecord, World};
use crate::wire::{blank, link, vocab, with_id};

pub fn draft_path(account_id: Uuid, draft_id: Uuid) -> String {
    format!("/v1/{account_id}/drafts/{draft_id}")
}

fn draft_wire(ctx: &Ctx, draft: &DraftRecord) -> Draft {
    let path = draft_path(draft.account_id, draft.id);
    let mut wire: Draft = with_id(draft.id);
    wire.status = Some(vocab(&draft.status));
    wire.meta = Some(draft.meta.clone());
    wire.docflow_id = draft.docflow_id;
    wire.documents =
        draft.documents.iter().map(|doc| link(ctx.url(&format!("{path}/documents/{}", doc.id)), "document")).collect();
    wire.docflows = draft
        .docflow_id
        .map(|id| vec![link(ctx.url(&format!("/v1/{}/docflows/{id}", draft.account_id)), "docflow")])
        .unwrap_or_default();
    wire.links = vec![
        link(ctx.url(&path), "self"),
        link(ctx.url(&format!("{path}/documents")), "documents"),
        link(ctx.url(&format!("{path}/check?deferred=true")), "check"),
        link(ctx.url(&format!("{path}/prepare?deferred=true")), "prepare"),
        link(ctx.url(&format!("{path}/send?deferred=true")), "send"),
        link(ctx.url(&format!("{path}/cloud-sign")), "cloud-sign"),
    ];
    wire
}

pub fn signature_wire(href_base: String, signature: &SignatureRecord) -> Signature {
    let mut wire: Signature = with_id(signature.id);
    let href = format!("{href_base}/signatures/{}", signature.id);
    wire.content_link = Some(link(format!("{href}/content"), "content"));
    wire.links = vec![link(href, "self")];
    wire.signature_certificate_thumbprint = signature.thumbprint.clone();
    wire.signer_type = Some(vocab(&signature.signer_type));
    wire.title = Some(signature.title.clone());
    wire
}

fn document_wire(ctx: &Ctx, draft: &DraftRecord, document: &DraftDocumentRecord) -> DraftDocument {
    let href = ctx.url(&format!("{}/documents/{}", draft_path(draft.account_id, draft.id), document.id));
    let mut wire: DraftDocument = with_id(document.id);
    wire.contents = document
        .content_id
        .map(|content_id| {
            vec![DraftDocumentContent { content_id: Some(content_id), encrypted: Some(false), ..blank() }]
        })
        .unwrap_or_default();
    wire.description = document.description.clone();
    wire.decrypted_content_link = Some(link(format!("{href}/decrypted-content"), "decrypted-content"));
    wire.signatures = document.signatures.iter().map(|signature| signature_wire(href.clone(), signature)).collect();
    wire
}

/// The draft named by the path, of the path's account.
pub fn draft<'w>(world: &'w World, ctx: &Ctx) -> ApiResult<&'w DraftRecord> {
    let account_id = account(world, ctx)?.id;
    let id = ctx.id("draftId", "draft")?;
    world
        .drafts
        .get(&id)
        .filter(|draft| draft.account_id == account_id)
        .ok_or_else(|| ApiFailure::not_found("draft", &id.to_string()))
}

/// The draft, if it may still change: not sent, not held by a task.
pub fn changeable_draft(world: &World, ctx: &Ctx) -> ApiResult<Uuid> {
    let draft = draft(world, ctx)?;
    if draft.docflow_id.is_some() {
        return Err(ApiFailure::conflict(
            "urn:error:externapi:draftAlreadySent",
            format!("draft {} is sent already", draft.id),
        ));
    }
    world.ensure_draft_unlocked(draft.id)?;
    Ok(draft.id)
}

fn draft_mut(world: &mut World, id: Uuid) -> ApiResult<&mut DraftRecord> {
    world.drafts.get_mut(&id).ok_or_else(|| ApiFailure::not_found("draft", &id.to_string()))
}

fn validate_meta(meta: &DraftMeta) -> ApiResult<()> {
    let sender = meta.sender.as_ref().ok_or_else(|| ApiFailure::bad_request("sender is required"))?;
    if sender.inn.as_deref().is_none_or(|inn| inn.trim().is_empty()) {
        return Err(ApiFailure::bad_request("sender.inn is required"));
    }
    Ok(())
}

pub fn list_drafts(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let (skip, take) = paging(ctx, 100, 1000)?;
    let mut drafts: Vec<&DraftRecord> = world.drafts.values().filter(|draft| draft.account_id == account_id).collect();
    drafts.sort_by_key(|draft| draft.id);
    let mut page: DraftsPage = blank();
    page.skip = Some(skip as i64);
    page.take = Some(take as i32);
    page.total_count = Some(drafts.len() as i64);
    page.drafts = drafts.iter().skip(skip).take(take).map(|draft| draft_wire(ctx, draft)).collect();
    Reply::ok(&page)
}

pub fn create_draft(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let meta: DraftMeta = ctx.json()?;
    validate_meta(&meta)?;
    let id = world.insert_draft(account_id, meta);
    Reply::with_status(StatusCode::CREATED, &draft_wire(ctx, &world.drafts[&id]))
}

pub fn get_draft(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    Reply::ok(&draft_wire(ctx, draft(world, ctx)?))
}

pub fn update_draft(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = changeable_draft(world, ctx)?;
    let meta: DraftMeta = ctx.json()?;
    validate_meta(&meta)?;
    let draft = draft_mut(world, id)?;
    draft.meta = meta;
    draft.status = "new".to_owned();
    Reply::ok(&draft_wire(ctx, draft))
}

pub fn delete_draft(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = draft(world, ctx)?.id;
    world.ensure_draft_unlocked(id)?;
    world.drafts.remove(&id);
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}

pub fn get_draft_meta(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    Reply::ok(&draft(world, ctx)?.meta)
}

pub fn update_draft_meta(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = changeable_draft(world, ctx)?;
    let meta: DraftMeta = ctx.json()?;
    validate_meta(&meta)?;
    let draft = draft_mut(world, id)?;
    draft.meta = meta;
    draft.status = "new".to_owned();
    Reply::ok(&draft.meta)
}

/// The content a document request names: an uploaded content of the account, or inline base64.
fn document_content(world: &mut World, account_id: Uuid, request: &DraftDocumentRequest) -> ApiResult<Option<Uuid>> {
    Ok(match (request.content_id, &request.base64_content) {
        (Some(content_id), _) => Some(uploaded_content(world, account_id, content_id)?),
        (None, Some(base64)) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(base64.as_bytes())
                .map_err(|_| ApiFailure::bad_request("base64-content is not base64"))?;
            Some(world.store_content(account_id, bytes))
        }
        (None, None) => None,
    })
}

/// A content uploaded completely to the account's content service (400 otherwise: the id comes
/// from the request body).
pub fn uploaded_content(world: &World, account_id: Uuid, content_id: Uuid) -> ApiResult<Uuid> {
    let known = world.contents.get(&content_id).is_some_and(|content| content.account_id == account_id);
    if !known {
        return Err(ApiFailure::bad_request(format!("content {content_id} is not in this account's content service")));
    }
    if world.content_bytes(content_id).is_none() {
        return Err(ApiFailure::bad_request(format!("content {content_id} is not fully uploaded")));
    }
    Ok(content_id)
}

pub fn create_draft_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = changeable_draft(world, ctx)?;
    let account_id = account(world, ctx)?.id;
    let request: DraftDocumentRequest = ctx.json()?;
    let content_id = document_content(world, account_id, &request)?;
    let document = DraftDocumentRecord {
        id: Uuid::new_v4(),
        content_id,
        description: request.description,
        signatures: Vec::new(),
    };
    let draft = draft_mut(world, id)?;
    draft.documents.push(document);
    draft.status = "new".to_owned();
    let draft = &world.drafts[&id];
    let wire = document_wire(ctx, draft, draft.documents.last().expect("just pushed"));
    Reply::with_status(StatusCode::CREATED, &wire)
}

fn document_index(world: &World, ctx: &Ctx) -> ApiResult<(Uuid, usize)> {
    let draft = draft(world, ctx)?;
    let document_id = ctx.id("documentId", "document")?;
    let index = draft
        .documents
        .iter()
        .position(|doc| doc.id == document_id)
        .ok_or_else(|| ApiFailure::not_found("document", &document_id.to_string()))?;
    Ok((draft.id, index))
}

pub fn update_draft_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = changeable_draft(world, ctx)?;
    let account_id = account(world, ctx)?.id;
    let (_, index) = document_index(world, ctx)?;
    let request: DraftDocumentRequest = ctx.json()?;
    let content_id = document_content(world, account_id, &request)?;
    let draft = draft_mut(world, id)?;
    let document = &mut draft.documents[index];
    if content_id.is_some() && content_id != document.content_id {
        // New content: the old signatures no longer fit.
        document.content_id = content_id;
        document.signatures.clear();
    }
    if request.description.is_some() {
        document.description = request.description;
    }
    draft.status = "new".to_owned();
    let draft = &world.drafts[&id];
    Reply::ok(&document_wire(ctx, draft, &draft.documents[index]))
}

pub fn print_draft_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    ctx.require_deferred()?;
    let (draft_id, index) = document_index(world, ctx)?;
    let draft = &world.drafts[&draft_id];
    let document_id = draft.documents[index].id;
    let owner = TaskOwner::DraftDocument { draft_id, document_id };
    let task_id = world.start_task(draft.account_id, owner, TaskAction::PrintDraftDocument, ctx.now);
    Reply::with_status(StatusCode::ACCEPTED, &task_wire(ctx, world, &world.tasks[&task_id]))
}

pub fn get_draft_document_task(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (draft_id, index) = document_index(world, ctx)?;
    let owner = TaskOwner::DraftDocument { draft_id, document_id: world.drafts[&draft_id].documents[index].id };
    let task_id = ctx.id("apiTaskId", "task")?;
    let task = world
        .tasks
        .get(&task_id)
        .filter(|task| task.owner == owner)
        .ok_or_else(|| ApiFailure::not_found("task", &task_id.to_string()))?;
    Reply::ok(&task_wire(ctx, world, task))
}

pub fn get_draft_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (draft_id, index) = document_index(world, ctx)?;
    let draft = &world.drafts[&draft_id];
    Reply::ok(&document_wire(ctx, draft, &draft.documents[index]))
}

pub fn delete_draft_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    changeable_draft(world, ctx)?;
    let (draft_id, index) = document_index(world, ctx)?;
    draft_mut(world, draft_id)?.documents.remove(index);
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}

pub fn get_draft_document_decrypted_content(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (draft_id, index) = document_index(world, ctx)?;
    let document = &world.drafts[&draft_id].documents[index];
    let bytes = document
        .content_id
        .and_then(|id| world.content_bytes(id))
        .ok_or_else(|| ApiFailure::not_found("content of document", &document.id.to_string()))?;
    Reply::ok(&base64_text(&bytes))
}

pub fn create_draft_document_signature(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = changeable_draft(world, ctx)?;
    let (_, index) = document_index(world, ctx)?;
    let request: SignatureRequest = ctx.json()?;
    let content = decode_signature(request)?;
    let signature = SignatureRecord {
        id: Uuid::new_v4(),
        content,
        thumbprint: None,
        signer_type: "organization-representative".to_owned(),
        title: "Подпись налогоплательщика".to_owned(),
    };
    let draft = draft_mut(world, id)?;
    draft.documents[index].signatures.push(signature.clone());
    draft.status = "new".to_owned();
    let href = ctx.url(&format!("{}/documents/{}", draft_path(draft.account_id, id), draft.documents[index].id));
    Reply::with_status(StatusCode::CREATED, &signature_wire(href, &signature))
}

fn decode_signature(request: SignatureRequest) -> ApiResult<Vec<u8>> {
    let base64 = request.base64_content.ok_or_else(|| ApiFailure::bad_request("base64-content is required"))?;
    signature_bytes(&base64, "base64-content")
}

/// The bytes of a base64 signature sent in `field` (400 when not base64 or empty).
pub fn signature_bytes(base64: &str, field: &str) -> ApiResult<Vec<u8>> {
    let content = base64::engine::general_purpose::STANDARD
        .decode(base64.as_bytes())
        .map_err(|_| ApiFailure::bad_request(format!("{field} is not base64")))?;
    if content.is_empty() {
        return Err(ApiFailure::bad_request("the signature is empty"));
    }
    Ok(content)
}

fn signature_index(world: &World, ctx: &Ctx) -> ApiResult<(Uuid, usize, usize)> {
    let (draft_id, index) = document_index(world, ctx)?;
    let signature_id = ctx.id("signatureId", "signature")?;
    let position = world.drafts[&draft_id].documents[index]
        .signatures
        .iter()
        .position(|signature| signature.id == signature_id)
        .ok_or_else(|| ApiFailure::not_found("signature", &signature_id.to_string()))?;
    Ok((draft_id, index, position))
}

pub fn update_draft_document_signature(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    changeable_draft(world, ctx)?;
    let (draft_id, index, position) = signature_index(world, ctx)?;
    let request: SignatureRequest = ctx.json()?;
    let content = decode_signature(request)?;
    let draft = draft_mut(world, draft_id)?;
    let signature = &mut draft.documents[index].signatures[position];
    signature.content = content;
    let signature = signature.clone();
    let href = ctx.url(&format!("{}/documents/{}", draft_path(draft.account_id, draft_id), draft.documents[index].id));
    Reply::ok(&signature_wire(href, &signature))
}

pub fn delete_draft_document_signature(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    changeable_draft(world, ctx)?;
    let (draft_id, index, position) = signature_index(world, ctx)?;
    draft_mut(world, draft_id)?.documents[index].signatures.remove(position);
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}

pub fn get_draft_document_signature(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (draft_id, index, position) = signature_index(world, ctx)?;
    let draft = &world.drafts[&draft_id];
    let document = &draft.documents[index];
    let href = ctx.url(&format!("{}/documents/{}", draft_path(draft.account_id, draft_id), document.id));
    Reply::ok(&signature_wire(href, &document.signatures[position]))
}

pub fn get_draft_document_signature_content(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (draft_id, index, position) = signature_index(world, ctx)?;
    Reply::ok(&base64_text(&world.drafts[&draft_id].documents[index].signatures[position].content))
}

fn start(world: &mut World, ctx: &Ctx, action: TaskAction) -> ApiResult<Reply> {
    ctx.require_deferred()?;
    let id = changeable_draft(world, ctx)?;
    let account_id = account(world, ctx)?.id;
    let task_id = world.start_task(account_id, TaskOwner::Draft(id), action, ctx.now);
    Reply::with_status(StatusCode::ACCEPTED, &task_wire(ctx, world, &world.tasks[&task_id]))
}

pub fn check_draft(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    start(world, ctx, TaskAction::Check)
}

pub fn prepare_draft(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    start(world, ctx, TaskAction::Prepare)
}

pub fn send_draft(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let force = ctx.query_bool("force")?.unwrap_or(false);
    start(world, ctx, TaskAction::Send { force })
}

/// A task as the API answers it; a finished send carries the whole docflow.
pub fn task_wire(ctx: &Ctx, world: &World, task: &TaskRecord) -> ApiTask {
    let mut wire: ApiTask = with_id(task.id);
    wire.task_state = Some(vocab(&task.state));
    wire.task_type = Some(vocab(&task.task_type));
    wire.task_result = task.result.clone().map(|result| {
        let docflow = result
            .get("docflow-id")
            .and_then(|id| id.as_str())
            .and_then(|id| Uuid::parse_str(id).ok())
            .and_then(|id| world.docflows.get(&id));
        match (task.action, docflow) {
            (TaskAction::Send { .. }, Some(docflow)) => crate::wire::json(&super::docflows::docflow_wire(ctx, docflow)),
            // A prepared draft points at its next step.
            (TaskAction::Prepare, _) if result["status"] == "ok" => {
                let mut result = result;
                if let TaskOwner::Draft(draft_id) = task.owner {
                    let send = ctx.url(&format!("{}/send?deferred=true", draft_path(task.account_id, draft_id)));
                    result["links"] = crate::wire::json(&vec![link(send, "next")]);
                }
                result
            }
            _ => result,
        }
    });
    wire
}

pub fn list_draft_tasks(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let draft = draft(world, ctx)?;
    let (skip, take) = paging(ctx, 100, 1000)?;
    let include_released = ctx.query_bool("includeReleased")?.unwrap_or(false);
    let tasks: Vec<&TaskRecord> = draft
        .task_ids
        .iter()
        .filter_map(|id| world.tasks.get(id))
        .filter(|task| include_released || task.state == "running")
        .collect();
    let items = tasks
        .iter()
        .skip(skip)
        .take(take)
        .map(|task| {
            let mut item: ApiTaskPageItem = with_id(task.id);
            item.task_state = Some(vocab(&task.state));
            item.task_type = Some(vocab(&task.task_type));
            item.task_result_link =
                Some(link(ctx.url(&format!("{}/tasks/{}", draft_path(draft.account_id, draft.id), task.id)), "task"));
            item
        })
        .collect();
    let mut page: ApiTaskPage = blank();
    page.api_task_page_items = items;
    page.skip = Some(skip as i64);
    page.take = Some(take as i64);
    page.total_count = Some(tasks.len() as i64);
    Reply::ok(&page)
}

pub fn get_draft_task(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let draft_id = draft(world, ctx)?.id;
    let task_id = ctx.id("apiTaskId", "task")?;
    let task = world
        .tasks
        .get(&task_id)
        .filter(|task| task.owner == TaskOwner::Draft(draft_id))
        .ok_or_else(|| ApiFailure::not_found("task", &task_id.to_string()))?;
    Reply::ok(&task_wire(ctx, world, task))
}
