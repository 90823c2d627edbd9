//! The events feed: how an integrator learns, for all its users at once, that a docflow moved
//! (a regulator answered, a receipt came, a report was accepted).
//!
//! [`Events::feed`] reads the feed as a [`Stream`](futures::Stream) of [`Batch`]es that never
//! skips an event and survives restarts: the place in the feed is an [`EventCursor`] kept in a
//! [`CursorStore`], and it moves only when the consumer [commits](Batch::commit) a batch it has
//! handled. A consumer that dies between handling and committing gets the batch again on
//! restart, so delivery is **at least once**; [`Event::id`] identifies an event for
//! deduplication.
//!
//! Users let the integrator read their events with [`AccountEvents::share`]; the integrator
//! lists and drops them with [`Events::publishers`] and [`Events::delete_publisher`].
//!
//! A consumer that keeps its cursor in a file:
//!
//! ```no_run
//! use futures::StreamExt;
//! use kontur_extern::events::{FeedPolicy, FileCursorStore};
//! use std::time::Duration;
//!
//! # async fn handle(_: &kontur_extern::events::Event) {}
//! # async fn run(client: kontur_extern::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let store = FileCursorStore::new("/var/lib/my-service/events.cursor");
//! // Send on `stop` (or drop it) to shut down; a tokio-util `CancellationToken` works the same
//! // way through `token.cancelled_owned()`.
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let mut feed = client
//!     .events()
//!     .feed(store)
//!     .policy(FeedPolicy::default().take(500).poll_interval(Duration::from_secs(20)))
//!     .stop_on(stopped)
//!     .start()
//!     .await?;
//! while let Some(batch) = feed.next().await {
//!     let batch = match batch {
//!         Ok(batch) => batch,
//!         // The feed goes on by itself after a pause; log and keep reading.
//!         Err(error) => { eprintln!("events feed: {error}"); continue; }
//!     };
//!     for event in &batch {
//!         // May see an event again after a crash: `event.id()` tells repeats apart.
//!         handle(event).await;
//!     }
//!     batch.commit().await?;
//! }
//! # drop(stop);
//! # Ok(()) }
//! ```

mod cursor;
mod share;
mod stream;

use uuid::Uuid;

pub use self::cursor::{CursorStore, EventCursor, FileCursorStore, FileStoreError, InvalidCursor, MemoryCursorStore};
pub use self::share::{DocumentForm, EventFilter};
pub use self::stream::{Backoff, Batch, BatchAck, EventStream, ExponentialBackoff, FeedBuilder, FeedPolicy};
use crate::raw::types::{self, ApiEvent, Link};
use crate::transport::SendExt;
use crate::vocab::{DocflowType, TransactionKind};
use crate::{Client, Error, ExternDateTime};

impl Client {
    /// The events feed and event publishers of the integrator.
    pub fn events(&self) -> Events {
        Events { client: self.clone() }
    }
}

/// The integrator's events: the feed of every user who shares events with it, and those users
/// (event publishers). Made by [`Client::events`].
#[derive(Clone, Debug)]
pub struct Events {
    client: Client,
}

impl Events {
    /// The feed, read from the cursor in `store` (or from the start) with the default policy;
    /// set the policy and a stop signal on the builder, then [`start`](FeedBuilder::start) it.
    pub fn feed<S: CursorStore>(&self, store: S) -> FeedBuilder<S> {
        FeedBuilder::new(self.clone(), store)
    }

