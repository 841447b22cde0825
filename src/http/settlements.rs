//! The settlement after a resolution: the payment system reports it
//! executed or failed, and staff see the ones that went wrong.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::body::Body;
use super::params::limit_of;
use super::problem::ApiError;
use super::wire::{SettlementPage, SettlementRecord, SettlementReportBody};
use crate::app::{App, AppError, Caller};
use crate::domain::{PaymentReport, SettlementState};

/// Report a settlement executed or failed (service role). Each report counts
/// once: repeating the one on record answers the settlement unchanged, a
/// conflicting one is refused with 409 `settlement_already_reported`. A failed
/// payout may later be reported executed.
#[utoipa::path(
    tag = "settlements",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::IdempotencyHeader),
    request_body = SettlementReportBody,
    responses(
        (status = 200, description = "The settlement after the report", body = SettlementRecord),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/settlement")]
pub async fn report(
    app: web::Data<App>,
    caller: Caller,
    path: web::Path<String>,
    body: Result<Body<SettlementReportBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    if !caller.service {
        return Err(AppError::Forbidden("only the marketplace's payment system reports settlements".into()).into());
    }
    let Body(b) = body?;
    let report = match (b.state, b.payment_reference, b.reason) {
        (SettlementState::Executed, Some(payment_reference), None) => {
            PaymentReport::Executed { payment_reference, refund_destination: b.refund_destination }
        }
        (SettlementState::Executed, None, _) => {
            return Err(AppError::invalid("payment_reference", "required when the settlement was executed").into())
        }
        (SettlementState::Executed, Some(_), Some(_)) => {
            return Err(AppError::invalid("reason", "only a failed settlement has a reason").into())
        }
        (SettlementState::Failed, None, Some(reason)) if b.refund_destination.is_none() => {
            PaymentReport::Failed { reason }
        }
        (SettlementState::Failed, _, None) => {
            return Err(AppError::invalid("reason", "required when the settlement failed").into())
        }
        (SettlementState::Failed, Some(_), _) => {
            return Err(AppError::invalid("payment_reference", "only an executed settlement has a reference").into())
        }
        (SettlementState::Failed, None, Some(_)) => {
            return Err(AppError::invalid("refund_destination", "only an executed settlement has one").into())
        }
        (SettlementState::Pending, ..) => {
            return Err(AppError::invalid("state", "report `executed` or `failed`").into());
        }
    };
    let settlement = app.report_settlement(&caller, path.into_inner(), report).await?;
    Ok(HttpResponse::Ok().json(SettlementRecord::from(settlement)))
}

/// A complaint's settlement and where its money stands (service, staff).
#[utoipa::path(
    tag = "settlements",
    params(("id" = String, Path, description = "Complaint id")),
    responses(
        (status = 200, description = "The settlement", body = SettlementRecord),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/complaints/{id}/settlement")]
pub async fn read(app: web::Data<App>, caller: Caller, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let settlement = app.settlement(&caller, path.into_inner()).await?;
    Ok(HttpResponse::Ok().json(SettlementRecord::from(settlement)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProblemsQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// Settlements the payment system reported failed, or has left pending longer
/// than `RC_SETTLEMENT_OVERDUE`, oldest first (staff).
#[utoipa::path(
    tag = "settlements",
    params(ProblemsQuery),
    responses(
        (status = 200, description = "A page of payment problems", body = SettlementPage),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/arbitration/payment-problems")]
pub async fn payment_problems(
    app: web::Data<App>,
    caller: Caller,
    query: web::Query<ProblemsQuery>,
) -> Result<HttpResponse, ApiError> {
    if !caller.staff {
        return Err(AppError::Forbidden("only staff see payment problems".into()).into());
    }
    let q = query.into_inner();
    let after = q.cursor.map(|c| super::params::cursor(&c)).transpose()?;
    let page = app.payment_problems(&caller, after, limit_of(q.limit)?).await?;
    Ok(HttpResponse::Ok().json(SettlementPage {
        data: page.items.into_iter().map(SettlementRecord::from).collect(),
        next_cursor: page.next_cursor,
    }))
}
