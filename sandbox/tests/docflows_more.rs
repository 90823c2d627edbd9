//! Docflow documents' encrypted and saved decrypted contents, requisites patches, demand
//! assignees, FNS forms, the MVD reference books and the reports table's forms, over HTTP with the crate's own client: each success path, 404 for
//! unknown ids, 400 for bad input, 409 where the document forbids the call.

mod common;

use std::time::Duration;

use common::{Harness, refusal, start, text, wire};
use kontur_extern::raw::types;
use kontur_extern::transport::SendExt;
use serde_json::json;
use uuid::Uuid;

fn not_found() -> (u16, String) {
    (404, "urn:error:externapi:notFound".to_owned())
}

fn bad_request() -> (u16, String) {
    (400, "urn:error:externapi:badRequest".to_owned())
}

/// A report filed to FNS 0087 once the inspection has answered: the docflow, the taxpayer's
/// report and the regulator's first document.
async fn answered_report(harness: &Harness) -> (Uuid, Uuid, Uuid) {
    let draft = harness.signed_draft(json!({ "ifns-code": "0087" })).await;
    let docflow = harness.send_draft(draft).await;
    harness.sandbox.advance(Duration::from_secs(121)).await;
    let docflow = harness.docflow(docflow.id).await;
    let is_regulators =
        |doc: &&types::Document| doc.signatures.iter().any(|s| text(&s.signer_type) == "cu-representative");
    let report = docflow.documents.iter().find(|doc| !is_regulators(doc)).expect("the taxpayer's report");
    let incoming = docflow.documents.iter().find(is_regulators).expect("the inspection has answered");
    (docflow.id, report.id, incoming.id)
}

impl Harness {
    async fn encrypted_content(&self, docflow: Uuid, document: Uuid) -> Result<Vec<u8>, kontur_extern::Error> {
        let content = self
            .raw()
            .get_document_encrypted_content()
            .account_id(self.account)
            .docflow_id(docflow)
            .document_id(document)
            .send()
            .checked()
            .await?
            .into_inner();
        Ok(content.decode().expect("base64"))
    }

    async fn decrypted_content(&self, docflow: Uuid, document: Uuid) -> Vec<u8> {
        self.raw()
            .get_document_decrypted_content()
            .account_id(self.account)
            .docflow_id(docflow)
            .document_id(document)
            .send()
            .checked()
            .await
            .unwrap()
            .into_inner()
            .decode()
            .expect("base64")
    }

    async fn save_decrypted(
        &self,
        docflow: Uuid,
        document: Uuid,
        content_id: Uuid,
    ) -> Result<types::SaveDecryptedContentResult, kontur_extern::Error> {
        let request: types::SaveDecryptedContentRequest = wire(json!({ "content-id": content_id }));
        Ok(self
            .raw()
            .save_document_decrypted_content()
            .account_id(self.account)
            .docflow_id(docflow)
            .document_id(document)
            .body(request)
            .send()
            .checked()
            .await?
            .into_inner())
    }
}

#[tokio::test]
async fn saved_decrypted_content_becomes_the_decrypted_content_and_leaves_the_encrypted_one() {
    let harness = start().await;
    let (docflow, _, incoming) = answered_report(&harness).await;
    let original = harness.encrypted_content(docflow, incoming).await.unwrap();
    assert!(String::from_utf8_lossy(&original).contains("fns534-report-date-confirmation"));
    assert_eq!(harness.decrypted_content(docflow, incoming).await, original, "nothing is saved yet");

    let decrypted = "<Файл>расшифрованное подтверждение даты</Файл>".as_bytes();
    let content_id = harness.upload(decrypted).await;
    let saved = harness.save_decrypted(docflow, incoming, content_id).await.unwrap();
    assert_eq!(saved.content_id, Some(content_id));
    let link = saved.links.iter().find(|link| link.rel.as_deref() == Some("decrypted-content")).expect("a link");
    assert!(link.href.as_deref().is_some_and(|href| href.ends_with(&format!("{incoming}/decrypted-content"))));

    assert_eq!(harness.decrypted_content(docflow, incoming).await, decrypted);
    assert_eq!(harness.encrypted_content(docflow, incoming).await.unwrap(), original);
}

#[tokio::test]
async fn the_taxpayers_own_document_has_an_encrypted_content_but_no_decrypted_content_to_save() {
    let harness = start().await;
    let (docflow, report, _) = answered_report(&harness).await;
    let encrypted = harness.encrypted_content(docflow, report).await.unwrap();
    assert_eq!(encrypted, "<Файл>декларация по НДС</Файл>".as_bytes());

    let content_id = harness.upload(b"anything decrypted").await;
    let refused = refusal(harness.save_decrypted(docflow, report, content_id).await);
    assert_eq!(refused, (409, "urn:error:sandbox:documentNotIncoming".to_owned()));
    assert_eq!(harness.decrypted_content(docflow, report).await, encrypted, "nothing was saved");
}

