//! Mail to a real SMTP server on loopback (aiosmtpd, storing a maildir):
//! recipients, subjects, language and deadline, each mail once, and nothing
//! lost while the server is down.

use std::time::Duration;

use resolution_center::config::MailSettings;
use resolution_center::domain::Policy;
use serde_json::{json, Value};

use crate::helpers::{mail_settings, spawn_app_with, Backend, Options, SmtpSink, TestApp};

fn mailer(sink: &SmtpSink, leads: Vec<chrono::Duration>) -> MailSettings {
    mail_settings(&format!("smtp://127.0.0.1:{}", sink.port), leads)
}

fn deadline_text(c: &Value) -> String {
    let at = chrono::DateTime::parse_from_rfc3339(c["deadline"]["at"].as_str().unwrap()).unwrap();
    at.with_timezone(&chrono::Utc).format("%Y-%m-%d %H:%M UTC").to_string()
}

fn to_of<'a>(
    mails: &'a [(std::collections::HashMap<String, String>, String)],
    address: &str,
) -> Vec<&'a (std::collections::HashMap<String, String>, String)> {
    mails.iter().filter(|(h, _)| h["to"].contains(address)).collect()
}

/// The SMTP server is down when the complaint opens; once it is up, the
/// buyer (Bahasa Indonesia) and the seller (English) each get their mail,
/// once, with the complaint's id and deadline; an escalation also reaches
/// the staff mailbox.
async fn mail_reaches_each_party_in_their_language(backend: Backend) {
    let mut sink = SmtpSink::new();
    let options =
        Options { timers: Some(Duration::from_millis(50)), mail: Some(mailer(&sink, vec![])), ..Options::default() };
    let app = spawn_app_with(backend, options).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let id = c["id"].as_str().unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    sink.start();

    let mails = sink.wait_for(2).await;
    assert_eq!(mails.len(), 2, "{mails:?}");
    let (buyer, seller) = (to_of(&mails, "buyer@example.com"), to_of(&mails, "seller@example.com"));
    assert_eq!((buyer.len(), seller.len()), (1, 1));
    let (h, body) = buyer[0];
    assert_eq!(h["subject"], format!("[Pusat Resolusi] Komplain {id}: komplain dibuat"));
    assert_eq!(h["content-language"], "id");
    assert!(body.contains(&format!("Pihak lain memiliki waktu hingga {}", deadline_text(&c))), "{body}");
    let (h, body) = seller[0];
    assert_eq!(h["subject"], format!("[Resolution Center] Complaint {id}: complaint opened"));
    assert_eq!(h["content-language"], "en");
    assert!(body
        .contains(&format!("It is your turn: please respond in the Resolution Center before {}", deadline_text(&c))));

    let escalated = app
        .post(&format!("/v1/complaints/{id}/escalate"), "seller-1", json!({"reason": "the photo is not of our item"}))
        .await;
    escalated.ok();
    let mails = sink.wait_for(5).await;
    let staff = to_of(&mails, "care@example.com");
    assert_eq!(staff.len(), 1, "{mails:?}");
    assert!(staff[0].0["subject"].ends_with("escalated to customer care"));
    assert!(staff[0].1.contains("the photo is not of our item"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mails = sink.messages();
    assert_eq!(mails.len(), 5, "each (event, recipient) once: {mails:?}");
    let mut ids: Vec<&String> = mails.iter().map(|(h, _)| &h["message-id"]).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5);
}

/// A party whose deadline is near gets one reminder; a reminder is never
/// sent for a deadline a later change replaced.
async fn reminders_go_before_the_deadline_and_only_while_it_runs(backend: Backend) {
    let mut sink = SmtpSink::new();
    sink.start();
    let policy = Policy {
        seller_response: chrono::Duration::seconds(8),
        buyer_response: chrono::Duration::hours(48),
        ..Policy::default()
    };
    let options = Options {
        policy,
        timers: Some(Duration::from_millis(50)),
        // Due from 6 s before the deadline for a second (L/6).
        mail: Some(mailer(&sink, vec![chrono::Duration::seconds(6), chrono::Duration::hours(24)])),
        ..Options::default()
    };
    let app: TestApp = spawn_app_with(backend, options).await;
    app.order("ord-1", 150_000).await;
    let silent = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.order("ord-2", 150_000).await;
    let body = json!({"order_id": "ord-2", "reason": "other", "description": "x", "requested_solution": {"kind": "full_refund"}});
    let answered = app.post("/v1/complaints", "buyer-1", body).await.ok().clone();
    let offer = json!({"kind": "partial_refund", "refund_amount": {"amount": 1, "currency": "IDR"}});
    app.post(&format!("/v1/complaints/{}/proposals", answered["id"].as_str().unwrap()), "seller-1", offer).await.ok();

    // Opened (2 mails each), the counter (1 to the buyer), then the reminder.
    let start = std::time::Instant::now();
    let reminders = |sink: &SmtpSink| {
        sink.messages().into_iter().filter(|(h, _)| h["subject"].contains("reminder")).collect::<Vec<_>>()
    };
    while reminders(&sink).is_empty() && start.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let got = reminders(&sink);
    assert_eq!(got.len(), 1, "one reminder, to the silent seller: {got:?}");
    assert!(got[0].0["to"].contains("seller@example.com"));
    assert!(got[0].0["subject"].contains(silent["id"].as_str().unwrap()));
    assert!(got[0].1.contains(&deadline_text(&silent)));
}

/// Deadlines spread over the next 24 hours, more than a page of them in
/// each lead's window: every due reminder is queued, once, and none for a
/// deadline outside the windows.
async fn reminders_over_a_day_of_deadlines_all_queue_once(backend: Backend) {
    use diesel::prelude::*;
    use resolution_center::notify::mail::{MailTransport, Mailer};
    use resolution_center::store::{dialect, schema};
    let app = crate::helpers::spawn_app(backend).await;
    let now = chrono::Utc::now();
    let hours = |h: f64| now + chrono::Duration::milliseconds((h * 3_600_000.0) as i64);
    // Leads 24 h and 4 h: due within (20 h, 24 h] and (3 h 20 m, 4 h].
    let due_24 = [20.5, 21.0, 22.0, 23.0, 23.9];
    let due_4 = [3.4, 3.7, 3.9];
    let not_due = [1.0, 10.0, 30.0];
    let mut conn = dialect::connect(&app.db_url).unwrap();
    let mut ids = Vec::new();
    for (i, h) in due_24.iter().chain(&due_4).chain(&not_due).enumerate() {
        let order = format!("ord-{i}");
        app.order(&order, 150_000).await;
        let id = app.open(&order, json!({"kind": "full_refund"})).await["id"].as_str().unwrap().to_string();
        let at = hours(*h).naive_utc();
        diesel::update(schema::complaints::table.find(&id))
            .set(schema::complaints::deadline_at.eq(Some(at)))
            .execute(&mut conn)
            .unwrap();
        ids.push(id);
    }
    let dir = tempfile::tempdir().unwrap();
    let mailer = Mailer {
        transport: MailTransport::from_url(&format!("file:{}", dir.path().display())).unwrap(),
        from: "Resolution Center <rc@example.com>".parse().unwrap(),
        staff_mailbox: None,
        reminder_leads: vec![chrono::Duration::hours(24), chrono::Duration::hours(4)],
        retry_base: Duration::from_millis(100),
        collapse_window: Duration::ZERO,
        reminder_page: 2,
        complaint_url: None,
    };
    assert_eq!(app.app.enqueue_reminders(&mailer, now).await.unwrap(), 8);
    assert_eq!(app.app.enqueue_reminders(&mailer, now).await.unwrap(), 0, "queued once");
    let m = schema::mail_deliveries::dsl::mail_deliveries;
    let queued: Vec<(Option<String>, String)> = m
        .filter(schema::mail_deliveries::reminder_for.is_not_null())
        .select((schema::mail_deliveries::complaint_id, schema::mail_deliveries::address))
        .load(&mut conn)
        .unwrap();
    let mut reminded: Vec<String> = queued.iter().map(|(c, _)| c.clone().unwrap()).collect();
    reminded.sort();
    let mut expected = ids[..8].to_vec();
    expected.sort();
    assert_eq!(reminded, expected, "every due deadline, and only those");
    assert!(queued.iter().all(|(_, to)| to == "seller@example.com"), "the seller is the one to answer");
}

crate::on_both_backends!(
    reminders_over_a_day_of_deadlines_all_queue_once,
    mail_reaches_each_party_in_their_language,
    reminders_go_before_the_deadline_and_only_while_it_runs,
);
