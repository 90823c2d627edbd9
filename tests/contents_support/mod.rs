//! A fake content service on loopback for the contents tests and benchmark.
//!
//! Contents are a fixed pseudo-random pattern (byte `i` is `TABLE[i % PERIOD]`), so the server
//! serves any range and checks any uploaded part without holding contents in memory, and a
//! part placed at the wrong offset does not match. Faults (a 503, a 413, a body cut mid-way,
//! `Range` ignored) are switched on per server.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, ReadBuf};
use tokio::net::TcpListener;
use uuid::Uuid;

/// The pattern repeats every this many bytes: a prime, so no part or chunk size lines up with it.
pub const PERIOD: usize = 65_521;
/// The longest frame the server sends.
const FRAME: usize = 64 * 1024;

/// `PERIOD` pseudo-random bytes followed by the first `FRAME` of them again, so every frame is one slice.
static TABLE: LazyLock<Bytes> = LazyLock::new(|| {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut table: Vec<u8> = (0..PERIOD)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let period: Vec<u8> = table.clone();
    table.extend(period.iter().cycle().take(FRAME));
    Bytes::from(table)
});

/// `len` bytes of the pattern from `offset`, sliced without copying when `len <= FRAME`.
pub fn pattern(offset: u64, len: usize) -> Bytes {
    let start = (offset % PERIOD as u64) as usize;
    if len <= FRAME {
        return TABLE.slice(start..start + len);
    }
    let mut bytes = vec![0; len];
    fill(offset, &mut bytes);
    Bytes::from(bytes)
}

/// Fills `buffer` with the pattern from `offset`.
pub fn fill(offset: u64, buffer: &mut [u8]) {
    let mut done = 0;
    while done < buffer.len() {
        let start = ((offset + done as u64) % PERIOD as u64) as usize;
        let n = (PERIOD - start).min(buffer.len() - done);
        buffer[done..done + n].copy_from_slice(&TABLE[start..start + n]);
        done += n;
    }
}

/// Whether `data` is the pattern from `offset`.
pub fn matches(offset: u64, data: &[u8]) -> bool {
    let mut done = 0;
    while done < data.len() {
        let start = ((offset + done as u64) % PERIOD as u64) as usize;
        let n = (PERIOD - start).min(data.len() - done);
        if data[done..done + n] != TABLE[start..start + n] {
            return false;
        }
        done += n;
    }
    true
}

/// The pattern from `offset` to `end` as a reader, optionally failing when it reaches `fail_at`.
pub struct PatternReader {
    offset: u64,
    end: u64,
    fail_at: Option<u64>,
}

impl PatternReader {
    pub fn new(offset: u64, end: u64) -> Self {
        Self { offset, end, fail_at: None }
    }

    /// Fails with an I/O error instead of giving byte `offset` (a process that died mid-upload).
    pub fn failing_at(mut self, offset: u64) -> Self {
        self.fail_at = Some(offset);
        self
    }
}

impl AsyncRead for PatternReader {
    fn poll_read(mut self: Pin<&mut Self>, _: &mut Context<'_>, buffer: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let stop = self.fail_at.map_or(self.end, |fail_at| fail_at.min(self.end));
        if self.offset >= stop && self.fail_at.is_some_and(|fail_at| self.offset >= fail_at) {
            return Poll::Ready(Err(io::Error::other("the source broke")));
        }
        let n = ((stop - self.offset) as usize).min(buffer.remaining());
        // Copied straight into the caller's (possibly uninitialised) memory: zeroing it first
        // would cost a reader of big buffers more than one of small ones.
        let mut done = 0;
        while done < n {
            let start = ((self.offset + done as u64) % PERIOD as u64) as usize;
            let len = (PERIOD - start).min(n - done);
            buffer.put_slice(&TABLE[start..start + len]);
            done += len;
        }
        self.offset += n as u64;
        Poll::Ready(Ok(()))
    }
}

/// The pattern from `offset` for `len` bytes, as a stream of frames.
pub fn pattern_stream(offset: u64, len: u64) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    futures::stream::unfold(offset, move |at| async move {
        let end = offset + len;
        (at < end).then(|| {
            let n = ((end - at) as usize).min(FRAME);
            (Ok(pattern(at, n)), at + n as u64)
        })
    })
}

/// What the server is to do wrong.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Answer this upload request (0 = the first) with 503, once.
    pub fail_upload_request: Option<usize>,
    /// Answer this upload request (0 = the first) with 503 before reading its body, once.
    pub refuse_upload_body: Option<usize>,
    /// Answer 413 to parts longer than this.
    pub max_part: Option<u64>,
    /// The first download answer that covers this byte breaks off just before it.
    pub cut_download_at: Option<u64>,
    /// Answer every download with 200 and the whole content.
    pub ignore_range: bool,
    /// Say `*` instead of the total in `Content-Range`.
    pub hide_total: bool,
    /// Skip checking uploaded bytes against the pattern (benchmarks).
    pub skip_upload_check: bool,
    /// Answer every upload request this long after its body was read (a slow line, whose
    /// bytes the sender's socket buffer took at once).
    pub answer_upload_after: Option<std::time::Duration>,
}

