//! Complaint use cases: open, read, list, and every command of the state
//! machine, each in one transaction that locks the complaint.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};

use super::ids::new_id;
use super::orders::load_for_update as load_order_for_update;
use super::page::{next_of, ComplaintCursor, Page, TimeCursor, TimelineCursor};
use super::publish::{self, Published};
use super::{now, App, AppError, Caller, Missing};
use crate::domain::{self, Actor, Command, Complaint, Event, EventType, Money, OpenComplaint, Role, Status};
use crate::store::complaints::{self as store};
use crate::store::prepared::Writes;
use crate::store::timeline::{self, TimelineRow};
use crate::store::{evidence, from_db, to_db, DbConn};
use crate::store::{idempotency, outbox};

/// A complaint as one caller sees it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub complaint: Complaint,
    pub actor: Actor,
}

/// The fields of a new complaint, already parsed.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub order_id: String,
    /// The hold it concerns; `None` for the order's own single amount.
    pub hold_id: Option<String>,
    pub reason: domain::Reason,
    pub description: String,
    pub disputed_amount: Option<Money>,
    pub requested_kind: domain::ProposalKind,
    pub requested_refund: Option<Money>,
    pub note: Option<String>,
}

#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub seq: i64,
    pub kind: String,
    pub actor_id: Option<String>,
    pub actor_role: String,
    /// `parties`, or `staff` for an internal note.
    pub visibility: String,
    pub at: DateTime<Utc>,
    pub data: serde_json::Value,
}

/// Which of the caller's complaints a list shows.
#[derive(Debug, Clone)]
pub struct ListFilter {
    /// Only those where the caller is this party.
    pub role: Option<Role>,
    pub status: Option<Status>,
    pub cursor: Option<ComplaintCursor>,
    pub limit: i64,
}

fn actor_of(c: &Complaint, caller: &Caller) -> Result<Actor, AppError> {
    // Strangers (and the service role) learn nothing, not even that it exists.
    let role = c.role_of(&caller.id, caller.staff).ok_or(AppError::NotFound(Missing::Complaint))?;
    Ok(Actor { id: caller.id.clone(), role })
}

pub(crate) fn load_for(conn: &mut DbConn, id: &str, caller: &Caller) -> Result<Seen, AppError> {
    seen_by(store::find(conn, id)?, caller)
}

/// `load_for`, the complaint's row locked until the transaction ends.
pub(crate) fn load_for_update(conn: &mut DbConn, id: &str, caller: &Caller) -> Result<Seen, AppError> {
    seen_by(store::find_for_update(conn, id)?, caller)
}

fn seen_by(complaint: Option<Complaint>, caller: &Caller) -> Result<Seen, AppError> {
    let complaint = complaint.ok_or(AppError::NotFound(Missing::Complaint))?;
    let actor = actor_of(&complaint, caller)?;
    Ok(Seen { complaint, actor })
}

