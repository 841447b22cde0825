//! The API as a client meets it, on PostgreSQL and on SQLite.

#[path = "api/authz.rs"]
mod authz;
mod common;
#[path = "api/crash.rs"]
mod crash;
#[path = "api/evidence.rs"]
mod evidence;
#[path = "api/fuzz.rs"]
mod fuzz;
#[path = "api/integrity.rs"]
mod integrity;
#[path = "api/mail.rs"]
mod mail;
#[path = "api/shutdown.rs"]
mod shutdown;
#[path = "api/timers.rs"]
mod timers;
#[path = "api/webhooks.rs"]
mod webhooks;

use authz::every_endpoint_answers_each_caller_as_the_table_says;
use common::{spawn_app, Backend, TestApp};
use crash::ten_sigkills_under_load_lose_nothing;
use evidence::{
    a_direct_upload_is_bound_checked_and_attached, a_lying_or_oversized_file_leaves_nothing,
    a_photo_is_stored_listed_read_and_cited, a_retried_upload_is_replayed_not_stored_twice,
    staff_request_evidence_and_the_party_provides_it,
};
use fuzz::the_api_holds_to_its_spec_under_fuzzing;
use integrity::{
    a_burst_of_counters_is_one_mail, a_disputed_order_is_frozen, a_settled_hold_cannot_be_disputed_again,
    a_settlement_lives_until_the_payment_system_reports_it, an_agent_who_is_a_party_cannot_arbitrate,
    an_upload_key_guards_one_file_even_past_its_lease, authorization_comes_before_the_body,
    callers_cannot_grow_metrics_or_proposals, evidence_kinds_are_bound_to_their_media_types,
    ids_and_currencies_are_real_and_notes_are_kept, party_words_are_quoted_in_mail,
};
use mail::{mail_reaches_each_party_in_their_language, reminders_go_before_the_deadline_and_only_while_it_runs};
use reqwest::Method;
use serde_json::{json, Value};
use timers::{
    a_deadline_fires_once_after_a_restart, a_replaced_deadline_does_not_fire,
    passed_deadlines_take_their_default_outcome,
};
use webhooks::every_event_reaches_the_receiver_signed_despite_failures;

fn idr(amount: i64) -> Value {
    json!({"amount": amount, "currency": "IDR"})
}

