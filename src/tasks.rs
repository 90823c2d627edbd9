//! Long-running API tasks: started with `deferred=true`, awaited by polling.
//!
//! A [`Task<K>`] knows where it is polled ([`TaskLocation`]) and what its result is ([`TaskKind`]):
//! `draft.check()` gives a `Task<Check>` whose [`wait`](Task::wait) ends in a
//! [`CheckResult`](types::CheckResult), `draft.send()` a `Task<SendDraft>` ending in a
//! [`SendOutcome`], `print` a `Task<Print>` ending in the [`ContentId`] of the PDF.
//!
//! Waiting polls with growing pauses ([`WaitPolicy`]: from about 1 s, capped, with an overall
//! deadline); it is a plain future, so dropping it stops the polling. A failed task is
//! [`TaskErrorKind::Failed`] with the task's own error. A task can be saved ([`Task::ticket`],
//! serde) and awaited again after a restart ([`TaskTicket::resume`]).
//!
//! While a task runs the API locks its object: another check, send or edit answers 409
//! `concurrentApiTaskActive`. The layer reports it as [`TaskErrorKind::Busy`], which names the
//! blocking task and can wait for it ([`TaskConflict::wait`]).
//!
//! ```no_run
//! # async fn demo(client: kontur_extern::Client, account: kontur_extern::ids::AccountId,
//! #     draft: kontur_extern::ids::DraftId) -> Result<(), kontur_extern::Error> {
//! use std::time::Duration;
//! use kontur_extern::tasks::{SendOutcome, WaitPolicy};
//!
//! let draft = client.account(account).draft(draft);
//! let check = draft.check().await?.wait().await?;
//! for (document, errors) in check.data.iter().flat_map(|data| &data.documents_errors) {
//!     println!("{document}: {} findings", errors.len());
//! }
//! let send = draft.send().await?;
//! let ticket = serde_json::to_string(&send.ticket()).unwrap(); // survives a restart
//! match send.with_policy(WaitPolicy::default().deadline(Duration::from_secs(600))).wait().await? {
//!     SendOutcome::Sent(docflow) => println!("sent as {}", docflow.docflow_id()),
//!     SendOutcome::NotSent(failure) => println!("not sent: {:?}", failure.message),
//! }
//! # Ok(()) }
//! ```

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::error::ApiFailure;
use crate::handles::{Ctx, RequestOptions};
use crate::ids::{AccountId, ContentId, DocflowId, DocumentId, DraftId, DraftsBuilderId, ReplyId, TaskId};
use crate::raw::types::{self, ApiError, ApiTask};
use crate::{Client, Error};

/// The error id of a 409 answer given while another task holds the object.
pub const CONCURRENT_TASK_ERROR_ID: &str = "urn:error:externapi:concurrentApiTaskActive";

/// How a task is awaited: pauses between polls grow from `first_interval` by `multiplier` up to
/// `max_interval`; waiting gives up after `deadline`.
///
/// The default starts at 1 s, grows by half each poll up to 10 s, and gives up after 30 minutes
/// (tasks may run over 10 minutes; Kontur suggests about 5 s between polls for printing).
#[derive(Clone, Debug, PartialEq)]
pub struct WaitPolicy {
    first_interval: Duration,
    max_interval: Duration,
    multiplier: f64,
    deadline: Option<Duration>,
}

impl Default for WaitPolicy {
    fn default() -> Self {
        Self {
            first_interval: Duration::from_secs(1),
            max_interval: Duration::from_secs(10),
            multiplier: 1.5,
            deadline: Some(Duration::from_secs(30 * 60)),
        }
    }
}

impl WaitPolicy {
    /// The pause before the second poll (the first is immediate unless the task is known done).
    pub fn first_interval(mut self, interval: Duration) -> Self {
        self.first_interval = interval;
        self
    }

    /// The longest pause between polls.
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// How much each pause grows (at least 1.0: constant pauses).
    pub fn multiplier(mut self, multiplier: f64) -> Self {
        self.multiplier = if multiplier.is_finite() { multiplier.max(1.0) } else { 1.0 };
        self
    }

