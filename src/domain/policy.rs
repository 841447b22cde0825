//! The deadlines of DESIGN §5, as one value the state machine reads.

use chrono::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub seller_response: Duration,
    pub buyer_response: Duration,
    pub return_shipment: Duration,
    pub return_receipt: Duration,
    pub replacement_shipment: Duration,
    pub replacement_receipt: Duration,
    pub arbitration_target: Duration,
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
        }
    }
}
