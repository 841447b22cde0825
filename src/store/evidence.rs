//! Evidence rows (the files themselves live in the evidence store).

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
#[diesel(table_name = evidence)]
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
    evidence::table
        .filter(evidence::complaint_id.eq(complaint_id))
        .filter(evidence::id.eq(id))
        .filter(evidence::status.eq("stored"))
        .select(EvidenceRow::as_select())
        .first(conn)
        .optional()
}
