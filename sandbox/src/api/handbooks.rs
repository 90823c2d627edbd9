//! Reference data: the control units the sandbox knows are its test robots; FNS forms and the
//! MVD reference books are small samples, enough to page and filter, not the real handbooks.

use kontur_extern::raw::types::{ControlUnit, ControlUnitsPage, FnsForm, FnsFormsPage, HandbookItem, HandbookPage};

use serde::Serialize;
use serde::de::DeserializeOwned;

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

/// A page of reference data: `items` under `field`, with the page's bounds and the number of
/// matches. Going through serde gives the three page types one shape.
fn page<P: DeserializeOwned + Default, T: Serialize>(
    field: &str,
    items: Vec<T>,
    (skip, take): (usize, usize),
    total: usize,
) -> P {
    serde_json::from_value(serde_json::json!({ field: items, "skip": skip, "take": take, "total-count": total }))
        .unwrap_or_default()
}

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
    let units = matching.iter().skip(skip).take(take).map(|robot| unit(**robot)).collect();
    Reply::ok(&page::<ControlUnitsPage, _>("control-units", units, (skip, take), matching.len()))
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

/// `(knd, name, version, period-begin, period-end, period in words)` of the sample FNS forms.
const FNS_FORMS: &[(&str, &str, &str, &str, &str, &str)] = &[
    ("1151001", "Налоговая декларация по НДС", "5.08", "2024-01-01", "", "с 1 квартала 2024 года"),
    ("1151001", "Налоговая декларация по НДС", "5.07", "2023-01-01", "2023-12-31", "2023 год"),
    ("1151006", "Налоговая декларация по налогу на прибыль", "5.08", "2025-01-01", "", "с 2025 года"),
    ("1151111", "Расчёт по страховым взносам", "5.08", "2025-01-01", "", "с 2025 года"),
];

fn fns_form((knd, name, version, begin, end, words): (&str, &str, &str, &str, &str, &str)) -> FnsForm {
    let mut wire: FnsForm = blank();
    wire.knd = Some(knd.to_owned());
    wire.name = Some(name.to_owned());
    wire.version = Some(version.to_owned());
    wire.period_begin = Some(begin.to_owned());
    // An open-ended version has no end.
    wire.period_end = (!end.is_empty()).then(|| end.to_owned());
    wire.description_period = Some(words.to_owned());
    wire
}

/// Versions of the sample FNS forms, of one KND when `knd` is given (an unknown KND: no forms).
pub fn list_fns_forms(_world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (skip, take) = paging(ctx, 100, 1000)?;
    let knd = ctx.query("knd");
    let matching: Vec<_> = FNS_FORMS.iter().filter(|form| knd.is_none_or(|knd| knd == form.0)).collect();
    let forms = matching.iter().skip(skip).take(take).map(|form| fns_form(**form)).collect();
    Reply::ok(&page::<FnsFormsPage, _>("fns-forms", forms, (skip, take), matching.len()))
}

/// `(handbook type, [(code, name)])` of every MVD reference book the API names.
const HANDBOOKS: &[(&str, &[(&str, &str)])] = &[
    ("mvd-citizenship", &[("051", "Армения"), ("112", "Беларусь"), ("398", "Казахстан"), ("860", "Узбекистан")]),
    ("mvd-professions-speciality", &[("12680", "Каменщик"), ("19727", "Штукатур")]),
    ("mvd-regions-rf", &[("66", "Свердловская область"), ("77", "г. Москва"), ("78", "г. Санкт-Петербург")]),
    ("mvd-work-permits", &[("1", "Разрешение на работу"), ("2", "Патент")]),
    ("mvd-employer-status", &[("1", "Юридическое лицо"), ("2", "Индивидуальный предприниматель")]),
    ("mvd-hqs-employer-status", &[("1", "Юридическое лицо"), ("2", "Филиал иностранной организации")]),
    (
        "mvd-okved",
        &[("41.20", "Строительство жилых и нежилых зданий"), ("62.01", "Разработка программного обеспечения")],
    ),
    ("mvd-labor-migration-documents", &[("1", "Патент"), ("2", "Разрешение на работу")]),
    ("mvd-foreign-citizen-identity-documents", &[("10", "Паспорт иностранного гражданина")]),
    ("mvd-employment-contracts-type", &[("1", "Трудовой договор"), ("2", "Гражданско-правовой договор")]),
];

/// A page of one reference book; a handbook type the API does not name is not found (404).
pub fn get_handbook(_world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let (skip, take) = paging(ctx, 100, 1000)?;
    let handbook_type = ctx.param("handbookType");
    let (_, entries) = HANDBOOKS
        .iter()
        .find(|(kind, _)| *kind == handbook_type)
        .ok_or_else(|| ApiFailure::not_found("handbook", handbook_type))?;
    let items = entries
        .iter()
        .skip(skip)
        .take(take)
        .map(|(code, name)| HandbookItem { code: Some((*code).to_owned()), name: Some((*name).to_owned()), ..blank() })
        .collect();
    let mut page: HandbookPage = page("handbook", items, (skip, take), entries.len());
    page.handbook_type = Some(vocab(handbook_type));
    Reply::ok(&page)
}
