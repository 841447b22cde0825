//! The benchmark, all in one run on one machine, the service running as its
//! own release process:
//!
//! 1. the open → counter → accept flow on PostgreSQL, against pgbench running
//!    the same SQL statements per flow: the bench runs one flow with the
//!    database's `log_statement = 'all'`, turns what the server logged into a
//!    pgbench script, then alternates rounds of the service, of pgbench on
//!    that script and of pgbench on the flow written by hand with the fewest
//!    statements (`flow-minimal.pgbench`);
//! 2. `GET /v1/complaints/{id}` with many concurrent clients;
//! 3. the same flow on the embedded SQLite default;
//! 4. start-to-ready and idle resident memory on SQLite.
//!
//! Run with `scripts/bench`, which also runs the evidence upload driver.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use diesel::RunQueryDsl;
use resolution_center::http::auth;
use serde_json::{json, Value};

mod common;
use common::{
    children_cpu_secs, cpu_secs, machine_busy_secs, median, migrate, rss_kib, Postgres, Service, Target, SECRET,
};

#[derive(Parser)]
#[command(about = "Flow, read and start-up figures of the service, beside pgbench on the same SQL")]
struct Args {
    #[command(flatten)]
    target: Target,
    /// Concurrent clients running flows (and pgbench clients).
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// Concurrent clients reading one complaint each.
    #[arg(long, default_value_t = 50)]
    readers: usize,
    /// Length of each measured round.
    #[arg(long, default_value = "8s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Rounds of each flow measurement; medians are printed. The machine's
    /// speed drifts, so more, shorter rounds give a steadier median.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Cold starts timed on SQLite.
    #[arg(long, default_value_t = 5)]
    starts: usize,
    /// Where the pgbench script is written.
    #[arg(long, default_value = "target/bench")]
    out: PathBuf,
    /// Only capture one flow's statements into the pgbench script, print
    /// them, and stop.
    #[arg(long)]
    capture_only: bool,
    /// Only the flow on PostgreSQL against pgbench (the scale run's part).
    #[arg(long)]
    flow_only: bool,
}

