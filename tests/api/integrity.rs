//! What careless and hostile callers try: paying one hold twice, moving an
//! order under a running complaint, acting on one's own case.

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Backend, TestApp};

fn idr(amount: i64) -> Value {
    json!({"amount": amount, "currency": "IDR"})
}

fn path(c: &Value, tail: &str) -> String {
    format!("/v1/complaints/{}{tail}", c["id"].as_str().unwrap())
}

fn opening(order_id: &str) -> Value {
    json!({"order_id": order_id, "reason": "other", "description": "Cracked.",
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
                   "reason_code": "item_damaged", "evidence_ids": [], "rationale": "Courier damage."}),
        )
        .await;
    assert_eq!(decided.ok()["status"], "resolved");
}

/// A hold is settled once: after a withdrawal, after a decision, and after
/// the marketplace re-registers the settled order as delivered, a new
/// complaint on it is refused, and the feed carries one settlement per order.
async fn a_settled_hold_cannot_be_disputed_again(backend: Backend) {
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
async fn a_disputed_order_is_frozen(backend: Backend) {
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

/// Mails queued from the feed so far, rendered into `.eml` files: (to, subject, body).
pub(crate) async fn mails(app: &TestApp, dir: &std::path::Path, last: &str) -> Vec<(String, String, String)> {
    mails_collapsed(app, dir, std::time::Duration::ZERO, |all| all.iter().any(|e| e["type"] == last)).await
}

/// `mails`, a proposal's mail waiting `window` for a newer one first.
async fn mails_collapsed(
    app: &TestApp,
    dir: &std::path::Path,
    window: std::time::Duration,
    ready: impl Fn(&[Value]) -> bool,
) -> Vec<(String, String, String)> {
    // The mailer reads the feed, which shows an event once older
    // transactions on the server are done: wait until the test's last one shows.
    app.events_when(ready).await;
    use resolution_center::notify::mail::MailTransport;
    use resolution_center::notify::mail::Mailer;
    let mailer = Mailer {
        transport: MailTransport::from_url(&format!("file:{}", dir.display())).unwrap(),
        from: "Resolution Center <rc@example.com>".parse().unwrap(),
        staff_mailbox: Some("care@example.com".into()),
        reminder_leads: vec![],
        retry_base: std::time::Duration::from_millis(100),
        collapse_window: window,
        reminder_page: Mailer::REMINDER_PAGE,
        complaint_url: Some("https://shop.example/complaints/{complaint_id}?order={order_id}".into()),
    };
    while app.app.enqueue_mail(&mailer).await.unwrap() > 0 {}
    tokio::time::sleep(window).await;
    while app.app.deliver_mail(&mailer).await.unwrap() > 0 {}
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let text =
            std::fs::read_to_string(entry.path()).unwrap().replace("\r\n", "\n").replace("=\n", "").replace("=3D", "=");
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        // Unfold continuation lines (RFC 5322 2.2.3) before reading a header.
        let head = head.replace("\n ", " ").replace("\n\t", " ");
        let header = |name: &str| {
            head.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).unwrap_or_default().to_string()
        };
        let body = body.to_string();
        out.push((header("To"), header("Subject"), body));
    }
    out
}

