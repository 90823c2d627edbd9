//! The one path every request takes: credentials, the in-flight cap, timeouts, retries and tracing.
//!
//! The generated clients call [`progenitor_client::ClientHooks::exec`] for every request; the
//! implementation here hands it to [`Transport`], which:
//! - sets the `User-Agent`;
//! - bounds the whole call until the answer's head by a deadline ([`Transport::deadline`]), each
//!   attempt by a first-byte timeout and the answer's body by an idle timeout (never a total, so a
//!   long download that keeps moving is not cut off); per call through [`CheckedCall`];
//! - asks the [`Authenticator`] to authorize every attempt; after a 401 it calls
//!   `reauthorize` once and, if that obtained fresh credentials, repeats the request once;
//! - waits for one of [`Transport::max_in_flight`] slots (first come, first served) and keeps it
//!   until the answer's body is read, never while pausing between retries;
//! - retries per its [`RetryPolicy`] the operations the spec marks retry-safe ([`OPERATIONS`]),
//!   and any request that met "connection refused" or a 429;
//! - strips queries (which carry SMS codes, request ids) from every URL it hands back, in
//!   answers and errors alike;
//! - records a `tracing` span per attempt (`kontur_extern.request`) with the operation, method,
//!   path template (ids replaced by `{id}`), attempt, status, duration and trace id. Headers and
//!   bodies are never recorded.
//!
//! Use [`SendExt::checked`] on a generated call to get a [`crate::Error`] that names the operation,
//! status and trace id; a bare `send().await` works too, with progenitor's error.

