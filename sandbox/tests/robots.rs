//! Filing end to end over HTTP with the crate's own client: FNS robots 0087 (accepts), 0088
//! (rejects), 0085 (asks for clarification) and Rosstat 00-87, each answered receipt by receipt
//! until the docflow finishes.

mod common;

use common::{start, status, success_state};
use serde_json::json;

#[tokio::test]
async fn fns_0087_accepts_and_the_docflow_finishes_successfully() {
    let harness = start().await;
    let draft = harness.signed_draft(json!({ "ifns-code": "0087" })).await;
    let docflow = harness.send_draft(draft).await;
    assert_eq!(status(&docflow), "urn:docflow-common-status:sent");
    assert_eq!(docflow.type_.as_ref().map(ToString::to_string).as_deref(), Some("urn:docflow:fns534-report"));
    assert!(
        docflow.links.iter().all(|link| link.rel.as_deref() != Some("reply")),
        "nothing to answer before the regulator speaks"
    );

    let (finished, incoming) = harness.run_to_finish(docflow.id).await;
    assert_eq!(
        incoming,
        [
            "urn:document:fns534-report-date-confirmation",
            "urn:document:fns534-report-acceptance-result-positive",
            "urn:document:fns534-report-processing-result-ok",
        ]
    );
    assert_eq!(success_state(&finished), "urn:docflow-state:successful");
    assert!(finished.links.iter().all(|link| link.rel.as_deref() != Some("reply")), "every reply is sent");
    let receipts = finished
        .documents
        .iter()
        .filter(|doc| {
            doc.description.as_ref().map(|d| common::text(&d.type_)).as_deref()
                == Some("urn:document:fns534-report-receipt")
        })
        .count();
    assert_eq!(receipts, 3, "one receipt per regulator document");
}

#[tokio::test]
async fn fns_0088_rejects() {
    let harness = start().await;
    let draft = harness.signed_draft(json!({ "ifns-code": "0088" })).await;
    let docflow = harness.send_draft(draft).await;
    let (finished, incoming) = harness.run_to_finish(docflow.id).await;
    assert_eq!(
        incoming,
        ["urn:document:fns534-report-date-confirmation", "urn:document:fns534-report-acceptance-result-negative"]
    );
    assert_eq!(success_state(&finished), "urn:docflow-state:failed");
}

#[tokio::test]
async fn fns_0085_asks_for_clarification() {
    let harness = start().await;
    let draft = harness.signed_draft(json!({ "ifns-code": "0085" })).await;
    let docflow = harness.send_draft(draft).await;
    let (finished, incoming) = harness.run_to_finish(docflow.id).await;
    assert_eq!(incoming.last().map(String::as_str), Some("urn:document:fns534-report-processing-result-precise"));
    assert_eq!(success_state(&finished), "urn:docflow-state:warning");
}

#[tokio::test]
async fn rosstat_00_87_accepts() {
    let harness = start().await;
    let draft = harness.signed_draft(json!({ "togs-code": "00-87" })).await;
    let docflow = harness.send_draft(draft).await;
    assert_eq!(docflow.type_.as_ref().map(ToString::to_string).as_deref(), Some("urn:docflow:stat-report"));
    let (finished, incoming) = harness.run_to_finish(docflow.id).await;
    assert_eq!(incoming.last().map(String::as_str), Some("urn:document:stat-report-protocol-v2-positive"));
    assert_eq!(success_state(&finished), "urn:docflow-state:successful");
}

#[tokio::test]
async fn a_reply_link_appears_only_when_a_reply_is_due() {
    let harness = start().await;
    let draft = harness.signed_draft(json!({ "ifns-code": "0087" })).await;
    let docflow = harness.send_draft(draft).await;
    harness.sandbox.advance(std::time::Duration::from_secs(30)).await;
    assert_eq!(
        status(&harness.docflow(docflow.id).await),
        "urn:docflow-common-status:sent",
        "the operator answers after a minute"
    );
    harness.sandbox.advance(std::time::Duration::from_secs(31)).await;
    let delivered = harness.docflow(docflow.id).await;
    assert_eq!(status(&delivered), "urn:docflow-common-status:delivered");
    let replies: Vec<_> = delivered.links.iter().filter(|link| link.rel.as_deref() == Some("reply")).collect();
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].name.as_deref(), Some("urn:document:fns534-report-receipt"));
    assert!(
        replies[0]
            .href
            .as_deref()
            .is_some_and(|href| href.contains("generate-reply?documentType=fns534-report-receipt"))
    );
}

#[tokio::test]
async fn the_control_units_handbook_lists_the_robots() {
    use kontur_extern::transport::SendExt;
    let harness = start().await;
    let fns = harness.raw().list_control_units().type_("fns".to_owned()).send().checked().await.unwrap().into_inner();
    let codes: Vec<_> = fns.control_units.iter().filter_map(|unit| unit.code.clone()).collect();
    assert_eq!(codes, ["0087", "0088", "0085"]);
    let rosstat =
        harness.raw().get_control_unit().code("00-87".to_owned()).send().checked().await.unwrap().into_inner();
    assert_eq!(rosstat.type_.as_ref().map(ToString::to_string).as_deref(), Some("stat"));
}
