//! Drafts (`/v1/{accountId}/drafts/...`): create, documents, signatures, meta, check, prepare, send.

use crate::Error;
use crate::contents::{Download, Located};
use crate::handles::{Ctx, inline, with_options};
use crate::ids::{AccountId, ContentId, DocflowId, DocumentId, DraftId, SignatureId, TaskId};
use crate::links::{LinkRel, Links};
use crate::paging::{MAX_PAGE_SIZE, Page, Paged, wire};
use crate::raw::types;
use crate::tasks::{AnyTask, Check, Prepare, Print, SendDraft, Task, TaskLocation};

/// What a new draft says: who sends it, to which regulator's office, on whose behalf.
///
/// ```
/// use kontur_extern::handles::NewDraft;
/// use kontur_extern::raw::types::{DraftPayer, DraftRecipient, DraftSender};
///
/// let draft = NewDraft::new(
///     DraftSender { inn: Some("7700000000".into()), kpp: Some("770001001".into()), ..Default::default() },
///     DraftRecipient { ifns_code: Some("0087".into()), ..Default::default() },
///     DraftPayer { inn: Some("7700000000".into()), ..Default::default() },
/// );
/// # let _ = draft;
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct NewDraft {
    pub(crate) meta: types::DraftMeta,
}

impl NewDraft {
    /// A draft from `sender` to `recipient` for `payer`.
    pub fn new(sender: types::DraftSender, recipient: types::DraftRecipient, payer: types::DraftPayer) -> Self {
        Self {
            meta: types::DraftMeta {
                sender: Some(sender),
                recipient: Some(recipient),
                payer: Some(payer),
                ..Default::default()
            },
        }
    }

    /// The docflow document this draft answers or continues.
    pub fn related_document(mut self, docflow: DocflowId, document: DocumentId) -> Self {
        self.meta.related_document = Some(types::RelatedDocument {
            related_docflow_id: Some(docflow.as_uuid()),
            related_document_id: Some(document.as_uuid()),
            ..Default::default()
        });
        self
    }

    /// Subject, extra certificates, a warrant and the like.
    pub fn additional_info(mut self, info: types::DraftAdditionalInfo) -> Self {
        self.meta.additional_info = Some(info);
        self
    }

    /// Options such as generating a warrant.
    pub fn options(mut self, options: types::DraftOptions) -> Self {
        self.meta.draft_options = Some(options);
        self
    }

    /// The wire form.
    pub fn into_meta(self) -> types::DraftMeta {
        self.meta
    }
}

impl From<types::DraftMeta> for NewDraft {
    fn from(meta: types::DraftMeta) -> Self {
        Self { meta }
    }
}

/// The drafts of an account. From [`AccountHandle::drafts`](crate::handles::AccountHandle::drafts).
///
/// ```no_run
/// # async fn demo(account: kontur_extern::handles::AccountHandle, new: kontur_extern::handles::NewDraft)
/// # -> Result<(), kontur_extern::Error> {
/// let draft = account.drafts().create(new).await?;
/// let handle = account.draft(draft.draft_id());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Drafts {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
}

impl Drafts {
    pub(crate) fn new(ctx: Ctx, account: AccountId) -> Self {
        Self { ctx, account }
    }

    with_options!();

    /// Creates a draft.
    pub async fn create(&self, draft: impl Into<NewDraft>) -> Result<types::Draft, Error> {
        let body = draft.into().into_meta();
        self.ctx.run(None, self.ctx.raw().create_draft().account_id(self.account).body(body).send()).await
    }

    /// The account's drafts, page by page.
    pub fn list(&self) -> Paged<types::Draft> {
        let (ctx, account) = (self.ctx.clone(), self.account);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let ctx = ctx.clone();
            async move {
                let (skip, take) = wire(skip, take);
                let page =
                    ctx.run(None, ctx.raw().list_drafts().account_id(account).skip(skip).take(take).send()).await?;
                Ok(Page::new(page.drafts, page.total_count))
            }
        })
    }
}

