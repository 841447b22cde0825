//! Escrowed orders: the marketplace registers them; parties and staff read them.

use chrono::{DateTime, Duration, Utc};

use super::{now, App, AppError, Caller, Missing};
use crate::domain::{Currency, Money, OrderSnapshot, OrderStatus};
use crate::store::holds::{self as hold_rows, HoldRow, HoldState};
use crate::store::orders::{self as rows, OrderRow, OrderState};
use crate::store::{from_db, to_db, DbConn};

/// Seed 001: the marketplace pays the seller 2 days after delivery unless the
/// buyer complains.
pub const AUTO_RELEASE_AFTER_DELIVERY: Duration = Duration::days(2);

/// Most holds one order takes: every read of the order lists them.
pub const MAX_HOLDS: i64 = 100;

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
    /// A digital good: delivery is proved by a screenshot or a screen recording.
    pub digital: bool,
}

/// An amount to hold, checked: positive and in range.
fn held(amount: &Money) -> Result<i64, AppError> {
    let minor = amount.amount_in(amount.currency(), "amount.amount")?;
    if minor == 0 {
        return Err(AppError::invalid("amount.amount", "must be greater than zero"));
    }
    Ok(minor)
}

impl RegisterOrder {
    /// The held amount, checked: positive, in range, between two different people.
    fn checked_amount(&self) -> Result<i64, AppError> {
        let amount = held(&self.amount)?;
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
    /// The complaint on the order's own amount that freezes its
    /// auto-release, if one is running.
    pub active_complaint_id: Option<String>,
    /// The complaint whose settlement moved the order's own amount, once one resolved.
    pub settled_by: Option<String>,
    /// The marketplace registered holds (milestones) on the order: a
    /// complaint then names one of them.
    pub has_holds: bool,
    /// Those holds, oldest first, where the caller reads the order (empty
    /// where only `has_holds` was needed).
    pub holds: Vec<Hold>,
    /// A digital good: delivery is proved by a screenshot or a screen recording.
    pub digital: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One escrow hold of an order beyond its own amount (seed 002: a milestone
/// of a job), funded and released on its own, settled once.
#[derive(Debug, Clone)]
pub struct Hold {
    pub order_id: String,
    pub id: String,
    pub amount: i64,
    pub currency: Currency,
    pub status: OrderStatus,
    pub delivered_at: Option<DateTime<Utc>>,
    pub auto_release_at: Option<DateTime<Utc>>,
    pub description: Option<String>,
    pub active_complaint_id: Option<String>,
    pub settled_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A hold as the service role registers it.
#[derive(Debug, Clone)]
pub struct RegisterHold {
    pub amount: Money,
    pub status: OrderStatus,
    pub delivered_at: Option<DateTime<Utc>>,
    pub auto_release_at: Option<DateTime<Utc>>,
    pub description: Option<String>,
}

impl Hold {
    fn of(state: HoldState, currency: Currency) -> Result<Self, AppError> {
        let HoldState { row, active_complaint_id, settled_by } = state;
        Ok(Hold {
            status: row.status.parse().map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?,
            delivered_at: row.delivered_at.map(from_db),
            auto_release_at: row.auto_release_at.map(from_db),
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
            order_id: row.order_id,
            id: row.id,
            amount: row.amount,
            description: row.description,
            currency,
            active_complaint_id,
            settled_by,
        })
    }

    /// The terms a complaint on this hold is opened against: the order's
    /// parties and currency, the hold's amount and escrow state.
    pub fn snapshot(&self, order: &Order) -> OrderSnapshot {
        OrderSnapshot {
            hold_id: Some(self.id.clone()),
            amount: self.amount,
            status: self.status,
            delivered_at: self.delivered_at,
            auto_release_at: self.auto_release_at,
            settled: self.settled_by.is_some(),
            ..order.snapshot()
        }
    }
}

impl Order {
    fn of(
        row: OrderRow,
        active_complaint_id: Option<String>,
        settled_by: Option<String>,
        has_holds: bool,
    ) -> Result<Self, AppError> {
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
            digital: row.digital,
            status: row.status.parse().map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?,
            active_complaint_id,
            settled_by,
            has_holds,
            holds: Vec::new(),
        })
    }

    fn of_state(state: OrderState) -> Result<Self, AppError> {
        Order::of(state.row, state.active_complaint_id, state.settled_by, state.has_holds)
    }

    /// The order with its holds read.
    fn with_holds(self, conn: &mut DbConn) -> Result<Self, AppError> {
        if !self.has_holds {
            return Ok(self);
        }
        let holds = hold_rows::of_order(conn, &self.id)?
            .into_iter()
            .map(|h| Hold::of(h, self.currency))
            .collect::<Result<_, _>>()?;
        Ok(Order { holds, ..self })
    }

    pub fn snapshot(&self) -> OrderSnapshot {
        OrderSnapshot {
            hold_id: None,
            id: self.id.clone(),
            buyer_id: self.buyer_id.clone(),
            seller_id: self.seller_id.clone(),
            amount: self.amount,
            currency: self.currency,
            status: self.status,
            delivered_at: self.delivered_at,
            auto_release_at: self.auto_release_at,
            settled: self.settled_by.is_some(),
            digital: self.digital,
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

/// One hold of a loaded order. The caller holds the order's row lock.
pub(crate) fn load_hold(conn: &mut DbConn, order: &Order, id: &str) -> Result<Option<Hold>, AppError> {
    hold_rows::find(conn, &order.id, id)?.map(|h| Hold::of(h, order.currency)).transpose()
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
            digital: input.digital,
        };
        // A new order is one statement: nothing to check it against.
        let new = row.clone();
        if self.read(move |conn| Ok(rows::insert_new(conn, &new)?)).await? {
            return Ok((Order::of(row, None, None, false)?, true));
        }
        self.write(move |conn| {
            let Some(old) = load_for_update(conn, &id)? else {
                rows::insert(conn, &row)?;
                return Ok((Order::of(row, None, None, false)?, true));
            };
            let row = OrderRow { created_at: to_db(old.created_at), ..row };
            let new = Order { settled_by: old.settled_by.clone(), ..Order::of(row.clone(), None, None, false)? };
            old.snapshot().may_become(&new.snapshot(), old.active_complaint_id.is_some())?;
            if old.has_holds {
                // The holds share the order's parties and currency, and hold
                // part of its amount.
                let (running, settled) = hold_rows::any_disputed(conn, &id)?;
                let parties_only = OrderSnapshot {
                    buyer_id: new.buyer_id.clone(),
                    seller_id: new.seller_id.clone(),
                    currency: new.currency,
                    ..old.snapshot()
                };
                OrderSnapshot { settled, ..old.snapshot() }.may_become(&parties_only, running)?;
                let (_, held) = hold_rows::count_and_sum(conn, &id)?;
                if amount < held {
                    return Err(AppError::invalid(
                        "amount.amount",
                        format!("the order's holds hold {held}; its amount cannot be less"),
                    ));
                }
            }
            rows::update(conn, &row)?;
            Order::of(row, old.active_complaint_id, old.settled_by, old.has_holds)?.with_holds(conn).map(|o| (o, false))
        })
        .await
    }

    pub async fn order(&self, caller: &Caller, id: String) -> Result<Order, AppError> {
        let caller = caller.clone();
        self.read(move |conn| match load(conn, &id)? {
            // The parties' mail addresses are for the service's own mail, not for each other.
            Some(order) if caller.service || caller.staff => order.with_holds(conn),
            Some(order) if order.visible_to(&caller) => Order { contacts: None, ..order }.with_holds(conn),
            _ => Err(AppError::NotFound(Missing::Order)),
        })
        .await
    }

    /// Registers or updates one escrow hold of an order (a milestone), in the
    /// order's currency. Returns it and whether it was created. The holds of
    /// an order hold at most its amount together; a hold with a complaint
    /// running keeps its terms, and a settled one its amount.
    #[tracing::instrument(skip(self, caller, input), fields(order_id = %order_id, hold_id = %hold_id))]
    pub async fn register_hold(
        &self,
        caller: &Caller,
        order_id: String,
        hold_id: String,
        input: RegisterHold,
    ) -> Result<(Hold, bool), AppError> {
        if !caller.service {
            return Err(AppError::Forbidden("only the marketplace's service role registers holds".into()));
        }
        // The id and the description's length are checked with the request, like an order's.
        let amount = held(&input.amount)?;
        let at = now();
        let auto_release_at = input.auto_release_at.or(input.delivered_at.map(|d| d + AUTO_RELEASE_AFTER_DELIVERY));
        self.write(move |conn| {
            let order = load_for_update(conn, &order_id)?.ok_or(AppError::NotFound(Missing::Order))?;
            if input.amount.currency() != order.currency {
                return Err(AppError::invalid(
                    "amount.currency",
                    format!("a hold is in its order's currency, {}", order.currency.code()),
                ));
            }
            if order.active_complaint_id.is_some() || order.settled_by.is_some() {
                return Err(AppError::Conflict {
                    code: "order_disputed_whole",
                    message: "a complaint concerns the order's whole amount; it cannot be split into holds".into(),
                });
            }
            let row = HoldRow {
                order_id: order.id.clone(),
                id: hold_id.clone(),
                amount,
                status: input.status.to_string(),
                delivered_at: input.delivered_at.map(to_db),
                auto_release_at: auto_release_at.map(to_db),
                description: input.description,
                created_at: to_db(at),
                updated_at: to_db(at),
            };
            let (count, held) = hold_rows::count_and_sum(conn, &order.id)?;
            let old = load_hold(conn, &order, &hold_id)?;
            if old.is_none() && count >= MAX_HOLDS {
                return Err(AppError::Conflict {
                    code: "hold_limit_reached",
                    message: format!("an order takes at most {MAX_HOLDS} holds"),
                });
            }
            let others = held - old.as_ref().map_or(0, |h| h.amount);
            if others.saturating_add(amount) > order.amount {
                return Err(AppError::invalid(
                    "amount.amount",
                    format!(
                        "the order's holds would hold {} of its amount {}",
                        others.saturating_add(amount),
                        order.amount
                    ),
                ));
            }
            let created = old.is_none();
            let row = match &old {
                None => {
                    hold_rows::insert(conn, &row)?;
                    row
                }
                Some(old) => {
                    let new = Hold::of(
                        HoldState { row: row.clone(), active_complaint_id: None, settled_by: old.settled_by.clone() },
                        order.currency,
                    )?;
                    old.snapshot(&order).may_become(&new.snapshot(&order), old.active_complaint_id.is_some())?;
                    let row = HoldRow { created_at: to_db(old.created_at), ..row };
                    hold_rows::update(conn, &row)?;
                    row
                }
            };
            let (active_complaint_id, settled_by) = old.map_or((None, None), |h| (h.active_complaint_id, h.settled_by));
            Ok((Hold::of(HoldState { row, active_complaint_id, settled_by }, order.currency)?, created))
        })
        .await
    }
}
