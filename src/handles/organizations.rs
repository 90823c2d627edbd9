//! Organizations of an account (`/v1/{accountId}/organizations`).

use crate::Error;
use crate::handles::{Ctx, with_options};
use crate::ids::{AccountId, OrganizationId};
use crate::paging::{MAX_PAGE_SIZE, Page, Paged, wire};
use crate::raw::types;

/// The organizations of an account. From [`AccountHandle::organizations`](crate::handles::AccountHandle::organizations).
///
/// ```no_run
/// # async fn demo(account: kontur_extern::handles::AccountHandle) -> Result<(), kontur_extern::Error> {
/// use futures::TryStreamExt;
/// let romashka: Vec<_> = account.organizations().inn("7700000000").list().try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Organizations {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) inn: Option<String>,
    pub(crate) kpp: Option<String>,
}

impl Organizations {
    pub(crate) fn new(ctx: Ctx, account: AccountId) -> Self {
        Self { ctx, account, inn: None, kpp: None }
    }

    with_options!();

    /// Only organizations with this INN.
    pub fn inn(mut self, inn: impl Into<String>) -> Self {
        self.inn = Some(inn.into());
        self
    }

    /// Only organizations with this KPP.
    pub fn kpp(mut self, kpp: impl Into<String>) -> Self {
        self.kpp = Some(kpp.into());
        self
    }

    /// The organizations, page by page.
    pub fn list(&self) -> Paged<types::Organization> {
        let (ctx, account, inn, kpp) = (self.ctx.clone(), self.account, self.inn.clone(), self.kpp.clone());
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let (ctx, inn, kpp) = (ctx.clone(), inn.clone(), kpp.clone());
            async move {
                let (skip, take) = wire(skip, take);
                let mut call = ctx.raw().list_organizations().account_id(account).skip(skip).take(take);
                if let Some(inn) = inn {
                    call = call.inn(inn);
                }
                if let Some(kpp) = kpp {
                    call = call.kpp(kpp);
                }
                let page = ctx.run(None, call.send()).await?;
                Ok(Page::new(page.organizations, page.total_count))
            }
        })
    }

    /// Adds an organization to the account.
    pub async fn create(&self, request: types::CreateOrganizationRequest) -> Result<types::Organization, Error> {
        self.ctx.run(None, self.ctx.raw().create_organization().account_id(self.account).body(request).send()).await
    }
}

/// One organization. From [`AccountHandle::organization`](crate::handles::AccountHandle::organization).
///
/// ```no_run
/// # async fn demo(account: kontur_extern::handles::AccountHandle, id: kontur_extern::ids::OrganizationId)
/// # -> Result<(), kontur_extern::Error> {
/// let organization = account.organization(id);
/// let renamed = organization.rename("Romashka LLC").await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct OrganizationHandle {
    pub(crate) ctx: Ctx,
    pub(crate) account: AccountId,
    pub(crate) id: OrganizationId,
}

impl OrganizationHandle {
    pub(crate) fn new(ctx: Ctx, account: AccountId, id: OrganizationId) -> Self {
        Self { ctx, account, id }
    }

    with_options!();

    /// The organization's id.
    pub fn id(&self) -> OrganizationId {
        self.id
    }

    /// Reads the organization.
    pub async fn get(&self) -> Result<types::Organization, Error> {
        self.ctx.run(None, self.ctx.raw().get_organization().account_id(self.account).org_id(self.id).send()).await
    }

    /// Renames the organization.
    pub async fn rename(&self, name: impl Into<String>) -> Result<types::Organization, Error> {
        let body = types::RenameOrganizationRequest { name: name.into(), extra: Default::default() };
        self.ctx
            .run(None, self.ctx.raw().rename_organization().account_id(self.account).org_id(self.id).body(body).send())
            .await
    }

    /// Removes the organization from the account.
    pub async fn delete(&self) -> Result<(), Error> {
        self.ctx
            .run_unit(None, self.ctx.raw().delete_organization().account_id(self.account).org_id(self.id).send())
            .await
    }

    /// Sets who signs for the organization with a regulator.
    pub async fn update_signer(&self, request: types::UpdateSignerRequest) -> Result<(), Error> {
        self.ctx
            .run_unit(
                None,
                self.ctx
                    .raw()
                    .update_organization_signer()
                    .account_id(self.account)
                    .org_id(self.id)
                    .body(request)
                    .send(),
            )
            .await
    }

    /// The organization's subscriptions to regulators' offices.
    pub async fn control_unit_subscriptions(
        &self,
        search: types::ControlUnitSubscriptionSearch,
    ) -> Result<types::ControlUnitSubscriptionList, Error> {
        self.ctx
            .run(
                None,
                self.ctx
                    .raw()
                    .search_control_unit_subscriptions()
                    .account_id(self.account)
                    .org_id(self.id)
                    .body(search)
                    .send(),
            )
            .await
    }
}
