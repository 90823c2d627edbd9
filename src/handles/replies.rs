//! Replies to docflow documents: the replies a docflow awaits, generating, signing, sending.

use crate::Error;
use crate::contents::{ContentError, Download};
use crate::handles::{Ctx, DocflowHandle, inline, with_options};
use crate::ids::{AccountId, DocflowId, DocumentId, ReplyDocumentId, ReplyId, TaskId};
use crate::links::{HasLinks, Link, LinkRel};
use crate::raw::types;
use crate::tasks::{AnyTask, Task, TaskLocation};

/// Which generate-reply operation a `reply` link leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReplyKind {
    /// `…/documents/{documentId}/generate-reply`.
    Document,
    /// `…/documents/{documentId}/pfr-generate-reply`.
    Pfr,
    /// A reply to a document of an inventory.
    Inventory {
        /// The inventory (a docflow).
        inventory_id: DocflowId,
        /// The inventory's document the reply answers.
        inventory_document_id: DocumentId,
    },
}

/// A reply the docflow waits for: one per `reply` link of the docflow (and of its documents).
/// Start it with [`DocflowHandle::start_reply`].
#[derive(Clone, Debug, PartialEq)]
pub struct AwaitedReply {
    /// The docflow.
    pub docflow_id: DocflowId,
    /// The document to answer.
    pub document_id: DocumentId,
    /// The document type of the reply, without `urn:document:` (such as `fns534-demand-receipt`).
    pub document_type: String,
    /// Which operation generates it.
    pub kind: ReplyKind,
    /// The `reply` link itself.
    pub link: Link,
}

impl AwaitedReply {
    /// Reads a `reply` link: its `href` names the docflow, the document and the operation,
    /// its `name` (or `documentType` query) the document type. `None` for other links.
    pub fn from_link(link: &Link) -> Option<Self> {
        if link.relation() != LinkRel::Reply {
            return None;
        }
        let href = link.href.as_deref()?;
        let url = url::Url::parse(href).or_else(|_| url::Url::parse("http://relative.invalid/")?.join(href)).ok()?;
        let segments: Vec<&str> = url.path_segments()?.filter(|segment| !segment.is_empty()).collect();
        let (last, path) = segments.split_last()?;
        let after = |name: &str| -> Option<uuid::Uuid> {
            let at = path.iter().position(|segment| segment.eq_ignore_ascii_case(name))?;
            path.get(at + 1)?.parse().ok()
        };
        let docflow_id = DocflowId::new(after("docflows")?);
        let document_id = DocumentId::new(after("documents")?);
        let kind = match last.to_ascii_lowercase().as_str() {
            "pfr-generate-reply" => ReplyKind::Pfr,
            "generate-reply" => match after("inventories") {
                Some(inventory) => {
                    // The inventory's document follows `inventories/{id}/documents/`.
                    let at = path.iter().rposition(|segment| segment.eq_ignore_ascii_case("documents"))?;
                    let inventory_document = path.get(at + 1)?.parse().ok()?;
                    ReplyKind::Inventory {
                        inventory_id: DocflowId::new(inventory),
                        inventory_document_id: DocumentId::new(inventory_document),
                    }
                }
                None => ReplyKind::Document,
            },
            _ => return None,
        };
        Some(Self { docflow_id, document_id, document_type: link.document_type()?, kind, link: link.clone() })
    }
}

impl types::Docflow {
    /// The replies this docflow waits for: every `reply` link of the docflow and of its
    /// documents, each with its document type. Every one must be generated, signed and sent.
    pub fn awaited_replies(&self) -> Vec<AwaitedReply> {
        let reply = LinkRel::Reply;
        let mut awaited: Vec<AwaitedReply> = Vec::new();
        let links =
            self.links_with(&reply).chain(self.documents.iter().flat_map(|document| document.links_with(&reply)));
        for link in links {
            if let Some(found) = AwaitedReply::from_link(link)
                && !awaited.iter().any(|known| known.link.href == found.link.href)
            {
                awaited.push(found);
            }
        }
        awaited
    }
}

