//! Downloads in `Range` chunks: a stream in constant memory, the next chunk requested ahead,
//! a broken chunk asked for again from the byte where it broke.

use std::fmt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt, TryStreamExt};
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, HeaderMap};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::watch;
use uuid::Uuid;

use super::progress::{Progress, ProgressSink};
use super::{ContentError, Contents, DEFAULT_CHUNK_SIZE, check_size};
use crate::error::{TransportFailure, trace_id_of};
use crate::transport::SendExt;

const DOWNLOAD_CONTENT: &str = "download_content";

/// A download being set up: choose [`stream`](Self::stream), [`reader`](Self::reader),
/// [`to_path`](Self::to_path), [`to_writer`](Self::to_writer) or [`bytes`](Self::bytes).
///
/// The content is asked for in `Range` chunks of [`chunk_size`](Self::chunk_size) bytes; while
/// one chunk is read, the request for the next one is already on its way (one request ahead;
/// the bytes themselves are read only as fast as the caller takes them, so memory stays small).
/// A chunk whose body breaks off is asked for again from the first missing byte, per the
/// transport's [`RetryPolicy`](crate::transport::RetryPolicy). A server that ignores `Range`
/// and answers 200 with the whole content is read from that one answer.
///
/// ```no_run
/// # async fn demo(contents: kontur_extern::contents::Contents, content_id: uuid::Uuid)
/// # -> Result<(), kontur_extern::contents::ContentError> {
/// use futures::TryStreamExt;
///
/// let mut stream = contents.download(content_id).chunk_size(16 * 1024 * 1024).stream();
/// let mut length = 0;
/// while let Some(bytes) = stream.try_next().await? {
///     length += bytes.len();
/// }
///
/// let (sender, mut progress) = tokio::sync::watch::channel(Default::default());
/// let saving = contents.download(content_id).progress_watch(sender).to_path("report.xml");
/// tokio::spawn(async move {
///     while progress.changed().await.is_ok() {
///         let now: kontur_extern::contents::Progress = *progress.borrow();
///         println!("{} of {:?}", now.done, now.total);
///     }
/// });
/// let written = saving.await?;
/// # Ok(()) }
/// ```
#[must_use = "a download does nothing until read"]
pub struct Download {
    contents: Contents,
    source: Source,
    chunk_size: usize,
    start: u64,
    progress: ProgressSink,
}

/// Where a download's bytes come from.
enum Source {
    /// A content of the content service, known by id.
    Content(Uuid),
    /// Found by a request first (a document's list of contents, an answer carrying base64).
    Lookup { operation: &'static str, lookup: BoxFuture<'static, Result<Located, ContentError>> },
}

/// Where a looked-up resource's bytes are.
pub(crate) enum Located {
    /// In the content service: fetched in `Range` chunks like any content.
    Content(Uuid),
    /// Carried by the answer itself as base64 (decoded through [`crate::base64`]): handed over
    /// in pieces of the chunk size, with the same progress, offset and errors as a content.
    Inline(Bytes),
}

impl Download {
    pub(super) fn new(contents: Contents, content_id: Uuid) -> Self {
        Self::from_source(contents, Source::Content(content_id))
    }

    /// A download of a resource whose bytes `lookup` finds first (named `operation` in `Debug`).
    ///
    /// Every content-bearing resource of the layer downloads through this: the lookup runs when
    /// the download is first read, so a handle method can return a `Download` at once.
    pub(crate) fn lookup(
        contents: Contents,
        operation: &'static str,
        lookup: impl std::future::Future<Output = Result<Located, ContentError>> + Send + 'static,
    ) -> Self {
        let lookup = Box::pin(lookup);
        Self::from_source(contents, Source::Lookup { operation, lookup })
    }

    fn from_source(contents: Contents, source: Source) -> Self {
        Self { contents, source, chunk_size: DEFAULT_CHUNK_SIZE, start: 0, progress: ProgressSink::default() }
    }

