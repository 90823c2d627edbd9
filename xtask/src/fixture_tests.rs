//! Every rule of the import on documents shaped like real Swashbuckle output
//! (`tests/fixtures/swashbuckle/`: a Swagger 2.0 group and an OpenAPI 3.0 group).

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::normalise::{is_method, normalise, unsendable_request_bodies};
use crate::spec::{merge_imports, read_json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/swashbuckle")
}

fn fixture(name: &str) -> (String, Value) {
    (name.to_owned(), read_json(&fixtures().join(name)).unwrap())
}

/// The two groups merged and normalised, `extern.docflows.json` first unless `reversed`.
fn imported(reversed: bool) -> Value {
    let mut docs = vec![fixture("extern.docflows.json"), fixture("extern.drafts.json")];
    if reversed {
        docs.reverse();
    }
    let mut doc = merge_imports(docs).unwrap();
    normalise(&mut doc);
    doc
}

fn op<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is in the import");
    op
}

fn schema<'a>(doc: &'a Value, name: &str) -> &'a Value {
    &doc["components"]["schemas"][name]
}

const DRAFT: &str = "/v1/{accountId}/drafts/{draftId}";
const DRAFT_CONTENT: &str = "/v1/{accountId}/drafts/{draftId}/documents/{documentId}/content/decrypted";
const DOCFLOW_CONTENT: &str = "/v1/{accountId}/docflows/{docflowId}/documents/{documentId}/content/decrypted";
const REPLY: &str = "/v1/{accountId}/docflows/{docflowId}/documents/{documentId}/reply";
const REPLY_SIGNATURE: &str = "/v1/{accountId}/docflows/{docflowId}/documents/{documentId}/reply/{replyId}/signature";
const UPLOAD: &str = "/v1/{accountId}/drafts/{draftId}/documents/{documentId}/signatures/upload";

fn json_body(name: &str) -> Value {
    json!({ "application/json": { "schema": { "$ref": format!("#/components/schemas/{name}") } } })
}

fn raw() -> Value {
    json!({ "*/*": { "schema": { "type": "string", "format": "binary" } } })
}

#[test]
fn swagger2_and_openapi3_groups_become_one_openapi3_document() {
    let doc = imported(false);
    assert_eq!(doc["openapi"], "3.0.3");
    assert_eq!(doc["info"]["title"], "Kontur.Extern.Api.Docflows", "the first group's info");
    assert_eq!(doc["servers"], json!([{ "url": "https://extern-api.testkontur.ru" }]), "one server, not two");
    assert_eq!(
        schema(&doc, "DocflowPageItem")["properties"]["send-date"]["nullable"],
        true,
        "`x-nullable` is `nullable`"
    );
    assert_eq!(schema(&doc, "Draft")["properties"]["documents"]["nullable"], true);
}

#[test]
fn schema_names_become_type_names() {
    let doc = imported(false);
    assert!(schema(&doc, "ContractInfo[UsnDataV2]").is_null());
    assert_eq!(schema(&doc, "ContractInfoUsnDataV2")["properties"]["version"]["type"], "integer");
    assert_eq!(
        op(&doc, "/v1/{accountId}/docflows/{docflowId}/contract", "get")["responses"]["200"]["content"],
        json_body("ContractInfoUsnDataV2")
    );
}

#[test]
fn components_defined_differently_by_two_groups_are_renamed_with_their_references() {
    let doc = imported(false);
    assert_eq!(schema(&doc, "Link")["properties"].as_object().unwrap().len(), 2, "the first group's Link");
    assert_eq!(schema(&doc, "Link2")["properties"]["name"]["type"], "string", "the second group's Link");
    assert_eq!(schema(&doc, "DraftDocument")["properties"]["content-link"]["$ref"], "#/components/schemas/Link2");
    assert_eq!(schema(&doc, "ReplyDocument")["properties"]["links"]["items"]["$ref"], "#/components/schemas/Link");
}

#[test]
fn closed_objects_open_and_inheritance_stays() {
    let doc = imported(false);
    for name in ["DocflowPageItem", "DraftDocument", "DocumentBase", "Draft", "DraftMetaRequest", "Recipient"] {
        assert_ne!(schema(&doc, name)["additionalProperties"], false, "{name} no longer rejects new fields");
    }
    assert_eq!(schema(&doc, "DocflowPageItem")["additionalProperties"], json!({}), "an answer keeps unknown fields");
    assert_eq!(schema(&doc, "ProblemDetails")["additionalProperties"], json!({}));
    let draft_document = schema(&doc, "DraftDocument");
    assert_eq!(
        draft_document["allOf"],
        json!([{ "$ref": "#/components/schemas/DocumentBase" }]),
        "allOf inheritance stays"
    );
    assert_eq!(draft_document["additionalProperties"], json!({}));
}

