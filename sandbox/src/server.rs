//! Starting and stopping the two hosts (identity and API) over one shared state.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::http::{HeaderMap, header};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::clock::SandboxClock;
use crate::error::{ApiFailure, ApiResult};
use crate::model::{IssuedToken, World};
use crate::world::save_atomically;

/// How often the background ticker lets robots and tasks move without a request.
const TICK: Duration = Duration::from_millis(100);

/// How the sandbox starts.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Address of the API host; its port may be 0 (an ephemeral one). The identity host listens on
    /// an ephemeral port of the same address.
    pub listen: SocketAddr,
    /// Where the state is kept across restarts; `None` keeps it in memory only.
    pub state_file: Option<PathBuf>,
    /// How many times faster than real time the sandbox time runs (robots, tasks); 0 stops it, so
    /// only [`SandboxHandle::advance`] moves it.
    pub speed: f64,
    /// Lifetime of access tokens (wall time).
    pub token_lifetime: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_file: None,
            speed: crate::DEFAULT_SPEED,
            token_lifetime: Duration::from_secs(3600),
        }
    }
}

/// What both hosts share.
#[derive(Debug)]
pub struct Shared {
    world: Mutex<World>,
    /// The sandbox's clocks.
    pub clock: Arc<SandboxClock>,
    state_file: Option<PathBuf>,
    save_lock: tokio::sync::Mutex<()>,
    /// Base URL of the API host.
    pub api_url: String,
    /// Base URL of the identity host.
    pub identity_url: String,
    /// Lifetime of access tokens.
    pub token_lifetime: chrono::Duration,
    /// What the identity host and the API did with credentials, for tests to look at.
    pub auth_log: Mutex<AuthLog>,
}

/// What happened to credentials since the start (not persisted): which grants issued tokens and
/// how many API requests were refused for their token.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthLog {
    /// `grant_type` of every token the identity host issued, in order.
    pub grants: Vec<String>,
    /// API requests answered 401 because their token was missing, unknown or expired.
    pub refused_tokens: usize,
}

impl Shared {
    /// The state, locked.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The token behind a valid bearer header, or 401 (counted in the [`AuthLog`]).
    pub fn authenticate(&self, headers: &HeaderMap) -> ApiResult<IssuedToken> {
        let result = self.check_token(headers);
        if result.is_err() {
            self.auth_log.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).refused_tokens += 1;
        }
        result
    }

    /// Notes a token issued by `grant_type`.
    pub fn note_grant(&self, grant_type: &str) {
        self.auth_log.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).grants.push(grant_type.to_owned());
    }

    fn check_token(&self, headers: &HeaderMap) -> ApiResult<IssuedToken> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| ApiFailure::unauthorized("an access token is required: Authorization: Bearer <token>"))?;
        let wall = self.clock.wall_now();
        let world = self.world();
        match world.identity.access_tokens.get(token) {
            Some(issued) if issued.expires_at > wall => Ok(issued.clone()),
            Some(_) => Err(ApiFailure::unauthorized("the access token has expired")),
            None => Err(ApiFailure::unauthorized("the access token is not valid")),
        }
    }

    /// Writes the state file, when there is one. Failures are logged: the sandbox keeps serving.
    pub async fn save(&self) {
        let Some(path) = &self.state_file else { return };
        let _writer = self.save_lock.lock().await;
        let bytes = {
            let mut world = self.world();
            world.sandbox_time = Some(self.clock.now());
            serde_json::to_vec(&*world)
        };
        match bytes {
            Ok(bytes) => {
                let path = path.clone();
                let written = tokio::task::spawn_blocking(move || save_atomically(&path, &bytes)).await;
                if let Ok(Err(err)) | Err(err) = written.map_err(std::io::Error::other) {
                    tracing::error!(error = %err, "could not save the state");
                }
            }
            Err(err) => tracing::error!(error = %err, "could not serialise the state"),
        }
    }

    /// Brings the state up to the current time; saves when something happened.
    pub async fn tick(&self) {
        let changed = {
            let mut world = self.world();
            world.settle(self.clock.now(), self.clock.wall_now())
        };
        if changed {
            self.save().await;
        }
    }
}

