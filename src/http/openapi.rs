//! The OpenAPI description, generated from the handlers. The committed
//! `openapi.yaml` must equal it (a test checks).

use std::sync::LazyLock;

use actix_web::dev::ResourceDef;
use utoipa::openapi::path::{HttpMethod, PathItem};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

use super::wire;
use crate::app::event_data as data;
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
    components(schemas(
        FieldError,
        domain::Action,
        domain::Money,
        wire::Problem,
        data::ComplaintRef,
        data::DeadlineData,
        data::MessagePosted,
        data::ProposalRejected,
        data::EvidenceRequested,
        data::EvidenceAdded,
        data::EvidenceOverdue,
        data::OverdueRequest,
        data::EvidenceCompleted,
        data::FulfilmentStepped,
        data::Assignment
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags(
        (name = "orders", description = "Escrowed orders, registered by the marketplace"),
        (name = "complaints", description = "Opening and reading complaints"),
        (name = "negotiation", description = "Messages, proposals, consensus, fulfilment, escalation"),
        (name = "evidence", description = "Files that prove a claim. Two ways in: a streamed multipart upload through the service (`POST …/evidence`), or, on an S3 store, a direct upload: `POST …/evidence/uploads` answers a presigned PUT bound to the declared size and type, the client PUTs the bytes to it, then `POST …/evidence/{eid}/complete` checks the stored object (size, type from the first bytes, SHA-256 when given) and attaches it. Uploads not completed within their expiry are removed."),
        (name = "arbitration", description = "Customer care: queue, assignment, decisions"),
        (name = "settlements", description = "Where a resolved complaint's money stands: pending until the payment system reports it executed or failed"),
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

/// A JSON body whose fields are all optional may be left out: the body
/// extractor reads an empty body as `{}`.
struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::Schema;
        use utoipa::openapi::Required;
        let Some(components) = openapi.components.as_ref() else { return };
        let all_optional = |body: &utoipa::openapi::request_body::RequestBody| {
            let Some(RefOr::T(content)) = body.content.get("application/json") else { return false };
            let Some(RefOr::Ref(r)) = content.schema.as_ref() else { return false };
            let name = r.ref_location.rsplit('/').next().unwrap_or_default();
            matches!(components.schemas.get(name), Some(RefOr::T(Schema::Object(o))) if o.required.is_empty())
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.post, &mut item.put].into_iter().flatten() {
                if let Some(RefOr::T(body)) =
                    op.request_body.as_mut().filter(|b| matches!(b, RefOr::T(b) if all_optional(b)))
                {
                    body.required = Some(Required::False);
                }
            }
        }
    }
}

/// Each path of the API as a route pattern, with its methods.
static PATHS: LazyLock<Vec<(ResourceDef, Vec<&'static str>)>> = LazyLock::new(|| {
    DOCUMENT
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let methods = METHODS.iter().filter(|(m, _)| item.has(m)).map(|(_, name)| *name).collect();
            (ResourceDef::new(path.as_str()), methods)
        })
        .collect()
});

const METHODS: [(HttpMethod, &str); 5] = [
    (HttpMethod::Get, "GET"),
    (HttpMethod::Post, "POST"),
    (HttpMethod::Put, "PUT"),
    (HttpMethod::Patch, "PATCH"),
    (HttpMethod::Delete, "DELETE"),
];

trait HasMethod {
    fn has(&self, method: &HttpMethod) -> bool;
}

impl HasMethod for PathItem {
    fn has(&self, method: &HttpMethod) -> bool {
        match method {
            HttpMethod::Get => self.get.is_some(),
            HttpMethod::Post => self.post.is_some(),
            HttpMethod::Put => self.put.is_some(),
            HttpMethod::Patch => self.patch.is_some(),
            HttpMethod::Delete => self.delete.is_some(),
            _ => false,
        }
    }
}

/// The methods of the API's path that `path` matches, if any.
pub fn methods_of(path: &str) -> Option<Vec<&'static str>> {
    let mut methods: Vec<&'static str> =
        PATHS.iter().filter(|(def, _)| def.is_match(path)).flat_map(|(_, m)| m.iter().copied()).collect();
    methods.dedup();
    (!methods.is_empty()).then_some(methods)
}

/// The whole document: what `ApiDoc` says of the API, and the paths and
/// schemas of every handler `routes::register` registers.
pub fn document() -> utoipa::openapi::OpenApi {
    let (_, mut api) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(super::routes::register)
        .split_for_parts();
    OptionalBodies.modify(&mut api);
    api
}

static DOCUMENT: LazyLock<utoipa::openapi::OpenApi> = LazyLock::new(document);

static YAML: LazyLock<String> = LazyLock::new(|| DOCUMENT.to_yaml().expect("the OpenAPI document serializes"));

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