    /// Give up after this long in all; waiting then fails with [`TaskErrorKind::DeadlineExceeded`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Wait for as long as the task runs.
    pub fn no_deadline(mut self) -> Self {
        self.deadline = None;
        self
    }

    fn next_interval(&self, current: Duration) -> Duration {
        current.mul_f64(self.multiplier).min(self.max_interval)
    }
}

/// Where a task is polled: the object it works on. Saved with a [`TaskTicket`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "at", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TaskLocation {
    /// `…/drafts/{draftId}/tasks/{id}`: check, prepare, send, cloud signing of a draft.
    Draft {
        /// The account.
        account_id: AccountId,
        /// The draft.
        draft_id: DraftId,
    },
    /// `…/drafts/{draftId}/documents/{documentId}/tasks/{id}`: printing a draft document.
    DraftDocument {
        /// The account.
        account_id: AccountId,
        /// The draft.
        draft_id: DraftId,
        /// The document (of the draft or docflow).
        document_id: DocumentId,
    },
    /// `…/docflows/{docflowId}/documents/{documentId}/tasks/{id}`: printing, decryption.
    DocflowDocument {
        /// The account.
        account_id: AccountId,
        /// The docflow.
        docflow_id: DocflowId,
        /// The document (of the draft or docflow).
        document_id: DocumentId,
    },
    /// A document of an inventory of a docflow document.
    InventoryDocument {
        /// The account.
        account_id: AccountId,
        /// The docflow.
        docflow_id: DocflowId,
        /// The document (of the draft or docflow).
        document_id: DocumentId,
        /// The inventory (a docflow).
        inventory_id: DocflowId,
        /// The document of the inventory.
        inventory_document_id: DocumentId,
    },
    /// `…/documents/{documentId}/replies/{replyId}/tasks/{id}`: cloud signing of a reply.
    Reply {
        /// The account.
        account_id: AccountId,
        /// The docflow.
        docflow_id: DocflowId,
        /// The document (of the draft or docflow).
        document_id: DocumentId,
        /// The reply.
        reply_id: ReplyId,
    },
    /// `…/documents/{documentId}/pfr-replies/{replyId}/tasks/{id}`.
    PfrReply {
        /// The account.
        account_id: AccountId,
        /// The docflow.
        docflow_id: DocflowId,
        /// The document (of the draft or docflow).
        document_id: DocumentId,
        /// The reply.
        reply_id: ReplyId,
    },
    /// A reply to a document of an inventory.
    InventoryReply {
        /// The account.
        account_id: AccountId,
        /// The docflow.
        docflow_id: DocflowId,
        /// The document (of the draft or docflow).
        document_id: DocumentId,
        /// The inventory (a docflow).
        inventory_id: DocflowId,
        /// The document of the inventory.
        inventory_document_id: DocumentId,
        /// The reply.
        reply_id: ReplyId,
    },
    /// `…/drafts/builders/{id}/tasks/{id}`: build, documents prepare.
    DraftsBuilder {
        /// The account.
        account_id: AccountId,
        /// The drafts builder.
        drafts_builder_id: DraftsBuilderId,
    },
}

