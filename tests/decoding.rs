//! Decoding survives the API growing: unknown fields and unknown URN values.

mod common;

use httpmock::prelude::*;
use serde_json::json;

#[tokio::test]
async fn docflow_with_unknown_field_and_unknown_urns_decodes() {
    let server = MockServer::start_async().await;
    let account = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
    let docflow = "0c7e1b3a-2d4f-4a6b-8c9d-1e2f3a4b5c6d";
    server
        .mock_async(|when, then| {
            when.method(GET).path(format!("/v1/{account}/docflows/{docflow}"));
            then.status(200).json_body(json!({
                "id": docflow,
                "type": "urn:docflow:fns999-brand-new-type",
                "status": "urn:docflow-common-status:teleported",
                "success-state": "urn:docflow-state:successful",
                "description": { "form-version": { "knd": "1151001" }, "brand-new-field": { "nested": [1, 2] } },
                "documents": [{
                    "id": "5d0b0c1e-7a1a-4f0e-9c55-8c5f8f1d2e3a",
                    "description": { "type": "urn:document:fns999-new-document", "support-print": "maybe-later" }
                }],
                "field-added-in-2030": true
            }));
        })
        .await;

    let docflow_value = common::raw_client(&server.base_url())
        .get_docflow()
        .account_id(account.parse::<uuid::Uuid>().unwrap())
        .docflow_id(docflow.parse::<uuid::Uuid>().unwrap())
        .send()
        .await
        .expect("an answer with new fields and values decodes")
        .into_inner();

    assert_eq!(docflow_value.type_.as_ref().map(|v| v.as_str()), Some("urn:docflow:fns999-brand-new-type"));
    assert_eq!(docflow_value.status.as_ref().map(|v| v.as_str()), Some("urn:docflow-common-status:teleported"));
    assert_eq!(docflow_value.extra["field-added-in-2030"], json!(true), "unknown fields of answers are kept");
    let description = docflow_value.description.expect("description");
    assert_eq!(description.extra["brand-new-field"], json!({ "nested": [1, 2] }), "unknown description fields are kept");
    let document = &docflow_value.documents[0];
    let doc_description = document.description.as_ref().expect("document description");
    assert_eq!(doc_description.type_.as_ref().map(|v| v.as_str()), Some("urn:document:fns999-new-document"));
    assert_eq!(doc_description.support_print.as_ref().map(|v| v.as_str()), Some("maybe-later"));
}

#[tokio::test]
async fn error_answer_keeps_fields_the_error_schema_does_not_name() {
    use kontur_extern::transport::SendExt;

    let server = MockServer::start_async().await;
    let account = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
    let draft = "1f0e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
    server
        .mock_async(|when, then| {
            when.method(POST).path(format!("/v1/{account}/drafts/{draft}/check"));
            then.status(400).header("X-Kontur-Trace-Id", "trace-400").json_body(json!({
                "id": "urn:error:externapi:draftCheckFailed",
                "status-code": 400,
                "message": "The draft has errors",
                "check-result": { "common-errors": [{ "code": "0400100001" }] }
            }));
        })
        .await;

    let error = common::raw_client(&server.base_url())
        .check_draft()
        .account_id(account.parse::<uuid::Uuid>().unwrap())
        .draft_id(draft.parse::<uuid::Uuid>().unwrap())
        .deferred(true)
        .send()
        .checked()
        .await
        .expect_err("a 400 answer is an error");

    let body = error.api_error().expect("the body decodes as ApiError");
    assert_eq!(body.id.as_deref(), Some("urn:error:externapi:draftCheckFailed"));
    assert_eq!(body.extra["check-result"], json!({ "common-errors": [{ "code": "0400100001" }] }));
    assert_eq!(error.trace_id(), Some("trace-400"));
}