#[tokio::test]
async fn document_contents_refuse_unknown_ids_and_contents_not_uploaded() {
    let harness = start().await;
    let (docflow, _, incoming) = answered_report(&harness).await;
    let unknown = Uuid::new_v4();
    assert_eq!(refusal(harness.encrypted_content(unknown, incoming).await), not_found());
    assert_eq!(refusal(harness.encrypted_content(docflow, unknown).await), not_found());
    let content_id = harness.upload(b"decrypted").await;
    assert_eq!(refusal(harness.save_decrypted(unknown, incoming, content_id).await), not_found());
    assert_eq!(refusal(harness.save_decrypted(docflow, unknown, content_id).await), not_found());

    assert_eq!(refusal(harness.save_decrypted(docflow, incoming, unknown).await), bad_request());
    let started = harness
        .raw()
        .upload_content()
        .account_id(harness.account)
        .content_range("bytes 0-3/8")
        .body(b"half".to_vec())
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        refusal(harness.save_decrypted(docflow, incoming, started.id).await),
        bad_request(),
        "a content still being uploaded is refused"
    );
    let malformed = harness
        .http
        .put(format!(
            "{}v1/{}/docflows/{docflow}/documents/{incoming}/decrypted-content",
            harness.sandbox.api_url, harness.account
        ))
        .bearer_auth(harness.token().await)
        .json(&json!({ "content-id": "not an id" }))
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let original = harness.encrypted_content(docflow, incoming).await.unwrap();
    assert_eq!(harness.decrypted_content(docflow, incoming).await, original, "no refused call saved anything");
}

#[tokio::test]
async fn demand_assignees_are_the_users_with_their_names_split() {
    let harness = start().await;
    let assignees =
        harness.raw().list_demand_assignees().account_id(harness.account).send().checked().await.unwrap().into_inner();
    let types::DemandAssignees::DemandAssigneeList(list) = assignees else {
        panic!("the sandbox wraps the list: {assignees:?}");
    };
    assert_eq!(list.assignees.len(), 1, "the seeded user");
    let user = &list.assignees[0];
    assert_eq!(user.email.as_deref(), Some(harness.sandbox.credentials.login.as_str()));
    assert_eq!(
        (user.last_name.as_deref(), user.first_name.as_deref(), user.middle_name.as_deref()),
        (Some("Иванова"), Some("Мария"), Some("Петровна"))
    );
    let users =
        harness.raw().list_account_users().account_id(harness.account).send().checked().await.unwrap().into_inner();
    assert_eq!(users.users[0].id.as_deref(), Some(user.id.to_string().as_str()), "the same user as the account's");

    let unknown = harness.raw().list_demand_assignees().account_id(Uuid::new_v4()).send().checked().await;
    assert_eq!(refusal(unknown), not_found());
}

#[tokio::test]
async fn fns_forms_filter_by_knd_and_page() {
    let harness = start().await;
    let all = harness.raw().list_fns_forms().send().checked().await.unwrap().into_inner();
    assert!(all.fns_forms.len() >= 3);
    assert_eq!(all.total_count, Some(all.fns_forms.len() as i64));

    let vat = harness.raw().list_fns_forms().knd("1151001").send().checked().await.unwrap().into_inner();
    assert!(vat.fns_forms.len() >= 2, "every version of the form");
    assert!(vat.fns_forms.iter().all(|form| form.knd.as_deref() == Some("1151001")));
    assert!(vat.fns_forms.iter().all(|form| form.name.is_some() && form.version.is_some()));

    let second = harness.raw().list_fns_forms().skip(1).take(1).send().checked().await.unwrap().into_inner();
    assert_eq!(second.fns_forms, all.fns_forms[1..2]);
    assert_eq!(second.total_count, all.total_count, "the total counts every match, not the page");

    let none = harness.raw().list_fns_forms().knd("0000000").send().checked().await.unwrap().into_inner();
    assert_eq!((none.fns_forms.len(), none.total_count), (0, Some(0)));
    let negative = harness.raw().list_fns_forms().skip(-1).send().checked().await;
    assert_eq!(refusal(negative), bad_request());
}

