//! Started operations waiting for the user: a code from the SMS, or a confirmation in myDSS.
//!
//! Each pending value is confirmed by value, so it cannot be confirmed twice; dropping one
//! unused is a compiler warning (`#[must_use]`). Either can be parked as a
//! [`SavedConfirmation`] and resumed later with a client.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::code::ConfirmationCode;
use super::error::{AppError, ConfirmError, Rejection, classify, scrub, squash};
use super::outcome::CloudOutcome;
use super::poller::{Poller, Step};
use crate::raw;
use crate::raw::types::{ApiTask, Link};

/// An operation waiting for the code the user received by SMS.
#[must_use = "the operation is not done until it is confirmed with the code (or saved to confirm later)"]
pub struct AwaitingCode<O: CloudOutcome> {
    client: raw::Client,
    target: O::Target,
    request_id: String,
    documents: Vec<Link>,
}

impl<O: CloudOutcome> AwaitingCode<O> {
    pub(crate) fn new(client: raw::Client, target: O::Target, request_id: String, documents: Vec<Link>) -> Self {
        Self { client, target, request_id, documents }
    }

    /// The request id the API gave; the confirmation sends it with the code.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// What is being signed or decrypted.
    pub fn target(&self) -> &O::Target {
        &self.target
    }

    /// For a signing, links to the documents that will be signed (`documents-to-sign`);
    /// empty for a decryption, whose document is in [`target`](Self::target).
    pub fn documents(&self) -> &[Link] {
        &self.documents
    }

    /// Sends the code. On a wrong code (or no definite answer) the error hands this value back;
    /// see [`ConfirmError`] for what each failure means.
    pub async fn confirm(self, code: ConfirmationCode) -> Result<O, ConfirmError<O>> {
        let operation = O::confirm_operation(&self.target);
        let answer = O::confirm(&self.client, &self.target, &self.request_id, code.expose()).await;
        let error = match answer {
            Ok(Ok(outcome)) => {
                tracing::debug!(operation, "cloud operation confirmed");
                return Ok(outcome);
            }
            Ok(Err(detail)) => return Err(ConfirmError::UnexpectedAnswer { operation, detail }),
            Err(error) => error,
        };
        let rejection = classify(&error);
        tracing::debug!(operation, ?rejection, "cloud confirmation failed");
        let source = scrub(error, code.expose());
        drop(code);
        Err(match rejection {
            Rejection::WrongCode => ConfirmError::WrongCode { pending: self, source },
            Rejection::Interrupted => ConfirmError::Interrupted { pending: self, source },
            Rejection::Expired => ConfirmError::Expired { source },
            Rejection::AttemptsExhausted => ConfirmError::AttemptsExhausted { source },
            Rejection::Failed => ConfirmError::Failed { source },
        })
    }

    /// Parks the confirmation (to ask the user for the code in another request, say).
    pub fn into_saved(self) -> SavedConfirmation<O> {
        SavedConfirmation {
            target: self.target,
            awaiting: SavedAwaiting::Code { request_id: self.request_id },
            documents: self.documents,
        }
    }
}

impl<O: CloudOutcome> fmt::Debug for AwaitingCode<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwaitingCode")
            .field("target", &self.target)
            .field("request_id", &self.request_id)
            .field("documents", &self.documents)
            .finish_non_exhaustive()
    }
}

/// How often to look at the myDSS task and how long to wait for the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppPolling {
    interval: Duration,
    deadline: Duration,
}

impl Default for AppPolling {
    /// Every 2 s, for at most 10 minutes.
    fn default() -> Self {
        Self { interval: Duration::from_secs(2), deadline: Duration::from_secs(600) }
    }
}

impl AppPolling {
    /// The pause between two looks at the task (default 2 s).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Give up waiting this long after the first look (default 10 minutes); the pending value
    /// comes back in [`AppError::DeadlineExceeded`].
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The pause between two looks.
    pub fn current_interval(&self) -> Duration {
        self.interval
    }

