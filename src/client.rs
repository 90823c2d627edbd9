//! The ready client: where Extern is, who the integrator is, and how the user logs in.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use url::Url;

use crate::auth::{
    API_SCOPE, AuthError, AuthorizationCode, CODE_FLOW_SCOPE, CertificateLogin, ClientCredentials,
    Clock, DevicePrompt, DevicePromptHandler, Grant, IdentityClient, SystemClock,
    TokenAuthenticator, TokenSettings, TrustedLogin,
};
use crate::raw;
use crate::transport::Transport;

/// Renew tokens this long before they expire, so a request never leaves with a dying token.
const DEFAULT_EXPIRY_MARGIN: Duration = Duration::from_secs(60);

/// Where the Extern API and its identity host are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    api_url: Url,
    identity_url: Url,
}

impl Environment {
    /// The production stand.
    pub fn production() -> Self {
        Self::fixed(
            "https://extern-api.kontur.ru/",
            "https://identity.kontur.ru/",
        )
    }

    /// The test stand (test robots, test tools).
    pub fn test() -> Self {
        Self::fixed(
            "https://extern-api.testkontur.ru/",
            "https://identity.testkontur.ru/",
        )
    }

    /// Explicit addresses, e.g. a proxy or a local mock. Plain `http` is accepted only for
    /// loopback hosts (`localhost`, `127.0.0.1`, `::1`), so a typo cannot send passwords in
    /// cleartext; see [`new_allowing_plain_http`](Self::new_allowing_plain_http).
    pub fn new(api_url: &str, identity_url: &str) -> Result<Self, AuthError> {
        Ok(Self {
            api_url: parse_base(api_url, false)?,
            identity_url: parse_base(identity_url, false)?,
        })
    }

    /// Explicit addresses where plain `http` is accepted for any host (a TLS-terminating proxy
    /// on a trusted network). Credentials and api-keys then travel unencrypted.
    pub fn new_allowing_plain_http(api_url: &str, identity_url: &str) -> Result<Self, AuthError> {
        Ok(Self {
            api_url: parse_base(api_url, true)?,
            identity_url: parse_base(identity_url, true)?,
        })
    }

    fn fixed(api_url: &str, identity_url: &str) -> Self {
        Self::new(api_url, identity_url).expect("the built-in stand addresses are valid URLs")
    }

    /// The API base URL.
    pub fn api_url(&self) -> &Url {
        &self.api_url
    }

    /// The identity host (OpenID Connect provider).
    pub fn identity_url(&self) -> &Url {
        &self.identity_url
    }
}

/// A base URL that `Url::join` extends rather than replaces: its path ends with `/`.
fn parse_base(text: &str, allow_plain_http: bool) -> Result<Url, AuthError> {
    let mut url =
        Url::parse(text).map_err(|e| AuthError::Config(format!("{text:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(AuthError::Config(format!(
            "{text:?} is not an http(s) URL with a host"
        )));
    }
    if url.scheme() == "http" && !allow_plain_http && !is_loopback(&url) {
        return Err(AuthError::Config(format!(
            "{text:?} is plain http to a host other than loopback: use https, or \
             Environment::new_allowing_plain_http to send credentials unencrypted"
        )));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// `localhost` (and its subdomains), `127.0.0.0/8` or `::1`.
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(address)) => address.is_loopback(),
        Some(url::Host::Ipv6(address)) => address.is_loopback(),
        None => false,
    }
}

/// How the user logs in; one per client.
enum Login {
    Grant(Grant),
    AccessToken(SecretString),
}