#[test]
fn enums_open_and_a_property_or_example_named_enum_is_data() {
    let doc = imported(false);
    let status = &schema(&doc, "DraftDocument")["properties"]["status"];
    assert!(status.get("enum").is_none(), "beside allOf too");
    assert_eq!(status["x-known-values"], json!(["urn:draft-document-status:ok", "urn:draft-document-status:broken"]));
    let urgency = schema(&doc, "Urgency");
    assert_eq!(urgency["type"], "integer");
    assert_eq!(urgency["x-known-values"], json!(["0", "1", "2"]));
    assert_eq!(
        urgency["description"], "Known values: `0` (Normal), `1` (High), `2` (Critical).",
        "x-enumNames name the numbers"
    );
    let field = schema(&doc, "FieldDescription");
    assert_eq!(
        field["properties"]["enum"],
        json!({ "type": "array", "items": { "type": "string" }, "description": "Values the field takes.", "nullable": true }),
        "a property named `enum` is kept as it is"
    );
    assert_eq!(field["example"], json!({ "name": "okved", "enum": ["01.11"] }), "examples are data");
    assert_eq!(
        op(&doc, "/v1/handbooks/forms/{formId}/fields", "get")["responses"]["200"]["content"]["application/json"]["example"],
        json!([{ "name": "okved", "enum": ["01.11", "01.12"] }])
    );
}

/// Operation id of every route.
fn ids(doc: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap().iter().filter(|(m, _)| is_method(m)) {
            out.push((method.clone(), path.clone(), op["operationId"].as_str().unwrap().to_owned()));
        }
    }
    out.sort();
    out
}

#[test]
fn operation_ids_are_stable_when_groups_share_an_id_or_change_order() {
    let doc = imported(false);
    let id = |path: &str, method: &str| op(&doc, path, method)["operationId"].clone();
    // Both groups call their content download `Documents_GetDecryptedContentAsync`.
    assert_eq!(
        id(DOCFLOW_CONTENT, "get"),
        "get_v1_account_id_docflows_docflow_id_documents_document_id_content_decrypted"
    );
    assert_eq!(id(DRAFT_CONTENT, "get"), "get_v1_account_id_drafts_draft_id_documents_document_id_content_decrypted");
    assert_eq!(id(DRAFT_CONTENT, "put"), "documents_put_decrypted_content");
    assert_eq!(id("/v1/{accountId}/docflows", "get"), "docflows_get_docflows");
    assert_eq!(ids(&imported(true)), ids(&doc), "the groups in the other order name every operation alike");
}

#[test]
fn parameters_take_the_forms_progenitor_supports() {
    let doc = imported(false);
    let params = op(&doc, "/v1/{accountId}/docflows", "get")["parameters"].as_array().unwrap().clone();
    let named = |name: &str| params.iter().find(|p| p["name"] == name).unwrap().clone();
    assert_eq!(named("accountId")["required"], true);
    assert_eq!(named("types")["style"], "form");
    assert_eq!(named("types")["explode"], true, "`collectionFormat: multi`");
    assert_eq!(named("X-Kontur-Request-Id")["in"], "header");
    // A path-level parameter stays where it is, required.
    let shared = doc["paths"][DRAFT]["parameters"].as_array().unwrap();
    assert_eq!(shared.iter().map(|p| p["name"].as_str().unwrap()).collect::<Vec<_>>(), ["accountId", "draftId"]);
    assert!(shared.iter().all(|p| p["required"] == true));
    assert!(op(&doc, DRAFT, "get").get("parameters").is_none());
    // A Swagger 2.0 path-level parameter reaches the operation.
    assert_eq!(op(&doc, REPLY, "post")["parameters"][0]["name"], "accountId");
}

#[test]
fn request_bodies_keep_one_media_type_the_client_can_send() {
    let doc = imported(false);
    // application/json-patch+json, application/json, text/json, application/*+json and a form.
    assert_eq!(op(&doc, "/v1/{accountId}/drafts", "post")["requestBody"]["content"], json_body("DraftMetaRequest"));
    assert_eq!(op(&doc, REPLY, "post")["requestBody"]["content"], json_body("GenerateReplyRequest"));
    let octets = json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } });
    assert_eq!(op(&doc, REPLY_SIGNATURE, "put")["requestBody"]["content"], octets, "`format: byte` is sent as bytes");
    assert_eq!(op(&doc, DRAFT_CONTENT, "put")["requestBody"]["content"], octets);
    // Multipart stays multipart and is named: the assembly refuses it (see the test in `spec`).
    assert!(op(&doc, UPLOAD, "post")["requestBody"]["content"].get("multipart/form-data").is_some());
    assert_eq!(unsendable_request_bodies(&doc), [format!("POST {UPLOAD} (signatures_upload): multipart/form-data")]);
}

