//! What the crate's request path costs over bare reqwest + serde_json.
//!
//! A loopback HTTP/1.1 server (its own thread) answers every GET with the same ~3 KB docflow.
//! On one client thread (a current-thread runtime, so the thread's CPU time is all the client's
//! work: hyper's connection tasks, timers and the decoding run there too) each variant makes
//! calls, sequentially and from 16 concurrent tasks, decoding the answer into
//! `raw::types::Docflow`:
//! - `floor`: bare `reqwest` + `serde_json` doing the same necessary work: a client with the
//!   crate's settings (no redirects, `User-Agent`, connect timeout), the same request head
//!   (`Accept`, `api-version`, `Authorization`), the same URL and the same decoding;
//! - `raw`: the generated client (`send()`), no credentials;
//! - `checked`: the generated client with `.checked()`;
//! - `client`: the full `Client` with an access token (authenticator, `.checked()`).
//!
//! Each round runs every variant once, in a rotating order; a variant's figure is the median
//! over rounds of its thread CPU µs per call, and its ratio the median over rounds of its time
//! divided by the floor's in the same round (paired, so load that drifts between rounds cancels
//! out); the quartiles of those per-round ratios show how much the machine's noise moves them.
//! Allocations per call are counted on the client thread. `KONTUR_BENCH_CALLS` (default 800)
//! sets the calls per variant and round, `KONTUR_BENCH_ROUNDS` (default 101) the rounds: many
//! short rounds gave steadier medians here than a few long ones.
//! `KONTUR_BENCH_ONLY=floor|raw|checked|client` runs only that variant, `KONTUR_BENCH_ROUNDS`
//! rounds, from `KONTUR_BENCH_TASKS` tasks (default 1), for a profiler.
//!
//! With two or more CPUs the client thread runs on CPU 0 and the server on CPU 1
//! (`KONTUR_BENCH_PIN=0` leaves them to the scheduler): otherwise rounds where the scheduler
//! put both threads on one core take a third longer than the others, and the ratios wander.
//! On a core of its own the server polls its sockets instead of sleeping: waking a sleeping
//! server cost the client thread a trip to the hypervisor in every `writev` (about 10 µs on
//! the 2-CPU virtual machine this was written on, a quarter of the floor's time, and more the
//! longer the server's CPU had been halted), which measured the host's idle policy rather than
//! the client. Every variant paid it, so leaving it out makes the floor smaller and the ratios,
//! if anything, larger.
//!
//! On a shared machine thread CPU time still drifts with the load; instruction counts drift much
//! less: run each variant under `valgrind --tool=callgrind --separate-threads=yes` with
//! `KONTUR_BENCH_ROUNDS=1 KONTUR_BENCH_CALLS=2000 KONTUR_BENCH_PIN=0` (valgrind runs one thread
//! at a time, so the server must sleep between requests) and compare the client thread's totals (the
//! `-01` file; the difference over 2000 is the overhead per call in instructions, give or take a
//! hundred, as the polls a call needs depend on when the server answers). `--cache-sim=yes
//! --branch-sim=yes` adds the cache misses and mispredicted branches. They cost this path more
//! than its extra instructions do, sequentially most: the client's CPU idles while it waits for
//! each answer, and every cache line the next call touches beyond the floor's is then a miss.
//! `KONTUR_BENCH_SIZES=1` prints the sizes of the futures a call moves around.
//! `KONTUR_BENCH_PHASES=1` prints on stderr, for each measurement, `phase <variant> <tasks>
//! <start> <end>` in `CLOCK_MONOTONIC` seconds: a whole interleaved run recorded with
//! `perf record -k CLOCK_MONOTONIC -e cpu-clock` can then be split by variant (each sample's
//! time falls in one measurement), so that profiles are compared under the same load.
//! `KONTUR_BENCH_CALIBRATE_NS=2000` adds a variant that is the floor plus 2000 ns of busy work
//! per call, and the ratio that work alone would give: on a virtual machine a known extra cost
//! can show as more than itself (caches and wake-ups pay for it too), which says how much work
//! a ratio target leaves room for.
//!
//! `cargo bench --bench overhead`

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use kontur_extern::raw::types::Docflow;
use kontur_extern::transport::{SendExt, Transport, USER_AGENT_VALUE};
use kontur_extern::{Client, Environment, raw};
use progenitor_client::ClientInfo;
use reqwest::header::{ACCEPT, AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use secrecy::SecretString;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
const DOCFLOW: &str = "0c7e1b3a-2d4f-4a6b-8c9d-1e2f3a4b5c6d";
const TOKEN: &str = "bench-access-token";
const CONCURRENCY: usize = 16;

/// Counts the allocations of each thread (the client thread's are the ones reported).
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to the system allocator unchanged; the counter is a
// const-initialised thread local, which needs no allocation.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: the caller's contract is System's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).filter(|n| *n > 0).unwrap_or(default)
}

