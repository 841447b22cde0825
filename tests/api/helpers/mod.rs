//! What every scenario uses: `spawn_app` starts the real service on port 0 against a fresh database (a new
//! PostgreSQL database, or a SQLite file in a temporary directory) and talks
//! to it over HTTP like a client.

use std::net::TcpListener;

use diesel::{Connection, PgConnection, RunQueryDsl};
use reqwest::{header::HeaderMap, Method, StatusCode};
use resolution_center::app::App;
use resolution_center::config::{MailSettings, Settings};
use resolution_center::domain::{EvidenceLimits, Policy};
use resolution_center::evidence::EvidenceStore;
use resolution_center::http::auth;
use resolution_center::startup::{self, Application};
use resolution_center::workers::Workers;
use serde_json::{json, Value};

mod peers;

pub use peers::{rand_bytes, Receiver, S3sFs, SmtpSink};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db_url: String,
    /// The S3 client and bucket when the store is S3.
    pub s3: Option<(aws_sdk_s3::Client, String)>,
    /// The signature-checking S3 server this test started, if any.
    pub s3s: Option<S3sFs>,
    /// The service's state, for the maintenance jobs a test runs itself.
    pub app: App,
    /// The settings it was started with.
    pub settings: Settings,
    secret: Vec<u8>,
    dir: tempfile::TempDir,
}

/// Where the test server keeps evidence.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub enum Store {
    /// A temporary directory.
    #[default]
    Local,
    /// The moto S3 server scripts/test starts (does not check signatures).
    Moto,
    /// An s3s-fs server of the test's own, which checks signatures and can be stopped.
    Signing,
    /// An S3 endpoint where nothing listens.
    Down,
}

/// How a test server is set up.
#[derive(Clone, Default)]
pub struct Options {
    pub policy: Policy,
    pub limits: EvidenceLimits,
    pub store: Store,
    /// Run the background workers, the timer ticking this often.
    pub timers: Option<std::time::Duration>,
    /// Send webhooks here (with the workers): URL and `whsec_` secret.
    pub webhook: Option<(String, String)>,
    /// Send mail so (with the workers); see `mail_settings`.
    pub mail: Option<MailSettings>,
    /// How long a settlement may stay unreported (default 24 h).
    pub settlement_overdue: Option<chrono::Duration>,
    /// How long an unanswered Idempotency-Key holds off a retry (default 30 s).
    pub idempotency_lease: Option<std::time::Duration>,
}

/// Credentials of the test S3 servers (scripts/test exports them as the AWS variables).
pub const S3_KEY: &str = "test";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The server answered this.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Asserts a problem+json error with this status and code; returns the body.
    pub fn problem(&self, status: u16, code: &str) -> &Value {
        assert_eq!(self.status.as_u16(), status, "{}", self.body);
        assert_eq!(self.headers["content-type"], "application/problem+json", "{}", self.body);
        assert_eq!(self.body["code"], code, "{}", self.body);
        assert_eq!(self.body["status"], status);
        &self.body
    }

    /// Asserts a 2xx answer; returns its body.
    pub fn ok(&self) -> &Value {
        assert!(self.status.is_success(), "{} {}", self.status, self.body);
        &self.body
    }

    /// The fields named in a validation problem.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| a.iter().map(|e| e["field"].as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    }
}

pub fn postgres_base() -> String {
    std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A new, empty PostgreSQL database; returns its URL.
pub fn new_pg_database() -> String {
    let base = postgres_base();
    let name = format!("rc_test_{}", ulid::Ulid::new().to_string().to_lowercase());
    let mut admin =
        PgConnection::establish(&format!("{base}/postgres")).expect("PostgreSQL is running (scripts/test starts it)");
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create the test database");
    format!("{base}/{name}")
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Options::default()).await
}

/// The S3-compatible server of the tests (scripts/test starts moto_server).
pub fn s3_endpoint() -> String {
    std::env::var("TEST_S3_ENDPOINT").expect("TEST_S3_ENDPOINT names the S3 server: run the tests with scripts/test")
}

