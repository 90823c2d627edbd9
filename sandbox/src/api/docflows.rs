//! Docflows: search, documents, signatures, contents and printing.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use kontur_extern::raw::types::{
    DemandAssignee, DemandAssigneeList, DemandAssignees, Docflow, DocflowDescription, DocflowDocumentContent,
    DocflowDocumentDescription, DocflowPage, DocflowPageItem, DocflowRequisites, Document, DocumentContent,
    DocumentRequisites, Link, PatchOperation, PrintDocumentRequest, SaveDecryptedContentRequest,
    SaveDecryptedContentResult,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::accounts::{base64_text, paging};
use super::drafts::{signature_wire, task_wire, uploaded_content};
use super::{Ctx, Reply, account};
use crate::error::{ApiFailure, ApiResult};
use crate::model::{DocflowDocumentRecord, DocflowRecord, RelatedDocument, TaskAction, TaskOwner, World};
use crate::wire::{blank, date, link, moscow_date, named_link, vocab, with_id};

/// Where a docflow lives: under its account, or an inventory under the document it is attached to.
pub fn docflow_path(docflow: &DocflowRecord) -> String {
    match docflow.inventory_of {
        Some(related) => format!(
            "/v1/{}/docflows/{}/documents/{}/inventories/{}",
            docflow.account_id, related.docflow_id, related.document_id, docflow.id
        ),
        None => format!("/v1/{}/docflows/{}", docflow.account_id, docflow.id),
    }
}

fn docflow_links(ctx: &Ctx, docflow: &DocflowRecord) -> Vec<Link> {
    let mut links = vec![link(ctx.url(&docflow_path(docflow)), "self")];
    if let Some(org) = docflow.organization_id {
        links.push(link(ctx.url(&format!("/v1/{}/organizations/{org}", docflow.account_id)), "organization"));
    }
    links.extend(reply_links(ctx, docflow));
    links
}

/// One `reply` link per regulator document still waiting for the taxpayer's answer.
fn reply_links(ctx: &Ctx, docflow: &DocflowRecord) -> Vec<Link> {
    docflow.documents.iter().filter_map(|doc| reply_link(ctx, docflow, doc)).collect()
}

/// The `reply` link of a document waiting for the taxpayer's answer: SFR answers are generated
/// by their own operation.
fn reply_link(ctx: &Ctx, docflow: &DocflowRecord, document: &DocflowDocumentRecord) -> Option<Link> {
    let reply_type = document.reply_due.as_ref().filter(|_| !document.reply_sent)?;
    let short = reply_type.trim_start_matches("urn:document:");
    let generate = if is_sfr(docflow) { "pfr-generate-reply" } else { "generate-reply" };
    let href = format!("{}/{generate}?documentType={short}", document_href(ctx, docflow, document));
    Some(named_link(href, "reply", reply_type))
}

/// A docflow with the SFR, whose answers are PFR replies.
pub fn is_sfr(docflow: &DocflowRecord) -> bool {
    docflow.docflow_type == "urn:docflow:sfr-report"
}

fn description_wire(docflow: &DocflowRecord) -> DocflowDescription {
    let mut description: DocflowDescription = blank();
    description.original_draft_id = docflow.draft_id;
    description.recipient = Some(docflow.recipient.clone());
    description.final_recipient = Some(docflow.recipient.clone());
    description.payer_inn = Some(docflow.inn.clone());
    description.requisites = requisites_wire(&docflow.requisites);
    description
}

/// Stored requisites as their wire type; none until the client changes one.
fn requisites_wire<T: DeserializeOwned>(requisites: &Map<String, Value>) -> Option<T> {
    if requisites.is_empty() { None } else { serde_json::from_value(Value::Object(requisites.clone())).ok() }
}

fn document_href(ctx: &Ctx, docflow: &DocflowRecord, document: &DocflowDocumentRecord) -> String {
    ctx.url(&format!("{}/documents/{}", docflow_path(docflow), document.id))
}

