//! What a command can be refused for. Each variant maps to one stable API code.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// A field of the command breaks a rule (amount too large, wrong kind...).
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The caller's role can never do this on this complaint.
    #[error("{0}")]
    Forbidden(String),
    /// The complaint is not in a state where this command applies.
    #[error("{0}")]
    InvalidState(String),
    /// The complaint is closed; nothing changes it any more.
    #[error("the complaint is resolved; nothing changes it any more")]
    Resolved,
    /// The named proposal is not the pending one.
    #[error("proposal {0} is not pending")]
    ProposalNotPending(String),
    /// The order's escrow does not allow a complaint.
    #[error("{0}")]
    EscrowNotHeld(String),
    /// The order's hold was settled by an earlier complaint.
    #[error("{0}")]
    HoldSettled(String),
    /// A complaint runs on the order's escrow: this field of it is frozen.
    #[error("a complaint runs on this escrow: its `{field}` is frozen until the complaint resolves")]
    OrderInDispute { field: &'static str },
    /// A per-complaint limit (of proposals) is reached.
    #[error("{0}")]
    LimitReached(String),
    /// The payment system already reported this settlement otherwise.
    #[error("{0}")]
    SettlementReported(String),
}

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        DomainError::Invalid { field, message: message.into() }
    }
}
