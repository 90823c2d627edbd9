//! Cloud signing and decryption, confirmed by an SMS code or in the myDSS app.
//!
//! With a cloud certificate of Kontur's certification centre the private key stays on Kontur's
//! side; the user allows each operation with a code from an SMS or in the myDSS phone app.
//! Every cloud operation of the API goes through one flow:
//!
//! 1. Build the operation from a client and ids: [`CloudSigning::draft`], [`CloudSigning::reply`],
//!    [`CloudSigning::pfr_reply`], [`CloudSigning::inventory_reply`], [`CloudDecryption::document`],
//!    [`CloudDecryption::inventory_document`].
//! 2. [`start`](CloudSigning::start) it. The answer's `confirm-type`, read together with which of
//!    `request-id` / `task-id` came back, gives a [`Started`]: [`Started::Done`] (no confirmation
//!    needed), [`Started::AwaitingCode`] (an SMS went out) or [`Started::AwaitingApp`] (myDSS).
//!    A decryption always needs a confirmation, so [`CloudDecryption::start`] gives a [`Pending`]
//!    (code or app). A confirm type this client cannot complete is a
//!    [`StartError::UnsupportedConfirmType`] naming it, never a guess.
//! 3. Confirm the pending value by value: [`AwaitingCode::confirm`] takes the
//!    [`ConfirmationCode`] and consumes the pending value, so it cannot be confirmed twice; a
//!    wrong code hands it back inside [`ConfirmError::WrongCode`]. [`AwaitingApp::wait`] polls
//!    the myDSS task and maps how it ended to [`AppError`].
//!
//! The result of a signing is [`SignedDocuments`] (links to the signed documents, as the API
//! gives them); of a decryption, a [`DecryptedContent`] naming the content in the content service,
//! with [`DecryptedContent::download`].
//!
//! A pending value can be parked with `into_saved` as a [`SavedConfirmation`] (serde, no secrets)
//! and resumed with a client later, for web back ends that ask for the code in a second request.
//!
//! The code is a secret: it has no `Display`, its `Debug` is `ConfirmationCode(***)`, and this
//! module never puts it in an error, a span or a log line (errors of the confirm call are cleaned
//! of it, including the request URL reqwest keeps).
//!
//! How failures map to errors, and why: see [`error`].
//!
//! # Answering a demand with a receipt
//!
//! A receipt (`fns534-demand-receipt`) to FNS is signed at once, with no SMS, unless
//! `forceConfirmation` is on:
//!
//! ```no_run
//! # async fn demo(client: &kontur_extern::Client, demand: kontur_extern::cloud::DocumentIds,
//! #     certificate: Vec<u8>) -> Result<(), Box<dyn std::error::Error>> {
//! use kontur_extern::cloud::{CloudSigning, Started};
//! use kontur_extern::raw::types::{Base64Bytes, GenerateReplyRequest, SendReplyRequest};
//! use kontur_extern::transport::SendExt;
//!
//! let raw = client.raw();
//! let reply = raw
//!     .generate_reply()
//!     .account_id(demand.account_id)
//!     .docflow_id(demand.docflow_id)
//!     .document_id(demand.document_id)
//!     .document_type("fns534-demand-receipt")
//!     .body(GenerateReplyRequest::builder().certificate_base64(Base64Bytes::encode(&certificate)))
//!     .send()
//!     .checked()
//!     .await?
//!     .into_inner();
//! match CloudSigning::reply(raw, demand, reply.id).start().await? {
//!     Started::Done(signed) => println!("signed at once: {:?}", signed.documents),
//!     Started::AwaitingCode(pending) => {
//!         // Some receipts still want a code; keep the request for the user's answer.
//!         let saved = serde_json::to_string(&pending.into_saved())?;
//!         println!("ask the user for the SMS code, then resume {saved}");
//!         return Ok(());
//!     }
//!     Started::AwaitingApp(pending) => drop(pending.wait().await?),
//! }
//! raw.send_reply()
//!     .account_id(demand.account_id)
//!     .docflow_id(demand.docflow_id)
//!     .document_id(demand.document_id)
//!     .reply_id(reply.id)
//!     .body(SendReplyRequest::builder())
//!     .send()
//!     .checked()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Signing a draft, the code asked for in a second request
//!
//! ```no_run
//! # async fn demo(client: &kontur_extern::Client, account_id: uuid::Uuid, draft_id: uuid::Uuid,
//! #     code_from_user: String) -> Result<(), Box<dyn std::error::Error>> {
//! use kontur_extern::cloud::{CloudSigning, ConfirmationCode, Pending, SavedConfirmation, SignedDocuments, Started};
//!
//! // First request: start, and store what waits for the code.
//! let Started::AwaitingCode(pending) = CloudSigning::draft(client.raw(), account_id, draft_id).start().await? else {
//!     return Ok(());
//! };
//! let stored: String = serde_json::to_string(&pending.into_saved())?;
//!
//! // Second request: the user typed the code.
//! let saved: SavedConfirmation<SignedDocuments> = serde_json::from_str(&stored)?;
//! if let Pending::Code(pending) = saved.resume(client.raw()) {
//!     let signed = pending.confirm(ConfirmationCode::new(code_from_user)).await?;
//!     println!("{} documents signed", signed.documents.len());
//! }
//! # Ok(()) }
//! ```

mod code;
pub mod error;
mod outcome;
mod pending;
mod poller;
mod start;
mod target;
#[cfg(feature = "test-tools")]
mod test_stand;

pub use self::code::ConfirmationCode;
pub use self::error::{AppError, ConfirmError, StartError};
pub use self::outcome::{CloudOutcome, DecryptedContent, SignedDocuments};
pub use self::pending::{AppCheck, AppPolling, AwaitingApp, AwaitingCode, Pending, SavedConfirmation};
pub use self::start::{CloudDecryption, CloudSigning, ReplySigning, Started};
pub use self::target::{DecryptionTarget, DocumentIds, EncryptedDocument, InventoryDocumentIds, SigningTarget};
#[cfg(feature = "test-tools")]
pub use self::test_stand::test_stand_code;
