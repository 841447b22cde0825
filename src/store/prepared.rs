//! Writes that stay prepared, and a command's writes as one statement.
//!
//! Diesel prepares a statement once per connection and reuses it unless the
//! statement says its SQL may vary between calls. Its `UPDATE` and its
//! multi-row `INSERT` always say so, so PostgreSQL would parse and plan them
//! on every call. [`update`] writes the same SQL as diesel's for a changeset
//! whose columns are fixed, without that flag: diesel then keys it by its SQL
//! text and keeps it prepared. Rows are inserted one statement each, which
//! diesel keeps prepared too.
//!
//! [`Writes`] collects the writes of one change and runs them as one
//! statement on PostgreSQL, each but the last a data-modifying `WITH` of the
//! last (they all see the snapshot the change read under its row lock, and
//! foreign keys are checked when the statement ends), and one after another
//! on SQLite, which has no such statement and pays no round trip for each.
//! A statement of several writes is keyed by its SQL too, so each shape of a
//! change (how many rows of each kind) is prepared once per connection.

use diesel::backend::Backend;
use diesel::expression::{is_aggregate, AppearsOnTable, AsExpression, Expression, SelectableExpression, ValidGrouping};
use diesel::pg::Pg;
use diesel::query_builder::{AsChangeset, AstPass, QueryFragment, QueryId};
use diesel::sql_types::Bool;
use diesel::sqlite::Sqlite;
use diesel::{Insertable, QueryResult, RunQueryDsl, Table};

use super::DbConn;

/// `UPDATE table SET … WHERE …`.
pub struct Update<F, C, W> {
    from: F,
    set: C,
    filter: W,
}

/// Updates the rows of `table` that `filter` selects with `set`, whose
/// columns must not depend on its values (fields that are `None` are
/// written as NULL, `treat_none_as_null`), so its SQL is the same each time.
pub fn update<T, C, W>(table: T, set: C, filter: W) -> Update<T::FromClause, C::Changeset, W>
where
    T: Table,
    C: AsChangeset<Target = T>,
{
    Update { from: table.from_clause(), set: set.as_changeset(), filter }
}

impl<T, C, W> QueryId for Update<T, C, W> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<F, C, W, DB> QueryFragment<DB> for Update<F, C, W>
where
    DB: Backend,
    F: QueryFragment<DB>,
    C: QueryFragment<DB>,
    W: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("UPDATE ");
        self.from.walk_ast(out.reborrow())?;
        out.push_sql(" SET ");
        self.set.walk_ast(out.reborrow())?;
        out.push_sql(" WHERE ");
        self.filter.walk_ast(out.reborrow())?;
        Ok(())
    }
}

impl<T, C, W, Conn> RunQueryDsl<Conn> for Update<T, C, W> {}

/// The writes of one change, for the backend of the connection they run on.
pub enum Writes {
    Pg(Vec<Box<dyn QueryFragment<Pg> + Send>>),
    Sqlite(Vec<Box<dyn QueryFragment<Sqlite> + Send>>),
}

impl Writes {
    pub fn on(conn: &DbConn) -> Writes {
        match conn {
            DbConn::Pg(_) => Writes::Pg(Vec::new()),
            DbConn::Sqlite(_) => Writes::Sqlite(Vec::new()),
        }
    }

    /// Adds a write: an `INSERT`, `UPDATE` or `DELETE` without `RETURNING`.
    pub fn push<Q>(&mut self, write: Q)
    where
        Q: QueryFragment<Pg> + QueryFragment<Sqlite> + Send + 'static,
    {
        match self {
            Writes::Pg(all) => all.push(Box::new(write)),
            Writes::Sqlite(all) => all.push(Box::new(write)),
        }
    }

    /// Adds a write that only PostgreSQL runs; the caller adds SQLite's own.
    pub fn push_pg<Q>(&mut self, write: Q)
    where
        Q: QueryFragment<Pg> + Send + 'static,
    {
        if let Writes::Pg(all) = self {
            all.push(Box::new(write));
        }
    }

    /// Adds one insert per row of `rows`.
    pub fn insert<T, R>(&mut self, table: T, rows: impl IntoIterator<Item = R>)
    where
        T: Table + Copy,
        R: Insertable<T>,
        diesel::query_builder::InsertStatement<T, R::Values>:
            QueryFragment<Pg> + QueryFragment<Sqlite> + Send + 'static,
    {
        for row in rows {
            self.push(diesel::insert_into(table).values(row));
        }
    }

