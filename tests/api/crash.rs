//! SIGKILL under load: while buyers and sellers run flows against the real
//! binary, it is killed ten times at random moments and restarted on the same
//! database. Clients retry through the outages with their Idempotency-Keys.
//! Afterwards every write that was answered 2xx is there, no complaint is
//! settled twice, every event of the feed reached the webhook receiver, and
//! every deadline the service took on fired.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use rand::Rng;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{self, Backend};
use crate::helpers::{rand_bytes, Receiver};

const SECRET: &str = "crash-secret-crash-secret-crash-secret!";
const KILLS: usize = 10;
const CLIENTS: usize = 6;

/// The binary, started and killed on the same database and data directory.
struct Service {
    child: Option<Child>,
    env: Vec<(&'static str, String)>,
    base: String,
}

impl Service {
    fn start(&mut self) {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_resolution-center"));
        cmd.arg("serve").envs(self.env.iter().map(|(k, v)| (*k, v))).stdout(Stdio::null()).stderr(Stdio::null());
        self.child = Some(cmd.spawn().expect("the service starts"));
    }

    /// SIGKILL: no shutdown hook runs.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    async fn ready(&self, client: &reqwest::Client) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok(res) = client.get(format!("{}/readyz", self.base)).send().await {
                if res.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the service did not become ready");
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What the clients saw answered: the complaints at the version and status
/// of their last 2xx, the orders registered, the complaints left to their
/// deadline, and the answers that were neither 2xx nor an outage.
#[derive(Default)]
struct Seen {
    complaints: HashMap<String, (i64, String)>,
    orders: Vec<String>,
    left_to_timer: Vec<String>,
    surprises: Vec<String>,
}

async fn ten_sigkills_under_load_lose_nothing(backend: Backend) {
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(rand_bytes()));
    let receiver = Receiver::start(&secret, 0);
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut env = vec![
        ("RC_LISTEN", format!("127.0.0.1:{port}")),
        ("RC_DATA_DIR", dir.path().display().to_string()),
        ("RC_JWT_SECRET", SECRET.to_string()),
        ("RC_TIMER_INTERVAL", "50ms".to_string()),
        ("RC_SELLER_RESPONSE_WINDOW", "2s".to_string()),
        ("RC_WEBHOOK_URL", receiver.url.clone()),
        ("RC_WEBHOOK_SECRET", secret),
        ("RC_WEBHOOK_RETRY_BASE", "50ms".to_string()),
        // A delivery claimed by a killed process is retried after twice this.
        ("RC_WEBHOOK_TIMEOUT", "2s".to_string()),
        ("RC_IDEMPOTENCY_LEASE", "1s".to_string()),
    ];
    if backend == Backend::Postgres {
        env.push(("RC_DATABASE_URL", helpers::new_pg_database()));
    }
    let mut service = Service { child: None, env, base: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    service.start();
    service.ready(&client).await;

    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let (seen, stop, client, base) = (seen.clone(), stop.clone(), client.clone(), service.base.clone());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    flow(&client, &base, n, i, &seen).await;
                    i += 1;
                }
            })
        })
        .collect();
    for _ in 0..KILLS {
        let pause = rand::rng().random_range(200..800);
        tokio::time::sleep(Duration::from_millis(pause)).await;
        service.kill();
        service.start();
        service.ready(&client).await;
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(seen.surprises.is_empty(), "answers no client should get:\n{}", seen.surprises.join("\n"));
    let resolved = seen.complaints.values().filter(|(_, s)| s == "resolved").count();
    assert!(resolved >= 10 && !seen.left_to_timer.is_empty(), "too few flows ran: {resolved} settled");

    let staff = token("staff-crash", &["staff"]);
    let market = token("market", &["service"]);
    // Every 2xx write is there.
    for order in &seen.orders {
        let got = get(&client, &service.base, &format!("/v1/orders/{order}"), &market).await;
        assert_eq!(got["id"], order.as_str());
    }
    for (id, (version, status)) in &seen.complaints {
        let got = get(&client, &service.base, &format!("/v1/complaints/{id}"), &staff).await;
        assert!(got["version"].as_i64().unwrap() >= *version, "{id} is behind the answer at version {version}: {got}");
        if status == "resolved" {
            assert_eq!(got["status"], "resolved", "{id}");
        }
    }
    // No deadline is lost: each complaint left to the seller's silence is escalated by the timer.
    for id in &seen.left_to_timer {
        let start = Instant::now();
        loop {
            let got = get(&client, &service.base, &format!("/v1/complaints/{id}"), &staff).await;
            if got["status"] == "under_review" {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "the deadline of {id} did not fire: {got}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // No complaint is settled twice, and every deadline fired once.
    let feed = feed_when(&client, &service.base, &market, |feed| {
        seen.left_to_timer.iter().all(|id| count(feed, id, "complaint.escalated") == 1)
    })
    .await;
    for (id, (_, status)) in &seen.complaints {
        let settled = count(&feed, id, "complaint.resolved");
        assert!(settled <= 1, "{id} was settled {settled} times");
        if status == "resolved" {
            assert_eq!(settled, 1, "{id} is resolved without its settlement event");
        }
    }
    for id in &seen.left_to_timer {
        assert_eq!(count(&feed, id, "complaint.escalated"), 1, "{id}");
    }
    // Every event of the feed reached the receiver.
    let want: HashSet<String> = feed.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    let start = Instant::now();
    let missing = loop {
        let got: HashSet<String> = (receiver.requests().iter())
            .filter(|r| r["status"] == 204)
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        let missing: Vec<&String> = want.difference(&got).collect();
        if missing.is_empty() || start.elapsed() > Duration::from_secs(90) {
            break missing.len();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(missing, 0, "of {} events, {missing} never reached the receiver", want.len());
}

/// One flow: the service registers an order, the buyer opens a complaint;
/// one flow in three is then left to the seller's deadline, the others are
/// countered by the seller and accepted by the buyer.
async fn flow(client: &reqwest::Client, base: &str, n: usize, i: usize, seen: &Mutex<Seen>) {
    let (buyer, seller, order) = (format!("crash-buyer-{n}"), format!("crash-seller-{n}"), format!("crash-{n}-{i}"));
    let (buyer_token, seller_token) = (token(&buyer, &[]), token(&seller, &[]));
    let body = json!({"buyer_id": buyer, "seller_id": seller, "amount": {"amount": 150_000, "currency": "IDR"}, "status": "delivered"});
    let call = Call { client, base, seen };
    let Some(_) =
        call.send(Method::PUT, &format!("/v1/orders/{order}"), &token("market", &["service"]), body, None).await
    else {
        return;
    };
    seen.lock().unwrap().orders.push(order.clone());
    let body = json!({"order_id": order, "reason": "other", "description": "Cracked.", "requested_solution": {"kind": "full_refund"}});
    let Some(c) = call.send(Method::POST, "/v1/complaints", &buyer_token, body, None).await else { return };
    let id = c["id"].as_str().unwrap().to_string();
    call.saw(&c);
    if i.is_multiple_of(3) {
        seen.lock().unwrap().left_to_timer.push(id);
        return;
    }
    let counter = json!({"kind": "partial_refund", "refund_amount": {"amount": 50_000, "currency": "IDR"}});
    let at = format!("\"{}\"", c["version"]);
    let path = format!("/v1/complaints/{id}/proposals");
    let answer = call.answer(Method::POST, &path, &seller_token, Some(counter), Some(&at)).await;
    if matches!(answer.status.as_u16(), 409 | 412) {
        // The outages count against the seller's window: when the deadline
        // beat the counter, the complaint was escalated and the counter is
        // rightly refused, as stale (412) or, when the retried opening was
        // answered with the escalated complaint, as out of turn (409).
        let now = call.answer(Method::GET, &format!("/v1/complaints/{id}"), &seller_token, None, None).await;
        if now.status.is_success() && now.body["status"] == "under_review" && now.body["pending_proposal"].is_null() {
            seen.lock().unwrap().left_to_timer.push(id);
            return;
        }
    }
    let Some(c) = call.expect_success(Method::POST, &path, answer) else { return };
    call.saw(&c);
    let pid = c["pending_proposal"]["id"].as_str().unwrap();
    let accept = format!("/v1/complaints/{id}/proposals/{pid}/accept");
    if let Some(c) = call.send(Method::POST, &accept, &buyer_token, json!({}), None).await {
        call.saw(&c);
    }
}

struct Call<'a> {
    client: &'a reqwest::Client,
    base: &'a str,
    seen: &'a Mutex<Seen>,
}

impl Call<'_> {
    /// Sends until the service answers: through refused connections while it
    /// is down, through 5xx, and through 409s while the key's first attempt
    /// is taken as still running.
    async fn answer(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
        if_match: Option<&str>,
    ) -> helpers::Answer {
        let key = ulid::Ulid::new().to_string();
        let start = Instant::now();
        loop {
            assert!(start.elapsed() < Duration::from_secs(60), "{method} {path} never got an answer");
            let mut req = self.client.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(token);
            if let Some(body) = &body {
                req = req.header("Idempotency-Key", &key).json(body);
            }
            if let Some(tag) = if_match {
                req = req.header("If-Match", tag);
            }
            let Ok(res) = req.send().await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let answer = helpers::answer(res).await;
            let in_flight = answer.body["code"] == "idempotency_key_in_flight";
            if answer.status.is_server_error() || in_flight {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
            return answer;
        }
    }

    /// The body of a 2xx answer; anything else is a surprise.
    fn expect_success(&self, method: Method, path: &str, answer: helpers::Answer) -> Option<Value> {
        if answer.status.is_success() {
            return Some(answer.body);
        }
        let surprise = format!("{method} {path}: {} {}", answer.status, answer.body);
        self.seen.lock().unwrap().surprises.push(surprise);
        None
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Value,
        if_match: Option<&str>,
    ) -> Option<Value> {
        let answer = self.answer(method.clone(), path, token, Some(body), if_match).await;
        self.expect_success(method, path, answer)
    }

    fn saw(&self, c: &Value) {
        let (id, version) = (c["id"].as_str().unwrap().to_string(), c["version"].as_i64().unwrap());
        let status = c["status"].as_str().unwrap().to_string();
        let mut seen = self.seen.lock().unwrap();
        let entry = seen.complaints.entry(id).or_insert((version, status.clone()));
        if version >= entry.0 {
            *entry = (version, status);
        }
    }
}

fn token(sub: &str, roles: &[&str]) -> String {
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    resolution_center::http::auth::mint(SECRET.as_bytes(), sub, &roles, chrono::Duration::hours(1)).unwrap()
}

async fn get(client: &reqwest::Client, base: &str, path: &str, token: &str) -> Value {
    let res = client.get(format!("{base}{path}")).bearer_auth(token).send().await.unwrap();
    helpers::answer(res).await.ok().clone()
}

fn count(feed: &[Value], complaint: &str, kind: &str) -> usize {
    feed.iter().filter(|e| e["data"]["complaint_id"] == complaint && e["type"] == kind).count()
}

/// The whole event feed once `ready` holds of it (or after 20 seconds).
async fn feed_when(client: &reqwest::Client, base: &str, token: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let start = Instant::now();
    loop {
        let mut feed = Vec::new();
        let mut after = String::new();
        loop {
            let page = get(client, base, &format!("/v1/events?limit=100{after}"), token).await;
            let data = page["data"].as_array().unwrap();
            if data.is_empty() {
                break;
            }
            feed.extend(data.iter().cloned());
            after = format!("&after={}", page["next_cursor"].as_str().unwrap());
        }
        if ready(&feed) || start.elapsed() > Duration::from_secs(20) {
            return feed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

crate::on_both_backends!(ten_sigkills_under_load_lose_nothing,);
