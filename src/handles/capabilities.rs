//! The capabilities that live in their own modules (contents, the events feed, cloud signing),
//! reached from the handles of the resources they belong to.

use super::{AccountHandle, DraftHandle};
use crate::cloud::CloudSigning;
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
        Contents::new(self.ctx.client.clone(), self.id.as_uuid())
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
