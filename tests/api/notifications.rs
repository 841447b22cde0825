//! Every party hears of every move (DESIGN §13): each move is an event of
//! the feed with the schema `openapi.yaml` gives its type, a staff note
//! never leaves staff, and one change is one mail per party.

use serde_json::{json, Value};

use crate::helpers::{idr, path, png, spawn_app, spawn_app_with, Backend, Options, TestApp};
use crate::integrity::mails;

/// The schema of each move's event type in the OpenAPI document.
fn schema_of(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "complaint.message_posted" => "MessagePosted",
        "complaint.proposal_rejected" => "ProposalRejected",
        "complaint.evidence_requested" => "EvidenceRequested",
        "complaint.evidence_added" => "EvidenceAdded",
        "complaint.evidence_overdue" => "EvidenceOverdue",
        "complaint.evidence_completed" => "EvidenceCompleted",
        "complaint.fulfilment_step" => "FulfilmentStepped",
        "complaint.assigned" | "complaint.unassigned" => "Assignment",
        _ => return None,
    })
}

/// Each event of these complaints whose type has a schema is valid by it.
fn assert_valid_by_their_schemas(events: &[&Value]) {
    let doc = serde_json::to_value(resolution_center::http::openapi::document()).unwrap();
    for e in events {
        let Some(name) = schema_of(e["type"].as_str().unwrap()) else { continue };
        let schema = json!({"$ref": format!("#/components/schemas/{name}"), "components": doc["components"]});
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator.iter_errors(&e["data"]).map(|err| err.to_string()).collect();
        assert!(errors.is_empty(), "{} is not a valid {name}: {errors:?}\n{e}", e["type"]);
    }
}

fn events_of<'a>(all: &'a [Value], c: &Value) -> Vec<&'a Value> {
    all.iter().filter(|e| e["data"]["complaint_id"] == c["id"]).collect()
}

fn types<'a>(events: &[&'a Value]) -> Vec<&'a str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

