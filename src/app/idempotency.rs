//! Idempotency keys (IETF draft "The Idempotency-Key HTTP Header Field"): the
//! first answer to a key is stored and replayed; a key reused with another
//! request is refused; a key whose first request still runs answers 409.

use chrono::{DateTime, Duration, Utc};

use super::{now, App, AppError};
use crate::store::failure::Failure;
use crate::store::{idempotency as keys, to_db, DbConn};

/// How long a key is remembered.
pub const KEY_TTL: Duration = Duration::hours(24);

/// What a key says about a request about to run.
#[derive(Debug)]
pub enum Claim {
    /// The key is new: run the request, then `complete` or `release` the key.
    Fresh,
    /// The same request ran before: its stored answer.
    Replay { status: u16, response: String },
    /// The key was used for another request.
    Mismatch,
    /// The first request with this key has not finished.
    InFlight,
    /// The first request changed this complaint, but its answer was lost
    /// (the process died before keeping it): answer with the complaint.
    Committed { complaint_id: String },
}

/// What a key says about an upload about to run. An upload's fingerprint is
/// known only once its file has streamed through, so the key is claimed
/// first and fingerprinted when the upload is done.
#[derive(Debug)]
pub enum UploadClaim {
    /// The key is new: run the upload, then `finish_upload_key` or release it.
    Fresh,
    /// An upload finished under this key: replay it if the request is the same.
    Done { fingerprint: String, status: u16, response: String },
    /// The first upload with this key has not finished.
    InFlight,
    /// An upload under this key attached its file, but its answer was lost
    /// (the process died, or the lease lapsed while it streamed): answer that
    /// file if the request is the same.
    Attached { fingerprint: String, complaint_id: String, evidence_id: String },
}

/// A key as a claim finds it.
enum Found {
    /// New, and now claimed under the given fingerprint.
    Claimed,
    /// Used (and not expired) by an earlier request.
    Earlier(keys::IdempotencyRow),
    /// Claimed a moment ago by a concurrent request.
    Racing,
}

/// Claims `key` for `caller` with `fingerprint`, unless an earlier request
/// holds it. A key past its 24 hours is reclaimed, and so is a key whose
/// request went unanswered for `lease` without changing anything: that
/// request died with its process.
fn claim(
    conn: &mut DbConn,
    caller: &str,
    key: &str,
    fingerprint: &str,
    at: DateTime<Utc>,
    lease: Duration,
) -> Result<Found, AppError> {
    if let Some(old) = keys::find(conn, caller, key)? {
        let answered = old.status.is_some() || old.complaint_id.is_some();
        let live = to_db(at - KEY_TTL) <= old.created_at;
        if live && (answered || to_db(at - lease) <= old.created_at) {
            return Ok(Found::Earlier(old));
        }
        if !live {
            keys::release(conn, caller, key)?;
        } else if !keys::release_unanswered(conn, caller, key)? {
            // The lost request's change committed while we looked: ask again.
            return Ok(Found::Racing);
        }
    }
    match keys::claim(conn, caller, key, fingerprint, to_db(at)) {
        Ok(true) => Ok(Found::Claimed),
        Ok(false) => Ok(Found::Racing),
        Err(e) if matches!(Failure::of(&e), Failure::Duplicate(_)) => Ok(Found::Racing),
        Err(e) => Err(e.into()),
    }
}

impl App {
    fn lease(&self) -> Duration {
        Duration::from_std(self.idempotency_lease).unwrap_or(Duration::seconds(30))
    }

    /// Claims a key for an upload, whose fingerprint is set when it is done.
    pub async fn claim_upload_key(&self, caller: String, key: String) -> Result<UploadClaim, AppError> {
        let (at, lease) = (now(), self.lease());
        self.write(move |conn| {
            Ok(match claim(conn, &caller, &key, "", at, lease)? {
                Found::Claimed => UploadClaim::Fresh,
                Found::Earlier(old) => match (old.status, old.response, old.complaint_id, old.evidence_id) {
                    (Some(status), Some(response), ..) => {
                        UploadClaim::Done { fingerprint: old.fingerprint, status: status as u16, response }
                    }
                    (None, _, Some(complaint_id), Some(evidence_id)) => {
                        UploadClaim::Attached { fingerprint: old.fingerprint, complaint_id, evidence_id }
                    }
                    _ => UploadClaim::InFlight,
                },
                Found::Racing => UploadClaim::InFlight,
            })
        })
        .await
    }

    pub async fn finish_upload_key(
        &self,
        caller: String,
        key: String,
        fingerprint: String,
        status: u16,
        response: String,
    ) -> Result<(), AppError> {
        self.write(move |conn| {
            keys::set_fingerprint(conn, &caller, &key, &fingerprint)?;
            Ok(keys::complete(conn, &caller, &key, i32::from(status), &response)?)
        })
        .await
    }

    pub async fn claim_idempotency_key(
        &self,
        caller: String,
        key: String,
        fingerprint: String,
    ) -> Result<Claim, AppError> {
        let (at, lease) = (now(), self.lease());
        self.write(move |conn| {
            Ok(match claim(conn, &caller, &key, &fingerprint, at, lease)? {
                Found::Claimed => Claim::Fresh,
                Found::Earlier(old) => match (old.fingerprint == fingerprint, old.status, old.response) {
                    (false, _, _) => Claim::Mismatch,
                    (true, Some(status), Some(response)) => Claim::Replay { status: status as u16, response },
                    (true, _, _) => match old.complaint_id {
                        Some(complaint_id) => Claim::Committed { complaint_id },
                        None => Claim::InFlight,
                    },
                },
                Found::Racing => Claim::InFlight,
            })
        })
        .await
    }

    pub async fn complete_idempotency_key(
        &self,
        caller: String,
        key: String,
        status: u16,
        response: String,
    ) -> Result<(), AppError> {
        self.write(move |conn| Ok(keys::complete(conn, &caller, &key, i32::from(status), &response)?)).await
    }

    /// Forgets the keys past their 24 hours.
    pub async fn purge_idempotency_keys(&self, at: chrono::DateTime<chrono::Utc>) -> Result<usize, AppError> {
        let before = to_db(at - KEY_TTL);
        super::retention::in_batches(|| self.write(move |conn| Ok(keys::purge(conn, before, super::retention::BATCH)?)))
            .await
    }

    /// Frees a key whose request failed, unless a change (or an upload's
    /// file) was committed under it meanwhile.
    pub async fn release_idempotency_key(&self, caller: String, key: String) -> Result<(), AppError> {
        self.write(move |conn| Ok(keys::release_unanswered(conn, &caller, &key).map(drop)?)).await
    }
}