impl TaskLocation {
    /// The operation that polls tasks here.
    pub fn poll_operation(&self) -> &'static str {
        match self {
            TaskLocation::Draft { .. } => "get_draft_task",
            TaskLocation::DraftDocument { .. } => "get_draft_document_task",
            TaskLocation::DocflowDocument { .. } => "get_docflow_document_task",
            TaskLocation::InventoryDocument { .. } => "get_inventory_document_task",
            TaskLocation::Reply { .. } => "get_reply_task",
            TaskLocation::PfrReply { .. } => "get_pfr_reply_task",
            TaskLocation::InventoryReply { .. } => "get_inventory_reply_task",
            TaskLocation::DraftsBuilder { .. } => "get_drafts_builder_task",
        }
    }

    async fn poll(&self, ctx: &Ctx, task: TaskId) -> Result<ApiTask, Error> {
        let raw = ctx.raw();
        match *self {
            TaskLocation::Draft { account_id, draft_id } => {
                ctx.run(None, raw.get_draft_task().account_id(account_id).draft_id(draft_id).api_task_id(task).send())
                    .await
            }
            TaskLocation::DraftDocument { account_id, draft_id, document_id } => {
                ctx.run(
                    None,
                    raw.get_draft_document_task()
                        .account_id(account_id)
                        .draft_id(draft_id)
                        .document_id(document_id)
                        .api_task_id(task)
                        .send(),
                )
                .await
            }
            TaskLocation::DocflowDocument { account_id, docflow_id, document_id } => {
                ctx.run(
                    None,
                    raw.get_docflow_document_task()
                        .account_id(account_id)
                        .docflow_id(docflow_id)
                        .document_id(document_id)
                        .api_task_id(task)
                        .send(),
                )
                .await
            }
            TaskLocation::InventoryDocument {
                account_id,
                docflow_id,
                document_id,
                inventory_id,
                inventory_document_id,
            } => {
                ctx.run(
                    None,
                    raw.get_inventory_document_task()
                        .account_id(account_id)
                        .related_docflow_id(docflow_id)
                        .related_document_id(document_id)
                        .inventory_id(inventory_id)
                        .document_id(inventory_document_id)
                        .api_task_id(task)
                        .send(),
                )
                .await
            }
            TaskLocation::Reply { account_id, docflow_id, document_id, reply_id } => {
                ctx.run(
                    None,
                    raw.get_reply_task()
                        .account_id(account_id)
                        .docflow_id(docflow_id)
                        .document_id(document_id)
                        .reply_id(reply_id)
                        .api_task_id(task)
                        .send(),
                )
                .await
            }
            TaskLocation::PfrReply { account_id, docflow_id, document_id, reply_id } => {
                ctx.run(
                    None,
                    raw.get_pfr_reply_task()
                        .account_id(account_id)
                        .docflow_id(docflow_id)
                        .document_id(document_id)
                        .reply_id(reply_id)
                        .api_task_id(task)
                        .send(),
                )
                .await
            }
            TaskLocation::InventoryReply {
                account_id,
                docflow_id,
                document_id,
                inventory_id,
                inventory_document_id,
                reply_id,
            } => {
                ctx.run(
                    None,
                    raw.get_inventory_reply_task()
                        .account_id(account_id)
                        .related_docflow_id(docflow_id)
                        .related_document_id(document_id)
                        .inventory_id(inventory_id)
                        .document_id(inventory_document_id)
                        .reply_id(reply_id)
                        .api_task_id(task)
                        .send(),
                )
                .await
            }
            TaskLocation::DraftsBuilder { account_id, drafts_builder_id } => {
                ctx.run(
                    None,
                    raw.get_drafts_builder_task()
                        .account_id(account_id)
                        .drafts_builder_id(drafts_builder_id)
                        .api_task_id(task)
                        .send(),
                )
                .await
            }
        }
    }
}

/// What a kind of task yields when it succeeds. Implement it for task kinds the crate does not
/// know (cloud signing modules do); the crate's own kinds are [`Check`], [`Prepare`],
/// [`SendDraft`], [`Print`], [`Build`], [`PrepareBuilderDocuments`] and [`AnyTask`].
pub trait TaskKind: Send + Sync + 'static {
    /// The typed result of a succeeded task.
    type Output: Send;

    /// A short name for messages (`check`, `send`, …).
    const NAME: &'static str;

    /// Reads the result of a task whose state is `succeed`; an `Err` says what is wrong with it.
    fn decode(task: &ApiTask) -> Result<Self::Output, String>;
}

fn result_as<T: serde::de::DeserializeOwned>(task: &ApiTask) -> Result<T, String> {
    let value = task.task_result.clone().ok_or_else(|| "the succeeded task has no task-result".to_owned())?;
    serde_json::from_value(value).map_err(|error| format!("task-result does not decode: {error}"))
}

/// A draft check: the findings per document and for the draft as a whole.
#[derive(Debug)]
pub enum Check {}

impl TaskKind for Check {
    type Output = types::CheckResult;
    const NAME: &'static str = "check";

    fn decode(task: &ApiTask) -> Result<Self::Output, String> {
        result_as(task)
    }
}

