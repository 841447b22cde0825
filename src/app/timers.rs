//! The timer: fires each complaint's passed deadline with its default outcome
//! (DESIGN §5) as an ordinary domain command by the system actor, so it
//! writes the timeline and the outbox like any other change.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::complaints::persist;
use super::{App, AppError};
use crate::domain::{self, Actor, Command};
use crate::store::{complaints as store, to_db, DbConn};

/// Deadlines fired in one transaction.
const BATCH: i64 = 50;

/// Runs a timer command on one claimed complaint; `Ok(false)` when the
/// domain refuses (the complaint is left as it is and logged).
fn run(
    conn: &mut DbConn,
    id: &str,
    cmd: &Command,
    at: DateTime<Utc>,
    policy: &domain::Policy,
) -> Result<bool, AppError> {
    let Some(before) = store::find(conn, id)? else { return Ok(false) };
    let actor = Actor::system();
    let events = match domain::decide(&before, &actor, cmd.clone(), at, policy) {
        Ok(events) => events,
        Err(e) => {
            tracing::warn!(complaint_id = id, command = ?cmd, error = %e, "a timer command was refused");
            return Ok(false);
        }
    };
    let mut after = before.clone();
    for e in &events {
        after.apply(e, at);
    }
    persist(conn, Some(&before), &mut after, &actor, &events, at)?;
    tracing::info!(complaint_id = id, command = ?cmd, status = %after.status, "timer fired");
    Ok(true)
}

/// What the timer looks for: its read-only probe, its claim of due
/// complaints, and the command it runs on each.
struct Due {
    any: fn(&mut DbConn, NaiveDateTime) -> diesel::QueryResult<bool>,
    claim: fn(&mut DbConn, NaiveDateTime, i64) -> diesel::QueryResult<Vec<String>>,
    command: Command,
}

/// What one batch of the timer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiredBatch {
    pub fired: usize,
    /// Whether another batch may find more to fire.
    pub more: bool,
}

impl App {
    /// Fires every deadline passed at `at`, in batches; returns how many
    /// fired. Safe on several instances at once (see
    /// `store::complaints::claim_due_deadlines`).
    pub async fn fire_due_deadlines(&self, at: DateTime<Utc>) -> Result<usize, AppError> {
        let mut fired = 0;
        loop {
            let batch = self.fire_due_batch(at).await?;
            fired += batch.fired;
            if !batch.more {
                return Ok(fired);
            }
        }
    }

    /// Marks one batch of the evidence requests passed unanswered at `at`
    /// overdue, in one transaction: the complaint's timeline, the staff queue
    /// and the asked party hear of it.
    pub async fn mark_overdue_evidence(&self, at: DateTime<Utc>) -> Result<FiredBatch, AppError> {
        let due = Due {
            any: store::any_evidence_due,
            claim: store::claim_overdue_evidence,
            command: Command::MarkEvidenceOverdue,
        };
        self.timer_batch(at, due).await
    }

    /// Fires one batch of the deadlines passed at `at`, in one transaction,
    /// so a caller can stop between batches.
    pub async fn fire_due_batch(&self, at: DateTime<Utc>) -> Result<FiredBatch, AppError> {
        let due = Due { any: store::any_due, claim: store::claim_due_deadlines, command: Command::ExpireDeadline };
        self.timer_batch(at, due).await
    }

    /// One batch of `due`: nothing written when the probe finds nothing.
    async fn timer_batch(&self, at: DateTime<Utc>, due: Due) -> Result<FiredBatch, AppError> {
        let any = due.any;
        if !self.read(move |conn| Ok(any(conn, to_db(at))?)).await? {
            return Ok(FiredBatch { fired: 0, more: false });
        }
        let policy = self.policy.clone();
        let (claimed, fired) = self
            .write(move |conn| {
                let ids = (due.claim)(conn, to_db(at), BATCH)?;
                let mut fired = 0;
                for id in &ids {
                    if run(conn, id, &due.command, at, &policy)? {
                        fired += 1;
                    }
                }
                Ok((ids.len(), fired))
            })
            .await?;
        // A short batch was the last; a batch where nothing fired would
        // only claim the same refused complaints again.
        Ok(FiredBatch { fired, more: claimed == BATCH as usize && fired > 0 })
    }
}