fn actions(c: &Value) -> Vec<&str> {
    c["allowed_actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect()
}

async fn accept(app: &TestApp, c: &Value, who: &str) -> common::Answer {
    let pid = c["pending_proposal"]["id"].as_str().unwrap();
    app.post(&format!("/v1/complaints/{}/proposals/{pid}/accept", c["id"].as_str().unwrap()), who, json!({})).await
}

fn path(c: &Value, tail: &str) -> String {
    format!("/v1/complaints/{}{tail}", c["id"].as_str().unwrap())
}

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
            json!({"order_id": "ord-1", "reason": "incomplete", "description": "One part is missing.",
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
        json!({"outcome": "refund", "seller_at_fault": true, "reason_code": "x", "rationale": "y"}),
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
            "reason_code": "damaged_in_packing", "evidence_ids": [], "rationale": "The photos show poor packing."}),
        )
        .await;
    assert_eq!(decided.ok()["status"], "resolved");
    assert_eq!(decided.body["resolution"]["by"], "decision");
    assert_eq!(decided.body["resolution"]["refund_to_buyer"], idr(90_000));
    assert_eq!(decided.body["resolution"]["release_to_seller"], idr(60_000));
    app.post(
        &path(&c, "/decision"),
        "staff-1",
        json!({"outcome": "release", "seller_at_fault": false, "reason_code": "x", "rationale": "y"}),
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

    let types = app.event_types_of(c["id"].as_str().unwrap(), 7).await;
    assert_eq!(
        &types[types.len() - 4..],
        ["complaint.escalated", "complaint.decided", "complaint.resolved", "seller.sanctioned"]
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

async fn strangers_see_nothing_and_roles_are_enforced(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let pid = c["pending_proposal"]["id"].as_str().unwrap();
    let posts: Vec<(String, Value)> = vec![
        (path(&c, "/messages"), json!({"body": "hi"})),
        (path(&c, "/proposals"), json!({"kind": "full_refund"})),
        (path(&c, &format!("/proposals/{pid}/accept")), json!({})),
        (path(&c, &format!("/proposals/{pid}/reject")), json!({"note": "no"})),
        (path(&c, "/fulfilment"), json!({"step": "return_shipped", "tracking_number": "X"})),
        (path(&c, "/escalate"), json!({"reason": "x"})),
        (path(&c, "/withdraw"), json!({})),
        (path(&c, "/assign"), json!({})),
        (
            path(&c, "/decision"),
            json!({"outcome": "release", "seller_at_fault": false, "reason_code": "x", "rationale": "y"}),
        ),
        (
            path(&c, "/evidence-requests"),
            json!({"party": "buyer", "kinds": ["photo"], "due_at": "2099-01-01T00:00:00Z"}),
        ),
        (path(&c, "/evidence/uploads"), json!({"kind": "photo", "media_type": "image/png", "size_bytes": 10})),
        (path(&c, "/evidence/evd_x/complete"), json!({})),
    ];
    for (p, body) in posts {
        app.post(&p, "mallory", body).await.problem(404, "complaint_not_found");
    }
    for p in [path(&c, ""), path(&c, "/timeline")] {
        app.get(&p, "mallory").await.problem(404, "complaint_not_found");
        app.get(&p, "market").await.problem(404, "complaint_not_found");
    }
    app.get("/v1/orders/ord-1", "mallory").await.problem(404, "order_not_found");
    app.post("/v1/complaints", "mallory", json!({"order_id": "ord-1", "reason": "other", "description": "x", "requested_solution": {"kind": "full_refund"}}))
        .await
        .problem(404, "order_not_found");
    app.call(
        Method::PUT,
        "/v1/orders/ord-2",
        "buyer-1",
        Some(json!({"buyer_id": "b", "seller_id": "s", "amount": idr(1), "status": "paid"})),
        &[],
    )
    .await
    .problem(403, "forbidden");
    assert_eq!(app.get("/v1/complaints", "mallory").await.ok()["data"], json!([]));
    app.get("/v1/complaints", "market").await.problem(403, "forbidden");
    app.get("/v1/events", "buyer-1").await.problem(403, "forbidden");

    // Tokens: none, expired, signed with another secret, malformed.
    let url = format!("{}{}", app.base, path(&c, ""));
    let none = common::answer(app.client.get(&url).send().await.unwrap()).await;
    none.problem(401, "unauthorized");
    assert_eq!(none.headers["www-authenticate"], "Bearer");
    let expired = resolution_center::http::auth::mint(
        b"test-secret-test-secret-test-secret!",
        "buyer-1",
        &[],
        chrono::Duration::hours(-2),
    )
    .unwrap();
    let forged = resolution_center::http::auth::mint(
        b"another-secret-another-secret-another",
        "buyer-1",
        &[],
        chrono::Duration::hours(1),
    )
    .unwrap();
    for token in [expired.as_str(), forged.as_str(), "not-a-jwt"] {
        let a = common::answer(app.client.get(&url).bearer_auth(token).send().await.unwrap()).await;
        a.problem(401, "unauthorized");
    }
}

async fn bad_input_gets_a_problem_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let open = |extra: Value| {
        let mut body = json!({"order_id": "ord-1", "reason": "damaged", "description": "cracked", "requested_solution": {"kind": "full_refund"}});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (open(json!({"disputed_amount": idr(-5)})), "disputed_amount"),
        (open(json!({"disputed_amount": idr(1_000_000_000_000_000_000)})), "disputed_amount"),
        (open(json!({"disputed_amount": {"amount": 1e30, "currency": "IDR"}})), "disputed_amount.amount"),
        (open(json!({"disputed_amount": idr(150_001)})), "disputed_amount"),
        (open(json!({"disputed_amount": {"amount": 5, "currency": "XYZ"}})), "disputed_amount.currency"),
        (open(json!({"disputed_amount": {"amount": 5, "currency": "USD"}})), "disputed_amount"),
        (
            open(json!({"requested_solution": {"kind": "partial_refund", "refund_amount": idr(150_001)}})),
            "requested_solution.refund_amount",
        ),
        (open(json!({"requested_solution": {"kind": "teleport"}})), "requested_solution.kind"),
        (open(json!({"colour": "red"})), "colour"),
        (open(json!({"description": "x".repeat(5001)})), "description"),
        (open(json!({"description": ""})), "description"),
        (open(json!({"reason": 7})), "reason"),
        (open(json!({"disputed_amount": [5, "IDR"]})), "disputed_amount"),
    ];
    for (body, field) in cases {
        let a = app.post("/v1/complaints", "buyer-1", body.clone()).await;
        a.problem(422, "validation_failed");
        assert_eq!(a.fields(), [field], "{body}");
    }
    let raw = |body: &'static str| {
        app.client
            .post(format!("{}/v1/complaints", app.base))
            .bearer_auth(app.token_for("buyer-1"))
            .header("content-type", "application/json")
            .body(body)
    };
    common::answer(raw("{\"order_id\": ").send().await.unwrap()).await.problem(400, "invalid_json");
    common::answer(raw("not json").send().await.unwrap()).await.problem(400, "invalid_json");
    let huge = app
        .client
        .post(format!("{}/v1/complaints", app.base))
        .bearer_auth(app.token_for("buyer-1"))
        .header("content-type", "application/json")
        .body(format!("{{\"description\": \"{}\"}}", "x".repeat(70_000)))
        .send()
        .await
        .unwrap();
    common::answer(huge).await.problem(413, "body_too_large");
    app.get("/v1/complaints?limit=1000", "buyer-1").await.problem(400, "invalid_parameter");
    app.get("/v1/complaints?cursor=%%%", "buyer-1").await.problem(400, "invalid_parameter");

    let order = |amount: Value, buyer: &str| json!({"buyer_id": buyer, "seller_id": "seller-1", "amount": amount, "status": "paid"});
    let put = |body: Value| app.call(Method::PUT, "/v1/orders/ord-9", "market", Some(body), &[]);
    assert_eq!(put(order(idr(-1), "b")).await.problem(422, "validation_failed")["errors"][0]["field"], "amount.amount");
    assert_eq!(put(order(idr(0), "b")).await.problem(422, "validation_failed")["errors"][0]["field"], "amount.amount");
    assert_eq!(
        put(order(idr(5), "seller-1")).await.problem(422, "validation_failed")["errors"][0]["field"],
        "seller_id"
    );
    let bad_mail = json!({"buyer_id": "b", "seller_id": "s", "amount": idr(5), "status": "paid", "contacts": {"buyer": {"email": "nope"}}});
    assert_eq!(put(bad_mail).await.problem(422, "validation_failed")["errors"][0]["field"], "contacts.buyer.email");
    // Found by fuzzing: serde reads a struct from an array of its fields.
    let listed =
        json!({"buyer_id": "b", "seller_id": "s", "amount": idr(5), "status": "paid", "contacts": [null, null]});
    assert_eq!(put(listed).await.problem(422, "validation_failed")["errors"][0]["field"], "contacts");
    // …an empty cursor is no cursor of the list, an amount may be written 5.0, …
    app.get("/v1/complaints?cursor=", "buyer-1").await.problem(400, "invalid_parameter");
    app.get("/v1/events?after=", "market").await.problem(400, "invalid_parameter");
    let whole = put(order(json!({"amount": 5.0, "currency": "IDR"}), "b")).await;
    assert_eq!(whole.ok()["amount"], idr(5));
    // …a method the path does not have is a 405 naming those it has, …
    let trace = common::answer(app.client.delete(format!("{}/v1/complaints", app.base)).send().await.unwrap()).await;
    trace.problem(405, "method_not_allowed");
    assert_eq!(trace.headers["allow"], "GET, POST");
    // …and without a token the answer is 401 whatever the Idempotency-Key.
    let anonymous = app.client.post(format!("{}/v1/complaints", app.base)).header("Idempotency-Key", "bad key");
    common::answer(anonymous.json(&open(json!({}))).send().await.unwrap()).await.problem(401, "unauthorized");
    // A key is visible ASCII: no spaces (found by fuzzing).
    let spaced =
        app.call(Method::POST, "/v1/complaints", "buyer-1", Some(open(json!({}))), &[("Idempotency-Key", "bad key")]);
    assert_eq!(spaced.await.problem(400, "invalid_parameter")["errors"][0]["field"], "Idempotency-Key");
    app.call(Method::PUT, "/v1/orders/bad%20id", "market", Some(order(idr(5), "b")), &[])
        .await
        .problem(400, "invalid_parameter");

    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.post("/v1/complaints", "buyer-1", open(json!({}))).await.problem(409, "complaint_exists");
    let listed = app.post(&path(&c, "/escalate"), "seller-1", json!(["The buyer broke it."])).await;
    listed.problem(422, "validation_failed");
    assert_eq!(listed.fields(), ["body"]);
    let counter = app
        .post(&path(&c, "/proposals"), "seller-1", json!({"kind": "partial_refund", "refund_amount": idr(150_001)}))
        .await;
    counter.problem(422, "validation_failed");
    assert_eq!(counter.fields(), ["refund_amount"]);
    let cite = app
        .post(&path(&c, "/messages"), "buyer-1", json!({"body": "see photo", "evidence_ids": ["evd_missing"]}))
        .await;
    cite.problem(422, "validation_failed");
    assert_eq!(cite.fields(), ["evidence_ids"]);
    // PostgreSQL text cannot hold NUL: a text, id, path or query with one is
    // refused naming it, on both backends. (Found by fuzzing: a decision whose
    // rationale held one was a 500.)
    app.post(&path(&c, "/escalate"), "seller-1", json!({"reason": "The buyer broke it."})).await.ok();
    app.post(&path(&c, "/assign"), "staff-1", json!({})).await.ok();
    let decision = json!({"outcome": "refund", "refund_amount": null, "seller_at_fault": false, "reason_code": "r", "rationale": "\u{fc}\u{0}\u{fc131}\u{99}"});
    let nul = app.call(Method::POST, &path(&c, "/decision"), "staff-1", Some(decision), &[("If-Match", "*")]).await;
    assert_eq!(nul.problem(422, "validation_failed")["errors"][0]["field"], "rationale");
    let cite = app.post(&path(&c, "/messages"), "buyer-1", json!({"body": "see", "evidence_ids": ["evd_\u{0}"]})).await;
    assert_eq!(cite.problem(422, "validation_failed")["errors"][0]["field"], "evidence_ids[0]");
    assert_eq!(
        app.get("/v1/complaints/cmp%00", "buyer-1").await.problem(400, "invalid_parameter")["errors"][0]["field"],
        "path"
    );
    let filtered = app.get("/v1/complaints?cursor=a%00b", "buyer-1").await;
    assert_eq!(filtered.problem(400, "invalid_parameter")["errors"][0]["field"], "query");
    let form = reqwest::multipart::Form::new().text("kind", "photo").text("description", "a\u{0}b");
    let url = format!("{}/v1/complaints/{}/evidence", app.base, c["id"].as_str().unwrap());
    let sent = app.client.post(url).bearer_auth(app.token_for("buyer-1")).multipart(form).send().await.unwrap();
    assert_eq!(common::answer(sent).await.problem(422, "validation_failed")["errors"][0]["field"], "description");
    assert_eq!(app.get(&path(&c, ""), "staff-1").await.ok()["status"], "under_review", "nothing was decided");
    // The order's money and parties are frozen while the complaint runs.
    let changed = json!({"buyer_id": "buyer-1", "seller_id": "seller-1", "amount": idr(1), "status": "delivered"});
    app.call(Method::PUT, "/v1/orders/ord-1", "market", Some(changed), &[]).await.problem(409, "order_in_dispute");

    // Once the money has left escrow there is nothing to dispute.
    let order = |extra: Value| {
        let mut o = json!({"buyer_id": "buyer-1", "seller_id": "seller-1", "amount": idr(5000), "status": "completed"});
        o.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        o
    };
    let done = order(json!({}));
    let released = order(json!({"status": "delivered", "auto_release_at": "2026-01-01T00:00:00Z"}));
    for (id, body) in [("ord-done", done), ("ord-released", released)] {
        app.call(Method::PUT, &format!("/v1/orders/{id}"), "market", Some(body), &[]).await.ok();
    }
    for id in ["ord-done", "ord-released"] {
        let body = json!({"order_id": id, "reason": "damaged", "description": "d", "requested_solution": {"kind": "full_refund"}});
        app.post("/v1/complaints", "buyer-1", body).await.problem(409, "escrow_not_held");
    }
}

