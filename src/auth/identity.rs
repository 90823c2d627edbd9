//! Calls to the identity host (OpenID Connect provider): form posts, answers, error mapping.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::error::{AuthError, RequiredFactor};

/// Time limit of one identity call: the shared HTTP client has only a connect timeout.
const IDENTITY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The header in which Kontur answers carry their trace id.
const TRACE_ID_HEADER: &str = "x-kontur-trace-id";

/// The integrator's identity: the service name and its api-key (sent as `client_secret`).
#[derive(Clone)]
pub(crate) struct ClientCredentials {
    pub(crate) client_id: String,
    pub(crate) api_key: SecretString,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("api_key", &self.api_key)
            .finish()
    }
}

/// A form field value; secrets stay wrapped until the body is encoded.
pub(crate) enum FieldValue {
    Plain(String),
    Secret(SecretString),
}

impl From<&str> for FieldValue {
    fn from(value: &str) -> Self {
        FieldValue::Plain(value.to_owned())
    }
}

impl From<String> for FieldValue {
    fn from(value: String) -> Self {
        FieldValue::Plain(value)
    }
}

impl From<&SecretString> for FieldValue {
    fn from(value: &SecretString) -> Self {
        FieldValue::Secret(value.clone())
    }
}

/// The fields of one form post.
#[derive(Default)]
pub(crate) struct Form {
    fields: Vec<(&'static str, FieldValue)>,
}

impl Form {
    pub(crate) fn field(mut self, name: &'static str, value: impl Into<FieldValue>) -> Self {
        self.fields.push((name, value.into()));
        self
    }

    pub(crate) fn optional(self, name: &'static str, value: Option<impl Into<FieldValue>>) -> Self {
        match value {
            Some(value) => self.field(name, value),
            None => self,
        }
    }

    fn encode(&self) -> String {
        let mut encoder = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &self.fields {
            let value = match value {
                FieldValue::Plain(text) => text.as_str(),
                FieldValue::Secret(secret) => secret.expose_secret(),
            };
            encoder.append_pair(name, value);
        }
        encoder.finish()
    }
}

/// A successful token answer.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenAnswer {
    pub(crate) access_token: SecretString,
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub(crate) expires_in: Option<u64>,
    /// The device-flow example in the docs spells the lifetime `expires`.
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub(crate) expires: Option<u64>,
    #[serde(default)]
    pub(crate) refresh_token: Option<SecretString>,
    #[serde(default)]
    pub(crate) id_token: Option<SecretString>,
}

impl TokenAnswer {
    /// Seconds the token lives, from whichever field the host used.
    pub(crate) fn lifetime(&self) -> Option<u64> {
        self.expires_in.or(self.expires)
    }
}

/// The answer to `POST /authentication/certificate`.
#[derive(Debug, Deserialize)]
pub(crate) struct CertificateChallenge {
    /// Base64 of a PKCS#7 envelope that only the certificate's private key opens.
    pub(crate) encrypted_key: String,
}

/// The answer to `POST /connect/deviceauthorization`.
#[derive(Debug, Deserialize)]
pub(crate) struct DeviceAuthorization {
    pub(crate) device_code: SecretString,
    pub(crate) user_code: String,
    pub(crate) verification_uri: String,
    #[serde(default)]
    pub(crate) verification_uri_complete: Option<String>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub(crate) interval: Option<u64>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub(crate) expires_in: Option<u64>,
    #[serde(default, deserialize_with = "lenient_seconds")]
    pub(crate) expires: Option<u64>,
}

/// The body of an identity error (HTTP 400, sometimes 401).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OAuthError {
    pub(crate) error: String,
    #[serde(default)]
    pub(crate) error_description: Option<String>,
    #[serde(default)]
    pub(crate) partial_factor_token: Option<SecretString>,
    #[serde(default, deserialize_with = "lenient_factors")]
    pub(crate) required_factors: Vec<RequiredFactor>,
}

/// A refused identity call: either an OAuth error (still to be interpreted) or a final failure.
#[derive(Debug)]
pub(crate) enum Refusal {
    OAuth {
        status: u16,
        body: OAuthError,
        trace_id: Option<String>,
    },
    Failed(AuthError),
}

impl Refusal {
    /// The OAuth error code, when the host sent one.
    pub(crate) fn code(&self) -> Option<&str> {
        match self {
            Refusal::OAuth { body, .. } => Some(body.error.as_str()),
            Refusal::Failed(_) => None,
        }
    }
}

impl From<Refusal> for AuthError {
    fn from(refusal: Refusal) -> Self {
        let (status, body, trace_id) = match refusal {
            Refusal::Failed(error) => return error,
            Refusal::OAuth {
                status,
                body,
                trace_id,
            } => (status, body, trace_id),
        };
        let description = body.error_description;
        if let Some(partial_factor_token) = body.partial_factor_token {
            return AuthError::SecondFactorRequired {
                partial_factor_token,
                required_factors: body.required_factors,
                description,
            };
        }
        match body.error.as_str() {
            "invalid_client" | "unauthorized_client" => AuthError::InvalidClient {
                description,
                trace_id,
            },
            "invalid_grant" => AuthError::InvalidGrant {
                description,
                trace_id,
            },
            "access_denied" => AuthError::AccessDenied { description },
            "expired_token" => AuthError::DeviceCodeExpired,
            _ => AuthError::Identity {
                status: Some(status),
                error: body.error,
                description,
                trace_id,
            },
        }
    }
}

