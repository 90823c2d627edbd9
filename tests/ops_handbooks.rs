//! Handbooks: control units, FNS forms, MVD reference books.

mod common;

use httpmock::prelude::*;
use serde_json::json;

#[tokio::test]
async fn op_list_control_units() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/v1/handbooks/control-units")
                .query_param("type", "fns")
                .query_param("region", "66")
                .query_param("skip", "0")
                .query_param("take", "100")
                .query_param("includeInactive", "true");
            then.status(200).json_body(json!({
                "skip": 0,
                "take": 100,
                "total-count": 1,
                "control-units": [{
                    "type": "fns",
                    "code": "0087",
                    "name": "Test tax office",
                    "region": "66",
                    "flags": { "is-active": true, "is-test": true, "business-registration": false },
                    "contacts": { "short-name": "IFNS 0087", "inn": "6600000087", "kpp": "660001001", "phone": "+7 000 000-00-00" }
                }]
            }));
        })
        .await;

    let page = common::raw_client(&server.base_url())
        .list_control_units()
        .type_("fns".to_owned())
        .region("66")
        .skip(0)
        .take(100)
        .include_inactive(true)
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(page.total_count, Some(1));
    let unit = &page.control_units[0];
    assert_eq!(unit.type_.as_ref().map(|v| v.as_str()), Some("fns"));
    assert_eq!(unit.code.as_deref(), Some("0087"));
    let flags = unit.flags.as_ref().expect("flags");
    assert_eq!(flags.is_test, Some(true));
    assert_eq!(unit.contacts.as_ref().and_then(|c| c.short_name.as_deref()), Some("IFNS 0087"));
    assert!(unit.certificates.is_empty());
}

#[tokio::test]
async fn op_get_control_unit() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/handbooks/control-units/660-066").query_param("controlUnitType", "mvd");
            then.status(200).json_body(json!({
                "type": "mvd",
                "code": "660-066",
                "name": "Test MVD department",
                "contacts": { "mvd-id": "mvd-660066" },
                "certificates": [{ "content": "MIIBIjAN", "thumbprint": "0011AABB" }]
            }));
        })
        .await;

    let unit = common::raw_client(&server.base_url())
        .get_control_unit()
        .code("660-066")
        .control_unit_type("mvd")
        .send()
        .await
        .expect("the control unit decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(unit.code.as_deref(), Some("660-066"));
    assert_eq!(unit.contacts.as_ref().and_then(|c| c.mvd_id.as_deref()), Some("mvd-660066"));
    assert_eq!(unit.certificates[0].thumbprint.as_deref(), Some("0011AABB"));
    assert_eq!(unit.certificates[0].content.as_deref(), Some("MIIBIjAN"));
}

#[tokio::test]
async fn op_list_fns_forms() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/handbooks/fns-forms").query_param("knd", "1151001").query_param("take", "10");
            then.status(200).json_body(json!({
                "skip": 0,
                "take": 10,
                "total-count": 1,
                "fns-forms": [{
                    "knd": "1151001",
                    "name": "VAT return",
                    "version": "5.08",
                    "period-begin": "01.01.2024",
                    "period-end": "31.12.2099",
                    "description-period": "quarter"
                }]
            }));
        })
        .await;

    let page = common::raw_client(&server.base_url())
        .list_fns_forms()
        .knd("1151001")
        .take(10)
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    mock.assert_async().await;
    let form = &page.fns_forms[0];
    assert_eq!(form.knd.as_deref(), Some("1151001"));
    assert_eq!(form.version.as_deref(), Some("5.08"));
    assert_eq!(form.period_begin.as_deref(), Some("01.01.2024"));
}

#[tokio::test]
async fn op_get_handbook() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/handbooks/mvd-citizenship").query_param("skip", "0").query_param("take", "2");
            then.status(200).json_body(json!({
                "handbook-type": "mvd-citizenship",
                "skip": 0,
                "take": 2,
                "total-count": 250,
                "handbook": [{ "code": "051", "name": "Armenia" }, { "code": "112", "name": "Belarus" }]
            }));
        })
        .await;

    let page = common::raw_client(&server.base_url())
        .get_handbook()
        .handbook_type("mvd-citizenship".to_owned())
        .skip(0)
        .take(2)
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    mock.assert_async().await;
    assert_eq!(page.handbook_type.as_ref().map(|v| v.as_str()), Some("mvd-citizenship"));
    assert_eq!(page.total_count, Some(250));
    assert_eq!(page.handbook[1].code.as_deref(), Some("112"));
    assert_eq!(page.handbook[1].name.as_deref(), Some("Belarus"));
}

#[tokio::test]
async fn unknown_handbook_type_and_control_unit_kind_decode() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/v1/handbooks/control-units/0001");
            then.status(200).json_body(json!({ "type": "cbrf", "code": "0001", "new-field": 1 }));
        })
        .await;

    let unit = common::raw_client(&server.base_url())
        .get_control_unit()
        .code("0001")
        .send()
        .await
        .expect("a new kind of control unit decodes")
        .into_inner();

    assert_eq!(unit.type_.as_ref().map(|v| v.as_str()), Some("cbrf"));
}