    /// How long to wait in all.
    pub fn current_deadline(&self) -> Duration {
        self.deadline
    }
}

/// An operation waiting for the user to confirm it in the myDSS app.
#[must_use = "the operation is not done until the myDSS task is awaited (or saved to await later)"]
pub struct AwaitingApp<O: CloudOutcome> {
    client: raw::Client,
    target: O::Target,
    task_id: Uuid,
    documents: Vec<Link>,
}

/// What one look at a myDSS task found.
#[must_use]
// Returned once per poll and matched at once; boxing the pending value would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum AppCheck<O: CloudOutcome> {
    /// Confirmed and done.
    Done(O),
    /// The user has not confirmed yet.
    Waiting(AwaitingApp<O>),
}

impl<O: CloudOutcome> fmt::Debug for AppCheck<O>
where
    O: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppCheck::Done(outcome) => f.debug_tuple("Done").field(outcome).finish(),
            AppCheck::Waiting(pending) => f.debug_tuple("Waiting").field(pending).finish(),
        }
    }
}

impl<O: CloudOutcome> AwaitingApp<O> {
    pub(crate) fn new(client: raw::Client, target: O::Target, task_id: Uuid, documents: Vec<Link>) -> Self {
        Self { client, target, task_id, documents }
    }

    /// The task that follows the confirmation.
    pub fn task_id(&self) -> Uuid {
        self.task_id
    }

    /// What is being signed or decrypted.
    pub fn target(&self) -> &O::Target {
        &self.target
    }

    /// For a signing, links to the documents that will be signed; empty for a decryption.
    pub fn documents(&self) -> &[Link] {
        &self.documents
    }

    /// Looks at the task once.
    pub async fn check(self) -> Result<AppCheck<O>, AppError<O>> {
        let operation = O::poll_operation(&self.target);
        let task = match O::poll(&self.client, &self.target, self.task_id).await {
            Ok(task) => task,
            Err(source) => {
                return Err(AppError::Poll { pending: self, source });
            }
        };
        let task_id = self.task_id;
        let reading = read_task(&task);
        tracing::trace!(operation, %task_id, ?reading, "myDSS task looked at");
        match reading {
            TaskReading::Running => Ok(AppCheck::Waiting(self)),
            TaskReading::Completed => match O::from_task(&self.client, &self.target, &self.documents, task) {
                Ok(outcome) => Ok(AppCheck::Done(outcome)),
                Err(detail) => Err(AppError::UnexpectedAnswer { operation, task_id, detail }),
            },
            TaskReading::CancelledByUser => Err(AppError::CancelledByUser { task_id }),
            TaskReading::TimedOut => Err(AppError::TimedOut { task_id }),
            TaskReading::AttemptsExhausted => Err(AppError::AttemptsExhausted { task_id }),
            TaskReading::Crashed => Err(AppError::Crashed { task_id, error: task.error }),
            TaskReading::Failed(status) => Err(AppError::Failed { task_id, status, error: task.error }),
            TaskReading::Unexpected(detail) => Err(AppError::UnexpectedAnswer { operation, task_id, detail }),
        }
    }

    /// Waits for the user with the default polling (every 2 s, for at most 10 minutes).
    pub async fn wait(self) -> Result<O, AppError<O>> {
        self.wait_with(AppPolling::default()).await
    }

    /// Waits for the user, looking at the task as `polling` says. Dropping the future stops it.
    pub async fn wait_with(self, polling: AppPolling) -> Result<O, AppError<O>> {
        let poller = Poller { interval: polling.interval, deadline: polling.deadline };
        let waited = poller
            .run(self, |pending| async move {
                match pending.check().await {
                    Ok(AppCheck::Waiting(pending)) => Step::Again(pending),
                    Ok(AppCheck::Done(outcome)) => Step::Ready(Ok(outcome)),
                    Err(error) => Step::Ready(Err(error)),
                }
            })
            .await;
        match waited {
            Ok(result) => result,
            Err(pending) => Err(AppError::DeadlineExceeded { pending }),
        }
    }

