//! A seller's standing: the sanction ladder applied to each decision with
//! the seller at fault, and the violations and suspension a seller has.

use chrono::{DateTime, Utc};

use super::ids::new_id;
use super::publish;
use super::{now, App, AppError, Caller};
use crate::domain::{self, Complaint};
use crate::store::outbox::NewOutboxEvent;
use crate::store::standing::{self, ViolationRow};
use crate::store::{from_db, to_db, DbConn};

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
        self.read(move |conn| standing_of(conn, seller_id, at)).await
    }
}

/// The seller's violations and the suspension running at `at`.
pub(crate) fn standing_of(conn: &mut DbConn, seller_id: String, at: DateTime<Utc>) -> Result<Standing, AppError> {
    let rows = standing::of_seller(conn, &seller_id)?;
    let suspended_until = rows.iter().filter_map(|r| r.suspended_until.map(from_db)).max().filter(|until| *until > at);
    Ok(Standing {
        violations: rows.len() as i64,
        permanently_closed: rows.iter().any(|r| r.permanent),
        suspended_until,
        seller_id,
    })
}

/// Records the violation a decision with the seller at fault adds, one rung
/// up the seller's ladder (DESIGN §3, seed 004), and returns its `seller.sanctioned`
/// event. Runs in the decision's transaction; decisions against one seller
/// climb the ladder one after the other.
pub(crate) fn sanction_seller(
    conn: &mut DbConn,
    c: &Complaint,
    decision_id: &str,
    at: DateTime<Utc>,
) -> Result<NewOutboxEvent, AppError> {
    standing::lock_seller(conn, &c.seller_id)?;
    let ordinal = i32::try_from(standing::count(conn, &c.seller_id)? + 1).unwrap_or(i32::MAX);
    let sanction = domain::sanction_for(ordinal, at);
    standing::insert(
        conn,
        &ViolationRow {
            id: new_id("vio"),
            seller_id: c.seller_id.clone(),
            decision_id: decision_id.to_string(),
            complaint_id: c.id.clone(),
            ordinal: sanction.ordinal,
            suspended_until: sanction.suspended_until.map(to_db),
            permanent: sanction.permanent,
            created_at: to_db(at),
        },
    )?;
    Ok(publish::seller_sanctioned(c, decision_id, &sanction, at))
}