/// Preparing a draft for sending (check, encryption): its status, findings and the `next` link.
#[derive(Debug)]
pub enum Prepare {}

impl TaskKind for Prepare {
    type Output = types::PrepareResult;
    const NAME: &'static str = "prepare";

    fn decode(task: &ApiTask) -> Result<Self::Output, String> {
        result_as(task)
    }
}

/// Sending a draft: the new docflow, or why the draft was not sent.
#[derive(Debug)]
pub enum SendDraft {}

/// How a send task ended. The task itself succeeds in both cases: a draft that fails its
/// final checks is reported inside the task's result, not as a failed task.
#[derive(Clone, Debug, PartialEq)]
#[allow(clippy::large_enum_variant)]
pub enum SendOutcome {
    /// The draft went out and became this docflow.
    Sent(types::Docflow),
    /// The draft was not sent: the failure's id, message, draft status and check findings.
    NotSent(types::SendFailure),
}

impl SendOutcome {
    /// The docflow, when the draft was sent.
    pub fn docflow(&self) -> Option<&types::Docflow> {
        match self {
            SendOutcome::Sent(docflow) => Some(docflow),
            SendOutcome::NotSent(_) => None,
        }
    }
}

impl TaskKind for SendDraft {
    type Output = SendOutcome;
    const NAME: &'static str = "send";

    fn decode(task: &ApiTask) -> Result<Self::Output, String> {
        let value = task.task_result.as_ref().ok_or_else(|| "the succeeded task has no task-result".to_owned())?;
        // A docflow's id is a UUID; a failure's id is a URN and it carries a status code or message.
        let is_docflow = value.get("id").and_then(|id| id.as_str()).is_some_and(|id| id.parse::<uuid::Uuid>().is_ok())
            && value.get("status-code").is_none()
            && value.get("message").is_none();
        if is_docflow { result_as(task).map(SendOutcome::Sent) } else { result_as(task).map(SendOutcome::NotSent) }
    }
}

/// Printing a document to PDF: the content id of the PDF.
#[derive(Debug)]
pub enum Print {}

impl TaskKind for Print {
    type Output = ContentId;
    const NAME: &'static str = "print";

    fn decode(task: &ApiTask) -> Result<Self::Output, String> {
        let result: types::PrintResult = result_as(task)?;
        result.content_id().ok_or_else(|| "the print result has no content-id".to_owned())
    }
}

/// Building drafts from a drafts builder.
#[derive(Debug)]
pub enum Build {}

/// What a build made: the drafts, and the builder documents that could not go into one.
#[derive(Clone, Debug, PartialEq)]
pub struct BuildOutcome {
    /// The drafts built without errors.
    pub draft_ids: Vec<DraftId>,
    /// The documents that failed (fix them in a new builder).
    pub errors: Vec<types::DraftsBuilderDocumentError>,
}

impl TaskKind for Build {
    type Output = BuildOutcome;
    const NAME: &'static str = "build";

    fn decode(task: &ApiTask) -> Result<Self::Output, String> {
        let result: types::DraftsBuilderBuildResult = result_as(task)?;
        Ok(BuildOutcome { draft_ids: result.draft_ids(), errors: result.error_drafts_builder_documents })
    }
}

/// Preparing the documents of a drafts builder: the documents that could not be prepared.
#[derive(Debug)]
pub enum PrepareBuilderDocuments {}

impl TaskKind for PrepareBuilderDocuments {
    type Output = Vec<types::DraftsBuilderDocumentError>;
    const NAME: &'static str = "builder documents prepare";

    fn decode(task: &ApiTask) -> Result<Self::Output, String> {
        if task.task_result.is_none() {
            return Ok(Vec::new());
        }
        let result: types::DraftsBuilderPrepareDocumentsResult = result_as(task)?;
        Ok(result.error_drafts_builder_documents)
    }
}

/// Any task, untyped: waiting ends in the finished [`ApiTask`] itself.
#[derive(Debug)]
pub enum AnyTask {}

impl TaskKind for AnyTask {
    type Output = ApiTask;
    const NAME: &'static str = "task";

