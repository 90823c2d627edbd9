//! Events feed, sharing events, event publishers.

mod common;

use httpmock::prelude::*;
use kontur_extern::raw::types;
use kontur_extern::vocab::DocflowType;
use serde_json::json;
use uuid::Uuid;

const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";

#[tokio::test]
async fn op_get_events() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/events").query_param("fromId", "0_0").query_param("take", "2");
            then.status(200).json_body(json!({
                "first-event-id": "ae1_140",
                "next-event-id": "ae1_143",
                "requested-count": 2,
                "returned-count": 1,
                "api-events": [{
                    "id": "ae1_141",
                    "inn": "6699000000",
                    "kpp": "660001001",
                    "docflow-type": "urn:docflow:fns534-report",
                    "docflow-link": { "href": format!("https://extern-api.testkontur.ru/v1/{ACCOUNT}/docflows/{DOCFLOW}"), "rel": "docflow" },
                    "new-state": "urn:transaction:report-receipt",
                    "event-date-time": "2024-05-20T10:15:30.1234567Z",
                    "docflow-id": DOCFLOW,
                    "account-id": ACCOUNT
                }],
                "links": []
            }));
        })
        .await;

    let page = common::raw_client(&server.base_url())
        .get_events()
        .from_id("0_0")
        .take(2)
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(page.next_event_id.as_deref(), Some("ae1_143"));
    assert_eq!(page.requested_count, Some(2));
    assert_eq!(page.returned_count, Some(1));
    let event = &page.api_events[0];
    assert_eq!(event.id.as_deref(), Some("ae1_141"));
    assert_eq!(event.docflow_type.as_ref().map(|v| v.as_str()), Some("urn:docflow:fns534-report"));
    assert_eq!(event.new_state.as_ref().map(|v| v.as_str()), Some("urn:transaction:report-receipt"));
    assert_eq!(event.docflow_id, Some(DOCFLOW.parse::<Uuid>().unwrap()));
    assert_eq!(event.account_id, Some(ACCOUNT.parse::<Uuid>().unwrap()));
    assert!(event.related_docflow_id.is_none());
    assert_eq!(event.event_date_time.as_ref().map(|t| t.to_utc().timestamp()), Some(1_716_200_130));
    assert_eq!(event.docflow_link.as_ref().and_then(|l| l.rel.as_deref()), Some("docflow"));
}

#[tokio::test]
async fn op_share_events() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/share-events"))
                .header("content-type", "application/json")
                .json_body(json!({
                    "subscriber": "my-service",
                    "events-filter": {
                        "docflow-types": ["urn:docflow:fns534-report", "urn:docflow:stat-report"],
                        "document-forms": [{ "knd": "1151001" }, { "okud": "0610016" }]
                    }
                }));
            then.status(200);
        })
        .await;

    let filter = types::EventsFilter {
        docflow_types: vec![
            DocflowType::Fns534Report,
            DocflowType::StatReport,
        ],
        document_forms: vec![
            types::EventsDocumentForm { knd: Some("1151001".to_owned()), okud: None },
            types::EventsDocumentForm { knd: None, okud: Some("0610016".to_owned()) },
        ],
    };
    let answer = common::raw_client(&server.base_url())
        .share_events()
        .account_id(ACCOUNT.parse::<Uuid>().unwrap())
        .body_map(|b| b.subscriber("my-service").events_filter(Some(filter)))
        .send()
        .await
        .expect("sharing succeeds");

    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn op_list_event_publishers() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/event-publishers");
            then.status(200).json_body(json!({
                "event-publishers": [{
                    "id": "pub-17",
                    "account-id": ACCOUNT,
                    "subscriber": "my-service",
                    "events-filter": { "docflow-types": ["urn:docflow:fns534-demand"] }
                }]
            }));
        })
        .await;

    let list = common::raw_client(&server.base_url())
        .list_event_publishers()
        .send()
        .await
        .expect("the list decodes")
        .into_inner();

    mock.assert_async().await;
    let publisher = &list.event_publishers[0];
    assert_eq!(publisher.id.as_deref(), Some("pub-17"));
    assert_eq!(publisher.subscriber.as_deref(), Some("my-service"));
    let filter = publisher.events_filter.as_ref().expect("a filter");
    assert_eq!(filter.docflow_types[0].as_str(), "urn:docflow:fns534-demand");
}

#[tokio::test]
async fn op_delete_event_publisher() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v1/event-publishers/pub-17");
            then.status(204);
        })
        .await;

    let answer = common::raw_client(&server.base_url())
        .delete_event_publisher()
        .publisher_id("pub-17")
        .send()
        .await
        .expect("unsubscribing succeeds");

    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 204);
}
