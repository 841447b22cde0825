//! Request and response bodies (DESIGN §9), with their OpenAPI schemas.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::app::complaints::{Seen, TimelineEntry};
use crate::app::feed::FeedEvent;
use crate::app::orders::{Hold, Order};
use crate::app::settlements::Settlement;
use crate::app::standing::Standing;
use crate::app::FieldError;
use crate::domain::wire_enum::wire_enum;
use crate::domain::{
    allowed_actions, Action, Complaint, Currency, EvidenceKind, EvidenceRequest, Expiry, FulfilmentAction,
    FulfilmentKind, FulfilmentStep, ListingNotice, Money, NoticeStatus, OrderStatus, Outcome, Payout, Proposal,
    ProposalKind, ProposalStatus, Reason, RefundDestination, ResolvedBy, Role, SettlementState, Status, Visibility,
};

wire_enum!(
    /// The language of the mails a party gets.
    Locale {
        En = "en",
        Id = "id",
    }
);

wire_enum!(
    /// One of the two parties of a complaint.
    Party {
        Buyer = "buyer",
        Seller = "seller",
    }
);

impl From<Party> for Role {
    fn from(p: Party) -> Role {
        match p {
            Party::Buyer => Role::Buyer,
            Party::Seller => Role::Seller,
        }
    }
}

// ---- requests ----

/// An escrowed order (`PUT /v1/orders/{order_id}`).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    /// The marketplace's user id of the buyer; ids differing only in case are one person.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._:@+-]{1,100}$")]
    pub buyer_id: String,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, pattern = "^[A-Za-z0-9._:@+-]{1,100}$")]
    pub seller_id: String,
    /// The money held in escrow.
    pub amount: Money,
    pub status: OrderStatus,
    pub delivered_at: Option<DateTime<Utc>>,
    /// When the marketplace would pay the seller; defaults to 2 days after delivery.
    pub auto_release_at: Option<DateTime<Utc>>,
    #[validate(nested)]
    pub contacts: Option<Contacts>,
    /// A digital good (a top-up, a voucher, a file): a replacement is proved
    /// by the seller's screenshot or screen recording, not a tracking
    /// number. Defaults to false.
    pub digital: Option<bool>,
}

/// One escrow hold of an order (`PUT /v1/orders/{order_id}/holds/{hold_id}`):
/// a milestone of a job, funded and released on its own, in the order's
/// currency. The holds of an order hold at most its amount together.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldBody {
    /// The money this hold keeps in escrow.
    pub amount: Money,
    pub status: OrderStatus,
    /// When the hold's work was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When the marketplace would release the hold; defaults to 2 days after delivery.
    pub auto_release_at: Option<DateTime<Utc>>,
    /// What the hold pays for, e.g. the milestone's name.
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub description: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    #[validate(nested)]
    pub buyer: Option<Contact>,
    #[validate(nested)]
    pub seller: Option<Contact>,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[validate(email, length(max = 254))]
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[validate(length(max = 200))]
    #[schema(max_length = 200)]
    pub name: Option<String>,
    pub locale: Option<Locale>,
}

