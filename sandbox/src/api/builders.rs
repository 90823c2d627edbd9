//! Drafts builders: meta, documents, files with their contents and signatures, the build task that
//! turns every document into a draft, and the prepare task that lists the documents it would
//! refuse. A builder may change until it is built: a running task holds it (409
//! concurrentApiTaskActive) and a built one is frozen (409).

use axum::http::StatusCode;
use kontur_extern::raw::types::{
    DraftsBuilder, DraftsBuilderDocument, DraftsBuilderDocumentFile, DraftsBuilderDocumentFileMeta,
    DraftsBuilderDocumentFileRequest, DraftsBuilderDocumentMeta, DraftsBuilderMeta,
};
use uuid::Uuid;

use super::accounts::base64_text;
use super::drafts::{signature_bytes, task_wire, uploaded_content};
use super::{Ctx, Reply, account};
use crate::error::{ApiFailure, ApiResult};
use crate::model::{
    DraftsBuilderDocumentRecord, DraftsBuilderFileRecord, DraftsBuilderRecord, SignatureRecord, TaskAction, TaskOwner,
    World,
};
use crate::wire::{link, vocab, with_id};

fn builder_path(account_id: Uuid, builder_id: Uuid) -> String {
    format!("/v1/{account_id}/drafts/builders/{builder_id}")
}

fn builder_wire(builder: &DraftsBuilderRecord) -> DraftsBuilder {
    let mut wire: DraftsBuilder = with_id(builder.id);
    wire.status = Some(vocab(&builder.status));
    wire.meta = Some(builder.meta.clone());
    wire
}

/// A document's meta as answered: what the client sent, with the builder's type added.
fn document_meta_wire(
    builder: &DraftsBuilderRecord,
    document: &DraftsBuilderDocumentRecord,
) -> DraftsBuilderDocumentMeta {
    DraftsBuilderDocumentMeta { builder_type: builder.meta.builder_type.clone(), ..document.meta.clone() }
}

fn document_wire(builder: &DraftsBuilderRecord, document: &DraftsBuilderDocumentRecord) -> DraftsBuilderDocument {
    let mut wire: DraftsBuilderDocument = with_id(document.id);
    wire.drafts_builder_id = Some(builder.id);
    wire.meta = Some(document_meta_wire(builder, document));
    wire
}

/// A file's meta as answered: what the client sent, with the builder's type added.
fn file_meta_wire(builder: &DraftsBuilderRecord, file: &DraftsBuilderFileRecord) -> DraftsBuilderDocumentFileMeta {
    DraftsBuilderDocumentFileMeta { builder_type: builder.meta.builder_type.clone(), ..file.meta.clone() }
}

fn file_wire(
    ctx: &Ctx,
    builder: &DraftsBuilderRecord,
    document: &DraftsBuilderDocumentRecord,
    file: &DraftsBuilderFileRecord,
) -> DraftsBuilderDocumentFile {
    let href = ctx.url(&format!(
        "{}/documents/{}/files/{}",
        builder_path(builder.account_id, builder.id),
        document.id,
        file.id
    ));
    let mut wire: DraftsBuilderDocumentFile = with_id(file.id);
    wire.drafts_builder_id = Some(builder.id);
    wire.drafts_builder_document_id = Some(document.id);
    wire.content_id = Some(file.content_id);
    wire.content_link =
        Some(link(ctx.url(&format!("/v1/{}/contents/{}", builder.account_id, file.content_id)), "content"));
    wire.signature_content_link = file.signature.as_ref().map(|_| link(format!("{href}/signature"), "signature"));
    wire.meta = Some(file_meta_wire(builder, file));
    wire
}

/// The builder named by the path, of the path's account.
fn builder<'w>(world: &'w World, ctx: &Ctx) -> ApiResult<&'w DraftsBuilderRecord> {
    let account_id = account(world, ctx)?.id;
    let id = ctx.id("draftsBuilderId", "drafts builder")?;
    world
        .drafts_builders
        .get(&id)
        .filter(|builder| builder.account_id == account_id)
        .ok_or_else(|| ApiFailure::not_found("drafts builder", &id.to_string()))
}

