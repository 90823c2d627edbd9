//! `skip`/`take` lists as lazy streams of items, and the docflow search filter.
//!
//! A [`Paged<T>`] fetches a page only when the items before it are used up, asks for at most
//! the API's `take` maximum, and stops at the list's `total-count` (or at a short or empty page
//! when the API gives no count). A page that fails to load is yielded as an `Err` item, after
//! which the stream ends.
//!
//! ```no_run
//! # async fn demo(client: kontur_extern::Client, account: kontur_extern::ids::AccountId)
//! # -> Result<(), kontur_extern::Error> {
//! use futures::TryStreamExt;
//! use kontur_extern::paging::DocflowFilter;
//! use kontur_extern::vocab::DocflowType;
//!
//! let filter = DocflowFilter::new()
//!     .docflow_type(DocflowType::Fns534Report)
//!     .inn_kpp("7700000000-770001001")
//!     .finished(false);
//! let mut docflows = client.account(account).docflows().search(filter).page_size(500);
//! while let Some(docflow) = docflows.try_next().await? {
//!     println!("{} {:?}", docflow.docflow_id(), docflow.status);
//! }
//! # Ok(()) }
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use futures::Stream;
use futures::future::BoxFuture;

use crate::Error;
use crate::ids::OrganizationId;
use crate::vocab::{DocflowType, SuccessState};

/// The page size used when the caller sets none (the API's own default).
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// The largest `take` the API accepts (larger values are cut by the server).
pub const MAX_PAGE_SIZE: u32 = 1000;

/// One page of a list: its items and, when the API says, how many items the list has in all.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// `total-count` of the list.
    pub total_count: Option<u64>,
}

impl<T> Page<T> {
    /// A page of `items` out of `total_count` (negative counts are treated as unknown).
    pub fn new(items: Vec<T>, total_count: Option<i64>) -> Self {
        Self { items, total_count: total_count.and_then(|count| u64::try_from(count).ok()) }
    }
}

type FetchPage<T> = Arc<dyn Fn(u64, u32) -> BoxFuture<'static, Result<Page<T>, Error>> + Send + Sync>;

/// A lazy stream of the items of a `skip`/`take` list. Configure it before the first poll.
pub struct Paged<T> {
    fetch: FetchPage<T>,
    page_size: u32,
    max_page_size: u32,
    skip: u64,
    buffer: VecDeque<T>,
    loading: Option<BoxFuture<'static, Result<Page<T>, Error>>>,
    done: bool,
}

impl<T> fmt::Debug for Paged<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paged")
            .field("page_size", &self.page_size)
            .field("skip", &self.skip)
            .field("buffered", &self.buffer.len())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

// Items are never pinned: the stream moves them out of its buffer.
impl<T> Unpin for Paged<T> {}

impl<T: Send + 'static> Paged<T> {
    /// A stream over pages that `fetch(skip, take)` loads; `take` never exceeds `max_page_size`.
    pub fn new<F, Fut>(max_page_size: u32, fetch: F) -> Self
    where
        F: Fn(u64, u32) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Page<T>, Error>> + Send + 'static,
    {
        let max_page_size = max_page_size.max(1);
        Self {
            fetch: Arc::new(move |skip, take| Box::pin(fetch(skip, take))),
            page_size: DEFAULT_PAGE_SIZE.min(max_page_size),
            max_page_size,
            skip: 0,
            buffer: VecDeque::new(),
            loading: None,
            done: false,
        }
    }
}

impl<T> Paged<T> {
    /// Items per request (between 1 and the API's maximum; default 100).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size.clamp(1, self.max_page_size);
        self
    }

    /// Skip the first `skip` items of the list.
    pub fn starting_at(mut self, skip: u64) -> Self {
        self.skip = skip;
        self
    }

    /// How many items of the list come before the next page to load.
    pub fn position(&self) -> u64 {
        self.skip
    }
}

impl<T> Stream for Paged<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            let loading = this.loading.get_or_insert_with(|| (this.fetch)(this.skip, this.page_size));
            let page = match loading.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(page) => page,
            };
            this.loading = None;
            let page = match page {
                Ok(page) => page,
                Err(error) => {
                    this.done = true;
                    return Poll::Ready(Some(Err(error)));
                }
            };
            let count = page.items.len() as u64;
            this.skip += count;
            this.done = count == 0
                || match page.total_count {
                    Some(total) => this.skip >= total,
                    None => count < u64::from(this.page_size),
                };
            this.buffer.extend(page.items);
        }
    }
}

/// Sort order of a docflow search (`orderBy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Oldest first.
    Ascending,
    /// Newest first.
    Descending,
}

impl Order {
    /// The value on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            Order::Ascending => "ascending",
            Order::Descending => "descending",
        }
    }
}

