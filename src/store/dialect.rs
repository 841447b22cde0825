//! Everything that differs between PostgreSQL and SQLite, in one place: how a
//! connection is made, how a write transaction begins, row and advisory
//! locks, inserts that skip existing keys, claiming due rows of a queue.
//! The queries of each table live in that table's file.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::{PgConnection, SqliteConnection};

use super::DbConn;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Result<Backend, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite://") || url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else {
            Err(format!("unsupported database URL `{url}`: use postgres://… or sqlite://path"))
        }
    }
}

/// The file path of a `sqlite://path` URL.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url)
}

/// Connects the backend the URL names. (`DbConn::establish` would try each
/// backend in turn and hide the real error.)
pub fn connect(url: &str) -> ConnectionResult<DbConn> {
    match Backend::of_url(url).map_err(ConnectionError::BadConnection)? {
        Backend::Postgres => PgConnection::establish(url).map(DbConn::Pg),
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(sqlite_path(url))?;
            // The busy timeout makes writers queue instead of failing; foreign
            // keys are off by default. (WAL is set once, by `prepare_sqlite`.)
            conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConn::Sqlite(conn))
        }
    }
}

/// Puts a SQLite database in WAL mode, which lets readers run beside the one
/// writer. The mode is stored in the file; setting it from every pooled
/// connection at once would make them fight over the lock.
pub fn prepare_sqlite(url: &str) -> ConnectionResult<()> {
    let mut conn = SqliteConnection::establish(sqlite_path(url))?;
    conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;")
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))
}

/// Runs `f` in a transaction that may write. On SQLite it begins with
/// `BEGIN IMMEDIATE`, taking the write lock before the first read, so two
/// writers never both read a snapshot and then fail to upgrade.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    match conn {
        DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
    }
    match f(conn) {
        Ok(value) => {
            <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The rollback's own failure is secondary: the caller sees `e`.
            let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// The first row `query` finds, locked for the rest of the transaction on
/// PostgreSQL (`FOR UPDATE`); SQLite's `BEGIN IMMEDIATE` already holds the
/// database's write lock. The query is written out for each backend, as
/// its row type is inferred per backend.
macro_rules! first_for_update {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::store::DbConn::Pg(c) => $query.for_update().first(c),
            $crate::store::DbConn::Sqlite(c) => $query.first(c),
        }
    };
}
pub(crate) use first_for_update;

/// Loads the rows `query` finds, locking them for the rest of the
/// transaction and skipping rows another transaction holds (PostgreSQL's
/// `FOR UPDATE SKIP LOCKED`), so several instances share the work; SQLite
/// has one writer at a time.
macro_rules! load_skip_locked {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::store::DbConn::Pg(c) => $query.for_update().skip_locked().load(c),
            $crate::store::DbConn::Sqlite(c) => $query.load(c),
        }
    };
}
pub(crate) use load_skip_locked;

/// Takes the transaction-scoped advisory lock `(class, key)` on PostgreSQL;
/// SQLite's `BEGIN IMMEDIATE` already serializes every writer.
pub fn advisory_xact_lock(conn: &mut DbConn, class: i32, key: &str) -> QueryResult<()> {
    match conn {
        DbConn::Pg(c) => diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
            .bind::<diesel::sql_types::Integer, _>(class)
            .bind::<Text, _>(key)
            .execute(c)
            .map(drop),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// Inserts rows, skipping those whose key is already there.
macro_rules! insert_new {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::store::DbConn::Pg(c) => {
                diesel::insert_into($table).values($rows).on_conflict_do_nothing().execute(c)
            }
            $crate::store::DbConn::Sqlite(c) => diesel::insert_or_ignore_into($table).values($rows).execute(c),
        }
    };
}
pub(crate) use insert_new;

/// Claims up to `limit` due rows of an outgoing queue (`table`, keyed by
/// `key`, whose `done` column is set once sent), for one attempt each: the attempt is counted and
/// the row leased until `lease_until`, so an instance that dies mid-attempt
/// leaves it to be retried then. Concurrent instances skip each other's rows
/// (PostgreSQL); SQLite has one writer at a time.
#[allow(clippy::too_many_arguments)]
pub(crate) fn claim_due<T>(
    conn: &mut DbConn,
    table: &str,
    key: &str,
    done: &str,
    returning: &str,
    now: chrono::NaiveDateTime,
    lease_until: chrono::NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<T>>
where
    T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
{
    use diesel::sql_types::Timestamp;
    let sql = |p: [&str; 3], lock: &str| {
        format!(
            "UPDATE {table} SET attempts = attempts + 1, next_attempt_at = {} \
             WHERE {key} IN (SELECT {key} FROM {table} \
                 WHERE {done} IS NULL AND given_up_at IS NULL AND next_attempt_at <= {} \
                 ORDER BY next_attempt_at LIMIT {}{lock}) \
             RETURNING {returning}",
            p[0], p[1], p[2]
        )
    };
    match conn {
        DbConn::Pg(c) => diesel::sql_query(sql(["$1", "$2", "$3"], " FOR UPDATE SKIP LOCKED"))
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load(c),
        DbConn::Sqlite(c) => diesel::sql_query(sql(["?", "?", "?"], ""))
            .bind::<Timestamp, _>(lease_until)
            .bind::<Timestamp, _>(now)
            .bind::<BigInt, _>(limit)
            .load(c),
    }
}
