//! The append-only timeline of each complaint.

use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;

use super::schema::timeline;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = timeline, treat_none_as_default_value = false)]
pub struct TimelineRow {
    pub complaint_id: String,
    pub seq: i64,
    pub kind: String,
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub visibility: String,
    pub data: String,
    pub at: NaiveDateTime,
}

/// The next free sequence number of a complaint's timeline. Called with the
/// complaint locked, so two writers never take the same number.
pub fn next_seq(conn: &mut DbConn, complaint_id: &str) -> QueryResult<i64> {
    let last: Option<i64> =
        timeline::table.filter(timeline::complaint_id.eq(complaint_id)).select(max(timeline::seq)).first(conn)?;
    Ok(last.unwrap_or(0) + 1)
}

pub fn append(conn: &mut DbConn, rows: &[TimelineRow]) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    super::dialect::insert_all!(conn, timeline::table, rows).map(drop)
}

/// Entries after `after_seq`, oldest first; staff-only entries only for staff.
pub fn list(
    conn: &mut DbConn,
    complaint_id: &str,
    with_staff_notes: bool,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<TimelineRow>> {
    let mut q = timeline::table
        .filter(timeline::complaint_id.eq(complaint_id))
        .filter(timeline::seq.gt(after_seq))
        .order(timeline::seq.asc())
        .limit(limit)
        .select(TimelineRow::as_select())
        .into_boxed();
    if !with_staff_notes {
        q = q.filter(timeline::visibility.eq("parties"));
    }
    q.load(conn)
}
