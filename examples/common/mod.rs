//! Helpers shared by the benchmark drivers (each uses some of them).
#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};

/// Where the bench finds PostgreSQL, the service and the server's log.
#[derive(clap::Args)]
pub struct Target {
    /// PostgreSQL server, as a superuser (the bench creates and drops its databases).
    #[arg(long, env = "TEST_DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432")]
    pub postgres: String,
    /// The service binary (built by scripts/bench).
    #[arg(long, default_value = "target/release/resolution-center")]
    pub service: PathBuf,
    /// The PostgreSQL server's log file, read for the statements it logs.
    /// Default: the current log file when the server's logging collector
    /// runs, else Debian's /var/log/postgresql/postgresql-MAJOR-main.log.
    #[arg(long)]
    pub pg_log: Option<PathBuf>,
}

/// The HS256 secret the bench's services verify tokens with.
pub const SECRET: &str = "bench-secret-bench-secret-bench-secret";

/// Kills the child when dropped.
pub struct Process(pub Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub async fn wait_for(url: &str) -> anyhow::Result<()> {
    for _ in 0..500 {
        if reqwest::get(url).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    anyhow::bail!("{url} did not answer")
}

/// Resident memory of a process, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time a process has used (user + system), in seconds.
pub fn cpu_secs(pid: u32) -> f64 {
    stat_secs(pid, [11, 12])
}

/// CPU time the waited-for children of a process have used, in seconds.
pub fn children_cpu_secs(pid: u32) -> f64 {
    stat_secs(pid, [13, 14])
}

fn stat_secs(pid: u32, fields: [usize; 2]) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let all: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks: f64 = fields.iter().filter_map(|i| all.get(*i)?.parse::<f64>().ok()).sum();
    ticks / 100.0
}

/// CPU time the whole machine has been busy (all but idle and iowait), in seconds.
pub fn machine_busy_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<f64> = stat
        .lines()
        .next()
        .map(|l| l.split_whitespace().skip(1).filter_map(|f| f.parse().ok()).collect())
        .unwrap_or_default();
    let busy: f64 = fields.iter().enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, v)| v).sum();
    busy / 100.0
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// The service binary running on a database (SQLite in its data directory
/// when `database_url` is None), killed when dropped.
pub struct Service {
    pub process: Process,
    pub base: String,
    _dir: Option<tempfile::TempDir>,
}

impl Service {
    pub async fn start(bin: &Path, database_url: Option<&str>, api_only: bool) -> anyhow::Result<Service> {
        let dir = tempfile::tempdir()?;
        let (mut service, _) = Service::start_in(bin, database_url, api_only, dir.path()).await?;
        service._dir = Some(dir);
        Ok(service)
    }

