//! What the crate's request path costs over bare reqwest + serde_json.
//!
//! A loopback HTTP/1.1 server (its own thread) answers every GET with the same ~3 KB docflow.
//! On one client thread (a current-thread runtime, so the thread's CPU time is all the client's
//! work) each variant makes N calls, sequentially and from 16 concurrent tasks, decoding the
//! answer into `raw::types::Docflow`:
//! - `floor`: bare `reqwest` + `serde_json`;
//! - `raw`: the generated client (`send()`);
//! - `checked`: the generated client with `.checked()`;
//! - `client`: the full `Client` with an access token (authenticator, `.checked()`).
//!
//! Rounds interleave the variants; the figure is the median over rounds of CPU µs per call,
//! with its ratio to the floor of the same run. `KONTUR_BENCH_CALLS` (default 2000) sets N,
//! `KONTUR_BENCH_ROUNDS` (default 5) the rounds.
//!
//! `cargo bench --bench overhead`

use std::time::{Duration, Instant};

use kontur_extern::raw::types::Docflow;
use kontur_extern::transport::{SendExt, Transport};
use kontur_extern::{Client, Environment, raw};
use secrecy::SecretString;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
const DOCFLOW: &str = "0c7e1b3a-2d4f-4a6b-8c9d-1e2f3a4b5c6d";
const CONCURRENCY: usize = 16;

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
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
            let answer: &'static [u8] = Box::leak(answer.into_boxed_slice());
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
    });
    format!("http://{address}")
}

/// CPU time of the calling thread.
fn thread_cpu_time() -> Duration {
    let mut time = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `time` is a valid timespec for the call to fill.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut time) };
    assert_eq!(status, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(time.tv_sec as u64, time.tv_nsec as u32)
}

struct Setup {
    base: String,
    floor: reqwest::Client,
    raw: raw::Client,
    full: Client,
    account: uuid::Uuid,
    docflow: uuid::Uuid,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Variant {
    Floor,
    Raw,
    Checked,
    Full,
}

const VARIANTS: [Variant; 4] = [Variant::Floor, Variant::Raw, Variant::Checked, Variant::Full];

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Floor => "reqwest + serde_json (floor)",
            Variant::Raw => "raw client send()",
            Variant::Checked => "raw client .checked()",
            Variant::Full => "Client (token) .checked()",
        }
    }
}

impl Setup {
    async fn call(&self, variant: Variant) -> Docflow {
        match variant {
            Variant::Floor => {
                let url = format!("{}/v1/{}/docflows/{}", self.base, self.account, self.docflow);
                let body = self.floor.get(url).send().await.expect("an answer").bytes().await.expect("a body");
                serde_json::from_slice(&body).expect("a docflow")
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

    /// CPU and wall time per call of `calls` calls, from `tasks` concurrent tasks.
    async fn measure(&self, variant: Variant, calls: usize, tasks: usize) -> (f64, f64) {
        let per_task = calls / tasks;
        let cpu_started = thread_cpu_time();
        let wall_started = Instant::now();
        let runs = (0..tasks).map(|_| async move {
            for _ in 0..per_task {
                std::hint::black_box(self.call(variant).await);
            }
        });
        futures::future::join_all(runs).await;
        let made = (per_task * tasks) as f64;
        let cpu = (thread_cpu_time() - cpu_started).as_secs_f64() * 1e6 / made;
        let wall = wall_started.elapsed().as_secs_f64() * 1e6 / made;
        (cpu, wall)
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let calls = env_number("KONTUR_BENCH_CALLS", 2000);
    let rounds = env_number("KONTUR_BENCH_ROUNDS", 5);
    let body = docflow_body();
    let base = start_server(body.clone());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async move {
        let setup = Setup {
            floor: reqwest::Client::builder().build().expect("reqwest"),
            raw: Transport::unauthenticated().into_client(&base).expect("a raw client"),
            full: Client::builder()
                .environment(Environment::new(&base, &base).expect("loopback URLs"))
                .access_token(SecretString::from("bench-access-token"))
                .build()
                .expect("a client"),
            account: ACCOUNT.parse().unwrap(),
            docflow: DOCFLOW.parse().unwrap(),
            base,
        };
        for variant in VARIANTS {
            let docflow = setup.call(variant).await;
            assert_eq!(docflow.documents.len(), 3, "{} decodes the whole docflow", variant.name());
        }
        println!(
            "overhead: {calls} calls per variant and mode, {rounds} interleaved rounds, {} byte docflow",
            body.len()
        );
        for (mode, tasks) in [("sequential", 1), ("concurrent", CONCURRENCY)] {
            let mut cpu: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
            let mut wall: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
            for _ in 0..rounds {
                for (index, variant) in VARIANTS.into_iter().enumerate() {
                    let (c, w) = setup.measure(variant, calls, tasks).await;
                    cpu[index].push(c);
                    wall[index].push(w);
                }
            }
            let cpu: Vec<f64> = cpu.iter_mut().map(|v| median(v)).collect();
            let wall: Vec<f64> = wall.iter_mut().map(|v| median(v)).collect();
            println!("\n{mode} ({tasks} task{}): median of {rounds} rounds", if tasks == 1 { "" } else { "s" });
            println!("  {:<30} {:>12} {:>8} {:>12} {:>8}", "variant", "CPU µs/call", "ratio", "wall µs/call", "ratio");
            for (index, variant) in VARIANTS.into_iter().enumerate() {
                println!(
                    "  {:<30} {:>12.1} {:>7.3}x {:>12.1} {:>7.3}x",
                    variant.name(),
                    cpu[index],
                    cpu[index] / cpu[0],
                    wall[index],
                    wall[index] / wall[0]
                );
            }
        }
        println!("\ntarget: the full client within 1.05x of the floor (CPU)");
    });
}