const STEPS: [&str; 4] = ["PUT order", "POST complaint", "POST counter", "POST accept"];

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    std::fs::create_dir_all(&args.out)?;
    let pg = Postgres::new(&args.target.postgres)?;
    println!("Machine: {} cores; PostgreSQL {}", std::thread::available_parallelism()?, pg.version()?);
    println!("Service: {} (API only: RC_WORKERS=off; defaults otherwise)\n", args.target.service.display());

    // 1. The flow on PostgreSQL against pgbench on the same statements.
    let script = capture_flow(&args, &pg).await?;
    let script_path = args.out.join("flow.pgbench");
    std::fs::write(&script_path, &script.text)?;
    println!(
        "One flow is {} statements in {} transactions; pgbench script: {}",
        script.statements,
        script.transactions,
        script_path.display()
    );
    if args.capture_only {
        print!("{}", script.text);
        return Ok(());
    }
    let minimal_path = args.out.join("flow-minimal.pgbench");
    std::fs::write(&minimal_path, MINIMAL_FLOW)?;
    println!(
        "The minimal flow, written by hand for the same rows, is {} statements: {}",
        MINIMAL_FLOW.lines().filter(|l| l.trim_end().ends_with(';')).count(),
        minimal_path.display()
    );
    let (mut ours, mut theirs, mut minimal) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=args.rounds {
        let db = pg.create("flow")?;
        let service = Service::start(&args.target.service, Some(&pg.url(&db)), true).await?;
        pg.checkpoint()?;
        let run = run_flows(&service, args.clients, args.duration).await?;
        drop(service);
        pg.drop_db(&db)?;
        let bench = pgbench_round(&args, &pg, &script_path)?;
        let least = pgbench_round(&args, &pg, &minimal_path)?;
        println!(
            "  round {round}: service {:.1} flows/s ({:.2} ms CPU per flow: {:.2} service, {:.2} driver, {:.2} rest), \
             pgbench {:.1} flows/s ({:.2} ms CPU per flow: {:.2} pgbench, {:.2} rest), minimal {:.1} flows/s; \
             ratio {:.2}, to the minimal {:.2}",
            run.flows_per_sec,
            run.cpu_ms_per_flow,
            run.service_cpu_ms_per_flow,
            run.driver_cpu_ms_per_flow,
            run.cpu_ms_per_flow - run.service_cpu_ms_per_flow - run.driver_cpu_ms_per_flow,
            bench.flows_per_sec,
            bench.cpu_ms_per_flow,
            bench.client_cpu_ms_per_flow,
            bench.cpu_ms_per_flow - bench.client_cpu_ms_per_flow,
            least.flows_per_sec,
            run.flows_per_sec / bench.flows_per_sec,
            run.flows_per_sec / least.flows_per_sec,
        );
        ours.push(run);
        theirs.push(bench.flows_per_sec);
        minimal.push(least.flows_per_sec);
    }
    let ours_median = median(ours.iter().map(|r| r.flows_per_sec).collect());
    let ratios = ours.iter().zip(&theirs).map(|(o, t)| o.flows_per_sec / t).collect();
    let to_minimal = ours.iter().zip(&minimal).map(|(o, t)| o.flows_per_sec / t).collect();
    println!(
        "PostgreSQL flow, {} clients, {} rounds of {:?}: service median {ours_median:.1} flows/s, \
         pgbench median {:.1} flows/s on the captured SQL, {:.1} on the minimal script; \
         median ratio of a round {:.2} to the captured SQL, {:.2} to the minimal script",
        args.clients,
        args.rounds,
        args.duration,
        median(theirs),
        median(minimal),
        median(ratios),
        median(to_minimal)
    );
    print_steps(ours.iter().flat_map(|r| r.steps.iter().cloned()));
    if args.flow_only {
        return Ok(());
    }

    // 2. Reads at many clients.
    let db = pg.create("read")?;
    let service = Service::start(&args.target.service, Some(&pg.url(&db)), true).await?;
    let reads = run_reads(&service, args.readers, args.duration).await?;
    drop(service);
    pg.drop_db(&db)?;
    println!(
        "\nGET /v1/complaints/{{id}} on PostgreSQL, {} clients, {:?}: {:.0} requests/s, p50 {:.2} ms, p99 {:.2} ms, \
         errors {}",
        args.readers,
        args.duration,
        reads.count as f64 / reads.elapsed,
        pct(&reads.latencies, 0.50),
        pct(&reads.latencies, 0.99),
        reads.errors
    );

    // 3. The flow on SQLite.
    let mut sqlite = Vec::new();
    for round in 1..=args.rounds {
        let service = Service::start(&args.target.service, None, true).await?;
        let run = run_flows(&service, args.clients, args.duration).await?;
        println!(
            "  round {round}: {:.1} flows/s ({:.2} ms CPU per flow: {:.2} service, {:.2} driver)",
            run.flows_per_sec, run.cpu_ms_per_flow, run.service_cpu_ms_per_flow, run.driver_cpu_ms_per_flow
        );
        sqlite.push(run);
    }
    println!(
        "SQLite flow, {} clients, {} rounds of {:?}: median {:.1} flows/s",
        args.clients,
        args.rounds,
        args.duration,
        median(sqlite.iter().map(|r| r.flows_per_sec).collect())
    );
    print_steps(sqlite.iter().flat_map(|r| r.steps.iter().cloned()));

    // 4. Start-up and idle memory on SQLite, with the background workers on.
    let (mut cold, mut warm, mut idle) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..args.starts {
        let dir = tempfile::tempdir()?;
        let (service, ready) = Service::start_in(&args.target.service, None, false, dir.path()).await?;
        cold.push(ready.as_secs_f64() * 1000.0);
        drop(service);
        let (service, ready) = Service::start_in(&args.target.service, None, false, dir.path()).await?;
        warm.push(ready.as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_secs(3)).await;
        idle.push(rss_kib(service.pid()) as f64 / 1024.0);
    }
    println!(
        "\nSQLite start to ready, median of {}: {:.0} ms on a new data directory (migrations, secret), \
         {:.0} ms on an existing one; idle RSS after 3 s: {:.1} MiB (max {:.1})",
        args.starts,
        median(cold),
        median(warm),
        median(idle.clone()),
        idle.iter().cloned().fold(0.0, f64::max)
    );
    Ok(())
}

