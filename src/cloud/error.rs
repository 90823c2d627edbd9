//! How a cloud operation fails, and how the API's answers map to those failures.
//!
//! # Mapping a failed confirmation
//!
//! Neither the API's documentation nor the official SDKs name the error ids of a wrong, expired
//! or exhausted code (see FACTS §5: "not documented anywhere"); the only names on record are the
//! myDSS operation statuses `Timeout` and `ExceededConfirmationAttemptsCount`
//! (`CryptOperationStatus` of the Java SDK, `OperationStatusInternal` of the C# SDK). So an error
//! answer of a confirm call is read in this order, first match wins:
//!
//! | answer | outcome | the pending value |
//! | --- | --- | --- |
//! | no answer (connection, timeout), 5xx, 408, 429, or a 409 whose error id is `concurrentApiTaskActive` (object locked by a running task) | [`ConfirmError::Interrupted`] | handed back |
//! | error id or message speaks of attempts (`attempt`, `exceeded`, `toomany`, `попыт`) | [`ConfirmError::AttemptsExhausted`] | gone: start over |
//! | error id or message speaks of expiry (`expired`, `timeout`, `outdated`, `истек`, `устар`) | [`ConfirmError::Expired`] | gone: start over |
//! | error id or message speaks of a bad code (`code`/`код` with `wrong`, `invalid`, `incorrect`, `mismatch`, `неверн`, `некоррект`) | [`ConfirmError::WrongCode`] | handed back |
//! | 404 or 410 without those words: the request id is no longer known | [`ConfirmError::Expired`] | gone |
//! | 400 or 422 without those words: the code is the only value of the call the caller chose (the request id comes from the API itself) | [`ConfirmError::WrongCode`] | handed back |
//! | anything else (401, 403, any other 409, an undecodable answer, ...) | [`ConfirmError::Failed`] | gone |
//!
//! A 409 is read as "busy" only with the id the API documents for a lock: a request the server
//! refuses for good with a 409 of another kind must not be handed back to be retried forever.
//!
//! Words are matched in the part of the error id after its last `:` and in the message, without
//! case, spaces, dashes or underscores.
//!
//! # Mapping a myDSS task
//!
//! The task's state (`task-state`) says whether it still runs; its status word (the
//! `operation-status` of `task-result`, or `progress` as a word or as an object with
//! `operation-status`) says how it ended: `Completed` → the result; `CanceledByUser` →
//! [`AppError::CancelledByUser`]; `Timeout` → [`AppError::TimedOut`];
//! `ExceededConfirmationAttemptsCount` → [`AppError::AttemptsExhausted`]; `Crashed` →
//! [`AppError::Crashed`]; a failed task with any other status → [`AppError::Failed`].

use std::fmt;

use serde_json::Value;
use uuid::Uuid;

use super::outcome::CloudOutcome;
use super::pending::{AwaitingApp, AwaitingCode};
use crate::Error;
use crate::raw::types::ApiError;

/// Why a cloud operation could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The start call failed.
    #[error(transparent)]
    Call(#[from] Error),
    /// The API asks for a confirmation this client cannot complete (`applet`, or a value it does not know).
    #[error(
        "{operation}: confirm type `{confirm_type}` is not one this client can complete (it completes none, sms and my-dss)"
    )]
    UnsupportedConfirmType {
        /// The start operation.
        operation: &'static str,
        /// The `confirm-type` of the answer, as sent.
        confirm_type: String,
    },
    /// The answer contradicts itself (an SMS confirmation without a request id, say).
    #[error("{operation}: unexpected answer: {detail}")]
    UnexpectedAnswer {
        /// The start operation.
        operation: &'static str,
        /// What is wrong with it.
        detail: String,
    },
}