    /// Bytes per `Range` request (default [`DEFAULT_CHUNK_SIZE`](super::DEFAULT_CHUNK_SIZE), at most
    /// [`MAX_PART_SIZE`](super::MAX_PART_SIZE); the download fails at once otherwise).
    pub fn chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_size = bytes;
        self
    }

    /// Starts at byte `offset` instead of the beginning (to continue a download that stopped).
    pub fn starting_at(mut self, offset: u64) -> Self {
        self.start = offset;
        self
    }

    /// Calls `callback` as bytes are handed over.
    pub fn on_progress(mut self, callback: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress.set_callback(Arc::new(callback));
        self
    }

    /// Sends the progress to `sender` as bytes are handed over (for a progress bar that polls).
    pub fn progress_watch(mut self, sender: watch::Sender<Progress>) -> Self {
        self.progress.set_watch(sender);
        self
    }

    /// The content as a stream of byte chunks.
    pub fn stream(self) -> ContentStream {
        let Download { contents, source, chunk_size, start, progress } = self;
        let inner = match check_size("chunk size", chunk_size) {
            Err(error) => futures::stream::once(async { Err(error) }).boxed(),
            Ok(chunk) => match source {
                Source::Content(content_id) => ranged(contents, content_id, chunk, start, progress),
                Source::Lookup { lookup, .. } => futures::stream::once(async move {
                    match lookup.await {
                        Ok(Located::Content(content_id)) => ranged(contents, content_id, chunk, start, progress),
                        Ok(Located::Inline(bytes)) => inline(bytes, chunk, start, progress),
                        Err(error) => futures::stream::once(async { Err(error) }).boxed(),
                    }
                })
                .flatten()
                .boxed(),
            },
        };
        ContentStream { inner }
    }

    /// The content as an [`AsyncRead`]; failures surface as [`std::io::Error`]s wrapping a
    /// [`ContentError`].
    pub fn reader(self) -> impl AsyncRead + Send + Unpin + 'static {
        tokio_util::io::StreamReader::new(self.stream().map_err(std::io::Error::from))
    }

    /// Writes the content to `writer`; returns how many bytes were written.
    pub async fn to_writer<W: AsyncWrite + Unpin>(self, writer: &mut W) -> Result<u64, ContentError> {
        let start = self.start;
        let mut stream = self.stream();
        let mut written = 0u64;
        while let Some(bytes) = stream.try_next().await? {
            writer.write_all(&bytes).await.map_err(|source| ContentError::Write { offset: start + written, source })?;
            written += bytes.len() as u64;
        }
        writer.flush().await.map_err(|source| ContentError::Write { offset: start + written, source })?;
        Ok(written)
    }

    /// Writes the content to a file at `path` (created or truncated; when [`starting_at`](Self::starting_at)
    /// an offset, the file holds only the bytes from there); returns how many bytes were written.
    pub async fn to_path(self, path: impl AsRef<Path>) -> Result<u64, ContentError> {
        let mut file = tokio::fs::File::create(path.as_ref())
            .await
            .map_err(|source| ContentError::Write { offset: self.start, source })?;
        self.to_writer(&mut file).await
    }

    /// The whole content in memory: only for contents known to be small.
    pub async fn bytes(self) -> Result<Bytes, ContentError> {
        let mut all = BytesMut::new();
        let mut stream = self.stream();
        while let Some(bytes) = stream.try_next().await? {
            all.extend_from_slice(&bytes);
        }
        Ok(all.freeze())
    }
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("account_id", &self.contents.account_id)
            .field("source", &self.source)
            .field("chunk_size", &self.chunk_size)
            .field("start", &self.start)
            .field("progress", &self.progress)
            .finish()
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Content(content_id) => f.debug_tuple("Content").field(content_id).finish(),
            Source::Lookup { operation, .. } => f.debug_tuple("Lookup").field(operation).finish(),
        }
    }
}

type ItemStream = BoxStream<'static, Result<Bytes, ContentError>>;

