//! Contents throughput and memory: `kontur_extern::contents` against bare reqwest streaming.
//!
//! `cargo bench --bench contents` moves 1 GiB up and down through a fake content service on
//! loopback, first through the contents module (parts and `Range` chunks of 8 MiB), then as one
//! bare reqwest streaming request each way, and prints MB/s for both, their ratio, and the
//! process's peak RSS (`VmHWM`) during the module's runs. `CONTENTS_BENCH_MIB=64` makes a quick run.
//! Targets: at least 0.8x the bare throughput, peak RSS at most 64 MiB.

#[path = "../tests/contents_support/mod.rs"]
mod contents_support;

use std::time::{Duration, Instant};

use contents_support::{FakeContentService, Faults, PatternReader, peak_rss, reset_peak_rss};
use futures::TryStreamExt;
use kontur_extern::contents::{Contents, UploadSource};
use kontur_extern::transport::Transport;
use uuid::Uuid;

const MIB: u64 = 1024 * 1024;
const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";

fn mb_per_second(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64()
}

fn main() {
    let mib: u64 = std::env::var("CONTENTS_BENCH_MIB")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(1024);
    let size = mib * MIB;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(size));
}

async fn run(size: u64) {
    let server = FakeContentService::start(
        size,
        Faults {
            skip_upload_check: true,
            ..Faults::default()
        },
    )
    .await;
    let raw = Transport::unauthenticated()
        .into_client(&server.base_url())
        .expect("a client");
    let contents = Contents::with_raw(raw, ACCOUNT.parse().unwrap());
    let http = reqwest::Client::new();
    let upload_url = format!("{}/v1/{ACCOUNT}/contents", server.base_url());
    let download_url = format!("{upload_url}/{}", Uuid::new_v4());

    // Warm up both clients' connections.
    contents
        .upload(vec![1u8; 1000])
        .await
        .expect("warm-up upload");
    http.get(&download_url)
        .header("range", "bytes=0-999")
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();

    let reset = reset_peak_rss();
    let rss_before = peak_rss();

    let started = Instant::now();
    let id = contents
        .upload(UploadSource::reader(PatternReader::new(0, size)))
        .await
        .expect("module upload");
    let module_up = started.elapsed();

    let started = Instant::now();
    let mut stream = contents.download(id).stream();
    let mut received = 0u64;
    while let Some(bytes) = stream.try_next().await.expect("module download") {
        received += bytes.len() as u64;
    }
    assert_eq!(received, size);
    let module_down = started.elapsed();
    let module_peak = peak_rss();

    let started = Instant::now();
    let body = tokio_util::io::ReaderStream::with_capacity(PatternReader::new(0, size), 64 * 1024);
    let answer = http
        .post(&upload_url)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .expect("bare upload");
    assert_eq!(answer.status().as_u16(), 201);
    answer.bytes().await.unwrap();
    let bare_up = started.elapsed();

    let started = Instant::now();
    let answer = http.get(&download_url).send().await.expect("bare download");
    let mut stream = answer.bytes_stream();
    let mut received = 0u64;
    while let Some(bytes) = stream.try_next().await.expect("bare download body") {
        received += bytes.len() as u64;
    }
    assert_eq!(received, size);
    let bare_down = started.elapsed();

    println!(
        "contents: {} MiB each way over loopback, parts and chunks of 8 MiB",
        size / MIB
    );
    for (what, module, bare) in [
        ("upload", module_up, bare_up),
        ("download", module_down, bare_down),
    ] {
        let (module, bare) = (mb_per_second(size, module), mb_per_second(size, bare));
        println!(
            "{what:>9}: module {module:8.1} MB/s, bare reqwest {bare:8.1} MB/s, ratio {:.2}x (target >= 0.8x)",
            module / bare
        );
    }
    println!(
        "peak RSS (VmHWM) during the module's runs: {} MiB (target <= 64 MiB; {} MiB before{})",
        module_peak / MIB,
        rss_before / MIB,
        if reset {
            ", peak reset before the runs"
        } else {
            ", peak could not be reset"
        }
    );
}
