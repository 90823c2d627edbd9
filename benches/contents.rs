//! Contents throughput and memory: `kontur_extern::contents` against bare reqwest streaming.
//!
//! `cargo bench --bench contents` moves 1 GiB up and down through a fake content service on
//! loopback: through the contents module (parts and `Range` chunks of 8 MiB by default; the
//! upload once from a reader of unknown length, whose first part is read ahead and whose last is
//! sent twice, and once with the length declared), and as
//! one bare reqwest streaming request each way from the same reader (64 KiB frames); then both
//! upload the same bytes from a file (the module keeps no frames of a file's part: it reads a
//! failed part again). The runs
//! are interleaved round by round, so the load of this shared machine hits every side alike; it
//! prints the median MB/s of each, the median and range of the per-round ratios to bare reqwest,
//! the processor time each used per GiB (all threads, the fake server's included: it hardly
//! moves with the machine's load, unlike the MB/s),
//! the process's peak RSS (`VmHWM`) during the module's runs, and the load average before and after.
//!
//! `CONTENTS_BENCH_MIB=64` makes a quick run; `CONTENTS_BENCH_PART_MIB=16` changes the part and
//! chunk size; `CONTENTS_BENCH_ROUNDS` the number of rounds (default 5);
//! `CONTENTS_BENCH_PARTS_IN_FLIGHT=1` makes the upload wait for each part's answer before it sends
//! the next (the default, 2, is the module's). `CONTENTS_BENCH_ONLY=reader` runs only the upload
//! from a reader and bare reqwest's, interleaved, and prints their page faults too (for a profiler).
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

/// Processor time used so far by every thread of this process (client and fake server), from
/// the scheduler's per-thread counters. Unlike wall time it hardly moves with the machine's
/// other load, so it shows what each side costs even when the throughput figures are noisy.
fn cpu_time() -> Duration {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").into_iter().flatten().flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
        total += stat.split_whitespace().next().and_then(|ns| ns.parse::<u64>().ok()).unwrap_or(0);
    }
    Duration::from_nanos(total)
}

/// Runs `run` and measures it: (wall time, processor time, its output).
async fn measured<T>(run: impl std::future::Future<Output = T>) -> (Duration, Duration, T) {
    let (started, cpu) = (Instant::now(), cpu_time());
    let output = run.await;
    (started.elapsed(), cpu_time().saturating_sub(cpu), output)
}

/// What one side did in each round: MB/s, and processor seconds per GiB moved.
#[derive(Default)]
struct Runs {
    rates: Vec<f64>,
    cpu_per_gib: Vec<f64>,
}

impl Runs {
    fn push(&mut self, size: u64, took: Duration, cpu: Duration) {
        self.rates.push(mb_per_second(size, took));
        self.cpu_per_gib.push(cpu.as_secs_f64() * (1024.0 * MIB as f64) / size as f64);
    }

    fn median(&self) -> f64 {
        median(&mut self.rates.clone())
    }

    fn cpu_median(&self) -> f64 {
        median(&mut self.cpu_per_gib.clone())
    }

    /// Per-round throughput ratios to `baseline`: median, lowest, highest.
    fn ratios(&self, baseline: &Runs) -> (f64, f64, f64) {
        let mut ratios: Vec<f64> = self.rates.iter().zip(&baseline.rates).map(|(ours, bare)| ours / bare).collect();
        let (low, high) = ratios.iter().fold((f64::MAX, f64::MIN), |(low, high), r| (low.min(*r), high.max(*r)));
        (median(&mut ratios), low, high)
    }

    /// The baseline's processor time over ours (above 1: we cost less), median of the rounds.
    fn cpu_ratio(&self, baseline: &Runs) -> f64 {
        let mut ratios: Vec<f64> =
            self.cpu_per_gib.iter().zip(&baseline.cpu_per_gib).map(|(ours, bare)| bare / ours).collect();
        median(&mut ratios)
    }
}

