//! The state machine: every command is a function of (complaint, actor, command,
//! now) that returns the events to record or a refusal. `allowed_actions` asks
//! the same guards, so a client is never offered a button that would fail.

use super::complaint::*;
use super::error::DomainError;
use super::escrow::{OrderSnapshot, OrderStatus};
use super::money::Money;
use super::policy::Policy;
use super::wire_enum::wire_enum;
use chrono::{DateTime, Utc};

wire_enum!(
    /// What a caller may do next on a complaint.
    Action {
        PostMessage = "post_message",
        UploadEvidence = "upload_evidence",
        RequestEvidence = "request_evidence",
        /// Staff asked this party for evidence and it is still owed: upload it.
        ProvideEvidence = "provide_evidence",
        Counter = "counter",
        AcceptProposal = "accept_proposal",
        RejectProposal = "reject_proposal",
        MarkReturnShipped = "mark_return_shipped",
        ConfirmReturnReceived = "confirm_return_received",
        MarkReplacementShipped = "mark_replacement_shipped",
        ConfirmReplacementReceived = "confirm_replacement_received",
        Escalate = "escalate",
        Withdraw = "withdraw",
        Assign = "assign",
        /// Staff take the assigned agent off the case, back to Unassigned.
        Unassign = "unassign",
        Decide = "decide",
    }
);

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    PostMessage {
        message_id: String,
        body: String,
        evidence_ids: Vec<String>,
        visibility: Visibility,
    },
    /// A file already stored under its key joins the complaint.
    AddEvidence(EvidenceFile),
    /// Staff ask a party for evidence of these kinds by `due_at`.
    RequestEvidence {
        request_id: String,
        party: Role,
        kinds: Vec<EvidenceKind>,
        due_at: DateTime<Utc>,
        note: Option<String>,
    },
    Propose {
        proposal_id: String,
        kind: ProposalKind,
        refund_amount: Option<Money>,
        note: Option<String>,
    },
    Accept {
        proposal_id: String,
    },
    Reject {
        proposal_id: String,
        note: String,
    },
    Fulfil {
        action: FulfilmentAction,
        tracking_number: Option<String>,
        carrier: Option<String>,
    },
    Escalate {
        reason: String,
    },
    Withdraw {
        note: Option<String>,
    },
    Assign {
        assignee_id: String,
    },
    Unassign,
    Decide {
        decision_id: String,
        outcome: Outcome,
        refund_amount: Option<Money>,
        seller_at_fault: bool,
        reason_code: String,
        evidence_ids: Vec<String>,
        rationale: String,
    },
    /// The running deadline passed (the timer's command).
    ExpireDeadline,
    /// Evidence requests passed their due time unanswered (the timer's command).
    MarkEvidenceOverdue,
}

