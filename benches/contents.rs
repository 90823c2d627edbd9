//! Contents throughput and memory: `kontur_extern::contents` against bare reqwest streaming.
//!
//! `cargo bench --bench contents` moves 1 GiB up and down through a fake content service on
//! loopback: through the contents module (parts and `Range` chunks of 8 MiB by default; the
//! upload once from a reader of unknown length, whose parts are read ahead into a buffer, and
//! once with the length declared, whose parts stream from the reader into the request), and as
//! one bare reqwest streaming request each way from the same reader (64 KiB frames). The runs
//! are interleaved round by round, so the load of this shared machine hits every side alike; it
//! prints the median MB/s of each, the median and range of the per-round ratios to bare reqwest,
//! the process's peak RSS (`VmHWM`) during the module's runs, and the load average before and after.
//!
//! `CONTENTS_BENCH_MIB=64` makes a quick run; `CONTENTS_BENCH_PART_MIB=16` changes the part and
//! chunk size; `CONTENTS_BENCH_ROUNDS` the number of rounds (default 5);
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

/// The load averages of the machine (1, 5, 15 minutes), as `/proc/loadavg` gives them.
fn load_average() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 { values[middle] } else { (values[middle - 1] + values[middle]) / 2.0 }
}

/// What one side moved in each round, as MB/s.
#[derive(Default)]
struct Runs {
    rates: Vec<f64>,
}

impl Runs {
    fn push(&mut self, size: u64, took: Duration) {
        self.rates.push(mb_per_second(size, took));
    }

    fn median(&self) -> f64 {
        median(&mut self.rates.clone())
    }

    /// Per-round ratios to `baseline`: median, lowest, highest.
    fn ratios(&self, baseline: &Runs) -> (f64, f64, f64) {
        let mut ratios: Vec<f64> = self.rates.iter().zip(&baseline.rates).map(|(ours, bare)| ours / bare).collect();
        let (low, high) = ratios.iter().fold((f64::MAX, f64::MIN), |(low, high), r| (low.min(*r), high.max(*r)));
        (median(&mut ratios), low, high)
    }
}

/// Moves `size` bytes each way; parts and chunks of `part_size` bytes, or the module's defaults.
async fn run(size: u64, part_size: Option<usize>) {
    let part_size = part_size.unwrap_or(DEFAULT_PART_SIZE);
    let in_flight = env_number("CONTENTS_BENCH_PARTS_IN_FLIGHT").unwrap_or(1) as usize;
    let load_before = load_average();
    let server = FakeContentService::start(size, Faults { skip_upload_check: true, ..Faults::default() }).await;
    let raw = Transport::unauthenticated().into_client(&server.base_url()).expect("a client");
    let contents = Contents::with_raw(raw, ACCOUNT.parse().unwrap());
    let http = reqwest::Client::new();
    let upload_url = format!("{}/v1/{ACCOUNT}/contents", server.base_url());
    let download_url = format!("{upload_url}/{}", Uuid::new_v4());

    // Warm up both clients' connections.
    contents.upload(vec![1u8; 1000]).await.expect("warm-up upload");
    http.get(&download_url).header("range", "bytes=0-999").send().await.unwrap().bytes().await.unwrap();

    let rounds = env_number("CONTENTS_BENCH_ROUNDS").unwrap_or(5).max(1);
    let (mut unknown_up, mut known_up, mut bare_up, mut module_down, mut bare_down) =
        (Runs::default(), Runs::default(), Runs::default(), Runs::default(), Runs::default());
    let (mut module_peak, mut reset, mut rss_before) = (0, true, u64::MAX);
    for round in 0..rounds {
        // Alternate which side goes first, so neither always meets a warmer or cooler machine.
        let bare_first = round % 2 == 1;
        if bare_first {
            bare_up.push(size, bare_upload(&http, &upload_url, size).await);
        }
        reset &= reset_peak_rss();
        rss_before = rss_before.min(peak_rss());
        let (took, id) = module_upload(&contents, size, part_size, in_flight, false).await;
        unknown_up.push(size, took);
        let (took, _) = module_upload(&contents, size, part_size, in_flight, true).await;
        known_up.push(size, took);
        module_peak = module_peak.max(peak_rss());
        if !bare_first {
            bare_up.push(size, bare_upload(&http, &upload_url, size).await);
        }

        if bare_first {
            bare_down.push(size, bare_download(&http, &download_url, size).await);
        }
        reset &= reset_peak_rss();
        module_down.push(size, module_download(&contents, id, size, part_size).await);
        module_peak = module_peak.max(peak_rss());
        if !bare_first {
            bare_down.push(size, bare_download(&http, &download_url, size).await);
        }
    }

    println!(
        "contents: {} MiB each way over loopback, parts and chunks of {} MiB, {in_flight} part(s) in flight, \
         median of {rounds} interleaved rounds",
        size / MIB,
        part_size as u64 / MIB,
    );
    let bare_upload_rate = bare_up.median();
    println!("   upload: bare reqwest {bare_upload_rate:8.1} MB/s");
    for (what, runs) in [("length unknown", &unknown_up), ("length known", &known_up)] {
        let (ratio, low, high) = runs.ratios(&bare_up);
        println!(
            "           module, {what:<28} {:8.1} MB/s, ratio {ratio:.2}x (rounds {low:.2}-{high:.2}; target >= 0.8x)",
            runs.median()
        );
    }
    let (ratio, low, high) = module_down.ratios(&bare_down);
    println!(
        " download: bare reqwest {:8.1} MB/s, module {:8.1} MB/s, ratio {ratio:.2}x (rounds {low:.2}-{high:.2}; target >= 0.8x)",
        bare_down.median(),
        module_down.median()
    );
    println!(
        "peak RSS (VmHWM) during the module's runs: {} MiB (target <= 64 MiB; {} MiB before{})",
        module_peak / MIB,
        rss_before / MIB,
        if reset { ", peak reset before each run" } else { ", peak could not be reset" }
    );
    println!("load average (1 5 15 min): {load_before} before, {} after, on {} cores", load_average(), cores());
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, usize::from)
}

async fn module_upload(
    contents: &Contents,
    size: u64,
    part_size: usize,
    in_flight: usize,
    declare_length: bool,
) -> (Duration, Uuid) {
    let started = Instant::now();
    let mut upload = contents
        .upload(UploadSource::reader(PatternReader::new(0, size)))
        .part_size(part_size)
        .parts_in_flight(in_flight);
    if declare_length {
        upload = upload.total_len(size);
    }
    let id = upload.await.expect("module upload");
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
