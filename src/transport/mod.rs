//! The one path every request takes: credentials, the in-flight cap, timeouts, retries and tracing.
//!
//! The generated clients call [`progenitor_client::ClientHooks::exec`] for every request; the
//! implementation here hands it to [`Transport`], which:
//! - sets the `User-Agent` and the request's timeout ([`Transport::default_timeout`], or the
//!   call's own through [`CheckedCall::timeout`]);
//! - asks the [`Authenticator`] to authorize every attempt; after a 401 it calls
//!   `reauthorize` once and, if that obtained fresh credentials, repeats the request once;
//! - waits for one of [`Transport::max_in_flight`] slots (first come, first served) and keeps it
//!   until the answer's body is read, never while pausing between retries;
//! - retries per its [`RetryPolicy`];
//! - records a `tracing` span per attempt (`kontur_extern.request`) with the operation, method,
//!   path template (ids replaced by `{id}`), attempt, status, duration and trace id. Headers and
//!   bodies are never recorded.
//!
//! Use [`SendExt::checked`] on a generated call to get a [`crate::Error`] that names the operation,
//! status and trace id; a bare `send().await` works too, with progenitor's error.

mod call;
mod limiter;
mod path;
mod retry;

use std::sync::Arc;
use std::time::{Duration, Instant};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{HeaderValue, USER_AGENT};
use reqwest::{Request, Response, StatusCode};
use tracing::Instrument;

pub use self::call::{CheckedCall, CheckedFuture, SendExt};
pub use self::retry::RetryPolicy;
use self::call::{CallContext, current_call, outside_call};
use self::limiter::{Limiter, hold_until_body_done};
use crate::auth::{AuthError, Authenticator};
use crate::error::trace_id_of;

/// `kontur-extern/<version>`, sent as `User-Agent` with every request.
pub const USER_AGENT_VALUE: &str = concat!("kontur-extern/", env!("CARGO_PKG_VERSION"));

/// The error id of the synthetic 401 answer a raw caller sees when credentials could not be
/// obtained (a checked call gets [`crate::Error::Auth`] instead).
pub const AUTHENTICATION_FAILED_ID: &str = "urn:error:kontur-extern:authentication-failed";

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(100);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Extern's documented limit of concurrent requests per client.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 20;

/// The reqwest client for the generated clients: rustls, `User-Agent: kontur-extern/<version>`,
/// a connect timeout; the per-request timeout is the [`Transport`]'s.
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().user_agent(USER_AGENT_VALUE).connect_timeout(DEFAULT_CONNECT_TIMEOUT).build()
}

/// State shared by every request of a client: credentials, retry policy, in-flight cap, timeout.
///
/// Clones share the in-flight cap, so one transport cloned into several clients still keeps
/// to one limit.
#[derive(Clone, Debug)]
pub struct Transport {
    authenticator: Option<Arc<dyn Authenticator>>,
    retry_policy: RetryPolicy,
    limiter: Limiter,
    default_timeout: Duration,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            authenticator: None,
            retry_policy: RetryPolicy::default(),
            limiter: Limiter::new(DEFAULT_MAX_IN_FLIGHT),
            default_timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl Transport {
    /// A transport that sends requests without credentials (tests, local mocks).
    pub fn unauthenticated() -> Self {
        Self::default()
    }

    /// A transport that authorizes every request with `authenticator`.
    pub fn with_authenticator(authenticator: Arc<dyn Authenticator>) -> Self {
        Self::default().authenticator(authenticator)
    }

    /// Authorizes every request with `authenticator`.
    pub fn authenticator(mut self, authenticator: Arc<dyn Authenticator>) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// When and how failed requests are sent again; [`RetryPolicy::none`] switches retries off.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// At most this many requests in flight at once (at least 1; default 20, Extern's limit).
    /// Starts a new cap: clones made before this call keep the old one.
    pub fn max_in_flight(mut self, max: usize) -> Self {
        self.limiter = Limiter::new(max);
        self
    }

    /// The time limit of each attempt, answer body included (default 100 s).
    pub fn default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = timeout;
        self
    }