    fn decode(task: &ApiTask) -> Result<Self::Output, String> {
        Ok(task.clone())
    }
}

/// A task's id and where it is polled: save it (serde) and [`resume`](TaskTicket::resume) it
/// later, in another process.
///
/// ```no_run
/// # async fn demo(client: kontur_extern::Client, saved: String) -> Result<(), kontur_extern::Error> {
/// use kontur_extern::tasks::{SendDraft, TaskTicket};
/// let ticket: TaskTicket<SendDraft> = serde_json::from_str(&saved).unwrap();
/// let outcome = ticket.resume(&client).wait().await?;
/// # Ok(()) }
/// ```
#[derive(Serialize, Deserialize)]
#[serde(bound = "", rename_all = "kebab-case")]
pub struct TaskTicket<K> {
    /// The task.
    pub task_id: TaskId,
    /// Where it is polled.
    pub location: TaskLocation,
    #[serde(skip)]
    kind: PhantomData<fn() -> K>,
}

impl<K> TaskTicket<K> {
    /// A ticket for task `task_id` polled at `location`.
    pub fn new(task_id: TaskId, location: TaskLocation) -> Self {
        Self { task_id, location, kind: PhantomData }
    }
}

impl<K: TaskKind> TaskTicket<K> {
    /// A handle that polls the task again, with the default [`WaitPolicy`].
    pub fn resume(&self, client: &Client) -> Task<K> {
        Task::new(Ctx::new(client.clone()), self.clone(), None)
    }
}

impl<K> Clone for TaskTicket<K> {
    fn clone(&self) -> Self {
        Self::new(self.task_id, self.location.clone())
    }
}

impl<K> PartialEq for TaskTicket<K> {
    fn eq(&self, other: &Self) -> bool {
        self.task_id == other.task_id && self.location == other.location
    }
}

impl<K> fmt::Debug for TaskTicket<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskTicket").field("task_id", &self.task_id).field("location", &self.location).finish()
    }
}

/// Where a task is, as read from the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskState {
    /// Still working (also any state this crate does not know yet).
    Running,
    /// Finished; the result is ready.
    Succeeded,
    /// Finished with an error.
    Failed,
}

/// The state of a task as the API reports it.
pub fn state_of(task: &ApiTask) -> TaskState {
    match task.task_state.as_ref().map(|state| state.as_str()) {
        Some(state) if state.eq_ignore_ascii_case("succeed") || state.eq_ignore_ascii_case("succeeded") => {
            TaskState::Succeeded
        }
        Some(state) if state.eq_ignore_ascii_case("failed") => TaskState::Failed,
        _ => TaskState::Running,
    }
}

/// A long-running task with a typed result. Create it through the handles (`draft.check()`,
/// `document.print(..)`, …) or from a saved [`TaskTicket`].
pub struct Task<K> {
    ctx: Ctx,
    ticket: TaskTicket<K>,
    last: Option<ApiTask>,
    policy: WaitPolicy,
}

impl<K> fmt::Debug for Task<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("ticket", &self.ticket)
            .field("last", &self.last)
            .field("policy", &self.policy)
            .finish()
    }
}

impl<K: TaskKind> Task<K> {
    pub(crate) fn new(ctx: Ctx, ticket: TaskTicket<K>, last: Option<ApiTask>) -> Self {
        Self { ctx, ticket, last, policy: WaitPolicy::default() }
    }

    /// The task started by an answer (the `ApiTask` of a `deferred=true` call).
    pub(crate) fn started(ctx: Ctx, location: TaskLocation, task: ApiTask) -> Self {
        Self::new(ctx, TaskTicket::new(task.task_id(), location), Some(task))
    }

    /// A handle on an existing task `task_id` polled at `location`.
    pub fn attach(client: &Client, task_id: TaskId, location: TaskLocation) -> Self {
        Self::new(Ctx::new(client.clone()), TaskTicket::new(task_id, location), None)
    }

    /// The task's id.
    pub fn id(&self) -> TaskId {
        self.ticket.task_id
    }

    /// What to save to await the task after a restart.
    pub fn ticket(&self) -> TaskTicket<K> {
        self.ticket.clone()
    }

