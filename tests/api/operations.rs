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
    let text = app.metrics_when(|m| m.contains("rc_complaints{status=\"awaiting_seller\"} 1")).await;
    let line = |prefix: &str| text.lines().find(|l| l.starts_with(prefix)).map(str::to_string);
    assert_eq!(
        line("rc_complaints{status=\"awaiting_seller\"}").as_deref(),
        Some("rc_complaints{status=\"awaiting_seller\"} 1"),
        "{text}"
    );
    assert_eq!(
        line("rc_complaints{status=\"under_review\"}").as_deref(),
        Some("rc_complaints{status=\"under_review\"} 0")
    );
    assert_eq!(line("rc_complaints{status=\"resolved\"}"), None, "resolved complaints are not counted");
    assert!(line("rc_figures_age_seconds").is_some(), "{text}");
    assert_eq!(line("rc_timers_overdue").as_deref(), Some("rc_timers_overdue 0"));
    let requests = line("rc_http_requests_total{endpoint=\"/v1/complaints/{id}\",method=\"GET\",status=\"200\"}");
    assert!(requests.is_some_and(|l| l.ends_with(" 1")), "requests by route and status: {text}");
    assert!(text.contains("rc_http_requests_duration_seconds_bucket{endpoint=\"/v1/complaints\",method=\"POST\""));
    assert!(text.contains("endpoint=\"UNMATCHED\""), "unknown paths do not each get a series");
}

/// `/metrics` is served from memory: with the database gone it still
/// answers, with the last figures and their age, while `/readyz` says 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_answer_while_the_database_is_down_on_postgres() {
    use diesel::{Connection, RunQueryDsl};
    let app = spawn_app(Backend::Postgres).await;
    app.order("ord-1", 150_000).await;
    app.open("ord-1", json!({"kind": "full_refund"})).await;
    let open = "rc_complaints{status=\"awaiting_seller\"} 1";
    assert!(app.metrics_when(|m| m.contains(open)).await.contains(open));

    let name = app.db_url.rsplit('/').next().unwrap().to_string();
    let mut admin = diesel::PgConnection::establish(&format!("{}/postgres", helpers::postgres_base())).unwrap();
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).unwrap();
    let age =
        |m: &str| m.lines().find_map(|l| l.strip_prefix("rc_figures_age_seconds ")).and_then(|v| v.parse::<f64>().ok());
    let text = app.metrics_when(|m| age(m).is_some_and(|a| a > 0.5)).await;
    assert!(age(&text).is_some_and(|a| a > 0.5), "the figures' age grows while they cannot be read: {text}");
    assert!(text.contains(open), "the last figures are still shown: {text}");
    let ready = app.client.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(ready.status(), 503);
}

crate::on_both_backends!(operations_endpoints_answer,);
