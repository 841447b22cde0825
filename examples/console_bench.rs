//! The staff console at the server, on PostgreSQL: with `--under-review`
//! complaints under review (10 000 by default), the queue's first page with
//! its view counts, and a case page with `--evidence` files (30), each
//! requested `--requests` times by one signed-in agent. Prints p50, p99 and
//! the slowest of each, measured at the client on loopback (the server's
//! time plus a loopback round trip).
//!
//! Run with `scripts/bench --console`.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use futures_util::StreamExt;
use resolution_center::http::auth;
use serde_json::{json, Value};

mod common;
use common::{Postgres, Service, Target, SECRET};

#[derive(Parser)]
struct Args {
    #[command(flatten)]
    target: Target,
    /// Complaints under review in the database.
    #[arg(long, default_value_t = 10_000)]
    under_review: usize,
    /// Evidence files of the case page measured.
    #[arg(long, default_value_t = 30)]
    evidence: usize,
    /// Requests of each page measured.
    #[arg(long, default_value_t = 300)]
    requests: usize,
    /// Requests in flight while the complaints are built.
    #[arg(long, default_value_t = 16)]
    clients: usize,
}

fn token(sub: &str, roles: &[&str]) -> String {
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    auth::mint(SECRET.as_bytes(), sub, &roles, chrono::Duration::hours(6)).expect("a token")
}

/// One JSON request, which must succeed.
async fn call(
    client: &reqwest::Client,
    base: &str,
    method: reqwest::Method,
    path: &str,
    who: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let res = client.request(method.clone(), format!("{base}{path}")).bearer_auth(who).json(&body).send().await?;
    let status = res.status();
    let text = res.text().await?;
    anyhow::ensure!(status.is_success(), "{method} {path}: {status}: {text}");
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A complaint under review: order, complaint, the seller escalates.
async fn under_review(client: &reqwest::Client, base: &str, i: usize) -> anyhow::Result<String> {
    use reqwest::Method;
    let (buyer, seller) = (format!("bench-buyer-{}", i % 500), format!("bench-seller-{}", i % 200));
    let order = format!("bench-order-{i}");
    let body = json!({"buyer_id": buyer, "seller_id": seller, "amount": {"amount": 15_000_000, "currency": "IDR"}, "status": "delivered"});
    call(client, base, Method::PUT, &format!("/v1/orders/{order}"), &token("bench-market", &["service"]), body).await?;
    let body = json!({"order_id": order, "reason": "not_received", "description": "it never arrived", "requested_solution": {"kind": "full_refund"}});
    let opened = call(client, base, Method::POST, "/v1/complaints", &token(&buyer, &[]), body).await?;
    let id = opened["id"].as_str().context("no complaint id")?.to_string();
    let body = json!({"reason": "the buyer dropped it"});
    call(client, base, Method::POST, &format!("/v1/complaints/{id}/escalate"), &token(&seller, &[]), body).await?;
    Ok(id)
}

/// The smallest PNG the service takes as a photo.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d,
    0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// The `name=value` of the Set-Cookie header named `name`.
fn cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).find_map(|h| {
        let pair = h.split(';').next()?.trim();
        pair.starts_with(&format!("{name}=")).then(|| pair.to_string())
    })
}

fn csrf_of(html: &str) -> anyhow::Result<String> {
    let needle = "name=\"csrf\" value=\"";
    let at = html.find(needle).context("no csrf field")? + needle.len();
    Ok(html[at..].split('"').next().unwrap_or_default().to_string())
}

