//! Error answers in the API's `ApiError` shape.

use axum::http::StatusCode;
use kontur_extern::raw::types::{ApiError, StatusCode as WireStatusCode};
use serde_json::{Map, Value};

/// An error answer of the API, turned into an `ApiError` body by the dispatcher (which adds the
/// trace id).
#[derive(Debug, Clone)]
pub struct ApiFailure {
    /// HTTP status.
    pub status: StatusCode,
    /// Error kind URN.
    pub id: String,
    /// What went wrong.
    pub message: String,
    /// Objects the error refers to (the task holding a lock).
    pub context: Map<String, Value>,
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiFailure>;

impl ApiFailure {
    /// An error with no context.
    pub fn new(status: StatusCode, id: &str, message: impl Into<String>) -> Self {
        Self { status, id: id.to_owned(), message: message.into(), context: Map::new() }
    }

    /// 400: the request is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "urn:error:externapi:badRequest", message)
    }

    /// 404: `what` with this id does not exist (or is not this account's).
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "urn:error:externapi:notFound", format!("{what} {id} is not found"))
    }

    /// 409: the object is in a state that forbids the call.
    pub fn conflict(id: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, id, message)
    }

    /// 401: no valid access token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "urn:error:externapi:unauthorized", message)
    }

    /// 501: an operation of the spec the sandbox does not implement yet.
    pub fn not_implemented(operation_id: &str) -> Self {
        Self::new(
            StatusCode::NOT_IMPLEMENTED,
            "urn:error:sandbox:notImplemented",
            format!("the sandbox does not implement operation {operation_id} yet"),
        )
    }

    /// The same error with another kind.
    pub fn with_id(mut self, id: &str) -> Self {
        self.id = id.to_owned();
        self
    }

    /// Adds an object to the error's context.
    pub fn with_context(mut self, key: &str, value: Value) -> Self {
        self.context.insert(key.to_owned(), value);
        self
    }

    /// The `ApiError` body.
    pub fn body(&self, trace_id: &str) -> ApiError {
        ApiError {
            id: Some(self.id.clone()),
            status_code: Some(WireStatusCode::Int32(i32::from(self.status.as_u16()))),
            message: Some(self.message.clone()),
            trace_id: Some(trace_id.to_owned()),
            context: self.context.clone(),
            ..crate::wire::blank()
        }
    }
}
