//! Filing through the layer over real HTTP against the sandbox: check, prepare and send as tasks
//! (and the 409 a running task causes), cloud signing and cloud decryption confirmed with wrong
//! and right SMS codes, and the links of the answers followed to what they name.

mod sandbox_support;

use std::time::Duration;

use futures::TryStreamExt;
use kontur_extern::Error;
use kontur_extern::cloud::{CloudDecryption, CloudSigning, ConfirmError, DocumentIds, Pending, Started};
use kontur_extern::handles::StartedReply;
use kontur_extern::links::{HasLinks, LinkRel};
use kontur_extern::tasks::{Check, TaskErrorKind, TaskTicket};
use sandbox_support::{Stand, password_client, quick_polls, regulator_document, sms_code_text, start, wrong_code};

fn text<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

#[tokio::test]
async fn a_report_goes_out_through_check_prepare_and_send_tasks() {
    let stand = start().await;
    let draft = stand.signed_draft("0087").await;
    let docflow_id = stand.send(&draft).await;

    let docflow = stand.account().docflow(docflow_id).get().await.unwrap();
    assert_eq!(text(&docflow.status), "urn:docflow-common-status:sent");
    assert_eq!(text(&docflow.type_), "urn:docflow:fns534-report");
    assert_eq!(text(&draft.get().await.unwrap().status), "sent");
    let tasks: Vec<_> = draft.tasks(true).try_collect().await.unwrap();
    let kinds: Vec<String> = tasks.iter().map(|task| text(&task.task_type)).collect();
    assert_eq!(kinds, ["urn:task-type:check", "urn:task-type:prepare", "urn:task-type:send"]);
    assert!(tasks.iter().all(|task| text(&task.task_state) == "succeed"), "{tasks:?}");
}

#[tokio::test]
async fn a_draft_held_by_a_running_task_answers_409_until_the_task_ends() {
    let stand = start().await;
    let draft = stand.signed_draft("0087").await;
    // The sandbox clock stands still, so the check keeps running and holds the draft.
    let check = draft.check().await.unwrap();

    let refused = draft.send().await.expect_err("a running check holds the draft");
    let Error::Task(task_error) = &refused else { panic!("not a task error: {refused}") };
    let TaskErrorKind::Busy(conflict) = task_error.kind() else { panic!("not busy: {refused}") };
    assert_eq!(conflict.blocking_task_id(), Some(check.id()), "the 409 names the running check");
    assert_eq!(conflict.blocking_task_type(), Some("urn:task-type:check"));
    assert_eq!(conflict.failure().status, 409);
    assert_eq!(conflict.failure().id(), Some("urn:error:externapi:concurrentApiTaskActive"));
    assert_eq!(conflict.failure().operation, Some("send_draft"));
    assert!(conflict.failure().trace_id.as_deref().is_some_and(|id| !id.is_empty()), "{refused}");

    let edit = draft.delete().await.expect_err("nor can the draft be deleted");
    assert_eq!(edit.status().map(|status| status.as_u16()), Some(409), "{edit}");

    let finished = stand.with_clock_running(conflict.wait(&stand.client, quick_polls())).await.unwrap();
    assert_eq!(text(&finished.task_state), "succeed");
    let docflow_id = stand.send(&draft).await;
    assert!(stand.account().docflow(docflow_id).get().await.is_ok(), "sent once the lock was gone");
}

#[tokio::test]
async fn a_saved_task_ticket_is_awaited_by_a_new_client() {
    let stand = start().await;
    let draft = stand.signed_draft("0087").await;
    let ticket = serde_json::to_string(&draft.check().await.unwrap().ticket()).unwrap();
    // A restart: the first client is gone, a new one logs in and picks the task up.
    let Stand { sandbox, client, account_id } = stand;
    drop(client);
    let stand = Stand { client: password_client(&sandbox).build().unwrap(), sandbox, account_id };
    let ticket: TaskTicket<Check> = serde_json::from_str(&ticket).unwrap();
    let result =
        stand.with_clock_running(ticket.resume(&stand.client).with_policy(quick_polls()).wait()).await.unwrap();
    let data = result.data.expect("a check protocol");
    assert!(data.common_errors.is_empty() && data.documents_errors.is_empty(), "{data:?}");
}

#[tokio::test]
async fn cloud_signing_refuses_a_wrong_code_and_signs_with_the_right_one() {
    let stand = start().await;
    let tools = stand.client.test_tools();
    let (draft, document) = stand.draft_with_document("0087", "<Файл>НДС</Файл>".as_bytes()).await;

    let Started::AwaitingCode(pending) = draft.cloud_sign().start().await.unwrap() else {
        panic!("a draft signed with an SMS cloud certificate waits for the code")
    };
    let code = sms_code_text(&tools, pending.request_id()).await;
    let refused = pending.confirm(wrong_code(&code)).await.expect_err("a wrong code signs nothing");
    assert!(matches!(refused, ConfirmError::WrongCode { .. }), "{refused:?}");
    assert_eq!(refused.call_error().and_then(Error::status).map(|s| s.as_u16()), Some(400));
    assert!(draft.document(document.id.into()).signatures().list().await.unwrap().is_empty());

    let pending = refused.into_pending().expect("a wrong code hands the request back");
    let signed = pending.confirm_with_test_stand_code(&tools).await.expect("the right code signs");
    assert_eq!(signed.documents.len(), 1, "{signed:?}");
    let signatures = draft.document(document.id.into()).signatures().list().await.unwrap();
    assert_eq!(signatures.len(), 1, "the document is signed in the cloud");

    let docflow_id = stand.send(&draft).await;
    assert!(stand.account().docflow(docflow_id).get().await.is_ok());
}

