//! Shared set-up: a sandbox whose time moves only when a test advances it, the crate's own client
//! logged in as the seeded user, and helpers for the steps every filing takes.
#![allow(dead_code)]

use std::time::Duration;

use kontur_extern::raw::types;
use kontur_extern::transport::SendExt;
use kontur_extern::{Client, Environment};
use kontur_extern_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use secrecy::SecretString;
use serde_json::{Value, json};
use uuid::Uuid;

/// A running sandbox with a logged-in client.
pub struct Harness {
    pub sandbox: SandboxHandle,
    pub client: Client,
    pub account: Uuid,
    pub http: reqwest::Client,
}

/// A sandbox with a stopped clock (only `advance` moves it).
pub async fn start() -> Harness {
    start_with(SandboxConfig { speed: 0.0, ..SandboxConfig::default() }).await
}

pub async fn start_with(config: SandboxConfig) -> Harness {
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts on loopback");
    let credentials = &sandbox.credentials;
    let client = Client::builder()
        .environment(Environment::new(&sandbox.api_url, &sandbox.identity_url).expect("sandbox URLs"))
        .client(credentials.client_id.clone(), SecretString::from(credentials.api_key.clone()))
        .password(credentials.login.clone(), SecretString::from(credentials.password.clone()))
        .build()
        .expect("the client builds");
    let account = credentials.account_id;
    Harness { sandbox, client, account, http: reqwest::Client::new() }
}

/// The body of a reply's send: the sender's address.
pub fn send_reply_request() -> types::SendReplyRequest {
    wire(json!({ "sender-ip": "127.0.0.1" }))
}

/// A value of a wire type written as JSON (keeps tests independent of struct literals).
pub fn wire<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("test JSON matches the wire type")
}

/// The HTTP status of a refused call and its `ApiError` id.
pub fn refusal<T: std::fmt::Debug>(result: Result<T, kontur_extern::Error>) -> (u16, String) {
    let error = result.expect_err("the call is refused");
    let status = error.status().map(|status| status.as_u16()).expect("an HTTP status");
    let id = error.api_error().and_then(|api_error| api_error.id.clone()).expect("an ApiError body with an id");
    assert!(error.trace_id().is_some(), "errors carry the trace id");
    (status, id)
}

