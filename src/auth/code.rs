//! Authorization code login: the user signs in on the identity host's page and is sent back
//! to the application's redirect URI with a one-time code.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::error::AuthError;

/// The scope of the code flow: an OpenID login plus the API.
pub const CODE_FLOW_SCOPE: &str = "openid extern.api";

/// One sign-in attempt: its random `state` and `nonce` and where the user comes back to.
/// Keep it (or its [`state`](Self::state) and [`nonce`](Self::nonce)) in the user's session
/// until the redirect arrives.
#[derive(Clone)]
pub struct AuthorizationCodeLogin {
    identity_url: Url,
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: String,
    nonce: String,
}

impl AuthorizationCodeLogin {
    /// A new attempt with fresh random `state` and `nonce`.
    /// `identity_url` is the identity host (see [`crate::Environment::identity_url`]).
    pub fn new(
        identity_url: &Url,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self::resume(
            identity_url,
            client_id,
            redirect_uri,
            random_token(),
            random_token(),
        )
    }

    /// The attempt recreated from the `state` and `nonce` kept in the user's session.
    pub fn resume(
        identity_url: &Url,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        state: impl Into<String>,
        nonce: impl Into<String>,
    ) -> Self {
        Self {
            identity_url: identity_url.clone(),
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scope: CODE_FLOW_SCOPE.to_owned(),
            state: state.into(),
            nonce: nonce.into(),
        }
    }

    /// Replaces the scope (default `openid extern.api`).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// The anti-forgery value the redirect must bring back.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The value the ID token must carry.
    pub fn nonce(&self) -> &str {
        &self.nonce
    }

    /// Where to send the user's browser: `GET /connect/authorize?...`.
    pub fn authorize_url(&self) -> Url {
        let mut url = self
            .identity_url
            .join("connect/authorize")
            .unwrap_or_else(|_| self.identity_url.clone());
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("scope", &self.scope)
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("nonce", &self.nonce)
            .append_pair("state", &self.state);
        url
    }

    /// Reads the redirect the user came back with: checks `state` and takes the code.
    pub fn accept_redirect(&self, redirect: &Url) -> Result<AuthorizationCode, AuthError> {
        let mut code = None;
        let mut state = None;
        let mut error = None;
        let mut description = None;
        for (name, value) in redirect.query_pairs() {
            match name.as_ref() {
                "code" => code = Some(value.into_owned()),
                "state" => state = Some(value.into_owned()),
                "error" => error = Some(value.into_owned()),
                "error_description" => description = Some(value.into_owned()),
                _ => {}
            }
        }
        if state.as_deref() != Some(self.state.as_str()) {
            return Err(AuthError::StateMismatch);
        }
        if let Some(error) = error {
            return Err(match error.as_str() {
                "access_denied" => AuthError::AccessDenied { description },
                _ => AuthError::Identity {
                    status: None,
                    error,
                    description,
                    trace_id: None,
                },
            });
        }
        match code {
            Some(code) => self.accept_code(SecretString::from(code), &self.state),
            None => Err(AuthError::Config("the redirect carries no code".to_owned())),
        }
    }

    /// Takes a code the application extracted itself, with the `state` that came with it.
    pub fn accept_code(
        &self,
        code: SecretString,
        returned_state: &str,
    ) -> Result<AuthorizationCode, AuthError> {
        if returned_state != self.state {
            return Err(AuthError::StateMismatch);
        }
        Ok(AuthorizationCode {
            code,
            redirect_uri: self.redirect_uri.clone(),
            nonce: Some(self.nonce.clone()),
        })
    }
}

impl fmt::Debug for AuthorizationCodeLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCodeLogin")
            .field("identity_url", &self.identity_url.as_str())
            .field("client_id", &self.client_id)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// A one-time code ready to be exchanged for tokens.
#[derive(Clone, Debug)]
pub struct AuthorizationCode {
    pub(crate) code: SecretString,
    pub(crate) redirect_uri: String,
    pub(crate) nonce: Option<String>,
}

impl AuthorizationCode {
    /// A code obtained without [`AuthorizationCodeLogin`] (the caller checked `state` itself);
    /// the ID token's nonce is then not checked.
    pub fn new(code: SecretString, redirect_uri: impl Into<String>) -> Self {
        Self {
            code,
            redirect_uri: redirect_uri.into(),
            nonce: None,
        }
    }

    /// Checks that the ID token returned with the tokens carries the login's nonce.
    /// The token comes straight from the identity host over TLS, so its signature is not re-checked.
    pub(crate) fn check_nonce(&self, id_token: Option<&SecretString>) -> Result<(), AuthError> {
        let (Some(expected), Some(id_token)) = (&self.nonce, id_token) else {
            return Ok(());
        };
        let claims = id_token
            .expose_secret()
            .split('.')
            .nth(1)
            .and_then(|payload| BASE64URL.decode(payload.trim_end_matches('=')).ok())
            .and_then(|json| serde_json::from_slice::<serde_json::Value>(&json).ok());
        let nonce = claims
            .as_ref()
            .and_then(|c| c.get("nonce"))
            .and_then(|n| n.as_str());
        if nonce == Some(expected.as_str()) {
            Ok(())
        } else {
            Err(AuthError::NonceMismatch)
        }
    }
}

/// 122 random bits (UUID v4 from the OS generator), URL-safe.
fn random_token() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
