//! A seller's standing: violations and the suspension they carry.

use chrono::{DateTime, Utc};

use super::{now, App, AppError, Caller};
use crate::store::{from_db, standing};

#[derive(Debug, Clone)]
pub struct Standing {
    pub seller_id: String,
    pub violations: i64,
    /// Set while a suspension runs.
    pub suspended_until: Option<DateTime<Utc>>,
    pub permanently_closed: bool,
}

impl App {
    pub async fn seller_standing(&self, caller: &Caller, seller_id: String) -> Result<Standing, AppError> {
        if !(caller.staff || caller.service || caller.id == seller_id) {
            return Err(AppError::Forbidden(
                "a seller's standing is shown to the seller, staff and the marketplace".into(),
            ));
        }
        let at = now();
        self.read(move |conn| {
            let rows = standing::of_seller(conn, &seller_id)?;
            let suspended_until =
                rows.iter().filter_map(|r| r.suspended_until.map(from_db)).max().filter(|until| *until > at);
            Ok(Standing {
                violations: rows.len() as i64,
                permanently_closed: rows.iter().any(|r| r.permanent),
                suspended_until,
                seller_id,
            })
        })
        .await
    }
}
