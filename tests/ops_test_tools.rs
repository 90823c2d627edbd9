//! Test-stand generators (`/test-tools/v1/...`): camelCase JSON, raw files.
#![cfg(feature = "test-tools")]

mod common;

use futures::TryStreamExt;
use httpmock::prelude::*;
use kontur_extern::raw_test_tools::{ByteStream, Error, types};
use serde_json::json;
use uuid::Uuid;

const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";
const CONTENT: &str = "9089d7cf-58d0-4739-ba3f-110ecd4180d7";

fn account_id() -> Uuid {
    ACCOUNT.parse().expect("a uuid")
}

fn sender() -> types::TestSender {
    types::TestSender {
        extra: Default::default(),
        inn: "6699000000".to_owned(),
        kpp: Some("660001001".to_owned()),
        name: Some("Test LLC".to_owned()),
        certificate: Some(types::TestCertificate {
            extra: Default::default(),
            content: Some("MIIBCgKCAQEA".to_owned()),
        }),
    }
}

fn sender_json() -> serde_json::Value {
    json!({ "inn": "6699000000", "kpp": "660001001", "name": "Test LLC", "certificate": { "content": "MIIBCgKCAQEA" } })
}

fn payer() -> types::TestPayer {
    types::TestPayer {
        extra: Default::default(),
        inn: "6699000000".to_owned(),
        name: Some("Test LLC".to_owned()),
        organization: Some(types::TestOrganizationInfo {
            extra: Default::default(),
            kpp: Some("660001001".to_owned()),
        }),
        chief_fio: Some(types::TestPersonName {
            extra: Default::default(),
            surname: Some("Ivanov".to_owned()),
            name: Some("Ivan".to_owned()),
            patronymic: None,
        }),
    }
}

fn payer_json() -> serde_json::Value {
    json!({ "inn": "6699000000", "name": "Test LLC", "organization": { "kpp": "660001001" }, "chiefFio": { "surname": "Ivanov", "name": "Ivan" } })
}

fn fuf_request() -> types::GenerateFufRequest {
    types::GenerateFufRequest {
        extra: Default::default(),
        sender: sender(),
        payer: Some(payer()),
        warrant: Some(types::TestWarrant {
            extra: Default::default(),
            number: Some("77-1".to_owned()),
            date_begin: Some("15.01.2024".to_owned()),
        }),
    }
}

fn fuf_request_json() -> serde_json::Value {
    json!({ "sender": sender_json(), "payer": payer_json(), "warrant": { "number": "77-1", "dateBegin": "15.01.2024" } })
}

async fn collect(stream: ByteStream) -> Vec<u8> {
    stream.into_inner().map_ok(|chunk| chunk.to_vec()).try_concat().await.expect("the body arrives")
}

#[tokio::test]
async fn op_generate_demand() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/test-tools/v1/generate-demand")
                .header("content-type", "application/json")
                .json_body(json!({
                    "accountId": ACCOUNT,
                    "sender": sender_json(),
                    "payer": payer_json(),
                    "knds": ["1165050"],
                    "ifnsCode": "0087",
                    "contents": [{ "contentId": CONTENT, "knd": "1165050" }]
                }));
            then.status(200).json_body(json!({ "accountId": ACCOUNT, "docflowId": DOCFLOW }));
        })
        .await;

    let docflow = common::raw_test_tools_client(&server.base_url())
        .generate_demand()
        .body_map(|b| {
            b.account_id(account_id())
                .sender(sender())
                .payer(payer())
                .knds(vec!["1165050".to_owned()])
                .ifns_code(Some("0087".to_owned().into()))
                .contents(vec![types::DemandContent {
                    extra: Default::default(),
                    content_id: Some(CONTENT.parse().unwrap()),
                    knd: Some("1165050".to_owned()),
                }])
        })
        .send()
        .await
        .expect("the docflow decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(docflow.account_id, Some(account_id()));
    assert_eq!(docflow.docflow_id, Some(DOCFLOW.parse::<Uuid>().unwrap()));
}

#[tokio::test]
async fn generate_demand_rejected_decodes_api_error() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/test-tools/v1/generate-demand");
            then.status(400)
                .json_body(json!({ "id": "urn:error:validation", "status-code": 400, "message": "knds is required" }));
        })
        .await;

    let error = common::raw_test_tools_client(&server.base_url())
        .generate_demand()
        .body_map(|b| b.account_id(account_id()).sender(sender()).payer(payer()))
        .send()
        .await
        .expect_err("400 is an error");

    let Error::ErrorResponse(answer) = error else { panic!("expected an API error, got {error:?}") };
    assert_eq!(answer.message.as_deref(), Some("knds is required"));
}

#[tokio::test]
async fn op_generate_fuf_3ndfl() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/test-tools/v1/generate-fuf-3ndfl")
                .header("content-type", "application/json")
                .json_body(fuf_request_json());
            then.status(200).header("content-type", "application/xml").body("<Файл ИдФайл=\"NO_NDFL3\"/>");
        })
        .await;

    let answer = common::raw_test_tools_client(&server.base_url())
        .generate_fuf_3ndfl()
        .body(fuf_request())
        .send()
        .await
        .expect("the file arrives");

    mock.assert_async().await;
    assert_eq!(collect(answer.into_inner()).await, "<Файл ИдФайл=\"NO_NDFL3\"/>".as_bytes());
}

