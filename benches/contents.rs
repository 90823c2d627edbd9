//! Contents throughput and memory: `kontur_extern::contents` against bare reqwest streaming.
//!
//! `cargo bench --bench contents` moves 1 GiB up and down through a fake content service on
//! loopback, first through the contents module (parts and `Range` chunks of 8 MiB by default), then as one
//! bare reqwest streaming request each way, and prints MB/s for both, their ratio, and the
//! process's peak RSS (`VmHWM`) during the module's runs. `CONTENTS_BENCH_MIB=64` makes a quick run;
//! `CONTENTS_BENCH_PART_MIB=16` changes the part and chunk size, `CONTENTS_BENCH_ROUNDS` the
//! number of interleaved rounds (default 3; the best of each is printed),
//! `CONTENTS_BENCH_PARTS_IN_FLIGHT=2` lets the upload send the next part before the last is answered.
//! Targets: at least 0.8x the bare throughput, peak RSS at most 64 MiB.

#[path = "../tests/contents_support/mod.rs"]
mod contents_support;

use std::time::{Duration, Instant};

use contents_support::{FakeContentService, Faults, PatternReader, peak_rss, reset_peak_rss};
use futures::TryStreamExt;
use kontur_extern::contents::{Contents, DEFAULT_PART_SIZE, UploadSource};
use kontur_extern::transport::Transport;
use uuid::Uuid;

const MIB: u64 = 1024 * 1024;
const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";

fn mb_per_second(bytes: u64, took: Duration) -> f64 {
    bytes as f64 / 1e6 / took.as_secs_f64()
}

fn main() {
    let mib: u64 = env_number("CONTENTS_BENCH_MIB").unwrap_or(1024);
    let part_mib = env_number("CONTENTS_BENCH_PART_MIB");
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run(mib * MIB, part_mib.map(|mib| (mib * MIB) as usize)));
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|text| text.parse().ok())
}

/// Moves `size` bytes each way; parts and chunks of `part_size` bytes, or the module's defaults.
async fn run(size: u64, part_size: Option<usize>) {
    let part_size = part_size.unwrap_or(DEFAULT_PART_SIZE);
    let server = FakeContentService::start(size, Faults { skip_upload_check: true, ..Faults::default() }).await;
    let raw = Transport::unauthenticated().into_client(&server.base_url()).expect("a client");
    let contents = Contents::with_raw(raw, ACCOUNT.parse().unwrap());
    let http = reqwest::Client::new();
    let upload_url = format!("{}/v1/{ACCOUNT}/contents", server.base_url());
    let download_url = format!("{upload_url}/{}", Uuid::new_v4());

    // Warm up both clients' connections.
    contents.upload(vec![1u8; 1000]).await.expect("warm-up upload");
    http.get(&download_url).header("range", "bytes=0-999").send().await.unwrap().bytes().await.unwrap();

    let rounds = env_number("CONTENTS_BENCH_ROUNDS").unwrap_or(3).max(1);
    let mut best = [Duration::MAX; 4];
    let (mut module_peak, mut reset, mut rss_before) = (0, true, u64::MAX);
    // Interleaved rounds, best of each: the machine's other load hits both sides alike.
    for _ in 0..rounds {
        reset &= reset_peak_rss();
        rss_before = rss_before.min(peak_rss());
        let (took, id) = module_upload(&contents, size, part_size).await;
        best[0] = best[0].min(took);
        module_peak = module_peak.max(peak_rss());
        best[1] = best[1].min(bare_upload(&http, &upload_url, size).await);
        reset &= reset_peak_rss();
        best[2] = best[2].min(module_download(&contents, id, size, part_size).await);
        module_peak = module_peak.max(peak_rss());
        best[3] = best[3].min(bare_download(&http, &download_url, size).await);
    }
    let [module_up, bare_up, module_down, bare_down] = best;

    println!(
        "contents: {} MiB each way over loopback, parts and chunks of {} MiB, best of {rounds} rounds",
        size / MIB,
        part_size as u64 / MIB
    );
    for (what, module, bare) in [("upload", module_up, bare_up), ("download", module_down, bare_down)] {
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
        if reset { ", peak reset before each run" } else { ", peak could not be reset" }
    );
}

async fn module_upload(contents: &Contents, size: u64, part_size: usize) -> (Duration, Uuid) {
    let started = Instant::now();
    let id = contents
        .upload(UploadSource::reader(PatternReader::new(0, size)))
        .part_size(part_size)
        .parts_in_flight(env_number("CONTENTS_BENCH_PARTS_IN_FLIGHT").unwrap_or(1) as usize)
        .await
        .expect("module upload");
    (started.elapsed(), id)
}

async fn module_download(contents: &Contents, id: Uuid, size: u64, part_size: usize) -> Duration {
    let started = Instant::now();
    let mut stream = contents.download(id).chunk_size(part_size).stream();
    let mut received = 0u64;
    while let Some(bytes) = stream.try_next().await.expect("module download") {
        received += bytes.len() as u64;
    }
    assert_eq!(received, size);
    started.elapsed()
}

async fn bare_upload(http: &reqwest::Client, url: &str, size: u64) -> Duration {
    let started = Instant::now();
    let body = tokio_util::io::ReaderStream::with_capacity(PatternReader::new(0, size), 64 * 1024);
    let answer = http.post(url).body(reqwest::Body::wrap_stream(body)).send().await.expect("bare upload");
    assert_eq!(answer.status().as_u16(), 201);
    answer.bytes().await.unwrap();
    started.elapsed()
}

async fn bare_download(http: &reqwest::Client, url: &str, size: u64) -> Duration {
    let started = Instant::now();
    let answer = http.get(url).send().await.expect("bare download");
    let mut stream = answer.bytes_stream();
    let mut received = 0u64;
    while let Some(bytes) = stream.try_next().await.expect("bare download body") {
        received += bytes.len() as u64;
    }
    assert_eq!(received, size);
    started.elapsed()
}
