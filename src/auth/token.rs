//! The token-based [`Authenticator`]: caches the access token, renews it once for all waiting
//! requests, and attaches it only to requests bound for the API host.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use futures::future::{BoxFuture, Shared};
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::Authenticator;
use super::certificate::CertificateLogin;
use super::clock::Clock;
use super::code::AuthorizationCode;
use super::device::{DevicePromptHandler, HandlerDebug, device_login};
use super::error::AuthError;
use super::identity::{Form, IdentityClient, Refusal, TokenAnswer};
use super::trusted::TrustedLogin;

/// The legacy header that carries the api-key to the API.
pub const API_KEY_HEADER: &str = "x-kontur-apikey";

/// How new tokens are obtained when there is no usable refresh token.
pub(crate) enum Grant {
    /// A token handed in by the caller: nothing to renew it with.
    Fixed,
    Password {
        username: String,
        password: SecretString,
        partial_factor_token: Option<SecretString>,
    },
    Certificate(CertificateLogin),
    /// A caller-made JWT; single use, so it is taken out on first use.
    TrustedJwt(Option<SecretString>),
    TrustedSigned(TrustedLogin),
    /// Single use: taken out on exchange.
    AuthorizationCode(Option<AuthorizationCode>),
    Device(DevicePromptHandler),
}

impl Grant {
    fn kind(&self) -> &'static str {
        match self {
            Grant::Fixed => "fixed token",
            Grant::Password { .. } => "password",
            Grant::Certificate(_) => "certificate",
            Grant::TrustedJwt(_) | Grant::TrustedSigned(_) => "trusted",
            Grant::AuthorizationCode(_) => "authorization code",
            Grant::Device(_) => "device",
        }
    }
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grant::Fixed => f.write_str("Fixed"),
            Grant::Password { username, password, partial_factor_token } => f
                .debug_struct("Password")
                .field("username", username)
                .field("password", password)
                .field("partial_factor_token", partial_factor_token)
                .finish(),
            Grant::Certificate(login) => f.debug_tuple("Certificate").field(login).finish(),
            Grant::TrustedJwt(jwt) => f.debug_tuple("TrustedJwt").field(jwt).finish(),
            Grant::TrustedSigned(login) => f.debug_tuple("TrustedSigned").field(login).finish(),
            Grant::AuthorizationCode(code) => f.debug_tuple("AuthorizationCode").field(code).finish(),
            Grant::Device(_) => f.debug_tuple("Device").field(&HandlerDebug).finish(),
        }
    }
}

/// The token in use and what renews it.
#[derive(Debug)]
struct Issued {
    access: SecretString,
    /// `Bearer <access>`, made once per token: every request sends it.
    bearer: Option<HeaderValue>,
    /// When to start renewing it (expiry less the margin); `None` when the lifetime is unknown.
    renew_at: Option<Instant>,
    /// When it stops working; `None` when unknown.
    expires_at: Option<Instant>,
    refresh: Option<SecretString>,
}

/// A renewal in progress: a spawned task every waiting request awaits. It runs to the end and
/// stores its token even when every request that waited for it is gone (a timeout, a `select!`),
/// so a rotated refresh token is never lost half-way.
type Renewal = Shared<BoxFuture<'static, Result<SecretString, AuthError>>>;

#[derive(Debug, Default)]
struct TokenState {
    issued: Option<Issued>,
    renewal: Option<Renewal>,
    /// After an early renewal failed for a passing reason, the current token is served until then.
    retry_renewal_at: Option<Instant>,
}

/// How long to keep serving a still-valid token after an early renewal failed for a passing
/// reason (network, 5xx) before trying again.
const RENEWAL_RETRY_PAUSE: Duration = Duration::from_secs(10);

/// Settings of a [`TokenAuthenticator`].
pub(crate) struct TokenSettings {
    pub(crate) api_url: Url,
    pub(crate) identity: Option<IdentityClient>,
    pub(crate) grant: Grant,
    pub(crate) initial_token: Option<SecretString>,
    pub(crate) send_api_key_header: bool,
    pub(crate) expiry_margin: Duration,
    pub(crate) clock: Arc<dyn Clock>,
}

/// Obtains, caches and renews OpenID Connect tokens for one client.
pub struct TokenAuthenticator {
    inner: Arc<Inner>,
}

