//! Progress of a transfer, for progress bars: a callback, a `watch` channel, or both.

use std::fmt;
use std::sync::Arc;

use tokio::sync::watch;

/// How far a transfer has come.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    /// Bytes done: acknowledged by the server (upload) or handed to the caller (download).
    pub done: u64,
    /// The content's length, once known.
    pub total: Option<u64>,
}

impl Progress {
    /// `done / total` between 0 and 1, when the total is known (an empty content is complete).
    pub fn fraction(&self) -> Option<f64> {
        self.total.map(|total| if total == 0 { 1.0 } else { self.done as f64 / total as f64 })
    }
}

/// A callback told of every step of a transfer.
pub(crate) type ProgressCallback = Arc<dyn Fn(Progress) + Send + Sync>;

/// Where a transfer reports its progress; reporting to nobody costs nothing.
#[derive(Clone, Default)]
pub(crate) struct ProgressSink {
    callback: Option<ProgressCallback>,
    watch: Option<watch::Sender<Progress>>,
}

impl ProgressSink {
    pub(crate) fn set_callback(&mut self, callback: ProgressCallback) {
        self.callback = Some(callback);
    }

    pub(crate) fn set_watch(&mut self, sender: watch::Sender<Progress>) {
        self.watch = Some(sender);
    }

    pub(crate) fn report(&self, progress: Progress) {
        if let Some(callback) = &self.callback {
            callback(progress);
        }
        if let Some(watch) = &self.watch {
            // Nobody listening is fine: the value is kept for whoever subscribes later.
            watch.send_replace(progress);
        }
    }
}

impl fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressSink")
            .field("callback", &self.callback.is_some())
            .field("watch", &self.watch.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn reports_reach_the_callback_and_the_watch() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (sender, receiver) = watch::channel(Progress::default());
        let mut sink = ProgressSink::default();
        let log = seen.clone();
        sink.set_callback(Arc::new(move |progress| log.lock().unwrap().push(progress)));
        sink.set_watch(sender);

        sink.report(Progress { done: 5, total: Some(10) });
        sink.report(Progress { done: 10, total: Some(10) });

        assert_eq!(seen.lock().unwrap().iter().map(|p| p.done).collect::<Vec<_>>(), [5, 10]);
        assert_eq!(*receiver.borrow(), Progress { done: 10, total: Some(10) });
    }

    #[test]
    fn fraction_needs_a_total() {
        assert_eq!(Progress { done: 1, total: Some(4) }.fraction(), Some(0.25));
        assert_eq!(Progress { done: 1, total: None }.fraction(), None);
        assert_eq!(Progress { done: 0, total: Some(0) }.fraction(), Some(1.0));
    }
}
