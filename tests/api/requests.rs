//! Requests a careless client sends: bad input answered with the field,
//! retried and reused idempotency keys, stale versions, list cursors.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{self, idr, path, spawn_app, Backend};

async fn bad_input_gets_a_problem_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let open = |extra: Value| {
        let mut body = json!({"order_id": "ord-1", "reason": "other", "description": "cracked", "requested_solution": {"kind": "full_refund"}});
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
    helpers::answer(raw("{\"order_id\": ").send().await.unwrap()).await.problem(400, "invalid_json");
    helpers::answer(raw("not json").send().await.unwrap()).await.problem(400, "invalid_json");
    let huge = app
        .client
        .post(format!("{}/v1/complaints", app.base))
        .bearer_auth(app.token_for("buyer-1"))
        .header("content-type", "application/json")
        .body(format!("{{\"description\": \"{}\"}}", "x".repeat(70_000)))
        .send()
        .await
        .unwrap();
    helpers::answer(huge).await.problem(413, "body_too_large");
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
    let trace = helpers::answer(app.client.delete(format!("{}/v1/complaints", app.base)).send().await.unwrap()).await;
    trace.problem(405, "method_not_allowed");
    assert_eq!(trace.headers["allow"], "GET, POST");
    // …and without a token the answer is 401 whatever the Idempotency-Key.
    let anonymous = app.client.post(format!("{}/v1/complaints", app.base)).header("Idempotency-Key", "bad key");
    helpers::answer(anonymous.json(&open(json!({}))).send().await.unwrap()).await.problem(401, "unauthorized");
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
    let decision = json!({"outcome": "refund", "refund_amount": null, "seller_at_fault": false, "reason_code": "other", "rationale": "\u{fc}\u{0}\u{fc131}\u{99}"});
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
    assert_eq!(helpers::answer(sent).await.problem(422, "validation_failed")["errors"][0]["field"], "description");
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
        let body = json!({"order_id": id, "reason": "other", "description": "d", "requested_solution": {"kind": "full_refund"}});
        app.post("/v1/complaints", "buyer-1", body).await.problem(409, "escrow_not_held");
    }
}

async fn idempotency_keys_replay_and_refuse_reuse(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let body = json!({"order_id": "ord-1", "reason": "other", "description": "cracked", "requested_solution": {"kind": "full_refund"}});
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

crate::on_both_backends!(
    bad_input_gets_a_problem_naming_the_field,
    idempotency_keys_replay_and_refuse_reuse,
    a_stale_version_is_refused,
    lists_page_with_a_cursor,
);
