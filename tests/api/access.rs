//! Who sees and does what: strangers learn nothing, each role keeps to
//! its actions, staff notes stay with staff.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::{self, idr, path, spawn_app, Backend};

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
            json!({"outcome": "release", "seller_at_fault": false, "reason_code": "other", "rationale": "y"}),
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
    let none = helpers::answer(app.client.get(&url).send().await.unwrap()).await;
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
        let a = helpers::answer(app.client.get(&url).bearer_auth(token).send().await.unwrap()).await;
        a.problem(401, "unauthorized");
    }
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
    let bodies = |a: helpers::Answer| {
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

crate::on_both_backends!(strangers_see_nothing_and_roles_are_enforced, staff_notes_stay_with_staff,);
