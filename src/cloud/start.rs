//! Starting a cloud signing or decryption, and reading the API's answer into the next step.

use std::fmt;

use uuid::Uuid;

use super::error::{StartError, squash};
use super::outcome::{CloudOutcome, DecryptedContent, SignedDocuments};
use super::pending::{AwaitingApp, AwaitingCode, Pending};
use super::target::{DecryptionTarget, DocumentIds, EncryptedDocument, InventoryDocumentIds, SigningTarget};
use crate::raw;
use crate::raw::types::{Base64Bytes, DecryptContentRequest};
use crate::transport::SendExt;

/// What starting a cloud operation led to.
#[must_use = "a started operation may still wait for the user's confirmation"]
pub enum Started<O: CloudOutcome> {
    /// Done at once, no confirmation needed (a receipt to FNS or Rosstat signed without
    /// `forceConfirmation`, say).
    Done(O),
    /// An SMS with a code went to the user: confirm with it.
    AwaitingCode(AwaitingCode<O>),
    /// The user confirms in the myDSS app: wait for the task.
    AwaitingApp(AwaitingApp<O>),
}

impl<O: CloudOutcome + fmt::Debug> fmt::Debug for Started<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Started::Done(outcome) => f.debug_tuple("Done").field(outcome).finish(),
            Started::AwaitingCode(pending) => f.debug_tuple("AwaitingCode").field(pending).finish(),
            Started::AwaitingApp(pending) => f.debug_tuple("AwaitingApp").field(pending).finish(),
        }
    }
}

/// Cloud signing of a draft, a reply, a PFR reply or an inventory reply.
///
/// ```no_run
/// # async fn demo(client: &kontur_extern::Client, account_id: uuid::Uuid, draft_id: uuid::Uuid,
/// #     ask_user: impl Fn() -> String) -> Result<(), Box<dyn std::error::Error>> {
/// use kontur_extern::cloud::{CloudSigning, ConfirmError, ConfirmationCode, Started};
///
/// let signed = match CloudSigning::draft(client.raw(), account_id, draft_id).start().await? {
///     Started::Done(signed) => signed,
///     Started::AwaitingApp(pending) => pending.wait().await?,
///     Started::AwaitingCode(mut pending) => loop {
///         match pending.confirm(ConfirmationCode::new(ask_user())).await {
///             Ok(signed) => break signed,
///             // A wrong code: the same request waits for another try.
///             Err(ConfirmError::WrongCode { pending: again, .. }) => pending = again,
///             Err(other) => return Err(other.into()),
///         }
///     },
/// };
/// println!("{} documents signed", signed.documents.len());
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "nothing is signed until the signing is started"]
pub struct CloudSigning {
    client: raw::Client,
    target: SigningTarget,
}

/// Cloud signing of a reply or an inventory reply: these may skip the code for receipts.
///
/// Receipts to FNS and Rosstat are signed at once unless
/// [`force_confirmation`](Self::force_confirmation) is on; other replies always need a code.
#[derive(Debug)]
#[must_use = "nothing is signed until the signing is started"]
pub struct ReplySigning {
    signing: CloudSigning,
    force_confirmation: Option<bool>,
}

impl CloudSigning {
    /// Signs every document of a draft (`cloud-sign`, then `cloud-sign-confirm`).
    pub fn draft(client: &raw::Client, account_id: Uuid, draft_id: Uuid) -> Self {
        Self::new(client, SigningTarget::Draft { account_id, draft_id })
    }

    /// Signs a reply generated for a docflow document (`replies/{replyId}/cloud-sign`).
    pub fn reply(client: &raw::Client, document: DocumentIds, reply_id: Uuid) -> ReplySigning {
        ReplySigning::new(Self::new(client, SigningTarget::Reply { document, reply_id }))
    }

    /// Signs a PFR/SFR reply (`pfr-replies/{replyId}/cloud-sign`); always confirmed.
    pub fn pfr_reply(client: &raw::Client, document: DocumentIds, reply_id: Uuid) -> Self {
        Self::new(client, SigningTarget::PfrReply { document, reply_id })
    }

    /// Signs a reply generated for an inventory document.
    pub fn inventory_reply(client: &raw::Client, document: InventoryDocumentIds, reply_id: Uuid) -> ReplySigning {
        ReplySigning::new(Self::new(client, SigningTarget::InventoryReply { document, reply_id }))
    }