    /// Parks the confirmation, to wait for it later.
    pub fn into_saved(self) -> SavedConfirmation<O> {
        SavedConfirmation {
            target: self.target,
            awaiting: SavedAwaiting::App { task_id: self.task_id },
            documents: self.documents,
        }
    }
}

impl<O: CloudOutcome> fmt::Debug for AwaitingApp<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwaitingApp")
            .field("target", &self.target)
            .field("task_id", &self.task_id)
            .field("documents", &self.documents)
            .finish_non_exhaustive()
    }
}

/// A confirmation waiting for the user, by SMS code or in myDSS: what a decryption starts with,
/// and what a [`SavedConfirmation`] resumes to.
#[must_use = "the operation is not done until it is confirmed"]
pub enum Pending<O: CloudOutcome> {
    /// Waiting for the SMS code.
    Code(AwaitingCode<O>),
    /// Waiting for the user in myDSS.
    App(AwaitingApp<O>),
}

impl<O: CloudOutcome> fmt::Debug for Pending<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pending::Code(pending) => f.debug_tuple("Code").field(pending).finish(),
            Pending::App(pending) => f.debug_tuple("App").field(pending).finish(),
        }
    }
}

/// A parked confirmation: plain data to store between two requests of a web back end, say.
///
/// It holds what is confirmed, the request id (SMS) or task id (myDSS) and the documents being
/// signed; never a code or a credential. Resume it with [`resume`](Self::resume).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", bound = "")]
#[must_use = "a saved confirmation does nothing until it is stored and resumed"]
pub struct SavedConfirmation<O: CloudOutcome> {
    target: O::Target,
    awaiting: SavedAwaiting,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    documents: Vec<Link>,
}

// Written out: derives would ask the outcome type itself for Clone/Debug/PartialEq.
impl<O: CloudOutcome> Clone for SavedConfirmation<O> {
    fn clone(&self) -> Self {
        Self { target: self.target, awaiting: self.awaiting.clone(), documents: self.documents.clone() }
    }
}

impl<O: CloudOutcome> PartialEq for SavedConfirmation<O> {
    fn eq(&self, other: &Self) -> bool {
        self.target == other.target && self.awaiting == other.awaiting && self.documents == other.documents
    }
}

impl<O: CloudOutcome> fmt::Debug for SavedConfirmation<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SavedConfirmation")
            .field("target", &self.target)
            .field("awaiting", &self.awaiting)
            .field("documents", &self.documents)
            .finish()
    }
}

/// What a saved confirmation waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case", rename_all_fields = "kebab-case")]
enum SavedAwaiting {
    Code { request_id: String },
    App { task_id: Uuid },
}

impl<O: CloudOutcome> SavedConfirmation<O> {
    /// What is being signed or decrypted.
    pub fn target(&self) -> &O::Target {
        &self.target
    }

    /// The pending confirmation again, sending its calls through `client`.
    pub fn resume(self, client: &raw::Client) -> Pending<O> {
        let client = client.clone();
        match self.awaiting {
            SavedAwaiting::Code { request_id } => {
                Pending::Code(AwaitingCode::new(client, self.target, request_id, self.documents))
            }
            SavedAwaiting::App { task_id } => {
                Pending::App(AwaitingApp::new(client, self.target, task_id, self.documents))
            }
        }
    }
}

/// What a myDSS task says about the confirmation.
#[derive(Debug, PartialEq, Eq)]
enum TaskReading {
    Running,
    Completed,
    CancelledByUser,
    TimedOut,
    AttemptsExhausted,
    Crashed,
    Failed(Option<String>),
    Unexpected(String),
}

