//! What a confirmed cloud operation gives back, and the calls that differ between signing and
//! decryption (confirm with a code, poll the myDSS task), chosen per resource.

use std::fmt;

use futures::future::BoxFuture;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::target::{DecryptionTarget, EncryptedDocument, SigningTarget};
use crate::Error;
use crate::contents::{Contents, Download};
use crate::raw;
use crate::raw::types::{ApiTask, Link};
use crate::transport::SendExt;

/// The result of a cloud operation: [`SignedDocuments`] or [`DecryptedContent`].
///
/// Sealed: the flows in [`crate::cloud`] are the only producers.
pub trait CloudOutcome: sealed::Outcome {}

impl CloudOutcome for SignedDocuments {}
impl CloudOutcome for DecryptedContent {}

/// The documents a confirmed cloud signing signed, as the API describes them.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct SignedDocuments {
    /// Links to the signed documents (`signed-documents` of the confirmation; for a signing that
    /// needed no code or was confirmed in myDSS, the `documents-to-sign` of the start).
    pub documents: Vec<Link>,
    /// Further links of the answer.
    pub links: Vec<Link>,
    /// Fields of the answer this type does not name.
    pub extra: Map<String, Value>,
    /// For a myDSS confirmation: the finished task's `task-result` (operation status, file statuses).
    pub task_result: Option<Value>,
}

/// The plain content of a confirmed cloud decryption, stored in the content service.
#[derive(Clone)]
pub struct DecryptedContent {
    client: raw::Client,
    account_id: Uuid,
    content_id: Uuid,
    extra: Map<String, Value>,
}

impl DecryptedContent {
    /// The id of the decrypted content in the content service.
    pub fn content_id(&self) -> Uuid {
        self.content_id
    }

    /// The account the content belongs to.
    pub fn account_id(&self) -> Uuid {
        self.account_id
    }

    /// Fields of the answer this type does not name.
    pub fn extra(&self) -> &Map<String, Value> {
        &self.extra
    }

    /// Downloads the decrypted content from the content service, in `Range` chunks like every
    /// content: choose a stream, a file or bytes on the returned [`Download`].
    pub fn download(&self) -> Download {
        Contents::with_raw(self.client.clone(), self.account_id).download(self.content_id)
    }
}

impl fmt::Debug for DecryptedContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecryptedContent")
            .field("account_id", &self.account_id)
            .field("content_id", &self.content_id)
            .field("extra", &self.extra)
            .finish_non_exhaustive()
    }
}

/// The answer of a confirm call: the outcome, or why a 200 answer is not one.
pub(crate) type Confirmed<O> = Result<O, String>;

pub(crate) mod sealed {
    use super::*;

    /// The calls that differ per kind of operation and per resource.
    pub trait Outcome: Sized + Send + 'static {
        /// What the operation works on; kept in pending and saved confirmations.
        type Target: Clone
            + Copy
            + fmt::Debug
            + PartialEq
            + serde::Serialize
            + serde::de::DeserializeOwned
            + Send
            + Sync
            + 'static;

        /// The operation that confirms with a code, for messages.
        fn confirm_operation(target: &Self::Target) -> &'static str;

        /// The operation that polls the myDSS task, for messages.
        fn poll_operation(target: &Self::Target) -> &'static str;

        /// Sends the code.
        fn confirm<'a>(
            client: &'a raw::Client,
            target: &'a Self::Target,
            request_id: &'a str,
            code: &'a str,
        ) -> BoxFuture<'a, Result<Confirmed<Self>, Error>>;

        /// Reads the myDSS task.
        fn poll<'a>(
            client: &'a raw::Client,
            target: &'a Self::Target,
            task_id: Uuid,
        ) -> BoxFuture<'a, Result<ApiTask, Error>>;

        /// The outcome of a myDSS task that finished well.
        fn from_task(client: &raw::Client, target: &Self::Target, documents: &[Link], task: ApiTask)
        -> Confirmed<Self>;
    }
}

impl sealed::Outcome for SignedDocuments {
    type Target = SigningTarget;