    fn new(client: &raw::Client, target: SigningTarget) -> Self {
        Self { client: client.clone(), target }
    }

    /// What will be signed.
    pub fn target(&self) -> &SigningTarget {
        &self.target
    }

    /// Starts the signing: the API signs at once, sends an SMS, or asks the user in myDSS.
    pub async fn start(self) -> Result<Started<SignedDocuments>, StartError> {
        start_signing(self.client, self.target, None).await
    }
}

impl ReplySigning {
    fn new(signing: CloudSigning) -> Self {
        Self { signing, force_confirmation: None }
    }

    /// Ask for a code even where the API may sign at once (`forceConfirmation`); the API's
    /// default is off.
    pub fn force_confirmation(mut self, force: bool) -> Self {
        self.force_confirmation = Some(force);
        self
    }

    /// What will be signed.
    pub fn target(&self) -> &SigningTarget {
        &self.signing.target
    }

    /// Starts the signing: the API signs at once, sends an SMS, or asks the user in myDSS.
    pub async fn start(self) -> Result<Started<SignedDocuments>, StartError> {
        start_signing(self.signing.client, self.signing.target, self.force_confirmation).await
    }
}

async fn start_signing(
    client: raw::Client,
    target: SigningTarget,
    force_confirmation: Option<bool>,
) -> Result<Started<SignedDocuments>, StartError> {
    let (operation, answer) = match target {
        SigningTarget::Draft { account_id, draft_id } => (
            "cloud_sign_draft",
            client.cloud_sign_draft().account_id(account_id).draft_id(draft_id).send().checked().await?,
        ),
        SigningTarget::Reply { document, reply_id } => {
            let mut call = client
                .cloud_sign_reply()
                .account_id(document.account_id)
                .docflow_id(document.docflow_id)
                .document_id(document.document_id)
                .reply_id(reply_id);
            if let Some(force) = force_confirmation {
                call = call.force_confirmation(force);
            }
            ("cloud_sign_reply", call.send().checked().await?)
        }
        SigningTarget::PfrReply { document, reply_id } => (
            "cloud_sign_pfr_reply",
            client
                .cloud_sign_pfr_reply()
                .account_id(document.account_id)
                .docflow_id(document.docflow_id)
                .document_id(document.document_id)
                .reply_id(reply_id)
                .send()
                .checked()
                .await?,
        ),
        SigningTarget::InventoryReply { document, reply_id } => {
            let mut call = client
                .cloud_sign_inventory_reply()
                .account_id(document.account_id)
                .related_docflow_id(document.related_docflow_id)
                .related_document_id(document.related_document_id)
                .inventory_id(document.inventory_id)
                .document_id(document.document_id)
                .reply_id(reply_id);
            if let Some(force) = force_confirmation {
                call = call.force_confirmation(force);
            }
            ("cloud_sign_inventory_reply", call.send().checked().await?)
        }
    };
    let mut answer = answer.into_inner();
    let confirm_type = answer.confirm_type.as_ref().map(ToString::to_string);
    let decision = decide(operation, confirm_type.as_deref(), answer.request_id.take(), answer.task_id)?;
    tracing::debug!(operation, next = decision.name(), "cloud signing started");
    Ok(match decision {
        Decision::Done => Started::Done(SignedDocuments {
            documents: answer.documents_to_sign,
            links: answer.links,
            extra: answer.extra,
            task_result: None,
        }),
        Decision::Code(request_id) => {
            Started::AwaitingCode(AwaitingCode::new(client, target, request_id, answer.documents_to_sign))
        }
        Decision::App(task_id) => {
            Started::AwaitingApp(AwaitingApp::new(client, target, task_id, answer.documents_to_sign))
        }
    })
}

/// Cloud decryption of a docflow or inventory document; the plain content lands in the content
/// service.
///
/// A decryption gives its content only through a confirmation, so
/// [`start`](Self::start) gives a [`Pending`] value: there is no "done at once" to handle.
///
/// ```no_run
/// # async fn demo(client: &kontur_extern::Client, document: kontur_extern::cloud::DocumentIds,
/// #     certificate: Vec<u8>, code: String) -> Result<(), Box<dyn std::error::Error>> {
/// use kontur_extern::cloud::{CloudDecryption, ConfirmationCode, Pending};
///
/// let content = match CloudDecryption::document(client.raw(), document, certificate).start().await? {
///     Pending::Code(pending) => pending.confirm(ConfirmationCode::new(code)).await?,
///     Pending::App(pending) => pending.wait().await?,
/// };
/// let bytes = content.download().bytes().await?;
/// println!("{} bytes in content {}", bytes.len(), content.content_id());
/// # Ok(()) }
/// ```
#[must_use = "nothing is decrypted until the decryption is started"]
pub struct CloudDecryption {
    client: raw::Client,
    target: DecryptionTarget,
    certificate: Vec<u8>,
}

