//! The arbitration queue: its views with their counts, pages, search, Take
//! and Next case.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use super::format::{countdown, money, offer_line, span, time, waits_on, Sla};
use super::texts::{Lang, Texts};
use super::{forged, html, same_token, see_other, session_of, Chrome, Page};
use crate::app::complaints::{QueueView, Seen};
use crate::app::page::{Cursor, TimeCursor};
use crate::app::App;
use crate::domain::{Action, Role};

/// The rows of one page.
const PAGE: i64 = 50;

/// One complaint of the queue as the table shows it.
pub struct Row {
    id: String,
    reason: String,
    disputed: String,
    held: String,
    age: String,
    due: String,
    due_iso: String,
    sla: &'static str,
    sla_text: String,
    waits_on: String,
    /// "Evidence overdue: Buyer" while a party's requested evidence is past due.
    overdue: Option<String>,
    assignee: String,
    buyer_offer: String,
    seller_offer: String,
    /// `allowed_actions` offers the agent to take it.
    can_take: bool,
}

fn row(seen: &Seen, now: chrono::DateTime<Utc>, lang: Lang, zone: chrono_tz::Tz) -> Row {
    let c = &seen.complaint;
    let t = lang.t();
    let can_take = c.assignee_id.as_deref() != Some(seen.actor.id.as_str())
        && crate::domain::allowed_actions(c, &seen.actor, now).contains(&Action::Assign);
    let (due, due_iso, sla, sla_text) = match &c.deadline {
        Some(d) => (time(d.at, zone), d.at.to_rfc3339(), Sla::of(d.at, now).class(), countdown(d.at, now, lang)),
        None => ("-".into(), String::new(), "ok", String::new()),
    };
    let offer = |role| c.last_offer_of(role).map_or_else(|| t.none.to_string(), |p| offer_line(p, c, lang));
    Row {
        id: c.id.clone(),
        reason: lang.label(c.reason.as_str()).to_string(),
        disputed: money(c.disputed_amount, c.currency, lang),
        held: money(c.held_amount, c.currency, lang),
        // "breached 3 h ago" reads as an age once the word is gone.
        age: span(now - c.opened_at, lang),
        due,
        due_iso,
        sla,
        sla_text,
        waits_on: waits_on(c, lang),
        overdue: {
            let late: Vec<&str> = c.overdue_requests().map(|r| lang.label(r.party.as_str())).collect();
            (!late.is_empty()).then(|| format!("{}: {}", lang.label("evidence_overdue"), late.join(", ")))
        },
        assignee: c.assignee_id.clone().unwrap_or_else(|| t.unassigned.to_string()),
        buyer_offer: offer(Role::Buyer),
        seller_offer: offer(Role::Seller),
        can_take,
    }
}

/// A failed or overdue settlement as the Payment problems view shows it.
pub struct PaymentRow {
    complaint_id: String,
    order_id: String,
    state: String,
    state_key: &'static str,
    failure: Option<String>,
    refund: String,
    release: String,
    resolved_at: String,
}

#[derive(Template)]
#[template(path = "console/queue.html")]
struct QueuePage {
    c: Chrome,
    rows: Vec<Row>,
    payments: Option<Vec<PaymentRow>>,
    views: Vec<ViewLink>,
    heading: String,
    view: &'static str,
    search: String,
    notice: Option<&'static str>,
    more: Option<String>,
}

/// A view of the queue as its tab shows it.
struct ViewLink {
    key: &'static str,
    label: &'static str,
    count: i64,
    current: bool,
}

/// The views, by the key their link carries.
#[derive(Clone, Copy, PartialEq, Eq)]
enum View {
    Queue(QueueView),
    Payments,
}

/// A text of the page, chosen before the language is known.
type Said = fn(&Texts) -> &'static str;

const VIEWS: [(View, &str, Said); 5] = [
    (View::Queue(QueueView::Unassigned), "unassigned", |t| t.view_unassigned),
    (View::Queue(QueueView::Mine), "mine", |t| t.view_mine),
    (View::Queue(QueueView::BreachingSoon), "soon", |t| t.view_soon),
    (View::Queue(QueueView::All), "all", |t| t.view_all),
    (View::Payments, "payments", |t| t.view_payments),
];

