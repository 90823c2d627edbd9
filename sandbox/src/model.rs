//! What the sandbox remembers. The whole of it is one serialisable value, so `--state FILE` can keep
//! it across restarts. Records hold facts; answers are built from them by the API modules.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use kontur_extern::raw::types::{
    DraftDocumentDescription, DraftMeta, DraftsBuilderDocumentFileMeta, DraftsBuilderDocumentMeta, DraftsBuilderMeta,
    EventsFilter,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Everything the sandbox knows.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct World {
    /// Sandbox time when the state was last saved, so time goes on from there after a restart.
    pub sandbox_time: Option<DateTime<Utc>>,
    /// Identity: integrators, users and their tokens.
    pub identity: IdentityState,
    /// Accounts by id.
    pub accounts: BTreeMap<Uuid, AccountRecord>,
    /// Contents of the content service by id.
    pub contents: HashMap<Uuid, ContentRecord>,
    /// Drafts by id.
    pub drafts: HashMap<Uuid, DraftRecord>,
    /// Drafts builders by id (absent from state files written before builders existed).
    #[serde(default)]
    pub drafts_builders: HashMap<Uuid, DraftsBuilderRecord>,
    /// Docflows by id.
    pub docflows: HashMap<Uuid, DocflowRecord>,
    /// Replies being prepared, by id.
    pub replies: HashMap<Uuid, ReplyRecord>,
    /// Long-running API tasks by id.
    pub tasks: HashMap<Uuid, TaskRecord>,
    /// Cloud-signing requests waiting for an SMS code, by request id.
    pub confirmations: HashMap<String, ConfirmationRecord>,
    /// The events feed, oldest first.
    pub events: Vec<EventRecord>,
    /// Accounts that share their events with an integrator.
    pub publishers: Vec<PublisherRecord>,
}

/// Integrators, users and issued tokens.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct IdentityState {
    /// Registered integrators (`client_id` + api-key).
    pub integrators: Vec<Integrator>,
    /// Users who log in with a password.
    pub users: Vec<User>,
    /// Access tokens by value.
    pub access_tokens: HashMap<String, IssuedToken>,
    /// Refresh tokens by value.
    pub refresh_tokens: HashMap<String, IssuedToken>,
    /// Device logins by device code.
    #[serde(default)]
    pub device_logins: HashMap<String, DeviceLogin>,
    /// Authorization codes not exchanged yet, by code.
    #[serde(default)]
    pub authorization_codes: HashMap<String, AuthorizationCodeRecord>,
}

/// A code the authorize endpoint handed out, exchanged once for tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AuthorizationCodeRecord {
    /// The integrator it was issued to.
    pub client_id: String,
    /// The user who signed in.
    pub login: String,
    /// Requested scope.
    pub scope: String,
    /// Where the user was sent back; the exchange must name the same.
    pub redirect_uri: String,
    /// The nonce to put in the ID token.
    pub nonce: Option<String>,
    /// PKCE challenge (S256), when one was sent.
    pub code_challenge: Option<String>,
    /// Wall time when it stops being valid.
    pub expires_at: DateTime<Utc>,
}

/// A device login: started by an application, confirmed (or refused) by the user on the
/// identity host's page, then exchanged once for tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeviceLogin {
    /// The code the user types (or finds filled in on the page).
    pub user_code: String,
    /// The integrator that started it.
    pub client_id: String,
    /// Requested scope.
    pub scope: String,
    /// Wall time when the codes stop being valid.
    pub expires_at: DateTime<Utc>,
    /// `pending`, `approved`, `denied` or `used`.
    pub state: String,
    /// The user who confirmed it.
    pub login: Option<String>,
}

/// An integrator's service name and api-key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Integrator {
    /// Service name.
    pub client_id: String,
    /// The api-key (a GUID), sent as `client_secret`.
    pub api_key: String,
}

/// A user of Extern.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    /// User id.
    pub id: Uuid,
    /// Login.
    pub login: String,
    /// Password.
    pub password: String,
    /// Full name.
    pub name: String,
}

/// An issued token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IssuedToken {
    /// The user's login.
    pub login: String,
    /// The integrator it was issued to.
    pub client_id: String,
    /// Granted scope.
    pub scope: String,
    /// Wall time when it stops being valid.
    pub expires_at: DateTime<Utc>,
}

/// An account with its organizations and certificates.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountRecord {
    /// Account id.
    pub id: Uuid,
    /// INN of the head organization.
    pub inn: String,
    /// KPP of the head organization.
    pub kpp: Option<String>,
    /// Name of the head organization.
    pub name: String,
    /// Organizations of the account.
    pub organizations: Vec<OrganizationRecord>,
    /// Certificates of the account's users.
    pub certificates: Vec<CertificateRecord>,
}