fn document_description(document: &DocflowDocumentRecord) -> DocflowDocumentDescription {
    let mut description: DocflowDocumentDescription = blank();
    description.type_ = Some(vocab(&document.document_type));
    description.filename = Some(document.filename.clone());
    description.content_type = Some(document.content_type.clone());
    description.decrypted_content_size = Some(document.size as i64);
    description.compressed = Some(false);
    description.support_recognition = Some(false);
    description.support_print = Some(vocab("yes"));
    description.requisites = requisites_wire(&document.requisites);
    description
}

fn document_wire(ctx: &Ctx, docflow: &DocflowRecord, document: &DocflowDocumentRecord) -> Document {
    let href = document_href(ctx, docflow, document);
    let mut wire: Document = with_id(document.id);
    wire.description = Some(document_description(document));
    let mut content: DocumentContent = blank();
    content.decrypted = Some(link(format!("{href}/decrypted-content"), "decrypted-content"));
    content.docflow_document_contents = document
        .content_id
        .map(|content_id| {
            vec![DocflowDocumentContent {
                content_id: Some(content_id),
                encrypted: Some(false),
                compressed: Some(false),
                compression_type: Some(vocab("none")),
                ..blank()
            }]
        })
        .unwrap_or_default();
    wire.content = Some(content);
    wire.send_date = Some(date(document.send_date));
    wire.signatures = document.signatures.iter().map(|signature| signature_wire(href.clone(), signature)).collect();
    let mut links = vec![link(href.clone(), "self"), link(format!("{href}/decrypted-content"), "decrypted-content")];
    links.extend(reply_link(ctx, docflow, document));
    wire.links = links;
    wire
}

/// A docflow as the API answers it.
pub fn docflow_wire(ctx: &Ctx, docflow: &DocflowRecord) -> Docflow {
    let mut wire: Docflow = with_id(docflow.id);
    wire.type_ = Some(vocab(&docflow.docflow_type));
    wire.status = Some(vocab(&docflow.status));
    wire.success_state = Some(vocab(&docflow.success_state));
    wire.organization_id = docflow.organization_id;
    wire.send_date = Some(moscow_date(docflow.send_date));
    wire.last_change_date = Some(date(docflow.last_change));
    wire.description = Some(Box::new(description_wire(docflow)));
    wire.documents = docflow.documents.iter().map(|doc| document_wire(ctx, docflow, doc)).collect();
    wire.links = docflow_links(ctx, docflow);
    wire
}

fn page_item(ctx: &Ctx, docflow: &DocflowRecord) -> DocflowPageItem {
    let mut item: DocflowPageItem = with_id(docflow.id);
    item.type_ = Some(vocab(&docflow.docflow_type));
    item.status = Some(vocab(&docflow.status));
    item.success_state = Some(vocab(&docflow.success_state));
    item.organization_id = docflow.organization_id;
    item.send_date = Some(moscow_date(docflow.send_date));
    item.last_change_date = Some(date(docflow.last_change));
    item.description = Some(Box::new(description_wire(docflow)));
    item.links = docflow_links(ctx, docflow);
    item
}

fn query_date(ctx: &Ctx, name: &str) -> ApiResult<Option<DateTime<Utc>>> {
    let Some(text) = ctx.query(name) else {
        return Ok(None);
    };
    let parsed = DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .or_else(|_| {
            // Offset-less dates are Moscow time, as the API writes them.
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map(|day| day.and_hms_opt(0, 0, 0).unwrap_or_default())
                })
                .map(|local| local.and_utc() - chrono::Duration::hours(3))
        })
        .map_err(|_| ApiFailure::bad_request(format!("{name} {text:?} is not an ISO 8601 date")))?;
    Ok(Some(parsed))
}