    /// The docflow an event is about, in one request: found by the event's account and docflow
    /// ids, or, when the event lacks them, by its docflow link.
    ///
    /// ```no_run
    /// # async fn demo(client: kontur_extern::Client, event: kontur_extern::events::Event)
    /// # -> Result<(), kontur_extern::Error> {
    /// let docflow = client.events().docflow(&event).await?;
    /// println!("{:?} is now {:?}", docflow.id, docflow.status);
    /// # Ok(()) }
    /// ```
    pub async fn docflow(&self, event: &Event) -> Result<types::Docflow, Error> {
        let (account_id, docflow_id) = event.docflow_ids().ok_or_else(|| Error::InvalidRequest {
            operation: Some("get_docflow"),
            message: format!("event {:?} names no docflow (no ids, no docflow link)", event.id().unwrap_or("")),
        })?;
        let answer =
            self.client.raw().get_docflow().account_id(account_id).docflow_id(docflow_id).send().checked().await?;
        Ok(answer.into_inner())
    }

    /// The users who let this integrator read their events.
    ///
    /// ```no_run
    /// # async fn demo(client: kontur_extern::Client) -> Result<(), kontur_extern::Error> {
    /// for publisher in client.events().publishers().await? {
    ///     println!("{:?} shares {:?}", publisher.account_id, publisher.events_filter);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn publishers(&self) -> Result<Vec<types::EventPublisher>, Error> {
        let answer = self.client.raw().list_event_publishers().send().checked().await?;
        Ok(answer.into_inner().event_publishers)
    }

    /// Stops reading the events of one publisher (its id from [`publishers`](Self::publishers)).
    ///
    /// ```no_run
    /// # async fn demo(client: kontur_extern::Client) -> Result<(), kontur_extern::Error> {
    /// client.events().delete_publisher("pub-17").await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_publisher(&self, publisher_id: &str) -> Result<(), Error> {
        self.client.raw().delete_event_publisher().publisher_id(publisher_id).send().checked().await?;
        Ok(())
    }

    /// The events part of one account: sharing its events with an integrator.
    pub fn account(&self, account_id: Uuid) -> AccountEvents {
        AccountEvents::new(self.client.clone(), account_id)
    }
}

/// The events of one account: letting an integrator's service read them.
#[derive(Clone, Debug)]
pub struct AccountEvents {
    client: Client,
    account_id: Uuid,
}

impl AccountEvents {
    /// The events of `account_id`, through `client`.
    pub fn new(client: Client, account_id: Uuid) -> Self {
        Self { client, account_id }
    }

    /// The account this handle works on.
    pub fn account_id(&self) -> Uuid {
        self.account_id
    }

    /// Lets the integrator service `subscriber` (its service name, issued with the feed) read this
    /// account's events that pass `filter`. Called by the account's administrator; the user
    /// becomes one of the subscriber's [event publishers](Events::publishers).
    ///
    /// ```no_run
    /// # async fn demo(client: kontur_extern::Client, account_id: uuid::Uuid) -> Result<(), kontur_extern::Error> {
    /// use kontur_extern::events::{AccountEvents, EventFilter};
    /// use kontur_extern::vocab::DocflowType;
    ///
    /// let filter = EventFilter::all().docflow_type(DocflowType::Fns534Demand);
    /// AccountEvents::new(client, account_id).share("my-service", &filter).await?;
    /// # Ok(()) }
    /// ```
    pub async fn share(&self, subscriber: &str, filter: &EventFilter) -> Result<(), Error> {
        self.client
            .raw()
            .share_events()
            .account_id(self.account_id)
            .body_map(|body| body.subscriber(subscriber.to_owned()).events_filter(filter.to_raw()))
            .send()
            .checked()
            .await?;
        Ok(())
    }
}

/// One change of a docflow's state, as the feed reports it. Fields the API adds later are kept
/// in [`as_raw`](Self::as_raw)`().extra`.
#[derive(Clone, Debug, PartialEq)]
pub struct Event(ApiEvent);

impl Event {
    /// The event's id: unique in the feed, so it tells a repeated delivery apart. It is also a
    /// cursor (the feed's position at this event).
    pub fn id(&self) -> Option<&str> {
        self.0.id.as_deref()
    }

    /// The docflow that changed.
    pub fn docflow_id(&self) -> Option<Uuid> {
        self.0.docflow_id
    }