pub async fn spawn_app_with(backend: Backend, options: Options) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        resolution_center::telemetry::init(resolution_center::telemetry::LogFormat::Pretty);
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db_url = match backend {
        Backend::Postgres => new_pg_database(),
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("rc.sqlite3").display()),
    };
    let secret = b"test-secret-test-secret-test-secret!".to_vec();
    let mut settings = Settings::from_args(["--data-dir", &dir.path().display().to_string()]).unwrap();
    settings.database_url = Some(db_url.clone());
    settings.database_pool_size = 8;
    settings.jwt_secret = Some(String::from_utf8(secret.clone()).unwrap());
    settings.windows = (&options.policy).into();
    let e = &mut settings.evidence;
    e.evidence_max_file_bytes = options.limits.file_bytes;
    e.evidence_max_video_bytes = options.limits.video_bytes;
    e.evidence_files_per_party = options.limits.files_per_party;
    e.evidence_upload_ttl = options.limits.upload_ttl.into();
    e.evidence_sweep_interval = std::time::Duration::from_secs(3600);
    let bucket = format!("rc-test-{}", ulid::Ulid::new().to_string().to_lowercase());
    let mut s3s = None;
    let s3_endpoint = match options.store {
        Store::Local => None,
        Store::Down => Some(format!("http://127.0.0.1:{}", free_port())),
        Store::Moto => Some(s3_endpoint()),
        Store::Signing => {
            let server = S3sFs::start(dir.path().join("s3"));
            let endpoint = server.endpoint.clone();
            s3s = Some(server);
            Some(endpoint)
        }
    };
    if let Some(endpoint) = s3_endpoint {
        e.evidence_store = Some(format!("s3://{bucket}/evidence"));
        e.s3_endpoint = Some(endpoint);
        e.s3_force_path_style = true;
    }
    settings.metrics_interval = std::time::Duration::from_millis(50);
    settings.background_workers = options.timers.is_some();
    settings.timer_interval = options.timers.unwrap_or(std::time::Duration::from_secs(1));
    if let Some((url, secret)) = options.webhook {
        settings.webhooks.webhook_url = Some(url);
        settings.webhooks.webhook_secret = Some(secret);
        settings.webhooks.webhook_retry_base = std::time::Duration::from_millis(100);
        settings.webhooks.webhook_timeout = std::time::Duration::from_secs(5);
    }
    if let Some(mail) = options.mail {
        settings.mail = mail;
    }
    if let Some(lease) = options.idempotency_lease {
        settings.idempotency_lease = lease;
    }
    if let Some(overdue) = options.settlement_overdue {
        settings.settlement_overdue = overdue.to_std().unwrap();
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let application = Application::build(&settings, listener, 2).await.expect("the service starts");
    let app = application.app.clone();
    let s3 = match (&app.evidence, options.store) {
        (EvidenceStore::S3 { client, .. }, Store::Moto | Store::Signing) => {
            client.create_bucket().bucket(&bucket).send().await.expect("create the test bucket");
            Some((client.clone(), bucket))
        }
        _ => None,
    };
    tokio::spawn(application.run_until_stopped());
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    TestApp { base: format!("http://127.0.0.1:{port}"), client, db_url, s3, s3s, app, settings, secret, dir }
}

/// Mail settings that send to `url` (an SMTP server or `file:DIR`), from
/// the test's sender, with the staff mailbox `care@example.com`.
pub fn mail_settings(url: &str, reminder_leads: Vec<chrono::Duration>) -> MailSettings {
    let mut mail = Settings::from_args([]).unwrap().mail;
    mail.mail_transport = Some(url.to_string());
    mail.mail_from = "Resolution Center <rc@example.com>".into();
    mail.staff_email = Some("care@example.com".into());
    mail.reminder_leads = reminder_leads.iter().map(|d| d.to_std().unwrap()).collect();
    mail.mail_retry_base = std::time::Duration::from_millis(100);
    mail.mail_collapse_window = std::time::Duration::ZERO;
    mail
}

