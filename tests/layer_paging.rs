//! Paging through the layer: lazy streams over skip/take that stop at total-count, honour the
//! API's take maximum, surface a failed page as an error item; the docflow search filter.

mod common;

use chrono::{TimeZone, Utc};
use common::{id, layer_client};
use futures::{StreamExt, TryStreamExt};
use httpmock::prelude::*;
use kontur_extern::ids::{AccountId, DocflowId, DocumentId, OrganizationId};
use kontur_extern::paging::{DocflowFilter, Order};
use kontur_extern::vocab::{DocflowType, SuccessState};
use serde_json::{Value, json};

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";
const DOCUMENT: &str = "08d1aa6b-4506-4fd0-b45e-4e37086a38a6";
const ORGANIZATION: &str = "5b2f0f9e-6c1d-4a0b-9f3e-2d7c8e1a4b6f";

fn account() -> AccountId {
    AccountId::from(id(ACCOUNT))
}

/// A draft id whose last digits are `n`.
fn draft_id(n: usize) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn drafts_page(from: usize, count: usize, total: usize) -> Value {
    let drafts: Vec<Value> = (from..from + count).map(|n| json!({ "id": draft_id(n) })).collect();
    json!({ "skip": from, "take": count, "total-count": total, "drafts": drafts })
}

async fn mock_drafts_page<'a>(server: &'a MockServer, skip: usize, take: usize, body: Value) -> httpmock::Mock<'a> {
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/{ACCOUNT}/drafts"))
                .query_param("skip", skip.to_string())
                .query_param("take", take.to_string());
            then.status(200).json_body(body);
        })
        .await
}

#[tokio::test]
async fn three_pages_then_stop_at_total_count() {
    let server = MockServer::start_async().await;
    let first = mock_drafts_page(&server, 0, 2, drafts_page(0, 2, 5)).await;
    let second = mock_drafts_page(&server, 2, 2, drafts_page(2, 2, 5)).await;
    let third = mock_drafts_page(&server, 4, 2, drafts_page(4, 1, 5)).await;
    let beyond = mock_drafts_page(&server, 5, 2, drafts_page(5, 0, 5)).await;
    let client = layer_client(&server);
    let mut drafts = client.account(account()).drafts().list().page_size(2);
    // Lazy: nothing is fetched before the stream is polled, and only the first page for the first item.
    assert_eq!(first.calls_async().await, 0);
    let one = drafts.try_next().await.expect("first item").expect("some");
    assert_eq!(one.id.to_string(), draft_id(0));
    assert_eq!((first.calls_async().await, second.calls_async().await), (1, 0));
    let rest: Vec<_> = drafts.try_collect().await.expect("every page");
    let ids: Vec<String> = rest.iter().map(|draft| draft.id.to_string()).collect();
    assert_eq!(ids, (1..5).map(draft_id).collect::<Vec<_>>());
    assert_eq!((second.calls_async().await, third.calls_async().await), (1, 1));
    assert_eq!(beyond.calls_async().await, 0, "total-count reached: no fourth request");
}

#[tokio::test]
async fn a_page_that_fails_mid_stream_is_an_error_item_and_the_end() {
    let server = MockServer::start_async().await;
    mock_drafts_page(&server, 0, 2, drafts_page(0, 2, 6)).await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/drafts")).query_param("skip", "2");
            then.status(500).header("X-Kontur-Trace-Id", "trace-500").json_body(json!({ "message": "boom" }));
        })
        .await;
    let client = layer_client(&server);
    let items: Vec<_> = client.account(account()).drafts().list().page_size(2).collect().await;
    assert_eq!(items.len(), 3, "two items, then the error, then the end");
    assert!(items[0].is_ok() && items[1].is_ok());
    let error = items[2].as_ref().expect_err("the failed page");
    assert_eq!(error.operation(), Some("list_drafts"));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(error.trace_id(), Some("trace-500"));
}

