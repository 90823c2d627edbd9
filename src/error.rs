//! The crate's error type.
//!
//! Calls made with [`crate::transport::SendExt::checked`] fail with a fully described [`Error`]:
//! the operation, the HTTP status, the `X-Kontur-Trace-Id` of the answer and the API's error body.
//! Callers that await the generated `send()` directly can still convert its error with `From`,
//! with less context (no operation name, no trace id for undecodable bodies).

use std::fmt;

use reqwest::StatusCode as HttpStatus;
use serde::Serialize;

use crate::raw::types::{ApiError, StatusCode};

/// The answer header that names the request in Extern's logs.
pub const TRACE_ID_HEADER: &str = "X-Kontur-Trace-Id";

/// How many characters of an undecodable body an error keeps.
const EXCERPT_CHARS: usize = 256;

/// Any failure of a call to Extern.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error status (4xx, 5xx) and, usually, an [`ApiError`] body.
    #[error(transparent)]
    Api(Box<ApiFailure>),
    /// The answer's body is not the JSON the operation promises.
    #[error(transparent)]
    Decode(Box<DecodeFailure>),
    /// The API answered with a status the operation does not document.
    #[error(transparent)]
    UnexpectedStatus(Box<UnexpectedStatus>),
    /// No answer: connection refused or reset, timeout, TLS, or the body broke off.
    #[error(transparent)]
    Transport(Box<TransportFailure>),
    /// Credentials could not be obtained or refreshed.
    #[error("{}: {source}", operation_label(*.operation))]
    Auth {
        operation: Option<&'static str>,
        #[source]
        source: crate::auth::AuthError,
    },
    /// The request could not be built: a required parameter is missing or a value cannot be sent.
    #[error("{}: invalid request: {message}", operation_label(*.operation))]
    InvalidRequest { operation: Option<&'static str>, message: String },
    /// A long-running task failed, ran past its deadline, or another task holds the object.
    #[error(transparent)]
    Task(Box<crate::tasks::TaskError>),
    /// A link could not be followed (another host, a malformed or templated `href`).
    #[error(transparent)]
    Link(Box<crate::links::LinkError>),
}

impl From<crate::auth::AuthError> for Error {
    fn from(source: crate::auth::AuthError) -> Self {
        Error::Auth { operation: None, source }
    }
}

impl Error {
    /// The operation (`operationId` of the spec) that failed, when known.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::Api(failure) => failure.operation,
            Error::Decode(failure) => failure.operation,
            Error::UnexpectedStatus(failure) => failure.operation,
            Error::Transport(failure) => failure.operation,
            Error::Auth { operation, .. } | Error::InvalidRequest { operation, .. } => *operation,
            Error::Task(error) => error.operation(),
            Error::Link(_) => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<HttpStatus> {
        match self {
            Error::Api(failure) => Some(failure.status),
            Error::Decode(failure) => failure.status,
            Error::UnexpectedStatus(failure) => Some(failure.status),
            Error::Transport(failure) => failure.source.status(),
            Error::Auth { .. } | Error::InvalidRequest { .. } | Error::Link(_) => None,
            Error::Task(error) => error.status(),
        }
    }

    /// The `X-Kontur-Trace-Id` of the answer: quote it when asking Kontur's support.
    pub fn trace_id(&self) -> Option<&str> {
        match self {
            Error::Api(failure) => failure.trace_id.as_deref(),
            Error::Decode(failure) => failure.trace_id.as_deref(),
            Error::UnexpectedStatus(failure) => failure.trace_id.as_deref(),
            Error::Transport(_) | Error::Auth { .. } | Error::InvalidRequest { .. } | Error::Link(_) => None,
            Error::Task(error) => error.trace_id(),
        }
    }

    /// The API's error body, for [`Error::Api`].
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api(failure) => Some(&failure.body),
            Error::Task(error) => error.api_error(),
            _ => None,
        }
    }

    /// True for a timeout of the request (including reading the answer).
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Transport(failure) if failure.kind == TransportErrorKind::Timeout)
    }
}

