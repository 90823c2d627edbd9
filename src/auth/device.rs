//! Device login: the application shows the user a code and a link, the user confirms in a
//! browser (on any device), and the application polls the identity host meanwhile.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::clock::Clock;
use super::error::AuthError;
use super::identity::{DeviceAuthorization, Form, IdentityClient, TokenAnswer};

/// The grant type of device-code polling.
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// Polling interval when the host names none (RFC 8628).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// How much longer to wait after `slow_down` (RFC 8628).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// The longest pause between polls, whatever the host asks: a user waits for the login.
const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// Lifetime of the device code when the host names none (the documented value).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(300);

/// What to show the user so they can confirm the login.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DevicePrompt {
    /// The code the user types on the verification page.
    pub user_code: String,
    /// The page where the user confirms.
    pub verification_uri: String,
    /// The page with the code filled in (suits a QR code), when the host gives one.
    pub verification_uri_complete: Option<String>,
    /// How long the user has.
    pub expires_in: Duration,
}

/// Called once per device login with what to show the user.
pub type DevicePromptHandler = Arc<dyn Fn(&DevicePrompt) + Send + Sync>;

/// Runs one device login to the end: start, prompt, poll.
pub(crate) async fn device_login(
    identity: &IdentityClient,
    on_prompt: &DevicePromptHandler,
    clock: &dyn Clock,
) -> Result<TokenAnswer, AuthError> {
    let started = identity.device_authorization().await?;
    let schedule = DeviceSchedule::new(clock.now(), &started);
    let (deadline, lifetime) = (schedule.deadline, schedule.lifetime);
    let mut interval = schedule.interval;
    on_prompt(&DevicePrompt {
        user_code: started.user_code.clone(),
        verification_uri: started.verification_uri.clone(),
        verification_uri_complete: started.verification_uri_complete.clone(),
        expires_in: lifetime,
    });
    loop {
        clock.sleep(interval).await;
        if deadline.is_some_and(|deadline| clock.now() >= deadline) {
            tracing::info!("device code expired before the user confirmed");
            return Err(AuthError::DeviceCodeExpired);
        }
        let polled = identity
            .token(
                DEVICE_CODE_GRANT,
                Form::default().field("device_code", &started.device_code),
            )
            .await;
        match polled {
            Ok(answer) => return Ok(answer),
            Err(refusal) => match refusal.code() {
                Some("authorization_pending") => {
                    tracing::debug!("device login still pending");
                }
                Some("slow_down") => {
                    interval = interval
                        .saturating_add(SLOW_DOWN_STEP)
                        .min(MAX_INTERVAL)
                        .min(lifetime);
                    tracing::debug!(
                        interval_s = interval.as_secs(),
                        "identity host asked to poll more slowly"
                    );
                }
                _ => return Err(refusal.into()),
            },
        }
    }
}

/// When a device login ends and how often it polls, from the host's answer. Any number the host
/// sends is accepted without overflow: a lifetime beyond what the clock can represent has no
/// deadline (`None`), and the polling interval never exceeds the lifetime nor a minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DeviceSchedule {
    pub(crate) lifetime: Duration,
    pub(crate) deadline: Option<Instant>,
    pub(crate) interval: Duration,
}

impl DeviceSchedule {
    pub(crate) fn new(now: Instant, started: &DeviceAuthorization) -> Self {
        let lifetime = started
            .expires_in
            .or(started.expires)
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_LIFETIME);
        let interval = started
            .interval
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_INTERVAL)
            .min(MAX_INTERVAL)
            .min(lifetime);
        Self {
            lifetime,
            deadline: now.checked_add(lifetime),
            interval,
        }
    }
}

/// Stands in for the prompt handler in `Debug` output (closures have none).
pub(crate) struct HandlerDebug;

impl fmt::Debug for HandlerDebug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DevicePromptHandler")
    }
}