/// Every filter of a docflow search (`GET /v1/{accountId}/docflows`, related docflows and
/// inventories). Unset filters are not sent.
///
/// Without a [`docflow_type`](Self::docflow_type) the API leaves some types out (business
/// registration, broadcasts, inventories, SEDO): name the types you need.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use kontur_extern::paging::{DocflowFilter, Order};
/// use kontur_extern::vocab::{DocflowType, SuccessState};
///
/// let filter = DocflowFilter::new()
///     .docflow_type(DocflowType::Fns534Demand)
///     .success_state(SuccessState::Failed)
///     .created_from(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap())
///     .order_by(Order::Descending);
/// assert_eq!(filter.types(), ["fns534-demand"]);
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DocflowFilter {
    pub(crate) finished: Option<bool>,
    pub(crate) incoming: Option<bool>,
    pub(crate) inn_kpp: Option<String>,
    pub(crate) org_id: Option<OrganizationId>,
    pub(crate) order_by: Option<Order>,
    pub(crate) updated_from: Option<DateTime<Utc>>,
    pub(crate) updated_to: Option<DateTime<Utc>>,
    pub(crate) created_from: Option<DateTime<Utc>>,
    pub(crate) created_to: Option<DateTime<Utc>>,
    pub(crate) types: Vec<String>,
    pub(crate) knd: Option<String>,
    pub(crate) okud: Option<String>,
    pub(crate) okpo: Option<String>,
    pub(crate) cu: Option<String>,
    pub(crate) reg_number: Option<String>,
    pub(crate) form_name: Option<String>,
    pub(crate) demands_on_reports: Option<bool>,
    pub(crate) period_from: Option<DateTime<Utc>>,
    pub(crate) period_to: Option<DateTime<Utc>>,
    pub(crate) for_all_users: Option<bool>,
    pub(crate) pfr_letter_categories: Vec<String>,
    pub(crate) demand_number: Option<String>,
    pub(crate) success_states: Vec<String>,
}

fn without_prefix(value: &str, prefix: &str) -> String {
    value.strip_prefix(prefix).unwrap_or(value).to_owned()
}

impl DocflowFilter {
    /// No filter (but see the note on types).
    pub fn new() -> Self {
        Self::default()
    }

    /// Only finished (`true`) or only unfinished (`false`) docflows.
    pub fn finished(mut self, finished: bool) -> Self {
        self.finished = Some(finished);
        self
    }

    /// Only incoming (`true`) or only outgoing (`false`) docflows.
    pub fn incoming(mut self, incoming: bool) -> Self {
        self.incoming = Some(incoming);
        self
    }

    /// The organization: `INN-KPP` for a legal entity, the bare INN for an entrepreneur.
    pub fn inn_kpp(mut self, inn_kpp: impl Into<String>) -> Self {
        self.inn_kpp = Some(inn_kpp.into());
        self
    }

    /// Only docflows of this organization.
    pub fn organization(mut self, id: OrganizationId) -> Self {
        self.org_id = Some(id);
        self
    }

    /// Sort by creation (with created bounds) or update time (with updated bounds).
    pub fn order_by(mut self, order: Order) -> Self {
        self.order_by = Some(order);
        self
    }

    /// Changed at or after this time.
    pub fn updated_from(mut self, time: DateTime<Utc>) -> Self {
        self.updated_from = Some(time);
        self
    }

    /// Changed at or before this time.
    pub fn updated_to(mut self, time: DateTime<Utc>) -> Self {
        self.updated_to = Some(time);
        self
    }

    /// Created at or after this time.
    pub fn created_from(mut self, time: DateTime<Utc>) -> Self {
        self.created_from = Some(time);
        self
    }

    /// Created at or before this time.
    pub fn created_to(mut self, time: DateTime<Utc>) -> Self {
        self.created_to = Some(time);
        self
    }

    /// Adds a docflow type (repeatable). The `urn:docflow:` prefix is removed, as the API wants.
    pub fn docflow_type(mut self, docflow_type: DocflowType) -> Self {
        self.types.push(docflow_type.short_name().to_owned());
        self
    }

    /// Adds a docflow type given as text (`fns534-report` or `urn:docflow:fns534-report`).
    pub fn docflow_type_name(mut self, docflow_type: &str) -> Self {
        self.types.push(without_prefix(docflow_type, "urn:docflow:"));
        self
    }

    /// Form code KND (seven digits).
    pub fn knd(mut self, knd: impl Into<String>) -> Self {
        self.knd = Some(knd.into());
        self
    }

    /// Form code OKUD (seven digits).
    pub fn okud(mut self, okud: impl Into<String>) -> Self {
        self.okud = Some(okud.into());
        self
    }

    /// OKPO code of the organization.
    pub fn okpo(mut self, okpo: impl Into<String>) -> Self {
        self.okpo = Some(okpo.into());
        self
    }