fn builder_mut(world: &mut World, id: Uuid) -> ApiResult<&mut DraftsBuilderRecord> {
    world.drafts_builders.get_mut(&id).ok_or_else(|| ApiFailure::not_found("drafts builder", &id.to_string()))
}

/// 409 when the builder may no longer change: a task holds it, or it is built already (the API
/// documents no error id for the latter, so the sandbox names its own).
fn ensure_changeable(world: &World, builder: &DraftsBuilderRecord) -> ApiResult<()> {
    world.ensure_builder_unlocked(builder.id)?;
    if builder.status == "finished" {
        return Err(ApiFailure::conflict(
            "urn:error:sandbox:draftsBuilderFinished",
            format!("drafts builder {} is built already; make a new one", builder.id),
        ));
    }
    Ok(())
}

/// The builder named by the path, if it may still change.
fn changeable_builder(world: &World, ctx: &Ctx) -> ApiResult<Uuid> {
    let builder = builder(world, ctx)?;
    ensure_changeable(world, builder)?;
    Ok(builder.id)
}

/// What every builder needs to become drafts: a type and a sender.
fn validate_meta(meta: &DraftsBuilderMeta) -> ApiResult<()> {
    if meta.builder_type.as_ref().is_none_or(|builder_type| builder_type.to_string().trim().is_empty()) {
        return Err(ApiFailure::bad_request("builder-type is required"));
    }
    let sender = meta.sender.as_ref().ok_or_else(|| ApiFailure::bad_request("sender is required"))?;
    if sender.inn.as_deref().is_none_or(|inn| inn.trim().is_empty()) {
        return Err(ApiFailure::bad_request("sender.inn is required"));
    }
    Ok(())
}

fn new_builder(id: Uuid, account_id: Uuid, meta: DraftsBuilderMeta) -> DraftsBuilderRecord {
    DraftsBuilderRecord { id, account_id, meta, status: "new".to_owned(), documents: Vec::new(), task_ids: Vec::new() }
}

pub fn create_drafts_builder(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let meta: DraftsBuilderMeta = ctx.json()?;
    validate_meta(&meta)?;
    let record = new_builder(Uuid::new_v4(), account_id, meta);
    let wire = builder_wire(&record);
    world.drafts_builders.insert(record.id, record);
    Reply::with_status(StatusCode::CREATED, &wire)
}

pub fn get_drafts_builder(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    Reply::ok(&builder_wire(builder(world, ctx)?))
}

/// Replaces the meta, or creates the builder under the path's id when there is none (201).
pub fn update_drafts_builder(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let id = ctx.id("draftsBuilderId", "drafts builder")?;
    let meta: DraftsBuilderMeta = ctx.json()?;
    validate_meta(&meta)?;
    match world.drafts_builders.get(&id) {
        None => {
            let record = new_builder(id, account_id, meta);
            let wire = builder_wire(&record);
            world.drafts_builders.insert(id, record);
            Reply::with_status(StatusCode::CREATED, &wire)
        }
        Some(existing) if existing.account_id != account_id => {
            Err(ApiFailure::not_found("drafts builder", &id.to_string()))
        }
        Some(existing) => {
            ensure_changeable(world, existing)?;
            let builder = builder_mut(world, id)?;
            builder.meta = meta;
            Reply::ok(&builder_wire(builder))
        }
    }
}

/// Deletes the builder with its documents and files; the drafts it built stay.
pub fn delete_drafts_builder(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = builder(world, ctx)?.id;
    world.ensure_builder_unlocked(id)?;
    world.drafts_builders.remove(&id);
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}

pub fn get_drafts_builder_meta(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    Reply::ok(&builder(world, ctx)?.meta)
}

pub fn update_drafts_builder_meta(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = changeable_builder(world, ctx)?;
    let meta: DraftsBuilderMeta = ctx.json()?;
    validate_meta(&meta)?;
    let builder = builder_mut(world, id)?;
    builder.meta = meta;
    Reply::ok(&builder.meta)
}

pub fn list_drafts_builder_documents(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let builder = builder(world, ctx)?;
    let documents: Vec<DraftsBuilderDocument> =
        builder.documents.iter().map(|document| document_wire(builder, document)).collect();
    Reply::ok(&documents)
}

