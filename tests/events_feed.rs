//! The events feed as a stream: paging, polling when caught up, errors and resumption,
//! acknowledgement, shutdown, unknown values.

mod events_support;

use std::sync::Arc;
use std::time::Duration;

use events_support::{FakeFeed, cursor_at, event_id, event_json};
use futures::StreamExt;
use kontur_extern::events::{
    Backoff, Batch, CursorStore, EventCursor, EventStream, FeedPolicy, FileCursorStore, MemoryCursorStore,
};
use kontur_extern::vocab::{DocflowType, TransactionKind};

/// The same short pause after every failure, for tests.
struct FixedPause(Duration);

impl Backoff for FixedPause {
    fn next_pause(&mut self) -> Option<Duration> {
        Some(self.0)
    }
    fn reset(&mut self) {}
}

fn policy(take: u32, poll_interval: Duration) -> FeedPolicy {
    FeedPolicy::default().take(take).poll_interval(poll_interval).backoff(FixedPause(Duration::from_millis(10)))
}

async fn feed<S: CursorStore>(fake: &FakeFeed, store: S, policy: FeedPolicy) -> EventStream<S> {
    match fake.client().events().feed(store).policy(policy).start().await {
        Ok(stream) => stream,
        Err(_) => panic!("the store loads"),
    }
}

async fn next_batch<S: CursorStore>(stream: &mut EventStream<S>) -> Batch<S> {
    let item = tokio::time::timeout(Duration::from_secs(10), stream.next()).await.expect("a batch in time");
    item.expect("the feed goes on").expect("a batch, not an error")
}

fn ids<S: CursorStore>(batch: &Batch<S>) -> Vec<String> {
    batch.events().iter().map(|event| event.id().expect("events have ids").to_owned()).collect()
}

fn expected_ids(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(event_id).collect()
}

#[tokio::test]
async fn three_pages_then_caught_up_then_a_new_page() {
    let fake = FakeFeed::start().await;
    fake.push_ordinary(9);
    let poll_interval = Duration::from_millis(300);
    let mut stream = feed(&fake, MemoryCursorStore::new(), policy(3, poll_interval)).await;

    for page in 0..3 {
        let batch = next_batch(&mut stream).await;
        assert_eq!(ids(&batch), expected_ids(page * 3..page * 3 + 3));
        assert_eq!(batch.from_cursor().as_str(), cursor_at(page * 3));
        assert_eq!(batch.next_cursor().as_str(), cursor_at(page * 3 + 3));
        assert!(!batch.is_caught_up(), "a full page is not the end");
        batch.commit().await.unwrap();
    }

    // The fourth request finds nothing; the stream waits, asks again, and picks up new events.
    let waiting = tokio::spawn(async move {
        let batch = next_batch(&mut stream).await;
        (batch, stream)
    });
    tokio::time::sleep(poll_interval / 2).await;
    fake.push_ordinary(2);
    let (batch, _stream) = waiting.await.unwrap();
    assert_eq!(ids(&batch), expected_ids(9..11));
    assert_eq!(batch.from_cursor().as_str(), cursor_at(9));
    assert!(batch.is_caught_up(), "two of three asked for: caught up");

    let asked = fake.asked();
    let cursors: Vec<&str> = asked.iter().map(|asked| asked.from_id.as_str()).collect();
    assert_eq!(&cursors[..4], [cursor_at(0), cursor_at(3), cursor_at(6), cursor_at(9)]);
    assert!(cursors[4..].iter().all(|cursor| *cursor == cursor_at(9)), "polls stay at the end: {cursors:?}");
    assert!(asked.iter().all(|asked| asked.take == 3));
    // After the empty page the stream paused for the poll interval before asking again.
    let pause = asked[4].at - asked[3].at;
    assert!(pause >= poll_interval, "asked again after {pause:?}");
    // Full pages follow each other without a pause.
    assert!(asked[1].at - asked[0].at < poll_interval);
}

