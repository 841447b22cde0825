//! Seed 002: an order with several escrow holds (the milestones of a job),
//! each disputed and settled on its own and once; and a seller whose
//! delivered work the buyer does not release asking for arbitration.

use diesel::prelude::*;
use reqwest::Method;
use resolution_center::store::complaints::{ComplaintRow, SettlementRow};
use resolution_center::store::schema::{complaints, settlements};
use resolution_center::store::{dialect, failure};
use serde_json::{json, Value};

use crate::helpers::{actions, idr, path, spawn_app, Backend, TestApp};

/// A job of 3 000 000 IDR between buyer-1 and seller-1, paid.
async fn job(app: &TestApp, id: &str) {
    let body = json!({"buyer_id": "buyer-1", "seller_id": "seller-1", "amount": idr(3_000_000), "status": "paid"});
    app.call(Method::PUT, &format!("/v1/orders/{id}"), "market", Some(body), &[]).await.ok();
}

async fn put_hold(app: &TestApp, order: &str, hold: &str, body: Value) -> crate::helpers::Answer {
    app.call(Method::PUT, &format!("/v1/orders/{order}/holds/{hold}"), "market", Some(body), &[]).await
}

fn milestone(amount: i64, status: &str) -> Value {
    json!({"amount": idr(amount), "status": status, "delivered_at": chrono::Utc::now().to_rfc3339(), "description": "Design"})
}

fn complaint_on(order: &str, hold: Option<&str>, reason: &str, kind: &str) -> Value {
    let mut body =
        json!({"order_id": order, "reason": reason, "description": "d", "requested_solution": {"kind": kind}});
    if let Some(h) = hold {
        body["hold_id"] = json!(h);
    }
    body
}

fn resolved_events(events: &[Value]) -> Vec<&Value> {
    events.iter().filter(|e| e["type"] == "complaint.resolved").collect()
}