impl Command {
    /// The action the guards check for this command (none for the timer).
    pub(crate) fn action(&self) -> Option<Action> {
        Some(match self {
            Command::PostMessage { .. } => Action::PostMessage,
            Command::AddEvidence(_) => Action::UploadEvidence,
            Command::RequestEvidence { .. } => Action::RequestEvidence,
            Command::Propose { .. } => Action::Counter,
            Command::Accept { .. } => Action::AcceptProposal,
            Command::Reject { .. } => Action::RejectProposal,
            Command::Fulfil { action, .. } => match action {
                FulfilmentAction::ReturnShipped => Action::MarkReturnShipped,
                FulfilmentAction::ReturnReceived => Action::ConfirmReturnReceived,
                FulfilmentAction::ReplacementShipped => Action::MarkReplacementShipped,
                FulfilmentAction::ReplacementReceived => Action::ConfirmReplacementReceived,
            },
            Command::Escalate { .. } => Action::Escalate,
            Command::Withdraw { .. } => Action::Withdraw,
            Command::Assign { .. } => Action::Assign,
            Command::Unassign => Action::Unassign,
            Command::Decide { .. } => Action::Decide,
            Command::ExpireDeadline | Command::MarkEvidenceOverdue => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenComplaint {
    pub complaint_id: String,
    pub proposal_id: String,
    pub reason: Reason,
    pub description: String,
    pub disputed_amount: Option<Money>,
    pub requested_kind: ProposalKind,
    pub requested_refund: Option<Money>,
    pub note: Option<String>,
}

/// Opens a complaint on a hold of an order. The buyer's requested solution
/// becomes the first pending proposal and the seller's response window
/// starts. A seller whose work was delivered and whose hold the buyer does
/// not release asks for arbitration instead (seed 002): the complaint goes to
/// customer care at once with the seller's request for a release pending on
/// the buyer's answer.
pub fn open(
    order: &OrderSnapshot,
    actor: &Actor,
    cmd: OpenComplaint,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<(Complaint, Vec<Event>), DomainError> {
    let opened_by = if actor.id == order.buyer_id {
        Role::Buyer
    } else if actor.id == order.seller_id {
        Role::Seller
    } else {
        return Err(DomainError::Forbidden("only the order's buyer or seller can open a complaint".into()));
    };
    if order.settled {
        return Err(DomainError::HoldSettled(
            "the hold was settled by an earlier complaint; it cannot be disputed again".into(),
        ));
    }
    if !order.status.holds_money() {
        return Err(DomainError::EscrowNotHeld(format!("the order is {}; its money is no longer held", order.status)));
    }
    if order.auto_release_at.is_some_and(|at| now >= at) {
        return Err(DomainError::EscrowNotHeld("the order's money was auto-released to the seller".into()));
    }
    let disputed = match &cmd.disputed_amount {
        Some(m) => m.amount_in(order.currency, "disputed_amount")?,
        None => order.amount,
    };
    if disputed == 0 {
        return Err(DomainError::invalid("disputed_amount", "must be greater than zero"));
    }
    if disputed > order.amount {
        return Err(DomainError::invalid(
            "disputed_amount",
            format!("must not exceed the held amount {}", order.amount),
        ));
    }
    match (opened_by, cmd.reason) {
        (Role::Buyer, Reason::NotReleased) => {
            return Err(DomainError::invalid("reason", "a not_released dispute is the seller's to open"))
        }
        (Role::Seller, Reason::NotReleased) => {
            if cmd.requested_kind != ProposalKind::Release {
                return Err(DomainError::invalid(
                    "requested_solution.kind",
                    "a seller asking for arbitration requests the release of the hold",
                ));
            }
            if order.status != OrderStatus::Delivered {
                return Err(DomainError::InvalidState(format!(
                    "a seller asks for arbitration over delivered work; the hold is {}",
                    order.status
                )));
            }
        }
        (Role::Seller, _) => {
            return Err(DomainError::invalid(
                "reason",
                "a seller opens only a not_released dispute; the other reasons are the buyer's",
            ))
        }
        (_, _) if cmd.requested_kind == ProposalKind::Release => {
            return Err(DomainError::invalid(
                "requested_solution.kind",
                "a complaint cannot request a release; withdraw instead",
            ));
        }
        _ => {}
    }
    check_fit(cmd.reason, cmd.requested_kind, "requested_solution.kind")?;
    let mut complaint = Complaint {
        id: cmd.complaint_id,
        order_id: order.id.clone(),
        hold_id: order.hold_id.clone(),
        opened_by,
        digital: order.digital,
        buyer_id: order.buyer_id.clone(),
        seller_id: order.seller_id.clone(),
        reason: cmd.reason,
        description: cmd.description.clone(),
        currency: order.currency,
        held_amount: order.amount,
        disputed_amount: disputed,
        status: Status::AwaitingSeller,
        deadline: None,
        proposals: vec![],
        fulfilment: None,
        seller_answered: false,
        assignee_id: None,
        escalated_at: None,
        resolution: None,
        evidence_requests: Vec::new(),
        evidence_checklist: Vec::new(),
        version: 1,
        timeline_seq: 0,
        opened_at: now,
        updated_at: now,
    };
    let refund =
        refund_for(&complaint, cmd.requested_kind, cmd.requested_refund.as_ref(), "requested_solution.refund_amount")?;
    let opened = Event::Opened {
        order_id: order.id.clone(),
        hold_id: order.hold_id.clone(),
        opened_by,
        reason: cmd.reason,
        description: cmd.description,
        held_amount: order.amount,
        disputed_amount: disputed,
    };
    let mut events = vec![opened];
    if opened_by == Role::Seller {
        // Straight to arbitration; the buyer answers the seller's request.
        events.extend(escalate(&complaint, Role::Seller, "the seller asks for arbitration".into(), now, policy));
    } else {
        // Evidence the reason needs comes first: until it is all there, the
        // seller is not asked and only the lapse runs.
        complaint.evidence_checklist = policy
            .checklist_for(cmd.reason)
            .into_iter()
            .map(|kinds| RequiredEvidence { kinds, provided_by: None })
            .collect();
    }
    for e in &events {
        complaint.apply(e, now);
    }
    let made =
        proposal_made(&complaint, actor, opened_by, cmd.proposal_id, cmd.requested_kind, refund, cmd.note, now, policy);
    let made = match made {
        Event::ProposalMade { proposal, .. } if !complaint.evidence_checklist.is_empty() => Event::ProposalMade {
            proposal,
            status: Status::AwaitingEvidence,
            deadline: Some(Deadline { at: now + policy.evidence_window, on_expiry: Expiry::Lapse }),
        },
        made => made,
    };
    complaint.apply(&made, now);
    events.push(made);
    Ok((complaint, events))
}

/// Most proposals one complaint takes, the buyer's requested solution
/// included: a negotiation that needs more goes to customer care, and every
/// read of the complaint loads them all.
pub const MAX_PROPOSALS: usize = 30;

/// Whether `actor` may take `action` on `c` now. The command's own fields are
/// checked afterwards by `decide`.
pub fn guard(c: &Complaint, actor: &Actor, action: Action, now: DateTime<Utc>) -> Result<(), DomainError> {
    use Role::*;
    if c.status == Status::Resolved {
        return Err(DomainError::Resolved);
    }
    let role = actor.role;
    let forbid = |msg: &str| Err(DomainError::Forbidden(msg.to_string()));
    let not_now = |msg: String| Err(DomainError::InvalidState(msg));
    match action {
        Action::PostMessage | Action::UploadEvidence => match role {
            Buyer | Seller | Staff => Ok(()),
            System => forbid("the timer does not post"),
        },
        Action::RequestEvidence => match role {
            Staff => Ok(()),
            _ => forbid("only staff request evidence"),
        },
        Action::ProvideEvidence => {
            let owes_checklist = c.status == Status::AwaitingEvidence && role == Buyer;
            if owes_checklist || c.evidence_requests.iter().any(|r| r.is_open() && r.party == role) {
                Ok(())
            } else {
                not_now(format!("no evidence is requested of the {role}"))
            }
        }
        Action::Counter if c.proposals.len() >= MAX_PROPOSALS && role != System => {
            Err(DomainError::LimitReached(format!(
                "the complaint has {MAX_PROPOSALS} proposals, the most it takes; escalate to customer care instead"
            )))
        }
        Action::Counter => match (role, c.status) {
            // Under review the parties may still agree (seed 003); staff keep the final word.
            (Buyer | Seller, Status::AwaitingSeller | Status::AwaitingBuyer | Status::UnderReview) => Ok(()),
            (Buyer | Seller, s) => not_now(format!("proposals are closed while the complaint is {s}")),
            (Staff, Status::UnderReview) => Ok(()),
            (Staff, s) => not_now(format!("staff mediate once the complaint is under review, not while it is {s}")),
            (System, _) => forbid("the timer does not propose"),
        },
        Action::AcceptProposal | Action::RejectProposal => {
            if !matches!(role, Buyer | Seller) {
                return forbid("only the parties accept or reject proposals");
            }
            if c.status == Status::AwaitingEvidence {
                return not_now("the seller is asked once the buyer has attached the evidence".into());
            }
            match c.pending_proposal() {
                None => not_now("there is no pending proposal".into()),
                Some(p) if !p.required.contains(&role) => {
                    not_now(format!("the pending proposal does not need the {role}'s answer"))
                }
                Some(p) if p.accepted_by.contains(&role) => {
                    not_now(format!("the {role} already accepted the pending proposal"))
                }
                Some(_) => Ok(()),
            }
        }
        Action::MarkReturnShipped => {
            fulfilment_guard(c, role, FulfilmentKind::Return, FulfilmentStep::AwaitingShipment)
        }
        Action::ConfirmReturnReceived => fulfilment_guard(c, role, FulfilmentKind::Return, FulfilmentStep::InTransit),
        Action::MarkReplacementShipped if c.proved_by_evidence() => not_now(
            "a top-up or a digital good is proved by a screenshot or a screen recording of it, not a tracking number: upload one".into(),
        ),
        Action::MarkReplacementShipped => {
            fulfilment_guard(c, role, FulfilmentKind::Replacement, FulfilmentStep::AwaitingShipment)
        }
        Action::ConfirmReplacementReceived => {
            fulfilment_guard(c, role, FulfilmentKind::Replacement, FulfilmentStep::InTransit)
        }
        Action::Escalate => {
            if c.status == Status::UnderReview {
                return not_now("the complaint is already under review".into());
            }
            if c.status == Status::AwaitingEvidence && matches!(role, Buyer | Seller) {
                return not_now("the buyer attaches the evidence first".into());
            }
            match role {
                Seller | Staff | System => Ok(()),
                Buyer => {
                    let seller_silent_past_deadline =
                        c.status == Status::AwaitingSeller && c.deadline.as_ref().is_some_and(|d| now >= d.at);
                    if c.seller_answered || c.status != Status::AwaitingSeller || seller_silent_past_deadline {
                        Ok(())
                    } else {
                        not_now(
                            "the buyer can escalate once the seller has answered or the seller's deadline has passed"
                                .into(),
                        )
                    }
                }
            }
        }
        Action::Withdraw => match role {
            Buyer => Ok(()),
            _ => forbid("only the buyer can withdraw the complaint"),
        },
        Action::Assign => match (role, c.status) {
            (Staff, Status::UnderReview) => Ok(()),
            (Staff, s) => not_now(format!("only complaints under review are assigned, this one is {s}")),
            _ => forbid("only staff assign complaints"),
        },
        Action::Unassign => match (role, c.status, &c.assignee_id) {
            (Staff, Status::UnderReview, Some(_)) => Ok(()),
            (Staff, Status::UnderReview, None) => not_now("nobody is assigned to the complaint".into()),
            (Staff, s, _) => not_now(format!("only complaints under review are assigned, this one is {s}")),
            _ => forbid("only staff unassign complaints"),
        },
        Action::Decide => match role {
            Staff => Ok(()),
            _ => forbid("only staff decide complaints"),
        },
    }
}

fn fulfilment_guard(c: &Complaint, role: Role, kind: FulfilmentKind, step: FulfilmentStep) -> Result<(), DomainError> {
    let who = step_owner(kind, step);
    if role != who {
        return Err(DomainError::Forbidden(format!("this fulfilment step belongs to the {who}")));
    }
    match &c.fulfilment {
        Some(f) if c.status == Status::AwaitingFulfilment && f.kind == kind && f.step == step => Ok(()),
        _ => Err(DomainError::InvalidState(format!("the complaint is not waiting for this {kind} step"))),
    }
}

/// Every action the guards allow `actor` right now.
pub fn allowed_actions(c: &Complaint, actor: &Actor, now: DateTime<Utc>) -> Vec<Action> {
    Action::ALL.iter().copied().filter(|a| guard(c, actor, *a, now).is_ok()).collect()
}

/// Decides a command: the events to record, in order, or why it is refused.
pub fn decide(
    c: &Complaint,
    actor: &Actor,
    cmd: Command,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Result<Vec<Event>, DomainError> {
    if let (Command::Accept { proposal_id } | Command::Reject { proposal_id, .. }, false) =
        (&cmd, c.status == Status::Resolved)
    {
        // An answer names its proposal: a superseded one is refused as such,
        // whoever answers.
        named_pending(c, proposal_id)?;
    }
    if let Some(action) = cmd.action() {
        guard(c, actor, action, now)?;
    } else if c.status == Status::Resolved {
        return Err(DomainError::Resolved);
    }
    let role = actor.role;
    match cmd {
        Command::PostMessage { message_id, body, evidence_ids, visibility } => {
            if visibility == Visibility::Staff && role != Role::Staff {
                return Err(DomainError::invalid("visibility", "only staff post staff-only notes"));
            }
            Ok(vec![Event::MessagePosted { message_id, body, evidence_ids, visibility }])
        }
        Command::AddEvidence(file) => {
            // The seller's screenshot or recording of the top-up or the digital good is its shipment.
            let top_up_proof = c.proved_by_evidence()
                && role == Role::Seller
                && matches!(file.kind, EvidenceKind::Screenshot | EvidenceKind::ScreenRecording)
                && c.fulfilment.as_ref().is_some_and(|f| {
                    f.kind == FulfilmentKind::Replacement && f.step == FulfilmentStep::AwaitingShipment
                });
            let completes = c.status == Status::AwaitingEvidence
                && role == Role::Buyer
                && c.missing_evidence().count() == 1
                && c.missing_evidence().any(|i| i.missing_for(file.kind));
            let mut events = vec![Event::EvidenceAdded { file: EvidenceFile { uploader_role: role, ..file } }];
            if completes {
                let deadline =
                    Deadline { at: now + policy.seller_response, on_expiry: policy.on_seller_silence(c.reason) };
                events.push(Event::EvidenceCompleted { deadline });
            }
            if let (true, Some(f)) = (top_up_proof, &c.fulfilment) {
                let fulfilment = Fulfilment { step: FulfilmentStep::InTransit, shipped_at: Some(now), ..f.clone() };
                let deadline =
                    Some(Deadline { at: now + policy.replacement_receipt, on_expiry: Expiry::CountAsReceived });
                let action = FulfilmentAction::ReplacementShipped;
                events.push(Event::FulfilmentStepped { action, fulfilment, deadline, by_timer: false });
            }
            Ok(events)
        }
        Command::RequestEvidence { request_id, party, kinds, due_at, note } => {
            if !matches!(party, Role::Buyer | Role::Seller) {
                return Err(DomainError::invalid("party", "evidence is requested from the buyer or the seller"));
            }
            if kinds.is_empty() {
                return Err(DomainError::invalid("kinds", "name at least one kind of evidence"));
            }
            if due_at <= now {
                return Err(DomainError::invalid("due_at", "must be in the future"));
            }
            let mut unique = Vec::with_capacity(kinds.len());
            for k in kinds {
                if !unique.contains(&k) {
                    unique.push(k);
                }
            }
            let request = EvidenceRequest {
                id: request_id,
                party,
                kinds: unique,
                due_at,
                note,
                requested_by: actor.id.clone(),
                requested_at: now,
                provided: Vec::new(),
                fulfilled_at: None,
                overdue_at: None,
            };
            Ok(vec![Event::EvidenceRequested { request }])
        }
        Command::Propose { proposal_id, kind, refund_amount, note } => {
            let refund = refund_for(c, kind, refund_amount.as_ref(), "refund_amount")?;
            if kind == ProposalKind::Release && role != Role::Buyer {
                // A seller or staff "release" would be a decision, not a proposal.
                return Err(DomainError::invalid("kind", "only the buyer can propose a release"));
            }
            check_fit(c.reason, kind, "kind")?;
            let mut events = supersede_pending(c);
            events.push(proposal_made(c, actor, role, proposal_id, kind, refund, note, now, policy));
            Ok(events)
        }
        Command::Accept { proposal_id } => {
            let p = named_pending(c, &proposal_id)?;
            Ok(accept(c, p, role, false, now, policy))
        }
        Command::Reject { proposal_id, note } => {
            let p = named_pending(c, &proposal_id)?;
            // The other side acts next: counter, or escalate. Under review the
            // arbitration deadline keeps running.
            let (status, deadline) = match (c.status, role) {
                (Status::UnderReview, _) => (Status::UnderReview, c.deadline.clone()),
                (_, Role::Seller) => (
                    Status::AwaitingBuyer,
                    Some(Deadline { at: now + policy.buyer_response, on_expiry: Expiry::Escalate }),
                ),
                _ => (
                    Status::AwaitingSeller,
                    Some(Deadline { at: now + policy.seller_response, on_expiry: Expiry::Escalate }),
                ),
            };
            Ok(vec![Event::ProposalRejected { proposal_id: p.id.clone(), by: role, note, status, deadline }])
        }
        Command::Fulfil { action, tracking_number, carrier } => {
            let mut f = c.fulfilment.clone().expect("guarded: fulfilment running");
            match action {
                FulfilmentAction::ReturnShipped | FulfilmentAction::ReplacementShipped => {
                    let tracking = tracking_number.filter(|t| !t.trim().is_empty()).ok_or_else(|| {
                        DomainError::invalid("tracking_number", "a shipment needs its tracking number")
                    })?;
                    f.step = FulfilmentStep::InTransit;
                    f.tracking_number = Some(tracking);
                    f.carrier = carrier;
                    f.shipped_at = Some(now);
                    let window = if action == FulfilmentAction::ReturnShipped {
                        policy.return_receipt
                    } else {
                        policy.replacement_receipt
                    };
                    let deadline = Some(Deadline { at: now + window, on_expiry: Expiry::CountAsReceived });
                    Ok(vec![Event::FulfilmentStepped { action, fulfilment: f, deadline, by_timer: false }])
                }
                FulfilmentAction::ReturnReceived | FulfilmentAction::ReplacementReceived => {
                    Ok(received(c, f, action, false, ResolvedBy::Agreement))
                }
            }
        }
        Command::Escalate { reason } => Ok(escalate(c, role, reason, now, policy)),
        Command::Withdraw { note } => {
            let mut events = supersede_pending(c);
            events.push(Event::Withdrawn { note });
            events.push(resolve(c, ResolvedBy::Withdrawal, 0));
            Ok(events)
        }
        Command::Assign { assignee_id } if assignee_id == c.buyer_id || assignee_id == c.seller_id => {
            Err(DomainError::invalid("assignee_id", "a party of the complaint cannot be its arbiter"))
        }
        Command::Assign { assignee_id } => Ok(vec![Event::Assigned { assignee_id }]),
        Command::Unassign => Ok(vec![Event::Unassigned { assignee_id: c.assignee_id.clone().unwrap_or_default() }]),
        Command::Decide {
            decision_id,
            outcome,
            refund_amount,
            seller_at_fault,
            reason_code,
            evidence_ids,
            rationale,
        } => {
            let (refund, _) = check_decision(c, outcome, refund_amount.as_ref(), seller_at_fault, &reason_code)?;
            let decision = Decision {
                id: decision_id,
                outcome,
                refund_amount: refund,
                seller_at_fault,
                reason_code,
                evidence_ids,
                rationale,
            };
            let mut events = supersede_pending(c);
            events.extend([Event::Decided { decision }, resolve(c, ResolvedBy::Decision, refund)]);
            Ok(events)
        }
        Command::ExpireDeadline => expire(c, now, policy),
        Command::MarkEvidenceOverdue => {
            if role != Role::System {
                return Err(DomainError::Forbidden("only the timer marks evidence overdue".into()));
            }
            let request_ids: Vec<String> = c
                .evidence_requests
                .iter()
                .filter(|r| r.is_open() && r.overdue_at.is_none() && r.due_at <= now)
                .map(|r| r.id.clone())
                .collect();
            if request_ids.is_empty() {
                return Err(DomainError::InvalidState("no evidence request is overdue".into()));
            }
            Ok(vec![Event::EvidenceOverdue { request_ids }])
        }
    }
}

fn named_pending<'a>(c: &'a Complaint, proposal_id: &str) -> Result<&'a Proposal, DomainError> {
    match c.pending_proposal() {
        Some(p) if p.id == proposal_id => Ok(p),
        _ => Err(DomainError::ProposalNotPending(proposal_id.to_string())),
    }
}

fn supersede_pending(c: &Complaint) -> Vec<Event> {
    c.pending_proposal().map(|p| Event::ProposalSuperseded { proposal_id: p.id.clone() }).into_iter().collect()
}

#[allow(clippy::too_many_arguments)]
fn proposal_made(
    c: &Complaint,
    actor: &Actor,
    role: Role,
    id: String,
    kind: ProposalKind,
    refund_amount: i64,
    note: Option<String>,
    now: DateTime<Utc>,
    policy: &Policy,
) -> Event {
    let (required, accepted_by, status, deadline) = match role {
        // Under review a party's proposal waits on the other party, and the
        // arbitration deadline keeps running: no party timer decides it.
        Role::Buyer | Role::Seller if c.status == Status::UnderReview => {
            let other = if role == Role::Buyer { Role::Seller } else { Role::Buyer };
            (vec![other], vec![role], Status::UnderReview, c.deadline.clone())
        }
        Role::Buyer => (
            vec![Role::Seller],
            vec![Role::Buyer],
            Status::AwaitingSeller,
            Some(Deadline { at: now + policy.seller_response, on_expiry: policy.on_seller_silence(c.reason) }),
        ),
        Role::Seller => (
            vec![Role::Buyer],
            vec![Role::Seller],
            Status::AwaitingBuyer,
            Some(Deadline { at: now + policy.buyer_response, on_expiry: Expiry::AcceptSellerProposal }),
        ),
        // Mediation keeps the arbitration deadline running.
        _ => (vec![Role::Buyer, Role::Seller], vec![], Status::UnderReview, c.deadline.clone()),
    };
    let proposal = Proposal {
        id,
        author_id: actor.id.clone(),
        author_role: role,
        kind,
        refund_amount,
        note,
        status: ProposalStatus::Pending,
        required,
        accepted_by,
        created_at: now,
    };
    Event::ProposalMade { proposal, status, deadline }
}

/// The refund a proposal of `kind` implies, checked against the disputed amount.
fn refund_for(
    c: &Complaint,
    kind: ProposalKind,
    given: Option<&Money>,
    field: &'static str,
) -> Result<i64, DomainError> {
    let given = given.map(|m| m.amount_in(c.currency, field)).transpose()?;
    match kind {
        ProposalKind::FullRefund => match given {
            None => Ok(c.disputed_amount),
            Some(a) if a == c.disputed_amount => Ok(a),
            Some(_) => {
                Err(DomainError::invalid(field, format!("a full refund is the disputed amount {}", c.disputed_amount)))
            }
        },
        ProposalKind::PartialRefund | ProposalKind::ReturnAndRefund => match given {
            None if kind == ProposalKind::ReturnAndRefund => Ok(c.disputed_amount),
            None => Err(DomainError::invalid(field, "a partial refund needs its amount")),
            Some(0) => Err(DomainError::invalid(field, "must be greater than zero")),
            Some(a) if a > c.disputed_amount => {
                Err(DomainError::invalid(field, format!("must not exceed the disputed amount {}", c.disputed_amount)))
            }
            Some(a) => Ok(a),
        },
        ProposalKind::Replacement | ProposalKind::Release => match given {
            None | Some(0) => Ok(0),
            Some(_) => Err(DomainError::invalid(field, format!("a {kind} refunds nothing"))),
        },
    }
}

/// The reason codes a decision names, with what each means.
pub const DECISION_REASON_CODES: &[(&str, &str)] = &[
    ("item_not_received", "The buyer did not receive the item"),
    ("item_damaged", "The item arrived damaged"),
    ("item_not_as_described", "The item does not match its listing"),
    ("item_incomplete", "Parts of the order are missing"),
    ("return_not_received", "The seller did not receive the returned item"),
    ("seller_unresponsive", "The seller did not take part"),
    ("buyer_unresponsive", "The buyer did not take part"),
    ("insufficient_evidence", "The evidence does not support the complaint"),
    ("delivered_as_described", "The seller delivered what the listing said"),
    ("shared_responsibility", "Both parties share the fault"),
    ("shortfall_not_proved", "The seller did not prove the top-up in time (decided by the service)"),
    ("other", "Another reason, given in the rationale"),
];

/// Whether a solution can answer a reason: nothing to return when nothing
/// arrived or only the shipping cost is disputed, nothing to replace for a
/// shipping cost, no return of a top-up.
pub fn solution_fits(reason: Reason, kind: ProposalKind) -> bool {
    !matches!(
        (reason, kind),
        (Reason::NotReceived, ProposalKind::ReturnAndRefund)
            | (Reason::ShippingCost, ProposalKind::ReturnAndRefund | ProposalKind::Replacement)
            | (Reason::TopUpShortfall, ProposalKind::ReturnAndRefund)
            | (Reason::NotReleased, ProposalKind::ReturnAndRefund)
    )
}

/// Whether a decision would be taken, and what it would pay each party.
pub fn check_decision(
    c: &Complaint,
    outcome: Outcome,
    refund: Option<&Money>,
    seller_at_fault: bool,
    reason_code: &str,
) -> Result<(i64, i64), DomainError> {
    let (refund, release) = decision_payouts(c, outcome, refund)?;
    if !DECISION_REASON_CODES.iter().any(|(code, _)| *code == reason_code) {
        return Err(DomainError::invalid("reason_code", "one of the codes GET /v1/decision-reason-codes lists"));
    }
    if seller_at_fault && refund == 0 {
        return Err(DomainError::invalid(
            "seller_at_fault",
            "a seller at fault cannot be given all the money: refund or split instead",
        ));
    }
    Ok((refund, release))
}

fn check_fit(reason: Reason, kind: ProposalKind, field: &'static str) -> Result<(), DomainError> {
    if solution_fits(reason, kind) {
        Ok(())
    } else {
        Err(DomainError::invalid(field, format!("a {kind} does not answer a {reason} complaint")))
    }
}

/// What a decision would pay each party (refund to the buyer, release to
/// the seller), or why the decision would be refused.
pub fn decision_payouts(c: &Complaint, outcome: Outcome, refund: Option<&Money>) -> Result<(i64, i64), DomainError> {
    let refund = decision_refund(c, outcome, refund)?;
    Ok((refund, c.held_amount - refund))
}

fn decision_refund(c: &Complaint, outcome: Outcome, given: Option<&Money>) -> Result<i64, DomainError> {
    let field = "refund_amount";
    let given = given.map(|m| m.amount_in(c.currency, field)).transpose()?;
    let too_much = |a: i64| a > c.disputed_amount;
    match (outcome, given) {
        (Outcome::Refund, None) => Ok(c.disputed_amount),
        (Outcome::Refund, Some(0)) => {
            Err(DomainError::invalid(field, "a refund must be greater than zero; decide a release instead"))
        }
        (Outcome::Release, None | Some(0)) => Ok(0),
        (Outcome::Release, Some(_)) => Err(DomainError::invalid(field, "a release refunds nothing")),
        (Outcome::Split, None) => Err(DomainError::invalid(field, "a split needs the amount refunded to the buyer")),
        (Outcome::Split, Some(a)) if a == 0 || a >= c.held_amount => {
            Err(DomainError::invalid(field, "a split gives each party part of the money: 0 < refund < held amount"))
        }
        (_, Some(a)) if too_much(a) => {
            Err(DomainError::invalid(field, format!("must not exceed the disputed amount {}", c.disputed_amount)))
        }
        (_, Some(a)) => Ok(a),
    }
}

fn accept(c: &Complaint, p: &Proposal, by: Role, by_timer: bool, now: DateTime<Utc>, policy: &Policy) -> Vec<Event> {
    let mut events = vec![Event::ProposalAccepted { proposal_id: p.id.clone(), by, by_timer }];
    let mut after = p.clone();
    after.accepted_by.push(by);
    if !after.has_consensus() {
        return events;
    }
    let (fulfilment, deadline) = match p.kind {
        ProposalKind::ReturnAndRefund => (
            Some(FulfilmentKind::Return),
            Some(Deadline { at: now + policy.return_shipment, on_expiry: Expiry::Escalate }),
        ),
        // A top-up shortfall is proved within its window from the complaint, or the seller is at fault.
        ProposalKind::Replacement if c.reason == Reason::TopUpShortfall => (
            Some(FulfilmentKind::Replacement),
            Some(Deadline { at: c.opened_at + policy.top_up_proof, on_expiry: Expiry::RefundSellerAtFault }),
        ),
        ProposalKind::Replacement => (
            Some(FulfilmentKind::Replacement),
            Some(Deadline { at: now + policy.replacement_shipment, on_expiry: Expiry::Escalate }),
        ),
        _ => (None, None),
    };
    let fulfilment = fulfilment.map(|kind| Fulfilment {
        kind,
        step: FulfilmentStep::AwaitingShipment,
        proposal_id: p.id.clone(),
        refund_amount: p.refund_amount,
        tracking_number: None,
        carrier: None,
        shipped_at: None,
    });
    let resolves_now = fulfilment.is_none();
    events.push(Event::ConsensusReached {
        proposal_id: p.id.clone(),
        kind: p.kind,
        refund_amount: p.refund_amount,
        fulfilment,
        deadline,
    });
    if resolves_now {
        let by = if by_timer { ResolvedBy::Timer } else { ResolvedBy::Agreement };
        events.push(resolve(c, by, p.refund_amount));
    }
    events
}

fn received(c: &Complaint, f: Fulfilment, action: FulfilmentAction, by_timer: bool, by: ResolvedBy) -> Vec<Event> {
    let refund = match f.kind {
        FulfilmentKind::Return => f.refund_amount,
        FulfilmentKind::Replacement => 0,
    };
    vec![Event::FulfilmentStepped { action, fulfilment: f, deadline: None, by_timer }, resolve(c, by, refund)]
}

fn escalate(c: &Complaint, by: Role, reason: String, now: DateTime<Utc>, policy: &Policy) -> Vec<Event> {
    // An escalated complaint is mediated by staff: the parties' pending offer lapses.
    let mut events = supersede_pending(c);
    events.push(Event::Escalated {
        by,
        reason,
        deadline: Deadline { at: now + policy.arbitration_target, on_expiry: Expiry::None },
    });
    events
}

fn expire(c: &Complaint, now: DateTime<Utc>, policy: &Policy) -> Result<Vec<Event>, DomainError> {
    let Some(d) = &c.deadline else {
        return Err(DomainError::InvalidState("no deadline is running".into()));
    };
    if now < d.at {
        return Err(DomainError::InvalidState(format!("the deadline passes at {}", d.at.to_rfc3339())));
    }
    let mut events = vec![Event::DeadlinePassed { on_expiry: d.on_expiry }];
    match d.on_expiry {
        Expiry::None => {
            return Err(DomainError::InvalidState("the arbitration target has no automatic outcome".into()))
        }
        Expiry::Escalate => {
            let reason = match c.status {
                Status::AwaitingSeller => "the seller did not respond in time",
                Status::AwaitingBuyer => "the buyer did not respond in time",
                _ => "a shipment was not made in time",
            };
            events.extend(escalate(c, Role::System, reason.into(), now, policy));
        }
        Expiry::AcceptSellerProposal => {
            let p = c.pending_proposal().ok_or_else(|| DomainError::InvalidState("no proposal is pending".into()))?;
            events.extend(accept(c, p, Role::Buyer, true, now, policy));
        }
        Expiry::RefundSellerAtFault => {
            let decision = Decision {
                id: format!("dec_{}", c.id.trim_start_matches("cmp_")),
                outcome: Outcome::Refund,
                refund_amount: c.disputed_amount,
                seller_at_fault: true,
                reason_code: "shortfall_not_proved".into(),
                evidence_ids: Vec::new(),
                rationale: "The seller did not prove the top-up within the window from the complaint.".into(),
            };
            events.push(Event::Decided { decision });
            events.push(resolve(c, ResolvedBy::Timer, c.disputed_amount));
        }
        Expiry::Lapse => {
            // As if no complaint had been filed: the held money goes to the seller.
            events.extend(supersede_pending(c));
            events.push(resolve(c, ResolvedBy::Lapsed, 0));
        }
        Expiry::AcceptBuyerRequest => match c.pending_proposal() {
            Some(p) if p.required.contains(&Role::Seller) => {
                events.extend(accept(c, p, Role::Seller, true, now, policy))
            }
            // Nothing of the buyer's is left to accept: customer care decides.
            _ => events.extend(escalate(c, Role::System, "the seller did not respond in time".into(), now, policy)),
        },
        Expiry::CountAsReceived => {
            let f = c.fulfilment.clone().ok_or_else(|| DomainError::InvalidState("no fulfilment is running".into()))?;
            let action = match f.kind {
                FulfilmentKind::Return => FulfilmentAction::ReturnReceived,
                FulfilmentKind::Replacement => FulfilmentAction::ReplacementReceived,
            };
            events.extend(received(c, f, action, true, ResolvedBy::Timer));
        }
    }
    Ok(events)
}

/// Closes the complaint with its one settlement: `refund` to the buyer, the rest
/// of the held money to the seller.
fn resolve(c: &Complaint, by: ResolvedBy, refund: i64) -> Event {
    Event::Resolved { by, refund_to_buyer: refund, release_to_seller: c.held_amount - refund }
}