/// The payment system reports each settlement once: pending until executed
/// or failed; a repeat changes nothing, a conflicting report is refused, a
/// failed one is a payment problem for staff and in `/metrics` until it is
/// executed, and the parties hear of it.
async fn a_settlement_lives_until_the_payment_system_reports_it(backend: Backend) {
    let app = crate::helpers::spawn_app_with(
        backend,
        crate::helpers::Options { settlement_overdue: Some(chrono::Duration::hours(1)), ..Default::default() },
    )
    .await;
    app.order("ord-1", 100_000).await;
    app.order("ord-2", 100_000).await;
    let report = |c: &Value, body: Value| {
        let at = path(c, "/settlement");
        let app = &app;
        async move { app.post(&at, "market", body).await }
    };

    let running = app.open("ord-2", json!({"kind": "full_refund"})).await;
    report(&running, json!({"state": "executed", "payment_reference": "pay-0"})).await.problem(409, "not_settled");

    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    decide_refund(&app, &c).await;
    let v = app.get(&path(&c, ""), "buyer-1").await.ok()["version"].as_i64().unwrap();
    let problems = app.get("/v1/arbitration/payment-problems", "staff-1").await;
    assert_eq!(problems.ok()["data"], json!([]), "pending for less than the overdue time is no problem yet");

    // Where the refund went is required for a refund; a body that is not a
    // report is refused whoever sends it, but only the service learns why.
    let executed = json!({"state": "executed", "payment_reference": "pay-1"});
    assert_eq!(
        report(&c, executed.clone()).await.problem(422, "validation_failed")["errors"][0]["field"],
        "refund_destination"
    );
    app.post(&path(&c, "/settlement"), "buyer-1", json!({"state": "nonsense"})).await.problem(403, "forbidden");

    let failed = json!({"state": "failed", "reason": "card expired"});
    assert_eq!(report(&c, failed.clone()).await.ok()["state"], "failed");
    assert_eq!(report(&c, failed.clone()).await.ok()["failure_reason"], "card expired", "a repeat answers the same");
    report(&c, json!({"state": "failed", "reason": "other"})).await.problem(409, "settlement_already_reported");
    let problems = app.get("/v1/arbitration/payment-problems", "staff-1").await;
    assert_eq!(problems.ok()["data"][0]["complaint_id"], c["id"]);
    assert_eq!(problems.body["data"][0]["state"], "failed");
    let metrics = app.metrics_when(|m| m.contains("rc_settlements{state=\"failed\"} 1")).await;
    assert!(metrics.contains("rc_settlements{state=\"failed\"} 1"), "{metrics}");

    let card = json!({"state": "executed", "payment_reference": "pay-1", "refund_destination": "card"});
    let done = report(&c, card.clone()).await;
    assert_eq!(done.ok()["state"], "executed");
    assert_eq!(done.body["refund_destination"], "card");
    assert_eq!(done.body["refund_to_buyer"], idr(100_000));
    assert_eq!(report(&c, card).await.ok()["payment_reference"], "pay-1");
    report(&c, json!({"state": "executed", "payment_reference": "pay-2", "refund_destination": "card"}))
        .await
        .problem(409, "settlement_already_reported");
    report(&c, failed).await.problem(409, "settlement_already_reported");
    assert_eq!(app.get("/v1/arbitration/payment-problems", "staff-1").await.ok()["data"], json!([]));

    let shown = app.get(&path(&c, ""), "seller-1").await;
    assert_eq!(shown.ok()["resolution"]["settlement"]["state"], "executed");
    assert_eq!(shown.body["resolution"]["settlement"]["payment_reference"], "pay-1");
    assert_eq!(shown.body["version"].as_i64().unwrap(), v + 2, "each recorded report moves the version on");
    let timeline = app.get(&path(&c, "/timeline"), "buyer-1").await;
    let kinds: Vec<&str> =
        timeline.ok()["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds[kinds.len() - 2..], ["settlement_failed", "settlement_executed"]);
    let id = c["id"].as_str().unwrap();
    let types = app.event_types_of(id, 8).await;
    assert_eq!(
        types.iter().filter(|t| t.starts_with("settlement.")).collect::<Vec<_>>(),
        ["settlement.failed", "settlement.executed"]
    );

    let dir = tempfile::tempdir().unwrap();
    let sent = mails(&app, dir.path(), "settlement.executed").await;
    let about = |to: &str, what: &str| sent.iter().filter(|(t, s, _)| t.contains(to) && s.contains(what)).count();
    assert_eq!(about("buyer@example.com", "money paid out"), 0, "the buyer's locale is id");
    assert_eq!(about("buyer@example.com", "dana dicairkan"), 1);
    assert_eq!(about("seller@example.com", "money paid out"), 1);
    assert_eq!(about("seller@example.com", "payout failed"), 1);
    assert_eq!(about("care@example.com", "payout failed"), 1, "customer care hears of a failed payout");

    // A settlement left pending past the overdue time is a problem too.
    let overdue = crate::helpers::spawn_app_with(
        backend,
        crate::helpers::Options { settlement_overdue: Some(chrono::Duration::zero()), ..Default::default() },
    )
    .await;
    overdue.order("ord-1", 100_000).await;
    let w = overdue.open("ord-1", json!({"kind": "full_refund"})).await;
    overdue.post(&path(&w, "/withdraw"), "buyer-1", json!({})).await.ok();
    let problems = overdue.get("/v1/arbitration/payment-problems", "staff-1").await;
    assert_eq!(problems.ok()["data"][0]["state"], "pending");
    assert_eq!(problems.body["data"][0]["release_to_seller"], idr(100_000));
    let metrics = overdue.metrics_when(|m| m.contains("rc_settlements_overdue 1")).await;
    assert!(metrics.contains("rc_settlements_overdue 1"), "{metrics}");
}

/// An agent who bought the order is its buyer there, not its arbiter: the
/// staff token cannot decide, assign or read staff notes of that case.
async fn an_agent_who_is_a_party_cannot_arbitrate(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order_between("ord-1", "staff-7", "seller-1", 100_000).await;
    let body = opening("ord-1");
    let c = app.post("/v1/complaints", "staff-7", body).await;
    assert_eq!(c.status.as_u16(), 201, "{}", c.body);
    let c = c.body;
    assert!(!c["allowed_actions"].as_array().unwrap().iter().any(|a| a == "decide"), "{}", c["allowed_actions"]);
    app.post(&path(&c, "/escalate"), "seller-1", json!({"reason": "no"})).await.ok();
    let decision = json!({"outcome": "refund", "refund_amount": idr(100_000), "seller_at_fault": true,
                          "reason_code": "other", "evidence_ids": [], "rationale": "Mine."});
    app.post(&path(&c, "/decision"), "staff-7", decision.clone()).await.problem(403, "forbidden");
    app.post(&path(&c, "/assign"), "staff-7", json!({})).await.problem(403, "forbidden");
    // Another agent may not hand the case to a party either.
    app.post(&path(&c, "/assign"), "staff-1", json!({"assignee_id": "staff-7"}))
        .await
        .problem(422, "validation_failed");
    // Nor to someone who is not an agent of the service.
    let refused = app.post(&path(&c, "/assign"), "staff-1", json!({"assignee_id": "someone-else"})).await;
    assert_eq!(refused.problem(422, "validation_failed")["errors"][0]["field"], "assignee_id");
    app.post(&path(&c, "/messages"), "staff-1", json!({"body": "internal", "visibility": "staff"})).await.ok();
    let timeline = app.get(&path(&c, "/timeline"), "staff-7").await;
    assert!(!timeline.ok().to_string().contains("internal"), "staff notes stay hidden from a party");
    let standing = app.get("/v1/sellers/seller-1/standing", "staff-1").await;
    assert_eq!(standing.ok()["violations"], 0);
    assert_eq!(app.post(&path(&c, "/decision"), "staff-1", decision).await.ok()["status"], "resolved");
}

/// A caller who may not act learns nothing about its body: 403 (404 for a
/// stranger) whatever it sent; and the bearer scheme is case-insensitive.
async fn authorization_comes_before_the_body(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 100_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.post(&path(&c, "/escalate"), "seller-1", json!({"reason": "no"})).await.ok();
    for body in [json!({"outcome": "split"}), json!({"rationale": 7}), json!("[]")] {
        app.post(&path(&c, "/decision"), "buyer-1", body.clone()).await.problem(403, "forbidden");
        app.post(&path(&c, "/decision"), "stranger-1", body.clone()).await.problem(404, "complaint_not_found");
        app.post(&path(&c, "/assign"), "seller-1", body.clone()).await.problem(403, "forbidden");
        app.post(&path(&c, "/settlement"), "buyer-1", body.clone()).await.problem(403, "forbidden");
        app.call(Method::PUT, "/v1/orders/ord-9", "buyer-1", Some(body.clone()), &[]).await.problem(403, "forbidden");
    }
    app.post(&path(&c, "/withdraw"), "seller-1", json!({"note": 5})).await.problem(403, "forbidden");
    // Staff may decide, so staff learns what is wrong.
    app.post(&path(&c, "/decision"), "staff-1", json!({"outcome": "split"})).await.problem(422, "validation_failed");

    for scheme in ["BEARER", "bearer", "Bearer"] {
        let res = app
            .client
            .get(format!("{}/v1/complaints", app.base))
            .header("authorization", format!("{scheme} {}", app.token_for("buyer-1")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "{scheme}");
    }
    let res = app.client.get(format!("{}/v1/complaints", app.base)).bearer_auth("a.b.c").send().await.unwrap();
    let a = crate::helpers::answer(res).await;
    a.problem(401, "unauthorized");
    assert_eq!(a.body["detail"], "the token is not a well-formed JWT of this service");
}

/// Ids that only look alike, currencies that are no money, and a
/// withdrawal's note.
async fn ids_and_currencies_are_real_and_notes_are_kept(backend: Backend) {
    let app = spawn_app(backend).await;
    let put = |id: &'static str, body: Value| {
        let app = &app;
        async move { app.call(Method::PUT, &format!("/v1/orders/{id}"), "market", Some(body), &[]).await }
    };
    let order = |buyer: &str, seller: &str, currency: &str| json!({"buyer_id": buyer, "seller_id": seller, "amount": {"amount": 100, "currency": currency}, "status": "paid"});
    for (buyer, seller, field) in [
        (" ", "s1", "buyer_id"),
        ("b1", "s\u{202E}1", "seller_id"),
        ("Buyer-1", "buyer-1", "seller_id"),
        ("b 1", "s1", "buyer_id"),
    ] {
        let a = put("ord-x", order(buyer, seller, "IDR")).await;
        a.problem(422, "validation_failed");
        assert_eq!(a.fields(), [field], "{buyer:?} {seller:?}: {}", a.body);
    }
    for code in ["XXX", "XTS", "XAU", "USN", "CLF"] {
        let a = put("ord-x", order("b1", "s1", code)).await;
        a.problem(422, "validation_failed");
        assert_eq!(a.fields(), ["amount.currency"], "{code}: {}", a.body);
    }
    assert_eq!(put("ord-x", order("b1", "s1", "XOF")).await.ok()["amount"]["currency"], "XOF");
    app.get("/v1/orders/ord-x", "market").await.ok();

    app.order("ord-1", 100_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.post(&path(&c, "/withdraw"), "buyer-1", json!({"note": "The courier found it."})).await.ok();
    let timeline = app.get(&path(&c, "/timeline"), "seller-1").await;
    let withdrawn = timeline.ok()["data"].as_array().unwrap().iter().find(|e| e["type"] == "withdrawn").cloned();
    assert_eq!(withdrawn.expect("a withdrawn entry")["data"]["note"], "The courier found it.");
}

/// Nothing a caller sends grows the service without bound: invented HTTP
/// methods add nothing to `/metrics`, and a complaint takes at most 30
/// proposals, after which the parties escalate.
async fn callers_cannot_grow_metrics_or_proposals(backend: Backend) {
    let app = spawn_app(backend).await;
    let metrics =
        || async { app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap() };
    app.get("/v1/complaints", "buyer-1").await.ok();
    let before = metrics().await;
    for i in 0..200 {
        let method =
            Method::from_bytes(format!("X{i}{}", "M".repeat(if i % 2 == 0 { 10 } else { 7000 })).as_bytes()).unwrap();
        let res = app.client.request(method, format!("{}/v1/complaints", app.base)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 405);
    }
    let after = metrics().await;
    let series = |text: &str| text.lines().filter(|l| l.starts_with("rc_http_requests_total")).count();
    assert_eq!(series(&after), series(&before), "{after}");
    assert!(after.len() < before.len() + 1000, "/metrics grew from {} to {} bytes", before.len(), after.len());

    app.order("ord-1", 100_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    for i in 1..30 {
        let (who, amount) = if i % 2 == 1 { ("seller-1", 10_000 + i) } else { ("buyer-1", 90_000 - i) };
        let body = json!({"kind": "partial_refund", "refund_amount": idr(amount)});
        app.post(&path(&c, "/proposals"), who, body).await.ok();
    }
    let full = app.get(&path(&c, ""), "seller-1").await;
    assert!(!full.ok()["allowed_actions"].as_array().unwrap().iter().any(|a| a == "counter"), "{}", full.body);
    let one_more = json!({"kind": "partial_refund", "refund_amount": idr(1)});
    app.post(&path(&c, "/proposals"), "seller-1", one_more).await.problem(409, "proposal_limit_reached");
    assert_eq!(
        app.post(&path(&c, "/escalate"), "seller-1", json!({"reason": "No end to it."})).await.ok()["status"],
        "under_review"
    );
}

fn upload_url(app: &TestApp, c: &Value) -> String {
    format!("{}/v1/complaints/{}/evidence", app.base, c["id"].as_str().unwrap())
}

/// A kind is what a file shows: a PDF is no video, a PNG no screen
/// recording, so the video cap is for videos only; a form names its kind once.
async fn evidence_kinds_are_bound_to_their_media_types(backend: Backend) {
    use crate::evidence::upload;
    use crate::helpers::{mp4, pdf, png};
    let app = spawn_app(backend).await;
    app.order("ord-1", 100_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    for (kind, bytes, media) in
        [("video", pdf(), "application/pdf"), ("screen_recording", png(), "image/png"), ("photo", mp4(10), "video/mp4")]
    {
        let a = upload(&app, &c, "buyer-1", kind, bytes, media, "f").await;
        a.problem(422, "validation_failed");
        assert_eq!(a.fields(), ["kind"], "{kind}: {}", a.body);
    }
    assert_eq!(upload(&app, &c, "buyer-1", "video", mp4(10), "video/mp4", "v.mp4").await.status.as_u16(), 201);
    assert_eq!(upload(&app, &c, "buyer-1", "other", pdf(), "application/pdf", "o.pdf").await.status.as_u16(), 201);

    let form = reqwest::multipart::Form::new()
        .text("kind", "document")
        .text("kind", "video")
        .part("file", reqwest::multipart::Part::bytes(pdf()).file_name("d.pdf").mime_str("application/pdf").unwrap());
    let res = app.client.post(upload_url(&app, &c)).bearer_auth(app.token_for("buyer-1")).multipart(form);
    let a = crate::helpers::answer(res.send().await.unwrap()).await;
    a.problem(422, "validation_failed");
    assert_eq!(a.fields(), ["kind"], "{}", a.body);

    // The same rule holds for a direct upload, before anything is signed.
    let direct = json!({"kind": "video", "media_type": "application/pdf", "size_bytes": 100_000_000});
    let a = app.post(&path(&c, "/evidence/uploads"), "buyer-1", direct).await;
    a.problem(422, "validation_failed");
    assert_eq!(a.fields(), ["kind"], "{}", a.body);
}

/// An upload retried under its Idempotency-Key after the lease, while the
/// first still streams, attaches one file: whichever attaches first marks the
/// key in its own transaction, the other stores nothing. A media type in
/// capitals is still multipart.
async fn an_upload_key_guards_one_file_even_past_its_lease(backend: Backend) {
    use crate::helpers::png;
    let options = crate::helpers::Options {
        idempotency_lease: Some(std::time::Duration::from_millis(300)),
        ..Default::default()
    };
    let app = std::sync::Arc::new(crate::helpers::spawn_app_with(backend, options).await);
    app.order("ord-1", 100_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let bytes = png();
    let send = |slow: bool| {
        let (app, c, bytes) = (app.clone(), c.clone(), bytes.clone());
        async move {
            let (head, tail) = bytes.split_at(10);
            let (head, tail) = (head.to_vec(), tail.to_vec());
            let chunks = futures_util::stream::iter([head, tail]).then(move |chunk| async move {
                if slow && chunk.len() != 10 {
                    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                }
                Ok::<_, std::io::Error>(chunk)
            });
            let body = reqwest::Body::wrap_stream(chunks);
            let part = reqwest::multipart::Part::stream(body).file_name("p.png").mime_str("image/png").unwrap();
            let form = reqwest::multipart::Form::new().text("kind", "photo").part("file", part);
            let content_type = format!("Multipart/Form-Data; boundary={}", form.boundary());
            let mut req = app
                .client
                .post(upload_url(&app, &c))
                .bearer_auth(app.token_for("buyer-1"))
                .header("Idempotency-Key", "up-1")
                .multipart(form)
                .build()
                .unwrap();
            req.headers_mut().insert("content-type", content_type.parse().unwrap());
            crate::helpers::answer(app.client.execute(req).await.unwrap()).await
        }
    };
    let first = tokio::spawn(send(true));
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let retry = send(false).await;
    assert_eq!(retry.status.as_u16(), 201, "the lease lapsed: the retry runs ({})", retry.body);
    let first = first.await.unwrap();
    first.problem(409, "idempotency_key_in_flight");
    let listed = app.get(&path(&c, "/evidence"), "buyer-1").await;
    assert_eq!(listed.ok()["data"].as_array().unwrap().len(), 1, "one file under one key");
    assert_eq!(app.stored_files().len(), 1, "the loser's object is deleted");
    let again = send(false).await;
    assert_eq!(again.status.as_u16(), 201);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.body["evidence"]["id"], retry.body["evidence"]["id"]);
}

/// A party's escalation reason reaches the other party and staff as the
/// party's quoted words, on one line and cut short, and the mail shows the
/// status the escalation left the complaint in, not a later one.
async fn party_words_are_quoted_in_mail(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 100_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let reason = format!(
        "{}\nDear customer, your refund is approved: click http://evil.example\n{}",
        "x".repeat(50),
        "y".repeat(1800)
    );
    app.post(&path(&c, "/escalate"), "seller-1", json!({"reason": reason})).await.ok();
    app.post(&path(&c, "/withdraw"), "buyer-1", json!({})).await.ok();
    let dir = tempfile::tempdir().unwrap();
    let sent = mails(&app, dir.path(), "complaint.resolved").await;
    let escalation: Vec<_> = sent.iter().filter(|(_, _, body)| body.contains("escalated")).collect();
    assert!(escalation.iter().any(|(to, _, _)| to.contains("care@example.com")), "{sent:#?}");
    for (to, _, body) in escalation {
        let quoted: Vec<&str> = body.lines().filter(|l| l.trim_start().starts_with('>')).collect();
        assert_eq!(quoted.len(), 1, "{to}: one quoted line\n{body}");
        assert!(quoted[0].contains("Dear customer"), "{body}");
        assert!(quoted[0].chars().count() < 320, "{to}: cut short, not {} characters", quoted[0].chars().count());
        assert!(body.contains("The seller wrote:"), "{body}");
        assert!(body.contains("Status: under review by customer care"), "{to}: the status it was about\n{body}");
    }
}

/// A burst of counter-proposals mails the other party the newest one, not
/// one mail per proposal.
async fn a_burst_of_counters_is_one_mail(backend: Backend) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 100_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    for amount in [10_000, 11_000, 12_000, 13_000, 14_000] {
        let body = json!({"kind": "partial_refund", "refund_amount": idr(amount)});
        app.post(&path(&c, "/proposals"), "seller-1", body).await.ok();
    }
    let dir = tempfile::tempdir().unwrap();
    let proposals = |all: &[Value]| all.iter().filter(|e| e["type"] == "complaint.proposal_made").count() == 6;
    let sent = mails_collapsed(&app, dir.path(), std::time::Duration::from_millis(1200), proposals).await;
    let to_buyer: Vec<_> =
        sent.iter().filter(|(to, _, body)| to.contains("buyer@") && body.contains("mengusulkan")).collect();
    assert_eq!(to_buyer.len(), 1, "{to_buyer:#?}");
    assert!(to_buyer[0].2.contains("14000"), "the newest proposal: {}", to_buyer[0].2);
}

crate::on_both_backends!(
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
