//! Accounts (`/v1`, `/v1/{accountId}`) and the account's reference lists.

use crate::Error;
use crate::handles::{
    Ctx, DocflowHandle, Docflows, DraftHandle, Drafts, DraftsBuilderHandle, DraftsBuilders, OrganizationHandle,
    Organizations, with_options,
};
use crate::ids::{AccountId, DocflowId, DraftId, DraftsBuilderId, OrganizationId};
use crate::paging::{MAX_PAGE_SIZE, Page, Paged, wire};
use crate::raw::types;

/// The accounts of the signed-in user. From [`Client::accounts`](crate::Client::accounts).
///
/// ```no_run
/// # async fn demo(client: kontur_extern::Client) -> Result<(), kontur_extern::Error> {
/// use kontur_extern::raw::types::CreateAccountRequest;
/// let account = client.accounts().create(CreateAccountRequest {
///     inn: "7700000000".into(), kpp: Some("770001001".into()), organization_name: "Romashka".into(),
///     extra: Default::default(),
/// }).await?;
/// let handle = client.account(account.account_id());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Accounts {
    pub(crate) ctx: Ctx,
}

impl Accounts {
    pub(crate) fn new(ctx: Ctx) -> Self {
        Self { ctx }
    }

    with_options!();

    /// Every account the user can work with, page by page.
    pub fn list(&self) -> Paged<types::Account> {
        let ctx = self.ctx.clone();
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let ctx = ctx.clone();
            async move {
                let (skip, take) = wire(skip, take);
                let page = ctx.run(None, ctx.raw().list_accounts().skip(skip).take(take).send()).await?;
                Ok(Page::new(page.accounts, page.total_count))
            }
        })
    }

    /// Creates an account; its organization becomes the head organization.
    pub async fn create(&self, request: types::CreateAccountRequest) -> Result<types::Account, Error> {
        self.ctx.run(None, self.ctx.raw().create_account().body(request).send()).await
    }
}

/// One account: `/v1/{accountId}`. From [`Client::account`](crate::Client::account).
///
/// ```no_run
/// # async fn demo(client: kontur_extern::Client, id: kontur_extern::ids::AccountId) -> Result<(), kontur_extern::Error> {
/// use futures::TryStreamExt;
/// let account = client.account(id);
/// let certificates: Vec<_> = account.certificates().list().try_collect().await?;
/// let drafts = account.drafts().list();
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AccountHandle {
    pub(crate) ctx: Ctx,
    pub(crate) id: AccountId,
}

impl AccountHandle {
    pub(crate) fn new(ctx: Ctx, id: AccountId) -> Self {
        Self { ctx, id }
    }

    with_options!();

    /// The account's id.
    pub fn id(&self) -> AccountId {
        self.id
    }

    /// Reads the account.
    pub async fn get(&self) -> Result<types::Account, Error> {
        self.ctx.run(None, self.ctx.raw().get_account().account_id(self.id).send()).await
    }

    /// Deletes the account (partners may delete only accounts they created).
    pub async fn delete(&self) -> Result<(), Error> {
        self.ctx.run_unit(None, self.ctx.raw().delete_account().account_id(self.id).send()).await
    }

    /// The account's drafts: create, list.
    pub fn drafts(&self) -> Drafts {
        Drafts::new(self.ctx.clone(), self.id)
    }

    /// One draft.
    pub fn draft(&self, id: DraftId) -> DraftHandle {
        DraftHandle::new(self.ctx.clone(), self.id, id)
    }

    /// The account's drafts builders.
    pub fn drafts_builders(&self) -> DraftsBuilders {
        DraftsBuilders::new(self.ctx.clone(), self.id)
    }

    /// One drafts builder.
    pub fn drafts_builder(&self, id: DraftsBuilderId) -> DraftsBuilderHandle {
        DraftsBuilderHandle::new(self.ctx.clone(), self.id, id)
    }

    /// The account's docflows: search.
    pub fn docflows(&self) -> Docflows {
        Docflows::new(self.ctx.clone(), self.id)
    }

    /// One docflow.
    pub fn docflow(&self, id: DocflowId) -> DocflowHandle {
        DocflowHandle::new(self.ctx.clone(), self.id, id)
    }

    /// The account's organizations: list, create.
    pub fn organizations(&self) -> Organizations {
        Organizations::new(self.ctx.clone(), self.id)
    }

    /// One organization.
    pub fn organization(&self, id: OrganizationId) -> OrganizationHandle {
        OrganizationHandle::new(self.ctx.clone(), self.id, id)
    }

    /// The signing certificates of the account's users.
    pub fn certificates(&self) -> Certificates {
        Certificates { ctx: self.ctx.clone(), account: self.id, for_all_users: None }
    }

    /// The warrants (powers of attorney) of the account.
    pub fn warrants(&self) -> Warrants {
        Warrants { ctx: self.ctx.clone(), account: self.id, for_all_users: None }
    }

    /// The employees of the account.
    pub fn employees(&self) -> Employees {
        Employees { ctx: self.ctx.clone(), account: self.id, for_all_users: None }
    }

