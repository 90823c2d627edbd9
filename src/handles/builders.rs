//! Drafts builders (`/v1/{accountId}/drafts/builders/...`): documents, files, build.

use crate::Error;
use crate::contents::{Download, Located};
use crate::handles::{Ctx, inline, with_options};
use crate::ids::{AccountId, BuilderDocumentId, BuilderFileId, DraftsBuilderId, TaskId};
use crate::raw::types;
use crate::tasks::{AnyTask, Build, PrepareBuilderDocuments, Task, TaskLocation};

/// The drafts builders of an account. From
/// [`AccountHandle::drafts_builders`](crate::handles::AccountHandle::drafts_builders).
///
/// ```no_run
/// # async fn demo(account: kontur_extern::handles::AccountHandle, meta: kontur_extern::raw::types::DraftsBuilderMeta)
/// # -> Result<(), kontur_extern::Error> {
/// let builder = account.drafts_builders().create(meta).await?;
/// let handle = account.drafts_builder(builder.drafts_builder_id());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DraftsBuilders {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
}

impl DraftsBuilders {
    pub(crate) fn new(ctx: Ctx, account: AccountId) -> Self {
        Self { ctx, account }
    }

    with_options!();

    /// Creates a drafts builder (`builder-type` such as `urn:drafts-builder:fns534-inventory`).
    pub async fn create(&self, meta: types::DraftsBuilderMeta) -> Result<types::DraftsBuilder, Error> {
        self.ctx.run(None, self.ctx.raw().create_drafts_builder().account_id(self.account).body(meta).send()).await
    }
}

/// One drafts builder. From [`AccountHandle::drafts_builder`](crate::handles::AccountHandle::drafts_builder).
///
/// ```no_run
/// # async fn demo(builder: kontur_extern::handles::DraftsBuilderHandle,
/// #     meta: kontur_extern::raw::types::DraftsBuilderDocumentMeta) -> Result<(), kontur_extern::Error> {
/// let document = builder.add_document(meta).await?;
/// let built = builder.build().await?.wait().await?;
/// for draft in built.draft_ids { /* client.account(a).draft(draft) */ }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct DraftsBuilderHandle {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) id: DraftsBuilderId,
}

impl DraftsBuilderHandle {
    pub(crate) fn new(ctx: Ctx, account: AccountId, id: DraftsBuilderId) -> Self {
        Self { ctx, account, id }
    }

    with_options!();

    /// The builder's id.
    pub fn id(&self) -> DraftsBuilderId {
        self.id
    }

    /// Where the builder's tasks are polled.
    pub fn task_location(&self) -> TaskLocation {
        TaskLocation::DraftsBuilder { account_id: self.account, drafts_builder_id: self.id }
    }

    fn lock(&self) -> Option<TaskLocation> {
        Some(self.task_location())
    }

    /// Reads the builder.
    pub async fn get(&self) -> Result<types::DraftsBuilder, Error> {
        let call = self.ctx.raw().get_drafts_builder().account_id(self.account).drafts_builder_id(self.id);
        self.ctx.run(self.lock(), call.send()).await
    }

    /// Replaces the builder's meta.
    pub async fn update(&self, meta: types::DraftsBuilderMeta) -> Result<types::DraftsBuilder, Error> {
        let call =
            self.ctx.raw().update_drafts_builder().account_id(self.account).drafts_builder_id(self.id).body(meta);
        self.ctx.run(self.lock(), call.send()).await
    }

    /// Deletes the builder.
    pub async fn delete(&self) -> Result<(), Error> {
        let call = self.ctx.raw().delete_drafts_builder().account_id(self.account).drafts_builder_id(self.id);
        self.ctx.run_unit(self.lock(), call.send()).await
    }

    /// Reads the builder's meta.
    pub async fn meta(&self) -> Result<types::DraftsBuilderMeta, Error> {
        let call = self.ctx.raw().get_drafts_builder_meta().account_id(self.account).drafts_builder_id(self.id);
        self.ctx.run(self.lock(), call.send()).await
    }

    /// Replaces the builder's meta (read it first: unknown fields are kept).
    pub async fn update_meta(&self, meta: types::DraftsBuilderMeta) -> Result<types::DraftsBuilderMeta, Error> {
        let call =
            self.ctx.raw().update_drafts_builder_meta().account_id(self.account).drafts_builder_id(self.id).body(meta);
        self.ctx.run(self.lock(), call.send()).await
    }

    /// The builder's documents.
    pub async fn documents(&self) -> Result<Vec<types::DraftsBuilderDocument>, Error> {
        let call = self.ctx.raw().list_drafts_builder_documents().account_id(self.account).drafts_builder_id(self.id);
        self.ctx.run(self.lock(), call.send()).await
    }

