//! Uploads in parts: streamed from the source in constant memory, a failed part sent again alone,
//! resumable by a later process.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use std::sync::Mutex;

use std::task::{Context, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use futures::{Stream, TryStreamExt};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::progress::{Progress, ProgressSink};
use super::{ContentError, Contents, DEFAULT_PART_SIZE, check_size};
use crate::transport::SendExt;

const UPLOAD_CONTENT: &str = "upload_content";
const UPLOAD_CONTENT_PART: &str = "upload_content_part";

/// Where the bytes of an upload come from.
///
/// A file and bytes know their length; a reader or a stream does not, unless
/// [`Upload::total_len`] declares it (otherwise the last part tells the service the total).
pub struct UploadSource {
    kind: SourceKind,
}

enum SourceKind {
    Reader(Box<dyn AsyncRead + Send + Unpin>),
    Path(PathBuf),
    Bytes(Bytes),
}

impl UploadSource {
    /// Any reader. When resuming ([`Upload::resume_from`]) it must start at the checkpoint's offset.
    pub fn reader(reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        Self { kind: SourceKind::Reader(Box::new(reader)) }
    }

    /// A file, opened when the upload starts; its length is the content's length.
    /// When resuming, reading starts at the checkpoint's offset.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self { kind: SourceKind::Path(path.into()) }
    }

    /// Bytes already in memory. When resuming, the bytes before the checkpoint's offset are skipped.
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        Self { kind: SourceKind::Bytes(bytes.into()) }
    }

    /// A stream of byte chunks. When resuming it must start at the checkpoint's offset.
    pub fn stream<S, E>(stream: S) -> Self
    where
        S: Stream<Item = Result<Bytes, E>> + Send + 'static,
        E: Into<Box<dyn std::error::Error + Send + Sync>> + 'static,
    {
        let reader = tokio_util::io::StreamReader::new(stream.map_err(std::io::Error::other));
        Self::reader(Box::pin(reader))
    }
}

impl From<Bytes> for UploadSource {
    fn from(bytes: Bytes) -> Self {
        Self::bytes(bytes)
    }
}

impl From<Vec<u8>> for UploadSource {
    fn from(bytes: Vec<u8>) -> Self {
        Self::bytes(bytes)
    }
}

impl fmt::Debug for UploadSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            SourceKind::Reader(_) => f.write_str("UploadSource::Reader"),
            SourceKind::Path(path) => f.debug_tuple("UploadSource::Path").field(path).finish(),
            SourceKind::Bytes(bytes) => write!(f, "UploadSource::Bytes({} bytes)", bytes.len()),
        }
    }
}

/// Where an unfinished upload stands: save it, and a later process can finish the upload with
/// [`Upload::resume_from`]. Serializes to JSON (or anything serde speaks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadCheckpoint {
    /// The content being uploaded (the service keeps unfinished uploads for 90 days).
    pub content_id: Uuid,
    /// Every byte before this one has been accepted.
    pub offset: u64,
    /// The content's length, when it was known.
    pub total: Option<u64>,
}

type CheckpointCallback = Arc<dyn Fn(&UploadCheckpoint) + Send + Sync>;

/// An upload being set up; `.await` it for the content id.
///
/// Parts start in order, each of [`part_size`](Self::part_size) bytes (the last may be shorter).
/// The first part starts the upload (`POST`), the others continue it (`PUT`), each with
/// `Content-Range: bytes {from}-{to}/{total}` (`*` for the total while it is unknown).
///
/// A part's bytes are read from the source while its request sends them, 64 KiB at a time, and
/// kept until the service accepts the part (a file's are not kept: a failed part is read from
/// the file again), so about two parts are in memory: by default the next part is read and sent
/// while the answer to the previous one is awaited ([`parts_in_flight`](Self::parts_in_flight)
/// sets how many parts may be on their way, and so in memory). Only the first part of a
/// content of unknown length is read in full before it is sent (a content that fits in one
/// part then goes in one request with its total); later parts are announced whole and, when
/// the source ends within one, it is sent again as the last part with the total. Declaring the length ([`total_len`](Self::total_len);
/// files and bytes know theirs) saves that.
///
/// A part that fails with a connection error, a timeout or a "try later" answer is sent again
/// alone, per the transport's [`RetryPolicy`](crate::transport::RetryPolicy).
///
/// Keeping a part for that costs writing each of its bytes into memory the processor's cache
/// no longer holds: on loopback, `cargo bench --bench contents` measures an upload from a reader
/// at about 0.8x the throughput of bare reqwest streaming (which keeps nothing and can resend
/// nothing), and from a file, whose failed part is read again instead, at about 0.95x. Prefer
/// [`UploadSource::path`] for a file.
///
/// ```no_run
/// # async fn demo(contents: kontur_extern::contents::Contents) -> Result<(), kontur_extern::contents::ContentError> {
/// use kontur_extern::contents::UploadSource;
///
/// let file = tokio::fs::File::open("attachment.pdf").await.expect("the file opens");
/// let content_id = contents
///     .upload(UploadSource::reader(file))
///     .part_size(16 * 1024 * 1024)
///     .on_progress(|progress| println!("{} of {:?} bytes", progress.done, progress.total))
///     .on_checkpoint(|checkpoint| {
///         // Save it (e.g. as JSON) to finish the upload after a restart with `resume_from`.
///         let _saved = serde_json::to_string(checkpoint);
///     })
///     .await?;
/// println!("uploaded as {content_id}");
/// # Ok(()) }
/// ```
#[must_use = "an upload does nothing until awaited"]
pub struct Upload {
    contents: Contents,
    source: UploadSource,
    part_size: usize,
    total_len: Option<u64>,
    resume: Option<UploadCheckpoint>,
    parts_in_flight: usize,
    progress: ProgressSink,
    on_checkpoint: Option<CheckpointCallback>,
}

