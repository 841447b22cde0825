//! A case as customer care works it: the complaint with everything an agent
//! reads before acting, in one read of the database.

use super::complaints::{load_for, timeline_entries, Seen, TimelineEntry};
use super::evidence::Evidence;
use super::orders::{Hold, Order};
use super::settlements::Settlement;
use super::standing::{standing_of, Standing};
use super::{now, App, AppError, Caller, Missing};
use crate::domain::Role;
use crate::store::complaints as store;
use crate::store::evidence as rows;

/// The most timeline entries one read returns; the rest come by cursor.
pub const TIMELINE_PAGE: i64 = 200;

#[derive(Debug, Clone)]
pub struct CaseFile {
    pub seen: Seen,
    pub order: Order,
    /// The escrow hold the complaint concerns, on an order with several.
    pub hold: Option<Hold>,
    /// The timeline from its start (or after the cursor), staff notes included.
    pub timeline: Vec<TimelineEntry>,
    /// Entries follow the last one shown.
    pub timeline_continues: bool,
    /// Every file of the complaint, oldest first.
    pub evidence: Vec<Evidence>,
    pub standing: Standing,
    /// Once the complaint is resolved.
    pub settlement: Option<Settlement>,
}

impl App {
    /// The case file of a complaint, for staff who are not one of its
    /// parties (an agent who bought or sold the order acts as that party).
    pub async fn case_file(&self, caller: &Caller, id: String, after_seq: i64) -> Result<CaseFile, AppError> {
        if !caller.staff {
            return Err(AppError::Forbidden("only staff read a case file".into()));
        }
        let caller = caller.clone();
        let at = now();
        self.read(move |conn| {
            let seen = load_for(conn, &id, &caller)?;
            if seen.actor.role != Role::Staff {
                return Err(AppError::Forbidden(
                    "an agent who is a party of the complaint does not arbitrate it".into(),
                ));
            }
            let c = &seen.complaint;
            let order = super::orders::load(conn, &c.order_id)?.ok_or(AppError::NotFound(Missing::Order))?;
            let hold = match &c.hold_id {
                Some(id) => super::orders::load_hold(conn, &order, id)?,
                None => None,
            };
            let mut timeline = timeline_entries(conn, &id, true, after_seq.max(0), TIMELINE_PAGE + 1)?;
            let timeline_continues = timeline.len() as i64 > TIMELINE_PAGE;
            timeline.truncate(TIMELINE_PAGE as usize);
            let evidence =
                rows::of_complaint(conn, &id)?.into_iter().map(Evidence::try_from).collect::<Result<_, _>>()?;
            let standing = standing_of(conn, c.seller_id.clone(), at)?;
            let settlement = store::settlement(conn, &id)?.map(Settlement::of).transpose()?;
            Ok(CaseFile { order, hold, timeline, timeline_continues, evidence, standing, settlement, seen })
        })
        .await
    }
}