    fn confirm_operation(target: &SigningTarget) -> &'static str {
        match target {
            SigningTarget::Draft { .. } => "confirm_cloud_sign_draft",
            SigningTarget::Reply { .. } => "confirm_cloud_sign_reply",
            SigningTarget::PfrReply { .. } => "confirm_cloud_sign_pfr_reply",
            SigningTarget::InventoryReply { .. } => "confirm_cloud_sign_inventory_reply",
        }
    }

    fn poll_operation(target: &SigningTarget) -> &'static str {
        match target {
            SigningTarget::Draft { .. } => "get_draft_task",
            SigningTarget::Reply { .. } => "get_reply_task",
            SigningTarget::PfrReply { .. } => "get_pfr_reply_task",
            SigningTarget::InventoryReply { .. } => "get_inventory_reply_task",
        }
    }

    fn confirm<'a>(
        client: &'a raw::Client,
        target: &'a SigningTarget,
        request_id: &'a str,
        code: &'a str,
    ) -> BoxFuture<'a, Result<Confirmed<Self>, Error>> {
        Box::pin(async move {
            let answer = match *target {
                SigningTarget::Draft { account_id, draft_id } => {
                    client
                        .confirm_cloud_sign_draft()
                        .account_id(account_id)
                        .draft_id(draft_id)
                        .request_id(request_id)
                        .code(code)
                        .send()
                        .checked()
                        .await?
                }
                SigningTarget::Reply { document, reply_id } => {
                    client
                        .confirm_cloud_sign_reply()
                        .account_id(document.account_id)
                        .docflow_id(document.docflow_id)
                        .document_id(document.document_id)
                        .reply_id(reply_id)
                        .request_id(request_id)
                        .code(code)
                        .send()
                        .checked()
                        .await?
                }
                SigningTarget::PfrReply { document, reply_id } => {
                    client
                        .confirm_cloud_sign_pfr_reply()
                        .account_id(document.account_id)
                        .docflow_id(document.docflow_id)
                        .document_id(document.document_id)
                        .reply_id(reply_id)
                        .request_id(request_id)
                        .code(code)
                        .send()
                        .checked()
                        .await?
                }
                SigningTarget::InventoryReply { document, reply_id } => {
                    client
                        .confirm_cloud_sign_inventory_reply()
                        .account_id(document.account_id)
                        .related_docflow_id(document.related_docflow_id)
                        .related_document_id(document.related_document_id)
                        .inventory_id(document.inventory_id)
                        .document_id(document.document_id)
                        .reply_id(reply_id)
                        .request_id(request_id)
                        .code(code)
                        .send()
                        .checked()
                        .await?
                }
            };
            let answer = answer.into_inner();
            Ok(Ok(SignedDocuments {
                documents: answer.signed_documents,
                links: answer.links,
                extra: answer.extra,
                task_result: None,
            }))
        })
    }

    fn poll<'a>(
        client: &'a raw::Client,
        target: &'a SigningTarget,
        task_id: Uuid,
    ) -> BoxFuture<'a, Result<ApiTask, Error>> {
        Box::pin(async move {
            let task = match *target {
                SigningTarget::Draft { account_id, draft_id } => {
                    client
                        .get_draft_task()
                        .account_id(account_id)
                        .draft_id(draft_id)
                        .api_task_id(task_id)
                        .send()
                        .checked()
                        .await?
                }
                SigningTarget::Reply { document, reply_id } => {
                    client
                        .get_reply_task()
                        .account_id(document.account_id)
                        .docflow_id(document.docflow_id)
                        .document_id(document.document_id)
                        .reply_id(reply_id)
                        .api_task_id(task_id)
                        .send()
                        .checked()
                        .await?
                }
                SigningTarget::PfrReply { document, reply_id } => {
                    client
                        .get_pfr_reply_task()
                        .account_id(document.account_id)
                        .docflow_id(document.docflow_id)
                        .document_id(document.document_id)
                        .reply_id(reply_id)
                        .api_task_id(task_id)
                        .send()
                        .checked()
                        .await?
                }
                SigningTarget::InventoryReply { document, reply_id } => {
                    client
                        .get_inventory_reply_task()
                        .account_id(document.account_id)
                        .related_docflow_id(document.related_docflow_id)
                        .related_document_id(document.related_document_id)
                        .inventory_id(document.inventory_id)
                        .document_id(document.document_id)
                        .reply_id(reply_id)
                        .api_task_id(task_id)
                        .send()
                        .checked()
                        .await?
                }
            };
            Ok(task.into_inner())
        })
    }

    fn from_task(_: &raw::Client, _: &SigningTarget, documents: &[Link], task: ApiTask) -> Confirmed<Self> {
        // The task's result reports statuses, not documents: the signed ones are those the start named.
        Ok(SignedDocuments {
            documents: documents.to_vec(),
            links: Vec::new(),
            extra: Map::new(),
            task_result: task.task_result,
        })
    }
}