/// A solution put forward: the complaint's requested solution, or a (counter-)proposal.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalBody {
    pub kind: ProposalKind,
    /// Required for `partial_refund`; defaults to the disputed amount for `full_refund` and `return_and_refund`.
    pub refund_amount: Option<Money>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Open a complaint (`POST /v1/complaints`).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenComplaintBody {
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub order_id: String,
    /// The hold the complaint concerns, on an order with several; omitted
    /// for an order registered with one amount.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub hold_id: Option<String>,
    /// `not_released` is the seller's: the work was delivered and the buyer
    /// does not release the hold. It asks for arbitration at once.
    pub reason: Reason,
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub description: String,
    /// Defaults to the held amount.
    pub disputed_amount: Option<Money>,
    #[validate(nested)]
    pub requested_solution: ProposalBody,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub note: String,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FulfilmentBody {
    pub step: FulfilmentAction,
    /// Required for the `*_shipped` steps.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub tracking_number: Option<String>,
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub carrier: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub body: String,
    #[serde(default)]
    #[validate(length(max = 20))]
    #[schema(max_items = 20)]
    pub evidence_ids: Vec<String>,
    /// `staff` posts an internal note the parties never see (staff only).
    #[serde(default = "parties")]
    pub visibility: Visibility,
}

fn parties() -> Visibility {
    Visibility::Parties
}

/// Staff ask a party for evidence (`POST /v1/complaints/{id}/evidence-requests`).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceRequestBody {
    pub party: Party,
    /// The kinds of evidence wanted; the request is fulfilled once the party added one file of each.
    #[validate(length(min = 1, max = 9))]
    #[schema(min_items = 1, max_items = 9)]
    pub kinds: Vec<EvidenceKind>,
    /// When the evidence is due; in the future.
    pub due_at: DateTime<Utc>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A file the client will PUT straight to the store (`POST …/evidence/uploads`).
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectUploadBody {
    pub kind: EvidenceKind,
    /// One of the allowed types; the stored bytes must show it.
    #[validate(length(min = 1, max = 100))]
    #[schema(value_type = MediaType)]
    pub media_type: String,
    /// Exact size; the signed PUT accepts no other.
    #[validate(range(min = 1))]
    #[schema(minimum = 1)]
    pub size_bytes: u64,
    #[validate(length(max = 255))]
    #[schema(max_length = 255)]
    pub file_name: Option<String>,
    /// Hex SHA-256 of the file; when given, completion checks the stored bytes against it.
    #[validate(custom(function = "hex_digest"))]
    #[schema(pattern = "^[0-9a-fA-F]{64}$")]
    pub sha256: Option<String>,
    /// Shown in the timeline with the file.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub description: Option<String>,
}

fn hex_digest(value: &str) -> Result<(), validator::ValidationError> {
    if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(())
    } else {
        Err(validator::ValidationError::new("hex").with_message("must be 64 hexadecimal digits".into()))
    }
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A command that takes no fields: empty, or `{}`.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyBody {}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// Defaults to the caller.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub assignee_id: Option<String>,
}

/// The binding decision of customer care.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub outcome: Outcome,
    /// `refund`: defaults to the disputed amount; `split`: required; `release`: none.
    pub refund_amount: Option<Money>,
    /// Refused with `release`: a seller at fault is not given all the money.
    pub seller_at_fault: bool,
    /// One of the codes `GET /v1/decision-reason-codes` lists.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100, example = "item_damaged")]
    pub reason_code: String,
    #[serde(default)]
    #[validate(length(max = 50))]
    #[schema(max_items = 50)]
    pub evidence_ids: Vec<String>,
    /// Shown to both parties.
    #[validate(length(min = 1, max = 5000))]
    #[schema(min_length = 1, max_length = 5000)]
    pub rationale: String,
}

