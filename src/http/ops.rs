//! Operations: liveness and readiness.

use actix_web::{get, web, HttpResponse};

use super::wire::{Health, Problem};
use crate::app::App;

/// The process is up.
#[utoipa::path(tag = "operations", security(()), responses((status = 200, description = "Up", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into() })
}

/// The database and the evidence store answer.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database or the evidence store does not answer", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(app: web::Data<App>) -> Result<HttpResponse, super::problem::ApiError> {
    app.ready().await?;
    Ok(HttpResponse::Ok().json(Health { status: "ready".into() }))
}
