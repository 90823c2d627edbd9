//! The feed as a stream of batches: the reading mechanism, its policy, and acknowledgement.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::hash::{BuildHasher, Hasher};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::Either;
use futures::stream::{BoxStream, Stream};
use serde::de::Error as _;

use super::cursor::{CursorStore, EventCursor};
use super::{Event, Events};
use crate::Error;
use crate::error::{DecodeFailure, trace_id_of};
use crate::transport::SendExt;

/// Events asked for per request unless the policy says otherwise.
const DEFAULT_TAKE: u32 = 100;
/// Pause after a page that was not full, before asking for more.
const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(30);

/// The pause before reading again after a failed request.
///
/// The stream calls [`next_pause`](Self::next_pause) after each failure and
/// [`reset`](Self::reset) after each success. [`ExponentialBackoff`] is the default; implement
/// this trait for another schedule (a fixed pause, a limited number of attempts).
pub trait Backoff: Send + 'static {
    /// How long to wait before the next attempt; `None` ends the stream after the error.
    fn next_pause(&mut self) -> Option<Duration>;

    /// Forgets past failures: the next one gets the first pause again.
    fn reset(&mut self);
}

/// Pauses that double from `initial` up to `max`, each shortened by up to half at random so
/// that many consumers do not retry in step; never gives up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExponentialBackoff {
    initial: Duration,
    max: Duration,
    failures: u32,
}

impl ExponentialBackoff {
    /// Pauses from `initial`, doubling after each failure, at most `max`.
    pub fn new(initial: Duration, max: Duration) -> Self {
        Self { initial, max: max.max(initial), failures: 0 }
    }
}

impl Default for ExponentialBackoff {
    /// From 1 s up to 2 min.
    fn default() -> Self {
        Self::new(Duration::from_secs(1), Duration::from_secs(120))
    }
}

impl Backoff for ExponentialBackoff {
    fn next_pause(&mut self) -> Option<Duration> {
        let doubled = self.initial.saturating_mul(1u32 << self.failures.min(20));
        self.failures = self.failures.saturating_add(1);
        let full = doubled.min(self.max);
        // Equal jitter: half the pause fixed, the other half random.
        let random = RandomState::new().build_hasher().finish();
        let fraction = (random % 1_000) as f64 / 1_000.0;
        Some(full / 2 + full.div_f64(2.0).mul_f64(fraction))
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}

/// How the feed is read: page size, the pause when caught up, the backoff after errors.
///
/// A value apart from the reading mechanism; pass it to [`FeedBuilder::policy`].
pub struct FeedPolicy {
    take: u32,
    poll_interval: Duration,
    backoff: Box<dyn Backoff>,
}

impl Default for FeedPolicy {
    /// 100 events per request, 30 s between polls once caught up, [`ExponentialBackoff::default`].
    fn default() -> Self {
        Self {
            take: DEFAULT_TAKE,
            poll_interval: DEFAULT_POLL_INTERVAL,
            backoff: Box::new(ExponentialBackoff::default()),
        }
    }
}

impl FeedPolicy {
    /// Events asked for per request (`take`, at least 1). A page with fewer means "caught up".
    pub fn take(mut self, take: u32) -> Self {
        self.take = take.clamp(1, i32::MAX as u32);
        self
    }

    /// The pause after a page that was not full, before asking again.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The pauses after failed requests.
    pub fn backoff(mut self, backoff: impl Backoff) -> Self {
        self.backoff = Box::new(backoff);
        self
    }

    /// Events asked for per request.
    pub fn current_take(&self) -> u32 {
        self.take
    }

    /// The pause when caught up.
    pub fn current_poll_interval(&self) -> Duration {
        self.poll_interval
    }
}

impl fmt::Debug for FeedPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedPolicy")
            .field("take", &self.take)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

/// A future that, once complete, stops the feed.
type StopSignal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Configures a feed: its cursor store, policy and stop signal. Made by [`Events::feed`].
#[must_use = "a feed reads nothing until started"]
pub struct FeedBuilder<S> {
    events: Events,
    store: S,
    policy: FeedPolicy,
    stop: Option<StopSignal>,
}

impl<S: CursorStore> FeedBuilder<S> {
    pub(super) fn new(events: Events, store: S) -> Self {
        Self { events, store, policy: FeedPolicy::default(), stop: None }
    }

