//! The answer's body as the caller reads it: it keeps the request's in-flight slot until it is
//! read or dropped, and fails when no data arrives for the idle timeout. There is no limit on the
//! total time, so a long download that keeps moving is never cut off.

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
/// moved out, as nothing but the body is read afterwards. `build.rs` makes the generated code
/// call this.
#[doc(hidden)]
pub async fn response_value<T: serde::de::DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<progenitor_client::ResponseValue<T>, progenitor_client::Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let full = response.bytes().await.map_err(progenitor_client::Error::ResponseBodyError)?;
    let inner =
        serde_json::from_slice(&full).map_err(|error| progenitor_client::Error::InvalidResponsePayload(full, error))?;
    Ok(progenitor_client::ResponseValue::new(inner, status, headers))
}
