//! Typed ids: a docflow id cannot be passed where a draft id is expected.
//!
//! Each id is a UUID with its own type. Ids that arrive in answers are read with accessors on the
//! generated types (`docflow.docflow_id()`, `draft.draft_id()`, `task.task_id()`...), so they go
//! straight back into the layer's handles. A bare [`Uuid`] becomes an id only explicitly
//! (`DraftId::from(uuid)` or [`DraftId::new`]), and a typed id turns back into a `Uuid` with
//! [`DraftId::as_uuid`] or `Uuid::from` for [`crate::raw`] calls.
//!
//! ```
//! use kontur_extern::ids::{DocflowId, DraftId};
//!
//! let draft: DraftId = "6a1c7d1e-0f5c-4b43-9f5e-6a1c7d1e0f5c".parse().unwrap();
//! let raw: uuid::Uuid = draft.into();
//! assert_eq!(DraftId::from(raw), draft);
//! // let wrong: DocflowId = draft; // does not compile: a draft id is not a docflow id
//! # let _ = std::marker::PhantomData::<DocflowId>;
//! ```

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::raw::types;

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID that is known to name this kind of object.
            pub const fn new(id: Uuid) -> Self {
                Self(id)
            }

            /// The UUID, for [`crate::raw`] calls.
            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }
    };
}

typed_id!(
    /// An account (`/v1/{accountId}`). It can change: do not store it for long.
    AccountId
);
typed_id!(
    /// An organization of an account.
    OrganizationId
);
typed_id!(
    /// A draft: documents being assembled for sending.
    DraftId
);
typed_id!(
    /// A docflow (an inventory is a docflow too).
    DocflowId
);
typed_id!(
    /// A document of a draft or of a docflow.
    DocumentId
);
typed_id!(
    /// A signature of a document.
    SignatureId
);
typed_id!(
    /// A generated reply (answer document) to a docflow document.
    ReplyId
);
typed_id!(
    /// A document inside a PFR reply.
    ReplyDocumentId
);
typed_id!(
    /// A content in the content service.
    ContentId
);
typed_id!(
    /// A long-running API task.
    TaskId
);
typed_id!(
    /// A drafts builder.
    DraftsBuilderId
);
typed_id!(
    /// A document of a drafts builder.
    BuilderDocumentId
);
typed_id!(
    /// A file of a drafts builder document.
    BuilderFileId
);
typed_id!(
    /// A documents request (SEDO) of a docflow.
    DocumentsRequestId
);
typed_id!(
    /// A machine-readable warrant (power of attorney).
    WarrantId
);