mod body;
mod call;
mod limiter;
mod operations;
mod path;
mod retry;
mod timer;

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Duration;

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue, USER_AGENT};
use reqwest::{Method, Request, Response, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;

#[doc(hidden)]
pub use self::body::{response_stream, response_value};
use self::call::{CallContext, current_call, outside_call};
pub use self::call::{CheckedCall, CheckedFuture, SendExt};
use self::limiter::Limiter;
pub use self::operations::{OPERATIONS, OperationFacts, operation_facts, retry_safety_table};
#[doc(hidden)]
pub use self::path::PathSegment;
pub use self::retry::RetryPolicy;
use crate::auth::{AuthError, Authenticator};
use crate::error::trace_id_of;

/// `kontur-extern/<version>`, sent as `User-Agent` with every request.
pub const USER_AGENT_VALUE: &str = concat!("kontur-extern/", env!("CARGO_PKG_VERSION"));

/// The error id of the synthetic 401 answer a raw caller sees when credentials could not be
/// obtained (a checked call gets [`crate::Error::Auth`] instead).
pub const AUTHENTICATION_FAILED_ID: &str = "urn:error:kontur-extern:authentication-failed";

/// Default of [`Transport::deadline`]: the whole call, until the answer's head arrives.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);
/// Default of [`Transport::first_byte_timeout`]: one attempt, from sending to the answer's head.
/// Shorter than the retry budget, so a GET that timed out is sent again.
pub const DEFAULT_FIRST_BYTE_TIMEOUT: Duration = Duration::from_secs(30);
/// Default of [`Transport::idle_timeout`]: the longest wait for the next piece of an answer's body.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// Connect timeout of [`http_client`].
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Extern's documented limit of concurrent requests per client.
pub const DEFAULT_MAX_IN_FLIGHT: usize = 20;

/// The reqwest client for the generated clients: rustls, `User-Agent: kontur-extern/<version>`,
/// a connect timeout, and redirects never followed (see [`http_client_from`]).
pub fn http_client() -> reqwest::Result<reqwest::Client> {
    http_client_from(reqwest::Client::builder().user_agent(USER_AGENT_VALUE).connect_timeout(DEFAULT_CONNECT_TIMEOUT))
}

/// Builds the caller's reqwest settings (proxies, TLS, pools) into a client that never follows
/// redirects. Neither the API nor the identity host redirects; a redirect would carry the
/// api-key header or, on 307/308, a login form to whatever host it names.
pub fn http_client_from(builder: reqwest::ClientBuilder) -> reqwest::Result<reqwest::Client> {
    builder.redirect(reqwest::redirect::Policy::none()).build()
}

/// State shared by every request of a client: credentials, retry policy, in-flight cap, time limits.
///
/// Clones share the in-flight cap, so one transport cloned into several clients still keeps
/// to one limit.
#[derive(Clone, Debug)]
pub struct Transport {
    authenticator: Option<Arc<dyn Authenticator>>,
    retry_policy: RetryPolicy,
    limiter: Limiter,
    deadline: Duration,
    first_byte_timeout: Duration,
    idle_timeout: Duration,
}

impl Default for Transport {
    fn default() -> Self {
        Self {
            authenticator: None,
            retry_policy: RetryPolicy::default(),
            limiter: Limiter::new(DEFAULT_MAX_IN_FLIGHT),
            deadline: DEFAULT_DEADLINE,
            first_byte_timeout: DEFAULT_FIRST_BYTE_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
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

    /// The time limit of a whole call until its answer's head arrives: logging in, waiting for
    /// a slot, every attempt and the pauses between them (default 120 s). Reading the body is
    /// bounded by the [idle timeout](Self::idle_timeout) instead.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// The time limit of one attempt, from sending the request to the answer's head (default 30 s).
    pub fn first_byte_timeout(mut self, timeout: Duration) -> Self {
        self.first_byte_timeout = timeout;
        self
    }

    /// The longest wait for the next piece of an answer's body (default 30 s). A body that keeps
    /// arriving is never cut off, however long it takes.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// The old name of [`first_byte_timeout`](Self::first_byte_timeout).
    pub fn default_timeout(self, timeout: Duration) -> Self {
        self.first_byte_timeout(timeout)
    }

    /// A generated client for `base_url` using [`http_client`] and this transport.
    pub fn into_client(self, base_url: &str) -> Result<crate::raw::Client, crate::Error> {
        let http = http_client().map_err(|source| {
            crate::Error::Transport(Box::new(crate::error::TransportFailure::new(None, 0, false, source)))
        })?;
        Ok(crate::raw::Client::new_with_client(base_url, http, self))
    }

    /// The retry policy of calls that set none of their own.
    pub fn current_retry_policy(&self) -> &RetryPolicy {
        &self.retry_policy
    }

    /// The cap on requests in flight.
    pub fn current_max_in_flight(&self) -> usize {
        self.limiter.capacity()
    }

    /// The deadline of calls that set none of their own.
    pub fn current_deadline(&self) -> Duration {
        self.deadline
    }

    /// The first-byte timeout of calls that set none of their own.
    pub fn current_first_byte_timeout(&self) -> Duration {
        self.first_byte_timeout
    }

    /// The idle timeout of answer bodies.
    pub fn current_idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// The old name of [`current_first_byte_timeout`](Self::current_first_byte_timeout).
    pub fn current_default_timeout(&self) -> Duration {
        self.first_byte_timeout
    }

    /// Sends a hand-built `request` (a followed link, a content range) for `operation` through the
    /// same path as every generated call: credentials, the in-flight cap, retries, time limits,
    /// spans. Credentials go only where the [`Authenticator`] allows (the API host). A timeout set
    /// on the request is its first-byte timeout. Use an `http` from [`http_client`] or
    /// [`http_client_from`], which never follows redirects.
    pub async fn send(
        &self,
        http: &reqwest::Client,
        request: Request,
        operation: &'static str,
    ) -> reqwest::Result<Response> {
        self.execute(http, request, operation, false).await
    }

    /// Sends `request` for `operation`: the body of every generated client's `exec` hook.
    /// `generated`: the answer goes to generated code, which reads a documented answer's body
    /// through `response_value` or `response_stream`, so its slot can ride along unwrapped.
    ///
    /// An `async` block rather than an `async fn`: an `async fn` keeps a second copy of its
    /// arguments in its future, and the future is moved on every call. For the same reason the
    /// rare waits (a login, a full cap, a renewal after 401, a pause before a retry) are boxed,
    /// so their futures take no room in every call's future.
    #[allow(clippy::manual_async_fn, reason = "an `async fn` would keep its arguments twice")]
    fn execute<'a>(
        &'a self,
        http: &'a reqwest::Client,
        mut request: Request,
        operation: &'static str,
        generated: bool,
    ) -> impl Future<Output = reqwest::Result<Response>> + Send + 'a {
        async move {
            let started = Instant::now();
            let call = current_call();
            if let Some(call) = &call {
                call.note_operation(operation);
            }
            let options = call.as_ref().map(|call| &call.options);
            let policy = options.and_then(|o| o.retry_policy.as_ref()).unwrap_or(&self.retry_policy);
            let facts = operation_facts(operation);
            let retry_safe = options.is_some_and(|o| o.retry_safe)
                || facts.map_or_else(|| retry::is_idempotent(request.method()), |facts| facts.retry_safe);
            let first_byte_timeout = options
                .and_then(|o| o.first_byte_timeout)
                .or(request.timeout().copied())
                .unwrap_or(self.first_byte_timeout);
            let idle_timeout = options.and_then(|o| o.idle_timeout).unwrap_or(self.idle_timeout);
            let deadline = started + options.and_then(|o| o.deadline).unwrap_or(self.deadline);

            // reqwest's own timeout would also cut the body; the transport times the head itself.
            // (`timeout_mut` adds an extension map to the request, which every retry copy would
            // then copy: only touch it when a timeout is set.)
            if request.timeout().is_some() {
                *request.timeout_mut() = None;
            }
            // A generated request has it from `adopt_headers`.
            if !generated && !request.headers().contains_key(USER_AGENT) {
                request.headers_mut().insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
            }
            let route = Route { operation, method: request.method().clone() };
            let mut attempts = 0u32;
            let mut reauthorized = false;
            // Whether anything since `started` waited (a login, a slot, a pause): if nothing did,
            // the attempt starts at `started` and needs no clock reading of its own.
            let mut waited = false;
            // The headers of a generated request, while its head is out being sent.
            let mut kept_headers = Vec::new();

            loop {
                attempts += 1;
                // Send a copy and keep the request for a retry or repeat; a streaming body cannot be
                // copied and is sent once. (No second request is kept alongside: every request kept
                // across an `.await` makes the call's future larger, and it is moved on every call.)
                let (mut this_try, repeatable) = match copy_to_send(&mut request, &mut kept_headers, generated) {
                    Some(copy) => (copy, true),
                    // The stand-in keeps the URL, which errors and the answer name.
                    None => {
                        let stand_in = Request::new(Method::GET, request.url().clone());
                        (std::mem::replace(&mut request, stand_in), false)
                    }
                };
                let span = route.span(attempts, this_try.url());

                if let Some(authenticator) = &self.authenticator {
                    let authorized = match authenticator.authorize_now(&mut this_try) {
                        Some(done) => Ok(done),
                        None => {
                            waited = true;
                            let authorizing =
                                outside_call(authenticator.authorize(&mut this_try)).instrument(span.clone());
                            Box::pin(until(deadline, authorizing)).await
                        }
                    };
                    match authorized {
                        Ok(Ok(())) => {}
                        Ok(Err(error)) => {
                            tracing::warn!(parent: &span, %error, "could not authorize the request");
                            return Ok(authentication_failed(call.as_deref(), attempts, error));
                        }
                        Err(_) => {
                            let what = "the deadline passed while obtaining credentials";
                            return Err(timed_out(call.as_deref(), attempts, request.url(), &span, what));
                        }
                    }
                }
                // What the authenticator attached, for `reauthorize` after a 401 (a header, not a copy
                // of the request: most calls never need it).
                let presented = this_try.headers().get(AUTHORIZATION).cloned();

                let permit = match self.limiter.try_acquire() {
                    Some(permit) => Some(permit),
                    None => {
                        waited = true;
                        let Ok(permit) = Box::pin(until(deadline, self.limiter.acquire())).await else {
                            let what = "the deadline passed while waiting for a free slot";
                            return Err(timed_out(call.as_deref(), attempts, request.url(), &span, what));
                        };
                        permit
                    }
                };
                let attempt_started = if waited { Instant::now() } else { started };
                let attempt_limit = deadline.min(attempt_started + first_byte_timeout);
                // A span that no subscriber listens to would cost every poll an enter and an exit.
                let sending = http.execute(this_try);
                let sending = if span.is_disabled() {
                    futures::future::Either::Left(sending)
                } else {
                    futures::future::Either::Right(sending.instrument(span.clone()))
                };
                let limit = timer::AttemptTimer::until(attempt_limit);
                let outcome = match futures::future::select(std::pin::pin!(sending), limit).await {
                    futures::future::Either::Left((outcome, _)) => outcome,
                    futures::future::Either::Right(_) => {
                        Err(timeout_error(request.url(), "no answer within the first-byte timeout or the deadline"))
                    }
                };
                if !span.is_disabled() {
                    span.record("duration_ms", attempt_started.elapsed().as_millis() as u64);
                }

                let response = match outcome {
                    Ok(response) => response,
                    Err(error) => {
                        drop(permit);
                        let error = without_query(error);
                        if let Some(call) = &call {
                            call.note_answer(attempts, None, None);
                        }
                        let may_retry =
                            if retry_safe { retry::is_retryable_error(&error) } else { retry::was_never_sent(&error) };
                        if may_retry
                            && repeatable
                            && let Some(pause) = policy.pause_before_retry(attempts, started.elapsed(), None)
                            && Instant::now() + pause < deadline
                        {
                            tracing::info!(parent: &span, error = %error_summary(&error), pause_ms = pause.as_millis() as u64, "no answer, retrying");
                            Box::pin(tokio::time::sleep(pause)).await;
                            waited = true;
                            continue;
                        }
                        tracing::warn!(parent: &span, error = %error_summary(&error), "no answer");
                        return Err(error);
                    }
                };

                let status = response.status();
                // A success's trace id is only read if its body then fails to decode
                // (`response_value` notes it then): reading it copies it into a string.
                let trace_id =
                    if status.is_success() && span.is_disabled() { None } else { trace_id_of(response.headers()) };
                if !span.is_disabled() {
                    span.record("status", status.as_u16());
                    if let Some(trace_id) = &trace_id {
                        span.record("trace_id", trace_id.as_str());
                    }
                }
                if let Some(call) = &call {
                    call.note_answer(attempts, Some(status), trace_id);
                }

                if status == StatusCode::UNAUTHORIZED
                    && !reauthorized
                    && let Some(authenticator) = &self.authenticator
                {
                    reauthorized = true;
                    drop(permit);
                    let rejected = rejected_request(&route.method, request.url(), presented);
                    let reauthorizing = outside_call(authenticator.reauthorize(&rejected)).instrument(span.clone());
                    match Box::pin(tokio::time::timeout_at(deadline, reauthorizing)).await {
                        Ok(Ok(true)) => {
                            if repeatable {
                                tracing::info!(parent: &span, "credentials refreshed after 401, repeating once");
                                waited = true;
                                continue;
                            }
                            tracing::info!(parent: &span, "credentials refreshed after 401; the body cannot be sent again")
                        }
                        Ok(Ok(false)) => {
                            tracing::info!(parent: &span, "401 and no fresher credentials")
                        }
                        Ok(Err(error)) => {
                            tracing::warn!(parent: &span, %error, "could not refresh credentials after 401");
                            if let Some(call) = &call {
                                call.note_auth_error(error);
                            }
                        }
                        Err(_) => {
                            tracing::warn!(parent: &span, "deadline passed while refreshing credentials after 401")
                        }
                    }
                    return Ok(body::guard(response, url_without_query(request.url().clone()), None, idle_timeout));
                }

                let may_retry =
                    if retry_safe { retry::is_retryable_status(status) } else { retry::was_never_processed(status) };
                if may_retry
                    && repeatable
                    && let Some(pause) =
                        policy.pause_before_retry(attempts, started.elapsed(), retry::retry_after(response.headers()))
                    && Instant::now() + pause < deadline
                {
                    tracing::info!(parent: &span, pause_ms = pause.as_millis() as u64, "answered, retrying");
                    // Free the slot and the connection before pausing.
                    drop(response);
                    drop(permit);
                    Box::pin(tokio::time::sleep(pause)).await;
                    waited = true;
                    continue;
                }
                tracing::debug!(parent: &span, "answered");
                // An answer the spec does not document becomes an error that may be kept for long:
                // it must not keep a slot taken meanwhile.
                let permit = if facts.is_none_or(|facts| facts.documents(status.as_u16())) { permit } else { None };
                // The answer's URL is the request's: with no query, it needs no rewriting.
                if generated
                    && facts.is_some()
                    && request.url().query().is_none()
                    && request.url().fragment().is_none()
                    && let Some(permit) = permit
                {
                    let slot = body::BodySlot::new(permit, idle_timeout);
                    // A checked call keeps the slot in its context: no allocation, unlike extensions.
                    recycle_kept_headers(kept_headers);
                    if let Some(call) = &call {
                        call.keep_body_slot(slot);
                        return Ok(response);
                    }
                    return Ok(body::attach_slot(response, slot));
                }
                return Ok(body::guard(response, url_without_query(request.url().clone()), permit, idle_timeout));
            }
        }
    }
}

/// Headers the request builder or the transport add to those a generated call sets itself:
/// `Accept`, `Content-Type`, `User-Agent` and `Authorization`.
const HEADERS_ADDED: usize = 4;

/// The capacity of a generated call's header map that has `parameters` header parameters: room
/// for every header the request will carry, so the map never grows on its way. `build.rs` makes
/// the generated code call this.
#[doc(hidden)]
pub const fn header_capacity(parameters: usize) -> usize {
    parameters + HEADERS_ADDED
}

/// Makes `headers` (a generated call's header parameters and `Accept`, sized by
/// [`header_capacity`]) the request's headers, adding those the request builder set (a body's
/// `Content-Type`) unless `headers` names them: what `RequestBuilder::headers(headers)` does,
/// without copying `headers` into the builder's map. Adds `User-Agent` unless a parameter set it.
/// `build.rs` makes every generated request go through this.
#[doc(hidden)]
pub fn adopt_headers(request: &mut Request, mut headers: reqwest::header::HeaderMap) {
    headers.entry(USER_AGENT).or_insert(HeaderValue::from_static(USER_AGENT_VALUE));
    if request.headers().is_empty() {
        // Nothing to add (a request without a body): the builder's empty map goes with `headers`.
        std::mem::swap(request.headers_mut(), &mut headers);
        return;
    }
    let built = std::mem::take(request.headers_mut());
    // The map yields a name with its first value and `None` with each further value of it.
    let mut kept: Option<reqwest::header::HeaderName> = None;
    for (name, value) in built {
        if let Some(name) = name {
            kept = (!headers.contains_key(&name)).then_some(name);
        }
        if let Some(name) = &kept {
            headers.append(name.clone(), value);
        }
    }
    *request.headers_mut() = headers;
}

/// A copy of `request` to send, the original kept for a retry or repeat; `None` for a body that
/// cannot be copied. A generated call's request without a body is only its head (progenitor sets
/// no timeout or extensions, and the transport clears a timeout), so it is copied field by field:
/// reqwest's `try_clone` makes and drops an extension map (three allocations) on every copy.
///
/// The copy takes the original's header map, and `kept` keeps its headers as a plain list, from
/// which a retry puts them back: copying them into another map hashed every name on every call,
/// for the rare retry. The list is the one the last call on this thread left
/// ([`recycle_kept_headers`]), so it costs no allocation either.
fn copy_to_send(request: &mut Request, kept: &mut KeptHeaders, generated: bool) -> Option<Request> {
    if generated && request.body().is_none() && request.timeout().is_none() {
        if kept.is_empty() {
            if kept.capacity() == 0 {
                let spare = SPARE_KEPT_HEADERS.try_with(|spare| spare.try_borrow_mut().ok()?.pop());
                *kept = spare.ok().flatten().unwrap_or_default();
            }
            kept.reserve(request.headers().len());
            for (name, value) in request.headers() {
                kept.push((name.clone(), value.clone()));
            }
        } else if request.headers().is_empty() {
            // A retry: the map went with the last attempt.
            let headers = request.headers_mut();
            headers.reserve(kept.len());
            for (name, value) in kept.iter() {
                headers.append(name.clone(), value.clone());
            }
        }
        let mut copy = Request::new(request.method().clone(), request.url().clone());
        // A swap: the copy's new map is empty, and dropping it would cost as much as keeping it.
        std::mem::swap(copy.headers_mut(), request.headers_mut());
        *copy.version_mut() = request.version();
        return Some(copy);
    }
    request.try_clone()
}

/// A request's headers, in order, one entry per value.
type KeptHeaders = Vec<(reqwest::header::HeaderName, HeaderValue)>;

/// How many emptied lists a thread keeps: one per call it runs at once, up to Extern's limit.
const SPARE_KEPT_HEADERS_MAX: usize = DEFAULT_MAX_IN_FLIGHT;

thread_local! {
    /// The emptied lists of finished calls' kept headers, for the next calls on this thread.
    static SPARE_KEPT_HEADERS: RefCell<Vec<KeptHeaders>> = const { RefCell::new(Vec::new()) };
}

/// Leaves `kept` (its values dropped, its room kept) to a next [`copy_to_send`] on this thread.
fn recycle_kept_headers(mut kept: KeptHeaders) {
    kept.clear();
    let _ = SPARE_KEPT_HEADERS.try_with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut()
            && spare.len() < SPARE_KEPT_HEADERS_MAX
        {
            spare.push(kept);
        }
    });
}

