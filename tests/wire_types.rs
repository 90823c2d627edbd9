//! The generated types read every form the API sends and write back what they read: both date
//! forms in every date field, unknown fields through a read-modify-write, vocabularies as open
//! enums, `null` for empty lists.

mod common;

use common::{client, id};
use httpmock::prelude::*;
use kontur_extern::raw::types;
use kontur_extern::vocab::{
    ApiTaskState, ConfirmType, DocflowStatus, DocflowType, DocumentType, SignerType, TransactionKind,
};
use kontur_extern::{ExternDate, ExternDateTime};
use serde_json::{Value, json};

const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
const DRAFT: &str = "30717ae6-b0eb-4eb2-9e85-99553af15941";
const DOCFLOW: &str = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";
const WARRANT: &str = "0d6a3c2b-1e4f-4a5b-8c7d-9e0f1a2b3c4d";

/// One instant in the three forms the API uses: UTC, Moscow time without an offset, an offset.
const SAME_INSTANT: [&str; 3] =
    ["2020-02-26T06:51:08.4636938Z", "2020-02-26T09:51:08.4636938", "2020-02-26T09:51:08.4636938+03:00"];

fn instant() -> chrono::DateTime<chrono::Utc> {
    SAME_INSTANT[0].parse::<ExternDateTime>().unwrap().to_utc()
}

/// Decodes `value` as `T`, checks `read` on it, and checks it writes back exactly `value`.
fn decodes_and_writes_back<T>(value: Value, read: impl Fn(&T))
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let decoded: T = serde_json::from_value(value.clone()).unwrap_or_else(|error| panic!("{value}: {error}"));
    read(&decoded);
    assert_eq!(serde_json::to_value(&decoded).unwrap(), value);
}

#[test]
fn every_date_time_of_docflows_documents_and_events_reads_each_form() {
    for form in SAME_INSTANT {
        let docflow = json!({
            "id": DOCFLOW,
            "send-date": form,
            "last-change-date": form,
            "description": { "message-date": form, "expiry-date": form },
            "documents": [{ "id": DOCFLOW, "send-date": form }]
        });
        decodes_and_writes_back::<types::Docflow>(docflow, |docflow| {
            let description = docflow.description.as_ref().unwrap();
            for date in [
                &docflow.send_date,
                &docflow.last_change_date,
                &description.message_date,
                &description.expiry_date,
                &docflow.documents[0].send_date,
            ] {
                assert_eq!(date.as_ref().map(ExternDateTime::to_utc), Some(instant()), "{form}");
            }
        });

        let page = json!({ "total-count": 1, "docflows-page-item": [{ "id": DOCFLOW, "send-date": form, "last-change-date": form }] });
        decodes_and_writes_back::<types::DocflowPage>(page, |page| {
            let item = &page.docflows_page_item[0];
            assert_eq!(item.send_date.as_ref().map(ExternDateTime::to_utc), Some(instant()));
            assert_eq!(item.last_change_date.as_ref().map(ExternDateTime::to_utc), Some(instant()));
        });

        let events = json!({ "next-event-id": "1_1", "api-events": [{ "id": "1_0", "event-date-time": form }] });
        decodes_and_writes_back::<types::EventsPage>(events, |page| {
            assert_eq!(page.api_events[0].event_date_time.as_ref().map(ExternDateTime::to_utc), Some(instant()));
        });

        let certificates = json!({ "certificates": [{ "expired-at": form }] });
        decodes_and_writes_back::<types::AccountCertificateList>(certificates, |list| {
            assert_eq!(list.certificates[0].expired_at.as_ref().map(ExternDateTime::to_utc), Some(instant()));
        });
    }
}

#[test]
fn every_date_of_a_docflow_description_reads_bare_dates_and_midnights() {
    let expected = chrono::NaiveDate::from_ymd_opt(2024, 3, 31).unwrap();
    for form in ["2024-03-31", "2024-03-31T00:00:00.0000000", "2024-03-31T00:00:00", "2024-03-31T00:00:00+03:00"] {
        let fields = [
            "period-begin",
            "period-end",
            "receipt-deadline-date",
            "receipt-date",
            "reply-deadline-date",
            "reply-date",
            "fss-stage-date",
        ];
        let description: Value =
            fields.iter().map(|field| (field.to_string(), json!(form))).collect::<serde_json::Map<_, _>>().into();
        decodes_and_writes_back::<types::DocflowDescription>(description, |description| {
            for date in [
                &description.period_begin,
                &description.period_end,
                &description.receipt_deadline_date,
                &description.receipt_date,
                &description.reply_deadline_date,
                &description.reply_date,
                &description.fss_stage_date,
            ] {
                assert_eq!(date.as_ref().map(ExternDate::to_naive_date), Some(expected), "{form}");
            }
        });
    }
}

