//! What happens to the state over time and on its own: seeding, tasks finishing, robots answering,
//! events appended, locks, and saving to a file.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::{ApiFailure, ApiResult};
use crate::model::*;
use crate::robots::{Robot, receipt_type};

/// Name the seeded integrator gets.
pub const SEED_CLIENT_ID: &str = "kontur-extern-sandbox";
/// Login of the seeded user.
pub const SEED_LOGIN: &str = "accountant@sandbox.invalid";
/// Sandbox time a task takes.
pub const TASK_SECONDS: i64 = 2;
/// Wrong SMS codes allowed per cloud-signing request.
pub const CODE_ATTEMPTS: u32 = 3;
/// Wall time an SMS code stays valid.
pub const CODE_LIFETIME_SECS: i64 = 300;

/// The seeded integrator, user and account.
#[derive(Debug, Clone)]
pub struct Seed {
    /// Integrator's service name.
    pub client_id: String,
    /// Integrator's api-key.
    pub api_key: String,
    /// User's login.
    pub login: String,
    /// User's password.
    pub password: String,
    /// The user's account.
    pub account_id: Uuid,
}

fn random_hex(bytes: usize) -> String {
    let mut text = String::new();
    while text.len() < bytes * 2 {
        text.push_str(&Uuid::new_v4().simple().to_string());
    }
    text.truncate(bytes * 2);
    text.to_uppercase()
}

impl World {
    /// A world with one integrator, one user with a cloud certificate, and one account.
    pub fn seeded(now: DateTime<Utc>) -> Self {
        let mut world = World::default();
        let user = User {
            id: Uuid::new_v4(),
            login: SEED_LOGIN.to_owned(),
            password: format!("sandbox-{}", Uuid::new_v4().simple()),
            name: "Иванова Мария Петровна".to_owned(),
        };
        world
            .identity
            .integrators
            .push(Integrator { client_id: SEED_CLIENT_ID.to_owned(), api_key: Uuid::new_v4().to_string() });
        let account_id = Uuid::new_v4();
        let inn = "7700000087".to_owned();
        let kpp = Some("770001001".to_owned());
        let name = "ООО «Песочница»".to_owned();
        world.accounts.insert(
            account_id,
            AccountRecord {
                id: account_id,
                inn: inn.clone(),
                kpp: kpp.clone(),
                name: name.clone(),
                organizations: vec![OrganizationRecord {
                    id: Uuid::new_v4(),
                    inn: inn.clone(),
                    kpp,
                    name,
                    is_main: true,
                }],
                certificates: vec![CertificateRecord {
                    thumbprint: random_hex(20),
                    serial_number: random_hex(16),
                    content: format!("sandbox cloud certificate of {} {}", user.name, Uuid::new_v4()).into_bytes(),
                    fio: user.name.clone(),
                    inn,
                    expires_at: now + chrono::Duration::days(365),
                    cloud: true,
                }],
            },
        );
        world.publishers.push(PublisherRecord {
            id: Uuid::new_v4().to_string(),
            account_id,
            subscriber: SEED_CLIENT_ID.to_owned(),
            filter: None,
        });
        world.identity.users.push(user);
        world
    }

    /// The seeded integrator, user and account (the first of each).
    pub fn seed(&self) -> Option<Seed> {
        let integrator = self.identity.integrators.first()?;
        let user = self.identity.users.first()?;
        let account = self.accounts.values().next()?;
        Some(Seed {
            client_id: integrator.client_id.clone(),
            api_key: integrator.api_key.clone(),
            login: user.login.clone(),
            password: user.password.clone(),
            account_id: account.id,
        })
    }

    /// Brings the state up to `now` (sandbox time) and `wall` (wall time): finishes due tasks,
    /// lets robots answer, expires codes. Returns true when something changed.
    pub fn settle(&mut self, now: DateTime<Utc>, wall: DateTime<Utc>) -> bool {
        let mut changed = false;
        let mut due: Vec<(DateTime<Utc>, Uuid)> = self
            .tasks
            .values()
            .filter(|task| task.state == "running" && task.ready_at <= now)
            .map(|task| (task.ready_at, task.id))
            .collect();
        due.sort();
        for (at, task_id) in due {
            self.finish_task(task_id, at);
            changed = true;
        }
        for confirmation in self.confirmations.values_mut() {
            if confirmation.state == "pending" && confirmation.expires_at <= wall {
                confirmation.state = "expired".to_owned();
                changed = true;
            }
        }
        let mut docflow_ids: Vec<Uuid> = self.docflows.keys().copied().collect();
        docflow_ids.sort();
        for docflow_id in docflow_ids {
            changed |= self.run_robot(docflow_id, now);
        }
        self.sandbox_time = Some(now);
        changed
    }

