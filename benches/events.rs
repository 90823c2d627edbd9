//! The events feed read through `client.events().feed(..)` against a bare reqwest + serde_json
//! loop over the same pages of 1,000 events from a loopback server, in the same run.
//!
//! `cargo bench --bench events` (`-- --pages N --rounds N` to change the size). Target: the
//! stream reads at least 0.9× as many events per second as the bare loop.

#[path = "../tests/events_support/mod.rs"]
mod events_support;

use std::time::{Duration, Instant};

use events_support::FakeFeed;
use futures::StreamExt;
use kontur_extern::events::{FeedPolicy, MemoryCursorStore};
use kontur_extern::raw::types::EventsPage;

const TAKE: usize = 1_000;

fn main() {
    let mut pages = 20usize;
    let mut rounds = 7usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--pages" => pages = args.next().and_then(|v| v.parse().ok()).unwrap_or(pages),
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(rounds),
            _ => {} // cargo bench passes --bench
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(run(pages, rounds));
}

async fn run(pages: usize, rounds: usize) {
    let fake = FakeFeed::start().await;
    fake.push_ordinary(pages * TAKE);
    let total = pages * TAKE;
    let client = fake.client();
    let http = reqwest::Client::new();

    // Warm up connections and caches once each.
    assert_eq!(bare_loop(&http, fake.base_url(), total).await, total);
    assert_eq!(through_stream(&client, total).await, total);

    let mut bare = Vec::new();
    let mut stream = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        assert_eq!(bare_loop(&http, fake.base_url(), total).await, total);
        bare.push(started.elapsed());
        let started = Instant::now();
        assert_eq!(through_stream(&client, total).await, total);
        stream.push(started.elapsed());
    }
    let bare = median(bare);
    let stream = median(stream);
    let rate = |elapsed: Duration| total as f64 / elapsed.as_secs_f64();
    println!("events feed: {pages} pages of {TAKE} events, median of {rounds} rounds");
    println!("  bare reqwest + serde_json: {:>10.0} events/s ({bare:?} per round)", rate(bare));
    println!("  events stream:             {:>10.0} events/s ({stream:?} per round)", rate(stream));
    println!("  ratio stream / bare: {:.3}x (target >= 0.9x)", rate(stream) / rate(bare));
}

/// What a user writes by hand: ask, decode, follow `next-event-id`.
async fn bare_loop(http: &reqwest::Client, base_url: &str, total: usize) -> usize {
    let mut cursor = "0_0".to_owned();
    let mut seen = 0;
    while seen < total {
        let body = http
            .get(format!("{base_url}/v1/events"))
            .query(&[("fromId", cursor.as_str()), ("take", &TAKE.to_string())])
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page: EventsPage = serde_json::from_slice(&body).unwrap();
        seen += page.api_events.len();
        cursor = page.next_event_id.unwrap();
    }
    seen
}

/// The same pages through the stream, committing each batch to a memory store.
async fn through_stream(client: &kontur_extern::Client, total: usize) -> usize {
    let policy = FeedPolicy::default().take(TAKE as u32).poll_interval(Duration::from_secs(3600));
    let mut feed = client.events().feed(MemoryCursorStore::new()).policy(policy).start().await.unwrap();
    let mut seen = 0;
    while seen < total {
        let batch = feed.next().await.unwrap().unwrap();
        seen += batch.events().iter().filter(|event| event.id().is_some()).count();
        batch.commit().await.unwrap();
    }
    seen
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}
