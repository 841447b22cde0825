//! Complaint rows, their proposals and settlement, and the conversion to and
//! from the domain's `Complaint`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::prepared::{row_after, update, Condition, Writes};
use super::schema::{complaints, decisions, proposals, settlements};
use super::{from_db, to_db, DbConn};
use crate::domain::{Complaint, Deadline, Decision, Payout, Proposal, Resolution, Role};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = complaints, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct ComplaintRow {
    pub id: String,
    pub order_id: String,
    pub buyer_id: String,
    pub seller_id: String,
    pub reason: String,
    pub description: String,
    pub currency: String,
    pub held_amount: i64,
    pub disputed_amount: i64,
    pub status: String,
    pub deadline_at: Option<NaiveDateTime>,
    pub deadline_on_expiry: Option<String>,
    pub pending_proposal_id: Option<String>,
    pub fulfilment: Option<String>,
    pub seller_answered: bool,
    pub assignee_id: Option<String>,
    pub escalated_at: Option<NaiveDateTime>,
    pub version: i64,
    pub opened_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// A JSON array of the domain's `EvidenceRequest`s.
    pub evidence_requests: String,
    pub timeline_seq: i64,
    pub evidence_checklist: String,
    /// The hold's id, empty for the order's own single amount.
    pub hold_id: String,
    pub opened_by: String,
    pub digital: bool,
    /// The earliest due time of an open evidence request not yet overdue.
    pub evidence_due_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = proposals, treat_none_as_default_value = false)]
pub struct ProposalRow {
    pub id: String,
    pub complaint_id: String,
    pub author_id: String,
    pub author_role: String,
    pub kind: String,
    pub refund_amount: i64,
    pub note: Option<String>,
    pub status: String,
    pub required: String,
    pub accepted_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = settlements, treat_none_as_default_value = false)]
pub struct SettlementRow {
    pub complaint_id: String,
    pub resolved_by: String,
    pub currency: String,
    pub held_amount: i64,
    pub refund_to_buyer: i64,
    pub release_to_seller: i64,
    pub event_id: String,
    pub resolved_at: NaiveDateTime,
    pub order_id: String,
    pub state: String,
    pub payment_reference: Option<String>,
    pub refund_destination: Option<String>,
    pub failure_reason: Option<String>,
    pub reported_at: Option<NaiveDateTime>,
    /// The hold it settles, empty for the order's own single amount.
    pub hold_id: String,
}

impl SettlementRow {
    pub fn payout(&self) -> QueryResult<Payout> {
        Ok(Payout {
            state: parse(&self.state)?,
            payment_reference: self.payment_reference.clone(),
            refund_destination: self.refund_destination.as_deref().map(parse).transpose()?,
            failure_reason: self.failure_reason.clone(),
            reported_at: self.reported_at.map(from_db),
        })
    }
}