/// A pgbench script with the statements of one flow.
struct Script {
    text: String,
    statements: usize,
    transactions: usize,
}

/// Runs one flow against a database that logs every statement, and turns
/// what the server logged into a pgbench script (see `pgbench_script`).
async fn capture_flow(args: &Args, pg: &Postgres) -> anyhow::Result<Script> {
    let log = pg.log_file(args.target.pg_log.as_deref())?;
    let db = pg.create("capture")?;
    diesel::sql_query(format!("ALTER DATABASE {db} SET log_statement = 'all'"))
        .execute(&mut *pg.admin.lock().unwrap())?;
    let service = Service::start(&args.target.service, Some(&pg.url(&db)), true).await?;
    let client = reqwest::Client::new();
    let tokens = Tokens::new(0)?;
    // A first flow warms the connection pool up; the second is captured.
    flow(&client, &service.base, &tokens, "capture-warm-up", &mut None).await?;
    let from = std::fs::metadata(&log).with_context(|| format!("reading {} (see --pg-log)", log.display()))?.len();
    let order = "capture-flow";
    flow(&client, &service.base, &tokens, order, &mut None).await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    drop(service);
    let mut file = std::fs::File::open(&log)?;
    std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(from))?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut file, &mut text)?;
    pg.drop_db(&db)?;
    let mine: Vec<&str> = text.lines().filter(|l| l.contains(&format!("@{db} "))).collect();
    let lines: Vec<&str> = if mine.is_empty() { text.lines().collect() } else { mine };
    pgbench_script(&lines, order)
}

/// One logged statement: its SQL and its parameters (None for NULL).
struct Logged {
    sql: String,
    params: Vec<Option<String>>,
}

/// Turns `LOG:  statement: …` and `LOG:  execute …: …` lines (with their
/// `DETAIL:  parameters: …`) into a pgbench script. Parameters are inlined
/// as literals; the ids the flow created (complaint, proposals, events, and
/// the order) become expressions over a random number drawn per pgbench
/// transaction, so every run of the script writes new rows as a flow does.
fn pgbench_script(lines: &[&str], order: &str) -> anyhow::Result<Script> {
    let mut logged: Vec<Logged> = Vec::new();
    for line in lines {
        if let Some((_, sql)) = line.split_once("LOG:  statement: ") {
            logged.push(Logged { sql: sql.to_string(), params: vec![] });
        } else if let Some((_, rest)) = line.split_once("LOG:  execute ") {
            let (_, sql) = rest.split_once(": ").context("an execute line without its statement")?;
            logged.push(Logged { sql: sql.to_string(), params: vec![] });
        } else if let Some((_, params)) = line.split_once("DETAIL:  parameters: ") {
            logged.last_mut().context("parameters before a statement")?.params = parse_params(params)?;
        }
    }
    anyhow::ensure!(logged.len() > 4, "the server logged {} statements of the flow (is --pg-log right?)", logged.len());
    let mut ids: Vec<String> = vec![order.to_string()];
    for value in logged.iter().flat_map(|l| l.params.iter().flatten()) {
        for id in generated_ids(value) {
            if !ids.iter().any(|i| i == id) {
                ids.push(id.to_string());
            }
        }
    }
    let mut text = String::from("\\set n random(1, 1000000000000000)\n");
    let mut transactions = 0;
    for l in &logged {
        transactions += usize::from(l.sql == "COMMIT");
        text.push_str(&inline(&l.sql, &l.params, &ids)?);
        text.push_str(";\n");
    }
    Ok(Script { text, statements: logged.len(), transactions })
}

/// `$1 = 'a', $2 = NULL, …` → the values in order.
fn parse_params(mut s: &str) -> anyhow::Result<Vec<Option<String>>> {
    let mut out = Vec::new();
    while !s.is_empty() {
        let (_, rest) = s.split_once(" = ").context("a parameter without a value")?;
        if let Some(rest) = rest.strip_prefix("NULL") {
            out.push(None);
            s = rest;
        } else {
            let mut rest = rest.strip_prefix('\'').context("an unquoted parameter")?;
            let mut value = String::new();
            loop {
                let (part, after) = rest.split_once('\'').context("an unterminated parameter")?;
                value.push_str(part);
                match after.strip_prefix('\'') {
                    Some(after) => {
                        value.push('\'');
                        rest = after;
                    }
                    None => {
                        rest = after;
                        break;
                    }
                }
            }
            out.push(Some(value));
            s = rest;
        }
        s = s.strip_prefix(", ").unwrap_or(s);
    }
    Ok(out)
}

