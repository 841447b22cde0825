//! Races on PostgreSQL, where instances really run side by side: one
//! settlement per hold, one command at a time, a feed that misses nothing,
//! connections the server closed.

use serde_json::{json, Value};

use crate::helpers::{self, idr, path, spawn_app, Backend};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_openings_settle_a_hold_once_on_postgres() {
    crate::integrity::racing_openings_settle_a_hold_once_on_postgres().await
}

/// 32 parallel accept / counter / decide calls on one complaint end in exactly
/// one settlement and one `complaint.resolved` event, and never a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_commands_settle_once_on_postgres() {
    let app = std::sync::Arc::new(spawn_app(Backend::Postgres).await);
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let countered = app
        .post(&path(&c, "/proposals"), "seller-1", json!({"kind": "partial_refund", "refund_amount": idr(70_000)}))
        .await;
    let pid = countered.ok()["pending_proposal"]["id"].as_str().unwrap().to_string();
    let mut tasks = Vec::new();
    for i in 0..32 {
        let (app, id, pid) = (app.clone(), c["id"].as_str().unwrap().to_string(), pid.clone());
        tasks.push(tokio::spawn(async move {
            let (who, tail, body) = match i % 4 {
                0 => ("buyer-1", format!("/proposals/{pid}/accept"), json!({})),
                1 => ("seller-1", "/proposals".to_string(), json!({"kind": "partial_refund", "refund_amount": idr(80_000 + i)})),
                2 => ("staff-1", "/decision".to_string(), json!({"outcome": "split", "refund_amount": idr(75_000), "seller_at_fault": i % 8 == 2, "reason_code": "other", "rationale": "r"})),
                _ => ("buyer-1", "/proposals".to_string(), json!({"kind": "full_refund"})),
            };
            app.post(&format!("/v1/complaints/{id}{tail}"), who, body).await
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        let a = t.await.unwrap();
        assert!(a.status.as_u16() < 500, "{} {}", a.status, a.body);
        statuses.push(a.status.as_u16());
    }
    assert!(statuses.contains(&200));
    let final_state = app.get(&path(&c, ""), "staff-1").await;
    assert_eq!(final_state.ok()["status"], "resolved", "a decision always lands");
    let id = c["id"].as_str().unwrap();
    let is_resolution = |e: &Value| e["type"] == "complaint.resolved" && e["data"]["complaint_id"] == id;
    let resolved: Vec<Value> =
        app.events_when(|all| all.iter().any(is_resolution)).await.into_iter().filter(is_resolution).collect();
    assert_eq!(resolved.len(), 1);
    let settlement = &resolved[0]["data"]["settlement"];
    assert_eq!(
        settlement["refund_to_buyer"]["amount"].as_i64().unwrap()
            + settlement["release_to_seller"]["amount"].as_i64().unwrap(),
        150_000
    );
    assert_eq!(settlement["refund_to_buyer"], final_state.body["resolution"]["refund_to_buyer"]);
    let violations = app.get("/v1/sellers/seller-1/standing", "staff-1").await.ok()["violations"].as_i64().unwrap();
    assert!(violations <= 1, "one decision at most, so one violation at most");
}

/// A consumer polling the feed while 16 clients write sees every event exactly
/// once, each complaint's events in the order they happened.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_feed_misses_nothing_under_concurrent_writes_on_postgres() {
    let app = std::sync::Arc::new(spawn_app(Backend::Postgres).await);
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let app = app.clone();
            tokio::spawn(async move {
                for i in 0..5 {
                    let order = format!("ord-{w}-{i}");
                    app.order_between(&order, &format!("buyer-{w}"), "seller-1", 10_000).await;
                    let body = json!({"order_id": order, "reason": "other", "description": "d", "requested_solution": {"kind": "full_refund"}});
                    let c = app.post("/v1/complaints", &format!("buyer-{w}"), body).await;
                    let pid = c.ok()["pending_proposal"]["id"].as_str().unwrap().to_string();
                    let id = c.body["id"].as_str().unwrap().to_string();
                    app.post(&format!("/v1/complaints/{id}/proposals/{pid}/accept"), "seller-1", json!({})).await.ok();
                }
            })
        })
        .collect();
    let reader = {
        let app = app.clone();
        tokio::spawn(async move {
            let (mut seen, mut cursor) = (Vec::<Value>::new(), None::<String>);
            for _ in 0..2000 {
                let path = match &cursor {
                    Some(c) => format!("/v1/events?limit=7&after={c}"),
                    None => "/v1/events?limit=7".into(),
                };
                let page = app.get(&path, "market").await.ok().clone();
                if let Some(c) = page["next_cursor"].as_str() {
                    cursor = Some(c.to_string());
                }
                seen.extend(page["data"].as_array().unwrap().iter().cloned());
                if seen.len() >= 16 * 5 * 4 {
                    break;
                }
            }
            seen
        })
    };
    for w in writers {
        w.await.unwrap();
    }
    let seen = reader.await.unwrap();
    let mut ids: Vec<&str> = seen.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 16 * 5 * 4, "opened, proposal_made, agreed, resolved for each of 80 complaints");
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 16 * 5 * 4, "each event once");
    let mut per_complaint: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for e in &seen {
        per_complaint.entry(e["data"]["complaint_id"].as_str().unwrap()).or_default().push(e["type"].as_str().unwrap());
    }
    for types in per_complaint.values() {
        assert_eq!(types, &["complaint.opened", "complaint.proposal_made", "complaint.agreed", "complaint.resolved"]);
    }
}

