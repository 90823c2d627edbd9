//! Per-call options and facts, passed between the caller and the transport hook.
//!
//! The generated `send()` hands the hook only the request and the operation name, and the hook
//! may only return a `reqwest::Result<Response>`. So [`SendExt::checked`] polls `send()` with a
//! [`CallContext`] set as the current call (a thread local set around each poll, as a tokio task
//! local is, without a wrapping future that every call's answer is moved through): the hook
//! reads the caller's options from it and writes back what it learnt (status, trace id,
//! attempts, an authentication failure), from which the wrapper builds a [`crate::Error`] that
//! says everything.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use progenitor_client::ResponseValue;
use serde::Serialize;

use super::body::BodySlot;
use super::retry::RetryPolicy;
use crate::auth::AuthError;
use crate::error::{CallFacts, Error, UnexpectedStatus, excerpt, trace_id_of};

thread_local! {
    /// The call whose future is being polled on this thread, if it runs under [`SendExt::checked`].
    static CURRENT_CALL: Cell<Option<Arc<CallContext>>> = const { Cell::new(None) };
}

/// Lends the context in `slot` (or, from an empty slot, no call) to the thread as the current
/// call until dropped, then takes it back and puts back the call before: moving it costs no
/// reference count, which a clone per poll would (also when the poll it surrounds panics).
struct Lent<'a> {
    slot: &'a mut Option<Arc<CallContext>>,
    previous: Option<Arc<CallContext>>,
}

impl<'a> Lent<'a> {
    fn new(slot: &'a mut Option<Arc<CallContext>>) -> Self {
        let previous = CURRENT_CALL.replace(slot.take());
        Self { slot, previous }
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // Only while the thread is torn down is there no thread local left to take it back from.
        if let Ok(lent) = CURRENT_CALL.try_with(|current| current.replace(previous)) {
            *self.slot = lent;
        }
    }
}

/// What the caller asked for one call.
#[derive(Clone, Debug, Default)]
pub(crate) struct CallOptions {
    pub deadline: Option<Duration>,
    pub first_byte_timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    pub retry_policy: Option<RetryPolicy>,
    pub retry_safe: bool,
}

/// Shared by the wrapper and the hook for the duration of one call.
#[derive(Debug, Default)]
pub(crate) struct CallContext {
    pub options: CallOptions,
    record: Mutex<CallRecord>,
}

#[derive(Debug, Default)]
struct CallRecord {
    facts: CallFacts,
    auth_error: Option<AuthError>,
    /// The answer's in-flight slot, until the generated code reads its body.
    body_slot: Option<BodySlot>,
}

impl CallContext {
    fn record(&self) -> MutexGuard<'_, CallRecord> {
        // A panic elsewhere while holding the lock leaves plain data behind: keep using it.
        self.record.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn note_operation(&self, operation: &'static str) {
        self.record().facts.operation = Some(operation);
    }

    pub(crate) fn note_answer(&self, attempts: u32, status: Option<reqwest::StatusCode>, trace_id: Option<String>) {
        let mut record = self.record();
        record.facts.attempts = attempts;
        record.facts.status = status;
        record.facts.trace_id = trace_id;
    }

    /// The trace id of a success whose body then failed to decode.
    pub(crate) fn note_trace_id(&self, trace_id: Option<String>) {
        self.record().facts.trace_id = trace_id;
    }

    pub(crate) fn note_auth_error(&self, error: AuthError) {
        self.record().auth_error = Some(error);
    }

    /// Keeps the answer's slot for the generated code to take (no allocation, unlike the
    /// answer's extensions).
    pub(crate) fn keep_body_slot(&self, slot: BodySlot) {
        self.record().body_slot = Some(slot);
    }

    pub(crate) fn take_body_slot(&self) -> Option<BodySlot> {
        self.record().body_slot.take()
    }
}

/// The context of the call being executed on this task, if it runs under [`SendExt::checked`].
pub(crate) fn current_call() -> Option<Arc<CallContext>> {
    CURRENT_CALL
        .try_with(|current| {
            let call = current.take();
            current.set(call.clone());
            call
        })
        .ok()
        .flatten()
}

/// Runs `future` outside any call context, so requests it makes (an authenticator fetching a
/// token, say) neither read nor overwrite the facts of the call that waits for it.
pub(crate) fn outside_call<F: Future>(future: F) -> OutsideCall<F> {
    OutsideCall { future }
}

pin_project_lite::pin_project! {
    /// A future polled with no current call: see [`outside_call`].
    pub(crate) struct OutsideCall<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for OutsideCall<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut no_call = None;
        let _outside = Lent::new(&mut no_call);
        self.project().future.poll(cx)
    }
}

/// Adds [`checked`](SendExt::checked) to the futures returned by the generated `send()`.
///
/// ```no_run
/// # async fn demo(client: &kontur_extern::raw::Client, account: uuid::Uuid, docflow: uuid::Uuid)
/// # -> Result<(), kontur_extern::Error> {
/// use kontur_extern::transport::SendExt;
/// let docflow = client.get_docflow().account_id(account).docflow_id(docflow).send().checked().await?;
/// # Ok(()) }
/// ```
pub trait SendExt<T, E>: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>> + Sized {
    /// Runs the call so that a failure becomes a [`crate::Error`] naming the operation, the
    /// status and the trace id, and so that per-call options can be set on the returned value.
    fn checked(self) -> CheckedCall<Self> {
        CheckedCall { state: State::Sending { send: self }, options: CallOptions::default(), context: None }
    }
}

