//! Reports tables: forms, deadlines, statuses, payment orders.

mod common;

use chrono::{TimeZone, Utc};
use httpmock::prelude::*;
use serde_json::json;
use uuid::Uuid;

const ACCOUNT: &str = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
const ORG: &str = "3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";

fn account_id() -> Uuid {
    ACCOUNT.parse().expect("a uuid")
}

fn org_id() -> Uuid {
    ORG.parse().expect("a uuid")
}

fn vat_form() -> serde_json::Value {
    json!({
        "form-full-name": "Value added tax return",
        "form-short-name": "VAT",
        "form-id": 101000,
        "knd": "1151001",
        "periodicity": "quarterly"
    })
}

#[tokio::test]
async fn op_search_reports_tables() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/reports-tables/search"))
                .query_param("includeDeleted", "true")
                .header("content-type", "application/json")
                .json_body(json!({
                    "organization-ids": [ORG],
                    "date-from": "2024-01-01T00:00:00Z",
                    "date-to": "2024-06-30T00:00:00Z",
                    "take": 50
                }));
            then.status(200).json_body(json!({
                "reports-tables": [{
                    "organization-id": ORG,
                    "forms": [{
                        "form-info": vat_form(),
                        "deadlines": [{
                            "deadline": "2024-04-25T00:00:00.0000000",
                            "period-year": 2024,
                            "period-number": 1,
                            "period-start": "2024-01-01T00:00:00",
                            "period-end": "2024-03-31T00:00:00",
                            "status": "acceptedWithRebuke"
                        }]
                    }]
                }]
            }));
        })
        .await;

    let list = common::raw_client(&server.base_url())
        .search_reports_tables()
        .account_id(account_id())
        .include_deleted(true)
        .body_map(|b| {
            b.organization_ids(vec![org_id()])
                .date_from(Some(Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap().into()))
                .date_to(Some(Utc.with_ymd_and_hms(2024, 6, 30, 0, 0, 0).unwrap().into()))
                .take(Some(50))
        })
        .send()
        .await
        .expect("the tables decode")
        .into_inner();

    mock.assert_async().await;
    let table = &list.reports_tables[0];
    assert_eq!(table.organization_id, Some(org_id()));
    let form = &table.forms[0];
    let info = form.form_info.as_ref().expect("form info");
    assert_eq!(info.form_id, Some(101000));
    assert_eq!(info.periodicity.as_ref().map(|v| v.as_str()), Some("quarterly"));
    let deadline = &form.deadlines[0];
    assert_eq!(deadline.deadline.as_ref().map(|v| v.as_str()), Some("2024-04-25T00:00:00.0000000"));
    assert_eq!(deadline.status.as_ref().map(|v| v.as_str()), Some("acceptedWithRebuke"));
}

#[tokio::test]
async fn op_search_payments() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/v1/{ACCOUNT}/reports-tables/search-payments"))
                .header("content-type", "application/json")
                .json_body(json!({ "organization-ids": [ORG], "skip": 0, "take": 1 }));
            then.status(200).json_body(json!({
                "skip": 0,
                "take": 1,
                "total-count": 1,
                "organization-payments": [{
                    "organization-id": ORG,
                    "payments": [{
                        "full-name": "Value added tax",
                        "short-name": "VAT",
                        "payment-form-id": 101000,
                        "periodicity": "monthly",
                        "payment-periods": [
                            { "deadline": "2023-01-30T00:00:00.0000000", "period-year": 2022, "period-type": "quarterly", "period-number": 4, "payment-number-in-period": 1 },
                            { "deadline": "2023-02-28T00:00:00.0000000", "period-year": 2022, "period-type": "quarterly", "period-number": 4, "payment-number-in-period": 2 }
                        ]
                    }]
                }]
            }));
        })
        .await;

    let list = common::raw_client(&server.base_url())
        .search_payments()
        .account_id(account_id())
        .body_map(|b| b.organization_ids(vec![org_id()]).skip(Some(0)).take(Some(1)))
        .send()
        .await
        .expect("the payments decode")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(list.total_count, Some(1));
    let payment = &list.organization_payments[0].payments[0];
    assert_eq!(payment.payment_form_id, Some(101000));
    assert_eq!(payment.periodicity.as_ref().map(|v| v.as_str()), Some("monthly"));
    let second = &payment.payment_periods[1];
    assert_eq!(second.deadline.as_ref().map(|v| v.as_str()), Some("2023-02-28T00:00:00.0000000"));
    assert_eq!(second.period_type.as_ref().map(|v| v.as_str()), Some("quarterly"));
    assert_eq!(second.payment_number_in_period, Some(2));
}

#[tokio::test]
async fn op_list_report_forms() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{ACCOUNT}/reports-tables/{ORG}/forms")).query_param("includeDeleted", "false");
            then.status(200).json_body(json!({ "forms": [vat_form(), { "form-short-name": "P-4", "form-id": 7, "okud": "0610016", "periodicity": "twice-a-month" }] }));
        })
        .await;

    let list = common::raw_client(&server.base_url())
        .list_report_forms()
        .account_id(account_id())
        .org_id(org_id())
        .include_deleted(false)
        .send()
        .await
        .expect("the forms decode")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(list.forms.len(), 2);
    assert_eq!(list.forms[0].knd.as_deref(), Some("1151001"));
    assert_eq!(list.forms[1].okud.as_deref(), Some("0610016"));
    assert_eq!(list.forms[1].periodicity.as_ref().map(|v| v.as_str()), Some("twice-a-month"));
}

#[tokio::test]
async fn op_list_report_docflows() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/v1/{ACCOUNT}/reports-tables/{ORG}/report-docflows"))
                .query_param("formId", "101000")
                .query_param("deadline", "2024-04-25T00:00:00")
                .query_param("periodYear", "2024")
                .query_param("periodNumber", "1");
            then.status(200).json_body(json!({
                "docflows": [{
                    "docflow-id": DOCFLOW,
                    "organization-short-name": "Test LLC",
                    "form": vat_form(),
                    "recipient": "0087",
                    "send-date": "2024-04-20T12:00:00",
                    "correction-number": 1,
                    "report-status": "accepted"
                }]
            }));
        })
        .await;

    let list = common::raw_client(&server.base_url())
        .list_report_docflows()
        .account_id(account_id())
        .org_id(org_id())
        .form_id(101000)
        .deadline("2024-04-25T00:00:00")
        .period_year(2024)
        .period_number(1)
        .send()
        .await
        .expect("the docflows decode")
        .into_inner();

    mock.assert_async().await;
    let docflow = &list.docflows[0];
    assert_eq!(docflow.docflow_id, Some(DOCFLOW.parse::<Uuid>().unwrap()));
    assert_eq!(docflow.recipient.as_deref(), Some("0087"));
    assert_eq!(docflow.correction_number, Some(1));
    assert_eq!(docflow.report_status.as_ref().map(|v| v.as_str()), Some("accepted"));
    assert_eq!(docflow.form.as_ref().and_then(|f| f.form_short_name.as_deref()), Some("VAT"));
}