#[tokio::test]
async fn the_page_size_is_capped_at_the_api_maximum_and_a_short_page_ends_a_list_without_count() {
    let server = MockServer::start_async().await;
    let capped = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/{ACCOUNT}/docflows"))
                .query_param("take", "1000")
                .query_param("skip", "0");
            then.status(200).json_body(json!({ "docflows-page-item": [{ "id": DOCFLOW }] }));
        })
        .await;
    let client = layer_client(&server);
    let found: Vec<_> = client
        .account(account())
        .docflows()
        .search(DocflowFilter::new())
        .page_size(5000)
        .try_collect()
        .await
        .expect("one page");
    capped.assert_async().await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].docflow_id(), DocflowId::from(id(DOCFLOW)));
}

#[tokio::test]
async fn docflow_search_sends_every_filter() {
    let server = MockServer::start_async().await;
    let search = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/{ACCOUNT}/docflows"))
                .query_param("type", "fns534-report")
                .query_param("type", "pfr-letter")
                .query_param("successState", "failed")
                .query_param("successState", "warning")
                .query_param("pfrLetterCategory", "notice")
                .query_param("innKpp", "7700000000-770001001")
                .query_param("orgId", ORGANIZATION)
                .query_param("orderBy", "descending")
                .query_param("finished", "false")
                .query_param("incoming", "true")
                .query_param("knd", "1151001")
                .query_param("okud", "0606010")
                .query_param("okpo", "12345678")
                .query_param("cu", "0087")
                .query_param("regNumber", "087-001-000001")
                .query_param("formName", "NDS")
                .query_param("demandsOnReports", "true")
                .query_param("forAllUsers", "true")
                .query_param("demandNumber", "42")
                .query_param_exists("createdFrom")
                .query_param_exists("createdTo")
                .query_param_exists("updatedFrom")
                .query_param_exists("updatedTo")
                .query_param_exists("periodFrom")
                .query_param_exists("periodTo");
            then.status(200).json_body(json!({ "total-count": 0, "docflows-page-item": [] }));
        })
        .await;
    let time = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let filter = DocflowFilter::new()
        .docflow_type(DocflowType::Fns534Report)
        .docflow_type_name("urn:docflow:pfr-letter")
        .success_state(SuccessState::Failed)
        .success_state(SuccessState::from("warning"))
        .pfr_letter_category("urn:pfr-letter-category:notice")
        .inn_kpp("7700000000-770001001")
        .organization(OrganizationId::from(id(ORGANIZATION)))
        .order_by(Order::Descending)
        .finished(false)
        .incoming(true)
        .knd("1151001")
        .okud("0606010")
        .okpo("12345678")
        .control_unit("0087")
        .reg_number("087-001-000001")
        .form_name("NDS")
        .demands_on_reports(true)
        .for_all_users(true)
        .demand_number("42")
        .created_from(time)
        .created_to(time)
        .updated_from(time)
        .updated_to(time)
        .period(time, time);
    assert_eq!(filter.types(), ["fns534-report", "pfr-letter"]);
    let client = layer_client(&server);
    let found: Vec<_> = client.account(account()).docflows().search(filter).try_collect().await.expect("searched");
    search.assert_async().await;
    assert!(found.is_empty());
}

#[tokio::test]
async fn related_docflows_and_inventories_are_paged_with_the_filter() {
    let server = MockServer::start_async().await;
    let base = format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents/{DOCUMENT}");
    let related = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{base}/related")).query_param("type", "fns534-letter");
            then.status(200).json_body(json!({ "total-count": 1, "docflows-page-item": [{ "id": ORGANIZATION }] }));
        })
        .await;
    let inventories = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("{base}/inventories"));
            then.status(200).json_body(
                json!({ "total-count": 2, "docflows-page-item": [{ "id": ORGANIZATION }, { "id": DOCFLOW }] }),
            );
        })
        .await;
    let client = layer_client(&server);
    let document =
        client.account(account()).docflow(DocflowId::from(id(DOCFLOW))).document(DocumentId::from(id(DOCUMENT)));
    let found: Vec<_> =
        document.related(DocflowFilter::new().docflow_type_name("fns534-letter")).try_collect().await.expect("related");
    related.assert_async().await;
    assert_eq!(found.len(), 1);
    let found: Vec<_> = document.inventories(DocflowFilter::new()).try_collect().await.expect("inventories");
    inventories.assert_async().await;
    assert_eq!(found.len(), 2);
}

