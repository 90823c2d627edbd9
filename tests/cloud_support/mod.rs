//! Shared set-up of the cloud flow tests: the operations as data, mock answers, captured logs.
#![allow(dead_code)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::prelude::*;
use kontur_extern::cloud::{
    AppPolling, CloudDecryption, CloudSigning, DecryptedContent, DocumentIds, InventoryDocumentIds, Pending,
    SignedDocuments, StartError, Started,
};
use kontur_extern::raw;
use kontur_extern::transport::Transport;
use serde_json::{Value, json};
use uuid::Uuid;

pub const ACCOUNT: &str = "bd0cd3f6-315d-4f03-a9cc-3507f63265ed";
pub const DRAFT: &str = "2c3bb2fb-6ab3-4a30-9d3e-8a3a6f8e7d10";
pub const DOCFLOW: &str = "7b9edebc-32bc-4317-b4a4-abbc26fe3663";
pub const DOCUMENT: &str = "70c3746a-28c0-441c-ad5d-cb585cf5ed22";
pub const INVENTORY: &str = "c0f1e2d3-b4a5-4c6d-8e7f-901a2b3c4d5e";
pub const INVENTORY_DOCUMENT: &str = "5d4c3b2a-1f0e-4d9c-8b7a-6e5f4d3c2b1a";
pub const REPLY: &str = "9ae00ec3-9b23-48d7-a417-368e24f1c6ca";
pub const TASK: &str = "b54a8c6d-e1f1-4e93-841f-9863f6a90aeb";
pub const CONTENT: &str = "e3a1c2b4-5d6f-4a7b-8c9d-0e1f2a3b4c5d";
pub const REQUEST: &str = "req-7f3e91";
/// The right code. Chosen to appear nowhere else: not in an id, a path or a body.
pub const CODE: &str = "739164";
/// A wrong code, as distinctive.
pub const WRONG_CODE: &str = "208457";

pub fn id(text: &str) -> Uuid {
    text.parse().expect("test ids are UUIDs")
}

pub fn client(server: &MockServer) -> raw::Client {
    Transport::unauthenticated().into_client(&server.base_url()).expect("the HTTP client builds")
}

/// A client whose requests find nobody listening.
pub async fn dead_client() -> raw::Client {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("an address");
    drop(listener);
    Transport::unauthenticated()
        .retry_policy(kontur_extern::transport::RetryPolicy::none())
        .into_client(&format!("http://{address}"))
        .expect("the HTTP client builds")
}

pub fn document() -> DocumentIds {
    DocumentIds { account_id: id(ACCOUNT), docflow_id: id(DOCFLOW), document_id: id(DOCUMENT) }
}

pub fn inventory_document() -> InventoryDocumentIds {
    InventoryDocumentIds {
        account_id: id(ACCOUNT),
        related_docflow_id: id(DOCFLOW),
        related_document_id: id(DOCUMENT),
        inventory_id: id(INVENTORY),
        document_id: id(INVENTORY_DOCUMENT),
    }
}

fn document_base() -> String {
    format!("/v1/{ACCOUNT}/docflows/{DOCFLOW}/documents/{DOCUMENT}")
}

fn inventory_document_base() -> String {
    format!("{}/inventories/{INVENTORY}/documents/{INVENTORY_DOCUMENT}", document_base())
}

/// The four signing operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    Draft,
    Reply,
    PfrReply,
    InventoryReply,
}

impl Signing {
    pub const ALL: [Signing; 4] = [Signing::Draft, Signing::Reply, Signing::PfrReply, Signing::InventoryReply];
    /// The operations with `forceConfirmation`: receipts among them sign at once.
    pub const WITH_FORCE: [Signing; 2] = [Signing::Reply, Signing::InventoryReply];

    pub fn base(self) -> String {
        match self {
            Signing::Draft => format!("/v1/{ACCOUNT}/drafts/{DRAFT}"),
            Signing::Reply => format!("{}/replies/{REPLY}", document_base()),
            Signing::PfrReply => format!("{}/pfr-replies/{REPLY}", document_base()),
            Signing::InventoryReply => format!("{}/replies/{REPLY}", inventory_document_base()),
        }
    }

    pub fn start_path(self) -> String {
        format!("{}/cloud-sign", self.base())
    }

    pub fn confirm_path(self) -> String {
        format!("{}/cloud-sign-confirm", self.base())
    }

    pub fn task_path(self) -> String {
        format!("{}/tasks/{TASK}", self.base())
    }

