//! The HTTP API (DESIGN §8): actix handlers, one file per resource, thin:
//! parse, authorize, call a use case, shape the answer.

pub mod arbitration;
pub mod auth;
pub mod body;
pub mod complaints;
pub mod events;
pub mod evidence;
pub mod idempotency;
pub mod metrics;
pub mod negotiation;
pub mod openapi;
pub mod ops;
pub mod orders;
pub mod problem;
pub mod sellers;
pub mod settlements;
pub mod spec_parts;
pub mod wire;

use std::net::TcpListener;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, HttpResponseBuilder, HttpServer};
use tracing_actix_web::{RequestId, TracingLogger};

use self::auth::Verifier;
use self::idempotency::Idempotent;
use self::problem::ApiError;
use self::wire::ComplaintView;
use crate::app::complaints::Seen;
use crate::app::{now, App, Caller};
use crate::domain::{Action, Command};

/// Registers every route.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(orders::put_order)
        .service(orders::get_order)
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
        .service(arbitration::assign)
        .service(arbitration::decide)
        .service(arbitration::request_evidence)
        .service(settlements::report)
        .service(settlements::read)
        .service(settlements::payment_problems)
        .service(sellers::standing)
        .service(events::events)
        .service(ops::healthz)
        .service(ops::readyz)
        .service(metrics::metrics)
        .service(openapi::openapi_yaml);
}

/// Builds the HTTP server on a bound listener (port 0 in tests).
pub fn server(app: App, verifier: Verifier, listener: TcpListener, workers: usize) -> std::io::Result<Server> {
    let app = web::Data::new(app);
    let verifier = web::Data::new(verifier);
    let metrics = metrics::Metrics::new().map_err(std::io::Error::other)?;
    let http_metrics = metrics.http.clone();
    let metrics = web::Data::new(metrics);
    let server = HttpServer::new(move || {
        actix_web::App::new()
            .app_data(app.clone())
            .app_data(verifier.clone())
            .app_data(metrics.clone())
            .app_data(web::PayloadConfig::new(body::JSON_LIMIT))
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|e, _| ApiError::bad_parameter("query", e.to_string()).into()),
            )
            .app_data(
                web::PathConfig::default().error_handler(|e, _| ApiError::bad_parameter("path", e.to_string()).into()),
            )
            .wrap(from_fn(idempotency::middleware))
            .wrap(from_fn(refuse_nul))
            .wrap(from_fn(request_id_header))
            .wrap(TracingLogger::default())
            .wrap(http_metrics.clone())
            .wrap(from_fn(refuse_unknown_method))
            .configure(routes)
            .default_service(web::to(no_route))
    })
    .workers(workers)
    .listen(listener)?
    .run();
    Ok(server)
}

/// What no route answers: 405 with `Allow` for a path of the API asked with
/// another method, 404 for any other path.
async fn no_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    match openapi::methods_of(req.path()) {
        Some(allowed) => Err(ApiError::MethodNotAllowed { method: req.method().to_string(), allowed }),
        None => Err(ApiError::App(crate::app::AppError::NotFound(crate::app::Missing::Route))),
    }
}

/// Answers a method HTTP does not define as `no_route` would (405 on a path
/// of the API, 404 elsewhere), before the metrics see it: a caller inventing
/// methods cannot add label values to `/metrics` without bound.
async fn refuse_unknown_method(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    use actix_web::http::Method;
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
        Method::TRACE,
        Method::CONNECT,
    ];
    if KNOWN.contains(req.method()) {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    }
    let refusal = match openapi::methods_of(req.path()) {
        Some(allowed) => {
            let method: String = req.method().as_str().chars().take(20).collect();
            ApiError::MethodNotAllowed { method, allowed }
        }
        None => ApiError::App(crate::app::AppError::NotFound(crate::app::Missing::Route)),
    };
    Ok(req.error_response(refusal).map_into_right_body())
}