/// One draft. From [`AccountHandle::draft`](crate::handles::AccountHandle::draft).
///
/// ```no_run
/// # async fn demo(draft: kontur_extern::handles::DraftHandle, content: kontur_extern::ids::ContentId)
/// # -> Result<(), kontur_extern::Error> {
/// use kontur_extern::raw::types::DraftDocumentRequest;
/// let document = draft.add_document(DraftDocumentRequest {
///     content_id: Some(content.into()), ..Default::default()
/// }).await?;
/// draft.document(document.document_id()).signatures().add(b"detached CMS signature".to_vec()).await?;
/// let findings = draft.check().await?.wait().await?;
/// let prepared = draft.prepare().await?.wait().await?;
/// let outcome = draft.send().await?.wait().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DraftHandle {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) id: DraftId,
}

impl DraftHandle {
    pub(crate) fn new(ctx: Ctx, account: AccountId, id: DraftId) -> Self {
        Self { ctx, account, id }
    }

    with_options!();

    /// The draft's id.
    pub fn id(&self) -> DraftId {
        self.id
    }

    /// The account of the draft.
    pub fn account_id(&self) -> AccountId {
        self.account
    }

    /// Where the draft's tasks are polled.
    pub fn task_location(&self) -> TaskLocation {
        TaskLocation::Draft { account_id: self.account, draft_id: self.id }
    }

    fn lock(&self) -> Option<TaskLocation> {
        Some(self.task_location())
    }

    /// Reads the draft.
    pub async fn get(&self) -> Result<types::Draft, Error> {
        self.ctx.run(self.lock(), self.ctx.raw().get_draft().account_id(self.account).draft_id(self.id).send()).await
    }

    /// Deletes the draft.
    pub async fn delete(&self) -> Result<(), Error> {
        self.ctx
            .run_unit(self.lock(), self.ctx.raw().delete_draft().account_id(self.account).draft_id(self.id).send())
            .await
    }

    /// Reads who sends the draft, to whom, for whom.
    pub async fn meta(&self) -> Result<types::DraftMeta, Error> {
        self.ctx
            .run(self.lock(), self.ctx.raw().get_draft_meta().account_id(self.account).draft_id(self.id).send())
            .await
    }

    /// Replaces the draft's meta. Read it with [`meta`](Self::meta) first: unknown fields are kept.
    pub async fn update_meta(&self, meta: types::DraftMeta) -> Result<types::DraftMeta, Error> {
        self.ctx
            .run(
                self.lock(),
                self.ctx.raw().update_draft_meta().account_id(self.account).draft_id(self.id).body(meta).send(),
            )
            .await
    }

    /// Adds a document (its content uploaded to the content service first).
    pub async fn add_document(&self, request: types::DraftDocumentRequest) -> Result<types::DraftDocument, Error> {
        self.ctx
            .run(
                self.lock(),
                self.ctx.raw().create_draft_document().account_id(self.account).draft_id(self.id).body(request).send(),
            )
            .await
    }

    /// Every document of the draft, read through the draft's document links.
    pub async fn documents(&self) -> Result<Vec<types::DraftDocument>, Error> {
        let draft = self.get().await?;
        let links = Links::from_ctx(self.ctx.clone());
        let mut documents = Vec::with_capacity(draft.documents.len());
        for link in &draft.documents {
            documents.push(links.get(link).await?);
        }
        Ok(documents)
    }

    /// One document of the draft.
    pub fn document(&self, id: DocumentId) -> DraftDocumentHandle {
        DraftDocumentHandle { ctx: self.ctx.clone(), account: self.account, draft: self.id, id }
    }

    /// Starts checking the draft: the task ends in the findings per document.
    pub async fn check(&self) -> Result<Task<Check>, Error> {
        let task = self
            .ctx
            .run(
                self.lock(),
                self.ctx.raw().check_draft().account_id(self.account).draft_id(self.id).deferred(true).send(),
            )
            .await?;
        Ok(Task::started(self.ctx.clone(), self.task_location(), task))
    }

    /// Starts preparing the draft for sending (check, signatures, encryption).
    pub async fn prepare(&self) -> Result<Task<Prepare>, Error> {
        let task = self
            .ctx
            .run(
                self.lock(),
                self.ctx.raw().prepare_draft().account_id(self.account).draft_id(self.id).deferred(true).send(),
            )
            .await?;
        Ok(Task::started(self.ctx.clone(), self.task_location(), task))
    }

