//! What the marketplace hears (DESIGN §6): the outbox events a change to a
//! complaint publishes, with amounts as Money and the parties named.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::event_data as data;
use super::ids::new_id;
use crate::domain::{Actor, Complaint, Event, EventType, Sanction, Visibility};
use crate::store::outbox::NewOutboxEvent;
use crate::store::to_db;

pub(crate) struct Published {
    pub events: Vec<NewOutboxEvent>,
    /// The id of `complaint.resolved`: the settlement's idempotency key.
    pub resolved_event_id: Option<String>,
}

fn typed(data: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(data).expect("event data serializes")
}

fn money(c: &Complaint, amount: i64) -> serde_json::Value {
    json!({ "amount": amount, "currency": c.currency.code() })
}

/// The events `events` (by `actor`) publish about `after`, the complaint they produced.
pub(crate) fn complaint_events(
    before: Option<&Complaint>,
    after: &Complaint,
    actor: &Actor,
    events: &[Event],
    at: DateTime<Utc>,
) -> Published {
    let occurred_at = to_db(at);
    let mut out: Vec<NewOutboxEvent> = Vec::new();
    let mut publish = |kind: EventType, data: serde_json::Value| -> String {
        let id = new_id("evt");
        out.push(NewOutboxEvent {
            id: id.clone(),
            kind: kind.as_str().into(),
            complaint_id: Some(after.id.clone()),
            data: data.to_string(),
            occurred_at,
        });
        id
    };
    // `status` is where the change left the complaint, so a consumer (and
    // the mail) reads the status the event was about, not a later one.
    // What every complaint event names (`ComplaintRef`, the schema's own).
    let base = |c: &Complaint| typed(&data::ComplaintRef::of(c));
    let with = |mut v: serde_json::Value, extra: serde_json::Value| {
        if let (Some(m), Some(e)) = (v.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        v
    };
    let mut resolved_event_id = None;
    for e in events {
        match e {
            Event::Opened { reason, opened_by, .. } => {
                publish(
                    EventType::ComplaintOpened,
                    with(
                        base(after),
                        json!({
                            "reason": reason,
                            "opened_by": opened_by,
                            "held_amount": money(after, after.held_amount),
                            "disputed_amount": money(after, after.disputed_amount),
                            // The marketplace must not auto-release the money while the complaint runs.
                            "hold_escrow": true,
                        }),
                    ),
                );
            }
            Event::ProposalMade { proposal, .. } => {
                publish(
                    EventType::ProposalMade,
                    with(
                        base(after),
                        json!({ "proposal": {
                            "id": proposal.id, "author_role": proposal.author_role, "kind": proposal.kind,
                            "refund_amount": money(after, proposal.refund_amount), "required": proposal.required,
                        }}),
                    ),
                );
            }
            Event::ConsensusReached { proposal_id, kind, refund_amount, fulfilment, .. } => {
                publish(
                    EventType::Agreed,
                    with(
                        base(after),
                        json!({
                            "proposal_id": proposal_id, "kind": kind, "refund_amount": money(after, *refund_amount),
                            "fulfilment": fulfilment.as_ref().map(|f| f.kind),
                        }),
                    ),
                );
            }
            Event::MessagePosted { message_id, body, evidence_ids, visibility: Visibility::Parties } => {
                let data = data::MessagePosted {
                    complaint: data::ComplaintRef::of(after),
                    message_id: message_id.clone(),
                    author_role: actor.role,
                    body: body.clone(),
                    evidence_ids: evidence_ids.clone(),
                };
                publish(EventType::MessagePosted, typed(&data));
            }
            // A staff note stays with staff: it is not published.
            Event::MessagePosted { .. } => {}
            Event::ProposalRejected { proposal_id, by, note, deadline, .. } => {
                let data = data::ProposalRejected {
                    complaint: data::ComplaintRef::of(after),
                    proposal_id: proposal_id.clone(),
                    by: *by,
                    note: note.clone(),
                    deadline: deadline.as_ref().map(Into::into),
                };
                publish(EventType::ProposalRejected, typed(&data));
            }
            Event::EvidenceRequested { request } => {
                publish(EventType::EvidenceRequested, typed(&data::EvidenceRequested::of(after, request)));
            }
            Event::EvidenceOverdue { request_ids } => {
                publish(EventType::EvidenceOverdue, typed(&data::EvidenceOverdue::of(after, request_ids)));
            }
            Event::EvidenceAdded { file } => {
                publish(EventType::EvidenceAdded, typed(&data::EvidenceAdded::of(before, after, file)));
            }
            Event::EvidenceCompleted { deadline } => {
                let data =
                    data::EvidenceCompleted { complaint: data::ComplaintRef::of(after), deadline: deadline.into() };
                publish(EventType::EvidenceCompleted, typed(&data));
            }
            Event::FulfilmentStepped { action, fulfilment, deadline, by_timer } => {
                let data = data::FulfilmentStepped::of(after, *action, fulfilment, deadline.as_ref(), *by_timer);
                publish(EventType::FulfilmentStep, typed(&data));
            }
            Event::Assigned { assignee_id } => {
                let data =
                    data::Assignment { complaint: data::ComplaintRef::of(after), assignee_id: assignee_id.clone() };
                publish(EventType::Assigned, typed(&data));
            }
            Event::Unassigned { assignee_id } => {
                let data =
                    data::Assignment { complaint: data::ComplaintRef::of(after), assignee_id: assignee_id.clone() };
                publish(EventType::Unassigned, typed(&data));
            }
            Event::Escalated { by, reason, .. } => {
                publish(EventType::Escalated, with(base(after), json!({ "by": by, "reason": reason })));
            }
            Event::Decided { decision: d } => {
                publish(
                    EventType::Decided,
                    with(
                        base(after),
                        json!({ "decision": {
                            "id": d.id, "outcome": d.outcome, "refund_amount": money(after, d.refund_amount),
                            "seller_at_fault": d.seller_at_fault, "reason_code": d.reason_code,
                            "evidence_ids": d.evidence_ids, "rationale": d.rationale, "staff_id": actor.id,
                        }}),
                    ),
                );
            }
            Event::Resolved { by, refund_to_buyer, release_to_seller } => {
                // The payment system moves the money once per settlement: this
                // event's id is its idempotency key.
                resolved_event_id = Some(publish(
                    EventType::Resolved,
                    with(
                        base(after),
                        json!({ "settlement": {
                            "resolved_by": by, "held_amount": money(after, after.held_amount),
                            "refund_to_buyer": money(after, *refund_to_buyer),
                            "release_to_seller": money(after, *release_to_seller),
                            "resolved_at": at,
                        }}),
                    ),
                ));
            }
            _ => {}
        }
    }
    Published { events: out, resolved_event_id }
}

/// `seller.sanctioned`: a decision with the seller at fault added a violation.
/// An event about a seller, not tied to a complaint.
pub(crate) fn seller_event(kind: EventType, data: serde_json::Value, at: DateTime<Utc>) -> NewOutboxEvent {
    NewOutboxEvent {
        id: new_id("evt"),
        kind: kind.as_str().into(),
        complaint_id: None,
        data: data.to_string(),
        occurred_at: to_db(at),
    }
}

pub(crate) fn seller_sanctioned(c: &Complaint, decision_id: &str, s: &Sanction, at: DateTime<Utc>) -> NewOutboxEvent {
    NewOutboxEvent {
        id: new_id("evt"),
        kind: EventType::SellerSanctioned.as_str().into(),
        complaint_id: Some(c.id.clone()),
        data: json!({
            "seller_id": c.seller_id, "complaint_id": c.id, "decision_id": decision_id,
            "violation": s.ordinal, "suspended_until": s.suspended_until, "permanently_closed": s.permanent,
        })
        .to_string(),
        occurred_at: to_db(at),
    }
}
