//! Mails to send: one per (event, recipient) or reminder, and what became of it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::dialect::insert_new;
use super::schema::mail_deliveries as m;
use super::DbConn;

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = m, treat_none_as_default_value = false)]
pub struct NewMail {
    pub id: String,
    pub event_id: Option<String>,
    pub complaint_id: Option<String>,
    pub recipient_role: String,
    pub address: String,
    pub locale: String,
    pub subject: String,
    pub body: String,
    pub reminder_for: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub next_attempt_at: NaiveDateTime,
    /// Mails sharing it replace each other until one is sent.
    pub collapse_key: Option<String>,
    /// The evidence request a reminder is about: sent only while it is open.
    pub reminder_request: Option<String>,
}

/// Queues mails; one already queued under the same id is left as it is.
pub fn enqueue(conn: &mut DbConn, rows: &[NewMail]) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    insert_new!(conn, m::table, rows)
}

/// What came of an attempt.
pub enum Outcome {
    Sent,
    RetryAt(NaiveDateTime, String),
    GiveUp(String),
}

pub fn record(conn: &mut DbConn, id: &str, at: NaiveDateTime, outcome: Outcome) -> QueryResult<()> {
    let row = m::table.find(id);
    match outcome {
        Outcome::Sent => diesel::update(row).set((m::sent_at.eq(at), m::last_error.eq(None::<String>))).execute(conn),
        Outcome::RetryAt(next, error) => {
            diesel::update(row).set((m::next_attempt_at.eq(next), m::last_error.eq(error))).execute(conn)
        }
        Outcome::GiveUp(error) => {
            diesel::update(row).set((m::given_up_at.eq(at), m::last_error.eq(error))).execute(conn)
        }
    }
    .map(drop)
}

/// Deletes up to `limit` mails sent before `before`, oldest first (walking
/// `mail_deliveries_sent`); returns how many. Unsent and given-up mail stays.
pub fn delete_sent_before(conn: &mut DbConn, before: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    let ids: Vec<String> =
        m::table.filter(m::sent_at.lt(before)).order(m::sent_at.asc()).limit(limit).select(m::id).load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    diesel::delete(m::table.filter(m::id.eq_any(&ids))).execute(conn)
}

pub use super::webhooks::QueueCounts;

/// The queue's counts, each from a partial index (`mail_deliveries_due`,
/// `mail_deliveries_given_up`).
pub fn counts(conn: &mut DbConn) -> QueryResult<QueueCounts> {
    use diesel::dsl::{count_star, min};
    let pending = m::table.filter(m::sent_at.is_null()).filter(m::given_up_at.is_null());
    Ok(QueueCounts {
        failing: pending.filter(m::last_error.is_not_null()).select(count_star()).first(conn)?,
        given_up: m::table.filter(m::given_up_at.is_not_null()).select(count_star()).first(conn)?,
        oldest_pending: pending.select(min(m::created_at)).first(conn)?,
    })
}

/// Whether a mail is due at `now` (a read, before claiming).
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        m::table.filter(m::sent_at.is_null()).filter(m::given_up_at.is_null()).filter(m::next_attempt_at.le(now)),
    ))
    .get_result(conn)
}

/// Whether a mail under `key` was queued after `created_at` (or with a later
/// id at the same time) and is sent or still to be sent: the one at hand is
/// then out of date.
pub fn superseded(conn: &mut DbConn, key: &str, id: &str, created_at: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        m::table
            .filter(m::collapse_key.eq(key))
            .filter(m::given_up_at.is_null())
            .filter(m::created_at.gt(created_at).or(m::created_at.eq(created_at).and(m::id.gt(id)))),
    ))
    .get_result(conn)
}

/// A mail claimed for one attempt.
#[derive(Debug, Clone, QueryableByName)]
pub struct ClaimedMail {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub id: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub complaint_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub address: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub locale: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub subject: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub body: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    pub reminder_for: Option<chrono::NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    pub created_at: chrono::NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub attempts: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub collapse_key: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub reminder_request: Option<String>,
}

/// Mails due at `now`; see `dialect::claim_due`.
pub fn claim_due(
    conn: &mut DbConn,
    now: chrono::NaiveDateTime,
    lease_until: chrono::NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<ClaimedMail>> {
    super::dialect::claim_due(
        conn,
        "mail_deliveries",
        "id",
        "sent_at",
        "id, complaint_id, address, locale, subject, body, reminder_for, created_at, attempts, collapse_key, reminder_request",
        now,
        lease_until,
        limit,
    )
}