pub fn search_docflows(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let bounds = paging(ctx, 100, 1000)?;
    let finished = ctx.query_bool("finished")?;
    let incoming = ctx.query_bool("incoming")?;
    let org_id = match ctx.query("orgId") {
        Some(text) => Some(Uuid::parse_str(text).map_err(|_| ApiFailure::bad_request("orgId is not an id"))?),
        None => None,
    };
    let inn_kpp = ctx.query("innKpp");
    let types: Vec<String> = ctx
        .query_all("type")
        .into_iter()
        .map(|short| if short.starts_with("urn:") { short.to_owned() } else { format!("urn:docflow:{short}") })
        .collect();
    let success_states: Vec<String> = ctx
        .query_all("successState")
        .into_iter()
        .map(|short| if short.starts_with("urn:") { short.to_owned() } else { format!("urn:docflow-state:{short}") })
        .collect();
    let (created_from, created_to) = (query_date(ctx, "createdFrom")?, query_date(ctx, "createdTo")?);
    let (updated_from, updated_to) = (query_date(ctx, "updatedFrom")?, query_date(ctx, "updatedTo")?);
    let descending = match ctx.query("orderBy") {
        None | Some("descending") => true,
        Some("ascending") => false,
        Some(other) => {
            return Err(ApiFailure::bad_request(format!("orderBy must be ascending or descending, not {other:?}")));
        }
    };
    let mut matching: Vec<&DocflowRecord> = world
        .docflows
        .values()
        .filter(|docflow| docflow.account_id == account_id && docflow.inventory_of.is_none())
        .filter(|docflow| {
            finished.is_none_or(|finished| (docflow.status == "urn:docflow-common-status:finished") == finished)
        })
        // Docflows started by the taxpayer are outgoing; the sandbox has no incoming ones yet.
        .filter(|_| incoming != Some(true))
        .filter(|docflow| org_id.is_none_or(|org| docflow.organization_id == Some(org)))
        .filter(|docflow| {
            inn_kpp.is_none_or(|inn_kpp| {
                let own = format!("{}-{}", docflow.inn, docflow.kpp.clone().unwrap_or_default());
                inn_kpp == docflow.inn || inn_kpp == own || inn_kpp.replace('-', "") == own.replace('-', "")
            })
        })
        .filter(|docflow| types.is_empty() || types.contains(&docflow.docflow_type))
        .filter(|docflow| success_states.is_empty() || success_states.contains(&docflow.success_state))
        .filter(|docflow| created_from.is_none_or(|from| docflow.send_date >= from))
        .filter(|docflow| created_to.is_none_or(|to| docflow.send_date <= to))
        .filter(|docflow| updated_from.is_none_or(|from| docflow.last_change >= from))
        .filter(|docflow| updated_to.is_none_or(|to| docflow.last_change <= to))
        .collect();
    matching.sort_by_key(|docflow| (docflow.send_date, docflow.id));
    if descending {
        matching.reverse();
    }
    docflow_page(ctx, bounds, matching)
}

/// The docflow named by the path, of the path's account: the inventory when the path names one
/// (inventory routes share the docflow operations' handlers), else the docflow.
pub fn docflow<'w>(world: &'w World, ctx: &Ctx) -> ApiResult<&'w DocflowRecord> {
    if ctx.params.contains_key("inventoryId") {
        let related = related_document(world, ctx)?;
        let id = ctx.id("inventoryId", "inventory")?;
        return world
            .docflows
            .get(&id)
            .filter(|inventory| inventory.inventory_of == Some(related))
            .ok_or_else(|| ApiFailure::not_found("inventory", &id.to_string()));
    }
    let account_id = account(world, ctx)?.id;
    let id = ctx.id("docflowId", "docflow")?;
    world
        .docflows
        .get(&id)
        .filter(|docflow| docflow.account_id == account_id && docflow.inventory_of.is_none())
        .ok_or_else(|| ApiFailure::not_found("docflow", &id.to_string()))
}

/// The document named by `relatedDocflowId` and `relatedDocumentId`, of the path's account.
pub fn related_document(world: &World, ctx: &Ctx) -> ApiResult<RelatedDocument> {
    let account_id = account(world, ctx)?.id;
    let docflow_id = ctx.id("relatedDocflowId", "docflow")?;
    let document_id = ctx.id("relatedDocumentId", "document")?;
    let docflow = world
        .docflows
        .get(&docflow_id)
        .filter(|docflow| docflow.account_id == account_id && docflow.inventory_of.is_none())
        .ok_or_else(|| ApiFailure::not_found("docflow", &docflow_id.to_string()))?;
    if !docflow.documents.iter().any(|doc| doc.id == document_id) {
        return Err(ApiFailure::not_found("document", &document_id.to_string()));
    }
    Ok(RelatedDocument { docflow_id, document_id })
}