fn operation_label(operation: Option<&'static str>) -> &'static str {
    operation.unwrap_or("request")
}

fn trace_suffix(trace_id: &Option<String>) -> String {
    match trace_id {
        Some(id) => format!(" (trace id {id})"),
        None => String::new(),
    }
}

/// An error answer of the API.
#[derive(Debug)]
#[non_exhaustive]
pub struct ApiFailure {
    pub operation: Option<&'static str>,
    /// The HTTP status line of the answer.
    pub status: HttpStatus,
    /// `X-Kontur-Trace-Id` of the answer, or the `trace-id` of the body when the header is missing.
    pub trace_id: Option<String>,
    /// The decoded body; empty when the answer had no JSON body.
    pub body: ApiError,
}

impl ApiFailure {
    /// The error kind, a URN such as `urn:error:externapi:concurrentApiTaskActive`.
    pub fn id(&self) -> Option<&str> {
        self.body.id.as_deref()
    }

    /// The human-readable explanation of the API.
    pub fn message(&self) -> Option<&str> {
        self.body.message.as_deref()
    }
}

impl std::error::Error for ApiFailure {}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed with HTTP {}", operation_label(self.operation), self.status)?;
        match (&self.body.id, &self.body.message) {
            (Some(id), Some(message)) => write!(f, ": {id}: {message}")?,
            (Some(id), None) => write!(f, ": {id}")?,
            (None, Some(message)) => write!(f, ": {message}")?,
            (None, None) => {}
        }
        write!(f, "{}", trace_suffix(&self.trace_id))
    }
}

/// An answer whose body is not the JSON the operation promises.
#[derive(Debug)]
#[non_exhaustive]
pub struct DecodeFailure {
    pub operation: Option<&'static str>,
    /// Status of the answer; unknown when the error came through `From` without a call context.
    pub status: Option<HttpStatus>,
    pub trace_id: Option<String>,
    /// The start of the body, lossily decoded as UTF-8.
    pub excerpt: String,
    pub source: serde_json::Error,
}

impl std::error::Error for DecodeFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: undecodable answer", operation_label(self.operation))?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status})")?;
        }
        write!(f, ": {}; body starts {:?}{}", self.source, self.excerpt, trace_suffix(&self.trace_id))
    }
}

/// An answer with a status the operation does not document (such as 204 where 200 is promised).
#[derive(Debug)]
#[non_exhaustive]
pub struct UnexpectedStatus {
    pub operation: Option<&'static str>,
    pub status: HttpStatus,
    pub trace_id: Option<String>,
    /// The start of the body, when it could be read.
    pub excerpt: String,
}

impl std::error::Error for UnexpectedStatus {}

impl fmt::Display for UnexpectedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: unexpected answer HTTP {}", operation_label(self.operation), self.status)?;
        if !self.excerpt.is_empty() {
            write!(f, "; body starts {:?}", self.excerpt)?;
        }
        write!(f, "{}", trace_suffix(&self.trace_id))
    }
}

/// What went wrong on the way to or from the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The request (or reading its answer) took longer than its timeout.
    Timeout,
    /// No connection could be made.
    Connect,
    /// The answer's body broke off.
    Body,
    /// Anything else reqwest reports (TLS, redirects, a broken connection while sending).
    Other,
}

/// A request that got no (complete) answer.
#[derive(Debug)]
#[non_exhaustive]
pub struct TransportFailure {
    pub operation: Option<&'static str>,
    /// The host the request was sent to.
    pub host: Option<String>,
    pub kind: TransportErrorKind,
    /// How many times the request was sent, retries included; 0 when unknown.
    pub attempts: u32,
    pub source: reqwest::Error,
}

impl TransportFailure {
    pub(crate) fn new(operation: Option<&'static str>, attempts: u32, body_read: bool, source: reqwest::Error) -> Self {
        let kind = if source.is_timeout() {
            TransportErrorKind::Timeout
        } else if source.is_connect() {
            TransportErrorKind::Connect
        } else if body_read || source.is_body() || source.is_decode() {
            TransportErrorKind::Body
        } else {
            TransportErrorKind::Other
        };
        let host = source.url().and_then(|url| url.host_str()).map(str::to_owned);
        // The URL's query may carry codes: keep only the origin.
        let source = crate::transport::without_query(source);
        Self { operation, host, kind, attempts, source }
    }
}

impl std::error::Error for TransportFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

impl fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Connect => "could not connect",
            TransportErrorKind::Body => "answer broke off",
            TransportErrorKind::Other => "failed",
        };
        write!(f, "{}", operation_label(self.operation))?;
        if let Some(host) = &self.host {
            write!(f, " to {host}")?;
        }
        write!(f, " {what}")?;
        if self.attempts > 1 {
            write!(f, " after {} attempts", self.attempts)?;
        }
        // reqwest's own message names the URL, which may carry ids: the chain has it for who needs it.
        write!(f, ": {}", root_cause(&self.source))
    }
}

/// The innermost cause, which says what actually happened (`connection refused`, `operation timed out`).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

impl StatusCode {
    /// The numeric HTTP status this value names: a number (`404`), a numeric string (`"404"`)
    /// or a kebab-case word (`"not-found"`, `"request-timeout"`). `None` for anything else.
    pub fn as_u16(&self) -> Option<u16> {
        match self {
            StatusCode::Int32(code) => u16::try_from(*code).ok().filter(|code| (100..=999).contains(code)),
            StatusCode::String(text) => status_from_text(text),
        }
    }