/// One request the server saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    pub method: String,
    /// `Content-Range` of an upload, `Range` of a download.
    pub range: Option<String>,
    pub body_len: u64,
    pub status: u16,
    /// The uploaded bytes are the pattern at their range.
    pub intact: bool,
}

#[derive(Default)]
struct Upload {
    total: Option<u64>,
    /// Received ranges, start → end (exclusive); a part sent again replaces itself.
    parts: BTreeMap<u64, u64>,
    intact: bool,
}

struct State {
    faults: Mutex<Faults>,
    content_len: u64,
    seen: Mutex<Vec<Seen>>,
    uploads: Mutex<HashMap<Uuid, Upload>>,
    upload_requests: AtomicUsize,
}

/// The running server; it stops when the test's runtime ends.
pub struct FakeContentService {
    addr: SocketAddr,
    state: Arc<State>,
}

impl FakeContentService {
    /// Serves downloads of a `content_len`-byte content and takes uploads of any length.
    pub async fn start(content_len: u64, faults: Faults) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let addr = listener.local_addr().expect("the port");
        let state = Arc::new(State {
            faults: Mutex::new(faults),
            content_len,
            seen: Mutex::default(),
            uploads: Mutex::default(),
            upload_requests: AtomicUsize::new(0),
        });
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(state.clone(), request));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, state }
    }

    /// `http://127.0.0.1:{port}`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in the order they were answered.
    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Replaces what the server is to do wrong from now on.
    #[allow(dead_code)] // not every test binary that shares this module uses it
    pub fn set_faults(&self, faults: Faults) {
        *self.state.faults.lock().unwrap() = faults;
    }

    /// Forgets the requests seen so far.
    pub fn clear_seen(&self) {
        self.state.seen.lock().unwrap().clear();
    }

    /// Bytes received for upload `id` (distinct ranges), whether all of them were the pattern,
    /// and the total the client declared.
    pub fn upload(&self, id: Uuid) -> Option<(u64, bool, Option<u64>)> {
        let uploads = self.state.uploads.lock().unwrap();
        let upload = uploads.get(&id)?;
        let received = upload.parts.iter().map(|(from, end)| end - from).sum();
        Some((received, upload.intact, upload.total))
    }
}

type Body = UnsyncBoxBody<Bytes, io::Error>;

fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed_unsync()
}

fn answer(status: StatusCode, json: serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("x-kontur-trace-id", "fake-trace")
        .body(full(json.to_string()))
        .unwrap()
}

fn error(status: StatusCode, message: &str) -> Response<Body> {
    answer(status, serde_json::json!({ "id": "urn:error:fake", "status-code": status.as_u16(), "message": message }))
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let segments: Vec<String> = request.uri().path().split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    let method = request.method().as_str().to_owned();
    let id = segments.get(3).and_then(|text| text.parse::<Uuid>().ok());
    let response = match (method.as_str(), segments.len()) {
        ("POST", 3) => upload(&state, None, request).await,
        ("PUT", 4) if id.is_some() => upload(&state, id, request).await,
        ("GET", 4) => download(&state, request),
        _ => error(StatusCode::NOT_FOUND, "no such route"),
    };
    Ok(response)
}

/// `bytes {first}-{last}/{total or *}`.
fn parse_content_range(text: &str) -> Option<(u64, u64, Option<u64>)> {
    let (range, total) = text.strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let total = if total == "*" { None } else { Some(total.parse().ok()?) };
    Some((first.parse().ok()?, last.parse().ok()?, total))
}

