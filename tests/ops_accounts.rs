//! Accounts: the requests the raw client sends and the answers it decodes.

mod common;

use httpmock::prelude::*;
use kontur_extern::raw::{Error, types};
use serde_json::json;
use uuid::Uuid;

const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";

fn account_id() -> Uuid {
    ACCOUNT.parse().expect("a uuid")
}

#[tokio::test]
async fn op_list_accounts() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1").query_param("skip", "20").query_param("take", "10");
            then.status(200).json_body(json!({
                "skip": 20,
                "take": 10,
                "total-count": 21,
                "accounts": [{
                    "id": ACCOUNT,
                    "inn": "6699000000",
                    "kpp": "660001001",
                    "organization-name": "Test LLC",
                    "products": [{ "name": "Extern" }],
                    "role": "administrator",
                    "abonent-id": "0f4b3c2d-1e0a-4b9c-8d7e-6f5a4b3c2d1e",
                    "permissions": { "has-web-access": true, "is-demand-recipient": false, "can-add-organizations": true },
                    "links": [{ "href": format!("https://extern-api.testkontur.ru/v1/{ACCOUNT}"), "rel": "self" }]
                }],
                "links": []
            }));
        })
        .await;

    let page = common::raw_client(&server.base_url())
        .list_accounts()
        .skip(20)
        .take(10)
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(page.total_count, Some(21));
    let account = &page.accounts[0];
    assert_eq!(account.id, account_id());
    assert_eq!(account.organization_name.as_deref(), Some("Test LLC"));
    assert_eq!(account.products[0].name.as_deref(), Some("Extern"));
    assert_eq!(account.abonent_id, Some("0f4b3c2d-1e0a-4b9c-8d7e-6f5a4b3c2d1e".parse().unwrap()));
    let permissions = account.permissions.as_ref().expect("permissions");
    assert_eq!(permissions.can_add_organizations, Some(true));
    assert_eq!(account.links[0].rel.as_deref(), Some("self"));
}

#[tokio::test]
async fn op_create_account() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/v1")
                .header("content-type", "application/json")
                .json_body(json!({ "inn": "6699000000", "kpp": "660001001", "organization-name": "Test LLC" }));
            then.status(201).json_body(json!({ "id": ACCOUNT, "inn": "6699000000", "kpp": "660001001", "organization-name": "Test LLC" }));
        })
        .await;

    let account = common::raw_client(&server.base_url())
        .create_account()
        .body_map(|b| b.inn("6699000000").kpp(Some("660001001".to_owned())).organization_name("Test LLC"))
        .send()
        .await
        .expect("the account decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(account.id, account_id());
    assert_eq!(account.inn.as_deref(), Some("6699000000"));
}

#[tokio::test]
async fn op_get_account() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}"));
            then.status(200).json_body(json!({ "id": ACCOUNT, "inn": "6699000000", "role": "user", "name": "Main" }));
        })
        .await;

    let account = common::raw_client(&server.base_url())
        .get_account()
        .account_id(account_id())
        .send()
        .await
        .expect("the account decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(account.id, account_id());
    assert_eq!(account.role.as_deref(), Some("user"));
    assert_eq!(account.name.as_deref(), Some("Main"));
}

#[tokio::test]
async fn get_account_404_decodes_api_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}"));
            then.status(404).json_body(json!({
                "id": "urn:error:externapi:accountNotFound",
                "status-code": "not-found",
                "message": "Account not found",
                "trace-id": "4f1c2b3a"
            }));
        })
        .await;

    let error = common::raw_client(&server.base_url())
        .get_account()
        .account_id(account_id())
        .send()
        .await
        .expect_err("404 is an error");

    let Error::ErrorResponse(answer) = error else { panic!("expected an API error, got {error:?}") };
    assert_eq!(answer.status().as_u16(), 404);
    assert_eq!(answer.id.as_deref(), Some("urn:error:externapi:accountNotFound"));
    assert_eq!(answer.trace_id.as_deref(), Some("4f1c2b3a"));
}

#[tokio::test]
async fn op_delete_account() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE).path(format!("/v1/{ACCOUNT}"));
            then.status(204);
        })
        .await;

    let answer = common::raw_client(&server.base_url())
        .delete_account()
        .account_id(account_id())
        .send()
        .await
        .expect("deletion succeeds");

    mock.assert_async().await;
    assert_eq!(answer.status().as_u16(), 204);
}

