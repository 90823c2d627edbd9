//! A 100 MiB content up and down through `kontur_extern::contents` against the sandbox over real
//! HTTP, streamed both ways: the bytes are generated block by block on the way up and compared
//! block by block on the way down, so the test never holds the content.

mod sandbox_support;

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::StreamExt;
use kontur_extern::contents::{Progress, UploadSource};
use sandbox_support::start;

const BLOCK: usize = 1 << 20;
const BLOCKS: u64 = 100;
const TOTAL: u64 = BLOCKS * BLOCK as u64;

/// Block `index` of the content: 1 MiB of pseudo-random words, a different run for every block,
/// so a part sent twice, dropped or put in the wrong place shows.
fn block(index: u64) -> Bytes {
    let mut bytes = Vec::with_capacity(BLOCK);
    let mut state = index.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    for _ in 0..BLOCK / 8 {
        // xorshift64*: cheap enough for an unoptimised test build.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        bytes.extend_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    Bytes::from(bytes)
}

/// Checks downloaded chunks against the generated blocks as they come, whatever their size.
struct Expected {
    position: u64,
    current: (u64, Bytes),
}

impl Expected {
    fn check(&mut self, mut chunk: &[u8]) {
        while !chunk.is_empty() {
            let index = self.position / BLOCK as u64;
            assert!(index < BLOCKS, "more bytes than were uploaded");
            if self.current.0 != index {
                self.current = (index, block(index));
            }
            let offset = (self.position % BLOCK as u64) as usize;
            let length = chunk.len().min(BLOCK - offset);
            assert!(
                chunk[..length] == self.current.1[offset..offset + length],
                "bytes {}..{} differ from what was uploaded",
                self.position,
                self.position + length as u64
            );
            self.position += length as u64;
            chunk = &chunk[length..];
        }
    }
}

fn recorder() -> (Arc<Mutex<Vec<Progress>>>, impl Fn(Progress) + Send + Sync + 'static) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    (seen, move |progress| sink.lock().unwrap().push(progress))
}

fn assert_progress(seen: &[Progress], what: &str) {
    assert!(seen.len() >= 2, "{what}: progress reported as it went: {seen:?}");
    assert!(seen.windows(2).all(|pair| pair[0].done <= pair[1].done), "{what}: progress never goes back");
    assert_eq!(seen.last().copied(), Some(Progress { done: TOTAL, total: Some(TOTAL) }), "{what}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mib_content_goes_up_and_comes_down_intact_in_streamed_parts() {
    let stand = start().await;
    let contents = stand.account().contents();

    let blocks = futures::stream::iter(0..BLOCKS).map(|index| Ok::<_, std::io::Error>(block(index)));
    let (uploaded, on_upload) = recorder();
    let content_id = contents
        .upload(UploadSource::stream(blocks))
        .total_len(TOTAL)
        .parts_in_flight(2)
        .on_progress(on_upload)
        .await
        .expect("the content is uploaded in parts");
    assert_progress(&uploaded.lock().unwrap(), "upload");

    let (downloaded, on_download) = recorder();
    let mut stream = contents.download(content_id).on_progress(on_download).stream();
    let mut expected = Expected { position: 0, current: (u64::MAX, Bytes::new()) };
    while let Some(chunk) = stream.next().await {
        expected.check(&chunk.expect("a chunk of the content"));
    }
    assert_eq!(expected.position, TOTAL, "the whole content came back");
    assert_progress(&downloaded.lock().unwrap(), "download");
}
