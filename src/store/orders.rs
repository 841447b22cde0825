//! Escrowed orders as the marketplace registers them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{complaints, holds, orders, settlements};
use super::DbConn;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = orders, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct OrderRow {
    pub id: String,
    pub buyer_id: String,
    pub seller_id: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub delivered_at: Option<NaiveDateTime>,
    pub auto_release_at: Option<NaiveDateTime>,
    /// The parties' mail contacts, as JSON.
    pub contacts: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// A digital good: delivery is proved by a screenshot or a screen recording.
    pub digital: bool,
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<OrderRow>> {
    orders::table.find(id).select(OrderRow::as_select()).first(conn).optional()
}

/// An order with what its complaints did to its own single amount (the hold
/// whose id is empty), and whether it has holds of its own.
pub struct OrderState {
    pub row: OrderRow,
    /// The complaint that is running on the order's own amount, if one is.
    pub active_complaint_id: Option<String>,
    /// The complaint whose settlement moved the order's own amount, once one resolved.
    pub settled_by: Option<String>,
    /// The marketplace registered holds (milestones) on the order.
    pub has_holds: bool,
}

type StateRow = (OrderRow, Option<String>, Option<String>, bool);

/// The query of `find_with_state`: at most one row of each subquery, by the
/// partial unique index of running complaints per hold and the unique index
/// of settlements per hold.
macro_rules! with_state {
    ($id:expr) => {{
        let id: &str = $id;
        let active = complaints::table
            .filter(complaints::order_id.eq(id))
            .filter(complaints::hold_id.eq(""))
            .filter(complaints::status.ne("resolved"))
            .select(complaints::id)
            .limit(1)
            .single_value();
        let settled = settlements::table
            .filter(settlements::order_id.eq(id))
            .filter(settlements::hold_id.eq(""))
            .select(settlements::complaint_id)
            .limit(1)
            .single_value();
        let has_holds = diesel::dsl::exists(holds::table.filter(holds::order_id.eq(id)));
        orders::table.find(id).select((OrderRow::as_select(), active, settled, has_holds))
    }};
}

/// The order with its active complaint and settlement, in one statement: one
/// snapshot, so a complaint that resolved (its settlement written in the
/// same transaction) is seen either running or settled, never neither.
pub fn find_with_state(conn: &mut DbConn, id: &str) -> QueryResult<Option<OrderState>> {
    with_state!(id).first(conn).optional().map(|row| row.map(OrderState::of))
}

/// `find_with_state`, the order's row locked so its amount and parties
/// cannot change under a complaint being opened on it.
pub fn find_with_state_for_update(conn: &mut DbConn, id: &str) -> QueryResult<Option<OrderState>> {
    super::dialect::first_for_update!(conn, with_state!(id)).optional().map(|row| row.map(OrderState::of))
}

impl OrderState {
    fn of((row, active_complaint_id, settled_by, has_holds): StateRow) -> Self {
        OrderState { row, active_complaint_id, settled_by, has_holds }
    }
}

/// Inserts the order unless one with its id exists; true when it was new.
pub fn insert_new(conn: &mut DbConn, row: &OrderRow) -> QueryResult<bool> {
    super::dialect::insert_new!(conn, orders::table, row).map(|n| n == 1)
}

pub fn insert(conn: &mut DbConn, row: &OrderRow) -> QueryResult<()> {
    diesel::insert_into(orders::table).values(row).execute(conn).map(drop)
}

pub fn update(conn: &mut DbConn, row: &OrderRow) -> QueryResult<()> {
    diesel::update(orders::table.find(&row.id)).set(row).execute(conn).map(drop)
}