/// Credentials of the seeded integrator, user and account.
#[derive(Clone)]
pub struct Credentials {
    /// Integrator's service name.
    pub client_id: String,
    /// Integrator's api-key (sent as `client_secret`).
    pub api_key: String,
    /// User's login.
    pub login: String,
    /// User's password.
    pub password: String,
    /// The user's account.
    pub account_id: uuid::Uuid,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("api_key", &"[redacted]")
            .field("login", &self.login)
            .field("password", &"[redacted]")
            .field("account_id", &self.account_id)
            .finish()
    }
}

/// A running sandbox. Dropping it stops both hosts.
#[derive(Debug)]
pub struct SandboxHandle {
    /// Base URL of the API host (ends with `/`).
    pub api_url: String,
    /// Base URL of the identity host (ends with `/`).
    pub identity_url: String,
    /// The seeded integrator, user and account.
    pub credentials: Credentials,
    shared: Arc<Shared>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// The local Extern.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Starts both hosts in this process and returns once they accept connections.
    pub async fn start(config: SandboxConfig) -> std::io::Result<SandboxHandle> {
        let world = match &config.state_file {
            Some(path) if path.exists() => {
                let text = tokio::fs::read(path).await?;
                serde_json::from_slice::<World>(&text).map_err(|err| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("{}: not a sandbox state: {err}", path.display()),
                    )
                })?
            }
            _ => World::seeded(chrono::Utc::now()),
        };
        let seed = world.seed().ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "the state has no integrator, user or account")
        })?;
        let origin = world.sandbox_time.unwrap_or_else(chrono::Utc::now);
        let clock = Arc::new(SandboxClock::new(origin, config.speed));

        let api_listener = tokio::net::TcpListener::bind(config.listen).await?;
        let identity_listener = tokio::net::TcpListener::bind(SocketAddr::new(config.listen.ip(), 0)).await?;
        let api_url = format!("http://{}/", api_listener.local_addr()?);
        let identity_url = format!("http://{}/", identity_listener.local_addr()?);

        let shared = Arc::new(Shared {
            world: Mutex::new(world),
            clock,
            state_file: config.state_file.clone(),
            save_lock: tokio::sync::Mutex::new(()),
            api_url: api_url.clone(),
            identity_url: identity_url.clone(),
            token_lifetime: chrono::Duration::from_std(config.token_lifetime)
                .unwrap_or_else(|_| chrono::Duration::hours(1)),
            auth_log: Mutex::new(AuthLog::default()),
        });
        shared.save().await;

        let (shutdown, stopped) = watch::channel(false);
        let api = {
            let shared = shared.clone();
            axum::Router::new()
                .fallback(move |request: axum::extract::Request| crate::api::serve(shared.clone(), request))
        };
        let identity = {
            let shared = shared.clone();
            axum::Router::new()
                .fallback(move |request: axum::extract::Request| crate::identity::serve(shared.clone(), request))
        };
        let mut tasks = vec![
            tokio::spawn(serve_until(api_listener, api, stopped.clone())),
            tokio::spawn(serve_until(identity_listener, identity, stopped.clone())),
        ];
        let ticker_shared = Arc::downgrade(&shared);
        let mut ticker_stopped = stopped;
        tasks.push(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(TICK) => {}
                    _ = ticker_stopped.changed() => return,
                }
                let Some(shared) = ticker_shared.upgrade() else {
                    return;
                };
                shared.tick().await;
            }
        }));
        tracing::info!(%api_url, %identity_url, speed = config.speed, "sandbox ready");
        Ok(SandboxHandle {
            api_url,
            identity_url,
            credentials: Credentials {
                client_id: seed.client_id,
                api_key: seed.api_key,
                login: seed.login,
                password: seed.password,
                account_id: seed.account_id,
            },
            shared,
            shutdown,
            tasks,
        })
    }
}

