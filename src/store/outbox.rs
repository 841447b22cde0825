//! The outbox: events for the marketplace, written in the transaction of the
//! change they report, and read by the feed in an order no later commit can
//! slip behind.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::outbox;
use super::DbConn;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
pub struct NewOutboxEvent {
    pub id: String,
    pub kind: String,
    pub complaint_id: Option<String>,
    pub data: String,
    pub occurred_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub seq: i64,
    /// The writing transaction (PostgreSQL); 0 on SQLite.
    pub txid: i64,
    pub id: String,
    pub kind: String,
    pub complaint_id: Option<String>,
    pub data: String,
    pub occurred_at: NaiveDateTime,
}

/// Inserts events in the transaction of the change they report.
pub fn insert(conn: &mut DbConn, events: &[NewOutboxEvent]) -> QueryResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    super::dialect::insert_all!(conn, outbox::table, events).map(drop)
}

/// Where a consumer stands in the feed: the last event it read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedPosition {
    pub txid: i64,
    pub seq: i64,
}

/// Events after `position`, in feed order; see `dialect::outbox_after`.
pub fn after(conn: &mut DbConn, position: FeedPosition, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    super::dialect::outbox_after(conn, position, limit)
}

/// Moves the consumer `name` (locked by `dialect::lock_cursor`) to `to`.
pub fn move_cursor(conn: &mut DbConn, name: &str, to: FeedPosition) -> QueryResult<()> {
    diesel::update(super::schema::outbox_cursors::table.find(name))
        .set((super::schema::outbox_cursors::txid.eq(to.txid), super::schema::outbox_cursors::seq.eq(to.seq)))
        .execute(conn)
        .map(drop)
}

/// Where the consumer `name` stands, `None` if it never ran.
fn cursor_of(conn: &mut DbConn, name: &str) -> QueryResult<Option<FeedPosition>> {
    use super::schema::outbox_cursors as k;
    let found = k::table.find(name).select((k::txid, k::seq)).first::<(i64, i64)>(conn).optional()?;
    Ok(found.map(|(txid, seq)| FeedPosition { txid, seq }))
}

/// Whether the consumer `name` has events left to read (a read, so an idle
/// consumer takes no write lock). A consumer that never ran has them all.
pub fn any_unread(conn: &mut DbConn, name: &str) -> QueryResult<bool> {
    let at = cursor_of(conn, name)?.unwrap_or_default();
    diesel::select(diesel::dsl::exists(
        outbox::table.filter(outbox::txid.gt(at.txid).or(outbox::txid.eq(at.txid).and(outbox::seq.gt(at.seq)))),
    ))
    .get_result(conn)
}

/// When the oldest event the consumer `name` has not read happened
/// (`Some(None)`: it is up to date); `None` when the consumer never ran.
pub fn oldest_unread(conn: &mut DbConn, name: &str) -> QueryResult<Option<Option<NaiveDateTime>>> {
    let Some(at) = cursor_of(conn, name)? else { return Ok(None) };
    outbox::table
        .filter(outbox::txid.gt(at.txid).or(outbox::txid.eq(at.txid).and(outbox::seq.gt(at.seq))))
        .select(diesel::dsl::min(outbox::occurred_at))
        .first(conn)
        .map(Some)
}
