//! The rules of a complaint: money, the state machine, deadlines and the seller
//! sanction ladder. Pure functions over values: nothing here does I/O, reads the
//! clock or generates ids (callers pass `now` and fresh ids in).

pub mod complaint;
pub mod decide;
pub mod error;
pub mod escrow;
pub mod evidence;
pub mod money;
pub mod notice;
pub mod outbound;
pub mod policy;
pub mod sanction;
pub mod wire_enum;

#[cfg(test)]
mod properties;

pub use complaint::*;
pub use decide::{
    allowed_actions, check_decision, decide, decision_payouts, guard, open, solution_fits, Action, Command,
    OpenComplaint, DECISION_REASON_CODES,
};
pub use error::DomainError;
pub use escrow::{
    check_parties, check_party_id, report_payout, OrderSnapshot, OrderStatus, PaymentReport, Payout, RefundDestination,
    SettlementState,
};
pub use evidence::{safe_file_name, EvidenceLimits, MEDIA_TYPES};
pub use money::{Currency, Money, MAX_AMOUNT};
pub use notice::{decide_notice, ListingNotice, NoticeCommand, NoticeStatus};
pub use outbound::EventType;
pub use policy::{default_required_evidence, Policy};
pub use sanction::{sanction_for, Sanction};
