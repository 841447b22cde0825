//! The outbox's consumers inside the service: mail and webhooks turned on
//! over a database that already holds events.

use std::time::Duration;

use resolution_center::startup;
use serde_json::json;

use crate::helpers::{spawn_app, Backend, TestApp};

/// Every mail file the service wrote, as text.
fn mail_files(app: &TestApp) -> Vec<String> {
    let dir = app.settings.data_dir.join("mail");
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect()
}

/// Opens a complaint, then turns mail on (`replay` as RC_OUTBOX_REPLAY),
/// opens another and waits for its mail; returns both ids and the mails.
async fn mail_turned_on_between_two_complaints(backend: Backend, replay: bool) -> (String, String, Vec<String>) {
    let app = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let before = app.open("ord-1", json!({"kind": "full_refund"})).await["id"].as_str().unwrap().to_string();
    app.events_when(|all| all.iter().any(|e| e["data"]["complaint_id"] == before.as_str())).await;

    let mut settings = app.settings.clone();
    settings.background_workers = true;
    settings.timer_interval = Duration::from_millis(50);
    settings.outbox_replay = replay;
    let workers = startup::start_workers(&settings, app.app.clone()).await.unwrap().expect("workers on");
    app.order("ord-2", 150_000).await;
    let after = app.open("ord-2", json!({"kind": "full_refund"})).await["id"].as_str().unwrap().to_string();
    let start = std::time::Instant::now();
    while !mail_files(&app).iter().any(|m| m.contains(&after)) {
        assert!(start.elapsed() < Duration::from_secs(10), "the complaint opened after mail was turned on got no mail");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Give a replay, had it been asked for, the time to reach the older one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    workers.stop().await;
    (before, after, mail_files(&app))
}

/// A mail consumer turned on over existing events starts at the feed's end:
/// the parties of the older complaint are not mailed about it now.
async fn a_new_consumer_does_not_replay_history(backend: Backend) {
    let (before, after, mails) = mail_turned_on_between_two_complaints(backend, false).await;
    assert_eq!(mails.iter().filter(|m| m.contains(&after)).count(), 2, "buyer and seller of the new complaint");
    assert!(!mails.iter().any(|m| m.contains(&before)), "history was mailed: {mails:?}");
}

/// With RC_OUTBOX_REPLAY the history is delivered too.
async fn a_replaying_consumer_delivers_history(backend: Backend) {
    let (before, _, mails) = mail_turned_on_between_two_complaints(backend, true).await;
    assert_eq!(mails.iter().filter(|m| m.contains(&before)).count(), 2, "the older complaint's two mails");
}

crate::on_both_backends!(a_new_consumer_does_not_replay_history, a_replaying_consumer_delivers_history);
