//! The docflow `description` has no discriminator: its fields depend on the docflow `type`.
//! Realistic descriptions of the common types decode into `DocflowDescription`, and a type
//! nobody knows yet decodes too, keeping its unknown fields.

use kontur_extern::raw::types::{Docflow, DocflowDescription, DocflowPageItem};
use serde_json::{Value, json};
use uuid::Uuid;

fn docflow(type_urn: &str, description: Value) -> Docflow {
    serde_json::from_value(json!({
        "id": "a9bc74bd-311b-43f0-aff7-faba24ce35d9",
        "organization-id": "988b38f1-5580-4ba9-b9f8-3215e7f392ea",
        "type": type_urn,
        "status": "urn:docflow-common-status:delivered",
        "success-state": "urn:docflow-state:neutral",
        "description": description,
        "documents": [],
        "links": [],
        "send-date": "2024-06-05T10:27:58.5805863",
        "last-change-date": "2024-06-05T07:29:41.8642330Z"
    }))
    .unwrap_or_else(|err| panic!("a {type_urn} docflow decodes: {err}"))
}

fn description(type_urn: &str, description: Value) -> DocflowDescription {
    let decoded = docflow(type_urn, description);
    assert_eq!(decoded.type_.as_ref().map(|v| v.as_str()), Some(type_urn));
    *decoded.description.expect("description")
}

fn id(text: &str) -> Uuid {
    text.parse().expect("a uuid literal")
}

#[test]
fn fns_report() {
    let d = description(
        "urn:docflow:fns534-report",
        json!({
            "form-version": {
                "knd": "1151111",
                "version": "5.05",
                "form-fullname": "Расчет по страховым взносам",
                "form-shortname": "РСВ"
            },
            "recipient": "0087",
            "final-recipient": "0087",
            "correction-number": 1,
            "period-begin": "2024-01-01T00:00:00.0000000",
            "period-end": "2024-03-31T00:00:00.0000000",
            "period-code": "21",
            "payer-inn": "6676130154-667601001",
            "report-inn": "6676130154",
            "report-kpp": "667601001",
            "oktmo": "65701000",
            "payment-periods": [{ "kbk": "18210201000011000160", "periods": [{ "period-code": "21", "month-or-quarter-number": "01", "year": "2024" }] }],
            "original-draft-id": "74b6e8b9-290a-4d12-b874-c7fb35cad54f",
            "requisites": { "comment": { "text": "Сдан вовремя", "color": "green" } }
        }),
    );
    let form = d.form_version.as_ref().expect("form version");
    assert_eq!((form.knd.as_deref(), form.form_shortname.as_deref()), (Some("1151111"), Some("РСВ")));
    assert_eq!(d.correction_number, Some(1));
    assert_eq!(d.period_code.as_deref(), Some("21"));
    assert_eq!(d.period_begin.as_ref().map(|v| v.as_str()), Some("2024-01-01T00:00:00.0000000"));
    assert_eq!(d.report_kpp.as_deref(), Some("667601001"));
    assert_eq!(d.payment_periods[0].periods[0].year.as_deref(), Some("2024"));
    assert_eq!(d.original_draft_id, Some(id("74b6e8b9-290a-4d12-b874-c7fb35cad54f")));
    let comment = d.requisites.and_then(|r| r.comment).expect("comment");
    assert_eq!(
        (comment.text.as_deref(), comment.color.as_ref().map(|v| v.as_str())),
        (Some("Сдан вовремя"), Some("green"))
    );
    assert!(d.extra.is_empty(), "every documented field is named: {:?}", d.extra);
}

#[test]
fn fns_demand() {
    let d = description(
        "urn:docflow:fns534-demand",
        json!({
            "attachments-count": 2,
            "form-versions": [
                { "knd": "1160070", "version": "5.02", "form-shortname": "Требование о представлении пояснений" },
                { "knd": "1165050", "version": "5.01" }
            ],
            "payer-inn": "6676130154-667601001",
            "cu": "0087",
            "transit-cu": "0088",
            "sent-on-report-filename": "NO_NDS_0087_0087_6676130154667601001_20240425_5aaa862e.xml",
            "receipt-status": "sent",
            "receipt-deadline-date": "2024-05-27",
            "receipt-date": "2024-05-21",
            "reply-deadline-date": "2024-06-03",
            "replies-status": "in-progress"
        }),
    );
    assert_eq!(d.attachments_count, Some(2));
    assert_eq!(d.form_versions.len(), 2);
    assert_eq!(d.form_versions[0].knd.as_deref(), Some("1160070"));
    assert_eq!(d.cu.as_deref(), Some("0087"));
    assert_eq!(d.transit_cu.as_deref(), Some("0088"));
    assert_eq!(d.receipt_deadline_date.as_ref().map(|v| v.as_str()), Some("2024-05-27"));
    assert_eq!(d.reply_deadline_date.as_ref().map(|v| v.as_str()), Some("2024-06-03"));
    assert_eq!(d.replies_status.as_ref().map(|v| v.as_str()), Some("in-progress"));
    assert!(d.extra.is_empty(), "{:?}", d.extra);
}

