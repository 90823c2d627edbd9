//! The time source of authentication: token expiry, device-flow polling, JWT lifetimes.
//! Injectable so tests (and simulations) need not wait in real time.

use std::fmt::Debug;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::future::BoxFuture;

/// Tells the time and waits.
pub trait Clock: Send + Sync + Debug + 'static {
    /// A monotonic reading, for expiry and deadlines.
    fn now(&self) -> Instant;

    /// Time since the Unix epoch, for claims such as `exp`.
    fn unix_time(&self) -> Duration {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
    }

    /// Completes once `duration` has passed.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()>;
}

/// The real clock: `Instant::now` and `tokio::time::sleep`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep(duration))
    }
}
