//! Escrowed orders: the marketplace registers them; parties and staff read them.

use chrono::{DateTime, Duration, Utc};

use super::{now, App, AppError, Caller, Missing};
use crate::domain::{Currency, Money, OrderSnapshot, OrderStatus};
use crate::store::orders::{self as rows, OrderRow, OrderState};
use crate::store::{from_db, to_db, DbConn};

/// Seed 001: the marketplace pays the seller 2 days after delivery unless the
/// buyer complains.
pub const AUTO_RELEASE_AFTER_DELIVERY: Duration = Duration::days(2);

/// An order as the service role registers it, already validated.
#[derive(Debug, Clone)]
pub struct RegisterOrder {
    pub buyer_id: String,
    pub seller_id: String,
    pub amount: Money,
    pub status: OrderStatus,
    pub delivered_at: Option<DateTime<Utc>>,
    pub auto_release_at: Option<DateTime<Utc>>,
    pub contacts: Option<serde_json::Value>,
}

impl RegisterOrder {
    /// The held amount, checked: positive, in range, between two different people.
    fn checked_amount(&self) -> Result<i64, AppError> {
        let amount = self.amount.amount_in(self.amount.currency(), "amount.amount")?;
        if amount == 0 {
            return Err(AppError::invalid("amount.amount", "must be greater than zero"));
        }
        crate::domain::check_parties(&self.buyer_id, &self.seller_id)?;
        Ok(amount)
    }
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: String,
    pub buyer_id: String,
    pub seller_id: String,
    pub amount: i64,
    pub currency: Currency,
    pub status: OrderStatus,
    pub delivered_at: Option<DateTime<Utc>>,
    pub auto_release_at: Option<DateTime<Utc>>,
    pub contacts: Option<serde_json::Value>,
    /// The complaint that freezes the auto-release, if one is running.
    pub active_complaint_id: Option<String>,
    /// The complaint whose settlement moved the hold, once one resolved.
    pub settled_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Order {
    fn of(row: OrderRow, active_complaint_id: Option<String>, settled_by: Option<String>) -> Result<Self, AppError> {
        Ok(Order {
            currency: row.currency.parse().map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?,
            contacts: row
                .contacts
                .as_deref()
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| AppError::Internal(e.into()))?,
            delivered_at: row.delivered_at.map(from_db),
            auto_release_at: row.auto_release_at.map(from_db),
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
            id: row.id,
            buyer_id: row.buyer_id,
            seller_id: row.seller_id,
            amount: row.amount,
            status: row.status.parse().map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?,
            active_complaint_id,
            settled_by,
        })
    }

    fn of_state(state: OrderState) -> Result<Self, AppError> {
        Order::of(state.row, state.active_complaint_id, state.settled_by)
    }

    pub fn snapshot(&self) -> OrderSnapshot {
        OrderSnapshot {
            id: self.id.clone(),
            buyer_id: self.buyer_id.clone(),
            seller_id: self.seller_id.clone(),
            amount: self.amount,
            currency: self.currency,
            status: self.status,
            delivered_at: self.delivered_at,
            auto_release_at: self.auto_release_at,
            settled: self.settled_by.is_some(),
        }
    }

    fn visible_to(&self, caller: &Caller) -> bool {
        caller.service || caller.staff || caller.id == self.buyer_id || caller.id == self.seller_id
    }
}

/// Loads an order with its active complaint and settlement.
pub(crate) fn load(conn: &mut DbConn, id: &str) -> Result<Option<Order>, AppError> {
    rows::find_with_state(conn, id)?.map(Order::of_state).transpose()
}

/// `load`, the order's row locked until the transaction ends.
pub(crate) fn load_for_update(conn: &mut DbConn, id: &str) -> Result<Option<Order>, AppError> {
    rows::find_with_state_for_update(conn, id)?.map(Order::of_state).transpose()
}

impl App {
    /// Registers or updates an order. Returns it and whether it was created.
    #[tracing::instrument(skip(self, caller, input), fields(order_id = %id))]
    pub async fn register_order(
        &self,
        caller: &Caller,
        id: String,
        input: RegisterOrder,
    ) -> Result<(Order, bool), AppError> {
        if !caller.service {
            return Err(AppError::Forbidden("only the marketplace's service role registers orders".into()));
        }
        let amount = input.checked_amount()?;
        let at = now();
        let auto_release_at = input.auto_release_at.or(input.delivered_at.map(|d| d + AUTO_RELEASE_AFTER_DELIVERY));
        let row = OrderRow {
            id: id.clone(),
            buyer_id: input.buyer_id,
            seller_id: input.seller_id,
            amount,
            currency: input.amount.currency().code().to_string(),
            status: input.status.to_string(),
            delivered_at: input.delivered_at.map(to_db),
            auto_release_at: auto_release_at.map(to_db),
            contacts: input.contacts.map(|c| c.to_string()),
            created_at: to_db(at),
            updated_at: to_db(at),
        };
        // A new order is one statement: nothing to check it against.
        let new = row.clone();
        if self.read(move |conn| Ok(rows::insert_new(conn, &new)?)).await? {
            return Ok((Order::of(row, None, None)?, true));
        }
        self.write(move |conn| {
            let Some(old) = load_for_update(conn, &id)? else {
                rows::insert(conn, &row)?;
                return Ok((Order::of(row, None, None)?, true));
            };
            let row = OrderRow { created_at: to_db(old.created_at), ..row };
            let new = Order { settled_by: old.settled_by.clone(), ..Order::of(row.clone(), None, None)? };
            old.snapshot().may_become(&new.snapshot(), old.active_complaint_id.is_some())?;
            rows::update(conn, &row)?;
            Ok((Order::of(row, old.active_complaint_id, old.settled_by)?, false))
        })
        .await
    }

    pub async fn order(&self, caller: &Caller, id: String) -> Result<Order, AppError> {
        let caller = caller.clone();
        self.read(move |conn| match load(conn, &id)? {
            // The parties' mail addresses are for the service's own mail, not for each other.
            Some(order) if caller.service || caller.staff => Ok(order),
            Some(order) if order.visible_to(&caller) => Ok(Order { contacts: None, ..order }),
            _ => Err(AppError::NotFound(Missing::Order)),
        })
        .await
    }
}
