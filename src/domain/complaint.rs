//! The complaint aggregate, its proposals, and the events that change it.
//! `Complaint::apply` is the only place where state moves.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::money::Currency;
use super::wire_enum::wire_enum;

wire_enum!(
    /// Where a complaint stands (DESIGN §4).
    Status {
        /// The buyer has not attached every piece of evidence its reason needs (seed 003).
        AwaitingEvidence = "awaiting_evidence",
        AwaitingSeller = "awaiting_seller",
        AwaitingBuyer = "awaiting_buyer",
        AwaitingFulfilment = "awaiting_fulfilment",
        UnderReview = "under_review",
        Resolved = "resolved",
    }
);

wire_enum!(
    /// Why the buyer complains.
    Reason {
        NotReceived = "not_received",
        Damaged = "damaged",
        Incomplete = "incomplete",
        NotAsDescribed = "not_as_described",
        WrongItem = "wrong_item",
        ShippingCost = "shipping_cost",
        TopUpShortfall = "top_up_shortfall",
        Other = "other",
        /// The seller's: the work was delivered and the buyer does not release the hold (seed 002).
        NotReleased = "not_released",
    }
);

wire_enum!(
    /// The caller's relation to a complaint. `system` is the timer.
    Role {
        Buyer = "buyer",
        Seller = "seller",
        Staff = "staff",
        System = "system",
    }
);

wire_enum!(
    ProposalKind {
        FullRefund = "full_refund",
        PartialRefund = "partial_refund",
        ReturnAndRefund = "return_and_refund",
        Replacement = "replacement",
        Release = "release",
    }
);

wire_enum!(
    ProposalStatus {
        Pending = "pending",
        Accepted = "accepted",
        Rejected = "rejected",
        Superseded = "superseded",
    }
);

wire_enum!(
    /// What happens when the running deadline passes.
    Expiry {
        Escalate = "escalate",
        AcceptSellerProposal = "accept_seller_proposal",
        /// The seller's silence accepts the buyer's request (when the marketplace chose so).
        AcceptBuyerRequest = "accept_buyer_request",
        /// The buyer never completed the evidence: the complaint lapses, the money is released.
        Lapse = "lapse",
        /// An agreed top-up was not proved in time: the shortfall is refunded
        /// and the seller is at fault, without staff (seed 004).
        RefundSellerAtFault = "refund_seller_at_fault",
        CountAsReceived = "count_as_received",
        /// The arbitration target: no automatic outcome, only queue order and SLA.
        None = "none",
    }
);

wire_enum!(
    FulfilmentKind {
        Return = "return",
        Replacement = "replacement",
    }
);

wire_enum!(
    FulfilmentStep {
        AwaitingShipment = "awaiting_shipment",
        InTransit = "in_transit",
    }
);

wire_enum!(
    /// A step a party reports while a physical solution runs.
    FulfilmentAction {
        ReturnShipped = "return_shipped",
        ReturnReceived = "return_received",
        ReplacementShipped = "replacement_shipped",
        ReplacementReceived = "replacement_received",
    }
);

wire_enum!(
    ResolvedBy {
        Agreement = "agreement",
        Decision = "decision",
        Withdrawal = "withdrawal",
        Timer = "timer",
        /// The buyer never attached the evidence the reason needs.
        Lapsed = "lapsed",
    }
);

wire_enum!(
    Outcome {
        Refund = "refund",
        Release = "release",
        Split = "split",
    }
);

wire_enum!(
    /// What an evidence file shows.
    EvidenceKind {
        Photo = "photo",
        Video = "video",
        Receipt = "receipt",
        ShippingLabel = "shipping_label",
        Packaging = "packaging",
        Screenshot = "screenshot",
        ScreenRecording = "screen_recording",
        Document = "document",
        Other = "other",
    }
);

impl EvidenceKind {
    /// Moving pictures get the large size cap.
    pub fn is_video(&self) -> bool {
        matches!(self, EvidenceKind::Video | EvidenceKind::ScreenRecording)
    }
}

