//! A complaint from opening to settlement: agreement, counter-proposals,
//! escalation and decision, withdrawal, return and replacement, mediation.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{accept, actions, idr, path, spawn_app, Backend};

async fn agreement_on_the_first_proposal(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    assert_eq!(c["status"], "awaiting_seller");
    assert_eq!(c["deadline"]["on_expiry"], "escalate");
    assert_eq!(c["pending_proposal"]["refund_amount"], idr(150_000));
    assert_eq!(
        actions(&c),
        ["post_message", "upload_evidence", "counter", "withdraw"],
        "the buyer waits for the seller"
    );

    let order = app.get("/v1/orders/ord-1", "market").await;
    assert_eq!(order.ok()["active_complaint_id"], c["id"]);
    assert_eq!(order.body["auto_release_frozen"], true);

    let seen = app.get(&path(&c, ""), "seller-1").await;
    for a in ["accept_proposal", "reject_proposal", "counter", "escalate"] {
        assert!(actions(seen.ok()).contains(&a), "the seller may {a}");
    }
    let done = accept(&app, &c, "seller-1").await;
    let done = done.ok();
    assert_eq!(done["status"], "resolved");
    assert_eq!(done["resolution"]["by"], "agreement");
    assert_eq!(done["resolution"]["refund_to_buyer"], idr(150_000));
    assert_eq!(done["resolution"]["release_to_seller"], idr(0));
    assert_eq!(done["allowed_actions"], json!([]));

    let id = c["id"].as_str().unwrap();
    assert_eq!(
        app.event_types_of(id, 4).await,
        ["complaint.opened", "complaint.proposal_made", "complaint.agreed", "complaint.resolved"]
    );
    let resolved = app.events_when(|_| true).await.into_iter().find(|e| e["type"] == "complaint.resolved").unwrap();
    assert_eq!(resolved["data"]["settlement"]["refund_to_buyer"], idr(150_000));
    assert_eq!(resolved["data"]["settlement"]["held_amount"], idr(150_000));

    let after = app.get("/v1/orders/ord-1", "buyer-1").await;
    assert_eq!(after.ok()["active_complaint_id"], Value::Null);
    assert_eq!(after.body["contacts"], Value::Null, "parties do not see each other's mail address");
    assert_eq!(order.body["contacts"]["seller"]["email"], "seller@example.com");
    app.post(&path(&c, "/messages"), "buyer-1", json!({"body": "thanks"})).await.problem(409, "complaint_resolved");
    let timeline = app.get(&path(&c, "/timeline"), "buyer-1").await;
    let kinds: Vec<&str> =
        timeline.ok()["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["opened", "proposal_made", "proposal_accepted", "consensus", "resolved"]);
}

async fn a_counter_proposal_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let c = app
        .post(
            "/v1/complaints",
            "buyer-1",
            json!({"order_id": "ord-1", "reason": "other", "description": "One part is missing.",
            "disputed_amount": idr(100_000), "requested_solution": {"kind": "full_refund"}}),
        )
        .await;
    let c = c.ok().clone();
    assert_eq!(c["disputed_amount"], idr(100_000));
    let first = c["pending_proposal"]["id"].as_str().unwrap().to_string();

    let countered = app
        .post(
            &path(&c, "/proposals"),
            "seller-1",
            json!({"kind": "partial_refund", "refund_amount": idr(60_000), "note": "half"}),
        )
        .await;
    let countered = countered.ok().clone();
    assert_eq!(countered["status"], "awaiting_buyer");
    assert_eq!(countered["deadline"]["on_expiry"], "accept_seller_proposal");
    assert_eq!(countered["pending_proposal"]["required"], json!(["buyer"]));
    app.post(&path(&c, &format!("/proposals/{first}/accept")), "seller-1", json!({}))
        .await
        .problem(409, "proposal_not_pending");

    let done = accept(&app, &countered, "buyer-1").await;
    assert_eq!(done.ok()["status"], "resolved");
    assert_eq!(done.body["resolution"]["refund_to_buyer"], idr(60_000));
    assert_eq!(done.body["resolution"]["release_to_seller"], idr(90_000));
    let timeline = app.get(&path(&c, "/timeline"), "seller-1").await;
    assert!(timeline.ok()["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["type"] == "proposal_superseded" && e["data"]["proposal_id"] == first));
}

async fn escalation_then_a_split_decision_sanctions_the_seller(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.post(&path(&c, "/escalate"), "buyer-1", json!({"reason": "no answer"})).await.problem(409, "invalid_state");
    app.post(&path(&c, "/proposals"), "seller-1", json!({"kind": "partial_refund", "refund_amount": idr(30_000)}))
        .await
        .ok();
    let escalated = app.post(&path(&c, "/escalate"), "buyer-1", json!({"reason": "30k is not enough"})).await;
    assert_eq!(escalated.ok()["status"], "under_review");
    assert_eq!(escalated.body["pending_proposal"], Value::Null);
    assert_eq!(escalated.body["deadline"]["on_expiry"], "none");

    app.post(
        &path(&c, "/decision"),
        "buyer-1",
        json!({"outcome": "refund", "seller_at_fault": true, "reason_code": "other", "rationale": "y"}),
    )
    .await
    .problem(403, "forbidden");
    let queue = app.get("/v1/arbitration/queue", "staff-1").await;
    let entry = &queue.ok()["data"][0];
    assert_eq!(entry["complaint"]["id"], c["id"]);
    assert_eq!(entry["last_offers"]["buyer"]["kind"], "full_refund");
    assert_eq!(entry["last_offers"]["seller"]["refund_amount"], idr(30_000));
    app.get("/v1/arbitration/queue", "buyer-1").await.problem(403, "forbidden");

    let assigned = app.post(&path(&c, "/assign"), "staff-1", json!({})).await;
    assert_eq!(assigned.ok()["assignee_id"], "staff-1");
    let decided = app
        .post(
            &path(&c, "/decision"),
            "staff-1",
            json!({"outcome": "split", "refund_amount": idr(90_000), "seller_at_fault": true,
            "reason_code": "item_damaged", "evidence_ids": [], "rationale": "The photos show poor packing."}),
        )
        .await;
    assert_eq!(decided.ok()["status"], "resolved");
    assert_eq!(decided.body["resolution"]["by"], "decision");
    assert_eq!(decided.body["resolution"]["refund_to_buyer"], idr(90_000));
    assert_eq!(decided.body["resolution"]["release_to_seller"], idr(60_000));
    app.post(
        &path(&c, "/decision"),
        "staff-1",
        json!({"outcome": "release", "seller_at_fault": false, "reason_code": "other", "rationale": "y"}),
    )
    .await
    .problem(409, "complaint_resolved");

    let standing = app.get("/v1/sellers/seller-1/standing", "seller-1").await;
    assert_eq!(standing.ok()["violations"], 1);
    assert_eq!(standing.body["permanently_closed"], false);
    let until = chrono::DateTime::parse_from_rfc3339(standing.body["suspended_until"].as_str().unwrap()).unwrap();
    let days = (until.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_hours();
    assert!((71..=72).contains(&days), "suspended for 3 days, not {days} hours");
    app.get("/v1/sellers/seller-1/standing", "buyer-1").await.problem(403, "forbidden");
    assert_eq!(app.get("/v1/sellers/seller-1/standing", "market").await.ok()["violations"], 1);

    let types = app.event_types_of(c["id"].as_str().unwrap(), 8).await;
    assert_eq!(
        &types[types.len() - 5..],
        ["complaint.escalated", "complaint.assigned", "complaint.decided", "complaint.resolved", "seller.sanctioned"]
    );
    let timeline = app.get(&path(&c, "/timeline"), "buyer-1").await;
    let decided = timeline.ok()["data"].as_array().unwrap().iter().find(|e| e["type"] == "decided").unwrap().clone();
    assert_eq!(
        decided["data"]["decision"]["rationale"], "The photos show poor packing.",
        "both parties read the rationale"
    );
}

async fn the_buyer_withdraws(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.post(&path(&c, "/withdraw"), "seller-1", json!({})).await.problem(403, "forbidden");
    let done = app.call(Method::POST, &path(&c, "/withdraw"), "buyer-1", None, &[]).await;
    assert_eq!(done.ok()["status"], "resolved");
    assert_eq!(done.body["resolution"]["by"], "withdrawal");
    assert_eq!(done.body["resolution"]["refund_to_buyer"], idr(0));
    assert_eq!(done.body["resolution"]["release_to_seller"], idr(150_000));
}

async fn return_and_refund_runs_to_the_refund(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "return_and_refund"})).await;
    let agreed = accept(&app, &c, "seller-1").await;
    assert_eq!(agreed.ok()["status"], "awaiting_fulfilment");
    assert_eq!(agreed.body["fulfilment"]["kind"], "return");
    assert_eq!(agreed.body["fulfilment"]["step"], "awaiting_shipment");
    assert_eq!(
        app.get(&path(&c, ""), "buyer-1").await.body["allowed_actions"],
        json!(["post_message", "upload_evidence", "mark_return_shipped", "escalate", "withdraw"])
    );

    app.post(&path(&c, "/fulfilment"), "seller-1", json!({"step": "return_received"}))
        .await
        .problem(409, "invalid_state");
    let no_tracking = app.post(&path(&c, "/fulfilment"), "buyer-1", json!({"step": "return_shipped"})).await;
    no_tracking.problem(422, "validation_failed");
    assert_eq!(no_tracking.fields(), ["tracking_number"]);
    let shipped = app
        .post(
            &path(&c, "/fulfilment"),
            "buyer-1",
            json!({"step": "return_shipped", "tracking_number": "JNE123", "carrier": "JNE"}),
        )
        .await;
    assert_eq!(shipped.ok()["fulfilment"]["step"], "in_transit");
    assert_eq!(shipped.body["deadline"]["on_expiry"], "count_as_received");
    let done = app.post(&path(&c, "/fulfilment"), "seller-1", json!({"step": "return_received"})).await;
    assert_eq!(done.ok()["status"], "resolved");
    assert_eq!(done.body["resolution"]["refund_to_buyer"], idr(150_000));
}

