//! `Idempotency-Key` on every POST: the first answer to a key is stored and
//! replayed for the same request; another request under the same key gets
//! 422; a repeat while the first still runs gets 409. Keys are scoped per
//! caller (the token's `sub`) and kept 24 hours. Answers of our own failures
//! (5xx) are not kept, so the request can be retried.

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderName};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::auth::Verifier;
use super::body::JSON_LIMIT;
use super::problem::ApiError;
use crate::app::idempotency::Claim;
use crate::app::{App, AppError};

const HEADER: &str = "idempotency-key";
/// Headers replayed with the stored answer.
const KEPT_HEADERS: [HeaderName; 3] = [header::CONTENT_TYPE, header::ETAG, header::LOCATION];

#[derive(Serialize, Deserialize)]
struct StoredAnswer {
    headers: Vec<(String, String)>,
    body: String,
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    // Uploads are streamed, never buffered: the upload handler keeps their
    // keys itself (see `evidence::upload`).
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        // Media types are case-insensitive (RFC 9110 8.3.1).
        .is_some_and(|v| v.trim_start().get(..10).is_some_and(|t| t.eq_ignore_ascii_case("multipart/")));
    if req.method() != Method::POST || !req.headers().contains_key(HEADER) || multipart {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    let (Some(app), Some(verifier)) =
        (req.app_data::<web::Data<App>>().cloned(), req.app_data::<web::Data<Verifier>>().cloned())
    else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    // Without a valid token the handler answers 401, whatever the key; nothing to remember.
    let Ok(caller) = verifier.caller_of(req.request()) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let key = match key_of(req.request()) {
        Ok(Some(k)) => k,
        Ok(None) => return next.call(req).await.map(ServiceResponse::map_into_boxed_body),
        Err(e) => return Ok(req.error_response(e)),
    };
    let body = match read_body(&mut req).await {
        Ok(b) => b,
        Err(e) => return Ok(req.error_response(e)),
    };
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b"\n");
    hasher.update(req.uri().to_string());
    hasher.update(b"\n");
    hasher.update(&body);
    let fingerprint = hex::encode(hasher.finalize());
    req.set_payload(Payload::from(body));

    match app.claim_idempotency_key(caller.id.clone(), key.clone(), fingerprint).await {
        Err(e) => Ok(req.error_response(ApiError::App(e))),
        Ok(Claim::Mismatch) => Ok(req.error_response(ApiError::IdempotencyKeyReused)),
        Ok(Claim::InFlight) => Ok(req.error_response(ApiError::IdempotencyKeyInFlight)),
        Ok(Claim::Replay { status, response }) => {
            let res = replay(status, &response)?;
            Ok(req.into_response(res))
        }
        Ok(claim @ (Claim::Fresh | Claim::Committed { .. })) => {
            let committed = match claim {
                Claim::Committed { complaint_id } => Some(complaint_id),
                _ => None,
            };
            req.extensions_mut().insert(Idempotent { key: key.clone(), committed });
            let res = match next.call(req).await {
                Ok(res) => res,
                Err(e) => {
                    forget(&app, caller.id, key).await;
                    return Err(e);
                }
            };
            if res.status().is_server_error() {
                forget(&app, caller.id, key).await;
                return Ok(res.map_into_boxed_body());
            }
            let (req, res) = res.into_parts();
            let (res, body) = res.into_parts();
            let bytes =
                to_bytes(body).await.map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
            let status = res.status().as_u16();
            let stored = stored_answer(res.headers(), &bytes);
            if let Err(e) = app.complete_idempotency_key(caller.id, key, status, stored).await {
                // The change is committed; only the replay is lost. A repeat then
                // runs again and is refused by the state machine or the schema.
                tracing::warn!(error = %e, "could not store the answer of an idempotent request");
            }
            Ok(ServiceResponse::new(req, res.set_body(BoxBody::new(bytes))))
        }
    }
}

/// A request whose Idempotency-Key this service holds: the handlers that
/// change a complaint mark the key with it in their transaction, and answer
/// with the complaint instead of changing it again when a first attempt
/// did (`committed`) but its answer was lost.
#[derive(Clone, Debug)]
pub struct Idempotent {
    pub key: String,
    pub committed: Option<String>,
}

/// The request's held Idempotency-Key, if any.
pub fn of(req: &HttpRequest) -> Option<Idempotent> {
    req.extensions().get::<Idempotent>().cloned()
}

/// The request's `Idempotency-Key`, if it sent one.
pub(crate) fn key_of(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let visible = |k: &&str| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic());
    match value.to_str().ok().filter(visible) {
        Some(k) => Ok(Some(k.to_string())),
        None => Err(ApiError::bad_parameter("Idempotency-Key", "must be 1 to 255 visible ASCII characters")),
    }
}

/// An answer as it is kept for replay: the headers that matter and the body.
pub(crate) fn stored_answer(headers: &HeaderMap, body: &[u8]) -> String {
    let stored = StoredAnswer {
        headers: KEPT_HEADERS
            .iter()
            .filter_map(|h| headers.get(h).and_then(|v| v.to_str().ok()).map(|v| (h.to_string(), v.to_string())))
            .collect(),
        body: String::from_utf8_lossy(body).into_owned(),
    };
    serde_json::to_string(&stored).expect("answers serialize")
}

/// The first answer to a key, again, marked as a replay.
pub(crate) fn replay(status: u16, response: &str) -> Result<HttpResponse, ApiError> {
    let internal = |e: String| ApiError::App(AppError::Internal(anyhow::anyhow!("a stored answer: {e}")));
    let stored: StoredAnswer = serde_json::from_str(response).map_err(|e| internal(e.to_string()))?;
    let mut res = HttpResponse::build(StatusCode::from_u16(status).map_err(|e| internal(e.to_string()))?);
    for (name, value) in &stored.headers {
        res.insert_header((name.as_str(), value.as_str()));
    }
    res.insert_header(("idempotent-replayed", "true"));
    Ok(res.body(stored.body))
}

pub(crate) async fn forget(app: &App, caller: String, key: String) {
    if let Err(e) = app.release_idempotency_key(caller, key).await {
        tracing::warn!(error = %e, "could not release an idempotency key");
    }
}

/// Reads the body, refusing it past the JSON limit (by its declared length
/// before reading, then by what arrives).
async fn read_body(req: &mut ServiceRequest) -> Result<web::Bytes, ApiError> {
    let declared =
        req.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > JSON_LIMIT) {
        return Err(ApiError::BodyTooLarge(JSON_LIMIT));
    }
    let mut payload = req.take_payload();
    let mut buf = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::InvalidJson(e.to_string()))?;
        if buf.len() + chunk.len() > JSON_LIMIT {
            return Err(ApiError::BodyTooLarge(JSON_LIMIT));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
