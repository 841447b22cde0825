//! Listing notices (seed 004): filed by the marketplace or staff against a
//! seller, explained by the seller, confirmed or dismissed by staff, or
//! confirmed by the timer when the window passes. A confirmed notice climbs
//! the seller's sanction ladder like a decision with the seller at fault.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::ids::new_id;
use super::page::{next_of, Page, TimeCursor};
use super::publish::seller_event;
use super::standing::{sanction, Source};
use super::{now, App, AppError, Caller, Missing};
use crate::domain::{decide_notice, EventType, ListingNotice, NoticeCommand, NoticeStatus, Role};
use crate::store::notices::{self as rows, NoticeRow};
use crate::store::outbox::{self, NewOutboxEvent};
use crate::store::prepared::Writes;
use crate::store::{from_db, to_db, DbConn};

/// A new notice's fields, as given.
#[derive(Debug, Clone)]
pub struct NewNotice {
    pub listing_id: String,
    pub description: String,
}

fn corrupt(e: String) -> AppError {
    AppError::Internal(anyhow::anyhow!("listing notice: {e}"))
}

fn of_row(r: NoticeRow) -> Result<ListingNotice, AppError> {
    Ok(ListingNotice {
        filed_by_role: r.filed_by_role,
        status: r.status.parse().map_err(corrupt)?,
        due_at: from_db(r.due_at),
        decided_at: r.decided_at.map(from_db),
        created_at: from_db(r.created_at),
        id: r.id,
        seller_id: r.seller_id,
        listing_id: r.listing_id,
        description: r.description,
        filed_by: r.filed_by,
        explanation: r.explanation,
        decided_by: r.decided_by,
    })
}

fn row_of(n: &ListingNotice, at: DateTime<Utc>) -> NoticeRow {
    NoticeRow {
        id: n.id.clone(),
        seller_id: n.seller_id.clone(),
        listing_id: n.listing_id.clone(),
        description: n.description.clone(),
        filed_by: n.filed_by.clone(),
        filed_by_role: n.filed_by_role.clone(),
        status: n.status.to_string(),
        explanation: n.explanation.clone(),
        due_at: to_db(n.due_at),
        decided_by: n.decided_by.clone(),
        decided_at: n.decided_at.map(to_db),
        created_at: to_db(n.created_at),
        updated_at: to_db(at),
    }
}

fn notice_event(kind: EventType, n: &ListingNotice, at: DateTime<Utc>) -> NewOutboxEvent {
    let data = json!({
        "notice_id": n.id, "seller_id": n.seller_id, "listing_id": n.listing_id,
        "status": n.status, "due_at": n.due_at, "decided_by": n.decided_by,
    });
    seller_event(kind, data, at)
}

/// Who may read a notice: staff, the marketplace, and the seller it names.
fn visible(n: &ListingNotice, caller: &Caller) -> bool {
    caller.staff || caller.service || caller.id == n.seller_id
}

/// Applies `cmd` to the locked notice and writes it with its events and, once
/// confirmed, the violation it adds.
fn act(
    conn: &mut DbConn,
    id: &str,
    who: &str,
    role: Role,
    cmd: NoticeCommand,
    at: DateTime<Utc>,
) -> Result<ListingNotice, AppError> {
    let before = of_row(rows::find_for_update(conn, id)?.ok_or(AppError::NotFound(Missing::Notice))?)?;
    let after = decide_notice(&before, who, role, cmd, at)?;
    let mut out = Vec::new();
    match after.status {
        NoticeStatus::Confirmed => {
            out.push(notice_event(EventType::ListingNoticeConfirmed, &after, at));
            out.extend(sanction(conn, &after.seller_id, Source::Notice { notice_id: &after.id }, at)?);
        }
        NoticeStatus::Dismissed => out.push(notice_event(EventType::ListingNoticeDismissed, &after, at)),
        NoticeStatus::Open | NoticeStatus::Explained => {}
    }
    rows::save(conn, &row_of(&after, at))?;
    let mut writes = Writes::on(conn);
    outbox::insert(&mut writes, out);
    writes.run(conn)?;
    Ok(after)
}