/// Two milestones of one job: one disputed and refunded, the other released,
/// each settled once, and neither reopened.
async fn two_milestones_are_settled_one_by_one(backend: Backend) {
    let app = spawn_app(backend).await;
    job(&app, "job-1").await;
    let first = put_hold(&app, "job-1", "m1", milestone(1_000_000, "delivered")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    assert_eq!(first.body["amount"], idr(1_000_000));
    assert_eq!(put_hold(&app, "job-1", "m2", milestone(2_000_000, "delivered")).await.status, 201);
    assert_eq!(put_hold(&app, "job-1", "m2", milestone(2_000_000, "delivered")).await.status, 200, "re-registered");

    // What the marketplace may not register.
    let too_much = put_hold(&app, "job-1", "m3", milestone(1, "paid")).await;
    assert_eq!(
        too_much.problem(422, "validation_failed")["errors"][0]["field"],
        "amount.amount",
        "over the job's amount"
    );
    let usd = json!({"amount": {"amount": 100, "currency": "USD"}, "status": "paid"});
    assert_eq!(
        put_hold(&app, "job-1", "m3", usd).await.problem(422, "validation_failed")["errors"][0]["field"],
        "amount.currency"
    );
    put_hold(&app, "job-x", "m1", milestone(1, "paid")).await.problem(404, "order_not_found");
    let buyer_put =
        app.call(Method::PUT, "/v1/orders/job-1/holds/m9", "buyer-1", Some(milestone(1, "paid")), &[]).await;
    buyer_put.problem(403, "forbidden");
    let shrink = json!({"buyer_id": "buyer-1", "seller_id": "seller-1", "amount": idr(2_999_999), "status": "paid"});
    let shrunk = app.call(Method::PUT, "/v1/orders/job-1", "market", Some(shrink), &[]).await;
    assert_eq!(shrunk.problem(422, "validation_failed")["errors"][0]["field"], "amount.amount", "below its holds");

    let order = app.get("/v1/orders/job-1", "buyer-1").await.ok().clone();
    let holds: Vec<&str> = order["holds"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(holds, ["m1", "m2"], "{order}");

    // A complaint names its hold.
    let unnamed = app.post("/v1/complaints", "buyer-1", complaint_on("job-1", None, "other", "full_refund")).await;
    assert_eq!(unnamed.problem(422, "validation_failed")["errors"][0]["field"], "hold_id");
    let unknown =
        app.post("/v1/complaints", "buyer-1", complaint_on("job-1", Some("m7"), "other", "full_refund")).await;
    assert_eq!(unknown.problem(422, "validation_failed")["errors"][0]["field"], "hold_id");
    let on_m1 = app.post("/v1/complaints", "buyer-1", complaint_on("job-1", Some("m1"), "other", "full_refund")).await;
    let c1 = on_m1.ok().clone();
    assert_eq!((c1["hold_id"].as_str(), c1["held_amount"].clone()), (Some("m1"), idr(1_000_000)), "{c1}");
    let again = app.post("/v1/complaints", "buyer-1", complaint_on("job-1", Some("m1"), "other", "full_refund")).await;
    again.problem(409, "complaint_exists");
    // The other milestone is disputed beside it.
    let c2 = app
        .post("/v1/complaints", "buyer-1", complaint_on("job-1", Some("m2"), "other", "full_refund"))
        .await
        .ok()
        .clone();
    let order = app.get("/v1/orders/job-1", "market").await.ok().clone();
    assert_eq!(order["holds"][0]["auto_release_frozen"], true);
    assert_eq!(order["holds"][0]["active_complaint_id"], c1["id"]);
    assert_eq!(order["holds"][1]["active_complaint_id"], c2["id"]);
    let frozen = put_hold(&app, "job-1", "m1", milestone(900_000, "delivered")).await;
    assert_eq!(frozen.problem(409, "order_in_dispute")["errors"][0]["field"], "amount.amount");

    // m1: the seller agrees to refund it; m2: the buyer drops the complaint.
    let pid = c1["pending_proposal"]["id"].as_str().unwrap();
    let refunded = app.post(&path(&c1, &format!("/proposals/{pid}/accept")), "seller-1", json!({})).await.ok().clone();
    assert_eq!(refunded["resolution"]["refund_to_buyer"], idr(1_000_000));
    let released = app.post(&path(&c2, "/withdraw"), "buyer-1", json!({})).await.ok().clone();
    assert_eq!(released["resolution"]["release_to_seller"], idr(2_000_000));

    // Each once: not disputed again, not re-priced, one settlement each.
    let reopened =
        app.post("/v1/complaints", "buyer-1", complaint_on("job-1", Some("m1"), "other", "full_refund")).await;
    reopened.problem(409, "hold_settled");
    put_hold(&app, "job-1", "m2", milestone(1_500_000, "delivered")).await.problem(409, "hold_settled");
    let order = app.get("/v1/orders/job-1", "market").await.ok().clone();
    assert_eq!(order["holds"][0]["settled_by_complaint_id"], c1["id"]);
    assert_eq!(order["holds"][1]["settled_by_complaint_id"], c2["id"]);
    let events = app.events_when(|all| resolved_events(all).len() >= 2).await;
    let resolved = resolved_events(&events);
    assert_eq!(resolved.len(), 2, "one settlement per hold");
    let by_hold =
        |h: &str| resolved.iter().find(|e| e["data"]["hold_id"] == h).map(|e| e["data"]["settlement"].clone());
    assert_eq!(by_hold("m1").unwrap()["refund_to_buyer"], idr(1_000_000));
    assert_eq!(by_hold("m2").unwrap()["release_to_seller"], idr(2_000_000));

    // And as a database fact: a second settlement of m1 is refused by the
    // schema, even for a complaint the service never let open.
    let (c1_id, c2_id) = (c1["id"].as_str().unwrap().to_string(), c2["id"].as_str().unwrap().to_string());
    let url = app.db_url.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = dialect::connect(&url).unwrap();
        let row: ComplaintRow =
            complaints::table.find(&c1_id).select(ComplaintRow::as_select()).first(&mut conn).unwrap();
        let twin = ComplaintRow { id: "cmp_twin".into(), ..row };
        diesel::insert_into(complaints::table).values(&twin).execute(&mut conn).unwrap();
        let paid: SettlementRow =
            settlements::table.find(&c1_id).select(SettlementRow::as_select()).first(&mut conn).unwrap();
        let twice = SettlementRow { complaint_id: "cmp_twin".into(), event_id: "evt_twin".into(), ..paid.clone() };
        let refused = diesel::insert_into(settlements::table).values(&twice).execute(&mut conn).unwrap_err();
        assert_eq!(
            failure::Failure::of(&refused),
            failure::Failure::Duplicate(failure::Unique::SettlementPerHold),
            "{refused}"
        );
        // Nor can a settlement claim another hold than its complaint's.
        let moved =
            diesel::update(settlements::table.find(&c2_id)).set(settlements::hold_id.eq("m1")).execute(&mut conn);
        assert!(moved.is_err(), "a settlement's hold is its complaint's");
    })
    .await
    .unwrap();
}