    /// 409 when a running task or a pending cloud signing holds the draft.
    pub fn ensure_draft_unlocked(&self, draft_id: Uuid) -> ApiResult<()> {
        let running = self.running_task(TaskOwner::Draft(draft_id));
        let signing = self
            .confirmations
            .values()
            .find(|c| c.target == SigningTarget::Draft(draft_id) && c.state == "pending")
            .map(|c| (c.request_id.clone(), "urn:task-type:initDraftSignOperation".to_owned()));
        match running.or(signing) {
            Some((id, task_type)) => Err(concurrent_task(&format!("draft {draft_id}"), id, task_type)),
            None => Ok(()),
        }
    }

    /// 409 when a running task (build, documents prepare) holds the drafts builder.
    pub fn ensure_builder_unlocked(&self, builder_id: Uuid) -> ApiResult<()> {
        match self.running_task(TaskOwner::DraftsBuilder(builder_id)) {
            Some((id, task_type)) => Err(concurrent_task(&format!("drafts builder {builder_id}"), id, task_type)),
            None => Ok(()),
        }
    }

    /// Id and type of a running task of `owner`.
    fn running_task(&self, owner: TaskOwner) -> Option<(String, String)> {
        self.tasks
            .values()
            .find(|task| task.owner == owner && task.state == "running")
            .map(|task| (task.id.to_string(), task.task_type.clone()))
    }

    /// Creates a new, empty draft and returns its id. Every draft starts here: the API's
    /// `create_draft`, a drafts builder's build, and reports filed directly.
    pub fn insert_draft(&mut self, account_id: Uuid, meta: kontur_extern::raw::types::DraftMeta) -> Uuid {
        let id = Uuid::new_v4();
        self.drafts.insert(
            id,
            DraftRecord {
                id,
                account_id,
                meta,
                status: "new".to_owned(),
                documents: Vec::new(),
                docflow_id: None,
                task_ids: Vec::new(),
            },
        );
        id
    }

    /// Starts a task; it finishes after [`TASK_SECONDS`] of sandbox time.
    pub fn start_task(&mut self, account_id: Uuid, owner: TaskOwner, action: TaskAction, now: DateTime<Utc>) -> Uuid {
        let task_type = match action {
            TaskAction::Check => "urn:task-type:check",
            TaskAction::Prepare => "urn:task-type:prepare",
            TaskAction::Send { .. } => "urn:task-type:send",
            TaskAction::PrintDocflowDocument => "urn:task-type:docflowPrint",
            TaskAction::PrintDraftDocument => "urn:task-type:print",
            TaskAction::BuildDrafts => "urn:task-type:draftBuilderBuild",
            // The API does not document this one's type; a builder change is the closest known.
            TaskAction::PrepareBuilderDocuments => "urn:task-type:draftBuilderChange",
        };
        let id = Uuid::new_v4();
        self.tasks.insert(
            id,
            TaskRecord {
                id,
                account_id,
                owner,
                action,
                task_type: task_type.to_owned(),
                state: "running".to_owned(),
                ready_at: now + chrono::Duration::seconds(TASK_SECONDS),
                result: None,
            },
        );
        if let TaskOwner::Draft(draft_id) = owner
            && let Some(draft) = self.drafts.get_mut(&draft_id)
        {
            draft.task_ids.push(id);
            draft.status = match action {
                TaskAction::Check => "check-in-progress",
                TaskAction::Prepare => "prepare-in-progress",
                TaskAction::Send { .. } => "send-in-progress",
                TaskAction::PrintDocflowDocument
                | TaskAction::PrintDraftDocument
                | TaskAction::BuildDrafts
                | TaskAction::PrepareBuilderDocuments => draft.status.as_str(),
            }
            .to_owned();
        }
        if let TaskOwner::DraftsBuilder(builder_id) = owner
            && let Some(builder) = self.drafts_builders.get_mut(&builder_id)
        {
            builder.task_ids.push(id);
            if action == TaskAction::BuildDrafts {
                builder.status = "building".to_owned();
            }
        }
        id
    }

