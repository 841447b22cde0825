//! Webhooks: every outbox event queued for the marketplace and POSTed (by
//! `notify::webhooks`), retried with exponential backoff until acknowledged
//! (or given up after three days), the same `webhook-id` on every attempt,
//! and each attempt recorded.

use std::time::Instant;

use super::feed::FeedEvent;
use super::{now, App, AppError};
use crate::notify::webhooks::WebhookTarget;
use crate::store::outbox::{self, FeedPosition};
use crate::store::webhooks::{self as deliveries, Attempt, NewDelivery, Outcome};
use crate::store::{from_db, to_db};

/// The outbox cursor of the webhook dispatcher.
const CURSOR: &str = super::feed::Consumer::Webhooks.name();
/// Events queued, and deliveries attempted, per round.
const BATCH: i64 = 100;

impl App {
    /// Queues a delivery for every outbox event the dispatcher has not seen,
    /// in feed order; returns how many.
    pub async fn enqueue_webhooks(&self) -> Result<usize, AppError> {
        if !self.read(|conn| Ok(outbox::any_unread(conn, CURSOR)?)).await? {
            return Ok(0);
        }
        self.write(|conn| {
            let from = outbox::lock_cursor(conn, CURSOR)?;
            let rows = outbox::after(conn, from, BATCH)?;
            let Some(last) = rows.last() else { return Ok(0) };
            let to = FeedPosition { txid: last.txid, seq: last.seq };
            let at = to_db(now());
            let queued = rows
                .into_iter()
                .map(|row| {
                    let created_at = row.occurred_at;
                    let event = FeedEvent::try_from(row)?;
                    let payload = serde_json::to_string(&event).map_err(|e| AppError::Internal(e.into()))?;
                    Ok(NewDelivery { event_id: event.id, payload, created_at, next_attempt_at: at })
                })
                .collect::<Result<Vec<_>, AppError>>()?;
            deliveries::enqueue(conn, &queued)?;
            outbox::move_cursor(conn, CURSOR, to)?;
            Ok(queued.len())
        })
        .await
    }

    /// Attempts every due delivery once, concurrently; returns how many were
    /// acknowledged.
    pub async fn deliver_webhooks(&self, target: &WebhookTarget) -> Result<usize, AppError> {
        let at = now();
        if !self.read(move |conn| Ok(deliveries::any_due(conn, to_db(at))?)).await? {
            return Ok(0);
        }
        // Long enough for every attempt of the round to end first.
        let lease = to_db(at + chrono::Duration::from_std(target.timeout * 2).unwrap_or(chrono::Duration::minutes(1)));
        let claimed = self.write(move |conn| Ok(deliveries::claim_due(conn, to_db(at), lease, BATCH)?)).await?;
        let sends = claimed.iter().map(|d| async move {
            let started = Instant::now();
            let sent_at = now();
            let result = target.send(&d.event_id, &d.payload, sent_at).await;
            (d, sent_at, result, started.elapsed())
        });
        let mut delivered = 0;
        for (d, sent_at, result, took) in futures_util::future::join_all(sends).await {
            let (status, error) = match &result {
                Ok(status) => (Some(i32::from(*status)), None),
                Err(e) => (None, Some(e.clone())),
            };
            let ok = matches!(result, Ok(200..=299));
            let outcome = if ok {
                delivered += 1;
                Outcome::Delivered
            } else if sent_at >= from_db(d.created_at) + target.give_up_after {
                tracing::warn!(event_id = %d.event_id, attempts = d.attempts, "webhook given up");
                Outcome::GiveUp
            } else {
                Outcome::RetryAt(to_db(sent_at + super::backoff(target.retry_base, d.attempts)))
            };
            let attempt = Attempt {
                event_id: d.event_id.clone(),
                attempt: d.attempts,
                at: to_db(sent_at),
                status,
                error,
                duration_ms: took.as_millis() as i64,
            };
            self.write(move |conn| Ok(deliveries::record(conn, &attempt, outcome)?)).await?;
        }
        Ok(delivered)
    }
}