/// An organization of an account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrganizationRecord {
    /// Organization id.
    pub id: Uuid,
    /// INN.
    pub inn: String,
    /// KPP.
    pub kpp: Option<String>,
    /// Name.
    pub name: String,
    /// The account's head organization.
    pub is_main: bool,
}

/// A certificate of a user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificateRecord {
    /// Thumbprint (hex).
    pub thumbprint: String,
    /// Serial number (hex).
    pub serial_number: String,
    /// The certificate bytes (stand-ins: the sandbox does no real cryptography).
    #[serde(with = "crate::model::base64_bytes")]
    pub content: Vec<u8>,
    /// Owner's full name.
    pub fio: String,
    /// Owner's INN.
    pub inn: String,
    /// End of validity.
    pub expires_at: DateTime<Utc>,
    /// A cloud certificate: signing happens on the server, confirmed by SMS.
    pub cloud: bool,
}

/// A content of the content service, complete or being uploaded in parts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContentRecord {
    /// Content id.
    pub id: Uuid,
    /// The account it was uploaded to.
    pub account_id: Uuid,
    /// Total length, once a part told it.
    pub total: Option<u64>,
    /// Parts by their first byte's offset.
    pub parts: BTreeMap<u64, Part>,
}

/// One uploaded part.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part(#[serde(with = "crate::model::base64_bytes")] pub Vec<u8>);

/// A draft.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DraftRecord {
    /// Draft id.
    pub id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// Sender, recipient, payer and the rest, as the client wrote them.
    pub meta: DraftMeta,
    /// Draft status (a DraftStatus value).
    pub status: String,
    /// Documents.
    pub documents: Vec<DraftDocumentRecord>,
    /// The docflow the draft became.
    pub docflow_id: Option<Uuid>,
    /// Tasks started on the draft, oldest first.
    pub task_ids: Vec<Uuid>,
}

/// A document of a draft.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DraftDocumentRecord {
    /// Document id.
    pub id: Uuid,
    /// Its content in the content service.
    pub content_id: Option<Uuid>,
    /// Description as the client wrote it.
    pub description: Option<DraftDocumentDescription>,
    /// Signatures.
    pub signatures: Vec<SignatureRecord>,
}

/// A signature of a document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignatureRecord {
    /// Signature id.
    pub id: Uuid,
    /// The signature bytes (CMS in real life; the sandbox does not verify them).
    #[serde(with = "crate::model::base64_bytes")]
    pub content: Vec<u8>,
    /// Thumbprint of the signing certificate, when known.
    pub thumbprint: Option<String>,
    /// Signer type (organization-representative, cu-representative, ...).
    pub signer_type: String,
    /// Who signed.
    pub title: String,
}

/// A drafts builder: a template that becomes one draft per document when built.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DraftsBuilderRecord {
    /// Builder id.
    pub id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// Builder type, sender, payer, recipient and the rest, as the client wrote them.
    pub meta: DraftsBuilderMeta,
    /// `new`, `building` or `finished` (a DraftsBuilderStatus value).
    pub status: String,
    /// Documents, in the order they were added.
    pub documents: Vec<DraftsBuilderDocumentRecord>,
    /// Tasks started on the builder, oldest first.
    pub task_ids: Vec<Uuid>,
}

/// A document of a drafts builder: a container for files, built into one draft.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DraftsBuilderDocumentRecord {
    /// Document id.
    pub id: Uuid,
    /// Meta as the client wrote it (answers add the builder's type).
    pub meta: DraftsBuilderDocumentMeta,
    /// Files, in the order they were added.
    pub files: Vec<DraftsBuilderFileRecord>,
}

/// A file of a drafts builder document, built into one draft document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DraftsBuilderFileRecord {
    /// File id.
    pub id: Uuid,
    /// Its content in the content service.
    pub content_id: Uuid,
    /// Meta as the client wrote it (answers add the builder's type).
    pub meta: DraftsBuilderDocumentFileMeta,
    /// The signature sent with the file, if any.
    pub signature: Option<SignatureRecord>,
}

