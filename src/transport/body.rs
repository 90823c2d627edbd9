//! The answer's body as the caller reads it: it keeps the request's in-flight slot until it is
//! read or dropped, and fails when no data arrives for the idle timeout. There is no limit on the
//! total time, so a long download that keeps moving is never cut off.
//!
//! A hand-built request's answer gets its body wrapped ([`guard`]). A generated call's answer
//! carries its slot as a [`BodySlot`] instead, and the generated code reads it through
//! [`response_value`] (JSON, read here within the idle timeout) or [`response_stream`] (which
//! wraps the body then): rebuilding every answer around a wrapped body cost each call more than
//! the rest of the transport.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::{Instant, Sleep};

/// The error a stalled body ends with; reqwest reports it as a timeout (`is_timeout`).
fn idle_error(idle: Duration) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, format!("no data for {} ms", idle.as_millis()))
}

/// `response` with its body guarded: `permit` is released at the end of the body, and the
/// body fails after `idle` without data. `url` replaces the answer's URL (queries are dropped).
pub(crate) fn guard(
    response: reqwest::Response,
    url: url::Url,
    permit: Option<OwnedSemaphorePermit>,
    idle: Duration,
) -> reqwest::Response {
    use reqwest::ResponseBuilderExt;
    // `From<reqwest::Response>` drops the URL; carry the caller's over so errors still name the host.
    let url_extension = http::Response::builder()
        .url(url)
        .body(())
        .map(|carrier| carrier.into_parts().0.extensions)
        .unwrap_or_default();
    let (mut parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    parts.extensions.extend(url_extension);
    let body = reqwest::Body::wrap(GuardedBody { inner: body, permit, idle, stall: None });
    http::Response::from_parts(parts, body).into()
}

/// The in-flight slot and idle timeout of a generated call's answer, kept in the answer's
/// extensions (or the checked call's context) until the generated code reads the body.
#[derive(Debug)]
pub(crate) struct BodySlot {
    permit: Option<OwnedSemaphorePermit>,
    idle: Duration,
}

/// Extensions must be `Clone`; the slot is not shared: a copy holds none (the original keeps it).
impl Clone for BodySlot {
    fn clone(&self) -> Self {
        Self { permit: None, idle: self.idle }
    }
}

impl BodySlot {
    pub(crate) fn new(permit: OwnedSemaphorePermit, idle: Duration) -> Self {
        Self { permit: Some(permit), idle }
    }
}

/// The slot of `response`: in the checked call's context, or else in the answer's extensions.
fn take_slot(response: &mut reqwest::Response) -> Option<BodySlot> {
    if let Some(call) = super::call::current_call()
        && let Some(slot) = call.take_body_slot()
    {
        return Some(slot);
    }
    response.extensions_mut().remove::<BodySlot>()
}

/// `response` with `slot` attached for [`response_value`] or [`response_stream`].
pub(crate) fn attach_slot(mut response: reqwest::Response, slot: BodySlot) -> reqwest::Response {
    response.extensions_mut().insert(slot);
    response
}

struct GuardedBody {
    inner: reqwest::Body,
    permit: Option<OwnedSemaphorePermit>,
    idle: Duration,
    /// Armed only once the body makes the reader wait: bodies already buffered pay nothing.
    stall: Option<Pin<Box<Sleep>>>,
}

impl Body for GuardedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(stall) = &mut this.stall {
                    stall.as_mut().reset(Instant::now() + this.idle);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(end_or_error) => {
                this.permit = None;
                this.stall = None;
                Poll::Ready(end_or_error.map(|result| result.map_err(Into::into)))
            }
            Poll::Pending => {
                let idle = this.idle;
                let stall = this.stall.get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                if stall.as_mut().poll(cx).is_ready() {
                    this.permit = None;
                    this.stall = None;
                    return Poll::Ready(Some(Err(Box::new(idle_error(idle)))));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// An answer's JSON body decoded into `T`, as `progenitor_client::ResponseValue::from_response`
/// does (the same value and the same errors) without copying the answer's headers first: they are
/// moved out, as nothing but the body is read afterwards. An answer that carries its in-flight
/// slot keeps it until the body is read, which fails after the idle timeout without data, as a
/// guarded body does. `build.rs` makes the generated code call this.
#[doc(hidden)]
pub async fn response_value<T: serde::de::DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let slot = take_slot(&mut response);
    let full = match &slot {
        Some(slot) => bytes_within(response, slot.idle).await,
        None => response.bytes().await,
    };
    drop(slot);
    let full = full.map_err(progenitor_client::Error::ResponseBodyError)?;
    // (`map_err` rather than `match`: the compiler copies the decoded value less.)
    let inner = serde_json::from_slice(&full).map_err(|error| {
        // The transport reads a success's trace id only now, for the error to name it.
        if let Some(call) = super::call::current_call() {
            call.note_trace_id(crate::error::trace_id_of(&headers));
        }
        progenitor_client::Error::InvalidResponsePayload(full, error)
    })?;
    Ok(progenitor_client::ResponseValue::new(inner, status, headers))
}

/// What `progenitor_client::ResponseValue::stream` makes of `response`, its body guarded by the
/// answer's `BodySlot` when it has one. `build.rs` makes the generated code call this.
#[doc(hidden)]
pub fn response_stream(
    mut response: reqwest::Response,
) -> progenitor_client::ResponseValue<progenitor_client::ByteStream> {
    if let Some(slot) = take_slot(&mut response) {
        let url = response.url().clone();
        response = guard(response, url, slot.permit, slot.idle);
    }
    progenitor_client::ResponseValue::stream(response)
}

/// `response.bytes()`, failing as a [`GuardedBody`] does when no data arrives for `idle`.
async fn bytes_within(mut response: reqwest::Response, idle: Duration) -> reqwest::Result<Bytes> {
    let mut first: Option<Bytes> = None;
    let mut joined: Option<bytes::BytesMut> = None;
    loop {
        let chunk = {
            let mut next = std::pin::pin!(response.chunk());
            // Bodies already buffered pay no timer.
            match futures::poll!(next.as_mut()) {
                Poll::Ready(chunk) => chunk,
                Poll::Pending => match tokio::time::timeout(idle, next).await {
                    Ok(chunk) => chunk,
                    Err(_) => Err(stalled(idle)),
                },
            }
        };
        // `bytes()` names the answer's URL in its errors; `chunk()` does not.
        let chunk = chunk.map_err(|error| match error.url() {
            Some(_) => error,
            None => error.with_url(response.url().clone()),
        })?;
        match chunk {
            None => {
                return Ok(match joined {
                    Some(joined) => joined.freeze(),
                    None => first.unwrap_or_default(),
                });
            }
            Some(piece) => match (&mut joined, first.take()) {
                (Some(joined), _) => joined.extend_from_slice(&piece),
                (None, None) => first = Some(piece),
                (None, Some(earlier)) => {
                    let mut both = bytes::BytesMut::with_capacity(earlier.len() + piece.len());
                    both.extend_from_slice(&earlier);
                    both.extend_from_slice(&piece);
                    joined = Some(both);
                }
            },
        }
    }
}

/// The error a [`GuardedBody`] ends with after `idle` without data, as reqwest reports it.
fn stalled(idle: Duration) -> reqwest::Error {
    body_failure(idle_error(idle)).without_url()
}

/// A reqwest error for a body that failed with `error`, as reqwest reports a body's failure
/// (`is_timeout()` for `TimedOut`, `error` in its source chain). reqwest offers no constructor,
/// so this reads a local body whose only piece is `error`: nothing is sent anywhere, and the
/// body fails at its first poll, so nothing waits.
pub(crate) fn body_failure(error: std::io::Error) -> reqwest::Error {
    use futures::FutureExt as _;
    let failing = futures::stream::iter([Err::<Bytes, _>(error)]);
    let response: reqwest::Response = http::Response::new(reqwest::Body::wrap_stream(failing)).into();
    let read = response.bytes().now_or_never();
    read.and_then(Result::err).expect("a body whose only piece is an error fails at its first poll")
}