/// Configures a [`Client`]: environment, the integrator's credentials and one login.
pub struct ClientBuilder {
    environment: Option<Environment>,
    credentials: Option<ClientCredentials>,
    login: Option<Login>,
    scope: Option<String>,
    send_api_key_header: bool,
    expiry_margin: Duration,
    clock: Arc<dyn Clock>,
    http: Option<reqwest::ClientBuilder>,
    transport: Transport,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            environment: None,
            credentials: None,
            login: None,
            scope: None,
            send_api_key_header: false,
            expiry_margin: DEFAULT_EXPIRY_MARGIN,
            clock: Arc::new(SystemClock),
            http: None,
            transport: Transport::default(),
        }
    }
}

impl ClientBuilder {
    /// Which stand to talk to: [`Environment::production`], [`Environment::test`] or explicit URLs.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The integrator's service name (`client_id`) and api-key (sent as `client_secret`).
    pub fn client(mut self, client_id: impl Into<String>, api_key: SecretString) -> Self {
        self.credentials = Some(ClientCredentials {
            client_id: client_id.into(),
            api_key,
        });
        self
    }

    /// Log in with the user's login and password.
    pub fn password(self, username: impl Into<String>, password: SecretString) -> Self {
        self.login(Grant::Password {
            username: username.into(),
            password,
            partial_factor_token: None,
        })
    }

    /// Log in with login and password as the second step of a login that answered
    /// [`AuthError::SecondFactorRequired`].
    pub fn password_with_partial_factor(
        self,
        username: impl Into<String>,
        password: SecretString,
        partial_factor_token: SecretString,
    ) -> Self {
        self.login(Grant::Password {
            username: username.into(),
            password,
            partial_factor_token: Some(partial_factor_token),
        })
    }

    /// Log in with the user's certificate; the private key stays with the decryptor.
    pub fn certificate(self, login: CertificateLogin) -> Self {
        self.login(Grant::Certificate(login))
    }

    /// Trusted login with a JWT the caller made. It is single use: once the token it bought
    /// expires (and no refresh token is left) the client needs a new login.
    pub fn trusted_jwt(self, jwt: SecretString) -> Self {
        self.login(Grant::TrustedJwt(Some(jwt)))
    }

    /// Trusted login with JWTs signed on demand, a fresh one for each token request.
    pub fn trusted(self, login: TrustedLogin) -> Self {
        self.login(Grant::TrustedSigned(login))
    }

    /// Exchange an authorization code (from [`crate::auth::AuthorizationCodeLogin`]) for tokens.
    pub fn authorization_code(self, code: AuthorizationCode) -> Self {
        self.login(Grant::AuthorizationCode(Some(code)))
    }

    /// Device login: `on_prompt` is called with the code and link to show the user, then the
    /// client polls the identity host until the user confirms.
    pub fn device_flow(self, on_prompt: impl Fn(&DevicePrompt) + Send + Sync + 'static) -> Self {
        let handler: DevicePromptHandler = Arc::new(on_prompt);
        self.login(Grant::Device(handler))
    }

    /// Use an access token obtained elsewhere; it is never renewed.
    pub fn access_token(mut self, token: SecretString) -> Self {
        self.login = Some(Login::AccessToken(token));
        self
    }

    /// Also send the api-key in the legacy `X-Kontur-Apikey` header with every API request.
    pub fn send_api_key_header(mut self, send: bool) -> Self {
        self.send_api_key_header = send;
        self
    }

    /// The token scope (default `extern.api`; `openid extern.api` for the code flow).
    /// Add `extern.test-tools` for the test stand's tools.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// Renew tokens this long before they expire (default 60 s).
    pub fn token_expiry_margin(mut self, margin: Duration) -> Self {
        self.expiry_margin = margin;
        self
    }

    /// The time source for expiry and polling (tests, simulations).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// HTTP settings for both the API and the identity host (proxies, TLS, connection pools).
    /// The client is built from them with redirects switched off, so credentials never follow
    /// a redirect to another host (see [`crate::transport::http_client_from`]).
    pub fn http_client(mut self, http: reqwest::ClientBuilder) -> Self {
        self.http = Some(http);
        self
    }

    fn login(mut self, grant: Grant) -> Self {
        self.login = Some(Login::Grant(grant));
        self
    }