#[tokio::test]
async fn every_list_of_the_account_is_a_stream() {
    let server = MockServer::start_async().await;
    let lists = [
        ("certificates", "certificates", json!({ "thumbprint": "AB" })),
        ("warrants", "warrants", json!({})),
        ("employees", "employees", json!({})),
        ("users", "users", json!({})),
        ("organizations", "organizations", json!({ "id": ORGANIZATION })),
    ];
    for (path, field, item) in &lists {
        server
            .mock_async(|when, then| {
                when.method(GET).path(format!("/v1/{ACCOUNT}/{path}")).query_param("skip", "0");
                then.status(200).json_body(json!({ "total-count": 1, *field: [item] }));
            })
            .await;
    }
    let accounts = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1").query_param("skip", "0");
            then.status(200).json_body(json!({ "total-count": 1, "accounts": [{ "id": ACCOUNT }] }));
        })
        .await;
    let client = layer_client(&server);
    let account = client.account(account());
    assert_eq!(account.certificates().for_all_users(true).list().try_collect::<Vec<_>>().await.unwrap().len(), 1);
    assert_eq!(account.warrants().list().try_collect::<Vec<_>>().await.unwrap().len(), 1);
    assert_eq!(account.employees().list().try_collect::<Vec<_>>().await.unwrap().len(), 1);
    assert_eq!(account.users().list().try_collect::<Vec<_>>().await.unwrap().len(), 1);
    let organizations: Vec<_> = account.organizations().list().try_collect().await.unwrap();
    assert_eq!(organizations[0].organization_id(), OrganizationId::from(id(ORGANIZATION)));
    let all: Vec<_> = client.accounts().list().try_collect().await.unwrap();
    accounts.assert_async().await;
    assert_eq!(all[0].account_id(), account.id());
}

#[tokio::test]
async fn handbooks_are_streams() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/handbooks/control-units").query_param("type", "fns").query_param("region", "77");
            then.status(200).json_body(json!({ "total-count": 1, "control-units": [{ "code": "7701" }] }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/handbooks/fns-forms").query_param("knd", "1151001");
            then.status(200).json_body(json!({ "total-count": 1, "fns-forms": [{ "knd": "1151001" }] }));
        })
        .await;
    let client = layer_client(&server);
    let units: Vec<_> = client.handbooks().control_units(Some("fns"), Some("77")).try_collect().await.unwrap();
    assert_eq!(units.len(), 1);
    let forms: Vec<_> = client.handbooks().fns_forms(Some("1151001")).try_collect().await.unwrap();
    assert_eq!(forms.len(), 1);
}

#[tokio::test]
async fn reports_tables_are_paged_through_the_request_body() {
    let server = MockServer::start_async().await;
    let first = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/reports-tables/search"))
                .json_body_includes(json!({ "skip": 0, "take": 1 }).to_string());
            then.status(200)
                .json_body(json!({ "total-count": 2, "reports-tables": [{ "organization-id": ORGANIZATION }] }));
        })
        .await;
    let second = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/reports-tables/search"))
                .json_body_includes(json!({ "skip": 1, "take": 1 }).to_string());
            then.status(200)
                .json_body(json!({ "total-count": 2, "reports-tables": [{ "organization-id": ORGANIZATION }] }));
        })
        .await;
    let client = layer_client(&server);
    let request = kontur_extern::raw::types::SearchReportsTablesRequest {
        organization_ids: vec![id(ORGANIZATION)],
        ..Default::default()
    };
    let tables: Vec<_> =
        client.account(account()).reports_tables(request).page_size(1).try_collect().await.expect("tables");
    assert_eq!(tables.len(), 2);
    assert_eq!((first.calls_async().await, second.calls_async().await), (1, 1));
}
