//! Contents of reports, letters and attachments, up to 30 GB, moved in constant memory both ways.
//!
//! The content service (`/v1/{accountId}/contents`) takes an upload in parts: the first with
//! `POST` and `Content-Range` (answer 201 when that was the whole content, 200 when more parts
//! follow), the rest with `PUT`, at most 64 MB each. It serves a download in `Range` chunks of
//! at most 64 MB. [`Contents`] does both through the generated operations, so every request
//! goes through the [transport](crate::transport) (credentials, in-flight cap, retries, spans):
//!
//! - [`Contents::upload`] reads any [`AsyncRead`](tokio::io::AsyncRead), a file, bytes or a
//!   stream of bytes in parts of [`Upload::part_size`], each streamed from the source into its
//!   request and kept until accepted (about two parts in memory: the next part goes while the
//!   answer to the one before is awaited). A failed part is sent again on its own; an
//!   [`UploadCheckpoint`] saved after each part lets a later process finish the upload.
//! - [`Contents::download`] gives a [`Stream`](futures::Stream) of bytes (or an `AsyncRead`, or a
//!   file), fetching `Range` chunks with the next one requested while the current one is read.
//!   A chunk that breaks off is asked for again from the byte where it broke.
//! - Both report [`Progress`] to a callback or a `watch` channel.
//!
//! Every content-bearing resource of the layer downloads through this one mechanism: its handle
//! method returns a [`Download`] (stream, reader, file or bytes, with progress and a start
//! offset). Where the resource lists a content id, the bytes come from the content service in
//! `Range` chunks; where the API answers the bytes themselves as base64 inside JSON, that answer
//! is fetched in one request through the same transport, decoded by the one helper
//! ([`Base64Bytes::decode`](crate::raw::types::Base64Bytes::decode), errors naming the
//! operation) and handed over in pieces of the chunk size, with the same progress and errors.
//!
//! | Resource | Method | How it downloads |
//! |---|---|---|
//! | Any content by id | [`Contents::download`], `AccountHandle::contents().download(id)` | `Range` chunks |
//! | Docflow document, decrypted / encrypted | [`DocflowDocumentHandle::decrypted_content`](crate::handles::DocflowDocumentHandle::decrypted_content), [`encrypted_content`](crate::handles::DocflowDocumentHandle::encrypted_content) | the document's `docflow-document-contents` id in `Range` chunks; if none is listed, the deprecated `…/decrypted-content` / `…/encrypted-content` base64 answer |
//! | Inventory document, decrypted / encrypted | [`InventoryDocumentHandle::decrypted_content`](crate::handles::InventoryDocumentHandle::decrypted_content), [`encrypted_content`](crate::handles::InventoryDocumentHandle::encrypted_content) | the id listed in the inventory, in `Range` chunks; else the deprecated base64 answer |
//! | Draft document, decrypted / encrypted | [`DraftDocumentHandle::decrypted_content`](crate::handles::DraftDocumentHandle::decrypted_content), [`encrypted_content`](crate::handles::DraftDocumentHandle::encrypted_content) | the document's `contents` id in `Range` chunks; else the deprecated base64 answer |
//! | Signature of a docflow / inventory / draft document | [`DocflowDocumentHandle::signature_content`](crate::handles::DocflowDocumentHandle::signature_content), [`InventoryDocumentHandle::signature_content`](crate::handles::InventoryDocumentHandle::signature_content), [`DraftSignatures::content`](crate::handles::DraftSignatures::content) | base64 answer of `…/signatures/{id}/content` (no content id exists) |
//! | Print result (PDF) | `print().await?.wait().await?` gives the id; [`DocflowDocumentHandle::content`](crate::handles::DocflowDocumentHandle::content), [`DraftDocumentHandle::content`](crate::handles::DraftDocumentHandle::content) | `Range` chunks |
//! | Data to sign (`decrypted-content-id`) | [`DraftDocumentHandle::content`](crate::handles::DraftDocumentHandle::content) | `Range` chunks |
//! | A `content`, `decrypted-content` or `encrypted-content` link of an answer | [`Links::content`](crate::links::Links::content) | a link into the content service in `Range` chunks; any other link's base64 answer |
//! | Cloud decryption result | [`DecryptedContent::download`](crate::cloud::DecryptedContent::download) | `Range` chunks |
//! | Generated reply, content / printed form | [`ReplyHandle::content`](crate::handles::ReplyHandle::content), [`print_content`](crate::handles::ReplyHandle::print_content) | base64 fields of the reply (`get_reply`) |
//! | PFR reply document, decrypted / encrypted / signature | [`PfrReplyHandle::document_content`](crate::handles::PfrReplyHandle::document_content), [`document_encrypted_content`](crate::handles::PfrReplyHandle::document_encrypted_content), [`document_signature`](crate::handles::PfrReplyHandle::document_signature) | the document's `decrypted-content` link as [`Links::content`](crate::links::Links::content) follows it; base64 fields of the reply (`get_pfr_reply`) |
//! | Draft document's signature, legacy single-signature API | [`DraftSignatures::legacy`](crate::handles::DraftSignatures::legacy) | base64 answer of `…/documents/{id}/signature` |
//! | Drafts builder file, content / signature | [`BuilderFileHandle::content`](crate::handles::BuilderFileHandle::content), [`signature`](crate::handles::BuilderFileHandle::signature) | the file's `content-id` in `Range` chunks, else the deprecated base64 answer / the base64 signature answer |
//!
//! A download that must first look something up (the document's list of contents, a base64
//! answer) does so when it is first read; a failed lookup is the download's first error
//! ([`ContentError::Call`], naming the operation, status and trace id).

