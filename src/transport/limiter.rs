//! The cap on requests in flight: Extern serves at most 20 concurrent requests per client
//! and may drop the rest, so excess requests wait here, first come first served.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
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

    /// Waits for a free slot. The semaphore is never closed, so this always ends with a permit.
    pub(crate) async fn acquire(&self) -> Option<OwnedSemaphorePermit> {
        self.slots.clone().acquire_owned().await.ok()
    }
}

/// Keeps the slot taken until the answer's body is read or dropped: until then the server
/// is still working on the request.
pub(crate) fn hold_until_body_done(response: reqwest::Response, permit: Option<OwnedSemaphorePermit>) -> reqwest::Response {
    use reqwest::ResponseBuilderExt;
    let Some(permit) = permit else { return response };
    // `From<reqwest::Response>` drops the URL; carry it over so errors still name the host.
    let url_extension = http::Response::builder()
        .url(response.url().clone())
        .body(())
        .map(|carrier| carrier.into_parts().0.extensions)
        .unwrap_or_default();
    let (mut parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    parts.extensions.extend(url_extension);
    let body = reqwest::Body::wrap(PermitBody { inner: body, permit: Some(permit) });
    http::Response::from_parts(parts, body).into()
}

struct PermitBody {
    inner: reqwest::Body,
    permit: Option<OwnedSemaphorePermit>,
}

impl Body for PermitBody {
    type Data = Bytes;
    type Error = reqwest::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, reqwest::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(polled, Poll::Ready(None) | Poll::Ready(Some(Err(_)))) {
            self.permit = None;
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