/// The docflow and the index of the document named by the path.
pub fn document<'w>(world: &'w World, ctx: &Ctx) -> ApiResult<(&'w DocflowRecord, usize)> {
    let docflow = docflow(world, ctx)?;
    let id = ctx.id("documentId", "document")?;
    let index = docflow
        .documents
        .iter()
        .position(|doc| doc.id == id)
        .ok_or_else(|| ApiFailure::not_found("document", &id.to_string()))?;
    Ok((docflow, index))
}

pub fn get_docflow(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    Reply::ok(&docflow_wire(ctx, docflow(world, ctx)?))
}

pub fn list_docflow_documents(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let docflow = docflow(world, ctx)?;
    let documents: Vec<Document> = docflow.documents.iter().map(|doc| document_wire(ctx, docflow, doc)).collect();
    Reply::ok(&documents)
}

pub fn get_docflow_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index) = document(world, ctx)?;
    Reply::ok(&document_wire(ctx, docflow, &docflow.documents[index]))
}

pub fn get_docflow_document_description(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index) = document(world, ctx)?;
    Reply::ok(&document_description(&docflow.documents[index]))
}

/// The bytes of one of the document's contents, as base64 text (404 when it has none).
fn content_reply(world: &World, document: &DocflowDocumentRecord, content_id: Option<Uuid>) -> ApiResult<Reply> {
    let bytes = content_id
        .and_then(|id| world.content_bytes(id))
        .ok_or_else(|| ApiFailure::not_found("content of document", &document.id.to_string()))?;
    Reply::ok(&base64_text(&bytes))
}

/// The decrypted content the taxpayer saved, or else the document's own content.
pub fn get_document_decrypted_content(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index) = document(world, ctx)?;
    let document = &docflow.documents[index];
    content_reply(world, document, document.decrypted_content_id.or(document.content_id))
}

/// The sandbox does no cryptography: the encrypted content is the document's content as the
/// docflow holds it, whatever decrypted content was saved beside it.
pub fn get_document_encrypted_content(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index) = document(world, ctx)?;
    let document = &docflow.documents[index];
    content_reply(world, document, document.content_id)
}

/// Stores an uploaded content as the decrypted content of a document encrypted for the taxpayer:
/// a regulator's document, or any document of an inventory. The taxpayer's own documents of a
/// docflow have nothing to decrypt (409).
pub fn save_document_decrypted_content(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index) = document(world, ctx)?;
    let (account_id, docflow_id, document) = (docflow.account_id, docflow.id, &docflow.documents[index]);
    let href = document_href(ctx, docflow, document);
    if !document.incoming && docflow.inventory_of.is_none() {
        return Err(ApiFailure::conflict(
            "urn:error:sandbox:documentNotIncoming",
            format!("document {} is the taxpayer's own: only the regulator's documents are decrypted", document.id),
        ));
    }
    let document_id = document.id;
    let request: SaveDecryptedContentRequest = ctx.json()?;
    let content_id = uploaded_content(world, account_id, request.content_id)?;
    let stored = world
        .docflows
        .get_mut(&docflow_id)
        .and_then(|docflow| docflow.documents.iter_mut().find(|doc| doc.id == document_id))
        .ok_or_else(|| ApiFailure::not_found("document", &document_id.to_string()))?;
    stored.decrypted_content_id = Some(content_id);
    let mut result: SaveDecryptedContentResult = blank();
    result.content_id = Some(content_id);
    result.links = vec![link(format!("{href}/decrypted-content"), "decrypted-content")];
    Reply::ok(&result)
}