    /// How the feed is read (page size, poll interval, backoff).
    pub fn policy(mut self, policy: FeedPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Stops the stream when `signal` completes: it then ends (yields `None`) at once, between
    /// or during requests or pauses, and never commits anything. With tokio-util, pass
    /// `token.cancelled_owned()` of a `CancellationToken`; `tokio::signal::ctrl_c()` works too.
    pub fn stop_on<F>(mut self, signal: F) -> Self
    where
        F: Future + Send + 'static,
    {
        self.stop = Some(Box::pin(async move {
            signal.await;
        }));
        self
    }

    /// Loads the cursor from the store (`0_0` when it holds none) and returns the stream.
    /// Fails only when the store cannot be read.
    pub async fn start(self) -> Result<EventStream<S>, S::Error> {
        let cursor = self.store.load().await?.unwrap_or_default();
        let feed = Feed {
            events: self.events,
            acks: Arc::new(Acks { store: self.store, committed: tokio::sync::Mutex::new(0) }),
            cursor,
            take: self.policy.take,
            poll_interval: self.policy.poll_interval,
            backoff: self.policy.backoff,
            pause: None,
            stop: self.stop,
            stopped: false,
            sequence: 0,
        };
        let inner = futures::stream::unfold(feed, |mut feed| async move {
            let item = feed.next_batch().await?;
            Some((item, feed))
        });
        Ok(EventStream { inner: Box::pin(inner) })
    }
}

impl<S> fmt::Debug for FeedBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedBuilder")
            .field("policy", &self.policy)
            .field("stop_on", &self.stop.is_some())
            .finish_non_exhaustive()
    }
}

/// The events feed as a never-ending stream of [`Batch`]es, one per page read.
///
/// Each page follows the last one's `next-event-id`. After a page with fewer events than asked
/// for the stream waits the policy's poll interval before asking again (empty pages are not
/// yielded). A failed request is yielded as `Err` and then repeated from the same cursor after
/// the policy's backoff, so no event is ever skipped. Dropping the stream stops it.
///
/// Reading never moves the stored cursor: only [`Batch::commit`] does.
#[must_use = "streams do nothing unless polled"]
pub struct EventStream<S> {
    inner: BoxStream<'static, Result<Batch<S>, Error>>,
}

impl<S> Stream for EventStream<S> {
    type Item = Result<Batch<S>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl<S> fmt::Debug for EventStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

/// The reading state machine behind [`EventStream`].
struct Feed<S> {
    events: Events,
    acks: Arc<Acks<S>>,
    /// Where the next request reads from: just after the last event yielded.
    cursor: EventCursor,
    take: u32,
    poll_interval: Duration,
    backoff: Box<dyn Backoff>,
    /// A pause to take before the next request (caught up, or after an error).
    pause: Option<Duration>,
    stop: Option<StopSignal>,
    stopped: bool,
    sequence: u64,
}

impl<S: CursorStore> Feed<S> {
    async fn next_batch(&mut self) -> Option<Result<Batch<S>, Error>> {
        loop {
            if self.stopped {
                return None;
            }
            if let Some(pause) = self.pause.take()
                && until_stopped(&mut self.stop, tokio::time::sleep(pause)).await.is_none()
            {
                self.stopped = true;
                return None;
            }
            let request = self
                .events
                .client
                .raw()
                .get_events()
                .from_id(self.cursor.as_str())
                .take(self.take as i32)
                .send()
                .checked()
                .into_future();
            let Some(answer) = until_stopped(&mut self.stop, request).await else {
                self.stopped = true;
                return None;
            };
            match answer.and_then(|answer| read_page(answer, &self.cursor)) {
                Err(error) => {
                    match self.backoff.next_pause() {
                        Some(pause) => self.pause = Some(pause),
                        None => self.stopped = true,
                    }
                    tracing::warn!(%error, cursor = %self.cursor, "events feed: request failed");
                    return Some(Err(error));
                }
                Ok((events, next)) => {
                    self.backoff.reset();
                    let caught_up = events.len() < self.take as usize;
                    if caught_up {
                        self.pause = Some(self.poll_interval);
                    }
                    let from = std::mem::replace(&mut self.cursor, next.clone());
                    if events.is_empty() {
                        continue;
                    }
                    self.sequence += 1;
                    let ack = BatchAck { sequence: self.sequence, next: next.clone(), acks: self.acks.clone() };
                    return Some(Ok(Batch { events, from, next, caught_up, ack }));
                }
            }
        }
    }
}

/// Runs `work` unless `stop` completes first (`None` then).
async fn until_stopped<T>(stop: &mut Option<StopSignal>, work: impl Future<Output = T>) -> Option<T> {
    let Some(signal) = stop else {
        return Some(work.await);
    };
    // `select` polls the signal first, so a signal that already fired stops before any request.
    match futures::future::select(signal.as_mut(), std::pin::pin!(work)).await {
        Either::Left(_) => None,
        Either::Right((value, _)) => Some(value),
    }
}

/// The events of a page and the cursor after them.
fn read_page(
    answer: progenitor_client::ResponseValue<crate::raw::types::EventsPage>,
    from: &EventCursor,
) -> Result<(Vec<Event>, EventCursor), Error> {
    let broken = |status, trace_id, message: String| {
        Error::Decode(Box::new(DecodeFailure {
            operation: Some("get_events"),
            status: Some(status),
            trace_id,
            excerpt: String::new(),
            source: serde_json::Error::custom(message),
        }))
    };
    let status = answer.status();
    let trace_id = trace_id_of(answer.headers());
    let page = answer.into_inner();
    let events: Vec<Event> = page.api_events.into_iter().map(Event::from).collect();
    let next = match page.next_event_id {
        Some(text) => EventCursor::new(text).map_err(|error| broken(status, trace_id, error.to_string()))?,
        // Nothing new and nowhere else to go: stay.
        None if events.is_empty() => from.clone(),
        // Going on from anywhere else could skip or repeat events.
        None => {
            return Err(broken(status, trace_id, "a page with events has no next-event-id".to_owned()));
        }
    };
    Ok((events, next))
}

/// What commits share: the store, and how far the consumer has committed.
struct Acks<S> {
    store: S,
    /// The sequence number of the latest committed batch; commits of older batches do nothing.
    committed: tokio::sync::Mutex<u64>,
}

/// The events of one page of the feed, and the right to mark them handled.
///
/// Handle the events, then [`commit`](Self::commit): that saves [`next_cursor`](Self::next_cursor)
/// in the feed's [`CursorStore`], so a restart goes on after this batch. Until then a restart
/// delivers the batch again: delivery is **at least once**. Deduplicate by
/// [`Event::id`](super::Event::id) when handling twice would do harm.
///
/// Committing a batch marks it and every batch before it as handled (the cursor is a single
/// position); committing a batch older than one already committed does nothing.
#[must_use = "the stored cursor moves only when a batch is committed"]
pub struct Batch<S> {
    events: Vec<Event>,
    from: EventCursor,
    next: EventCursor,
    caught_up: bool,
    ack: BatchAck<S>,
}

impl<S: CursorStore> Batch<S> {
    /// The events, in feed order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// How many events the batch holds (at least one).
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Always false: the stream does not yield empty pages. Here for completeness.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// The cursor this page was read from.
    pub fn from_cursor(&self) -> &EventCursor {
        &self.from
    }

