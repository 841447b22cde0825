//! The service at a marketplace's size, in one run on one machine:
//!
//! 1. builds a base of `--base` complaints through the API, with the shapes
//!    the service writes for them (90 % resolved by agreement, their payout
//!    mostly reported done; 5 % waiting on the seller or the buyer, 3 % under
//!    review, 1 % decided, 1 % withdrawn; their mail sent), on PostgreSQL;
//! 2. copies it into a database of `--complaints` complaints: each copy's
//!    ids get a suffix and its times move back by a step, so deadlines spread
//!    over the next two days and big sellers get big lists;
//! 3. on the base and on the large copy alike: starts the service with its
//!    workers, reads how many reminders it queued of those due, an idle
//!    instance's database time per second and each worker statement's time
//!    (from the server's statement log), every read endpoint's and the flow's
//!    latency, and how long a stop takes;
//! 4. prints each figure of the large database beside the base's.
//!
//! Run with `scripts/bench --scale`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use diesel::{Connection, PgConnection, RunQueryDsl};
use resolution_center::http::auth;
use serde_json::{json, Value};

mod common;
use common::{median, Postgres, Service, Target, SECRET};

#[derive(Parser)]
#[command(about = "The service's figures on a database of a million complaints, beside a 1 % copy")]
struct Args {
    #[command(flatten)]
    target: Target,
    /// Complaints in the large database.
    #[arg(long, default_value_t = 1_000_000)]
    complaints: usize,
    /// Complaints built through the API, and the small database.
    #[arg(long, default_value_t = 10_000)]
    base: usize,
    /// Concurrent clients building the base.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Requests per endpoint, one at a time.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// Keep the two databases (their names are printed) for a look afterwards.
    #[arg(long)]
    keep: bool,
    /// How long an idle instance is watched.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    idle: Duration,
}

/// Sellers and buyers of the base: each seller has base / SELLERS complaints.
const SELLERS: usize = 20;
const BUYERS: usize = 500;

/// What a complaint of the base goes through, by its number modulo 100.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Agreed,
    AwaitingSeller,
    AwaitingBuyer,
    UnderReview,
    Decided,
    Withdrawn,
}

fn shape(i: usize) -> Shape {
    match i % 100 {
        0..=89 => Shape::Agreed,
        90..=92 => Shape::AwaitingSeller,
        93..=94 => Shape::AwaitingBuyer,
        95..=97 => Shape::UnderReview,
        98 => Shape::Decided,
        _ => Shape::Withdrawn,
    }
}

fn token(sub: &str, roles: &[&str]) -> String {
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    auth::mint(SECRET.as_bytes(), sub, &roles, chrono::Duration::hours(6)).expect("a token")
}

fn buyer(i: usize) -> String {
    format!("scale-buyer-{}", i % BUYERS)
}

fn seller(i: usize) -> String {
    format!("scale-seller-{}", i % SELLERS)
}