#[tokio::test]
async fn every_mvd_handbook_answers_its_entries_and_others_are_404() {
    let harness = start().await;
    let known = [
        "mvd-citizenship",
        "mvd-professions-speciality",
        "mvd-regions-rf",
        "mvd-work-permits",
        "mvd-employer-status",
        "mvd-hqs-employer-status",
        "mvd-okved",
        "mvd-labor-migration-documents",
        "mvd-foreign-citizen-identity-documents",
        "mvd-employment-contracts-type",
    ];
    for handbook_type in known {
        let page =
            harness.raw().get_handbook().handbook_type(handbook_type).send().checked().await.unwrap().into_inner();
        assert_eq!(text(&page.handbook_type), handbook_type);
        assert!(!page.handbook.is_empty(), "{handbook_type} has entries");
        assert!(page.handbook.iter().all(|item| item.code.is_some() && item.name.is_some()));
        assert_eq!(page.total_count, Some(page.handbook.len() as i64));
    }
    let regions = harness
        .raw()
        .get_handbook()
        .handbook_type("mvd-regions-rf")
        .skip(1)
        .take(1)
        .send()
        .checked()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(regions.handbook.len(), 1);
    assert!(regions.total_count.is_some_and(|total| total > 1));
    assert!(regions.handbook.iter().any(|item| item.code.as_deref() == Some("77")), "the second region is Moscow");

    let unknown = harness.raw().get_handbook().handbook_type("mvd-unknown").send().checked().await;
    assert_eq!(refusal(unknown), not_found());
    let too_many = harness.raw().get_handbook().handbook_type("mvd-okved").take(1001).send().checked().await;
    assert_eq!(refusal(too_many), bad_request());
}

impl Harness {
    async fn patch_docflow(
        &self,
        docflow: Uuid,
        operations: serde_json::Value,
    ) -> Result<types::Docflow, kontur_extern::Error> {
        let patch: types::PatchDocument = wire(operations);
        Ok(self
            .raw()
            .patch_docflow()
            .account_id(self.account)
            .docflow_id(docflow)
            .body(patch)
            .send()
            .checked()
            .await?
            .into_inner())
    }

    async fn patch_document(
        &self,
        docflow: Uuid,
        document: Uuid,
        operations: serde_json::Value,
    ) -> Result<types::Document, kontur_extern::Error> {
        let patch: types::PatchDocument = wire(operations);
        Ok(self
            .raw()
            .patch_docflow_document()
            .account_id(self.account)
            .docflow_id(docflow)
            .document_id(document)
            .body(patch)
            .send()
            .checked()
            .await?
            .into_inner())
    }

    async fn document_requisites(&self, docflow: Uuid, document: Uuid) -> serde_json::Value {
        let document = self
            .raw()
            .get_docflow_document()
            .account_id(self.account)
            .docflow_id(docflow)
            .document_id(document)
            .send()
            .checked()
            .await
            .unwrap()
            .into_inner();
        serde_json::to_value(document.description.and_then(|description| description.requisites)).unwrap()
    }
}

#[tokio::test]
async fn a_docflows_comment_is_set_replaced_and_removed_by_patches() {
    let harness = start().await;
    let (docflow, _, _) = answered_report(&harness).await;
    let comment = json!({ "text": "проверить до пятницы", "color": "red" });
    let patched = harness
        .patch_docflow(docflow, json!([{ "op": "add", "path": "/description/requisites/comment", "value": comment }]))
        .await
        .unwrap();
    let requisites = |docflow: &types::Docflow| {
        serde_json::to_value(docflow.description.as_ref().and_then(|description| description.requisites.clone()))
            .unwrap()
    };
    assert_eq!(requisites(&patched), json!({ "comment": comment }));
    assert_eq!(requisites(&harness.docflow(docflow).await), json!({ "comment": comment }), "the change is kept");

    let replaced = json!({ "text": "сдано" });
    let patched = harness
        .patch_docflow(
            docflow,
            json!([
                { "op": "replace", "path": "/description/requisites/comment", "value": comment },
                { "op": "replace", "path": "/description/requisites/comment", "value": replaced },
            ]),
        )
        .await
        .unwrap();
    assert_eq!(requisites(&patched), json!({ "comment": replaced }), "operations apply in order");

    let removed =
        harness.patch_docflow(docflow, json!([{ "op": "remove", "path": "/description/requisites/comment" }])).await;
    assert_eq!(requisites(&removed.unwrap()), json!(null));
}