impl<F, T, E> SendExt<T, E> for F where F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>> {}

pin_project_lite::pin_project! {
    /// A generated call with per-call options; `.await` it.
    ///
    /// The call is its own future (rather than turning into another one when awaited): a call's
    /// future is large, and every conversion would copy it.
    #[must_use = "a call does nothing until awaited"]
    pub struct CheckedCall<F> {
        // Inline rather than boxed: boxing it cost every call an allocation and a copy.
        #[pin]
        state: State<F>,
        options: CallOptions,
        // Made at the first poll, from `options`.
        context: Option<Arc<CallContext>>,
    }
}

/// The old name of [`CheckedCall`], from when awaiting a call turned it into another future.
pub type CheckedFuture<F> = CheckedCall<F>;

impl<F> CheckedCall<F> {
    /// The time limit of this whole call until its answer's head arrives (login, slot wait,
    /// attempts, pauses), instead of the transport's [`deadline`](super::Transport::deadline).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.options.deadline = Some(deadline);
        self
    }

    /// The time limit of each attempt until the answer's head, instead of the transport's
    /// [`first_byte_timeout`](super::Transport::first_byte_timeout).
    pub fn first_byte_timeout(mut self, timeout: Duration) -> Self {
        self.options.first_byte_timeout = Some(timeout);
        self
    }

    /// The longest wait for the next piece of the answer's body, instead of the transport's
    /// [`idle_timeout`](super::Transport::idle_timeout).
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.options.idle_timeout = Some(timeout);
        self
    }

    /// The old name of [`first_byte_timeout`](Self::first_byte_timeout).
    pub fn timeout(self, timeout: Duration) -> Self {
        self.first_byte_timeout(timeout)
    }

    /// The retry policy of this call, instead of the transport's.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.options.retry_policy = Some(policy);
        self
    }

    /// Declares that sending this call twice does no harm, so it may be retried like a
    /// retry-safe operation.
    pub fn retry_safe(mut self) -> Self {
        self.options.retry_safe = true;
        self
    }
}

pin_project_lite::pin_project! {
    #[project = StateProjection]
    enum State<F> {
        Sending { #[pin] send: F },
        /// Reading the start of an undocumented answer's body for the error message.
        ReadingExcerpt { reading: BoxFuture<'static, Error> },
        Done,
    }
}

impl<F, T, E> Future for CheckedCall<F>
where
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
    E: Serialize,
{
    type Output = Result<ResponseValue<T>, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if this.context.is_none() {
            let options = std::mem::take(this.options);
            *this.context = Some(Arc::new(CallContext { options, record: Mutex::default() }));
        }
        loop {
            match this.state.as_mut().project() {
                StateProjection::Sending { send } => {
                    let polled = {
                        let _call = Lent::new(this.context);
                        send.poll(cx)
                    };
                    let result = match polled {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(result) => result,
                    };
                    this.state.set(State::Done);
                    // A slot the generated code did not take (an answer without a body) is free now.
                    // (The context is back; it is gone only if the thread's locals were torn down.)
                    if let Some(context) = this.context.as_ref() {
                        drop(context.take_body_slot());
                    }
                    let raw_error = match result {
                        Ok(value) => return Poll::Ready(Ok(value)),
                        Err(error) => error,
                    };
                    let context = this.context.get_or_insert_with(Arc::default);
                    let (facts, auth_error) = {
                        let mut record = context.record();
                        (record.facts.clone(), record.auth_error.take())
                    };
                    if let Some(source) = auth_error {
                        return Poll::Ready(Err(Error::Auth { operation: facts.operation, source }));
                    }
                    match raw_error {
                        progenitor_client::Error::UnexpectedResponse(response) => {
                            let reading = Box::pin(describe_unexpected(response, facts.operation));
                            this.state.set(State::ReadingExcerpt { reading });
                        }
                        other => return Poll::Ready(Err(Error::from_raw(other, &facts))),
                    }
                }
                StateProjection::ReadingExcerpt { reading } => {
                    let error = match reading.as_mut().poll(cx) {
                        Poll::Pending => return Poll::Pending,
                        Poll::Ready(error) => error,
                    };
                    this.state.set(State::Done);
                    return Poll::Ready(Err(error));
                }
                StateProjection::Done => panic!("CheckedCall polled after completion"),
            }
        }
    }
}

async fn describe_unexpected(response: reqwest::Response, operation: Option<&'static str>) -> Error {
    let status = response.status();
    let trace_id = trace_id_of(response.headers());
    let excerpt = response.bytes().await.map(|body| excerpt(&body)).unwrap_or_default();
    Error::UnexpectedStatus(Box::new(UnexpectedStatus { operation, status, trace_id, excerpt }))
}