async fn idempotency_keys_replay_and_refuse_reuse(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let body = json!({"order_id": "ord-1", "reason": "damaged", "description": "cracked", "requested_solution": {"kind": "full_refund"}});
    let key = [("Idempotency-Key", "open-ord-1")];
    let first = app.call(Method::POST, "/v1/complaints", "buyer-1", Some(body.clone()), &key).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let again = app.call(Method::POST, "/v1/complaints", "buyer-1", Some(body.clone()), &key).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.headers["location"], first.headers["location"]);
    let mut other = body.clone();
    other["description"] = json!("something else");
    app.call(Method::POST, "/v1/complaints", "buyer-1", Some(other), &key).await.problem(422, "idempotency_key_reused");
    // Keys belong to their caller: the same key from someone else is theirs.
    app.call(Method::POST, "/v1/complaints", "buyer-2", Some(body), &key).await.problem(404, "order_not_found");
    let list = app.get("/v1/complaints", "buyer-1").await;
    assert_eq!(list.ok()["data"].as_array().unwrap().len(), 1, "one complaint, however often it was sent");

    // Past its 24 hours a key is purged; within them it is kept.
    let now = resolution_center::app::now();
    assert_eq!(app.app.purge_idempotency_keys(now).await.unwrap(), 0);
    assert_eq!(app.app.purge_idempotency_keys(now + chrono::Duration::hours(25)).await.unwrap(), 2);
}