    fn finish_task(&mut self, task_id: Uuid, at: DateTime<Utc>) {
        let Some(task) = self.tasks.get(&task_id).cloned() else {
            return;
        };
        let (state, result) = match (task.owner, task.action) {
            (TaskOwner::Draft(draft_id), TaskAction::Check) => {
                let check = self.check_draft(draft_id);
                self.set_draft_status(draft_id, "checked");
                ("succeed", serde_json::json!({ "data": check }))
            }
            (TaskOwner::Draft(draft_id), TaskAction::Prepare) => {
                let check = self.check_draft(draft_id);
                let has_errors = check_has_errors(&check);
                self.set_draft_status(draft_id, if has_errors { "checked" } else { "ready-to-send" });
                (
                    "succeed",
                    serde_json::json!({
                        "check-result": check,
                        "status": if has_errors { "check-protocol-has-errors" } else { "ok" },
                        "links": [],
                    }),
                )
            }
            (TaskOwner::Draft(draft_id), TaskAction::Send { force }) => self.send_draft(draft_id, force, at),
            (TaskOwner::DocflowDocument { docflow_id: owner_id, document_id }, TaskAction::PrintDocflowDocument)
            | (TaskOwner::DraftDocument { draft_id: owner_id, document_id }, TaskAction::PrintDraftDocument) => {
                let pdf = format!("%PDF-1.4\n% sandbox print of document {document_id} of {owner_id}\n%%EOF\n");
                let content_id = self.store_content(task.account_id, pdf.into_bytes());
                ("succeed", serde_json::json!({ "content-id": content_id }))
            }
            (TaskOwner::DraftsBuilder(builder_id), TaskAction::BuildDrafts) => self.build_drafts(builder_id),
            (TaskOwner::DraftsBuilder(builder_id), TaskAction::PrepareBuilderDocuments) => {
                self.prepare_builder_documents(builder_id)
            }
            _ => ("failed", serde_json::Value::Null),
        };
        if let Some(task) = self.tasks.get_mut(&task_id) {
            task.state = state.to_owned();
            task.result = Some(result);
        }
    }

    fn set_draft_status(&mut self, draft_id: Uuid, status: &str) {
        if let Some(draft) = self.drafts.get_mut(&draft_id) {
            draft.status = status.to_owned();
        }
    }

    /// The check protocol of a draft: `{documents-errors, common-errors}`.
    pub fn check_draft(&self, draft_id: Uuid) -> serde_json::Value {
        let mut common = Vec::new();
        let mut documents = serde_json::Map::new();
        let Some(draft) = self.drafts.get(&draft_id) else {
            return serde_json::json!({ "documents-errors": {}, "common-errors": [] });
        };
        if draft.documents.is_empty() {
            common.push(check_error("common", "В черновике нет документов"));
        }
        if draft.meta.recipient.as_ref().is_none_or(|recipient| recipient_code(recipient).is_none()) {
            common.push(check_error("recipient", "Не указан получатель"));
        }
        for document in &draft.documents {
            let mut errors = Vec::new();
            match document.content_id {
                Some(content_id) if self.contents.get(&content_id).is_some_and(ContentRecord::is_complete) => {}
                _ => errors.push(check_error("content", "У документа нет содержимого")),
            }
            if document.signatures.is_empty() {
                errors.push(check_error("signature", "Документ не подписан"));
            }
            if !errors.is_empty() {
                documents.insert(document.id.to_string(), serde_json::Value::Array(errors));
            }
        }
        serde_json::json!({ "documents-errors": documents, "common-errors": common })
    }

    /// Files a report of the account's main organization to the FNS inspection `ifns_code` at
    /// `at`, as a draft with one signed document sent through check, prepare and send would:
    /// same records, same robot, same event. Returns the docflow id. For tests that need many
    /// docflows without thousands of requests ([`SandboxHandle::file_reports`]).
    ///
    /// [`SandboxHandle::file_reports`]: crate::SandboxHandle::file_reports
    pub fn file_report_directly(&mut self, account_id: Uuid, ifns_code: &str, at: DateTime<Utc>) -> Option<Uuid> {
        let account = self.accounts.get(&account_id)?.clone();
        let meta: kontur_extern::raw::types::DraftMeta = serde_json::from_value(serde_json::json!({
            "sender": { "inn": account.inn, "kpp": account.kpp },
            "payer": { "inn": account.inn, "organization": { "kpp": account.kpp } },
            "recipient": { "ifns-code": ifns_code },
        }))
        .ok()?;
        let document_id = Uuid::new_v4();
        let xml = format!("<Файл ИдФайл=\"{document_id}\"><Документ КНД=\"1151001\"/></Файл>");
        let content_id = self.store_content(account_id, xml.into_bytes());
        let description = serde_json::from_value(serde_json::json!({
            "filename": format!("NO_NDS_{}.xml", document_id.simple()),
            "content-type": "application/xml",
        }))
        .ok();
        let draft_id = self.insert_draft(account_id, meta);
        let draft = self.drafts.get_mut(&draft_id)?;
        draft.status = "ready-to-send".to_owned();
        draft.documents.push(DraftDocumentRecord {
            id: document_id,
            content_id: Some(content_id),
            description,
            signatures: vec![taxpayer_signature(document_id)],
        });
        self.send_draft(draft_id, false, at);
        self.drafts.get(&draft_id)?.docflow_id
    }

