//! Accounts, their certificates and organizations.

use axum::http::StatusCode;
use kontur_extern::raw::types::{
    Account, AccountCertificate, AccountCertificateList, AccountList, AccountUser, AccountUserList,
    CreateAccountRequest, CreateOrganizationRequest, EmployeeList, Organization, OrganizationBatch,
    OrganizationGeneral, RenameOrganizationRequest, WarrantList,
};
use uuid::Uuid;

use super::{Ctx, Reply, account};
use crate::error::{ApiFailure, ApiResult};
use crate::model::{AccountRecord, OrganizationRecord, World};
use crate::wire::{blank, date, link, with_id};

fn account_wire(ctx: &Ctx, record: &AccountRecord) -> Account {
    let mut wire: Account = with_id(record.id);
    wire.inn = Some(record.inn.clone());
    wire.kpp = record.kpp.clone();
    wire.name = Some(record.name.clone());
    wire.organization_name = Some(record.name.clone());
    wire.role = Some("admin".to_owned());
    wire.links = vec![
        link(ctx.url(&format!("/v1/{}", record.id)), "self"),
        link(ctx.url(&format!("/v1/{}/organizations", record.id)), "organizations"),
        link(ctx.url(&format!("/v1/{}/drafts", record.id)), "drafts"),
        link(ctx.url(&format!("/v1/{}/docflows", record.id)), "docflows"),
        link(ctx.url(&format!("/v1/{}/certificates", record.id)), "certificates"),
    ];
    wire
}

/// Page bounds from `skip`/`take` (400 on negatives).
pub fn paging(ctx: &Ctx, default_take: i64, max_take: i64) -> ApiResult<(usize, usize)> {
    let skip = ctx.query_number("skip")?.unwrap_or(0);
    let take = ctx.query_number("take")?.unwrap_or(default_take);
    if skip < 0 || take < 0 || take > max_take {
        return Err(ApiFailure::bad_request(format!("skip must be ≥ 0 and take within 0..={max_take}")));
    }
    Ok((skip as usize, take as usize))
}

pub fn list_accounts(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (skip, take) = paging(ctx, 100, 1000)?;
    let accounts: Vec<Account> = world.accounts.values().skip(skip).take(take).map(|a| account_wire(ctx, a)).collect();
    Reply::ok(&AccountList {
        accounts,
        skip: Some(skip as i64),
        take: Some(take as i64),
        total_count: Some(world.accounts.len() as i64),
        ..blank()
    })
}

pub fn create_account(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let request: CreateAccountRequest = ctx.json()?;
    if request.inn.trim().is_empty() {
        return Err(ApiFailure::bad_request("inn is required"));
    }
    let id = Uuid::new_v4();
    let record = AccountRecord {
        id,
        inn: request.inn.clone(),
        kpp: request.kpp.clone(),
        name: request.organization_name.clone(),
        organizations: vec![OrganizationRecord {
            id: Uuid::new_v4(),
            inn: request.inn,
            kpp: request.kpp,
            name: request.organization_name,
            is_main: true,
        }],
        certificates: world.accounts.values().next().map(|a| a.certificates.clone()).unwrap_or_default(),
    };
    let wire = account_wire(ctx, &record);
    world.accounts.insert(id, record);
    Reply::with_status(StatusCode::CREATED, &wire)
}

pub fn get_account(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    Reply::ok(&account_wire(ctx, account(world, ctx)?))
}

pub fn delete_account(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = account(world, ctx)?.id;
    if world.accounts.len() == 1 {
        return Err(ApiFailure::conflict("urn:error:externapi:lastAccount", "the sandbox keeps its last account"));
    }
    world.accounts.remove(&id);
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}

pub fn list_account_certificates(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let record = account(world, ctx)?;
    let (skip, take) = paging(ctx, 100, 1000)?;
    let certificates: Vec<AccountCertificate> = record
        .certificates
        .iter()
        .skip(skip)
        .take(take)
        .map(|certificate| {
            let mut wire: AccountCertificate = blank();
            wire.content = Some(base64_text(&certificate.content));
            wire.thumbprint = Some(certificate.thumbprint.clone());
            wire.serial_number = Some(certificate.serial_number.clone());
            wire.fio = Some(certificate.fio.clone());
            wire.inn = Some(certificate.inn.clone());
            wire.expired_at = Some(date(certificate.expires_at));
            wire.is_qualified = Some(true);
            wire.is_valid = Some(certificate.expires_at > ctx.now);
            wire.extra.insert("is-cloud".to_owned(), serde_json::Value::Bool(certificate.cloud));
            wire
        })
        .collect();
    Reply::ok(&AccountCertificateList {
        certificates,
        skip: Some(skip as i64),
        take: Some(take as i64),
        total_count: Some(record.certificates.len() as i64),
        ..blank()
    })
}