struct Inner {
    api_url: Url,
    identity: Option<IdentityClient>,
    api_key_header: Option<HeaderValue>,
    expiry_margin: Duration,
    clock: Arc<dyn Clock>,
    /// The login can obtain no new token (a caller-supplied access token).
    fixed: bool,
    state: Mutex<TokenState>,
    /// Used only by the renewal task (single-use grants are spent there).
    grant: tokio::sync::Mutex<Grant>,
}

impl TokenAuthenticator {
    pub(crate) fn new(settings: TokenSettings) -> Result<Self, AuthError> {
        let api_key_header = match (&settings.identity, settings.send_api_key_header) {
            (Some(identity), true) => {
                let mut value = HeaderValue::from_str(identity.credentials().api_key.expose_secret())
                    .map_err(|_| AuthError::Config("the api-key is not a valid header value".to_owned()))?;
                value.set_sensitive(true);
                Some(value)
            }
            (None, true) => {
                return Err(AuthError::Config("the api-key header needs the client credentials".to_owned()));
            }
            (_, false) => None,
        };
        let issued = settings.initial_token.map(|access| Issued {
            bearer: bearer_header(&access),
            access,
            renew_at: None,
            expires_at: None,
            refresh: None,
        });
        Ok(Self {
            inner: Arc::new(Inner {
                api_url: settings.api_url,
                identity: settings.identity,
                api_key_header,
                expiry_margin: settings.expiry_margin,
                clock: settings.clock,
                fixed: matches!(settings.grant, Grant::Fixed),
                state: Mutex::new(TokenState { issued, ..TokenState::default() }),
                grant: tokio::sync::Mutex::new(settings.grant),
            }),
        })
    }

    /// The access token to use now, renewing it first when it is missing or about to expire.
    ///
    /// When an early renewal (within the expiry margin) fails for a passing reason, the current
    /// token is served until it really expires, and the renewal is tried again later.
    pub async fn access_token(&self) -> Result<SecretString, AuthError> {
        let renewal = {
            let mut state = self.inner.lock();
            if let Some(token) = state.usable_token(self.inner.clock.now()) {
                return Ok(token);
            }
            self.inner.start_or_join_renewal(&mut state)
        };
        match renewal.await {
            Ok(token) => Ok(token),
            Err(error) if error.is_transient() => match self.inner.unexpired_token() {
                Some(token) => {
                    tracing::warn!(%error, "renewing the access token failed; the current one is still valid");
                    Ok(token)
                }
                None => Err(error),
            },
            Err(error) => Err(error),
        }
    }

    /// Puts `bearer` (and the api-key, when configured) on `request`.
    fn attach(&self, request: &mut reqwest::Request, bearer: HeaderValue) {
        request.headers_mut().insert(AUTHORIZATION, bearer);
        if let Some(api_key) = &self.inner.api_key_header {
            request.headers_mut().insert(HeaderName::from_static(API_KEY_HEADER), api_key.clone());
        }
    }

    /// Refuses requests that leave the API host: credentials go nowhere else.
    fn check_destination(&self, url: &Url) -> Result<(), AuthError> {
        let api_url = &self.inner.api_url;
        let same = url.scheme() == api_url.scheme()
            && url.host() == api_url.host()
            && url.port_or_known_default() == api_url.port_or_known_default();
        if same {
            return Ok(());
        }
        Err(AuthError::ForeignHost { target: origin(url), api: origin(api_url) })
    }
}

impl TokenState {
    /// The current token, when it needs no renewal now.
    fn usable_token(&self, now: Instant) -> Option<SecretString> {
        self.usable(now).map(|issued| issued.access.clone())
    }

