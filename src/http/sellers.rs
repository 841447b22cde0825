//! A seller's standing, and the listing notices filed against sellers.

use actix_web::{get, post, web, HttpResponse};

use super::body::Body;
use super::problem::ApiError;
use super::wire::{ExplanationBody, NoticeBody, NoticePage, NoticeView, StandingView};
use crate::app::notices::NewNotice;
use crate::app::{App, AppError, Caller};
use crate::domain::NoticeCommand;

/// A seller's violations and suspension (the seller, staff, service).
#[utoipa::path(
    tag = "sellers",
    params(("seller_id" = String, Path, description = "Seller id")),
    responses(
        (status = 200, description = "The standing", body = StandingView),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/sellers/{seller_id}/standing")]
pub async fn standing(app: web::Data<App>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let standing = app.seller_standing(&caller, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(StandingView::from(standing)))
}

/// File a listing notice against a seller: the listing does not match its
/// title, image or description (the marketplace or staff). The seller has
/// `RC_LISTING_NOTICE_WINDOW` (24 h) to explain; unanswered, it is confirmed.
#[utoipa::path(
    tag = "sellers",
    params(("seller_id" = String, Path, description = "Seller id"), super::spec_parts::IdempotencyHeader),
    request_body = NoticeBody,
    responses(
        (status = 201, description = "The notice, open", body = NoticeView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/sellers/{seller_id}/listing-notices")]
pub async fn file_notice(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
    body: Result<Body<NoticeBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    if !(caller.staff || caller.service) {
        return Err(AppError::Forbidden("the marketplace or staff file listing notices".into()).into());
    }
    let Body(b) = body?;
    let new = NewNotice { listing_id: b.listing_id, description: b.description };
    let notice = app.file_notice(&caller, path.into_inner(), new).await?;
    Ok(HttpResponse::Created().json(NoticeView::from(notice)))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NoticesQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// The listing notices filed against a seller, oldest first (the seller, staff, the marketplace).
#[utoipa::path(
    tag = "sellers",
    params(("seller_id" = String, Path, description = "Seller id"), NoticesQuery),
    responses(
        (status = 200, description = "A page of notices", body = NoticePage),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/sellers/{seller_id}/listing-notices")]
pub async fn seller_notices(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<NoticesQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let after = q.cursor.map(|c| super::params::cursor(&c)).transpose()?;
    let page = app.notices_of(&caller, path.into_inner(), after, super::params::limit_of(q.limit)?).await?;
    Ok(HttpResponse::Ok().json(NoticePage {
        data: page.items.into_iter().map(NoticeView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// A listing notice (the seller it names, staff, the marketplace).
#[utoipa::path(
    tag = "sellers",
    params(("id" = String, Path, description = "Notice id")),
    responses(
        (status = 200, description = "The notice", body = NoticeView),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/listing-notices/{id}")]
pub async fn read_notice(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(NoticeView::from(app.notice(&caller, path.into_inner()).await?)))
}

/// The seller explains the listing, within the notice's window (the seller).
#[utoipa::path(
    tag = "sellers",
    params(("id" = String, Path, description = "Notice id"), super::spec_parts::IdempotencyHeader),
    request_body = ExplanationBody,
    responses(
        (status = 200, description = "The notice, explained", body = NoticeView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/listing-notices/{id}/explanation")]
pub async fn explain_notice(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
    body: Result<Body<ExplanationBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let seen = app.notice(&caller, id.clone()).await?;
    if caller.id != seen.seller_id {
        return Err(AppError::Forbidden("only the seller explains a notice against them".into()).into());
    }
    let Body(b) = body?;
    let notice = app.act_on_notice(&caller, id, NoticeCommand::Explain { explanation: b.explanation }).await?;
    Ok(HttpResponse::Ok().json(NoticeView::from(notice)))
}

/// Staff confirm a notice: a violation, one rung up the seller's ladder (staff).
#[utoipa::path(
    tag = "sellers",
    params(("id" = String, Path, description = "Notice id"), super::spec_parts::IdempotencyHeader),
    responses(
        (status = 200, description = "The notice, confirmed", body = NoticeView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/listing-notices/{id}/confirm")]
pub async fn confirm_notice(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    decide(app, caller, path.into_inner(), NoticeCommand::Confirm).await
}

/// Staff dismiss a notice: no violation (staff).
#[utoipa::path(
    tag = "sellers",
    params(("id" = String, Path, description = "Notice id"), super::spec_parts::IdempotencyHeader),
    responses(
        (status = 200, description = "The notice, dismissed", body = NoticeView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/listing-notices/{id}/dismiss")]
pub async fn dismiss_notice(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    decide(app, caller, path.into_inner(), NoticeCommand::Dismiss).await
}

async fn decide(app: web::Data<App>, caller: Caller, id: String, cmd: NoticeCommand) -> Result<HttpResponse, ApiError> {
    // No body to read: the use case refuses whoever may not (a stranger 404, a party 403).
    Ok(HttpResponse::Ok().json(NoticeView::from(app.act_on_notice(&caller, id, cmd).await?)))
}
