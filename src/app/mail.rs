//! Mail to the parties and the staff mailbox: one per (event, recipient),
//! rendered from the outbox in the recipient's language, and reminders
//! before a party's deadline. Sending retries with backoff, so a mail server
//! that is down loses nothing.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{now, App, AppError};
use crate::domain::{Complaint, EventType, Role};
use crate::notify::mail::{complaint_link, Mailer};
use crate::notify::templates::{self, Lang, Letter};
use crate::store::mail::{self as queue, NewMail, Outcome};
use crate::store::{complaints, from_db, orders, outbox, to_db, DbConn};

/// The outbox cursor of the mailer.
const CURSOR: &str = super::feed::Consumer::Mail.name();
const BATCH: i64 = 100;

/// A party's address and language, from the order's contacts.
fn contact_of(contacts: &serde_json::Value, role: Role) -> Option<(String, Lang)> {
    let c = &contacts[role.as_str()];
    let email = c["email"].as_str()?.to_string();
    Some((email, Lang::of(c["locale"].as_str())))
}

fn contacts_for(conn: &mut DbConn, c: &Complaint) -> Result<serde_json::Value, AppError> {
    let order = orders::find(conn, &c.order_id)?;
    Ok(order.and_then(|o| o.contacts).and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default())
}

#[allow(clippy::too_many_arguments)]
fn mail(
    id: String,
    event_id: Option<&str>,
    c: &Complaint,
    role: &str,
    address: String,
    lang: Lang,
    letter: Letter,
    reminder_for: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> NewMail {
    NewMail {
        id,
        event_id: event_id.map(str::to_string),
        complaint_id: Some(c.id.clone()),
        recipient_role: role.into(),
        address,
        locale: lang.code().into(),
        subject: letter.subject,
        body: letter.body,
        reminder_for: reminder_for.map(to_db),
        created_at: to_db(at),
        next_attempt_at: to_db(at),
        collapse_key: None,
        reminder_request: None,
    }
}

/// Whether an event is a party's own move, which the case's agent hears of.
fn by_a_party(kind: EventType, data: &serde_json::Value) -> bool {
    let party = |v: &serde_json::Value| matches!(v.as_str(), Some("buyer" | "seller"));
    match kind {
        EventType::MessagePosted => party(&data["author_role"]),
        EventType::EvidenceAdded => party(&data["uploader_role"]),
        EventType::ProposalMade => party(&data["proposal"]["author_role"]),
        EventType::ProposalRejected => party(&data["by"]),
        EventType::Agreed => true,
        _ => false,
    }
}

/// How far ahead each lead's reminders were read (by lead, in seconds).
#[derive(Debug, Default, Clone)]
pub struct ReminderMarks(std::sync::Arc<std::sync::Mutex<HashMap<i64, DateTime<Utc>>>>);

impl App {
    /// Renders the mails of every outbox event the mailer has not seen, in
    /// feed order; returns how many were queued.
    pub async fn enqueue_mail(&self, mailer: &Mailer) -> Result<usize, AppError> {
        if !self.read(|conn| Ok(outbox::any_unread(conn, CURSOR)?)).await? {
            return Ok(0);
        }
        let staff = mailer.staff_mailbox.clone();
        let links = mailer.complaint_url.clone();
        let collapse_window = chrono::Duration::from_std(mailer.collapse_window).unwrap_or(chrono::Duration::zero());
        self.write(move |conn| {
            let from = outbox::lock_cursor(conn, CURSOR)?;
            let rows = outbox::after(conn, from, BATCH)?;
            if rows.is_empty() {
                return Ok(0);
            }
            let at = now();
            let mut queued = Vec::new();
            // A change often writes several events: load each complaint and
            // its contacts once per batch.
            let mut loaded: HashMap<String, Option<(Complaint, serde_json::Value)>> = HashMap::new();
            // The events of one change (one complaint, one moment, next to
            // each other in the feed) make one mail per recipient.
            let mut changes: Vec<&[outbox::OutboxRow]> = Vec::new();
            let mut rest = rows.as_slice();
            while let Some(first) = rest.first() {
                let n = rest
                    .iter()
                    .take_while(|r| r.complaint_id == first.complaint_id && r.occurred_at == first.occurred_at)
                    .count();
                let (change, more) = rest.split_at(n);
                changes.push(change);
                rest = more;
            }
            // A full batch may end inside a change: that change waits for the
            // next batch, whole (unless it is the whole batch).
            if rows.len() as i64 == BATCH && changes.len() > 1 {
                changes.pop();
            }
            let last = changes.last().and_then(|c| c.last()).expect("a batch has a change");
            let to = outbox::FeedPosition { txid: last.txid, seq: last.seq };
            for change in changes {
                let row = &change[0];
                let Some(id) = row.complaint_id.as_deref() else { continue };
                if !loaded.contains_key(id) {
                    let found = match complaints::find(conn, id)? {
                        Some(c) => {
                            let contacts = contacts_for(conn, &c)?;
                            Some((c, contacts))
                        }
                        None => None,
                    };
                    loaded.insert(id.to_string(), found);
                }
                let Some((c, contacts)) = loaded.get(id).and_then(Option::as_ref) else { continue };
                let mut events = Vec::with_capacity(change.len());
                for row in change {
                    let Ok(kind) = row.kind.parse::<EventType>() else {
                        tracing::warn!(kind = %row.kind, event_id = %row.id, "an outbox event of an unknown type is not mailed");
                        continue;
                    };
                    let data: serde_json::Value =
                        serde_json::from_str(&row.data).map_err(|e| AppError::Internal(e.into()))?;
                    events.push((row, kind, data));
                }
                let complaint_events: Vec<(EventType, &serde_json::Value)> = events
                    .iter()
                    .filter(|(_, kind, _)| *kind != EventType::SellerSanctioned)
                    .map(|(_, kind, data)| (*kind, data))
                    .collect();
                // Only a burst of counter-proposals collapses: the newest one is mailed.
                let only_proposals =
                    !complaint_events.is_empty() && complaint_events.iter().all(|(k, _)| *k == EventType::ProposalMade);
                for role in [Role::Buyer, Role::Seller] {
                    let Some((address, lang)) = contact_of(contacts, role) else { continue };
                    if let Some(letter) = templates::for_change(&complaint_events, c, role, lang) {
                        let letter = letter.with_link(complaint_link(links.as_deref(), &c.id, &c.order_id), lang);
                        let id = format!("{}:{role}", row.id);
                        let mut m = mail(id, Some(&row.id), c, role.as_str(), address, lang, letter, None, at);
                        if only_proposals {
                            m.collapse_key = Some(format!("proposal:{}:{role}", c.id));
                            m.next_attempt_at = to_db(at + collapse_window);
                        }
                        queued.push(m);
                    }
                }
                // A sanction is the seller's own news, in a mail of its own.
                if let Some((address, lang)) = contact_of(contacts, Role::Seller) {
                    for (sanction, _, data) in events.iter().filter(|(_, k, _)| *k == EventType::SellerSanctioned) {
                        let letter = templates::sanction(data, lang);
                        let id = format!("{}:seller", sanction.id);
                        queued.push(mail(id, Some(&sanction.id), c, "seller", address.clone(), lang, letter, None, at));
                    }
                }
                // The agent handling a case hears what the parties do on it.
                let from_parties: Vec<(EventType, &serde_json::Value)> = complaint_events
                    .iter()
                    .filter(|(kind, data)| by_a_party(*kind, data))
                    .copied()
                    .collect();
                // The agent is the one of the change, as its events say, not a later one.
                let handled_by = from_parties.last().and_then(|(_, data)| data["assignee_id"].as_str());
                if let Some(agent_id) = handled_by {
                    let agent = crate::store::staff::find(conn, agent_id)?.filter(|a| a.disabled_at.is_none());
                    if let Some((address, lang)) = agent.and_then(|a| Some((a.email?, Lang::of(Some(&a.locale))))) {
                        if let Some(letter) = templates::for_change(&from_parties, c, Role::Staff, lang) {
                            let id = format!("{}:agent", row.id);
                            queued.push(mail(id, Some(&row.id), c, "staff", address, lang, letter, None, at));
                        }
                    }
                }
                if let Some(address) = &staff {
                    for (row, kind, data) in &events {
                        if !matches!(kind, EventType::Escalated | EventType::SettlementFailed) {
                            continue;
                        }
                        if let Some(letter) = templates::for_event(*kind, data, c, Role::Staff, Lang::En) {
                            let id = format!("{}:staff", row.id);
                            queued.push(mail(id, Some(&row.id), c, "staff", address.clone(), Lang::En, letter, None, at));
                        }
                    }
                }
            }
            queue::enqueue(conn, &queued)?;
            outbox::move_cursor(conn, CURSOR, to)?;
            Ok(queued.len())
        })
        .await
    }

    /// Queues a reminder to the party whose deadline is a lead time away:
    /// from L before the deadline until L/6 later. A window shorter than L
    /// (which the mail of the change already announced) or a service down
    /// through that stretch skips that reminder rather than sending a stale
    /// one. Each (deadline, lead) is reminded once.
    ///
    /// Each pass reads on from where the last one of this instance stopped
    /// (deadlines that came within L since), so an idle pass reads a second's
    /// slice, whatever the number of deadlines; after a start each lead reads
    /// its whole window once, leaving out what was queued before.
    pub async fn enqueue_reminders(&self, mailer: &Mailer, at: DateTime<Utc>) -> Result<usize, AppError> {
        let leads: Vec<(chrono::Duration, DateTime<Utc>)> = {
            let marks = self.reminder_marks.0.lock().unwrap_or_else(|e| e.into_inner());
            mailer
                .reminder_leads
                .iter()
                .map(|lead| {
                    let window = at + *lead - *lead / 6;
                    (*lead, marks.get(&lead.num_seconds()).map_or(window, |read_to| (*read_to).max(window)))
                })
                .collect()
        };
        let marks: Vec<(i64, DateTime<Utc>)> = leads.iter().map(|(lead, _)| (lead.num_seconds(), at + *lead)).collect();
        let queued = self.queue_reminders(mailer, at, leads).await?;
        let mut read_to = self.reminder_marks.0.lock().unwrap_or_else(|e| e.into_inner());
        for (lead, to) in marks {
            let mark = read_to.entry(lead).or_insert(to);
            *mark = (*mark).max(to);
        }
        Ok(queued)
    }

    /// Queues the reminders of each lead for the deadlines in `(from, at + lead]`.
    async fn queue_reminders(
        &self,
        mailer: &Mailer,
        at: DateTime<Utc>,
        leads: Vec<(chrono::Duration, DateTime<Utc>)>,
    ) -> Result<usize, AppError> {
        let page = mailer.reminder_page.max(1);
        let links = mailer.complaint_url.clone();
        // Read first, write only what is due: an idle mailer takes no write lock.
        let queued = self
            .read(move |conn| {
                let mut queued = Vec::new();
                // A reminder of lead L is due while L - L/6 < time left <= L:
                // each lead reads its own window, page by page.
                for (lead, from) in leads {
                    let (from, to) = (to_db(from), to_db(at + lead));
                    if from >= to {
                        continue;
                    }
                    // A reminder of lead L for a deadline now in the window
                    // was queued after deadline - L, so after at - L/6; one of
                    // a shorter lead would be queued later than now.
                    let since = to_db(at - lead / 6);
                    let mut after = None;
                    loop {
                        let due = complaints::deadlines_in(conn, from, to, since, after.take(), page)?;
                        let full = due.len() as i64 == page;
                        after = due.last().and_then(|c| c.deadline.as_ref().map(|d| (to_db(d.at), c.id.clone())));
                        for c in due {
                            let (Some(deadline), Some(role)) = (c.deadline.clone(), c.next_actor()) else {
                                continue;
                            };
                            let contacts = contacts_for(conn, &c)?;
                            let Some((address, lang)) = contact_of(&contacts, role) else { continue };
                            let id = format!("rem:{}:{}:{}", c.id, deadline.at.timestamp(), lead.num_seconds());
                            let letter = templates::reminder(&c, role, lang)
                                .with_link(complaint_link(links.as_deref(), &c.id, &c.order_id), lang);
                            queued.push(mail(
                                id,
                                None,
                                &c,
                                role.as_str(),
                                address,
                                lang,
                                letter,
                                Some(deadline.at),
                                at,
                            ));
                        }
                        if !full || after.is_none() {
                            break;
                        }
                    }
                    // The evidence requests due in the same window remind the party asked.
                    let mut after = None;
                    loop {
                        let due = complaints::evidence_due_in(conn, from, to, after.take(), page)?;
                        let full = due.len() as i64 == page;
                        after = due.last().and_then(|c| c.next_evidence_due().map(|d| (to_db(d), c.id.clone())));
                        for c in due {
                            let contacts = contacts_for(conn, &c)?;
                            let open = c.evidence_requests.iter().filter(|r| r.is_open() && r.overdue_at.is_none());
                            for r in open.filter(|r| to_db(r.due_at) > from && to_db(r.due_at) <= to) {
                                let Some((address, lang)) = contact_of(&contacts, r.party) else { continue };
                                let id = format!("rem:{}:{}:{}", c.id, r.id, lead.num_seconds());
                                let letter = templates::evidence_reminder(&c, r, lang)
                                    .with_link(complaint_link(links.as_deref(), &c.id, &c.order_id), lang);
                                let mut m = mail(id, None, &c, r.party.as_str(), address, lang, letter, None, at);
                                m.reminder_request = Some(r.id.clone());
                                queued.push(m);
                            }
                        }
                        if !full || after.is_none() {
                            break;
                        }
                    }
                }
                // What was queued before is left out by `deadlines_in`;
                // `enqueue` skips any id another instance queued meanwhile.
                Ok(queued)
            })
            .await?;
        if queued.is_empty() {
            return Ok(0);
        }
        self.write(move |conn| Ok(queue::enqueue(conn, &queued)?)).await
    }

    /// Sends every due mail once; returns how many the server took.
    pub async fn deliver_mail(&self, mailer: &Mailer) -> Result<usize, AppError> {
        let at = now();
        if !self.read(move |conn| Ok(queue::any_due(conn, to_db(at))?)).await? {
            return Ok(0);
        }
        let lease = to_db(at + chrono::Duration::minutes(2));
        let claimed = self.write(move |conn| Ok(queue::claim_due(conn, to_db(at), lease, BATCH)?)).await?;
        let mut sent = 0;
        for m in claimed {
            if let (Some(deadline), Some(complaint_id)) = (m.reminder_for, m.complaint_id.clone()) {
                // A reminder is worth sending only while its deadline runs.
                let current = self
                    .read(move |conn| {
                        Ok(complaints::find(conn, &complaint_id)?.and_then(|c| c.deadline).map(|d| to_db(d.at)))
                    })
                    .await?;
                if current != Some(deadline) || from_db(deadline) <= now() {
                    let id = m.id.clone();
                    let outcome = Outcome::GiveUp("the complaint moved on".into());
                    self.write(move |conn| Ok(queue::record(conn, &id, to_db(now()), outcome)?)).await?;
                    continue;
                }
            }
            if let (Some(request), Some(complaint_id)) = (m.reminder_request.clone(), m.complaint_id.clone()) {
                // An evidence reminder is worth sending only while the request is open and not yet due.
                let open = self
                    .read(move |conn| {
                        Ok(complaints::find(conn, &complaint_id)?.is_some_and(|c| {
                            c.evidence_requests
                                .iter()
                                .any(|r| r.id == request && r.is_open() && r.overdue_at.is_none() && r.due_at > now())
                        }))
                    })
                    .await?;
                if !open {
                    let id = m.id.clone();
                    let outcome = Outcome::GiveUp("the evidence request was answered or is overdue".into());
                    self.write(move |conn| Ok(queue::record(conn, &id, to_db(now()), outcome)?)).await?;
                    continue;
                }
            }
            if let Some(key) = m.collapse_key.clone() {
                let (id, created_at) = (m.id.clone(), m.created_at);
                if self.read(move |conn| Ok(queue::superseded(conn, &key, &id, created_at)?)).await? {
                    let id = m.id.clone();
                    let outcome = Outcome::GiveUp("superseded by a newer proposal".into());
                    self.write(move |conn| Ok(queue::record(conn, &id, to_db(now()), outcome)?)).await?;
                    continue;
                }
            }
            let letter = Letter { subject: m.subject.clone(), body: m.body.clone() };
            let result =
                mailer.transport.send(&mailer.from, &m.address, &m.id.replace(':', "."), &m.locale, &letter).await;
            let done = now();
            let outcome = match result {
                Ok(()) => {
                    sent += 1;
                    Outcome::Sent
                }
                Err(e) if done >= from_db(m.created_at) + chrono::Duration::days(3) => {
                    tracing::warn!(mail = %m.id, error = %e, "mail given up");
                    Outcome::GiveUp(e)
                }
                Err(e) => {
                    tracing::debug!(mail = %m.id, error = %e, "mail not sent; will retry");
                    Outcome::RetryAt(to_db(done + super::backoff(mailer.retry_base, m.attempts)), e)
                }
            };
            let id = m.id.clone();
            self.write(move |conn| Ok(queue::record(conn, &id, to_db(done), outcome)?)).await?;
        }
        Ok(sent)
    }
}