/// A reply generated from an [`AwaitedReply`].
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum StartedReply {
    /// An ordinary reply (also to an inventory document).
    Reply(ReplyHandle, types::ReplyDocument),
    /// A PFR reply (several documents).
    Pfr(PfrReplyHandle, types::PfrReply),
}

impl DocflowHandle {
    /// Generates the reply a `reply` link asks for, for the signer's `certificate` (DER bytes).
    ///
    /// ```no_run
    /// # async fn demo(docflow: kontur_extern::handles::DocflowHandle, certificate: Vec<u8>)
    /// # -> Result<(), kontur_extern::Error> {
    /// use kontur_extern::handles::StartedReply;
    /// for awaited in docflow.get().await?.awaited_replies() {
    ///     if let StartedReply::Reply(reply, generated) = docflow.start_reply(&awaited, &certificate).await? {
    ///         reply.put_signature(b"detached CMS of generated.content".to_vec()).await?;
    ///         reply.send(None).await?;
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn start_reply(
        &self,
        awaited: &AwaitedReply,
        certificate: impl AsRef<[u8]>,
    ) -> Result<StartedReply, Error> {
        if awaited.docflow_id != self.id() {
            return Err(Error::InvalidRequest {
                operation: Some("generate_reply"),
                message: format!("the reply link belongs to docflow {}, not {}", awaited.docflow_id, self.id()),
            });
        }
        let document = self.document(awaited.document_id);
        match awaited.kind {
            ReplyKind::Document => {
                let (handle, reply) = document.generate_reply(&awaited.document_type, certificate).await?;
                Ok(StartedReply::Reply(handle, reply))
            }
            ReplyKind::Pfr => {
                let (handle, reply) = document.generate_pfr_reply(&awaited.document_type, certificate).await?;
                Ok(StartedReply::Pfr(handle, reply))
            }
            ReplyKind::Inventory { inventory_id, inventory_document_id } => {
                let ctx = self.ctx().clone();
                let body = types::GenerateReplyRequest {
                    certificate_base64: types::Base64Bytes::encode(certificate),
                    extra: Default::default(),
                };
                let call = ctx
                    .raw()
                    .generate_inventory_reply()
                    .account_id(self.account_id())
                    .related_docflow_id(self.id())
                    .related_document_id(awaited.document_id)
                    .inventory_id(inventory_id)
                    .document_id(inventory_document_id)
                    .document_type(super::docflows::short_document_type(&awaited.document_type))
                    .body(body);
                let reply = ctx.run(None, call.send()).await?;
                let handle = ReplyHandle {
                    ctx,
                    account: self.account_id(),
                    docflow: self.id(),
                    document: awaited.document_id,
                    inventory: Some((inventory_id, inventory_document_id)),
                    id: reply.reply_id(),
                };
                Ok(StartedReply::Reply(handle, reply))
            }
        }
    }
}

/// A generated reply. From [`DocflowDocumentHandle::reply`](crate::handles::DocflowDocumentHandle::reply),
/// [`DocflowDocumentHandle::generate_reply`](crate::handles::DocflowDocumentHandle::generate_reply)
/// or [`DocflowHandle::start_reply`].
///
/// ```no_run
/// # async fn demo(reply: kontur_extern::handles::ReplyHandle) -> Result<(), kontur_extern::Error> {
/// reply.put_signature(b"detached CMS".to_vec()).await?;
/// let docflow = reply.send(Some("192.0.2.10".into())).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ReplyHandle {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) docflow: DocflowId,
    pub(crate) document: DocumentId,
    /// The inventory and its document, for a reply to an inventory document.
    pub(crate) inventory: Option<(DocflowId, DocumentId)>,
    pub(crate) id: ReplyId,
}

impl ReplyHandle {
    pub(crate) fn new(ctx: Ctx, account: AccountId, docflow: DocflowId, document: DocumentId, id: ReplyId) -> Self {
        Self { ctx, account, docflow, document, inventory: None, id }
    }

    with_options!();