    /// Adds a document.
    pub async fn add_document(
        &self,
        meta: types::DraftsBuilderDocumentMeta,
    ) -> Result<types::DraftsBuilderDocument, Error> {
        let call = self
            .ctx
            .raw()
            .create_drafts_builder_document()
            .account_id(self.account)
            .drafts_builder_id(self.id)
            .body(meta);
        self.ctx.run(self.lock(), call.send()).await
    }

    /// One document of the builder.
    pub fn document(&self, id: BuilderDocumentId) -> BuilderDocumentHandle {
        BuilderDocumentHandle { builder: self.clone(), id }
    }

    /// Starts building drafts; the task ends in the draft ids and the documents that failed.
    pub async fn build(&self) -> Result<Task<Build>, Error> {
        let call = self.ctx.raw().build_drafts().account_id(self.account).drafts_builder_id(self.id).deferred(true);
        let task = self.ctx.run(self.lock(), call.send()).await?;
        Ok(Task::started(self.ctx.clone(), self.task_location(), task))
    }

    /// Starts preparing the builder's documents (`POST …/documents/prepare?deferred=true`); the
    /// task ends in the documents that could not be prepared.
    pub async fn prepare_documents(&self) -> Result<Task<PrepareBuilderDocuments>, Error> {
        let call = self
            .ctx
            .raw()
            .prepare_drafts_builder_documents()
            .account_id(self.account)
            .drafts_builder_id(self.id)
            .deferred(true);
        let task = self.ctx.run(self.lock(), call.send()).await?;
        Ok(Task::started(self.ctx.clone(), self.task_location(), task))
    }

    /// A task of the builder, untyped.
    pub fn task(&self, id: TaskId) -> Task<AnyTask> {
        Task::attach(&self.ctx.client, id, self.task_location()).with_options(self.ctx.options.clone())
    }
}

/// A document of a drafts builder. From [`DraftsBuilderHandle::document`].
///
/// ```no_run
/// # async fn demo(document: kontur_extern::handles::BuilderDocumentHandle, content: kontur_extern::ids::ContentId)
/// # -> Result<(), kontur_extern::Error> {
/// use kontur_extern::raw::types::DraftsBuilderDocumentFileRequest;
/// let file = document.add_file(DraftsBuilderDocumentFileRequest {
///     content_id: Some(content.into()), ..Default::default()
/// }).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct BuilderDocumentHandle {
    pub(crate) builder: DraftsBuilderHandle,
    pub(crate) id: BuilderDocumentId,
}

impl BuilderDocumentHandle {
    /// The document's id.
    pub fn id(&self) -> BuilderDocumentId {
        self.id
    }

    /// Reads the document.
    pub async fn get(&self) -> Result<types::DraftsBuilderDocument, Error> {
        let b = &self.builder;
        let call = b
            .ctx
            .raw()
            .get_drafts_builder_document()
            .account_id(b.account)
            .drafts_builder_id(b.id)
            .document_id(self.id);
        b.ctx.run(b.lock(), call.send()).await
    }

    /// Replaces the document's meta.
    pub async fn update(&self, meta: types::DraftsBuilderDocumentMeta) -> Result<types::DraftsBuilderDocument, Error> {
        let b = &self.builder;
        let call = b
            .ctx
            .raw()
            .update_drafts_builder_document()
            .account_id(b.account)
            .drafts_builder_id(b.id)
            .document_id(self.id)
            .body(meta);
        b.ctx.run(b.lock(), call.send()).await
    }

    /// Removes the document.
    pub async fn delete(&self) -> Result<(), Error> {
        let b = &self.builder;
        let call = b
            .ctx
            .raw()
            .delete_drafts_builder_document()
            .account_id(b.account)
            .drafts_builder_id(b.id)
            .document_id(self.id);
        b.ctx.run_unit(b.lock(), call.send()).await
    }

    /// Reads the document's meta.
    pub async fn meta(&self) -> Result<types::DraftsBuilderDocumentMeta, Error> {
        let b = &self.builder;
        let call = b
            .ctx
            .raw()
            .get_drafts_builder_document_meta()
            .account_id(b.account)
            .drafts_builder_id(b.id)
            .document_id(self.id);
        b.ctx.run(b.lock(), call.send()).await
    }

    /// Replaces the document's meta (read it first: unknown fields are kept).
    pub async fn update_meta(
        &self,
        meta: types::DraftsBuilderDocumentMeta,
    ) -> Result<types::DraftsBuilderDocumentMeta, Error> {
        let b = &self.builder;
        let call = b
            .ctx
            .raw()
            .update_drafts_builder_document_meta()
            .account_id(b.account)
            .drafts_builder_id(b.id)
            .document_id(self.id)
            .body(meta);
        b.ctx.run(b.lock(), call.send()).await
    }

    /// The document's files.
    pub async fn files(&self) -> Result<Vec<types::DraftsBuilderDocumentFile>, Error> {
        let b = &self.builder;
        let call = b
            .ctx
            .raw()
            .list_drafts_builder_document_files()
            .account_id(b.account)
            .drafts_builder_id(b.id)
            .document_id(self.id);
        b.ctx.run(b.lock(), call.send()).await
    }

