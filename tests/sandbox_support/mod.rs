//! Shared set-up of the `sandbox_*` tests: the in-process sandbox, the crate's real client logged
//! in to it over loopback HTTP, and the steps a filing takes, all through the ergonomic layer.
#![allow(dead_code)]

use std::time::Duration;

use kontur_extern::handles::{AccountHandle, DraftHandle, NewDraft};
use kontur_extern::ids::{AccountId, DocflowId};
use kontur_extern::raw::types;
use kontur_extern::tasks::{SendOutcome, WaitPolicy};
use kontur_extern::{Client, ClientBuilder, Environment};
use kontur_extern_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use secrecy::SecretString;
use serde_json::{Value, json};

/// A running sandbox and a client logged in to it with the seeded user's password.
pub struct Stand {
    pub sandbox: SandboxHandle,
    pub client: Client,
    pub account_id: AccountId,
}

/// A sandbox whose time moves only when a test advances it.
pub async fn start() -> Stand {
    start_with(stopped_clock()).await
}

/// The default configuration with the sandbox clock stopped.
pub fn stopped_clock() -> SandboxConfig {
    SandboxConfig { speed: 0.0, ..SandboxConfig::default() }
}

pub async fn start_with(config: SandboxConfig) -> Stand {
    let sandbox = Sandbox::start(config).await.expect("the sandbox starts on loopback");
    let client = password_client(&sandbox).build().expect("the client builds");
    let account_id = AccountId::from(sandbox.credentials.account_id);
    Stand { sandbox, client, account_id }
}

/// The sandbox's hosts and the seeded integrator, with no login chosen yet.
pub fn builder(sandbox: &SandboxHandle) -> ClientBuilder {
    let credentials = &sandbox.credentials;
    Client::builder()
        .environment(Environment::new(&sandbox.api_url, &sandbox.identity_url).expect("loopback URLs"))
        .client(credentials.client_id.clone(), SecretString::from(credentials.api_key.clone()))
}

/// [`builder`] with the seeded user's login and password, and the scope for the test tools too.
pub fn password_client(sandbox: &SandboxHandle) -> ClientBuilder {
    let credentials = &sandbox.credentials;
    builder(sandbox)
        .password(credentials.login.clone(), SecretString::from(credentials.password.clone()))
        .scope("extern.api extern.test-tools")
}

/// A wire value written as JSON.
pub fn wire<T: serde::de::DeserializeOwned>(value: Value) -> T {
    serde_json::from_value(value).expect("test JSON matches the wire type")
}

/// Task polling for a sandbox whose clock a test moves: short pauses, a deadline that fails a
/// hung test quickly.
pub fn quick_polls() -> WaitPolicy {
    WaitPolicy::default()
        .first_interval(Duration::from_millis(20))
        .max_interval(Duration::from_millis(50))
        .deadline(Duration::from_secs(20))
}

impl Stand {
    pub fn account(&self) -> AccountHandle {
        self.client.account(self.account_id)
    }

    /// The seeded user's cloud certificate (the bytes the API takes as `certificate-base64`).
    pub async fn cloud_certificate(&self) -> Vec<u8> {
        use futures::TryStreamExt;
        let certificates: Vec<types::AccountCertificate> =
            self.account().certificates().list().try_collect().await.expect("the certificates list");
        let cloud = certificates
            .iter()
            .find(|c| c.extra.get("is-cloud") == Some(&Value::Bool(true)))
            .expect("the seeded user has a cloud certificate");
        let content = cloud.content.clone().expect("with its content");
        types::Base64Bytes(content).decode().expect("base64 content")
    }