/// A content of the content service in `Range` chunks from `start`.
fn ranged(contents: Contents, content_id: Uuid, chunk: u64, start: u64, progress: ProgressSink) -> ItemStream {
    let fetcher = Fetcher {
        contents,
        content_id,
        chunk,
        offset: start,
        total: None,
        body: None,
        prefetch: None,
        breaks: 0,
        first_break: None,
        progress,
        finished: false,
    };
    futures::stream::unfold(fetcher, |mut fetcher| async move {
        let item = fetcher.next_item().await?;
        Some((item, fetcher))
    })
    .boxed()
}

/// Bytes already at hand, from `start`, in pieces of `chunk` bytes, reporting progress like a
/// ranged download (an offset past the end gives nothing, as a 416 would).
fn inline(bytes: Bytes, chunk: u64, start: u64, progress: ProgressSink) -> ItemStream {
    let total = bytes.len() as u64;
    let mut rest = bytes.slice(start.min(total) as usize..);
    let mut done = start.min(total);
    let mut finished = false;
    futures::stream::poll_fn(move |_| {
        if finished {
            return Poll::Ready(None);
        }
        if rest.is_empty() {
            finished = true;
            progress.report(Progress { done, total: Some(total) });
            return Poll::Ready(None);
        }
        let piece = rest.split_to(rest.len().min(chunk as usize));
        done += piece.len() as u64;
        progress.report(Progress { done, total: Some(total) });
        Poll::Ready(Some(Ok(piece)))
    })
    .boxed()
}

/// The bytes of a content, in order, as they arrive; ends after the last byte or the first error.
#[must_use = "streams do nothing unless polled"]
pub struct ContentStream {
    inner: ItemStream,
}

impl Stream for ContentStream {
    type Item = Result<Bytes, ContentError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for ContentStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContentStream")
    }
}

type BodyStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

/// What the service answered to one `Range` request.
enum Answer {
    /// 206: the bytes `from..end` of a content of `total` bytes (`None`: `*`).
    Range { body: BodyStream, from: u64, end: u64, total: Option<u64>, asked_end: u64 },
    /// 200: the server ignored `Range` and sends the whole content.
    Whole { body: BodyStream, total: Option<u64> },
    /// 416: nothing at or after the asked offset.
    Unsatisfiable,
}

/// The answer body being read.
struct Body {
    stream: BodyStream,
    /// One past the last byte this body carries, when known.
    end: Option<u64>,
    /// Bytes at the start of the body to drop (a whole-content answer read from an offset).
    skip: u64,
}

/// The request for the next chunk, already sent; aborted when no longer wanted.
struct Prefetch {
    from: u64,
    task: tokio::task::JoinHandle<Result<Answer, ContentError>>,
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The state of a download between two items of its stream.
struct Fetcher {
    contents: Contents,
    content_id: Uuid,
    chunk: u64,
    /// The next byte to hand over.
    offset: u64,
    total: Option<u64>,
    body: Option<Body>,
    prefetch: Option<Prefetch>,
    /// Breaks since the last byte arrived, and when the first of them happened.
    breaks: u32,
    first_break: Option<Instant>,
    progress: ProgressSink,
    finished: bool,
}

impl Fetcher {
    async fn next_item(&mut self) -> Option<Result<Bytes, ContentError>> {
        let item = self.advance().await;
        match &item {
            Some(Ok(_)) => {}
            Some(Err(_)) => {
                self.finished = true;
                self.prefetch = None;
                self.body = None;
            }
            None => {
                self.finished = true;
                self.progress.report(Progress { done: self.offset, total: self.total.or(Some(self.offset)) });
            }
        }
        item
    }