/// The ids the service generates, as they appear in a value: `cmp_`, `prp_`
/// or `evt_` and a ULID.
fn generated_ids(value: &str) -> impl Iterator<Item = &str> {
    ["cmp_", "prp_", "evt_"].into_iter().flat_map(move |prefix| {
        value.match_indices(prefix).filter_map(move |(i, _)| {
            let id = value.get(i..i + 30)?;
            id[4..].bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()).then_some(id)
        })
    })
}

/// The statement with `$n` replaced by its parameter as SQL.
fn inline(sql: &str, params: &[Option<String>], ids: &[String]) -> anyhow::Result<String> {
    let mut out = String::with_capacity(sql.len() * 2);
    let mut rest = sql;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let digits = rest[i + 1..].bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            out.push('$');
            rest = &rest[i + 1..];
            continue;
        }
        let n: usize = rest[i + 1..i + 1 + digits].parse()?;
        let value = params.get(n - 1).with_context(|| format!("${n} was not logged: {sql}"))?;
        out.push_str(&value.as_deref().map_or_else(|| "NULL".to_string(), |v| literal(v, ids)));
        rest = &rest[i + 1 + digits..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A value as SQL: a literal, or where it holds generated ids, their
/// expressions joined to the literal parts with `||`.
fn literal(value: &str, ids: &[String]) -> String {
    let mut parts = Vec::new();
    let mut rest = value;
    while let Some((i, k)) = ids.iter().enumerate().filter_map(|(k, id)| rest.find(id.as_str()).map(|i| (i, k))).min() {
        if i > 0 {
            parts.push(quote(&rest[..i]));
        }
        let prefix = ids[k].split_once('_').map_or("o", |(p, _)| p);
        parts.push(format!("('{prefix}_' || :n::text || '_{k}')"));
        rest = &rest[i + ids[k].len()..];
    }
    if !rest.is_empty() || parts.is_empty() {
        parts.push(quote(rest));
    }
    match parts.len() {
        1 => parts.pop().unwrap(),
        // An array literal of ids, like `{cmp_…}`, keeps its type.
        _ if value.starts_with('{') && !value.contains(['"', ':']) => format!("({})::text[]", parts.join(" || ")),
        _ => format!("({})", parts.join(" || ")),
    }
}

/// A string literal. pgbench takes `:name` anywhere in a statement for a
/// variable, so a value with such a colon (JSON) is written as an escape
/// string with the colon as `\x3a`.
fn quote(s: &str) -> String {
    let colon_name = s.as_bytes().windows(2).any(|w| w[0] == b':' && (w[1].is_ascii_alphabetic() || w[1] == b'_'));
    if colon_name {
        format!("E'{}'", s.replace('\\', "\\\\").replace('\'', "\\'").replace(':', "\\x3a"))
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

/// pgbench on a freshly migrated database, checked to have resolved a
/// complaint for each flow it counted.
fn pgbench_round(args: &Args, pg: &Postgres, script: &Path) -> anyhow::Result<PgbenchRun> {
    let db = pg.create("pgbench")?;
    migrate(&args.target.service, &pg.url(&db))?;
    pg.checkpoint()?;
    let bench = pgbench(&pg.url(&db), script, args.clients, args.duration)?;
    let resolved = pg.count(&db, "SELECT count(*) AS n FROM complaints WHERE status = 'resolved'")?;
    anyhow::ensure!(
        resolved as u64 >= bench.flows,
        "pgbench ran {} flows of {} but left {resolved} resolved complaints",
        bench.flows,
        script.display()
    );
    pg.drop_db(&db)?;
    Ok(bench)
}

/// The flow as written by hand (see the file's head).
const MINIMAL_FLOW: &str = include_str!("flow-minimal.pgbench");

struct PgbenchRun {
    flows: u64,
    flows_per_sec: f64,
    cpu_ms_per_flow: f64,
    client_cpu_ms_per_flow: f64,
}

fn pgbench(database_url: &str, script: &Path, clients: usize, duration: Duration) -> anyhow::Result<PgbenchRun> {
    let (busy, client) = (machine_busy_secs(), children_cpu_secs(std::process::id()));
    let out = Command::new("pgbench")
        .args(["--no-vacuum", "--protocol=prepared", "--jobs=2"])
        .arg(format!("--client={clients}"))
        .arg(format!("--time={}", duration.as_secs().max(1)))
        .arg(format!("--file={}", script.display()))
        .arg(database_url)
        .output()
        .context("running pgbench (PostgreSQL's client tools)")?;
    let cpu = machine_busy_secs() - busy;
    let client = children_cpu_secs(std::process::id()) - client;
    let stdout = String::from_utf8_lossy(&out.stdout);
    anyhow::ensure!(out.status.success(), "pgbench failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    let field = |prefix: &str| -> anyhow::Result<f64> {
        let line = stdout.lines().find_map(|l| l.strip_prefix(prefix)).with_context(|| format!("no {prefix}"))?;
        Ok(line.split_whitespace().next().unwrap_or_default().split('/').next().unwrap_or_default().parse()?)
    };
    let flows = field("number of transactions actually processed: ")? as u64;
    let flows_per_sec = field("tps = ")?;
    let per_flow = |secs: f64| secs * 1000.0 / flows as f64;
    Ok(PgbenchRun { flows, flows_per_sec, cpu_ms_per_flow: per_flow(cpu), client_cpu_ms_per_flow: per_flow(client) })
}

/// Tokens of one client's buyer and seller, and of the marketplace.
struct Tokens {
    buyer_id: String,
    seller_id: String,
    buyer: String,
    seller: String,
    market: String,
}

impl Tokens {
    fn new(n: usize) -> anyhow::Result<Tokens> {
        let (buyer_id, seller_id) = (format!("bench-buyer-{n}"), format!("bench-seller-{n}"));
        let mint = |sub: &str, roles: &[String]| auth::mint(SECRET.as_bytes(), sub, roles, chrono::Duration::hours(2));
        Ok(Tokens {
            buyer: mint(&buyer_id, &[])?,
            seller: mint(&seller_id, &[])?,
            market: mint("bench-market", &["service".to_string()])?,
            buyer_id,
            seller_id,
        })
    }
}

type Steps = Vec<Vec<Duration>>;

/// One flow: the marketplace registers the order, the buyer opens a
/// complaint, the seller counters, the buyer accepts. Returns the complaint.
async fn flow(
    client: &reqwest::Client,
    base: &str,
    t: &Tokens,
    order: &str,
    steps: &mut Option<Steps>,
) -> anyhow::Result<Value> {
    let mut timed = |k: usize, d: Duration| {
        if let Some(s) = steps.as_mut() {
            s[k].push(d);
        }
    };
    let body = json!({"buyer_id": t.buyer_id, "seller_id": t.seller_id, "amount": {"amount": 250_000, "currency": "IDR"}, "status": "delivered"});
    let (d, _) = send(client.put(format!("{base}/v1/orders/{order}")).bearer_auth(&t.market).json(&body)).await?;
    timed(0, d);
    let body = json!({"order_id": order, "reason": "not_received", "description": "it never arrived", "requested_solution": {"kind": "full_refund"}});
    let (d, opened) = send(client.post(format!("{base}/v1/complaints")).bearer_auth(&t.buyer).json(&body)).await?;
    timed(1, d);
    let id = opened["id"].as_str().context("no complaint id")?;
    let body = json!({"kind": "partial_refund", "refund_amount": {"amount": 100_000, "currency": "IDR"}});
    let url = format!("{base}/v1/complaints/{id}/proposals");
    let (d, countered) = send(client.post(url).bearer_auth(&t.seller).json(&body)).await?;
    timed(2, d);
    let pid = countered["pending_proposal"]["id"].as_str().context("no pending proposal")?;
    let url = format!("{base}/v1/complaints/{id}/proposals/{pid}/accept");
    let (d, settled) = send(client.post(url).bearer_auth(&t.buyer)).await?;
    timed(3, d);
    anyhow::ensure!(settled["status"] == "resolved", "the flow did not settle: {settled}");
    Ok(settled)
}

async fn send(req: reqwest::RequestBuilder) -> anyhow::Result<(Duration, Value)> {
    let t = Instant::now();
    let res = req.send().await?;
    let status = res.status();
    let body: Value = res.json().await?;
    let d = t.elapsed();
    anyhow::ensure!(status.is_success(), "{status}: {body}");
    Ok((d, body))
}

struct FlowRun {
    flows_per_sec: f64,
    /// CPU the whole machine spent per flow, and the service's and the driver's share of it.
    cpu_ms_per_flow: f64,
    service_cpu_ms_per_flow: f64,
    driver_cpu_ms_per_flow: f64,
    steps: Steps,
}

/// `clients` concurrent clients running flows for `duration`.
async fn run_flows(service: &Service, clients: usize, duration: Duration) -> anyhow::Result<FlowRun> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
    let (busy, service_cpu, driver_cpu) = (machine_busy_secs(), cpu_secs(service.pid()), cpu_secs(std::process::id()));
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|n| {
            let (client, base) = (client.clone(), service.base.clone());
            tokio::spawn(async move {
                let tokens = Tokens::new(n)?;
                let mut steps = Some(vec![Vec::new(); STEPS.len()]);
                let mut i = 0;
                while Instant::now() < deadline {
                    i += 1;
                    flow(&client, &base, &tokens, &format!("bench-{n}-{i}"), &mut steps).await?;
                }
                anyhow::Ok(steps.unwrap_or_default())
            })
        })
        .collect();
    let mut steps: Steps = vec![Vec::new(); STEPS.len()];
    for t in tasks {
        for (all, mine) in steps.iter_mut().zip(t.await??) {
            all.extend(mine);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let flows = steps[STEPS.len() - 1].len() as f64;
    let per_flow = |secs: f64| secs * 1000.0 / flows;
    Ok(FlowRun {
        flows_per_sec: flows / elapsed,
        cpu_ms_per_flow: per_flow(machine_busy_secs() - busy),
        service_cpu_ms_per_flow: per_flow(cpu_secs(service.pid()) - service_cpu),
        driver_cpu_ms_per_flow: per_flow(cpu_secs(std::process::id()) - driver_cpu),
        steps,
    })
}

struct Reads {
    latencies: Vec<Duration>,
    count: usize,
    errors: usize,
    elapsed: f64,
}

/// `clients` concurrent clients, each reading its own complaint for `duration`.
async fn run_reads(service: &Service, clients: usize, duration: Duration) -> anyhow::Result<Reads> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
    let mut complaints = Vec::new();
    for n in 0..clients {
        let tokens = Tokens::new(n)?;
        let settled = flow(&client, &service.base, &tokens, &format!("read-{n}"), &mut None).await?;
        complaints.push((tokens.buyer, settled["id"].as_str().context("no id")?.to_string()));
    }
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = complaints
        .into_iter()
        .map(|(token, id)| {
            let (client, url) = (client.clone(), format!("{}/v1/complaints/{id}", service.base));
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0);
                while Instant::now() < deadline {
                    match send(client.get(&url).bearer_auth(&token)).await {
                        Ok((d, _)) => latencies.push(d),
                        Err(_) => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (l, e) = t.await?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    Ok(Reads { count: latencies.len(), latencies, errors, elapsed })
}

fn print_steps(runs: impl Iterator<Item = Vec<Duration>>) {
    let mut steps: Steps = vec![Vec::new(); STEPS.len()];
    for (k, s) in runs.enumerate() {
        steps[k % STEPS.len()].extend(s);
    }
    println!("  {:<16} {:>8} {:>10} {:>10}", "step", "count", "p50 ms", "p99 ms");
    for (name, mut s) in STEPS.iter().zip(steps) {
        s.sort();
        println!("  {:<16} {:>8} {:>10.2} {:>10.2}", name, s.len(), pct(&s, 0.50), pct(&s, 0.99));
    }
}

fn pct(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}