    /// The reply's id.
    pub fn id(&self) -> ReplyId {
        self.id
    }

    /// Where this reply's tasks (cloud signing) are polled.
    pub fn task_location(&self) -> TaskLocation {
        match self.inventory {
            None => TaskLocation::Reply {
                account_id: self.account,
                docflow_id: self.docflow,
                document_id: self.document,
                reply_id: self.id,
            },
            Some((inventory_id, inventory_document_id)) => TaskLocation::InventoryReply {
                account_id: self.account,
                docflow_id: self.docflow,
                document_id: self.document,
                inventory_id,
                inventory_document_id,
                reply_id: self.id,
            },
        }
    }

    /// Reads the reply.
    pub async fn get(&self) -> Result<types::ReplyDocument, Error> {
        // The task holding a docflow lock may belong to another document or reply: the
        // conflict names it, but where it is polled is unknown here.
        let lock = None;
        match self.inventory {
            None => {
                let call = self
                    .ctx
                    .raw()
                    .get_reply()
                    .account_id(self.account)
                    .docflow_id(self.docflow)
                    .document_id(self.document)
                    .reply_id(self.id);
                self.ctx.run(lock, call.send()).await
            }
            Some((inventory, inventory_document)) => {
                let call = self
                    .ctx
                    .raw()
                    .get_inventory_reply()
                    .account_id(self.account)
                    .related_docflow_id(self.docflow)
                    .related_document_id(self.document)
                    .inventory_id(inventory)
                    .document_id(inventory_document)
                    .reply_id(self.id);
                self.ctx.run(lock, call.send()).await
            }
        }
    }

    /// The reply's content, to sign and to keep (carried as base64 in the reply: one request,
    /// handed over through the same [`Download`] as contents).
    pub fn content(&self) -> Download {
        self.field_download("content", |reply| reply.content)
    }

    /// The reply printed for people (PDF, carried as base64 in the reply).
    pub fn print_content(&self) -> Download {
        self.field_download("print-content", |reply| reply.print_content)
    }

    /// The bytes of a base64 field of the reply; a reply without the field is an error naming it.
    fn field_download(
        &self,
        name: &'static str,
        field: fn(types::ReplyDocument) -> Option<types::Base64Bytes>,
    ) -> Download {
        const OPERATION: &str = "get_reply";
        let this = self.clone();
        Download::lookup(self.ctx.contents(self.account), OPERATION, async move {
            let reply = this.get().await?;
            match field(reply) {
                Some(bytes) => inline(bytes, OPERATION),
                None => Err(ContentError::Protocol {
                    operation: OPERATION,
                    message: format!("the reply {} has no `{name}`", this.id),
                    trace_id: None,
                }),
            }
        })
    }

    /// Saves the signature (detached CMS bytes) of the reply.
    pub async fn put_signature(&self, signature: impl Into<Vec<u8>>) -> Result<types::ReplyDocument, Error> {
        // The task holding a docflow lock may belong to another document or reply: the
        // conflict names it, but where it is polled is unknown here.
        let lock = None;
        match self.inventory {
            None => {
                let call = self
                    .ctx
                    .raw()
                    .put_reply_signature()
                    .account_id(self.account)
                    .docflow_id(self.docflow)
                    .document_id(self.document)
                    .reply_id(self.id)
                    .body(signature.into());
                self.ctx.run(lock, call.send()).await
            }
            Some((inventory, inventory_document)) => {
                let call = self
                    .ctx
                    .raw()
                    .put_inventory_reply_signature()
                    .account_id(self.account)
                    .related_docflow_id(self.docflow)
                    .related_document_id(self.document)
                    .inventory_id(inventory)
                    .document_id(inventory_document)
                    .reply_id(self.id)
                    .body(signature.into());
                self.ctx.run(lock, call.send()).await
            }
        }
    }