impl App {
    /// Files a notice against a seller (the marketplace or staff); the seller
    /// has `listing_notice_window` to explain.
    pub async fn file_notice(
        &self,
        caller: &Caller,
        seller_id: String,
        new: NewNotice,
    ) -> Result<ListingNotice, AppError> {
        // The marketplace files as the service; the record says which.
        let filed_by_role = match (caller.staff, caller.service) {
            (true, _) => "staff",
            (false, true) => "service",
            _ => return Err(AppError::Forbidden("the marketplace or staff file listing notices".into())),
        };
        crate::domain::check_party_id("seller_id", &seller_id).map_err(AppError::from)?;
        let text_ok = |s: &str, max: usize| (1..=max).contains(&s.trim().chars().count());
        if !text_ok(&new.listing_id, 100) {
            return Err(AppError::invalid("listing_id", "1 to 100 characters"));
        }
        if !text_ok(&new.description, 2000) {
            return Err(AppError::invalid("description", "1 to 2000 characters: what does not match the listing"));
        }
        let at = now();
        let notice = ListingNotice {
            id: new_id("lnt"),
            seller_id,
            listing_id: new.listing_id.trim().to_string(),
            description: new.description.trim().to_string(),
            filed_by: caller.id.clone(),
            filed_by_role: filed_by_role.to_string(),
            status: NoticeStatus::Open,
            explanation: None,
            due_at: at + self.policy.listing_notice_window,
            decided_by: None,
            decided_at: None,
            created_at: at,
        };
        let stored = notice.clone();
        self.write(move |conn| {
            rows::insert(conn, &row_of(&stored, at))?;
            let mut writes = Writes::on(conn);
            outbox::insert(&mut writes, vec![notice_event(EventType::ListingNoticeFiled, &stored, at)]);
            writes.run(conn)?;
            Ok(())
        })
        .await?;
        Ok(notice)
    }

    pub async fn notice(&self, caller: &Caller, id: String) -> Result<ListingNotice, AppError> {
        let caller = caller.clone();
        self.read(move |conn| match rows::find(conn, &id)? {
            Some(r) => {
                let n = of_row(r)?;
                if visible(&n, &caller) {
                    Ok(n)
                } else {
                    Err(AppError::NotFound(Missing::Notice))
                }
            }
            None => Err(AppError::NotFound(Missing::Notice)),
        })
        .await
    }

    /// A seller's notices, oldest first (the seller, staff, the marketplace).
    pub async fn notices_of(
        &self,
        caller: &Caller,
        seller_id: String,
        after: Option<TimeCursor>,
        limit: i64,
    ) -> Result<Page<ListingNotice>, AppError> {
        if !(caller.staff || caller.service || caller.id == seller_id) {
            return Err(AppError::Forbidden(
                "a seller's notices are shown to the seller, staff and the marketplace".into(),
            ));
        }
        self.read(move |conn| {
            let rows = rows::of_seller(conn, &seller_id, after.map(|c| (to_db(c.at), c.id)), limit)?;
            let next_cursor =
                next_of(&rows, limit, |r| Some(TimeCursor { at: from_db(r.created_at), id: r.id.clone() }));
            let items = rows.into_iter().map(of_row).collect::<Result<_, _>>()?;
            Ok(Page { items, next_cursor })
        })
        .await
    }

    /// The seller explains, or staff confirm or dismiss.
    pub async fn act_on_notice(
        &self,
        caller: &Caller,
        id: String,
        cmd: NoticeCommand,
    ) -> Result<ListingNotice, AppError> {
        let caller = caller.clone();
        self.write(move |conn| {
            let found = rows::find(conn, &id)?.ok_or(AppError::NotFound(Missing::Notice))?;
            let role = if caller.id == found.seller_id {
                Role::Seller
            } else if caller.staff {
                Role::Staff
            } else if caller.service {
                return Err(AppError::Forbidden("the marketplace files notices; staff decide them".into()));
            } else {
                return Err(AppError::NotFound(Missing::Notice));
            };
            act(conn, &id, &caller.id, role, cmd, now())
        })
        .await
    }

    /// Confirms every open notice whose window passed at `at`; returns how many.
    pub async fn fire_due_notices(&self, at: DateTime<Utc>) -> Result<usize, AppError> {
        if !self.read(move |conn| Ok(rows::any_due(conn, to_db(at))?)).await? {
            return Ok(0);
        }
        self.write(move |conn| {
            let ids = rows::claim_due(conn, to_db(at), 100)?;
            for id in &ids {
                act(conn, id, "system", Role::System, NoticeCommand::Expire, at)?;
            }
            Ok(ids.len())
        })
        .await
    }
}
