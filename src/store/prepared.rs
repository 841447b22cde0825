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
use diesel::pg::Pg;
use diesel::query_builder::{AsChangeset, AstPass, QueryFragment, QueryId};
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

    pub fn len(&self) -> usize {
        match self {
            Writes::Pg(all) => all.len(),
            Writes::Sqlite(all) => all.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
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