    /// Runs the writes on `conn`, the connection they were collected for.
    pub fn run(self, conn: &mut DbConn) -> QueryResult<()> {
        match (self, conn) {
            (Writes::Pg(all), _) if all.is_empty() => Ok(()),
            (Writes::Pg(all), DbConn::Pg(c)) => Chain(&all).execute(c).map(drop),
            (Writes::Sqlite(all), DbConn::Sqlite(c)) => {
                for write in &all {
                    Chain(std::slice::from_ref(write)).execute(c)?;
                }
                Ok(())
            }
            _ => Err(diesel::result::Error::QueryBuilderError("writes run on another backend".into())),
        }
    }
}

/// Statements as one: `WITH w0 AS (first), w1 AS (…) last`.
struct Chain<'s, DB>(&'s [Box<dyn QueryFragment<DB> + Send>]);

impl<DB> QueryId for Chain<'_, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Backend> QueryFragment<DB> for Chain<'_, DB> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let (last, first) =
            self.0.split_last().ok_or(diesel::result::Error::QueryBuilderError("no statement to run".into()))?;
        for (i, write) in first.iter().enumerate() {
            out.push_sql(if i == 0 { "WITH " } else { ", " });
            out.push_sql(&format!("w{i} AS ("));
            write.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        if !first.is_empty() {
            out.push_sql(" ");
        }
        last.walk_ast(out.reborrow())
    }
}

impl<DB, Conn> RunQueryDsl<Conn> for Chain<'_, DB> {}

/// A condition written out as SQL, without binds: a literal such as
/// `deadline_on_expiry <> 'none'`, which proves a partial index's condition
/// in a generic plan where a bound value would not. Unlike diesel's `sql`,
/// the statement it is part of stays prepared.
#[derive(Debug, Clone, Copy)]
pub struct Condition(pub &'static str);

impl Expression for Condition {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for Condition {}

impl<QS> SelectableExpression<QS> for Condition {}

impl ValidGrouping<()> for Condition {
    type IsAggregate = is_aggregate::No;
}

impl QueryId for Condition {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Backend> QueryFragment<DB> for Condition {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(self.0);
        Ok(())
    }
}

/// `(a, b) > (x, y)`: a keyset cursor as one row-value comparison, which an
/// index on `(a, b)` takes as its start (the expanded `a > x OR (a = x AND
/// b > y)` is no index condition).
#[derive(Debug, Clone)]
pub struct RowAfter<A, B, X, Y> {
    columns: (A, B),
    values: (X, Y),
}

pub fn row_after<A, B, X, Y>(columns: (A, B), values: (X, Y)) -> RowAfter<A, B, X::Expression, Y::Expression>
where
    A: Expression,
    B: Expression,
    A::SqlType: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType,
    B::SqlType: diesel::sql_types::SqlType + diesel::expression::TypedExpressionType,
    X: AsExpression<A::SqlType>,
    Y: AsExpression<B::SqlType>,
{
    RowAfter { columns, values: (values.0.as_expression(), values.1.as_expression()) }
}

impl<A, B, X, Y> Expression for RowAfter<A, B, X, Y> {
    type SqlType = Bool;
}

impl<QS, A: AppearsOnTable<QS>, B: AppearsOnTable<QS>, X, Y> AppearsOnTable<QS> for RowAfter<A, B, X, Y> {}

impl<QS, A: AppearsOnTable<QS>, B: AppearsOnTable<QS>, X, Y> SelectableExpression<QS> for RowAfter<A, B, X, Y> {}

impl<A, B, X, Y> ValidGrouping<()> for RowAfter<A, B, X, Y> {
    type IsAggregate = is_aggregate::No;
}

impl<A, B, X, Y> QueryId for RowAfter<A, B, X, Y> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB, A, B, X, Y> QueryFragment<DB> for RowAfter<A, B, X, Y>
where
    DB: Backend,
    A: QueryFragment<DB>,
    B: QueryFragment<DB>,
    X: QueryFragment<DB>,
    Y: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("(");
        self.columns.0.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.columns.1.walk_ast(out.reborrow())?;
        out.push_sql(") > (");
        self.values.0.walk_ast(out.reborrow())?;
        out.push_sql(", ");
        self.values.1.walk_ast(out.reborrow())?;
        out.push_sql(")");
        Ok(())
    }
}
