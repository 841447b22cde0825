//! The escrow hold behind a complaint: what may change of an order while a
//! complaint runs on it, and the life of the settlement that moves its money
//! once the complaint resolves.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::DomainError;
use super::money::Currency;
use super::wire_enum::wire_enum;

wire_enum!(
    /// Where the escrowed order stands at the marketplace.
    OrderStatus {
        Paid = "paid",
        Shipped = "shipped",
        Delivered = "delivered",
        Completed = "completed",
        Cancelled = "cancelled",
    }
);

impl OrderStatus {
    /// The marketplace still holds the buyer's money.
    pub fn holds_money(&self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::Shipped | OrderStatus::Delivered)
    }
}

/// What the domain needs to know of the escrowed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSnapshot {
    pub id: String,
    /// The hold these terms are of; `None` for the order's own single amount.
    pub hold_id: Option<String>,
    pub buyer_id: String,
    pub seller_id: String,
    pub amount: i64,
    pub currency: Currency,
    pub status: OrderStatus,
    pub delivered_at: Option<DateTime<Utc>>,
    pub auto_release_at: Option<DateTime<Utc>>,
    /// A complaint on this order resolved: its hold is settled, once and for all.
    pub settled: bool,
    /// A digital good: delivery is proved by a screenshot or a screen recording.
    pub digital: bool,
}

impl OrderSnapshot {
    /// Whether the marketplace may re-register this order as `new`. While a
    /// complaint runs, everything that decides where the money goes is
    /// frozen: parties, amount, currency, status, delivery and auto-release
    /// (only contacts may change). Once the hold is settled, its parties,
    /// amount and currency can no longer change either; its status may (the
    /// marketplace closes the order), but that never reopens the hold.
    pub fn may_become(&self, new: &OrderSnapshot, in_dispute: bool) -> Result<(), DomainError> {
        let money_or_parties = [
            ("buyer_id", self.buyer_id != new.buyer_id),
            ("seller_id", self.seller_id != new.seller_id),
            ("amount.amount", self.amount != new.amount),
            ("amount.currency", self.currency != new.currency),
        ];
        let escrow_terms = [
            ("status", self.status != new.status),
            ("delivered_at", self.delivered_at != new.delivered_at),
            ("auto_release_at", self.auto_release_at != new.auto_release_at),
            ("digital", self.digital != new.digital),
        ];
        if in_dispute {
            if let Some((field, _)) = money_or_parties.iter().chain(&escrow_terms).find(|(_, changed)| *changed) {
                return Err(DomainError::OrderInDispute { field });
            }
        } else if self.settled {
            if let Some((field, _)) = money_or_parties.iter().find(|(_, changed)| *changed) {
                return Err(DomainError::HoldSettled(format!(
                    "the order's hold is settled; its `{field}` can no longer change"
                )));
            }
        }
        Ok(())
    }
}

/// A marketplace user id as an order names its buyer or seller: 1 to 100 of
/// `A-Z a-z 0-9 . _ : @ + -`, so no blank, invisible or direction-changing
/// character can make two ids look alike.
pub fn check_party_id(field: &'static str, id: &str) -> Result<(), DomainError> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"._:@+-".contains(&b);
    if (1..=100).contains(&id.len()) && id.bytes().all(allowed) {
        Ok(())
    } else {
        Err(DomainError::invalid(field, "must be 1 to 100 of A-Z a-z 0-9 . _ : @ + -"))
    }
}

/// Buyer and seller must be two people; ids differing only in case are taken
/// for the same one.
pub fn check_parties(buyer_id: &str, seller_id: &str) -> Result<(), DomainError> {
    check_party_id("buyer_id", buyer_id)?;
    check_party_id("seller_id", seller_id)?;
    if buyer_id.eq_ignore_ascii_case(seller_id) {
        return Err(DomainError::invalid("seller_id", "buyer and seller must differ"));
    }
    Ok(())
}

wire_enum!(
    /// Where the money of a settlement stands at the payment system.
    SettlementState {
        /// Written with the resolution; the payment system has not reported yet.
        Pending = "pending",
        Executed = "executed",
        Failed = "failed",
    }
);

wire_enum!(
    /// Where a refund went (seed 001: to the buyer's balance, card or bank).
    RefundDestination {
        Balance = "balance",
        Card = "card",
        Bank = "bank",
    }
);

/// The payment system's account of a settlement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payout {
    pub state: SettlementState,
    pub payment_reference: Option<String>,
    pub refund_destination: Option<RefundDestination>,
    pub failure_reason: Option<String>,
    pub reported_at: Option<DateTime<Utc>>,
}

impl Payout {
    pub fn pending() -> Self {
        Payout {
            state: SettlementState::Pending,
            payment_reference: None,
            refund_destination: None,
            failure_reason: None,
            reported_at: None,
        }
    }
}

/// What the payment system reports of a settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentReport {
    Executed { payment_reference: String, refund_destination: Option<RefundDestination> },
    Failed { reason: String },
}