    /// A generated client for `base_url` using [`http_client`] and this transport.
    pub fn into_client(self, base_url: &str) -> Result<crate::raw::Client, crate::Error> {
        let http = http_client().map_err(|source| {
            crate::Error::Transport(Box::new(crate::error::TransportFailure::new(None, 0, false, source)))
        })?;
        Ok(crate::raw::Client::new_with_client(base_url, http, self))
    }

    pub fn current_retry_policy(&self) -> &RetryPolicy {
        &self.retry_policy
    }

    pub fn current_max_in_flight(&self) -> usize {
        self.limiter.capacity()
    }

    pub fn current_default_timeout(&self) -> Duration {
        self.default_timeout
    }

    /// Sends a hand-built `request` (a followed link, a content range) for `operation` through the
    /// same path as every generated call: credentials, the in-flight cap, retries, timeouts, spans.
    /// Credentials go only where the [`Authenticator`] allows (the API host).
    pub async fn send(&self, http: &reqwest::Client, request: Request, operation: &'static str) -> reqwest::Result<Response> {
        self.execute(http, request, operation).await
    }

    /// Sends `request` for `operation`: the body of every generated client's `exec` hook.
    async fn execute(&self, http: &reqwest::Client, request: Request, operation: &'static str) -> reqwest::Result<Response> {
        let call = current_call();
        if let Some(call) = &call {
            call.note_operation(operation);
        }
        let options = call.as_ref().map(|call| call.options.clone()).unwrap_or_default();
        let policy = options.retry_policy.as_ref().unwrap_or(&self.retry_policy);
        let retry_allowed = options.retry_safe || retry::is_idempotent(request.method());
        let timeout = options.timeout.or(request.timeout().copied()).unwrap_or(self.default_timeout);

        let mut request = request;
        *request.timeout_mut() = Some(timeout);
        if !request.headers().contains_key(USER_AGENT) {
            request.headers_mut().insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
        }

        let route = Route {
            operation,
            method: request.method().to_string(),
            path: path::path_template(request.url()),
        };
        let started = Instant::now();
        let mut attempts = 0u32;
        let mut reauthorized = false;

        loop {
            attempts += 1;
            // Keep a copy for a retry or repeat; a streaming body cannot be copied and is sent once.
            let (mut this_try, spare) = match request.try_clone() {
                Some(copy) => (copy, Some(request)),
                None => (request, None),
            };
            let span = route.span(attempts);

            if let Some(authenticator) = &self.authenticator {
                let authorized = outside_call(authenticator.authorize(&mut this_try)).instrument(span.clone()).await;
                if let Err(error) = authorized {
                    tracing::warn!(parent: &span, %error, "could not authorize the request");
                    return Ok(authentication_failed(call.as_deref(), attempts, error));
                }
            }
            let rejected_copy = self.authenticator.as_ref().map(|_| headers_only_copy(&this_try));

            let permit = self.limiter.acquire().await;
            let attempt_started = Instant::now();
            let outcome = http.execute(this_try).instrument(span.clone()).await;
            span.record("duration_ms", attempt_started.elapsed().as_millis() as u64);

            let response = match outcome {
                Ok(response) => response,
                Err(error) => {
                    drop(permit);
                    if let Some(call) = &call {
                        call.note_answer(attempts, None, None);
                    }
                    if retry_allowed
                        && retry::is_retryable_error(&error)
                        && let Some(spare) = spare
                        && let Some(pause) = policy.pause_before_retry(attempts, started.elapsed(), None)
                    {
                        tracing::info!(parent: &span, error = %error_summary(&error), pause_ms = pause.as_millis() as u64, "no answer, retrying");
                        tokio::time::sleep(pause).await;
                        request = spare;
                        continue;
                    }
                    tracing::warn!(parent: &span, error = %error_summary(&error), "no answer");
                    return Err(error);
                }
            };

            let status = response.status();
            let trace_id = trace_id_of(response.headers());
            span.record("status", status.as_u16());
            if let Some(trace_id) = &trace_id {
                span.record("trace_id", trace_id.as_str());
            }
            if let Some(call) = &call {
                call.note_answer(attempts, Some(status), trace_id);
            }

            if status == StatusCode::UNAUTHORIZED
                && !reauthorized
                && let (Some(authenticator), Some(rejected)) = (&self.authenticator, &rejected_copy)
            {
                reauthorized = true;
                drop(permit);
                match outside_call(authenticator.reauthorize(rejected)).instrument(span.clone()).await {
                    Ok(true) => match spare {
                        Some(spare) => {
                            tracing::info!(parent: &span, "credentials refreshed after 401, repeating once");
                            request = spare;
                            continue;
                        }
                        None => tracing::info!(parent: &span, "credentials refreshed after 401; the body cannot be sent again"),
                    },
                    Ok(false) => tracing::info!(parent: &span, "401 and no fresher credentials"),
                    Err(error) => {
                        tracing::warn!(parent: &span, %error, "could not refresh credentials after 401");
                        if let Some(call) = &call {
                            call.note_auth_error(error);
                        }
                    }
                }
                return Ok(response);
            }

            if retry_allowed
                && retry::is_retryable_status(status)
                && let Some(spare) = spare
                && let Some(pause) =
                    policy.pause_before_retry(attempts, started.elapsed(), retry::retry_after(response.headers()))
            {
                tracing::info!(parent: &span, pause_ms = pause.as_millis() as u64, "answered, retrying");
                // Free the slot and the connection before pausing.
                drop(response);
                drop(permit);
                tokio::time::sleep(pause).await;
                request = spare;
                continue;
            }
            tracing::debug!(parent: &span, "answered");
            return Ok(hold_until_body_done(response, permit));
        }
    }
}