impl Upload {
    pub(super) fn new(contents: Contents, source: UploadSource) -> Self {
        Self {
            contents,
            source,
            part_size: DEFAULT_PART_SIZE,
            total_len: None,
            resume: None,
            parts_in_flight: 2,
            progress: ProgressSink::default(),
            on_checkpoint: None,
        }
    }

    /// Bytes per part (default [`DEFAULT_PART_SIZE`](super::DEFAULT_PART_SIZE), at most
    /// [`MAX_PART_SIZE`](super::MAX_PART_SIZE); the upload fails at once otherwise).
    pub fn part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes;
        self
    }

    /// How many parts may be on their way at once, each in memory until accepted (1 to
    /// [`MAX_PARTS_IN_FLIGHT`]; other values count as the nearest). 2 (the default) sends the
    /// next part while the answer to the previous one is awaited, which keeps the line busy
    /// instead of idle for a round trip and the service's answer at every part (the service
    /// takes parts in any order; `cargo bench --bench contents` measured about a tenth more
    /// throughput on loopback); more help a line with a long round trip; 1 sends each part only
    /// after the previous one is accepted, so the service receives them strictly in order.
    pub fn parts_in_flight(mut self, parts: usize) -> Self {
        self.parts_in_flight = parts.clamp(1, MAX_PARTS_IN_FLIGHT);
        self
    }

    /// The content's length, for a reader or stream that does not know it; the upload fails
    /// if the source gives more or fewer bytes.
    pub fn total_len(mut self, bytes: u64) -> Self {
        self.total_len = Some(bytes);
        self
    }

    /// Finishes an upload that stopped at `checkpoint` (perhaps in another process): no new
    /// upload is started and only the bytes from `checkpoint.offset` on are sent.
    pub fn resume_from(mut self, checkpoint: UploadCheckpoint) -> Self {
        self.resume = Some(checkpoint);
        self
    }

    /// Calls `callback` after each part the service accepted.
    pub fn on_progress(mut self, callback: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.progress.set_callback(Arc::new(callback));
        self
    }

    /// Sends the progress after each accepted part to `sender` (for a progress bar that polls).
    pub fn progress_watch(mut self, sender: watch::Sender<Progress>) -> Self {
        self.progress.set_watch(sender);
        self
    }

    /// Calls `callback` with where the upload stands after each accepted part; save it to
    /// [`resume_from`](Self::resume_from) later.
    pub fn on_checkpoint(mut self, callback: impl Fn(&UploadCheckpoint) + Send + Sync + 'static) -> Self {
        self.on_checkpoint = Some(Arc::new(callback));
        self
    }

    async fn run(self) -> Result<Uuid, ContentError> {
        let part_size = check_size("part size", self.part_size)?;
        let start = self.resume.as_ref().map_or(0, |checkpoint| checkpoint.offset);
        let (opened, source_len) = open(self.source, start).await?;
        let mut total = self.total_len;
        for known in [source_len, self.resume.as_ref().and_then(|checkpoint| checkpoint.total)].into_iter().flatten() {
            match total {
                Some(declared) if declared != known => {
                    return Err(ContentError::LengthMismatch { declared, actual: known, more: false });
                }
                _ => total = Some(known),
            }
        }
        if let Some(total) = total
            && start > total
        {
            return Err(ContentError::LengthMismatch { declared: total, actual: start, more: true });
        }

        let mut sender = PartSender {
            contents: self.contents,
            content_id: self.resume.as_ref().map(|checkpoint| checkpoint.content_id),
            total,
            progress: self.progress,
            on_checkpoint: self.on_checkpoint,
        };
        if let Some(content_id) = sender.content_id
            && total == Some(start)
        {
            sender.progress.report(Progress { done: start, total });
            return Ok(content_id);
        }
        sender.progress.report(Progress { done: start, total });

        let (source, reread) = match opened {
            Opened::Reader(reader, reread) => (PartSource::Reader(ReaderSlot::Here(reader)), reread),
            Opened::Bytes(bytes) => (PartSource::Bytes(bytes), None),
        };
        let mut parts = PartReader {
            source,
            offset: start,
            total,
            part_size,
            carry: None,
            buffers: BufferPool::default(),
            frames: FramePool::new(part_size, self.parts_in_flight),
            started: false,
            reread,
        };
        let mut part = parts.next().await?.expect("a source gives at least one part");
        if sender.content_id.is_none() && !part.last {
            // The first part alone: its answer names the upload the other parts continue.
            let (sent, next) = futures::join!(send_part(sender.contents.clone(), None, part, total), parts.next());
            let content_id = sender.acknowledge(sent?)?;
            match next? {
                Some(next) => part = next,
                None => return Ok(content_id),
            }
        }
        let mut in_flight = InFlight::default();
        loop {
            let last = part.last;
            let task = send_part(sender.contents.clone(), sender.content_id, part, total);
            in_flight.push(tokio::spawn(task));
            if last {
                let content_id = sender.acknowledge_until(&mut in_flight, 0).await?;
                return Ok(content_id.or(sender.content_id).expect("the last part was answered"));
            }
            // Parts in memory are the ones on their way: the next is read only when one is answered.
            sender.acknowledge_until(&mut in_flight, self.parts_in_flight - 1).await?;
            part = match parts.next().await {
                Ok(Some(next)) => next,
                // The part just sent found the end of the source: it was the last.
                Ok(None) => {
                    let content_id = sender.acknowledge_until(&mut in_flight, 0).await?;
                    return Ok(content_id.or(sender.content_id).expect("the last part was answered"));
                }
                Err(error) => {
                    // Let the parts on their way finish, so the last checkpoint covers them.
                    sender.acknowledge_until(&mut in_flight, 0).await?;
                    return Err(error);
                }
            };
        }
    }
}

