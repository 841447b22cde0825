//! Property tests of the state machine: random command sequences by random
//! actors, several complaints on one order, checked against the invariants
//! of DESIGN §3; and every action `allowed_actions` offers, sent with a valid
//! body, is accepted.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;

use super::*;

#[derive(Debug, Clone)]
enum Op {
    Propose(Role, ProposalKind, u8),
    /// Accept a proposal by its index among all proposals made so far.
    Accept(Role, usize),
    Reject(Role, usize),
    Fulfil(Role, FulfilmentAction, bool),
    Escalate(Role),
    Withdraw(Role),
    Assign,
    Unassign,
    Decide(Outcome, u8, bool),
    /// Let time pass, then fire the running deadline.
    Expire(u16),
    Message(Role),
    /// Staff ask a party for one or two kinds of evidence.
    RequestEvidence(Role, EvidenceKind, EvidenceKind),
    AddEvidence(Role, EvidenceKind),
    /// Once this complaint is resolved, its opener opens a new one on the
    /// order's hold of this index (modulo the order's holds).
    Reopen(usize),
}

fn kind() -> impl Strategy<Value = EvidenceKind> {
    prop::sample::select(EvidenceKind::ALL.to_vec())
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![Role::Buyer, Role::Seller, Role::Staff])
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (role(), prop::sample::select(ProposalKind::ALL.to_vec()), any::<u8>())
            .prop_map(|(r, k, f)| Op::Propose(r, k, f)),
        (role(), 0..8usize).prop_map(|(r, i)| Op::Accept(r, i)),
        (role(), 0..8usize).prop_map(|(r, i)| Op::Reject(r, i)),
        (role(), prop::sample::select(FulfilmentAction::ALL.to_vec()), any::<bool>())
            .prop_map(|(r, a, t)| Op::Fulfil(r, a, t)),
        role().prop_map(Op::Escalate),
        role().prop_map(Op::Withdraw),
        Just(Op::Assign),
        Just(Op::Unassign),
        (prop::sample::select(Outcome::ALL.to_vec()), any::<u8>(), any::<bool>())
            .prop_map(|(o, f, b)| Op::Decide(o, f, b)),
        (1..200u16).prop_map(Op::Expire),
        role().prop_map(Op::Message),
        (role(), kind(), kind()).prop_map(|(r, a, b)| Op::RequestEvidence(r, a, b)),
        (role(), kind()).prop_map(|(r, k)| Op::AddEvidence(r, k)),
        (0..3usize).prop_map(Op::Reopen),
    ]
}

fn actor(role: Role) -> Actor {
    let id = match role {
        Role::Buyer => "buyer",
        Role::Seller => "seller",
        Role::Staff => "staff",
        Role::System => "system",
    };
    Actor { id: id.into(), role }
}

/// The terms of hold `hold` of an order with `holds` holds (an order with
/// one is its own single amount), each holding `held`.
fn order(held: i64, holds: usize, hold: usize, settled: bool, digital: bool) -> OrderSnapshot {
    OrderSnapshot {
        digital,
        hold_id: (holds > 1).then(|| format!("m{hold}")),
        id: "ord".into(),
        buyer_id: "buyer".into(),
        seller_id: "seller".into(),
        amount: held,
        currency: "IDR".parse().unwrap(),
        status: OrderStatus::Delivered,
        delivered_at: None,
        auto_release_at: None,
        settled,
    }
}

fn opening(disputed: i64, n: usize, reason: Reason) -> OpenComplaint {
    let idr: Currency = "IDR".parse().unwrap();
    OpenComplaint {
        complaint_id: format!("cmp_{n}"),
        proposal_id: "prp_0".into(),
        reason,
        description: "d".into(),
        disputed_amount: Some(Money::new(disputed, idr)),
        // A seller asks for the release of the hold; a buyer for a refund.
        requested_kind: if reason == Reason::NotReleased { ProposalKind::Release } else { ProposalKind::FullRefund },
        requested_refund: None,
        note: None,
    }
}

/// Who opens a complaint of this reason: the seller asks for arbitration
/// over a hold the buyer does not release; the buyer complains of the rest.
fn opener(reason: Reason) -> Actor {
    actor(if reason == Reason::NotReleased { Role::Seller } else { Role::Buyer })
}

