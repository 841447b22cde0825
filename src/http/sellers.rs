//! `GET /v1/sellers/{seller_id}/standing`.

use actix_web::{get, web, HttpResponse};

use super::problem::ApiError;
use super::wire::StandingView;
use crate::app::{App, Caller};

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
