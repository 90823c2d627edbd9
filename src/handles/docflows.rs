//! Docflows (`/v1/{accountId}/docflows/...`): search, documents, signatures, contents, print,
//! recognize, related docflows, inventories, replies, documents requests.

use crate::Error;
use crate::contents::{Download, Located};
use crate::handles::{Ctx, PfrReplyHandle, ReplyHandle, inline, with_options};
use crate::ids::{AccountId, ContentId, DocflowId, DocumentId, DocumentsRequestId, ReplyId, SignatureId, TaskId};
use crate::paging::{DocflowFilter, MAX_PAGE_SIZE, Page, Paged, apply_docflow_filter, wire};
use crate::raw::types;
use crate::tasks::{AnyTask, Print, Task, TaskLocation};

/// The docflows of an account. From [`AccountHandle::docflows`](crate::handles::AccountHandle::docflows).
///
/// ```no_run
/// # async fn demo(account: kontur_extern::handles::AccountHandle) -> Result<(), kontur_extern::Error> {
/// use futures::TryStreamExt;
/// use kontur_extern::paging::DocflowFilter;
/// let open: Vec<_> = account.docflows()
///     .search(DocflowFilter::new().docflow_type_name("fns534-demand").finished(false))
///     .try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Docflows {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
}

impl Docflows {
    pub(crate) fn new(ctx: Ctx, account: AccountId) -> Self {
        Self { ctx, account }
    }

    with_options!();

    /// The docflows that match `filter`, page by page (at most 1000 per request).
    pub fn search(&self, filter: DocflowFilter) -> Paged<types::DocflowPageItem> {
        let (ctx, account) = (self.ctx.clone(), self.account);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let ctx = ctx.clone();
            let filter = filter.clone();
            async move {
                let (skip, take) = wire(skip, take);
                let call = ctx.raw().search_docflows().account_id(account).skip(skip).take(take);
                let call = apply_docflow_filter!(call, &filter);
                let page = ctx.run(None, call.send()).await?;
                Ok(Page::new(page.docflows_page_item, page.total_count))
            }
        })
    }

    /// Who FNS demands of the account can be assigned to.
    pub async fn demand_assignees(&self) -> Result<types::DemandAssignees, Error> {
        self.ctx.run(None, self.ctx.raw().list_demand_assignees().account_id(self.account).send()).await
    }
}

/// One docflow. From [`AccountHandle::docflow`](crate::handles::AccountHandle::docflow).
///
/// ```no_run
/// # async fn demo(docflow: kontur_extern::handles::DocflowHandle, certificate: Vec<u8>)
/// # -> Result<(), kontur_extern::Error> {
/// use kontur_extern::handles::StartedReply;
/// let current = docflow.get().await?;
/// for awaited in current.awaited_replies() {
///     if let StartedReply::Reply(reply, generated) = docflow.start_reply(&awaited, &certificate).await? {
///         // sign `generated.content` (or `data_to_sign`), then:
///         reply.put_signature(b"detached CMS".to_vec()).await?;
///         reply.send(None).await?;
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DocflowHandle {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) id: DocflowId,
}

impl DocflowHandle {
    pub(crate) fn new(ctx: Ctx, account: AccountId, id: DocflowId) -> Self {
        Self { ctx, account, id }
    }

    with_options!();

    /// The docflow's id.
    pub fn id(&self) -> DocflowId {
        self.id
    }

    /// The account of the docflow.
    pub fn account_id(&self) -> AccountId {
        self.account
    }

    pub(crate) fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    /// Reads the docflow.
    pub async fn get(&self) -> Result<types::Docflow, Error> {
        self.ctx.run(None, self.ctx.raw().get_docflow().account_id(self.account).docflow_id(self.id).send()).await
    }

    /// Changes the docflow's requisites (JSON-Patch-like operations).
    pub async fn patch(&self, patch: types::PatchDocument) -> Result<types::Docflow, Error> {
        self.ctx
            .run(None, self.ctx.raw().patch_docflow().account_id(self.account).docflow_id(self.id).body(patch).send())
            .await
    }