/// Why a confirmation with a code did not give the result.
///
/// [`WrongCode`](Self::WrongCode) and [`Interrupted`](Self::Interrupted) hand the pending value
/// back ([`into_pending`](Self::into_pending)), so the caller can ask the user again or retry;
/// [`Expired`](Self::Expired) and [`AttemptsExhausted`](Self::AttemptsExhausted) mean the request
/// is spent: start the operation over (a new SMS is sent). The mapping is described in the
/// [module documentation](self).
#[non_exhaustive]
pub enum ConfirmError<O: CloudOutcome> {
    /// The API rejected the code. Ask the user again and confirm the returned value.
    WrongCode {
        /// The same pending confirmation, to confirm with another code.
        pending: AwaitingCode<O>,
        /// The API's answer.
        source: Error,
    },
    /// The request expired or is no longer known. Start the operation over.
    Expired {
        /// The API's answer.
        source: Error,
    },
    /// Too many wrong codes for this request. Start the operation over.
    AttemptsExhausted {
        /// The API's answer.
        source: Error,
    },
    /// No definite answer (the request broke off, the server failed or was busy): the code may
    /// or may not have been used. Retry with the returned value, or start over.
    Interrupted {
        /// The same pending confirmation.
        pending: AwaitingCode<O>,
        /// What happened.
        source: Error,
    },
    /// Any other failure of the confirm call.
    Failed {
        /// The API's answer.
        source: Error,
    },
    /// The API answered 200 with something that is not a result.
    UnexpectedAnswer {
        /// The confirm operation.
        operation: &'static str,
        /// What is wrong with the answer.
        detail: String,
    },
}

impl<O: CloudOutcome> ConfirmError<O> {
    /// The pending confirmation, when the error hands it back (wrong code, interrupted).
    pub fn into_pending(self) -> Option<AwaitingCode<O>> {
        match self {
            ConfirmError::WrongCode { pending, .. } | ConfirmError::Interrupted { pending, .. } => Some(pending),
            _ => None,
        }
    }

    /// True when the request is spent and the operation must start over.
    pub fn must_start_over(&self) -> bool {
        !matches!(self, ConfirmError::WrongCode { .. } | ConfirmError::Interrupted { .. })
    }

    /// The underlying error of the call, when there is one.
    pub fn call_error(&self) -> Option<&Error> {
        match self {
            ConfirmError::WrongCode { source, .. }
            | ConfirmError::Expired { source }
            | ConfirmError::AttemptsExhausted { source }
            | ConfirmError::Interrupted { source, .. }
            | ConfirmError::Failed { source } => Some(source),
            ConfirmError::UnexpectedAnswer { .. } => None,
        }
    }
}

impl<O: CloudOutcome> fmt::Display for ConfirmError<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            ConfirmError::WrongCode { .. } => "the confirmation code was not accepted: ask for it again",
            ConfirmError::Expired { .. } => "the confirmation request expired or is unknown: start the operation over",
            ConfirmError::AttemptsExhausted { .. } => "too many wrong confirmation codes: start the operation over",
            ConfirmError::Interrupted { .. } => "the confirmation got no definite answer: retry or start over",
            ConfirmError::Failed { .. } => "the confirmation failed",
            ConfirmError::UnexpectedAnswer { operation, detail } => {
                return write!(f, "{operation}: unexpected answer: {detail}");
            }
        };
        describe_call(f, self.call_error(), what)
    }
}

/// `operation: what (HTTP status, trace id …)`, from what the failed call recorded.
fn describe_call(f: &mut fmt::Formatter<'_>, call: Option<&Error>, what: &str) -> fmt::Result {
    if let Some(operation) = call.and_then(Error::operation) {
        write!(f, "{operation}: ")?;
    }
    write!(f, "{what}")?;
    let status = call.and_then(Error::status).map(|status| format!("HTTP {}", status.as_u16()));
    let trace = call.and_then(Error::trace_id).map(|id| format!("trace id {id}"));
    let facts: Vec<String> = status.into_iter().chain(trace).collect();
    if !facts.is_empty() {
        write!(f, " ({})", facts.join(", "))?;
    }
    Ok(())
}

impl<O: CloudOutcome> fmt::Debug for ConfirmError<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfirmError::WrongCode { pending, source } => {
                f.debug_struct("WrongCode").field("pending", pending).field("source", source).finish()
            }
            ConfirmError::Expired { source } => f.debug_struct("Expired").field("source", source).finish(),
            ConfirmError::AttemptsExhausted { source } => {
                f.debug_struct("AttemptsExhausted").field("source", source).finish()
            }
            ConfirmError::Interrupted { pending, source } => {
                f.debug_struct("Interrupted").field("pending", pending).field("source", source).finish()
            }
            ConfirmError::Failed { source } => f.debug_struct("Failed").field("source", source).finish(),
            ConfirmError::UnexpectedAnswer { operation, detail } => {
                f.debug_struct("UnexpectedAnswer").field("operation", operation).field("detail", detail).finish()
            }
        }
    }
}

