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