/// A document's meta as sent: only `builder-data` is the client's to set.
fn document_meta(ctx: &Ctx) -> ApiResult<DraftsBuilderDocumentMeta> {
    let meta: DraftsBuilderDocumentMeta = ctx.json()?;
    Ok(DraftsBuilderDocumentMeta { builder_type: None, ..meta })
}

pub fn create_drafts_builder_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = changeable_builder(world, ctx)?;
    let meta = document_meta(ctx)?;
    let builder = builder_mut(world, id)?;
    builder.documents.push(DraftsBuilderDocumentRecord { id: Uuid::new_v4(), meta, files: Vec::new() });
    let builder = &world.drafts_builders[&id];
    let document = builder.documents.last().expect("just pushed");
    Reply::with_status(StatusCode::CREATED, &document_wire(builder, document))
}

fn document_index(world: &World, ctx: &Ctx) -> ApiResult<(Uuid, usize)> {
    let builder = builder(world, ctx)?;
    let document_id = ctx.id("documentId", "drafts builder document")?;
    let index = builder
        .documents
        .iter()
        .position(|document| document.id == document_id)
        .ok_or_else(|| ApiFailure::not_found("drafts builder document", &document_id.to_string()))?;
    Ok((builder.id, index))
}

pub fn get_drafts_builder_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (builder_id, index) = document_index(world, ctx)?;
    let builder = &world.drafts_builders[&builder_id];
    Reply::ok(&document_wire(builder, &builder.documents[index]))
}

/// Replaces the document's meta (its files stay), or creates the document under the path's id
/// when the builder has none (201).
pub fn update_drafts_builder_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = changeable_builder(world, ctx)?;
    let document_id = ctx.id("documentId", "drafts builder document")?;
    let meta = document_meta(ctx)?;
    let builder = builder_mut(world, id)?;
    let (index, status) = match builder.documents.iter().position(|document| document.id == document_id) {
        Some(index) => {
            builder.documents[index].meta = meta;
            (index, StatusCode::OK)
        }
        None => {
            builder.documents.push(DraftsBuilderDocumentRecord { id: document_id, meta, files: Vec::new() });
            (builder.documents.len() - 1, StatusCode::CREATED)
        }
    };
    let builder = &world.drafts_builders[&id];
    Reply::with_status(status, &document_wire(builder, &builder.documents[index]))
}

/// Deletes the document with its files.
pub fn delete_drafts_builder_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    changeable_builder(world, ctx)?;
    let (builder_id, index) = document_index(world, ctx)?;
    builder_mut(world, builder_id)?.documents.remove(index);
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}

pub fn get_drafts_builder_document_meta(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (builder_id, index) = document_index(world, ctx)?;
    let builder = &world.drafts_builders[&builder_id];
    Reply::ok(&document_meta_wire(builder, &builder.documents[index]))
}

pub fn update_drafts_builder_document_meta(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    changeable_builder(world, ctx)?;
    let (builder_id, index) = document_index(world, ctx)?;
    let meta = document_meta(ctx)?;
    let builder = builder_mut(world, builder_id)?;
    builder.documents[index].meta = meta;
    let builder = &world.drafts_builders[&builder_id];
    Reply::ok(&document_meta_wire(builder, &builder.documents[index]))
}

pub fn list_drafts_builder_document_files(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (builder_id, index) = document_index(world, ctx)?;
    let builder = &world.drafts_builders[&builder_id];
    let document = &builder.documents[index];
    let files: Vec<DraftsBuilderDocumentFile> =
        document.files.iter().map(|file| file_wire(ctx, builder, document, file)).collect();
    Reply::ok(&files)
}

/// A file's meta as sent: it must name the file; `builder-type` is the builder's, not the client's.
fn file_meta(meta: Option<DraftsBuilderDocumentFileMeta>) -> ApiResult<DraftsBuilderDocumentFileMeta> {
    let meta = meta.ok_or_else(|| ApiFailure::bad_request("meta with file-name is required"))?;
    if meta.file_name.as_deref().is_none_or(|name| name.trim().is_empty()) {
        return Err(ApiFailure::bad_request("meta.file-name is required"));
    }
    Ok(DraftsBuilderDocumentFileMeta { builder_type: None, ..meta })
}