impl<O: CloudOutcome> std::error::Error for ConfirmError<O> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.call_error().map(|error| error as &(dyn std::error::Error + 'static))
    }
}

/// How waiting for a myDSS confirmation ended without the result.
///
/// [`DeadlineExceeded`](Self::DeadlineExceeded) and [`Poll`](Self::Poll) hand the pending value
/// back: the user may still confirm, so waiting can go on.
#[non_exhaustive]
pub enum AppError<O: CloudOutcome> {
    /// The user declined the operation in the app (`CanceledByUser`).
    CancelledByUser {
        /// The task.
        task_id: Uuid,
    },
    /// The user did not confirm in time (`Timeout`). Start the operation over.
    TimedOut {
        /// The task.
        task_id: Uuid,
    },
    /// Too many failed confirmations in the app (`ExceededConfirmationAttemptsCount`). Start over.
    AttemptsExhausted {
        /// The task.
        task_id: Uuid,
    },
    /// The signing service failed (`Crashed`).
    Crashed {
        /// The task.
        task_id: Uuid,
        /// The task's error, when it has one.
        error: Option<ApiError>,
    },
    /// The task failed for another reason.
    Failed {
        /// The task.
        task_id: Uuid,
        /// The task's status word, when it has one.
        status: Option<String>,
        /// The task's error, when it has one.
        error: Option<ApiError>,
    },
    /// The task still ran when the caller's deadline came.
    DeadlineExceeded {
        /// The same pending confirmation, to wait on.
        pending: AwaitingApp<O>,
    },
    /// Reading the task failed.
    Poll {
        /// The same pending confirmation, to wait on.
        pending: AwaitingApp<O>,
        /// The failed call.
        source: Error,
    },
    /// The task's answer is not one this client understands.
    UnexpectedAnswer {
        /// The poll operation.
        operation: &'static str,
        /// The task.
        task_id: Uuid,
        /// What is wrong with it.
        detail: String,
    },
}

impl<O: CloudOutcome> AppError<O> {
    /// The pending confirmation, when waiting can go on (deadline, failed poll).
    pub fn into_pending(self) -> Option<AwaitingApp<O>> {
        match self {
            AppError::DeadlineExceeded { pending } | AppError::Poll { pending, .. } => Some(pending),
            _ => None,
        }
    }
}

fn api_error_suffix(error: &Option<ApiError>) -> String {
    match error {
        Some(ApiError { id: Some(id), message: Some(message), .. }) => format!(": {id}: {message}"),
        Some(ApiError { id: Some(id), .. }) => format!(": {id}"),
        Some(ApiError { message: Some(message), .. }) => format!(": {message}"),
        _ => String::new(),
    }
}

impl<O: CloudOutcome> fmt::Display for AppError<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::CancelledByUser { task_id } => {
                write!(f, "the user declined the operation in myDSS (task {task_id})")
            }
            AppError::TimedOut { task_id } => {
                write!(f, "the user did not confirm in myDSS in time (task {task_id}): start the operation over")
            }
            AppError::AttemptsExhausted { task_id } => {
                write!(f, "too many failed confirmations in myDSS (task {task_id}): start the operation over")
            }
            AppError::Crashed { task_id, error } => {
                write!(f, "the cloud signing service failed (task {task_id}){}", api_error_suffix(error))
            }
            AppError::Failed { task_id, status, error } => {
                write!(f, "the myDSS task {task_id} failed")?;
                if let Some(status) = status {
                    write!(f, " with status {status}")?;
                }
                write!(f, "{}", api_error_suffix(error))
            }
            AppError::DeadlineExceeded { pending } => {
                write!(f, "the myDSS task {} still runs at the deadline: wait again or give up", pending.task_id())
            }
            AppError::Poll { pending, source } => {
                describe_call(f, Some(source), &format!("reading the myDSS task {} failed", pending.task_id()))
            }
            AppError::UnexpectedAnswer { operation, task_id, detail } => {
                write!(f, "{operation}: unexpected answer for task {task_id}: {detail}")
            }
        }
    }
}