    /// Starts the service and times it from spawn to its first ready answer.
    pub async fn start_in(
        bin: &Path,
        database_url: Option<&str>,
        api_only: bool,
        dir: &Path,
    ) -> anyhow::Result<(Service, Duration)> {
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        let mut cmd = Command::new(bin);
        cmd.arg("serve")
            .env("RC_LISTEN", format!("127.0.0.1:{port}"))
            .env("RC_DATA_DIR", dir)
            .env("RC_JWT_SECRET", SECRET)
            .env("RC_WORKERS", if api_only { "off" } else { "on" })
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = database_url {
            cmd.env("RC_DATABASE_URL", url);
        }
        let client = reqwest::Client::new();
        let start = Instant::now();
        let process = Process(cmd.spawn().with_context(|| format!("starting {}", bin.display()))?);
        loop {
            if let Ok(res) = client.get(format!("{base}/readyz")).send().await {
                if res.status().is_success() {
                    break;
                }
            }
            anyhow::ensure!(start.elapsed() < Duration::from_secs(30), "the service did not become ready");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let ready = start.elapsed();
        Ok((Service { process, base, _dir: None }, ready))
    }

    pub fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// Sends SIGTERM and waits for the process to end; returns how long it took.
    pub fn terminate(&mut self) -> anyhow::Result<Duration> {
        let start = Instant::now();
        let status = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status()?;
        anyhow::ensure!(status.success(), "kill -TERM failed");
        loop {
            if self.process.0.try_wait()?.is_some() {
                return Ok(start.elapsed());
            }
            anyhow::ensure!(start.elapsed() < Duration::from_secs(60), "the service did not stop within 60 s");
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

pub fn migrate(bin: &Path, database_url: &str) -> anyhow::Result<()> {
    let status =
        Command::new(bin).arg("migrate").env("RC_DATABASE_URL", database_url).stdout(Stdio::null()).status()?;
    anyhow::ensure!(status.success(), "migrate failed: {status}");
    Ok(())
}

/// The bench's databases on the PostgreSQL server.
pub struct Postgres {
    server: String,
    pub admin: std::sync::Mutex<PgConnection>,
    prefix: String,
}

#[derive(QueryableByName)]
pub struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}

#[derive(QueryableByName)]
pub struct Text {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    pub t: Option<String>,
}

impl Postgres {
    pub fn new(server: &str) -> anyhow::Result<Postgres> {
        let admin = PgConnection::establish(&format!("{server}/postgres"))?;
        let prefix = format!("rc_bench_{}", ulid::Ulid::new().to_string().to_lowercase());
        Ok(Postgres { server: server.to_string(), admin: std::sync::Mutex::new(admin), prefix })
    }

    pub fn url(&self, db: &str) -> String {
        format!("{}/{db}", self.server)
    }

    pub fn text(&self, sql: &str) -> anyhow::Result<Option<String>> {
        let row: Text = diesel::sql_query(sql).get_result(&mut *self.admin.lock().unwrap())?;
        Ok(row.t)
    }

    pub fn version(&self) -> anyhow::Result<String> {
        Ok(self.text("SELECT current_setting('server_version') AS t")?.unwrap_or_default())
    }

    /// A new database, a copy of `template` (which nobody may be connected to).
    pub fn create_from(&self, what: &str, template: &str) -> anyhow::Result<String> {
        let db = format!("{}_{what}", self.prefix);
        diesel::sql_query(format!("CREATE DATABASE {db} TEMPLATE {template}"))
            .execute(&mut *self.admin.lock().unwrap())?;
        Ok(db)
    }

    pub fn create(&self, what: &str) -> anyhow::Result<String> {
        let db = format!("{}_{what}", self.prefix);
        diesel::sql_query(format!("CREATE DATABASE {db}")).execute(&mut *self.admin.lock().unwrap())?;
        Ok(db)
    }

    /// Starts each measured run from a checkpoint, so both sides pay the
    /// same full-page writes.
    pub fn checkpoint(&self) -> anyhow::Result<()> {
        diesel::sql_query("CHECKPOINT").execute(&mut *self.admin.lock().unwrap())?;
        Ok(())
    }

    pub fn drop_db(&self, db: &str) -> anyhow::Result<()> {
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
            .execute(&mut *self.admin.lock().unwrap())?;
        Ok(())
    }

    pub fn count(&self, db: &str, sql: &str) -> anyhow::Result<i64> {
        let row: Count = diesel::sql_query(sql).get_result(&mut PgConnection::establish(&self.url(db))?)?;
        Ok(row.n)
    }

    /// Where the server writes its log.
    pub fn log_file(&self, given: Option<&Path>) -> anyhow::Result<PathBuf> {
        if let Some(path) = given {
            return Ok(path.to_path_buf());
        }
        if let Some(file) = self.text("SELECT pg_current_logfile() AS t")? {
            let data = self.text("SELECT current_setting('data_directory') AS t")?.unwrap_or_default();
            return Ok(Path::new(&data).join(file));
        }
        let major = self.text("SELECT (current_setting('server_version_num')::int / 10000)::text AS t")?;
        Ok(PathBuf::from(format!("/var/log/postgresql/postgresql-{}-main.log", major.unwrap_or_default())))
    }
}