async fn replacement_runs_to_the_release(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "replacement", "note": "send the missing cable"})).await;
    let agreed = accept(&app, &c, "seller-1").await;
    assert_eq!(agreed.ok()["fulfilment"]["kind"], "replacement");
    app.post(&path(&c, "/fulfilment"), "buyer-1", json!({"step": "replacement_shipped", "tracking_number": "X"}))
        .await
        .problem(403, "forbidden");
    app.post(
        &path(&c, "/fulfilment"),
        "seller-1",
        json!({"step": "replacement_shipped", "tracking_number": "SICEPAT9"}),
    )
    .await
    .ok();
    let done = app.post(&path(&c, "/fulfilment"), "buyer-1", json!({"step": "replacement_received"})).await;
    assert_eq!(done.ok()["status"], "resolved");
    assert_eq!(done.body["resolution"]["refund_to_buyer"], idr(0));
    assert_eq!(done.body["resolution"]["release_to_seller"], idr(150_000));
}

async fn staff_mediation_needs_both_parties(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.post(&path(&c, "/proposals"), "staff-1", json!({"kind": "partial_refund", "refund_amount": idr(50_000)}))
        .await
        .problem(409, "invalid_state");
    assert_eq!(
        app.post(&path(&c, "/escalate"), "seller-1", json!({"reason": "the buyer broke it"})).await.ok()["status"],
        "under_review"
    );
    let mediated = app
        .post(&path(&c, "/proposals"), "staff-1", json!({"kind": "partial_refund", "refund_amount": idr(50_000)}))
        .await;
    assert_eq!(mediated.ok()["pending_proposal"]["required"], json!(["buyer", "seller"]));
    assert_eq!(mediated.body["pending_proposal"]["accepted_by"], json!([]));
    let half = accept(&app, mediated.ok(), "buyer-1").await;
    assert_eq!(half.ok()["status"], "under_review");
    assert_eq!(half.body["pending_proposal"]["accepted_by"], json!(["buyer"]));
    let done = accept(&app, mediated.ok(), "seller-1").await;
    assert_eq!(done.ok()["status"], "resolved");
    assert_eq!(done.body["resolution"]["by"], "agreement");
    assert_eq!(done.body["resolution"]["refund_to_buyer"], idr(50_000));
}

crate::on_both_backends!(
    agreement_on_the_first_proposal,
    a_counter_proposal_accepted,
    escalation_then_a_split_decision_sanctions_the_seller,
    the_buyer_withdraws,
    return_and_refund_runs_to_the_refund,
    replacement_runs_to_the_release,
    staff_mediation_needs_both_parties,
);
