//! The append-only timeline of each complaint.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::prepared::Writes;
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

/// Adds the insert of a change's entries to `writes`.
pub fn append(writes: &mut Writes, rows: Vec<TimelineRow>) {
    writes.insert(timeline::table, rows);
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
