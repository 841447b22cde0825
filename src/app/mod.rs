//! Use cases: load, let the domain decide, persist the change with its
//! timeline entries and outbox events in one transaction.

pub mod case_file;
pub mod complaints;
pub mod event_data;
pub mod evidence;
pub mod feed;
pub mod idempotency;
pub mod ids;
pub mod mail;
pub mod notices;
pub mod ops;
pub mod orders;
pub mod page;
mod publish;
pub mod retention;
pub mod settlements;
pub mod staff;
pub mod standing;
pub mod timers;
pub mod webhooks;

use chrono::{DateTime, SubsecRound, Utc};
use diesel::result::Error as DieselError;

use crate::domain::{DomainError, Policy};
use crate::evidence::EvidenceStore;
use crate::store::failure::{Failure, Unique};
use crate::store::{dialect, Db, DbConn};
use crate::telemetry::spawn_blocking_with_tracing;

/// Who calls, as the verified token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub id: String,
    pub staff: bool,
    pub service: bool,
}

/// One field the caller got wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The offending field, as a dotted path into the request body.
    pub field: String,
    pub message: String,
}

/// What was not found (or is not shown to the caller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    Order,
    Complaint,
    Evidence,
    Settlement,
    Staff,
    Notice,
    /// No route answers the path.
    Route,
}

impl Missing {
    /// The problem's stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Missing::Order => "order_not_found",
            Missing::Complaint => "complaint_not_found",
            Missing::Evidence => "evidence_not_found",
            Missing::Settlement => "settlement_not_found",
            Missing::Staff => "staff_not_found",
            Missing::Notice => "notice_not_found",
            Missing::Route => "not_found",
        }
    }
}

impl std::fmt::Display for Missing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Missing::Order => "order",
            Missing::Complaint => "complaint",
            Missing::Evidence => "evidence",
            Missing::Settlement => "settlement",
            Missing::Staff => "staff account",
            Missing::Notice => "listing notice",
            Missing::Route => "route",
        })
    }
}

/// What a use case can fail with; each variant is one kind of answer.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(Missing),
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("{0}")]
    Forbidden(String),
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("the complaint is at version {current}; the request was made against version {given}")]
    StaleVersion { current: i64, given: i64 },
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("the database is unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("the evidence store is unavailable")]
    StoreUnavailable(#[source] anyhow::Error),
    #[error("the file is larger than the limit of {limit} bytes for its kind")]
    TooLarge { limit: u64 },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError { field: field.into(), message: message.into() }])
    }

    /// Whether this failed because the database connection is gone, so the
    /// connection must not be used again.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, AppError::Unavailable(e)
            if e.downcast_ref::<DieselError>().is_some_and(|e| Failure::of(e) == Failure::ConnectionLost))
    }
}

impl From<DieselError> for AppError {
    fn from(e: DieselError) -> Self {
        match Failure::of(&e) {
            Failure::Duplicate(Unique::ActiveComplaintPerOrder) => AppError::Conflict {
                code: "complaint_exists",
                message: "the order already has an active complaint".into(),
            },
            Failure::Duplicate(Unique::SettlementPerHold) => {
                AppError::Domain(DomainError::HoldSettled("the order's hold was already settled".into()))
            }
            Failure::Duplicate(Unique::Other) => AppError::Conflict {
                code: "conflict",
                message: "a concurrent request changed the same record; retry".into(),
            },
            Failure::ConnectionLost | Failure::Busy => AppError::Unavailable(e.into()),
            Failure::Other => AppError::Internal(anyhow::Error::new(e).context("database query")),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(e.into())
    }
}

/// The service's state: built once at start, cloned into every worker.
#[derive(Clone)]
pub struct App {
    pub db: Db,
    pub policy: Policy,
    pub evidence: EvidenceStore,
    pub evidence_limits: crate::domain::EvidenceLimits,
    /// How long an unanswered idempotency key holds off a retry.
    pub idempotency_lease: std::time::Duration,
    /// How long a settlement may stay unreported before it is a payment problem.
    pub settlement_overdue: chrono::Duration,
    /// How long sent mail and acknowledged webhooks are kept.
    pub retention: chrono::Duration,
    /// The operators' figures as last read, for `/metrics`.
    pub figures_cache: ops::FiguresCache,
    /// How far ahead this instance has read each lead's reminders.
    pub reminder_marks: mail::ReminderMarks,
}

/// The wait before retrying after `attempts` failed attempts: `base`,
/// doubling after each failure, at most an hour.
pub(crate) fn backoff(base: std::time::Duration, attempts: i32) -> chrono::Duration {
    let factor = 2u32.saturating_pow(attempts.saturating_sub(1).clamp(0, 20) as u32);
    let wait = base.saturating_mul(factor).min(std::time::Duration::from_secs(3600));
    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

/// The current time at the database's precision (microseconds), so a value
/// read back equals the value written.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

impl App {
    /// Runs `f` with a pooled connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.db.clone();
        spawn_blocking_with_tracing(move || {
            let mut conn = db.conn()?;
            let result = f(&mut conn);
            if result.as_ref().is_err_and(AppError::is_connection_lost) {
                conn.mark_lost();
            }
            result
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("blocking task")))?
    }

    /// Runs `f` in one write transaction on the blocking pool.
    pub async fn write<T, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.read(move |conn| dialect::write_transaction(conn, f)).await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        let base = Duration::from_secs(10);
        let waits: Vec<i64> = [1, 2, 3, 4].iter().map(|n| super::backoff(base, *n).num_seconds()).collect();
        assert_eq!(waits, [10, 20, 40, 80]);
        assert_eq!(super::backoff(base, 12).num_seconds(), 3600);
        assert_eq!(super::backoff(base, i32::MAX).num_seconds(), 3600);
    }
}
