//! Opening, reading and listing complaints, and their timelines.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::body::Body;
use super::command::complaint_response;
use super::params::limit_of;
use super::problem::ApiError;
use super::wire::{ComplaintPage, ComplaintView, OpenComplaintBody, Party, TimelineEntryView, TimelinePage};
use crate::app::complaints::ListFilter;
use crate::app::complaints::NewComplaint;
use crate::app::{now, App, Caller};
use crate::domain::{Role, Status};

/// Open a complaint on an escrowed order or one of its holds (the order's
/// buyer), or ask for arbitration over a delivered hold the buyer does not
/// release (the seller, reason `not_released`).
#[utoipa::path(
    tag = "complaints",
    params(super::spec_parts::IdempotencyHeader),
    request_body = OpenComplaintBody,
    responses(
        (status = 201, description = "Opened; the seller's response window runs", body = ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints")]
pub async fn open_complaint(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    Body(body): Body<OpenComplaintBody>,
) -> Result<HttpResponse, ApiError> {
    let input = NewComplaint {
        order_id: body.order_id,
        hold_id: body.hold_id,
        reason: body.reason,
        description: body.description,
        disputed_amount: body.disputed_amount,
        requested_kind: body.requested_solution.kind,
        requested_refund: body.requested_solution.refund_amount,
        note: body.requested_solution.note,
    };
    let seen = match super::idempotency::of(&req) {
        Some(super::idempotency::Idempotent { committed: Some(id), .. }) => app.complaint(&caller, id).await?,
        key => app.open_complaint(&caller, input, key.map(|k| k.key)).await?,
    };
    let mut res = complaint_response(HttpResponse::Created(), &seen);
    res.headers_mut().insert(
        actix_web::http::header::LOCATION,
        actix_web::http::header::HeaderValue::from_str(&format!("/v1/complaints/{}", seen.complaint.id))
            .expect("ids are ASCII"),
    );
    Ok(res)
}

/// The complaint, its pending proposal, deadline and settlement (parties, staff).
#[utoipa::path(
    tag = "complaints",
    params(("id" = String, Path, description = "Complaint id")),
    responses(
        (status = 200, description = "The complaint; `ETag` carries its version", body = ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/complaints/{id}")]
pub async fn get_complaint(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let seen = app.complaint(&caller, path.into_inner()).await?;
    Ok(complaint_response(HttpResponse::Ok(), &seen))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only complaints in this status.
    pub status: Option<Status>,
    /// Only complaints where the caller is the `buyer` or the `seller`.
    pub role: Option<Party>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// The caller's complaints (staff: all), newest first.
#[utoipa::path(
    tag = "complaints",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of complaints", body = ComplaintPage),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/complaints")]
pub async fn list_complaints(
    app: web::Data<App>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let filter = ListFilter {
        role: q.role.map(Role::from),
        status: q.status,
        cursor: q.cursor.map(|c| super::params::cursor(&c)).transpose()?,
        limit: limit_of(q.limit)?,
    };
    let page = app.list_complaints(&caller, filter).await?;
    let at = now();
    Ok(HttpResponse::Ok().json(ComplaintPage {
        data: page.items.iter().map(|s| ComplaintView::of(s, at)).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimelineQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// The complaint's timeline, oldest first. Staff also see staff-only notes.
#[utoipa::path(
    tag = "complaints",
    params(("id" = String, Path, description = "Complaint id"), TimelineQuery),
    responses(
        (status = 200, description = "A page of timeline entries", body = TimelinePage),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/complaints/{id}/timeline")]
pub async fn timeline(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let after = q.cursor.map(|c| super::params::cursor(&c)).transpose()?.unwrap_or_default();
    let page = app.timeline(&caller, path.into_inner(), after, limit_of(q.limit)?).await?;
    Ok(HttpResponse::Ok().json(TimelinePage {
        data: page.items.into_iter().map(TimelineEntryView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}