async fn a_stale_version_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let seen = app.get(&path(&c, ""), "seller-1").await;
    assert_eq!(seen.headers["etag"], "\"1\"");
    let msg = json!({"body": "we will check"});
    let ok =
        app.call(Method::POST, &path(&c, "/messages"), "seller-1", Some(msg.clone()), &[("If-Match", "\"1\"")]).await;
    assert_eq!(ok.ok()["version"], 2);
    let stale =
        app.call(Method::POST, &path(&c, "/messages"), "seller-1", Some(msg.clone()), &[("If-Match", "\"1\"")]).await;
    stale.problem(412, "version_mismatch");
    app.call(Method::POST, &path(&c, "/messages"), "seller-1", Some(msg), &[("If-Match", "soon")])
        .await
        .problem(400, "invalid_parameter");
}

async fn lists_page_with_a_cursor(backend: Backend) {
    let app = spawn_app(backend).await;
    for i in 1..=3 {
        app.order(&format!("ord-{i}"), 10_000).await;
        app.open(&format!("ord-{i}"), json!({"kind": "full_refund"})).await;
    }
    app.order_between("ord-x", "buyer-2", "seller-1", 10_000).await;
    let first = app.get("/v1/complaints?limit=2", "buyer-1").await;
    let first = first.ok();
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app.get(&format!("/v1/complaints?limit=2&cursor={cursor}"), "buyer-1").await;
    assert_eq!(second.ok()["data"].as_array().unwrap().len(), 1);
    assert_eq!(second.body["next_cursor"], Value::Null);
    let mut ids: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second.body["data"].as_array().unwrap())
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    let newest_first = ids.clone();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    assert_eq!(ids, newest_first, "three distinct complaints, newest first");
    assert_eq!(app.get("/v1/complaints?role=seller", "buyer-1").await.ok()["data"], json!([]));
    assert_eq!(
        app.get("/v1/complaints?status=awaiting_seller", "seller-1").await.ok()["data"].as_array().unwrap().len(),
        3
    );
    assert_eq!(app.get("/v1/complaints", "staff-1").await.ok()["data"].as_array().unwrap().len(), 3);
    app.events_when(|all| all.len() == 6).await;
    let events = app.get("/v1/events?limit=2", "market").await;
    let after = events.ok()["next_cursor"].as_str().unwrap().to_string();
    let rest = app.get(&format!("/v1/events?limit=100&after={after}"), "market").await;
    assert_eq!(rest.ok()["data"].as_array().unwrap().len(), 6 - 2, "3 complaints, 2 events each, each once");
}

