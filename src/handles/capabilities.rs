//! The capabilities that live in their own modules (contents, the events feed, cloud signing),
//! reached from the handles of the resources they belong to.

use super::{AccountHandle, DraftHandle, ReplyHandle};
use crate::cloud::{CloudSigning, DocumentIds, InventoryDocumentIds, ReplySigning};
use crate::contents::Contents;
use crate::events::AccountEvents;

impl AccountHandle {
    /// The account's contents: streaming upload and download in constant memory.
    ///
    /// ```no_run
    /// # use kontur_extern::contents::UploadSource;
    /// # async fn run(client: kontur_extern::Client, account: kontur_extern::ids::AccountId) -> Result<(), Box<dyn std::error::Error>> {
    /// let content_id = client.account(account).contents().upload(UploadSource::path("report.xml")).await?;
    /// # Ok(()) }
    /// ```
    pub fn contents(&self) -> Contents {
        self.ctx.contents(self.id)
    }

    /// Sharing the account's events with an integrator (`share-events`).
    pub fn events(&self) -> AccountEvents {
        AccountEvents::new(self.ctx.client.clone(), self.id.as_uuid())
    }
}

impl DraftHandle {
    /// Cloud signing of the draft's documents, confirmed by SMS or in the myDSS app.
    ///
    /// ```no_run
    /// # async fn run(client: kontur_extern::Client, account: kontur_extern::ids::AccountId, draft: kontur_extern::ids::DraftId) -> Result<(), Box<dyn std::error::Error>> {
    /// use kontur_extern::cloud::Started;
    /// match client.account(account).draft(draft).cloud_sign().start().await? {
    ///     Started::Done(signed) => println!("{} documents signed", signed.documents.len()),
    ///     Started::AwaitingCode(pending) => println!("SMS sent, request {}", pending.request_id()),
    ///     Started::AwaitingApp(pending) => println!("confirm in myDSS, task {}", pending.task_id()),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn cloud_sign(&self) -> CloudSigning {
        CloudSigning::draft(self.ctx.client.raw(), self.account.as_uuid(), self.id.as_uuid())
    }
}

impl ReplyHandle {
    /// Cloud signing of the reply (an inventory reply too). Receipts to FNS and Rosstat are
    /// signed at once unless [`force_confirmation`](ReplySigning::force_confirmation) is on.
    ///
    /// ```no_run
    /// # async fn run(reply: kontur_extern::handles::ReplyHandle) -> Result<(), Box<dyn std::error::Error>> {
    /// use kontur_extern::cloud::Started;
    /// if let Started::Done(_) = reply.cloud_sign().start().await? {
    ///     reply.send(None).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn cloud_sign(&self) -> ReplySigning {
        let raw = self.ctx.client.raw();
        match self.inventory {
            None => {
                let document = DocumentIds {
                    account_id: self.account.as_uuid(),
                    docflow_id: self.docflow.as_uuid(),
                    document_id: self.document.as_uuid(),
                };
                CloudSigning::reply(raw, document, self.id.as_uuid())
            }
            Some((inventory, inventory_document)) => {
                let document = InventoryDocumentIds {
                    account_id: self.account.as_uuid(),
                    related_docflow_id: self.docflow.as_uuid(),
                    related_document_id: self.document.as_uuid(),
                    inventory_id: inventory.as_uuid(),
                    document_id: inventory_document.as_uuid(),
                };
                CloudSigning::inventory_reply(raw, document, self.id.as_uuid())
            }
        }
    }
}

#[cfg(feature = "test-tools")]
impl crate::Client {
    /// The test stand's tools (`/test-tools/v1/...`: SMS codes of cloud signing, for one)
    /// through this client's transport and login. The login needs the `extern.test-tools` scope
    /// ([`ClientBuilder::scope`](crate::ClientBuilder::scope)).
    ///
    /// ```no_run
    /// # async fn run(client: kontur_extern::Client, account: kontur_extern::ids::AccountId, draft: kontur_extern::ids::DraftId) -> Result<(), Box<dyn std::error::Error>> {
    /// use kontur_extern::cloud::Started;
    /// if let Started::AwaitingCode(pending) = client.account(account).draft(draft).cloud_sign().start().await? {
    ///     let signed = pending.confirm_with_test_stand_code(&client.test_tools()).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn test_tools(&self) -> crate::raw_test_tools::Client {
        use progenitor_client::ClientInfo;
        let raw = self.raw();
        crate::raw_test_tools::Client::new_with_client(raw.baseurl(), raw.client().clone(), raw.inner().clone())
    }
}