#[test]
fn fns_letter() {
    let d = description(
        "urn:docflow:fns534-letter",
        json!({
            "recipient": "0087",
            "final-recipient": "0087",
            "subject": "О предоставлении документов",
            "sender-inn": "6676130154",
            "related-docflow-id": "5f0e8a3c-1b2d-4c6e-8f9a-0b1c2d3e4f50",
            "related-document-id": null,
            "original-draft-id": "d1a0c6be-9dae-4e46-8b7c-8d9eafb0c1d8"
        }),
    );
    assert_eq!(d.subject.as_deref(), Some("О предоставлении документов"));
    assert_eq!(d.sender_inn.as_deref(), Some("6676130154"));
    assert_eq!(d.related_docflow_id, Some(id("5f0e8a3c-1b2d-4c6e-8f9a-0b1c2d3e4f50")));
    assert_eq!(d.related_document_id, None, "null is read as absent");
}

#[test]
fn pfr_report() {
    let d = description(
        "urn:docflow:pfr-report",
        json!({
            "cu": "087-001",
            "registration-number": "087-001-123456",
            "final-recipient": "087-001",
            "form-version": { "knd": "", "okud": "", "version": "ЕФС-1", "form-fullname": "Единая форма сведений" },
            "period-begin": "2024-01-01",
            "period-end": "2024-03-31",
            "extended-status": "urn:docflow-extended-status:partially-successful"
        }),
    );
    assert_eq!(d.registration_number.as_deref(), Some("087-001-123456"));
    assert_eq!(d.extended_status.as_deref(), Some("urn:docflow-extended-status:partially-successful"));
    assert_eq!(d.period_end.as_ref().map(|v| v.as_str()), Some("2024-03-31"));
    assert_eq!(d.form_version.and_then(|f| f.version).as_deref(), Some("ЕФС-1"));
}

#[test]
fn stat_report() {
    let d = description(
        "urn:docflow:stat-report",
        json!({
            "form-version": { "okud": "0610016", "version": "007", "form-shortname": "П-4" },
            "recipient": "00-87",
            "okpo": "12345678",
            "okud": "0610016",
            "period-begin": "2020-01-01T00:00:00.0000000",
            "period-end": "2020-03-31T00:00:00.0000000",
            "period-code": "1",
            "correction-number": 0
        }),
    );
    assert_eq!(d.recipient.as_deref(), Some("00-87"));
    assert_eq!(d.okpo.as_deref(), Some("12345678"));
    assert_eq!(d.okud.as_deref(), Some("0610016"));
    assert_eq!(d.correction_number, Some(0));
}

#[test]
fn business_registration() {
    let d = description(
        "urn:docflow:business-registration",
        json!({
            "recipient": "0087",
            "sender-inn": "667613015466",
            "svd-reg-codes": ["011011", "011012"],
            "registration-info": {
                "applicant-infos": [{ "fio": { "surname": "Иванов", "name": "Пётр", "patronymic": "Сергеевич" }, "inn": "667613015466" }],
                "business-type": "ip"
            }
        }),
    );
    assert_eq!(d.svd_reg_codes, ["011011", "011012"]);
    let info = d.registration_info.expect("registration info");
    assert_eq!(info.business_type.as_ref().map(|v| v.as_str()), Some("ip"));
    let applicant = &info.applicant_infos[0];
    assert_eq!(applicant.fio.as_ref().and_then(|f| f.surname.as_deref()), Some("Иванов"));
    assert_eq!(applicant.inn.as_deref(), Some("667613015466"));
    assert!(info.ul_info.is_none());
}

#[test]
fn sedo_and_sfr_fields() {
    let d = description(
        "urn:docflow:sfr-report",
        json!({
            "recipient": "087-001",
            "registration-number": "0870011234",
            "payer-inn": "6676130154",
            "sender-certificate-thumbprint": "20AACA440F33D0C90FBC052108012D3062D44873",
            "section-infos": [{ "form-version": { "version": "ЕФС-1" }, "correction-type": "initial", "correction-number": "0",
                                "period-begin": "2024-01-01", "period-end": "2024-12-31" }]
        }),
    );
    assert_eq!(d.section_infos[0].correction_type.as_deref(), Some("initial"));
    assert_eq!(d.sender_certificate_thumbprint.as_deref(), Some("20AACA440F33D0C90FBC052108012D3062D44873"));
}

#[test]
fn unknown_type_with_unknown_fields_keeps_them() {
    let d = description(
        "urn:docflow:fns999-brand-new",
        json!({
            "form-version": { "knd": "9999999", "brand-new-form-field": 1 },
            "recipient": "0087",
            "brand-new-number": 42,
            "brand-new-object": { "nested": ["a", "b"], "flag": true },
            "brand-new-list": [{ "x": 1 }]
        }),
    );
    assert_eq!(d.form_version.and_then(|f| f.knd).as_deref(), Some("9999999"));
    assert_eq!(d.recipient.as_deref(), Some("0087"));
    assert_eq!(d.extra.get("brand-new-number"), Some(&json!(42)));
    assert_eq!(d.extra.get("brand-new-object"), Some(&json!({ "nested": ["a", "b"], "flag": true })));
    assert_eq!(d.extra.get("brand-new-list"), Some(&json!([{ "x": 1 }])));
    assert_eq!(d.extra.len(), 3);
}

#[test]
fn empty_and_missing_descriptions_decode() {
    assert!(description("urn:docflow:fns534-cu-broadcast", json!({})).extra.is_empty());
    let item: DocflowPageItem = serde_json::from_value(json!({ "id": "a9bc74bd-311b-43f0-aff7-faba24ce35d9" }))
        .expect("a bare page item decodes");
    assert!(item.description.is_none());
}
