//! What the service keeps: sent mail and acknowledged webhooks for
//! RC_RETENTION (30 days by default), idempotency keys for a day; what is
//! still to be delivered, or was given up, stays.

use diesel::prelude::*;
use resolution_center::store::{dialect, idempotency, mail, schema, webhooks};

use crate::helpers::{spawn_app, Backend};

fn days_ago(n: i64) -> chrono::NaiveDateTime {
    (chrono::Utc::now() - chrono::Duration::days(n)).naive_utc()
}

fn new_mail(id: &str, created: chrono::NaiveDateTime) -> mail::NewMail {
    mail::NewMail {
        id: id.into(),
        event_id: None,
        complaint_id: None,
        recipient_role: "buyer".into(),
        address: "buyer@example.com".into(),
        locale: "en".into(),
        subject: "s".into(),
        body: "b".into(),
        reminder_for: None,
        created_at: created,
        next_attempt_at: created,
        collapse_key: None,
        reminder_request: None,
    }
}

fn attempt(event_id: &str, n: i32, at: chrono::NaiveDateTime) -> webhooks::Attempt {
    webhooks::Attempt { event_id: event_id.into(), attempt: n, at, status: Some(500), error: None, duration_ms: 1 }
}

async fn retention_deletes_only_what_was_delivered_long_ago(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut conn = dialect::connect(&app.db_url).unwrap();

    let mails = [("old-sent", 40), ("recent-sent", 1), ("old-unsent", 40), ("old-given-up", 40)];
    for (id, age) in mails {
        mail::enqueue(&mut conn, &[new_mail(id, days_ago(age))]).unwrap();
    }
    mail::record(&mut conn, "old-sent", days_ago(40), mail::Outcome::Sent).unwrap();
    mail::record(&mut conn, "recent-sent", days_ago(1), mail::Outcome::Sent).unwrap();
    mail::record(&mut conn, "old-given-up", days_ago(37), mail::Outcome::GiveUp("refused".into())).unwrap();

    for (id, age) in [("evt-old", 40), ("evt-recent", 1), ("evt-pending", 40), ("evt-given-up", 40)] {
        let at = days_ago(age);
        let row =
            webhooks::NewDelivery { event_id: id.into(), payload: "{}".into(), created_at: at, next_attempt_at: at };
        webhooks::enqueue(&mut conn, &[row]).unwrap();
    }
    webhooks::record(&mut conn, &attempt("evt-old", 1, days_ago(40)), webhooks::Outcome::RetryAt(days_ago(40)))
        .unwrap();
    webhooks::record(&mut conn, &attempt("evt-old", 2, days_ago(39)), webhooks::Outcome::Delivered).unwrap();
    webhooks::record(&mut conn, &attempt("evt-recent", 1, days_ago(1)), webhooks::Outcome::Delivered).unwrap();
    webhooks::record(&mut conn, &attempt("evt-pending", 1, days_ago(40)), webhooks::Outcome::RetryAt(days_ago(1)))
        .unwrap();
    webhooks::record(&mut conn, &attempt("evt-given-up", 1, days_ago(37)), webhooks::Outcome::GiveUp).unwrap();

    let purged = app.app.purge_delivered(chrono::Utc::now()).await.unwrap();
    assert_eq!((purged.mails, purged.webhook_deliveries), (1, 1));
    let mut kept: Vec<String> =
        schema::mail_deliveries::table.select(schema::mail_deliveries::id).load(&mut conn).unwrap();
    kept.sort();
    assert_eq!(kept, ["old-given-up", "old-unsent", "recent-sent"]);
    let mut kept: Vec<String> =
        schema::webhook_deliveries::table.select(schema::webhook_deliveries::event_id).load(&mut conn).unwrap();
    kept.sort();
    assert_eq!(kept, ["evt-given-up", "evt-pending", "evt-recent"]);
    let mut attempts: Vec<String> =
        schema::webhook_attempts::table.select(schema::webhook_attempts::event_id).load(&mut conn).unwrap();
    attempts.sort();
    assert_eq!(attempts, ["evt-given-up", "evt-pending", "evt-recent"], "the old delivery's attempts went with it");
    assert_eq!(app.app.purge_delivered(chrono::Utc::now()).await.unwrap(), Default::default());

    // Keys expire after a day, deleted a batch at a time.
    for (n, hours) in [(1, 30), (2, 29), (3, 28), (4, 2)] {
        idempotency::claim(
            &mut conn,
            "buyer-1",
            &format!("k-{n}"),
            "fp",
            (chrono::Utc::now() - chrono::Duration::hours(hours)).naive_utc(),
        )
        .unwrap();
    }
    let day_ago = days_ago(1);
    assert_eq!(idempotency::purge(&mut conn, day_ago, 2).unwrap(), 2, "one batch");
    assert_eq!(app.app.purge_idempotency_keys(chrono::Utc::now()).await.unwrap(), 1);
    let keys: Vec<String> =
        schema::idempotency_keys::table.select(schema::idempotency_keys::key).load(&mut conn).unwrap();
    assert_eq!(keys, ["k-4"]);
}

crate::on_both_backends!(retention_deletes_only_what_was_delivered_long_ago);