/// Parts being sent, oldest first; dropping it stops them.
#[derive(Default)]
struct InFlight {
    tasks: VecDeque<JoinHandle<Result<Sent, ContentError>>>,
}

impl InFlight {
    fn len(&self) -> usize {
        self.tasks.len()
    }

    fn push(&mut self, task: JoinHandle<Result<Sent, ContentError>>) {
        self.tasks.push_back(task);
    }

    /// Waits for the oldest part's answer.
    async fn oldest(&mut self) -> Result<Sent, ContentError> {
        let Some(task) = self.tasks.front_mut() else { unreachable!("waited for a part while none was on its way") };
        let outcome = task.await;
        self.tasks.pop_front();
        match outcome {
            Ok(sent) => sent,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => Err(ContentError::Read { offset: 0, source: std::io::Error::other(error) }),
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl IntoFuture for Upload {
    type Output = Result<Uuid, ContentError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("account_id", &self.contents.account_id)
            .field("source", &self.source)
            .field("part_size", &self.part_size)
            .field("total_len", &self.total_len)
            .field("resume", &self.resume)
            .field("parts_in_flight", &self.parts_in_flight)
            .field("progress", &self.progress)
            .field("on_checkpoint", &self.on_checkpoint.is_some())
            .finish()
    }
}

type BoxedReader = Box<dyn AsyncRead + Send + Unpin>;

/// What an opened source reads from.
enum Opened {
    /// A reader positioned at the start offset, and the file it reads when it can be read again.
    Reader(BoxedReader, Option<PathBuf>),
    /// The whole content in memory (parts are slices of it, from the start offset on).
    Bytes(Bytes),
}

/// The source opened at `start`, and the content's length when the source knows it.
async fn open(source: UploadSource, start: u64) -> Result<(Opened, Option<u64>), ContentError> {
    let read_error = |source| ContentError::Read { offset: start, source };
    match source.kind {
        SourceKind::Reader(reader) => Ok((Opened::Reader(reader, None), None)),
        SourceKind::Bytes(bytes) => {
            let len = bytes.len() as u64;
            Ok((Opened::Bytes(bytes), Some(len)))
        }
        SourceKind::Path(path) => {
            let file = open_at(&path, start).await?;
            let len = file.metadata().await.map_err(read_error)?.len();
            Ok((Opened::Reader(Box::new(file), Some(path)), Some(len)))
        }
    }
}

/// One part: where it starts, how long it is, whether it is the last, and its bytes.
struct Part {
    offset: u64,
    len: u64,
    last: bool,
    body: PartBody,
}

/// The bytes of a part.
enum PartBody {
    /// At hand: read ahead (length unknown) or a slice of bytes in memory. The transport can
    /// send them again itself.
    Buffered(Bytes),
    /// Read from the source while the request sends them (length known): each frame goes to
    /// the socket while it is still in the processor's cache, and is kept for a resend.
    Streamed(Arc<Mutex<Streaming>>),
}

/// Where the reader is: here, or lent to the part being streamed until it has read its bytes.
enum ReaderSlot {
    Here(BoxedReader),
    Lent(oneshot::Receiver<Handback>),
    Gone,
}

/// What a streamed part hands back once it has read its bytes.
enum Handback {
    /// The source, and the byte read past the part (a part of unknown length reads one ahead).
    More(BoxedReader, Option<u8>),
    /// The source ended within or right after the part: it was the last.
    Ended,
}

/// Cuts the source into parts, knowing which one is last before it is sent.
struct PartReader {
    source: PartSource,
    /// The offset of the next byte to read (a carried byte included).
    offset: u64,
    total: Option<u64>,
    part_size: u64,
    /// A byte read ahead to learn that more follows.
    carry: Option<u8>,
    buffers: BufferPool,
    /// Frames of streamed parts.
    frames: FramePool,
    /// Whether the first part was given out.
    started: bool,
    /// The file the source reads, when a failed part can be read from it again.
    reread: Option<PathBuf>,
}

enum PartSource {
    Reader(ReaderSlot),
    /// The whole content; `offset` indexes into it.
    Bytes(Bytes),
}

/// Part buffers used again once the service has them: fresh megabytes cost page faults and the
/// kernel's zeroing, as much work as the copy into them.
#[derive(Clone, Default)]
struct BufferPool {
    idle: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// At most this many buffers wait in the pool: only the first part of a content of unknown
/// length is read ahead into one (the other parts stream).
const IDLE_BUFFERS: usize = 1;

impl BufferPool {
    /// An empty buffer that holds at least `capacity` bytes.
    fn take(&self, capacity: usize) -> Vec<u8> {
        let idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        match idle {
            Some(buffer) if buffer.capacity() >= capacity => buffer,
            _ => Vec::with_capacity(capacity),
        }
    }

    /// `buffer` as [`Bytes`] that returns it to the pool when the last copy is dropped.
    fn share(&self, buffer: Vec<u8>) -> Bytes {
        Bytes::from_owner(PooledBuffer { buffer, pool: self.clone() })
    }
}

/// A part's bytes on their way; back to the pool when dropped.
struct PooledBuffer {
    buffer: Vec<u8>,
    pool: BufferPool,
}

impl AsRef<[u8]> for PooledBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.buffer
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        let mut buffer = std::mem::take(&mut self.buffer);
        buffer.clear();
        let mut idle = self.pool.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if idle.len() < IDLE_BUFFERS {
            idle.push(buffer);
        }
    }
}

impl PartReader {
    /// The next part, or `None` when the part before turned out to be the last.
    async fn next(&mut self) -> Result<Option<Part>, ContentError> {
        let offset = self.offset;
        let first = !self.started;
        self.started = true;
        let reader = match &mut self.source {
            PartSource::Bytes(all) => {
                // A declared length that differs from the bytes' was refused before the first part.
                let total = all.len() as u64;
                let len = self.part_size.min(total.saturating_sub(offset));
                let bytes = all.slice(offset as usize..(offset + len) as usize);
                self.offset += len;
                return Ok(Some(Part { offset, len, last: self.offset == total, body: PartBody::Buffered(bytes) }));
            }
            PartSource::Reader(slot) => match std::mem::replace(slot, ReaderSlot::Gone) {
                ReaderSlot::Here(reader) => reader,
                ReaderSlot::Lent(back) => match back.await {
                    Ok(Handback::More(reader, carry)) => {
                        self.carry = carry;
                        reader
                    }
                    Ok(Handback::Ended) => return Ok(None),
                    Err(_) => {
                        let source = std::io::Error::other("the part before failed before its bytes were read");
                        return Err(ContentError::Read { offset, source });
                    }
                },
                ReaderSlot::Gone => unreachable!("the reader is lent to one part at a time"),
            },
        };
        let streamed = match self.total {
            // A known length: every part's length is known before it is read.
            Some(total) if total > offset => {
                let len = self.part_size.min(total - offset);
                Some((len, offset + len == total))
            }
            Some(_) => None,
            // An unknown length: the first part is read ahead (most contents fit in one); the
            // next ones, which start with the byte read past the one before, stream a whole part
            // and learn at its end whether the source goes on.
            None if !first && self.carry.is_some() => Some((self.part_size, false)),
            None => None,
        };
        if let Some((len, last)) = streamed {
            let (give_back, back) = oneshot::channel();
            self.source = PartSource::Reader(ReaderSlot::Lent(back));
            self.offset += len;
            let mut frame = self.frames.take();
            frame.extend(self.carry.take());
            let streaming = Streaming {
                reader: Some(reader),
                give_back: Some(give_back),
                offset,
                len,
                read: 0,
                total: self.total,
                last,
                frame,
                frames: Vec::new(),
                pool: self.frames.clone(),
                failure: None,
                ended: None,
                reread: self.reread.clone(),
            };
            return Ok(Some(Part { offset, len, last, body: PartBody::Streamed(Arc::new(Mutex::new(streaming))) }));
        }
        self.source = PartSource::Reader(ReaderSlot::Here(reader));
        if !first && self.total.is_none() {
            // Nothing was read past the part before: it was the last.
            return Ok(None);
        }
        let bytes = self.read_buffered().await?;
        let last = match self.total {
            Some(_) => true,
            None => self.carry.is_none(),
        };
        Ok(Some(Part { offset, len: bytes.len() as u64, last, body: PartBody::Buffered(bytes) }))
    }

