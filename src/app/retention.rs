//! What the service keeps, and for how long: sent mail and acknowledged
//! webhooks (with their attempts) for `App::retention`; mail and webhooks
//! not delivered yet, or given up, stay for staff to see. Deleted in
//! batches, each its own short transaction, so the tables stay the size of
//! the retention window without one long lock.

use std::future::Future;

use chrono::{DateTime, Utc};

use super::{App, AppError};
use crate::store::{mail, to_db, webhooks};

/// Rows deleted per transaction.
pub(crate) const BATCH: i64 = 500;

/// What one purge deleted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Purged {
    pub mails: usize,
    pub webhook_deliveries: usize,
}

/// Runs `batch` until one deletes less than a full batch; returns the total.
pub(crate) async fn in_batches<F, Fut>(mut batch: F) -> Result<usize, AppError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, AppError>>,
{
    let mut total = 0;
    loop {
        let n = batch().await?;
        total += n;
        if (n as i64) < BATCH {
            return Ok(total);
        }
    }
}

impl App {
    /// Deletes the mail sent and the webhooks acknowledged longer than
    /// `retention` before `at`.
    pub async fn purge_delivered(&self, at: DateTime<Utc>) -> Result<Purged, AppError> {
        let before = to_db(at - self.retention);
        let mails = in_batches(|| self.write(move |conn| Ok(mail::delete_sent_before(conn, before, BATCH)?))).await?;
        let webhook_deliveries =
            in_batches(|| self.write(move |conn| Ok(webhooks::delete_delivered_before(conn, before, BATCH)?))).await?;
        Ok(Purged { mails, webhook_deliveries })
    }
}