async fn every_move_is_published_with_its_schema(backend: Backend) {
    let app = spawn_app(backend).await;

    // Negotiation and a return: a rejection, messages, a staff note, the steps.
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let pid = c["pending_proposal"]["id"].as_str().unwrap();
    let note = json!({"note": "The box was intact when it left."});
    app.post(&path(&c, &format!("/proposals/{pid}/reject")), "seller-1", note).await.ok();
    app.post(&path(&c, "/messages"), "buyer-1", json!({"body": "The glass is cracked."})).await.ok();
    let secret = json!({"body": "Seller has three similar cases.", "visibility": "staff"});
    app.post(&path(&c, "/messages"), "staff-1", secret).await.ok();
    let offer = json!({"kind": "return_and_refund", "refund_amount": idr(150_000)});
    let countered = app.post(&path(&c, "/proposals"), "seller-1", offer).await.ok().clone();
    let pid = countered["pending_proposal"]["id"].as_str().unwrap();
    app.post(&path(&c, &format!("/proposals/{pid}/accept")), "buyer-1", json!({})).await.ok();
    let shipped = json!({"step": "return_shipped", "tracking_number": "JNE-77", "carrier": "JNE"});
    app.post(&path(&c, "/fulfilment"), "buyer-1", shipped).await.ok();
    app.post(&path(&c, "/fulfilment"), "seller-1", json!({"step": "return_received"})).await.ok();

    // Review: assignment, an evidence request the buyer's photo answers, unassignment.
    app.order("ord-2", 150_000).await;
    let d = app.open("ord-2", json!({"kind": "full_refund"})).await;
    app.post(&path(&d, "/escalate"), "seller-1", json!({"reason": "We cannot agree."})).await.ok();
    app.post(&path(&d, "/assign"), "staff-1", json!({})).await.ok();
    let due = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let asked = json!({"party": "buyer", "kinds": ["photo"], "due_at": due, "note": "A photo of the crack, please."});
    let requested = app.post(&path(&d, "/evidence-requests"), "staff-1", asked).await.ok().clone();
    let request_id = requested["evidence_requests"][0]["id"].clone();
    crate::evidence::upload(&app, &d, "buyer-1", "photo", png(), "image/png", "crack.png").await.ok();
    app.post(&path(&d, "/unassign"), "staff-1", json!({})).await.ok();

    let all = app.events_when(|all| all.iter().any(|e| e["type"] == "complaint.unassigned")).await;
    let first = events_of(&all, &c);
    assert_eq!(
        types(&first),
        [
            "complaint.opened",
            "complaint.proposal_made",
            "complaint.proposal_rejected",
            "complaint.message_posted",
            "complaint.proposal_made",
            "complaint.agreed",
            "complaint.fulfilment_step",
            "complaint.fulfilment_step",
            "complaint.resolved",
        ],
        "one event per move, the staff note none"
    );
    let rejected = first[2];
    assert_eq!(
        (rejected["data"]["by"].as_str(), rejected["data"]["note"].as_str()),
        (Some("seller"), Some("The box was intact when it left."))
    );
    assert_eq!(first[3]["data"]["author_role"], "buyer");
    assert_eq!(first[6]["data"]["tracking_number"], "JNE-77");
    assert_eq!(first[6]["data"]["step"], "in_transit");
    assert!(!all.iter().any(|e| e.to_string().contains("three similar cases")), "a staff note never leaves staff");

    let second = events_of(&all, &d);
    let moves: Vec<&str> = types(&second).into_iter().skip(3).collect();
    assert_eq!(
        moves,
        ["complaint.assigned", "complaint.evidence_requested", "complaint.evidence_added", "complaint.unassigned"]
    );
    assert_eq!(second[4]["data"]["party"], "buyer");
    assert_eq!(second[5]["data"]["fulfils_requests"], json!([request_id]), "the photo answers the request");
    assert_eq!(second[6]["data"]["assignee_id"], "staff-1");

    assert_valid_by_their_schemas(&first);
    assert_valid_by_their_schemas(&second);
}

/// An agreement that settles at once is one mail to each party, saying both;
/// a staff note reaches no party; a rejection reaches the proposal's author.
async fn one_change_is_one_mail_per_party(backend: Backend) {
    let app: TestApp = spawn_app(backend).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    let secret = json!({"body": "Seller has three similar cases.", "visibility": "staff"});
    app.post(&path(&c, "/messages"), "staff-1", secret).await.ok();
    let offer = json!({"kind": "partial_refund", "refund_amount": idr(50_000)});
    let countered = app.post(&path(&c, "/proposals"), "seller-1", offer).await.ok().clone();
    let pid = countered["pending_proposal"]["id"].as_str().unwrap();
    let no = json!({"note": "Fifty is too little."});
    app.post(&path(&c, &format!("/proposals/{pid}/reject")), "buyer-1", no).await.ok();
    let offer = json!({"kind": "partial_refund", "refund_amount": idr(90_000)});
    let countered = app.post(&path(&c, "/proposals"), "seller-1", offer).await.ok().clone();
    let pid = countered["pending_proposal"]["id"].as_str().unwrap();
    app.post(&path(&c, &format!("/proposals/{pid}/accept")), "buyer-1", json!({})).await.ok();

    let dir = tempfile::tempdir().unwrap();
    let sent = mails(&app, dir.path(), "complaint.resolved").await;
    let to = |who: &str| sent.iter().filter(|(t, _, _)| t.contains(who)).collect::<Vec<_>>();
    // The seller writes in English, the buyer in Indonesian (their contacts' locales).
    let seller = to("seller@example.com");
    let agreed: Vec<_> = seller.iter().filter(|(_, _, b)| b.contains("Both parties agreed")).collect();
    assert_eq!(agreed.len(), 1, "{seller:#?}");
    assert!(agreed[0].2.contains("The complaint is resolved"), "one mail says both: {}", agreed[0].2);
    assert_eq!(
        seller.iter().filter(|(_, _, b)| b.contains("The complaint is resolved")).count(),
        1,
        "no second mail for it"
    );
    let rejection: Vec<_> = seller.iter().filter(|(_, _, b)| b.contains("Fifty is too little.")).collect();
    assert_eq!(rejection.len(), 1, "the seller hears the buyer rejected their proposal: {seller:#?}");
    let buyer = to("buyer@example.com");
    assert_eq!(buyer.iter().filter(|(_, _, b)| b.contains("Kedua pihak menyepakati")).count(), 1, "{buyer:#?}");
    assert!(!buyer.iter().any(|(_, _, b)| b.contains("Fifty is too little.")), "the buyer wrote it");
    assert!(!sent.iter().any(|(_, _, b)| b.contains("three similar cases")), "a staff note reaches no one");
    // Each party's mail links the marketplace's page of the complaint.
    let link = format!("https://shop.example/complaints/{}?order=ord-1", c["id"].as_str().unwrap());
    assert!(agreed[0].2.contains(&format!("See the complaint and answer it here: {link}")), "{}", agreed[0].2);
    assert!(
        buyer.iter().all(|(_, _, b)| b.contains(&format!("Lihat dan tanggapi komplain di sini: {link}"))),
        "{buyer:#?}"
    );
    let care: Vec<_> = to("care@example.com");
    assert!(care.iter().all(|(_, _, b)| !b.contains("shop.example")), "staff mail has no marketplace link");
}