async fn upload(state: &State, id: Option<Uuid>, request: Request<Incoming>) -> Response<Body> {
    let index = state.upload_requests.fetch_add(1, Ordering::SeqCst);
    let method = request.method().as_str().to_owned();
    let range_text = request.headers().get("content-range").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let range = range_text.as_deref().and_then(parse_content_range);
    let check = !state.faults.lock().unwrap().skip_upload_check;
    let start = range.map_or(0, |(first, _, _)| first);
    {
        let mut faults = state.faults.lock().unwrap();
        if faults.refuse_upload_body == Some(index) {
            faults.refuse_upload_body = None;
            let seen = Seen { method, range: range_text, body_len: 0, status: 503, intact: true };
            state.seen.lock().unwrap().push(seen);
            return error(StatusCode::SERVICE_UNAVAILABLE, "try later");
        }
    }

    let mut body = request.into_body();
    let (mut len, mut intact) = (0u64, true);
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return error(StatusCode::BAD_REQUEST, "the body broke off");
        };
        if let Ok(data) = frame.into_data() {
            if check && intact && !matches(start + len, &data) {
                intact = false;
            }
            len += data.len() as u64;
        }
    }

    let pause = state.faults.lock().unwrap().answer_upload_after;
    if let Some(pause) = pause {
        tokio::time::sleep(pause).await;
    }
    let status = {
        let mut faults = state.faults.lock().unwrap();
        if faults.fail_upload_request == Some(index) {
            faults.fail_upload_request = None;
            Err(error(StatusCode::SERVICE_UNAVAILABLE, "try later"))
        } else if faults.max_part.is_some_and(|max| len > max) {
            Err(error(StatusCode::PAYLOAD_TOO_LARGE, "A part may not exceed the limit"))
        } else if range.is_some_and(|(first, last, _)| last + 1 - first != len)
            || (range_text.is_some() && range.is_none())
        {
            Err(error(StatusCode::BAD_REQUEST, "Content-Range does not match the body"))
        } else {
            Ok(())
        }
    };
    let record =
        |status: u16| Seen { method: method.clone(), range: range_text.clone(), body_len: len, status, intact };
    if let Err(response) = status {
        state.seen.lock().unwrap().push(record(response.status().as_u16()));
        return response;
    }

    let mut uploads = state.uploads.lock().unwrap();
    let id = match id {
        Some(id) if uploads.contains_key(&id) => id,
        Some(_) => {
            state.seen.lock().unwrap().push(record(404));
            return error(StatusCode::NOT_FOUND, "no such upload");
        }
        None => {
            let id = Uuid::new_v4();
            uploads.insert(id, Upload { intact: true, ..Upload::default() });
            id
        }
    };
    let upload = uploads.get_mut(&id).unwrap();
    let (first, total) = match range {
        Some((first, _, total)) => (first, total),
        None => (0, Some(len)),
    };
    if len > 0 {
        upload.parts.insert(first, first + len);
    }
    upload.total = upload.total.or(total);
    upload.intact &= intact;
    let received: u64 = upload.parts.iter().map(|(from, end)| end - from).sum();
    let complete = upload.total == Some(received);
    let status = if complete { StatusCode::CREATED } else { StatusCode::OK };
    state.seen.lock().unwrap().push(record(status.as_u16()));
    answer(status, serde_json::json!({ "id": id }))
}

/// `bytes={first}-{last}`.
fn parse_range(text: &str) -> Option<(u64, u64)> {
    let (first, last) = text.strip_prefix("bytes=")?.split_once('-')?;
    Some((first.parse().ok()?, last.parse().ok()?))
}

fn download(state: &State, request: Request<Incoming>) -> Response<Body> {
    let range_text = request.headers().get("range").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let len = state.content_len;
    let mut faults = state.faults.lock().unwrap();
    let record = |status: u16, body_len: u64| Seen {
        method: "GET".to_owned(),
        range: range_text.clone(),
        body_len,
        status,
        intact: true,
    };
    let range = range_text.as_deref().and_then(parse_range);
    let Some((first, last)) = range.filter(|_| !faults.ignore_range) else {
        state.seen.lock().unwrap().push(record(200, len));
        return Response::builder()
            .status(StatusCode::OK)
            .header("content-length", len)
            .body(BodyExt::boxed_unsync(StreamBody::new(pattern_stream(0, len).map(|frame| frame.map(Frame::data)))))
            .unwrap();
    };
    if first >= len {
        state.seen.lock().unwrap().push(record(416, 0));
        return error(StatusCode::RANGE_NOT_SATISFIABLE, "nothing there");
    }
    let last = last.min(len - 1);
    let body_len = last + 1 - first;
    let cut = faults.cut_download_at.filter(|cut| first < *cut && *cut <= last);
    if cut.is_some() {
        faults.cut_download_at = None;
    }
    state.seen.lock().unwrap().push(record(206, body_len));
    let total = if faults.hide_total { "*".to_owned() } else { len.to_string() };
    let frames = match cut {
        None => pattern_stream(first, body_len).boxed(),
        // The bytes before the cut, a pause so they are flushed, then a broken connection.
        Some(cut) => pattern_stream(first, cut - first)
            .chain(futures::stream::once(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(io::Error::other("cut"))
            }))
            .boxed(),
    };
    Response::builder()
        .status(StatusCode::PARTIAL_CONTENT)
        .header("content-length", body_len)
        .header("content-range", format!("bytes {first}-{last}/{total}"))
        .body(BodyExt::boxed_unsync(StreamBody::new(frames.map(|frame| frame.map(Frame::data)))))
        .unwrap()
}

/// Peak resident memory of this process so far (`VmHWM`), in bytes.
pub fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Resets the peak to the current resident memory, where the kernel allows it; returns whether it did.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}