    /// Attaches an inventory to document `document_id` of docflow `docflow_id`, as the taxpayer
    /// would send one to the FNS: a signed description (the list) and a signed attachment, with
    /// the inspection's positive acceptance result already in, waiting for the taxpayer's
    /// receipt. Returns the inventory id, or `None` when the document is unknown. A sandbox
    /// invention for tests ([`SandboxHandle::attach_inventory`]): no robot files inventories.
    ///
    /// [`SandboxHandle::attach_inventory`]: crate::SandboxHandle::attach_inventory
    pub fn attach_inventory(&mut self, docflow_id: Uuid, document_id: Uuid, at: DateTime<Utc>) -> Option<Uuid> {
        let related = self.docflows.get(&docflow_id).filter(|docflow| docflow.inventory_of.is_none())?.clone();
        related.documents.iter().find(|doc| doc.id == document_id)?;
        let inventory_id = Uuid::new_v4();
        let mut documents = Vec::new();
        for (kind, incoming) in [("description", false), ("attachment", false), ("acceptance-result-positive", true)] {
            let id = Uuid::new_v4();
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Файл ИдФайл=\"{id}\" Тип=\"{INVENTORY_TYPE}-{kind}\" \
                 Опись=\"{inventory_id}\"/>\n"
            );
            let document_type = format!("urn:document:{INVENTORY_TYPE}-{kind}");
            let filename = format!("{}_{}.xml", kind.to_uppercase().replace('-', "_"), id.simple());
            let stored = self.xml_document(related.account_id, id, document_type, filename, xml, at);
            documents.push(DocflowDocumentRecord {
                incoming,
                signatures: vec![if incoming {
                    regulator_signature(id, &related.recipient)
                } else {
                    taxpayer_signature(id)
                }],
                reply_due: incoming.then(|| receipt_type(INVENTORY_TYPE)),
                ..stored
            });
        }
        let inventory = DocflowRecord {
            id: inventory_id,
            docflow_type: format!("urn:docflow:{INVENTORY_TYPE}"),
            status: "urn:docflow-common-status:response-arrived".to_owned(),
            success_state: "urn:docflow-state:neutral".to_owned(),
            draft_id: None,
            send_date: at,
            last_change: at,
            documents,
            robot: None,
            robot_steps_done: 0,
            final_success_state: None,
            inventory_of: Some(RelatedDocument { docflow_id, document_id }),
            ..related
        };
        self.docflows.insert(inventory_id, inventory);
        Some(inventory_id)
    }

    /// Delivers the SFR's protocol to SFR docflow `docflow_id`: an incoming, signed
    /// `pfr-report-protocol` (the spec names no `sfr-report` protocol) waiting for an
    /// `sfr-report-acknowledgement`. Adds no event (the sandbox knows no transaction for it).
    /// Returns the document id. A sandbox invention for tests
    /// ([`SandboxHandle::deliver_sfr_protocol`]).
    ///
    /// [`SandboxHandle::deliver_sfr_protocol`]: crate::SandboxHandle::deliver_sfr_protocol
    pub fn deliver_sfr_protocol(&mut self, docflow_id: Uuid, at: DateTime<Utc>) -> Option<Uuid> {
        let docflow =
            self.docflows.get(&docflow_id).filter(|docflow| docflow.docflow_type == "urn:docflow:sfr-report")?;
        let (account_id, recipient) = (docflow.account_id, docflow.recipient.clone());
        let id = Uuid::new_v4();
        let xml = format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Протокол ИдФайл=\"{id}\" Документооборот=\"{docflow_id}\"/>\n"
        );
        let document_type = "urn:document:pfr-report-protocol".to_owned();
        let stored = self.xml_document(account_id, id, document_type, format!("PROTOCOL_{}.xml", id.simple()), xml, at);
        let docflow = self.docflows.get_mut(&docflow_id)?;
        docflow.documents.push(DocflowDocumentRecord {
            signatures: vec![regulator_signature(id, &recipient)],
            reply_due: Some("urn:document:sfr-report-acknowledgement".to_owned()),
            ..stored
        });
        docflow.status = "urn:docflow-common-status:response-arrived".to_owned();
        docflow.last_change = at;
        Some(id)
    }

    /// Builds one draft per document of a drafts builder: the builder's meta as the draft's meta,
    /// each file as a draft document with its signature. A document without files (or with a
    /// content that is gone) makes no draft and is listed among the errors instead. The builder is
    /// `finished` afterwards.
    fn build_drafts(&mut self, builder_id: Uuid) -> (&'static str, serde_json::Value) {
        let Some(builder) = self.drafts_builders.get(&builder_id).cloned() else {
            return ("failed", serde_json::Value::Null);
        };
        let mut result = kontur_extern::raw::types::DraftsBuilderBuildResult::default();
        for document in &builder.documents {
            if let Some(error) = self.builder_document_error(document) {
                result.error_drafts_builder_documents.push(error);
                continue;
            }
            let draft_id = self.insert_draft(builder.account_id, draft_meta_of(&builder.meta));
            let documents = document.files.iter().map(|file| built_document(document.id, file)).collect();
            if let Some(draft) = self.drafts.get_mut(&draft_id) {
                draft.documents = documents;
            }
            result.draft_ids.push(draft_id);
        }
        if let Some(builder) = self.drafts_builders.get_mut(&builder_id) {
            builder.status = "finished".to_owned();
        }
        ("succeed", crate::wire::json(&result))
    }

    /// Prepares the documents of a drafts builder for the build: lists those that would fail it.
    fn prepare_builder_documents(&self, builder_id: Uuid) -> (&'static str, serde_json::Value) {
        let Some(builder) = self.drafts_builders.get(&builder_id) else {
            return ("failed", serde_json::Value::Null);
        };
        let result = kontur_extern::raw::types::DraftsBuilderPrepareDocumentsResult {
            error_drafts_builder_documents: builder
                .documents
                .iter()
                .filter_map(|document| self.builder_document_error(document))
                .collect(),
            ..Default::default()
        };
        ("succeed", crate::wire::json(&result))
    }

    /// Why a builder document cannot become a draft: no files, or a file whose content is gone.
    fn builder_document_error(
        &self,
        document: &DraftsBuilderDocumentRecord,
    ) -> Option<kontur_extern::raw::types::DraftsBuilderDocumentError> {
        let message = if document.files.is_empty() {
            "the document has no files".to_owned()
        } else {
            let missing = document
                .files
                .iter()
                .find(|file| !self.contents.get(&file.content_id).is_some_and(ContentRecord::is_complete))?;
            format!("the content of file {} is not in the content service", missing.id)
        };
        Some(kontur_extern::raw::types::DraftsBuilderDocumentError {
            document_id: Some(document.id),
            error_message: Some(message),
            ..Default::default()
        })
    }

    fn send_draft(&mut self, draft_id: Uuid, force: bool, at: DateTime<Utc>) -> (&'static str, serde_json::Value) {
        let check = self.check_draft(draft_id);
        let Some(draft) = self.drafts.get(&draft_id).cloned() else {
            return ("failed", serde_json::Value::Null);
        };
        if check_has_errors(&check) && !force {
            self.set_draft_status(draft_id, "checked");
            return (
                "succeed",
                serde_json::json!({
                    "id": "urn:error:externapi:checkProtocolHasErrors",
                    "status-code": 400,
                    "message": "the draft has check errors; fix them or send with force=true",
                    "status": "check-protocol-has-errors",
                    "check-result": check,
                }),
            );
        }
        let recipient = draft.meta.recipient.clone().unwrap_or_else(crate::wire::blank);
        let (docflow_type, code) = docflow_type_for(&recipient);
        let Some(account) = self.accounts.get(&draft.account_id).cloned() else {
            return ("failed", serde_json::Value::Null);
        };
        let organization = account.organizations.iter().find(|org| org.is_main).cloned();
        let docflow_id = Uuid::new_v4();
        let mut documents = Vec::new();
        for document in &draft.documents {
            let description = document.description.clone().unwrap_or_else(crate::wire::blank);
            let size = document
                .content_id
                .and_then(|id| self.contents.get(&id))
                .filter(|content| content.is_complete())
                .and_then(|content| content.total)
                .unwrap_or(0);
            documents.push(DocflowDocumentRecord {
                id: Uuid::new_v4(),
                document_type: format!("urn:document:{docflow_type}"),
                filename: description.filename.clone().unwrap_or_else(|| format!("{}.xml", document.id)),
                content_type: description.content_type.clone().unwrap_or_else(|| "application/xml".to_owned()),
                content_id: document.content_id,
                size,
                incoming: false,
                signatures: document.signatures.clone(),
                reply_due: None,
                reply_sent: false,
                send_date: at,
                decrypted_content_id: None,
                requisites: Default::default(),
            });
        }
        let inn =
            draft.meta.sender.as_ref().and_then(|sender| sender.inn.clone()).unwrap_or_else(|| account.inn.clone());
        let docflow = DocflowRecord {
            id: docflow_id,
            account_id: draft.account_id,
            organization_id: organization.map(|org| org.id),
            inn,
            kpp: account.kpp.clone(),
            docflow_type: format!("urn:docflow:{docflow_type}"),
            status: "urn:docflow-common-status:sent".to_owned(),
            success_state: "urn:docflow-state:neutral".to_owned(),
            recipient: code.clone(),
            draft_id: Some(draft_id),
            send_date: at,
            last_change: at,
            documents,
            robot: Robot::for_recipient(docflow_type, &code),
            robot_steps_done: 0,
            final_success_state: None,
            requisites: Default::default(),
            inventory_of: None,
        };
        self.docflows.insert(docflow_id, docflow);
        self.append_event(docflow_id, &format!("urn:transaction:{docflow_type}"), at);
        if let Some(draft) = self.drafts.get_mut(&draft_id) {
            draft.status = "sent".to_owned();
            draft.docflow_id = Some(docflow_id);
        }
        ("succeed", serde_json::json!({ "docflow-id": docflow_id }))
    }

    fn run_robot(&mut self, docflow_id: Uuid, now: DateTime<Utc>) -> bool {
        let mut changed = false;
        loop {
            let Some(docflow) = self.docflows.get(&docflow_id) else {
                return changed;
            };
            let Some(robot) = docflow.robot else {
                return changed;
            };
            let Some(step) = robot.steps().get(docflow.robot_steps_done).copied() else {
                return changed;
            };
            let at = docflow.send_date + chrono::Duration::seconds(step.after_secs);
            if at > now {
                return changed;
            }
            let account_id = docflow.account_id;
            let short_type = docflow.docflow_type.trim_start_matches("urn:docflow:").to_owned();
            let document_type = format!("urn:document:{short_type}-{}", step.document);
            let document_id = Uuid::new_v4();
            let xml = format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Файл ИдФайл=\"{document_id}\" Тип=\"{document_type}\" \
                 Документооборот=\"{docflow_id}\" Дата=\"{}\"/>\n",
                crate::wire::moscow_text(at)
            );
            let filename = format!("{}_{}.xml", step.document.to_uppercase().replace('-', "_"), document_id.simple());
            let stored = self.xml_document(account_id, document_id, document_type, filename, xml, at);
            let Some(docflow) = self.docflows.get_mut(&docflow_id) else {
                return changed;
            };
            docflow.documents.push(DocflowDocumentRecord {
                signatures: vec![regulator_signature(document_id, &docflow.recipient)],
                reply_due: Some(receipt_type(&short_type)),
                ..stored
            });
            docflow.robot_steps_done += 1;
            docflow.status = format!("urn:docflow-common-status:{}", step.status);
            if let Some(success) = step.success_state {
                docflow.success_state = format!("urn:docflow-state:{success}");
                docflow.final_success_state = Some(docflow.success_state.clone());
            }
            docflow.last_change = at;
            let transaction = match step.document {
                "date-confirmation" => {
                    format!("urn:transaction:{short_type}-receipt-date-confirmation-abonent")
                }
                other => format!("urn:transaction:{short_type}-{other}"),
            };
            self.append_event(docflow_id, &transaction, at);
            changed = true;
        }
    }

    /// After a reply went out: the docflow waits for the rest, or finishes.
    pub fn after_reply_sent(&mut self, docflow_id: Uuid, at: DateTime<Utc>) {
        let Some(docflow) = self.docflows.get_mut(&docflow_id) else {
            return;
        };
        let pending = docflow.documents.iter().any(|doc| doc.reply_due.is_some() && !doc.reply_sent);
        let robot_done = docflow.robot.is_some_and(|robot| docflow.robot_steps_done >= robot.steps().len());
        docflow.status = if !pending && robot_done {
            "urn:docflow-common-status:finished"
        } else if pending {
            "urn:docflow-common-status:response-arrived"
        } else {
            "urn:docflow-common-status:response-processed"
        }
        .to_owned();
        docflow.last_change = at;
        let short_type = docflow.docflow_type.trim_start_matches("urn:docflow:").to_owned();
        self.append_event(docflow_id, &format!("urn:transaction:{short_type}-receipt"), at);
    }

    /// Appends an event for a docflow's transition. Inventories make none: a reader of the feed
    /// could not get them as docflows.
    pub fn append_event(&mut self, docflow_id: Uuid, new_state: &str, at: DateTime<Utc>) {
        let Some(docflow) = self.docflows.get(&docflow_id).filter(|docflow| docflow.inventory_of.is_none()) else {
            return;
        };
        self.events.push(EventRecord {
            account_id: docflow.account_id,
            docflow_id,
            docflow_type: docflow.docflow_type.clone(),
            new_state: new_state.to_owned(),
            at,
            inn: docflow.inn.clone(),
            kpp: docflow.kpp.clone(),
        });
    }

    /// Stores a complete content and returns its id.
    pub fn store_content(&mut self, account_id: Uuid, bytes: Vec<u8>) -> Uuid {
        let id = Uuid::new_v4();
        let mut parts = std::collections::BTreeMap::new();
        let total = bytes.len() as u64;
        parts.insert(0, Part(bytes));
        self.contents.insert(id, ContentRecord { id, account_id, total: Some(total), parts });
        id
    }

    /// An XML document the sandbox itself files or delivers (a robot's answer, an inventory's
    /// documents, an SFR protocol), its content stored for the account: incoming, unsigned and
    /// wanting no reply until the caller says otherwise.
    fn xml_document(
        &mut self,
        account_id: Uuid,
        id: Uuid,
        document_type: String,
        filename: String,
        xml: String,
        at: DateTime<Utc>,
    ) -> DocflowDocumentRecord {
        let size = xml.len() as u64;
        let content_id = self.store_content(account_id, xml.into_bytes());
        DocflowDocumentRecord {
            id,
            document_type,
            filename,
            content_type: "application/xml".to_owned(),
            content_id: Some(content_id),
            size,
            incoming: true,
            signatures: Vec::new(),
            reply_due: None,
            reply_sent: false,
            send_date: at,
            decrypted_content_id: None,
            requisites: Default::default(),
        }
    }

    /// The bytes of a complete content.
    pub fn content_bytes(&self, id: Uuid) -> Option<Vec<u8>> {
        let content = self.contents.get(&id)?;
        content.complete_bytes()
    }
}

