//! A walk through the client against a local mock of Extern and its identity host:
//! password login, accounts, a docflow search, one page of the events feed and an API error.
//!
//! Run with `cargo run --example quickstart`. Nothing leaves this machine: both hosts are
//! httpmock servers on loopback that answer like Extern does.

use httpmock::prelude::*;
use kontur_extern::transport::SendExt;
use kontur_extern::{Client, Environment};
use secrecy::SecretString;
use serde_json::json;

const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
const DOCFLOW: &str = "0c7e1b3a-2d4f-4a6b-8c9d-1e2f3a4b5c6d";
const MISSING_DOCFLOW: &str = "99999999-9999-4999-8999-999999999999";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let identity = MockServer::start_async().await;
    let api = MockServer::start_async().await;
    mock_identity(&identity).await;
    mock_api(&api).await;

    let client = Client::builder()
        .environment(Environment::new(&api.base_url(), &identity.base_url())?)
        .client("quickstart.example", SecretString::from("00000000-0000-0000-0000-000000000000"))
        .password("accountant@example.org", SecretString::from("not-a-real-password"))
        .build()?;

    let accounts = client.raw().list_accounts().send().checked().await?.into_inner();
    println!("accounts: {}", accounts.total_count.unwrap_or_default());
    for account in &accounts.accounts {
        println!("  {} {}", account.id, account.organization_name.as_deref().unwrap_or("?"));
    }

    let account_id = accounts.accounts.first().ok_or("the mock has one account")?.id;
    let page = client
        .raw()
        .search_docflows()
        .account_id(account_id)
        .type_(vec!["fns534-report".to_owned()])
        .take(10)
        .send()
        .checked()
        .await?
        .into_inner();
    println!("FNS reports: {}", page.total_count.unwrap_or_default());
    for item in &page.docflows_page_item {
        let status = item.status.as_ref().map_or("?", |status| status.as_str());
        println!("  {} {}", item.id, status);
    }

    let events = client.raw().get_events().from_id("0_0").take(100).send().checked().await?.into_inner();
    println!("events: {} returned, continue from {}", events.returned_count.unwrap_or_default(), events.next_event_id.as_deref().unwrap_or("?"));
    for event in &events.api_events {
        println!("  {} {}", event.docflow_id.map(|id| id.to_string()).unwrap_or_default(), event.new_state.as_ref().map(|v| v.as_str()).unwrap_or("?"));
    }

    // Errors name the operation, the status and the server's trace id.
    let missing = client
        .raw()
        .get_docflow()
        .account_id(account_id)
        .docflow_id(MISSING_DOCFLOW.parse::<uuid::Uuid>()?)
        .send()
        .checked()
        .await;
    match missing {
        Err(error) => println!("as expected: {error}"),
        Ok(_) => return Err("the mock answers 404 for this docflow".into()),
    }
    Ok(())
}

async fn mock_identity(identity: &MockServer) {
    identity
        .mock_async(|when, then| {
            when.method(POST).path("/connect/token").form_urlencoded_tuple("grant_type", "password");
            then.status(200).json_body(json!({
                "access_token": "quickstart-access-token",
                "expires_in": 3600,
                "token_type": "Bearer",
                "refresh_token": "quickstart-refresh-token"
            }));
        })
        .await;
}

async fn mock_api(api: &MockServer) {
    let bearer = "Bearer quickstart-access-token";
    api.mock_async(|when, then| {
        when.method(GET).path("/v1").header("authorization", bearer);
        then.status(200).header("X-Kontur-Trace-Id", "trace-accounts").json_body(json!({
            "skip": 0, "take": 1, "total-count": 1,
            "accounts": [{ "id": ACCOUNT, "inn": "6663003127", "kpp": "667301001", "organization-name": "Romashka LLC" }]
        }));
    })
    .await;
    api.mock_async(|when, then| {
        when.method(GET).path(format!("/v1/{ACCOUNT}/docflows")).query_param("type", "fns534-report").header("authorization", bearer);
        then.status(200).json_body(json!({
            "skip": 0, "take": 10, "total-count": 1,
            "docflows-page-item": [{
                "id": DOCFLOW,
                "type": "urn:docflow:fns534-report",
                "status": "urn:docflow-common-status:response-arrived",
                "success-state": "urn:docflow-state:successful",
                "last-change-date": "2026-11-20T10:15:00Z"
            }]
        }));
    })
    .await;
    api.mock_async(|when, then| {
        when.method(GET).path("/v1/events").query_param("fromId", "0_0").header("authorization", bearer);
        then.status(200).json_body(json!({
            "first-event-id": "0_0", "next-event-id": "ae1_143", "requested-count": 100, "returned-count": 1,
            "api-events": [{
                "id": "ae1_142",
                "docflow-id": DOCFLOW,
                "account-id": ACCOUNT,
                "docflow-type": "urn:docflow:fns534-report",
                "new-state": "urn:transaction:report-receipt",
                "event-date-time": "2026-11-20T10:15:00Z"
            }]
        }));
    })
    .await;
    api.mock_async(|when, then| {
        when.method(GET).path(format!("/v1/{ACCOUNT}/docflows/{MISSING_DOCFLOW}"));
        then.status(404).header("X-Kontur-Trace-Id", "4f1c2a9e7d3b").json_body(json!({
            "id": "urn:error:externapi:docflowNotFound", "status-code": "not-found", "message": "Docflow not found"
        }));
    })
    .await;
}