impl sealed::Outcome for DecryptedContent {
    type Target = DecryptionTarget;

    fn confirm_operation(target: &DecryptionTarget) -> &'static str {
        match target.document {
            EncryptedDocument::Docflow(_) => "confirm_document_decryption",
            EncryptedDocument::Inventory(_) => "confirm_inventory_document_decryption",
        }
    }

    fn poll_operation(target: &DecryptionTarget) -> &'static str {
        match target.document {
            EncryptedDocument::Docflow(_) => "get_docflow_document_task",
            EncryptedDocument::Inventory(_) => "get_inventory_document_task",
        }
    }

    fn confirm<'a>(
        client: &'a raw::Client,
        target: &'a DecryptionTarget,
        request_id: &'a str,
        code: &'a str,
    ) -> BoxFuture<'a, Result<Confirmed<Self>, Error>> {
        Box::pin(async move {
            let answer = match target.document {
                EncryptedDocument::Docflow(document) => {
                    client
                        .confirm_document_decryption()
                        .account_id(document.account_id)
                        .docflow_id(document.docflow_id)
                        .document_id(document.document_id)
                        .request_id(request_id)
                        .code(code)
                        .unzip(target.unzip)
                        .send()
                        .checked()
                        .await?
                }
                EncryptedDocument::Inventory(document) => {
                    client
                        .confirm_inventory_document_decryption()
                        .account_id(document.account_id)
                        .related_docflow_id(document.related_docflow_id)
                        .related_document_id(document.related_document_id)
                        .inventory_id(document.inventory_id)
                        .document_id(document.document_id)
                        .request_id(request_id)
                        .code(code)
                        .unzip(target.unzip)
                        .send()
                        .checked()
                        .await?
                }
            };
            let answer = answer.into_inner();
            Ok(match answer.content_id {
                Some(content_id) => Ok(DecryptedContent {
                    client: client.clone(),
                    account_id: target.document.account_id(),
                    content_id,
                    extra: answer.extra,
                }),
                None => Err("the confirmation answer names no content-id".to_owned()),
            })
        })
    }

    fn poll<'a>(
        client: &'a raw::Client,
        target: &'a DecryptionTarget,
        task_id: Uuid,
    ) -> BoxFuture<'a, Result<ApiTask, Error>> {
        Box::pin(async move {
            let task = match target.document {
                EncryptedDocument::Docflow(document) => {
                    client
                        .get_docflow_document_task()
                        .account_id(document.account_id)
                        .docflow_id(document.docflow_id)
                        .document_id(document.document_id)
                        .api_task_id(task_id)
                        .send()
                        .checked()
                        .await?
                }
                EncryptedDocument::Inventory(document) => {
                    client
                        .get_inventory_document_task()
                        .account_id(document.account_id)
                        .related_docflow_id(document.related_docflow_id)
                        .related_document_id(document.related_document_id)
                        .inventory_id(document.inventory_id)
                        .document_id(document.document_id)
                        .api_task_id(task_id)
                        .send()
                        .checked()
                        .await?
                }
            };
            Ok(task.into_inner())
        })
    }

    fn from_task(client: &raw::Client, target: &DecryptionTarget, _: &[Link], task: ApiTask) -> Confirmed<Self> {
        // The docs say only that the result holds the decrypted content; we read the same
        // `content-id` the SMS confirmation answers with and never guess another field.
        let result = task.task_result.unwrap_or(Value::Null);
        let content_id = result.get("content-id").and_then(Value::as_str).and_then(|text| text.parse::<Uuid>().ok());
        match (content_id, result) {
            (Some(content_id), Value::Object(mut fields)) => {
                fields.remove("content-id");
                Ok(DecryptedContent {
                    client: client.clone(),
                    account_id: target.document.account_id(),
                    content_id,
                    extra: fields,
                })
            }
            (_, Value::Object(fields)) => Err(format!(
                "the finished decryption task names no content-id (its result has: {})",
                fields.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
            (_, Value::Null) => Err("the finished decryption task has no result".to_owned()),
            (_, _) => Err("the finished decryption task's result is not an object with a content-id".to_owned()),
        }
    }
}