/// Talks to one identity host on behalf of one integrator.
#[derive(Clone, Debug)]
pub(crate) struct IdentityClient {
    http: reqwest::Client,
    base: Url,
    credentials: ClientCredentials,
    scope: String,
}

impl IdentityClient {
    pub(crate) fn new(
        http: reqwest::Client,
        base: Url,
        credentials: ClientCredentials,
        scope: String,
    ) -> Self {
        Self {
            http,
            base,
            credentials,
            scope,
        }
    }

    pub(crate) fn credentials(&self) -> &ClientCredentials {
        &self.credentials
    }

    /// A form that starts with the client's id, api-key and scope, as every identity call needs.
    pub(crate) fn client_form(&self) -> Form {
        Form::default()
            .field("client_id", self.credentials.client_id.as_str())
            .field("client_secret", &self.credentials.api_key)
            .field("scope", self.scope.as_str())
    }

    /// `POST /connect/token` with `grant_type` and the given fields.
    pub(crate) async fn token(
        &self,
        grant_type: &str,
        fields: Form,
    ) -> Result<TokenAnswer, Refusal> {
        let form = self.client_form().field("grant_type", grant_type);
        let form = Form {
            fields: form.fields.into_iter().chain(fields.fields).collect(),
        };
        tracing::debug!(grant_type, "requesting a token from the identity host");
        self.post("connect/token", form).await
    }

    /// `POST /authentication/certificate`: the first step of the certificate login.
    pub(crate) async fn certificate_challenge(
        &self,
        fields: Form,
    ) -> Result<CertificateChallenge, Refusal> {
        let form = Form::default()
            .field("client_id", self.credentials.client_id.as_str())
            .field("client_secret", &self.credentials.api_key);
        let form = Form {
            fields: form.fields.into_iter().chain(fields.fields).collect(),
        };
        tracing::debug!("requesting a certificate challenge from the identity host");
        self.post("authentication/certificate", form).await
    }

    /// `POST /connect/deviceauthorization`: starts the device flow.
    pub(crate) async fn device_authorization(&self) -> Result<DeviceAuthorization, Refusal> {
        tracing::debug!("starting the device flow");
        self.post("connect/deviceauthorization", self.client_form())
            .await
    }

    async fn post<T: DeserializeOwned>(&self, path: &str, form: Form) -> Result<T, Refusal> {
        let url = self.base.join(path).map_err(|e| {
            Refusal::Failed(AuthError::Config(format!(
                "identity URL {}: {e}",
                self.base
            )))
        })?;
        let response = self
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .header(
                reqwest::header::USER_AGENT,
                crate::transport::USER_AGENT_VALUE,
            )
            .timeout(IDENTITY_TIMEOUT)
            .body(form.encode())
            .send()
            .await
            .map_err(|e| {
                Refusal::Failed(AuthError::Network(std::sync::Arc::new(e.without_url())))
            })?;
        let status = response.status().as_u16();
        let trace_id = response
            .headers()
            .get(TRACE_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let body = response.bytes().await.map_err(|e| {
            Refusal::Failed(AuthError::Network(std::sync::Arc::new(e.without_url())))
        })?;
        if (200..300).contains(&status) {
            // A successful answer may hold tokens: describe where it broke, never what it held.
            return serde_json::from_slice(&body).map_err(|e| {
                let excerpt = format!(
                    "not the expected JSON (line {}, column {})",
                    e.line(),
                    e.column()
                );
                Refusal::Failed(AuthError::UnexpectedAnswer {
                    status,
                    excerpt,
                    trace_id: trace_id.clone(),
                })
            });
        }
        match serde_json::from_slice::<OAuthError>(&body) {
            Ok(error) if !error.error.is_empty() => {
                tracing::debug!(status, error = %error.error, trace_id = ?trace_id, "identity host refused");
                Err(Refusal::OAuth {
                    status,
                    body: error,
                    trace_id,
                })
            }
            _ => Err(Refusal::Failed(AuthError::UnexpectedAnswer {
                status,
                excerpt: excerpt(&body),
                trace_id,
            })),
        }
    }
}

/// The start of a body for an error message; never the whole of it.
fn excerpt(body: &[u8]) -> String {
    const LIMIT: usize = 200;
    let text = String::from_utf8_lossy(body);
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.into_owned(),
    }
}

/// Seconds as a JSON number or a numeric string; anything else counts as absent.
fn lenient_seconds<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

/// `required_factors` may be absent, null or hold entries of unknown shape.
fn lenient_factors<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<RequiredFactor>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::Array(items)) => items
            .into_iter()
            .filter_map(|item| serde_json::from_value(item).ok())
            .collect(),
        _ => Vec::new(),
    })
}