    /// The documents of the docflow.
    pub async fn documents(&self) -> Result<Vec<types::Document>, Error> {
        self.ctx
            .run(None, self.ctx.raw().list_docflow_documents().account_id(self.account).docflow_id(self.id).send())
            .await
    }

    /// One document of the docflow.
    pub fn document(&self, id: DocumentId) -> DocflowDocumentHandle {
        DocflowDocumentHandle { ctx: self.ctx.clone(), account: self.account, docflow: self.id, id }
    }

    /// Checks an FNS demand: error codes and the reply to send.
    pub async fn check_demand(&self, request: types::CheckDemandRequest) -> Result<types::CheckDemandResult, Error> {
        self.ctx
            .run(None, self.ctx.raw().check_demand().account_id(self.account).docflow_id(self.id).body(request).send())
            .await
    }

    /// Generates a documents request (SEDO) signed with `certificate` (DER bytes).
    pub async fn generate_documents_request(
        &self,
        certificate: impl AsRef<[u8]>,
        warrant: Option<crate::ids::WarrantId>,
    ) -> Result<(DocumentsRequestHandle, types::DocumentsRequest), Error> {
        let body = types::GenerateDocumentsRequestRequest {
            certificate_base64: types::Base64Bytes::encode(certificate),
            machine_readable_warrant_id: warrant.map(|id| id.as_uuid()),
            extra: Default::default(),
        };
        let request = self
            .ctx
            .run(
                None,
                self.ctx
                    .raw()
                    .generate_documents_request()
                    .account_id(self.account)
                    .docflow_id(self.id)
                    .body(body)
                    .send(),
            )
            .await?;
        Ok((self.documents_request(request.documents_request_id()), request))
    }

    /// A documents request of the docflow.
    pub fn documents_request(&self, id: DocumentsRequestId) -> DocumentsRequestHandle {
        DocumentsRequestHandle { ctx: self.ctx.clone(), account: self.account, docflow: self.id, id }
    }
}

/// One document of a docflow. From [`DocflowHandle::document`].
///
/// ```no_run
/// # async fn demo(document: kontur_extern::handles::DocflowDocumentHandle) -> Result<(), Box<dyn std::error::Error>> {
/// let pdf = document.print(None).await?.wait().await?;
/// document.content(pdf).to_path("document.pdf").await?;
/// let bytes = document.decrypted_content().bytes().await?;
/// let saved = document.encrypted_content().on_progress(|p| println!("{} of {:?}", p.done, p.total))
///     .to_path("document.bin").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DocflowDocumentHandle {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) docflow: DocflowId,
    pub(crate) id: DocumentId,
}

impl DocflowDocumentHandle {
    with_options!();

    /// The document's id.
    pub fn id(&self) -> DocumentId {
        self.id
    }

    /// The docflow of the document.
    pub fn docflow_id(&self) -> DocflowId {
        self.docflow
    }

    /// The account of the document.
    pub fn account_id(&self) -> AccountId {
        self.account
    }

    /// Where this document's tasks (printing, decryption) are polled.
    pub fn task_location(&self) -> TaskLocation {
        TaskLocation::DocflowDocument { account_id: self.account, docflow_id: self.docflow, document_id: self.id }
    }