    /// Starts sending the draft. The task ends in the docflow, or in the reason it was not sent
    /// ([`SendOutcome`](crate::tasks::SendOutcome)).
    pub async fn send(&self) -> Result<Task<SendDraft>, Error> {
        self.send_with(false).await
    }

    /// Starts sending the draft even though its check found warnings (`force=true`).
    pub async fn send_forced(&self) -> Result<Task<SendDraft>, Error> {
        self.send_with(true).await
    }

    async fn send_with(&self, force: bool) -> Result<Task<SendDraft>, Error> {
        let mut call = self.ctx.raw().send_draft().account_id(self.account).draft_id(self.id).deferred(true);
        if force {
            call = call.force(true);
        }
        let task = self.ctx.run(self.lock(), call.send()).await?;
        Ok(Task::started(self.ctx.clone(), self.task_location(), task))
    }

    /// The draft's tasks, page by page (`include_released`: also tasks whose lock was released).
    pub fn tasks(&self, include_released: bool) -> Paged<types::ApiTaskPageItem> {
        let (ctx, account, draft) = (self.ctx.clone(), self.account, self.id);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let ctx = ctx.clone();
            async move {
                let (skip, take) = wire(skip, take);
                let call = ctx
                    .raw()
                    .list_draft_tasks()
                    .account_id(account)
                    .draft_id(draft)
                    .include_released(include_released)
                    .skip(skip)
                    .take(take);
                let page = ctx.run(None, call.send()).await?;
                Ok(Page::new(page.api_task_page_items, page.total_count))
            }
        })
    }

    /// A task of the draft, untyped (cloud signing, or a task found in [`tasks`](Self::tasks)).
    pub fn task(&self, id: TaskId) -> Task<AnyTask> {
        Task::attach(&self.ctx.client, id, self.task_location()).with_options(self.ctx.options.clone())
    }
}

/// One document of a draft. From [`DraftHandle::document`].
///
/// ```no_run
/// # async fn demo(document: kontur_extern::handles::DraftDocumentHandle) -> Result<(), Box<dyn std::error::Error>> {
/// let pdf = document.print().await?.wait().await?; // content id of the PDF
/// document.content(pdf).to_path("document.pdf").await?;
/// let signatures = document.signatures().list().await?;
/// let sent = document.decrypted_content().bytes().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DraftDocumentHandle {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) draft: DraftId,
    pub(crate) id: DocumentId,
}

impl DraftDocumentHandle {
    with_options!();

    /// The document's id.
    pub fn id(&self) -> DocumentId {
        self.id
    }

    fn lock(&self) -> Option<TaskLocation> {
        Some(TaskLocation::Draft { account_id: self.account, draft_id: self.draft })
    }

    /// Reads the document.
    pub async fn get(&self) -> Result<types::DraftDocument, Error> {
        let call =
            self.ctx.raw().get_draft_document().account_id(self.account).draft_id(self.draft).document_id(self.id);
        self.ctx.run(self.lock(), call.send()).await
    }

    /// Replaces the document (content, description, signature).
    pub async fn update(&self, request: types::DraftDocumentRequest) -> Result<types::DraftDocument, Error> {
        let call = self
            .ctx
            .raw()
            .update_draft_document()
            .account_id(self.account)
            .draft_id(self.draft)
            .document_id(self.id)
            .body(request);
        self.ctx.run(self.lock(), call.send()).await
    }

    /// Removes the document from the draft.
    pub async fn delete(&self) -> Result<(), Error> {
        let call =
            self.ctx.raw().delete_draft_document().account_id(self.account).draft_id(self.draft).document_id(self.id);
        self.ctx.run_unit(self.lock(), call.send()).await
    }

    /// The document's content as it will be sent (decrypted): the content the document lists
    /// as not encrypted, from the content service in `Range` chunks; when it lists none, the
    /// deprecated `decrypted-content` answer (base64).
    pub fn decrypted_content(&self) -> Download {
        self.content_download(false, "get_draft_document_decrypted_content")
    }

