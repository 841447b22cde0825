//! Escrowed orders as the marketplace registers them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::orders;
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
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<OrderRow>> {
    orders::table.find(id).select(OrderRow::as_select()).first(conn).optional()
}

/// The order's row, locked so its amount and parties cannot change under a
/// complaint being opened on it.
pub fn find_for_update(conn: &mut DbConn, id: &str) -> QueryResult<Option<OrderRow>> {
    super::dialect::first_for_update!(conn, orders::table.find(id).select(OrderRow::as_select())).optional()
}

pub fn insert(conn: &mut DbConn, row: &OrderRow) -> QueryResult<()> {
    diesel::insert_into(orders::table).values(row).execute(conn).map(drop)
}

pub fn update(conn: &mut DbConn, row: &OrderRow) -> QueryResult<()> {
    diesel::update(orders::table.find(&row.id)).set(row).execute(conn).map(drop)
}