mod download;
mod progress;
mod upload;

use std::time::Duration;

use uuid::Uuid;

pub(crate) use self::download::Located;
pub use self::download::{ContentStream, Download};
pub use self::progress::Progress;
pub use self::upload::{MAX_PARTS_IN_FLIGHT, Upload, UploadCheckpoint, UploadSource};
use crate::transport::{CheckedCall, RetryPolicy};
use crate::{Client, RequestOptions, raw};

/// The largest part or range the content service takes or serves in one request (64 MiB).
pub const MAX_PART_SIZE: usize = 64 * 1024 * 1024;

/// Parts of an upload are this long unless [`Upload::part_size`] says otherwise (8 MiB).
pub const DEFAULT_PART_SIZE: usize = 8 * 1024 * 1024;

/// Ranges of a download are this long unless [`Download::chunk_size`] says otherwise (8 MiB).
pub const DEFAULT_CHUNK_SIZE: usize = 8 * 1024 * 1024;

/// The slowest transfer rate a part or chunk is given time for, on top of the transport's timeout.
const SLOWEST_RATE_BYTES_PER_SECOND: u64 = 128 * 1024;

/// The time limit of one attempt to move `bytes` in one request: `base` (the caller's timeout,
/// else the transport's first-byte timeout) plus [`transfer_allowance`], so a large part on a
/// slow line is not cut off while it moves.
fn attempt_timeout(raw: &raw::Client, base: Option<Duration>, bytes: u64) -> Duration {
    base.unwrap_or_else(|| raw.inner.current_default_timeout()) + transfer_allowance(bytes)
}

/// The time to move `bytes` at [`SLOWEST_RATE_BYTES_PER_SECOND`]: what a request carrying them
/// gets on top of both its attempt's time limit and the whole call's deadline (an upload's body
/// goes before the answer's head, which both of those wait for). This is the only place that
/// decides it.
fn transfer_allowance(bytes: u64) -> Duration {
    Duration::from_secs(bytes.div_ceil(SLOWEST_RATE_BYTES_PER_SECOND))
}

/// The content service of one account.
///
/// ```no_run
/// # async fn demo(client: kontur_extern::Client, account: uuid::Uuid) -> Result<(), kontur_extern::contents::ContentError> {
/// use kontur_extern::contents::UploadSource;
///
/// let contents = client.contents(account);
/// let content_id = contents.upload(UploadSource::path("report.xml")).await?;
/// let copied = contents.download(content_id).to_path("copy.xml").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Contents {
    raw: raw::Client,
    account_id: Uuid,
    options: RequestOptions,
}

impl Contents {
    /// The contents of `account_id`, reached through `client`.
    pub fn new(client: Client, account_id: Uuid) -> Self {
        Self::with_raw(client.raw().clone(), account_id)
    }

    /// The contents of `account_id`, reached through a generated client (tests, custom set-ups).
    pub fn with_raw(raw: raw::Client, account_id: Uuid) -> Self {
        Self { raw, account_id, options: RequestOptions::default() }
    }

    /// Per-call options for every request its uploads and downloads make: a timeout replaces
    /// the transport's as the base of each part's or chunk's time limit (which still grows with
    /// the bytes moved); a retry policy replaces the transport's, also for resending a part and
    /// for asking again after a chunk broke off. Contents reached through a handle carry the
    /// handle's options.
    ///
    /// ```no_run
    /// # async fn demo(client: kontur_extern::Client, account: uuid::Uuid, id: uuid::Uuid) -> Result<(), kontur_extern::contents::ContentError> {
    /// use std::time::Duration;
    /// use kontur_extern::{RequestOptions, transport::RetryPolicy};
    ///
    /// let contents = client.contents(account).with_options(
    ///     RequestOptions::new().timeout(Duration::from_secs(20)).retry_policy(RetryPolicy::none()),
    /// );
    /// let bytes = contents.download(id).bytes().await?;
    /// # Ok(()) }
    /// ```
    pub fn with_options(mut self, options: RequestOptions) -> Self {
        self.options = options;
        self
    }

