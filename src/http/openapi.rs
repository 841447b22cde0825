//! The OpenAPI description, generated from the handlers. The committed
//! `openapi.yaml` must equal it (a test checks).

use std::sync::LazyLock;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{arbitration, complaints, events, negotiation, ops, orders, sellers, wire};
use crate::app::FieldError;
use crate::domain;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Resolution Center",
        description = "Settles disputes between buyers and sellers over escrowed marketplace orders: complaints, \
                       proposals and counter-proposals, consensus, escalation to customer care, binding decisions \
                       and settlements. Errors are RFC 9457 problem+json with a stable `code`.",
        license(name = "MIT")
    ),
    paths(
        orders::put_order, orders::get_order,
        complaints::open_complaint, complaints::list_complaints, complaints::get_complaint, complaints::timeline,
        negotiation::post_message, negotiation::propose, negotiation::accept, negotiation::reject,
        negotiation::fulfil, negotiation::escalate, negotiation::withdraw,
        arbitration::queue, arbitration::assign, arbitration::decide,
        sellers::standing, events::events,
        ops::healthz, ops::readyz, ops::openapi_yaml,
    ),
    components(schemas(FieldError, domain::Action, domain::Money, wire::Problem)),
    modifiers(&BearerAuth),
    tags(
        (name = "orders", description = "Escrowed orders, registered by the marketplace"),
        (name = "complaints", description = "Opening and reading complaints"),
        (name = "negotiation", description = "Messages, proposals, consensus, fulfilment, escalation"),
        (name = "arbitration", description = "Customer care: queue, assignment, decisions"),
        (name = "sellers", description = "Seller standing"),
        (name = "events", description = "The event feed for the payment system"),
        (name = "operations", description = "Health and description"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".into());
        scheme.description = Some("`sub` is the user, staff or service id; `roles` is `[]`, `[\"staff\"]` or `[\"service\"]`; `exp` is required.".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

static YAML: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_yaml()
        .expect("the OpenAPI document serializes")
});

/// The document as YAML, built once.
pub fn yaml() -> &'static str {
    &YAML
}

#[cfg(test)]
mod tests {
    /// The committed description is the one the code generates. To refresh it:
    /// `cargo run -q -- openapi > openapi.yaml`.
    #[test]
    fn the_committed_openapi_yaml_matches_the_code() {
        let committed =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
                .expect("openapi.yaml is committed");
        assert!(
            committed == super::yaml(),
            "openapi.yaml is stale: run `cargo run -q -- openapi > openapi.yaml`"
        );
    }
}
