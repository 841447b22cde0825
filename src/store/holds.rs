//! The escrow holds of an order beyond its own single amount (seed 002:
//! milestones), as the marketplace registers them, each with what its
//! complaints did to it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{complaints, holds, settlements};
use super::DbConn;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = holds, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct HoldRow {
    pub order_id: String,
    pub id: String,
    pub amount: i64,
    pub status: String,
    pub delivered_at: Option<NaiveDateTime>,
    pub auto_release_at: Option<NaiveDateTime>,
    pub description: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A hold with the complaint running on it and the one that settled it.
pub struct HoldState {
    pub row: HoldRow,
    pub active_complaint_id: Option<String>,
    pub settled_by: Option<String>,
}

/// The holds of one order, with their states, by id: at most one running
/// complaint and one settlement per hold, by the schema's unique indexes.
macro_rules! with_state {
    () => {{
        let active = complaints::table
            .filter(complaints::order_id.eq(holds::order_id))
            .filter(complaints::hold_id.eq(holds::id))
            .filter(complaints::status.ne("resolved"))
            .select(complaints::id)
            .limit(1)
            .single_value();
        let settled = settlements::table
            .filter(settlements::order_id.eq(holds::order_id))
            .filter(settlements::hold_id.eq(holds::id))
            .select(settlements::complaint_id)
            .limit(1)
            .single_value();
        holds::table.select((HoldRow::as_select(), active, settled))
    }};
}

type StateRow = (HoldRow, Option<String>, Option<String>);

fn state((row, active_complaint_id, settled_by): StateRow) -> HoldState {
    HoldState { row, active_complaint_id, settled_by }
}

/// One hold of an order with its state. Callers lock the order's row first:
/// that is what keeps a hold from changing under a complaint being opened.
pub fn find(conn: &mut DbConn, order_id: &str, id: &str) -> QueryResult<Option<HoldState>> {
    with_state!()
        .filter(holds::order_id.eq(order_id))
        .filter(holds::id.eq(id))
        .first(conn)
        .optional()
        .map(|r| r.map(state))
}

/// Every hold of an order, oldest first (an order has at most `MAX_HOLDS`).
pub fn of_order(conn: &mut DbConn, order_id: &str) -> QueryResult<Vec<HoldState>> {
    with_state!()
        .filter(holds::order_id.eq(order_id))
        .order((holds::created_at, holds::id))
        .load(conn)
        .map(|rows| rows.into_iter().map(state).collect())
}

/// How many holds the order has and what they hold together (an order has
/// few, so they are added here rather than as SQL `NUMERIC`).
pub fn count_and_sum(conn: &mut DbConn, order_id: &str) -> QueryResult<(i64, i64)> {
    let amounts: Vec<i64> = holds::table.filter(holds::order_id.eq(order_id)).select(holds::amount).load(conn)?;
    Ok((amounts.len() as i64, amounts.iter().fold(0i64, |a, b| a.saturating_add(*b))))
}

/// Whether any hold of the order has a complaint running or was settled:
/// the order's parties and currency are then frozen.
pub fn any_disputed(conn: &mut DbConn, order_id: &str) -> QueryResult<(bool, bool)> {
    let running = diesel::dsl::exists(
        complaints::table.filter(complaints::order_id.eq(order_id)).filter(complaints::status.ne("resolved")),
    );
    let settled = diesel::dsl::exists(settlements::table.filter(settlements::order_id.eq(order_id)));
    diesel::select((running, settled)).get_result(conn)
}

pub fn insert(conn: &mut DbConn, row: &HoldRow) -> QueryResult<()> {
    diesel::insert_into(holds::table).values(row).execute(conn).map(drop)
}

pub fn update(conn: &mut DbConn, row: &HoldRow) -> QueryResult<()> {
    diesel::update(holds::table.find((&row.order_id, &row.id))).set(row).execute(conn).map(drop)
}