#[tokio::test]
async fn op_generate_fuf_nds_with_attachments() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/test-tools/v1/generate-fuf-nds-with-attachments")
                .header("content-type", "application/json")
                .json_body(json!({ "sender": sender_json() }));
            then.status(200).json_body(json!({
                "mainDocument": "<Файл ИдФайл=\"NO_NDS\"/>",
                "fnsBookPurchases": "<Файл ИдФайл=\"NO_NDS.8\"/>",
                "fnsBookSales": "<Файл ИдФайл=\"NO_NDS.9\"/>"
            }));
        })
        .await;

    let files = common::raw_test_tools_client(&server.base_url())
        .generate_fuf_nds_with_attachments()
        .body_map(|b| b.sender(sender()))
        .send()
        .await
        .expect("the files decode")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(files.main_document.as_deref(), Some("<Файл ИдФайл=\"NO_NDS\"/>"));
    assert_eq!(files.fns_book_purchases.as_deref(), Some("<Файл ИдФайл=\"NO_NDS.8\"/>"));
    assert_eq!(files.fns_book_sales.as_deref(), Some("<Файл ИдФайл=\"NO_NDS.9\"/>"));
}

#[tokio::test]
async fn op_generate_fuf_profit_tax() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/test-tools/v1/generate-fuf-profit-tax")
                .header("content-type", "application/json")
                .json_body(fuf_request_json());
            then.status(200).body("<Файл ИдФайл=\"NO_PRIB\"/>");
        })
        .await;

    let answer = common::raw_test_tools_client(&server.base_url())
        .generate_fuf_profit_tax()
        .body(fuf_request())
        .send()
        .await
        .expect("the file arrives");

    mock.assert_async().await;
    assert_eq!(collect(answer.into_inner()).await, "<Файл ИдФайл=\"NO_PRIB\"/>".as_bytes());
}

#[tokio::test]
async fn op_generate_fuf_rsv() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/test-tools/v1/generate-fuf-rsv")
                .header("content-type", "application/json")
                .json_body(fuf_request_json());
            then.status(200).body("<Файл ИдФайл=\"NO_RASCHSV\"/>");
        })
        .await;

    let answer = common::raw_test_tools_client(&server.base_url())
        .generate_fuf_rsv()
        .body(fuf_request())
        .send()
        .await
        .expect("the file arrives");

    mock.assert_async().await;
    assert_eq!(collect(answer.into_inner()).await, "<Файл ИдФайл=\"NO_RASCHSV\"/>".as_bytes());
}

#[tokio::test]
async fn op_generate_incoming_stat_letter() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/test-tools/v1/generate-incoming-stat-letter")
                .header("content-type", "application/json")
                .json_body(json!({ "accountId": ACCOUNT, "sender": sender_json(), "textOfLetter": "Please clarify", "togsCode": "00-87" }));
            then.status(200).json_body(json!({ "accountId": ACCOUNT, "docflowId": DOCFLOW }));
        })
        .await;

    let docflow = common::raw_test_tools_client(&server.base_url())
        .generate_incoming_stat_letter()
        .body_map(|b| {
            b.account_id(account_id())
                .sender(Some(sender()))
                .text_of_letter(Some("Please clarify".to_owned()))
                .togs_code(Some("00-87".to_owned()))
        })
        .send()
        .await
        .expect("the docflow decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(docflow.docflow_id, Some(DOCFLOW.parse::<Uuid>().unwrap()));
}

#[tokio::test]
async fn op_generate_stat_report() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/test-tools/v1/generate-stat-report")
                .header("content-type", "application/json")
                .json_body(json!({ "accountId": ACCOUNT, "payer": payer_json(), "togsCode": "00-88" }));
            then.status(200).json_body(json!({ "accountId": ACCOUNT, "docflowId": DOCFLOW }));
        })
        .await;

    let docflow = common::raw_test_tools_client(&server.base_url())
        .generate_stat_report()
        .body_map(|b| b.account_id(account_id()).payer(Some(payer())).togs_code(Some("00-88".to_owned())))
        .send()
        .await
        .expect("the docflow decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(docflow.account_id, Some(account_id()));
    assert_eq!(docflow.docflow_id, Some(DOCFLOW.parse::<Uuid>().unwrap()));
}

#[tokio::test]
async fn op_get_cloud_sign_confirmation_code() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/test-tools/v1/get-cloud-sign-confirmation-code")
                .query_param("requestId", "5f2b7c1e-request");
            then.status(200).header("content-type", "text/plain").body("123456");
        })
        .await;

    let answer = common::raw_test_tools_client(&server.base_url())
        .get_cloud_sign_confirmation_code()
        .request_id("5f2b7c1e-request")
        .send()
        .await
        .expect("the code arrives");

    mock.assert_async().await;
    assert_eq!(collect(answer.into_inner()).await, b"123456");
}

#[tokio::test]
async fn op_upload_test_content() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/test-tools/v1/upload-content")
                .header("content-type", "application/octet-stream")
                .body("%PDF-1.4 demand");
            then.status(200).json_body(json!({ "id": CONTENT }));
        })
        .await;

    let uploaded = common::raw_test_tools_client(&server.base_url())
        .upload_test_content()
        .body(b"%PDF-1.4 demand".to_vec())
        .send()
        .await
        .expect("the upload decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(uploaded.id, Some(CONTENT.parse::<Uuid>().unwrap()));
}