#[test]
fn answers_keep_one_media_type_and_bytes_stay_bytes() {
    let doc = imported(false);
    // text/plain, application/json and text/json of one schema.
    assert_eq!(op(&doc, DRAFT, "get")["responses"]["200"]["content"], json_body("Draft"));
    let octets = json!({ "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } });
    assert_eq!(op(&doc, DOCFLOW_CONTENT, "get")["responses"]["200"]["content"], octets, "`type: file`");
    assert_eq!(
        op(&doc, DRAFT_CONTENT, "get")["responses"]["200"]["content"],
        octets,
        "`format: binary` listed as JSON"
    );
}

#[test]
fn every_documented_success_reaches_the_caller() {
    let doc = imported(false);
    // A bare object beside a named type takes the named type.
    let reply = &op(&doc, REPLY, "post")["responses"];
    assert_eq!(reply["200"]["content"], json_body("ReplyDocument"));
    assert_eq!(reply["201"]["content"], json_body("ReplyDocument"));
    // A body beside no body (both groups): every success is bytes, none is "unexpected".
    for (path, method, typed) in [(DRAFT, "delete", "Draft"), (REPLY_SIGNATURE, "put", "ReplyDocument")] {
        let op = op(&doc, path, method);
        assert_eq!(op["responses"]["200"]["content"], raw(), "{method} {path}");
        assert_eq!(op["responses"]["204"]["content"], raw(), "{method} {path}");
        assert_eq!(op["x-untyped-success-codes"], json!(["204"]));
        assert_eq!(op["x-success-schemas"], json!({ "200": { "$ref": format!("#/components/schemas/{typed}") } }));
    }
    // Bytes beside JSON: the bytes keep their type, the JSON answer is handed over as bytes too.
    let content = op(&doc, DRAFT_CONTENT, "get");
    assert_eq!(content["responses"]["200"]["content"]["application/octet-stream"]["schema"]["format"], "binary");
    assert_eq!(content["responses"]["202"]["content"], raw());
    assert_eq!(content["x-success-schemas"], json!({ "202": { "$ref": "#/components/schemas/ApiTask" } }));
    // Two specific types: open JSON, both schemas named.
    let check = op(&doc, "/v1/{accountId}/drafts/{draftId}/check", "post");
    assert_eq!(check["responses"]["200"]["content"], json!({ "application/json": { "schema": {} } }));
    assert_eq!(check["x-success-schemas"]["200"]["$ref"], "#/components/schemas/CheckResult");
    assert_eq!(check["x-success-schemas"]["202"]["$ref"], "#/components/schemas/ApiTask");
}

#[test]
fn errors_become_api_error_ranges() {
    let doc = imported(false);
    let create = op(&doc, "/v1/{accountId}/drafts", "post");
    let codes: Vec<&String> = create["responses"].as_object().unwrap().keys().collect();
    assert_eq!(codes, ["200", "201", "4XX", "5XX"]);
    assert_eq!(create["responses"]["4XX"]["content"], json_body("ApiError"));
    assert_eq!(create["x-error-schemas"], json!({ "400": { "$ref": "#/components/schemas/ProblemDetails" } }));
    assert_eq!(
        op(&doc, "/v1/{accountId}/docflows", "get")["x-error-schemas"]["403"]["$ref"],
        "#/components/schemas/Error"
    );
    assert_eq!(schema(&doc, "ApiError")["type"], "object");
}

#[test]
fn normalising_again_changes_nothing() {
    let mut doc = imported(false);
    let once = doc.clone();
    normalise(&mut doc);
    assert!(doc == once, "a second pass changed the import");
}

#[test]
fn progenitor_generates_a_client_from_the_import() {
    let mut doc = imported(false);
    // What a part does for the multipart upload: the operation is sent by hand.
    doc["paths"][UPLOAD].as_object_mut().unwrap().remove("post");
    let source = crate::verify::generate("the fixture import", &doc).unwrap();
    assert!(source.contains("pub fn drafts_delete(&self)"), "{}", &source[..source.len().min(2000)]);
    assert!(source.contains("pub fn get_v1_account_id_drafts_draft_id_documents_document_id_content_decrypted("));
}
