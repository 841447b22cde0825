//! `PUT /v1/orders/{order_id}`, `GET /v1/orders/{order_id}` and the order's
//! holds, `PUT /v1/orders/{order_id}/holds/{hold_id}`.

use actix_web::{get, put, web, HttpResponse};

use super::body::Body;
use super::problem::ApiError;
use super::wire::{HoldBody, HoldView, OrderBody, OrderView};
use crate::app::orders::{RegisterHold, RegisterOrder};
use crate::app::{App, AppError, Caller};

/// Register or update an escrowed order (service role).
#[utoipa::path(
    tag = "orders",
    params(("order_id" = String, Path, pattern = "^[A-Za-z0-9._:-]{1,100}$", description = "The marketplace's order id")),
    request_body = OrderBody,
    responses(
        (status = 201, description = "Registered", body = OrderView),
        (status = 200, description = "Updated", body = OrderView),
        super::spec_parts::Refused,
    )
)]
#[put("/v1/orders/{order_id}")]
pub async fn put_order(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
    body: Result<Body<OrderBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    if !caller.service {
        return Err(AppError::Forbidden("only the marketplace's service role registers orders".into()).into());
    }
    let Body(body) = body?;
    let order_id = super::params::checked_id("order_id", path.into_inner())?;
    let input = RegisterOrder {
        buyer_id: body.buyer_id,
        seller_id: body.seller_id,
        amount: body.amount,
        status: body.status,
        delivered_at: body.delivered_at,
        auto_release_at: body.auto_release_at,
        contacts: body.contacts.map(|c| serde_json::to_value(c).expect("contacts serialize")),
        digital: body.digital.unwrap_or(false),
    };
    let (order, created) = app.register_order(&caller, order_id, input).await?;
    let mut res = if created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(res.json(OrderView::from(order)))
}

/// An order and its active complaint (service, the order's parties, staff).
#[utoipa::path(
    tag = "orders",
    params(("order_id" = String, Path, description = "The marketplace's order id")),
    responses(
        (status = 200, description = "The order", body = OrderView),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/orders/{order_id}")]
pub async fn get_order(app: web::Data<App>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let order = app.order(&caller, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(OrderView::from(order)))
}

/// Register or update one escrow hold of an order, a milestone funded and
/// released on its own (service role). A complaint then names the hold.
#[utoipa::path(
    tag = "orders",
    params(
        ("order_id" = String, Path, pattern = "^[A-Za-z0-9._:-]{1,100}$", description = "The marketplace's order id"),
        ("hold_id" = String, Path, pattern = "^[A-Za-z0-9._:-]{1,100}$", description = "The marketplace's id of the hold"),
    ),
    request_body = HoldBody,
    responses(
        (status = 201, description = "Registered", body = HoldView),
        (status = 200, description = "Updated", body = HoldView),
        super::spec_parts::Refused,
    )
)]
#[put("/v1/orders/{order_id}/holds/{hold_id}")]
pub async fn put_hold(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<(String, String)>,
    body: Result<Body<HoldBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    if !caller.service {
        return Err(AppError::Forbidden("only the marketplace's service role registers holds".into()).into());
    }
    let Body(body) = body?;
    let (order_id, hold_id) = path.into_inner();
    let order_id = super::params::checked_id("order_id", order_id)?;
    let hold_id = super::params::checked_id("hold_id", hold_id)?;
    let input = RegisterHold {
        amount: body.amount,
        status: body.status,
        delivered_at: body.delivered_at,
        auto_release_at: body.auto_release_at,
        description: body.description,
    };
    let (hold, created) = app.register_hold(&caller, order_id, hold_id, input).await?;
    let mut res = if created { HttpResponse::Created() } else { HttpResponse::Ok() };
    Ok(res.json(HoldView::from(hold)))
}