#[test]
fn tasks_and_drafts_carry_no_date_to_misread() {
    // Task and draft answers have no date fields in the spec: a date-looking value in an unknown
    // field is kept as it came.
    let task = json!({ "id": DRAFT, "task-state": "running", "started-at": SAME_INSTANT[1] });
    decodes_and_writes_back::<types::ApiTask>(task, |task| {
        assert_eq!(task.extra["started-at"], json!(SAME_INSTANT[1]));
    });
    let draft = json!({ "id": DRAFT, "status": "new", "created": SAME_INSTANT[0] });
    decodes_and_writes_back::<types::Draft>(draft, |draft| assert_eq!(draft.extra["created"], json!(SAME_INSTANT[0])));
}

#[test]
fn a_date_that_is_not_a_date_names_itself() {
    let error =
        serde_json::from_value::<types::Docflow>(json!({ "id": DOCFLOW, "send-date": "26.02.2020" })).unwrap_err();
    assert!(error.to_string().contains("`26.02.2020`"), "{error}");
}

#[tokio::test]
async fn a_read_modify_write_of_draft_meta_keeps_fields_the_crate_does_not_know() {
    let server = MockServer::start_async().await;
    let meta = json!({
        "sender": { "inn": "7757424860", "kpp": "680345565", "added-in-2030": { "x": 1 } },
        "recipient": { "ifns-code": "0087" },
        "payer": { "inn": "7757424860" },
        "additional-info": {
            "subject": "Old subject",
            "machine-readable-warrant-id": WARRANT,
            "parent-machine-readable-warrant-id": WARRANT
        },
        "added-at-the-top": true
    });
    let path = format!("/v1/{ACCOUNT}/drafts/{DRAFT}/meta");
    server
        .mock_async(|when, then| {
            when.method(GET).path(path.clone());
            then.status(200).json_body(meta.clone());
        })
        .await;
    let mut sent = meta.clone();
    sent["additional-info"]["subject"] = json!("New subject");
    let put = server
        .mock_async(|when, then| {
            when.method(PUT).path(path.clone()).json_body(sent.clone());
            then.status(200).json_body(sent.clone());
        })
        .await;

    let raw = client(&server);
    let mut read = raw.get_draft_meta().account_id(id(ACCOUNT)).draft_id(id(DRAFT)).send().await.unwrap().into_inner();
    read.additional_info.as_mut().unwrap().subject = Some("New subject".into());
    raw.update_draft_meta().account_id(id(ACCOUNT)).draft_id(id(DRAFT)).body(read).send().await.unwrap();
    put.assert_async().await;
}

#[test]
fn request_bodies_are_still_easy_to_write() {
    let info = types::DraftAdditionalInfo { subject: Some("Subject".into()), ..Default::default() };
    assert_eq!(serde_json::to_value(&info).unwrap(), json!({ "subject": "Subject" }));
    let built: types::DraftRecipient =
        types::DraftRecipient::builder().ifns_code(Some("0087".into())).try_into().unwrap();
    assert_eq!(serde_json::to_value(&built).unwrap(), json!({ "ifns-code": "0087" }));
}

#[test]
fn known_vocabulary_values_are_their_variants() {
    let docflow: types::Docflow = serde_json::from_value(json!({
        "id": DOCFLOW,
        "type": "urn:docflow:fns534-demand",
        "status": "urn:docflow-common-status:response-arrived",
        "documents": [{ "id": DOCFLOW, "description": { "type": "urn:document:fns534-demand" },
                        "signatures": [{ "id": DOCFLOW, "signer-type": "cu-representative" }] }]
    }))
    .unwrap();
    assert_eq!(docflow.type_, Some(DocflowType::Fns534Demand));
    assert_eq!(docflow.status, Some(DocflowStatus::ResponseArrived));
    let document = &docflow.documents[0];
    assert_eq!(document.description.as_ref().unwrap().type_, Some(DocumentType::Fns534Demand));
    assert_eq!(document.signatures[0].signer_type, Some(SignerType::CuRepresentative));
    assert!(matches!(docflow.type_, Some(DocflowType::Fns534Demand)));

    let task: types::ApiTask = serde_json::from_value(json!({ "id": DRAFT, "task-state": "succeed" })).unwrap();
    assert_eq!(task.task_state, Some(ApiTaskState::Succeed));
    let started: types::SignInitResult = serde_json::from_value(json!({ "confirm-type": "my-dss" })).unwrap();
    assert_eq!(started.confirm_type, Some(ConfirmType::MyDss));
    let events: types::EventsPage =
        serde_json::from_value(json!({ "api-events": [{ "id": "1", "new-state": "urn:transaction:report-receipt" }] }))
            .unwrap();
    assert_eq!(events.api_events[0].new_state, Some(TransactionKind::ReportReceipt));
}

