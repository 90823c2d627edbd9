//! Sharing events, event publishers, and the docflow an event points at.

mod common;

use httpmock::prelude::*;
use kontur_extern::events::{AccountEvents, Event, EventFilter};
use kontur_extern::raw::types::{ApiEvent, Link};
use kontur_extern::transport::{RetryPolicy, Transport};
use kontur_extern::vocab::DocflowType;
use kontur_extern::{Client, Environment};
use secrecy::SecretString;
use serde_json::json;

const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";

fn client(server: &MockServer) -> Client {
    let base = server.base_url();
    Client::builder()
        .environment(Environment::new(&base, &base).unwrap())
        .access_token(SecretString::from("test-token"))
        .transport(Transport::default().retry_policy(RetryPolicy::none()))
        .build()
        .unwrap()
}

fn docflow_body() -> serde_json::Value {
    json!({ "id": DOCFLOW, "type": "urn:docflow:fns534-report", "status": "urn:docflow-common-status:response-arrived" })
}

#[tokio::test]
async fn share_sends_the_subscriber_and_a_typed_filter() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/{ACCOUNT}/share-events")).json_body(json!({
                "subscriber": "my-service",
                "events-filter": {
                    "docflow-types": ["urn:docflow:fns534-report"],
                    "document-forms": [{ "knd": "1151001" }, { "okud": "0610016" }]
                }
            }));
            then.status(200);
        })
        .await;
    let filter = EventFilter::all().docflow_type(DocflowType::Fns534Report).knd("1151001").okud("0610016");
    AccountEvents::new(client(&server), common::id(ACCOUNT)).share("my-service", &filter).await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn share_without_a_filter_sends_none() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/share-events"))
                .json_body(json!({ "subscriber": "my-service" }));
            then.status(200);
        })
        .await;
    client(&server).events().account(common::id(ACCOUNT)).share("my-service", &EventFilter::all()).await.unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn share_failure_names_the_operation() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/{ACCOUNT}/share-events"));
            then.status(403).header("X-Kontur-Trace-Id", "t-403").json_body(json!({ "message": "not an admin" }));
        })
        .await;
    let error = client(&server)
        .events()
        .account(common::id(ACCOUNT))
        .share("my-service", &EventFilter::all())
        .await
        .unwrap_err();
    assert_eq!(error.operation(), Some("share_events"));
    assert_eq!(error.trace_id(), Some("t-403"));
}

#[tokio::test]
async fn publishers_are_listed_and_deleted() {
    let server = MockServer::start_async().await;
    let list = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/event-publishers");
            then.status(200).json_body(json!({
                "event-publishers": [
                    { "id": "pub-17", "account-id": ACCOUNT, "subscriber": "my-service" },
                    { "id": "pub-18", "account-id": ACCOUNT, "subscriber": "my-service",
                      "events-filter": { "docflow-types": ["urn:docflow:fns534-demand"] } }
                ]
            }));
        })
        .await;
    let delete = server
        .mock_async(|when, then| {
            when.method(DELETE).path("/v1/event-publishers/pub-18");
            then.status(204);
        })
        .await;
    let events = client(&server).events();
    let publishers = events.publishers().await.unwrap();
    let ids: Vec<_> = publishers.iter().map(|publisher| publisher.id.as_deref().unwrap()).collect();
    assert_eq!(ids, ["pub-17", "pub-18"]);
    events.delete_publisher("pub-18").await.unwrap();
    list.assert_async().await;
    delete.assert_async().await;
}

#[tokio::test]
async fn an_event_leads_to_its_docflow_in_one_call() {
    let server = MockServer::start_async().await;
    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}"));
            then.status(200).json_body(docflow_body());
        })
        .await;
    let client = client(&server);

    let by_ids =
        ApiEvent { account_id: Some(common::id(ACCOUNT)), docflow_id: Some(common::id(DOCFLOW)), ..Default::default() };
    let docflow = client.events().docflow(&Event::from(by_ids)).await.unwrap();
    assert_eq!(docflow.id, common::id(DOCFLOW));

    // An event with only its link still finds the docflow.
    let by_link = ApiEvent {
        docflow_link: Some(Link {
            href: Some(format!("https://extern-api.testkontur.ru/v1/{ACCOUNT}/docflows/{DOCFLOW}")),
            rel: Some("docflow".to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let docflow = client.events().docflow(&Event::from(by_link)).await.unwrap();
    assert_eq!(docflow.id, common::id(DOCFLOW));
    get.assert_calls_async(2).await;

    let error = client.events().docflow(&Event::from(ApiEvent::default())).await.unwrap_err();
    assert_eq!(error.operation(), Some("get_docflow"));
}
