//! The content service: uploads whole or in parts (`Content-Range`), downloads whole or by `Range`.

use axum::http::{StatusCode, header};
use kontur_extern::raw::types::ContentId;
use uuid::Uuid;

use super::{Ctx, Reply, account};
use crate::error::{ApiFailure, ApiResult};
use crate::model::{ContentRecord, Part, World};
use crate::wire::with_id;

/// A parsed `Content-Range: bytes {from}-{to}/{total|*}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ContentRange {
    from: u64,
    to: u64,
    total: Option<u64>,
}

fn parse_content_range(text: &str) -> Option<ContentRange> {
    let rest = text.trim().strip_prefix("bytes ")?;
    let (span, total) = rest.split_once('/')?;
    let (from, to) = span.split_once('-')?;
    let from: u64 = from.trim().parse().ok()?;
    let to: u64 = to.trim().parse().ok()?;
    let total = match total.trim() {
        "*" => None,
        number => Some(number.parse::<u64>().ok()?),
    };
    if to < from || total.is_some_and(|total| to >= total) {
        return None;
    }
    Some(ContentRange { from, to, total })
}

fn content_range(ctx: &Ctx, required: bool) -> ApiResult<Option<ContentRange>> {
    let Some(value) = ctx.headers.get(header::CONTENT_RANGE) else {
        return if required { Err(ApiFailure::bad_request("Content-Range is required for a part")) } else { Ok(None) };
    };
    let text = value.to_str().map_err(|_| ApiFailure::bad_request("Content-Range is not text"))?;
    let range = parse_content_range(text).ok_or_else(|| {
        ApiFailure::bad_request(format!("Content-Range {text:?} is not bytes FROM-TO/TOTAL with FROM ≤ TO < TOTAL"))
    })?;
    let length = range.to - range.from + 1;
    if length != ctx.body.len() as u64 {
        return Err(ApiFailure::bad_request(format!(
            "Content-Range {text:?} announces {length} bytes but the body has {}",
            ctx.body.len()
        )));
    }
    Ok(Some(range))
}

fn add_part(content: &mut ContentRecord, range: ContentRange, bytes: Vec<u8>) -> ApiResult<()> {
    if let (Some(known), Some(told)) = (content.total, range.total)
        && known != told
    {
        return Err(ApiFailure::bad_request(format!("the content is {known} bytes long, not {told}")));
    }
    if let Some(total) = range.total.or(content.total)
        && range.to >= total
    {
        return Err(ApiFailure::bad_request(format!(
            "bytes {}-{} lie beyond the content's {total} bytes",
            range.from, range.to
        )));
    }
    content.total = content.total.or(range.total);
    content.parts.insert(range.from, Part(bytes));
    Ok(())
}

fn answer(content: &ContentRecord) -> ApiResult<Reply> {
    let status = if content.is_complete() { StatusCode::CREATED } else { StatusCode::OK };
    let wire: ContentId = with_id(content.id);
    Reply::with_status(status, &wire)
}

pub fn upload_content(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let range = content_range(ctx, false)?;
    let id = Uuid::new_v4();
    let mut content = ContentRecord { id, account_id, total: None, parts: Default::default() };
    let range = range.unwrap_or(ContentRange {
        from: 0,
        to: (ctx.body.len() as u64).saturating_sub(1),
        total: Some(ctx.body.len() as u64),
    });
    if ctx.body.is_empty() {
        content.total = Some(0);
    } else {
        add_part(&mut content, range, ctx.body.to_vec())?;
    }
    let reply = answer(&content);
    world.contents.insert(id, content);
    reply
}

pub fn upload_content_part(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let id = ctx.id("contentId", "content")?;
    let range = content_range(ctx, true)?.ok_or_else(|| ApiFailure::bad_request("Content-Range is required"))?;
    let content = world
        .contents
        .get_mut(&id)
        .filter(|content| content.account_id == account_id)
        .ok_or_else(|| ApiFailure::not_found("content", &id.to_string()))?;
    add_part(content, range, ctx.body.to_vec())?;
    answer(content)
}

