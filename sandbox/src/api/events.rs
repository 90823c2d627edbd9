//! The events feed and who shares events with whom.
//!
//! Cursors are opaque to clients: `0_0` is the start of the feed, `s1_{n}` the position before the
//! n-th event. An integrator sees the events of the accounts that share them with it
//! (share-events), filtered by docflow type when the share says so.

use axum::http::StatusCode;
use kontur_extern::raw::types::{ApiEvent, EventPublisher, EventPublisherList, EventsPage, ShareEventsRequest};
use uuid::Uuid;

use super::{Ctx, Reply, account};
use crate::error::{ApiFailure, ApiResult};
use crate::model::{EventRecord, PublisherRecord, World};
use crate::wire::{blank, date, link, vocab};

const MAX_TAKE: i64 = 1000;

fn cursor(position: usize) -> String {
    format!("s1_{position}")
}

fn parse_cursor(text: &str) -> Option<usize> {
    if text == "0_0" {
        return Some(0);
    }
    text.strip_prefix("s1_")?.parse().ok()
}

fn visible(world: &World, client_id: &str, event: &EventRecord) -> bool {
    world.publishers.iter().any(|publisher| {
        publisher.account_id == event.account_id
            && publisher.subscriber == client_id
            && publisher.filter.as_ref().is_none_or(|filter| {
                filter.docflow_types.is_empty()
                    || filter.docflow_types.iter().any(|t| t.to_string() == event.docflow_type)
            })
    })
}

fn event_wire(ctx: &Ctx, position: usize, event: &EventRecord) -> ApiEvent {
    let mut wire: ApiEvent = blank();
    wire.id = Some(cursor(position));
    wire.account_id = Some(event.account_id);
    wire.docflow_id = Some(event.docflow_id);
    wire.docflow_type = Some(vocab(&event.docflow_type));
    wire.docflow_link =
        Some(link(ctx.url(&format!("/v1/{}/docflows/{}", event.account_id, event.docflow_id)), "docflow"));
    wire.new_state = Some(vocab(&event.new_state));
    wire.event_date_time = Some(date(event.at));
    wire.inn = Some(event.inn.clone());
    wire.kpp = event.kpp.clone();
    wire
}

pub fn get_events(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let from_text =
        ctx.query("fromId").ok_or_else(|| ApiFailure::bad_request("fromId is required (0_0 for the start)"))?;
    let take = ctx.query_number("take")?.ok_or_else(|| ApiFailure::bad_request("take is required"))?;
    if !(0..=MAX_TAKE).contains(&take) {
        return Err(ApiFailure::bad_request(format!("take must be within 0..={MAX_TAKE}")));
    }
    let from = parse_cursor(from_text)
        .filter(|position| *position <= world.events.len())
        .ok_or_else(|| ApiFailure::bad_request(format!("fromId {from_text:?} is not a cursor of this feed")))?;
    let mut events = Vec::new();
    let mut next = from;
    for (position, event) in world.events.iter().enumerate().skip(from) {
        if events.len() as i64 >= take {
            break;
        }
        next = position + 1;
        if visible(world, &ctx.client_id, event) {
            events.push(event_wire(ctx, position, event));
        }
    }
    let mut page: EventsPage = blank();
    page.first_event_id =
        Some(events.first().and_then(|event| event.id.clone()).unwrap_or_else(|| from_text.to_owned()));
    page.next_event_id = Some(cursor(next));
    page.requested_count = Some(take as i32);
    page.returned_count = Some(events.len() as i32);
    page.links = vec![link(ctx.url(&format!("/v1/events?fromId={}&take={take}", cursor(next))), "next")];
    page.api_events = events;
    Reply::ok(&page)
}

pub fn share_events(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let account_id = account(world, ctx)?.id;
    let request: ShareEventsRequest = ctx.json()?;
    if request.subscriber.trim().is_empty() {
        return Err(ApiFailure::bad_request("subscriber is required"));
    }
    world.publishers.retain(|p| !(p.account_id == account_id && p.subscriber == request.subscriber));
    world.publishers.push(PublisherRecord {
        id: Uuid::new_v4().to_string(),
        account_id,
        subscriber: request.subscriber,
        filter: request.events_filter,
    });
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}

pub fn list_event_publishers(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let mut list: EventPublisherList = blank();
    list.event_publishers = world
        .publishers
        .iter()
        .filter(|publisher| publisher.subscriber == ctx.client_id)
        .map(|publisher| {
            let mut wire: EventPublisher = blank();
            wire.id = Some(publisher.id.clone());
            wire.account_id = Some(publisher.account_id);
            wire.subscriber = Some(publisher.subscriber.clone());
            wire.events_filter = publisher.filter.clone();
            wire
        })
        .collect();
    Reply::ok(&list)
}

pub fn delete_event_publisher(world: &mut World, ctx: &Ctx) -> ApiResult<Reply> {
    let id = ctx.param("publisherId").to_owned();
    let before = world.publishers.len();
    world.publishers.retain(|publisher| !(publisher.id == id && publisher.subscriber == ctx.client_id));
    if world.publishers.len() == before {
        return Err(ApiFailure::not_found("event publisher", &id));
    }
    Ok(Reply::Empty(StatusCode::NO_CONTENT))
}
