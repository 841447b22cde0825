//! Every error answer: RFC 9457 `application/problem+json` with a stable
//! `code`, and per-field `errors` for validation failures.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use problem_details::ProblemDetails;
use serde::Serialize;

use crate::app::{AppError, FieldError};
use crate::domain::DomainError;

/// An error answer of the API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    #[error("{0}")]
    Unauthorized(String),
    #[error("the body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("the body is larger than the limit of {0} bytes")]
    BodyTooLarge(usize),
    #[error("the body must be application/json")]
    UnsupportedMediaType,
    #[error("{message}")]
    BadParameter { field: String, message: String },
    #[error("this Idempotency-Key was already used for a different request")]
    IdempotencyKeyReused,
    #[error("a request with this Idempotency-Key is still being processed; retry later")]
    IdempotencyKeyInFlight,
    /// The path exists, the method does not; carries the methods it has.
    #[error("{method} is not a method of this path; it has {}", .allowed.join(", "))]
    MethodNotAllowed { method: String, allowed: Vec<&'static str> },
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::App(AppError::Domain(e))
    }
}

impl ApiError {
    pub fn bad_parameter(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadParameter { field: field.into(), message: message.into() }
    }

    fn parts(&self) -> (StatusCode, &'static str, Vec<FieldError>) {
        use AppError as A;
        use DomainError as D;
        let field = |f: &str, m: &str| vec![FieldError { field: f.to_string(), message: m.to_string() }];
        match self {
            ApiError::App(e) => match e {
                A::NotFound(what) => (StatusCode::NOT_FOUND, what.code(), vec![]),
                A::Domain(D::Invalid { field: f, message }) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", field(f, message))
                }
                A::Domain(D::Forbidden(_)) | A::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", vec![]),
                A::Domain(D::InvalidState(_)) => (StatusCode::CONFLICT, "invalid_state", vec![]),
                A::Domain(D::Resolved) => (StatusCode::CONFLICT, "complaint_resolved", vec![]),
                A::Domain(D::ProposalNotPending(_)) => (StatusCode::CONFLICT, "proposal_not_pending", vec![]),
                A::Domain(D::EscrowNotHeld(_)) => (StatusCode::CONFLICT, "escrow_not_held", vec![]),
                A::Domain(D::HoldSettled(_)) => (StatusCode::CONFLICT, "hold_settled", vec![]),
                A::Domain(D::OrderInDispute { field: f }) => {
                    (StatusCode::CONFLICT, "order_in_dispute", field(f, "frozen while the complaint runs"))
                }
                A::Domain(D::LimitReached(_)) => (StatusCode::CONFLICT, "proposal_limit_reached", vec![]),
                A::Domain(D::SettlementReported(_)) => (StatusCode::CONFLICT, "settlement_already_reported", vec![]),
                A::Conflict { code, .. } => (StatusCode::CONFLICT, code, vec![]),
                A::StaleVersion { .. } => (StatusCode::PRECONDITION_FAILED, "version_mismatch", vec![]),
                A::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", errors.clone()),
                A::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable", vec![]),
                A::StoreUnavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "evidence_store_unavailable", vec![]),
                A::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "evidence_too_large", vec![]),
                A::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error", vec![]),
            },
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized", vec![]),
            ApiError::InvalidJson(_) => (StatusCode::BAD_REQUEST, "invalid_json", vec![]),
            ApiError::BodyTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", vec![]),
            ApiError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", vec![]),
            ApiError::BadParameter { field: f, message } => {
                (StatusCode::BAD_REQUEST, "invalid_parameter", field(f, message))
            }
            ApiError::IdempotencyKeyReused => (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused", vec![]),
            ApiError::IdempotencyKeyInFlight => (StatusCode::CONFLICT, "idempotency_key_in_flight", vec![]),
            ApiError::MethodNotAllowed { .. } => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", vec![]),
        }
    }
}

/// The members this API adds to RFC 9457's.
#[derive(Debug, Serialize)]
struct Extensions {
    code: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldError>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, code, errors) = self.parts();
        let detail = if status.is_server_error() {
            // Our fault: the cause goes to the log, the caller gets the request id.
            tracing::error!(error = ?anyhow_chain(self), "request failed");
            "the service failed; quote the x-request-id header of this answer when reporting it".to_string()
        } else {
            self.to_string()
        };
        let problem =
            ProblemDetails::from_status_code(http::StatusCode::from_u16(status.as_u16()).expect("a valid status"))
                .with_type(format!("/problems/{code}").parse::<http::Uri>().expect("a valid path"))
                .with_detail(detail)
                .with_extensions(Extensions { code, errors });
        let mut res = HttpResponse::build(status);
        res.content_type("application/problem+json");
        if status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let ApiError::MethodNotAllowed { allowed, .. } = self {
            res.insert_header((header::ALLOW, allowed.join(", ")));
        }
        res.json(problem)
    }
}

fn anyhow_chain(e: &ApiError) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}