    fn reader(&mut self) -> &mut BoxedReader {
        match &mut self.source {
            PartSource::Reader(ReaderSlot::Here(reader)) => reader,
            _ => unreachable!("parts of unknown length are read by the part reader itself"),
        }
    }

    /// Reads the next part into a pooled buffer: for a source of unknown length (the part's
    /// length, and whether it is the last, must be known before it is sent), or the empty rest
    /// of a known length. Sets `carry` when more follows.
    async fn read_buffered(&mut self) -> Result<Bytes, ContentError> {
        let offset = self.offset;
        let want = match self.total {
            Some(total) => self.part_size.min(total.saturating_sub(offset)),
            None => self.part_size,
        };
        let mut buffer = self.buffers.take(want as usize);
        if let Some(byte) = self.carry.take() {
            buffer.push(byte);
        }
        let mut at_end = false;
        while (buffer.len() as u64) < want {
            let mut limited = self.reader().take(want - buffer.len() as u64);
            let read = limited
                .read_buf(&mut buffer)
                .await
                .map_err(|source| ContentError::Read { offset: offset + buffer.len() as u64, source })?;
            if read == 0 {
                at_end = true;
                break;
            }
        }
        let end = offset + buffer.len() as u64;
        self.offset = end;
        match self.total {
            Some(total) => {
                if end != total {
                    return Err(ContentError::LengthMismatch { declared: total, actual: end, more: false });
                }
                if !at_end && self.read_ahead().await?.is_some() {
                    return Err(ContentError::LengthMismatch { declared: total, actual: total + 1, more: true });
                }
            }
            None if at_end => {}
            None => self.carry = self.read_ahead().await?,
        }
        Ok(self.buffers.share(buffer))
    }