    /// The users of the account.
    pub fn users(&self) -> Users {
        Users { ctx: self.ctx.clone(), account: self.id }
    }

    /// Reports tables: the reports due and filed per organization, page by page.
    pub fn reports_tables(&self, request: types::SearchReportsTablesRequest) -> Paged<types::ReportsTable> {
        let (ctx, account) = (self.ctx.clone(), self.id);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let ctx = ctx.clone();
            let mut request = request.clone();
            async move {
                request.skip = Some(i32::try_from(skip).unwrap_or(i32::MAX));
                request.take = Some(i32::try_from(take).unwrap_or(i32::MAX));
                let page =
                    ctx.run(None, ctx.raw().search_reports_tables().account_id(account).body(request).send()).await?;
                Ok(Page::new(page.reports_tables, page.total_count))
            }
        })
    }
}

/// The signing certificates of an account. From [`AccountHandle::certificates`].
///
/// ```no_run
/// # async fn demo(account: kontur_extern::handles::AccountHandle) -> Result<(), kontur_extern::Error> {
/// use futures::TryStreamExt;
/// let all: Vec<_> = account.certificates().for_all_users(true).list().try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Certificates {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) for_all_users: Option<bool>,
}

/// The warrants of an account. From [`AccountHandle::warrants`].
///
/// ```no_run
/// # async fn demo(account: kontur_extern::handles::AccountHandle) -> Result<(), kontur_extern::Error> {
/// use futures::TryStreamExt;
/// let warrants: Vec<_> = account.warrants().list().try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Warrants {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) for_all_users: Option<bool>,
}

/// The employees of an account. From [`AccountHandle::employees`].
///
/// ```no_run
/// # async fn demo(account: kontur_extern::handles::AccountHandle) -> Result<(), kontur_extern::Error> {
/// use futures::TryStreamExt;
/// let employees: Vec<_> = account.employees().list().try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Employees {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) for_all_users: Option<bool>,
}

/// The users of an account. From [`AccountHandle::users`].
///
/// ```no_run
/// # async fn demo(account: kontur_extern::handles::AccountHandle) -> Result<(), kontur_extern::Error> {
/// use futures::TryStreamExt;
/// let users: Vec<_> = account.users().list().try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Users {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
}

macro_rules! for_all_users {
    ($name:ident) => {
        impl $name {
            with_options!();

            /// Include the items of every user of the account (administrators only).
            pub fn for_all_users(mut self, all: bool) -> Self {
                self.for_all_users = Some(all);
                self
            }
        }
    };
}
for_all_users!(Certificates);
for_all_users!(Warrants);
for_all_users!(Employees);

impl Certificates {
    /// The certificates, page by page.
    pub fn list(&self) -> Paged<types::AccountCertificate> {
        let (ctx, account, all) = (self.ctx.clone(), self.account, self.for_all_users);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let ctx = ctx.clone();
            async move {
                let (skip, take) = wire(skip, take);
                let mut call = ctx.raw().list_account_certificates().account_id(account).skip(skip).take(take);
                if let Some(all) = all {
                    call = call.for_all_users(all);
                }
                let page = ctx.run(None, call.send()).await?;
                Ok(Page::new(page.certificates, page.total_count))
            }
        })
    }
}

impl Warrants {
    /// The warrants, page by page.
    pub fn list(&self) -> Paged<types::Warrant> {
        let (ctx, account, all) = (self.ctx.clone(), self.account, self.for_all_users);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let ctx = ctx.clone();
            async move {
                let (skip, take) = wire(skip, take);
                let mut call = ctx.raw().list_account_warrants().account_id(account).skip(skip).take(take);
                if let Some(all) = all {
                    call = call.for_all_users(all);
                }
                let page = ctx.run(None, call.send()).await?;
                Ok(Page::new(page.warrants, page.total_count))
            }
        })
    }
}

impl Employees {
    /// The employees, page by page.
    pub fn list(&self) -> Paged<types::Employee> {
        let (ctx, account, all) = (self.ctx.clone(), self.account, self.for_all_users);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let ctx = ctx.clone();
            async move {
                let (skip, take) = wire(skip, take);
                let mut call = ctx.raw().list_account_employees().account_id(account).skip(skip).take(take);
                if let Some(all) = all {
                    call = call.for_all_users(all);
                }
                let page = ctx.run(None, call.send()).await?;
                Ok(Page::new(page.employees, page.total_count))
            }
        })
    }
}

impl Users {
    with_options!();

    /// The users, page by page.
    pub fn list(&self) -> Paged<types::AccountUser> {
        let (ctx, account) = (self.ctx.clone(), self.account);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let ctx = ctx.clone();
            async move {
                let (skip, take) = wire(skip, take);
                let page = ctx
                    .run(None, ctx.raw().list_account_users().account_id(account).skip(skip).take(take).send())
                    .await?;
                Ok(Page::new(page.users, page.total_count))
            }
        })
    }
}