#[tokio::test]
async fn op_list_account_certificates() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/{ACCOUNT}/certificates"))
                .query_param("skip", "0")
                .query_param("take", "50")
                .query_param("forAllUsers", "true");
            then.status(200).json_body(json!({
                "skip": 0,
                "take": 50,
                "total-count": 1,
                "certificates": [{
                    "fio": "Ivanov Ivan Ivanovich",
                    "inn": "6699000000",
                    "kpp": "660001001",
                    "is-valid": true,
                    "is-qualified": true,
                    "content": "MIIBCgKCAQEA",
                    "thumbprint": "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678",
                    "expired-at": "2027-03-01T10:00:00Z",
                    "serial-number": "01DA2B3C"
                }],
                "links": []
            }));
        })
        .await;

    let page = common::raw_client(&server.base_url())
        .list_account_certificates()
        .account_id(account_id())
        .skip(0)
        .take(50)
        .for_all_users(true)
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    mock.assert_async().await;
    let certificate = &page.certificates[0];
    assert_eq!(certificate.fio.as_deref(), Some("Ivanov Ivan Ivanovich"));
    assert_eq!(certificate.is_qualified, Some(true));
    assert_eq!(certificate.content.as_deref(), Some("MIIBCgKCAQEA"));
    assert_eq!(certificate.expired_at.as_ref().map(|t| t.to_utc().to_rfc3339()), Some("2027-03-01T10:00:00+00:00".to_owned()));
}

#[tokio::test]
async fn op_list_account_employees() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/employees")).query_param("take", "100");
            then.status(200).json_body(json!({
                "skip": 0,
                "take": 100,
                "total-count": 1,
                "employees": [{
                    "id": "e-42",
                    "organization-id": "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                    "fio": { "surname": "Petrova", "name": "Anna", "patronymic": "Sergeevna" }
                }]
            }));
        })
        .await;

    let page = common::raw_client(&server.base_url())
        .list_account_employees()
        .account_id(account_id())
        .take(100)
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(page.total_count, Some(1));
    let employee = &page.employees[0];
    assert_eq!(employee.id.as_deref(), Some("e-42"));
    assert_eq!(employee.fio.as_ref().and_then(|f| f.surname.as_deref()), Some("Petrova"));
}

#[tokio::test]
async fn op_list_account_users() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/users")).query_param("skip", "0").query_param("take", "20");
            then.status(200).json_body(json!({
                "skip": 0,
                "take": 20,
                "total-count": 1,
                "users": [{
                    "account-id": ACCOUNT,
                    "login": "ivanov@example.org",
                    "fio": { "surname": "Ivanov", "name": "Ivan" },
                    "login-certificates": [{ "thumbprint": "A1B2C3D4" }]
                }]
            }));
        })
        .await;

    let page = common::raw_client(&server.base_url())
        .list_account_users()
        .account_id(account_id())
        .skip(0)
        .take(20)
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    mock.assert_async().await;
    let user = &page.users[0];
    assert_eq!(user.account_id, Some(account_id()));
    assert_eq!(user.login.as_deref(), Some("ivanov@example.org"));
    assert_eq!(user.login_certificates[0].thumbprint.as_deref(), Some("A1B2C3D4"));
}

#[tokio::test]
async fn op_list_account_warrants() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/{ACCOUNT}/warrants"))
                .query_param("take", "10")
                .query_param("forAllUsers", "false");
            then.status(200).json_body(json!({
                "skip": 0,
                "take": 10,
                "total-count": 1,
                "warrants": [],
                "organization-warrant-informations": [{
                    "organization-id": "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
                    "inn": "6699000000",
                    "kpp": "660001001",
                    "organization-name": "Test LLC",
                    "warrant": {
                        "date-begin": "2024-01-15",
                        "date-end": "2025-01-14",
                        "number": "77-1",
                        "permissions": [1, 2],
                        "sender": { "sender-individual": { "fio": { "surname": "Sidorov", "name": "Petr" }, "inn": "667000000000" } },
                        "issuer": { "issuer-organization": { "name": "Test LLC", "inn": "6699000000" } },
                        "trusted-issuer": { "type": "legal", "trusted-issuer-individual": { "fio": { "surname": "Ivanov" } } }
                    }
                }],
                "links": []
            }));
        })
        .await;

    let page = common::raw_client(&server.base_url())
        .list_account_warrants()
        .account_id(account_id())
        .take(10)
        .for_all_users(false)
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    mock.assert_async().await;
    assert!(page.warrants.is_empty());
    let info = &page.organization_warrant_informations[0];
    assert_eq!(info.organization_name.as_deref(), Some("Test LLC"));
    let warrant: &types::Warrant = info.warrant.as_ref().expect("warrant");
    assert_eq!(warrant.date_begin.as_ref().map(|date| date.to_naive_date()), Some(chrono::NaiveDate::from_ymd_opt(2024, 1, 15).unwrap()));
    assert_eq!(warrant.permissions, vec![1, 2]);
    let sender = warrant.sender.as_ref().and_then(|s| s.sender_individual.as_ref()).expect("a person");
    assert_eq!(sender.inn.as_deref(), Some("667000000000"));
    let trusted = warrant.trusted_issuer.as_ref().expect("trusted issuer");
    assert_eq!(trusted.type_.as_ref().map(|v| v.as_str()), Some("legal"));
}
