//! Webhooks to a receiver that is not ours: it checks every signature with
//! the reference `standardwebhooks` package and fails the first attempts.

use std::time::Duration;

use base64::Engine;
use diesel::dsl::count_star;
use diesel::prelude::*;
use resolution_center::store::schema::webhook_attempts;
use serde_json::{json, Value};

use crate::helpers::{rand_bytes, spawn_app_with, Backend, Options, Receiver};

/// Every event of a flow reaches the receiver, signed, after two refused
/// attempts each, under the same `webhook-id` each time; every attempt is
/// recorded.
async fn every_event_reaches_the_receiver_signed_despite_failures(backend: Backend) {
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(rand_bytes()));
    let receiver = Receiver::start(&secret, 2);
    let options = Options {
        timers: Some(Duration::from_millis(50)),
        webhook: Some((receiver.url.clone(), secret)),
        ..Options::default()
    };
    let app = spawn_app_with(backend, options).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let id = c["id"].as_str().unwrap();
    let offer = json!({"kind": "partial_refund", "refund_amount": {"amount": 40_000, "currency": "IDR"}});
    let countered = app.post(&format!("/v1/complaints/{id}/proposals"), "seller-1", offer).await;
    let pid = countered.ok()["pending_proposal"]["id"].as_str().unwrap().to_string();
    app.post(&format!("/v1/complaints/{id}/proposals/{pid}/accept"), "buyer-1", json!({})).await.ok();

    let feed = app.events_when(|all| all.iter().any(|e| e["type"] == "complaint.resolved")).await;
    let delivered = |requests: &[Value]| {
        requests
            .iter()
            .filter(|r| r["status"] == 204)
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let start = std::time::Instant::now();
    while delivered(&receiver.requests()).len() < feed.len() && start.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let requests = receiver.requests();
    assert!(requests.iter().all(|r| r["verified"] == true), "every signature verifies: {requests:?}");
    let mut got = delivered(&requests);
    got.sort();
    let mut want: Vec<String> = feed.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    want.sort();
    assert_eq!(got, want, "every event once");
    for event in &feed {
        let tries: Vec<&Value> = requests.iter().filter(|r| r["id"] == event["id"]).collect();
        assert_eq!(tries.iter().map(|r| r["status"].as_u64().unwrap()).collect::<Vec<_>>(), [500, 500, 204]);
        assert_eq!(tries[2]["event"], *event, "the body is the feed's event");
    }
    // The receiver logs a request before it answers, and the service
    // records the attempt once the answer is in: wait for the last ones.
    let mut conn = app.app.db.conn().unwrap();
    let recorded = |conn: &mut resolution_center::store::DbConn| {
        webhook_attempts::table.select(count_star()).first::<i64>(conn).unwrap()
    };
    let start = std::time::Instant::now();
    while recorded(&mut conn) < 3 * feed.len() as i64 && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(recorded(&mut conn), 3 * feed.len() as i64, "every attempt is recorded");

    let failed = format!("rc_webhook_failed_attempts {}", 2 * feed.len());
    let text = app
        .metrics_when(|m| m.lines().any(|l| l == failed) && m.contains("rc_webhook_deliveries{state=\"failing\"} 0"))
        .await;
    assert!(text.lines().any(|l| l == failed), "{failed} in {text}");
    assert!(text.lines().any(|l| l == "rc_outbox_oldest_undelivered_seconds{consumer=\"webhooks\"} 0"), "{text}");
    assert!(text.lines().any(|l| l == "rc_webhook_deliveries{state=\"failing\"} 0"), "{text}");
}

crate::on_both_backends!(every_event_reaches_the_receiver_signed_despite_failures,);