/// Applies a report to a settlement that refunds `refund_to_buyer`. Returns
/// the new payout, or `None` when the report repeats the one on record (a
/// retry: nothing changes). A failed payout may still be executed (the
/// payment system retried it); an executed one is final.
pub fn report_payout(
    current: &Payout,
    refund_to_buyer: i64,
    report: PaymentReport,
    now: DateTime<Utc>,
) -> Result<Option<Payout>, DomainError> {
    use SettlementState::*;
    let conflict = |msg: String| Err(DomainError::SettlementReported(msg));
    match (&report, current.state) {
        (PaymentReport::Executed { payment_reference, refund_destination }, Executed) => {
            if current.payment_reference.as_ref() == Some(payment_reference)
                && current.refund_destination == *refund_destination
            {
                Ok(None)
            } else {
                conflict("the settlement was already reported executed with another reference or destination".into())
            }
        }
        (PaymentReport::Failed { reason }, Failed) if current.failure_reason.as_ref() == Some(reason) => Ok(None),
        (PaymentReport::Failed { .. }, Failed) => {
            conflict("the settlement was already reported failed for another reason".into())
        }
        (PaymentReport::Failed { .. }, Executed) => conflict("the settlement was already reported executed".into()),
        (PaymentReport::Executed { payment_reference, refund_destination }, Pending | Failed) => {
            match (refund_to_buyer > 0, refund_destination) {
                (true, None) => {
                    return Err(DomainError::invalid(
                        "refund_destination",
                        "the settlement refunds the buyer: say where the refund went (balance, card or bank)",
                    ))
                }
                (false, Some(_)) => {
                    return Err(DomainError::invalid("refund_destination", "the settlement refunds nothing"))
                }
                _ => {}
            }
            Ok(Some(Payout {
                state: Executed,
                payment_reference: Some(payment_reference.clone()),
                refund_destination: *refund_destination,
                failure_reason: current.failure_reason.clone(),
                reported_at: Some(now),
            }))
        }
        (PaymentReport::Failed { reason }, Pending) => Ok(Some(Payout {
            state: Failed,
            payment_reference: None,
            refund_destination: None,
            failure_reason: Some(reason.clone()),
            reported_at: Some(now),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> OrderSnapshot {
        OrderSnapshot {
            hold_id: None,
            id: "ord-1".into(),
            buyer_id: "b".into(),
            seller_id: "s".into(),
            amount: 100,
            currency: "IDR".parse().unwrap(),
            status: OrderStatus::Delivered,
            delivered_at: None,
            auto_release_at: None,
            settled: false,
            digital: false,
        }
    }

    #[test]
    fn a_disputed_order_keeps_its_escrow_terms() {
        let old = order();
        let cancelled = OrderSnapshot { status: OrderStatus::Cancelled, ..order() };
        assert_eq!(old.may_become(&cancelled, true), Err(DomainError::OrderInDispute { field: "status" }));
        let moved = OrderSnapshot { auto_release_at: Some(Utc::now()), ..order() };
        assert_eq!(old.may_become(&moved, true), Err(DomainError::OrderInDispute { field: "auto_release_at" }));
        assert_eq!(old.may_become(&cancelled, false), Ok(()));
        assert_eq!(old.may_become(&order(), true), Ok(()));
    }

    #[test]
    fn a_settled_hold_keeps_its_money_and_parties() {
        let old = OrderSnapshot { settled: true, ..order() };
        let more = OrderSnapshot { amount: 200, ..old.clone() };
        assert!(matches!(old.may_become(&more, false), Err(DomainError::HoldSettled(_))));
        let completed = OrderSnapshot { status: OrderStatus::Completed, ..old.clone() };
        assert_eq!(old.may_become(&completed, false), Ok(()));
    }

    #[test]
    fn party_ids_are_plain_and_distinct() {
        assert_eq!(check_parties("buyer-1", "seller-1"), Ok(()));
        assert_eq!(check_parties("u+1@shop.example", "u2"), Ok(()));
        for bad in [" ", "", "a b", "sel\u{202E}ler", "x".repeat(101).as_str()] {
            assert!(check_parties(bad, "seller-1").is_err(), "{bad:?}");
        }
        assert!(check_parties("Buyer-1", "buyer-1").is_err());
    }

    #[test]
    fn each_report_counts_once() {
        let now = Utc::now();
        let exec = |r: &str| PaymentReport::Executed {
            payment_reference: r.into(),
            refund_destination: Some(RefundDestination::Card),
        };
        let done = report_payout(&Payout::pending(), 50, exec("pay-1"), now).unwrap().unwrap();
        assert_eq!(done.state, SettlementState::Executed);
        assert_eq!(report_payout(&done, 50, exec("pay-1"), now), Ok(None));
        assert!(matches!(report_payout(&done, 50, exec("pay-2"), now), Err(DomainError::SettlementReported(_))));
        let failed = PaymentReport::Failed { reason: "card expired".into() };
        assert!(matches!(report_payout(&done, 50, failed.clone(), now), Err(DomainError::SettlementReported(_))));
        let f = report_payout(&Payout::pending(), 50, failed.clone(), now).unwrap().unwrap();
        assert_eq!(report_payout(&f, 50, failed, now), Ok(None));
        assert_eq!(report_payout(&f, 50, exec("pay-3"), now).unwrap().unwrap().state, SettlementState::Executed);
        let nowhere = PaymentReport::Executed { payment_reference: "p".into(), refund_destination: None };
        assert!(matches!(report_payout(&Payout::pending(), 50, nowhere, now), Err(DomainError::Invalid { .. })));
    }
}
