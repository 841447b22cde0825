//! The OpenAPI description, generated from the handlers. The committed
//! `openapi.yaml` must equal it (a test checks).

use std::sync::LazyLock;

use std::collections::BTreeMap;

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoParams, IntoResponses, Modify, OpenApi, ToSchema};

use super::{arbitration, complaints, events, evidence, metrics, negotiation, ops, orders, sellers, wire};
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
        evidence::upload, evidence::start_upload, evidence::complete_upload, evidence::list, evidence::content,
        arbitration::queue, arbitration::assign, arbitration::decide, arbitration::request_evidence,
        sellers::standing, events::events,
        ops::healthz, ops::readyz, ops::openapi_yaml, metrics::metrics,
    ),
    components(schemas(FieldError, domain::Action, domain::Money, wire::Problem)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "orders", description = "Escrowed orders, registered by the marketplace"),
        (name = "complaints", description = "Opening and reading complaints"),
        (name = "negotiation", description = "Messages, proposals, consensus, fulfilment, escalation"),
        (name = "evidence", description = "Files that prove a claim. Two ways in: a streamed multipart upload through the service (`POST …/evidence`), or, on an S3 store, a direct upload: `POST …/evidence/uploads` answers a presigned PUT bound to the declared size and type, the client PUTs the bytes to it, then `POST …/evidence/{eid}/complete` checks the stored object (size, type from the first bytes, SHA-256 when given) and attaches it. Uploads not completed within their expiry are removed."),
        (name = "arbitration", description = "Customer care: queue, assignment, decisions"),
        (name = "sellers", description = "Seller standing"),
        (name = "events", description = "The event feed for the payment system"),
        (name = "operations", description = "Health, metrics and description"),
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

/// Headers of every command on a complaint.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct CommandHeaders {
    /// The complaint's `ETag` as the caller last saw it; a stale one is refused with 412.
    #[param(rename = "If-Match")]
    if_match: Option<String>,
    /// Makes a retry safe: the same key and body replay the first answer for 24 hours.
    #[param(rename = "Idempotency-Key")]
    idempotency_key: Option<String>,
}

/// The header of a POST that does not change an existing complaint.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyHeader {
    /// Makes a retry safe: the same key and body replay the first answer for 24 hours.
    #[param(rename = "Idempotency-Key")]
    idempotency_key: Option<String>,
}

/// Every refusal: RFC 9457 problem+json with a stable `code`.
pub struct Refused;

impl IntoResponses for Refused {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(wire::Problem::name()))).build();
        let response = ResponseBuilder::new()
            .description("Refused; the `code` says why (see the `Problem` schema)")
            .content("application/problem+json", content)
            .build();
        BTreeMap::from([("4XX".to_string(), RefOr::T(response))])
    }
}

static YAML: LazyLock<String> = LazyLock::new(|| ApiDoc::openapi().to_yaml().expect("the OpenAPI document serializes"));

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
        let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
            .expect("openapi.yaml is committed");
        assert!(committed == super::yaml(), "openapi.yaml is stale: run `cargo run -q -- openapi > openapi.yaml`");
    }
}