    /// The document's content encrypted for the regulator (after prepare): the content the
    /// document lists as encrypted, in `Range` chunks; when it lists none, the deprecated
    /// `encrypted-content` answer (base64).
    pub fn encrypted_content(&self) -> Download {
        self.content_download(true, "get_draft_document_encrypted_content")
    }

    fn content_download(&self, encrypted: bool, operation: &'static str) -> Download {
        let this = self.clone();
        Download::lookup(self.ctx.contents(self.account), operation, async move {
            if let Some(id) = this.get().await?.content_id(encrypted) {
                return Ok(Located::Content(id.as_uuid()));
            }
            let answer = if encrypted {
                let call = this
                    .ctx
                    .raw()
                    .get_draft_document_encrypted_content()
                    .account_id(this.account)
                    .draft_id(this.draft)
                    .document_id(this.id);
                this.ctx.run(this.lock(), call.send()).await?
            } else {
                let call = this
                    .ctx
                    .raw()
                    .get_draft_document_decrypted_content()
                    .account_id(this.account)
                    .draft_id(this.draft)
                    .document_id(this.id);
                this.ctx.run(this.lock(), call.send()).await?
            };
            inline(answer, operation)
        })
    }

    /// A content of this draft's account by id: the PDF a [`print`](Self::print) ended in, the
    /// content a [`data_to_sign`](Self::data_to_sign) names.
    pub fn content(&self, id: ContentId) -> Download {
        self.ctx.contents(self.account).download(id)
    }

    /// Prepares what to sign instead of the content itself (XMLDSig and similar formats).
    pub async fn data_to_sign(&self) -> Result<types::DataToSignResult, Error> {
        let call = self
            .ctx
            .raw()
            .prepare_draft_document_data_to_sign()
            .account_id(self.account)
            .draft_id(self.draft)
            .document_id(self.id);
        self.ctx.run(self.lock(), call.send()).await
    }

    /// Starts printing the document to PDF: the task ends in the PDF's content id.
    pub async fn print(&self) -> Result<Task<Print>, Error> {
        let call = self
            .ctx
            .raw()
            .print_draft_document()
            .account_id(self.account)
            .draft_id(self.draft)
            .document_id(self.id)
            .deferred(true);
        let task = self.ctx.run(self.lock(), call.send()).await?;
        let location =
            TaskLocation::DraftDocument { account_id: self.account, draft_id: self.draft, document_id: self.id };
        Ok(Task::started(self.ctx.clone(), location, task))
    }

    /// The document's signatures.
    pub fn signatures(&self) -> DraftSignatures {
        DraftSignatures { document: self.clone() }
    }
}

/// The signatures of a draft document. From [`DraftDocumentHandle::signatures`].
///
/// ```no_run
/// # async fn demo(document: kontur_extern::handles::DraftDocumentHandle) -> Result<(), Box<dyn std::error::Error>> {
/// let signature = document.signatures().add(b"detached CMS".to_vec()).await?;
/// let bytes = document.signatures().content(signature.signature_id()).bytes().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DraftSignatures {
    pub(crate) document: DraftDocumentHandle,
}

impl DraftSignatures {
    /// Adds a detached CMS signature of the document.
    pub async fn add(&self, signature: impl AsRef<[u8]>) -> Result<types::Signature, Error> {
        self.add_request(types::SignatureRequest {
            base64_content: Some(types::Base64Bytes::encode(signature)),
            ..Default::default()
        })
        .await
    }

    /// Adds a signature of a third party (not the sender), such as a warrant's principal.
    pub async fn add_third_party(&self, signature: impl AsRef<[u8]>) -> Result<types::Signature, Error> {
        self.add_request(types::SignatureRequest {
            base64_content: Some(types::Base64Bytes::encode(signature)),
            is_third_party_signature: Some(true),
            ..Default::default()
        })
        .await
    }

    async fn add_request(&self, request: types::SignatureRequest) -> Result<types::Signature, Error> {
        let d = &self.document;
        let call = d
            .ctx
            .raw()
            .create_draft_document_signature()
            .account_id(d.account)
            .draft_id(d.draft)
            .document_id(d.id)
            .body(request);
        d.ctx.run(d.lock(), call.send()).await
    }

    /// The document's signatures (as listed on the document).
    pub async fn list(&self) -> Result<Vec<types::Signature>, Error> {
        Ok(self.document.get().await?.signatures)
    }