/// PostgreSQL ends every connection of the service (a restart, a failover,
/// an operator's `pg_terminate_backend`). A connection the server closed is
/// never used twice: while the pool is hot, each fails at most one request,
/// with 503 `database_unavailable`, and is replaced; a connection idle for
/// a while is checked before use, so after a pause no request fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_server_closed_are_replaced_on_postgres() {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let app = spawn_app(Backend::Postgres).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let complaint = path(&c, "");
    let terminate_all = || {
        let mut admin = PgConnection::establish(&app.db_url).unwrap();
        let sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                   WHERE datname = current_database() AND pid <> pg_backend_pid()";
        diesel::sql_query(sql).execute(&mut admin).unwrap()
    };
    // Eight reads at once: as many as the pool has connections.
    let eight_reads = || async {
        let reads: Vec<_> = (0..8).map(|_| app.get(&complaint, "buyer-1")).collect();
        futures_util::future::join_all(reads).await
    };

    eight_reads().await.iter().for_each(|a| assert_eq!(a.status, 200, "{}", a.body));
    assert!(terminate_all() >= 1, "the service had connections to end");
    let (mut failed, mut clean_rounds) = (0, 0);
    for _ in 0..10 {
        let answers = eight_reads().await;
        let failures: Vec<_> = answers.iter().filter(|a| a.status != 200).collect();
        for a in &failures {
            a.problem(503, "database_unavailable");
        }
        failed += failures.len();
        clean_rounds = if failures.is_empty() { clean_rounds + 1 } else { 0 };
        if clean_rounds == 2 {
            break;
        }
    }
    assert_eq!(clean_rounds, 2, "the service kept failing after its connections were ended");
    assert!(failed <= 8, "{failed} requests failed: more than the pool's 8 connections");

    assert!(terminate_all() >= 1);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    eight_reads().await.iter().for_each(|a| assert_eq!(a.status, 200, "{}", a.body));
    let answer = app.post(&path(&c, "/withdraw"), "buyer-1", json!({})).await;
    assert_eq!(answer.ok()["status"], "resolved", "writes go through on the new connections");
}

/// A retry that finds its key unanswered past the lease releases the key
/// only while it is still unanswered. When the first attempt's transaction
/// is marking the key at that moment, the release waits for it and then
/// leaves the marked key alone, so the retry replays the opening instead of
/// running it a second time.
#[test]
fn a_key_being_marked_is_not_released_on_postgres() {
    use diesel::connection::SimpleConnection;
    use diesel::RunQueryDsl;
    use resolution_center::store::{dialect, idempotency, Db};
    let url = helpers::new_pg_database();
    Db::connect(&url, 1).unwrap().migrate().unwrap();
    let now = chrono::Utc::now().naive_utc();
    let mut first = dialect::connect(&url).unwrap();
    assert!(idempotency::claim(&mut first, "buyer-1", "open-1", "fp", now).unwrap());
    first.batch_execute("BEGIN").unwrap();
    idempotency::mark(&mut first, "buyer-1", "open-1", "cmp_1").unwrap();

    let retry = {
        let url = url.clone();
        std::thread::spawn(move || {
            let mut second = dialect::connect(&url).unwrap();
            idempotency::release_unanswered(&mut second, "buyer-1", "open-1").unwrap()
        })
    };
    // Commit only once the retry's DELETE waits on the marking transaction.
    let mut watch = dialect::connect(&url).unwrap();
    let waiting = "(SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
                   AND wait_event_type = 'Lock')";
    let start = std::time::Instant::now();
    while diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(waiting)).get_result::<i64>(&mut watch).unwrap()
        == 0
    {
        assert!(start.elapsed() < std::time::Duration::from_secs(10), "the retry never waited on the lock");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    first.batch_execute("COMMIT").unwrap();

    assert!(!retry.join().unwrap(), "the retry released a key its first attempt had marked");
    let key = idempotency::find(&mut watch, "buyer-1", "open-1").unwrap().expect("the key is kept");
    assert_eq!(key.complaint_id.as_deref(), Some("cmp_1"));
}
