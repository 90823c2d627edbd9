//! Reference data: the control units the sandbox knows are its test robots.

use kontur_extern::raw::types::{ControlUnit, ControlUnitsPage};

use super::accounts::paging;
use super::{Ctx, Reply};
use crate::error::{ApiFailure, ApiResult};
use crate::model::World;
use crate::wire::{blank, vocab};

/// `(type, code, name)` of every robot.
const ROBOTS: &[(&str, &str, &str)] = &[
    ("fns", "0087", "Тестовая инспекция: принимает всё"),
    ("fns", "0088", "Тестовая инспекция: отклоняет всё"),
    ("fns", "0085", "Тестовая инспекция: просит уточнить"),
    ("stat", "00-87", "Тестовый ТОГС: принимает всё"),
    ("stat", "00-88", "Тестовый ТОГС: отклоняет всё"),
];

fn unit((kind, code, name): (&str, &str, &str)) -> ControlUnit {
    let mut wire: ControlUnit = blank();
    wire.type_ = Some(vocab(kind));
    wire.code = Some(code.to_owned());
    wire.name = Some(name.to_owned());
    wire
}

pub fn list_control_units(_world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (skip, take) = paging(ctx, 100, 1000)?;
    let kind = ctx.query("type");
    let matching: Vec<_> = ROBOTS.iter().filter(|(k, _, _)| kind.is_none_or(|kind| kind == *k)).collect();
    let mut page: ControlUnitsPage = blank();
    page.control_units = matching.iter().skip(skip).take(take).map(|robot| unit(**robot)).collect();
    page.skip = Some(skip as i64);
    page.take = Some(take as i64);
    page.total_count = Some(matching.len() as i64);
    Reply::ok(&page)
}

pub fn get_control_unit(_world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let code = ctx.param("code");
    let kind = ctx.query("controlUnitType");
    ROBOTS
        .iter()
        .find(|(k, c, _)| *c == code && kind.is_none_or(|kind| kind == *k))
        .map(|robot| Reply::ok(&unit(*robot)))
        .unwrap_or_else(|| Err(ApiFailure::not_found("control unit", code)))
}