/// Up to `limit` timeline entries after `after_seq`, staff notes only for staff.
pub(crate) fn timeline_entries(
    conn: &mut DbConn,
    id: &str,
    with_staff_notes: bool,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<TimelineEntry>, AppError> {
    timeline::list(conn, id, with_staff_notes, after_seq, limit)?
        .into_iter()
        .map(|r| {
            Ok(TimelineEntry {
                seq: r.seq,
                kind: r.kind,
                actor_id: r.actor_id,
                actor_role: r.actor_role,
                visibility: r.visibility,
                at: from_db(r.at),
                data: serde_json::from_str(&r.data).map_err(|e| AppError::Internal(e.into()))?,
            })
        })
        .collect()
}

/// Evidence cited by a message or a decision must be stored evidence of this complaint.
fn check_evidence(conn: &mut DbConn, complaint_id: &str, ids: &[String]) -> Result<(), AppError> {
    let distinct: BTreeSet<&String> = ids.iter().collect();
    if distinct.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = distinct.into_iter().cloned().collect();
    if evidence::count_of_complaint(conn, complaint_id, &ids)? != ids.len() as i64 {
        return Err(AppError::invalid(
            "evidence_ids",
            "every cited evidence id must be stored evidence of this complaint",
        ));
    }
    Ok(())
}

/// Writes what `events` did to `before` (None when opening): the complaint,
/// its timeline entries, decision, violation and outbox events.
pub(crate) fn persist(
    conn: &mut DbConn,
    before: Option<&Complaint>,
    after: &mut Complaint,
    actor: &Actor,
    events: &[Event],
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    if let Some(b) = before {
        after.version = b.version + 1;
    }
    let occurred_at = to_db(at);
    let Published { events: mut out, resolved_event_id } = publish::complaint_events(before, after, actor, events, at);
    let decision = events.iter().find_map(|e| match e {
        Event::Decided { decision } => Some(decision),
        _ => None,
    });
    let mut closed_now = false;
    if let Some(d) = decision {
        store::insert_decision(conn, &after.id, &actor.id, d, occurred_at)?;
        if d.seller_at_fault {
            let source = super::standing::Source::Decision { complaint: after, decision_id: &d.id };
            let published = super::standing::sanction(conn, &after.seller_id, source, at)?;
            closed_now = published.iter().any(|e| e.kind == EventType::SellerClosed.as_str());
            out.extend(published);
        }
    }
    let resolves = after.status == Status::Resolved && before.is_some_and(|b| b.status != Status::Resolved);
    if resolves && !closed_now {
        out.extend(super::standing::balance_freed(conn, after, at)?);
    }
    // Numbered on from the locked row, so two writers never take the same number.
    let first = before.map_or(1, |b| b.timeline_seq + 1);
    after.timeline_seq = first + events.len() as i64 - 1;
    let entries: Vec<TimelineRow> = events
        .iter()
        .zip(first..)
        .map(|(e, seq)| TimelineRow {
            complaint_id: after.id.clone(),
            seq,
            kind: e.kind().into(),
            actor_id: Some(actor.id.clone()),
            actor_role: actor.role.to_string(),
            visibility: e.visibility().to_string(),
            data: e.data().to_string(),
            at: occurred_at,
        })
        .collect();
    let mut writes = Writes::on(conn);
    store::save(conn, &mut writes, before, after, resolved_event_id.as_deref())?;
    timeline::append(&mut writes, entries);
    outbox::insert(&mut writes, out);
    writes.run(conn)?;
    Ok(())
}

/// The evidence a command cites.
fn cited_evidence(cmd: &Command) -> &[String] {
    match cmd {
        Command::PostMessage { evidence_ids, .. } | Command::Decide { evidence_ids, .. } => evidence_ids,
        _ => &[],
    }
}

/// Runs one command of the state machine on the locked complaint, in the
/// caller's transaction: the body of `App::command` and of Next case.
fn run_command(
    conn: &mut DbConn,
    caller: &Caller,
    id: &str,
    if_match: Option<i64>,
    cmd: Command,
    key: Option<&str>,
    policy: &domain::Policy,
) -> Result<Seen, AppError> {
    let Seen { complaint: before, actor } = load_for_update(conn, id, caller)?;
    if let Some(given) = if_match.filter(|v| *v != before.version) {
        return Err(AppError::StaleVersion { current: before.version, given });
    }
    let cited = cited_evidence(&cmd).to_vec();
    let handed_to = match &cmd {
        Command::Assign { assignee_id } if *assignee_id != caller.id => Some(assignee_id.clone()),
        _ => None,
    };
    let at = now();
    let events = domain::decide(&before, &actor, cmd, at, policy)?;
    // A case goes to the caller or to another agent the service knows.
    if let Some(id) = handed_to {
        let known = crate::store::staff::find(conn, &id)?.is_some_and(|a| a.disabled_at.is_none());
        if !known {
            return Err(AppError::invalid("assignee_id", "an enabled staff account (resolution-center staff add)"));
        }
    }
    check_evidence(conn, id, &cited)?;
    let mut after = before.clone();
    for e in &events {
        after.apply(e, at);
    }
    persist(conn, Some(&before), &mut after, &actor, &events, at)?;
    if let Some(key) = key {
        idempotency::mark(conn, &caller.id, key, id)?;
    }
    Ok(Seen { complaint: after, actor })
}

impl App {
    #[tracing::instrument(skip_all, fields(order_id = %input.order_id))]
    /// Opens a complaint; `key` is the request's Idempotency-Key, marked with
    /// the new complaint in the same transaction.
    pub async fn open_complaint(
        &self,
        caller: &Caller,
        input: NewComplaint,
        key: Option<String>,
    ) -> Result<Seen, AppError> {
        let caller = caller.clone();
        let policy = self.policy.clone();
        self.write(move |conn| {
            let order = match load_order_for_update(conn, &input.order_id)? {
                Some(o) if caller.id == o.buyer_id || caller.id == o.seller_id || caller.staff => o,
                _ => return Err(AppError::NotFound(Missing::Order)),
            };
            // The hold it concerns: the order's own amount, or one of the
            // holds the marketplace registered on it.
            let (terms, running) = match &input.hold_id {
                None if order.has_holds => {
                    return Err(AppError::invalid(
                        "hold_id",
                        "the order has several escrow holds: name the one the complaint concerns",
                    ))
                }
                None => (order.snapshot(), order.active_complaint_id.is_some()),
                Some(id) => match super::orders::load_hold(conn, &order, id)? {
                    Some(hold) => (hold.snapshot(&order), hold.active_complaint_id.is_some()),
                    None => return Err(AppError::invalid("hold_id", "the order has no hold with this id")),
                },
            };
            if running {
                return Err(AppError::Conflict {
                    code: "complaint_exists",
                    message: "the hold already has an active complaint".into(),
                });
            }
            let role = if caller.id == order.seller_id { Role::Seller } else { Role::Buyer };
            let actor = Actor { id: caller.id.clone(), role };
            let at = now();
            let cmd = OpenComplaint {
                complaint_id: new_id("cmp"),
                proposal_id: new_id("prp"),
                reason: input.reason,
                description: input.description,
                disputed_amount: input.disputed_amount,
                requested_kind: input.requested_kind,
                requested_refund: input.requested_refund,
                note: input.note,
            };
            let (mut complaint, events) = domain::open(&terms, &actor, cmd, at, &policy)?;
            persist(conn, None, &mut complaint, &actor, &events, at)?;
            if let Some(key) = &key {
                idempotency::mark(conn, &caller.id, key, &complaint.id)?;
            }
            tracing::info!(complaint_id = %complaint.id, "complaint opened");
            Ok(Seen { complaint, actor })
        })
        .await
    }

    /// Whether the caller may take any of `actions` on the complaint now: the
    /// refusal it would get (404 for a stranger, 403 for a party without the
    /// right, 409 in the wrong state), before anything it sent is looked at.
    pub async fn authorize(
        &self,
        caller: &Caller,
        id: String,
        actions: &'static [domain::Action],
    ) -> Result<(), AppError> {
        let caller = caller.clone();
        self.read(move |conn| {
            let Seen { complaint, actor } = load_for(conn, &id, &caller)?;
            let at = now();
            let mut refusal = None;
            for action in actions {
                match domain::guard(&complaint, &actor, *action, at) {
                    Ok(()) => return Ok(()),
                    Err(e) => refusal = refusal.or(Some(e)),
                }
            }
            Err(refusal
                .map_or(AppError::Forbidden("no action of this request is open to the caller".into()), Into::into))
        })
        .await
    }

    pub async fn complaint(&self, caller: &Caller, id: String) -> Result<Seen, AppError> {
        let caller = caller.clone();
        self.read(move |conn| load_for(conn, &id, &caller)).await
    }

    /// Runs one command of the state machine. `if_match` is the version the
    /// caller last saw; `key` the request's Idempotency-Key, marked with the
    /// complaint in the same transaction.
    #[tracing::instrument(skip(self, caller, cmd), fields(complaint_id = %id))]
    pub async fn command(
        &self,
        caller: &Caller,
        id: String,
        if_match: Option<i64>,
        cmd: Command,
        key: Option<String>,
    ) -> Result<Seen, AppError> {
        let caller = caller.clone();
        let policy = self.policy.clone();
        self.write(move |conn| run_command(conn, &caller, &id, if_match, cmd, key.as_deref(), &policy)).await
    }

    pub async fn list_complaints(&self, caller: &Caller, filter: ListFilter) -> Result<Page<Seen>, AppError> {
        let mut filter = store::ListFilter {
            party: None,
            role: filter.role,
            status: filter.status.map(|s| s.to_string()),
            before_id: filter.cursor.map(|c| c.before_id),
            limit: filter.limit,
        };
        if !caller.staff {
            if caller.service {
                return Err(AppError::Forbidden(
                    "the service role reads orders and events, not complaint lists".into(),
                ));
            }
            filter.party = Some(caller.id.clone());
        }
        let caller = caller.clone();
        let limit = filter.limit;
        self.read(move |conn| {
            let complaints = store::list(conn, &filter)?;
            let next_cursor = next_of(&complaints, limit, |c| Some(ComplaintCursor { before_id: c.id.clone() }));
            let items = complaints
                .into_iter()
                .map(|complaint| actor_of(&complaint, &caller).map(|actor| Seen { complaint, actor }))
                .collect::<Result<_, _>>()?;
            Ok(Page { items, next_cursor })
        })
        .await
    }

    pub async fn timeline(
        &self,
        caller: &Caller,
        id: String,
        after: TimelineCursor,
        limit: i64,
    ) -> Result<Page<TimelineEntry>, AppError> {
        let caller = caller.clone();
        self.read(move |conn| {
            let seen = load_for(conn, &id, &caller)?;
            let items = timeline_entries(conn, &id, seen.actor.role == Role::Staff, after.after_seq, limit)?;
            let next_cursor = next_of(&items, limit, |e| Some(TimelineCursor { after_seq: e.seq }));
            Ok(Page { items, next_cursor })
        })
        .await
    }

    /// Complaints under review, oldest deadline first, for staff.
    pub async fn arbitration_queue(
        &self,
        caller: &Caller,
        after: Option<TimeCursor>,
        assignee: Option<String>,
        limit: i64,
    ) -> Result<Page<Seen>, AppError> {
        if !caller.staff {
            return Err(AppError::Forbidden("only staff see the arbitration queue".into()));
        }
        let caller = caller.clone();
        self.read(move |conn| {
            let complaints = store::queue(conn, after.map(|c| (to_db(c.at), c.id)), assignee.as_deref(), limit)?;
            let next_cursor =
                next_of(&complaints, limit, |c| c.deadline.as_ref().map(|d| TimeCursor { at: d.at, id: c.id.clone() }));
            // An agent who is a party of a complaint in the queue sees it as that party.
            let items = complaints
                .into_iter()
                .map(|complaint| actor_of(&complaint, &caller).map(|actor| Seen { complaint, actor }))
                .collect::<Result<_, _>>()?;
            Ok(Page { items, next_cursor })
        })
        .await
    }
}

/// The views of customer care's queue (DESIGN §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueView {
    /// Nobody has taken them yet.
    Unassigned,
    /// Taken by the caller.
    Mine,
    /// The decision target passes within `BREACHING_SOON`, or has passed.
    BreachingSoon,
    All,
}