#[tokio::test]
async fn a_documents_comment_and_labels_are_patched_but_demand_requisites_only_on_a_demand() {
    let harness = start().await;
    let (docflow, report, _) = answered_report(&harness).await;
    let labels = json!([{ "name": "НДС" }, { "name": "срочно" }]);
    let patched = harness
        .patch_document(
            docflow,
            report,
            json!([
                { "op": "add", "path": "/description/requisites/labels", "value": labels },
                { "op": "add", "path": "/description/requisites/comment", "value": { "text": "квартал 3" } },
            ]),
        )
        .await
        .unwrap();
    let expected = json!({ "labels": labels, "comment": { "text": "квартал 3" } });
    let answered = serde_json::to_value(patched.description.and_then(|description| description.requisites)).unwrap();
    assert_eq!(answered, expected);
    assert_eq!(harness.document_requisites(docflow, report).await, expected, "the change is kept");

    let demand_only = harness
        .patch_document(
            docflow,
            report,
            json!([
                { "op": "remove", "path": "/description/requisites/labels" },
                { "op": "add", "path": "/description/requisites/demand-number", "value": "123" },
            ]),
        )
        .await;
    assert_eq!(refusal(demand_only), (409, "urn:error:sandbox:requisiteNotApplicable".to_owned()));
    assert_eq!(harness.document_requisites(docflow, report).await, expected, "a refused patch changes nothing");
}

#[tokio::test]
async fn patches_refuse_unknown_ids_and_malformed_operations() {
    let harness = start().await;
    let (docflow, report, _) = answered_report(&harness).await;
    let comment = json!([{ "op": "add", "path": "/description/requisites/comment", "value": { "text": "x" } }]);
    let unknown = Uuid::new_v4();
    assert_eq!(refusal(harness.patch_docflow(unknown, comment.clone()).await), not_found());
    assert_eq!(refusal(harness.patch_document(unknown, report, comment.clone()).await), not_found());
    assert_eq!(refusal(harness.patch_document(docflow, unknown, comment).await), not_found());

    let malformed = [
        json!([{ "op": "add", "path": "/status", "value": "finished" }]),
        json!([{ "op": "add", "path": "/description/requisites/labels", "value": [] }]),
        json!([{ "op": "add", "path": "/description/requisites/comment/text", "value": "x" }]),
        json!([{ "op": "move", "path": "/description/requisites/comment", "value": { "text": "x" } }]),
        json!([{ "op": "replace", "path": "/description/requisites/comment" }]),
        json!([{ "op": "add", "path": "/description/requisites/comment", "value": "not an object" }]),
    ];
    for operations in malformed {
        let refused = harness.patch_docflow(docflow, operations.clone()).await;
        assert_eq!(refusal(refused), bad_request(), "{operations}");
    }
    let not_a_label = json!([{ "op": "add", "path": "/description/requisites/labels", "value": "НДС" }]);
    assert_eq!(refusal(harness.patch_document(docflow, report, not_a_label).await), bad_request());
    assert_eq!(harness.document_requisites(docflow, report).await, json!(null), "nothing was changed");
    let docflow_now = harness.docflow(docflow).await;
    assert!(docflow_now.description.and_then(|description| description.requisites).is_none());
}

#[tokio::test]
async fn the_reports_table_lists_the_sample_forms_of_a_known_organization() {
    let harness = start().await;
    let organizations =
        harness.raw().list_organizations().account_id(harness.account).send().checked().await.unwrap().into_inner();
    let org = organizations.organizations[0].id;
    let list = |include_deleted: bool| {
        harness.raw().list_report_forms().account_id(harness.account).org_id(org).include_deleted(include_deleted)
    };
    let forms = list(false).send().checked().await.unwrap().into_inner().forms;
    let vat = forms.iter().find(|form| form.knd.as_deref() == Some("1151001")).expect("the VAT return");
    assert_eq!(text(&vat.periodicity), "quarterly");
    assert!(forms.iter().any(|form| form.okud.as_deref() == Some("0606010") && form.knd.is_none()), "a Rosstat form");
    let mut ids: Vec<_> = forms.iter().map(|form| form.form_id.expect("a form id")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), forms.len(), "form ids are distinct");
    let handbook = harness.raw().list_fns_forms().send().checked().await.unwrap().into_inner();
    for knd in forms.iter().filter_map(|form| form.knd.as_deref()) {
        assert!(handbook.fns_forms.iter().any(|form| form.knd.as_deref() == Some(knd)), "{knd} is in the handbook");
    }
    assert_eq!(list(true).send().checked().await.unwrap().into_inner().forms, forms, "the sandbox deletes no forms");

    let unknown_org =
        harness.raw().list_report_forms().account_id(harness.account).org_id(Uuid::new_v4()).send().checked().await;
    assert_eq!(refusal(unknown_org), not_found());
    let unknown_account =
        harness.raw().list_report_forms().account_id(Uuid::new_v4()).org_id(org).send().checked().await;
    assert_eq!(refusal(unknown_account), not_found());
    let not_a_boolean = harness
        .http
        .get(format!(
            "{}v1/{}/reports-tables/{org}/forms?includeDeleted=maybe",
            harness.sandbox.api_url, harness.account
        ))
        .bearer_auth(harness.token().await)
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_boolean.status(), 400);
}
