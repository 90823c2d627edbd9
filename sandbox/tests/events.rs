//! The events feed: every transition appends an event; cursors page through it; the feed and the
//! cursors survive a restart with a state file; sharing decides who sees what.

mod common;

use std::time::Duration;

use common::{start, start_with};
use kontur_extern::raw::types;
use kontur_extern::transport::SendExt;
use kontur_extern_sandbox::SandboxConfig;
use serde_json::json;

async fn page(harness: &common::Harness, from: &str, take: i32) -> types::EventsPage {
    harness.raw().get_events().from_id(from.to_owned()).take(take).send().checked().await.unwrap().into_inner()
}

#[tokio::test]
async fn transitions_append_events_that_page_by_cursor() {
    let harness = start().await;
    let empty = page(&harness, "0_0", 10).await;
    assert_eq!(empty.returned_count, Some(0), "a fresh sandbox has no events");
    let draft = harness.signed_draft(json!({ "ifns-code": "0087" })).await;
    let docflow = harness.send_draft(draft).await;
    harness.run_to_finish(docflow.id).await;

    let mut cursor = "0_0".to_owned();
    let mut states = Vec::new();
    loop {
        let page = page(&harness, &cursor, 2).await;
        assert!(page.returned_count <= Some(2));
        states.extend(page.api_events.iter().map(|event| common::text(&event.new_state)));
        assert!(page.api_events.iter().all(|event| event.docflow_id == Some(docflow.id)));
        cursor = page.next_event_id.clone().expect("a next cursor");
        if page.returned_count < Some(2) {
            break;
        }
    }
    assert_eq!(states.first().map(String::as_str), Some("urn:transaction:fns534-report"));
    assert!(states.contains(&"urn:transaction:fns534-report-acceptance-result-positive".to_owned()));
    assert!(states.contains(&"urn:transaction:fns534-report-processing-result-ok".to_owned()));
    assert_eq!(states.iter().filter(|s| *s == "urn:transaction:fns534-report-receipt").count(), 3);
    let caught_up = page(&harness, &cursor, 100).await;
    assert_eq!(caught_up.returned_count, Some(0), "a caught-up reader gets an empty page");
    assert_eq!(caught_up.next_event_id.as_deref(), Some(cursor.as_str()), "and keeps its cursor");
}

#[tokio::test]
async fn the_feed_and_cursors_survive_a_restart_with_a_state_file() {
    let directory = std::env::temp_dir().join(format!("kontur-extern-sandbox-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&directory).unwrap();
    let state = directory.join("state.json");
    let config = SandboxConfig { speed: 0.0, state_file: Some(state.clone()), ..SandboxConfig::default() };

    let first = start_with(config.clone()).await;
    let credentials = first.sandbox.credentials.clone();
    let draft = first.signed_draft(json!({ "ifns-code": "0087" })).await;
    let docflow = first.send_draft(draft).await;
    first.sandbox.advance(Duration::from_secs(61)).await;
    let before = page(&first, "0_0", 100).await;
    assert_eq!(before.returned_count, Some(2), "sent, and the date confirmation arrived");
    let cursor = before.next_event_id.clone().unwrap();
    first.sandbox.stop().await;
    assert!(state.exists());

    let second = start_with(config).await;
    assert_eq!(second.sandbox.credentials.api_key, credentials.api_key, "the same integrator after a restart");
    assert_eq!(second.account, credentials.account_id);
    let again = page(&second, "0_0", 100).await;
    let facts = |page: &types::EventsPage| -> Vec<_> {
        page.api_events
            .iter()
            .map(|e| {
                (e.id.clone(), e.docflow_id, e.new_state.clone(), e.event_date_time.as_ref().map(ToString::to_string))
            })
            .collect()
    };
    assert_eq!(facts(&again), facts(&before), "the feed is the same after a restart (links name the new port)");
    assert_eq!(page(&second, &cursor, 100).await.returned_count, Some(0), "the old cursor is still caught up");
    let restored = second.docflow(docflow.id).await;
    assert_eq!(second.answer_replies(&restored).await, 1, "the due reply survived too");
    let after = page(&second, &cursor, 100).await;
    assert_eq!(after.returned_count, Some(1), "new events continue from the old cursor");
    second.sandbox.stop().await;
    let _ = std::fs::remove_dir_all(&directory);
}

#[tokio::test]
async fn only_shared_accounts_are_visible_and_publishers_can_be_removed() {
    let harness = start().await;
    let publishers = harness.raw().list_event_publishers().send().checked().await.unwrap().into_inner();
    assert_eq!(publishers.event_publishers.len(), 1, "the seeded account shares its events with the seeded integrator");
    let publisher = publishers.event_publishers[0].id.clone().unwrap();
    harness.raw().delete_event_publisher().publisher_id(publisher).send().checked().await.unwrap();

    let draft = harness.signed_draft(json!({ "ifns-code": "0087" })).await;
    harness.send_draft(draft).await;
    assert_eq!(page(&harness, "0_0", 100).await.returned_count, Some(0), "nothing is shared any more");

    let share: types::ShareEventsRequest = common::wire(json!({
        "subscriber": harness.sandbox.credentials.client_id,
        "events-filter": { "docflow-types": ["urn:docflow:stat-report"] },
    }));
    harness.raw().share_events().account_id(harness.account).body(share).send().checked().await.unwrap();
    assert_eq!(page(&harness, "0_0", 100).await.returned_count, Some(0), "the filter keeps FNS reports out");
    let rosstat = harness.signed_draft(json!({ "togs-code": "00-87" })).await;
    harness.send_draft(rosstat).await;
    let visible = page(&harness, "0_0", 100).await;
    assert_eq!(visible.returned_count, Some(1));
    assert_eq!(Some(common::text(&visible.api_events[0].new_state).as_str()), Some("urn:transaction:stat-report"));
}