    /// The current token, when it needs no renewal now.
    fn usable(&self, now: Instant) -> Option<&Issued> {
        let issued = self.issued.as_ref()?;
        let fresh = issued.renew_at.is_none_or(|at| now < at);
        let waiting_to_retry =
            self.retry_renewal_at.is_some_and(|at| now < at) && issued.expires_at.is_some_and(|at| now < at);
        (fresh || waiting_to_retry).then_some(issued)
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, TokenState> {
        // Plain data: a panic elsewhere while holding the lock leaves it usable.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The renewal in progress, or a new one.
    fn start_or_join_renewal(self: &Arc<Self>, state: &mut TokenState) -> Renewal {
        if let Some(renewal) = &state.renewal {
            return renewal.clone();
        }
        let task = tokio::spawn(self.clone().run_renewal());
        let renewal = async move {
            task.await
                .unwrap_or_else(|stopped| Err(AuthError::Config(format!("the token renewal task stopped: {stopped}"))))
        }
        .boxed()
        .shared();
        state.renewal = Some(renewal.clone());
        renewal
    }

    /// The body of the renewal task.
    async fn run_renewal(self: Arc<Self>) -> Result<SecretString, AuthError> {
        let result = self.renew().await;
        let mut state = self.lock();
        state.renewal = None;
        state.retry_renewal_at = match &result {
            Err(error) if error.is_transient() => self.clock.now().checked_add(RENEWAL_RETRY_PAUSE),
            _ => None,
        };
        result
    }

    /// The current token while it has not expired.
    fn unexpired_token(&self) -> Option<SecretString> {
        let now = self.clock.now();
        let state = self.lock();
        let issued = state.issued.as_ref()?;
        issued.expires_at.is_some_and(|at| now < at).then(|| issued.access.clone())
    }

    /// Renews the token: refresh token first, else a new grant.
    async fn renew(&self) -> Result<SecretString, AuthError> {
        if self.fixed {
            return Err(fixed_token_error());
        }
        let refresh = self.lock().issued.as_ref().and_then(|issued| issued.refresh.clone());
        if let Some(refresh) = refresh {
            let identity = self.identity()?;
            tracing::debug!("refreshing the access token");
            match identity.token("refresh_token", Form::default().field("refresh_token", &refresh)).await {
                Ok(answer) => return Ok(self.store(answer, Some(refresh))),
                Err(refusal) if refusal.code().is_some() => {
                    // The refresh token is spent or revoked: fall back to a new grant.
                    tracing::info!(error = refusal.code(), "refresh token refused; logging in again");
                    if let Some(issued) = &mut self.lock().issued {
                        issued.refresh = None;
                    }
                }
                Err(refusal) => return Err(refusal.into()),
            }
        }
        let mut grant = self.grant.lock().await;
        let answer = self.grant(&mut grant).await?;
        Ok(self.store(answer, None))
    }

    async fn grant(&self, grant: &mut Grant) -> Result<TokenAnswer, AuthError> {
        tracing::debug!(grant = grant.kind(), "obtaining a new access token");
        if let Grant::Fixed = grant {
            return Err(fixed_token_error());
        }
        let identity = self.identity()?;
        let answer = match grant {
            Grant::Fixed => return Err(fixed_token_error()),
            Grant::Password { username, password, partial_factor_token } => {
                let form = Form::default()
                    .field("username", username.as_str())
                    .field("password", &*password)
                    .optional("partial_factor_token", partial_factor_token.as_ref());
                identity.token("password", form).await?
            }
            Grant::Certificate(login) => login.obtain(identity).await?,
            Grant::TrustedJwt(slot) => {
                let jwt = slot.clone().ok_or(AuthError::LoginRequired {
                    reason: "the supplied trusted JWT is single use and was used",
                })?;
                let answer = identity.token("trusted", Form::default().field("token", &jwt)).await;
                spend_if_answered(slot, &answer);
                answer?
            }
            Grant::TrustedSigned(login) => {
                let claims = login.claims(&identity.credentials().client_id, self.clock.as_ref());
                let jwt = login.sign(&claims).await?;
                identity.token("trusted", Form::default().field("token", &jwt)).await?
            }
            Grant::AuthorizationCode(slot) => {
                let code = slot.clone().ok_or(AuthError::LoginRequired {
                    reason: "the authorization code was already exchanged and no refresh token is left",
                })?;
                let form = Form::default()
                    .field("code", &code.code)
                    .field("redirect_uri", code.redirect_uri.as_str())
                    .optional("code_verifier", code.code_verifier.as_ref());
                let answer = identity.token("authorization_code", form).await;
                spend_if_answered(slot, &answer);
                let answer = answer?;
                code.check_nonce(answer.id_token.as_ref())?;
                answer
            }
            Grant::Device(on_prompt) => device_login(identity, on_prompt, self.clock.as_ref()).await?,
        };
        Ok(answer)
    }

    fn store(&self, answer: TokenAnswer, previous_refresh: Option<SecretString>) -> SecretString {
        let now = self.clock.now();
        let lifetime = answer.lifetime().map(Duration::from_secs);
        let (renew_at, expires_at) = renewal_times(now, lifetime, self.expiry_margin);
        tracing::info!(
            expires_in_s = lifetime.map(|l| l.as_secs()),
            refreshable = answer.refresh_token.is_some() || previous_refresh.is_some(),
            "access token obtained"
        );
        let access = answer.access_token;
        self.lock().issued = Some(Issued {
            bearer: bearer_header(&access),
            access: access.clone(),
            renew_at,
            expires_at,
            refresh: answer.refresh_token.or(previous_refresh),
        });
        access
    }

    fn identity(&self) -> Result<&IdentityClient, AuthError> {
        self.identity
            .as_ref()
            .ok_or_else(|| AuthError::Config("no client credentials for the identity host".to_owned()))
    }
}

/// When to start renewing a token that lives `lifetime` from `now`, and when it expires.
/// The margin never eats more than half of a short-lived token; a lifetime beyond what the
/// clock can represent means "never" (`None`), not a panic.
pub(crate) fn renewal_times(
    now: Instant,
    lifetime: Option<Duration>,
    margin: Duration,
) -> (Option<Instant>, Option<Instant>) {
    let Some(lifetime) = lifetime else {
        return (None, None);
    };
    let renew_at = now.checked_add(lifetime - margin.min(lifetime / 2));
    (renew_at, now.checked_add(lifetime))
}

impl Authenticator for TokenAuthenticator {
    fn authorize<'a>(&'a self, request: &'a mut reqwest::Request) -> BoxFuture<'a, Result<(), AuthError>> {
        Box::pin(async move {
            if let Some(done) = self.authorize_now(request) {
                return done;
            }
            let token = self.access_token().await?;
            let value = bearer_header(&token).ok_or_else(|| AuthError::UnexpectedAnswer {
                status: 200,
                excerpt: "the access token is not a valid header value".to_owned(),
                trace_id: None,
            })?;
            self.attach(request, value);
            Ok(())
        })
    }

    /// The common case: a fresh token whose header is ready.
    fn authorize_now(&self, request: &mut reqwest::Request) -> Option<Result<(), AuthError>> {
        if let Err(error) = self.check_destination(request.url()) {
            return Some(Err(error));
        }
        let ready = {
            let state = self.inner.lock();
            state.usable(self.inner.clock.now()).and_then(|issued| issued.bearer.clone())
        }?;
        self.attach(request, ready);
        Some(Ok(()))
    }

    fn reauthorize<'a>(&'a self, rejected: &'a reqwest::Request) -> BoxFuture<'a, Result<bool, AuthError>> {
        Box::pin(async move {
            let presented = rejected
                .headers()
                .get(AUTHORIZATION)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "));
            let Some(presented) = presented else {
                return Ok(false);
            };
            let renewal = {
                let mut state = self.inner.lock();
                if let Some(issued) = &state.issued
                    && issued.access.expose_secret() != presented
                {
                    // Another request already renewed the token: retry with the new one.
                    return Ok(true);
                }
                if self.inner.fixed {
                    tracing::info!("the API rejected the supplied access token; nothing to renew it with");
                    return Ok(false);
                }
                tracing::info!("the API rejected the access token; renewing it once");
                self.inner.start_or_join_renewal(&mut state)
            };
            renewal.await?;
            Ok(true)
        })
    }
}

impl fmt::Debug for TokenAuthenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("TokenAuthenticator")
            .field("api_url", &inner.api_url.as_str())
            .field("identity", &inner.identity)
            .field("api_key_header", &inner.api_key_header.as_ref().map(|_| "[REDACTED]"))
            .field("expiry_margin", &inner.expiry_margin)
            .field("clock", &inner.clock)
            .finish_non_exhaustive()
    }
}

/// `Authorization: Bearer <token>`, marked sensitive; `None` when the token cannot be a header.
fn bearer_header(token: &SecretString) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).ok()?;
    value.set_sensitive(true);
    Some(value)
}

fn origin(url: &Url) -> String {
    match url.port_or_known_default() {
        Some(port) => format!("{}://{}:{port}", url.scheme(), url.host_str().unwrap_or("")),
        None => format!("{}://{}", url.scheme(), url.host_str().unwrap_or("")),
    }
}

/// A single-use credential is spent once the identity host has answered about it; after a
/// network failure it may never have arrived, so it is kept for another try.
fn spend_if_answered<T>(slot: &mut Option<T>, answer: &Result<TokenAnswer, Refusal>) {
    if !matches!(answer, Err(Refusal::Failed(AuthError::Network(_)))) {
        *slot = None;
    }
}

fn fixed_token_error() -> AuthError {
    AuthError::LoginRequired { reason: "the access token was supplied by the caller" }
}