/// The users who may be made responsible for demands: every user of the sandbox, whose full
/// name is written family name first. The wire shape is not documented; the sandbox wraps the
/// list (`{"assignees": [...]}`).
pub fn list_demand_assignees(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    account(world, ctx)?;
    let assignees = world
        .identity
        .users
        .iter()
        .map(|user| {
            let mut names = user.name.split_whitespace().map(str::to_owned);
            let mut wire: DemandAssignee = with_id(user.id);
            wire.email = Some(user.login.clone());
            wire.last_name = names.next();
            wire.first_name = names.next();
            wire.middle_name = names.next();
            wire
        })
        .collect();
    Reply::ok(&DemandAssignees::DemandAssigneeList(DemandAssigneeList { assignees, ..blank() }))
}

pub fn list_docflow_document_signatures(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index) = document(world, ctx)?;
    let document = &docflow.documents[index];
    let href = document_href(ctx, docflow, document);
    let signatures: Vec<_> =
        document.signatures.iter().map(|signature| signature_wire(href.clone(), signature)).collect();
    Reply::ok(&signatures)
}

fn signature<'w>(world: &'w World, ctx: &Ctx) -> ApiResult<(&'w DocflowRecord, usize, usize)> {
    let (docflow, index) = document(world, ctx)?;
    let id = ctx.id("signatureId", "signature")?;
    let position = docflow.documents[index]
        .signatures
        .iter()
        .position(|signature| signature.id == id)
        .ok_or_else(|| ApiFailure::not_found("signature", &id.to_string()))?;
    Ok((docflow, index, position))
}

pub fn get_docflow_document_signature(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index, position) = signature(world, ctx)?;
    let document = &docflow.documents[index];
    Reply::ok(&signature_wire(document_href(ctx, docflow, document), &document.signatures[position]))
}

pub fn get_docflow_document_signature_content(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index, position) = signature(world, ctx)?;
    Reply::ok(&base64_text(&docflow.documents[index].signatures[position].content))
}

pub fn print_docflow_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    ctx.require_deferred()?;
    let _request: PrintDocumentRequest = ctx.json_or_default()?;
    let (docflow, index) = document(world, ctx)?;
    let owner = TaskOwner::DocflowDocument { docflow_id: docflow.id, document_id: docflow.documents[index].id };
    let account_id = docflow.account_id;
    let task_id = world.start_task(account_id, owner, TaskAction::PrintDocflowDocument, ctx.now);
    Reply::with_status(StatusCode::ACCEPTED, &task_wire(ctx, world, &world.tasks[&task_id]))
}

pub fn get_docflow_document_task(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index) = document(world, ctx)?;
    let owner = TaskOwner::DocflowDocument { docflow_id: docflow.id, document_id: docflow.documents[index].id };
    let task_id = ctx.id("apiTaskId", "task")?;
    let task = world
        .tasks
        .get(&task_id)
        .filter(|task| task.owner == owner)
        .ok_or_else(|| ApiFailure::not_found("task", &task_id.to_string()))?;
    Reply::ok(&task_wire(ctx, world, task))
}

/// The sandbox's docflows answer no other docflow yet: an empty page for a known document.
pub fn list_related_docflows(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    related_document(world, ctx)?;
    docflow_page(ctx, paging(ctx, 100, 1000)?, Vec::new())
}

/// The inventories attached to a document, oldest first.
pub fn list_inventories(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let related = related_document(world, ctx)?;
    let mut inventories: Vec<&DocflowRecord> =
        world.docflows.values().filter(|docflow| docflow.inventory_of == Some(related)).collect();
    inventories.sort_by_key(|inventory| (inventory.send_date, inventory.id));
    docflow_page(ctx, paging(ctx, 100, 1000)?, inventories)
}

/// The page `(skip, take)` of `docflows`.
fn docflow_page(ctx: &Ctx, (skip, take): (usize, usize), docflows: Vec<&DocflowRecord>) -> ApiResult<Reply> {
    let mut page: DocflowPage = blank();
    page.skip = Some(skip as i64);
    page.take = Some(take as i64);
    page.total_count = Some(docflows.len() as i64);
    page.docflows_page_item = docflows.iter().skip(skip).take(take).map(|docflow| page_item(ctx, docflow)).collect();
    Reply::ok(&page)
}

