//! Persistence with diesel over PostgreSQL or SQLite through one connection
//! enum. Query functions are plain functions over `&mut DbConn` returning
//! `QueryResult`; backend differences live in `dialect`.

pub mod complaints;
pub mod dialect;
pub mod evidence;
pub mod failure;
pub mod holds;
pub mod idempotency;
pub mod mail;
pub mod notices;
pub mod orders;
pub mod outbox;
pub mod prepared;
pub mod schema;
pub mod staff;
pub mod standing;
pub mod timeline;
pub mod webhooks;

use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use diesel::connection::{SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{Pool, PooledConnection};
use diesel::{PgConnection, SqliteConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub use dialect::Backend;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// A pooled connection and what the pool knows of it.
pub struct Pooled {
    conn: DbConn,
    /// When it was last handed back to the pool.
    returned: Instant,
    /// Set when a query found the server gone: the pool then closes it.
    lost: bool,
}

impl Pooled {
    /// Marks the connection as lost (the server closed it, or the link
    /// broke): it is closed instead of going back to the pool.
    pub fn mark_lost(&mut self) {
        self.lost = true;
    }
}

impl std::ops::Deref for Pooled {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

/// A connection back in use within this long is handed out without a
/// check: under load that saves a round trip per request, and a connection
/// that died meanwhile fails its query as unavailable and is closed then.
/// One idle for longer (the server may have restarted) is checked first.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// Opens connections of the backend the URL names.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
}

impl diesel::r2d2::ManageConnection for Manager {
    type Connection = Pooled;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Pooled, Self::Error> {
        let conn = dialect::connect(&self.url).map_err(diesel::r2d2::Error::ConnectionError)?;
        Ok(Pooled { conn, returned: Instant::now(), lost: false })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), Self::Error> {
        if conn.returned.elapsed() < CHECK_AFTER_IDLE {
            return Ok(());
        }
        conn.batch_execute("SELECT 1").map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        conn.returned = Instant::now();
        conn.lost
            || std::thread::panicking()
            || <DbConn as Connection>::TransactionManager::is_broken_transaction_manager(&mut conn.conn)
    }
}

pub type Conn = PooledConnection<Manager>;

/// The database: a pool built once at start.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    pub backend: Backend,
}

impl Db {
    pub fn connect(url: &str, max_connections: u32) -> anyhow::Result<Db> {
        let backend = Backend::of_url(url).map_err(anyhow::Error::msg)?;
        if backend == Backend::Sqlite {
            let path = std::path::Path::new(dialect::sqlite_path(url));
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            dialect::prepare_sqlite(url)?;
        }
        let pool = Pool::builder()
            .max_size(max_connections)
            .connection_timeout(Duration::from_secs(10))
            .build(Manager { url: url.to_string() })?;
        Ok(Db { pool, backend })
    }

    pub fn conn(&self) -> Result<Conn, diesel::r2d2::PoolError> {
        self.pool.get()
    }

    /// Applies the embedded migrations of this backend.
    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.pool.get()?;
        let applied = match &mut **conn {
            DbConn::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
            DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        }
        .map_err(|e| anyhow::anyhow!("running migrations: {e}"))?;
        Ok(applied.iter().map(|v| v.to_string()).collect())
    }

    pub fn ping(&self) -> anyhow::Result<()> {
        let mut conn = self.pool.get()?;
        // A connection that cannot answer `SELECT 1` is of no further use.
        conn.batch_execute("SELECT 1").inspect_err(|_| conn.mark_lost())?;
        Ok(())
    }
}

/// A time as stored: UTC at microseconds, the precision both backends keep,
/// so a value read back equals the value written.
pub fn to_db(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc().trunc_subsecs(6)
}

pub fn from_db(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn folders(backend: &str) -> BTreeSet<String> {
        let dir = format!("{}/migrations/{backend}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
    }

    /// Both backends go through the same schema versions.
    #[test]
    fn both_backends_have_the_same_migrations() {
        assert!(!folders("postgres").is_empty());
        assert_eq!(folders("postgres"), folders("sqlite"));
    }
}