    /// One more byte, or `None` at the end of the source.
    async fn read_ahead(&mut self) -> Result<Option<u8>, ContentError> {
        let mut byte = [0u8; 1];
        let offset = self.offset;
        loop {
            match self.reader().read(&mut byte).await {
                Ok(0) => return Ok(None),
                Ok(_) => return Ok(Some(byte[0])),
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(ContentError::Read { offset, source });
                }
            }
        }
    }
}

/// The most parts an upload sends at once (see [`Upload::parts_in_flight`]).
pub const MAX_PARTS_IN_FLIGHT: usize = 8;

/// Bytes per frame of a streamed part: small enough to stay in the processor's cache between
/// the read that writes them and the socket write that copies them.
const FRAME: usize = 64 * 1024;

/// A part being read from the source as its request is sent; shared by the request body and
/// the task that sends the part (which finishes reading it for a resend when the request failed).
///
/// Of a content of known length, every part's length is known, and the last checks that the
/// source ends with it. Of an unknown length, a part is announced whole (`bytes a-b/*`) and
/// reads one byte past its end: when that byte is there it starts the next part; when the
/// source ends instead, the body breaks off before its last frame (so the service never takes
/// a part whose range would not name the total) and the part is sent again as the last one,
/// with the bytes it got and the total.
struct Streaming {
    /// The source while this part reads it; handed back through `give_back` at the part's end.
    reader: Option<BoxedReader>,
    give_back: Option<oneshot::Sender<Handback>>,
    /// Where the part starts in the content, its length, and how much of it was read.
    offset: u64,
    len: u64,
    read: u64,
    /// The content's length, when known.
    total: Option<u64>,
    last: bool,
    /// The frame being read (an unknown length's part starts with the byte read past the one before).
    frame: BytesMut,
    /// Every frame read so far, for a resend.
    frames: Vec<Bytes>,
    /// Where the frames go once the part is accepted, and new frames come from.
    pool: FramePool,
    /// Why reading the source failed (the request then fails; this is the upload's error).
    failure: Option<ContentError>,
    /// Of an unknown length: the source ended after this many bytes of the part.
    ended: Option<u64>,
    /// The file to read a failed part from again. Then no frame is kept: holding a part's
    /// frames means writing every frame into memory gone cold, which costs about a tenth of
    /// the throughput (measured with `cargo bench --bench contents`).
    reread: Option<PathBuf>,
}

