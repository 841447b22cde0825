//! Listing notices: violations filed against a seller outside complaints.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::prepared::Condition;
use super::schema::listing_notices;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = listing_notices, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct NoticeRow {
    pub id: String,
    pub seller_id: String,
    pub listing_id: String,
    pub description: String,
    pub filed_by: String,
    pub filed_by_role: String,
    pub status: String,
    pub explanation: Option<String>,
    pub due_at: NaiveDateTime,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConn, row: &NoticeRow) -> QueryResult<()> {
    diesel::insert_into(listing_notices::table).values(row).execute(conn).map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<NoticeRow>> {
    listing_notices::table.find(id).select(NoticeRow::as_select()).first(conn).optional()
}

/// The notice, its row locked until the transaction ends (PostgreSQL).
pub fn find_for_update(conn: &mut DbConn, id: &str) -> QueryResult<Option<NoticeRow>> {
    super::dialect::first_for_update!(conn, listing_notices::table.find(id).select(NoticeRow::as_select())).optional()
}

/// The seller's notices, oldest first, after the `(created_at, id)` cursor.
pub fn of_seller(
    conn: &mut DbConn,
    seller_id: &str,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<NoticeRow>> {
    let mut q = listing_notices::table
        .filter(listing_notices::seller_id.eq(seller_id.to_string()))
        .order((listing_notices::created_at.asc(), listing_notices::id.asc()))
        .limit(limit)
        .select(NoticeRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(super::prepared::row_after((listing_notices::created_at, listing_notices::id), after));
    }
    q.load(conn)
}

pub fn save(conn: &mut DbConn, row: &NoticeRow) -> QueryResult<()> {
    diesel::update(listing_notices::table.find(&row.id)).set(row).execute(conn).map(drop)
}

/// Whether any open notice's window has passed: a read, so an idle timer
/// takes no write lock.
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    let first: Option<String> = listing_notices::table
        .filter(Condition("status = 'open'"))
        .filter(listing_notices::due_at.le(now))
        .order((listing_notices::due_at.asc(), listing_notices::id.asc()))
        .select(listing_notices::id)
        .first(conn)
        .optional()?;
    Ok(first.is_some())
}

/// Up to `limit` open notices whose window passed, oldest first; on
/// PostgreSQL locked, skipping those another instance holds.
pub fn claim_due(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    let q = listing_notices::table
        // A literal, so the partial index `listing_notices_due` serves generic plans.
        .filter(Condition("status = 'open'"))
        .filter(listing_notices::due_at.le(now))
        .order((listing_notices::due_at.asc(), listing_notices::id.asc()))
        .limit(limit)
        .select(listing_notices::id);
    super::dialect::load_skip_locked!(conn, q)
}