impl ContentRecord {
    /// True when the parts cover the whole content.
    pub fn is_complete(&self) -> bool {
        let Some(total) = self.total else {
            return false;
        };
        let mut covered = 0u64;
        for (offset, part) in &self.parts {
            if *offset > covered {
                return false;
            }
            covered = covered.max(offset + part.0.len() as u64);
        }
        covered >= total
    }

    /// Bytes `from..=to` of a complete content, copied from its parts (a range of a large
    /// content costs the range, not the whole).
    pub fn range_bytes(&self, from: u64, to: u64) -> Option<Vec<u8>> {
        if !self.is_complete() || to < from || to >= self.total? {
            return None;
        }
        let mut bytes = vec![0u8; usize::try_from(to - from + 1).ok()?];
        for (offset, part) in self.parts.range(..=to) {
            let end = offset + part.0.len() as u64; // exclusive
            if end <= from {
                continue;
            }
            let start = (*offset).max(from);
            let stop = end.min(to + 1);
            let source = usize::try_from(start - offset).ok()?..usize::try_from(stop - offset).ok()?;
            let target = usize::try_from(start - from).ok()?..usize::try_from(stop - from).ok()?;
            bytes[target].copy_from_slice(&part.0[source]);
        }
        Some(bytes)
    }

    /// The whole content, when complete.
    pub fn complete_bytes(&self) -> Option<Vec<u8>> {
        if !self.is_complete() {
            return None;
        }
        let total = usize::try_from(self.total?).ok()?;
        let mut bytes = vec![0u8; total];
        for (offset, part) in &self.parts {
            let start = usize::try_from(*offset).ok()?;
            let end = (start + part.0.len()).min(total);
            bytes[start..end].copy_from_slice(&part.0[..end - start]);
        }
        Some(bytes)
    }
}

