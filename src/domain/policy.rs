//! The deadlines of DESIGN §5, as one value the state machine reads.

use chrono::Duration;

use super::complaint::{Expiry, Reason};

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
}

impl Policy {
    /// What the seller's deadline on a buyer's request does when it passes.
    pub fn on_seller_silence(&self, reason: Reason) -> Expiry {
        self.seller_silence_by_reason.iter().find(|(r, _)| *r == reason).map_or(self.seller_silence, |(_, e)| *e)
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
        }
    }
}