    /// The task as last seen (from the starting answer or the last poll).
    pub fn last_seen(&self) -> Option<&ApiTask> {
        self.last.as_ref()
    }

    /// Await with `policy` instead of the default.
    pub fn with_policy(mut self, policy: WaitPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Poll with these options (time limit, retries) instead of those of the handle that started it.
    pub fn with_options(mut self, options: RequestOptions) -> Self {
        self.ctx.options = options;
        self
    }

    /// Polls the task once.
    pub async fn refresh(&mut self) -> Result<&ApiTask, Error> {
        let task = self.ticket.location.poll(&self.ctx, self.ticket.task_id).await?;
        Ok(self.last.insert(task))
    }

    /// Polls until the task finishes and returns its typed result.
    ///
    /// Fails with [`TaskErrorKind::Failed`] (the task's own error) when the task fails,
    /// [`TaskErrorKind::DeadlineExceeded`] when the policy's deadline passes first, and
    /// [`TaskErrorKind::UnexpectedResult`] when a succeeded task's result does not decode. Dropping
    /// the future stops the polling.
    pub async fn wait(self) -> Result<K::Output, Error> {
        let task = self.finished_task().await?;
        self.outcome(task)
    }

    /// Polls until the task finishes, successfully or not, and returns it as the API reports it.
    /// Fails only when polling fails or the deadline passes.
    pub async fn finished(self) -> Result<ApiTask, Error> {
        self.finished_task().await
    }

    async fn finished_task(&self) -> Result<ApiTask, Error> {
        let started = Instant::now();
        let deadline = self.policy.deadline.map(|limit| started + limit);
        let mut interval = self.policy.first_interval;
        let mut task = match &self.last {
            Some(task) if state_of(task) != TaskState::Running => task.clone(),
            // Just started: give it the first pause before asking again.
            Some(_) => {
                tokio::time::sleep(self.pause_within(interval, deadline, started)?).await;
                interval = self.policy.next_interval(interval);
                self.ticket.location.poll(&self.ctx, self.ticket.task_id).await?
            }
            None => self.ticket.location.poll(&self.ctx, self.ticket.task_id).await?,
        };
        while state_of(&task) == TaskState::Running {
            tokio::time::sleep(self.pause_within(interval, deadline, started)?).await;
            interval = self.policy.next_interval(interval);
            task = self.ticket.location.poll(&self.ctx, self.ticket.task_id).await?;
        }
        Ok(task)
    }

    /// The next pause, shortened to end at the deadline; an error once the deadline has passed.
    fn pause_within(&self, interval: Duration, deadline: Option<Instant>, started: Instant) -> Result<Duration, Error> {
        let Some(deadline) = deadline else { return Ok(interval) };
        let now = Instant::now();
        if now >= deadline {
            return Err(self.error(TaskErrorKind::DeadlineExceeded { waited: started.elapsed() }));
        }
        Ok(interval.min(deadline - now))
    }

    fn outcome(&self, task: ApiTask) -> Result<K::Output, Error> {
        match state_of(&task) {
            TaskState::Failed => {
                let error = task.error.clone().unwrap_or_else(empty_api_error);
                Err(self.error(TaskErrorKind::Failed { task_type: task_type_of(&task), error }))
            }
            _ => K::decode(&task).map_err(|message| {
                self.error(TaskErrorKind::UnexpectedResult { task_type: task_type_of(&task), message })
            }),
        }
    }

    fn error(&self, kind: TaskErrorKind) -> Error {
        Error::Task(Box::new(TaskError {
            task_id: Some(self.ticket.task_id),
            kind_name: K::NAME,
            operation: Some(self.ticket.location.poll_operation()),
            kind,
        }))
    }
}

fn empty_api_error() -> ApiError {
    serde_json::from_value(serde_json::json!({})).expect("ApiError has no required fields")
}

/// `task.await` is `task.wait().await`: poll with the task's policy until its typed result.
impl<K: TaskKind> std::future::IntoFuture for Task<K>
where
    K::Output: 'static,
{
    type Output = Result<K::Output, Error>;
    type IntoFuture = futures::future::BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.wait())
    }
}