/// The fixed facts of one call, shared by the spans of its attempts.
struct Route {
    operation: &'static str,
    method: String,
    path: String,
}

impl Route {
    fn span(&self, attempt: u32) -> tracing::Span {
        tracing::info_span!(
            "kontur_extern.request",
            operation = self.operation,
            method = %self.method,
            path = %self.path,
            attempt,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        )
    }
}

/// What the rejected request looked like, for `reauthorize`; bodies are not needed to judge credentials.
fn headers_only_copy(request: &Request) -> Request {
    let mut copy = Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// reqwest's message without the URL (which carries ids and, in queries, maybe more).
fn error_summary(error: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if error.is_timeout() {
        format!("timed out ({cause})")
    } else if error.is_connect() {
        format!("could not connect ({cause})")
    } else {
        cause.to_string()
    }
}

/// Credentials could not be obtained: a checked call gets the typed error from the context;
/// a raw caller gets a 401 whose body names the problem.
fn authentication_failed(call: Option<&CallContext>, attempts: u32, error: AuthError) -> Response {
    let body = serde_json::json!({
        "id": AUTHENTICATION_FAILED_ID,
        "status-code": 401,
        "message": error.to_string(),
    });
    if let Some(call) = call {
        call.note_answer(attempts, Some(StatusCode::UNAUTHORIZED), None);
        call.note_auth_error(error);
    }
    let mut response = http::Response::new(reqwest::Body::from(body.to_string()));
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    response
        .headers_mut()
        .insert(reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.into()
}

impl ClientHooks<Transport> for crate::raw::Client {
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        self.inner().execute(self.client(), request, info.operation_id).await
    }
}

#[cfg(feature = "test-tools")]
impl ClientHooks<Transport> for crate::raw_test_tools::Client {
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        self.inner().execute(self.client(), request, info.operation_id).await
    }
}
