//! Handles that mirror the resource paths of the API.
//!
//! `client.account(id).draft(id).document(id).signatures().add(..)` walks the same path as
//! `/v1/{accountId}/drafts/{draftId}/documents/{documentId}/signatures`. A handle is a cheap value
//! (a clone of the [`Client`], the ids of its path and the [`RequestOptions`] of its calls), so it
//! can be moved into `tokio::spawn`. Every method returns `Result<_, kontur_extern::Error>`
//! naming the operation, the HTTP status and the trace id. Anything not covered here is on
//! [`Client::raw`].
//!
//! ```no_run
//! # async fn demo(client: kontur_extern::Client, account: kontur_extern::ids::AccountId,
//! #     draft: kontur_extern::ids::DraftId) -> Result<(), kontur_extern::Error> {
//! use std::time::Duration;
//! use kontur_extern::RequestOptions;
//!
//! let draft = client.account(account).draft(draft);
//! let status = tokio::spawn(async move { draft.get().await }).await.unwrap()?.status;
//! // Options for every call made through a handle (and the handles it gives out):
//! let patient = client.account(account).with_options(RequestOptions::new().timeout(Duration::from_secs(300)));
//! # Ok(()) }
//! ```

// Request bodies are written with `..Default::default()` even where every field is named, so
// they keep compiling when the generated types gain fields (such as the `extra` map).
#[allow(clippy::needless_update)]
mod accounts;
#[allow(clippy::needless_update)]
mod builders;
mod capabilities;
#[allow(clippy::needless_update)]
mod docflows;
#[allow(clippy::needless_update)]
mod drafts;
#[allow(clippy::needless_update)]
mod handbooks;
#[allow(clippy::needless_update)]
mod organizations;
#[allow(clippy::needless_update)]
mod replies;

use std::future::Future;
use std::time::Duration;

use progenitor_client::ResponseValue;
use serde::Serialize;

pub use self::accounts::{AccountHandle, Accounts, Certificates, Employees, Users, Warrants};
pub use self::builders::{BuilderDocumentHandle, BuilderFileHandle, DraftsBuilderHandle, DraftsBuilders};
pub use self::docflows::{
    DocflowDocumentHandle, DocflowHandle, Docflows, DocumentsRequestHandle, InventoryDocumentHandle, InventoryHandle,
};
pub use self::drafts::{DraftDocumentHandle, DraftHandle, DraftSignatures, Drafts, NewDraft};
pub use self::handbooks::Handbooks;
pub use self::organizations::{OrganizationHandle, Organizations};
pub use self::replies::{AwaitedReply, PfrReplyHandle, ReplyHandle, ReplyKind, StartedReply};
use crate::tasks::TaskLocation;
use crate::transport::{CheckedCall, RetryPolicy, SendExt};
use crate::{Client, Error};

/// Per-call options of every call made through a handle: a time limit, a retry policy, retry
/// safety of POST/PATCH. Set them with `.with_options(..)` on any handle; handles it gives out
/// inherit them.
///
/// ```
/// use std::time::Duration;
/// use kontur_extern::RequestOptions;
///
/// let options = RequestOptions::new().timeout(Duration::from_secs(30)).retry_safe(true);
/// # let _ = options;
/// ```
#[derive(Clone, Debug, Default)]
pub struct RequestOptions {
    timeout: Option<Duration>,
    retry_policy: Option<RetryPolicy>,
    retry_safe: bool,
}

impl RequestOptions {
    /// The transport's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// The time limit of each attempt, instead of the transport's default.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The retry policy, instead of the transport's.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// Declares that sending the POST and PATCH calls twice does no harm, so they may be retried.
    pub fn retry_safe(mut self, safe: bool) -> Self {
        self.retry_safe = safe;
        self
    }

    pub(crate) fn timeout_value(&self) -> Option<Duration> {
        self.timeout
    }

    pub(crate) fn retry_policy_value(&self) -> Option<&RetryPolicy> {
        self.retry_policy.as_ref()
    }

    pub(crate) fn apply<F>(&self, mut call: CheckedCall<F>) -> CheckedCall<F> {
        if let Some(timeout) = self.timeout {
            call = call.timeout(timeout);
        }
        if let Some(policy) = &self.retry_policy {
            call = call.retry_policy(policy.clone());
        }
        if self.retry_safe {
            call = call.retry_safe();
        }
        call
    }
}