/// Docflow type (short) of FNS inventories.
const INVENTORY_TYPE: &str = "fns534-inventory";

/// The taxpayer's signature on a document the sandbox files for them.
fn taxpayer_signature(document_id: Uuid) -> SignatureRecord {
    SignatureRecord {
        id: Uuid::new_v4(),
        content: format!("sandbox signature of the taxpayer on {document_id}").into_bytes(),
        thumbprint: None,
        signer_type: "organization-representative".to_owned(),
        title: "Подпись налогоплательщика".to_owned(),
    }
}

/// The signature of regulator `recipient` on a document it sends.
fn regulator_signature(document_id: Uuid, recipient: &str) -> SignatureRecord {
    SignatureRecord {
        id: Uuid::new_v4(),
        content: format!("sandbox signature of the regulator on {document_id}").into_bytes(),
        thumbprint: Some(random_hex(20)),
        signer_type: "cu-representative".to_owned(),
        title: format!("Регулятор {recipient}"),
    }
}

/// 409: a running task holds `what`; the error names the task, as the API does.
pub(crate) fn concurrent_task(what: &str, id: String, task_type: String) -> ApiFailure {
    ApiFailure::conflict(
        "urn:error:externapi:concurrentApiTaskActive",
        format!("{what} is held by task {id} ({task_type})"),
    )
    .with_context("concurrent-task", serde_json::json!({ "id": id, "task-type": task_type }))
}

