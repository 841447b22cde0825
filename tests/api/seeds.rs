//! The seeds' rules (DESIGN §12) as a buyer, a seller or an agent of those
//! marketplaces meets them.

use resolution_center::domain::{Expiry, Policy, Reason};
use serde_json::{json, Value};

use crate::helpers::{idr, path, spawn_app, spawn_app_with, Backend, Options, TestApp};

async fn under_review(app: &TestApp, order: &str) -> Value {
    app.order(order, 15_000_000).await;
    let c = app.open(order, json!({"kind": "full_refund"})).await;
    app.post(&path(&c, "/escalate"), "seller-1", json!({"reason": "the buyer dropped it"})).await.ok().clone()
}

/// Seed 003: "if they agree, the complaint is done", also while staff review it.
async fn the_parties_agree_while_staff_review(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = under_review(&app, "ord-1").await;
    let target = c["deadline"].clone();

    let offer = json!({"kind": "partial_refund", "refund_amount": idr(6_000_000)});
    let offered = app.post(&path(&c, "/proposals"), "buyer-1", offer).await.ok().clone();
    assert_eq!(offered["status"], "under_review", "still with customer care");
    assert_eq!(offered["deadline"], target, "the arbitration target keeps running; no party timer");
    let pid = offered["pending_proposal"]["id"].as_str().unwrap().to_string();
    let staff_view = app.get(&path(&c, ""), "staff-1").await.ok().clone();
    assert_eq!(staff_view["last_offers"]["buyer"]["refund_amount"]["amount"], 6_000_000, "staff see both last offers");
    assert_eq!(staff_view["last_offers"]["seller"], Value::Null);
    assert!(app.get(&path(&c, ""), "buyer-1").await.ok().get("last_offers").is_none(), "a party's view has none");

    let agreed = app.post(&path(&c, &format!("/proposals/{pid}/accept")), "seller-1", json!({})).await.ok().clone();
    assert_eq!(agreed["status"], "resolved");
    assert_eq!(agreed["resolution"]["by"], "agreement");
    assert_eq!(agreed["resolution"]["refund_to_buyer"]["amount"], 6_000_000);
    assert_eq!(agreed["resolution"]["release_to_seller"]["amount"], 9_000_000);
}

/// Staff keep the final word: a decision voids the parties' pending proposal.
async fn a_decision_voids_a_pending_party_proposal(backend: Backend) {
    let app = spawn_app(backend).await;
    let c = under_review(&app, "ord-1").await;
    let offer = json!({"kind": "partial_refund", "refund_amount": idr(1_000_000)});
    let offered = app.post(&path(&c, "/proposals"), "seller-1", offer).await.ok().clone();
    let pid = offered["pending_proposal"]["id"].as_str().unwrap().to_string();
    let decision = json!({"outcome": "refund", "seller_at_fault": true, "reason_code": "item_damaged", "rationale": "Cracked on arrival."});
    assert_eq!(app.post(&path(&c, "/decision"), "staff-1", decision).await.ok()["status"], "resolved");
    app.post(&path(&c, &format!("/proposals/{pid}/accept")), "buyer-1", json!({}))
        .await
        .problem(409, "complaint_resolved");
    assert_eq!(app.timeline_entries(c["id"].as_str().unwrap(), "proposal_superseded").await.len(), 2);
}

