//! Staff accounts the service keeps itself.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::staff_accounts;
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