/// The meta of a draft built from a drafts builder: its sender, payer, recipient and options, and
/// the related document an inventory answers (from the builder data).
fn draft_meta_of(builder: &kontur_extern::raw::types::DraftsBuilderMeta) -> kontur_extern::raw::types::DraftMeta {
    let mut meta: kontur_extern::raw::types::DraftMeta = crate::wire::blank();
    meta.sender = builder.sender.clone();
    meta.payer = builder.payer.clone();
    meta.recipient = builder.recipient.clone();
    meta.draft_options = builder.draft_options.clone();
    meta.related_document = builder
        .builder_data
        .as_ref()
        .and_then(|data| data.get("related-document"))
        .and_then(|related| serde_json::from_value(related.clone()).ok());
    meta
}

/// The draft document a builder file becomes: same content and signature, named as the file,
/// pointing back at the builder document and file it came from.
fn built_document(builder_document_id: Uuid, file: &DraftsBuilderFileRecord) -> DraftDocumentRecord {
    let filename = file.meta.file_name.clone().unwrap_or_else(|| format!("{}.xml", file.id));
    let description = serde_json::from_value(serde_json::json!({
        "filename": filename,
        "content-type": content_type_of(&filename),
        "original-drafts-builder": { "document-id": builder_document_id, "file-id": file.id },
    }))
    .ok();
    DraftDocumentRecord {
        id: Uuid::new_v4(),
        content_id: Some(file.content_id),
        description,
        signatures: file
            .signature
            .iter()
            .map(|signature| SignatureRecord { id: Uuid::new_v4(), ..signature.clone() })
            .collect(),
    }
}

