//! Trusted login: a partner system vouches for its user with a signed JWT.
//! The JWT is single use, so a new one (fresh `jti`) is made for every token request.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use futures::future::BoxFuture;
use secrecy::SecretString;
use serde::Serialize;

use super::clock::Clock;
use super::error::{AuthError, BoxError};

/// The longest lifetime the identity host accepts for a trusted JWT.
pub const MAX_TRUSTED_JWT_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Signs trusted-login JWTs with the partner system's key (RSA is accepted by the identity host).
pub trait JwtSigner: Send + Sync + fmt::Debug + 'static {
    /// The JWS algorithm of the signature, e.g. `RS256`.
    fn algorithm(&self) -> &str;

    /// The key id to put in the header, if the identity host was given several keys.
    fn key_id(&self) -> Option<&str> {
        None
    }

    /// Signs `signing_input` (`base64url(header) "." base64url(claims)`) and returns the raw signature.
    fn sign<'a>(&'a self, signing_input: &'a [u8]) -> BoxFuture<'a, Result<Vec<u8>, BoxError>>;
}

/// The claims of a trusted-login JWT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrustedClaims {
    /// Issuer: the integrator's client_id.
    pub iss: String,
    /// The user's id in the partner system, as linked to the Extern user.
    pub sub: String,
    /// A unique token id (a UUID: 36 bytes, the most the host allows).
    pub jti: String,
    /// Issued at, Unix seconds.
    pub iat: u64,
    /// Expiry, Unix seconds.
    pub exp: u64,
}

/// Makes a fresh JWT for a partner system's user for every token request.
#[derive(Clone)]
pub struct TrustedLogin {
    subject: String,
    lifetime: Duration,
    signer: Arc<dyn JwtSigner>,
}

impl TrustedLogin {
    /// `subject` is the user's id in the partner system (the one linked to the Extern user).
    pub fn new(subject: impl Into<String>, signer: impl JwtSigner) -> Self {
        Self {
            subject: subject.into(),
            lifetime: Duration::from_secs(5 * 60),
            signer: Arc::new(signer),
        }
    }

    /// How long each JWT is valid (default 5 minutes, at most 24 hours).
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), AuthError> {
        if self.lifetime.is_zero() || self.lifetime > MAX_TRUSTED_JWT_LIFETIME {
            return Err(AuthError::Config(
                "a trusted JWT must live more than 0 s and at most 24 hours".to_owned(),
            ));
        }
        if self.subject.is_empty() {
            return Err(AuthError::Config(
                "a trusted login needs the user's id (sub)".to_owned(),
            ));
        }
        Ok(())
    }

    /// The claims of a new JWT: fresh `jti`, `exp` = now + lifetime.
    pub(crate) fn claims(&self, client_id: &str, clock: &dyn Clock) -> TrustedClaims {
        let now = clock.unix_time().as_secs();
        TrustedClaims {
            iss: client_id.to_owned(),
            sub: self.subject.clone(),
            jti: uuid::Uuid::new_v4().hyphenated().to_string(),
            iat: now,
            exp: now.saturating_add(self.lifetime.as_secs()),
        }
    }

    /// A signed compact JWT for `claims`.
    pub(crate) async fn sign(&self, claims: &TrustedClaims) -> Result<SecretString, AuthError> {
        #[derive(Serialize)]
        struct Header<'a> {
            alg: &'a str,
            typ: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            kid: Option<&'a str>,
        }
        let header = Header {
            alg: self.signer.algorithm(),
            typ: "JWT",
            kid: self.signer.key_id(),
        };
        let header =
            serde_json::to_vec(&header).map_err(|e| AuthError::Signing(std::sync::Arc::new(e)))?;
        let claims =
            serde_json::to_vec(claims).map_err(|e| AuthError::Signing(std::sync::Arc::new(e)))?;
        let signing_input = format!("{}.{}", BASE64URL.encode(header), BASE64URL.encode(claims));
        let signature = self
            .signer
            .sign(signing_input.as_bytes())
            .await
            .map_err(|e| AuthError::Signing(e.into()))?;
        Ok(SecretString::from(format!(
            "{signing_input}.{}",
            BASE64URL.encode(signature)
        )))
    }
}

impl fmt::Debug for TrustedLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedLogin")
            .field("subject", &self.subject)
            .field("lifetime", &self.lifetime)
            .field("signer", &self.signer)
            .finish()
    }
}
