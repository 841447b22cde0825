//! A seller's standing: the sanction ladder applied to each decision with
//! the seller at fault, and the violations and suspension a seller has.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ids::new_id;
use super::publish;
use super::{now, App, AppError, Caller};
use crate::domain::{self, Complaint, EventType};
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

/// Where a violation comes from.
pub(crate) enum Source<'a> {
    Decision { complaint: &'a Complaint, decision_id: &'a str },
    Notice { notice_id: &'a str },
}

/// Records the violation a decision with the seller at fault or a confirmed
/// listing notice adds, one rung up the seller's ladder (DESIGN §3, seed
/// 004), and returns the events it publishes: `seller.sanctioned`, and when
/// the store closes for good `seller.closed` (with `seller.balance_payable`
/// if none of its complaints is open). Violations of one seller climb the
/// ladder one after the other.
pub(crate) fn sanction(
    conn: &mut DbConn,
    seller_id: &str,
    source: Source<'_>,
    at: DateTime<Utc>,
) -> Result<Vec<NewOutboxEvent>, AppError> {
    standing::lock_seller(conn, seller_id)?;
    let ordinal = i32::try_from(standing::count(conn, seller_id)? + 1).unwrap_or(i32::MAX);
    let sanction = domain::sanction_for(ordinal, at);
    let (decision_id, complaint_id, notice_id) = match &source {
        Source::Decision { complaint, decision_id } => {
            (Some(decision_id.to_string()), Some(complaint.id.clone()), None)
        }
        Source::Notice { notice_id } => (None, None, Some(notice_id.to_string())),
    };
    standing::insert(
        conn,
        &ViolationRow {
            id: new_id("vio"),
            seller_id: seller_id.to_string(),
            decision_id,
            complaint_id,
            ordinal: sanction.ordinal,
            suspended_until: sanction.suspended_until.map(to_db),
            permanent: sanction.permanent,
            created_at: to_db(at),
            notice_id,
        },
    )?;
    let mut out = vec![match source {
        Source::Decision { complaint, decision_id } => {
            publish::seller_sanctioned(complaint, decision_id, &sanction, at)
        }
        Source::Notice { notice_id } => publish::seller_event(
            EventType::SellerSanctioned,
            json!({"seller_id": seller_id, "notice_id": notice_id, "violation": sanction.ordinal,
                   "suspended_until": sanction.suspended_until, "permanently_closed": sanction.permanent}),
            at,
        ),
    }];
    // The first permanent rung of the ladder closes the store.
    if sanction.permanent && !domain::sanction_for(ordinal - 1, at).permanent {
        // A complaint this very change resolves is no longer open.
        let resolving = match source {
            Source::Decision { complaint, .. } if complaint.status == domain::Status::Resolved => 1,
            _ => 0,
        };
        let open = (crate::store::complaints::open_count_of_seller(conn, seller_id)? - resolving).max(0);
        out.push(publish::seller_event(
            EventType::SellerClosed,
            json!({"seller_id": seller_id, "open_complaints": open, "balance_payable": open == 0}),
            at,
        ));
        if open == 0 {
            out.push(balance_payable(seller_id, at));
        }
    }
    Ok(out)
}

fn balance_payable(seller_id: &str, at: DateTime<Utc>) -> NewOutboxEvent {
    publish::seller_event(EventType::SellerBalancePayable, json!({"seller_id": seller_id}), at)
}

/// When `c` resolves and was the last open complaint of a store closed for
/// good, the store's balance may be paid out now.
pub(crate) fn balance_freed(
    conn: &mut DbConn,
    c: &Complaint,
    at: DateTime<Utc>,
) -> Result<Option<NewOutboxEvent>, AppError> {
    if !standing::permanently_closed(conn, &c.seller_id)? {
        return Ok(None);
    }
    // The complaint resolving in this transaction still counts as open in its row.
    let open = crate::store::complaints::open_count_of_seller(conn, &c.seller_id)?;
    Ok((open <= 1).then(|| balance_payable(&c.seller_id, at)))
}