#[tokio::test]
async fn an_error_mid_feed_is_yielded_and_the_feed_resumes_from_the_last_good_cursor() {
    let fake = FakeFeed::start().await;
    fake.push_ordinary(9);
    let mut stream = feed(&fake, MemoryCursorStore::new(), policy(3, Duration::from_secs(60))).await;

    let first = next_batch(&mut stream).await;
    fake.fail_next(500);
    let error = stream.next().await.expect("the feed goes on").expect_err("the scripted failure");
    assert_eq!(error.operation(), Some("get_events"));
    assert_eq!(error.status().map(|status| status.as_u16()), Some(500));
    assert_eq!(error.trace_id(), Some("trace-fake"));

    let second = next_batch(&mut stream).await;
    let third = next_batch(&mut stream).await;
    let seen: Vec<String> = [&first, &second, &third].into_iter().flat_map(ids).collect();
    assert_eq!(seen, expected_ids(0..9), "every event once, in order");

    let cursors: Vec<String> = fake.asked().iter().map(|asked| asked.from_id.clone()).collect();
    assert_eq!(cursors[..4], [cursor_at(0), cursor_at(3), cursor_at(3), cursor_at(6)]);
}

#[tokio::test]
async fn a_restart_after_an_error_repeats_only_the_uncommitted_batch() {
    let fake = FakeFeed::start().await;
    fake.push_ordinary(9);
    let store = Arc::new(MemoryCursorStore::new());
    let mut handled: Vec<String> = Vec::new();

    let mut stream = feed(&fake, store.clone(), policy(3, Duration::from_secs(60))).await;
    let first = next_batch(&mut stream).await;
    handled.extend(ids(&first));
    first.commit().await.unwrap();
    let second = next_batch(&mut stream).await;
    handled.extend(ids(&second));
    // The consumer fails before committing the second batch and gives up on this stream.
    fake.fail_next(503);
    assert!(stream.next().await.unwrap().is_err());
    drop(second);
    drop(stream);
    assert_eq!(store.cursor().map(|cursor| cursor.to_string()), Some(cursor_at(3)));

    let mut stream = feed(&fake, store.clone(), policy(3, Duration::from_secs(60))).await;
    for _ in 0..2 {
        let batch = next_batch(&mut stream).await;
        handled.extend(ids(&batch));
        batch.commit().await.unwrap();
    }
    let mut expected = expected_ids(0..6);
    expected.extend(expected_ids(3..9));
    assert_eq!(handled, expected, "only the uncommitted batch came twice");
    assert_eq!(store.cursor().map(|cursor| cursor.to_string()), Some(cursor_at(9)));
}

#[tokio::test]
async fn a_consumer_killed_before_commit_gets_the_batch_again_with_the_file_store() {
    let fake = FakeFeed::start().await;
    fake.push_ordinary(6);
    let directory = tempfile::tempdir().unwrap();
    let path = directory.path().join("events.cursor");
    let (handled_tx, mut handled_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<String>>();

    let consumer = {
        let fake = fake.clone();
        let path = path.clone();
        tokio::spawn(async move {
            let mut stream = feed(&fake, FileCursorStore::new(&path), policy(3, Duration::from_secs(60))).await;
            let first = next_batch(&mut stream).await;
            handled_tx.send(ids(&first)).unwrap();
            first.commit().await.unwrap();
            let second = next_batch(&mut stream).await;
            handled_tx.send(ids(&second)).unwrap();
            // Killed here: handled, not yet committed.
            std::future::pending::<()>().await;
            second.commit().await.unwrap();
        })
    };
    assert_eq!(handled_rx.recv().await.unwrap(), expected_ids(0..3));
    assert_eq!(handled_rx.recv().await.unwrap(), expected_ids(3..6));
    consumer.abort();
    assert!(consumer.await.unwrap_err().is_cancelled());

    let store = FileCursorStore::new(&path);
    assert_eq!(store.load().await.unwrap(), Some(EventCursor::new(cursor_at(3)).unwrap()));
    let mut stream = feed(&fake, store, policy(3, Duration::from_secs(60))).await;
    let again = next_batch(&mut stream).await;
    assert_eq!(ids(&again), expected_ids(3..6), "the handled but uncommitted batch comes again");
    again.commit().await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), format!("{}\n", cursor_at(6)));
}