/// Decisions and requests that make sense (issue 17 item 7).
async fn decisions_and_requests_must_make_sense(backend: Backend) {
    let app = spawn_app(backend).await;
    let codes = app.get("/v1/decision-reason-codes", "buyer-1").await.ok().clone();
    let listed: Vec<&str> = codes["data"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert!(listed.contains(&"item_damaged") && listed.contains(&"other"), "{listed:?}");

    let c = under_review(&app, "ord-1").await;
    let decision_path = path(&c, "/decision");
    let decide = |body: Value| app.post(&decision_path, "staff-1", body);
    let made_up = json!({"outcome": "refund", "seller_at_fault": false, "reason_code": "because", "rationale": "r"});
    assert_eq!(decide(made_up).await.problem(422, "validation_failed")["errors"][0]["field"], "reason_code");
    let release_at_fault =
        json!({"outcome": "release", "seller_at_fault": true, "reason_code": "other", "rationale": "r"});
    assert_eq!(
        decide(release_at_fault).await.problem(422, "validation_failed")["errors"][0]["field"],
        "seller_at_fault"
    );
    assert_eq!(app.get(&path(&c, ""), "staff-1").await.ok()["status"], "under_review", "nothing was decided");

    // A solution must fit its reason.
    app.order("ord-2", 100_000).await;
    let open = |reason: &str, kind: &str| {
        let body =
            json!({"order_id": "ord-2", "reason": reason, "description": "d", "requested_solution": {"kind": kind}});
        app.post("/v1/complaints", "buyer-1", body)
    };
    let refused = open("not_received", "return_and_refund").await;
    assert_eq!(refused.problem(422, "validation_failed")["errors"][0]["field"], "requested_solution.kind");
    open("shipping_cost", "replacement").await.problem(422, "validation_failed");
    let lost = open("not_received", "full_refund").await.ok().clone();
    let counter = json!({"kind": "return_and_refund", "refund_amount": idr(100_000)});
    let refused = app.post(&path(&lost, "/proposals"), "seller-1", counter).await;
    assert_eq!(refused.problem(422, "validation_failed")["errors"][0]["field"], "kind", "nothing to return");
}

/// Shopee and Tokopedia: a silent seller refunds the buyer, here for every
/// reason but `not_received`, which goes to customer care.
async fn a_silent_seller_accepts_the_buyers_request_where_the_marketplace_says_so(backend: Backend) {
    let policy = Policy {
        seller_response: chrono::Duration::seconds(1),
        seller_silence: Expiry::AcceptBuyerRequest,
        seller_silence_by_reason: vec![(Reason::NotReceived, Expiry::Escalate)],
        ..Policy::default()
    };
    let options = Options { policy, timers: Some(std::time::Duration::from_millis(100)), ..Options::default() };
    let app = spawn_app_with(backend, options).await;
    app.order("ord-1", 15_000_000).await;
    app.order("ord-2", 15_000_000).await;
    let refunded = app.open("ord-1", json!({"kind": "full_refund"})).await;
    assert_eq!(refunded["deadline"]["on_expiry"], "accept_buyer_request", "the buyer sees what silence means");
    let body = json!({"order_id": "ord-2", "reason": "not_received", "description": "never came", "requested_solution": {"kind": "full_refund"}});
    let escalating = app.post("/v1/complaints", "buyer-1", body).await.ok().clone();
    assert_eq!(escalating["deadline"]["on_expiry"], "escalate");

    let id = |c: &Value| c["id"].as_str().unwrap().to_string();
    let done = app.complaint_when(&id(&refunded), "buyer-1", |c| c["status"] == "resolved").await;
    assert_eq!(done["resolution"]["by"], "timer", "the seller's silence accepted the request");
    assert_eq!(done["resolution"]["refund_to_buyer"]["amount"], 15_000_000);
    let accepted = app.timeline_entries(&id(&refunded), "proposal_accepted").await;
    assert_eq!(
        (accepted[0]["data"]["by"].as_str(), accepted[0]["data"]["by_timer"].as_bool()),
        (Some("seller"), Some(true))
    );
    let reviewed = app.complaint_when(&id(&escalating), "buyer-1", |c| c["status"] != "awaiting_seller").await;
    assert_eq!(reviewed["status"], "under_review");
}

/// Seed 003: a damaged item needs a photo of it and of its packaging before
/// the seller is asked; the moment the last one arrives, the seller's window starts.
async fn a_damaged_item_waits_for_its_packaging_photo(backend: Backend) {
    let app = spawn_app_with(backend, Options { policy: Policy::default(), ..Options::default() }).await;
    app.order("ord-1", 15_000_000).await;
    let body = json!({"order_id": "ord-1", "reason": "damaged", "description": "cracked", "requested_solution": {"kind": "full_refund"}});
    let c = app.post("/v1/complaints", "buyer-1", body).await.ok().clone();
    assert_eq!(c["status"], "awaiting_evidence");
    assert_eq!(c["deadline"]["on_expiry"], "lapse");
    assert_eq!(
        c["evidence_checklist"],
        json!([{"kinds": ["photo"], "provided_by": null}, {"kinds": ["packaging"], "provided_by": null}])
    );
    assert!(crate::helpers::actions(&c).contains(&"provide_evidence"), "the buyer is led to the evidence");
    let seller_view = app.get(&path(&c, ""), "seller-1").await.ok().clone();
    assert!(
        !crate::helpers::actions(&seller_view).iter().any(|a| [
            "counter",
            "accept_proposal",
            "reject_proposal",
            "escalate"
        ]
        .contains(a)),
        "the seller is not asked yet: {}",
        seller_view["allowed_actions"]
    );

    let photo =
        crate::evidence::upload(&app, &c, "buyer-1", "photo", crate::helpers::png(), "image/png", "crack.png").await;
    let photo_id = photo.ok()["evidence"]["id"].as_str().unwrap().to_string();
    let waiting = app.get(&path(&c, ""), "buyer-1").await.ok().clone();
    assert_eq!(waiting["status"], "awaiting_evidence", "the packaging is still missing");
    assert_eq!(waiting["evidence_checklist"][0]["provided_by"], photo_id);
    let offer = json!({"kind": "partial_refund", "refund_amount": idr(1_000_000)});
    app.post(&path(&c, "/proposals"), "seller-1", offer.clone()).await.problem(409, "invalid_state");
    // The seller's own files do not count for the buyer's checklist.
    crate::evidence::upload(&app, &c, "seller-1", "packaging", crate::helpers::png(), "image/png", "box.png")
        .await
        .ok();
    assert_eq!(app.get(&path(&c, ""), "buyer-1").await.ok()["status"], "awaiting_evidence");

    crate::evidence::upload(&app, &c, "buyer-1", "packaging", crate::helpers::png(), "image/png", "box.png").await.ok();
    let asked = app.get(&path(&c, ""), "seller-1").await.ok().clone();
    assert_eq!(asked["status"], "awaiting_seller", "complete: the seller is asked now");
    assert_eq!(asked["deadline"]["on_expiry"], "escalate");
    assert_eq!(app.timeline_entries(c["id"].as_str().unwrap(), "evidence_completed").await.len(), 1);
    assert_eq!(app.post(&path(&c, "/proposals"), "seller-1", offer).await.ok()["status"], "awaiting_buyer");
}

/// A buyer who never completes the checklist lapses the complaint: the money
/// goes to the seller as if no complaint had been filed, once.
async fn an_incomplete_complaint_lapses_and_releases_the_money(backend: Backend) {
    let policy = Policy { evidence_window: chrono::Duration::seconds(1), ..Policy::default() };
    let options = Options { policy, timers: Some(std::time::Duration::from_millis(100)), ..Options::default() };
    let app = spawn_app_with(backend, options).await;
    app.order("ord-1", 15_000_000).await;
    let body = json!({"order_id": "ord-1", "reason": "wrong_item", "description": "a blue one", "requested_solution": {"kind": "full_refund"}});
    let c = app.post("/v1/complaints", "buyer-1", body).await.ok().clone();
    let lapsed = app.complaint_when(c["id"].as_str().unwrap(), "buyer-1", |c| c["status"] == "resolved").await;
    assert_eq!(lapsed["resolution"]["by"], "lapsed");
    assert_eq!(lapsed["resolution"]["refund_to_buyer"]["amount"], 0);
    assert_eq!(lapsed["resolution"]["release_to_seller"]["amount"], 15_000_000);
    let order = app.get("/v1/orders/ord-1", "market").await.ok().clone();
    assert_eq!(order["settled_by_complaint_id"], c["id"], "the hold is settled once");
    let again = json!({"order_id": "ord-1", "reason": "wrong_item", "description": "again", "requested_solution": {"kind": "full_refund"}});
    app.post("/v1/complaints", "buyer-1", again).await.problem(409, "hold_settled");
}

/// Seed 004: a top-up shortfall the seller agreed to send is proved by a
/// screenshot, not a tracking number; unproved within the window from the
/// complaint, the shortfall is refunded and the seller climbs the ladder.
async fn top_up_shortfalls_are_proved_by_screenshots_or_refunded_at_fault(backend: Backend) {
    let policy = Policy { top_up_proof: chrono::Duration::seconds(2), ..Policy::default() };
    let options = Options { policy, timers: Some(std::time::Duration::from_millis(100)), ..Options::default() };
    let app = spawn_app_with(backend, options).await;
    let shot = crate::helpers::png;
    // Opened, the buyer's screenshot attached, the seller agrees to send the shortfall.
    let agreed = |order: &'static str| {
        let app = &app;
        async move {
            app.order(order, 5_000_000).await;
            let body = json!({"order_id": order, "reason": "top_up_shortfall", "description": "got 50 of 100 diamonds",
                              "disputed_amount": idr(2_500_000), "requested_solution": {"kind": "replacement"}});
            let c = app.post("/v1/complaints", "buyer-1", body).await.ok().clone();
            assert_eq!(c["status"], "awaiting_evidence");
            crate::evidence::upload(app, &c, "buyer-1", "screenshot", shot(), "image/png", "top-up.png").await.ok();
            let pid =
                app.get(&path(&c, ""), "seller-1").await.ok()["pending_proposal"]["id"].as_str().unwrap().to_string();
            let c = app.post(&path(&c, &format!("/proposals/{pid}/accept")), "seller-1", json!({})).await.ok().clone();
            assert_eq!(c["status"], "awaiting_fulfilment");
            assert_eq!(c["deadline"]["on_expiry"], "refund_seller_at_fault");
            c
        }
    };

    let proved = agreed("ord-1").await;
    assert!(
        !crate::helpers::actions(&app.get(&path(&proved, ""), "seller-1").await.ok().clone())
            .contains(&"mark_replacement_shipped"),
        "no tracking number for a top-up"
    );
    let tracked = json!({"step": "replacement_shipped", "tracking_number": "JNE1"});
    app.post(&path(&proved, "/fulfilment"), "seller-1", tracked).await.problem(409, "invalid_state");
    crate::evidence::upload(&app, &proved, "seller-1", "screenshot", shot(), "image/png", "sent.png").await.ok();
    let sent = app.get(&path(&proved, ""), "buyer-1").await.ok().clone();
    assert_eq!(sent["fulfilment"]["step"], "in_transit", "the screenshot is the shipment");
    let received = app.post(&path(&proved, "/fulfilment"), "buyer-1", json!({"step": "replacement_received"})).await;
    assert_eq!(received.ok()["resolution"]["release_to_seller"]["amount"], 5_000_000, "proved: the money is released");

    for (order, days) in [("ord-2", 3), ("ord-3", 6)] {
        let unproved = agreed(order).await;
        let id = unproved["id"].as_str().unwrap();
        let done = app.complaint_when(id, "buyer-1", |c| c["status"] == "resolved").await;
        assert_eq!(done["resolution"]["refund_to_buyer"]["amount"], 2_500_000, "the shortfall is refunded");
        let decided = app.timeline_entries(id, "decided").await;
        assert_eq!(decided.len(), 1);
        assert_eq!(
            (decided[0]["actor_role"].as_str(), decided[0]["data"]["decision"]["seller_at_fault"].as_bool()),
            (Some("system"), Some(true))
        );
        let standing = app.get("/v1/sellers/seller-1/standing", "staff-1").await.ok().clone();
        let until: chrono::DateTime<chrono::Utc> = standing["suspended_until"].as_str().unwrap().parse().unwrap();
        let days_left = (until - chrono::Utc::now()).num_hours() as f64 / 24.0;
        assert!((days_left - days as f64).abs() < 0.1, "suspended {days} days, got {days_left:.2}: {standing}");
    }
}