/// Who takes a fulfilment step: the buyer ships a return and receives a
/// replacement, the seller receives the return and ships the replacement.
pub fn step_owner(kind: FulfilmentKind, step: FulfilmentStep) -> Role {
    match (kind, step) {
        (FulfilmentKind::Return, FulfilmentStep::AwaitingShipment) => Role::Buyer,
        (FulfilmentKind::Return, FulfilmentStep::InTransit) => Role::Seller,
        (FulfilmentKind::Replacement, FulfilmentStep::AwaitingShipment) => Role::Seller,
        (FulfilmentKind::Replacement, FulfilmentStep::InTransit) => Role::Buyer,
    }
}

impl Complaint {
    /// Who must act next, if anyone but staff: whose answer the status
    /// waits for, or who takes the fulfilment's current step.
    pub fn next_actor(&self) -> Option<Role> {
        match self.status {
            Status::AwaitingEvidence => Some(Role::Buyer),
            Status::AwaitingSeller => Some(Role::Seller),
            Status::AwaitingBuyer => Some(Role::Buyer),
            Status::AwaitingFulfilment => self.fulfilment.as_ref().map(|f| step_owner(f.kind, f.step)),
            Status::UnderReview | Status::Resolved => None,
        }
    }

    /// Whom a case under review waits on: the parties who owe requested
    /// evidence or an answer to the pending proposal, else customer care.
    pub fn waiting_for(&self) -> Vec<Role> {
        if self.status != Status::UnderReview {
            return self.next_actor().into_iter().collect();
        }
        let mut roles: Vec<Role> = Vec::new();
        let owing = self.evidence_requests.iter().filter(|r| r.is_open()).map(|r| r.party);
        let answering =
            self.pending_proposal().into_iter().flat_map(|p| p.required.iter().filter(|r| !p.accepted_by.contains(r)));
        for role in owing.chain(answering.copied()) {
            if !roles.contains(&role) {
                roles.push(role);
            }
        }
        if roles.is_empty() {
            roles.push(Role::Staff);
        }
        roles
    }
}

wire_enum!(
    Visibility {
        Parties = "parties",
        Staff = "staff",
    }
);

/// Who is acting on a complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    pub role: Role,
}

impl Actor {
    pub fn system() -> Self {
        Actor { id: "system".into(), role: Role::System }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub at: DateTime<Utc>,
    pub on_expiry: Expiry,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub id: String,
    pub author_id: String,
    pub author_role: Role,
    pub kind: ProposalKind,
    pub refund_amount: i64,
    pub note: Option<String>,
    pub status: ProposalStatus,
    pub required: Vec<Role>,
    pub accepted_by: Vec<Role>,
    pub created_at: DateTime<Utc>,
}

impl Proposal {
    pub fn has_consensus(&self) -> bool {
        self.required.iter().all(|r| self.accepted_by.contains(r))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fulfilment {
    pub kind: FulfilmentKind,
    pub step: FulfilmentStep,
    pub proposal_id: String,
    pub refund_amount: i64,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub shipped_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub by: ResolvedBy,
    pub refund_to_buyer: i64,
    pub release_to_seller: i64,
    pub resolved_at: DateTime<Utc>,
    /// Where the money stands at the payment system.
    pub payout: super::escrow::Payout,
}

/// A stored evidence file as the timeline shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceFile {
    pub evidence_id: String,
    pub kind: EvidenceKind,
    /// Sniffed from the bytes.
    pub media_type: String,
    pub size_bytes: i64,
    /// Absent only for a direct upload whose client gave no hash.
    pub sha256: Option<String>,
    pub file_name: Option<String>,
    pub description: Option<String>,
    pub uploader_role: Role,
}

/// One item of what the buyer must attach before the seller is asked
/// (seed 003): a file of any of these kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequiredEvidence {
    pub kinds: Vec<EvidenceKind>,
    /// The file that met it.
    pub provided_by: Option<String>,
}

/// Staff asked a party for evidence of some kinds by a due time. It is
/// fulfilled once the party has added a file of every kind asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRequest {
    pub id: String,
    pub party: Role,
    pub kinds: Vec<EvidenceKind>,
    pub due_at: DateTime<Utc>,
    pub note: Option<String>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// The kinds the party has added since the request.
    pub provided: Vec<EvidenceKind>,
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// When the due time was found passed with the request still open.
    #[serde(default)]
    pub overdue_at: Option<DateTime<Utc>>,
}

