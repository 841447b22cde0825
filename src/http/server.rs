//! The HTTP server: the middleware every request passes, the routes, and
//! the answer when none matches.

use std::net::TcpListener;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse, HttpServer};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::AppExt;

use super::auth::Verifier;
use super::problem::ApiError;
use super::spec_parts::SpecYaml;
use super::{body, idempotency, metrics, openapi, routes};
use crate::app::App;

/// Builds the HTTP server on a bound listener (port 0 in tests). `pages`
/// mounts what the server serves beside the API (the staff console).
pub fn server(
    app: App,
    verifier: Verifier,
    listener: TcpListener,
    workers: usize,
    pages: fn(&mut web::ServiceConfig),
) -> std::io::Result<Server> {
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
            .app_data(web::Data::new(SpecYaml(openapi::yaml())))
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
            .configure(pages)
            .into_utoipa_app()
            .configure(routes::register)
            .into_app()
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