    /// Starts the signing, with `forceConfirmation` where the operation has it.
    pub async fn start(
        self,
        client: &raw::Client,
        force: Option<bool>,
    ) -> Result<Started<SignedDocuments>, StartError> {
        let with_force = |signing: kontur_extern::cloud::ReplySigning| match force {
            Some(force) => signing.force_confirmation(force),
            None => signing,
        };
        match self {
            Signing::Draft => CloudSigning::draft(client, id(ACCOUNT), id(DRAFT)).start().await,
            Signing::Reply => with_force(CloudSigning::reply(client, document(), id(REPLY))).start().await,
            Signing::PfrReply => CloudSigning::pfr_reply(client, document(), id(REPLY)).start().await,
            Signing::InventoryReply => {
                with_force(CloudSigning::inventory_reply(client, inventory_document(), id(REPLY))).start().await
            }
        }
    }
}

/// The two decryption operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decryption {
    Docflow,
    Inventory,
}

pub const CERTIFICATE: &[u8] = b"0\x82cloud certificate";

impl Decryption {
    pub const ALL: [Decryption; 2] = [Decryption::Docflow, Decryption::Inventory];

    pub fn base(self) -> String {
        match self {
            Decryption::Docflow => document_base(),
            Decryption::Inventory => inventory_document_base(),
        }
    }

    pub fn start_path(self) -> String {
        format!("{}/decrypt-content", self.base())
    }

    pub fn confirm_path(self) -> String {
        format!("{}/confirm-content-decryption", self.base())
    }

    pub fn task_path(self) -> String {
        format!("{}/tasks/{TASK}", self.base())
    }

    pub fn operation(self, client: &raw::Client) -> CloudDecryption {
        match self {
            Decryption::Docflow => CloudDecryption::document(client, document(), CERTIFICATE),
            Decryption::Inventory => CloudDecryption::inventory_document(client, inventory_document(), CERTIFICATE),
        }
    }

    pub async fn start(self, client: &raw::Client) -> Result<Pending<DecryptedContent>, StartError> {
        self.operation(client).start().await
    }
}

pub fn link(rel: &str, href: &str) -> Value {
    json!({ "rel": rel, "href": href })
}

/// A start answer asking for the SMS code.
pub fn sms_start() -> Value {
    json!({
        "request-id": REQUEST,
        "confirm-type": "sms",
        "documents-to-sign": [link("document", "https://extern-api.testkontur.ru/v1/doc-1")],
        "links": [link("sign-confirm", "https://extern-api.testkontur.ru/v1/confirm")],
    })
}

/// A start answer asking for myDSS.
pub fn app_start() -> Value {
    json!({
        "task-id": TASK,
        "confirm-type": "my-dss",
        "documents-to-sign": [link("document", "https://extern-api.testkontur.ru/v1/doc-1")],
    })
}

pub fn signed_answer() -> Value {
    json!({
        "signed-documents": [link("document", "https://extern-api.testkontur.ru/v1/doc-1")],
        "links": [link("self", "https://extern-api.testkontur.ru/v1/signed")],
        "future-field": { "kept": true },
    })
}

pub fn api_error(id: &str, message: &str) -> Value {
    json!({ "id": id, "status-code": 400, "message": message, "trace-id": "trace-cloud-1" })
}

/// Quick polling for tests.
pub fn quick_polling() -> AppPolling {
    AppPolling::default().interval(Duration::from_millis(10)).deadline(Duration::from_secs(10))
}

/// A running task, then `ending`, from the task path.
pub async fn task_mocks<'a>(
    server: &'a MockServer,
    path: &str,
    running: usize,
    ending: Value,
) -> (httpmock::Mock<'a>, httpmock::Mock<'a>) {
    let running_mock = server
        .mock_async(|when, then| {
            when.method(GET).path(path.to_owned());
            then.status(200)
                .json_body(json!({ "id": TASK, "task-state": "running", "progress": "AwaitingForConfirmation" }));
        })
        .await;
    running_mock.up_to_n_times_async(running).await;
    let ending_mock = server
        .mock_async(|when, then| {
            when.method(GET).path(path.to_owned());
            then.status(200).json_body(ending);
        })
        .await;
    (running_mock, ending_mock)
}

/// Everything a formatting subscriber prints, at every level, spans included.
#[derive(Clone, Default)]
pub struct Printed(Arc<Mutex<Vec<u8>>>);

impl Write for Printed {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Printed {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }

    /// Captures what this thread logs until the guard drops.
    pub fn capture(&self) -> tracing::subscriber::DefaultGuard {
        let printed = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
            .with_writer(move || printed.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }
}

/// The error's Display, Debug and the Display of every source in its chain.
pub fn everything_said(error: &(dyn std::error::Error + 'static)) -> String {
    let mut said = format!("{error}\n{error:?}\n{error:#?}\n");
    let mut current = error.source();
    while let Some(source) = current {
        said.push_str(&format!("{source}\n{source:?}\n"));
        current = source.source();
    }
    said
}
