//! Staff accounts the service keeps itself.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{staff_accounts, staff_sessions, staff_sign_in_failures};
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = staff_accounts, treat_none_as_default_value = false)]
pub struct StaffRow {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub locale: String,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub disabled_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// IANA name of the agent's zone.
    pub time_zone: String,
}

/// Inserts the account unless one with its id exists; true when it was new.
pub fn insert_new(conn: &mut DbConn, row: &StaffRow) -> QueryResult<bool> {
    super::dialect::insert_new!(conn, staff_accounts::table, row).map(|n| n == 1)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<StaffRow>> {
    staff_accounts::table.find(id).select(StaffRow::as_select()).first(conn).optional()
}

/// Accounts in id order after `after`, at most `limit`.
pub fn list(conn: &mut DbConn, after: Option<&str>, limit: i64) -> QueryResult<Vec<StaffRow>> {
    let mut q =
        staff_accounts::table.order(staff_accounts::id.asc()).limit(limit).select(StaffRow::as_select()).into_boxed();
    if let Some(after) = after {
        q = q.filter(staff_accounts::id.gt(after.to_string()));
    }
    q.load(conn)
}

/// Sets the password hash; false when there is no such account.
pub fn set_password(conn: &mut DbConn, id: &str, hash: &str, at: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(staff_accounts::table.find(id))
        .set((staff_accounts::password_hash.eq(hash), staff_accounts::updated_at.eq(at)))
        .execute(conn)
        .map(|n| n == 1)
}

/// Marks the account disabled (once; a second call keeps the first time);
/// false when there is no such account.
pub fn disable(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let found = find(conn, id)?;
    match found {
        None => Ok(false),
        Some(row) if row.disabled_at.is_some() => Ok(true),
        Some(_) => diesel::update(staff_accounts::table.find(id))
            .set((staff_accounts::disabled_at.eq(Some(at)), staff_accounts::updated_at.eq(at)))
            .execute(conn)
            .map(|n| n == 1),
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = staff_sessions)]
pub struct SessionRow {
    pub token_hash: String,
    pub staff_id: String,
    pub csrf_token: String,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert_session(conn: &mut DbConn, row: &SessionRow) -> QueryResult<()> {
    diesel::insert_into(staff_sessions::table).values(row).execute(conn).map(drop)
}

/// The session and its account, when the session runs at `now` (seen since
/// `idle_since`, before its absolute end) and the account is enabled.
pub fn live_session(
    conn: &mut DbConn,
    token_hash: &str,
    now: NaiveDateTime,
    idle_since: NaiveDateTime,
) -> QueryResult<Option<(SessionRow, StaffRow)>> {
    staff_sessions::table
        .inner_join(staff_accounts::table)
        .filter(staff_sessions::token_hash.eq(token_hash))
        .filter(staff_sessions::expires_at.gt(now))
        .filter(staff_sessions::last_seen_at.gt(idle_since))
        .filter(staff_accounts::disabled_at.is_null())
        .select((SessionRow::as_select(), StaffRow::as_select()))
        .first(conn)
        .optional()
}

pub fn touch_session(conn: &mut DbConn, token_hash: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(staff_sessions::table.find(token_hash))
        .set(staff_sessions::last_seen_at.eq(at))
        .execute(conn)
        .map(drop)
}

pub fn delete_session(conn: &mut DbConn, token_hash: &str) -> QueryResult<()> {
    diesel::delete(staff_sessions::table.find(token_hash)).execute(conn).map(drop)
}

/// Ends every session of an account; how many there were.
pub fn delete_sessions_of(conn: &mut DbConn, staff_id: &str) -> QueryResult<usize> {
    diesel::delete(staff_sessions::table.filter(staff_sessions::staff_id.eq(staff_id))).execute(conn)
}

/// Deletes up to `limit` sessions that ended before `before` (absolute end
/// passed, or idle since); how many.
pub fn purge_sessions(
    conn: &mut DbConn,
    before: NaiveDateTime,
    idle_since: NaiveDateTime,
    limit: i64,
) -> QueryResult<usize> {
    let ended: Vec<String> = staff_sessions::table
        .filter(staff_sessions::expires_at.le(before).or(staff_sessions::last_seen_at.le(idle_since)))
        .select(staff_sessions::token_hash)
        .limit(limit)
        .load(conn)?;
    if ended.is_empty() {
        return Ok(0);
    }
    diesel::delete(staff_sessions::table.filter(staff_sessions::token_hash.eq_any(ended))).execute(conn)
}

pub fn record_failure(conn: &mut DbConn, keys: &[String], at: NaiveDateTime) -> QueryResult<()> {
    for key in keys {
        diesel::insert_into(staff_sign_in_failures::table)
            .values((staff_sign_in_failures::key.eq(key), staff_sign_in_failures::at.eq(at)))
            .execute(conn)?;
    }
    Ok(())
}

/// The failures of `key` since `since`: how many, and the last one's time.
pub fn failures_since(conn: &mut DbConn, key: &str, since: NaiveDateTime) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    staff_sign_in_failures::table
        .filter(staff_sign_in_failures::key.eq(key))
        .filter(staff_sign_in_failures::at.gt(since))
        .select((diesel::dsl::count_star(), diesel::dsl::max(staff_sign_in_failures::at)))
        .first(conn)
}

/// Forgets the failures of `key` (after a sign-in that succeeded).
pub fn clear_failures(conn: &mut DbConn, key: &str) -> QueryResult<()> {
    diesel::delete(staff_sign_in_failures::table.filter(staff_sign_in_failures::key.eq(key))).execute(conn).map(drop)
}

/// Deletes up to `limit` failures older than `before`; how many.
pub fn purge_failures(conn: &mut DbConn, before: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    let old = staff_sign_in_failures::table
        .filter(staff_sign_in_failures::at.lt(before))
        .select(staff_sign_in_failures::at)
        .order(staff_sign_in_failures::at.asc())
        .limit(limit);
    let cutoff: Option<NaiveDateTime> = old.load::<NaiveDateTime>(conn)?.last().copied();
    match cutoff {
        None => Ok(0),
        Some(upto) => {
            diesel::delete(staff_sign_in_failures::table.filter(staff_sign_in_failures::at.le(upto))).execute(conn)
        }
    }
}