impl<O: CloudOutcome> fmt::Debug for AppError<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::CancelledByUser { task_id } => {
                f.debug_struct("CancelledByUser").field("task_id", task_id).finish()
            }
            AppError::TimedOut { task_id } => f.debug_struct("TimedOut").field("task_id", task_id).finish(),
            AppError::AttemptsExhausted { task_id } => {
                f.debug_struct("AttemptsExhausted").field("task_id", task_id).finish()
            }
            AppError::Crashed { task_id, error } => {
                f.debug_struct("Crashed").field("task_id", task_id).field("error", error).finish()
            }
            AppError::Failed { task_id, status, error } => f
                .debug_struct("Failed")
                .field("task_id", task_id)
                .field("status", status)
                .field("error", error)
                .finish(),
            AppError::DeadlineExceeded { pending } => {
                f.debug_struct("DeadlineExceeded").field("pending", pending).finish()
            }
            AppError::Poll { pending, source } => {
                f.debug_struct("Poll").field("pending", pending).field("source", source).finish()
            }
            AppError::UnexpectedAnswer { operation, task_id, detail } => f
                .debug_struct("UnexpectedAnswer")
                .field("operation", operation)
                .field("task_id", task_id)
                .field("detail", detail)
                .finish(),
        }
    }
}

impl<O: CloudOutcome> std::error::Error for AppError<O> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AppError::Poll { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// The outcome a failed confirm call maps to (see the module documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Rejection {
    WrongCode,
    Expired,
    AttemptsExhausted,
    Interrupted,
    Failed,
}

