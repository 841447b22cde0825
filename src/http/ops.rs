//! Operations: liveness, readiness and the API's own description.

use actix_web::{get, web, HttpResponse};

use super::spec_parts::SpecYaml;
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

/// This document.
#[utoipa::path(tag = "operations", security(()), responses((status = 200, description = "OpenAPI 3.1 YAML", content_type = "application/yaml", body = Object)))]
#[get("/openapi.yaml")]
pub async fn openapi_yaml(spec: web::Data<SpecYaml>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/yaml").body(spec.0)
}