/// Moves `size` bytes each way; parts and chunks of `part_size` bytes, or the module's defaults.
async fn run(size: u64, part_size: Option<usize>) {
    let part_size = part_size.unwrap_or(DEFAULT_PART_SIZE);
    let in_flight = env_number("CONTENTS_BENCH_PARTS_IN_FLIGHT").unwrap_or(2) as usize;
    let load_before = load_average();
    let server = FakeContentService::start(size, Faults { skip_upload_check: true, ..Faults::default() }).await;
    let raw = Transport::unauthenticated().into_client(&server.base_url()).expect("a client");
    let contents = Contents::with_raw(raw, ACCOUNT.parse().unwrap());
    let http = reqwest::Client::new();
    let upload_url = format!("{}/v1/{ACCOUNT}/contents", server.base_url());
    let download_url = format!("{upload_url}/{}", Uuid::new_v4());

    let rounds = env_number("CONTENTS_BENCH_ROUNDS").unwrap_or(5).max(1);
    if std::env::var("CONTENTS_BENCH_ONLY").is_ok_and(|only| only == "reader") {
        // Only the upload from a reader (declared length) and bare reqwest's, for a profiler.
        contents.upload(vec![1u8; 1000]).await.expect("warm-up upload");
        let (mut module, mut bare) = (Runs::default(), Runs::default());
        let (mut module_faults, mut bare_faults) = (0, 0);
        for _ in 0..rounds {
            let faults = minor_faults();
            let (took, cpu, ()) = measured(bare_upload(&http, &upload_url, size)).await;
            bare_faults += minor_faults() - faults;
            bare.push(size, took, cpu);
            let faults = minor_faults();
            let (took, cpu, _) = measured(module_upload(&contents, size, part_size, in_flight, true)).await;
            module_faults += minor_faults() - faults;
            module.push(size, took, cpu);
        }
        println!("page faults per round: bare {}, module {}", bare_faults / rounds, module_faults / rounds);
        let (ratio, low, high) = module.ratios(&bare);
        println!(
            "upload from a reader: bare {:.1} MB/s {:.2} CPU-s/GiB; module {:.1} MB/s {:.2} CPU-s/GiB; \
             ratio {ratio:.2}x ({low:.2}-{high:.2}), CPU ratio {:.2}x",
            bare.median(),
            bare.cpu_median(),
            module.median(),
            module.cpu_median(),
            module.cpu_ratio(&bare)
        );
        return;
    }
    // The same bytes in a file, for the uploads from a path (a failed part is read from it again,
    // so no frame of the part on the wire is kept).
    let file = tempfile::NamedTempFile::new().expect("a temporary file");
    {
        use std::io::Write;
        let mut writer = std::io::BufWriter::new(file.as_file());
        let mut offset = 0u64;
        while offset < size {
            let len = (size - offset).min(MIB) as usize;
            writer.write_all(&contents_support::pattern(offset, len)).expect("the file is written");
            offset += len as u64;
        }
        writer.flush().expect("the file is written");
    }
    let file = file.path().to_owned();

    // Warm up both clients' connections.
    contents.upload(vec![1u8; 1000]).await.expect("warm-up upload");
    http.get(&download_url).header("range", "bytes=0-999").send().await.unwrap().bytes().await.unwrap();

    let (mut unknown_up, mut known_up, mut bare_up, mut module_down, mut bare_down) =
        (Runs::default(), Runs::default(), Runs::default(), Runs::default(), Runs::default());
    let (mut file_up, mut bare_file_up) = (Runs::default(), Runs::default());
    let (mut module_peak, mut reset, mut rss_before) = (0, true, u64::MAX);
    for round in 0..rounds {
        // Alternate which side goes first, so neither always meets a warmer or cooler machine.
        let bare_first = round % 2 == 1;
        if bare_first {
            let (took, cpu, ()) = measured(bare_upload(&http, &upload_url, size)).await;
            bare_up.push(size, took, cpu);
        }
        reset &= reset_peak_rss();
        rss_before = rss_before.min(peak_rss());
        let (took, cpu, id) = measured(module_upload(&contents, size, part_size, in_flight, false)).await;
        unknown_up.push(size, took, cpu);
        let (took, cpu, _) = measured(module_upload(&contents, size, part_size, in_flight, true)).await;
        known_up.push(size, took, cpu);
        module_peak = module_peak.max(peak_rss());
        if !bare_first {
            let (took, cpu, ()) = measured(bare_upload(&http, &upload_url, size)).await;
            bare_up.push(size, took, cpu);
        }

        if bare_first {
            let (took, cpu, ()) = measured(bare_file_upload(&http, &upload_url, &file)).await;
            bare_file_up.push(size, took, cpu);
        }
        reset &= reset_peak_rss();
        let (took, cpu, _) = measured(module_file_upload(&contents, &file, part_size, in_flight)).await;
        file_up.push(size, took, cpu);
        module_peak = module_peak.max(peak_rss());
        if !bare_first {
            let (took, cpu, ()) = measured(bare_file_upload(&http, &upload_url, &file)).await;
            bare_file_up.push(size, took, cpu);
        }

        if bare_first {
            let (took, cpu, ()) = measured(bare_download(&http, &download_url, size)).await;
            bare_down.push(size, took, cpu);
        }
        reset &= reset_peak_rss();
        let (took, cpu, ()) = measured(module_download(&contents, id, size, part_size)).await;
        module_down.push(size, took, cpu);
        module_peak = module_peak.max(peak_rss());
        if !bare_first {
            let (took, cpu, ()) = measured(bare_download(&http, &download_url, size)).await;
            bare_down.push(size, took, cpu);
        }
    }

    println!(
        "contents: {} MiB each way over loopback, parts and chunks of {} MiB, {in_flight} part(s) in flight, \
         median of {rounds} interleaved rounds",
        size / MIB,
        part_size as u64 / MIB,
    );
    println!(
        "   upload: bare reqwest          {:8.1} MB/s, {:.2} CPU-s/GiB (client and server)",
        bare_up.median(),
        bare_up.cpu_median()
    );
    for (what, runs) in [("length unknown", &unknown_up), ("length known", &known_up)] {
        let (ratio, low, high) = runs.ratios(&bare_up);
        println!(
            "           module, {what:<14} {:8.1} MB/s, {:.2} CPU-s/GiB; ratio {ratio:.2}x (rounds {low:.2}-{high:.2}; \
             target >= 0.8x), CPU ratio {:.2}x",
            runs.median(),
            runs.cpu_median(),
            runs.cpu_ratio(&bare_up)
        );
    }
    println!(
        "   upload from a file: bare reqwest {:8.1} MB/s, {:.2} CPU-s/GiB",
        bare_file_up.median(),
        bare_file_up.cpu_median()
    );
    let (ratio, low, high) = file_up.ratios(&bare_file_up);
    println!(
        "           module, from a path    {:8.1} MB/s, {:.2} CPU-s/GiB; ratio {ratio:.2}x (rounds {low:.2}-{high:.2}; \
         target >= 0.8x), CPU ratio {:.2}x",
        file_up.median(),
        file_up.cpu_median(),
        file_up.cpu_ratio(&bare_file_up)
    );
    let (ratio, low, high) = module_down.ratios(&bare_down);
    println!(
        " download: bare reqwest          {:8.1} MB/s, {:.2} CPU-s/GiB",
        bare_down.median(),
        bare_down.cpu_median()
    );
    println!(
        "           module                {:8.1} MB/s, {:.2} CPU-s/GiB; ratio {ratio:.2}x (rounds {low:.2}-{high:.2}; \
         target >= 0.8x), CPU ratio {:.2}x",
        module_down.median(),
        module_down.cpu_median(),
        module_down.cpu_ratio(&bare_down)
    );
    println!(
        "peak RSS (VmHWM) during the module's runs: {} MiB (target <= 64 MiB; {} MiB before{})",
        module_peak / MIB,
        rss_before / MIB,
        if reset { ", peak reset before each run" } else { ", peak could not be reset" }
    );
    println!("load average (1 5 15 min): {load_before} before, {} after, on {} cores", load_average(), cores());
}