/// How close a decision target counts as breaching soon.
pub const BREACHING_SOON: chrono::Duration = chrono::Duration::hours(4);

/// How many complaints under review each view holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    pub unassigned: i64,
    pub mine: i64,
    pub breaching_soon: i64,
    pub all: i64,
    /// Settlements failed or overdue (`payment_problems`).
    pub payment_problems: i64,
}

fn queue_filter(view: QueueView, me: &str, at: DateTime<Utc>) -> store::QueueFilter<'_> {
    match view {
        QueueView::Unassigned => store::QueueFilter { assignee: Some(store::Assignee::Nobody), ..Default::default() },
        QueueView::Mine => store::QueueFilter { assignee: Some(store::Assignee::Agent(me)), ..Default::default() },
        QueueView::BreachingSoon => {
            store::QueueFilter { due_before: Some(to_db(at + BREACHING_SOON)), ..Default::default() }
        }
        QueueView::All => store::QueueFilter::default(),
    }
}

impl App {
    /// Next case: assigns the caller the most urgent unassigned complaint
    /// under review that it may arbitrate (not one of its own as a party),
    /// through the assign command; `None` when there is none. Two agents at
    /// once get two cases: on PostgreSQL a complaint another transaction is
    /// taking is skipped.
    pub async fn take_next_case(&self, caller: &Caller) -> Result<Option<Seen>, AppError> {
        if !caller.staff {
            return Err(AppError::Forbidden("only staff take cases".into()));
        }
        let caller = caller.clone();
        let policy = self.policy.clone();
        self.write(move |conn| {
            let Some(id) = store::next_unassigned(conn, &caller.id)? else { return Ok(None) };
            let cmd = Command::Assign { assignee_id: caller.id.clone() };
            run_command(conn, &caller, &id, None, cmd, None, &policy).map(Some)
        })
        .await
    }

