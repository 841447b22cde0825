//! The outbox: events for the marketplace, written in the transaction of the
//! change they report, and read by the feed in an order no later commit can
//! slip behind.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use super::prepared::Writes;
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

/// Adds the insert of a change's events to `writes`, the writes of the
/// change they report. On PostgreSQL they go in one multi-row insert, which
/// takes their sequence numbers in the order given (the writes of one
/// statement run in no set order); diesel keeps an insert of a fixed number
/// of rows prepared.
pub fn insert(writes: &mut Writes, events: Vec<NewOutboxEvent>) {
    macro_rules! rows_of {
        ($events:expr, $($n:literal)*) => {{
            let events = $events;
            $(
                let events = match <[NewOutboxEvent; $n]>::try_from(events) {
                    Ok(rows) => return writes.push_pg(diesel::insert_into(outbox::table).values(rows)),
                    Err(events) => events,
                };
            )*
            events
        }};
    }
    match writes {
        // One writer at a time, statement after statement: in order.
        Writes::Sqlite(_) => writes.insert(outbox::table, events),
        Writes::Pg(_) if events.is_empty() => {}
        Writes::Pg(_) => {
            let events = rows_of!(events, 1 2 3 4 5 6);
            writes.push_pg(diesel::insert_into(outbox::table).values(events));
        }
    }
}

/// Where a consumer stands in the feed: the last event it read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedPosition {
    pub txid: i64,
    pub seq: i64,
}

/// Events after `position`, in feed order. On PostgreSQL sequence numbers are taken
/// at insert, not at commit, so a reader ordering by `seq` alone could pass a
/// number whose transaction commits later and skip it for good. The feed
/// therefore orders by (writing transaction id, seq) and returns only events
/// of transactions older than the oldest one still running: every later
/// commit has a larger transaction id, so nothing ever lands behind a
/// cursor. On SQLite (one writer at a time) `seq` is commit order.
pub fn after(conn: &mut DbConn, position: FeedPosition, limit: i64) -> QueryResult<Vec<OutboxRow>> {
    match conn {
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT seq, txid, id, kind, complaint_id, data, occurred_at FROM outbox \
             WHERE (txid, seq) > ($1, $2) AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
             ORDER BY txid, seq LIMIT $3",
        )
        .bind::<BigInt, _>(position.txid)
        .bind::<BigInt, _>(position.seq)
        .bind::<BigInt, _>(limit)
        .load(c),
        DbConn::Sqlite(c) => outbox::table
            .filter(outbox::seq.gt(position.seq))
            .order(outbox::seq.asc())
            .limit(limit)
            .select(OutboxRow::as_select())
            .load(c),
    }
}

/// The position of the last event the feed shows now. Events of
/// transactions still running land after it (their transaction ids are
/// newer than every visible one), so a consumer starting here misses none.
pub fn visible_end(conn: &mut DbConn) -> QueryResult<FeedPosition> {
    #[derive(QueryableByName)]
    struct Position {
        #[diesel(sql_type = BigInt)]
        txid: i64,
        #[diesel(sql_type = BigInt)]
        seq: i64,
    }
    let last: Option<Position> = match conn {
        DbConn::Pg(c) => diesel::sql_query(
            "SELECT txid, seq FROM outbox \
             WHERE txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint \
             ORDER BY txid DESC, seq DESC LIMIT 1",
        )
        .get_result(c)
        .optional()?,
        DbConn::Sqlite(c) => {
            diesel::sql_query("SELECT txid, seq FROM outbox ORDER BY seq DESC LIMIT 1").get_result(c).optional()?
        }
    };
    Ok(last.map(|p| FeedPosition { txid: p.txid, seq: p.seq }).unwrap_or_default())
}

/// Gives the consumer `name` its cursor unless it has one: at the feed's
/// visible end, so a consumer turned on over an existing database does not
/// deliver the whole history again, or with `from_start` at the beginning.
/// Returns whether it was created.
pub fn open_cursor(conn: &mut DbConn, name: &str, from_start: bool) -> QueryResult<bool> {
    use super::schema::outbox_cursors as k;
    if cursor_of(conn, name)?.is_some() {
        return Ok(false);
    }
    let at = if from_start { FeedPosition::default() } else { visible_end(conn)? };
    let start = (k::name.eq(name), k::txid.eq(at.txid), k::seq.eq(at.seq));
    Ok(super::dialect::insert_new!(conn, k::table, start)? == 1)
}

/// The position of the outbox consumer `name`, locked until the transaction
/// ends so one instance at a time moves it. The service opens each consumer
/// it runs before serving (`open_cursor`); one nobody opened reads from the
/// beginning.
pub fn lock_cursor(conn: &mut DbConn, name: &str) -> QueryResult<FeedPosition> {
    use super::schema::outbox_cursors as k;
    open_cursor(conn, name, true)?;
    let (txid, seq): (i64, i64) =
        super::dialect::first_for_update!(conn, k::table.find(name).select((k::txid, k::seq)))?;
    Ok(FeedPosition { txid, seq })
}

/// Moves the consumer `name` (locked by `lock_cursor`) to `to`.
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

/// `(txid, seq) > position` as a row value, which an index on `(txid, seq)`
/// answers directly (an OR of the two columns it does not).
macro_rules! after_position {
    ($at:expr) => {
        super::prepared::row_after((outbox::txid, outbox::seq), ($at.txid, $at.seq))
    };
}

/// Whether the consumer `name` has events left to read (a read, so an idle
/// consumer takes no write lock). A consumer that never ran has them all,
/// until it gets its cursor.
pub fn any_unread(conn: &mut DbConn, name: &str) -> QueryResult<bool> {
    let at = cursor_of(conn, name)?.unwrap_or_default();
    // One row off `outbox_feed`: the first event after the cursor.
    let next: Option<i64> = outbox::table
        .filter(after_position!(at))
        .order((outbox::txid.asc(), outbox::seq.asc()))
        .select(outbox::seq)
        .first(conn)
        .optional()?;
    Ok(next.is_some())
}

/// When the oldest event the consumer `name` has not read happened
/// (`Some(None)`: it is up to date); `None` when the consumer never ran.
pub fn oldest_unread(conn: &mut DbConn, name: &str) -> QueryResult<Option<Option<NaiveDateTime>>> {
    let Some(at) = cursor_of(conn, name)? else { return Ok(None) };
    // The first unread event in feed order is near the oldest (events are
    // written in time order), and one row off the index.
    let first: Option<NaiveDateTime> = outbox::table
        .filter(after_position!(at))
        .order((outbox::txid.asc(), outbox::seq.asc()))
        .select(outbox::occurred_at)
        .first(conn)
        .optional()?;
    Ok(Some(first))
}