#[test]
fn unknown_vocabulary_values_round_trip_exactly() {
    let value = json!({
        "id": DOCFLOW,
        "type": "urn:docflow:fns999-from-2030",
        "status": "urn:docflow-common-status:Teleported",
        "success-state": "urn:docflow-state:  spaced  "
    });
    decodes_and_writes_back::<types::Docflow>(value, |docflow| {
        assert_eq!(docflow.type_, Some(DocflowType::Unknown("urn:docflow:fns999-from-2030".into())));
        assert!(!docflow.type_.as_ref().unwrap().is_known());
        assert_eq!(docflow.status.as_ref().unwrap().as_str(), "urn:docflow-common-status:Teleported");
        assert_eq!(docflow.success_state.as_ref().unwrap().to_string(), "urn:docflow-state:  spaced  ");
    });
}

#[test]
fn vocabularies_convert_to_and_from_text() {
    assert_eq!("urn:docflow:fns534-report".parse::<DocflowType>().unwrap(), DocflowType::Fns534Report);
    assert_eq!(DocflowType::Fns534Report.to_string(), "urn:docflow:fns534-report");
    assert_eq!(DocflowType::Fns534Report.short_name(), "fns534-report");
    assert_eq!(DocflowType::from_short_name("fns534-report"), DocflowType::Fns534Report);
    assert_eq!(DocflowType::from_short_name("brand-new"), DocflowType::Unknown("urn:docflow:brand-new".into()));
    assert_eq!(DocumentType::Fns534ReportReceipt.short_name(), "fns534-report-receipt");
    // An Unknown spelled like a known value is that value.
    assert_eq!(DocflowType::Unknown("urn:docflow:fns534-report".into()), DocflowType::Fns534Report);
    assert_eq!(String::from(DocflowType::Unknown("x".into())), "x");
    assert!(DocflowType::KNOWN.contains(&"urn:docflow:fns534-report"));
    for value in DocflowType::KNOWN {
        let parsed = DocflowType::from(*value);
        assert!(parsed.is_known(), "{value}");
        assert_eq!(parsed.as_str(), *value);
    }
}

#[test]
fn null_lists_and_maps_read_as_empty() {
    let docflow: types::Docflow =
        serde_json::from_value(json!({ "id": DOCFLOW, "documents": null, "links": null })).unwrap();
    assert!(docflow.documents.is_empty() && docflow.links.is_empty());
    let error: types::ApiError = serde_json::from_value(json!({ "properties": null, "context": null })).unwrap();
    assert!(error.properties.is_empty() && error.context.is_empty());
}

/// `DocflowDescription` lists the fields of every kind of docflow (2 KB inline): the objects that
/// hold one hold it boxed, so a docflow, a page item, and every answer or future holding one stay
/// small to move. `build.rs` boxes objects of 32 properties or more.
#[test]
fn a_docflow_holds_its_large_description_boxed() {
    let description = std::mem::size_of::<types::DocflowDescription>();
    assert!(description > 1024, "the description is the large object this test is about ({description} bytes)");
    for (name, size) in [
        ("Docflow", std::mem::size_of::<types::Docflow>()),
        ("DocflowPageItem", std::mem::size_of::<types::DocflowPageItem>()),
    ] {
        assert!(size < 512, "{name} is {size} bytes: its description is not boxed");
    }
    let docflow: types::Docflow = serde_json::from_value(json!({
        "id": "0c7e1b3a-2d4f-4a6b-8c9d-1e2f3a4b5c6d",
        "description": { "recipient": "0087", "correction-number": 0 }
    }))
    .expect("a docflow");
    let description = docflow.description.as_deref().expect("its description");
    assert_eq!(description.recipient.as_deref(), Some("0087"));
}
