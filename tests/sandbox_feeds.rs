//! Reading long lists over real HTTP against the sandbox: the events feed resumed by a new client
//! from a cursor file with no event lost, and 250 docflows paged through with no gaps or repeats.

mod sandbox_support;

use std::collections::HashSet;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kontur_extern::events::{FeedPolicy, FileCursorStore};
use kontur_extern::paging::{DocflowFilter, Order};
use kontur_extern::vocab::DocflowType;
use sandbox_support::{password_client, start};

/// Every event the sandbox has, read in one request with the raw client.
async fn all_event_ids(client: &kontur_extern::Client) -> Vec<String> {
    let page = client.raw().get_events().from_id("0_0").take(1000).send().await.unwrap().into_inner();
    assert!(page.api_events.len() < 1000, "one page holds them all");
    page.api_events.iter().map(|event| event.id.clone().expect("events have ids")).collect()
}

fn quick_feed() -> FeedPolicy {
    FeedPolicy::default().take(7).poll_interval(Duration::from_millis(20))
}

#[tokio::test]
async fn the_events_feed_resumes_after_a_restart_from_its_cursor_file_with_no_event_lost() {
    let stand = start().await;
    let directory = tempfile::tempdir().unwrap();
    let cursor_file = directory.path().join("events.cursor");
    stand.sandbox.file_reports(20, "0087").await;
    stand.sandbox.advance(Duration::from_secs(60)).await; // each report: sent + date confirmation

    // The first run handles four batches and commits them, handles a fifth and dies before
    // committing it.
    let mut committed = Vec::new();
    let mut uncommitted = Vec::new();
    {
        let first = password_client(&stand.sandbox).build().unwrap();
        let mut feed =
            first.events().feed(FileCursorStore::new(&cursor_file)).policy(quick_feed()).start().await.unwrap();
        for _ in 0..4 {
            let batch = feed.next().await.unwrap().unwrap();
            assert_eq!(batch.len(), 7, "full batches while events are waiting");
            committed.extend(batch.events().iter().map(|event| event.id().unwrap().to_owned()));
            batch.commit().await.unwrap();
        }
        let batch = feed.next().await.unwrap().unwrap();
        uncommitted.extend(batch.events().iter().map(|event| event.id().unwrap().to_owned()));
        // Dropped here with the batch: the client, the stream and the uncommitted batch are gone.
    }

    // While no one reads, the regulators go on answering.
    stand.sandbox.advance(Duration::from_secs(600)).await;

    let second = password_client(&stand.sandbox).build().unwrap();
    let mut resumed = Vec::new();
    let mut feed = second.events().feed(FileCursorStore::new(&cursor_file)).policy(quick_feed()).start().await.unwrap();
    loop {
        let batch = tokio::time::timeout(Duration::from_secs(10), feed.next()).await.unwrap().unwrap().unwrap();
        resumed.extend(batch.events().iter().map(|event| event.id().unwrap().to_owned()));
        let caught_up = batch.is_caught_up();
        batch.commit().await.unwrap();
        if caught_up {
            break;
        }
    }

    assert_eq!(resumed[..uncommitted.len()], uncommitted[..], "the uncommitted batch comes again first");
    let read: Vec<String> = committed.iter().chain(&resumed).cloned().collect();
    let server = all_event_ids(&stand.client).await;
    assert!(server.len() > 60, "the robots answered while the reader was down: {}", server.len());
    assert_eq!(read, server, "the two runs together read every event once, in order");

    // An event leads to its docflow.
    let event_docflow = {
        let mut feed = second.events().feed(kontur_extern::events::MemoryCursorStore::new()).start().await.unwrap();
        let batch = feed.next().await.unwrap().unwrap();
        let event = batch.events()[0].clone();
        let docflow = second.events().docflow(&event).await.unwrap();
        (event.docflow_id(), docflow.id)
    };
    assert_eq!(event_docflow.0, Some(event_docflow.1));
}

#[tokio::test]
async fn paging_through_250_docflows_sees_each_once_in_order() {
    let stand = start().await;
    // Docflows to an inspection no robot answers: they stay as filed.
    let filed = stand.sandbox.file_reports(250, "0001").await;
    let docflows = stand.account().docflows();
    let filter = DocflowFilter::new().docflow_type(DocflowType::Fns534Report);

    let oldest_first: Vec<_> = docflows
        .search(filter.clone().order_by(Order::Ascending))
        .page_size(100)
        .map_ok(|item| item.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(oldest_first.len(), 250);
    assert_eq!(oldest_first.iter().collect::<HashSet<_>>().len(), 250, "no docflow twice");
    assert_eq!(oldest_first, filed, "three pages, in filing order");

    let newest_first: Vec<_> =
        docflows.search(filter.clone()).page_size(64).map_ok(|item| item.id).try_collect().await.unwrap();
    let mut expected = filed.clone();
    expected.reverse();
    assert_eq!(newest_first, expected, "the API's default order is newest first");

    let tail: Vec<_> = docflows
        .search(filter.order_by(Order::Ascending))
        .page_size(100)
        .starting_at(240)
        .map_ok(|item| item.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(tail, filed[240..], "starting at 240 reads the last ten");
}