    /// Adds a file (its content uploaded to the content service first).
    pub async fn add_file(
        &self,
        request: types::DraftsBuilderDocumentFileRequest,
    ) -> Result<types::DraftsBuilderDocumentFile, Error> {
        let b = &self.builder;
        let call = b
            .ctx
            .raw()
            .create_drafts_builder_document_file()
            .account_id(b.account)
            .drafts_builder_id(b.id)
            .document_id(self.id)
            .body(request);
        b.ctx.run(b.lock(), call.send()).await
    }

    /// Generates a file of the document from a JSON contract (`version`: the contract format's
    /// version; the API's current one when `None`).
    pub async fn generate_file(
        &self,
        contract: serde_json::Value,
        version: Option<i32>,
    ) -> Result<types::DraftsBuilderDocumentFile, Error> {
        let b = &self.builder;
        let mut call = b
            .ctx
            .raw()
            .generate_drafts_builder_document_file()
            .account_id(b.account)
            .drafts_builder_id(b.id)
            .document_id(self.id)
            .body(contract);
        if let Some(version) = version {
            call = call.version(version);
        }
        b.ctx.run(b.lock(), call.send()).await
    }

    /// One file of the document.
    pub fn file(&self, id: BuilderFileId) -> BuilderFileHandle {
        BuilderFileHandle { document: self.clone(), id }
    }
}

/// A file of a drafts builder document. From [`BuilderDocumentHandle::file`].
///
/// ```no_run
/// # async fn demo(file: kontur_extern::handles::BuilderFileHandle) -> Result<(), Box<dyn std::error::Error>> {
/// let bytes = file.content().bytes().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct BuilderFileHandle {
    pub(crate) document: BuilderDocumentHandle,
    pub(crate) id: BuilderFileId,
}

macro_rules! file_call {
    ($self:ident, $op:ident) => {{
        let b = &$self.document.builder;
        b.ctx.raw().$op().account_id(b.account).drafts_builder_id(b.id).document_id($self.document.id).file_id($self.id)
    }};
}

impl BuilderFileHandle {
    /// The file's id.
    pub fn id(&self) -> BuilderFileId {
        self.id
    }

    /// Reads the file.
    pub async fn get(&self) -> Result<types::DraftsBuilderDocumentFile, Error> {
        let b = &self.document.builder;
        b.ctx.run(b.lock(), file_call!(self, get_drafts_builder_document_file).send()).await
    }

    /// Replaces the file.
    pub async fn update(
        &self,
        request: types::DraftsBuilderDocumentFileRequest,
    ) -> Result<types::DraftsBuilderDocumentFile, Error> {
        let b = &self.document.builder;
        b.ctx.run(b.lock(), file_call!(self, update_drafts_builder_document_file).body(request).send()).await
    }

    /// Removes the file.
    pub async fn delete(&self) -> Result<(), Error> {
        let b = &self.document.builder;
        b.ctx.run_unit(b.lock(), file_call!(self, delete_drafts_builder_document_file).send()).await
    }

    /// The file's content: the content the file names, from the content service in `Range`
    /// chunks; when it names none, the deprecated `content` answer (base64).
    pub fn content(&self) -> Download {
        const OPERATION: &str = "get_drafts_builder_document_file_content";
        let this = self.clone();
        let b = &self.document.builder;
        Download::lookup(b.ctx.contents(b.account), OPERATION, async move {
            if let Some(id) = this.get().await?.content_id() {
                return Ok(Located::Content(id.as_uuid()));
            }
            let b = &this.document.builder;
            inline(
                b.ctx.run(b.lock(), file_call!(this, get_drafts_builder_document_file_content).send()).await?,
                OPERATION,
            )
        })
    }

    /// The file's signature (answered as base64: one request).
    pub fn signature(&self) -> Download {
        const OPERATION: &str = "get_drafts_builder_document_file_signature";
        let this = self.clone();
        let b = &self.document.builder;
        Download::lookup(b.ctx.contents(b.account), OPERATION, async move {
            let b = &this.document.builder;
            inline(
                b.ctx.run(b.lock(), file_call!(this, get_drafts_builder_document_file_signature).send()).await?,
                OPERATION,
            )
        })
    }

    /// Reads the file's meta.
    pub async fn meta(&self) -> Result<types::DraftsBuilderDocumentFileMeta, Error> {
        let b = &self.document.builder;
        b.ctx.run(b.lock(), file_call!(self, get_drafts_builder_document_file_meta).send()).await
    }

    /// Replaces the file's meta.
    pub async fn update_meta(
        &self,
        meta: types::DraftsBuilderDocumentFileMeta,
    ) -> Result<types::DraftsBuilderDocumentFileMeta, Error> {
        let b = &self.document.builder;
        b.ctx.run(b.lock(), file_call!(self, update_drafts_builder_document_file_meta).body(meta).send()).await
    }
}