#[tokio::test]
async fn cloud_signing_spent_by_wrong_codes_must_start_over() {
    let stand = start().await;
    let tools = stand.client.test_tools();
    let (draft, _) = stand.draft_with_document("0087", b"<report/>").await;
    let Started::AwaitingCode(mut pending) = draft.cloud_sign().start().await.unwrap() else { panic!() };
    let code = sms_code_text(&tools, pending.request_id()).await;
    let spent = loop {
        match pending.confirm(wrong_code(&code)).await {
            Err(ConfirmError::WrongCode { pending: again, .. }) => pending = again,
            Err(other) => break other,
            Ok(_) => panic!("a wrong code signed"),
        }
    };
    assert!(matches!(spent, ConfirmError::AttemptsExhausted { .. }), "{spent:?}");
    assert!(spent.must_start_over());

    let Started::AwaitingCode(again) = draft.cloud_sign().start().await.unwrap() else { panic!() };
    again.confirm_with_test_stand_code(&tools).await.expect("a new request with its own code signs");
}

#[tokio::test]
async fn cloud_decryption_refuses_a_wrong_code_and_delivers_the_content_for_the_right_one() {
    let stand = start().await;
    let tools = stand.client.test_tools();
    let docflow_id = stand.sandbox.file_reports(1, "0087").await[0];
    stand.sandbox.advance(Duration::from_secs(60)).await;
    let docflow = stand.account().docflow(docflow_id.into()).get().await.unwrap();
    let incoming = regulator_document(&docflow);
    let ids = DocumentIds { account_id: stand.account_id.into(), docflow_id, document_id: incoming.id };
    let certificate = stand.cloud_certificate().await;

    let Pending::Code(pending) = CloudDecryption::document(stand.client.raw(), ids, certificate).start().await.unwrap()
    else {
        panic!("decryption with an SMS cloud certificate waits for the code")
    };
    let code = sms_code_text(&tools, pending.request_id()).await;
    let refused = pending.confirm(wrong_code(&code)).await.expect_err("a wrong code decrypts nothing");
    assert!(matches!(refused, ConfirmError::WrongCode { .. }), "{refused:?}");
    let decrypted =
        refused.into_pending().unwrap().confirm_with_test_stand_code(&tools).await.expect("the right code decrypts");

    let bytes = decrypted.download().bytes().await.unwrap();
    let expected =
        stand.account().docflow(docflow_id.into()).document(incoming.id.into()).decrypted_content().bytes().await;
    assert_eq!(bytes, expected.unwrap().to_vec(), "the decrypted content is the document's");
    assert!(String::from_utf8_lossy(&bytes).contains(&incoming.id.to_string()), "the regulator's own document");
}

#[tokio::test]
async fn links_of_answers_lead_to_what_they_name() {
    let stand = start().await;
    let links = stand.client.links();
    let docflow_id = stand.sandbox.file_reports(1, "0087").await[0];
    stand.sandbox.advance(Duration::from_secs(60)).await;
    let handle = stand.account().docflow(docflow_id.into());
    let docflow = handle.get().await.unwrap();

    let own = links.docflow(docflow.link(&LinkRel::SelfRel).expect("a self link")).await.unwrap();
    assert_eq!(own.id, docflow.id);
    let organization = links.organization(docflow.link(&LinkRel::Organization).expect("an organization link")).await;
    assert_eq!(Some(organization.unwrap().id), docflow.organization_id);
    for document in &docflow.documents {
        let via_link = links.content(document.link(&LinkRel::DecryptedContent).expect("a content link")).bytes().await;
        let via_handle = handle.document(document.id.into()).decrypted_content().bytes().await.unwrap();
        assert_eq!(via_link.unwrap(), via_handle, "document {}", document.id);
        let same = links.document(document.link(&LinkRel::SelfRel).unwrap()).await.unwrap();
        assert_eq!(same.id, document.id);
    }

    // The regulator's date confirmation asks for a receipt: generate it from its reply link, sign
    // it in the cloud (a receipt to FNS needs no SMS) and send it.
    let awaited = docflow.awaited_replies();
    assert_eq!(awaited.len(), 1, "{awaited:?}");
    let certificate = stand.cloud_certificate().await;
    let StartedReply::Reply(reply, generated) = handle.start_reply(&awaited[0], &certificate).await.unwrap() else {
        panic!("an FNS receipt is an ordinary reply")
    };
    assert_eq!(links.reply(generated.link(&LinkRel::SelfRel).unwrap()).await.unwrap().id, generated.id);
    assert_eq!(links.docflow(generated.link(&LinkRel::Docflow).unwrap()).await.unwrap().id, docflow.id);
    let document =
        DocumentIds { account_id: stand.account_id.into(), docflow_id, document_id: awaited[0].document_id.into() };
    let signed = CloudSigning::reply(stand.client.raw(), document, generated.id).start().await.unwrap();
    assert!(matches!(signed, Started::Done(_)), "a receipt signs at once: {signed:?}");
    let after = reply.send(None).await.unwrap();
    assert!(after.awaited_replies().is_empty(), "the receipt went out: {:?}", after.awaited_replies());

    let events: Vec<String> = stand
        .client
        .raw()
        .get_events()
        .from_id("0_0")
        .take(100)
        .send()
        .await
        .unwrap()
        .into_inner()
        .api_events
        .iter()
        .map(|event| text(&event.new_state))
        .collect();
    assert_eq!(events.last().map(String::as_str), Some("urn:transaction:fns534-report-receipt"), "{events:?}");
}