/// Refuses a path or query that spells a NUL character (`%00`): no id,
/// filter or cursor holds one, and PostgreSQL text cannot.
async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let uri = req.uri();
    let field = match (uri.path().contains("%00"), uri.query().is_some_and(|q| q.contains("%00"))) {
        (true, _) => "path",
        (false, true) => "query",
        (false, false) => return next.call(req).await.map(ServiceResponse::map_into_left_body),
    };
    Ok(req.error_response(ApiError::bad_parameter(field, body::NUL_MESSAGE)).map_into_right_body())
}

/// Answers carry the request id that every log line of the request carries.
async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = req.extensions().get::<RequestId>().map(|r| r.to_string());
    let mut res = next.call(req).await?;
    if let Some(value) = id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut().insert(HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}

/// A complaint answer, with its version as the `ETag`.
pub(crate) fn complaint_response(mut builder: HttpResponseBuilder, seen: &Seen) -> HttpResponse {
    builder
        .insert_header((header::ETAG, format!("\"{}\"", seen.complaint.version)))
        .json(ComplaintView::of(seen, now()))
}

/// Runs a command with the request's `If-Match` and answers the complaint.
pub(crate) async fn run_command(
    app: &App,
    caller: &Caller,
    req: &HttpRequest,
    id: String,
    cmd: Command,
) -> Result<HttpResponse, ApiError> {
    let seen = match idempotency::of(req) {
        Some(Idempotent { committed: Some(changed), .. }) if changed == id => app.complaint(caller, id).await?,
        key => app.command(caller, id, if_match(req)?, cmd, key.map(|k| k.key)).await?,
    };
    Ok(complaint_response(HttpResponse::Ok(), &seen))
}

/// The body of a command on complaint `id`, which only a caller allowed one
/// of `actions` learns anything about: a body that does not parse or
/// validate is answered with the caller's refusal when it has one (404,
/// 403, 409), and with what is wrong with it otherwise. The check runs only
/// for a bad body; a good one is authorized by the command itself.
pub(crate) async fn authorized<T>(
    app: &App,
    caller: &Caller,
    id: &str,
    actions: &'static [Action],
    body: Result<body::Body<T>, ApiError>,
) -> Result<T, ApiError> {
    match body {
        Ok(body::Body(b)) => Ok(b),
        Err(e) => {
            app.authorize(caller, id.to_string(), actions).await?;
            Err(e)
        }
    }
}

/// The version in `If-Match: "7"` (`*` or no header: any version).
fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(None);
    };
    let bad = || ApiError::bad_parameter("If-Match", "must be the complaint's ETag, e.g. \"3\"");
    let text = value.to_str().map_err(|_| bad())?.trim();
    if text == "*" {
        return Ok(None);
    }
    let tag = text.strip_prefix("W/").unwrap_or(text);
    // A bare version is taken too: clients that drop the quotes mean the same.
    let digits = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag);
    if !(1..=18).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    digits.parse().map(Some).map_err(|_| bad())
}

/// Page size: 1 to 100, 20 by default.
pub(crate) fn limit_of(limit: Option<i64>) -> Result<i64, ApiError> {
    match limit.unwrap_or(20) {
        n @ 1..=100 => Ok(n),
        _ => Err(ApiError::bad_parameter("limit", "must be between 1 and 100")),
    }
}

/// The `cursor` parameter of a list, as that list's cursor.
pub(crate) fn cursor<C: crate::app::page::Cursor>(opaque: &str) -> Result<C, ApiError> {
    C::decode(opaque).ok_or_else(|| ApiError::bad_parameter("cursor", "not a cursor of this list"))
}

/// An id chosen by the marketplace: 1 to 100 of `A-Z a-z 0-9 . _ : -`.
pub(crate) fn checked_id(field: &str, id: String) -> Result<String, ApiError> {
    let ok = (1..=100).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b));
    if ok {
        Ok(id)
    } else {
        Err(ApiError::bad_parameter(field, "must be 1 to 100 of A-Z a-z 0-9 . _ : -"))
    }
}