    async fn advance(&mut self) -> Option<Result<Bytes, ContentError>> {
        loop {
            if self.finished {
                return None;
            }
            let Some(body) = self.body.as_mut() else {
                if let Some(total) = self.total
                    && self.offset >= total
                {
                    return None;
                }
                if let Err(error) = self.open_next().await {
                    return Some(Err(error));
                }
                continue;
            };
            match body.stream.next().await {
                Some(Ok(mut bytes)) => {
                    if body.skip > 0 {
                        let dropped = body.skip.min(bytes.len() as u64);
                        body.skip -= dropped;
                        bytes = bytes.slice(dropped as usize..);
                        if bytes.is_empty() {
                            continue;
                        }
                    }
                    let len = bytes.len() as u64;
                    if let Some(end) = body.end.or(self.total)
                        && self.offset + len > end
                    {
                        let message = format!("the answer carried bytes past byte {end}");
                        return Some(Err(self.protocol_error(message)));
                    }
                    self.offset += len;
                    self.breaks = 0;
                    self.first_break = None;
                    self.progress.report(Progress { done: self.offset, total: self.total });
                    return Some(Ok(bytes));
                }
                Some(Err(error)) => {
                    self.body = None;
                    let failure = TransportFailure::new(Some(DOWNLOAD_CONTENT), 1, true, error);
                    if let Err(error) = self.pause_after_break(crate::Error::Transport(Box::new(failure)).into()).await
                    {
                        return Some(Err(error));
                    }
                }
                None => {
                    let end = body.end.or(self.total);
                    self.body = None;
                    match end {
                        Some(end) if self.offset < end => {
                            let message = format!("the answer ended at byte {} before byte {end}", self.offset);
                            let error = self.protocol_error(message);
                            if let Err(error) = self.pause_after_break(error).await {
                                return Some(Err(error));
                            }
                        }
                        Some(_) => {}
                        // A whole-content answer of unknown length ends the content.
                        None => {
                            self.total = Some(self.offset);
                            return None;
                        }
                    }
                }
            }
        }
    }

    /// Opens the body that continues at `offset`: the request sent ahead when it fits, or a new one.
    async fn open_next(&mut self) -> Result<(), ContentError> {
        let prefetched = match self.prefetch.take() {
            Some(mut prefetch) if prefetch.from == self.offset => match (&mut prefetch.task).await {
                Ok(answer) => Some(answer),
                Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                Err(_) => None,
            },
            // Still wanted later: the current chunk broke and only its rest is asked for now.
            Some(prefetch) if prefetch.from > self.offset => {
                self.prefetch = Some(prefetch);
                None
            }
            _ => None,
        };
        let answer = match prefetched {
            Some(answer) => answer?,
            None => {
                let limit = self.prefetch.as_ref().map(|prefetch| prefetch.from);
                let to = self.chunk_end(self.offset, limit);
                request(self.contents.clone(), self.content_id, self.offset, to).await?
            }
        };
        match answer {
            Answer::Range { body, from, end, total, asked_end } => {
                if from != self.offset {
                    return Err(self.protocol_error(format!("asked for bytes from {}, got from {from}", self.offset)));
                }
                if let (Some(known), Some(said)) = (self.total, total)
                    && known != said
                {
                    return Err(self.protocol_error(format!("the content was {known} bytes long, now {said}")));
                }
                // A short answer without a total is the end of the content.
                self.total = self.total.or(total).or((end < asked_end).then_some(end));
                self.body = Some(Body { stream: body, end: Some(end), skip: 0 });
                let more = self.total.is_none_or(|total| end < total);
                if more && self.prefetch.is_none() {
                    let to = self.chunk_end(end, None);
                    let task = tokio::spawn(request(self.contents.clone(), self.content_id, end, to));
                    self.prefetch = Some(Prefetch { from: end, task });
                }
            }
            Answer::Whole { body, total } => {
                self.total = self.total.or(total);
                self.prefetch = None;
                self.body = Some(Body { stream: body, end: self.total, skip: self.offset });
            }
            Answer::Unsatisfiable => {
                if let Some(total) = self.total
                    && self.offset < total
                {
                    return Err(self.protocol_error(format!("answered 416 for byte {} of {total}", self.offset)));
                }
                self.total = Some(self.offset);
                self.finished = true;
            }
        }
        Ok(())
    }

