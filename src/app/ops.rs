//! Figures for operators: what the service holds and how far behind its
//! queues are. They are read in the background from index-backed queries
//! (active complaints only, partial indexes for what failed) and served
//! from memory, so a scrape costs nothing and answers while the database
//! is down, with the figures' age beside them.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use super::feed::Consumer;
use super::{App, AppError};
use crate::store::complaints as complaints_store;
use crate::store::{from_db, mail, outbox, to_db, webhooks};

/// A deadline this far past without firing counts as overdue.
const OVERDUE_AFTER: chrono::Duration = chrono::Duration::minutes(1);

#[derive(Debug, Clone, Default)]
pub struct Figures {
    pub complaints_by_status: Vec<(String, i64)>,
    /// Deadlines with an automatic outcome that should have fired.
    pub overdue_timers: i64,
    /// Seconds since the oldest event not yet handed to each consumer
    /// (`webhooks`, `mail`), 0 when none waits.
    pub oldest_undelivered: Vec<(&'static str, f64)>,
    pub webhooks_failing: i64,
    pub webhooks_given_up: i64,
    pub webhook_failed_attempts: i64,
    pub mail_failing: i64,
    pub mail_given_up: i64,
    pub settlements_pending: i64,
    pub settlements_failed: i64,
    /// Pending longer than `App::settlement_overdue`.
    pub settlements_overdue: i64,
}

/// The statuses whose complaints are counted: resolved ones only grow.
pub const ACTIVE_STATUSES: [&str; 5] =
    ["awaiting_evidence", "awaiting_seller", "awaiting_buyer", "awaiting_fulfilment", "under_review"];

/// The latest figures and when they were read; empty until the first read.
#[derive(Clone, Default)]
pub struct FiguresCache(Arc<RwLock<Option<Snapshot>>>);

/// Figures and when they were read.
pub type Snapshot = (DateTime<Utc>, Figures);

impl FiguresCache {
    pub fn latest(&self) -> Option<Snapshot> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, at: DateTime<Utc>, figures: Figures) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Some((at, figures));
    }
}

fn age(now: DateTime<Utc>, oldest: [Option<chrono::NaiveDateTime>; 2]) -> f64 {
    oldest
        .into_iter()
        .flatten()
        .min()
        .map(|t| (now - from_db(t)).num_milliseconds().max(0) as f64 / 1000.0)
        .unwrap_or(0.0)
}

impl App {
    /// Whether the service can work: the database answers a query and the
    /// evidence store answers (for `/readyz`).
    pub async fn ready(&self) -> Result<(), AppError> {
        let db = self.db.clone();
        crate::telemetry::spawn_blocking_with_tracing(move || db.ping())
            .await
            .map_err(|e| AppError::Internal(anyhow::Error::new(e).context("blocking task")))?
            .map_err(AppError::Unavailable)?;
        self.evidence.ping().await.map_err(|e| AppError::StoreUnavailable(e.into()))
    }

    /// Reads the figures and keeps them for `/metrics`.
    pub async fn refresh_figures(&self, now: DateTime<Utc>) -> Result<(), AppError> {
        let figures = self.figures(now).await?;
        self.figures_cache.set(now, figures);
        Ok(())
    }

    pub async fn figures(&self, now: DateTime<Utc>) -> Result<Figures, AppError> {
        let pending_before = to_db(now - self.settlement_overdue);
        self.read(move |conn| {
            let (settlements_pending, settlements_failed, settlements_overdue) =
                complaints_store::unexecuted_counts(conn, pending_before)?;
            let complaints_by_status = ACTIVE_STATUSES
                .iter()
                .map(|s| Ok((s.to_string(), complaints_store::count_in_status(conn, s)?)))
                .collect::<Result<_, AppError>>()?;
            let overdue_timers = complaints_store::count_due_before(conn, to_db(now - OVERDUE_AFTER))?;
            let hooks = webhooks::counts(conn)?;
            let mails = mail::counts(conn)?;
            let mut oldest_undelivered = Vec::new();
            if let Some(unread) = outbox::oldest_unread(conn, Consumer::Webhooks.name())? {
                oldest_undelivered.push((Consumer::Webhooks.name(), age(now, [hooks.oldest_pending, unread])));
            }
            if let Some(unread) = outbox::oldest_unread(conn, Consumer::Mail.name())? {
                oldest_undelivered.push((Consumer::Mail.name(), age(now, [mails.oldest_pending, unread])));
            }
            Ok(Figures {
                complaints_by_status,
                overdue_timers,
                oldest_undelivered,
                webhooks_failing: hooks.failing,
                webhooks_given_up: hooks.given_up,
                webhook_failed_attempts: webhooks::failed_attempts(conn)?,
                mail_failing: mails.failing,
                mail_given_up: mails.given_up,
                settlements_pending,
                settlements_failed,
                settlements_overdue,
            })
        })
        .await
    }
}