impl EvidenceRequest {
    pub fn is_open(&self) -> bool {
        self.fulfilled_at.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub id: String,
    pub outcome: Outcome,
    pub refund_amount: i64,
    pub seller_at_fault: bool,
    pub reason_code: String,
    pub evidence_ids: Vec<String>,
    pub rationale: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complaint {
    pub id: String,
    pub order_id: String,
    /// The escrow hold of the order it concerns; `None` for the order's own
    /// single amount.
    pub hold_id: Option<String>,
    /// The party who opened it: the buyer complains; a seller asks for
    /// arbitration over a hold the buyer does not release.
    pub opened_by: Role,
    /// The order is a digital good (seed 004): a replacement is proved by a
    /// screenshot or a screen recording, not a tracking number.
    pub digital: bool,
    pub buyer_id: String,
    pub seller_id: String,
    pub reason: Reason,
    pub description: String,
    pub currency: Currency,
    pub held_amount: i64,
    pub disputed_amount: i64,
    pub status: Status,
    pub deadline: Option<Deadline>,
    /// Every proposal of the complaint, oldest first.
    pub proposals: Vec<Proposal>,
    pub fulfilment: Option<Fulfilment>,
    /// The seller has answered (proposed, accepted or rejected) at least once.
    pub seller_answered: bool,
    pub assignee_id: Option<String>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub resolution: Option<Resolution>,
    /// Staff requests for evidence, oldest first.
    pub evidence_requests: Vec<EvidenceRequest>,
    /// What the buyer must attach at opening, by its reason.
    pub evidence_checklist: Vec<RequiredEvidence>,
    pub version: i64,
    /// The sequence number of its last timeline entry (0 before the first):
    /// a change numbers its entries on from here.
    pub timeline_seq: i64,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RequiredEvidence {
    /// Whether a file of `kind` would meet this item.
    pub fn missing_for(&self, kind: EvidenceKind) -> bool {
        self.provided_by.is_none() && self.kinds.contains(&kind)
    }
}

impl Complaint {
    /// Whether a replacement is proved by the seller's screenshot or screen
    /// recording rather than shipped with a tracking number (seed 004): a
    /// top-up shortfall, or any digital good.
    pub fn proved_by_evidence(&self) -> bool {
        self.reason == Reason::TopUpShortfall || self.digital
    }

    /// The earliest due time of an open evidence request not yet marked
    /// overdue: when the timer next has work on this complaint's requests.
    pub fn next_evidence_due(&self) -> Option<DateTime<Utc>> {
        if self.status == Status::Resolved {
            return None;
        }
        self.evidence_requests.iter().filter(|r| r.is_open() && r.overdue_at.is_none()).map(|r| r.due_at).min()
    }

    /// Evidence requests past their due time and still unanswered.
    pub fn overdue_requests(&self) -> impl Iterator<Item = &EvidenceRequest> {
        self.evidence_requests.iter().filter(|r| r.is_open() && r.overdue_at.is_some())
    }

    /// The items of the opening checklist still missing.
    pub fn missing_evidence(&self) -> impl Iterator<Item = &RequiredEvidence> {
        self.evidence_checklist.iter().filter(|i| i.provided_by.is_none())
    }

    pub fn pending_proposal(&self) -> Option<&Proposal> {
        self.proposals.iter().find(|p| p.status == ProposalStatus::Pending)
    }

    /// The caller's role in this complaint, or `None` for a stranger.
    pub fn role_of(&self, user_id: &str, is_staff: bool) -> Option<Role> {
        // The relation comes first: an agent who bought or sold the order is
        // a party of this complaint, never its arbiter.
        if user_id == self.buyer_id {
            Some(Role::Buyer)
        } else if user_id == self.seller_id {
            Some(Role::Seller)
        } else if is_staff {
            Some(Role::Staff)
        } else {
            None
        }
    }

    /// The latest proposal each party put forward, for the arbitration queue.
    pub fn last_offer_of(&self, role: Role) -> Option<&Proposal> {
        self.proposals.iter().rev().find(|p| p.author_role == role)
    }

    /// Moves the complaint by one event. Only events produced by `decide` are
    /// applied, so this trusts them.
    pub fn apply(&mut self, event: &Event, at: DateTime<Utc>) {
        self.updated_at = at;
        match event {
            Event::Opened { .. }
            | Event::MessagePosted { .. }
            | Event::DeadlinePassed { .. }
            | Event::Withdrawn { .. } => {}
            Event::EvidenceAdded { file } => {
                if file.uploader_role == Role::Buyer {
                    if let Some(item) = self.evidence_checklist.iter_mut().find(|i| i.missing_for(file.kind)) {
                        item.provided_by = Some(file.evidence_id.clone());
                    }
                }
                for r in self.evidence_requests.iter_mut().filter(|r| r.is_open() && r.party == file.uploader_role) {
                    if r.kinds.contains(&file.kind) && !r.provided.contains(&file.kind) {
                        r.provided.push(file.kind);
                    }
                    if r.kinds.iter().all(|k| r.provided.contains(k)) {
                        r.fulfilled_at = Some(at);
                    }
                }
            }
            Event::EvidenceRequested { request } => self.evidence_requests.push(request.clone()),
            Event::EvidenceOverdue { request_ids } => {
                for r in self.evidence_requests.iter_mut().filter(|r| request_ids.contains(&r.id)) {
                    r.overdue_at = Some(at);
                }
            }
            Event::ProposalMade { proposal, status, deadline } => {
                if proposal.author_role == Role::Seller {
                    self.seller_answered = true;
                }
                self.proposals.push(proposal.clone());
                self.status = *status;
                self.deadline = deadline.clone();
            }
            Event::ProposalSuperseded { proposal_id } => {
                self.set_proposal_status(proposal_id, ProposalStatus::Superseded)
            }
            Event::ProposalAccepted { proposal_id, by, .. } => {
                if *by == Role::Seller {
                    self.seller_answered = true;
                }
                if let Some(p) = self.proposals.iter_mut().find(|p| &p.id == proposal_id) {
                    if !p.accepted_by.contains(by) {
                        p.accepted_by.push(*by);
                    }
                }
            }
            Event::ProposalRejected { proposal_id, by, status, deadline, .. } => {
                if *by == Role::Seller {
                    self.seller_answered = true;
                }
                self.set_proposal_status(proposal_id, ProposalStatus::Rejected);
                self.status = *status;
                self.deadline = deadline.clone();
            }
            Event::ConsensusReached { proposal_id, fulfilment, deadline, .. } => {
                self.set_proposal_status(proposal_id, ProposalStatus::Accepted);
                if let Some(f) = fulfilment {
                    self.fulfilment = Some(f.clone());
                    self.status = Status::AwaitingFulfilment;
                    self.deadline = deadline.clone();
                }
            }
            Event::FulfilmentStepped { fulfilment, deadline, .. } => {
                self.fulfilment = Some(fulfilment.clone());
                self.deadline = deadline.clone();
            }
            Event::Escalated { deadline, .. } => {
                self.status = Status::UnderReview;
                self.escalated_at = Some(at);
                self.deadline = Some(deadline.clone());
            }
            Event::Assigned { assignee_id } => self.assignee_id = Some(assignee_id.clone()),
            Event::Unassigned { .. } => self.assignee_id = None,
            Event::EvidenceCompleted { deadline } => {
                self.status = Status::AwaitingSeller;
                self.deadline = Some(deadline.clone());
            }
            Event::Decided { .. } => {}
            Event::Resolved { by, refund_to_buyer, release_to_seller } => {
                self.status = Status::Resolved;
                self.deadline = None;
                self.resolution = Some(Resolution {
                    by: *by,
                    refund_to_buyer: *refund_to_buyer,
                    release_to_seller: *release_to_seller,
                    resolved_at: at,
                    payout: super::escrow::Payout::pending(),
                });
            }
        }
    }

    fn set_proposal_status(&mut self, id: &str, status: ProposalStatus) {
        if let Some(p) = self.proposals.iter_mut().find(|p| p.id == id) {
            p.status = status;
        }
    }
}

/// What happened to a complaint: the timeline's entries. Each carries what the
/// timeline shows, including the new status and deadline where it changes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Opened {
        order_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        hold_id: Option<String>,
        opened_by: Role,
        reason: Reason,
        description: String,
        held_amount: i64,
        disputed_amount: i64,
    },
    EvidenceAdded {
        #[serde(flatten)]
        file: EvidenceFile,
    },
    EvidenceRequested {
        #[serde(flatten)]
        request: EvidenceRequest,
    },
    /// These requests passed their due time unanswered.
    EvidenceOverdue {
        request_ids: Vec<String>,
    },
    MessagePosted {
        message_id: String,
        body: String,
        evidence_ids: Vec<String>,
        visibility: Visibility,
    },
    ProposalMade {
        proposal: Proposal,
        status: Status,
        deadline: Option<Deadline>,
    },
    ProposalSuperseded {
        proposal_id: String,
    },
    ProposalAccepted {
        proposal_id: String,
        by: Role,
        /// The buyer's silence counted as acceptance.
        by_timer: bool,
    },
    ProposalRejected {
        proposal_id: String,
        by: Role,
        note: String,
        status: Status,
        deadline: Option<Deadline>,
    },
    ConsensusReached {
        proposal_id: String,
        kind: ProposalKind,
        refund_amount: i64,
        fulfilment: Option<Fulfilment>,
        deadline: Option<Deadline>,
    },
    FulfilmentStepped {
        action: FulfilmentAction,
        fulfilment: Fulfilment,
        deadline: Option<Deadline>,
        by_timer: bool,
    },
    Escalated {
        by: Role,
        reason: String,
        deadline: Deadline,
    },
    Assigned {
        assignee_id: String,
    },
    /// The buyer attached the last piece of evidence its reason needs: the
    /// seller is asked now.
    EvidenceCompleted {
        deadline: Deadline,
    },
    /// The agent who had the case is off it.
    Unassigned {
        assignee_id: String,
    },
    Decided {
        decision: Decision,
    },
    DeadlinePassed {
        on_expiry: Expiry,
    },
    /// The buyer dropped the complaint, with their note to the seller.
    Withdrawn {
        note: Option<String>,
    },
    Resolved {
        by: ResolvedBy,
        refund_to_buyer: i64,
        release_to_seller: i64,
    },
}

impl Event {
    /// The timeline's `type` of this event.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Opened { .. } => "opened",
            Event::EvidenceAdded { .. } => "evidence_added",
            Event::EvidenceOverdue { .. } => "evidence_overdue",
            Event::EvidenceRequested { .. } => "evidence_requested",
            Event::MessagePosted { .. } => "message",
            Event::ProposalMade { .. } => "proposal_made",
            Event::ProposalSuperseded { .. } => "proposal_superseded",
            Event::ProposalAccepted { .. } => "proposal_accepted",
            Event::ProposalRejected { .. } => "proposal_rejected",
            Event::ConsensusReached { .. } => "consensus",
            Event::FulfilmentStepped { .. } => "fulfilment_step",
            Event::Escalated { .. } => "escalated",
            Event::Assigned { .. } => "assigned",
            Event::Unassigned { .. } => "unassigned",
            Event::EvidenceCompleted { .. } => "evidence_completed",
            Event::Decided { .. } => "decided",
            Event::DeadlinePassed { .. } => "deadline_passed",
            Event::Withdrawn { .. } => "withdrawn",
            Event::Resolved { .. } => "resolved",
        }
    }

    pub fn visibility(&self) -> Visibility {
        match self {
            Event::MessagePosted { visibility, .. } => *visibility,
            _ => Visibility::Parties,
        }
    }

    /// The event's data without its `type` tag, as the timeline stores it.
    pub fn data(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).expect("events serialize");
        if let Some(map) = v.as_object_mut() {
            map.remove("type");
        }
        v
    }
}