    /// Code of the regulator's office (`cu`).
    pub fn control_unit(mut self, code: impl Into<String>) -> Self {
        self.cu = Some(code.into());
        self
    }

    /// PFR registration number.
    pub fn reg_number(mut self, number: impl Into<String>) -> Self {
        self.reg_number = Some(number.into());
        self
    }

    /// Name of the form.
    pub fn form_name(mut self, name: impl Into<String>) -> Self {
        self.form_name = Some(name.into());
        self
    }

    /// Only FNS demands raised about filed reports.
    pub fn demands_on_reports(mut self, only: bool) -> Self {
        self.demands_on_reports = Some(only);
        self
    }

    /// The reporting period (both bounds, as the API asks).
    pub fn period(mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        self.period_from = Some(from);
        self.period_to = Some(to);
        self
    }

    /// Docflows of every user of the account (administrators only).
    pub fn for_all_users(mut self, all: bool) -> Self {
        self.for_all_users = Some(all);
        self
    }

    /// Adds a PFR letter category (repeatable); the `urn:pfr-letter-category:` prefix is removed.
    pub fn pfr_letter_category(mut self, category: &str) -> Self {
        self.pfr_letter_categories.push(without_prefix(category, "urn:pfr-letter-category:"));
        self
    }

    /// Number of an FNS demand.
    pub fn demand_number(mut self, number: impl Into<String>) -> Self {
        self.demand_number = Some(number.into());
        self
    }

    /// Adds a success state (repeatable); the `urn:docflow-state:` prefix is removed.
    pub fn success_state(mut self, state: SuccessState) -> Self {
        self.success_states.push(without_prefix(state.as_str(), "urn:docflow-state:"));
        self
    }

    /// The docflow types as they are sent (without the `urn:docflow:` prefix).
    pub fn types(&self) -> &[String] {
        &self.types
    }
}

/// Applies a [`DocflowFilter`] to a generated docflow-search builder (the three search
/// operations share their parameters).
macro_rules! apply_docflow_filter {
    ($builder:expr, $filter:expr) => {{
        let filter: &$crate::paging::DocflowFilter = $filter;
        let mut builder = $builder;
        if let Some(value) = filter.finished {
            builder = builder.finished(value);
        }
        if let Some(value) = filter.incoming {
            builder = builder.incoming(value);
        }
        if let Some(value) = &filter.inn_kpp {
            builder = builder.inn_kpp(value.clone());
        }
        if let Some(value) = filter.org_id {
            builder = builder.org_id(value);
        }
        if let Some(value) = filter.order_by {
            builder = builder.order_by(value.as_str().to_owned());
        }
        if let Some(value) = filter.updated_from {
            builder = builder.updated_from(value);
        }
        if let Some(value) = filter.updated_to {
            builder = builder.updated_to(value);
        }
        if let Some(value) = filter.created_from {
            builder = builder.created_from(value);
        }
        if let Some(value) = filter.created_to {
            builder = builder.created_to(value);
        }
        if !filter.types.is_empty() {
            builder = builder.type_(filter.types.clone());
        }
        if let Some(value) = &filter.knd {
            builder = builder.knd(value.clone());
        }
        if let Some(value) = &filter.okud {
            builder = builder.okud(value.clone());
        }
        if let Some(value) = &filter.okpo {
            builder = builder.okpo(value.clone());
        }
        if let Some(value) = &filter.cu {
            builder = builder.cu(value.clone());
        }
        if let Some(value) = &filter.reg_number {
            builder = builder.reg_number(value.clone());
        }
        if let Some(value) = &filter.form_name {
            builder = builder.form_name(value.clone());
        }
        if let Some(value) = filter.demands_on_reports {
            builder = builder.demands_on_reports(value);
        }
        if let Some(value) = filter.period_from {
            builder = builder.period_from(value);
        }
        if let Some(value) = filter.period_to {
            builder = builder.period_to(value);
        }
        if let Some(value) = filter.for_all_users {
            builder = builder.for_all_users(value);
        }
        if !filter.pfr_letter_categories.is_empty() {
            builder = builder.pfr_letter_category(filter.pfr_letter_categories.clone());
        }
        if let Some(value) = &filter.demand_number {
            builder = builder.demand_number(value.clone());
        }
        if !filter.success_states.is_empty() {
            builder = builder.success_state(filter.success_states.clone());
        }
        builder
    }};
}
pub(crate) use apply_docflow_filter;

/// `skip` as the API's `int64`, `take` as its `int32`.
pub(crate) fn wire(skip: u64, take: u32) -> (i64, i32) {
    (i64::try_from(skip).unwrap_or(i64::MAX), i32::try_from(take).unwrap_or(i32::MAX))
}
