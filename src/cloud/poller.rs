//! A small poller for the myDSS task: a step every `interval` until it is ready or the deadline
//! comes. Dropping the future stops it. It stands apart from the flows so that it can give way to
//! the crate's shared task mechanism without touching them.

use std::future::Future;
use std::time::Duration;

use tokio::time::{Instant, sleep};

/// What one step found.
pub(crate) enum Step<S, T> {
    /// Finished with this value.
    Ready(T),
    /// Not yet; poll again with this state.
    Again(S),
}

/// How often and how long to poll.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Poller {
    pub interval: Duration,
    pub deadline: Duration,
}

impl Poller {
    /// Runs `step` until it is ready. Gives the state back when the next step would start after
    /// the deadline (the first step always runs).
    pub(crate) async fn run<S, T, F, Fut>(&self, mut state: S, mut step: F) -> Result<T, S>
    where
        F: FnMut(S) -> Fut,
        Fut: Future<Output = Step<S, T>>,
    {
        let deadline = Instant::now() + self.deadline;
        loop {
            state = match step(state).await {
                Step::Ready(value) => return Ok(value),
                Step::Again(state) => state,
            };
            if Instant::now() + self.interval > deadline {
                return Err(state);
            }
            sleep(self.interval).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn polls_until_ready() {
        let poller = Poller { interval: Duration::from_millis(1), deadline: Duration::from_secs(5) };
        let result =
            poller.run(0u32, |n| async move { if n == 3 { Step::Ready(n) } else { Step::Again(n + 1) } }).await;
        assert_eq!(result.ok(), Some(3));
    }

    // Paused time: sleeps end exactly when due, so the count does not depend on the machine's load.
    #[tokio::test(start_paused = true)]
    async fn gives_the_state_back_at_the_deadline() {
        let poller = Poller { interval: Duration::from_millis(20), deadline: Duration::from_millis(50) };
        let result: Result<(), u32> = poller.run(0u32, |n| async move { Step::Again(n + 1) }).await;
        // Steps at 0, 20 and 40 ms; a fourth would start after the deadline.
        assert_eq!(result.err(), Some(3));
    }
}