/// `future`'s output, or `Err` once `deadline` passes. A future that is ready at once (a fresh
/// token, a free slot: the common case) costs no timer.
async fn until<F: std::future::Future>(deadline: Instant, future: F) -> Result<F::Output, tokio::time::error::Elapsed> {
    let mut future = std::pin::pin!(future);
    if let std::task::Poll::Ready(output) = futures::poll!(future.as_mut()) {
        return Ok(output);
    }
    tokio::time::timeout_at(deadline, future).await
}

/// The deadline passed outside an attempt (`what` says during which wait): logged, and a
/// timeout error like reqwest's own.
fn timed_out(
    call: Option<&CallContext>,
    attempts: u32,
    url: &url::Url,
    span: &tracing::Span,
    what: &'static str,
) -> reqwest::Error {
    tracing::warn!(parent: span, "{what}");
    if let Some(call) = call {
        call.note_answer(attempts, None, None);
    }
    timeout_error(url, what)
}

/// A reqwest error that is a timeout (`is_timeout()`) and says `what` timed out (made without
/// waiting, and with no future kept in every call's state for this rare case). The error names
/// only the origin of `url`.
fn timeout_error(url: &url::Url, what: &'static str) -> reqwest::Error {
    body::body_failure(std::io::Error::new(std::io::ErrorKind::TimedOut, what)).with_url(url_origin(url))
}