impl TestApp {
    /// Another instance of the service on the same database and store (its
    /// own connection pool), as a second process or a restart would be.
    pub async fn another_instance(&self, policy: Policy) -> App {
        let mut settings = self.settings.clone();
        settings.windows = (&policy).into();
        settings.database_pool_size = 4;
        startup::build_app(&settings).await.expect("another instance").0
    }

    /// The background workers of `app` (with no mail or webhooks), the timer ticking `every`.
    pub async fn start_workers(&self, app: App, every: std::time::Duration) -> Workers {
        let mut settings = self.settings.clone();
        settings.background_workers = true;
        settings.timer_interval = every;
        settings.webhooks.webhook_url = None;
        startup::start_workers(&settings, app).await.unwrap().expect("workers on")
    }

    /// Waits until the complaint, as `who` sees it, satisfies `ready`; gives
    /// up after 10 seconds and returns what it is then.
    pub async fn complaint_when(&self, id: &str, who: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let start = std::time::Instant::now();
        loop {
            let c = self.get(&format!("/v1/complaints/{id}"), who).await.ok().clone();
            if ready(&c) || start.elapsed() > std::time::Duration::from_secs(10) {
                return c;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// `/metrics` once `ready` holds of its text (the figures are read in the
    /// background); gives up after 10 seconds and returns what it is then.
    pub async fn metrics_when(&self, ready: impl Fn(&str) -> bool) -> String {
        let start = std::time::Instant::now();
        loop {
            let res = self.client.get(format!("{}/metrics", self.base)).send().await.expect("the server answers");
            assert_eq!(res.status(), StatusCode::OK);
            let text = res.text().await.unwrap();
            if ready(&text) || start.elapsed() > std::time::Duration::from_secs(10) {
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The complaint's timeline entries of one `type`.
    pub async fn timeline_entries(&self, id: &str, kind: &str) -> Vec<Value> {
        let page = self.get(&format!("/v1/complaints/{id}/timeline?limit=100"), "staff-1").await;
        page.ok()["data"].as_array().unwrap().iter().filter(|t| t["type"] == kind).cloned().collect()
    }

    /// The files in the local evidence store (empty for S3).
    pub fn stored_files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out)
                } else {
                    out.push(path)
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dir.path().join("evidence"), &mut out);
        out
    }

    pub fn token(&self, sub: &str, roles: &[&str]) -> String {
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        auth::mint(&self.secret, sub, &roles, chrono::Duration::hours(1)).unwrap()
    }

    /// A token for `sub` signed with the service's key that expired two hours ago.
    pub fn token_expired(&self, sub: &str) -> String {
        auth::mint(&self.secret, sub, &[], chrono::Duration::hours(-2)).unwrap()
    }

    /// A token for `sub`: `staff-*` ids are staff, `market` is the service role.
    pub fn token_for(&self, sub: &str) -> String {
        match sub {
            s if s.starts_with("staff") => self.token(s, &["staff"]),
            "market" => self.token(sub, &["service"]),
            s => self.token(s, &[]),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        as_user: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut req = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(self.token_for(as_user));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        answer(req.send().await.expect("the server answers")).await
    }

    pub async fn get(&self, path: &str, as_user: &str) -> Answer {
        self.call(Method::GET, path, as_user, None, &[]).await
    }

    pub async fn post(&self, path: &str, as_user: &str, body: Value) -> Answer {
        self.call(Method::POST, path, as_user, Some(body), &[]).await
    }

    /// Registers a delivered order of `amount` IDR between buyer-1 and seller-1.
    pub async fn order(&self, id: &str, amount: i64) -> Value {
        self.order_between(id, "buyer-1", "seller-1", amount).await
    }

    pub async fn order_between(&self, id: &str, buyer: &str, seller: &str, amount: i64) -> Value {
        let body = json!({
            "buyer_id": buyer, "seller_id": seller,
            "amount": {"amount": amount, "currency": "IDR"},
            "status": "delivered",
            "delivered_at": chrono::Utc::now().to_rfc3339(),
            "contacts": {"buyer": {"email": "buyer@example.com", "locale": "id"}, "seller": {"email": "seller@example.com", "name": "Toko", "locale": "en"}},
        });
        self.call(Method::PUT, &format!("/v1/orders/{id}"), "market", Some(body), &[]).await.ok().clone()
    }

    /// buyer-1 opens a complaint on `order_id` asking for `solution`.
    pub async fn open(&self, order_id: &str, solution: Value) -> Value {
        let body = json!({"order_id": order_id, "reason": "other", "description": "The screen arrived cracked.", "requested_solution": solution});
        let a = self.post("/v1/complaints", "buyer-1", body).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.body);
        a.body
    }

    /// Every event of the feed, following the cursor to the end.
    pub async fn all_events(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let path = match &after {
                Some(c) => format!("/v1/events?limit=100&after={c}"),
                None => "/v1/events?limit=100".to_string(),
            };
            let page = self.get(&path, "market").await.ok().clone();
            let data = page["data"].as_array().unwrap().clone();
            if data.is_empty() {
                return out;
            }
            out.extend(data);
            after = page["next_cursor"].as_str().map(String::from);
        }
    }

    /// The whole feed once `ready` holds of it. An event is in the feed once
    /// every transaction that began before its own has finished, so a read
    /// right after a write may wait for other databases' transactions on the
    /// same PostgreSQL server (milliseconds). Gives up after 10 seconds and
    /// returns what there is.
    pub async fn events_when(&self, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let start = std::time::Instant::now();
        loop {
            let all = self.all_events().await;
            if ready(&all) || start.elapsed() > std::time::Duration::from_secs(10) {
                return all;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// The `type`s of the feed's events about one complaint, in order, once
    /// at least `n` of them are in the feed.
    pub async fn event_types_of(&self, complaint_id: &str, n: usize) -> Vec<String> {
        let of = |all: &[Value]| {
            all.iter()
                .filter(|e| e["data"]["complaint_id"] == complaint_id)
                .map(|e| e["type"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        of(&self.events_when(|all| of(all).len() >= n).await)
    }
}

pub async fn answer(res: reqwest::Response) -> Answer {
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
    Answer { status, headers, body }
}

/// Runs each scenario once on PostgreSQL and once on SQLite.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::Backend::Postgres).await })+
        }
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::helpers::Backend::Sqlite).await })+
        }
    };
}

/// A real 1×1 PNG.
pub fn png() -> Vec<u8> {
    let hex = "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000105f54e7a2a0000000049454e44ae426082";
    hex::decode(hex).unwrap()
}

/// A small PDF with one empty page.
pub fn pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 10 10]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

/// An MP4 container: an `ftyp` box of brand isom, then `padding` bytes of an `mdat` box.
pub fn mp4(padding: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&[0, 0, 0, 0x18]);
    out.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
    out.extend_from_slice(&((padding + 8) as u32).to_be_bytes());
    out.extend_from_slice(b"mdat");
    out.extend(std::iter::repeat_n(0u8, padding));
    out
}

/// An amount in Indonesian rupiah, as the API writes money.
pub fn idr(amount: i64) -> Value {
    json!({"amount": amount, "currency": "IDR"})
}

pub fn actions(c: &Value) -> Vec<&str> {
    c["allowed_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect()
}

pub async fn accept(app: &TestApp, c: &Value, who: &str) -> Answer {
    let pid = c["pending_proposal"]["id"].as_str().unwrap();
    app.post(&format!("/v1/complaints/{}/proposals/{pid}/accept", c["id"].as_str().unwrap()), who, json!({})).await
}

pub fn path(c: &Value, tail: &str) -> String {
    format!("/v1/complaints/{}{tail}", c["id"].as_str().unwrap())
}