/// Where patch operations write: one whole requisite, `/description/requisites/{field}`.
const REQUISITES_PATH: &str = "/description/requisites/";

/// Requisites a client may change on a docflow.
const DOCFLOW_REQUISITES: &[&str] = &["comment"];

/// Requisites a client may change on a docflow document; those of [`DEMAND_REQUISITES`] only on
/// a demand.
const DOCUMENT_REQUISITES: &[&str] =
    &["comment", "labels", "demand-number", "demand-date", "demand-status", "assignees"];

/// Requisites that only a demand has.
const DEMAND_REQUISITES: &[&str] = &["demand-number", "demand-date", "demand-status", "assignees"];

/// Applies the request's patch operations in order to a copy of `requisites` and checks the
/// result has the shape of the wire type `T`: all of them or none. A requisite outside
/// `editable` is 400; one of `inapplicable` is 409 (the object's kind does not have it).
fn patched_requisites<T: DeserializeOwned>(
    ctx: &Ctx,
    requisites: &Map<String, Value>,
    editable: &[&str],
    inapplicable: &[&str],
) -> ApiResult<Map<String, Value>> {
    let operations: Vec<PatchOperation> = ctx.json()?;
    let mut patched = requisites.clone();
    for operation in operations {
        let path = operation.path.as_str();
        let field = path.strip_prefix(REQUISITES_PATH).filter(|field| !field.is_empty() && !field.contains('/'));
        let field =
            field.ok_or_else(|| ApiFailure::bad_request(format!("path {path:?} is not {REQUISITES_PATH}FIELD")))?;
        if inapplicable.contains(&field) {
            return Err(ApiFailure::conflict(
                "urn:error:sandbox:requisiteNotApplicable",
                format!("only a demand has the requisite {field}"),
            ));
        }
        if !editable.contains(&field) {
            return Err(ApiFailure::bad_request(format!(
                "requisite {field} cannot be changed; these can: {}",
                editable.join(", ")
            )));
        }
        match (operation.op.as_str(), operation.value) {
            ("add" | "replace", Some(value)) => {
                patched.insert(field.to_owned(), value);
            }
            // Removing a requisite that is not set leaves it unset, as a repeated request would.
            ("remove", _) => {
                patched.remove(field);
            }
            ("add" | "replace", None) => return Err(ApiFailure::bad_request(format!("{path} needs a value"))),
            (other, _) => {
                return Err(ApiFailure::bad_request(format!("op must be add, replace or remove, not {other:?}")));
            }
        }
    }
    serde_json::from_value::<T>(Value::Object(patched.clone()))
        .map_err(|err| ApiFailure::bad_request(format!("the requisites would not be valid: {err}")))?;
    Ok(patched)
}

/// Changes the docflow's requisites (its comment).
pub fn patch_docflow(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let docflow = docflow(world, ctx)?;
    let id = docflow.id;
    let patched = patched_requisites::<DocflowRequisites>(ctx, &docflow.requisites, DOCFLOW_REQUISITES, &[])?;
    if let Some(docflow) = world.docflows.get_mut(&id) {
        docflow.requisites = patched;
    }
    Reply::ok(&docflow_wire(ctx, &world.docflows[&id]))
}

/// Changes a document's requisites: comment and labels on any document, the demand's own
/// (number, date, status, assignees) on a demand only (409 elsewhere).
pub fn patch_docflow_document(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (docflow, index) = document(world, ctx)?;
    let document = &docflow.documents[index];
    let inapplicable =
        if document.document_type.starts_with("urn:document:fns534-demand") { &[] } else { DEMAND_REQUISITES };
    let patched =
        patched_requisites::<DocumentRequisites>(ctx, &document.requisites, DOCUMENT_REQUISITES, inapplicable)?;
    let docflow_id = docflow.id;
    if let Some(document) = world.docflows.get_mut(&docflow_id).and_then(|docflow| docflow.documents.get_mut(index)) {
        document.requisites = patched;
    }
    let docflow = &world.docflows[&docflow_id];
    Reply::ok(&document_wire(ctx, docflow, &docflow.documents[index]))
}
