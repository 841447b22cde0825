//! The data of the events a move on a complaint publishes beyond its
//! opening, proposals and outcome: typed, so the schema `openapi.yaml`
//! gives each event type is the one the service writes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::{
    Complaint, Deadline, EvidenceFile, EvidenceKind, EvidenceRequest, Expiry, Fulfilment, FulfilmentAction,
    FulfilmentKind, FulfilmentStep, Money, Role, Status,
};

/// What every complaint event names: the complaint, its order and hold, the
/// parties, and the status the change left it in.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComplaintRef {
    pub complaint_id: String,
    pub order_id: String,
    /// The escrow hold, on an order with several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_id: Option<String>,
    pub buyer_id: String,
    pub seller_id: String,
    pub status: Status,
    /// The agent handling the complaint when the change was made.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<String>,
}

impl ComplaintRef {
    pub fn of(c: &Complaint) -> Self {
        ComplaintRef {
            complaint_id: c.id.clone(),
            order_id: c.order_id.clone(),
            hold_id: c.hold_id.clone(),
            buyer_id: c.buyer_id.clone(),
            seller_id: c.seller_id.clone(),
            status: c.status,
            assignee_id: c.assignee_id.clone(),
        }
    }
}

/// A deadline as events carry it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeadlineData {
    pub at: DateTime<Utc>,
    pub on_expiry: Expiry,
}

impl From<&Deadline> for DeadlineData {
    fn from(d: &Deadline) -> Self {
        DeadlineData { at: d.at, on_expiry: d.on_expiry }
    }
}

/// `complaint.message_posted`: a message to both parties.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessagePosted {
    #[serde(flatten)]
    pub complaint: ComplaintRef,
    pub message_id: String,
    pub author_role: Role,
    pub body: String,
    pub evidence_ids: Vec<String>,
}

/// `complaint.proposal_rejected`: the pending proposal was turned down; the
/// complaint is back with its author or with customer care.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProposalRejected {
    #[serde(flatten)]
    pub complaint: ComplaintRef,
    pub proposal_id: String,
    pub by: Role,
    pub note: String,
    pub deadline: Option<DeadlineData>,
}

/// `complaint.evidence_requested`: customer care asks a party for evidence.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceRequested {
    #[serde(flatten)]
    pub complaint: ComplaintRef,
    pub request_id: String,
    pub party: Role,
    pub kinds: Vec<EvidenceKind>,
    pub due_at: DateTime<Utc>,
    pub note: Option<String>,
}

impl EvidenceRequested {
    pub fn of(c: &Complaint, r: &EvidenceRequest) -> Self {
        EvidenceRequested {
            complaint: ComplaintRef::of(c),
            request_id: r.id.clone(),
            party: r.party,
            kinds: r.kinds.clone(),
            due_at: r.due_at,
            note: r.note.clone(),
        }
    }
}

/// `complaint.evidence_overdue`: requests whose due time passed with no
/// file of every kind asked for; customer care may decide without them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceOverdue {
    #[serde(flatten)]
    pub complaint: ComplaintRef,
    pub requests: Vec<OverdueRequest>,
}

/// One overdue request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverdueRequest {
    pub request_id: String,
    pub party: Role,
    /// The kinds asked for and not yet provided.
    pub missing: Vec<EvidenceKind>,
    pub due_at: DateTime<Utc>,
}

impl EvidenceOverdue {
    pub fn of(c: &Complaint, ids: &[String]) -> Self {
        EvidenceOverdue {
            complaint: ComplaintRef::of(c),
            requests: c
                .evidence_requests
                .iter()
                .filter(|r| ids.contains(&r.id))
                .map(|r| OverdueRequest {
                    request_id: r.id.clone(),
                    party: r.party,
                    missing: r.kinds.iter().filter(|k| !r.provided.contains(k)).copied().collect(),
                    due_at: r.due_at,
                })
                .collect(),
        }
    }
}

/// `complaint.evidence_added`: a file attached to the complaint.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceAdded {
    #[serde(flatten)]
    pub complaint: ComplaintRef,
    pub evidence_id: String,
    pub kind: EvidenceKind,
    pub uploader_role: Role,
    pub media_type: String,
    pub size_bytes: i64,
    /// The evidence requests this file completed.
    pub fulfils_requests: Vec<String>,
}

impl EvidenceAdded {
    /// `before` is the complaint before the change, `after` after it.
    pub fn of(before: Option<&Complaint>, after: &Complaint, f: &EvidenceFile) -> Self {
        let was_open = |id: &str| before.is_some_and(|b| b.evidence_requests.iter().any(|r| r.id == id && r.is_open()));
        EvidenceAdded {
            complaint: ComplaintRef::of(after),
            evidence_id: f.evidence_id.clone(),
            kind: f.kind,
            uploader_role: f.uploader_role,
            media_type: f.media_type.clone(),
            size_bytes: f.size_bytes,
            fulfils_requests: after
                .evidence_requests
                .iter()
                .filter(|r| !r.is_open() && r.party == f.uploader_role && was_open(&r.id))
                .map(|r| r.id.clone())
                .collect(),
        }
    }
}

/// `complaint.evidence_completed`: the buyer attached the last file the
/// reason needs; the seller's window runs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceCompleted {
    #[serde(flatten)]
    pub complaint: ComplaintRef,
    pub deadline: DeadlineData,
}

/// `complaint.fulfilment_step`: a return or a replacement moved on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FulfilmentStepped {
    #[serde(flatten)]
    pub complaint: ComplaintRef,
    pub action: FulfilmentAction,
    pub kind: FulfilmentKind,
    pub step: FulfilmentStep,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    /// The refund the agreed solution pays once it completes.
    pub refund_amount: Money,
    /// A window passed and the service took the step.
    pub by_timer: bool,
    /// The next step's deadline, if one runs.
    pub deadline: Option<DeadlineData>,
}

impl FulfilmentStepped {
    pub fn of(
        c: &Complaint,
        action: FulfilmentAction,
        f: &Fulfilment,
        deadline: Option<&Deadline>,
        by_timer: bool,
    ) -> Self {
        FulfilmentStepped {
            complaint: ComplaintRef::of(c),
            action,
            kind: f.kind,
            step: f.step,
            tracking_number: f.tracking_number.clone(),
            carrier: f.carrier.clone(),
            refund_amount: Money::new(f.refund_amount, c.currency),
            by_timer,
            deadline: deadline.map(DeadlineData::from),
        }
    }
}

/// `complaint.assigned` and `complaint.unassigned`: the agent who handles
/// the complaint (after an unassignment, the one who did).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assignment {
    #[serde(flatten)]
    pub complaint: ComplaintRef,
    pub assignee_id: String,
}
