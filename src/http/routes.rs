//! Every route of the API, registered once: the server serves these
//! handlers and the OpenAPI document is built from the same list.

use utoipa_actix_web::service_config::ServiceConfig;

use super::{arbitration, complaints, events, evidence, metrics, negotiation, ops, orders, sellers, settlements};

/// Registers every route.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(orders::put_order)
        .service(orders::get_order)
        .service(orders::put_hold)
        .service(complaints::open_complaint)
        .service(complaints::list_complaints)
        .service(complaints::get_complaint)
        .service(complaints::timeline)
        .service(negotiation::post_message)
        .service(negotiation::propose)
        .service(negotiation::accept)
        .service(negotiation::reject)
        .service(negotiation::fulfil)
        .service(negotiation::escalate)
        .service(negotiation::withdraw)
        .service(evidence::upload)
        .service(evidence::start_upload)
        .service(evidence::complete_upload)
        .service(evidence::list)
        .service(evidence::content)
        .service(arbitration::queue)
        .service(arbitration::reason_codes)
        .service(arbitration::assign)
        .service(arbitration::unassign)
        .service(arbitration::decide)
        .service(arbitration::request_evidence)
        .service(settlements::report)
        .service(settlements::read)
        .service(settlements::payment_problems)
        .service(sellers::standing)
        .service(sellers::file_notice)
        .service(sellers::seller_notices)
        .service(sellers::read_notice)
        .service(sellers::explain_notice)
        .service(sellers::confirm_notice)
        .service(sellers::dismiss_notice)
        .service(events::events)
        .service(ops::healthz)
        .service(ops::readyz)
        .service(metrics::metrics)
        .service(ops::openapi_yaml);
}