/// The API as the bench's clients call it.
#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, who: &str, body: Option<Value>) -> anyhow::Result<Value> {
        Ok(self.timed(method, path, who, body).await?.1)
    }

    /// One request; its time and its answer, which must be a success.
    async fn timed(
        &self,
        method: reqwest::Method,
        path: &str,
        who: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(Duration, Value)> {
        let mut req = self.client.request(method.clone(), format!("{}{path}", self.base));
        if !who.is_empty() {
            req = req.bearer_auth(who);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let t = Instant::now();
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        let d = t.elapsed();
        anyhow::ensure!(status.is_success(), "{method} {path}: {status}: {text}");
        Ok((d, serde_json::from_str(&text).unwrap_or(Value::Null)))
    }
}

/// One complaint of the base, through its shape. Returns its id.
async fn build_one(
    api: &Api,
    i: usize,
    order: &str,
    steps: &mut BTreeMap<&'static str, Vec<Duration>>,
) -> anyhow::Result<String> {
    use reqwest::Method;
    let (b, s) = (buyer(i), seller(i));
    let (bt, st, market, staff) =
        (token(&b, &[]), token(&s, &[]), token("scale-market", &["service"]), token("scale-staff", &["staff"]));
    let contacts = json!({"buyer": {"email": format!("{b}@example.com"), "locale": "id"}, "seller": {"email": format!("{s}@example.com"), "locale": "en"}});
    let body = json!({"buyer_id": b, "seller_id": s, "amount": {"amount": 250_000, "currency": "IDR"}, "status": "delivered", "contacts": contacts});
    let mut time = |k: &'static str, d: Duration| steps.entry(k).or_default().push(d);
    let (d, _) = api.timed(Method::PUT, &format!("/v1/orders/{order}"), &market, Some(body)).await?;
    time("PUT /v1/orders/{id}", d);
    let body = json!({"order_id": order, "reason": "not_received", "description": "it never arrived", "requested_solution": {"kind": "full_refund"}});
    let (d, opened) = api.timed(Method::POST, "/v1/complaints", &bt, Some(body)).await?;
    time("POST /v1/complaints", d);
    let id = opened["id"].as_str().context("no complaint id")?.to_string();
    let path = |p: &str| format!("/v1/complaints/{id}{p}");
    match shape(i) {
        Shape::AwaitingSeller => return Ok(id),
        Shape::Withdrawn => {
            api.call(Method::POST, &path("/withdraw"), &bt, Some(json!({"note": "sorted out"}))).await?;
            return Ok(id);
        }
        _ => {}
    }
    let body = json!({"kind": "partial_refund", "refund_amount": {"amount": 100_000, "currency": "IDR"}});
    let (d, countered) = api.timed(Method::POST, &path("/proposals"), &st, Some(body)).await?;
    time("POST /v1/complaints/{id}/proposals", d);
    let pid = countered["pending_proposal"]["id"].as_str().context("no pending proposal")?.to_string();
    match shape(i) {
        Shape::AwaitingBuyer => {}
        Shape::Agreed => {
            let (d, _) =
                api.timed(Method::POST, &path(&format!("/proposals/{pid}/accept")), &bt, Some(json!({}))).await?;
            time("POST /v1/complaints/{id}/proposals/{pid}/accept", d);
            // The payment system reports most payouts done; some are left pending.
            if !i.is_multiple_of(100) {
                let body = json!({"state": "executed", "payment_reference": format!("pay-{i}"), "refund_destination": "balance"});
                api.call(Method::POST, &path("/settlement"), &market, Some(body)).await?;
            }
        }
        Shape::UnderReview | Shape::Decided => {
            api.call(Method::POST, &path("/escalate"), &bt, Some(json!({"reason": "not enough"}))).await?;
            if shape(i) == Shape::Decided {
                api.call(Method::POST, &path("/assign"), &staff, Some(json!({}))).await?;
                let body = json!({"outcome": "refund", "seller_at_fault": false, "reason_code": "item_damaged", "rationale": "photos"});
                api.call(Method::POST, &path("/decision"), &staff, Some(body)).await?;
            }
        }
        Shape::AwaitingSeller | Shape::Withdrawn => unreachable!("returned above"),
    }
    Ok(id)
}

/// Builds the base through the API with the workers on, and waits for its mail.
async fn build_base(args: &Args, pg: &Postgres, db: &str) -> anyhow::Result<()> {
    let service = Service::start(&args.target.service, Some(&pg.url(db)), false).await?;
    let api = Api {
        client: reqwest::Client::builder().pool_max_idle_per_host(args.clients).build()?,
        base: service.base.clone(),
    };
    let started = Instant::now();
    let per = args.base.div_ceil(args.clients);
    let tasks: Vec<_> = (0..args.clients)
        .map(|c| {
            let api = api.clone();
            let n = args.base;
            tokio::spawn(async move {
                let mut steps = BTreeMap::new();
                for i in (c * per)..((c + 1) * per).min(n) {
                    build_one(&api, i, &format!("scale-{i}"), &mut steps).await?;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for t in tasks {
        t.await??;
    }
    println!("  {} complaints through the API in {:.0} s", args.base, started.elapsed().as_secs_f64());
    // The mail of every event is queued before the base is copied: the
    // consumer has read the feed to its end.
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let behind = pg.count(
            db,
            "SELECT count(*) AS n FROM outbox o, outbox_cursors k WHERE (o.txid, o.seq) > (k.txid, k.seq)",
        )?;
        if behind == 0 {
            break;
        }
        anyhow::ensure!(started.elapsed() < Duration::from_secs(1800), "the base's mail was not queued");
    }
    drop(service);
    // Sent as a mail server would have taken it; the service sends 100 a
    // second, which the bench does not wait for.
    let mut conn = PgConnection::establish(&pg.url(db))?;
    diesel::sql_query(
        "UPDATE mail_deliveries SET sent_at = created_at + interval '1 second', attempts = 1 WHERE sent_at IS NULL",
    )
    .execute(&mut conn)?;
    Ok(())
}

/// Columns whose values are ids of rows the copy duplicates.
const ID_COLUMNS: [&str; 6] = ["id", "order_id", "complaint_id", "pending_proposal_id", "event_id", "collapse_key"];
/// Tables copied, parents first.
const TABLES: [&str; 8] =
    ["orders", "complaints", "proposals", "decisions", "settlements", "timeline", "outbox", "mail_deliveries"];

/// Copies every row of the base `copies - 1` times in place.
fn expand(pg: &Postgres, db: &str, copies: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let mut conn = PgConnection::establish(&pg.url(db))?;
    // Every copy of a row references copies of its parents, so the foreign
    // keys hold; checking them row by row would only slow the copy down.
    diesel::sql_query("SET session_replication_role = replica").execute(&mut conn)?;
    // Copies move back by up to 46 h, so the deadlines (48 h ahead at most)
    // stay in the future, spread over the next two days.
    let step = (46 * 3600 / copies.max(2)) as i64;
    for table in TABLES {
        #[derive(diesel::QueryableByName)]
        struct Column {
            #[diesel(sql_type = diesel::sql_types::Text)]
            column_name: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            data_type: String,
        }
        let columns: Vec<Column> = diesel::sql_query(format!(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_name = '{table}' ORDER BY ordinal_position"
        ))
        .load(&mut conn)?;
        let (mut names, mut values) = (Vec::new(), Vec::new());
        for c in &columns {
            // The feed's position columns take their defaults, as new rows do.
            if table == "outbox" && (c.column_name == "seq" || c.column_name == "txid") {
                continue;
            }
            let name = format!("\"{}\"", c.column_name);
            values.push(if ID_COLUMNS.contains(&c.column_name.as_str()) {
                format!("{name} || '_' || k")
            } else if c.data_type.starts_with("timestamp") {
                format!("{name} - make_interval(secs => k * {step})")
            } else {
                name.clone()
            });
            names.push(name);
        }
        let order = if table == "outbox" { " ORDER BY k, seq" } else { "" };
        let sql = format!(
            "INSERT INTO {table} ({}) SELECT {} FROM {table}, generate_series(1, {}) AS k{order}",
            names.join(", "),
            values.join(", "),
            copies - 1
        );
        let t = Instant::now();
        let n = diesel::sql_query(sql).execute(&mut conn)?;
        println!("    {table}: {n} rows copied in {:.0} s", t.elapsed().as_secs_f64());
    }
    // Consumers stand at the feed's end, as they did on the base.
    diesel::sql_query(
        "UPDATE outbox_cursors SET (txid, seq) = (SELECT txid, seq FROM outbox ORDER BY txid DESC, seq DESC LIMIT 1)",
    )
    .execute(&mut conn)?;
    diesel::sql_query("VACUUM ANALYZE").execute(&mut conn)?;
    Ok(started.elapsed())
}

/// A sample of the base's complaints, for the per-complaint reads.
struct Sample {
    complaints: Vec<(String, String)>,
    seller: String,
    buyer: String,
}

fn sample(pg: &Postgres, db: &str) -> anyhow::Result<Sample> {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        buyer_id: String,
    }
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT id, buyer_id FROM complaints WHERE id NOT LIKE '%\\_%\\_%' ESCAPE '\\' ORDER BY id LIMIT 200",
    )
    .load(&mut PgConnection::establish(&pg.url(db))?)?;
    anyhow::ensure!(!rows.is_empty(), "no complaints to sample");
    Ok(Sample {
        complaints: rows.into_iter().map(|r| (r.id, r.buyer_id)).collect(),
        seller: seller(0),
        buyer: buyer(0),
    })
}

/// One statement's times in the server's log.
#[derive(Default, Clone)]
struct Timed {
    calls: usize,
    total_ms: f64,
    times: Vec<f64>,
}

/// The server's `duration:` lines of `db` from `from` on: per statement,
/// its calls and times (parse, bind and execute of one statement together).
fn statement_times(log: &std::path::Path, from: u64, db: &str) -> anyhow::Result<BTreeMap<String, Timed>> {
    let mut file = std::fs::File::open(log)?;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(from))?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text)?;
    let mut out: BTreeMap<String, Timed> = BTreeMap::new();
    for line in text.lines().filter(|l| l.contains(&format!("@{db} "))) {
        let Some((_, rest)) = line.split_once("LOG:  duration: ") else { continue };
        let Some((ms, what)) = rest.split_once(" ms  ") else { continue };
        let ms: f64 = ms.parse().unwrap_or(0.0);
        let sql = what.split_once(": ").map_or(what, |(_, sql)| sql);
        let entry = out.entry(short(sql)).or_default();
        // An execute line is one call; parse and bind add to its time.
        if what.starts_with("execute") || what.starts_with("statement") {
            entry.calls += 1;
            entry.times.push(ms);
        } else if let Some(last) = entry.times.last_mut() {
            *last += ms;
        }
        entry.total_ms += ms;
    }
    Ok(out)
}

/// A statement shortened to what tells it apart: its column lists folded.
fn short(sql: &str) -> String {
    let mut s = sql.to_string();
    while let Some(start) = s.find("SELECT \"") {
        let Some(end) = s[start..].find(" FROM ") else { break };
        s.replace_range(start..start + end, "SELECT …");
    }
    while let Some(start) = s.find("\" (\"") {
        let Some(end) = s[start..].find(") VALUES") else { break };
        s.replace_range(start + 1..start + end + 1, " (…)");
    }
    s.chars().take(150).collect()
}

/// Every figure of one database.
struct Figures {
    reminders_due: i64,
    reminders_queued: i64,
    idle_db_ms_per_s: f64,
    statements: BTreeMap<String, Timed>,
    endpoints: BTreeMap<String, Vec<Duration>>,
    stop_idle: Duration,
    stop_busy: Duration,
}

const LEADS: [i64; 2] = [24 * 3600, 4 * 3600];

/// Deadlines that were in a lead's reminder window all the time from
/// `start` to `end`, and of those, how many have their reminder queued.
fn reminder_coverage(pg: &Postgres, db: &str, start: &str, end: &str) -> anyhow::Result<(i64, i64)> {
    let (mut due, mut queued) = (0, 0);
    for lead in LEADS {
        let window = format!(
            "FROM complaints c WHERE c.deadline_on_expiry <> 'none' \
             AND c.deadline_at > TIMESTAMP '{end}' + make_interval(secs => {lead} - {lead} / 6) \
             AND c.deadline_at <= TIMESTAMP '{start}' + make_interval(secs => {lead})"
        );
        due += pg.count(db, &format!("SELECT count(*) AS n {window}"))?;
        queued += pg.count(
            db,
            &format!(
                "SELECT count(*) AS n {window} AND EXISTS (SELECT 1 FROM mail_deliveries m \
                 WHERE m.id = 'rem:' || c.id || ':' || floor(extract(epoch FROM c.deadline_at))::bigint || ':' || {lead})"
            ),
        )?;
    }
    Ok((due, queued))
}

async fn measure(args: &Args, pg: &Postgres, db: &str, log: &std::path::Path) -> anyhow::Result<Figures> {
    use reqwest::Method;
    diesel::sql_query(format!("ALTER DATABASE {db} SET log_min_duration_statement = 0"))
        .execute(&mut *pg.admin.lock().unwrap())?;
    let sample = sample(pg, db)?;
    let utc_now = || pg.text("SELECT (now() AT TIME ZONE 'UTC')::text AS t")?.context("no time");
    let start = utc_now()?;
    let mut service = Service::start(&args.target.service, Some(&pg.url(db)), false).await?;
    // The first rounds queue the reminders of the windows they find.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let (reminders_due, reminders_queued) = reminder_coverage(pg, db, &start, &utc_now()?)?;
    // The reminders go out (100 a second); then nothing comes in and the
    // workers only poll.
    let waited = Instant::now();
    while pg.count(db, "SELECT count(*) AS n FROM mail_deliveries WHERE sent_at IS NULL AND given_up_at IS NULL")? > 0 {
        anyhow::ensure!(waited.elapsed() < Duration::from_secs(600), "the reminders were not sent");
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let from = std::fs::metadata(log)?.len();
    tokio::time::sleep(args.idle).await;
    let statements = statement_times(log, from, db)?;
    let idle_db_ms_per_s = statements.values().map(|t| t.total_ms).sum::<f64>() / args.idle.as_secs_f64();

    let api = Api { client: reqwest::Client::new(), base: service.base.clone() };
    let (staff, market) = (token("scale-staff", &["staff"]), token("scale-market", &["service"]));
    let (big_seller, a_buyer) = (token(&sample.seller, &[]), token(&sample.buyer, &[]));
    let mut endpoints: BTreeMap<String, Vec<Duration>> = BTreeMap::new();
    let events = api.call(Method::GET, "/v1/events?limit=100", &market, None).await?;
    let next_events = events["next_cursor"].as_str().map(str::to_string);
    for r in 0..args.requests {
        let (id, buyer) = &sample.complaints[r % sample.complaints.len()];
        let bt = token(buyer, &[]);
        let mut reads: Vec<(&str, String, &str)> = vec![
            ("GET /v1/complaints/{id}", format!("/v1/complaints/{id}"), &bt),
            ("GET /v1/complaints/{id}/timeline", format!("/v1/complaints/{id}/timeline"), &bt),
            ("GET /v1/complaints (a big seller)", "/v1/complaints?limit=20".into(), &big_seller),
            ("GET /v1/complaints?role=seller", "/v1/complaints?role=seller&limit=20".into(), &big_seller),
            ("GET /v1/complaints (a buyer)", "/v1/complaints?limit=20".into(), &a_buyer),
            ("GET /v1/arbitration/queue", "/v1/arbitration/queue?limit=20".into(), &staff),
            (
                "GET /v1/arbitration/queue?assignee_id",
                "/v1/arbitration/queue?assignee_id=scale-staff&limit=20".into(),
                &staff,
            ),
            ("GET /v1/arbitration/payment-problems", "/v1/arbitration/payment-problems?limit=20".into(), &staff),
            ("GET /v1/events", "/v1/events?limit=100".into(), &market),
            ("GET /v1/orders/{id}", format!("/v1/orders/scale-{}", r % args.base), &market),
            ("GET /v1/sellers/{id}/standing", format!("/v1/sellers/{}/standing", sample.seller), &staff),
            ("GET /metrics", "/metrics".into(), ""),
        ];
        if let Some(c) = &next_events {
            reads.push(("GET /v1/events?after", format!("/v1/events?limit=100&after={c}"), &market));
        }
        for (name, path, who) in reads {
            let (d, _) = api.timed(Method::GET, &path, who, None).await?;
            endpoints.entry(name.to_string()).or_default().push(d);
        }
    }
    // The flow's commands, by the big seller, one at a time.
    let mut steps = BTreeMap::new();
    for r in 0..args.requests / 4 {
        // Numbers 0, 20, 40, 60: agreed, and the big seller's.
        build_one(&api, (r % 4) * 20, &format!("scale-flow-{r}"), &mut steps).await?;
    }
    for (k, v) in steps {
        endpoints.entry(k.to_string()).or_default().extend(v);
    }
    let stop_idle = service.terminate()?;
    let mut service = Service::start(&args.target.service, Some(&pg.url(db)), false).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stop_busy = service.terminate()?;
    diesel::sql_query(format!("ALTER DATABASE {db} RESET log_min_duration_statement"))
        .execute(&mut *pg.admin.lock().unwrap())?;
    Ok(Figures { reminders_due, reminders_queued, idle_db_ms_per_s, statements, endpoints, stop_idle, stop_busy })
}

fn pct(v: &[Duration], q: f64) -> f64 {
    let mut v: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    v.sort_by(|a, b| a.total_cmp(b));
    if v.is_empty() {
        return f64::NAN;
    }
    v[((v.len() as f64 - 1.0) * q).round() as usize]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(
        args.complaints >= args.base && args.base >= 100,
        "--complaints must be at least --base, and --base at least 100"
    );
    let copies = args.complaints / args.base;
    let pg = Postgres::new(&args.target.postgres)?;
    let log = pg.log_file(args.target.pg_log.as_deref())?;
    println!("Machine: {} cores; PostgreSQL {}", std::thread::available_parallelism()?, pg.version()?);
    println!("Service: {} (workers on; defaults otherwise)\n", args.target.service.display());

    let base = pg.create("base")?;
    common::migrate(&args.target.service, &pg.url(&base))?;
    println!("Building the base of {} complaints:", args.base);
    build_base(&args, &pg, &base).await?;
    let small = pg.create_from("small", &base)?;
    let big = pg.create_from("big", &base)?;
    pg.drop_db(&base)?;
    println!("Copying it {copies} times:");
    let took = expand(&pg, &big, copies)?;
    diesel::sql_query("VACUUM ANALYZE").execute(&mut PgConnection::establish(&pg.url(&small))?)?;
    let count = |db: &str, t: &str| pg.count(db, &format!("SELECT count(*) AS n FROM {t}"));
    println!(
        "  {} complaints, {} timeline entries, {} events, {} mails, {} in {:.0} s\n",
        count(&big, "complaints")?,
        count(&big, "timeline")?,
        count(&big, "outbox")?,
        count(&big, "mail_deliveries")?,
        pg.text(&format!("SELECT pg_size_pretty(pg_database_size('{big}')) AS t"))?.unwrap_or_default(),
        took.as_secs_f64()
    );

    let small_figures = measure(&args, &pg, &small, &log).await?;
    let big_figures = measure(&args, &pg, &big, &log).await?;
    if args.keep {
        println!("Kept: {small} and {big}\n");
    } else {
        pg.drop_db(&small)?;
        pg.drop_db(&big)?;
    }

    let (s, b) = (&small_figures, &big_figures);
    let label = |n: usize| if n >= 1_000_000 { format!("{} M", n / 1_000_000) } else { format!("{} k", n / 1000) };
    let (ls, lb) = (label(args.base), label(args.complaints));
    println!("Endpoints, {} requests each, one at a time (ms at the client, on loopback):", args.requests);
    println!(
        "  {:<48} {:>9} {:>9} {:>9} {:>7}",
        "",
        format!("{ls} p50"),
        format!("{lb} p50"),
        format!("{lb} p99"),
        "ratio"
    );
    let mut worst: f64 = 0.0;
    for (name, times) in &b.endpoints {
        let base_times = s.endpoints.get(name).map(Vec::as_slice).unwrap_or(&[]);
        let ratio = pct(times, 0.5) / pct(base_times, 0.5);
        worst = worst.max(ratio);
        println!(
            "  {:<48} {:>9.2} {:>9.2} {:>9.2} {:>7.2}",
            name,
            pct(base_times, 0.5),
            pct(times, 0.5),
            pct(times, 0.99),
            ratio
        );
    }
    println!("  largest ratio: {worst:.2}\n");
    println!("Worker statements of an idle instance over {:?} (ms in the server, median of calls):", args.idle);
    println!(
        "  {:>6} {:>6} {:>8} {:>8} {:>7}  statement",
        format!("{ls} n"),
        format!("{lb} n"),
        ls.clone(),
        lb.clone(),
        "ratio"
    );
    for (sql, t) in &b.statements {
        let base = s.statements.get(sql).cloned().unwrap_or_default();
        let m = |t: &Timed| if t.times.is_empty() { f64::NAN } else { median(t.times.clone()) };
        println!("  {:>6} {:>6} {:>8.3} {:>8.3} {:>7.2}  {sql}", base.calls, t.calls, m(&base), m(t), m(t) / m(&base));
    }
    for (sql, t) in s.statements.iter().filter(|(k, _)| !b.statements.contains_key(*k)) {
        println!("  {:>6} {:>6} {:>8.3} {:>8} {:>7}  {sql}", t.calls, 0, median(t.times.clone()), "-", "-");
    }
    println!();
    for (l, f) in [(&ls, s), (&lb, b)] {
        println!(
            "{l}: idle database time {:.2} ms per second; reminders queued {} of {} due ({:.1} %); \
             stop after SIGTERM {:.2} s idle, {:.2} s during the first round",
            f.idle_db_ms_per_s,
            f.reminders_queued,
            f.reminders_due,
            100.0 * f.reminders_queued as f64 / f.reminders_due.max(1) as f64,
            f.stop_idle.as_secs_f64(),
            f.stop_busy.as_secs_f64()
        );
    }
    Ok(())
}
