//! The pull feed of outbox events, for the marketplace's service role.

use chrono::{DateTime, Utc};

use super::complaints::Page;
use super::{App, AppError, Caller};
use crate::store::{from_db, outbox};

#[derive(Debug, Clone)]
pub struct FeedEvent {
    pub id: String,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub data: serde_json::Value,
}

impl App {
    /// Events after the cursor, in commit order. The cursor of the last event
    /// is returned whenever there is one, so a consumer resumes from it.
    pub async fn events(&self, caller: &Caller, after_seq: i64, limit: i64) -> Result<Page<FeedEvent>, AppError> {
        if !caller.service {
            return Err(AppError::Forbidden("the event feed is for the marketplace's service role".into()));
        }
        self.read(move |conn| {
            let rows = outbox::after(conn, after_seq, limit)?;
            let next_cursor = rows.last().map(|r| r.seq.to_string());
            let items = rows
                .into_iter()
                .map(|r| {
                    Ok(FeedEvent {
                        data: serde_json::from_str(&r.data).map_err(|e| AppError::Internal(e.into()))?,
                        id: r.id,
                        kind: r.kind,
                        occurred_at: from_db(r.occurred_at),
                    })
                })
                .collect::<Result<_, AppError>>()?;
            Ok(Page { items, next_cursor })
        })
        .await
    }
}