    /// Reads the document.
    pub async fn get(&self) -> Result<types::Document, Error> {
        let call = self
            .ctx
            .raw()
            .get_docflow_document()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.id);
        self.ctx.run(None, call.send()).await
    }

    /// Reads the document's description.
    pub async fn description(&self) -> Result<types::DocflowDocumentDescription, Error> {
        let call = self
            .ctx
            .raw()
            .get_docflow_document_description()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.id);
        self.ctx.run(None, call.send()).await
    }

    /// Changes the document's requisites (JSON-Patch-like operations).
    pub async fn patch(&self, patch: types::PatchDocument) -> Result<types::Document, Error> {
        let call = self
            .ctx
            .raw()
            .patch_docflow_document()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.id)
            .body(patch);
        self.ctx.run(None, call.send()).await
    }

    /// The document's signatures.
    pub async fn signatures(&self) -> Result<Vec<types::Signature>, Error> {
        let call = self
            .ctx
            .raw()
            .list_docflow_document_signatures()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.id);
        self.ctx.run(None, call.send()).await
    }

    /// One signature of the document.
    pub async fn signature(&self, id: SignatureId) -> Result<types::Signature, Error> {
        let call = self
            .ctx
            .raw()
            .get_docflow_document_signature()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.id)
            .signature_id(id);
        self.ctx.run(None, call.send()).await
    }

    /// The bytes of a signature (the API answers them as base64 in JSON: one request, handed
    /// over through the same [`Download`] as contents).
    pub fn signature_content(&self, id: SignatureId) -> Download {
        const OPERATION: &str = "get_docflow_document_signature_content";
        let this = self.clone();
        Download::lookup(self.ctx.contents(self.account), OPERATION, async move {
            let call = this
                .ctx
                .raw()
                .get_docflow_document_signature_content()
                .account_id(this.account)
                .docflow_id(this.docflow)
                .document_id(this.id)
                .signature_id(id);
            inline(this.ctx.run(None, call.send()).await?, OPERATION)
        })
    }

    /// The decrypted content (documents from the regulator once decrypted, or sent documents):
    /// the content the document lists as not encrypted, from the content service in `Range`
    /// chunks; when the document lists none, the deprecated `decrypted-content` answer (base64).
    /// Bytes are as stored: see the document's `compression-type`.
    pub fn decrypted_content(&self) -> Download {
        self.content_download(false, "get_document_decrypted_content")
    }

    /// The encrypted content as the regulator sent it: the content the document lists as
    /// encrypted, from the content service in `Range` chunks; when the document lists none, the
    /// deprecated `encrypted-content` answer (base64).
    pub fn encrypted_content(&self) -> Download {
        self.content_download(true, "get_document_encrypted_content")
    }

    fn content_download(&self, encrypted: bool, operation: &'static str) -> Download {
        let this = self.clone();
        Download::lookup(self.ctx.contents(self.account), operation, async move {
            if let Some(id) = this.get().await?.content_id(encrypted) {
                return Ok(Located::Content(id.as_uuid()));
            }
            let raw = this.ctx.raw();
            let answer = if encrypted {
                let call = raw.get_document_encrypted_content().account_id(this.account).docflow_id(this.docflow);
                this.ctx.run(None, call.document_id(this.id).send()).await?
            } else {
                let call = raw.get_document_decrypted_content().account_id(this.account).docflow_id(this.docflow);
                this.ctx.run(None, call.document_id(this.id).send()).await?
            };
            inline(answer, operation)
        })
    }

    /// A content of this document's account by id: the PDF a [`print`](Self::print) ended in,
    /// a decrypted content, the data to sign.
    pub fn content(&self, id: ContentId) -> Download {
        self.ctx.contents(self.account).download(id)
    }

    /// Saves a content decrypted elsewhere (uploaded to the content service) as the document's
    /// decrypted content.
    pub async fn save_decrypted_content(&self, content: ContentId) -> Result<types::SaveDecryptedContentResult, Error> {
        let body = types::SaveDecryptedContentRequest { content_id: content.as_uuid(), extra: Default::default() };
        let call = self
            .ctx
            .raw()
            .save_document_decrypted_content()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.id)
            .body(body);
        self.ctx.run(None, call.send()).await
    }

    /// Starts printing the document to PDF; `decrypted` is the decrypted content when the
    /// document arrived encrypted. The task ends in the PDF's content id.
    pub async fn print(&self, decrypted: Option<ContentId>) -> Result<Task<Print>, Error> {
        let body = types::PrintDocumentRequest { content_id: decrypted.map(|id| id.as_uuid()), ..Default::default() };
        let call = self
            .ctx
            .raw()
            .print_docflow_document()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.id)
            .deferred(true)
            .body(body);
        let task = self.ctx.run(None, call.send()).await?;
        Ok(Task::started(self.ctx.clone(), self.task_location(), task))
    }

    /// Reads the facts of an FNS demand from its decrypted content.
    pub async fn recognize(&self, decrypted: ContentId) -> Result<types::RecognizedMeta, Error> {
        let body = types::RecognizeRequest { content_id: decrypted.as_uuid(), extra: Default::default() };
        let call = self
            .ctx
            .raw()
            .recognize_document()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.id)
            .body(body);
        self.ctx.run(None, call.send()).await
    }

    /// A task of this document (a decryption with myDSS, a print started elsewhere), untyped.
    pub fn task(&self, id: TaskId) -> Task<AnyTask> {
        Task::attach(&self.ctx.client, id, self.task_location()).with_options(self.ctx.options.clone())
    }

    /// The docflows related to this document (answers to a demand, letters about a report),
    /// page by page.
    pub fn related(&self, filter: DocflowFilter) -> Paged<types::DocflowPageItem> {
        let (ctx, account, docflow, document) = (self.ctx.clone(), self.account, self.docflow, self.id);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let ctx = ctx.clone();
            let filter = filter.clone();
            async move {
                let (skip, take) = wire(skip, take);
                let call = ctx
                    .raw()
                    .list_related_docflows()
                    .account_id(account)
                    .related_docflow_id(docflow)
                    .related_document_id(document)
                    .skip(skip)
                    .take(take);
                let call = apply_docflow_filter!(call, &filter);
                let page = ctx.run(None, call.send()).await?;
                Ok(Page::new(page.docflows_page_item, page.total_count))
            }
        })
    }

    /// The inventories (FNS document inventories) sent about this document, page by page.
    pub fn inventories(&self, filter: DocflowFilter) -> Paged<types::DocflowPageItem> {
        let (ctx, account, docflow, document) = (self.ctx.clone(), self.account, self.docflow, self.id);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let ctx = ctx.clone();
            let filter = filter.clone();
            async move {
                let (skip, take) = wire(skip, take);
                let call = ctx
                    .raw()
                    .list_inventories()
                    .account_id(account)
                    .related_docflow_id(docflow)
                    .related_document_id(document)
                    .skip(skip)
                    .take(take);
                let call = apply_docflow_filter!(call, &filter);
                let page = ctx.run(None, call.send()).await?;
                Ok(Page::new(page.docflows_page_item, page.total_count))
            }
        })
    }

    /// One inventory of this document.
    pub fn inventory(&self, id: DocflowId) -> InventoryHandle {
        InventoryHandle { document: self.clone(), id }
    }

    /// Generates a reply of `document_type` (with or without the `urn:document:` prefix), for
    /// the signer's `certificate` (DER bytes).
    pub async fn generate_reply(
        &self,
        document_type: &str,
        certificate: impl AsRef<[u8]>,
    ) -> Result<(ReplyHandle, types::ReplyDocument), Error> {
        let body = types::GenerateReplyRequest {
            certificate_base64: types::Base64Bytes::encode(certificate),
            extra: Default::default(),
        };
        let call = self
            .ctx
            .raw()
            .generate_reply()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.id)
            .document_type(short_document_type(document_type))
            .body(body);
        let reply = self.ctx.run(None, call.send()).await?;
        Ok((self.reply(reply.reply_id()), reply))
    }

    /// A generated reply to this document.
    pub fn reply(&self, id: ReplyId) -> ReplyHandle {
        ReplyHandle::new(self.ctx.clone(), self.account, self.docflow, self.id, id)
    }

    /// Generates a PFR reply of `document_type` for the signer's `certificate` (DER bytes).
    pub async fn generate_pfr_reply(
        &self,
        document_type: &str,
        certificate: impl AsRef<[u8]>,
    ) -> Result<(PfrReplyHandle, types::PfrReply), Error> {
        let body = types::GenerateReplyRequest {
            certificate_base64: types::Base64Bytes::encode(certificate),
            extra: Default::default(),
        };
        let call = self
            .ctx
            .raw()
            .generate_pfr_reply()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.id)
            .document_type(short_document_type(document_type))
            .body(body);
        let reply = self.ctx.run(None, call.send()).await?;
        Ok((self.pfr_reply(reply.reply_id()), reply))
    }

    /// A generated PFR reply to this document.
    pub fn pfr_reply(&self, id: ReplyId) -> PfrReplyHandle {
        PfrReplyHandle::new(self.ctx.clone(), self.account, self.docflow, self.id, id)
    }
}