    /// Replaces the reply's content (when the generated one needs changes before signing).
    pub async fn put_content(&self, content: impl Into<Vec<u8>>) -> Result<types::ReplyDocument, Error> {
        // The task holding a docflow lock may belong to another document or reply: the
        // conflict names it, but where it is polled is unknown here.
        let lock = None;
        match self.inventory {
            None => {
                let call = self
                    .ctx
                    .raw()
                    .put_reply_content()
                    .account_id(self.account)
                    .docflow_id(self.docflow)
                    .document_id(self.document)
                    .reply_id(self.id)
                    .body(content.into());
                self.ctx.run(lock, call.send()).await
            }
            Some((inventory, inventory_document)) => {
                let call = self
                    .ctx
                    .raw()
                    .put_inventory_reply_content()
                    .account_id(self.account)
                    .related_docflow_id(self.docflow)
                    .related_document_id(self.document)
                    .inventory_id(inventory)
                    .document_id(inventory_document)
                    .reply_id(self.id)
                    .body(content.into());
                self.ctx.run(lock, call.send()).await
            }
        }
    }

    /// Sends the signed reply; `sender_ip` is the signer's IP address when the regulator wants it.
    /// The answer is the docflow.
    pub async fn send(&self, sender_ip: Option<String>) -> Result<types::Docflow, Error> {
        // The task holding a docflow lock may belong to another document or reply: the
        // conflict names it, but where it is polled is unknown here.
        let lock = None;
        let body = types::SendReplyRequest { sender_ip, ..Default::default() };
        match self.inventory {
            None => {
                let call = self
                    .ctx
                    .raw()
                    .send_reply()
                    .account_id(self.account)
                    .docflow_id(self.docflow)
                    .document_id(self.document)
                    .reply_id(self.id)
                    .body(body);
                self.ctx.run(lock, call.send()).await
            }
            Some((inventory, inventory_document)) => {
                let call = self
                    .ctx
                    .raw()
                    .send_inventory_reply()
                    .account_id(self.account)
                    .related_docflow_id(self.docflow)
                    .related_document_id(self.document)
                    .inventory_id(inventory)
                    .document_id(inventory_document)
                    .reply_id(self.id)
                    .body(body);
                self.ctx.run(lock, call.send()).await
            }
        }
    }

    /// A task of this reply (cloud signing), untyped.
    pub fn task(&self, id: TaskId) -> Task<AnyTask> {
        Task::attach(&self.ctx.client, id, self.task_location()).with_options(self.ctx.options.clone())
    }
}

/// The operation that reads a PFR reply, which carries its documents' bytes.
const GET_PFR_REPLY: &str = "get_pfr_reply";

/// A generated PFR reply. From [`DocflowDocumentHandle::pfr_reply`](crate::handles::DocflowDocumentHandle::pfr_reply).
///
/// ```no_run
/// # async fn demo(reply: kontur_extern::handles::PfrReplyHandle) -> Result<(), kontur_extern::Error> {
/// for document in reply.get().await?.documents {
///     reply.put_document_signature(document.reply_document_id(), b"detached CMS".to_vec()).await?;
/// }
/// reply.send(None).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct PfrReplyHandle {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) docflow: DocflowId,
    pub(crate) document: DocumentId,
    pub(crate) id: ReplyId,
}

impl PfrReplyHandle {
    pub(crate) fn new(ctx: Ctx, account: AccountId, docflow: DocflowId, document: DocumentId, id: ReplyId) -> Self {
        Self { ctx, account, docflow, document, id }
    }

    with_options!();

    /// The reply's id.
    pub fn id(&self) -> ReplyId {
        self.id
    }

    /// Where this reply's tasks are polled.
    pub fn task_location(&self) -> TaskLocation {
        TaskLocation::PfrReply {
            account_id: self.account,
            docflow_id: self.docflow,
            document_id: self.document,
            reply_id: self.id,
        }
    }