/// Evidence requests have teeth: past its due time an unanswered request is
/// marked overdue on the complaint, in the timeline and the staff queue, and
/// the party hears of it; a late file still answers it, and it is marked once.
async fn an_unanswered_evidence_request_turns_overdue(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    // Reminded a second before the due time.
    let mail =
        crate::helpers::mail_settings(&format!("file:{}", dir.path().display()), vec![chrono::Duration::seconds(1)]);
    let options =
        Options { timers: Some(std::time::Duration::from_millis(50)), mail: Some(mail), ..Options::default() };
    let app = spawn_app_with(backend, options).await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.post(&path(&c, "/escalate"), "seller-1", json!({"reason": "We cannot agree."})).await.ok();
    app.post(&path(&c, "/assign"), "staff-1", json!({})).await.ok();
    let due = (chrono::Utc::now() + chrono::Duration::milliseconds(1500)).to_rfc3339();
    let asked = json!({"party": "buyer", "kinds": ["photo", "video"], "due_at": due});
    app.post(&path(&c, "/evidence-requests"), "staff-1", asked).await.ok();
    crate::evidence::upload(&app, &c, "buyer-1", "photo", png(), "image/png", "crack.png").await.ok();
    let id = c["id"].as_str().unwrap();
    assert_eq!(app.get(&path(&c, ""), "buyer-1").await.ok()["evidence_requests"][0]["status"], "open", "not due yet");

    let late = app.complaint_when(id, "staff-1", |c| c["evidence_requests"][0]["status"] == "overdue").await;
    assert_eq!(late["evidence_requests"][0]["status"], "overdue", "{late}");
    assert!(late["evidence_requests"][0]["overdue_at"].is_string());
    let queue = app.get("/v1/arbitration/queue", "staff-1").await.ok().clone();
    assert_eq!(queue["data"][0]["complaint"]["evidence_requests"][0]["status"], "overdue", "the queue shows it");
    assert_eq!(app.timeline_entries(id, "evidence_overdue").await.len(), 1);
    let all = app.events_when(|all| all.iter().any(|e| e["type"] == "complaint.evidence_overdue")).await;
    let overdue: Vec<&Value> = all.iter().filter(|e| e["type"] == "complaint.evidence_overdue").collect();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["data"]["requests"][0]["missing"], json!(["video"]), "the photo came; the video did not");
    assert_valid_by_their_schemas(&overdue);

    // The late video still answers it; nothing is marked again.
    crate::evidence::upload(&app, &c, "buyer-1", "video", crate::helpers::mp4(0), "video/mp4", "unboxing.mp4")
        .await
        .ok();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let answered = app.get(&path(&c, ""), "staff-1").await.ok().clone();
    assert_eq!(answered["evidence_requests"][0]["status"], "fulfilled");
    assert_eq!(app.timeline_entries(id, "evidence_overdue").await.len(), 1, "marked once");

    // The service's own mailer sends it; read what it wrote.
    let start = std::time::Instant::now();
    let mut sent = mails(&app, dir.path(), "complaint.evidence_overdue").await;
    while !sent.iter().any(|(_, s, _)| s.contains("bukti terlambat")) && start.elapsed().as_secs() < 10 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        sent = mails(&app, dir.path(), "complaint.evidence_overdue").await;
    }
    let reminded: Vec<_> =
        sent.iter().filter(|(t, s, _)| t.contains("buyer@example.com") && s.contains("bukti ditunggu")).collect();
    assert_eq!(reminded.len(), 1, "one reminder before the due time: {sent:#?}");
    assert!(reminded[0].2.contains("Pengingat") && reminded[0].2.contains("(video)"), "{}", reminded[0].2);
    let buyer: Vec<_> =
        sent.iter().filter(|(t, s, _)| t.contains("buyer@example.com") && s.contains("bukti terlambat")).collect();
    assert_eq!(buyer.len(), 1, "{sent:#?}");
    assert!(buyer[0].2.contains("(video)"), "{}", buyer[0].2);
    assert!(
        !sent.iter().any(|(t, s, _)| t.contains("seller@example.com") && s.contains("overdue")),
        "not the seller's"
    );
}

