//! What can go wrong while obtaining credentials, each case worded as what to do about it.

use std::sync::Arc;

use secrecy::SecretString;
use serde::Deserialize;

/// A failure a caller-supplied hook (certificate decryption, JWT signing) reports.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failure kept in an [`AuthError`]: shared, because one renewal's failure reaches every
/// request that waited for it.
pub type SharedError = Arc<dyn std::error::Error + Send + Sync + 'static>;

/// Why credentials could not be obtained or attached.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The identity host did not recognise the integrator (`invalid_client`).
    #[error("identity host rejected the client (invalid_client): check the client_id (service name) and the api-key{}", describe(.description))]
    InvalidClient {
        description: Option<String>,
        trace_id: Option<String>,
    },

    /// The identity host rejected the user's credentials (`invalid_grant`).
    #[error("identity host rejected the credentials (invalid_grant): check the login and password, certificate, JWT, code or refresh token{}", describe(.description))]
    InvalidGrant {
        description: Option<String>,
        trace_id: Option<String>,
    },

    /// The first factor was accepted; the user must also pass one of `required_factors`,
    /// sending `partial_factor_token` with that grant.
    #[error("a second authentication factor is required: complete one of {} and pass the partial factor token with it", factor_list(.required_factors))]
    SecondFactorRequired {
        partial_factor_token: SecretString,
        required_factors: Vec<RequiredFactor>,
        description: Option<String>,
    },

    /// The user refused access in the browser (`access_denied`).
    #[error("the user denied access{}", describe(.description))]
    AccessDenied { description: Option<String> },

    /// The device code lapsed before the user confirmed the login: start the device flow again.
    #[error(
        "the device code expired before the user confirmed the login: start the device flow again"
    )]
    DeviceCodeExpired,

    /// The identity host answered with an OAuth error this crate gives no special meaning.
    /// `status` is the HTTP status; `None` when the error came back on the redirect of a browser login.
    #[error("identity host refused ({error}){}", describe(.description))]
    Identity {
        status: Option<u16>,
        error: String,
        description: Option<String>,
        trace_id: Option<String>,
    },

    /// The identity host answered something that is not an OAuth answer.
    #[error("identity host answered HTTP {status} with an unexpected body: {excerpt}")]
    UnexpectedAnswer {
        status: u16,
        excerpt: String,
        trace_id: Option<String>,
    },

    /// The identity host could not be reached.
    #[error("could not reach the identity host: {0}")]
    Network(#[source] Arc<reqwest::Error>),

    /// The token was rejected and this login cannot be renewed without the user
    /// (a used authorization code or supplied JWT, a fixed access token).
    #[error("the access token can no longer be renewed: {reason}; log the user in again")]
    LoginRequired { reason: &'static str },

    /// The request is bound for another host than the configured API host, so no credentials were attached.
    #[error("refusing to send credentials to {target}: the configured API host is {api}")]
    ForeignHost { target: String, api: String },

    /// The `state` returned to the redirect URI is not the one this login sent: possible forgery.
    #[error("the state returned with the authorization code does not match the login's state")]
    StateMismatch,

    /// The ID token does not carry the login's `nonce`.
    #[error("the id_token does not carry the nonce sent with the login")]
    NonceMismatch,

    /// The login sent a nonce but the identity host answered without an ID token to check it
    /// against (was the `openid` scope dropped?).
    #[error(
        "the identity host answered without an id_token, so the login's nonce could not be checked"
    )]
    IdTokenMissing,

    /// The certificate decryptor failed to open the key the identity host encrypted.
    #[error("decrypting the certificate challenge failed: {0}")]
    Decryption(#[source] SharedError),

    /// The JWT signer failed.
    #[error("signing the trusted-authentication JWT failed: {0}")]
    Signing(#[source] SharedError),

    /// The client was configured inconsistently.
    #[error("invalid authentication settings: {0}")]
    Config(String),
}

impl AuthError {
    /// The identity host could not be reached or failed for a while (network, timeout, 5xx, 429):
    /// trying again later may work.
    pub fn is_transient(&self) -> bool {
        match self {
            AuthError::Network(_) => true,
            AuthError::UnexpectedAnswer { status, .. } => *status >= 500 || *status == 429,
            AuthError::Identity {
                status: Some(status),
                ..
            } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// One of the factors the identity host asks for after a partial login.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct RequiredFactor {
    /// The grant that completes the factor, e.g. `certificate`.
    #[serde(default)]
    pub grant_type: Option<String>,
    /// Which credential of the user the factor applies to (e.g. a certificate thumbprint or a phone).
    #[serde(default)]
    pub identity: Option<String>,
}

fn describe(description: &Option<String>) -> String {
    match description {
        Some(text) if !text.is_empty() => format!(": {text}"),
        _ => String::new(),
    }
}

fn factor_list(factors: &[RequiredFactor]) -> String {
    if factors.is_empty() {
        return "the factors the identity host names".to_owned();
    }
    let names: Vec<&str> = factors
        .iter()
        .map(|f| f.grant_type.as_deref().unwrap_or("(unnamed)"))
        .collect();
    format!("[{}]", names.join(", "))
}