/// `url` without its query and fragment: queries carry codes (`code`, `requestId`, `innKpp`).
fn url_without_query(mut url: url::Url) -> url::Url {
    url.set_query(None);
    url.set_fragment(None);
    url
}

/// Only the scheme, host and port of `url`.
fn url_origin(url: &url::Url) -> url::Url {
    let mut origin = url.clone();
    origin.set_path("/");
    origin.set_query(None);
    origin.set_fragment(None);
    let _ = origin.set_username("");
    let _ = origin.set_password(None);
    origin
}

/// reqwest's error keeps the full URL and prints it; keep only the origin.
pub(crate) fn without_query(error: reqwest::Error) -> reqwest::Error {
    match error.url().map(url_origin) {
        Some(origin) => error.with_url(origin),
        None => error,
    }
}

/// The fixed facts of one call, shared by the spans of its attempts.
struct Route {
    operation: &'static str,
    method: Method,
}

impl Route {
    fn span(&self, attempt: u32, url: &url::Url) -> tracing::Span {
        // Where tracing also logs through `log` (its `log` feature), even a span no subscriber
        // listens to is built and recorded for `log` on every attempt; the events still reach it.
        if !tracing::span_enabled!(tracing::Level::INFO) {
            return tracing::Span::none();
        }
        let span = tracing::info_span!(
            "kontur_extern.request",
            operation = self.operation,
            method = self.method.as_str(),
            path = tracing::field::Empty,
            attempt,
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            trace_id = tracing::field::Empty,
        );
        // The template costs allocations: only make it for a subscriber that listens.
        if !span.is_disabled() {
            span.record("path", path::path_template(url).as_str());
        }
        span
    }
}

/// What the rejected request looked like, for `reauthorize`: its method, URL and the
/// `Authorization` it carried; bodies and other headers are not needed to judge credentials.
fn rejected_request(method: &Method, url: &url::Url, authorization: Option<HeaderValue>) -> Request {
    let mut copy = Request::new(method.clone(), url.clone());
    if let Some(authorization) = authorization {
        copy.headers_mut().insert(AUTHORIZATION, authorization);
    }
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
    response.headers_mut().insert(reqwest::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.into()
}

// `exec` hands back the transport's future itself rather than an `async` wrapper around it:
// one nesting less of a large future, moved and polled on every call.
impl ClientHooks<Transport> for crate::raw::Client {
    fn exec(&self, request: Request, info: &OperationInfo) -> impl Future<Output = reqwest::Result<Response>> {
        self.inner().execute(self.client(), request, info.operation_id, true)
    }
}

#[cfg(feature = "test-tools")]
impl ClientHooks<Transport> for crate::raw_test_tools::Client {
    fn exec(&self, request: Request, info: &OperationInfo) -> impl Future<Output = reqwest::Result<Response>> {
        self.inner().execute(self.client(), request, info.operation_id, true)
    }
}