/// The command a client sends for an offered `action`, with a body valid
/// by the documented rules.
fn offered(c: &Complaint, action: Action, n: usize, now: DateTime<Utc>) -> Command {
    let shipped = |action| Command::Fulfil { action, tracking_number: Some("T1".into()), carrier: Some("JNE".into()) };
    let received = |action| Command::Fulfil { action, tracking_number: None, carrier: None };
    let pending = || c.pending_proposal().expect("an answer is offered only with a pending proposal").id.clone();
    match action {
        Action::PostMessage => Command::PostMessage {
            message_id: format!("msg_o{n}"),
            body: "b".into(),
            evidence_ids: vec![],
            visibility: Visibility::Parties,
        },
        Action::UploadEvidence | Action::ProvideEvidence => Command::AddEvidence(EvidenceFile {
            evidence_id: format!("evd_o{n}"),
            kind: EvidenceKind::Photo,
            media_type: "image/png".into(),
            size_bytes: 1,
            sha256: None,
            file_name: None,
            description: None,
            uploader_role: Role::System,
        }),
        Action::RequestEvidence => Command::RequestEvidence {
            request_id: format!("evq_o{n}"),
            party: Role::Seller,
            kinds: vec![EvidenceKind::Photo],
            due_at: now + Duration::days(1),
            note: None,
        },
        Action::Counter => Command::Propose {
            proposal_id: format!("prp_o{n}"),
            // A solution that fits the reason: nothing to return for some.
            kind: if solution_fits(c.reason, ProposalKind::ReturnAndRefund) {
                ProposalKind::ReturnAndRefund
            } else {
                ProposalKind::FullRefund
            },
            refund_amount: None,
            note: Some("n".into()),
        },
        Action::AcceptProposal => Command::Accept { proposal_id: pending() },
        Action::RejectProposal => Command::Reject { proposal_id: pending(), note: "no".into() },
        Action::MarkReturnShipped => shipped(FulfilmentAction::ReturnShipped),
        Action::MarkReplacementShipped => shipped(FulfilmentAction::ReplacementShipped),
        Action::ConfirmReturnReceived => received(FulfilmentAction::ReturnReceived),
        Action::ConfirmReplacementReceived => received(FulfilmentAction::ReplacementReceived),
        Action::Escalate => Command::Escalate { reason: "r".into() },
        Action::Withdraw => Command::Withdraw { note: Some("found it".into()) },
        Action::Assign => Command::Assign { assignee_id: "staff".into() },
        Action::Unassign => Command::Unassign,
        Action::Decide => Command::Decide {
            decision_id: format!("dec_o{n}"),
            outcome: Outcome::Release,
            refund_amount: None,
            seller_at_fault: false,
            reason_code: "other".into(),
            evidence_ids: vec![],
            rationale: "y".into(),
        },
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_command_sequences_keep_the_invariants(held in 1..10_000_000i64, share in 1..=100i64, holds in 1..=3usize, digital in any::<bool>(), reason in prop::sample::select(Reason::ALL.to_vec()), ops in prop::collection::vec(op(), 1..40)) {
        let disputed = (held * share / 100).max(1);
        let policy = Policy::default();
        let mut now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let (mut c, _) = open(&order(held, holds, 0, false, digital), &opener(reason), opening(disputed, 0, reason), now, &policy).unwrap();
        if reason == Reason::NotReleased {
            prop_assert_eq!((c.opened_by, c.status), (Role::Seller, Status::UnderReview), "a seller's request goes to arbitration at once");
            prop_assert_eq!(&c.pending_proposal().unwrap().required, &vec![Role::Buyer], "the buyer answers it");
        }
        let idr = c.currency;
        // Settlements of this complaint, and of each hold of the order over all its complaints.
        let (mut settlements, mut of_hold, mut hold) = (0, vec![0usize; holds], 0usize);
        let mut reviewed = false;
        for (n, op) in ops.into_iter().enumerate() {
            now += Duration::minutes(5);
            // Whatever is offered to anyone, sent with a valid body, is accepted.
            for who in [Role::Buyer, Role::Seller, Role::Staff].map(actor) {
                for action in allowed_actions(&c, &who, now) {
                    let cmd = offered(&c, action, n, now);
                    let answer = decide(&c, &who, cmd.clone(), now, &policy);
                    prop_assert!(answer.is_ok(), "{action} is offered to the {} but {cmd:?} gets {answer:?}", who.role);
                }
            }
            if let Op::Reopen(i) = op {
                if c.status == Status::Resolved {
                    // A hold is settled once any complaint on it resolved; the others stay open to complaints.
                    let h = i % holds;
                    match open(&order(held, holds, h, of_hold[h] > 0, digital), &opener(reason), opening(disputed, n + 1, reason), now, &policy) {
                        Ok((next, _)) => {
                            prop_assert_eq!(of_hold[h], 0, "a settled hold is never disputed again");
                            prop_assert_eq!(&next.hold_id, &order(held, holds, h, false, digital).hold_id, "the complaint is on the hold it names");
                            (c, settlements, reviewed, hold) = (next, 0, false, h);
                        }
                        Err(e) => prop_assert!(matches!(e, DomainError::HoldSettled(_)) && of_hold[h] > 0, "{e:?}"),
                    }
                }
                continue;
            }
            let frac = |f: u8| Money::new(disputed * i64::from(f) / 255, idr);
            let (who, cmd) = match op {
                Op::Propose(r, kind, f) => (actor(r), Command::Propose { proposal_id: format!("prp_{}", n + 1), kind, refund_amount: Some(frac(f)).filter(|_| kind == ProposalKind::PartialRefund), note: None }),
                Op::Accept(r, i) => (actor(r), Command::Accept { proposal_id: c.proposals.get(i % c.proposals.len()).unwrap().id.clone() }),
                Op::Reject(r, i) => (actor(r), Command::Reject { proposal_id: c.proposals.get(i % c.proposals.len()).unwrap().id.clone(), note: "no".into() }),
                Op::Fulfil(r, action, tracking) => (actor(r), Command::Fulfil { action, tracking_number: tracking.then(|| "T1".into()), carrier: None }),
                Op::Escalate(r) => (actor(r), Command::Escalate { reason: "r".into() }),
                Op::Withdraw(r) => (actor(r), Command::Withdraw { note: None }),
                Op::Assign => (actor(Role::Staff), Command::Assign { assignee_id: "staff".into() }),
                Op::Unassign => (actor(Role::Staff), Command::Unassign),
                Op::Decide(outcome, f, fault) => (actor(Role::Staff), Command::Decide { decision_id: format!("dec_{n}"), outcome, refund_amount: Some(frac(f)).filter(|_| outcome != Outcome::Release), seller_at_fault: fault, reason_code: "other".into(), evidence_ids: vec![], rationale: "y".into() }),
                Op::Expire(hours) => {
                    now += Duration::hours(i64::from(hours));
                    (Actor::system(), Command::ExpireDeadline)
                }
                Op::Message(r) => (actor(r), Command::PostMessage { message_id: format!("msg_{n}"), body: "b".into(), evidence_ids: vec![], visibility: Visibility::Parties }),
                Op::RequestEvidence(party, a, b) => (actor(Role::Staff), Command::RequestEvidence { request_id: format!("evq_{n}"), party, kinds: vec![a, b], due_at: now + Duration::days(1), note: None }),
                Op::AddEvidence(r, kind) => (actor(r), Command::AddEvidence(EvidenceFile { evidence_id: format!("evd_{n}"), kind, media_type: "image/png".into(), size_bytes: 1, sha256: None, file_name: None, description: None, uploader_role: Role::System })),
                Op::Reopen(_) => unreachable!("handled above"),
            };
            let accepting_superseded = match &cmd {
                Command::Accept { proposal_id } => c.proposals.iter().any(|p| &p.id == proposal_id && p.status == ProposalStatus::Superseded),
                _ => false,
            };
            let was_resolved = c.status == Status::Resolved;
            match decide(&c, &who, cmd, now, &policy) {
                Ok(events) => {
                    prop_assert!(!was_resolved, "nothing changes a resolved complaint");
                    prop_assert!(!accepting_superseded, "a superseded proposal cannot be accepted");
                    let resolved = events.iter().filter(|e| matches!(e, Event::Resolved { .. })).count();
                    settlements += resolved;
                    of_hold[hold] += resolved;
                    for e in &events {
                        c.apply(e, now);
                    }
                }
                Err(e) => {
                    if was_resolved {
                        prop_assert_eq!(e, DomainError::Resolved);
                    }
                }
            }
            prop_assert!(c.proposals.iter().filter(|p| p.status == ProposalStatus::Pending).count() <= 1, "at most one pending proposal");
            if c.status == Status::AwaitingEvidence {
                prop_assert!(c.missing_evidence().count() > 0, "awaiting evidence only while some is missing");
                prop_assert!(!c.seller_answered, "the seller is not asked before the buyer's evidence is complete");
            }
            reviewed |= c.status == Status::UnderReview;
            if matches!(c.status, Status::AwaitingSeller | Status::AwaitingBuyer) {
                prop_assert_eq!(c.missing_evidence().count(), 0, "the parties negotiate only once the buyer's evidence is complete");
            }
            if c.status == Status::AwaitingFulfilment && c.missing_evidence().count() > 0 {
                // Staff who take an incomplete complaint to review waive its checklist; the parties may then agree.
                prop_assert!(reviewed, "an agreement with the buyer's evidence missing is reached only under review");
            }
            prop_assert!(settlements <= 1, "at most one settlement");
            prop_assert!(of_hold.iter().all(|n| *n <= 1), "each hold settled once, however many complaints: {of_hold:?}");
            for r in &c.evidence_requests {
                prop_assert!(matches!(r.party, Role::Buyer | Role::Seller), "evidence is asked of a party");
                prop_assert!(r.provided.iter().all(|k| r.kinds.contains(k)), "only asked-for kinds count");
                prop_assert_eq!(r.fulfilled_at.is_some(), r.kinds.iter().all(|k| r.provided.contains(k)), "fulfilled exactly when every kind was provided");
            }
            if let Some(r) = &c.resolution {
                prop_assert_eq!(r.refund_to_buyer + r.release_to_seller, held, "the settlement sums to the held amount");
                prop_assert!(r.refund_to_buyer >= 0 && r.release_to_seller >= 0);
                prop_assert!(r.refund_to_buyer <= disputed, "refund within the disputed amount");
                prop_assert_eq!(c.status, Status::Resolved);
            }
        }
        prop_assert_eq!(settlements == 1, c.status == Status::Resolved);
    }
}
