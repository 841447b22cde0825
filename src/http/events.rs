//! `GET /v1/events`: the outbox as a pull feed.

use actix_web::{get, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::params::limit_of;
use super::problem::ApiError;
use super::wire::{EventPage, EventView};
use crate::app::page::{Cursor, FeedCursor};
use crate::app::{App, Caller};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedQuery {
    /// `next_cursor` of the previous page; omit to start from the first event.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub after: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

/// Events, each once, a complaint's in the order they happened, and never one behind a
/// cursor already handed out (service role). An event appears once every transaction that
/// began before its own has finished, usually within milliseconds of its commit. Poll again with `next_cursor`;
/// when no event is newer, `data` is empty and the same cursor stays valid.
#[utoipa::path(
    tag = "events",
    params(FeedQuery),
    responses(
        (status = 200, description = "A page of events", body = EventPage),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/events")]
pub async fn events(
    app: web::Data<App>,
    caller: Caller,
    query: web::Query<FeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let after = match q.after.as_deref() {
        Some(c) => {
            FeedCursor::decode(c).ok_or_else(|| ApiError::bad_parameter("after", "not a cursor of the event feed"))?
        }
        None => FeedCursor::default(),
    };
    let page = app.events(&caller, after, limit_of(q.limit)?).await?;
    Ok(HttpResponse::Ok()
        .json(EventPage { data: page.items.into_iter().map(EventView::from).collect(), next_cursor: page.next_cursor }))
}
