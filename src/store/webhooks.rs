//! Webhook deliveries of outbox events and the record of every attempt.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::dialect::insert_new;
use super::schema::{webhook_attempts, webhook_deliveries as d};
use super::DbConn;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = d, treat_none_as_default_value = false)]
pub struct NewDelivery {
    pub event_id: String,
    pub payload: String,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
}

/// Queues deliveries; an event already queued is left as it is.
pub fn enqueue(conn: &mut DbConn, rows: &[NewDelivery]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    insert_new!(conn, d::table, rows)
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = webhook_attempts, treat_none_as_default_value = false)]
pub struct Attempt {
    pub event_id: String,
    pub attempt: i32,
    pub at: NaiveDateTime,
    pub status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What came of an attempt.
pub enum Outcome {
    Delivered,
    RetryAt(NaiveDateTime),
    GiveUp,
}

/// Records an attempt and what it leads to, in one transaction.
pub fn record(conn: &mut DbConn, attempt: &Attempt, outcome: Outcome) -> QueryResult<()> {
    insert_new!(conn, webhook_attempts::table, attempt)?;
    let row = d::table.find(&attempt.event_id);
    let error = attempt.error.clone().or_else(|| attempt.status.map(|s| format!("HTTP {s}")));
    match outcome {
        Outcome::Delivered => {
            diesel::update(row).set((d::delivered_at.eq(attempt.at), d::last_error.eq(None::<String>))).execute(conn)
        }
        Outcome::RetryAt(at) => {
            diesel::update(row).set((d::next_attempt_at.eq(at), d::last_error.eq(error))).execute(conn)
        }
        Outcome::GiveUp => {
            diesel::update(row).set((d::given_up_at.eq(attempt.at), d::last_error.eq(error))).execute(conn)
        }
    }
    .map(drop)
}

/// Deletes up to `limit` deliveries acknowledged before `before`, oldest
/// first (walking `webhook_deliveries_delivered`), with their attempts;
/// returns how many deliveries. Pending and given-up ones stay.
pub fn delete_delivered_before(conn: &mut DbConn, before: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    let ids: Vec<String> = d::table
        .filter(d::delivered_at.lt(before))
        .order(d::delivered_at.asc())
        .limit(limit)
        .select(d::event_id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::delete(webhook_attempts::table.filter(webhook_attempts::event_id.eq_any(&ids))).execute(conn)?;
    diesel::delete(d::table.filter(d::event_id.eq_any(&ids))).execute(conn)
}

/// What an outgoing queue holds that operators watch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Still to be delivered, with a failed attempt behind them.
    pub failing: i64,
    pub given_up: i64,
    /// When the oldest one still to be delivered was queued.
    pub oldest_pending: Option<NaiveDateTime>,
}

/// The queue's counts, each from a partial index (`webhook_deliveries_due`,
/// `webhook_deliveries_given_up`).
pub fn counts(conn: &mut DbConn) -> QueryResult<QueueCounts> {
    use diesel::dsl::{count_star, min};
    let pending = d::table.filter(d::delivered_at.is_null()).filter(d::given_up_at.is_null());
    Ok(QueueCounts {
        failing: pending.filter(d::last_error.is_not_null()).select(count_star()).first(conn)?,
        given_up: d::table.filter(d::given_up_at.is_not_null()).select(count_star()).first(conn)?,
        oldest_pending: pending.select(min(d::created_at)).first(conn)?,
    })
}

/// Attempts not acknowledged, of those kept, from `webhook_attempts_failed`
/// (the predicate is a literal so the partial index matches it).
pub fn failed_attempts(conn: &mut DbConn) -> QueryResult<i64> {
    webhook_attempts::table
        .filter(super::prepared::Condition("(status IS NULL OR status < 200 OR status > 299)"))
        .select(diesel::dsl::count_star())
        .first(conn)
}

/// Whether a delivery is due at `now` (a read, before claiming).
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        d::table.filter(d::delivered_at.is_null()).filter(d::given_up_at.is_null()).filter(d::next_attempt_at.le(now)),
    ))
    .get_result(conn)
}

/// A webhook delivery claimed for one attempt.
#[derive(Debug, Clone, QueryableByName)]
pub struct ClaimedDelivery {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub event_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub payload: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub created_at: chrono::NaiveDateTime,
    /// This attempt's number, from 1.
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
}

/// Webhook deliveries due at `now`; see `dialect::claim_due`.
pub fn claim_due(
    conn: &mut DbConn,
    now: chrono::NaiveDateTime,
    lease_until: chrono::NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ClaimedDelivery>> {
    super::dialect::claim_due(
        conn,
        "webhook_deliveries",
        "event_id",
        "delivered_at",
        "event_id, payload, created_at, attempts",
        now,
        lease_until,
        limit,
    )
}
