//! The settlement after the resolution: the payment system reports whether
//! it moved the money, and staff see the settlements it failed or never
//! reported.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ids::new_id;
use super::page::{next_of, Page, TimeCursor};
use super::{now, App, AppError, Caller, Missing};
use crate::domain::{self, Currency, EventType, Money, PaymentReport, Payout, ResolvedBy};
use crate::store::complaints::{self as store, SettlementRow};
use crate::store::outbox::{self, NewOutboxEvent};
use crate::store::prepared::Writes;
use crate::store::timeline::{self, TimelineRow};
use crate::store::{from_db, to_db, DbConn};

/// A complaint's settlement and where its money stands.
#[derive(Debug, Clone)]
pub struct Settlement {
    pub complaint_id: String,
    pub order_id: String,
    pub resolved_by: ResolvedBy,
    pub refund_to_buyer: Money,
    pub release_to_seller: Money,
    pub resolved_at: DateTime<Utc>,
    pub payout: Payout,
}

impl Settlement {
    pub(super) fn of(row: SettlementRow) -> Result<Self, AppError> {
        let corrupt = |e: String| AppError::Internal(anyhow::anyhow!("settlement {}: {e}", row.complaint_id));
        let currency: Currency = row.currency.parse().map_err(corrupt)?;
        Ok(Settlement {
            resolved_by: row.resolved_by.parse().map_err(corrupt)?,
            refund_to_buyer: Money::new(row.refund_to_buyer, currency),
            release_to_seller: Money::new(row.release_to_seller, currency),
            resolved_at: from_db(row.resolved_at),
            payout: row.payout()?,
            complaint_id: row.complaint_id,
            order_id: row.order_id,
        })
    }
}

/// The outbox event and timeline entry of a recorded report.
fn published(
    s: &Settlement,
    event_type: EventType,
    caller: &Caller,
    seq: i64,
    at: DateTime<Utc>,
) -> (TimelineRow, NewOutboxEvent) {
    let kind = format!("settlement_{}", s.payout.state);
    let data = json!({
        "complaint_id": s.complaint_id, "order_id": s.order_id,
        "settlement": {
            "state": s.payout.state, "payment_reference": s.payout.payment_reference,
            "refund_destination": s.payout.refund_destination, "failure_reason": s.payout.failure_reason,
            "refund_to_buyer": s.refund_to_buyer, "release_to_seller": s.release_to_seller,
        },
    });
    let entry = TimelineRow {
        complaint_id: s.complaint_id.clone(),
        seq,
        kind,
        actor_id: Some(caller.id.clone()),
        actor_role: "service".into(),
        visibility: "parties".into(),
        data: data["settlement"].to_string(),
        at: to_db(at),
    };
    let event = NewOutboxEvent {
        id: new_id("evt"),
        kind: event_type.as_str().into(),
        complaint_id: Some(s.complaint_id.clone()),
        data: data.to_string(),
        occurred_at: to_db(at),
    };
    (entry, event)
}

fn locked_settlement(conn: &mut DbConn, complaint_id: &str) -> Result<SettlementRow, AppError> {
    // The complaint's lock orders this report after its resolution and any other report.
    store::find_for_update(conn, complaint_id)?.ok_or(AppError::NotFound(Missing::Complaint))?;
    store::settlement(conn, complaint_id)?.ok_or_else(|| AppError::Conflict {
        code: "not_settled",
        message: "the complaint is not resolved: it has no settlement to report on".into(),
    })
}

impl App {
    /// The payment system reports a settlement executed or failed (service
    /// role). A report repeating the one on record answers the settlement
    /// unchanged; a conflicting one is refused.
    #[tracing::instrument(skip(self, caller, report), fields(complaint_id = %complaint_id))]
    pub async fn report_settlement(
        &self,
        caller: &Caller,
        complaint_id: String,
        report: PaymentReport,
    ) -> Result<Settlement, AppError> {
        let caller = caller.clone();
        self.write(move |conn| {
            let row = locked_settlement(conn, &complaint_id)?;
            let mut settlement = Settlement::of(row)?;
            let at = now();
            let event_type = report.event_type();
            let Some(payout) =
                domain::report_payout(&settlement.payout, settlement.refund_to_buyer.amount, report, at)?
            else {
                return Ok(settlement);
            };
            settlement.payout = payout;
            store::save_payout(conn, &complaint_id, &settlement.payout)?;
            let seq = store::touch(conn, &complaint_id, to_db(at))?;
            let (entry, event) = published(&settlement, event_type, &caller, seq, at);
            let mut writes = Writes::on(conn);
            timeline::append(&mut writes, vec![entry]);
            outbox::insert(&mut writes, vec![event]);
            writes.run(conn)?;
            tracing::info!(state = %settlement.payout.state, "settlement reported");
            Ok(settlement)
        })
        .await
    }

    /// A settlement as the payment system or staff read it.
    pub async fn settlement(&self, caller: &Caller, complaint_id: String) -> Result<Settlement, AppError> {
        if !(caller.service || caller.staff) {
            return Err(AppError::Forbidden("only the payment system and staff read settlements".into()));
        }
        self.read(move |conn| {
            let row = store::settlement(conn, &complaint_id)?.ok_or(AppError::NotFound(Missing::Settlement))?;
            Settlement::of(row)
        })
        .await
    }

    /// Settlements the payment system failed, or left pending longer than
    /// `settlement_overdue`, oldest first (staff).
    pub async fn payment_problems(
        &self,
        caller: &Caller,
        after: Option<TimeCursor>,
        limit: i64,
    ) -> Result<Page<Settlement>, AppError> {
        if !caller.staff {
            return Err(AppError::Forbidden("only staff see payment problems".into()));
        }
        let pending_before = to_db(now() - self.settlement_overdue);
        self.read(move |conn| {
            let rows = store::payment_problems(conn, pending_before, after.map(|c| (to_db(c.at), c.id)), limit)?;
            let next_cursor =
                next_of(&rows, limit, |r| Some(TimeCursor { at: from_db(r.resolved_at), id: r.complaint_id.clone() }));
            let items = rows.into_iter().map(Settlement::of).collect::<Result<_, _>>()?;
            Ok(Page { items, next_cursor })
        })
        .await
    }
}