/// An order registered with one amount keeps working as one hold, and one
/// whose whole amount is disputed cannot be split into holds.
async fn a_single_amount_order_is_one_hold(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 100_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    assert_eq!(c["hold_id"], Value::Null);
    assert_eq!(c["opened_by"], "buyer");
    assert_eq!(app.get("/v1/orders/ord-1", "buyer-1").await.ok()["holds"], json!([]));
    let split = put_hold(&app, "ord-1", "m1", milestone(50_000, "delivered")).await;
    split.problem(409, "order_disputed_whole");
    let on_a_hold =
        app.post("/v1/complaints", "buyer-1", complaint_on("ord-1", Some("m1"), "other", "full_refund")).await;
    assert_eq!(on_a_hold.problem(422, "validation_failed")["errors"][0]["field"], "hold_id");
}

/// Seed 002: the seller delivered, the buyer does not release the hold; the
/// seller asks for arbitration, the buyer answers, staff decide for the seller.
async fn a_seller_asks_for_arbitration_and_is_paid(backend: Backend) {
    let app = spawn_app(backend).await;
    job(&app, "job-2").await;
    put_hold(&app, "job-2", "m1", milestone(1_000_000, "delivered")).await.ok();
    put_hold(&app, "job-2", "m2", milestone(2_000_000, "paid")).await.ok();

    // What a seller may and may not open.
    let as_seller = |hold: &str, reason: &str, kind: &str| {
        app.post("/v1/complaints", "seller-1", complaint_on("job-2", Some(hold), reason, kind))
    };
    assert_eq!(
        as_seller("m1", "damaged", "full_refund").await.problem(422, "validation_failed")["errors"][0]["field"],
        "reason"
    );
    let asks_refund = as_seller("m1", "not_released", "full_refund").await;
    assert_eq!(asks_refund.problem(422, "validation_failed")["errors"][0]["field"], "requested_solution.kind");
    as_seller("m2", "not_released", "release").await.problem(409, "invalid_state");
    let by_buyer =
        app.post("/v1/complaints", "buyer-1", complaint_on("job-2", Some("m1"), "not_released", "release")).await;
    assert_eq!(by_buyer.problem(422, "validation_failed")["errors"][0]["field"], "reason");
    let stranger =
        app.post("/v1/complaints", "seller-9", complaint_on("job-2", Some("m1"), "not_released", "release")).await;
    stranger.problem(404, "order_not_found");

    let c = as_seller("m1", "not_released", "release").await.ok().clone();
    assert_eq!(c["status"], "under_review", "straight to arbitration: {c}");
    assert_eq!(c["opened_by"], "seller");
    assert_eq!(c["pending_proposal"]["kind"], "release");
    assert_eq!(c["pending_proposal"]["required"], json!(["buyer"]), "the buyer answers the seller's request");
    let queue = app.get("/v1/arbitration/queue", "staff-1").await.ok().clone();
    assert!(queue["data"].as_array().unwrap().iter().any(|q| q["complaint"]["id"] == c["id"]), "{queue}");

    // The buyer answers: a message and a counter-offer, which the seller turns down.
    let buyer_view = app.get(&path(&c, ""), "buyer-1").await.ok().clone();
    assert!(actions(&buyer_view).contains(&"accept_proposal"), "{buyer_view}");
    let msg = json!({"body": "The logo is not what we agreed."});
    app.post(&path(&c, "/messages"), "buyer-1", msg).await.ok();
    let counter = json!({"kind": "partial_refund", "refund_amount": idr(500_000)});
    let countered = app.post(&path(&c, "/proposals"), "buyer-1", counter).await.ok().clone();
    assert_eq!(countered["status"], "under_review");
    let pid = countered["pending_proposal"]["id"].as_str().unwrap();
    app.post(&path(&c, &format!("/proposals/{pid}/reject")), "seller-1", json!({"note": "It is as agreed."}))
        .await
        .ok();

    app.post(&path(&c, "/assign"), "staff-1", json!({"assignee_id": "staff-1"})).await.ok();
    let decision = json!({"outcome": "release", "seller_at_fault": false, "reason_code": "delivered_as_described", "rationale": "The delivered logo matches the brief."});
    let decided = app.post(&path(&c, "/decision"), "staff-1", decision).await.ok().clone();
    assert_eq!(decided["resolution"]["by"], "decision");
    assert_eq!(decided["resolution"]["release_to_seller"], idr(1_000_000));
    assert_eq!(decided["resolution"]["refund_to_buyer"], idr(0));
    let events = app.events_when(|all| !resolved_events(all).is_empty()).await;
    let opened = events.iter().find(|e| e["type"] == "complaint.opened").unwrap();
    assert_eq!(
        (opened["data"]["opened_by"].as_str(), opened["data"]["hold_id"].as_str()),
        (Some("seller"), Some("m1"))
    );
}

crate::on_both_backends!(
    two_milestones_are_settled_one_by_one,
    a_single_amount_order_is_one_hold,
    a_seller_asks_for_arbitration_and_is_paid
);
