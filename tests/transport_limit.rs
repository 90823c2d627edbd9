//! The cap on requests in flight, measured at the server.

mod transport_support;

use std::time::Duration;

use futures::future::join_all;
use kontur_extern::transport::{RetryPolicy, SendExt, Transport};
use serde_json::json;
use transport_support::{ACCOUNT, DOCFLOW, LoopbackServer, Reply, uuid};

fn slow_docflow() -> Reply {
    Reply::json(200, json!({ "id": DOCFLOW })).delay(Duration::from_millis(150))
}

async fn run_concurrently(transport: Transport, server: &LoopbackServer, calls: usize) {
    let client = transport.into_client(&server.base_url).unwrap();
    let results = join_all((0..calls).map(|_| {
        client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().into_future()
    }))
    .await;
    assert!(results.iter().all(Result::is_ok), "every queued call is served: {results:?}");
    assert_eq!(server.hits(), calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_five_concurrent_calls_never_exceed_the_default_cap_of_twenty() {
    let server = LoopbackServer::always(slow_docflow()).await;
    run_concurrently(Transport::unauthenticated(), &server, 25).await;
    assert!(server.max_in_flight() <= 20, "the server saw {} requests at once", server.max_in_flight());
    assert!(server.max_in_flight() > 1, "calls do run concurrently up to the cap");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_cap_holds_and_queued_calls_all_finish() {
    let server = LoopbackServer::always(slow_docflow()).await;
    run_concurrently(Transport::unauthenticated().max_in_flight(3), &server, 25).await;
    assert!(server.max_in_flight() <= 3, "the server saw {} requests at once", server.max_in_flight());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_of_a_transport_share_one_cap() {
    let server = LoopbackServer::always(slow_docflow()).await;
    let transport = Transport::unauthenticated().max_in_flight(2);
    let first = transport.clone().into_client(&server.base_url).unwrap();
    let second = transport.into_client(&server.base_url).unwrap();
    let calls = (0..6).map(|index| {
        let client = if index % 2 == 0 { &first } else { &second };
        client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().into_future()
    });
    let results = join_all(calls).await;
    assert!(results.iter().all(Result::is_ok));
    assert!(server.max_in_flight() <= 2, "the server saw {} requests at once", server.max_in_flight());
}

/// With one slot, a call that pauses before its retry lets another call through meanwhile:
/// the pause does not hold the slot.
#[tokio::test]
async fn a_retry_pause_does_not_hold_a_slot() {
    let server = LoopbackServer::start(|index, seen| {
        if index == 0 {
            assert!(seen.path.ends_with("/docflows"), "the search goes first");
            Reply::json(503, json!({ "status-code": 503 })).header("Retry-After", "1")
        } else {
            Reply::json(200, json!({ "id": DOCFLOW, "docflows-page-item": [] }))
        }
    })
    .await;
    let client = Transport::unauthenticated()
        .max_in_flight(1)
        .retry_policy(RetryPolicy::default().with_base_delay(Duration::from_millis(5)))
        .into_client(&server.base_url)
        .unwrap();

    let search = client.search_docflows().account_id(uuid(ACCOUNT)).send().checked().into_future();
    let get = async {
        // Start once the search holds (or has held) the only slot.
        while server.hits() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().await
    };
    let (search, get) = tokio::join!(search, get);
    search.expect("the search succeeds on its retry");
    get.expect("the get succeeds");

    let order: Vec<String> = server.seen().into_iter().map(|seen| seen.path).collect();
    assert_eq!(order.len(), 3);
    assert!(order[0].ends_with("/docflows") && order[2].ends_with("/docflows"), "{order:?}");
    assert!(order[1].ends_with(DOCFLOW), "the get ran while the search paused: {order:?}");
}

/// A download's slot stays taken while its body is unread (the server still works on it)
/// and is freed when the body is read to the end or dropped.
#[tokio::test]
async fn an_unread_download_keeps_its_slot_until_read_or_dropped() {
    let server = LoopbackServer::start(|_, seen| {
        if seen.path.contains("/contents/") {
            Reply::raw(200, "file bytes").header("Content-Type", "application/octet-stream")
        } else {
            Reply::json(200, json!({ "id": DOCFLOW }))
        }
    })
    .await;
    let client = Transport::unauthenticated().max_in_flight(1).into_client(&server.base_url).unwrap();
    let download = || client.download_content().account_id(uuid(ACCOUNT)).content_id(uuid(DOCFLOW)).send().checked();

    // Read to the end: the slot is free at once.
    let mut stream = download().await.expect("download").into_inner().into_inner();
    let mut content = Vec::new();
    while let Some(chunk) = futures::StreamExt::next(&mut stream).await {
        content.extend_from_slice(&chunk.expect("a chunk"));
    }
    assert_eq!(content, b"file bytes");
    client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().await.expect("get");

    // Left unread: the next call waits until the body is dropped.
    let unread = download().await.expect("download");
    let mut get = Box::pin(
        client.get_docflow().account_id(uuid(ACCOUNT)).docflow_id(uuid(DOCFLOW)).send().checked().into_future(),
    );
    let early = tokio::time::timeout(Duration::from_millis(200), &mut get).await;
    assert!(early.is_err(), "the get waits for the slot of the unread download");
    assert_eq!(server.hits(), 3);
    drop(unread);
    get.await.expect("the get runs once the download is dropped");
    assert_eq!(server.hits(), 4);
}
