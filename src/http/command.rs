//! What the command handlers share: the body a caller may send, the
//! command run under the request's `If-Match` and `Idempotency-Key`, and
//! the complaint answer with its `ETag`.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

use super::body;
use super::idempotency::{self, Idempotent};
use super::params::if_match;
use super::problem::ApiError;
use super::wire::ComplaintView;
use crate::app::complaints::Seen;
use crate::app::{now, App, Caller};
use crate::domain::{Action, Command};

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