fn task_type_of(task: &ApiTask) -> Option<String> {
    task.task_type.as_ref().map(|kind| kind.as_str().to_owned())
}

/// A task that did not end well, or another task in the way.
#[derive(Debug)]
pub struct TaskError {
    task_id: Option<TaskId>,
    kind_name: &'static str,
    operation: Option<&'static str>,
    kind: TaskErrorKind,
}

/// What went wrong with a task.
#[derive(Debug)]
#[non_exhaustive]
// The task's own error is the common case and is read in place; it is built once per failed wait.
#[allow(clippy::large_enum_variant)]
pub enum TaskErrorKind {
    /// The task failed; `error` is the task's own error.
    Failed {
        /// The `task-type` URN the API reported.
        task_type: Option<String>,
        /// The error the task ended with.
        error: ApiError,
    },
    /// The task was still running when the wait's deadline passed.
    DeadlineExceeded {
        /// How long the wait lasted.
        waited: Duration,
    },
    /// The task succeeded but its result is missing or not the expected shape.
    UnexpectedResult {
        /// The `task-type` URN the API reported.
        task_type: Option<String>,
        /// What is wrong with the result.
        message: String,
    },
    /// The object is locked by another running task (409 `concurrentApiTaskActive`).
    Busy(Box<TaskConflict>),
}

impl TaskError {
    /// The task this is about: the awaited one, or for [`TaskErrorKind::Busy`] the blocking one.
    pub fn task_id(&self) -> Option<TaskId> {
        match &self.kind {
            TaskErrorKind::Busy(conflict) => conflict.blocking_task_id,
            _ => self.task_id,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &TaskErrorKind {
        &self.kind
    }

    /// The conflict, when another task holds the object.
    pub fn conflict(&self) -> Option<&TaskConflict> {
        match &self.kind {
            TaskErrorKind::Busy(conflict) => Some(conflict),
            _ => None,
        }
    }

    /// The operation: the refused call for a conflict, else the poll operation.
    pub fn operation(&self) -> Option<&'static str> {
        match &self.kind {
            TaskErrorKind::Busy(conflict) => conflict.failure.operation,
            _ => self.operation,
        }
    }

    /// HTTP 409 for a conflict; none for the others (the polls themselves succeeded).
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match &self.kind {
            TaskErrorKind::Busy(conflict) => Some(conflict.failure.status),
            _ => None,
        }
    }

    /// The trace id of the refused call, or the one in the failed task's error.
    pub fn trace_id(&self) -> Option<&str> {
        match &self.kind {
            TaskErrorKind::Busy(conflict) => conflict.failure.trace_id.as_deref(),
            TaskErrorKind::Failed { error, .. } => error.trace_id.as_deref().or(error.track_id.as_deref()),
            _ => None,
        }
    }

    /// The failed task's error, or the body of the 409.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.kind {
            TaskErrorKind::Busy(conflict) => Some(&conflict.failure.body),
            TaskErrorKind::Failed { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl std::error::Error for TaskError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            TaskErrorKind::Busy(conflict) => Some(&conflict.failure),
            _ => None,
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let task = self.task_id.map(|id| format!(" {id}")).unwrap_or_default();
        match &self.kind {
            TaskErrorKind::Failed { task_type, error } => {
                write!(f, "{} task{task} failed", self.kind_name)?;
                if let Some(task_type) = task_type {
                    write!(f, " ({task_type})")?;
                }
                match (&error.id, &error.message) {
                    (Some(id), Some(message)) => write!(f, ": {id}: {message}")?,
                    (Some(id), None) => write!(f, ": {id}")?,
                    (None, Some(message)) => write!(f, ": {message}")?,
                    (None, None) => write!(f, " without an error description")?,
                }
                if let Some(trace) = error.trace_id.as_ref().or(error.track_id.as_ref()) {
                    write!(f, " (trace id {trace})")?;
                }
                Ok(())
            }
            TaskErrorKind::DeadlineExceeded { waited } => {
                write!(
                    f,
                    "{} task{task} still running after {:.1} s: gave up waiting",
                    self.kind_name,
                    waited.as_secs_f64()
                )
            }
            TaskErrorKind::UnexpectedResult { task_type, message } => {
                write!(f, "{} task{task}", self.kind_name)?;
                if let Some(task_type) = task_type {
                    write!(f, " ({task_type})")?;
                }
                write!(f, " succeeded with an unreadable result: {message}")
            }
            TaskErrorKind::Busy(conflict) => fmt::Display::fmt(conflict, f),
        }
    }
}

