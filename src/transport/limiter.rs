//! The cap on requests in flight: Extern serves at most 20 concurrent requests per client
//! and may drop the rest, so excess requests wait here, first come first served.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A fair (FIFO) counter of requests in flight, shared by clones of a transport.
#[derive(Clone, Debug)]
pub(crate) struct Limiter {
    slots: Arc<Semaphore>,
    capacity: usize,
}

impl Limiter {
    pub(crate) fn new(capacity: usize) -> Self {
        let capacity = capacity.clamp(1, Semaphore::MAX_PERMITS);
        Self { slots: Arc::new(Semaphore::new(capacity)), capacity }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// A free slot, when one is free now. Released slots go to waiters first, so taking a free
    /// one never jumps the queue.
    pub(crate) fn try_acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().try_acquire_owned().ok()
    }

    /// Waits for a free slot. The semaphore is never closed, so this always ends with a permit.
    pub(crate) async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().acquire_owned().await.ok()
    }
}