impl Streaming {
    /// The next frame of the part, read from the source; `None` after the part's last byte.
    fn poll_frame(&mut self, cx: &mut Context<'_>) -> Poll<Option<std::io::Result<Bytes>>> {
        if self.failure.is_some() {
            return Poll::Ready(Some(Err(std::io::Error::other("reading the content to upload failed"))));
        }
        if self.ended.is_some() {
            return Poll::Ready(Some(Err(std::io::Error::other("the content ended within this part"))));
        }
        let need = self.len - self.read;
        if need == 0 {
            return Poll::Ready(None);
        }
        let want = need.min(FRAME as u64) as usize;
        // The frame that ends a part also reads one byte more: it must not be there after the
        // last part of a known length, and says whether an unknown length goes on.
        let check_end = want as u64 == need && (self.last || self.total.is_none());
        let Some(reader) = self.reader.as_mut() else {
            return Poll::Ready(Some(Err(std::io::Error::other("the part's source was given back"))));
        };
        let at = self.offset + self.read;
        let mut carry = None;
        loop {
            let filled = self.frame.len();
            let limit = if filled < want {
                want - filled
            } else if check_end {
                1
            } else {
                break;
            };
            if self.frame.capacity() - filled < limit {
                if filled == 0 {
                    self.frame = self.pool.take();
                }
                if self.frame.capacity() - filled < limit {
                    self.frame.reserve(FRAME.max(limit));
                }
            }
            let mut room = (&mut self.frame).limit(limit);
            match tokio_util::io::poll_read_buf(Pin::new(&mut *reader), cx, &mut room) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(error)) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Poll::Ready(Err(source)) => {
                    self.failure = Some(ContentError::Read { offset: at + filled as u64, source });
                    return self.poll_frame(cx);
                }
                Poll::Ready(Ok(0)) => match self.total {
                    Some(declared) if filled < want => {
                        self.failure =
                            Some(ContentError::LengthMismatch { declared, actual: at + filled as u64, more: false });
                        return self.poll_frame(cx);
                    }
                    Some(_) => break,
                    None => {
                        let rest = self.frame.split().freeze();
                        self.read += rest.len() as u64;
                        if !rest.is_empty() {
                            self.frames.push(rest);
                        }
                        self.ended = Some(self.read);
                        self.reader = None;
                        if let Some(give_back) = self.give_back.take() {
                            let _ = give_back.send(Handback::Ended);
                        }
                        return self.poll_frame(cx);
                    }
                },
                Poll::Ready(Ok(_)) if self.frame.len() > want => match self.total {
                    Some(declared) => {
                        self.failure =
                            Some(ContentError::LengthMismatch { declared, actual: declared + 1, more: true });
                        return self.poll_frame(cx);
                    }
                    None => {
                        carry = Some(self.frame[want]);
                        self.frame.truncate(want);
                        break;
                    }
                },
                Poll::Ready(Ok(_)) => {}
            }
        }
        let bytes = self.frame.split_to(want).freeze();
        self.read += want as u64;
        if self.reread.is_none() {
            self.frames.push(bytes.clone());
        }
        if self.read == self.len
            && let (Some(reader), Some(give_back)) = (self.reader.take(), self.give_back.take())
        {
            // The next part may read on while this one is still being sent.
            let _ = give_back.send(Handback::More(reader, carry));
        }
        Poll::Ready(Some(Ok(bytes)))
    }

    /// Gives up the source: the next part learns that this one failed.
    fn abandon(&mut self) {
        self.reader = None;
        self.give_back = None;
    }

    /// Every byte read of the part, as one buffer for a resend.
    fn take_bytes(&mut self) -> Bytes {
        let mut all = BytesMut::with_capacity(self.read as usize);
        for frame in std::mem::take(&mut self.frames) {
            all.extend_from_slice(&frame);
        }
        all.freeze()
    }
}

/// A frame's room: a whole frame and the byte read past a part's end.
const FRAME_CAPACITY: usize = FRAME + 1;

/// Frame buffers of streamed parts, used again once their part is accepted. A part's frames
/// freed together would go back to the allocator, which can return the pages to the kernel and
/// then fault them in, zeroed, for the next part: as much work as the copy into them.
#[derive(Clone)]
struct FramePool {
    idle: Arc<Mutex<Vec<BytesMut>>>,
    /// At most this many frames wait here: those of every part that can be in memory at once
    /// (the parts on their way and the one being read), which exist at that moment anyway.
    keep: usize,
}

impl FramePool {
    fn new(part_size: u64, parts_in_flight: usize) -> Self {
        let keep = ((part_size as usize).div_ceil(FRAME) + 1) * (parts_in_flight + 1);
        Self { idle: Arc::default(), keep }
    }

    /// An empty frame buffer.
    fn take(&self) -> BytesMut {
        let idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop();
        idle.unwrap_or_else(|| BytesMut::with_capacity(FRAME_CAPACITY))
    }

    /// Takes back the frames of an accepted part that nothing else holds.
    fn recycle(&self, frames: Vec<Bytes>) {
        let mut idle = self.idle.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for frame in frames {
            if idle.len() >= self.keep {
                break;
            }
            if let Ok(mut buffer) = frame.try_into_mut() {
                buffer.clear();
                // The sole owner again: this takes back the whole allocation without a new one.
                buffer.reserve(FRAME_CAPACITY);
                idle.push(buffer);
            }
        }
    }
}

/// The request body of a streamed part: its exact length, so it goes with `Content-Length`.
struct StreamedBody {
    shared: Arc<Mutex<Streaming>>,
    len: u64,
}

impl http_body::Body for StreamedBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        let mut streaming = self.shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        streaming.poll_frame(cx).map(|frame| frame.map(|bytes| bytes.map(http_body::Frame::data)))
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.len)
    }
}