/// The status word of a cloud-crypto task: `task-result.operation-status`, or `progress` as a word
/// or as an object with `operation-status`.
fn status_word(task: &ApiTask) -> Option<String> {
    let from_object = |value: &Value| value.get("operation-status").and_then(Value::as_str).map(str::to_owned);
    task.task_result.as_ref().and_then(from_object).or_else(|| match &task.progress {
        Some(Value::String(word)) => Some(word.clone()),
        Some(progress) => from_object(progress),
        None => None,
    })
}

fn read_task(task: &ApiTask) -> TaskReading {
    let state = task.task_state.as_ref().map(|state| squash(state.as_str()));
    let status = status_word(task);
    let ending = status.as_deref().map(squash).and_then(|word| match word.as_str() {
        "completed" => Some(TaskReading::Completed),
        "canceledbyuser" | "cancelledbyuser" => Some(TaskReading::CancelledByUser),
        "timeout" => Some(TaskReading::TimedOut),
        "exceededconfirmationattemptscount" => Some(TaskReading::AttemptsExhausted),
        "crashed" => Some(TaskReading::Crashed),
        _ => None,
    });
    match (state.as_deref(), ending) {
        (Some("running"), _) => TaskReading::Running,
        (Some("succeed" | "succeeded"), None) if status.is_none() => TaskReading::Completed,
        (Some("succeed" | "succeeded"), Some(ending)) => ending,
        (Some("succeed" | "succeeded"), None) => {
            TaskReading::Unexpected(format!("the task succeeded with status {}", status.unwrap_or_default()))
        }
        (Some("failed"), Some(TaskReading::Completed)) | (Some("failed"), None) => TaskReading::Failed(status),
        (Some("failed"), Some(ending)) => ending,
        (Some(_), _) => TaskReading::Unexpected(format!(
            "task-state {}",
            task.task_state.as_ref().map(ToString::to_string).unwrap_or_default()
        )),
        (None, _) => TaskReading::Unexpected("the task has no task-state".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn task(value: Value) -> ApiTask {
        serde_json::from_value(value).expect("a task")
    }

    const ID: &str = "0b6f3a34-52c1-4a35-9f37-8d2f01a1b6c2";

    #[test]
    fn running_tasks_keep_waiting_whatever_the_progress() {
        let reading =
            read_task(&task(json!({ "id": ID, "task-state": "running", "progress": "AwaitingForConfirmation" })));
        assert_eq!(reading, TaskReading::Running);
    }

    #[test]
    fn terminal_statuses_map_to_distinct_readings() {
        let cases = [
            (json!({ "id": ID, "task-state": "succeed" }), TaskReading::Completed),
            (
                json!({ "id": ID, "task-state": "succeed", "task-result": { "operation-status": "Completed" } }),
                TaskReading::Completed,
            ),
            (
                json!({ "id": ID, "task-state": "failed", "task-result": { "operation-status": "CanceledByUser" } }),
                TaskReading::CancelledByUser,
            ),
            (json!({ "id": ID, "task-state": "failed", "progress": "Timeout" }), TaskReading::TimedOut),
            (
                json!({ "id": ID, "task-state": "succeed", "progress": { "operation-status": "ExceededConfirmationAttemptsCount" } }),
                TaskReading::AttemptsExhausted,
            ),
            (
                json!({ "id": ID, "task-state": "failed", "task-result": { "operation-status": "Crashed" } }),
                TaskReading::Crashed,
            ),
            (json!({ "id": ID, "task-state": "failed" }), TaskReading::Failed(None)),
            (
                json!({ "id": ID, "task-state": "failed", "progress": "UserHasUnconfirmedOperation" }),
                TaskReading::Failed(Some("UserHasUnconfirmedOperation".to_owned())),
            ),
        ];
        for (value, expected) in cases {
            assert_eq!(read_task(&task(value.clone())), expected, "{value}");
        }
    }

    #[test]
    fn unknown_states_are_named() {
        let reading = read_task(&task(json!({ "id": ID, "task-state": "paused" })));
        assert_eq!(reading, TaskReading::Unexpected("task-state paused".to_owned()));
    }
}