/// A docflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocflowRecord {
    /// Docflow id.
    pub id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// The organization that sent it.
    pub organization_id: Option<Uuid>,
    /// INN of the sender.
    pub inn: String,
    /// KPP of the sender.
    pub kpp: Option<String>,
    /// Docflow type URN.
    pub docflow_type: String,
    /// Common status URN.
    pub status: String,
    /// Success state URN.
    pub success_state: String,
    /// Regulator code (the draft's recipient).
    pub recipient: String,
    /// The draft it was sent from.
    pub draft_id: Option<Uuid>,
    /// When it was sent (sandbox time).
    pub send_date: DateTime<Utc>,
    /// When it last changed (sandbox time).
    pub last_change: DateTime<Utc>,
    /// Documents, outgoing and incoming.
    pub documents: Vec<DocflowDocumentRecord>,
    /// The robot answering it, when the recipient is a test robot.
    pub robot: Option<crate::robots::Robot>,
    /// How many of the robot's steps happened.
    pub robot_steps_done: usize,
    /// The outcome the robot settles on when it has said everything.
    pub final_success_state: Option<String>,
    /// Requisites the client changed (`patch_docflow`), as `DocflowRequisites` JSON. Absent in
    /// state files written before.
    #[serde(default)]
    pub requisites: serde_json::Map<String, serde_json::Value>,
    /// For an inventory (an FNS docflow listing documents, attached to a document of another
    /// docflow): that document. Inventories are reached only under it, never as docflows
    /// (absent from state files written before inventories existed).
    #[serde(default)]
    pub inventory_of: Option<RelatedDocument>,
}

/// A document of a docflow, as something else (an inventory) refers to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelatedDocument {
    /// The docflow.
    pub docflow_id: Uuid,
    /// The document.
    pub document_id: Uuid,
}

/// A document of a docflow.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocflowDocumentRecord {
    /// Document id.
    pub id: Uuid,
    /// Document type URN.
    pub document_type: String,
    /// File name.
    pub filename: String,
    /// MIME type.
    pub content_type: String,
    /// Its content in the content service.
    pub content_id: Option<Uuid>,
    /// Size of the content.
    pub size: u64,
    /// Sent by the regulator (or the operator) rather than by the taxpayer.
    pub incoming: bool,
    /// Signatures.
    pub signatures: Vec<SignatureRecord>,
    /// The reply due on this document (document type URN), if one is due.
    pub reply_due: Option<String>,
    /// The reply was sent.
    pub reply_sent: bool,
    /// When it was sent.
    pub send_date: DateTime<Utc>,
    /// The decrypted content the taxpayer saved (`save_document_decrypted_content`); it stands
    /// for the document's decrypted content from then on. Absent in state files written before.
    #[serde(default)]
    pub decrypted_content_id: Option<Uuid>,
    /// Requisites the client changed (`patch_docflow_document`), as `DocumentRequisites` JSON.
    /// Absent in state files written before.
    #[serde(default)]
    pub requisites: serde_json::Map<String, serde_json::Value>,
}

/// A reply being prepared (generate-reply → signature → send).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplyRecord {
    /// Reply id.
    pub id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// The docflow.
    pub docflow_id: Uuid,
    /// The document it answers.
    pub document_id: Uuid,
    /// Type URN of the reply document.
    pub document_type: String,
    /// The reply document.
    #[serde(with = "crate::model::base64_bytes")]
    pub content: Vec<u8>,
    /// Certificate the reply is made for.
    #[serde(with = "crate::model::base64_bytes")]
    pub certificate: Vec<u8>,
    /// Its signature, once put.
    pub signature: Option<SignatureRecord>,
    /// Sent already.
    pub sent: bool,
}

/// What a task belongs to (and where it is polled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskOwner {
    /// A draft: check, prepare, send, cloud signing.
    Draft(Uuid),
    /// A draft document: print.
    DraftDocument {
        /// Draft.
        draft_id: Uuid,
        /// Document.
        document_id: Uuid,
    },
    /// A docflow document: print.
    DocflowDocument {
        /// Docflow.
        docflow_id: Uuid,
        /// Document.
        document_id: Uuid,
    },
    /// A drafts builder: build, documents prepare.
    DraftsBuilder(Uuid),
}

/// What a task does when it finishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TaskAction {
    /// Check the draft.
    Check,
    /// Check and prepare the draft for sending.
    Prepare,
    /// Send the draft (even with check errors when `force`).
    Send {
        /// Send despite check errors.
        force: bool,
    },
    /// Print a docflow document to PDF.
    PrintDocflowDocument,
    /// Print a draft document to PDF.
    PrintDraftDocument,
    /// Build one draft per document of a drafts builder.
    BuildDrafts,
    /// Prepare the documents of a drafts builder: find those that would fail the build.
    PrepareBuilderDocuments,
}

