//! The outbox: events for the marketplace, written in the transaction of the
//! change they report and read in commit order by the feed.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::outbox;
use super::DbConn;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewOutboxEvent {
    pub id: String,
    pub kind: String,
    pub complaint_id: Option<String>,
    pub data: String,
    pub occurred_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub seq: i64,
    pub id: String,
    pub kind: String,
    pub complaint_id: Option<String>,
    pub data: String,
    pub occurred_at: NaiveDateTime,
}

/// Inserts events; the caller has taken `dialect::order_outbox` first.
pub fn insert(conn: &mut DbConn, events: &[NewOutboxEvent]) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    super::dialect::insert_all!(conn, outbox::table, events).map(drop)
}

pub fn after(conn: &mut DbConn, after_seq: i64, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    outbox::table
        .filter(outbox::seq.gt(after_seq))
        .order(outbox::seq.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .load(conn)
}