/// The file a request describes, under `id`: a complete content of the account, a named meta, and
/// the signature when one is sent.
fn file_from_request(world: &World, ctx: &Ctx, account_id: Uuid, id: Uuid) -> ApiResult<DraftsBuilderFileRecord> {
    let request: DraftsBuilderDocumentFileRequest = ctx.json()?;
    let content_id = request.content_id.ok_or_else(|| ApiFailure::bad_request("content-id is required"))?;
    let content_id = uploaded_content(world, account_id, content_id)?;
    let meta = file_meta(request.meta)?;
    let signature = match &request.base64_signature_content {
        None => None,
        Some(base64) => Some(SignatureRecord {
            id: Uuid::new_v4(),
            content: signature_bytes(base64, "base64-signature-content")?,
            thumbprint: None,
            signer_type: "organization-representative".to_owned(),
            title: "Подпись налогоплательщика".to_owned(),
        }),
    };
    Ok(DraftsBuilderFileRecord { id, content_id, meta, signature })
}

pub fn create_drafts_builder_document_file(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    changeable_builder(world, ctx)?;
    let (builder_id, index) = document_index(world, ctx)?;
    let account_id = world.drafts_builders[&builder_id].account_id;
    let file = file_from_request(world, ctx, account_id, Uuid::new_v4())?;
    builder_mut(world, builder_id)?.documents[index].files.push(file);
    let builder = &world.drafts_builders[&builder_id];
    let document = &builder.documents[index];
    let file = document.files.last().expect("just pushed");
    Reply::with_status(StatusCode::CREATED, &file_wire(ctx, builder, document, file))
}

fn file_index(world: &World, ctx: &Ctx) -> ApiResult<(Uuid, usize, usize)> {
    let (builder_id, index) = document_index(world, ctx)?;
    let file_id = ctx.id("fileId", "drafts builder file")?;
    let position = world.drafts_builders[&builder_id].documents[index]
        .files
        .iter()
        .position(|file| file.id == file_id)
        .ok_or_else(|| ApiFailure::not_found("drafts builder file", &file_id.to_string()))?;
    Ok((builder_id, index, position))
}

/// Generates a file from a JSON contract (the form's data). The sandbox knows no forms: the file is
/// an XML carrying the contract as given, named after the new file's id.
pub fn generate_drafts_builder_document_file(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    changeable_builder(world, ctx)?;
    let (builder_id, index) = document_index(world, ctx)?;
    let version = ctx.query_number("version")?;
    if version.is_some_and(|version| version < 1) {
        return Err(ApiFailure::bad_request("version must be a positive number"));
    }
    let contract: serde_json::Value = ctx.json()?;
    if !contract.is_object() {
        return Err(ApiFailure::bad_request("the contract must be a JSON object"));
    }
    let file_id = Uuid::new_v4();
    let version = version.map(|version| version.to_string()).unwrap_or_else(|| "latest".to_owned());
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Файл ИдФайл=\"{file_id}\" ВерсКонтракта=\"{version}\">{}</Файл>\n",
        xml_text(&contract.to_string())
    );
    let account_id = world.drafts_builders[&builder_id].account_id;
    let content_id = world.store_content(account_id, xml.into_bytes());
    let meta = DraftsBuilderDocumentFileMeta { file_name: Some(format!("{file_id}.xml")), ..Default::default() };
    let file = DraftsBuilderFileRecord { id: file_id, content_id, meta, signature: None };
    builder_mut(world, builder_id)?.documents[index].files.push(file);
    let builder = &world.drafts_builders[&builder_id];
    let document = &builder.documents[index];
    let file = document.files.last().expect("just pushed");
    Reply::with_status(StatusCode::CREATED, &file_wire(ctx, builder, document, file))
}