/// Seed 004: listing notices outside complaints. Unanswered within the
/// window, a notice is a violation on the same ladder; explained, staff
/// decide. The fourth closes the store, whose balance is payable once its
/// last open complaint resolves.
async fn listing_notices_climb_the_ladder_and_close_the_store(backend: Backend) {
    let policy = Policy { listing_notice_window: chrono::Duration::seconds(1), ..Policy::default() };
    let options = Options { policy, timers: Some(std::time::Duration::from_millis(100)), ..Options::default() };
    let app = spawn_app_with(backend, options).await;
    let file = |seller: &'static str, n: usize| {
        let app = &app;
        async move {
            let body = json!({"listing_id": format!("listing-{n}"), "description": "The photo shows another phone."});
            app.post(&format!("/v1/sellers/{seller}/listing-notices"), "market", body).await.ok().clone()
        }
    };

    // Explained in time: staff decide, and a dismissed notice costs nothing.
    let explained = file("seller-2", 0).await;
    assert_eq!(explained["status"], "open");
    let at = format!("/v1/listing-notices/{}", explained["id"].as_str().unwrap());
    let answer = json!({"explanation": "The photo is of the same model, another colour."});
    assert_eq!(app.post(&format!("{at}/explanation"), "seller-2", answer).await.ok()["status"], "explained");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(app.get(&at, "seller-2").await.ok()["status"], "explained", "an explained notice waits for staff");
    assert_eq!(app.post(&format!("{at}/dismiss"), "staff-1", json!({})).await.ok()["status"], "dismissed");
    assert_eq!(app.get("/v1/sellers/seller-2/standing", "staff-1").await.ok()["violations"], 0);

    // Unanswered: each becomes a violation, 3, 6 and 9 days, then closure.
    app.order("ord-1", 100_000).await;
    let open = app.open("ord-1", json!({"kind": "full_refund"})).await;
    for n in 1..=4 {
        file("seller-1", n).await;
    }
    let standing = {
        let start = std::time::Instant::now();
        loop {
            let s = app.get("/v1/sellers/seller-1/standing", "staff-1").await.ok().clone();
            if s["violations"] == 4 || start.elapsed() > std::time::Duration::from_secs(10) {
                break s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    assert_eq!((standing["violations"].as_i64(), standing["permanently_closed"].as_bool()), (Some(4), Some(true)));
    let events = app.events_when(|all| all.iter().any(|e| e["type"] == "seller.closed")).await;
    let closed = events.iter().find(|e| e["type"] == "seller.closed").unwrap();
    assert_eq!(closed["data"]["open_complaints"], 1, "the open complaint holds the balance: {closed}");
    assert!(!events.iter().any(|e| e["type"] == "seller.balance_payable"));
    assert_eq!(events.iter().filter(|e| e["type"] == "listing_notice.confirmed").count(), 4);
    let listed = app.get("/v1/sellers/seller-1/listing-notices?limit=3", "seller-1").await.ok().clone();
    assert_eq!(listed["data"].as_array().unwrap().len(), 3, "the seller reads their notices, a page at a time");
    assert!(listed["data"].as_array().unwrap().iter().all(|n| n["status"] == "confirmed"));
    let cursor = listed["next_cursor"].as_str().unwrap();
    let rest = app.get(&format!("/v1/sellers/seller-1/listing-notices?cursor={cursor}"), "seller-1").await;
    assert_eq!(rest.ok()["data"][0]["listing_id"], "listing-4");
    app.get("/v1/sellers/seller-1/listing-notices", "seller-2").await.problem(403, "forbidden");

    // The last open complaint resolves: now the balance may be paid out.
    app.post(&path(&open, "/withdraw"), "buyer-1", json!({})).await.ok();
    let events = app.events_when(|all| all.iter().any(|e| e["type"] == "seller.balance_payable")).await;
    let payable: Vec<&Value> = events.iter().filter(|e| e["type"] == "seller.balance_payable").collect();
    assert_eq!(payable.len(), 1);
    assert_eq!(payable[0]["data"]["seller_id"], "seller-1");
}

/// Seed 004: any digital good's replacement is proved by a screenshot, not a
/// tracking number; the window is the ordinary one, not the top-up's.
async fn a_digital_goods_replacement_is_proved_by_a_screenshot(backend: Backend) {
    let app = spawn_app(backend).await;
    let voucher = json!({"buyer_id": "buyer-1", "seller_id": "seller-1", "amount": idr(200_000), "status": "delivered", "digital": true});
    let put = |body: Value| app.call(reqwest::Method::PUT, "/v1/orders/ord-v", "market", Some(body), &[]);
    assert_eq!(put(voucher.clone()).await.ok()["digital"], true);
    let body = json!({"order_id": "ord-v", "reason": "other", "description": "The voucher code was already used.",
                      "requested_solution": {"kind": "replacement"}});
    let c = app.post("/v1/complaints", "buyer-1", body).await.ok().clone();
    let mut physical = voucher.clone();
    physical["digital"] = json!(false);
    let frozen = put(physical).await;
    assert_eq!(frozen.problem(409, "order_in_dispute")["errors"][0]["field"], "digital", "frozen while disputed");
    let pid = c["pending_proposal"]["id"].as_str().unwrap();
    let c = app.post(&path(&c, &format!("/proposals/{pid}/accept")), "seller-1", json!({})).await.ok().clone();
    assert_eq!(c["deadline"]["on_expiry"], "escalate", "an ordinary replacement window");
    let seller_view = app.get(&path(&c, ""), "seller-1").await.ok().clone();
    assert!(!crate::helpers::actions(&seller_view).contains(&"mark_replacement_shipped"), "{seller_view}");
    let tracked = json!({"step": "replacement_shipped", "tracking_number": "JNE1"});
    app.post(&path(&c, "/fulfilment"), "seller-1", tracked).await.problem(409, "invalid_state");
    let png = crate::helpers::png();
    crate::evidence::upload(&app, &c, "seller-1", "screenshot", png, "image/png", "new-code.png").await.ok();
    assert_eq!(
        app.get(&path(&c, ""), "buyer-1").await.ok()["fulfilment"]["step"],
        "in_transit",
        "the screenshot is the delivery"
    );
    let received = app.post(&path(&c, "/fulfilment"), "buyer-1", json!({"step": "replacement_received"})).await;
    assert_eq!(received.ok()["resolution"]["release_to_seller"], idr(200_000));
}

crate::on_both_backends!(
    a_digital_goods_replacement_is_proved_by_a_screenshot,
    listing_notices_climb_the_ladder_and_close_the_store,
    top_up_shortfalls_are_proved_by_screenshots_or_refunded_at_fault,
    a_damaged_item_waits_for_its_packaging_photo,
    an_incomplete_complaint_lapses_and_releases_the_money,
    a_silent_seller_accepts_the_buyers_request_where_the_marketplace_says_so,
    the_parties_agree_while_staff_review,
    a_decision_voids_a_pending_party_proposal,
    decisions_and_requests_must_make_sense
);
