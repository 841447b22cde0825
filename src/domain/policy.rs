//! The deadlines of DESIGN §5, as one value the state machine reads.

use chrono::Duration;

use super::complaint::{EvidenceKind, Expiry, Reason};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub seller_response: Duration,
    pub buyer_response: Duration,
    pub return_shipment: Duration,
    pub return_receipt: Duration,
    pub replacement_shipment: Duration,
    pub replacement_receipt: Duration,
    pub arbitration_target: Duration,
    /// What a seller's silence on the buyer's request means: `Escalate` to
    /// customer care, or `AcceptBuyerRequest` as Shopee and Tokopedia do.
    pub seller_silence: Expiry,
    /// The same, for some reasons only; the others take `seller_silence`.
    pub seller_silence_by_reason: Vec<(Reason, Expiry)>,
    /// What the buyer must attach at opening, per reason (seed 003): each
    /// item is met by a file of any of its kinds. A reason not listed needs nothing.
    pub required_evidence: Vec<(Reason, Vec<Vec<EvidenceKind>>)>,
    /// How long the buyer has to complete it before the complaint lapses.
    pub evidence_window: Duration,
    /// How long from the complaint a seller has to prove an agreed top-up
    /// shortfall sent (seed 004); unproved, the seller is at fault.
    pub top_up_proof: Duration,
    /// How long a seller has to explain a listing notice (seed 004).
    pub listing_notice_window: Duration,
}

/// The checklists of seed 003: a photo of the item and of its packaging for
/// damage and missing parts, a photo for the wrong or a different item, a
/// screenshot or a screen recording for a top-up shortfall.
pub fn default_required_evidence() -> Vec<(Reason, Vec<Vec<EvidenceKind>>)> {
    use EvidenceKind::*;
    vec![
        (Reason::Damaged, vec![vec![Photo], vec![Packaging]]),
        (Reason::Incomplete, vec![vec![Photo], vec![Packaging]]),
        (Reason::WrongItem, vec![vec![Photo]]),
        (Reason::NotAsDescribed, vec![vec![Photo]]),
        (Reason::TopUpShortfall, vec![vec![Screenshot, ScreenRecording]]),
    ]
}

impl Policy {
    /// What the seller's deadline on a buyer's request does when it passes.
    pub fn on_seller_silence(&self, reason: Reason) -> Expiry {
        self.seller_silence_by_reason.iter().find(|(r, _)| *r == reason).map_or(self.seller_silence, |(_, e)| *e)
    }

    /// The items a complaint of `reason` must have before the seller is asked.
    pub fn checklist_for(&self, reason: Reason) -> Vec<Vec<EvidenceKind>> {
        self.required_evidence.iter().find(|(r, _)| *r == reason).map(|(_, items)| items.clone()).unwrap_or_default()
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            seller_response: Duration::hours(48),
            buyer_response: Duration::hours(48),
            return_shipment: Duration::days(3),
            // 3 days in transit + 3 days to confirm (seed 001).
            return_receipt: Duration::days(6),
            replacement_shipment: Duration::days(3),
            replacement_receipt: Duration::days(6),
            arbitration_target: Duration::hours(24),
            seller_silence: Expiry::Escalate,
            seller_silence_by_reason: Vec::new(),
            required_evidence: default_required_evidence(),
            evidence_window: Duration::days(2),
            top_up_proof: Duration::days(3),
            listing_notice_window: Duration::hours(24),
        }
    }
}