/// Reads the rest of a streamed part whose request failed: all its bytes, for a resend, and
/// whether the source ended within it (it is then the last part).
async fn finish_reading(shared: Arc<Mutex<Streaming>>) -> Result<(Bytes, bool), ContentError> {
    futures::future::poll_fn(|cx| {
        let mut streaming = shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            match streaming.poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(_))) => continue,
                Poll::Ready(Some(Err(_))) | Poll::Ready(None) => return Poll::Ready(()),
            }
        }
    })
    .await;
    let (ended, kept) = {
        let mut streaming = shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(failure) = streaming.failure.take() {
            streaming.abandon();
            return Err(failure);
        }
        let kept = match streaming.reread.clone() {
            Some(path) => Err((path, streaming.offset, streaming.read)),
            None => Ok(streaming.take_bytes()),
        };
        (streaming.ended.is_some(), kept)
    };
    let bytes = match kept {
        Ok(bytes) => bytes,
        Err((path, offset, len)) => read_again(&path, offset, len).await?,
    };
    Ok((bytes, ended))
}

/// The file at `path`, positioned at byte `offset`.
async fn open_at(path: &std::path::Path, offset: u64) -> Result<tokio::fs::File, ContentError> {
    let read_error = |source| ContentError::Read { offset, source };
    let mut file = tokio::fs::File::open(path).await.map_err(read_error)?;
    if offset > 0 {
        file.seek(std::io::SeekFrom::Start(offset)).await.map_err(read_error)?;
    }
    Ok(file)
}

/// Bytes `offset..offset + len` of the file at `path`, for a part sent again.
async fn read_again(path: &std::path::Path, offset: u64, len: u64) -> Result<Bytes, ContentError> {
    let read_error = |source| ContentError::Read { offset, source };
    let mut file = open_at(path, offset).await?;
    let len = usize::try_from(len).map_err(|_| read_error(std::io::Error::other("a part too large for memory")))?;
    let mut bytes = vec![0; len];
    file.read_exact(&mut bytes).await.map_err(read_error)?;
    Ok(Bytes::from(bytes))
}

/// What the service said to one part.
struct Sent {
    content_id: Uuid,
    /// One past the part's last byte.
    end: u64,
    /// The total named in the part's range, if any.
    total: Option<u64>,
    operation: &'static str,
    trace_id: Option<String>,
}

/// Sends one part: the first (`content_id` `None`) starts the upload, the others continue it.
///
/// A streamed part cannot be sent again by the transport (its body is read once). When its
/// request fails in a way worth retrying (no answer, a "try later" status, a 401 the transport
/// could not repeat), the rest of the part is read, and the part is sent again, as bytes the
/// transport retries per its policy: read again from its file, or from the frames kept of a
/// source that cannot be read twice.
async fn send_part(
    contents: Contents,
    content_id: Option<Uuid>,
    part: Part,
    total: Option<u64>,
) -> Result<Sent, ContentError> {
    let Part { offset, len, last, body } = part;
    let shared = match body {
        PartBody::Buffered(bytes) => {
            return send_bytes(&contents, content_id, offset, len, last, total, reqwest::Body::from(bytes)).await;
        }
        PartBody::Streamed(shared) => shared,
    };
    let started = std::time::Instant::now();
    let body = reqwest::Body::wrap(StreamedBody { shared: shared.clone(), len });
    let outcome = send_bytes(&contents, content_id, offset, len, last, total, body).await;
    let pause = {
        let mut streaming = shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(failure) = streaming.failure.take() {
            streaming.abandon();
            return Err(failure);
        }
        if streaming.ended.is_some() {
            // Not an error: the source ended within this part, announced whole; send it again
            // as the last part (below, at once).
            None
        } else {
            let error = match outcome {
                Ok(sent) if streaming.read == len => {
                    let frames = std::mem::take(&mut streaming.frames);
                    streaming.pool.recycle(frames);
                    return Ok(sent);
                }
                Ok(sent) => {
                    streaming.abandon();
                    return Err(ContentError::Protocol {
                        operation: sent.operation,
                        message: format!("the part at byte {offset} was answered before its {len} bytes were sent"),
                        trace_id: sent.trace_id,
                    });
                }
                Err(error) => error,
            };
            let worth_retrying = match &error {
                ContentError::Call(call) => {
                    call.status().is_none_or(|status| matches!(status.as_u16(), 401 | 408 | 429 | 502 | 503 | 504))
                }
                _ => false,
            };
            let policy = contents.retry_policy();
            let pause = if worth_retrying { policy.pause_before_retry(1, started.elapsed(), None) } else { None };
            let Some(pause) = pause else {
                streaming.abandon();
                return Err(error);
            };
            tracing::info!(offset, %error, pause_ms = pause.as_millis() as u64, "a streamed content part failed, sending it again");
            Some(pause)
        }
    };
    let (bytes, ended) = finish_reading(shared).await?;
    if let Some(pause) = pause {
        tokio::time::sleep(pause).await;
    }
    let (len, last) = if ended { (bytes.len() as u64, true) } else { (len, last) };
    send_bytes(&contents, content_id, offset, len, last, total, reqwest::Body::from(bytes)).await
}