#[derive(Deserialize)]
pub struct QueueQuery {
    view: Option<String>,
    /// A complaint, order, buyer or seller id.
    q: Option<String>,
    /// The next page's cursor, as the last page gave it.
    cursor: Option<String>,
    /// A note of what just happened (after Next case found nothing).
    notice: Option<String>,
}

pub async fn queue(app: web::Data<App>, req: HttpRequest, query: web::Query<QueueQuery>) -> Page {
    let Some(session) = session_of(&app, &req).await? else {
        return Ok(see_other("/console/login"));
    };
    let c = Chrome::of(&session);
    let (lang, zone) = (c.lang, session.account.time_zone);
    // An unknown view is the default one.
    let (view, key, label) =
        VIEWS.iter().find(|(_, key, _)| Some(*key) == query.view.as_deref()).copied().unwrap_or(VIEWS[0]);
    let caller = session.caller();
    let search: Option<String> =
        query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(|q| q.chars().take(200).collect());
    // A cursor that does not read is the first page.
    let after = query.cursor.as_deref().and_then(TimeCursor::decode);
    // Payment problems list settlements: of the queue, only the counts.
    let (queue_view, rows_wanted) = match view {
        View::Queue(v) => (v, PAGE),
        View::Payments if search.is_some() => (QueueView::All, PAGE),
        View::Payments => (QueueView::All, 0),
    };
    let (page, counts) = app.staff_queue(&caller, queue_view, search.clone(), after.clone(), rows_wanted).await?;
    let now = Utc::now();
    let (rows, payments, next) = match view {
        View::Payments if search.is_none() => {
            let problems = app.payment_problems(&caller, after, PAGE).await?;
            let rows = problems
                .items
                .iter()
                .map(|s| PaymentRow {
                    complaint_id: s.complaint_id.clone(),
                    order_id: s.order_id.clone(),
                    state: lang.label(s.payout.state.as_str()).to_string(),
                    state_key: s.payout.state.as_str(),
                    failure: s.payout.failure_reason.clone(),
                    refund: money(s.refund_to_buyer.amount, s.refund_to_buyer.currency(), lang),
                    release: money(s.release_to_seller.amount, s.release_to_seller.currency(), lang),
                    resolved_at: time(s.resolved_at, zone),
                })
                .collect();
            (Vec::new(), Some(rows), problems.next_cursor)
        }
        _ => (page.items.iter().map(|seen| row(seen, now, lang, zone)).collect(), None, page.next_cursor),
    };
    let count_of = |v: View| match v {
        View::Queue(QueueView::Unassigned) => counts.unassigned,
        View::Queue(QueueView::Mine) => counts.mine,
        View::Queue(QueueView::BreachingSoon) => counts.breaching_soon,
        View::Queue(QueueView::All) => counts.all,
        View::Payments => counts.payment_problems,
    };
    let views = VIEWS
        .iter()
        .map(|(v, key, label)| ViewLink { key, label: label(c.t), count: count_of(*v), current: *v == view })
        .collect();
    let more = next.map(|cursor| {
        let q = search.as_deref().map(|q| format!("&q={}", urlencode(q))).unwrap_or_default();
        format!("/console?view={key}{q}&cursor={cursor}")
    });
    let notice = match query.notice.as_deref() {
        Some("no-next") => Some(c.t.no_next_case),
        _ => None,
    };
    let heading = search.as_ref().map_or(label(c.t).to_string(), |q| lang.search_heading(q));
    html(
        StatusCode::OK,
        QueuePage { c, rows, payments, views, heading, view: key, search: search.unwrap_or_default(), notice, more },
    )
}

/// A query value, percent-encoded.
fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)]).unwrap_or_default().trim_start_matches('=').to_string()
}

/// Next case: takes the most urgent unassigned complaint and opens it.
pub async fn next(app: web::Data<App>, req: HttpRequest, form: web::Form<super::CsrfForm>) -> Page {
    let Some(session) = session_of(&app, &req).await? else {
        return Ok(see_other("/console/login"));
    };
    if !same_token(&session.csrf_token, &form.csrf) {
        return forged(&session);
    }
    match app.take_next_case(&session.caller()).await? {
        Some(seen) => Ok(see_other(&format!("/console/complaints/{}?done=taken", seen.complaint.id))),
        None => Ok(see_other("/console?view=unassigned&notice=no-next")),
    }
}
