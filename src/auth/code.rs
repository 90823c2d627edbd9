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

/// One sign-in attempt: its random `state`, `nonce` and PKCE code verifier, and where the user
/// comes back to. Keep it (or its [`state`](Self::state), [`nonce`](Self::nonce) and
/// [`code_verifier`](Self::code_verifier)) in the user's session until the redirect arrives.
///
/// The authorize URL carries the verifier's SHA-256 (`code_challenge_method=S256`, RFC 7636), and
/// the code exchange sends the verifier, so a code intercepted on its way back is useless.
#[derive(Clone)]
pub struct AuthorizationCodeLogin {
    identity_url: Url,
    client_id: String,
    redirect_uri: String,
    scope: String,
    state: String,
    nonce: String,
    code_verifier: SecretString,
}

impl AuthorizationCodeLogin {
    /// A new attempt with fresh random `state`, `nonce` and code verifier.
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
            SecretString::from(format!("{}{}", random_token(), random_token())),
        )
    }

    /// The attempt recreated from the `state`, `nonce` and code verifier kept in the user's session.
    pub fn resume(
        identity_url: &Url,
        client_id: impl Into<String>,
        redirect_uri: impl Into<String>,
        state: impl Into<String>,
        nonce: impl Into<String>,
        code_verifier: SecretString,
    ) -> Self {
        Self {
            identity_url: identity_url.clone(),
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scope: CODE_FLOW_SCOPE.to_owned(),
            state: state.into(),
            nonce: nonce.into(),
            code_verifier,
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

    /// The PKCE code verifier (RFC 7636): keep it secret, in the user's session.
    pub fn code_verifier(&self) -> &SecretString {
        &self.code_verifier
    }

    /// `BASE64URL(SHA-256(code_verifier))`, sent in the authorize URL.
    pub fn code_challenge(&self) -> String {
        use sha2::Digest as _;
        BASE64URL.encode(sha2::Sha256::digest(
            self.code_verifier.expose_secret().as_bytes(),
        ))
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
            .append_pair("state", &self.state)
            .append_pair("code_challenge", &self.code_challenge())
            .append_pair("code_challenge_method", "S256");
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
            code_verifier: Some(self.code_verifier.clone()),
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
    pub(crate) code_verifier: Option<SecretString>,
}

impl AuthorizationCode {
    /// A code obtained without [`AuthorizationCodeLogin`] (the caller checked `state` itself);
    /// the ID token's nonce is then not checked.
    pub fn new(code: SecretString, redirect_uri: impl Into<String>) -> Self {
        Self {
            code,
            redirect_uri: redirect_uri.into(),
            nonce: None,
            code_verifier: None,
        }
    }

    /// Sends `code_verifier` with the exchange: the PKCE verifier whose challenge the
    /// authorize URL carried.
    pub fn with_code_verifier(mut self, code_verifier: SecretString) -> Self {
        self.code_verifier = Some(code_verifier);
        self
    }

    /// Checks that the ID token returned with the tokens carries the login's nonce. When a nonce
    /// was sent, an answer without an ID token is refused: the nonce would go unchecked.
    /// The token comes straight from the identity host over TLS, so its signature is not re-checked.
    pub(crate) fn check_nonce(&self, id_token: Option<&SecretString>) -> Result<(), AuthError> {
        let Some(expected) = &self.nonce else {
            return Ok(());
        };
        let Some(id_token) = id_token else {
            return Err(AuthError::IdTokenMissing);
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