/// The document type as the `documentType` query wants it: without `urn:document:`.
pub(crate) fn short_document_type(document_type: &str) -> String {
    document_type.strip_prefix("urn:document:").unwrap_or(document_type).to_owned()
}

/// An inventory of a docflow document. From [`DocflowDocumentHandle::inventory`].
///
/// ```no_run
/// # async fn demo(inventory: kontur_extern::handles::InventoryHandle) -> Result<(), Box<dyn std::error::Error>> {
/// let docflow = inventory.get().await?;
/// for document in &docflow.documents {
///     let bytes = inventory.document(document.document_id()).decrypted_content().bytes().await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct InventoryHandle {
    pub(crate) document: DocflowDocumentHandle,
    pub(crate) id: DocflowId,
}

impl InventoryHandle {
    /// The inventory's id (an inventory is a docflow).
    pub fn id(&self) -> DocflowId {
        self.id
    }

    /// Reads the inventory.
    pub async fn get(&self) -> Result<types::Docflow, Error> {
        let d = &self.document;
        let call = d
            .ctx
            .raw()
            .get_inventory()
            .account_id(d.account)
            .related_docflow_id(d.docflow)
            .related_document_id(d.id)
            .inventory_id(self.id);
        d.ctx.run(None, call.send()).await
    }

