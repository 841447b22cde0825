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
    let body = json!({"order_id": "ord-2", "reason": "damaged", "description": "x", "requested_solution": {"kind": "full_refund"}});
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

crate::on_both_backends!(
    mail_reaches_each_party_in_their_language,
    reminders_go_before_the_deadline_and_only_while_it_runs,
);