pub fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Harness {
    pub fn raw(&self) -> &kontur_extern::raw::Client {
        self.client.raw()
    }

    /// An access token from the identity host (password grant), for hand-made requests.
    pub async fn token(&self) -> String {
        let credentials = &self.sandbox.credentials;
        let answer: Value = self
            .http
            .post(format!("{}connect/token", self.sandbox.identity_url))
            .form(&[
                ("grant_type", "password"),
                ("client_id", credentials.client_id.as_str()),
                ("client_secret", credentials.api_key.as_str()),
                ("username", credentials.login.as_str()),
                ("password", credentials.password.as_str()),
                ("scope", "extern.api extern.test-tools"),
            ])
            .send()
            .await
            .expect("identity answers")
            .json()
            .await
            .expect("a token answer");
        answer["access_token"].as_str().expect("an access token").to_owned()
    }

    /// The SMS code of a signing request, read through the test tools.
    pub async fn sms_code(&self, request_id: &str) -> String {
        let response = self
            .http
            .get(format!("{}test-tools/v1/get-cloud-sign-confirmation-code", self.sandbox.api_url))
            .query(&[("requestId", request_id)])
            .bearer_auth(self.token().await)
            .send()
            .await
            .expect("test tools answer");
        assert_eq!(response.status(), 200);
        response.text().await.expect("the code as text")
    }

    /// Downloads a content by hand (optionally a `Range`).
    pub async fn download(&self, content_id: Uuid, range: Option<&str>) -> reqwest::Response {
        let mut request = self
            .http
            .get(format!("{}v1/{}/contents/{content_id}", self.sandbox.api_url, self.account))
            .bearer_auth(self.token().await);
        if let Some(range) = range {
            request = request.header("Range", range);
        }
        request.send().await.expect("the sandbox answers")
    }

    /// The seeded user's cloud certificate, base64.
    pub async fn cloud_certificate(&self) -> String {
        let list = self
            .raw()
            .list_account_certificates()
            .account_id(self.account)
            .send()
            .checked()
            .await
            .unwrap()
            .into_inner();
        let certificate = list
            .certificates
            .iter()
            .find(|c| c.extra.get("is-cloud") == Some(&Value::Bool(true)))
            .expect("the seeded user has a cloud certificate");
        certificate.content.clone().expect("with its content")
    }

    /// Uploads `bytes` in two parts, the second first.
    pub async fn upload(&self, bytes: &[u8]) -> Uuid {
        let total = bytes.len();
        let half = total / 2;
        let first = self
            .raw()
            .upload_content()
            .account_id(self.account)
            .content_range(format!("bytes {half}-{}/{total}", total - 1))
            .body(bytes[half..].to_vec())
            .send()
            .checked()
            .await
            .unwrap();
        assert_eq!(first.status(), 200, "a part that does not complete the content starts a multi-part upload");
        let id = first.into_inner().id;
        let second = self
            .raw()
            .upload_content_part()
            .account_id(self.account)
            .content_id(id)
            .content_range(format!("bytes 0-{}/{total}", half - 1))
            .body(bytes[..half].to_vec())
            .send()
            .checked()
            .await
            .unwrap();
        assert_eq!(second.status(), 201, "the last missing part completes the content");
        id
    }

    /// A draft to `recipient` (JSON of DraftRecipient) with one uploaded, unsigned document.
    pub async fn draft_with_document(&self, recipient: Value) -> (Uuid, Uuid) {
        let certificate = self.cloud_certificate().await;
        let meta: types::DraftMeta = wire(json!({
            "sender": { "inn": "7700000087", "kpp": "770001001", "certificate": { "content": certificate } },
            "payer": { "inn": "7700000087", "organization": { "kpp": "770001001" } },
            "recipient": recipient,
        }));
        let draft = self.raw().create_draft().account_id(self.account).body(meta).send().checked().await.unwrap();
        assert_eq!(draft.status(), 201);
        let draft_id = draft.into_inner().id;
        let content_id = self.upload("<Файл>декларация по НДС</Файл>".as_bytes()).await;
        let request: types::DraftDocumentRequest = wire(
            json!({ "content-id": content_id, "description": { "content-type": "application/xml", "filename": "NO_NDS.xml" } }),
        );
        let document = self
            .raw()
            .create_draft_document()
            .account_id(self.account)
            .draft_id(draft_id)
            .body(request)
            .send()
            .checked()
            .await
            .unwrap()
            .into_inner();
        (draft_id, document.id)
    }

    /// A draft with one document signed by a raw (detached) signature.
    pub async fn signed_draft(&self, recipient: Value) -> Uuid {
        let (draft_id, document_id) = self.draft_with_document(recipient).await;
        let signature: types::SignatureRequest = wire(json!({ "base64-content": base64(b"detached CMS signature") }));
        self.raw()
            .create_draft_document_signature()
            .account_id(self.account)
            .draft_id(draft_id)
            .document_id(document_id)
            .body(signature)
            .send()
            .checked()
            .await
            .unwrap();
        draft_id
    }

    /// Polls a draft task, moving the sandbox clock between polls, until it is no longer running.
    pub async fn finish_draft_task(&self, draft_id: Uuid, task_id: Uuid) -> types::ApiTask {
        for _ in 0..20 {
            let task = self
                .raw()
                .get_draft_task()
                .account_id(self.account)
                .draft_id(draft_id)
                .api_task_id(task_id)
                .send()
                .checked()
                .await
                .unwrap()
                .into_inner();
            if text(&task.task_state) != "running" {
                return task;
            }
            self.sandbox.advance(Duration::from_secs(1)).await;
        }
        panic!("task {task_id} never finished");
    }

    /// check → prepare → send, each as a deferred task; returns the docflow.
    pub async fn send_draft(&self, draft_id: Uuid) -> types::Docflow {
        let check = self
            .raw()
            .check_draft()
            .account_id(self.account)
            .draft_id(draft_id)
            .deferred(true)
            .send()
            .checked()
            .await
            .unwrap();
        let check = self.finish_draft_task(draft_id, check.into_inner().id).await;
        let errors = &check.task_result.as_ref().expect("a check result")["data"];
        assert_eq!(errors["common-errors"], json!([]), "check: {errors}");
        let prepare = self
            .raw()
            .prepare_draft()
            .account_id(self.account)
            .draft_id(draft_id)
            .deferred(true)
            .send()
            .checked()
            .await
            .unwrap();
        let prepare = self.finish_draft_task(draft_id, prepare.into_inner().id).await;
        let prepared = prepare.task_result.as_ref().expect("a prepare result");
        assert_eq!(prepared["status"], "ok");
        assert_eq!(prepared["links"][0]["rel"], "next", "a prepared draft links to sending");
        let send = self
            .raw()
            .send_draft()
            .account_id(self.account)
            .draft_id(draft_id)
            .deferred(true)
            .send()
            .checked()
            .await
            .unwrap();
        let send = self.finish_draft_task(draft_id, send.into_inner().id).await;
        assert_eq!(text(&send.task_state), "succeed");
        wire(send.task_result.expect("the docflow"))
    }

    pub async fn docflow(&self, docflow_id: Uuid) -> types::Docflow {
        self.raw()
            .get_docflow()
            .account_id(self.account)
            .docflow_id(docflow_id)
            .send()
            .checked()
            .await
            .unwrap()
            .into_inner()
    }

    /// Answers every `reply` link of the docflow with a raw-signed receipt; returns how many.
    pub async fn answer_replies(&self, docflow: &types::Docflow) -> usize {
        let mut answered = 0;
        for document in &docflow.documents {
            for reply_link in document.links.iter().filter(|link| link.rel.as_deref() == Some("reply")) {
                let document_type = reply_link.name.clone().expect("reply links name the document type");
                let reply = self
                    .raw()
                    .generate_reply()
                    .account_id(self.account)
                    .docflow_id(docflow.id)
                    .document_id(document.id)
                    .document_type(document_type.trim_start_matches("urn:document:").to_owned())
                    .body(wire::<types::GenerateReplyRequest>(
                        json!({ "certificate-base64": base64(b"my own certificate") }),
                    ))
                    .send()
                    .checked()
                    .await
                    .unwrap()
                    .into_inner();
                self.raw()
                    .put_reply_signature()
                    .account_id(self.account)
                    .docflow_id(docflow.id)
                    .document_id(document.id)
                    .reply_id(reply.id)
                    .body(b"detached signature of the receipt".to_vec())
                    .send()
                    .checked()
                    .await
                    .unwrap();
                self.raw()
                    .send_reply()
                    .account_id(self.account)
                    .docflow_id(docflow.id)
                    .document_id(document.id)
                    .reply_id(reply.id)
                    .body(send_reply_request())
                    .send()
                    .checked()
                    .await
                    .unwrap();
                answered += 1;
            }
        }
        answered
    }

    /// Lets the regulator answer minute by minute and answers every reply, until the docflow
    /// finishes; returns the finished docflow and the regulator documents' types in order.
    pub async fn run_to_finish(&self, docflow_id: Uuid) -> (types::Docflow, Vec<String>) {
        for _ in 0..15 {
            self.sandbox.advance(Duration::from_secs(60)).await;
            let docflow = self.docflow(docflow_id).await;
            if self.answer_replies(&docflow).await == 0 && status(&docflow) == "urn:docflow-common-status:finished" {
                let incoming = docflow
                    .documents
                    .iter()
                    .filter(|doc| doc.signatures.iter().any(|s| text(&s.signer_type) == "cu-representative"))
                    .filter_map(|doc| Some(text(&doc.description.as_ref()?.type_)))
                    .collect();
                return (docflow, incoming);
            }
        }
        panic!("docflow {docflow_id} never finished");
    }
}

/// A vocabulary value as text ("" when absent).
pub fn text<T: ToString>(value: &Option<T>) -> String {
    value.as_ref().map(ToString::to_string).unwrap_or_default()
}

pub fn status(docflow: &types::Docflow) -> String {
    text(&docflow.status)
}

pub fn success_state(docflow: &types::Docflow) -> String {
    text(&docflow.success_state)
}
