//! What a cloud operation works on: ids with names, so a docflow id cannot pass for a document id.
//!
//! These values are part of a [`SavedConfirmation`](super::SavedConfirmation), so they serialise
//! (kebab-case, tagged with the kind of resource).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A document of a docflow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DocumentIds {
    /// The account the docflow belongs to.
    pub account_id: Uuid,
    /// The docflow.
    pub docflow_id: Uuid,
    /// The document in the docflow.
    pub document_id: Uuid,
}

/// A document of an inventory: the documents a company sends in answer to a demand
/// (`urn:docflow:fns534-inventory`) hang off the demand's document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct InventoryDocumentIds {
    /// The account the docflows belong to.
    pub account_id: Uuid,
    /// The docflow the inventory relates to (the demand's).
    pub related_docflow_id: Uuid,
    /// The document of that docflow the inventory relates to.
    pub related_document_id: Uuid,
    /// The inventory.
    pub inventory_id: Uuid,
    /// The document in the inventory.
    pub document_id: Uuid,
}

/// What a cloud signing signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "resource", rename_all = "kebab-case", rename_all_fields = "kebab-case")]
#[non_exhaustive]
pub enum SigningTarget {
    /// Every document of a draft.
    Draft {
        /// The account of the draft.
        account_id: Uuid,
        /// The draft.
        draft_id: Uuid,
    },
    /// A reply (FNS, Rosstat and the rest) generated for a docflow document.
    Reply {
        /// The document the reply answers.
        document: DocumentIds,
        /// The reply.
        reply_id: Uuid,
    },
    /// A reply to the PFR/SFR generated for a docflow document.
    PfrReply {
        /// The document the reply answers.
        document: DocumentIds,
        /// The reply.
        reply_id: Uuid,
    },
    /// A reply generated for a document of an inventory.
    InventoryReply {
        /// The inventory document the reply answers.
        document: InventoryDocumentIds,
        /// The reply.
        reply_id: Uuid,
    },
}

impl SigningTarget {
    /// The account the signed documents belong to.
    pub fn account_id(&self) -> Uuid {
        match self {
            SigningTarget::Draft { account_id, .. } => *account_id,
            SigningTarget::Reply { document, .. } | SigningTarget::PfrReply { document, .. } => document.account_id,
            SigningTarget::InventoryReply { document, .. } => document.account_id,
        }
    }
}

/// An encrypted document to decrypt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "resource", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EncryptedDocument {
    /// A document of a docflow.
    Docflow(DocumentIds),
    /// A document of an inventory.
    Inventory(InventoryDocumentIds),
}

impl EncryptedDocument {
    /// The account the document belongs to.
    pub fn account_id(&self) -> Uuid {
        match self {
            EncryptedDocument::Docflow(document) => document.account_id,
            EncryptedDocument::Inventory(document) => document.account_id,
        }
    }
}

/// What a cloud decryption decrypts, and whether the plain content comes unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct DecryptionTarget {
    /// The encrypted document.
    pub document: EncryptedDocument,
    /// Ask the API to unpack the decrypted content (`unzip=true` on the confirmation).
    pub unzip: bool,
}
