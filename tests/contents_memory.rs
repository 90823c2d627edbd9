//! 256 MiB up (twice: length unknown, then known) and down through `kontur_extern::contents`:
//! peak memory grows by far less.
//!
//! Alone in its own test binary so other tests do not move the process's peak.

mod contents_support;

use contents_support::{FakeContentService, Faults, PatternReader, matches, peak_rss};
use futures::TryStreamExt;
use kontur_extern::contents::{Contents, UploadSource};
use kontur_extern::transport::Transport;

const MIB: u64 = 1024 * 1024;
const SIZE: u64 = 256 * MIB;
/// Two 8 MiB parts, the answer buffers and the allocator's slack fit well within this.
const ALLOWED_GROWTH: u64 = 64 * MIB;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_256_mib_up_and_down_keeps_memory_flat() {
    let server = FakeContentService::start(SIZE, Faults::default()).await;
    let raw = Transport::unauthenticated().into_client(&server.base_url()).unwrap();
    let contents = Contents::with_raw(raw, "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11".parse().unwrap());
    let before = peak_rss();
    assert!(before > 0, "VmHWM is readable");

    let id = contents
        .upload(UploadSource::reader(PatternReader::new(0, SIZE)))
        .part_size(8 * MIB as usize)
        .await
        .expect("uploaded");
    assert_eq!(server.upload(id), Some((SIZE, true, Some(SIZE))), "every byte arrived intact");
    // With the length known, parts stream from the reader and their frames are kept until accepted.
    let streamed = contents
        .upload(UploadSource::reader(PatternReader::new(0, SIZE)))
        .total_len(SIZE)
        .part_size(8 * MIB as usize)
        .await
        .expect("uploaded");
    assert_eq!(server.upload(streamed), Some((SIZE, true, Some(SIZE))), "every streamed byte arrived intact");
    let after_upload = peak_rss();

    let mut stream = contents.download(id).chunk_size(8 * MIB as usize).stream();
    let mut offset = 0;
    while let Some(bytes) = stream.try_next().await.expect("downloaded") {
        assert!(matches(offset, &bytes));
        offset += bytes.len() as u64;
    }
    assert_eq!(offset, SIZE);
    let after_download = peak_rss();

    let growth = after_download - before;
    eprintln!(
        "peak RSS: {} MiB before, {} MiB after the uploads, {} MiB after the download (growth {} MiB for {} MiB each way)",
        before / MIB,
        after_upload / MIB,
        after_download / MIB,
        growth / MIB,
        SIZE / MIB
    );
    assert!(growth < ALLOWED_GROWTH, "peak memory grew by {growth} bytes moving {SIZE} bytes each way");
}