// ---- responses ----

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: String,
    pub buyer_id: String,
    pub seller_id: String,
    pub amount: Money,
    pub status: OrderStatus,
    pub delivered_at: Option<DateTime<Utc>>,
    pub auto_release_at: Option<DateTime<Utc>>,
    /// True while a complaint runs: the marketplace must not auto-release.
    pub auto_release_frozen: bool,
    pub active_complaint_id: Option<String>,
    /// The complaint whose settlement moved this order's hold. A settled hold
    /// is never disputed again, whatever the order's status becomes.
    pub settled_by_complaint_id: Option<String>,
    /// The parties' mail contacts; shown to staff and the service role only.
    #[schema(value_type = Option<Object>)]
    pub contacts: Option<serde_json::Value>,
    /// The holds registered on the order (milestones), oldest first; empty
    /// for an order whose amount is its one hold.
    pub holds: Vec<HoldView>,
    /// A digital good: a replacement is proved by a screenshot or a screen recording.
    pub digital: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One escrow hold of an order, with what its complaints did to it.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldView {
    pub id: String,
    pub order_id: String,
    pub amount: Money,
    pub status: OrderStatus,
    pub delivered_at: Option<DateTime<Utc>>,
    pub auto_release_at: Option<DateTime<Utc>>,
    pub description: Option<String>,
    /// True while a complaint runs on the hold: the marketplace must not release it.
    pub auto_release_frozen: bool,
    pub active_complaint_id: Option<String>,
    /// The complaint whose settlement moved this hold; it is never disputed again.
    pub settled_by_complaint_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Hold> for HoldView {
    fn from(h: Hold) -> Self {
        HoldView {
            amount: Money::new(h.amount, h.currency),
            auto_release_frozen: h.active_complaint_id.is_some(),
            id: h.id,
            order_id: h.order_id,
            status: h.status,
            delivered_at: h.delivered_at,
            auto_release_at: h.auto_release_at,
            description: h.description,
            active_complaint_id: h.active_complaint_id,
            settled_by_complaint_id: h.settled_by,
            created_at: h.created_at,
            updated_at: h.updated_at,
        }
    }
}

impl From<Order> for OrderView {
    fn from(o: Order) -> Self {
        OrderView {
            amount: Money::new(o.amount, o.currency),
            auto_release_frozen: o.active_complaint_id.is_some(),
            id: o.id,
            buyer_id: o.buyer_id,
            seller_id: o.seller_id,
            status: o.status,
            delivered_at: o.delivered_at,
            auto_release_at: o.auto_release_at,
            active_complaint_id: o.active_complaint_id,
            settled_by_complaint_id: o.settled_by,
            contacts: o.contacts,
            holds: o.holds.into_iter().map(HoldView::from).collect(),
            digital: o.digital,
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineView {
    pub at: DateTime<Utc>,
    pub on_expiry: Expiry,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProposalView {
    pub id: String,
    pub author_id: String,
    pub author_role: Role,
    pub kind: ProposalKind,
    pub refund_amount: Money,
    pub note: Option<String>,
    pub status: ProposalStatus,
    /// The roles whose acceptance the proposal needs.
    pub required: Vec<Role>,
    pub accepted_by: Vec<Role>,
    pub created_at: DateTime<Utc>,
}

impl ProposalView {
    fn of(p: &Proposal, currency: Currency) -> Self {
        ProposalView {
            id: p.id.clone(),
            author_id: p.author_id.clone(),
            author_role: p.author_role,
            kind: p.kind,
            refund_amount: Money::new(p.refund_amount, currency),
            note: p.note.clone(),
            status: p.status,
            required: p.required.clone(),
            accepted_by: p.accepted_by.clone(),
            created_at: p.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FulfilmentView {
    pub kind: FulfilmentKind,
    pub step: FulfilmentStep,
    pub proposal_id: String,
    pub refund_amount: Money,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub shipped_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResolutionView {
    pub by: ResolvedBy,
    pub refund_to_buyer: Money,
    pub release_to_seller: Money,
    pub resolved_at: DateTime<Utc>,
    /// Where the money stands at the payment system.
    pub settlement: SettlementView,
}

/// The settlement's life after the resolution: `pending` until the payment
/// system reports it `executed` or `failed`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettlementView {
    pub state: SettlementState,
    /// The payment system's reference of the executed payout.
    pub payment_reference: Option<String>,
    /// Where the refund went, when there was one.
    pub refund_destination: Option<RefundDestination>,
    /// Why the payout failed (kept after a later execution).
    pub failure_reason: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
}

impl From<&Payout> for SettlementView {
    fn from(p: &Payout) -> Self {
        SettlementView {
            state: p.state,
            payment_reference: p.payment_reference.clone(),
            refund_destination: p.refund_destination,
            failure_reason: p.failure_reason.clone(),
            reported_at: p.reported_at,
        }
    }
}

/// The payment system's report of a settlement.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettlementReportBody {
    /// `executed` or `failed`; `pending` is the state before any report.
    pub state: SettlementState,
    /// The payment system's reference of the payout; required with `executed`.
    #[validate(length(min = 1, max = 200))]
    #[schema(min_length = 1, max_length = 200)]
    pub payment_reference: Option<String>,
    /// Where the refund went; required with `executed` when the buyer gets a refund.
    pub refund_destination: Option<RefundDestination>,
    /// Why the payout failed; required with `failed`.
    #[validate(length(min = 1, max = 500))]
    #[schema(min_length = 1, max_length = 500)]
    pub reason: Option<String>,
}

/// A complaint's settlement, as the payment system and staff read it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettlementRecord {
    pub complaint_id: String,
    pub order_id: String,
    pub resolved_by: ResolvedBy,
    pub refund_to_buyer: Money,
    pub release_to_seller: Money,
    pub resolved_at: DateTime<Utc>,
    pub state: SettlementState,
    pub payment_reference: Option<String>,
    pub refund_destination: Option<RefundDestination>,
    pub failure_reason: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
}

impl From<Settlement> for SettlementRecord {
    fn from(s: Settlement) -> Self {
        SettlementRecord {
            complaint_id: s.complaint_id,
            order_id: s.order_id,
            resolved_by: s.resolved_by,
            refund_to_buyer: s.refund_to_buyer,
            release_to_seller: s.release_to_seller,
            resolved_at: s.resolved_at,
            state: s.payout.state,
            payment_reference: s.payout.payment_reference,
            refund_destination: s.payout.refund_destination,
            failure_reason: s.payout.failure_reason,
            reported_at: s.payout.reported_at,
        }
    }
}

wire_enum!(
    EvidenceRequestStatus {
        Open = "open",
        /// Still open past its due time.
        Overdue = "overdue",
        Fulfilled = "fulfilled",
    }
);

/// One item the buyer must attach before the seller is asked: a file of any
/// of `kinds`. `provided_by` names the file that met it, null while missing.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequiredEvidenceView {
    pub kinds: Vec<EvidenceKind>,
    pub provided_by: Option<String>,
}

/// Evidence staff asked a party for.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvidenceRequestView {
    pub id: String,
    pub party: Role,
    pub kinds: Vec<EvidenceKind>,
    pub due_at: DateTime<Utc>,
    pub note: Option<String>,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// The kinds the party added since the request.
    pub provided: Vec<EvidenceKind>,
    pub status: EvidenceRequestStatus,
    pub fulfilled_at: Option<DateTime<Utc>>,
    /// When the due time was found passed with the request still open.
    pub overdue_at: Option<DateTime<Utc>>,
}

impl From<&EvidenceRequest> for EvidenceRequestView {
    fn from(r: &EvidenceRequest) -> Self {
        EvidenceRequestView {
            id: r.id.clone(),
            party: r.party,
            kinds: r.kinds.clone(),
            due_at: r.due_at,
            note: r.note.clone(),
            requested_by: r.requested_by.clone(),
            requested_at: r.requested_at,
            provided: r.provided.clone(),
            status: match (r.is_open(), r.overdue_at) {
                (false, _) => EvidenceRequestStatus::Fulfilled,
                (true, Some(_)) => EvidenceRequestStatus::Overdue,
                (true, None) => EvidenceRequestStatus::Open,
            },
            fulfilled_at: r.fulfilled_at,
            overdue_at: r.overdue_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintView {
    pub id: String,
    pub order_id: String,
    /// The escrow hold it concerns; null for the order's own single amount.
    pub hold_id: Option<String>,
    /// `seller` for a seller's request for arbitration (`not_released`).
    pub opened_by: Role,
    pub buyer_id: String,
    pub seller_id: String,
    pub reason: Reason,
    pub description: String,
    pub held_amount: Money,
    pub disputed_amount: Money,
    pub status: Status,
    pub deadline: Option<DeadlineView>,
    pub pending_proposal: Option<ProposalView>,
    /// Each party's latest proposal, whatever became of it (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_offers: Option<LastOffers>,
    pub fulfilment: Option<FulfilmentView>,
    pub assignee_id: Option<String>,
    /// What the caller may do now.
    pub allowed_actions: Vec<Action>,
    pub resolution: Option<ResolutionView>,
    /// Evidence staff asked the parties for, oldest first.
    pub evidence_requests: Vec<EvidenceRequestView>,
    /// What the buyer must attach for this reason before the seller is
    /// asked; the complaint is `awaiting_evidence` while an item is missing.
    pub evidence_checklist: Vec<RequiredEvidenceView>,
    pub version: i64,
    pub opened_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ComplaintView {
    pub fn of(seen: &Seen, now: DateTime<Utc>) -> Self {
        let c: &Complaint = &seen.complaint;
        let money = |amount| Money::new(amount, c.currency);
        ComplaintView {
            id: c.id.clone(),
            order_id: c.order_id.clone(),
            hold_id: c.hold_id.clone(),
            opened_by: c.opened_by,
            buyer_id: c.buyer_id.clone(),
            seller_id: c.seller_id.clone(),
            reason: c.reason,
            description: c.description.clone(),
            held_amount: money(c.held_amount),
            disputed_amount: money(c.disputed_amount),
            status: c.status,
            deadline: c.deadline.as_ref().map(|d| DeadlineView { at: d.at, on_expiry: d.on_expiry }),
            pending_proposal: c.pending_proposal().map(|p| ProposalView::of(p, c.currency)),
            last_offers: (seen.actor.role == Role::Staff).then(|| {
                let offer = |role| c.last_offer_of(role).map(|p| ProposalView::of(p, c.currency));
                LastOffers { buyer: offer(Role::Buyer), seller: offer(Role::Seller) }
            }),
            fulfilment: c.fulfilment.as_ref().map(|f| FulfilmentView {
                kind: f.kind,
                step: f.step,
                proposal_id: f.proposal_id.clone(),
                refund_amount: money(f.refund_amount),
                tracking_number: f.tracking_number.clone(),
                carrier: f.carrier.clone(),
                shipped_at: f.shipped_at,
            }),
            assignee_id: c.assignee_id.clone(),
            allowed_actions: allowed_actions(c, &seen.actor, now),
            resolution: c.resolution.as_ref().map(|r| ResolutionView {
                by: r.by,
                refund_to_buyer: money(r.refund_to_buyer),
                release_to_seller: money(r.release_to_seller),
                resolved_at: r.resolved_at,
                settlement: SettlementView::from(&r.payout),
            }),
            evidence_requests: c.evidence_requests.iter().map(EvidenceRequestView::from).collect(),
            evidence_checklist: c
                .evidence_checklist
                .iter()
                .map(|i| RequiredEvidenceView { kinds: i.kinds.clone(), provided_by: i.provided_by.clone() })
                .collect(),
            version: c.version,
            opened_at: c.opened_at,
            updated_at: c.updated_at,
        }
    }
}

/// Each party's latest offer, so staff see how far apart they are.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastOffers {
    pub buyer: Option<ProposalView>,
    pub seller: Option<ProposalView>,
}

/// A code a decision may give as its reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonCodeView {
    #[schema(example = "item_damaged")]
    pub code: &'static str,
    pub description: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonCodeList {
    pub data: Vec<ReasonCodeView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueEntry {
    pub complaint: ComplaintView,
    pub last_offers: LastOffers,
}

impl QueueEntry {
    pub fn of(seen: &Seen, now: DateTime<Utc>) -> Self {
        let c = &seen.complaint;
        let offer = |role| c.last_offer_of(role).map(|p| ProposalView::of(p, c.currency));
        QueueEntry {
            complaint: ComplaintView::of(seen, now),
            last_offers: LastOffers { buyer: offer(Role::Buyer), seller: offer(Role::Seller) },
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntryView {
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub actor_id: Option<String>,
    pub actor_role: String,
    pub at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<TimelineEntry> for TimelineEntryView {
    fn from(e: TimelineEntry) -> Self {
        TimelineEntryView {
            seq: e.seq,
            kind: e.kind,
            actor_id: e.actor_id,
            actor_role: e.actor_role,
            at: e.at,
            data: e.data,
        }
    }
}

/// An event of the feed (and of webhooks).
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    /// `complaint.opened`, `complaint.proposal_made`, `complaint.agreed`, `complaint.escalated`,
    /// `complaint.decided`, `complaint.resolved`, `settlement.executed`, `settlement.failed`,
    /// `seller.sanctioned`, and each move's own: `complaint.message_posted` (schema
    /// `MessagePosted`; a staff note is never published), `complaint.proposal_rejected`
    /// (`ProposalRejected`), `complaint.evidence_requested` (`EvidenceRequested`),
    /// `complaint.evidence_added` (`EvidenceAdded`), `complaint.evidence_completed`
    /// (`EvidenceCompleted`), `complaint.fulfilment_step` (`FulfilmentStepped`),
    /// `complaint.assigned` and `complaint.unassigned` (`Assignment`). Complaint events carry
    /// `complaint_id`, `order_id`, `hold_id` on an order with several holds, `buyer_id`,
    /// `seller_id`, the `status` the change left the complaint in and the `assignee_id` then
    /// (`ComplaintRef`). `complaint.evidence_overdue` has `EvidenceOverdue`.
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<FeedEvent> for EventView {
    fn from(e: FeedEvent) -> Self {
        EventView { id: e.id, kind: e.kind.as_str().into(), occurred_at: e.occurred_at, data: e.data }
    }
}

/// A listing notice to file.
#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoticeBody {
    /// The marketplace's id of the listing.
    #[validate(length(min = 1, max = 100))]
    #[schema(min_length = 1, max_length = 100)]
    pub listing_id: String,
    /// What does not match the listing's title, image or description.
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub description: String,
}

#[derive(Debug, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExplanationBody {
    #[validate(length(min = 1, max = 2000))]
    #[schema(min_length = 1, max_length = 2000)]
    pub explanation: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: String,
    pub seller_id: String,
    pub listing_id: String,
    pub description: String,
    pub filed_by: String,
    /// `staff`, or `service` for the marketplace.
    pub filed_by_role: String,
    pub status: NoticeStatus,
    pub explanation: Option<String>,
    /// Until when the seller may explain; unanswered by then, it is confirmed.
    pub due_at: DateTime<Utc>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<ListingNotice> for NoticeView {
    fn from(n: ListingNotice) -> Self {
        NoticeView {
            id: n.id,
            seller_id: n.seller_id,
            listing_id: n.listing_id,
            description: n.description,
            filed_by: n.filed_by,
            filed_by_role: n.filed_by_role,
            status: n.status,
            explanation: n.explanation,
            due_at: n.due_at,
            decided_by: n.decided_by,
            decided_at: n.decided_at,
            created_at: n.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StandingView {
    pub seller_id: String,
    pub violations: i64,
    /// Set while a suspension runs.
    pub suspended_until: Option<DateTime<Utc>>,
    pub permanently_closed: bool,
}

impl From<Standing> for StandingView {
    fn from(s: Standing) -> Self {
        StandingView {
            seller_id: s.seller_id,
            violations: s.violations,
            suspended_until: s.suspended_until,
            permanently_closed: s.permanently_closed,
        }
    }
}

/// Declares a page of a list: `{"data": [...], "next_cursor": "…" | null}`.
macro_rules! page {
    ($name:ident, $item:ty) => {
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
            /// Pass as `cursor` (or `after`) for the next page; null when there is none.
            pub next_cursor: Option<String>,
        }
    };
}
page!(ComplaintPage, ComplaintView);
page!(QueuePage, QueueEntry);
page!(SettlementPage, SettlementRecord);
page!(TimelinePage, TimelineEntryView);
page!(EventPage, EventView);
page!(NoticePage, NoticeView);

/// An error (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `/problems/<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code: `validation_failed`, `invalid_json`, `invalid_parameter`,
    /// `body_too_large`, `unsupported_media_type`, `unauthorized`, `forbidden`, `not_found`,
    /// `order_not_found`, `complaint_not_found`, `evidence_not_found`, `settlement_not_found`,
    /// `method_not_allowed`, `invalid_state`, `complaint_resolved`, `proposal_not_pending`,
    /// `proposal_limit_reached`, `complaint_exists`, `escrow_not_held`, `hold_settled`,
    /// `order_in_dispute`, `order_disputed_whole`, `hold_limit_reached`, `not_settled`, `settlement_already_reported`, `version_mismatch`,
    /// `idempotency_key_reused`, `idempotency_key_in_flight`, `conflict`, `evidence_too_large`,
    /// `evidence_limit_reached`, `direct_upload_unavailable`, `upload_not_found`, `upload_expired`,
    /// `database_unavailable`, `evidence_store_unavailable`, `internal_error`.
    pub code: String,
    /// Per-field messages of a validation failure.
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// The schema of a media type: one of those accepted.
pub struct MediaType;

impl utoipa::PartialSchema for MediaType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A media type accepted as evidence."))
            .enum_values(Some(crate::domain::MEDIA_TYPES))
            .into()
    }
}

impl utoipa::ToSchema for MediaType {}
