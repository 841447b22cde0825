//! Customer care: the arbitration queue, assignment and the binding decision.

use actix_web::{get, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::body::Body;
use super::command::run_command;
use super::params::limit_of;
use super::problem::ApiError;
use super::wire::{
    AssignBody, DecisionBody, EmptyBody, EvidenceRequestBody, QueueEntry, QueuePage, ReasonCodeList, ReasonCodeView,
};
use crate::app::ids::new_id;
use crate::app::{now, App, Caller};
use crate::domain::{Action, Command};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// Only complaints assigned to this agent.
    pub assignee_id: Option<String>,
    /// Page size, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[A-Za-z0-9_-]+$")]
    pub cursor: Option<String>,
}

/// Escalated complaints, oldest deadline first, with each party's last offer (staff).
#[utoipa::path(
    tag = "arbitration",
    params(QueueQuery),
    responses(
        (status = 200, description = "A page of the queue", body = QueuePage),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/arbitration/queue")]
pub async fn queue(
    app: web::Data<App>,
    caller: Caller,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let after = q.cursor.map(|c| super::params::cursor(&c)).transpose()?;
    let page = app.arbitration_queue(&caller, after, q.assignee_id, limit_of(q.limit)?).await?;
    let at = now();
    Ok(HttpResponse::Ok().json(QueuePage {
        data: page.items.iter().map(|s| QueueEntry::of(s, at)).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// The reason codes a decision may give (any signed-in caller).
#[utoipa::path(
    tag = "arbitration",
    responses(
        (status = 200, description = "Every code, with what it means", body = ReasonCodeList),
        super::spec_parts::Refused,
    )
)]
#[get("/v1/decision-reason-codes")]
pub async fn reason_codes(_caller: Caller) -> HttpResponse {
    let data = crate::domain::DECISION_REASON_CODES
        .iter()
        .map(|(code, description)| ReasonCodeView { code, description })
        .collect();
    HttpResponse::Ok().json(ReasonCodeList { data })
}

/// Assign a complaint under review to an agent (staff).
#[utoipa::path(
    tag = "arbitration",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::CommandHeaders),
    request_body(content = AssignBody, description = "Optional; an empty body assigns the caller"),
    responses(
        (status = 200, description = "The complaint after the command", body = super::wire::ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/assign")]
pub async fn assign(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: Result<Body<AssignBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let b = super::command::authorized(&app, &caller, &path, &[Action::Assign], body).await?;
    let assignee_id = b.assignee_id.unwrap_or_else(|| caller.id.clone());
    run_command(&app, &caller, &req, path.into_inner(), Command::Assign { assignee_id }).await
}

/// Take the assigned agent off a complaint under review: it is unassigned
/// again (staff).
#[utoipa::path(
    tag = "arbitration",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::CommandHeaders),
    request_body(content = EmptyBody, description = "Empty, or `{}`"),
    responses(
        (status = 200, description = "The complaint after the command", body = super::wire::ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/unassign")]
pub async fn unassign(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: Result<Body<EmptyBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    super::command::authorized(&app, &caller, &path, &[Action::Unassign], body).await?;
    run_command(&app, &caller, &req, path.into_inner(), Command::Unassign).await
}

/// The binding decision: refund, release or split. Final (staff).
#[utoipa::path(
    tag = "arbitration",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::CommandHeaders),
    request_body = DecisionBody,
    responses(
        (status = 200, description = "The resolved complaint", body = super::wire::ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/decision")]
pub async fn decide(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: Result<Body<DecisionBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let b = super::command::authorized(&app, &caller, &path, &[Action::Decide], body).await?;
    let cmd = Command::Decide {
        decision_id: new_id("dec"),
        outcome: b.outcome,
        refund_amount: b.refund_amount,
        seller_at_fault: b.seller_at_fault,
        reason_code: b.reason_code,
        evidence_ids: b.evidence_ids,
        rationale: b.rationale,
    };
    run_command(&app, &caller, &req, path.into_inner(), cmd).await
}

/// Ask a party for evidence of given kinds by a due time; the party sees it in
/// `evidence_requests` and as `provide_evidence` in its `allowed_actions` (staff).
#[utoipa::path(
    tag = "arbitration",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::CommandHeaders),
    request_body = EvidenceRequestBody,
    responses(
        (status = 200, description = "The complaint after the command", body = super::wire::ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/evidence-requests")]
pub async fn request_evidence(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: Result<Body<EvidenceRequestBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let b = super::command::authorized(&app, &caller, &path, &[Action::RequestEvidence], body).await?;
    let cmd = Command::RequestEvidence {
        request_id: new_id("evq"),
        party: b.party.into(),
        kinds: b.kinds,
        due_at: b.due_at,
        note: b.note,
    };
    run_command(&app, &caller, &req, path.into_inner(), cmd).await
}