async fn serve_until(listener: tokio::net::TcpListener, router: axum::Router, mut stopped: watch::Receiver<bool>) {
    let shutdown = async move {
        let _ = stopped.wait_for(|stopped| *stopped).await;
    };
    if let Err(err) = axum::serve(listener, router).with_graceful_shutdown(shutdown).await {
        tracing::error!(error = %err, "server stopped");
    }
}

impl SandboxHandle {
    /// Moves the sandbox's time forward by `by` (sandbox and wall time alike) and lets everything
    /// due by then happen: tasks finish, robots answer, codes and tokens expire.
    pub async fn advance(&self, by: Duration) {
        self.shared.clock.advance(by);
        self.shared.tick().await;
    }

    /// Which grants issued tokens and how many API requests were refused for their token, since
    /// the start: lets a test tell a refreshed token from a new login, and a renewal in time
    /// from one forced by a 401.
    pub fn auth_log(&self) -> AuthLog {
        self.shared.auth_log.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Files `count` reports of the seeded account to the FNS inspection `ifns_code` (a robot
    /// such as `0087`, or any other code for docflows no robot answers), one sandbox millisecond
    /// apart, exactly as drafts sent through check, prepare and send would be, but without the
    /// requests. Returns the docflow ids in filing order. Sandbox-only: for tests that need many
    /// docflows (paging, the events feed).
    pub async fn file_reports(&self, count: usize, ifns_code: &str) -> Vec<uuid::Uuid> {
        self.change(|world, now| {
            (0..count)
                .filter_map(|index| {
                    let at = now - chrono::Duration::milliseconds((count - index) as i64);
                    world.file_report_directly(self.credentials.account_id, ifns_code, at)
                })
                .collect()
        })
        .await
    }

    /// Changes the state brought up to the current sandbox time (passed along), then saves it.
    async fn change<T>(&self, change: impl FnOnce(&mut World, chrono::DateTime<chrono::Utc>) -> T) -> T {
        let changed = {
            let mut world = self.shared.world();
            let now = self.shared.clock.now();
            world.settle(now, self.shared.clock.wall_now());
            change(&mut world, now)
        };
        self.shared.save().await;
        changed
    }

    /// Attaches an FNS inventory to document `document_id` of docflow `docflow_id`: a signed
    /// description and attachment sent by the taxpayer, and the inspection's acceptance result
    /// waiting for a receipt. Returns the inventory id, `None` for an unknown
    /// document. Sandbox-only (no robot files inventories): for tests of the inventory
    /// operations.
    pub async fn attach_inventory(&self, docflow_id: uuid::Uuid, document_id: uuid::Uuid) -> Option<uuid::Uuid> {
        self.change(|world, now| world.attach_inventory(docflow_id, document_id, now)).await
    }

    /// Delivers the SFR's protocol to an SFR docflow (`sfr-report`, a draft sent to an
    /// `sfr-code`), waiting for the taxpayer's acknowledgement through the PFR reply
    /// operations. Returns the protocol's document id, `None` for an unknown or other docflow.
    /// Sandbox-only (no robot answers the SFR): for tests of the SFR answers.
    pub async fn deliver_sfr_protocol(&self, docflow_id: uuid::Uuid) -> Option<uuid::Uuid> {
        self.change(|world, now| world.deliver_sfr_protocol(docflow_id, now)).await
    }

    /// Current sandbox time.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.shared.clock.now()
    }

    /// The line the binary prints when ready: URLs and credentials as one JSON object.
    pub fn start_line(&self) -> String {
        serde_json::json!({
            "api_url": self.api_url,
            "identity_url": self.identity_url,
            "client_id": self.credentials.client_id,
            "api_key": self.credentials.api_key,
            "login": self.credentials.login,
            "password": self.credentials.password,
            "account_id": self.credentials.account_id,
        })
        .to_string()
    }

    /// Stops both hosts, waits for them, and saves the state a last time.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        self.shared.save().await;
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}
