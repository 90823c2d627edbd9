//! Downloads through `kontur_extern::contents` against a fake content service on loopback.

mod contents_support;

use std::time::Duration;

use contents_support::{FakeContentService, Faults, matches, pattern};
use futures::TryStreamExt;
use kontur_extern::contents::{Contents, Progress};
use kontur_extern::transport::{RetryPolicy, Transport};
use tokio::io::AsyncReadExt;
use uuid::Uuid;

const MIB: u64 = 1024 * 1024;
const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
const CONTENT: &str = "9089d7cf-58d0-4739-ba3f-110ecd4180d7";

fn contents(server: &FakeContentService) -> Contents {
    let policy =
        RetryPolicy::default().with_base_delay(Duration::from_millis(5)).with_max_delay(Duration::from_millis(20));
    let raw = Transport::unauthenticated().retry_policy(policy).into_client(&server.base_url()).expect("a client");
    Contents::with_raw(raw, ACCOUNT.parse().unwrap())
}

fn content_id() -> Uuid {
    CONTENT.parse().unwrap()
}

/// The `Range` headers the server saw, sorted by their first byte, with the answer status.
fn requested(server: &FakeContentService) -> Vec<(String, u16)> {
    let mut seen: Vec<(String, u16)> =
        server.seen().into_iter().map(|seen| (seen.range.unwrap_or_default(), seen.status)).collect();
    seen.sort_by_key(|(range, _)| {
        range.trim_start_matches("bytes=").split('-').next().and_then(|n| n.parse::<u64>().ok()).unwrap_or(0)
    });
    seen
}

fn ranges(list: &[(&str, u16)]) -> Vec<(String, u16)> {
    list.iter().map(|(range, status)| (range.to_string(), *status)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_cover_the_content_and_a_cut_chunk_resumes_at_the_exact_byte() {
    let len = 4 * MIB + 777;
    let cut = 2 * MIB + 12_345;
    let server = FakeContentService::start(len, Faults { cut_download_at: Some(cut), ..Faults::default() }).await;
    let (sender, progress) = tokio::sync::watch::channel(Progress::default());

    let mut stream = contents(&server).download(content_id()).chunk_size(MIB as usize).progress_watch(sender).stream();
    let mut offset = 0u64;
    while let Some(bytes) = stream.try_next().await.expect("the download survives the cut") {
        assert!(matches(offset, &bytes), "bytes at {offset} are the content's");
        offset += bytes.len() as u64;
    }

    assert_eq!(offset, len);
    assert_eq!(
        requested(&server),
        ranges(&[
            ("bytes=0-1048575", 206),
            ("bytes=1048576-2097151", 206),
            ("bytes=2097152-3145727", 206),
            ("bytes=2109497-3145727", 206),
            ("bytes=3145728-4194303", 206),
            ("bytes=4194304-4195080", 206),
        ]),
        "the broken chunk is asked for again from byte {cut}, the first one not received"
    );
    assert_eq!(*progress.borrow(), Progress { done: len, total: Some(len) });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_answer_to_a_range_request_gives_the_content_once() {
    let len = 3 * MIB + 5;
    let server = FakeContentService::start(len, Faults { ignore_range: true, ..Faults::default() }).await;

    let whole = contents(&server).download(content_id()).chunk_size(MIB as usize).bytes().await.expect("the content");
    assert_eq!(whole.len() as u64, len);
    assert!(matches(0, &whole));
    assert_eq!(requested(&server), ranges(&[("bytes=0-1048575", 200)]), "one request is enough");

    server.clear_seen();
    let from = MIB + 1000;
    let tail = contents(&server)
        .download(content_id())
        .chunk_size(MIB as usize)
        .starting_at(from)
        .bytes()
        .await
        .expect("the rest of the content");
    assert_eq!(tail.len() as u64, len - from, "the bytes before the asked offset are dropped");
    assert!(matches(from, &tail));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_total_in_content_range_the_download_ends_at_the_content_end() {
    let len = 2 * MIB;
    let server = FakeContentService::start(len, Faults { hide_total: true, ..Faults::default() }).await;
    let (sender, progress) = tokio::sync::watch::channel(Progress::default());

    let bytes = contents(&server)
        .download(content_id())
        .chunk_size(MIB as usize)
        .progress_watch(sender)
        .bytes()
        .await
        .expect("the content");

    assert_eq!(bytes.len() as u64, len);
    assert!(matches(0, &bytes));
    assert_eq!(
        requested(&server),
        ranges(&[("bytes=0-1048575", 206), ("bytes=1048576-2097151", 206), ("bytes=2097152-3145727", 416)]),
        "the end is found by asking past it"
    );
    assert_eq!(*progress.borrow(), Progress { done: len, total: Some(len) });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_length_comes_from_content_range() {
    let len = MIB / 2 + 3;
    let server = FakeContentService::start(len, Faults::default()).await;
    let seen_totals = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen_totals.clone();

    let bytes = contents(&server)
        .download(content_id())
        .on_progress(move |p| log.lock().unwrap().push(p.total))
        .bytes()
        .await
        .expect("the content");

    assert_eq!(bytes.len() as u64, len);
    assert!(seen_totals.lock().unwrap().iter().all(|total| *total == Some(len)), "known from the first answer");
    assert_eq!(requested(&server), ranges(&[("bytes=0-8388607", 206)]), "no request past the known end");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_and_a_file_get_the_same_bytes() {
    let len = MIB + MIB / 2;
    let server = FakeContentService::start(len, Faults::default()).await;

    let mut read = Vec::new();
    contents(&server)
        .download(content_id())
        .chunk_size(MIB as usize / 4)
        .reader()
        .read_to_end(&mut read)
        .await
        .expect("read");
    assert_eq!(read, pattern(0, len as usize));

    let path = std::env::temp_dir().join(format!("kontur-extern-download-{}.bin", Uuid::new_v4()));
    let written = contents(&server).download(content_id()).to_path(&path).await.expect("written");
    let file = std::fs::read(&path).unwrap();
    std::fs::remove_file(&path).ok();
    assert_eq!(written, len);
    assert_eq!(file, read);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_content_is_an_error_naming_the_operation() {
    let server = FakeContentService::start(10, Faults::default()).await;
    let raw = Transport::unauthenticated().into_client(&format!("{}/nowhere", server.base_url())).unwrap();

    let error = Contents::with_raw(raw, ACCOUNT.parse().unwrap()).download(content_id()).bytes().await.unwrap_err();

    let message = error.to_string();
    assert!(message.contains("download_content") && message.contains("404"), "{message}");
}