/// A docflow as Extern answers it: a report with its receipts, signatures and links (~3 KB).
fn docflow_body() -> Vec<u8> {
    let api = format!("https://extern-api.kontur.ru/v1/{ACCOUNT}/docflows/{DOCFLOW}");
    let documents: Vec<_> = (0..3)
        .map(|index| {
            let document = format!("5d0b0c1e-7a1a-4f0e-9c55-8c5f8f1d2e3{index}");
            json!({
                "id": document,
                "description": {
                    "type": "urn:document:fns534-report-receipt",
                    "filename": format!("IZ_NOSRCHIS_0087_0087_7757424860680345565_20200331_{index}.xml"),
                    "content-type": "application/xml",
                    "decrypted-content-size": 2736,
                    "compressed": true,
                    "support-print": "yes"
                },
                "content": {
                    "docflow-document-contents": [{
                        "content-id": "3f1c9a5e-0b7d-4c3e-9a51-4d559c0e0f5d", "encrypted": false, "compressed": true
                    }]
                },
                "send-date": "2020-03-31T15:07:27.2873280Z",
                "links": [
                    { "rel": "docflow", "href": api },
                    { "rel": "self", "href": format!("{api}/documents/{document}") }
                ]
            })
        })
        .collect();
    let body = json!({
        "id": DOCFLOW,
        "organization-id": "a1b2c3d4-0000-4000-8000-000000000001",
        "type": "urn:docflow:fns534-report",
        "status": "urn:docflow-common-status:response-arrived",
        "success-state": "urn:docflow-state:successful",
        "description": {
            "form-version": { "knd": "1110018", "version": "100501", "form-shortname": "Сведения о среднесписочной численности" },
            "recipient": "0087",
            "final-recipient": "0087",
            "correction-number": 0,
            "period-begin": "2012-01-01T00:00:00.0000000",
            "period-end": "2012-12-31T00:00:00.0000000",
            "period-code": "34",
            "payer-inn": "7757424860-680345565"
        },
        "documents": documents,
        "links": [{ "rel": "self", "href": api }],
        "send-date": "2020-02-26T09:51:08.4636938",
        "last-change-date": "2020-03-31T15:07:27.2873280Z"
    });
    serde_json::to_vec(&body).expect("JSON")
}

/// Serves every request on every connection with `body`, keeping connections alive.
fn start_server(body: Vec<u8>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = listener.local_addr().expect("its address");
    listener.set_nonblocking(true).expect("non-blocking");
    let mut answer =
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", body.len())
            .into_bytes();
    answer.extend_from_slice(&body);
    let answer: &'static [u8] = Box::leak(answer.into_boxed_slice());
    std::thread::spawn(move || {
        if pin_to_cpu(1) {
            serve_spinning(listener, answer);
        } else {
            serve_blocking(listener, answer);
        }
    });
    format!("http://{address}")
}

