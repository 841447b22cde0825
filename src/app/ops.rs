//! Figures for operators: what the service holds and how far behind its
//! queues are, read from the database at each scrape.

use chrono::{DateTime, Utc};
use diesel::dsl::{count_star, min};
use diesel::prelude::*;

use super::feed::Consumer;
use super::{App, AppError};
use crate::store::complaints as complaints_store;
use crate::store::schema::{complaints, mail_deliveries, webhook_attempts, webhook_deliveries};
use crate::store::{from_db, outbox, to_db};

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

    pub async fn figures(&self, now: DateTime<Utc>) -> Result<Figures, AppError> {
        let pending_before = to_db(now - self.settlement_overdue);
        self.read(move |conn| {
            let (settlements_pending, settlements_failed, settlements_overdue) =
                complaints_store::unexecuted_counts(conn, pending_before)?;
            let complaints_by_status = complaints::table
                .group_by(complaints::status)
                .select((complaints::status, count_star()))
                .load::<(String, i64)>(conn)?;
            let overdue_timers = complaints::table
                .filter(complaints::deadline_at.lt(to_db(now - OVERDUE_AFTER)))
                .filter(complaints::deadline_on_expiry.ne("none"))
                .select(count_star())
                .first(conn)?;
            let pending_webhooks = webhook_deliveries::table
                .filter(webhook_deliveries::delivered_at.is_null())
                .filter(webhook_deliveries::given_up_at.is_null());
            let pending_mail = mail_deliveries::table
                .filter(mail_deliveries::sent_at.is_null())
                .filter(mail_deliveries::given_up_at.is_null());
            let mut oldest_undelivered = Vec::new();
            if let Some(unread) = outbox::oldest_unread(conn, Consumer::Webhooks.name())? {
                let queued = pending_webhooks.select(min(webhook_deliveries::created_at)).first(conn)?;
                oldest_undelivered.push((Consumer::Webhooks.name(), age(now, [queued, unread])));
            }
            if let Some(unread) = outbox::oldest_unread(conn, Consumer::Mail.name())? {
                let queued = pending_mail.select(min(mail_deliveries::created_at)).first(conn)?;
                oldest_undelivered.push((Consumer::Mail.name(), age(now, [queued, unread])));
            }
            Ok(Figures {
                complaints_by_status,
                overdue_timers,
                oldest_undelivered,
                webhooks_failing: pending_webhooks
                    .filter(webhook_deliveries::last_error.is_not_null())
                    .select(count_star())
                    .first(conn)?,
                webhooks_given_up: webhook_deliveries::table
                    .filter(webhook_deliveries::given_up_at.is_not_null())
                    .select(count_star())
                    .first(conn)?,
                webhook_failed_attempts: webhook_attempts::table
                    .filter(
                        webhook_attempts::status
                            .is_null()
                            .or(webhook_attempts::status.lt(200))
                            .or(webhook_attempts::status.gt(299)),
                    )
                    .select(count_star())
                    .first(conn)?,
                mail_failing: pending_mail
                    .filter(mail_deliveries::last_error.is_not_null())
                    .select(count_star())
                    .first(conn)?,
                mail_given_up: mail_deliveries::table
                    .filter(mail_deliveries::given_up_at.is_not_null())
                    .select(count_star())
                    .first(conn)?,
                settlements_pending,
                settlements_failed,
                settlements_overdue,
            })
        })
        .await
    }
}