impl CloudDecryption {
    /// Decrypts a docflow document with the user's cloud certificate (DER bytes).
    pub fn document(client: &raw::Client, document: DocumentIds, certificate: impl Into<Vec<u8>>) -> Self {
        Self::new(client, EncryptedDocument::Docflow(document), certificate.into())
    }

    /// Decrypts an inventory document with the user's cloud certificate (DER bytes).
    pub fn inventory_document(
        client: &raw::Client,
        document: InventoryDocumentIds,
        certificate: impl Into<Vec<u8>>,
    ) -> Self {
        Self::new(client, EncryptedDocument::Inventory(document), certificate.into())
    }

    fn new(client: &raw::Client, document: EncryptedDocument, certificate: Vec<u8>) -> Self {
        Self { client: client.clone(), target: DecryptionTarget { document, unzip: true }, certificate }
    }

    /// Whether the API unpacks the decrypted content (default on; off keeps it compressed as the
    /// API stores it, which is the API's own default).
    pub fn unzip(mut self, unzip: bool) -> Self {
        self.target.unzip = unzip;
        self
    }

    /// What will be decrypted.
    pub fn target(&self) -> &DecryptionTarget {
        &self.target
    }

    /// Starts the decryption: the API sends an SMS or asks the user in myDSS. An answer that
    /// asks for no confirmation is a [`StartError::UnexpectedAnswer`].
    pub async fn start(self) -> Result<Pending<DecryptedContent>, StartError> {
        let Self { client, target, certificate } = self;
        let body = DecryptContentRequest::builder().certificate_base64(Base64Bytes::encode(&certificate));
        let (operation, answer) = match target.document {
            EncryptedDocument::Docflow(document) => (
                "decrypt_document_content",
                client
                    .decrypt_document_content()
                    .account_id(document.account_id)
                    .docflow_id(document.docflow_id)
                    .document_id(document.document_id)
                    .body(body)
                    .send()
                    .checked()
                    .await?,
            ),
            EncryptedDocument::Inventory(document) => (
                "decrypt_inventory_document_content",
                client
                    .decrypt_inventory_document_content()
                    .account_id(document.account_id)
                    .related_docflow_id(document.related_docflow_id)
                    .related_document_id(document.related_document_id)
                    .inventory_id(document.inventory_id)
                    .document_id(document.document_id)
                    .body(body)
                    .send()
                    .checked()
                    .await?,
            ),
        };
        let mut answer = answer.into_inner();
        // The docs of the inventory methods call the myDSS task `TaskId`; the spec `decryption-task-id`.
        let task_id = answer.decryption_task_id.or_else(|| {
            answer.extra.get("task-id").and_then(serde_json::Value::as_str).and_then(|text| text.parse().ok())
        });
        // Read as text: the spec types it as a plain string here, as ConfirmType on signing.
        let confirm_type = answer.confirm_type.as_ref().map(ToString::to_string);
        let decision = decide(operation, confirm_type.as_deref(), answer.request_id.take(), task_id)?;
        tracing::debug!(operation, next = decision.name(), "cloud decryption started");
        match decision {
            Decision::Done => Err(StartError::UnexpectedAnswer {
                operation,
                detail: "no confirmation needed, but a decryption gives its content only on confirmation".to_owned(),
            }),
            Decision::Code(request_id) => Ok(Pending::Code(AwaitingCode::new(client, target, request_id, Vec::new()))),
            Decision::App(task_id) => Ok(Pending::App(AwaitingApp::new(client, target, task_id, Vec::new()))),
        }
    }
}

impl fmt::Debug for CloudDecryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CloudDecryption")
            .field("target", &self.target)
            .field("certificate_bytes", &self.certificate.len())
            .finish_non_exhaustive()
    }
}

/// The next step a start answer asks for.
#[derive(Debug, PartialEq, Eq)]
enum Decision {
    Done,
    Code(String),
    App(Uuid),
}