/// The server on a core of its own: it polls its sockets and never sleeps, so that no request
/// has to wake it (see the header: on a virtual machine the wake is charged to the client thread).
fn serve_spinning(listener: std::net::TcpListener, answer: &'static [u8]) {
    let mut connections: Vec<Connection> = Vec::new();
    loop {
        if let Ok((socket, _)) = listener.accept()
            && socket.set_nonblocking(true).is_ok()
        {
            let _ = socket.set_nodelay(true);
            connections.push(Connection { socket, buffer: vec![0; 8192], filled: 0 });
        }
        connections.retain_mut(|connection| connection.serve(answer));
        std::hint::spin_loop();
    }
}

/// A connection of the spinning server.
struct Connection {
    socket: std::net::TcpStream,
    buffer: Vec<u8>,
    filled: usize,
}

impl Connection {
    /// Answers every request that has arrived; false once the connection is closed or broken.
    fn serve(&mut self, answer: &[u8]) -> bool {
        use std::io::{ErrorKind, Read, Write};
        match self.socket.read(&mut self.buffer[self.filled..]) {
            Ok(0) => return false,
            Ok(read) => self.filled += read,
            Err(error) if error.kind() == ErrorKind::WouldBlock => return true,
            Err(_) => return false,
        }
        // GETs have no body: every head ending is one request.
        while let Some(end) = self.buffer[..self.filled].windows(4).position(|w| w == b"\r\n\r\n") {
            let mut written = 0;
            while written < answer.len() {
                match self.socket.write(&answer[written..]) {
                    Ok(0) => return false,
                    Ok(count) => written += count,
                    Err(error) if error.kind() == ErrorKind::WouldBlock => std::hint::spin_loop(),
                    Err(_) => return false,
                }
            }
            self.buffer.copy_within(end + 4..self.filled, 0);
            self.filled -= end + 4;
        }
        self.filled < self.buffer.len()
    }
}

/// The server sharing the machine's cores with the client: it sleeps until a request comes.
fn serve_blocking(listener: std::net::TcpListener, answer: &'static [u8]) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
        loop {
            let Ok((mut socket, _)) = listener.accept().await else { continue };
            let _ = socket.set_nodelay(true);
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 8192];
                let mut filled = 0;
                loop {
                    match socket.read(&mut buffer[filled..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => filled += read,
                    }
                    // GETs have no body: every head ending is one request.
                    while let Some(end) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                        if socket.write_all(answer).await.is_err() {
                            return;
                        }
                        buffer.copy_within(end + 4..filled, 0);
                        filled -= end + 4;
                    }
                    if filled == buffer.len() {
                        return;
                    }
                }
            });
        }
    });
}

/// Keeps the calling thread on CPU `cpu` when the machine has more than one, so the client and
/// the server always run on cores of their own: a client thread that the scheduler moves onto
/// the server's core, or off it, changes the time per call by a third between rounds.
/// `KONTUR_BENCH_PIN=0` leaves placement to the scheduler.
fn pin_to_cpu(cpu: usize) -> bool {
    if std::env::var("KONTUR_BENCH_PIN").is_ok_and(|pin| pin == "0") {
        return false;
    }
    let available = std::thread::available_parallelism().map(usize::from).unwrap_or(1);
    if available < 2 {
        return false;
    }
    // SAFETY: `set` is a zeroed cpu_set_t that CPU_SET fills in; sched_setaffinity(0, ...) only
    // changes the calling thread's placement.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu % available, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) == 0
    }
}

