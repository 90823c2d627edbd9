//! Authentication against the Extern identity host (OpenID Connect).
//!
//! Every login ends in an access token sent as `Authorization: Bearer` to the API host only.
//! [`crate::ClientBuilder`] picks the login; [`TokenAuthenticator`] keeps the token fresh.

use futures::future::BoxFuture;

#[cfg(test)]
mod answer_fuzz;
mod certificate;
mod clock;
mod code;
mod device;
mod error;
mod identity;
mod token;
mod trusted;

pub use certificate::{CertificateDecryptor, CertificateLogin};
pub use clock::{Clock, SystemClock};
pub use code::{AuthorizationCode, AuthorizationCodeLogin, CODE_FLOW_SCOPE};
pub use device::{DevicePrompt, DevicePromptHandler};
pub use error::{AuthError, BoxError, RequiredFactor, SharedError};
pub use token::{API_KEY_HEADER, TokenAuthenticator};
pub use trusted::{JwtSigner, MAX_TRUSTED_JWT_LIFETIME, TrustedClaims, TrustedLogin};

pub(crate) use identity::{ClientCredentials, IdentityClient};
pub(crate) use token::{Grant, TokenSettings};

/// The scope of API access.
pub const API_SCOPE: &str = "extern.api";

/// Supplies credentials for requests to the API host. The transport calls it for every attempt.
pub trait Authenticator: Send + Sync + std::fmt::Debug + 'static {
    /// Attaches credentials to a request bound for the configured API host,
    /// obtaining or refreshing a token first when needed.
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), AuthError>>;

    /// The same as [`authorize`](Self::authorize) when it needs no waiting (a fresh token at
    /// hand), done at once; `None` when it would wait, and then the transport awaits `authorize`.
    /// Every request goes through this first, so it spares the common case a boxed future. The
    /// default never has credentials at hand.
    fn authorize_now(&self, request: &mut reqwest::Request) -> Option<Result<(), AuthError>> {
        let _ = request;
        None
    }

    /// The API answered 401 to `rejected` (its method, URL and the `Authorization` header it
    /// carried). Returns true when fresh credentials were obtained, so the request is worth
    /// exactly one more try.
    fn reauthorize<'a>(&'a self, rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<bool, AuthError>>;
}