/// Sends the `len` bytes of `body` from byte `offset` as one request.
async fn send_bytes(
    contents: &Contents,
    content_id: Option<Uuid>,
    offset: u64,
    len: u64,
    last: bool,
    total: Option<u64>,
    body: reqwest::Body,
) -> Result<Sent, ContentError> {
    let end = offset + len;
    if len == 0 && content_id.is_some() {
        // A resumed upload whose source has nothing past the checkpoint: no range can finish it.
        let source = std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "nothing to send after the checkpoint");
        return Err(ContentError::Read { offset, source });
    }
    // The last part always names the total: that is how the service learns it when unknown.
    let total = total.or(last.then_some(end));
    let range = (len > 0).then(|| {
        let total = total.map_or_else(|| "*".to_owned(), |total| total.to_string());
        format!("bytes {}-{}/{}", offset, end - 1, total)
    });
    let raw = &contents.raw;
    let (operation, answer) = match content_id {
        None => {
            let mut call = raw.upload_content().account_id(contents.account_id).body(body);
            if let Some(range) = range {
                call = call.content_range(range);
            }
            // A repeated first part at worst leaves an unused upload behind on the service.
            (UPLOAD_CONTENT, contents.limited(call.send().checked(), len).retry_safe().await)
        }
        Some(content_id) => {
            let call = raw
                .upload_content_part()
                .account_id(contents.account_id)
                .content_id(content_id)
                .content_range(range.unwrap_or_default())
                .body(body);
            (UPLOAD_CONTENT_PART, contents.limited(call.send().checked(), len).await)
        }
    };
    let answer = answer.map_err(|error| match error.status() {
        Some(status) if status.as_u16() == 413 => ContentError::PartTooLarge { part_size: len, source: error },
        _ => ContentError::Call(error),
    })?;
    let trace_id = crate::error::trace_id_of(answer.headers());
    if last && answer.status().as_u16() != 201 {
        tracing::debug!(content_id = ?content_id, "the last part was answered 200, not 201");
    }
    Ok(Sent { content_id: answer.into_inner().id, end, total, operation, trace_id })
}

/// Takes the answers to the parts in order and keeps the upload's id, progress and checkpoints.
struct PartSender {
    contents: Contents,
    content_id: Option<Uuid>,
    total: Option<u64>,
    progress: ProgressSink,
    on_checkpoint: Option<CheckpointCallback>,
}

impl PartSender {
    /// Records that every byte before `sent.end` is accepted; returns the content id.
    /// Takes the answers of the parts on their way, oldest first, until at most `keep` remain;
    /// gives the content id of the last one taken.
    async fn acknowledge_until(&mut self, in_flight: &mut InFlight, keep: usize) -> Result<Option<Uuid>, ContentError> {
        let mut content_id = None;
        while in_flight.len() > keep {
            content_id = Some(self.acknowledge(in_flight.oldest().await?)?);
        }
        Ok(content_id)
    }

    fn acknowledge(&mut self, sent: Sent) -> Result<Uuid, ContentError> {
        let content_id = match self.content_id {
            Some(ours) if ours != sent.content_id => {
                return Err(ContentError::Protocol {
                    operation: sent.operation,
                    message: format!("a part of content {ours} was answered with content id {}", sent.content_id),
                    trace_id: sent.trace_id,
                });
            }
            _ => sent.content_id,
        };
        self.content_id = Some(content_id);
        let total = self.total.or(sent.total);
        self.progress.report(Progress { done: sent.end, total });
        if let Some(callback) = &self.on_checkpoint {
            callback(&UploadCheckpoint { content_id, offset: sent.end, total });
        }
        Ok(content_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_of_an_accepted_part_are_used_again_unless_something_still_holds_them() {
        let pool = FramePool::new(FRAME as u64, 1);
        let mut frame = pool.take();
        assert!(frame.capacity() >= FRAME_CAPACITY);
        frame.extend_from_slice(b"frame bytes");
        let address = frame.as_ptr();
        let sent = frame.split().freeze();
        drop(frame);
        let held = pool.take().split().freeze();
        let still_held = held.clone();

        pool.recycle(vec![sent, held]);

        let again = pool.take();
        assert_eq!(again.as_ptr(), address, "the same allocation is filled again");
        assert!(again.is_empty() && again.capacity() >= FRAME_CAPACITY);
        assert!(pool.idle.lock().unwrap().is_empty(), "a frame still held elsewhere is not taken back");
        drop(still_held);
    }

    #[test]
    fn a_part_buffer_returns_to_the_pool_when_its_last_copy_is_dropped() {
        let pool = BufferPool::default();
        let mut buffer = pool.take(1024);
        buffer.extend_from_slice(b"part");
        let address = buffer.as_ptr();
        let bytes = pool.share(buffer);
        let copy = bytes.clone();
        drop(bytes);
        assert!(pool.idle.lock().unwrap().is_empty(), "a copy is still on its way");
        assert_eq!(&copy[..], b"part");
        drop(copy);

        let again = pool.take(1024);
        assert_eq!(again.as_ptr(), address, "the same allocation is filled again");
        assert!(again.is_empty());
        assert!(pool.take(1024).capacity() >= 1024, "an empty pool allocates");
    }
}
