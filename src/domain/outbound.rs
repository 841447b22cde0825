//! The events the marketplace hears (DESIGN §6), by the names the outbox,
//! the webhooks and the feed give them. The mail templates and the mailer
//! read the same names, so an event is spelled once.

use super::wire_enum::wire_enum;
use super::PaymentReport;

wire_enum!(
    /// The `type` of an outbound event.
    EventType {
        #[serde(rename = "complaint.opened")]
        ComplaintOpened = "complaint.opened",
        #[serde(rename = "complaint.proposal_made")]
        ProposalMade = "complaint.proposal_made",
        #[serde(rename = "complaint.agreed")]
        Agreed = "complaint.agreed",
        #[serde(rename = "complaint.escalated")]
        Escalated = "complaint.escalated",
        /// A message to the parties (a staff note is never published).
        #[serde(rename = "complaint.message_posted")]
        MessagePosted = "complaint.message_posted",
        #[serde(rename = "complaint.proposal_rejected")]
        ProposalRejected = "complaint.proposal_rejected",
        /// Customer care asks a party for evidence by a due time.
        #[serde(rename = "complaint.evidence_requested")]
        EvidenceRequested = "complaint.evidence_requested",
        /// A file was attached, with the requests it answered.
        #[serde(rename = "complaint.evidence_added")]
        EvidenceAdded = "complaint.evidence_added",
        /// Evidence requests passed their due time unanswered.
        #[serde(rename = "complaint.evidence_overdue")]
        EvidenceOverdue = "complaint.evidence_overdue",
        /// The buyer's opening checklist is complete: the seller is asked now.
        #[serde(rename = "complaint.evidence_completed")]
        EvidenceCompleted = "complaint.evidence_completed",
        /// A return or replacement moved on: shipped, received.
        #[serde(rename = "complaint.fulfilment_step")]
        FulfilmentStep = "complaint.fulfilment_step",
        #[serde(rename = "complaint.assigned")]
        Assigned = "complaint.assigned",
        #[serde(rename = "complaint.unassigned")]
        Unassigned = "complaint.unassigned",
        #[serde(rename = "complaint.decided")]
        Decided = "complaint.decided",
        /// The money moves: the event's id is the settlement's idempotency key.
        #[serde(rename = "complaint.resolved")]
        Resolved = "complaint.resolved",
        #[serde(rename = "seller.sanctioned")]
        SellerSanctioned = "seller.sanctioned",
        #[serde(rename = "settlement.executed")]
        SettlementExecuted = "settlement.executed",
        #[serde(rename = "settlement.failed")]
        SettlementFailed = "settlement.failed",
        /// A listing notice was filed against a seller; the seller may explain.
        #[serde(rename = "listing_notice.filed")]
        ListingNoticeFiled = "listing_notice.filed",
        #[serde(rename = "listing_notice.confirmed")]
        ListingNoticeConfirmed = "listing_notice.confirmed",
        #[serde(rename = "listing_notice.dismissed")]
        ListingNoticeDismissed = "listing_notice.dismissed",
        /// A store closed for good: its balance may be paid out once none of
        /// its complaints is open (`open_complaints` says how many are).
        #[serde(rename = "seller.closed")]
        SellerClosed = "seller.closed",
        /// The closed store's last complaint resolved: pay its balance out.
        #[serde(rename = "seller.balance_payable")]
        SellerBalancePayable = "seller.balance_payable",
    }
);

impl PaymentReport {
    /// The event the report publishes.
    pub fn event_type(&self) -> EventType {
        match self {
            PaymentReport::Executed { .. } => EventType::SettlementExecuted,
            PaymentReport::Failed { .. } => EventType::SettlementFailed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::EventType;

    /// The serde name is the wire name, for every event.
    #[test]
    fn each_event_has_one_name() {
        for t in EventType::ALL {
            assert_eq!(serde_json::to_value(t).unwrap(), t.as_str());
            assert_eq!(t.as_str().parse::<EventType>().unwrap(), *t);
        }
    }
}