/// p50, p99 and the slowest, in milliseconds.
fn spread(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| ms(v[((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1]);
    (at(0.5), at(0.99), ms(*v.last().unwrap()))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let pg = Postgres::new(&args.target.postgres)?;
    let db = pg.create("console")?;
    let url = pg.url(&db);
    let result = run(&args, &url).await;
    pg.drop_db(&db)?;
    result
}

async fn run(args: &Args, url: &str) -> anyhow::Result<()> {
    let service = Service::start(&args.target.service, Some(url), true).await?;
    let base = service.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.clients).build()?;
    let t = Instant::now();
    let built: Vec<anyhow::Result<(usize, String)>> = futures_util::stream::iter(0..args.under_review)
        .map(|i| {
            let (client, base) = (&client, &base);
            async move { Ok((i, under_review(client, base, i).await?)) }
        })
        .buffer_unordered(args.clients)
        .collect()
        .await;
    let mut ids = built.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    ids.sort();
    let ids: Vec<String> = ids.into_iter().map(|(_, id)| id).collect();
    println!("built {} complaints under review in {:.1} s", ids.len(), t.elapsed().as_secs_f64());

    // The case measured (the first: bench-buyer-0 against bench-seller-0): its files, half from each party.
    let case = &ids[0];
    let uploads: Vec<anyhow::Result<()>> = futures_util::stream::iter(0..args.evidence)
        .map(|n| {
            let (client, base) = (&client, &base);
            async move {
                let who = if n % 2 == 0 { "bench-buyer-0" } else { "bench-seller-0" };
                let form = reqwest::multipart::Form::new().text("kind", "photo").part(
                    "file",
                    reqwest::multipart::Part::bytes(PNG.to_vec())
                        .file_name(format!("photo-{n}.png"))
                        .mime_str("image/png")?,
                );
                let res = client
                    .post(format!("{base}/v1/complaints/{case}/evidence"))
                    .bearer_auth(token(who, &[]))
                    .multipart(form)
                    .send()
                    .await?;
                anyhow::ensure!(res.status().is_success(), "upload: {}", res.status());
                Ok(())
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    uploads.into_iter().collect::<anyhow::Result<Vec<_>>>()?;

    // An agent, signed in through the form.
    let mut add = Command::new(&args.target.service)
        .args(["staff", "add", "bench-agent", "--name", "Bench Agent", "--time-zone", "Asia/Jakarta"])
        .env("RC_DATABASE_URL", url)
        .env("RC_JWT_SECRET", SECRET)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    add.stdin.take().context("stdin")?.write_all(b"correct horse battery staple\n")?;
    anyhow::ensure!(add.wait()?.success(), "staff add failed");
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let form = browser.get(format!("{base}/console/login")).send().await?;
    let login = cookie(&form, "rc_console_login").context("no sign-in cookie")?;
    let csrf = csrf_of(&form.text().await?)?;
    let welcome = browser
        .post(format!("{base}/console/login"))
        .header("cookie", login)
        .form(&[("csrf", csrf.as_str()), ("id", "bench-agent"), ("password", "correct horse battery staple")])
        .send()
        .await?;
    let session = cookie(&welcome, "rc_console").context("no session")?;

    let pages = [
        ("queue, first page of All with the counts", "/console?view=all".to_string()),
        ("case page", format!("/console/complaints/{case}")),
    ];
    println!("console pages, {} under review, one agent, {} requests each", ids.len(), args.requests);
    for (name, path) in pages {
        let mut times = Vec::with_capacity(args.requests);
        for n in 0..args.requests + 20 {
            let t = Instant::now();
            let res = browser.get(format!("{base}{path}")).header("cookie", &session).send().await?;
            anyhow::ensure!(res.status().is_success(), "{path}: {}", res.status());
            let html = res.text().await?;
            let d = t.elapsed();
            if n == 0 && path.contains("/complaints/") {
                anyhow::ensure!(html.matches("<figure>").count() == args.evidence, "the case page shows every file");
            }
            // The first requests warm the connection pools and caches.
            if n >= 20 {
                times.push(d);
            }
        }
        let (p50, p99, max) = spread(times);
        println!("  {name:<45} p50 {p50:6.1} ms  p99 {p99:6.1} ms  max {max:6.1} ms");
    }
    Ok(())
}