    /// The last byte of the chunk starting at `from`: a chunk long, within the content, before `limit`.
    fn chunk_end(&self, from: u64, limit: Option<u64>) -> u64 {
        let mut end = from + self.chunk;
        if let Some(total) = self.total {
            end = end.min(total);
        }
        if let Some(limit) = limit {
            end = end.min(limit);
        }
        end.max(from + 1) - 1
    }

    /// Waits before asking again after a body broke off; `error` when the retry policy is spent.
    async fn pause_after_break(&mut self, error: ContentError) -> Result<(), ContentError> {
        self.breaks += 1;
        let first_break = *self.first_break.get_or_insert_with(Instant::now);
        let policy = self.contents.retry_policy();
        match policy.pause_before_retry(self.breaks, first_break.elapsed(), None) {
            Some(pause) => {
                tracing::info!(offset = self.offset, %error, pause_ms = pause.as_millis() as u64, "content download broke off, asking for the rest");
                tokio::time::sleep(pause).await;
                Ok(())
            }
            None => Err(error),
        }
    }

    fn protocol_error(&self, message: String) -> ContentError {
        ContentError::Protocol { operation: DOWNLOAD_CONTENT, message, trace_id: None }
    }
}

/// Asks for bytes `from..=to` of the content.
async fn request(contents: Contents, content_id: Uuid, from: u64, to: u64) -> Result<Answer, ContentError> {
    let call = contents
        .raw
        .download_content()
        .account_id(contents.account_id)
        .content_id(content_id)
        .range(format!("bytes={from}-{to}"))
        .send()
        .checked();
    let answer = contents.limited(call, to - from + 1).await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) if error.status().is_some_and(|status| status.as_u16() == 416) => {
            return Ok(Answer::Unsatisfiable);
        }
        Err(error) => return Err(error.into()),
    };
    let status = answer.status().as_u16();
    let headers = answer.headers().clone();
    let protocol = |message: String| ContentError::Protocol {
        operation: DOWNLOAD_CONTENT,
        message,
        trace_id: trace_id_of(&headers),
    };
    let body = answer.into_inner().into_inner();
    match status {
        206 => {
            let Some((start, last, total)) = content_range(&headers) else {
                return Err(protocol(format!(
                    "answer 206 without a valid Content-Range ({:?})",
                    headers.get(CONTENT_RANGE)
                )));
            };
            Ok(Answer::Range { body, from: start, end: last + 1, total, asked_end: to + 1 })
        }
        200 => {
            let total =
                headers.get(CONTENT_LENGTH).and_then(|value| value.to_str().ok()).and_then(|text| text.parse().ok());
            Ok(Answer::Whole { body, total })
        }
        other => Err(protocol(format!("unexpected answer {other} to a range request"))),
    }
}

/// `Content-Range: bytes {first}-{last}/{total or *}` as (first, last, total).
fn content_range(headers: &HeaderMap) -> Option<(u64, u64, Option<u64>)> {
    let text = headers.get(CONTENT_RANGE)?.to_str().ok()?.trim();
    let rest = text.strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.trim().split_once('-')?;
    let (first, last): (u64, u64) = (first.trim().parse().ok()?, last.trim().parse().ok()?);
    let total = match total.trim() {
        "*" => None,
        number => Some(number.parse::<u64>().ok()?),
    };
    let valid = first <= last && total.is_none_or(|total| last < total);
    valid.then_some((first, last, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_RANGE, value.parse().unwrap());
        headers
    }

    #[test]
    fn content_range_is_read_with_or_without_a_total() {
        assert_eq!(content_range(&headers("bytes 0-99/1000")), Some((0, 99, Some(1000))));
        assert_eq!(content_range(&headers("bytes 100-199/*")), Some((100, 199, None)));
        assert_eq!(content_range(&headers("bytes 5-4/10")), None, "backwards");
        assert_eq!(content_range(&headers("bytes 0-10/10")), None, "past the total");
        assert_eq!(content_range(&headers("bytes */10")), None, "no range");
        assert_eq!(content_range(&HeaderMap::new()), None);
    }
}