    /// The value as a [`reqwest::StatusCode`], when it names a valid one.
    pub fn to_http(&self) -> Option<HttpStatus> {
        self.as_u16().and_then(|code| HttpStatus::from_u16(code).ok())
    }
}

fn status_from_text(text: &str) -> Option<u16> {
    let text = text.trim();
    if let Ok(code) = text.parse::<u16>() {
        return (100..=999).contains(&code).then_some(code);
    }
    // Words: the canonical reason phrase compared without case, spaces, dashes or underscores,
    // so `request-timeout`, `RequestTimeout` and `REQUEST_TIMEOUT` all match.
    let wanted = squash(text);
    if wanted.is_empty() {
        return None;
    }
    (100u16..=599).find(|code| {
        HttpStatus::from_u16(*code)
            .ok()
            .and_then(|status| status.canonical_reason())
            .is_some_and(|reason| squash(reason) == wanted)
    })
}

fn squash(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// The start of a body for an error message: valid UTF-8 (lossy), at most [`EXCERPT_CHARS`] characters.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let head = &body[..body.len().min(EXCERPT_CHARS * 4)];
    let text = String::from_utf8_lossy(head);
    let mut chars = text.chars();
    let mut excerpt: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() || head.len() < body.len() {
        excerpt.push('…');
    }
    excerpt
}

/// `X-Kontur-Trace-Id` of an answer, when present and printable.
pub(crate) fn trace_id_of(headers: &reqwest::header::HeaderMap) -> Option<String> {
    // A ready header name: looking up the `&str` would lowercase and check it on every answer.
    static TRACE_ID_NAME: reqwest::header::HeaderName = reqwest::header::HeaderName::from_static("x-kontur-trace-id");
    debug_assert!(TRACE_ID_NAME.as_str().eq_ignore_ascii_case(TRACE_ID_HEADER));
    headers.get(&TRACE_ID_NAME).and_then(|value| value.to_str().ok()).map(str::to_owned)
}

/// The body as our [`ApiError`]; the test-tools client has a structurally identical type of its own.
fn to_api_error<E: Serialize>(body: &E) -> ApiError {
    serde_json::to_value(body).and_then(serde_json::from_value).unwrap_or_else(|_| ApiError {
        context: Default::default(),
        id: None,
        message: None,
        properties: Default::default(),
        status_code: None,
        trace_id: None,
        track_id: None,
        extra: Default::default(),
    })
}

/// What the transport learnt about a call, used to describe its failure.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallFacts {
    pub operation: Option<&'static str>,
    pub status: Option<HttpStatus>,
    pub trace_id: Option<String>,
    pub attempts: u32,
}

impl Error {
    /// Describes a failure of a generated call with what the transport recorded about it.
    pub(crate) fn from_raw<E: Serialize>(error: progenitor_client::Error<E>, facts: &CallFacts) -> Error {
        use progenitor_client::Error as Raw;
        let operation = facts.operation;
        match error {
            Raw::ErrorResponse(answer) => {
                let body = to_api_error(answer.as_ref());
                let trace_id =
                    trace_id_of(answer.headers()).or_else(|| body.trace_id.clone()).or_else(|| body.track_id.clone());
                Error::Api(Box::new(ApiFailure { operation, status: answer.status(), trace_id, body }))
            }
            Raw::InvalidResponsePayload(body, source) => Error::Decode(Box::new(DecodeFailure {
                operation,
                status: facts.status,
                trace_id: facts.trace_id.clone(),
                excerpt: excerpt(&body),
                source,
            })),
            Raw::UnexpectedResponse(response) => Error::UnexpectedStatus(Box::new(UnexpectedStatus {
                operation,
                status: response.status(),
                trace_id: trace_id_of(response.headers()),
                excerpt: String::new(),
            })),
            Raw::CommunicationError(source) => {
                Error::Transport(Box::new(TransportFailure::new(operation, facts.attempts, false, source)))
            }
            Raw::ResponseBodyError(source) | Raw::InvalidUpgrade(source) => {
                Error::Transport(Box::new(TransportFailure::new(operation, facts.attempts, true, source)))
            }
            Raw::InvalidRequest(message) | Raw::Custom(message) => Error::InvalidRequest { operation, message },
        }
    }
}

/// For callers that await the generated `send()` directly: no operation name, and an
/// undecodable body has no status or trace id. Prefer [`crate::transport::SendExt::checked`].
impl<E: Serialize> From<progenitor_client::Error<E>> for Error {
    fn from(error: progenitor_client::Error<E>) -> Self {
        Error::from_raw(error, &CallFacts::default())
    }
}