/// Bytes as base64 text.
pub fn base64_text(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn organization_wire(ctx: &Ctx, account_id: Uuid, record: &OrganizationRecord) -> Organization {
    let mut wire: Organization = with_id(record.id);
    wire.general = Some(OrganizationGeneral {
        inn: Some(record.inn.clone()),
        kpp: record.kpp.clone(),
        name: Some(record.name.clone()),
        is_main_org: Some(record.is_main),
        links: vec![link(ctx.url(&format!("/v1/{account_id}/organizations/{}", record.id)), "self")],
        ..blank()
    });
    wire
}

pub fn list_organizations(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let record = account(world, ctx)?;
    let (skip, take) = paging(ctx, 100, 1000)?;
    let inn = ctx.query("inn");
    let kpp = ctx.query("kpp");
    let matching: Vec<&OrganizationRecord> = record
        .organizations
        .iter()
        .filter(|org| inn.is_none_or(|inn| org.inn == inn) && kpp.is_none_or(|kpp| org.kpp.as_deref() == Some(kpp)))
        .collect();
    Reply::ok(&OrganizationBatch {
        organizations: matching
            .iter()
            .skip(skip)
            .take(take)
            .map(|org| organization_wire(ctx, record.id, org))
            .collect(),
        skip: Some(skip as i64),
        take: Some(take as i64),
        total_count: Some(matching.len() as i64),
        ..blank()
    })
}

pub fn create_organization(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let request: CreateOrganizationRequest = ctx.json()?;
    let record = OrganizationRecord {
        id: Uuid::new_v4(),
        inn: request.inn,
        kpp: request.kpp,
        name: request.name,
        is_main: false,
    };
    let wire = organization_wire(ctx, account_id, &record);
    if let Some(account) = world.accounts.get_mut(&account_id) {
        account.organizations.push(record);
    }
    Reply::with_status(StatusCode::CREATED, &wire)
}

/// The account and the index of the organization named by the path (404 for either unknown).
pub fn organization_index(world: &World, ctx: &Ctx) -> ApiResult<(Uuid, usize)> {
    let record = account(world, ctx)?;
    let org_id = ctx.id("orgId", "organization")?;
    let index = record
        .organizations
        .iter()
        .position(|org| org.id == org_id)
        .ok_or_else(|| ApiFailure::not_found("organization", &org_id.to_string()))?;
    Ok((record.id, index))
}

pub fn get_organization(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (account_id, index) = organization_index(world, ctx)?;
    Reply::ok(&organization_wire(ctx, account_id, &world.accounts[&account_id].organizations[index]))
}

pub fn rename_organization(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (account_id, index) = organization_index(world, ctx)?;
    let request: RenameOrganizationRequest = ctx.json()?;
    let Some(account) = world.accounts.get_mut(&account_id) else {
        return Err(ApiFailure::not_found("account", ""));
    };
    account.organizations[index].name = request.name;
    Reply::ok(&organization_wire(ctx, account_id, &account.organizations[index]))
}

pub fn delete_organization(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (account_id, index) = organization_index(world, ctx)?;
    let Some(account) = world.accounts.get_mut(&account_id) else {
        return Err(ApiFailure::not_found("account", ""));
    };
    if account.organizations[index].is_main {
        return Err(ApiFailure::conflict(
            "urn:error:externapi:mainOrganization",
            "the head organization of an account stays",
        ));
    }
    account.organizations.remove(index);
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}

pub fn list_account_users(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let (skip, take) = paging(ctx, 100, 1000)?;
    let mut list: AccountUserList = blank();
    list.users = world
        .identity
        .users
        .iter()
        .skip(skip)
        .take(take)
        .map(|user| {
            let mut wire: AccountUser = blank();
            wire.id = Some(user.id.to_string());
            wire.account_id = Some(account_id);
            wire.login = Some(user.login.clone());
            wire
        })
        .collect();
    list.skip = Some(skip as i64);
    list.take = Some(take as i64);
    list.total_count = Some(world.identity.users.len() as i64);
    Reply::ok(&list)
}

/// The sandbox keeps no employees: an empty page.
pub fn list_account_employees(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    account(world, ctx)?;
    let (skip, take) = paging(ctx, 100, 1000)?;
    let mut list: EmployeeList = blank();
    list.skip = Some(skip as i64);
    list.take = Some(take as i64);
    list.total_count = Some(0);
    Reply::ok(&list)
}

/// The sandbox keeps no warrants: an empty page.
pub fn list_account_warrants(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    account(world, ctx)?;
    let (skip, take) = paging(ctx, 100, 1000)?;
    let mut list: WarrantList = blank();
    list.skip = Some(skip as i64);
    list.take = Some(take as i64);
    list.total_count = Some(0);
    Reply::ok(&list)
}
