//! Load driver: concurrent clients run the register → open → counter → accept
//! flow against the real server on PostgreSQL (a fresh database) and the
//! figures are printed per step. Run with `scripts/bench`.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use clap::Parser;
use diesel::{Connection, PgConnection, RunQueryDsl};
use resolution_center::app::App;
use resolution_center::config::JwtKey;
use resolution_center::domain::Policy;
use resolution_center::evidence::EvidenceStore;
use resolution_center::http::{self, auth};
use resolution_center::store::Db;
use serde_json::{json, Value};

#[derive(Parser)]
#[command(about = "Drives open → counter → accept flows and prints requests/s and latency percentiles")]
struct Args {
    /// PostgreSQL server (a fresh database is created on it).
    #[arg(long, env = "TEST_DATABASE_URL", default_value = "postgres://postgres@127.0.0.1:5432")]
    postgres: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 16)]
    clients: usize,
    /// How long to drive load.
    #[arg(long, default_value = "20s", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// HTTP worker threads of the server.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Database pool size of the server.
    #[arg(long, default_value_t = 16)]
    pool: u32,
}

const STEPS: [&str; 4] = ["PUT order", "POST complaint", "POST counter", "POST accept"];

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let name = format!("rc_bench_{}", ulid::Ulid::new().to_string().to_lowercase());
    let mut admin = PgConnection::establish(&format!("{}/postgres", args.postgres))?;
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
    let db = Db::connect(&format!("{}/{name}", args.postgres), args.pool)?;
    db.migrate()?;
    let secret = b"bench-secret-bench-secret-bench-secret".to_vec();
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = http::server(
        App::new(
            db,
            Policy::default(),
            EvidenceStore::from_url(
                &format!("fs:{}", std::env::temp_dir().join(&name).display()),
                None,
                "us-east-1",
                false,
            )
            .await?,
        ),
        auth::Verifier::new(&JwtKey::Secret(secret.clone()))?,
        listener,
        args.workers,
    )?;
    let handle = server.handle();
    tokio::spawn(server);

    let client = reqwest::Client::builder().pool_max_idle_per_host(args.clients).build()?;
    let deadline = Instant::now() + args.duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..args.clients {
        let (client, base, secret) = (client.clone(), base.clone(), secret.clone());
        tasks.push(tokio::spawn(async move { drive(n, &client, &base, &secret, deadline).await }));
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); STEPS.len()];
    let mut failures = 0usize;
    for t in tasks {
        let (s, f) = t.await??;
        for (all, mine) in samples.iter_mut().zip(s) {
            all.extend(mine);
        }
        failures += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    handle.stop(true).await;
    drop(admin);

    let flows = samples[STEPS.len() - 1].len();
    let requests: usize = samples.iter().map(Vec::len).sum();
    println!(
        "PostgreSQL, {} clients, {} server workers, pool {}, {:.1} s",
        args.clients, args.workers, args.pool, elapsed
    );
    println!("flows completed: {flows} ({:.1} flows/s), failed requests: {failures}", flows as f64 / elapsed);
    println!("requests: {requests} ({:.1} requests/s)", requests as f64 / elapsed);
    println!("{:<16} {:>8} {:>10} {:>10} {:>10}", "step", "count", "p50 ms", "p99 ms", "max ms");
    let mut all: Vec<Duration> = Vec::new();
    for (step, mut s) in STEPS.iter().zip(samples) {
        s.sort();
        println!("{:<16} {:>8} {:>10.2} {:>10.2} {:>10.2}", step, s.len(), pct(&s, 0.50), pct(&s, 0.99), pct(&s, 1.0));
        all.extend(s);
    }
    all.sort();
    println!(
        "{:<16} {:>8} {:>10.2} {:>10.2} {:>10.2}",
        "all",
        all.len(),
        pct(&all, 0.50),
        pct(&all, 0.99),
        pct(&all, 1.0)
    );
    Ok(())
}

fn pct(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// One client: flows until the deadline. Returns the latencies per step and
/// the number of failed requests.
async fn drive(
    n: usize,
    client: &reqwest::Client,
    base: &str,
    secret: &[u8],
    deadline: Instant,
) -> anyhow::Result<(Vec<Vec<Duration>>, usize)> {
    let (buyer, seller) = (format!("bench-buyer-{n}"), format!("bench-seller-{n}"));
    let token = |sub: &str, roles: &[String]| auth::mint(secret, sub, roles, chrono::Duration::hours(2));
    let service = token("bench-market", &["service".to_string()])?;
    let (buyer_token, seller_token) = (token(&buyer, &[])?, token(&seller, &[])?);
    let mut samples = vec![Vec::new(); STEPS.len()];
    let mut failures = 0;
    let mut i = 0;
    while Instant::now() < deadline {
        i += 1;
        let order = format!("bench-{n}-{i}");
        let steps: [(reqwest::Method, String, &str, Value); 2] = [
            (
                reqwest::Method::PUT,
                format!("{base}/v1/orders/{order}"),
                &service,
                json!({"buyer_id": buyer, "seller_id": seller, "amount": {"amount": 250_000, "currency": "IDR"}, "status": "delivered"}),
            ),
            (
                reqwest::Method::POST,
                format!("{base}/v1/complaints"),
                &buyer_token,
                json!({"order_id": order, "reason": "damaged", "description": "cracked", "requested_solution": {"kind": "full_refund"}}),
            ),
        ];
        let mut complaint = Value::Null;
        for (k, (method, url, tok, body)) in steps.into_iter().enumerate() {
            match timed(client.request(method, url).bearer_auth(tok).json(&body)).await {
                Ok((d, v)) => {
                    samples[k].push(d);
                    complaint = v;
                }
                Err(_) => failures += 1,
            }
        }
        let Some(id) = complaint["id"].as_str() else {
            continue;
        };
        let counter = json!({"kind": "partial_refund", "refund_amount": {"amount": 100_000, "currency": "IDR"}});
        let Ok((d, countered)) = timed(
            client.post(format!("{base}/v1/complaints/{id}/proposals")).bearer_auth(&seller_token).json(&counter),
        )
        .await
        else {
            failures += 1;
            continue;
        };
        samples[2].push(d);
        let pid = countered["pending_proposal"]["id"].as_str().unwrap_or_default();
        match timed(client.post(format!("{base}/v1/complaints/{id}/proposals/{pid}/accept")).bearer_auth(&buyer_token))
            .await
        {
            Ok((d, _)) => samples[3].push(d),
            Err(_) => failures += 1,
        }
    }
    Ok((samples, failures))
}

async fn timed(req: reqwest::RequestBuilder) -> anyhow::Result<(Duration, Value)> {
    let t = Instant::now();
    let res = req.send().await?;
    let status = res.status();
    let body: Value = res.json().await?;
    let d = t.elapsed();
    anyhow::ensure!(status.is_success(), "{status}: {body}");
    Ok((d, body))
}