    /// A document of the inventory.
    pub fn document(&self, id: DocumentId) -> InventoryDocumentHandle {
        InventoryDocumentHandle { inventory: self.clone(), id }
    }
}

/// A document of an inventory. From [`InventoryHandle::document`].
///
/// ```no_run
/// # async fn demo(document: kontur_extern::handles::InventoryDocumentHandle) -> Result<(), kontur_extern::Error> {
/// let pdf = document.print(None).await?.wait().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct InventoryDocumentHandle {
    pub(crate) inventory: InventoryHandle,
    pub(crate) id: DocumentId,
}

impl InventoryDocumentHandle {
    /// The document's id.
    pub fn id(&self) -> DocumentId {
        self.id
    }

    /// Where this document's tasks are polled.
    pub fn task_location(&self) -> TaskLocation {
        let d = &self.inventory.document;
        TaskLocation::InventoryDocument {
            account_id: d.account,
            docflow_id: d.docflow,
            document_id: d.id,
            inventory_id: self.inventory.id,
            inventory_document_id: self.id,
        }
    }

    /// The content the document lists in its inventory (`None`: not listed there).
    async fn listed_content_id(&self, encrypted: bool) -> Result<Option<ContentId>, Error> {
        let inventory = self.inventory.get().await?;
        let document = inventory.documents.iter().find(|document| document.id == self.id.as_uuid());
        Ok(document.and_then(|document| document.content_id(encrypted)))
    }

    /// The decrypted content: the content the document lists as not encrypted, in `Range`
    /// chunks; when it lists none, the deprecated `decrypted-content` answer (base64).
    pub fn decrypted_content(&self) -> Download {
        self.content_download(false, "get_inventory_document_decrypted_content")
    }

    /// The encrypted content: the content the document lists as encrypted, in `Range` chunks;
    /// when it lists none, the deprecated `encrypted-content` answer (base64).
    pub fn encrypted_content(&self) -> Download {
        self.content_download(true, "get_inventory_document_encrypted_content")
    }

    fn content_download(&self, encrypted: bool, operation: &'static str) -> Download {
        let this = self.clone();
        let d = &self.inventory.document;
        Download::lookup(d.ctx.contents(d.account), operation, async move {
            if let Some(id) = this.listed_content_id(encrypted).await? {
                return Ok(Located::Content(id.as_uuid()));
            }
            let d = &this.inventory.document;
            let answer = if encrypted {
                let call = d
                    .ctx
                    .raw()
                    .get_inventory_document_encrypted_content()
                    .account_id(d.account)
                    .related_docflow_id(d.docflow)
                    .related_document_id(d.id)
                    .inventory_id(this.inventory.id)
                    .document_id(this.id);
                d.ctx.run(None, call.send()).await?
            } else {
                let call = d
                    .ctx
                    .raw()
                    .get_inventory_document_decrypted_content()
                    .account_id(d.account)
                    .related_docflow_id(d.docflow)
                    .related_document_id(d.id)
                    .inventory_id(this.inventory.id)
                    .document_id(this.id);
                d.ctx.run(None, call.send()).await?
            };
            inline(answer, operation)
        })
    }