/// A call refused with 409 because another task holds the object.
#[derive(Debug)]
pub struct TaskConflict {
    blocking_task_id: Option<TaskId>,
    blocking_task_type: Option<String>,
    location: Option<TaskLocation>,
    failure: ApiFailure,
}

impl TaskConflict {
    /// The id of the running task that holds the object (`context.concurrent-task.id`).
    pub fn blocking_task_id(&self) -> Option<TaskId> {
        self.blocking_task_id
    }

    /// The `task-type` URN of the blocking task.
    pub fn blocking_task_type(&self) -> Option<&str> {
        self.blocking_task_type.as_deref()
    }

    /// The 409 answer itself (operation, trace id, body).
    pub fn failure(&self) -> &ApiFailure {
        &self.failure
    }

    /// A ticket for the blocking task, when the layer knows where it is polled: calls on a draft
    /// or a drafts builder (their tasks live on that object). For docflow calls the blocking task
    /// may belong to another document or reply, so only its id and type are known.
    pub fn blocking_task(&self) -> Option<TaskTicket<AnyTask>> {
        Some(TaskTicket::new(self.blocking_task_id?, self.location.clone()?))
    }

    /// Waits until the blocking task finishes (whatever its outcome), so the refused call can
    /// be made again. Fails with [`Error::InvalidRequest`] when the blocking task is unknown.
    pub async fn wait(&self, client: &Client, policy: WaitPolicy) -> Result<ApiTask, Error> {
        let ticket = self.blocking_task().ok_or_else(|| Error::InvalidRequest {
            operation: self.failure.operation,
            message: "the 409 answer does not say which task holds the object, or where it is polled".to_owned(),
        })?;
        ticket.resume(client).with_policy(policy).finished().await
    }
}

impl fmt::Display for TaskConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} refused: ", self.failure.operation.unwrap_or("request"))?;
        match (&self.blocking_task_id, &self.blocking_task_type) {
            (Some(id), Some(kind)) => write!(f, "task {id} ({kind}) is running on this object")?,
            (Some(id), None) => write!(f, "task {id} is running on this object")?,
            (None, Some(kind)) => write!(f, "a {kind} task is running on this object")?,
            (None, None) => write!(f, "another task is running on this object")?,
        }
        write!(f, "; wait for it and try again (HTTP {}", self.failure.status)?;
        if let Some(trace) = &self.failure.trace_id {
            write!(f, ", trace id {trace}")?;
        }
        write!(f, ")")
    }
}

/// Turns a 409 `concurrentApiTaskActive` into [`TaskErrorKind::Busy`]; other errors pass.
/// `location` says where tasks of the refused call's object are polled.
pub(crate) fn busy_from(error: Error, location: Option<TaskLocation>) -> Error {
    let failure = match error {
        Error::Api(failure)
            if failure.status == reqwest::StatusCode::CONFLICT
                && failure.body.id.as_deref().is_some_and(|id| id.eq_ignore_ascii_case(CONCURRENT_TASK_ERROR_ID)) =>
        {
            failure
        }
        other => return other,
    };
    let concurrent = failure.body.context.get("concurrent-task");
    let blocking_task_id =
        concurrent.and_then(|task| task.get("id")).and_then(|id| id.as_str()).and_then(|id| id.parse().ok());
    let blocking_task_type =
        concurrent.and_then(|task| task.get("task-type")).and_then(|kind| kind.as_str()).map(str::to_owned);
    Error::Task(Box::new(TaskError {
        task_id: None,
        kind_name: "task",
        operation: failure.operation,
        kind: TaskErrorKind::Busy(Box::new(TaskConflict {
            blocking_task_id,
            blocking_task_type,
            location,
            failure: *failure,
        })),
    }))
}
