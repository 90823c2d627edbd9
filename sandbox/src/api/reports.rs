//! Reports tables: which forms an organization files. Every organization of the sandbox files
//! the same sample forms: the FNS forms of the sandbox's handbook and one Rosstat form.

use kontur_extern::raw::types::{ReportFormInfo, ReportFormsList};

use super::accounts::organization_index;
use super::{Ctx, Reply};
use crate::error::ApiResult;
use crate::model::World;
use crate::wire::{blank, vocab};

/// `(form id, short name, full name, KND, OKUD, periodicity)`; a form has a KND (FNS) or an
/// OKUD (Rosstat), the other is empty.
const REPORT_FORMS: &[(i32, &str, &str, &str, &str, &str)] = &[
    (1, "НДС", "Налоговая декларация по НДС", "1151001", "", "quarterly"),
    (2, "Прибыль", "Налоговая декларация по налогу на прибыль", "1151006", "", "quarterly"),
    (3, "РСВ", "Расчёт по страховым взносам", "1151111", "", "quarterly"),
    (4, "П-4", "Сведения о численности и заработной плате работников", "", "0606010", "monthly"),
];

fn form((id, short, full, knd, okud, periodicity): (i32, &str, &str, &str, &str, &str)) -> ReportFormInfo {
    let code = |code: &str| (!code.is_empty()).then(|| code.to_owned());
    let mut wire: ReportFormInfo = blank();
    wire.form_id = Some(id);
    wire.form_short_name = Some(short.to_owned());
    wire.form_full_name = Some(full.to_owned());
    wire.knd = code(knd);
    wire.okud = code(okud);
    wire.periodicity = Some(vocab(periodicity));
    wire
}

/// The forms of the organization's reports table.
pub fn list_report_forms(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    organization_index(world, ctx)?;
    // The sandbox deletes no forms: includeDeleted changes nothing, but must be a boolean.
    ctx.query_bool("includeDeleted")?;
    Reply::ok(&ReportFormsList { forms: REPORT_FORMS.iter().map(|info| form(*info)).collect(), ..blank() })
}