/// Text safe inside an XML element.
fn xml_text(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

pub fn get_drafts_builder_document_file(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (builder_id, index, position) = file_index(world, ctx)?;
    let builder = &world.drafts_builders[&builder_id];
    let document = &builder.documents[index];
    Reply::ok(&file_wire(ctx, builder, document, &document.files[position]))
}

/// Replaces the file and its signature (none sent: none kept), or creates the file under the
/// path's id when the document has none (201).
pub fn update_drafts_builder_document_file(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    changeable_builder(world, ctx)?;
    let (builder_id, index) = document_index(world, ctx)?;
    let file_id = ctx.id("fileId", "drafts builder file")?;
    let account_id = world.drafts_builders[&builder_id].account_id;
    let file = file_from_request(world, ctx, account_id, file_id)?;
    let files = &mut builder_mut(world, builder_id)?.documents[index].files;
    let (position, status) = match files.iter().position(|existing| existing.id == file_id) {
        Some(position) => {
            files[position] = file;
            (position, StatusCode::OK)
        }
        None => {
            files.push(file);
            (files.len() - 1, StatusCode::CREATED)
        }
    };
    let builder = &world.drafts_builders[&builder_id];
    let document = &builder.documents[index];
    Reply::with_status(status, &file_wire(ctx, builder, document, &document.files[position]))
}

pub fn delete_drafts_builder_document_file(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    changeable_builder(world, ctx)?;
    let (builder_id, index, position) = file_index(world, ctx)?;
    builder_mut(world, builder_id)?.documents[index].files.remove(position);
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}

pub fn get_drafts_builder_document_file_content(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (builder_id, index, position) = file_index(world, ctx)?;
    let file = &world.drafts_builders[&builder_id].documents[index].files[position];
    let bytes = world
        .content_bytes(file.content_id)
        .ok_or_else(|| ApiFailure::not_found("content of drafts builder file", &file.id.to_string()))?;
    Reply::ok(&base64_text(&bytes))
}

pub fn get_drafts_builder_document_file_meta(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (builder_id, index, position) = file_index(world, ctx)?;
    let builder = &world.drafts_builders[&builder_id];
    Reply::ok(&file_meta_wire(builder, &builder.documents[index].files[position]))
}

pub fn update_drafts_builder_document_file_meta(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    changeable_builder(world, ctx)?;
    let (builder_id, index, position) = file_index(world, ctx)?;
    let meta = file_meta(Some(ctx.json()?))?;
    builder_mut(world, builder_id)?.documents[index].files[position].meta = meta;
    let builder = &world.drafts_builders[&builder_id];
    Reply::ok(&file_meta_wire(builder, &builder.documents[index].files[position]))
}

/// The file's signature as base64 (404 when the file has none).
pub fn get_drafts_builder_document_file_signature(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (builder_id, index, position) = file_index(world, ctx)?;
    let file = &world.drafts_builders[&builder_id].documents[index].files[position];
    let signature =
        file.signature.as_ref().ok_or_else(|| ApiFailure::not_found("signature of file", &file.id.to_string()))?;
    Reply::ok(&base64_text(&signature.content))
}

/// Starts the build; an empty builder has nothing to build (400).
pub fn build_drafts(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    ctx.require_deferred()?;
    let id = changeable_builder(world, ctx)?;
    let builder = &world.drafts_builders[&id];
    if builder.documents.is_empty() {
        return Err(ApiFailure::bad_request(format!("drafts builder {id} has no documents to build")));
    }
    let task_id = world.start_task(builder.account_id, TaskOwner::DraftsBuilder(id), TaskAction::BuildDrafts, ctx.now);
    Reply::with_status(StatusCode::ACCEPTED, &task_wire(ctx, world, &world.tasks[&task_id]))
}

/// Starts preparing the documents; the task lists those the build would refuse.
pub fn prepare_drafts_builder_documents(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    ctx.require_deferred()?;
    let id = changeable_builder(world, ctx)?;
    let account_id = world.drafts_builders[&id].account_id;
    let owner = TaskOwner::DraftsBuilder(id);
    let task_id = world.start_task(account_id, owner, TaskAction::PrepareBuilderDocuments, ctx.now);
    Reply::with_status(StatusCode::ACCEPTED, &task_wire(ctx, world, &world.tasks[&task_id]))
}

pub fn get_drafts_builder_task(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let builder_id = builder(world, ctx)?.id;
    let task_id = ctx.id("apiTaskId", "task")?;
    let task = world
        .tasks
        .get(&task_id)
        .filter(|task| task.owner == TaskOwner::DraftsBuilder(builder_id))
        .ok_or_else(|| ApiFailure::not_found("task", &task_id.to_string()))?;
    Reply::ok(&task_wire(ctx, world, task))
}