    /// The account the docflow belongs to.
    pub fn account_id(&self) -> Option<Uuid> {
        self.0.account_id
    }

    /// The type of the docflow (`urn:docflow:fns534-report`, ...).
    pub fn docflow_type(&self) -> Option<&DocflowType> {
        self.0.docflow_type.as_ref()
    }

    /// What happened: the transaction the docflow went through (`urn:transaction:report-receipt`).
    /// Values this crate does not know arrive intact as [`TransactionKind::Unknown`].
    pub fn new_state(&self) -> Option<&TransactionKind> {
        self.0.new_state.as_ref()
    }

    /// When it happened.
    pub fn date(&self) -> Option<&ExternDateTime> {
        self.0.event_date_time.as_ref()
    }

    /// The link to the docflow.
    pub fn docflow_link(&self) -> Option<&Link> {
        self.0.docflow_link.as_ref()
    }

    /// INN of the organization the docflow belongs to.
    pub fn inn(&self) -> Option<&str> {
        self.0.inn.as_deref()
    }

    /// KPP of the organization the docflow belongs to.
    pub fn kpp(&self) -> Option<&str> {
        self.0.kpp.as_deref()
    }

    /// For a docflow answering another one (a reply to a demand): the original docflow.
    pub fn related_docflow_id(&self) -> Option<Uuid> {
        self.0.related_docflow_id
    }

    /// For a docflow answering another one: the document it answers.
    pub fn related_document_id(&self) -> Option<Uuid> {
        self.0.related_document_id
    }

    /// The event as decoded from the wire, unknown fields included.
    pub fn as_raw(&self) -> &ApiEvent {
        &self.0
    }

    /// The event as decoded from the wire.
    pub fn into_raw(self) -> ApiEvent {
        self.0
    }

    /// The account and docflow ids: the event's own, or read from its docflow link
    /// (`.../v1/{accountId}/docflows/{docflowId}`).
    pub fn docflow_ids(&self) -> Option<(Uuid, Uuid)> {
        if let (Some(account), Some(docflow)) = (self.0.account_id, self.0.docflow_id) {
            return Some((account, docflow));
        }
        let href = self.0.docflow_link.as_ref()?.href.as_deref()?;
        ids_from_docflow_path(href)
    }
}

impl From<ApiEvent> for Event {
    fn from(event: ApiEvent) -> Self {
        Self(event)
    }
}

/// `(accountId, docflowId)` from an absolute or relative docflow address.
fn ids_from_docflow_path(href: &str) -> Option<(Uuid, Uuid)> {
    let path = match url::Url::parse(href) {
        Ok(url) => url.path().to_owned(),
        Err(_) => href.split(['?', '#']).next().unwrap_or_default().to_owned(),
    };
    let segments: Vec<&str> = path.split('/').filter(|segment| !segment.is_empty()).collect();
    let at = segments.iter().position(|segment| *segment == "docflows")?;
    let account = segments.get(at.checked_sub(1)?)?.parse().ok()?;
    let docflow = segments.get(at + 1)?.parse().ok()?;
    Some((account, docflow))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docflow_ids_come_from_the_link_when_the_event_lacks_them() {
        let account = "6b1a2f1e-9a51-4d55-9c0e-0f5d3b2a7c11";
        let docflow = "a9bc74bd-311b-43f0-aff7-faba24ce35d9";
        for href in [
            format!("https://extern-api.testkontur.ru/v1/{account}/docflows/{docflow}"),
            format!("/v1/{account}/docflows/{docflow}?x=1"),
        ] {
            let raw = ApiEvent {
                docflow_link: Some(Link { href: Some(href.clone()), ..Default::default() }),
                ..Default::default()
            };
            let ids = Event::from(raw).docflow_ids();
            assert_eq!(ids, Some((account.parse().unwrap(), docflow.parse().unwrap())), "{href}");
        }
        assert_eq!(ids_from_docflow_path("/v1/docflows/not-an-id"), None);
    }
}