macro_rules! id_accessors {
    ($ty:ty { $($(#[$meta:meta])* $method:ident -> $id:ident = $field:ident;)* }) => {
        impl $ty {
            $(
                $(#[$meta])*
                pub fn $method(&self) -> $id {
                    $id(self.$field)
                }
            )*
        }
    };
}

macro_rules! optional_id_accessors {
    ($ty:ty { $($(#[$meta:meta])* $method:ident -> $id:ident = $field:ident;)* }) => {
        impl $ty {
            $(
                $(#[$meta])*
                pub fn $method(&self) -> Option<$id> {
                    self.$field.map($id)
                }
            )*
        }
    };
}

id_accessors!(types::Account {
    /// The account's id.
    account_id -> AccountId = id;
});
id_accessors!(types::Organization {
    /// The organization's id.
    organization_id -> OrganizationId = id;
});
id_accessors!(types::Draft {
    /// The draft's id.
    draft_id -> DraftId = id;
});
optional_id_accessors!(types::Draft {
    /// The docflow the draft became, once sent.
    docflow_id -> DocflowId = docflow_id;
});
id_accessors!(types::DraftDocument {
    /// The document's id.
    document_id -> DocumentId = id;
});
id_accessors!(types::Docflow {
    /// The docflow's id.
    docflow_id -> DocflowId = id;
});
optional_id_accessors!(types::Docflow {
    /// The organization the docflow belongs to.
    organization_id -> OrganizationId = organization_id;
});
id_accessors!(types::DocflowPageItem {
    /// The docflow's id.
    docflow_id -> DocflowId = id;
});
optional_id_accessors!(types::DocflowPageItem {
    /// The organization the docflow belongs to.
    organization_id -> OrganizationId = organization_id;
});
id_accessors!(types::Document {
    /// The document's id.
    document_id -> DocumentId = id;
});
id_accessors!(types::Signature {
    /// The signature's id.
    signature_id -> SignatureId = id;
});
id_accessors!(types::ReplyDocument {
    /// The reply's id.
    reply_id -> ReplyId = id;
});
optional_id_accessors!(types::ReplyDocument {
    /// The docflow the reply answers in.
    docflow_id -> DocflowId = docflow_id;
    /// The document the reply answers.
    document_id -> DocumentId = document_id;
});
id_accessors!(types::PfrReply {
    /// The reply's id.
    reply_id -> ReplyId = id;
});
optional_id_accessors!(types::PfrReply {
    /// The docflow the reply answers in.
    docflow_id -> DocflowId = docflow_id;
});
id_accessors!(types::PfrReplyDocument {
    /// The id of this document of the reply.
    reply_document_id -> ReplyDocumentId = id;
});
id_accessors!(types::ApiTask {
    /// The task's id.
    task_id -> TaskId = id;
});
id_accessors!(types::ApiTaskPageItem {
    /// The task's id.
    task_id -> TaskId = id;
});
id_accessors!(types::ContentId {
    /// The content's id.
    content_id -> ContentId = id;
});
optional_id_accessors!(types::PrintResult {
    /// The printed PDF in the content service.
    content_id -> ContentId = content_id;
});
optional_id_accessors!(types::DecryptionConfirmResult {
    /// The decrypted content in the content service.
    content_id -> ContentId = content_id;
});
optional_id_accessors!(types::SaveDecryptedContentResult {
    /// The saved decrypted content.
    content_id -> ContentId = content_id;
});
optional_id_accessors!(types::SignInitResult {
    /// The myDSS signing task, when the certificate is confirmed in the myDSS app.
    task_id -> TaskId = task_id;
});
optional_id_accessors!(types::DecryptionInitResult {
    /// The myDSS decryption task, when there is one.
    decryption_task_id -> TaskId = decryption_task_id;
});
id_accessors!(types::DraftsBuilder {
    /// The builder's id.
    drafts_builder_id -> DraftsBuilderId = id;
});
id_accessors!(types::DraftsBuilderDocument {
    /// The builder document's id.
    builder_document_id -> BuilderDocumentId = id;
});
id_accessors!(types::DraftsBuilderDocumentFile {
    /// The builder file's id.
    builder_file_id -> BuilderFileId = id;
});
optional_id_accessors!(types::DraftsBuilderDocumentFile {
    /// The content of the file.
    content_id -> ContentId = content_id;
});
optional_id_accessors!(types::DraftsBuilderDocumentError {
    /// The builder document that failed.
    builder_document_id -> BuilderDocumentId = document_id;
});
id_accessors!(types::DocumentsRequest {
    /// The documents request's id.
    documents_request_id -> DocumentsRequestId = id;
});
optional_id_accessors!(types::DocumentsRequest {
    /// The docflow the request belongs to.
    docflow_id -> DocflowId = docflow_id;
});
optional_id_accessors!(types::DocflowDocumentContent {
    /// The content in the content service.
    content_id -> ContentId = content_id;
});
optional_id_accessors!(types::DraftDocumentContent {
    /// The content in the content service.
    content_id -> ContentId = content_id;
});
optional_id_accessors!(types::ApiEvent {
    /// The docflow the event is about.
    docflow_id -> DocflowId = docflow_id;
    /// The account of the docflow.
    account_id -> AccountId = account_id;
});
optional_id_accessors!(types::AccountUser {
    /// The account the user can reach.
    account_id -> AccountId = account_id;
});

impl types::DraftsBuilderBuildResult {
    /// The drafts built without errors.
    pub fn draft_ids(&self) -> Vec<DraftId> {
        self.draft_ids.iter().copied().map(DraftId).collect()
    }
}