fn roles_to_text(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

fn roles_from_text(s: &str) -> Vec<Role> {
    s.split(',').filter(|r| !r.is_empty()).filter_map(|r| r.parse().ok()).collect()
}

/// Rows hold only values the domain wrote, so a value that does not parse is
/// a corrupted row: surface it as a deserialization error, not a panic.
fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> QueryResult<T> {
    s.parse().map_err(|e: String| diesel::result::Error::DeserializationError(e.into()))
}

impl ProposalRow {
    fn of(complaint_id: &str, p: &Proposal, now: NaiveDateTime) -> Self {
        ProposalRow {
            id: p.id.clone(),
            complaint_id: complaint_id.to_string(),
            author_id: p.author_id.clone(),
            author_role: p.author_role.to_string(),
            kind: p.kind.to_string(),
            refund_amount: p.refund_amount,
            note: p.note.clone(),
            status: p.status.to_string(),
            required: roles_to_text(&p.required),
            accepted_by: roles_to_text(&p.accepted_by),
            created_at: to_db(p.created_at),
            updated_at: now,
        }
    }

    fn into_domain(self) -> QueryResult<Proposal> {
        Ok(Proposal {
            author_role: parse(&self.author_role)?,
            kind: parse(&self.kind)?,
            status: parse(&self.status)?,
            required: roles_from_text(&self.required),
            accepted_by: roles_from_text(&self.accepted_by),
            created_at: from_db(self.created_at),
            id: self.id,
            author_id: self.author_id,
            refund_amount: self.refund_amount,
            note: self.note,
        })
    }
}

impl ComplaintRow {
    pub fn of(c: &Complaint) -> Self {
        ComplaintRow {
            id: c.id.clone(),
            order_id: c.order_id.clone(),
            buyer_id: c.buyer_id.clone(),
            seller_id: c.seller_id.clone(),
            reason: c.reason.to_string(),
            description: c.description.clone(),
            currency: c.currency.code().to_string(),
            held_amount: c.held_amount,
            disputed_amount: c.disputed_amount,
            status: c.status.to_string(),
            deadline_at: c.deadline.as_ref().map(|d| to_db(d.at)),
            deadline_on_expiry: c.deadline.as_ref().map(|d| d.on_expiry.to_string()),
            pending_proposal_id: c.pending_proposal().map(|p| p.id.clone()),
            fulfilment: c.fulfilment.as_ref().map(|f| serde_json::to_string(f).expect("fulfilment serializes")),
            seller_answered: c.seller_answered,
            assignee_id: c.assignee_id.clone(),
            escalated_at: c.escalated_at.map(to_db),
            version: c.version,
            opened_at: to_db(c.opened_at),
            updated_at: to_db(c.updated_at),
            evidence_requests: serde_json::to_string(&c.evidence_requests).expect("evidence requests serialize"),
            evidence_checklist: serde_json::to_string(&c.evidence_checklist).expect("a checklist serializes"),
            timeline_seq: c.timeline_seq,
            hold_id: c.hold_id.clone().unwrap_or_default(),
            opened_by: c.opened_by.to_string(),
            digital: c.digital,
            evidence_due_at: c.next_evidence_due().map(to_db),
        }
    }

    pub fn into_domain(self, proposals: Vec<ProposalRow>, settlement: Option<SettlementRow>) -> QueryResult<Complaint> {
        let deadline = match (self.deadline_at, self.deadline_on_expiry) {
            (Some(at), Some(on_expiry)) => Some(Deadline { at: from_db(at), on_expiry: parse(&on_expiry)? }),
            _ => None,
        };
        let json_error = |e: serde_json::Error| diesel::result::Error::DeserializationError(e.into());
        let fulfilment = self.fulfilment.map(|f| serde_json::from_str(&f)).transpose().map_err(json_error)?;
        let evidence_requests = serde_json::from_str(&self.evidence_requests).map_err(json_error)?;
        let resolution = settlement
            .map(|s| -> QueryResult<Resolution> {
                Ok(Resolution {
                    by: parse(&s.resolved_by)?,
                    refund_to_buyer: s.refund_to_buyer,
                    release_to_seller: s.release_to_seller,
                    resolved_at: from_db(s.resolved_at),
                    payout: s.payout()?,
                })
            })
            .transpose()?;
        Ok(Complaint {
            reason: parse(&self.reason)?,
            currency: self
                .currency
                .parse()
                .map_err(|e: String| diesel::result::Error::DeserializationError(e.into()))?,
            status: parse(&self.status)?,
            opened_by: parse(&self.opened_by)?,
            hold_id: Some(self.hold_id).filter(|h| !h.is_empty()),
            proposals: proposals.into_iter().map(ProposalRow::into_domain).collect::<QueryResult<_>>()?,
            deadline,
            fulfilment,
            resolution,
            evidence_requests,
            evidence_checklist: serde_json::from_str(&self.evidence_checklist).map_err(json_error)?,
            escalated_at: self.escalated_at.map(from_db),
            opened_at: from_db(self.opened_at),
            updated_at: from_db(self.updated_at),
            id: self.id,
            order_id: self.order_id,
            buyer_id: self.buyer_id,
            seller_id: self.seller_id,
            description: self.description,
            held_amount: self.held_amount,
            disputed_amount: self.disputed_amount,
            seller_answered: self.seller_answered,
            digital: self.digital,
            assignee_id: self.assignee_id,
            version: self.version,
            timeline_seq: self.timeline_seq,
        })
    }
}

/// Loads whole complaints (proposals and settlement included) for these rows,
/// in three queries whatever their number.
pub fn hydrate(conn: &mut DbConn, rows: Vec<ComplaintRow>) -> QueryResult<Vec<Complaint>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut props: Vec<ProposalRow> = proposals::table
        .filter(proposals::complaint_id.eq_any(&ids))
        .order((proposals::complaint_id, proposals::id))
        .select(ProposalRow::as_select())
        .load(conn)?;
    let resolved: Vec<&str> = rows.iter().filter(|r| r.status == "resolved").map(|r| r.id.as_str()).collect();
    let mut settled: Vec<SettlementRow> = if resolved.is_empty() {
        vec![]
    } else {
        settlements::table
            .filter(settlements::complaint_id.eq_any(&resolved))
            .select(SettlementRow::as_select())
            .load(conn)?
    };
    rows.into_iter()
        .map(|row| {
            let mine: Vec<ProposalRow> = props.extract_if(.., |p| p.complaint_id == row.id).collect();
            let settlement = settled.iter().position(|s| s.complaint_id == row.id).map(|i| settled.swap_remove(i));
            row.into_domain(mine, settlement)
        })
        .collect()
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Complaint>> {
    find_one(conn, id, false)
}

/// The complaint, its row (and its proposals') locked for the rest of the
/// transaction.
pub fn find_for_update(conn: &mut DbConn, id: &str) -> QueryResult<Option<Complaint>> {
    find_one(conn, id, true)
}

/// The complaint with its proposals in one statement (every complaint has
/// one from its opening on), and its settlement once it resolved.
fn find_one(conn: &mut DbConn, id: &str, lock: bool) -> QueryResult<Option<Complaint>> {
    macro_rules! joined {
        () => {
            complaints::table
                .inner_join(proposals::table)
                .filter(complaints::id.eq(id))
                .order(proposals::id.asc())
                .select((ComplaintRow::as_select(), ProposalRow::as_select()))
        };
    }
    let rows: Vec<(ComplaintRow, ProposalRow)> = match conn {
        DbConn::Pg(c) if lock => joined!().for_update().load(c)?,
        _ => joined!().load(conn)?,
    };
    let mut rows = rows.into_iter();
    let Some((row, first)) = rows.next() else {
        // None, or a complaint without proposals: read it the long way.
        let row = if lock {
            super::dialect::first_for_update!(conn, complaints::table.find(id).select(ComplaintRow::as_select()))
                .optional()?
        } else {
            complaints::table.find(id).select(ComplaintRow::as_select()).first(conn).optional()?
        };
        return hydrate_one(conn, row);
    };
    let proposals: Vec<ProposalRow> = std::iter::once(first).chain(rows.map(|(_, p)| p)).collect();
    let settlement = if row.status == "resolved" { settlement(conn, &row.id)? } else { None };
    row.into_domain(proposals, settlement).map(Some)
}

fn hydrate_one(conn: &mut DbConn, row: Option<ComplaintRow>) -> QueryResult<Option<Complaint>> {
    Ok(match row {
        Some(row) => hydrate(conn, vec![row])?.pop(),
        None => None,
    })
}

/// Whether any deadline with an automatic outcome has passed at `now` (a
/// read, so an idle timer takes no write lock).
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    // The oldest deadline that can fire, one row off the partial index.
    let oldest: Option<Option<NaiveDateTime>> = complaints::table
        .filter(can_fire())
        .order((complaints::deadline_at.asc(), complaints::id.asc()))
        .select(complaints::deadline_at)
        .first(conn)
        .optional()?;
    Ok(oldest.flatten().is_some_and(|at| at <= now))
}