/// What every handle carries: the client and the options of its calls.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub(crate) client: Client,
    pub(crate) options: RequestOptions,
}

impl Ctx {
    pub(crate) fn new(client: Client) -> Self {
        Self { client, options: RequestOptions::default() }
    }

    pub(crate) fn raw(&self) -> &crate::raw::Client {
        self.client.raw()
    }

    /// Runs a generated call: checked, with this handle's options; a 409 "another task is
    /// running" becomes [`crate::tasks::TaskErrorKind::Busy`] (waitable when `lock` says where the
    /// blocking task lives).
    pub(crate) async fn run<F, T, E>(&self, lock: Option<TaskLocation>, send: F) -> Result<T, Error>
    where
        F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
        E: Serialize,
    {
        match self.options.apply(send.checked()).await {
            Ok(answer) => Ok(answer.into_inner()),
            Err(error) => Err(crate::tasks::busy_from(error, lock)),
        }
    }

    /// Like [`run`](Self::run) for calls that answer without a body worth keeping.
    pub(crate) async fn run_unit<F, T, E>(&self, lock: Option<TaskLocation>, send: F) -> Result<(), Error>
    where
        F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
        E: Serialize,
    {
        self.run(lock, send).await.map(drop)
    }
}

/// The bytes a `Base64Bytes` answer of `operation` carries.
pub(crate) fn decoded(answer: crate::raw::types::Base64Bytes, operation: &'static str) -> Result<bytes::Bytes, Error> {
    answer.decode().map(bytes::Bytes::from).map_err(|error| {
        Error::Decode(Box::new(crate::error::DecodeFailure {
            operation: Some(operation),
            status: None,
            trace_id: None,
            excerpt: crate::error::excerpt(answer.0.as_bytes()),
            source: serde::de::Error::custom(error),
        }))
    })
}

/// The bytes of a `Base64Bytes` answer of `operation`, as a located download.
pub(crate) fn inline(
    answer: crate::raw::types::Base64Bytes,
    operation: &'static str,
) -> Result<crate::contents::Located, crate::contents::ContentError> {
    Ok(crate::contents::Located::Inline(decoded(answer, operation)?))
}

impl Ctx {
    /// The content service of `account`, for the downloads a handle gives out.
    pub(crate) fn contents(&self, account: crate::ids::AccountId) -> crate::contents::Contents {
        crate::contents::Contents::new(self.client.clone(), account.as_uuid()).with_options(self.options.clone())
    }
}

/// The `with_options` method shared by every handle.
macro_rules! with_options {
    () => {
        /// The same handle whose calls use `options` (inherited by the handles it gives out).
        pub fn with_options(mut self, options: $crate::handles::RequestOptions) -> Self {
            self.ctx.options = options;
            self
        }
    };
}
pub(crate) use with_options;

impl Client {
    /// The account `id`: its drafts, docflows, organizations and more.
    ///
    /// ```no_run
    /// # async fn demo(client: kontur_extern::Client) -> Result<(), kontur_extern::Error> {
    /// use kontur_extern::ids::AccountId;
    /// let account = client.account("5f9c5d6e-2c5a-4f43-9c7e-0c2b1f0e9a11".parse::<AccountId>().unwrap());
    /// let info = account.get().await?;
    /// # Ok(()) }
    /// ```
    pub fn account(&self, id: crate::ids::AccountId) -> AccountHandle {
        AccountHandle::new(Ctx::new(self.clone()), id)
    }

    /// The accounts of the signed-in user: list and create.
    ///
    /// ```no_run
    /// # async fn demo(client: kontur_extern::Client) -> Result<(), kontur_extern::Error> {
    /// use futures::TryStreamExt;
    /// let accounts: Vec<_> = client.accounts().list().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn accounts(&self) -> Accounts {
        Accounts::new(Ctx::new(self.clone()))
    }

    /// Reference books: control units, FNS forms and the other handbooks.
    ///
    /// ```no_run
    /// # async fn demo(client: kontur_extern::Client) -> Result<(), kontur_extern::Error> {
    /// let unit = client.handbooks().control_unit("0087").await?;
    /// # Ok(()) }
    /// ```
    pub fn handbooks(&self) -> Handbooks {
        Handbooks::new(Ctx::new(self.clone()))
    }
}