#[tokio::test]
async fn unknown_new_state_values_and_fields_flow_through() {
    let fake = FakeFeed::start().await;
    let mut odd = event_json(0, "urn:transaction:something-new-in-2030");
    odd["docflow-type"] = "urn:docflow:not-yet-invented".into();
    odd["mood"] = "cheerful".into();
    // The same instant as the ordinary events, as Moscow time without an offset.
    odd["event-date-time"] = "2024-05-20T13:15:30.1234567".into();
    fake.push([odd, event_json(1, "urn:transaction:processing-result-ok")]);
    let mut stream = feed(&fake, MemoryCursorStore::new(), policy(10, Duration::from_secs(60))).await;

    let batch = next_batch(&mut stream).await;
    let events = batch.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].new_state(), Some(&TransactionKind::Unknown("urn:transaction:something-new-in-2030".into())));
    assert_eq!(events[0].docflow_type(), Some(&DocflowType::Unknown("urn:docflow:not-yet-invented".into())));
    assert_eq!(events[0].as_raw().extra.get("mood"), Some(&serde_json::json!("cheerful")));
    // Read-modify-write keeps the unknown values and fields as they came.
    let written = serde_json::to_value(events[0].as_raw()).unwrap();
    assert_eq!(written["new-state"], "urn:transaction:something-new-in-2030");
    assert_eq!(written["docflow-type"], "urn:docflow:not-yet-invented");
    assert_eq!(written["mood"], "cheerful");
    assert_eq!(events[1].new_state(), Some(&TransactionKind::ProcessingResultOk));
    assert_eq!(events[1].docflow_type(), Some(&DocflowType::Fns534Report));
    assert_eq!(events[1].account_id().map(|id| id.to_string()).as_deref(), Some(events_support::ACCOUNT));
    let date = events[1].date().expect("a date");
    assert_eq!(date.as_str(), "2024-05-20T10:15:30.1234567Z");
    assert_eq!(date.to_utc().timestamp(), 1_716_200_130);
    assert_eq!(events[0].date().map(|date| date.to_utc()), Some(date.to_utc()));
    assert_eq!(events[1].docflow_link().and_then(|link| link.rel.as_deref()), Some("docflow"));
}

#[tokio::test]
async fn a_stop_signal_ends_the_stream_and_commits_nothing() {
    let fake = FakeFeed::start().await;
    fake.push_ordinary(2);
    let store = Arc::new(MemoryCursorStore::new());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let mut stream = fake
        .client()
        .events()
        .feed(store.clone())
        .policy(policy(3, Duration::from_secs(3600)))
        .stop_on(stopped)
        .start()
        .await
        .unwrap();

    let batch = next_batch(&mut stream).await;
    assert!(batch.is_caught_up());
    // The stream now waits an hour before polling; the signal ends the wait at once.
    stop.send(()).unwrap();
    let end = tokio::time::timeout(Duration::from_secs(5), stream.next()).await.expect("stops promptly");
    assert!(end.is_none(), "the stream ends");
    assert_eq!(fake.asked().len(), 1, "no request after the signal");
    assert_eq!(store.cursor(), None, "nothing committed by the stream itself");
    drop(batch);
}

#[tokio::test]
async fn committing_an_older_batch_never_moves_the_cursor_back() {
    let fake = FakeFeed::start().await;
    fake.push_ordinary(6);
    let store = Arc::new(MemoryCursorStore::new());
    let mut stream = feed(&fake, store.clone(), policy(3, Duration::from_secs(60))).await;
    let (_, first) = next_batch(&mut stream).await.into_parts();
    let second = next_batch(&mut stream).await;
    second.commit().await.unwrap();
    first.commit().await.unwrap();
    assert_eq!(store.cursor().map(|cursor| cursor.to_string()), Some(cursor_at(6)));
}

#[tokio::test]
async fn a_stream_starts_at_the_stored_cursor() {
    let fake = FakeFeed::start().await;
    fake.push_ordinary(5);
    let store = MemoryCursorStore::starting_at(EventCursor::new(cursor_at(2)).unwrap());
    let mut stream = feed(&fake, store, policy(10, Duration::from_secs(60))).await;
    assert_eq!(ids(&next_batch(&mut stream).await), expected_ids(2..5));
}