/// A parsed `Range: bytes=...` against a content of `length` bytes: `Ok(None)` for no header.
fn requested_range(ctx: &Ctx, length: u64) -> ApiResult<Option<(u64, u64)>> {
    let Some(value) = ctx.headers.get(header::RANGE) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ApiFailure::bad_request("Range is not text"))?;
    let malformed =
        || ApiFailure::bad_request(format!("Range {text:?} is not bytes=FROM-TO, bytes=FROM- or bytes=-SUFFIX"));
    let spec = text.trim().strip_prefix("bytes=").ok_or_else(malformed)?;
    if spec.contains(',') {
        return Err(ApiFailure::bad_request("only one range per request"));
    }
    let (from, to) = spec.split_once('-').ok_or_else(malformed)?;
    let (from, to) = match (from.trim(), to.trim()) {
        ("", suffix) => {
            let suffix: u64 = suffix.parse().map_err(|_| malformed())?;
            (length.saturating_sub(suffix), length.saturating_sub(1))
        }
        (from, "") => (from.parse().map_err(|_| malformed())?, length.saturating_sub(1)),
        (from, to) => {
            let from: u64 = from.parse().map_err(|_| malformed())?;
            let to: u64 = to.parse().map_err(|_| malformed())?;
            if to < from {
                return Err(malformed());
            }
            (from, to.min(length.saturating_sub(1)))
        }
    };
    if length == 0 || from >= length {
        return Err(ApiFailure::new(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "urn:error:externapi:rangeNotSatisfiable",
            format!("Range {text:?} starts beyond the content's {length} bytes"),
        ));
    }
    if to - from + 1 > super::MAX_PART_BYTES {
        return Err(ApiFailure::bad_request(format!("one range may not exceed {} bytes", super::MAX_PART_BYTES)));
    }
    Ok(Some((from, to)))
}

pub fn download_content(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let id = ctx.id("contentId", "content")?;
    let content = world
        .contents
        .get(&id)
        .filter(|content| content.account_id == account_id)
        .ok_or_else(|| ApiFailure::not_found("content", &id.to_string()))?;
    if !content.is_complete() {
        return Err(ApiFailure::conflict(
            "urn:error:externapi:contentIncomplete",
            format!("content {id} is not fully uploaded yet"),
        ));
    }
    let length = content.total.unwrap_or(0);
    let incomplete =
        || ApiFailure::conflict("urn:error:externapi:contentIncomplete", format!("content {id} is not readable"));
    match requested_range(ctx, length)? {
        None => Ok(Reply::Bytes {
            status: StatusCode::OK,
            body: content.complete_bytes().ok_or_else(incomplete)?,
            content_type: "application/octet-stream",
            headers: vec![(header::ACCEPT_RANGES, "bytes".to_owned())],
        }),
        Some((from, to)) => Ok(Reply::Bytes {
            status: StatusCode::PARTIAL_CONTENT,
            body: content.range_bytes(from, to).ok_or_else(incomplete)?,
            content_type: "application/octet-stream",
            headers: vec![
                (header::CONTENT_RANGE, format!("bytes {from}-{to}/{length}")),
                (header::ACCEPT_RANGES, "bytes".to_owned()),
            ],
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges_parse_and_reject_nonsense() {
        assert_eq!(parse_content_range("bytes 0-9/20"), Some(ContentRange { from: 0, to: 9, total: Some(20) }));
        assert_eq!(parse_content_range("bytes 10-19/*"), Some(ContentRange { from: 10, to: 19, total: None }));
        assert_eq!(parse_content_range("bytes 9-0/20"), None);
        assert_eq!(parse_content_range("bytes 0-20/20"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
        assert_eq!(parse_content_range("bytes x-1/2"), None);
    }
}
