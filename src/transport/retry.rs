//! When and how long to wait before sending a request again.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, StatusCode};

/// Which failed attempts are sent again, how often and after what pause.
///
/// Retry-safe operations (see [`crate::transport::OPERATIONS`]: the spec's `x-retry-safe`, else
/// GET, PUT, DELETE, HEAD, OPTIONS) are retried after a connection error, a timeout or an answer
/// 408, 429, 502, 503 or 504. Other operations (POST, PATCH) are retried only after "connection
/// refused" or a 429, which the server never processed, unless the call is marked safe
/// ([`crate::transport::CheckedCall::retry_safe`]). A request whose body cannot be replayed (a
/// streaming upload) is never retried. No retry starts after the call's deadline.
///
/// The pause grows exponentially from [`base_delay`](Self::with_base_delay) up to
/// [`max_delay`](Self::with_max_delay), with random jitter; an answer's `Retry-After`
/// (seconds or an HTTP date) replaces it. No retry starts when it would end after
/// [`max_elapsed`](Self::with_max_elapsed) from the first attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// Four attempts, pauses from 250 ms up to 10 s, at most 60 s of retrying.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Every request is sent once.
    pub fn none() -> Self {
        Self { max_attempts: 1, ..Self::default() }
    }

    /// Attempts in all, the first one included (at least 1).
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts.max(1);
        self
    }

    /// The pause before the first retry; later pauses double.
    pub fn with_base_delay(mut self, base_delay: Duration) -> Self {
        self.base_delay = base_delay;
        self
    }

    /// The longest computed pause (a server's `Retry-After` may ask for more).
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// No retry starts whose pause would end later than this after the first attempt began.
    pub fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = max_elapsed;
        self
    }

    /// Attempts in all, the first one included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The pause before the first retry.
    pub fn base_delay(&self) -> Duration {
        self.base_delay
    }

    /// The longest computed pause.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The time budget of retrying, from the first attempt.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The pause before sending again, or `None` when the attempts or the time are used up.
    /// `attempts_made` counts the attempts sent so far (1 after the first).
    pub(crate) fn pause_before_retry(
        &self,
        attempts_made: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if attempts_made >= self.max_attempts {
            return None;
        }
        let pause = retry_after.unwrap_or_else(|| self.backoff(attempts_made));
        (elapsed.saturating_add(pause) <= self.max_elapsed).then_some(pause)
    }

    /// Exponential backoff with "equal jitter": half the pause fixed, half random,
    /// so concurrent clients spread out but never retry at once.
    fn backoff(&self, attempts_made: u32) -> Duration {
        let doublings = attempts_made.saturating_sub(1).min(30);
        let exponential = self.base_delay.saturating_mul(1u32 << doublings).min(self.max_delay);
        let half = exponential / 2;
        half + half.mul_f64(random_fraction())
    }
}

/// Methods that do the same thing however often they are sent.
pub(crate) fn is_idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS | Method::TRACE)
}

/// Answers that say "try again later" rather than "this request is wrong".
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::REQUEST_TIMEOUT
            | StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// Failures where the request may not have reached the server, or the server took too long.
pub(crate) fn is_retryable_error(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_timeout() || error.is_request()
}

/// The request never reached the server: safe to send again whatever it does.
pub(crate) fn was_never_sent(error: &reqwest::Error) -> bool {
    error.is_connect()
}

/// Answers that say the server did not process the request at all.
pub(crate) fn was_never_processed(status: StatusCode) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
}

/// `Retry-After` as a pause: delta-seconds or an HTTP date (a date in the past means now).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
}

/// A number in [0, 1) from the standard library's randomly seeded hasher: jitter needs no more.
fn random_fraction() -> f64 {
    let bits = std::collections::hash_map::RandomState::new().build_hasher().finish();
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));

        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(60));
        headers.insert(RETRY_AFTER, in_a_minute.parse().unwrap());
        let pause = retry_after(&headers).expect("an HTTP date is understood");
        assert!(pause > Duration::from_secs(50) && pause <= Duration::from_secs(60), "{pause:?}");

        headers.insert(RETRY_AFTER, "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::ZERO), "a past date means retry now");

        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered_within_bounds() {
        let policy = RetryPolicy::default()
            .with_base_delay(Duration::from_millis(100))
            .with_max_delay(Duration::from_millis(400))
            .with_max_attempts(10);
        for (attempts_made, full) in [(1, 100), (2, 200), (3, 400), (4, 400), (9, 400)] {
            let pause = policy.pause_before_retry(attempts_made, Duration::ZERO, None).unwrap();
            let full = Duration::from_millis(full);
            assert!(
                pause >= full / 2 && pause <= full,
                "attempt {attempts_made}: {pause:?} not in [{:?}, {full:?}]",
                full / 2
            );
        }
    }

    #[test]
    fn attempts_and_elapsed_time_are_capped() {
        let policy = RetryPolicy::default().with_max_attempts(3).with_max_elapsed(Duration::from_secs(5));
        assert!(policy.pause_before_retry(2, Duration::ZERO, None).is_some());
        assert_eq!(policy.pause_before_retry(3, Duration::ZERO, None), None, "three attempts made");
        assert_eq!(
            policy.pause_before_retry(1, Duration::from_secs(1), Some(Duration::from_secs(10))),
            None,
            "a Retry-After beyond the time budget ends the retries"
        );
        assert_eq!(RetryPolicy::none().pause_before_retry(1, Duration::ZERO, None), None);
    }
}