/// Lower-case letters and digits only, so `request-timeout`, `RequestTimeout` and `REQUEST_TIMEOUT` compare equal.
pub(crate) fn squash(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn mentions(text: &str, words: &[&str]) -> bool {
    words.iter().any(|word| text.contains(word))
}

pub(crate) fn classify(error: &Error) -> Rejection {
    let failure = match error {
        Error::Api(failure) => failure,
        Error::Transport(_) | Error::Auth { .. } => return Rejection::Interrupted,
        _ => return Rejection::Failed,
    };
    let status = failure.status.as_u16();
    let id = failure.body.id.as_deref().map(|id| id.rsplit(':').next().unwrap_or(id)).unwrap_or_default();
    let locked = status == 409 && squash(id) == "concurrentapitaskactive";
    if status >= 500 || matches!(status, 408 | 429) || locked {
        return Rejection::Interrupted;
    }
    let text = format!("{} {}", squash(id), squash(failure.body.message.as_deref().unwrap_or_default()));
    if mentions(&text, &["attempt", "exceeded", "toomany", "попыт"]) {
        return Rejection::AttemptsExhausted;
    }
    if mentions(&text, &["expired", "timeout", "outdated", "истек", "устар"]) {
        return Rejection::Expired;
    }
    if mentions(&text, &["code", "код"])
        && mentions(&text, &["wrong", "invalid", "incorrect", "mismatch", "неверн", "некоррект"])
    {
        return Rejection::WrongCode;
    }
    match status {
        404 | 410 => Rejection::Expired,
        400 | 422 => Rejection::WrongCode,
        _ => Rejection::Failed,
    }
}

/// Removes every trace of `code` from `error`: the URL reqwest keeps (its query has the code),
/// and any text the server echoed (message, error id, extra fields). Trace ids are left alone:
/// the server makes them up, and support needs them intact.
pub(crate) fn scrub(error: Error, code: &str) -> Error {
    if code.is_empty() {
        return error;
    }
    match error {
        Error::Api(mut failure) => {
            for text in [&mut failure.body.message, &mut failure.body.id].into_iter().flatten() {
                scrub_text(text, code);
            }
            scrub_map(&mut failure.body.properties, code);
            scrub_map(&mut failure.body.context, code);
            scrub_map(&mut failure.body.extra, code);
            Error::Api(failure)
        }
        Error::Decode(mut failure) => {
            scrub_text(&mut failure.excerpt, code);
            Error::Decode(failure)
        }
        Error::UnexpectedStatus(mut failure) => {
            scrub_text(&mut failure.excerpt, code);
            Error::UnexpectedStatus(failure)
        }
        Error::Transport(mut failure) => {
            failure.source = failure.source.without_url();
            Error::Transport(failure)
        }
        Error::InvalidRequest { operation, mut message } => {
            scrub_text(&mut message, code);
            Error::InvalidRequest { operation, message }
        }
        other => other,
    }
}

const REDACTED: &str = "***";

fn scrub_text(text: &mut String, code: &str) {
    if text.contains(code) {
        *text = text.replace(code, REDACTED);
    }
}

fn scrub_map(map: &mut serde_json::Map<String, Value>, code: &str) {
    for value in map.values_mut() {
        scrub_value(value, code);
    }
}

fn scrub_value(value: &mut Value, code: &str) {
    match value {
        Value::String(text) => scrub_text(text, code),
        Value::Array(items) => items.iter_mut().for_each(|item| scrub_value(item, code)),
        Value::Object(map) => scrub_map(map, code),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiFailure;

    fn api(status: u16, id: Option<&str>, message: Option<&str>) -> Error {
        Error::Api(Box::new(ApiFailure {
            operation: Some("confirm_cloud_sign_draft"),
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            trace_id: Some("trace-1".to_owned()),
            body: ApiError { id: id.map(str::to_owned), message: message.map(str::to_owned), ..Default::default() },
        }))
    }

    #[test]
    fn words_in_the_id_or_message_decide_first() {
        let cases = [
            (400, Some("urn:error:externapi:confirmationAttemptsExceeded"), None, Rejection::AttemptsExhausted),
            (400, None, Some("Превышено количество попыток"), Rejection::AttemptsExhausted),
            (400, Some("urn:error:externapi:cloud-sign-request-expired"), None, Rejection::Expired),
            (404, None, Some("Срок действия кода истек"), Rejection::Expired),
            (403, Some("urn:error:externapi:invalidConfirmationCode"), None, Rejection::WrongCode),
            (403, None, Some("Неверный код подтверждения"), Rejection::WrongCode),
        ];
        for (status, id, message, expected) in cases {
            assert_eq!(classify(&api(status, id, message)), expected, "{status} {id:?} {message:?}");
        }
    }

    #[test]
    fn statuses_decide_when_no_word_does() {
        assert_eq!(classify(&api(400, Some("urn:error:externapi:badRequest"), None)), Rejection::WrongCode);
        assert_eq!(classify(&api(422, None, None)), Rejection::WrongCode);
        assert_eq!(classify(&api(404, None, None)), Rejection::Expired);
        assert_eq!(classify(&api(410, None, None)), Rejection::Expired);
        assert_eq!(classify(&api(403, None, Some("no rights"))), Rejection::Failed);
        assert_eq!(classify(&api(401, None, None)), Rejection::Failed);
    }

    #[test]
    fn a_409_interrupts_only_when_a_running_task_holds_the_object() {
        assert_eq!(
            classify(&api(409, Some("urn:error:externapi:concurrentApiTaskActive"), None)),
            Rejection::Interrupted
        );
        assert_eq!(classify(&api(409, None, None)), Rejection::Failed);
        assert_eq!(
            classify(&api(409, Some("urn:error:x:confirmationAttemptsExceeded"), None)),
            Rejection::AttemptsExhausted
        );
    }

    #[test]
    fn busy_or_failing_servers_interrupt_whatever_they_say() {
        for status in [408, 429, 500, 503] {
            assert_eq!(
                classify(&api(status, Some("urn:error:x:codeInvalid"), None)),
                Rejection::Interrupted,
                "{status}"
            );
        }
    }

    #[test]
    fn scrub_removes_an_echoed_code_but_keeps_trace_ids() {
        let mut error = api(400, Some("urn:error:x:wrongCode-4829150"), Some("code 482915 is wrong"));
        if let Error::Api(failure) = &mut error {
            failure
                .body
                .properties
                .insert("attempt".to_owned(), serde_json::json!({ "code": "482915", "left": [2, "482915"] }));
        }
        let scrubbed = scrub(error, "482915");
        let Error::Api(failure) = &scrubbed else { panic!("still an API error") };
        assert_eq!(failure.body.message.as_deref(), Some("code *** is wrong"));
        assert_eq!(failure.body.id.as_deref(), Some("urn:error:x:wrongCode-***0"));
        assert_eq!(failure.trace_id.as_deref(), Some("trace-1"));
        assert!(!serde_json::to_string(&failure.body.properties).unwrap().contains("482915"));
    }
}