/// The agent handling a case hears what the parties do on it, in the
/// agent's language; a staff note reaches no one.
async fn the_agent_hears_what_the_parties_do(backend: Backend) {
    let app = spawn_app(backend).await;
    let dewi = resolution_center::app::staff::NewStaff {
        id: "dewi".into(),
        name: "Dewi Lestari".into(),
        email: Some("dewi@example.com".into()),
        locale: "en".into(),
        time_zone: "Asia/Jakarta".into(),
    };
    app.app.add_staff(dewi, "correct horse battery".into()).await.unwrap();
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.post(&path(&c, "/messages"), "buyer-1", json!({"body": "Before review: nobody is assigned."})).await.ok();
    app.post(&path(&c, "/escalate"), "seller-1", json!({"reason": "We cannot agree."})).await.ok();
    app.post(&path(&c, "/assign"), "staff-1", json!({"assignee_id": "dewi"})).await.ok();
    app.post(&path(&c, "/messages"), "buyer-1", json!({"body": "The courier dropped it."})).await.ok();
    crate::evidence::upload(&app, &c, "seller-1", "photo", png(), "image/png", "packed.png").await.ok();
    let secret = json!({"body": "Seller has three similar cases.", "visibility": "staff"});
    app.post(&path(&c, "/messages"), "staff-1", secret).await.ok();

    let dir = tempfile::tempdir().unwrap();
    let sent = mails(&app, dir.path(), "complaint.evidence_added").await;
    let agent: Vec<_> = sent.iter().filter(|(t, _, _)| t.contains("dewi@example.com")).collect();
    assert_eq!(agent.len(), 2, "{agent:#?}");
    assert_eq!(
        agent
            .iter()
            .filter(|(_, _, b)| b.contains("The buyer wrote:") && b.contains("The courier dropped it."))
            .count(),
        1
    );
    assert_eq!(agent.iter().filter(|(_, _, b)| b.contains("The seller added evidence: photo.")).count(), 1);
    assert!(!sent.iter().any(|(_, _, b)| b.contains("three similar cases")), "a staff note reaches no one");
}

crate::on_both_backends!(
    the_agent_hears_what_the_parties_do,
    every_move_is_published_with_its_schema,
    one_change_is_one_mail_per_party,
    an_unanswered_evidence_request_turns_overdue
);
