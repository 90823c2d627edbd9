//! Reference books (`/v1/handbooks/...`).

use crate::Error;
use crate::handles::{Ctx, with_options};
use crate::paging::{MAX_PAGE_SIZE, Page, Paged, wire};
use crate::raw::types;

/// Reference books: regulators' offices, FNS forms and the other handbooks. From
/// [`Client::handbooks`](crate::Client::handbooks).
///
/// ```no_run
/// # async fn demo(client: kontur_extern::Client) -> Result<(), kontur_extern::Error> {
/// use futures::TryStreamExt;
/// let forms: Vec<_> = client.handbooks().fns_forms(Some("1151001")).try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Handbooks {
    pub(crate) ctx: Ctx,
}

impl Handbooks {
    pub(crate) fn new(ctx: Ctx) -> Self {
        Self { ctx }
    }

    with_options!();

    /// Regulators' offices, optionally of one type (`fns`, `pfr`, …) and region, page by page.
    pub fn control_units(&self, unit_type: Option<&str>, region: Option<&str>) -> Paged<types::ControlUnit> {
        let ctx = self.ctx.clone();
        let unit_type = unit_type.map(str::to_owned);
        let region = region.map(str::to_owned);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let (ctx, unit_type, region) = (ctx.clone(), unit_type.clone(), region.clone());
            async move {
                let (skip, take) = wire(skip, take);
                let mut call = ctx.raw().list_control_units().skip(skip).take(take);
                if let Some(unit_type) = unit_type {
                    call = call.type_(crate::vocab::ControlUnitType::from(unit_type));
                }
                if let Some(region) = region {
                    call = call.region(region);
                }
                let page = ctx.run(None, call.send()).await?;
                Ok(Page::new(page.control_units, page.total_count))
            }
        })
    }

    /// One regulator's office by its code.
    pub async fn control_unit(&self, code: &str) -> Result<types::ControlUnit, Error> {
        self.ctx.run(None, self.ctx.raw().get_control_unit().code(code.to_owned()).send()).await
    }

    /// FNS forms, optionally of one KND, page by page.
    pub fn fns_forms(&self, knd: Option<&str>) -> Paged<types::FnsForm> {
        let ctx = self.ctx.clone();
        let knd = knd.map(str::to_owned);
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let (ctx, knd) = (ctx.clone(), knd.clone());
            async move {
                let (skip, take) = wire(skip, take);
                let mut call = ctx.raw().list_fns_forms().skip(skip).take(take);
                if let Some(knd) = knd {
                    call = call.knd(knd);
                }
                let page = ctx.run(None, call.send()).await?;
                Ok(Page::new(page.fns_forms, page.total_count))
            }
        })
    }

    /// The entries of a handbook, page by page.
    pub fn handbook(&self, handbook_type: crate::vocab::HandbookType) -> Paged<types::HandbookItem> {
        let ctx = self.ctx.clone();
        Paged::new(MAX_PAGE_SIZE, move |skip, take| {
            let (ctx, handbook_type) = (ctx.clone(), handbook_type.clone());
            async move {
                let (skip, take) = wire(skip, take);
                let page = ctx
                    .run(None, ctx.raw().get_handbook().handbook_type(handbook_type).skip(skip).take(take).send())
                    .await?;
                Ok(Page::new(page.handbook, page.total_count))
            }
        })
    }
}
