//! What careless and hostile callers try: paying one hold twice, moving an
//! order under a running complaint, acting on one's own case.

use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{spawn_app, Backend, TestApp};

fn idr(amount: i64) -> Value {
    json!({"amount": amount, "currency": "IDR"})
}

fn path(c: &Value, tail: &str) -> String {
    format!("/v1/complaints/{}{tail}", c["id"].as_str().unwrap())
}

fn opening(order_id: &str) -> Value {
    json!({"order_id": order_id, "reason": "damaged", "description": "Cracked.",
           "requested_solution": {"kind": "full_refund"}})
}

/// Every `complaint.resolved` of the feed about `order_id`.
async fn resolutions_of(app: &TestApp, order_id: &str, at_least: usize) -> Vec<Value> {
    let of = |all: &[Value]| -> Vec<Value> {
        all.iter().filter(|e| e["type"] == "complaint.resolved" && e["data"]["order_id"] == order_id).cloned().collect()
    };
    of(&app.events_when(|all| of(all).len() >= at_least).await)
}

async fn decide_refund(app: &TestApp, c: &Value) {
    app.post(&path(c, "/escalate"), "seller-1", json!({"reason": "the buyer broke it"})).await.ok();
    let decided = app
        .post(
            &path(c, "/decision"),
            "staff-1",
            json!({"outcome": "refund", "refund_amount": idr(100_000), "seller_at_fault": false,
                   "reason_code": "damaged_in_transit", "evidence_ids": [], "rationale": "Courier damage."}),
        )
        .await;
    assert_eq!(decided.ok()["status"], "resolved");
}

/// A hold is settled once: after a withdrawal, after a decision, and after
/// the marketplace re-registers the settled order as delivered, a new
/// complaint on it is refused, and the feed carries one settlement per order.
pub async fn a_settled_hold_cannot_be_disputed_again(backend: Backend) {
    let app = spawn_app(backend).await;
    for id in ["ord-w", "ord-d", "ord-r"] {
        app.order(id, 100_000).await;
    }

    let w = app.open("ord-w", json!({"kind": "full_refund"})).await;
    app.post(&path(&w, "/withdraw"), "buyer-1", json!({})).await.ok();
    app.post("/v1/complaints", "buyer-1", opening("ord-w")).await.problem(409, "hold_settled");

    let d = app.open("ord-d", json!({"kind": "full_refund"})).await;
    decide_refund(&app, &d).await;
    app.post("/v1/complaints", "buyer-1", opening("ord-d")).await.problem(409, "hold_settled");

    let r = app.open("ord-r", json!({"kind": "full_refund"})).await;
    app.post(&path(&r, "/withdraw"), "buyer-1", json!({})).await.ok();
    // The marketplace's own job re-registers the order as it was at delivery.
    let again = app.order("ord-r", 100_000).await;
    assert_eq!(again["settled_by_complaint_id"], r["id"], "{again}");
    assert_eq!(again["active_complaint_id"], Value::Null);
    app.post("/v1/complaints", "buyer-1", opening("ord-r")).await.problem(409, "hold_settled");
    // Its money and parties cannot be rewritten either.
    let more = json!({"buyer_id": "buyer-1", "seller_id": "seller-1", "amount": idr(200_000), "status": "delivered"});
    app.call(Method::PUT, "/v1/orders/ord-r", "market", Some(more), &[]).await.problem(409, "hold_settled");

    for order in ["ord-w", "ord-d", "ord-r"] {
        assert_eq!(resolutions_of(&app, order, 1).await.len(), 1, "one settlement of {order}");
    }
    let shown = app.get(&path(&w, ""), "buyer-1").await;
    assert_eq!(shown.ok()["resolution"]["settlement"]["state"], "pending");
}

/// While a complaint runs, the order's status, delivery and auto-release are
/// frozen like its money and parties; its contacts may still change.
pub async fn a_disputed_order_is_frozen(backend: Backend) {
    let app = spawn_app(backend).await;
    let order = app.order("ord-1", 100_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let put = |body: Value| app.call(Method::PUT, "/v1/orders/ord-1", "market", Some(body), &[]);
    let base = json!({
        "buyer_id": "buyer-1", "seller_id": "seller-1", "amount": idr(100_000), "status": "delivered",
        "delivered_at": order["delivered_at"], "auto_release_at": order["auto_release_at"],
    });
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (field, value) in [
        ("status", json!("cancelled")),
        ("status", json!("completed")),
        ("auto_release_at", json!("2030-01-01T00:00:00Z")),
        ("delivered_at", Value::Null),
    ] {
        let a = put(with(field, value)).await;
        a.problem(409, "order_in_dispute");
        assert_eq!(a.fields(), [field], "{}", a.body);
    }
    let contacts = json!({"buyer": {"email": "new@example.com", "locale": "en"}});
    assert_eq!(put(with("contacts", contacts)).await.ok()["active_complaint_id"], c["id"]);

    let done = app.post(&path(&c, "/withdraw"), "buyer-1", json!({})).await;
    assert_eq!(done.ok()["resolution"]["release_to_seller"], idr(100_000), "the complaint settles what was held");
    assert_eq!(put(with("status", json!("completed"))).await.ok()["status"], "completed");
}

/// Open and withdraw raced on one order: at most one settlement of the hold,
/// never a 5xx.
pub async fn racing_openings_settle_a_hold_once_on_postgres() {
    let app = std::sync::Arc::new(spawn_app(Backend::Postgres).await);
    app.order("ord-1", 100_000).await;
    let first = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let mut tasks = Vec::new();
    for i in 0..24 {
        let app = app.clone();
        let first = first.clone();
        tasks.push(tokio::spawn(async move {
            if i % 2 == 0 {
                app.post(&path(&first, "/withdraw"), "buyer-1", json!({})).await
            } else {
                let opened = app.post("/v1/complaints", "buyer-1", opening("ord-1")).await;
                if opened.status.as_u16() == 201 {
                    // Whoever opened a second complaint tries to settle it too.
                    let w = app.post(&path(&opened.body, "/withdraw"), "buyer-1", json!({})).await;
                    assert!(w.status.as_u16() < 500, "{} {}", w.status, w.body);
                }
                opened
            }
        }));
    }
    for t in tasks {
        let a = t.await.unwrap();
        assert!(a.status.as_u16() < 500, "{} {}", a.status, a.body);
        if a.status.as_u16() == 409 {
            let code = a.body["code"].as_str().unwrap();
            assert!(["hold_settled", "complaint_exists", "complaint_resolved"].contains(&code), "{}", a.body);
        }
    }
    assert_eq!(resolutions_of(&app, "ord-1", 1).await.len(), 1, "one settlement of the hold");
}
