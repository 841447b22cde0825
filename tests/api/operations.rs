//! What operators read: health, readiness, the description and the metrics.

use serde_json::json;

use crate::helpers::{self, path, spawn_app, Backend};

async fn operations_endpoints_answer(backend: Backend) {
    let app = spawn_app(backend).await;
    let health = helpers::answer(app.client.get(format!("{}/healthz", app.base)).send().await.unwrap()).await;
    assert_eq!(health.ok()["status"], "ok");
    assert!(health.headers.contains_key("x-request-id"));
    let ready = helpers::answer(app.client.get(format!("{}/readyz", app.base)).send().await.unwrap()).await;
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

crate::on_both_backends!(operations_endpoints_answer,);
