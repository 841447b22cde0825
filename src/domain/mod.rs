//! The rules of a complaint: money, the state machine, deadlines and the seller
//! sanction ladder. Pure functions over values: nothing here does I/O, reads the
//! clock or generates ids (callers pass `now` and fresh ids in).

pub mod complaint;
pub mod decide;
pub mod error;
pub mod money;
pub mod policy;
pub mod sanction;

#[cfg(test)]
mod properties;

pub use complaint::*;
pub use decide::{allowed_actions, decide, guard, open, Action, Command, OpenComplaint, OrderSnapshot};
pub use error::DomainError;
pub use money::{Currency, Money, MAX_AMOUNT};
pub use policy::Policy;
pub use sanction::{sanction_for, Sanction};