async fn staff_notes_stay_with_staff(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.post(&path(&c, "/messages"), "buyer-1", json!({"body": "psst", "visibility": "staff"}))
        .await
        .problem(422, "validation_failed");
    app.post(
        &path(&c, "/messages"),
        "staff-1",
        json!({"body": "buyer has 3 claims this month", "visibility": "staff"}),
    )
    .await
    .ok();
    app.post(&path(&c, "/messages"), "seller-1", json!({"body": "we shipped it well packed"})).await.ok();
    let bodies = |a: common::Answer| {
        a.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "message")
            .map(|e| e["data"]["body"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(bodies(app.get(&path(&c, "/timeline"), "buyer-1").await), ["we shipped it well packed"]);
    assert_eq!(
        bodies(app.get(&path(&c, "/timeline"), "staff-2").await),
        ["buyer has 3 claims this month", "we shipped it well packed"]
    );
}

async fn operations_endpoints_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = common::answer(app.client.get(format!("{}/healthz", app.base)).send().await.unwrap()).await;
    assert_eq!(health.ok()["status"], "ok");
    assert!(health.headers.contains_key("x-request-id"));
    let ready = common::answer(app.client.get(format!("{}/readyz", app.base)).send().await.unwrap()).await;
    assert_eq!(ready.ok()["status"], "ready");
    let spec = app.client.get(format!("{}/openapi.yaml", app.base)).send().await.unwrap().text().await.unwrap();
    assert_eq!(spec, resolution_center::http::openapi::yaml());
    app.get("/v1/nowhere", "buyer-1").await.problem(404, "not_found");

    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.get(&path(&c, ""), "buyer-1").await.ok();
    let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    let line = |prefix: &str| text.lines().find(|l| l.starts_with(prefix)).map(str::to_string);
    assert_eq!(
        line("rc_complaints{status=\"awaiting_seller\"}").as_deref(),
        Some("rc_complaints{status=\"awaiting_seller\"} 1"),
        "{text}"
    );
    assert_eq!(line("rc_complaints{status=\"resolved\"}").as_deref(), Some("rc_complaints{status=\"resolved\"} 0"));
    assert_eq!(line("rc_timers_overdue").as_deref(), Some("rc_timers_overdue 0"));
    let requests = line("rc_http_requests_total{endpoint=\"/v1/complaints/{id}\",method=\"GET\",status=\"200\"}");
    assert!(requests.is_some_and(|l| l.ends_with(" 1")), "requests by route and status: {text}");
    assert!(text.contains("rc_http_requests_duration_seconds_bucket{endpoint=\"/v1/complaints\",method=\"POST\""));
    assert!(text.contains("endpoint=\"UNMATCHED\""), "unknown paths do not each get a series");
}

on_both_backends!(
    agreement_on_the_first_proposal,
    a_counter_proposal_accepted,
    escalation_then_a_split_decision_sanctions_the_seller,
    the_buyer_withdraws,
    return_and_refund_runs_to_the_refund,
    replacement_runs_to_the_release,
    staff_mediation_needs_both_parties,
    strangers_see_nothing_and_roles_are_enforced,
    bad_input_gets_a_problem_naming_the_field,
    idempotency_keys_replay_and_refuse_reuse,
    a_stale_version_is_refused,
    lists_page_with_a_cursor,
    staff_notes_stay_with_staff,
    operations_endpoints_answer,
    a_photo_is_stored_listed_read_and_cited,
    a_lying_or_oversized_file_leaves_nothing,
    a_direct_upload_is_bound_checked_and_attached,
    staff_request_evidence_and_the_party_provides_it,
    a_retried_upload_is_replayed_not_stored_twice,
    passed_deadlines_take_their_default_outcome,
    a_replaced_deadline_does_not_fire,
    a_deadline_fires_once_after_a_restart,
    every_event_reaches_the_receiver_signed_despite_failures,
    mail_reaches_each_party_in_their_language,
    reminders_go_before_the_deadline_and_only_while_it_runs,
    the_api_holds_to_its_spec_under_fuzzing,
    every_endpoint_answers_each_caller_as_the_table_says,
    ten_sigkills_under_load_lose_nothing,
    a_settled_hold_cannot_be_disputed_again,
    a_disputed_order_is_frozen,
    a_settlement_lives_until_the_payment_system_reports_it,
    an_agent_who_is_a_party_cannot_arbitrate,
    authorization_comes_before_the_body,
    ids_and_currencies_are_real_and_notes_are_kept,
    callers_cannot_grow_metrics_or_proposals,
    evidence_kinds_are_bound_to_their_media_types,
    an_upload_key_guards_one_file_even_past_its_lease,
    party_words_are_quoted_in_mail,
    a_burst_of_counters_is_one_mail,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_openings_settle_a_hold_once_on_postgres() {
    integrity::racing_openings_settle_a_hold_once_on_postgres().await
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
                2 => ("staff-1", "/decision".to_string(), json!({"outcome": "split", "refund_amount": idr(75_000), "seller_at_fault": i % 8 == 2, "reason_code": "race", "rationale": "r"})),
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
    let url = common::new_pg_database();
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
