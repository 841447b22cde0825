//! The parties' commands on a complaint: messages, proposals and answers,
//! fulfilment steps, escalation and withdrawal.

use actix_web::{post, web, HttpRequest, HttpResponse};

use super::body::Body;
use super::command::run_command;
use super::problem::ApiError;
use super::wire::{EscalateBody, FulfilmentBody, MessageBody, ProposalBody, RejectBody, WithdrawBody};
use crate::app::ids::new_id;
use crate::app::{App, Caller};
use crate::domain::{Action, Command};

/// Post a message to the thread, optionally citing evidence (parties, staff).
#[utoipa::path(
    tag = "negotiation",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::CommandHeaders),
    request_body = MessageBody,
    responses(
        (status = 200, description = "The complaint after the command", body = super::wire::ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/messages")]
pub async fn post_message(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: Result<Body<MessageBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let b = super::command::authorized(&app, &caller, &path, &[Action::PostMessage], body).await?;
    let cmd = Command::PostMessage {
        message_id: new_id("msg"),
        body: b.body,
        evidence_ids: b.evidence_ids,
        visibility: b.visibility,
    };
    run_command(&app, &caller, &req, path.into_inner(), cmd).await
}

/// Put forward a (counter-)proposal; it supersedes the pending one (parties; staff mediate under review).
#[utoipa::path(
    tag = "negotiation",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::CommandHeaders),
    request_body = ProposalBody,
    responses(
        (status = 200, description = "The complaint after the command", body = super::wire::ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/proposals")]
pub async fn propose(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: Result<Body<ProposalBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let b = super::command::authorized(&app, &caller, &path, &[Action::Counter], body).await?;
    let cmd =
        Command::Propose { proposal_id: new_id("prp"), kind: b.kind, refund_amount: b.refund_amount, note: b.note };
    run_command(&app, &caller, &req, path.into_inner(), cmd).await
}

/// Accept the named pending proposal; the last required acceptance reaches consensus.
#[utoipa::path(
    tag = "negotiation",
    params(("id" = String, Path, description = "Complaint id"), ("pid" = String, Path, description = "Proposal id"), super::spec_parts::CommandHeaders),
    responses(
        (status = 200, description = "The complaint after the command", body = super::wire::ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/proposals/{pid}/accept")]
pub async fn accept(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, proposal_id) = path.into_inner();
    run_command(&app, &caller, &req, id, Command::Accept { proposal_id }).await
}

/// Reject the named pending proposal with a note.
#[utoipa::path(
    tag = "negotiation",
    params(("id" = String, Path, description = "Complaint id"), ("pid" = String, Path, description = "Proposal id"), super::spec_parts::CommandHeaders),
    request_body = RejectBody,
    responses(
        (status = 200, description = "The complaint after the command", body = super::wire::ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/proposals/{pid}/reject")]
pub async fn reject(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Result<Body<RejectBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let (id, proposal_id) = path.into_inner();
    let b = super::command::authorized(&app, &caller, &id, &[Action::RejectProposal], body).await?;
    run_command(&app, &caller, &req, id, Command::Reject { proposal_id, note: b.note }).await
}

/// Report a fulfilment step: `return_shipped`, `return_received`, `replacement_shipped`, `replacement_received`.
#[utoipa::path(
    tag = "negotiation",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::CommandHeaders),
    request_body = FulfilmentBody,
    responses(
        (status = 200, description = "The complaint after the command", body = super::wire::ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/fulfilment")]
pub async fn fulfil(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: Result<Body<FulfilmentBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let b = super::command::authorized(
        &app,
        &caller,
        &path,
        &[
            Action::MarkReturnShipped,
            Action::ConfirmReturnReceived,
            Action::MarkReplacementShipped,
            Action::ConfirmReplacementReceived,
        ],
        body,
    )
    .await?;
    let cmd = Command::Fulfil { action: b.step, tracking_number: b.tracking_number, carrier: b.carrier };
    run_command(&app, &caller, &req, path.into_inner(), cmd).await
}

/// Escalate to customer care (seller any time; buyer once the seller answered or its deadline passed).
#[utoipa::path(
    tag = "negotiation",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::CommandHeaders),
    request_body = EscalateBody,
    responses(
        (status = 200, description = "The complaint after the command", body = super::wire::ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/escalate")]
pub async fn escalate(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: Result<Body<EscalateBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let b = super::command::authorized(&app, &caller, &path, &[Action::Escalate], body).await?;
    run_command(&app, &caller, &req, path.into_inner(), Command::Escalate { reason: b.reason }).await
}

/// Drop the complaint: the held money is released to the seller (buyer).
#[utoipa::path(
    tag = "negotiation",
    params(("id" = String, Path, description = "Complaint id"), super::spec_parts::CommandHeaders),
    request_body(content = WithdrawBody, description = "Optional; an empty body is accepted"),
    responses(
        (status = 200, description = "The complaint after the command", body = super::wire::ComplaintView),
        super::spec_parts::Refused,
    )
)]
#[post("/v1/complaints/{id}/withdraw")]
pub async fn withdraw(
    app: web::Data<App>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<String>,
    body: Result<Body<WithdrawBody>, ApiError>,
) -> Result<HttpResponse, ApiError> {
    let b = super::command::authorized(&app, &caller, &path, &[Action::Withdraw], body).await?;
    run_command(&app, &caller, &req, path.into_inner(), Command::Withdraw { note: b.note }).await
}
