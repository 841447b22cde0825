//! The parts of the OpenAPI description every handler shares: the headers of
//! a command and the refusal. A leaf: handlers and `openapi` both use it.

use std::collections::BTreeMap;

use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoParams, IntoResponses, ToSchema};

use super::wire;

/// Headers of every command on a complaint.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct CommandHeaders {
    /// The complaint's `ETag` as the caller last saw it; a stale one is refused with 412.
    #[param(rename = "If-Match", nullable = false, pattern = r#"^(\*|(W/)?("[0-9]{1,18}"|[0-9]{1,18}))$"#)]
    if_match: Option<String>,
    /// Makes a retry safe: the same key and body replay the first answer for 24 hours.
    #[param(rename = "Idempotency-Key", nullable = false, pattern = "^[!-~]{1,255}$")]
    idempotency_key: Option<String>,
}

/// The header of a POST that does not change an existing complaint.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IdempotencyHeader {
    /// Makes a retry safe: the same key and body replay the first answer for 24 hours.
    #[param(rename = "Idempotency-Key", nullable = false, pattern = "^[!-~]{1,255}$")]
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

/// The OpenAPI document as served, built once at start.
pub struct SpecYaml(pub &'static str);
