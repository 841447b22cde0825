//! Evidence rows (the files themselves live in the evidence store).

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::evidence;
use super::DbConn;

/// How many of `ids` are stored evidence of this complaint.
pub fn count_of_complaint(conn: &mut DbConn, complaint_id: &str, ids: &[String]) -> QueryResult<i64> {
    evidence::table
        .filter(evidence::complaint_id.eq(complaint_id))
        .filter(evidence::id.eq_any(ids))
        .filter(evidence::status.eq("stored"))
        .select(count_star())
        .first(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = evidence, treat_none_as_default_value = false)]
pub struct EvidenceRow {
    pub id: String,
    pub complaint_id: String,
    pub uploader_id: String,
    pub uploader_role: String,
    pub kind: String,
    pub media_type: String,
    pub size_bytes: i64,
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub object_key: String,
    pub status: String,
    pub created_at: chrono::NaiveDateTime,
    pub description: Option<String>,
    /// When a pending direct upload's URL expires.
    pub upload_expires_at: Option<chrono::NaiveDateTime>,
}

pub fn insert(conn: &mut DbConn, row: &EvidenceRow) -> QueryResult<()> {
    diesel::insert_into(evidence::table).values(row).execute(conn).map(drop)
}

/// Files a party (by role) has attached to a complaint.
pub fn count_by_role(conn: &mut DbConn, complaint_id: &str, role: &str) -> QueryResult<i64> {
    evidence::table
        .filter(evidence::complaint_id.eq(complaint_id))
        .filter(evidence::uploader_role.eq(role))
        .select(count_star())
        .first(conn)
}

/// A complaint's stored evidence, oldest first.
pub fn of_complaint(conn: &mut DbConn, complaint_id: &str) -> QueryResult<Vec<EvidenceRow>> {
    evidence::table
        .filter(evidence::complaint_id.eq(complaint_id))
        .filter(evidence::status.eq("stored"))
        .order(evidence::id.asc())
        .select(EvidenceRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConn, complaint_id: &str, id: &str) -> QueryResult<Option<EvidenceRow>> {
    find_any(conn, complaint_id, id).map(|row| row.filter(|r| r.status == "stored"))
}

/// A file of the complaint, stored or pending.
pub fn find_any(conn: &mut DbConn, complaint_id: &str, id: &str) -> QueryResult<Option<EvidenceRow>> {
    evidence::table
        .filter(evidence::complaint_id.eq(complaint_id))
        .filter(evidence::id.eq(id))
        .select(EvidenceRow::as_select())
        .first(conn)
        .optional()
}

/// Turns a pending direct upload into stored evidence, unless it expired
/// (`deadline` is the latest accepted expiry) or a sweep removed it. Returns
/// whether it did.
pub fn mark_stored(
    conn: &mut DbConn,
    id: &str,
    object_key: &str,
    sha256: &str,
    deadline: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        evidence::table
            .filter(evidence::id.eq(id))
            .filter(evidence::status.eq("pending"))
            .filter(evidence::upload_expires_at.ge(deadline)),
    )
    .set((
        evidence::status.eq("stored"),
        evidence::object_key.eq(object_key),
        evidence::sha256.eq(sha256),
        evidence::created_at.eq(at),
        evidence::upload_expires_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Removes a pending upload's row (never a stored one).
pub fn delete_pending(conn: &mut DbConn, id: &str) -> QueryResult<usize> {
    diesel::delete(evidence::table.filter(evidence::id.eq(id)).filter(evidence::status.eq("pending"))).execute(conn)
}

/// Pending uploads whose URL expired before `before`, oldest first.
pub fn expired_pending(conn: &mut DbConn, before: NaiveDateTime, limit: i64) -> QueryResult<Vec<EvidenceRow>> {
    evidence::table
        // A literal, so the partial index `evidence_pending` serves generic plans.
        .filter(super::prepared::Condition("status = 'pending'"))
        .filter(evidence::upload_expires_at.lt(before))
        .order(evidence::upload_expires_at.asc())
        .limit(limit)
        .select(EvidenceRow::as_select())
        .load(conn)
}