/// A long-running API task.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskRecord {
    /// Task id.
    pub id: Uuid,
    /// The account.
    pub account_id: Uuid,
    /// What it belongs to.
    pub owner: TaskOwner,
    /// What it does.
    pub action: TaskAction,
    /// Task type URN.
    pub task_type: String,
    /// `running`, `succeed` or `failed`.
    pub state: String,
    /// Sandbox time when it finishes.
    pub ready_at: DateTime<Utc>,
    /// Its result, once finished.
    pub result: Option<serde_json::Value>,
}

/// What a cloud-signing request signs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningTarget {
    /// Every document of a draft.
    Draft(Uuid),
    /// A reply.
    Reply(Uuid),
    /// Decrypting a docflow document.
    Decryption {
        /// Docflow.
        docflow_id: Uuid,
        /// Document.
        document_id: Uuid,
    },
}

/// A cloud-signing request waiting for its SMS code.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfirmationRecord {
    /// Request id.
    pub request_id: String,
    /// The account.
    pub account_id: Uuid,
    /// What it signs.
    pub target: SigningTarget,
    /// The code "sent by SMS" (readable through the test tools).
    pub code: String,
    /// Wall time after which the code is no longer accepted.
    pub expires_at: DateTime<Utc>,
    /// Wrong codes still allowed.
    pub attempts_left: u32,
    /// `pending`, `confirmed`, `expired` or `exhausted`.
    pub state: String,
}

/// One event of the feed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventRecord {
    /// The account.
    pub account_id: Uuid,
    /// The docflow.
    pub docflow_id: Uuid,
    /// Docflow type URN.
    pub docflow_type: String,
    /// Transaction URN.
    pub new_state: String,
    /// Sandbox time of the event.
    pub at: DateTime<Utc>,
    /// INN of the docflow's organization.
    pub inn: String,
    /// KPP of the docflow's organization.
    pub kpp: Option<String>,
}

/// An account sharing its events with an integrator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublisherRecord {
    /// Publisher id.
    pub id: String,
    /// The account.
    pub account_id: Uuid,
    /// The integrator's service name.
    pub subscriber: String,
    /// Which docflows' events are shared (none: all).
    pub filter: Option<EventsFilter>,
}

pub(crate) mod base64_bytes {
    //! Bytes as base64 text in the state file.
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::World;

    #[test]
    fn a_state_file_written_before_drafts_builders_still_loads() {
        let mut old = serde_json::to_value(World::default()).unwrap();
        old.as_object_mut().unwrap().remove("drafts_builders").expect("the field is written");
        let world: World = serde_json::from_value(old).expect("an old state file loads");
        assert!(world.drafts_builders.is_empty());
    }

    #[test]
    fn a_docflow_document_written_before_decrypted_contents_and_requisites_still_loads() {
        let mut document = serde_json::to_value(super::DocflowDocumentRecord {
            id: uuid::Uuid::new_v4(),
            document_type: "urn:document:fns534-report-description".to_owned(),
            filename: "report.xml".to_owned(),
            content_type: "application/xml".to_owned(),
            content_id: None,
            size: 0,
            incoming: false,
            signatures: Vec::new(),
            reply_due: None,
            reply_sent: false,
            send_date: chrono::Utc::now(),
            decrypted_content_id: None,
            requisites: Default::default(),
        })
        .unwrap();
        for field in ["decrypted_content_id", "requisites"] {
            document.as_object_mut().unwrap().remove(field).expect("the field is written");
        }
        let document: super::DocflowDocumentRecord = serde_json::from_value(document).expect("an old document loads");
        assert!(document.decrypted_content_id.is_none() && document.requisites.is_empty());
    }

    #[test]
    fn a_docflow_written_before_inventories_still_loads() {
        let mut docflow = serde_json::to_value(super::DocflowRecord {
            id: uuid::Uuid::nil(),
            account_id: uuid::Uuid::nil(),
            organization_id: None,
            inn: "7700000087".to_owned(),
            kpp: None,
            docflow_type: "urn:docflow:fns534-report".to_owned(),
            status: "urn:docflow-common-status:sent".to_owned(),
            success_state: "urn:docflow-state:neutral".to_owned(),
            recipient: "0087".to_owned(),
            draft_id: None,
            send_date: chrono::Utc::now(),
            last_change: chrono::Utc::now(),
            documents: Vec::new(),
            robot: None,
            robot_steps_done: 0,
            final_success_state: None,
            requisites: Default::default(),
            inventory_of: None,
        })
        .unwrap();
        docflow.as_object_mut().unwrap().remove("inventory_of").expect("the field is written");
        let docflow: super::DocflowRecord = serde_json::from_value(docflow).expect("an old docflow loads");
        assert!(docflow.inventory_of.is_none());
    }
}
