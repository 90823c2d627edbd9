//! The first-byte timer of an attempt, reused across attempts on a thread.
//!
//! A fresh tokio timer per attempt is registered in the runtime's timer wheel on its first poll
//! and taken out again when dropped, under the time driver's lock both times: 500 to 1,500
//! instructions per call in the overhead benchmark. A timer kept from an earlier attempt on the
//! same runtime is still registered, and moving its deadline later (every attempt's deadline is
//! later than the one before it, for equal timeouts) only updates it in place. A kept timer
//! holds the waker of the task that last used it until it is reused or fires (at most the
//! first-byte timeout later); firing unused, it wakes that task once more, which does nothing.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::{Instant, Sleep};

/// Timers kept per thread: one per attempt it runs at once, up to Extern's limit of requests.
const SPARE_TIMERS_MAX: usize = super::DEFAULT_MAX_IN_FLIGHT;

thread_local! {
    /// Timers of finished attempts, each with the runtime whose timer wheel it is in.
    static SPARE_TIMERS: RefCell<Vec<(tokio::runtime::Id, Pin<Box<Sleep>>)>> = const { RefCell::new(Vec::new()) };
}

/// A timer that fires at an attempt's limit; it goes back to this thread's spares when dropped.
pub(crate) struct AttemptTimer {
    sleep: Option<Pin<Box<Sleep>>>,
    runtime: tokio::runtime::Id,
}

impl AttemptTimer {
    /// A timer for `deadline` on the current runtime: a spare one of this runtime moved to
    /// `deadline`, or a new one. Panics outside a tokio runtime, as tokio's timers do.
    pub(crate) fn until(deadline: Instant) -> Self {
        let runtime = tokio::runtime::Handle::current().id();
        let spare = SPARE_TIMERS
            .try_with(|spares| {
                let Ok(mut spares) = spares.try_borrow_mut() else { return None };
                if spares.last().is_some_and(|(owner, _)| *owner != runtime) {
                    // Left by a runtime that ran on this thread before: each holds on to that
                    // runtime's driver, so they go.
                    spares.retain(|(owner, _)| *owner == runtime);
                }
                spares.pop().map(|(_, sleep)| sleep)
            })
            .ok()
            .flatten();
        let sleep = match spare {
            Some(mut sleep) => {
                sleep.as_mut().reset(deadline);
                sleep
            }
            None => Box::pin(tokio::time::sleep_until(deadline)),
        };
        Self { sleep: Some(sleep), runtime }
    }
}

impl Future for AttemptTimer {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        match &mut self.sleep {
            Some(sleep) => sleep.as_mut().poll(cx),
            None => Poll::Ready(()),
        }
    }
}

impl Drop for AttemptTimer {
    fn drop(&mut self) {
        let Some(sleep) = self.sleep.take() else { return };
        let runtime = self.runtime;
        // A thread being torn down keeps nothing; a full set of spares drops its oldest.
        let _ = SPARE_TIMERS.try_with(|spares| {
            if let Ok(mut spares) = spares.try_borrow_mut() {
                if spares.len() >= SPARE_TIMERS_MAX {
                    drop(spares.remove(0));
                }
                spares.push((runtime, sleep));
            }
        });
    }
}