    /// Retry policy, in-flight cap and per-request timeout of API calls, as a [`Transport`]
    /// (its authenticator is replaced by the login chosen here).
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// The ready client. Makes no request: the first API call logs in.
    pub fn build(self) -> Result<Client, AuthError> {
        let environment = self.environment.ok_or_else(|| {
            AuthError::Config("choose an environment (production, test or URLs)".to_owned())
        })?;
        let login = self.login.ok_or_else(|| {
            AuthError::Config("choose a login: password, certificate, trusted, authorization code, device or access token".to_owned())
        })?;
        let http = match self.http {
            Some(builder) => crate::transport::http_client_from(builder),
            None => crate::transport::http_client(),
        }
        .map_err(|e| AuthError::Config(format!("HTTP client: {e}")))?;
        let (grant, initial_token) = match login {
            Login::Grant(grant) => (grant, None),
            Login::AccessToken(token) => (Grant::Fixed, Some(token)),
        };
        if let Grant::TrustedSigned(login) = &grant {
            login.validate()?;
        }
        let needs_credentials = !matches!(grant, Grant::Fixed);
        if needs_credentials && self.credentials.is_none() {
            return Err(AuthError::Config(
                "this login needs the client_id and api-key: call .client(...)".to_owned(),
            ));
        }
        let default_scope = if matches!(grant, Grant::AuthorizationCode(_)) {
            CODE_FLOW_SCOPE
        } else {
            API_SCOPE
        };
        let scope = self.scope.unwrap_or_else(|| default_scope.to_owned());
        let identity = self.credentials.map(|credentials| {
            IdentityClient::new(
                http.clone(),
                environment.identity_url.clone(),
                credentials,
                scope,
            )
        });
        let authenticator = TokenAuthenticator::new(TokenSettings {
            api_url: environment.api_url.clone(),
            identity,
            grant,
            initial_token,
            send_api_key_header: self.send_api_key_header,
            expiry_margin: self.expiry_margin,
            clock: self.clock,
        })?;
        let authenticator = Arc::new(authenticator);
        // progenitor appends `/v1/...` to the base URL itself.
        let base = environment.api_url.as_str().trim_end_matches('/');
        let raw = raw::Client::new_with_client(
            base,
            http,
            self.transport.authenticator(authenticator.clone()),
        );
        Ok(Client {
            raw,
            authenticator,
            environment,
        })
    }
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let login = match &self.login {
            Some(Login::Grant(grant)) => format!("{grant:?}"),
            Some(Login::AccessToken(token)) => format!("AccessToken({token:?})"),
            None => "None".to_owned(),
        };
        f.debug_struct("ClientBuilder")
            .field("environment", &self.environment)
            .field("credentials", &self.credentials)
            .field("login", &login)
            .field("scope", &self.scope)
            .field("send_api_key_header", &self.send_api_key_header)
            .field("expiry_margin", &self.expiry_margin)
            .finish_non_exhaustive()
    }
}

/// A client of the Extern API that logs in and keeps its token fresh on its own.
#[derive(Clone, Debug)]
pub struct Client {
    raw: raw::Client,
    authenticator: Arc<TokenAuthenticator>,
    environment: Environment,
}

impl Client {
    /// Starts the configuration.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Every operation of the API, as generated from the spec.
    pub fn raw(&self) -> &raw::Client {
        &self.raw
    }

    /// The stand this client talks to.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    /// The authenticator of this client, for requests made outside [`raw`](Self::raw)
    /// (it attaches credentials only to requests bound for the API host).
    pub fn authenticator(&self) -> &TokenAuthenticator {
        &self.authenticator
    }

    /// Logs in now rather than on the first call, so bad credentials surface at start-up.
    pub async fn authenticate(&self) -> Result<(), AuthError> {
        self.authenticator.access_token().await.map(drop)
    }
}