    /// One page of a view of the queue (after the `(deadline, id)` cursor),
    /// and how many each view holds. With `search`, every complaint under
    /// review whose complaint, order, buyer or seller id it is, whatever the view.
    pub async fn staff_queue(
        &self,
        caller: &Caller,
        view: QueueView,
        search: Option<String>,
        after: Option<TimeCursor>,
        limit: i64,
    ) -> Result<(Page<Seen>, QueueCounts), AppError> {
        if !caller.staff {
            return Err(AppError::Forbidden("only staff see the arbitration queue".into()));
        }
        if search.as_ref().is_some_and(|s| s.len() > 200) {
            return Err(AppError::invalid("q", "at most 200 characters"));
        }
        let caller = caller.clone();
        let pending_before = to_db(now() - self.settlement_overdue);
        self.read(move |conn| {
            let at = now();
            let me = caller.id.as_str();
            let count = |conn: &mut DbConn, v| store::queue_count(conn, &queue_filter(v, me, at));
            let counts = QueueCounts {
                unassigned: count(conn, QueueView::Unassigned)?,
                mine: count(conn, QueueView::Mine)?,
                breaching_soon: count(conn, QueueView::BreachingSoon)?,
                all: count(conn, QueueView::All)?,
                payment_problems: store::payment_problem_count(conn, pending_before)?,
            };
            let filter = match search.as_deref() {
                Some(m) => store::QueueFilter { matching: Some(m), ..Default::default() },
                None => queue_filter(view, me, at),
            };
            let complaints = store::queue_of(conn, &filter, after.map(|c| (to_db(c.at), c.id)), limit)?;
            let next_cursor =
                next_of(&complaints, limit, |c| c.deadline.as_ref().map(|d| TimeCursor { at: d.at, id: c.id.clone() }));
            let items = complaints
                .into_iter()
                .map(|complaint| actor_of(&complaint, &caller).map(|actor| Seen { complaint, actor }))
                .collect::<Result<_, _>>()?;
            Ok((Page { items, next_cursor }, counts))
        })
        .await
    }
}