/// Minor page faults of the process so far (`/proc/self/stat`, field 10).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    after_name.split_whitespace().nth(7).and_then(|field| field.parse().ok()).unwrap_or(0)
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
) -> Uuid {
    let mut upload = contents
        .upload(UploadSource::reader(PatternReader::new(0, size)))
        .part_size(part_size)
        .parts_in_flight(in_flight);
    if declare_length {
        upload = upload.total_len(size);
    }
    upload.await.expect("module upload")
}

async fn module_file_upload(contents: &Contents, file: &std::path::Path, part_size: usize, in_flight: usize) -> Uuid {
    contents
        .upload(UploadSource::path(file))
        .part_size(part_size)
        .parts_in_flight(in_flight)
        .await
        .expect("module upload from a file")
}

async fn bare_file_upload(http: &reqwest::Client, url: &str, file: &std::path::Path) {
    let file = tokio::fs::File::open(file).await.expect("the file opens");
    let body = tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024);
    let answer = http.post(url).body(reqwest::Body::wrap_stream(body)).send().await.expect("bare upload");
    assert_eq!(answer.status().as_u16(), 201);
    answer.bytes().await.unwrap();
}

async fn module_download(contents: &Contents, id: Uuid, size: u64, part_size: usize) {
    let mut stream = contents.download(id).chunk_size(part_size).stream();
    let mut received = 0u64;
    while let Some(bytes) = stream.try_next().await.expect("module download") {
        received += bytes.len() as u64;
    }
    assert_eq!(received, size);
}

async fn bare_upload(http: &reqwest::Client, url: &str, size: u64) {
    let body = tokio_util::io::ReaderStream::with_capacity(PatternReader::new(0, size), 64 * 1024);
    let answer = http.post(url).body(reqwest::Body::wrap_stream(body)).send().await.expect("bare upload");
    assert_eq!(answer.status().as_u16(), 201);
    answer.bytes().await.unwrap();
}

async fn bare_download(http: &reqwest::Client, url: &str, size: u64) {
    let answer = http.get(url).send().await.expect("bare download");
    let mut stream = answer.bytes_stream();
    let mut received = 0u64;
    while let Some(bytes) = stream.try_next().await.expect("bare download body") {
        received += bytes.len() as u64;
    }
    assert_eq!(received, size);
}