    /// `call` with the options applied and the time limits of a request moving `bytes`: each
    /// attempt's, and the whole call's deadline grown by the same [`transfer_allowance`].
    fn limited<F>(&self, call: CheckedCall<F>, bytes: u64) -> CheckedCall<F> {
        let deadline = self.raw.inner.current_deadline() + transfer_allowance(bytes);
        let attempt = attempt_timeout(&self.raw, self.options.timeout_value(), bytes);
        self.options.apply(call).timeout(attempt).deadline(deadline)
    }

    /// The retry policy of its requests: the options', else the transport's.
    fn retry_policy(&self) -> RetryPolicy {
        self.options.retry_policy_value().cloned().unwrap_or_else(|| self.raw.inner.current_retry_policy().clone())
    }

    /// The account whose contents these are.
    pub fn account_id(&self) -> Uuid {
        self.account_id
    }

    /// Uploads `source` (a reader, a file, bytes or a stream; see [`UploadSource`]); `.await` the
    /// returned [`Upload`] for the content id, after setting part size, progress or a checkpoint.
    pub fn upload(&self, source: impl Into<UploadSource>) -> Upload {
        Upload::new(self.clone(), source.into())
    }

    /// Downloads content `content_id`: choose a stream, a reader, a file or bytes on the
    /// returned [`Download`].
    pub fn download(&self, content_id: impl Into<Uuid>) -> Download {
        Download::new(self.clone(), content_id.into())
    }
}

impl Client {
    /// The content service of `account_id`: uploads and downloads of any size.
    pub fn contents(&self, account_id: Uuid) -> Contents {
        Contents::new(self.clone(), account_id)
    }
}

/// A content upload or download that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContentError {
    /// A request to the content service failed (the error names the operation, status and trace id).
    #[error(transparent)]
    Call(#[from] crate::Error),
    /// The content service refused a part as too large (HTTP 413).
    #[error(
        "the content service refused a part of {part_size} bytes as too large (HTTP 413): \
         choose a smaller part size (at most {MAX_PART_SIZE} bytes): {source}"
    )]
    PartTooLarge {
        /// The length of the refused part.
        part_size: u64,
        source: crate::Error,
    },
    /// A part or chunk size outside 1 byte ..= [`MAX_PART_SIZE`].
    #[error("{what} must be between 1 and {MAX_PART_SIZE} bytes, not {size}")]
    InvalidSize { what: &'static str, size: usize },
    /// Reading what was to be uploaded failed.
    #[error("reading the content to upload failed at byte {offset}: {source}")]
    Read { offset: u64, source: std::io::Error },
    /// The source of an upload gave a different number of bytes than its declared length.
    #[error("the content to upload was declared {declared} bytes long but gave {actual}{}", if *.more { " or more" } else { "" })]
    LengthMismatch { declared: u64, actual: u64, more: bool },
    /// Writing a downloaded content failed.
    #[error("writing the downloaded content failed at byte {offset}: {source}")]
    Write { offset: u64, source: std::io::Error },
    /// Bytes carried as base64 inside a JSON answer (a signature, a reply or print content) are not valid base64.
    #[error(transparent)]
    InvalidBase64(#[from] crate::base64::InvalidBase64),
    /// The content service answered something that does not fit what was asked.
    #[error("{operation}: {message}{}", trace_suffix(.trace_id))]
    Protocol { operation: &'static str, message: String, trace_id: Option<String> },
}

fn trace_suffix(trace_id: &Option<String>) -> String {
    trace_id.as_ref().map(|id| format!(" (trace id {id})")).unwrap_or_default()
}

impl From<ContentError> for std::io::Error {
    fn from(error: ContentError) -> Self {
        match error {
            ContentError::Read { source, .. } | ContentError::Write { source, .. } => source,
            other => std::io::Error::other(other),
        }
    }
}

fn check_size(what: &'static str, size: usize) -> Result<u64, ContentError> {
    if (1..=MAX_PART_SIZE).contains(&size) { Ok(size as u64) } else { Err(ContentError::InvalidSize { what, size }) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_timeout_grows_with_the_bytes() {
        let raw = crate::transport::Transport::unauthenticated().default_timeout(Duration::from_secs(10));
        let raw = raw.into_client("http://127.0.0.1:9").unwrap();
        assert_eq!(attempt_timeout(&raw, None, 0), Duration::from_secs(10));
        assert_eq!(attempt_timeout(&raw, None, 64 * 1024 * 1024), Duration::from_secs(10 + 512));
        assert_eq!(attempt_timeout(&raw, Some(Duration::from_secs(3)), 128 * 1024), Duration::from_secs(4));
        assert_eq!(transfer_allowance(8 * 1024 * 1024), Duration::from_secs(64));
    }

    #[test]
    fn sizes_are_checked() {
        assert_eq!(check_size("part size", 1).unwrap(), 1);
        assert_eq!(check_size("part size", MAX_PART_SIZE).unwrap(), MAX_PART_SIZE as u64);
        let error = check_size("part size", MAX_PART_SIZE + 1).unwrap_err();
        assert!(error.to_string().starts_with("part size must be between 1 and 67108864"), "{error}");
        assert!(check_size("chunk size", 0).is_err());
    }
}