/// The time on `clock` (a `clock_gettime` clock id).
fn clock_time(clock: libc::clockid_t) -> Duration {
    let mut time = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `time` is a valid timespec for the call to fill.
    let status = unsafe { libc::clock_gettime(clock, &mut time) };
    assert_eq!(status, 0, "clock_gettime({clock})");
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

/// CPU time of the calling thread.
fn thread_cpu_time() -> Duration {
    clock_time(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// Seconds on `CLOCK_MONOTONIC`, the clock `perf record -k CLOCK_MONOTONIC` stamps samples with.
fn monotonic_seconds() -> f64 {
    clock_time(libc::CLOCK_MONOTONIC).as_secs_f64()
}

/// Threads of this process: the client's work stays on one thread only if this stays 2.
fn thread_count() -> usize {
    std::fs::read_dir("/proc/self/task").map(|tasks| tasks.count()).unwrap_or(0)
}

struct Setup {
    base: String,
    floor: reqwest::Client,
    floor_headers: HeaderMap,
    raw: raw::Client,
    full: Client,
    account: uuid::Uuid,
    docflow: uuid::Uuid,
    /// The known extra work of [`Variant::Calibration`].
    spin: Duration,
    /// Whether each measurement prints its start and end (`KONTUR_BENCH_PHASES`).
    phases: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Floor,
    Raw,
    Checked,
    Full,
    /// The floor plus a known amount of busy work per call: how a known cost shows in the ratios.
    Calibration,
}

const VARIANTS: [Variant; 4] = [Variant::Floor, Variant::Raw, Variant::Checked, Variant::Full];

/// The variants to measure: the calibration too when `KONTUR_BENCH_CALIBRATE_NS` asks for it.
fn variants(spin: Duration) -> Vec<Variant> {
    let mut variants = VARIANTS.to_vec();
    if !spin.is_zero() {
        variants.push(Variant::Calibration);
    }
    variants
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Floor => "reqwest + serde_json (floor)",
            Variant::Raw => "raw client send()",
            Variant::Checked => "raw client .checked()",
            Variant::Full => "Client (token) .checked()",
            Variant::Calibration => "floor + busy work (calibration)",
        }
    }

    fn key(self) -> &'static str {
        match self {
            Variant::Floor => "floor",
            Variant::Raw => "raw",
            Variant::Checked => "checked",
            Variant::Full => "client",
            Variant::Calibration => "calibration",
        }
    }
}

/// Figures of one variant in one round.
#[derive(Clone, Copy, Default)]
struct Sample {
    cpu_us: f64,
    wall_us: f64,
    allocations: f64,
}

impl Setup {
    async fn call(&self, variant: Variant) -> Docflow {
        match variant {
            Variant::Floor => self.floor_call().await,
            Variant::Calibration => {
                let docflow = self.floor_call().await;
                let started = Instant::now();
                while started.elapsed() < self.spin {
                    std::hint::spin_loop();
                }
                docflow
            }
            Variant::Raw => self
                .raw
                .get_docflow()
                .account_id(self.account)
                .docflow_id(self.docflow)
                .send()
                .await
                .expect("a docflow")
                .into_inner(),
            Variant::Checked => self
                .raw
                .get_docflow()
                .account_id(self.account)
                .docflow_id(self.docflow)
                .send()
                .checked()
                .await
                .expect("a docflow")
                .into_inner(),
            Variant::Full => self
                .full
                .raw()
                .get_docflow()
                .account_id(self.account)
                .docflow_id(self.docflow)
                .send()
                .checked()
                .await
                .expect("a docflow")
                .into_inner(),
        }
    }

    /// The floor's call: bare reqwest and serde_json.
    async fn floor_call(&self) -> Docflow {
        let url = format!("{}/v1/{}/docflows/{}", self.base, self.account, self.docflow);
        let answer = self.floor.get(url).headers(self.floor_headers.clone()).send().await.expect("an answer");
        assert!(answer.status().is_success());
        let body = answer.bytes().await.expect("a body");
        serde_json::from_slice(&body).expect("a docflow")
    }

    /// Figures per call of `calls` calls, from `tasks` concurrent tasks.
    async fn measure(&self, variant: Variant, calls: usize, tasks: usize) -> Sample {
        let per_task = calls / tasks;
        let allocations_before = allocations();
        let phase_started = self.phases.then(monotonic_seconds);
        let cpu_started = thread_cpu_time();
        let wall_started = Instant::now();
        let runs = (0..tasks).map(|_| async move {
            for _ in 0..per_task {
                std::hint::black_box(self.call(variant).await);
            }
        });
        futures::future::join_all(runs).await;
        let made = (per_task * tasks) as f64;
        if let Some(started) = phase_started {
            eprintln!("phase {} {tasks} {started:.9} {:.9}", variant.key(), monotonic_seconds());
        }
        Sample {
            cpu_us: (thread_cpu_time() - cpu_started).as_secs_f64() * 1e6 / made,
            wall_us: wall_started.elapsed().as_secs_f64() * 1e6 / made,
            allocations: (allocations() - allocations_before) as f64 / made,
        }
    }
}