/// Deadlines with an automatic outcome, written as a literal so the partial
/// index `complaints_due` serves generic plans too (a bound `'none'` would
/// not prove the index's condition).
fn can_fire() -> Condition {
    Condition("deadline_on_expiry <> 'none'")
}

/// How many complaints are in `status` (one range of `complaints_status`).
pub fn count_in_status(conn: &mut DbConn, status: &str) -> QueryResult<i64> {
    complaints::table.filter(complaints::status.eq(status)).select(diesel::dsl::count_star()).first(conn)
}

/// How many deadlines that can fire passed before `before` (a range of `complaints_due`).
pub fn count_due_before(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<i64> {
    complaints::table
        .filter(can_fire())
        .filter(complaints::deadline_at.lt(before))
        .select(diesel::dsl::count_star())
        .first(conn)
}

/// Complaints whose deadline can fire and falls in `(from, to]`, in
/// `(deadline_at, id)` order after `after`, at most `limit`: pages of one
/// window of time, on the index of deadlines that can fire. Those with a
/// reminder of this deadline queued since `reminded_since` are left out (on
/// `mail_deliveries_reminders`), so a window already reminded reads nothing
/// more each time it is looked at.
pub fn deadlines_in(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
    reminded_since: NaiveDateTime,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Complaint>> {
    use super::schema::mail_deliveries as m;
    use diesel::dsl::{exists, not};
    let reminded = m::table
        .filter(m::complaint_id.eq(complaints::id.nullable()))
        .filter(m::reminder_for.eq(complaints::deadline_at))
        .filter(m::created_at.gt(reminded_since));
    let mut q = complaints::table
        .filter(can_fire())
        .filter(complaints::deadline_at.gt(from))
        .filter(complaints::deadline_at.le(to))
        .filter(not(exists(reminded)))
        .order((complaints::deadline_at.asc(), complaints::id.asc()))
        .limit(limit)
        .select(ComplaintRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(row_after((complaints::deadline_at, complaints::id), after));
    }
    let rows = q.load(conn)?;
    hydrate(conn, rows)
}

/// Complaints with an evidence request due in `(from, to]` and not yet
/// overdue, by that due time, after the `(evidence_due_at, id)` cursor.
pub fn evidence_due_in(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Complaint>> {
    let mut q = complaints::table
        .filter(complaints::evidence_due_at.gt(from))
        .filter(complaints::evidence_due_at.le(to))
        .order((complaints::evidence_due_at.asc(), complaints::id.asc()))
        .limit(limit)
        .select(ComplaintRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(row_after((complaints::evidence_due_at, complaints::id), after));
    }
    let rows = q.load(conn)?;
    hydrate(conn, rows)
}

/// Records the payment system's report of a complaint's settlement.
pub fn save_payout(conn: &mut DbConn, complaint_id: &str, p: &Payout) -> QueryResult<()> {
    diesel::update(settlements::table.find(complaint_id))
        .set((
            settlements::state.eq(p.state.as_str()),
            settlements::payment_reference.eq(&p.payment_reference),
            settlements::refund_destination.eq(p.refund_destination.map(|d| d.as_str())),
            settlements::failure_reason.eq(&p.failure_reason),
            settlements::reported_at.eq(p.reported_at.map(to_db)),
        ))
        .execute(conn)
        .map(drop)
}

pub fn settlement(conn: &mut DbConn, complaint_id: &str) -> QueryResult<Option<SettlementRow>> {
    settlements::table.find(complaint_id).select(SettlementRow::as_select()).first(conn).optional()
}

/// Settlements the payment system failed, or has not reported since before
/// `pending_before`, oldest first, after the `(resolved_at, complaint_id)` cursor.
pub fn payment_problems(
    conn: &mut DbConn,
    pending_before: NaiveDateTime,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<SettlementRow>> {
    let mut q = settlements::table
        // A literal, so the partial index `settlements_open` serves generic plans.
        .filter(Condition("state <> 'executed'"))
        .filter(settlements::state.eq("failed").or(settlements::resolved_at.lt(pending_before)))
        .order((settlements::resolved_at.asc(), settlements::complaint_id.asc()))
        .limit(limit)
        .select(SettlementRow::as_select())
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(row_after((settlements::resolved_at, settlements::complaint_id), after));
    }
    q.load(conn)
}

/// The most urgent unassigned complaint under review that `agent` is not a
/// party of, locked; one another transaction holds is skipped (PostgreSQL).
pub fn next_unassigned(conn: &mut DbConn, agent: &str) -> QueryResult<Option<String>> {
    let q = complaints::table
        // Literals: the partial index `complaints_queue_assignee` serves it.
        .filter(Condition("status = 'under_review'"))
        .filter(complaints::assignee_id.is_null())
        .filter(complaints::buyer_id.ne(agent.to_string()))
        .filter(complaints::seller_id.ne(agent.to_string()))
        .order((complaints::deadline_at.asc(), complaints::id.asc()))
        .limit(1)
        .select(complaints::id);
    let ids: Vec<String> = super::dialect::load_skip_locked!(conn, q)?;
    Ok(ids.into_iter().next())
}

/// How many of the seller's complaints are not resolved.
pub fn open_count_of_seller(conn: &mut DbConn, seller_id: &str) -> QueryResult<i64> {
    complaints::table
        .filter(complaints::seller_id.eq(seller_id))
        .filter(Condition("status <> 'resolved'"))
        .select(diesel::dsl::count_star())
        .first(conn)
}

/// How many settlements `payment_problems` lists.
pub fn payment_problem_count(conn: &mut DbConn, pending_before: NaiveDateTime) -> QueryResult<i64> {
    settlements::table
        .filter(Condition("state <> 'executed'"))
        .filter(settlements::state.eq("failed").or(settlements::resolved_at.lt(pending_before)))
        .select(diesel::dsl::count_star())
        .first(conn)
}

/// Settlements not executed yet: (pending, failed, pending since before `pending_before`).
pub fn unexecuted_counts(conn: &mut DbConn, pending_before: NaiveDateTime) -> QueryResult<(i64, i64, i64)> {
    use diesel::dsl::count_star;
    // A literal, so `settlements_open_states` serves generic plans, from the index alone.
    let open = settlements::table.filter(Condition("state <> 'executed'"));
    let by_state: Vec<(String, i64)> =
        open.group_by(settlements::state).select((settlements::state, count_star())).load(conn)?;
    let of = |s: &str| by_state.iter().find(|(k, _)| k == s).map_or(0, |(_, n)| *n);
    let overdue = open
        .filter(settlements::state.eq("pending"))
        .filter(settlements::resolved_at.lt(pending_before))
        .select(count_star())
        .first(conn)?;
    Ok((of("pending"), of("failed"), overdue))
}

/// Moves a complaint's version on after a change outside its state machine
/// (the settlement's payment state), so ETags and caches see it, and takes
/// the next timeline number for the one entry that records it.
pub fn touch(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<i64> {
    diesel::update(complaints::table.find(id))
        .set((
            complaints::version.eq(complaints::version + 1),
            complaints::updated_at.eq(at),
            complaints::timeline_seq.eq(complaints::timeline_seq + 1),
        ))
        .returning(complaints::timeline_seq)
        .get_result(conn)
}

/// Adds the writes of a change to the complaint to `writes`: its row (an
/// insert when opening), new and changed proposals, and the settlement when
/// it resolved.
pub fn save(
    conn: &mut DbConn,
    writes: &mut Writes,
    before: Option<&Complaint>,
    after: &Complaint,
    resolved_event_id: Option<&str>,
) -> QueryResult<()> {
    let now = to_db(after.updated_at);
    let row = ComplaintRow::of(after);
    match before {
        None => writes.insert(complaints::table, [row]),
        // The row is locked for this transaction: the version filter only
        // keeps a write from landing on a version it did not read.
        Some(b) => writes.push(update(
            complaints::table,
            row,
            complaints::id.eq(b.id.clone()).and(complaints::version.eq(b.version)),
        )),
    }
    let old: &[Proposal] = before.map(|b| b.proposals.as_slice()).unwrap_or(&[]);
    let new: Vec<ProposalRow> = after
        .proposals
        .iter()
        .filter(|p| !old.iter().any(|o| o.id == p.id))
        .map(|p| ProposalRow::of(&after.id, p, now))
        .collect();
    for p in after.proposals.iter().filter(|p| old.iter().any(|o| o.id == p.id && o != *p)) {
        let changed = update(
            proposals::table,
            (
                proposals::status.eq(p.status.as_str()),
                proposals::accepted_by.eq(roles_to_text(&p.accepted_by)),
                proposals::updated_at.eq(now),
            ),
            proposals::id.eq(p.id.clone()),
        );
        // A proposal a new one supersedes must leave the index of pending
        // proposals (one per complaint) before the new one enters it, and
        // the writes of one statement run in no set order: it goes first.
        if new.is_empty() {
            writes.push(changed);
        } else {
            changed.execute(conn)?;
        }
    }
    writes.insert(proposals::table, new);
    if let (Some(r), None) = (&after.resolution, before.and_then(|b| b.resolution.as_ref())) {
        writes.insert(
            settlements::table,
            [SettlementRow {
                complaint_id: after.id.clone(),
                resolved_by: r.by.to_string(),
                currency: after.currency.code().to_string(),
                held_amount: after.held_amount,
                refund_to_buyer: r.refund_to_buyer,
                release_to_seller: r.release_to_seller,
                event_id: resolved_event_id.unwrap_or_default().to_string(),
                resolved_at: to_db(r.resolved_at),
                order_id: after.order_id.clone(),
                hold_id: after.hold_id.clone().unwrap_or_default(),
                state: r.payout.state.to_string(),
                payment_reference: None,
                refund_destination: None,
                failure_reason: None,
                reported_at: None,
            }],
        );
    }
    Ok(())
}

pub fn insert_decision(
    conn: &mut DbConn,
    complaint_id: &str,
    staff_id: &str,
    d: &Decision,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(decisions::table)
        .values((
            decisions::id.eq(&d.id),
            decisions::complaint_id.eq(complaint_id),
            decisions::staff_id.eq(staff_id),
            decisions::outcome.eq(d.outcome.as_str()),
            decisions::refund_amount.eq(d.refund_amount),
            decisions::seller_at_fault.eq(d.seller_at_fault),
            decisions::reason_code.eq(&d.reason_code),
            decisions::evidence_ids.eq(serde_json::to_string(&d.evidence_ids).expect("ids serialize")),
            decisions::rationale.eq(&d.rationale),
            decisions::decided_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// Filters for listing complaints.
#[derive(Debug, Default, Clone)]
pub struct ListFilter {
    /// Only complaints where this user is buyer or seller (or `role` of them).
    pub party: Option<String>,
    pub role: Option<Role>,
    pub status: Option<String>,
    /// Ids below this one (ids are time-ordered, newest first).
    pub before_id: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut DbConn, f: &ListFilter) -> QueryResult<Vec<Complaint>> {
    #[derive(Clone, Copy)]
    enum Side {
        Buyer,
        Seller,
    }
    // One side is one walk down `complaints_buyer` or `complaints_seller`;
    // both sides are two walks merged, never an OR the planner may turn
    // into a walk of the whole table.
    let page = |conn: &mut DbConn, side: Option<(Side, &str)>| -> QueryResult<Vec<ComplaintRow>> {
        let mut q = complaints::table
            .select(ComplaintRow::as_select())
            .order(complaints::id.desc())
            .limit(f.limit)
            .into_boxed();
        q = match side {
            Some((Side::Buyer, user)) => q.filter(complaints::buyer_id.eq(user.to_string())),
            Some((Side::Seller, user)) => q.filter(complaints::seller_id.eq(user.to_string())),
            None => q,
        };
        if let Some(status) = &f.status {
            q = q.filter(complaints::status.eq(status.clone()));
        }
        if let Some(before) = &f.before_id {
            q = q.filter(complaints::id.lt(before.clone()));
        }
        q.load(conn)
    };
    let rows = match (f.party.as_deref(), f.role) {
        (None, _) => page(conn, None)?,
        (Some(user), Some(Role::Buyer)) => page(conn, Some((Side::Buyer, user)))?,
        (Some(user), Some(Role::Seller)) => page(conn, Some((Side::Seller, user)))?,
        (Some(user), _) => {
            let mut rows = page(conn, Some((Side::Buyer, user)))?;
            rows.extend(page(conn, Some((Side::Seller, user)))?);
            rows.sort_by(|a, b| b.id.cmp(&a.id));
            rows.dedup_by(|a, b| a.id == b.id);
            rows.truncate(usize::try_from(f.limit).unwrap_or(0));
            rows
        }
    };
    hydrate(conn, rows)
}

/// The arbitration queue: complaints under review, oldest deadline first.
pub fn queue(
    conn: &mut DbConn,
    after: Option<(NaiveDateTime, String)>,
    assignee: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<Complaint>> {
    queue_of(conn, &QueueFilter { assignee: assignee.map(Assignee::Agent), ..Default::default() }, after, limit)
}

/// Whose complaints under review a queue shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Assignee<'a> {
    Nobody,
    Agent(&'a str),
}

/// Which complaints under review a queue shows.
#[derive(Debug, Clone, Default)]
pub struct QueueFilter<'a> {
    pub assignee: Option<Assignee<'a>>,
    /// Only those whose decision target comes before this.
    pub due_before: Option<NaiveDateTime>,
    /// Only those with this complaint, order, buyer or seller id.
    pub matching: Option<&'a str>,
}

/// `q` (a boxed query of complaints) narrowed to what the filter keeps.
macro_rules! with_filter {
    ($q:expr, $f:expr) => {{
        let (mut q, f): (_, &QueueFilter) = ($q, $f);
        match f.assignee {
            Some(Assignee::Nobody) => q = q.filter(complaints::assignee_id.is_null()),
            Some(Assignee::Agent(a)) => q = q.filter(complaints::assignee_id.eq(a.to_string())),
            None => {}
        }
        if let Some(before) = f.due_before {
            q = q.filter(complaints::deadline_at.le(before));
        }
        if let Some(m) = f.matching {
            q = q.filter(
                complaints::id
                    .eq(m.to_string())
                    .or(complaints::order_id.eq(m.to_string()))
                    .or(complaints::buyer_id.eq(m.to_string()))
                    .or(complaints::seller_id.eq(m.to_string())),
            );
        }
        q
    }};
}

/// How many complaints under review the filter keeps.
pub fn queue_count(conn: &mut DbConn, f: &QueueFilter) -> QueryResult<i64> {
    let mut q =
        complaints::table.filter(Condition("status = 'under_review'")).select(diesel::dsl::count_star()).into_boxed();
    q = with_filter!(q, f);
    q.first(conn)
}

/// The complaints under review the filter keeps, the nearest decision
/// target first, after the `(deadline_at, id)` cursor.
pub fn queue_of(
    conn: &mut DbConn,
    f: &QueueFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<Complaint>> {
    let mut q = complaints::table
        // Literals and a row-value cursor: the partial indexes
        // `complaints_queue` and `complaints_queue_assignee` serve every page.
        .filter(Condition("status = 'under_review'"))
        .select(ComplaintRow::as_select())
        .order((complaints::deadline_at.asc(), complaints::id.asc()))
        .limit(limit)
        .into_boxed();
    q = with_filter!(q, f);
    if let Some(after) = after {
        q = q.filter(row_after((complaints::deadline_at, complaints::id), after));
    }
    let rows = q.load(conn)?;
    hydrate(conn, rows)
}

/// Whether any evidence request is past its due time and not yet marked:
/// the timer reads before it takes a write lock.
pub fn any_evidence_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    use super::schema::complaints as c;
    diesel::select(diesel::dsl::exists(c::table.filter(c::evidence_due_at.le(now)))).get_result(conn)
}

/// Claims up to `limit` complaints with an evidence request past its due
/// time and not yet marked overdue, oldest first; rows another instance
/// holds are skipped, as for deadlines.
pub fn claim_overdue_evidence(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    use super::schema::complaints as c;
    let due = c::table
        .filter(c::evidence_due_at.le(now))
        .order((c::evidence_due_at.asc(), c::id.asc()))
        .limit(limit)
        .select(c::id);
    super::dialect::load_skip_locked!(conn, due)
}

/// Claims up to `limit` complaints whose deadline with an automatic outcome
/// has passed, oldest first. On PostgreSQL the rows stay locked until the
/// transaction ends and rows another instance holds are skipped, so several
/// instances share the work and never fire one deadline twice; SQLite has one
/// writer at a time.
pub fn claim_due_deadlines(conn: &mut DbConn, now: chrono::NaiveDateTime, limit: i64) -> QueryResult<Vec<String>> {
    use super::schema::complaints as c;
    let due = c::table
        .filter(can_fire())
        .filter(c::deadline_at.le(now))
        .order((c::deadline_at.asc(), c::id.asc()))
        .limit(limit)
        .select(c::id);
    super::dialect::load_skip_locked!(conn, due)
}