    /// The cursor after this batch: where the feed goes on, and what a commit stores.
    pub fn next_cursor(&self) -> &EventCursor {
        &self.next
    }

    /// True when the page held fewer events than asked for: the feed has nothing more right now
    /// and waits the poll interval before asking again.
    pub fn is_caught_up(&self) -> bool {
        self.caught_up
    }

    /// Marks the batch handled: saves its [`next_cursor`](Self::next_cursor) in the store.
    /// Call it only after the events are handled.
    pub async fn commit(self) -> Result<(), S::Error> {
        self.ack.commit().await
    }

    /// The events and the acknowledgement apart, for handing the events to other code and
    /// committing once it is done.
    pub fn into_parts(self) -> (Vec<Event>, BatchAck<S>) {
        (self.events, self.ack)
    }
}

impl<'a, S> IntoIterator for &'a Batch<S> {
    type Item = &'a Event;
    type IntoIter = std::slice::Iter<'a, Event>;

    fn into_iter(self) -> Self::IntoIter {
        self.events.iter()
    }
}

impl<S> fmt::Debug for Batch<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("from", &self.from)
            .field("next", &self.next)
            .field("caught_up", &self.caught_up)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

/// The right to mark one batch handled; from [`Batch::into_parts`].
#[must_use = "the stored cursor moves only when a batch is committed"]
pub struct BatchAck<S> {
    sequence: u64,
    next: EventCursor,
    acks: Arc<Acks<S>>,
}

impl<S: CursorStore> BatchAck<S> {
    /// The cursor a commit stores.
    pub fn next_cursor(&self) -> &EventCursor {
        &self.next
    }

    /// Marks the batch (and every one before it) handled: saves its cursor in the store.
    pub async fn commit(self) -> Result<(), S::Error> {
        let mut committed = self.acks.committed.lock().await;
        if *committed >= self.sequence {
            return Ok(());
        }
        self.acks.store.save(&self.next).await?;
        *committed = self.sequence;
        Ok(())
    }
}

impl<S> fmt::Debug for BatchAck<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchAck").field("next", &self.next).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_resets() {
        let mut backoff = ExponentialBackoff::new(Duration::from_secs(1), Duration::from_secs(8));
        let pauses: Vec<Duration> = (0..6).map(|_| backoff.next_pause().unwrap()).collect();
        let caps = [1, 2, 4, 8, 8, 8];
        for (pause, cap) in pauses.iter().zip(caps) {
            let cap = Duration::from_secs(cap);
            assert!(*pause >= cap / 2 && *pause <= cap, "{pause:?} outside [{:?}, {cap:?}]", cap / 2);
        }
        backoff.reset();
        assert!(backoff.next_pause().unwrap() <= Duration::from_secs(1));
    }
}