impl Decision {
    fn name(&self) -> &'static str {
        match self {
            Decision::Done => "done",
            Decision::Code(_) => "sms-code",
            Decision::App(_) => "my-dss",
        }
    }
}

#[derive(Clone, Copy)]
enum Method {
    NoConfirmation,
    Sms,
    MyDss,
}

/// Reads `confirm-type` together with which of `request-id` / `task-id` came back. An answer
/// without a confirm type is read from the ids alone (a request id means SMS, a task id myDSS).
fn decide(
    operation: &'static str,
    confirm_type: Option<&str>,
    request_id: Option<String>,
    task_id: Option<Uuid>,
) -> Result<Decision, StartError> {
    let confirm_type = confirm_type.filter(|text| !text.trim().is_empty());
    let request_id = request_id.filter(|id| !id.trim().is_empty());
    let method = match confirm_type {
        None => None,
        Some(text) => Some(match squash(text).as_str() {
            "none" => Method::NoConfirmation,
            "sms" => Method::Sms,
            "mydss" => Method::MyDss,
            _ => {
                return Err(StartError::UnsupportedConfirmType { operation, confirm_type: text.to_owned() });
            }
        }),
    };
    let unexpected = |detail: &str| Err(StartError::UnexpectedAnswer { operation, detail: detail.to_owned() });
    match (method, request_id, task_id) {
        (Some(Method::Sms), Some(request_id), _) => Ok(Decision::Code(request_id)),
        (Some(Method::Sms), None, _) => unexpected("confirm-type sms without a request-id"),
        (Some(Method::MyDss), _, Some(task_id)) => Ok(Decision::App(task_id)),
        (Some(Method::MyDss), _, None) => unexpected("confirm-type my-dss without a task id"),
        (Some(Method::NoConfirmation), None, None) | (None, None, None) => Ok(Decision::Done),
        (Some(Method::NoConfirmation), _, _) => unexpected("confirm-type none, yet a request-id or task id to confirm"),
        (None, Some(request_id), None) => Ok(Decision::Code(request_id)),
        (None, None, Some(task_id)) => Ok(Decision::App(task_id)),
        (None, Some(_), Some(_)) => {
            unexpected("no confirm-type, and both a request-id and a task id: SMS or myDSS cannot be told apart")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASK: &str = "0b6f3a34-52c1-4a35-9f37-8d2f01a1b6c2";

    fn task() -> Option<Uuid> {
        Some(TASK.parse().unwrap())
    }

    fn request() -> Option<String> {
        Some("req-1".to_owned())
    }

    #[test]
    fn confirm_type_and_ids_decide_together() {
        let op = "cloud_sign_draft";
        assert_eq!(decide(op, Some("sms"), request(), None).unwrap(), Decision::Code("req-1".to_owned()));
        assert_eq!(decide(op, Some("my-dss"), None, task()).unwrap(), Decision::App(task().unwrap()));
        assert_eq!(decide(op, Some("myDSS"), request(), task()).unwrap(), Decision::App(task().unwrap()));
        assert_eq!(decide(op, Some("none"), None, None).unwrap(), Decision::Done);
        assert_eq!(decide(op, None, None, None).unwrap(), Decision::Done);
        assert_eq!(decide(op, None, request(), None).unwrap(), Decision::Code("req-1".to_owned()));
        assert_eq!(decide(op, None, None, task()).unwrap(), Decision::App(task().unwrap()));
        assert_eq!(decide(op, Some(""), Some(" ".to_owned()), None).unwrap(), Decision::Done);
    }

    #[test]
    fn contradictions_are_errors() {
        let op = "cloud_sign_draft";
        for (confirm_type, request_id, task_id) in [
            (Some("sms"), None, task()),
            (Some("my-dss"), request(), None),
            (Some("none"), request(), None),
            (None, request(), task()),
        ] {
            let error = decide(op, confirm_type, request_id, task_id).unwrap_err();
            assert!(matches!(error, StartError::UnexpectedAnswer { operation: "cloud_sign_draft", .. }), "{error}");
        }
    }

    #[test]
    fn unknown_confirm_types_are_named() {
        for confirm_type in ["applet", "urn:confirm:push"] {
            let error = decide("cloud_sign_reply", Some(confirm_type), request(), None).unwrap_err();
            assert!(error.to_string().contains(&format!("`{confirm_type}`")), "{error}");
            assert!(matches!(error, StartError::UnsupportedConfirmType { .. }));
        }
    }
}