/// A MIME type guessed from a file name's extension.
fn content_type_of(filename: &str) -> &'static str {
    let extension = filename.rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase()).unwrap_or_default();
    match extension.as_str() {
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "tif" | "tiff" => "image/tiff",
        _ => "application/octet-stream",
    }
}

fn check_error(kind: &str, description: &str) -> serde_json::Value {
    serde_json::json!({ "id": Uuid::new_v4(), "type": kind, "level": "error", "description": description, "source": "sandbox" })
}

fn check_has_errors(check: &serde_json::Value) -> bool {
    let common =
        check.get("common-errors").and_then(|errors| errors.as_array()).is_some_and(|errors| !errors.is_empty());
    let documents =
        check.get("documents-errors").and_then(|errors| errors.as_object()).is_some_and(|errors| !errors.is_empty());
    common || documents
}

/// The regulator code a draft is addressed to.
pub fn recipient_code(recipient: &kontur_extern::raw::types::DraftRecipient) -> Option<String> {
    [
        &recipient.ifns_code,
        &recipient.togs_code,
        &recipient.sfr_code,
        &recipient.fss_code,
        &recipient.mvd_code,
        &recipient.mri_code,
        &recipient.registration_ifns_code,
    ]
    .into_iter()
    .find_map(|code| code.clone())
}

/// The docflow type (short) and regulator code a draft becomes.
fn docflow_type_for(recipient: &kontur_extern::raw::types::DraftRecipient) -> (&'static str, String) {
    let code = recipient_code(recipient).unwrap_or_default();
    let docflow_type = if recipient.togs_code.is_some() {
        "stat-report"
    } else if recipient.sfr_code.is_some() {
        "sfr-report"
    } else if recipient.fss_code.is_some() {
        "fss-report"
    } else if recipient.mvd_code.is_some() {
        "mvd-notification"
    } else {
        "fns534-report"
    };
    (docflow_type, code)
}

/// Writes the state atomically: a temporary file beside it, flushed to disk, then renamed over it.
pub fn save_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let directory = path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file_name =
        path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_else(|| "state".to_owned());
    let temporary = directory.join(format!(".{file_name}.{}.tmp", Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        if let Ok(dir) = std::fs::File::open(directory) {
            let _ = dir.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}