    /// Reads the reply and its documents.
    pub async fn get(&self) -> Result<types::PfrReply, Error> {
        let call = self
            .ctx
            .raw()
            .get_pfr_reply()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.document)
            .reply_id(self.id);
        self.ctx.run(None, call.send()).await
    }

    /// Saves the signature of one document of the reply.
    pub async fn put_document_signature(
        &self,
        document: ReplyDocumentId,
        signature: impl Into<Vec<u8>>,
    ) -> Result<(), Error> {
        let call = self
            .ctx
            .raw()
            .put_pfr_reply_document_signature()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.document)
            .reply_id(self.id)
            .reply_document_id(document)
            .body(signature.into());
        self.ctx.run_unit(None, call.send()).await
    }

    /// Replaces the decrypted content of one document of the reply.
    pub async fn put_document_content(
        &self,
        document: ReplyDocumentId,
        content: impl Into<Vec<u8>>,
    ) -> Result<(), Error> {
        let call = self
            .ctx
            .raw()
            .put_pfr_reply_document_content()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.document)
            .reply_id(self.id)
            .reply_document_id(document)
            .body(content.into());
        self.ctx.run_unit(None, call.send()).await
    }

    /// The decrypted content of one document of the reply, from the `decrypted-content` link
    /// the document carries: from the content service in `Range` chunks when the link leads
    /// there, otherwise in one request.
    pub fn document_content(&self, document: ReplyDocumentId) -> Download {
        let this = self.clone();
        let link = self.document_field(document, "decrypted-content", |document| document.decrypted_content);
        Download::lookup(self.ctx.contents(self.account), GET_PFR_REPLY, async move {
            this.ctx.client.links().locate(&link.await?).await
        })
    }

    /// The content of one document of the reply encrypted for the regulator (carried as base64
    /// in the reply: one request, handed over through the same [`Download`] as contents).
    pub fn document_encrypted_content(&self, document: ReplyDocumentId) -> Download {
        self.base64_field_download(document, "encrypted-content", |document| document.encrypted_content)
    }

    /// The signature of one document of the reply, once saved (base64 in the reply).
    pub fn document_signature(&self, document: ReplyDocumentId) -> Download {
        self.base64_field_download(document, "signature", |document| document.signature)
    }

    fn base64_field_download(
        &self,
        document: ReplyDocumentId,
        name: &'static str,
        field: fn(types::PfrReplyDocument) -> Option<types::Base64Bytes>,
    ) -> Download {
        let bytes = self.document_field(document, name, field);
        Download::lookup(
            self.ctx.contents(self.account),
            GET_PFR_REPLY,
            async move { inline(bytes.await?, GET_PFR_REPLY) },
        )
    }

    /// Reads the reply and takes field `name` of its document `document`; a missing document
    /// or field is an error naming it.
    fn document_field<T: Send + 'static>(
        &self,
        document: ReplyDocumentId,
        name: &'static str,
        field: impl FnOnce(types::PfrReplyDocument) -> Option<T> + Send + 'static,
    ) -> impl std::future::Future<Output = Result<T, ContentError>> + Send + 'static {
        let this = self.clone();
        async move {
            let reply = this.get().await?;
            let missing =
                |message: String| ContentError::Protocol { operation: GET_PFR_REPLY, message, trace_id: None };
            let found = reply.documents.into_iter().find(|candidate| candidate.id == document.as_uuid());
            let found =
                found.ok_or_else(|| missing(format!("the PFR reply {} has no document {document}", this.id)))?;
            field(found)
                .ok_or_else(|| missing(format!("the document {document} of the PFR reply {} has no `{name}`", this.id)))
        }
    }

    /// Sends the signed reply; the answer is the docflow.
    pub async fn send(&self, sender_ip: Option<String>) -> Result<types::Docflow, Error> {
        let body = types::SendReplyRequest { sender_ip, ..Default::default() };
        let call = self
            .ctx
            .raw()
            .send_pfr_reply()
            .account_id(self.account)
            .docflow_id(self.docflow)
            .document_id(self.document)
            .reply_id(self.id)
            .body(body);
        self.ctx.run(None, call.send()).await
    }

    /// A task of this reply (cloud signing), untyped.
    pub fn task(&self, id: TaskId) -> Task<AnyTask> {
        Task::attach(&self.ctx.client, id, self.task_location()).with_options(self.ctx.options.clone())
    }
}
