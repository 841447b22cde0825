//! Seller violations: one per decision with the seller at fault.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::schema::violations;
use super::DbConn;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = violations, treat_none_as_default_value = false)]
pub struct ViolationRow {
    pub id: String,
    pub seller_id: String,
    /// The decision with the seller at fault, or else
    pub decision_id: Option<String>,
    pub complaint_id: Option<String>,
    pub ordinal: i32,
    pub suspended_until: Option<NaiveDateTime>,
    pub permanent: bool,
    pub created_at: NaiveDateTime,
    /// the confirmed listing notice.
    pub notice_id: Option<String>,
}

/// Whether the seller's store is closed for good.
pub fn permanently_closed(conn: &mut DbConn, seller_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        violations::table.filter(violations::seller_id.eq(seller_id)).filter(violations::permanent.eq(true)),
    ))
    .get_result(conn)
}

/// The advisory lock class of a seller's violations.
const SELLER_LOCK_CLASS: i32 = 7310021;

/// Serializes the violations of one seller, so two decisions against the
/// same seller climb the sanction ladder one after the other.
pub fn lock_seller(conn: &mut DbConn, seller_id: &str) -> QueryResult<()> {
    super::dialect::advisory_xact_lock(conn, SELLER_LOCK_CLASS, seller_id)
}

pub fn count(conn: &mut DbConn, seller_id: &str) -> QueryResult<i64> {
    violations::table.filter(violations::seller_id.eq(seller_id)).select(count_star()).first(conn)
}

pub fn insert(conn: &mut DbConn, row: &ViolationRow) -> QueryResult<()> {
    diesel::insert_into(violations::table).values(row).execute(conn).map(drop)
}

/// The seller's violations, the latest first.
pub fn of_seller(conn: &mut DbConn, seller_id: &str) -> QueryResult<Vec<ViolationRow>> {
    violations::table
        .filter(violations::seller_id.eq(seller_id))
        .order(violations::ordinal.desc())
        .select(ViolationRow::as_select())
        .load(conn)
}