    /// One signature of the document.
    pub async fn get(&self, id: SignatureId) -> Result<types::Signature, Error> {
        let d = &self.document;
        let call = d
            .ctx
            .raw()
            .get_draft_document_signature()
            .account_id(d.account)
            .draft_id(d.draft)
            .document_id(d.id)
            .signature_id(id);
        d.ctx.run(d.lock(), call.send()).await
    }

    /// The bytes of a signature (the API answers them as base64 in JSON: one request, handed
    /// over through the same [`Download`] as contents).
    pub fn content(&self, id: SignatureId) -> Download {
        const OPERATION: &str = "get_draft_document_signature_content";
        let d = self.document.clone();
        Download::lookup(d.ctx.contents(d.account), OPERATION, async move {
            let call = d
                .ctx
                .raw()
                .get_draft_document_signature_content()
                .account_id(d.account)
                .draft_id(d.draft)
                .document_id(d.id)
                .signature_id(id);
            inline(d.ctx.run(d.lock(), call.send()).await?, OPERATION)
        })
    }

    /// Replaces a signature.
    pub async fn replace(&self, id: SignatureId, signature: impl AsRef<[u8]>) -> Result<types::Signature, Error> {
        let d = &self.document;
        let body = types::SignatureRequest {
            base64_content: Some(types::Base64Bytes::encode(signature)),
            ..Default::default()
        };
        let call = d
            .ctx
            .raw()
            .update_draft_document_signature()
            .account_id(d.account)
            .draft_id(d.draft)
            .document_id(d.id)
            .signature_id(id)
            .body(body);
        d.ctx.run(d.lock(), call.send()).await
    }

    /// The document's one signature through the legacy single-signature endpoint
    /// (`…/documents/{documentId}/signature`, base64 in JSON), for documents signed through it.
    pub fn legacy(&self) -> Download {
        const OPERATION: &str = "get_draft_document_legacy_signature";
        let d = self.document.clone();
        Download::lookup(d.ctx.contents(d.account), OPERATION, async move {
            let call = d
                .ctx
                .raw()
                .get_draft_document_legacy_signature()
                .account_id(d.account)
                .draft_id(d.draft)
                .document_id(d.id);
            inline(d.ctx.run(d.lock(), call.send()).await?, OPERATION)
        })
    }

    /// Saves the document's one signature (detached CMS bytes) through the legacy
    /// single-signature endpoint; [`add`](Self::add) is the current way.
    pub async fn put_legacy(&self, signature: impl Into<Vec<u8>>) -> Result<(), Error> {
        let d = &self.document;
        let call = d
            .ctx
            .raw()
            .put_draft_document_legacy_signature()
            .account_id(d.account)
            .draft_id(d.draft)
            .document_id(d.id)
            .body(signature.into());
        d.ctx.run_unit(d.lock(), call.send()).await
    }

    /// Removes a signature.
    pub async fn delete(&self, id: SignatureId) -> Result<(), Error> {
        let d = &self.document;
        let call = d
            .ctx
            .raw()
            .delete_draft_document_signature()
            .account_id(d.account)
            .draft_id(d.draft)
            .document_id(d.id)
            .signature_id(id);
        d.ctx.run_unit(d.lock(), call.send()).await
    }
}

/// Links of a draft's answer: the documents and the docflows it became.
impl types::Draft {
    /// Links to the draft's documents.
    pub fn document_links(&self) -> &[crate::links::Link] {
        &self.documents
    }

    /// The `docflow` links of the draft, once sent.
    pub fn docflow_links(&self) -> impl Iterator<Item = &crate::links::Link> {
        self.docflows.iter().chain(self.links.iter().filter(|link| link.relation() == LinkRel::Docflow))
    }
}

/// Where a draft document's contents are in the content service.
impl types::DraftDocument {
    /// The content listed with `encrypted` as given (a content without the flag counts as not encrypted).
    pub fn content_id(&self, encrypted: bool) -> Option<ContentId> {
        self.contents
            .iter()
            .filter(|content| content.encrypted.unwrap_or(false) == encrypted)
            .find_map(|content| content.content_id())
    }
}
