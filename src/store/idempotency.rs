//! Stored answers of POST requests sent with an `Idempotency-Key`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::dialect::insert_new;
use super::schema::idempotency_keys as k;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = k)]
pub struct IdempotencyRow {
    pub caller: String,
    pub key: String,
    pub fingerprint: String,
    pub status: Option<i32>,
    pub response: Option<String>,
    pub created_at: NaiveDateTime,
    /// The complaint the request changed, set in the transaction of the change.
    pub complaint_id: Option<String>,
    /// The evidence an upload attached, set in the transaction that attached it.
    pub evidence_id: Option<String>,
}

/// Claims an idempotency key: inserts it unless the caller already used it.
/// Returns whether this call inserted it.
pub fn claim(
    conn: &mut DbConn,
    caller: &str,
    key: &str,
    fingerprint: &str,
    now: chrono::NaiveDateTime,
) -> QueryResult<bool> {
    let row = (k::caller.eq(caller), k::key.eq(key), k::fingerprint.eq(fingerprint), k::created_at.eq(now));
    Ok(insert_new!(conn, k::table, row)? == 1)
}

pub fn find(conn: &mut DbConn, caller: &str, key: &str) -> QueryResult<Option<IdempotencyRow>> {
    k::table.find((caller, key)).select(IdempotencyRow::as_select()).first(conn).optional()
}

pub fn complete(conn: &mut DbConn, caller: &str, key: &str, status: i32, response: &str) -> QueryResult<()> {
    diesel::update(k::table.find((caller, key)))
        .set((k::status.eq(status), k::response.eq(response)))
        .execute(conn)
        .map(drop)
}

/// Records, in the transaction of the change, the complaint a request changed.
pub fn mark(conn: &mut DbConn, caller: &str, key: &str, complaint_id: &str) -> QueryResult<()> {
    diesel::update(k::table.find((caller, key))).set(k::complaint_id.eq(complaint_id)).execute(conn).map(drop)
}

/// Marks an upload's key with what it attached, in the attaching
/// transaction. False when another upload under the key attached its file
/// first (the key is marked or answered already); a key that is gone (purged)
/// has nothing to guard.
pub fn mark_upload(
    conn: &mut DbConn,
    caller: &str,
    key: &str,
    fingerprint: &str,
    complaint_id: &str,
    evidence_id: &str,
) -> QueryResult<bool> {
    let unmarked = k::table
        .find((caller, key))
        .filter(k::status.is_null())
        .filter(k::complaint_id.is_null())
        .filter(k::evidence_id.is_null());
    let n = diesel::update(unmarked)
        .set((k::fingerprint.eq(fingerprint), k::complaint_id.eq(complaint_id), k::evidence_id.eq(evidence_id)))
        .execute(conn)?;
    Ok(n == 1 || find(conn, caller, key)?.is_none())
}

pub fn set_fingerprint(conn: &mut DbConn, caller: &str, key: &str, fingerprint: &str) -> QueryResult<()> {
    diesel::update(k::table.find((caller, key))).set(k::fingerprint.eq(fingerprint)).execute(conn).map(drop)
}

/// Forgets a key, so the request can be tried again (after our own failure,
/// or once the key has expired).
pub fn release(conn: &mut DbConn, caller: &str, key: &str) -> QueryResult<()> {
    diesel::delete(k::table.find((caller, key))).execute(conn).map(drop)
}

/// Forgets a key whose request went unanswered without changing anything,
/// unless that changed meanwhile: on PostgreSQL the delete waits for a
/// transaction still marking the key and then leaves the marked row alone.
/// Whether the key was forgotten.
pub fn release_unanswered(conn: &mut DbConn, caller: &str, key: &str) -> QueryResult<bool> {
    let unanswered = k::table.find((caller, key)).filter(k::status.is_null()).filter(k::complaint_id.is_null());
    Ok(diesel::delete(unanswered).execute(conn)? == 1)
}

/// Forgets every key older than `before`; returns how many.
pub fn purge(conn: &mut DbConn, before: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    // The `limit`-th oldest expired key bounds this batch (keys have no
    // single-column id to pick them by).
    let last: Option<NaiveDateTime> = k::table
        .filter(k::created_at.lt(before))
        .order(k::created_at.asc())
        .offset(limit.saturating_sub(1))
        .select(k::created_at)
        .first(conn)
        .optional()?;
    let upto = last.map_or(before, |at| at.min(before));
    let mut q = diesel::delete(k::table.filter(k::created_at.lt(before))).into_boxed();
    if last.is_some() {
        q = q.filter(k::created_at.le(upto));
    }
    q.execute(conn)
}
