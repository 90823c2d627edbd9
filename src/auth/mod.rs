//! Authentication against the Extern identity host.

use futures::future::BoxFuture;

/// Why credentials could not be obtained.
#[derive(Debug, thiserror::Error)]
#[error("authentication failed: {message}")]
pub struct AuthError {
    pub message: String,
}

/// Supplies credentials for requests to the API host. The transport calls it for every attempt.
pub trait Authenticator: Send + Sync + std::fmt::Debug + 'static {
    /// Attaches credentials to a request bound for the configured API host,
    /// obtaining or refreshing a token first when needed.
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), AuthError>>;

    /// The API answered 401 to `rejected`. Returns true when fresh credentials were obtained,
    /// so the request is worth exactly one more try.
    fn reauthorize<'a>(&'a self, rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<bool, AuthError>>;
}