fn median(values: Vec<f64>) -> f64 {
    quantile(values, 0.5)
}

/// The `q` quantile of `values` (linear between the two nearest ranks).
fn quantile(mut values: Vec<f64>, q: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = q * (values.len() - 1) as f64;
    let (below, above) = (rank.floor() as usize, rank.ceil() as usize);
    values[below] + (values[above] - values[below]) * (rank - below as f64)
}

fn main() {
    let calls = env_number("KONTUR_BENCH_CALLS", 800);
    let rounds = env_number("KONTUR_BENCH_ROUNDS", 101);
    let only = std::env::var("KONTUR_BENCH_ONLY").ok();
    let spin = Duration::from_nanos(
        std::env::var("KONTUR_BENCH_CALIBRATE_NS").ok().and_then(|value| value.parse().ok()).unwrap_or(0),
    );
    let variants = variants(spin);
    let body = docflow_body();
    let base = start_server(body.clone());
    let _ = pin_to_cpu(0);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async move {
        let mut floor_headers = HeaderMap::new();
        floor_headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        floor_headers
            .insert(HeaderName::from_static("api-version"), HeaderValue::from_static(raw::Client::api_version()));
        let mut bearer = HeaderValue::from_str(&format!("Bearer {TOKEN}")).expect("a header value");
        bearer.set_sensitive(true);
        floor_headers.insert(AUTHORIZATION, bearer);
        let setup = Setup {
            // The settings of `kontur_extern::transport::http_client`, spelled out in reqwest.
            floor: reqwest::Client::builder()
                .user_agent(USER_AGENT_VALUE)
                .connect_timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("reqwest"),
            floor_headers,
            raw: Transport::unauthenticated().into_client(&base).expect("a raw client"),
            full: Client::builder()
                .environment(Environment::new(&base, &base).expect("loopback URLs"))
                .access_token(SecretString::from(TOKEN))
                .build()
                .expect("a client"),
            account: ACCOUNT.parse().unwrap(),
            docflow: DOCFLOW.parse().unwrap(),
            spin,
            phases: std::env::var_os("KONTUR_BENCH_PHASES").is_some(),
            base,
        };
        for variant in variants.iter().copied() {
            let docflow = setup.call(variant).await;
            assert_eq!(docflow.documents.len(), 3, "{} decodes the whole docflow", variant.name());
        }

        if std::env::var_os("KONTUR_BENCH_SIZES").is_some() {
            let send = setup.raw.get_docflow().account_id(setup.account).docflow_id(setup.docflow).send();
            println!("send future: {}", std::mem::size_of_val(&send));
            let checked = setup.raw.get_docflow().account_id(setup.account).docflow_id(setup.docflow).send().checked();
            println!("checked call: {}", std::mem::size_of_val(&checked));
            let fut = std::future::IntoFuture::into_future(checked);
            println!("checked future: {}", std::mem::size_of_val(&fut));
            let floor = setup.call(Variant::Floor);
            println!("floor call future: {}", std::mem::size_of_val(&floor));
            let req = setup.floor.get("http://127.0.0.1/").build().unwrap();
            println!("reqwest::Request: {}", std::mem::size_of_val(&req));
            println!("reqwest::Response: {}", std::mem::size_of::<reqwest::Response>());
            let ex = setup.floor.execute(req);
            println!("reqwest::Pending: {}", std::mem::size_of_val(&ex));
            let transport = Transport::unauthenticated();
            let req = setup.floor.get("http://127.0.0.1/").build().unwrap();
            let sending = transport.send(&setup.floor, req, "get_docflow");
            println!("Transport::send future: {}", std::mem::size_of_val(&sending));
            let response: reqwest::Response = http::Response::new(reqwest::Body::from("{}")).into();
            let bytes = response.bytes();
            println!("bytes future: {}", std::mem::size_of_val(&bytes));
            let response: reqwest::Response = http::Response::new(reqwest::Body::from("{}")).into();
            let decode = progenitor_client::ResponseValue::<Docflow>::from_response::<raw::types::ApiError>(response);
            println!("from_response future: {}", std::mem::size_of_val(&decode));
            let response: reqwest::Response = http::Response::new(reqwest::Body::from("{}")).into();
            let decode = kontur_extern::transport::response_value::<Docflow, raw::types::ApiError>(response);
            println!("response_value future: {}", std::mem::size_of_val(&decode));
            println!("Docflow: {}", std::mem::size_of::<Docflow>());
            return;
        }
        if let Some(only) = only {
            let variant = variants
                .iter()
                .copied()
                .find(|v| v.key() == only)
                .expect("floor, raw, checked, client or (with KONTUR_BENCH_CALIBRATE_NS) calibration");
            let tasks = env_number("KONTUR_BENCH_TASKS", 1);
            for round in 1..=rounds {
                let sample = setup.measure(variant, calls, tasks).await;
                println!(
                    "{} round {round}: {:.1} CPU µs/call, {:.1} allocations/call",
                    variant.name(),
                    sample.cpu_us,
                    sample.allocations
                );
            }
            return;
        }

        println!("overhead: {calls} calls per variant, mode and round, {rounds} rounds, {} byte docflow", body.len());
        for (mode, tasks) in [("sequential", 1), ("concurrent", CONCURRENCY)] {
            let mut samples = vec![Vec::<Sample>::new(); variants.len()];
            for round in 0..rounds {
                // A rotating order, so no variant always runs first (cold) or after the same one.
                for offset in 0..variants.len() {
                    let index = (round + offset) % variants.len();
                    samples[index].push(setup.measure(variants[index], calls, tasks).await);
                }
            }
            let floor = &samples[0];
            println!("\n{mode} ({tasks} task{}): median of {rounds} rounds", if tasks == 1 { "" } else { "s" });
            println!(
                "  {:<30} {:>12} {:>8} {:>15} {:>12} {:>8} {:>12}",
                "variant", "CPU µs/call", "ratio", "ratio p25-p75", "wall µs/call", "ratio", "allocs/call"
            );
            for (index, variant) in variants.iter().copied().enumerate() {
                let own = &samples[index];
                let cpu_ratios: Vec<f64> = own.iter().zip(floor).map(|(s, f)| s.cpu_us / f.cpu_us).collect();
                let wall_ratio = median(own.iter().zip(floor).map(|(s, f)| s.wall_us / f.wall_us).collect());
                println!(
                    "  {:<30} {:>12.1} {:>7.3}x {:>15} {:>12.1} {:>7.3}x {:>12.1}",
                    variant.name(),
                    median(own.iter().map(|s| s.cpu_us).collect()),
                    median(cpu_ratios.clone()),
                    format!("{:.3}-{:.3}", quantile(cpu_ratios.clone(), 0.25), quantile(cpu_ratios, 0.75)),
                    median(own.iter().map(|s| s.wall_us).collect()),
                    wall_ratio,
                    median(own.iter().map(|s| s.allocations).collect()),
                );
            }
            if !spin.is_zero() {
                let floor_us = median(floor.iter().map(|s| s.cpu_us).collect());
                println!(
                    "  calibration: {} ns of busy work per call would show as {:.3}x if it cost only itself",
                    spin.as_nanos(),
                    1.0 + spin.as_secs_f64() * 1e6 / floor_us
                );
            }
        }
        println!("\nthreads in the process: {} (the client's and the server's)", thread_count());
        println!("target: the full client within 1.05x of the floor (CPU)");
    });
}