    /// A draft to FNS inspection `ifns_code` with one uploaded document, not signed yet.
    pub async fn draft_with_document(&self, ifns_code: &str, report: &[u8]) -> (DraftHandle, types::DraftDocument) {
        let certificate = self.cloud_certificate().await;
        let meta: types::DraftMeta = wire(json!({
            "sender": { "inn": "7700000087", "kpp": "770001001",
                        "certificate": { "content": kontur_extern::raw::types::Base64Bytes::encode(&certificate) } },
            "payer": { "inn": "7700000087", "organization": { "kpp": "770001001" } },
            "recipient": { "ifns-code": ifns_code },
        }));
        let draft = self.account().drafts().create(NewDraft::from(meta)).await.expect("the draft is created");
        let draft = self.account().draft(draft.id.into());
        let content_id = self
            .account()
            .contents()
            .upload(bytes::Bytes::copy_from_slice(report))
            .await
            .expect("the report is uploaded");
        let document = draft
            .add_document(wire(json!({
                "content-id": content_id,
                "description": { "content-type": "application/xml", "filename": "NO_NDS.xml" },
            })))
            .await
            .expect("the document is added");
        (draft, document)
    }

    /// A draft whose one document carries a detached signature.
    pub async fn signed_draft(&self, ifns_code: &str) -> DraftHandle {
        let (draft, document) = self.draft_with_document(ifns_code, "<Файл>НДС</Файл>".as_bytes()).await;
        draft.document(document.id.into()).signatures().add(b"detached CMS signature").await.expect("signed");
        draft
    }

    /// Runs a task future while moving the sandbox clock, so tasks finish without real waiting.
    pub async fn with_clock_running<F: std::future::Future>(&self, task: F) -> F::Output {
        let ticker = async {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                self.sandbox.advance(Duration::from_secs(1)).await;
            }
        };
        tokio::select! {
            output = task => output,
            () = ticker => unreachable!("the ticker never ends"),
        }
    }

    /// check → prepare → send through the layer's tasks; the new docflow.
    pub async fn send(&self, draft: &DraftHandle) -> DocflowId {
        let check = self
            .with_clock_running(async { draft.check().await?.with_policy(quick_polls()).wait().await })
            .await
            .expect("the check task ends");
        let data = check.data.as_ref().expect("a check protocol");
        assert!(data.common_errors.is_empty(), "check: {data:?}");
        assert!(data.documents_errors.is_empty(), "check: {data:?}");
        self.with_clock_running(async { draft.prepare().await?.with_policy(quick_polls()).wait().await })
            .await
            .expect("the prepare task ends");
        let sent = self
            .with_clock_running(async { draft.send().await?.with_policy(quick_polls()).wait().await })
            .await
            .expect("the send task ends");
        match sent {
            SendOutcome::Sent(docflow) => docflow.docflow_id(),
            other => panic!("the draft was not sent: {other:?}"),
        }
    }
}

/// The SMS code of a cloud request as text, read through the test tools (to make a wrong one).
pub async fn sms_code_text(tools: &kontur_extern::raw_test_tools::Client, request_id: &str) -> String {
    use futures::TryStreamExt;
    use kontur_extern::transport::SendExt;
    let answer = tools
        .get_cloud_sign_confirmation_code()
        .request_id(request_id)
        .send()
        .checked()
        .await
        .expect("the test tools know the request");
    let bytes: Vec<u8> =
        answer.into_inner().into_inner().map_ok(|chunk| chunk.to_vec()).try_concat().await.expect("the code");
    String::from_utf8(bytes).expect("text").trim().trim_matches('"').to_owned()
}

/// A code that is not `code`: the same length, every digit moved by one.
pub fn wrong_code(code: &str) -> kontur_extern::cloud::ConfirmationCode {
    let wrong: String = code
        .chars()
        .map(|c| c.to_digit(10).map_or('0', |digit| char::from_digit((digit + 1) % 10, 10).unwrap()))
        .collect();
    assert_ne!(wrong, code);
    kontur_extern::cloud::ConfirmationCode::new(wrong)
}

/// The first document a regulator sent in `docflow` (signed by `cu-representative`).
pub fn regulator_document(docflow: &types::Docflow) -> &types::Document {
    docflow
        .documents
        .iter()
        .find(|document| {
            document
                .signatures
                .iter()
                .any(|signature| signature.signer_type.as_ref().is_some_and(|signer| *signer == "cu-representative"))
        })
        .expect("the regulator answered")
}
