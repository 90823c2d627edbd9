//! Organizations of an account.

mod common;

use httpmock::prelude::*;
use kontur_extern::raw::Error;
use kontur_extern::vocab::OrganizationSignerRole;
use serde_json::json;
use uuid::Uuid;

const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
const ORG: &str = "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";

fn account_id() -> Uuid {
    ACCOUNT.parse().expect("a uuid")
}

fn org_id() -> Uuid {
    ORG.parse().expect("a uuid")
}

fn organization_json(name: &str) -> serde_json::Value {
    json!({
        "id": ORG,
        "general": {
            "inn": "6699000000",
            "kpp": "660001001",
            "name": name,
            "is-main-org": true,
            "links": [{ "href": format!("https://extern-api.testkontur.ru/v1/{ACCOUNT}/organizations/{ORG}"), "rel": "self" }]
        }
    })
}

#[tokio::test]
async fn op_list_organizations() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/{ACCOUNT}/organizations"))
                .query_param("inn", "6699000000")
                .query_param("kpp", "660001001")
                .query_param("skip", "0")
                .query_param("take", "1000");
            then.status(200).json_body(json!({
                "skip": 0,
                "take": 1000,
                "total-count": 1,
                "organizations": [organization_json("Test LLC")],
                "links": []
            }));
        })
        .await;

    let page = common::raw_client(&server.base_url())
        .list_organizations()
        .account_id(account_id())
        .inn("6699000000")
        .kpp("660001001")
        .skip(0)
        .take(1000)
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(page.total_count, Some(1));
    let organization = &page.organizations[0];
    assert_eq!(organization.id, org_id());
    let general = organization.general.as_ref().expect("requisites");
    assert_eq!(general.name.as_deref(), Some("Test LLC"));
    assert_eq!(general.is_main_org, Some(true));
}

#[tokio::test]
async fn op_create_organization() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/organizations"))
                .header("content-type", "application/json")
                .json_body(json!({ "inn": "6699000000", "kpp": "660001001", "name": "Test LLC" }));
            then.status(201).json_body(organization_json("Test LLC"));
        })
        .await;

    let organization = common::raw_client(&server.base_url())
        .create_organization()
        .account_id(account_id())
        .body_map(|b| b.inn("6699000000").kpp(Some("660001001".to_owned())).name("Test LLC"))
        .send()
        .await
        .expect("the organization decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(organization.id, org_id());
    assert_eq!(organization.general.and_then(|g| g.inn).as_deref(), Some("6699000000"));
}

#[tokio::test]
async fn op_get_organization() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/organizations/{ORG}"));
            then.status(200).json_body(organization_json("Test LLC"));
        })
        .await;

    let organization = common::raw_client(&server.base_url())
        .get_organization()
        .account_id(account_id())
        .org_id(org_id())
        .send()
        .await
        .expect("the organization decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(organization.id, org_id());
    let general = organization.general.expect("requisites");
    assert_eq!(general.kpp.as_deref(), Some("660001001"));
    assert_eq!(general.links[0].rel.as_deref(), Some("self"));
}

#[tokio::test]
async fn op_rename_organization() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(PUT)
                .path(format!("/v1/{ACCOUNT}/organizations/{ORG}"))
                .header("content-type", "application/json")
                .json_body(json!({ "name": "Renamed LLC" }));
            then.status(200).json_body(organization_json("Renamed LLC"));
        })
        .await;

    let organization = common::raw_client(&server.base_url())
        .rename_organization()
        .account_id(account_id())
        .org_id(org_id())
        .body_map(|b| b.name("Renamed LLC"))
        .send()
        .await
        .expect("the organization decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(organization.general.and_then(|g| g.name).as_deref(), Some("Renamed LLC"));
}

#[tokio::test]
async fn op_delete_organization() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(format!("/v1/{ACCOUNT}/organizations/{ORG}"));
            then.status(204);
        })
        .await;

    let answer = common::raw_client(&server.base_url())
        .delete_organization()
        .account_id(account_id())
        .org_id(org_id())
        .send()
        .await
        .expect("removal succeeds");

    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 204);
}

#[tokio::test]
async fn delete_organization_refused_decodes_api_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE).path(format!("/v1/{ACCOUNT}/organizations/{ORG}"));
            then.status(400).json_body(json!({
                "id": "urn:error:externapi:organizationCannotBeDeleted",
                "status-code": "bad-request",
                "message": "Reports were sent in the current period"
            }));
        })
        .await;

    let error = common::raw_client(&server.base_url())
        .delete_organization()
        .account_id(account_id())
        .org_id(org_id())
        .send()
        .await
        .expect_err("400 is an error");

    let Error::ErrorResponse(answer) = error else { panic!("expected an API error, got {error:?}") };
    assert_eq!(answer.status().as_u16(), 400);
    assert_eq!(answer.id.as_deref(), Some("urn:error:externapi:organizationCannotBeDeleted"));
}

#[tokio::test]
async fn op_search_control_unit_subscriptions() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/organizations/{ORG}/control-unit-subscriptions"))
                .header("content-type", "application/json")
                .json_body(json!({
                    "control-unit-subscription-type": "fss-sedo",
                    "registration-number": "6600000001",
                    "skip": 0,
                    "take": 10
                }));
            then.status(200).json_body(json!({
                "items": [{ "is-sfr": true, "registration-number": "6600000001", "subscription-status": "subscribed" }],
                "total-count": 1
            }));
        })
        .await;

    let list = common::raw_client(&server.base_url())
        .search_control_unit_subscriptions()
        .account_id(account_id())
        .org_id(org_id())
        .body_map(|b| {
            b.control_unit_subscription_type("fss-sedo")
                .registration_number(Some("6600000001".to_owned()))
                .skip(Some(0))
                .take(Some(10))
        })
        .send()
        .await
        .expect("the list decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(list.total_count, Some(1));
    let subscription = &list.items[0];
    assert_eq!(subscription.is_sfr, Some(true));
    assert_eq!(subscription.subscription_status.as_ref().map(|v| v.as_str()), Some("subscribed"));
}

#[tokio::test]
async fn op_authorize_gosuslugi() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/organizations/{ORG}/gosuslugi-auth"))
                .header("content-type", "application/json")
                .json_body(json!({ "gosuslugi-uid": "api-key-123", "base64-signature-content": "MIAGCSqGSIb3DQEHAqCA" }));
            then.status(200);
        })
        .await;

    let answer = common::raw_client(&server.base_url())
        .authorize_gosuslugi()
        .account_id(account_id())
        .org_id(org_id())
        .body_map(|b| b.gosuslugi_uid("api-key-123").base64_signature_content("MIAGCSqGSIb3DQEHAqCA"))
        .send()
        .await
        .expect("authorization succeeds");

    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 200);
}

#[tokio::test]
async fn op_update_organization_signer() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/organizations/{ORG}/update-signer"))
                .header("content-type", "application/json")
                .json_body(json!({ "control-unit-type": "fns", "signer-type": "chief", "certificate-base64": "MIIBCgKCAQEA" }));
            then.status(204);
        })
        .await;

    let answer = common::raw_client(&server.base_url())
        .update_organization_signer()
        .account_id(account_id())
        .org_id(org_id())
        .body_map(|b| {
            b.control_unit_type(Some("fns".to_owned().into()))
                .signer_type(Some(OrganizationSignerRole::Chief))
                .certificate_base64(Some("MIIBCgKCAQEA".to_owned()))
        })
        .send()
        .await
        .expect("the signer is set");

    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 204);
}
