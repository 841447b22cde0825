//! The pull feed of outbox events, for the marketplace's service role.

use chrono::{DateTime, Utc};

use super::page::{Cursor, FeedCursor, Page};
use super::{App, AppError, Caller};
use crate::domain::EventType;
use crate::store::from_db;
use crate::store::outbox;

/// An event as the feed and the webhooks carry it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FeedEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: EventType,
    pub occurred_at: DateTime<Utc>,
    pub data: serde_json::Value,
}

impl TryFrom<outbox::OutboxRow> for FeedEvent {
    type Error = AppError;
    fn try_from(r: outbox::OutboxRow) -> Result<Self, AppError> {
        Ok(FeedEvent {
            data: serde_json::from_str(&r.data).map_err(|e| AppError::Internal(e.into()))?,
            id: r.id,
            kind: r.kind.parse().map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?,
            occurred_at: from_db(r.occurred_at),
        })
    }
}

impl App {
    /// Events after `after`, each once and never behind a consumer's cursor.
    /// The position of the last event is returned whenever there is one, so a
    /// consumer resumes from it.
    pub async fn events(&self, caller: &Caller, after: FeedCursor, limit: i64) -> Result<Page<FeedEvent>, AppError> {
        if !caller.service {
            return Err(AppError::Forbidden("the event feed is for the marketplace's service role".into()));
        }
        self.read(move |conn| {
            let rows = outbox::after(conn, outbox::FeedPosition { txid: after.txid, seq: after.seq }, limit)?;
            // Even a short page has a next cursor: the feed grows at its end.
            let next_cursor = rows.last().map(|r| FeedCursor { txid: r.txid, seq: r.seq }.encode());
            let items = rows.into_iter().map(FeedEvent::try_from).collect::<Result<_, AppError>>()?;
            Ok(Page { items, next_cursor })
        })
        .await
    }
}

/// A reader of the outbox inside the service, with its own cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consumer {
    Mail,
    Webhooks,
}

impl Consumer {
    /// The name of its cursor.
    pub const fn name(&self) -> &'static str {
        match self {
            Consumer::Mail => "mail",
            Consumer::Webhooks => "webhooks",
        }
    }
}

impl App {
    /// Gives `consumer` its cursor before it first runs: at the feed's end,
    /// or with `from_start` at the beginning, which delivers every event the
    /// database holds. A consumer that already has a cursor keeps it.
    /// Returns whether the cursor was created.
    pub async fn open_consumer(&self, consumer: Consumer, from_start: bool) -> Result<bool, AppError> {
        let opened = self.write(move |conn| Ok(outbox::open_cursor(conn, consumer.name(), from_start)?)).await?;
        if opened {
            tracing::info!(consumer = consumer.name(), from_start, "outbox consumer starts");
        }
        Ok(opened)
    }
}
