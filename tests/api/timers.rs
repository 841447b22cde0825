//! Deadlines that fire on their own: the default outcomes of DESIGN §5,
//! exactly once across instances and restarts.

use std::time::Duration;

use resolution_center::domain::Policy;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_with, Backend, Options, TestApp};

/// Every window one second long, so a test sees each pass.
fn short_windows() -> Policy {
    let second = chrono::Duration::seconds(1);
    Policy {
        seller_response: second,
        buyer_response: second,
        return_shipment: second,
        return_receipt: second,
        replacement_shipment: second,
        replacement_receipt: second,
        ..Policy::default()
    }
}

fn path(c: &Value, tail: &str) -> String {
    format!("/v1/complaints/{}{tail}", c["id"].as_str().unwrap())
}

async fn open_on(app: &TestApp, order: &str, solution: Value) -> Value {
    app.order(order, 150_000).await;
    let body = json!({"order_id": order, "reason": "other", "description": "cracked", "requested_solution": solution});
    app.post("/v1/complaints", "buyer-1", body).await.ok().clone()
}

/// Seller silence escalates; buyer silence accepts the seller's proposal; a
/// return not shipped in time escalates.
async fn passed_deadlines_take_their_default_outcome(backend: Backend) {
    let options = Options { policy: short_windows(), timers: Some(Duration::from_millis(100)), ..Options::default() };
    let app = spawn_app_with(backend, options).await;

    let silent_seller = open_on(&app, "ord-1", json!({"kind": "full_refund"})).await;
    let countered = open_on(&app, "ord-2", json!({"kind": "full_refund"})).await;
    let offer = json!({"kind": "partial_refund", "refund_amount": {"amount": 40_000, "currency": "IDR"}});
    app.post(&path(&countered, "/proposals"), "seller-1", offer).await.ok();
    let returning = open_on(&app, "ord-3", json!({"kind": "return_and_refund"})).await;
    let pid = returning["pending_proposal"]["id"].as_str().unwrap();
    let agreed = app.post(&path(&returning, &format!("/proposals/{pid}/accept")), "seller-1", json!({})).await;
    assert_eq!(agreed.ok()["status"], "awaiting_fulfilment");

    let id = |c: &Value| c["id"].as_str().unwrap().to_string();
    let escalated = app.complaint_when(&id(&silent_seller), "buyer-1", |c| c["status"] != "awaiting_seller").await;
    assert_eq!(escalated["status"], "under_review");
    assert_eq!(escalated["deadline"]["on_expiry"], "none", "the arbitration target runs now");
    let passed = app.timeline_entries(&id(&silent_seller), "deadline_passed").await;
    assert_eq!(passed.len(), 1);
    assert_eq!(
        (passed[0]["actor_role"].as_str(), passed[0]["data"]["on_expiry"].as_str()),
        (Some("system"), Some("escalate"))
    );

    let settled = app.complaint_when(&id(&countered), "buyer-1", |c| c["status"] == "resolved").await;
    assert_eq!(settled["status"], "resolved", "{settled}");
    assert_eq!(settled["resolution"]["refund_to_buyer"], json!({"amount": 40_000, "currency": "IDR"}));
    let accepted = app.timeline_entries(&id(&countered), "proposal_accepted").await;
    assert_eq!(accepted.last().unwrap()["data"]["by_timer"], true);

    let late = app.complaint_when(&id(&returning), "buyer-1", |c| c["status"] != "awaiting_fulfilment").await;
    assert_eq!(late["status"], "under_review");
    let types = app.event_types_of(&id(&silent_seller), 3).await;
    assert_eq!(types, ["complaint.opened", "complaint.proposal_made", "complaint.escalated"]);
}

/// A deadline a later change replaced never fires: the seller answers in
/// time, so only the buyer's new window can pass.
async fn a_replaced_deadline_does_not_fire(backend: Backend) {
    let policy = Policy { seller_response: chrono::Duration::seconds(1), ..Policy::default() };
    let app =
        spawn_app_with(backend, Options { policy, timers: Some(Duration::from_millis(100)), ..Options::default() })
            .await;
    let c = open_on(&app, "ord-1", json!({"kind": "full_refund"})).await;
    let offer = json!({"kind": "partial_refund", "refund_amount": {"amount": 40_000, "currency": "IDR"}});
    app.post(&path(&c, "/proposals"), "seller-1", offer).await.ok();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let now = app.get(&path(&c, ""), "buyer-1").await;
    assert_eq!(now.ok()["status"], "awaiting_buyer");
    assert!(app.timeline_entries(c["id"].as_str().unwrap(), "deadline_passed").await.is_empty());
}

/// Scheduled by one instance, which stops before the deadline passes; the
/// next one to start fires it, once, and a further restart changes nothing.
async fn a_deadline_fires_once_after_a_restart(backend: Backend) {
    let app = spawn_app_with(backend, Options { policy: short_windows(), ..Options::default() }).await;
    let c = open_on(&app, "ord-1", json!({"kind": "full_refund"})).await;
    let id = c["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(app.get(&path(&c, ""), "buyer-1").await.ok()["status"], "awaiting_seller", "nothing runs the timer");

    let restarted = app.start_workers(app.another_instance(short_windows()).await, Duration::from_millis(100)).await;
    let escalated = app.complaint_when(&id, "buyer-1", |c| c["status"] == "under_review").await;
    assert_eq!(escalated["status"], "under_review");
    restarted.stop().await;
    let again = app.start_workers(app.another_instance(short_windows()).await, Duration::from_millis(100)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    again.stop().await;
    assert_eq!(app.timeline_entries(&id, "deadline_passed").await.len(), 1);
    assert_eq!(app.timeline_entries(&id, "escalated").await.len(), 1);
}

/// 200 complaints whose deadlines pass together, and two instances on one
/// PostgreSQL firing them at once: each fires exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_fire_each_of_200_deadlines_once() {
    let app = std::sync::Arc::new(
        spawn_app_with(Backend::Postgres, Options { policy: short_windows(), ..Options::default() }).await,
    );
    let mut ids = Vec::new();
    for batch in (0..200).collect::<Vec<_>>().chunks(20) {
        let opened = futures_util::future::join_all(batch.iter().map(|n| {
            let app = app.clone();
            async move { open_on(&app, &format!("ord-{n}"), json!({"kind": "full_refund"})).await }
        }))
        .await;
        ids.extend(opened.iter().map(|c| c["id"].as_str().unwrap().to_string()));
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let now = resolution_center::app::now();
    let (a, b) = (app.another_instance(short_windows()).await, app.another_instance(short_windows()).await);
    let (fired_a, fired_b) = tokio::join!(a.fire_due_deadlines(now), b.fire_due_deadlines(now));
    let (fired_a, fired_b) = (fired_a.unwrap(), fired_b.unwrap());
    assert_eq!(fired_a + fired_b, 200, "a fired {fired_a}, b fired {fired_b}");
    assert_eq!(a.fire_due_deadlines(resolution_center::app::now()).await.unwrap(), 0, "nothing is left to fire");

    for id in &ids {
        assert_eq!(app.timeline_entries(id, "deadline_passed").await.len(), 1, "{id}");
    }
    let escalations = app
        .events_when(|all| all.iter().filter(|e| e["type"] == "complaint.escalated").count() >= 200)
        .await
        .iter()
        .filter(|e| e["type"] == "complaint.escalated")
        .count();
    assert_eq!(escalations, 200);
}

crate::on_both_backends!(
    passed_deadlines_take_their_default_outcome,
    a_replaced_deadline_does_not_fire,
    a_deadline_fires_once_after_a_restart,
);