    /// The bytes of a signature of the document (answered as base64: one request).
    pub fn signature_content(&self, id: SignatureId) -> Download {
        const OPERATION: &str = "get_inventory_document_signature_content";
        let this = self.clone();
        let d = &self.inventory.document;
        Download::lookup(d.ctx.contents(d.account), OPERATION, async move {
            let d = &this.inventory.document;
            let call = d
                .ctx
                .raw()
                .get_inventory_document_signature_content()
                .account_id(d.account)
                .related_docflow_id(d.docflow)
                .related_document_id(d.id)
                .inventory_id(this.inventory.id)
                .document_id(this.id)
                .signature_id(id);
            inline(d.ctx.run(None, call.send()).await?, OPERATION)
        })
    }

    /// Starts printing the document to PDF; the task ends in the PDF's content id.
    pub async fn print(&self, decrypted: Option<ContentId>) -> Result<Task<Print>, Error> {
        let d = &self.inventory.document;
        let body = types::PrintDocumentRequest { content_id: decrypted.map(|id| id.as_uuid()), ..Default::default() };
        let call = d
            .ctx
            .raw()
            .print_inventory_document()
            .account_id(d.account)
            .related_docflow_id(d.docflow)
            .related_document_id(d.id)
            .inventory_id(self.inventory.id)
            .document_id(self.id)
            .deferred(true)
            .body(body);
        let task = d.ctx.run(None, call.send()).await?;
        Ok(Task::started(d.ctx.clone(), self.task_location(), task))
    }
}

/// A documents request (SEDO) of a docflow. From [`DocflowHandle::documents_request`].
///
/// ```no_run
/// # async fn demo(docflow: kontur_extern::handles::DocflowHandle, certificate: Vec<u8>)
/// # -> Result<(), kontur_extern::Error> {
/// let (request, generated) = docflow.generate_documents_request(&certificate, None).await?;
/// request.put_signature(b"detached CMS".to_vec()).await?;
/// let sent = request.send().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DocumentsRequestHandle {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) docflow: DocflowId,
    pub(crate) id: DocumentsRequestId,
}

impl DocumentsRequestHandle {
    with_options!();

    /// The request's id.
    pub fn id(&self) -> DocumentsRequestId {
        self.id
    }

    /// Reads the request.
    pub async fn get(&self) -> Result<types::DocumentsRequest, Error> {
        let call = self
            .ctx
            .raw()
            .get_documents_request()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .request_id(self.id);
        self.ctx.run(None, call.send()).await
    }

    /// Saves the signature (detached CMS bytes) of the request.
    pub async fn put_signature(&self, signature: impl Into<Vec<u8>>) -> Result<types::DocumentsRequest, Error> {
        let call = self
            .ctx
            .raw()
            .put_documents_request_signature()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .request_id(self.id)
            .body(signature.into());
        self.ctx.run(None, call.send()).await
    }

    /// Sends the signed request; the answer is the docflow.
    pub async fn send(&self) -> Result<types::Docflow, Error> {
        let call = self
            .ctx
            .raw()
            .send_documents_request()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .request_id(self.id);
        self.ctx.run(None, call.send()).await
    }
}

/// Where a docflow document's contents are in the content service.
impl types::Document {
    /// The content listed with `encrypted` as given (a content without the flag counts as not encrypted).
    pub fn content_id(&self, encrypted: bool) -> Option<ContentId> {
        let contents = self.content.as_ref()?;
        contents
            .docflow_document_contents
            .iter()
            .filter(|content| content.encrypted.unwrap_or(false) == encrypted)
            .find_map(|content| content.content_id())
    }

    /// The decrypted content listed by the document.
    pub fn decrypted_content_id(&self) -> Option<ContentId> {
        self.content_id(false)
    }

    /// The encrypted content listed by the document.
    pub fn encrypted_content_id(&self) -> Option<ContentId> {
        self.content_id(true)
    }
}
