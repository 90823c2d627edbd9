//! Many docflows without many requests (`SandboxHandle::file_reports`), and ranges of a content
//! uploaded in parts served from the parts.

mod common;

use std::time::Duration;

use common::{start, status, text};
use kontur_extern::transport::SendExt;

#[tokio::test]
async fn filed_reports_are_docflows_like_sent_drafts_with_their_events_and_robots() {
    let harness = start().await;
    let filed = harness.sandbox.file_reports(30, "0087").await;
    assert_eq!(filed.len(), 30);
    let page = harness
        .raw()
        .search_docflows()
        .account_id(harness.account)
        .take(1000)
        .order_by("ascending")
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.total_count, Some(30));
    let listed: Vec<_> = page.docflows_page_item.iter().map(|item| item.id).collect();
    assert_eq!(listed, filed, "oldest first is filing order");

    let docflow = harness.docflow(filed[0]).await;
    assert_eq!(status(&docflow), "urn:docflow-common-status:sent");
    assert_eq!(text(&docflow.type_), "urn:docflow:fns534-report");
    assert_eq!(docflow.documents.len(), 1);
    assert_eq!(docflow.documents[0].signatures.len(), 1, "the report went out signed");

    let events = harness.raw().get_events().from_id("0_0").take(1000).send().checked().await.unwrap().into_inner();
    let sent: Vec<_> = events.api_events.iter().filter_map(|event| event.docflow_id).collect();
    assert_eq!(sent, filed, "one event per filed report, in order");

    // The robot answers them like any other docflow to 0087.
    harness.sandbox.advance(Duration::from_secs(120)).await;
    let answered = harness.docflow(filed[29]).await;
    assert!(answered.documents.len() > 1, "the robot answered: {:?}", answered.documents.len());
}

#[tokio::test]
async fn a_range_across_parts_is_served_from_the_parts() {
    let harness = start().await;
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let id = harness.upload(&bytes).await;
    for (from, to) in [(0, 9), (49_990, 50_009), (49_999, 50_000), (0, 99_999), (99_000, 99_999)] {
        let answer = harness.download(id, Some(&format!("bytes={from}-{to}"))).await;
        assert_eq!(answer.status(), 206);
        assert_eq!(answer.headers()["content-range"], format!("bytes {from}-{to}/100000").as_str());
        let body = answer.bytes().await.unwrap();
        assert_eq!(&body[..], &bytes[from..=to], "bytes {from}-{to}");
    }
}
