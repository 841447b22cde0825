//! The case page and every action an agent takes on it. Each action is the
//! same command the JSON API runs; the page shows only what
//! `allowed_actions` offers, and a form carries the version it was drawn
//! at and a one-time key, so a stale form is refused with the new state and
//! a double submit acts once.

use actix_files::NamedFile;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use sha2::Digest;

use super::format::{countdown, money, offer_line, parse_money, size, time, waits_on, Sla};
use super::texts::{Lang, Texts};
use super::{forged, html, lost_race, same_token, see_other, session_of, Chrome, Page};
use crate::app::case_file::CaseFile;
use crate::app::evidence::Readable;
use crate::app::idempotency::Claim;
use crate::app::ids::new_id;
use crate::app::staff::Session;
use crate::app::{App, AppError, Missing};
use crate::domain::{self, Action, Command, Complaint, EvidenceKind, Money, Outcome, ProposalKind, Role, Visibility};

/// A posted form, repeated names kept (a group of checkboxes).
pub struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &[u8]) -> Fields {
        Fields(serde_urlencoded::from_bytes(body).unwrap_or_default())
    }

    fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.clone()).take(100).collect()
    }

    fn version(&self) -> Option<i64> {
        self.get("version").parse().ok()
    }
}

/// A signed-in agent and a form with its anti-forgery token, or the answer
/// to give instead.
async fn signed_form(
    app: &App,
    req: &HttpRequest,
    body: &[u8],
) -> Result<Result<(Session, Fields), HttpResponse>, AppError> {
    let Some(session) = session_of(app, req).await? else {
        return Ok(Err(see_other("/console/login")));
    };
    let fields = Fields::parse(body);
    if !same_token(&session.csrf_token, fields.get("csrf")) {
        return Ok(Err(forged(&session).map_err(|e| e.0)?));
    }
    Ok(Ok((session, fields)))
}

/// What happened to a form's one-time key.
enum Once {
    /// The command ran now.
    Done,
    /// The same form was sent before and acted then.
    Again,
    /// The same form is being sent right now.
    Busy,
}

/// Runs `cmd` once per form key: a second submit of the same form (a double
/// click, a reload) finds the first one's result instead of acting again.
async fn once(app: &App, session: &Session, id: &str, fields: &Fields, cmd: Command) -> Result<Once, AppError> {
    let caller = session.caller();
    let key = fields.get("key");
    let key_ok = (16..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b));
    if !key_ok {
        app.command(&caller, id.to_string(), fields.version(), cmd, None).await?;
        return Ok(Once::Done);
    }
    let fingerprint = hex::encode(sha2::Sha256::digest(format!("console:{id}")));
    match app.claim_idempotency_key(caller.id.clone(), key.to_string(), fingerprint).await? {
        Claim::Fresh => {}
        Claim::Replay { .. } | Claim::Committed { .. } => return Ok(Once::Again),
        Claim::InFlight | Claim::Mismatch => return Ok(Once::Busy),
    }
    match app.command(&caller, id.to_string(), fields.version(), cmd, Some(key.to_string())).await {
        Ok(_) => {
            app.complete_idempotency_key(caller.id, key.to_string(), 303, id.to_string()).await?;
            Ok(Once::Done)
        }
        Err(e) => {
            app.release_idempotency_key(caller.id, key.to_string()).await?;
            Err(e)
        }
    }
}

/// The answer to an action: back to the case page saying what was done, the
/// case page with the new state when the case moved on first, the problem
/// on the form's page otherwise.
async fn answer(app: &App, session: &Session, id: &str, done: &str, result: Result<Once, AppError>) -> Page {
    match result {
        Ok(Once::Done | Once::Again) => Ok(see_other(&format!("/console/complaints/{id}?done={done}"))),
        Ok(Once::Busy) => {
            let t = Chrome::of(session).t;
            render(app, session, id, 0, Some(t.in_flight.to_string()), StatusCode::CONFLICT).await
        }
        Err(e) if lost_race(&e) => refused(app, session, id, e).await,
        Err(e @ (AppError::Invalid(_) | AppError::Domain(_))) => {
            render(app, session, id, 0, Some(problem_text(&e)), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(AppError::Forbidden(_)) => {
            let t = Chrome::of(session).t;
            render(app, session, id, 0, Some(t.not_allowed.to_string()), StatusCode::FORBIDDEN).await
        }
        Err(e) => Err(e.into()),
    }
}

/// What a refused field or rule says.
fn problem_text(e: &AppError) -> String {
    match e {
        AppError::Invalid(fields) => {
            fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

/// The case page with a note that someone acted first (409).
pub async fn refused(app: &App, session: &Session, id: &str, e: AppError) -> Page {
    tracing::info!(complaint_id = %id, error = %e, "console form lost a race");
    let t = Chrome::of(session).t;
    render(app, session, id, 0, Some(t.lost_race.to_string()), StatusCode::CONFLICT).await
}

/// The header's facts.
struct Facts {
    id: String,
    status: String,
    status_key: &'static str,
    order_id: String,
    /// The hold of an order with several, with what it pays for.
    hold: Option<String>,
    opened_by: String,
    reason: String,
    description: String,
    held: String,
    disputed: String,
    currency: &'static str,
    escrow: String,
    settlement: String,
    buyer_id: String,
    seller_id: String,
    assignee: String,
    waits_on: String,
    due: Option<String>,
    due_iso: String,
    sla: &'static str,
    sla_text: String,
    on_expiry: String,
    version: i64,
    has_actions: bool,
    can_take: bool,
    can_assign: bool,
    can_unassign: bool,
    can_message: bool,
    can_request: bool,
    can_propose: bool,
    can_decide: bool,
}

struct OfferRow {
    /// The kind, with its refund when it has one.
    kind: String,
    status: String,
    status_key: &'static str,
    at: String,
    at_iso: String,
    note: Option<String>,
}

struct EvidenceItem {
    url: String,
    image: bool,
    video: bool,
    kind: String,
    name: String,
    alt: String,
    media_type: String,
    size: String,
    sha256: String,
    at: String,
    at_iso: String,
}

struct Entry {
    at: String,
    at_iso: String,
    who: String,
    what: String,
    detail: String,
    internal: bool,
}

#[derive(Template)]
#[template(path = "console/case.html")]
struct CasePage {
    c: Chrome,
    k: Facts,
    notice: Option<String>,
    key: String,
    agents: Vec<(String, String, bool)>,
    evidence_kinds: Vec<(&'static str, String)>,
    proposal_kinds: Vec<(&'static str, String)>,
    zone: String,
    default_due: String,
    offers: Vec<(String, Vec<OfferRow>)>,
    evidence: Vec<(String, Vec<EvidenceItem>)>,
    evidence_count: usize,
    standing: String,
    timeline: Vec<Entry>,
    timeline_more: Option<String>,
}

/// A timeline entry's gist, from its data.
fn gist(kind: &str, data: &serde_json::Value, c: &Complaint, lang: Lang) -> String {
    let s = |k: &str| data.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let amount = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_i64()).map(|a| money(a, c.currency, lang));
    match kind {
        "opened" => s("description"),
        "message" => s("body"),
        "proposal_made" => {
            let p = &data["proposal"];
            let kind = lang.label(p["kind"].as_str().unwrap_or(""));
            let refund = amount(p.get("refund_amount")).filter(|_| p["refund_amount"].as_i64() > Some(0));
            let note = p["note"].as_str().map(|n| format!(" · {n}")).unwrap_or_default();
            refund.map_or(kind.to_string(), |r| format!("{kind}: {r}")) + &note
        }
        "proposal_rejected" => format!("{}: {}", lang.label(&s("by")), s("note")),
        "proposal_accepted" => lang.label(&s("by")).to_string(),
        "consensus" => {
            let kind = lang.label(data["kind"].as_str().unwrap_or(""));
            amount(data.get("refund_amount")).map_or(kind.to_string(), |r| format!("{kind}: {r}"))
        }
        "escalated" => format!("{}: {}", lang.label(&s("by")), s("reason")),
        "assigned" => s("assignee_id"),
        "evidence_added" => format!("{} · {}", lang.label(&s("kind")), s("file_name")),
        "evidence_requested" => {
            let kinds: Vec<&str> = data["kinds"]
                .as_array()
                .map(|a| a.iter().filter_map(|k| k.as_str()).map(|k| lang.label(k)).collect())
                .unwrap_or_default();
            format!("{}: {}", lang.label(&s("party")), kinds.join(", "))
        }
        "evidence_overdue" => {
            let ids: Vec<&str> = data["request_ids"]
                .as_array()
                .map(|a| a.iter().filter_map(|k| k.as_str()).collect())
                .unwrap_or_default();
            ids.join(", ")
        }
        "fulfilment_step" => lang.label(&s("action")).to_string(),
        "decided" => {
            let d = &data["decision"];
            let outcome = lang.label(d["outcome"].as_str().unwrap_or(""));
            let rationale = d["rationale"].as_str().unwrap_or("");
            format!("{outcome} · {} · {rationale}", lang.label(d["reason_code"].as_str().unwrap_or("")))
        }
        "resolved" => {
            let t = lang.t();
            format!(
                "{} {} · {} {}",
                t.payout_buyer,
                amount(data.get("refund_to_buyer")).unwrap_or_default(),
                t.payout_seller,
                amount(data.get("release_to_seller")).unwrap_or_default()
            )
        }
        "deadline_passed" => lang.label(&s("on_expiry")).to_string(),
        "withdrawn" => s("note"),
        _ => String::new(),
    }
}

/// The kinds a select offers, labelled.
fn labelled<T: Copy>(all: &[T], wire: fn(&T) -> &'static str, lang: Lang) -> Vec<(&'static str, String)> {
    all.iter().map(|v| (wire(v), lang.label(wire(v)).to_string())).collect()
}

fn standing_text(file: &CaseFile, t: &Texts, zone: chrono_tz::Tz) -> String {
    let s = &file.standing;
    if s.violations == 0 {
        return t.standing_clean.to_string();
    }
    let mut text = format!("{}: {}", t.violations, s.violations);
    if let Some(until) = s.suspended_until {
        text += &format!(", {} {}", t.suspended_until, time(until, zone));
    }
    if s.permanently_closed {
        text += &format!(", {}", t.closed_for_good);
    }
    text
}

/// Renders the case page for the agent.
async fn render(
    app: &App,
    session: &Session,
    id: &str,
    after: i64,
    notice: Option<String>,
    status: StatusCode,
) -> Page {
    let c = Chrome::of(session);
    let caller = session.caller();
    let file = match app.case_file(&caller, id.to_string(), after).await {
        Ok(file) => file,
        Err(AppError::NotFound(_)) => {
            let (title, message) = (c.t.not_found_title, c.t.not_found);
            return super::notice(StatusCode::NOT_FOUND, c, title, message, "/console");
        }
        Err(AppError::Forbidden(_)) => {
            let (title, message) = (c.t.not_allowed, c.t.party_agent);
            return super::notice(StatusCode::FORBIDDEN, c, title, message, "/console");
        }
        Err(e) => return Err(e.into()),
    };
    let (lang, zone, t) = (c.lang, session.account.time_zone, c.t);
    let now = Utc::now();
    let cm = &file.seen.complaint;
    let allowed = domain::allowed_actions(cm, &file.seen.actor, now);
    let can = |a: Action| allowed.contains(&a);
    let mine = cm.assignee_id.as_deref() == Some(caller.id.as_str());
    let (due, due_iso, sla, sla_text, on_expiry) = match &cm.deadline {
        Some(d) => (
            Some(time(d.at, zone)),
            d.at.to_rfc3339(),
            Sla::of(d.at, now).class(),
            countdown(d.at, now, lang),
            lang.label(d.on_expiry.as_str()).to_string(),
        ),
        None => (None, String::new(), "ok", String::new(), String::new()),
    };
    let settlement = file.settlement.as_ref().map_or_else(
        || t.not_yet.to_string(),
        |s| {
            let state = lang.label(s.payout.state.as_str());
            format!(
                "{state} · {} {} · {} {}",
                t.payout_buyer,
                money(s.refund_to_buyer.amount, cm.currency, lang),
                t.payout_seller,
                money(s.release_to_seller.amount, cm.currency, lang)
            )
        },
    );
    let k = Facts {
        id: cm.id.clone(),
        status: lang.label(cm.status.as_str()).to_string(),
        status_key: cm.status.as_str(),
        order_id: cm.order_id.clone(),
        hold: file.hold.as_ref().map(|h| match &h.description {
            Some(d) => format!("{} ({d})", h.id),
            None => h.id.clone(),
        }),
        opened_by: lang.label(cm.opened_by.as_str()).to_string(),
        reason: lang.label(cm.reason.as_str()).to_string(),
        description: cm.description.clone(),
        held: money(cm.held_amount, cm.currency, lang),
        disputed: money(cm.disputed_amount, cm.currency, lang),
        currency: cm.currency.code(),
        escrow: lang.label(file.hold.as_ref().map_or(file.order.status, |h| h.status).as_str()).to_string(),
        settlement,
        buyer_id: cm.buyer_id.clone(),
        seller_id: cm.seller_id.clone(),
        assignee: cm.assignee_id.clone().unwrap_or_else(|| t.unassigned.to_string()),
        waits_on: waits_on(cm, lang),
        due,
        due_iso,
        sla,
        sla_text,
        on_expiry,
        version: cm.version,
        has_actions: !allowed.is_empty(),
        can_take: can(Action::Assign) && !mine,
        can_assign: can(Action::Assign),
        can_unassign: can(Action::Unassign),
        can_message: can(Action::PostMessage),
        can_request: can(Action::RequestEvidence),
        can_propose: can(Action::Counter),
        can_decide: can(Action::Decide),
    };
    let agents = if k.can_assign {
        app.list_staff()
            .await?
            .into_iter()
            .filter(|a| a.disabled_at.is_none() && a.id != cm.buyer_id && a.id != cm.seller_id)
            .map(|a| {
                let chosen = cm.assignee_id.as_deref().map_or(a.id == caller.id, |x| x == a.id);
                (a.id.clone(), format!("{} ({})", a.name, a.id), chosen)
            })
            .collect()
    } else {
        Vec::new()
    };
    let offers = [Role::Buyer, Role::Seller, Role::Staff]
        .into_iter()
        .filter(|r| *r != Role::Staff || cm.proposals.iter().any(|p| p.author_role == Role::Staff))
        .map(|role| {
            let list = cm
                .proposals
                .iter()
                .rev()
                .filter(|p| p.author_role == role)
                .map(|p| OfferRow {
                    kind: offer_line(p, cm, lang),
                    status: lang.label(p.status.as_str()).to_string(),
                    status_key: p.status.as_str(),
                    at: time(p.created_at, zone),
                    at_iso: p.created_at.to_rfc3339(),
                    note: p.note.clone(),
                })
                .collect();
            (lang.label(role.as_str()).to_string(), list)
        })
        .collect();
    let mut evidence: Vec<(String, Vec<EvidenceItem>)> = Vec::new();
    for role in [Role::Buyer, Role::Seller, Role::Staff] {
        let items: Vec<EvidenceItem> = file
            .evidence
            .iter()
            .filter(|e| e.uploader_role == role.as_str() && e.status == "stored")
            .map(|e| {
                let name = e.file_name.clone().unwrap_or_else(|| e.id.clone());
                EvidenceItem {
                    url: format!("/console/complaints/{}/evidence/{}", cm.id, e.id),
                    image: e.media_type.starts_with("image/"),
                    video: e.media_type.starts_with("video/"),
                    kind: lang.label(e.kind.as_str()).to_string(),
                    alt: format!(
                        "{} · {} · {}",
                        lang.label(e.kind.as_str()),
                        e.description.as_deref().unwrap_or(&name),
                        lang.label(role.as_str())
                    ),
                    name,
                    media_type: e.media_type.clone(),
                    size: size(e.size_bytes),
                    sha256: e.sha256.clone().unwrap_or_else(|| "-".into()),
                    at: time(e.created_at, zone),
                    at_iso: e.created_at.to_rfc3339(),
                }
            })
            .collect();
        if !items.is_empty() {
            evidence.push((lang.label(role.as_str()).to_string(), items));
        }
    }
    let evidence_count = evidence.iter().map(|(_, items)| items.len()).sum();
    let timeline = file
        .timeline
        .iter()
        .map(|e| Entry {
            at: time(e.at, zone),
            at_iso: e.at.to_rfc3339(),
            who: match e.actor_id.as_deref() {
                Some(id) if e.actor_role != "system" => format!("{} {id}", lang.label(&e.actor_role)),
                _ => lang.label(&e.actor_role).to_string(),
            },
            what: lang.label(&e.kind).to_string(),
            detail: gist(&e.kind, &e.data, cm, lang),
            internal: e.visibility == Visibility::Staff.as_str(),
        })
        .collect();
    let timeline_more = file
        .timeline_continues
        .then(|| file.timeline.last().map(|e| format!("/console/complaints/{}?after={}", cm.id, e.seq)))
        .flatten();
    let default_due = (now + chrono::Duration::hours(48)).with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string();
    let page = CasePage {
        k,
        notice,
        key: crate::app::staff::random_token(),
        agents,
        evidence_kinds: labelled(EvidenceKind::ALL, |k| k.as_str(), lang),
        proposal_kinds: labelled(ProposalKind::ALL, |k| k.as_str(), lang),
        zone: zone.name().to_string(),
        default_due,
        offers,
        evidence,
        evidence_count,
        standing: standing_text(&file, t, zone),
        timeline,
        timeline_more,
        c,
    };
    html(status, page)
}

#[derive(Deserialize)]
pub struct CaseQuery {
    /// What was just done, for the note at the top.
    done: Option<String>,
    /// The timeline after this entry.
    after: Option<i64>,
}

pub async fn page(app: web::Data<App>, req: HttpRequest, id: web::Path<String>, q: web::Query<CaseQuery>) -> Page {
    let Some(session) = session_of(&app, &req).await? else {
        return Ok(see_other("/console/login"));
    };
    let t = Chrome::of(&session).t;
    let notice = q.done.as_deref().and_then(|d| match d {
        "taken" => Some(t.taken),
        "decided" => Some(t.decided),
        "posted" => Some(t.posted),
        "requested" => Some(t.requested),
        "proposed" => Some(t.proposed),
        "assigned" => Some(t.assigned),
        "unassigned" => Some(t.unassigned_done),
        _ => None,
    });
    render(&app, &session, &id, q.after.unwrap_or(0), notice.map(str::to_string), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct TakeForm {
    csrf: String,
    /// The version the case page showed (the queue sends none).
    version: Option<i64>,
}

/// Take: the agent assigns the complaint to themselves, through the same
/// command as `POST /v1/complaints/{id}/assign`.
pub async fn take(app: web::Data<App>, req: HttpRequest, id: web::Path<String>, form: web::Form<TakeForm>) -> Page {
    let Some(session) = session_of(&app, &req).await? else {
        return Ok(see_other("/console/login"));
    };
    if !same_token(&session.csrf_token, &form.csrf) {
        return forged(&session);
    }
    let caller = session.caller();
    let id = id.into_inner();
    let command = Command::Assign { assignee_id: caller.id.clone() };
    match app.command(&caller, id.clone(), form.version, command, None).await {
        Ok(_) if form.version.is_some() => Ok(see_other(&format!("/console/complaints/{id}?done=taken"))),
        Ok(_) => Ok(see_other("/console?view=mine")),
        Err(e) if lost_race(&e) => refused(&app, &session, &id, e).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn assign(app: web::Data<App>, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> Page {
    let (session, fields) = match signed_form(&app, &req, &body).await? {
        Ok(ok) => ok,
        Err(answer) => return Ok(answer),
    };
    let cmd = Command::Assign { assignee_id: fields.get("assignee_id").to_string() };
    let result = once(&app, &session, &id, &fields, cmd).await;
    answer(&app, &session, &id, "assigned", result).await
}

pub async fn unassign(app: web::Data<App>, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> Page {
    let (session, fields) = match signed_form(&app, &req, &body).await? {
        Ok(ok) => ok,
        Err(answer) => return Ok(answer),
    };
    let result = once(&app, &session, &id, &fields, Command::Unassign).await;
    answer(&app, &session, &id, "unassigned", result).await
}

pub async fn message(app: web::Data<App>, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> Page {
    let (session, fields) = match signed_form(&app, &req, &body).await? {
        Ok(ok) => ok,
        Err(answer) => return Ok(answer),
    };
    let visibility = if fields.get("visibility") == "parties" { Visibility::Parties } else { Visibility::Staff };
    let cmd = Command::PostMessage {
        message_id: new_id("msg"),
        body: fields.get("body").trim().to_string(),
        evidence_ids: Vec::new(),
        visibility,
    };
    // A message does not wait on the case standing still.
    let fields = Fields(fields.0.into_iter().filter(|(k, _)| k != "version").collect());
    let result = once(&app, &session, &id, &fields, cmd).await;
    answer(&app, &session, &id, "posted", result).await
}

pub async fn request_evidence(app: web::Data<App>, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> Page {
    let (session, fields) = match signed_form(&app, &req, &body).await? {
        Ok(ok) => ok,
        Err(answer) => return Ok(answer),
    };
    let party = if fields.get("party") == "seller" { Role::Seller } else { Role::Buyer };
    let kinds: Vec<EvidenceKind> = fields.all("kinds").iter().filter_map(|k| k.parse().ok()).collect();
    let zone = session.account.time_zone;
    let due_at = chrono::NaiveDateTime::parse_from_str(fields.get("due_at"), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|local| local.and_local_timezone(zone).earliest())
        .map(|at| at.with_timezone(&Utc));
    let Some(due_at) = due_at else {
        let result = Err(AppError::invalid("due_at", "a date and time, like 2026-12-03 17:00"));
        return answer(&app, &session, &id, "requested", result).await;
    };
    let note = Some(fields.get("note").trim().to_string()).filter(|n| !n.is_empty());
    let cmd = Command::RequestEvidence { request_id: new_id("evq"), party, kinds, due_at, note };
    let result = once(&app, &session, &id, &fields, cmd).await;
    answer(&app, &session, &id, "requested", result).await
}

/// An amount the agent typed, in the complaint's currency; empty is none.
fn typed_amount(text: &str, c: &Complaint, lang: Lang, field: &'static str) -> Result<Option<Money>, AppError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    parse_money(text, c.currency, lang)
        .map(|minor| Some(Money::new(minor, c.currency)))
        .ok_or_else(|| AppError::invalid(field, lang.t().bad_amount))
}

pub async fn propose(app: web::Data<App>, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> Page {
    let (session, fields) = match signed_form(&app, &req, &body).await? {
        Ok(ok) => ok,
        Err(answer) => return Ok(answer),
    };
    let lang = Lang::of_locale(&session.account.locale);
    let seen = match app.complaint(&session.caller(), id.to_string()).await {
        Ok(seen) => seen,
        Err(e) => return answer(&app, &session, &id, "proposed", Err(e)).await,
    };
    let result = match (
        fields.get("kind").parse::<ProposalKind>(),
        typed_amount(fields.get("refund"), &seen.complaint, lang, "refund"),
    ) {
        (Err(_), _) => Err(AppError::invalid("kind", "choose a solution")),
        (_, Err(e)) => Err(e),
        (Ok(kind), Ok(refund_amount)) => {
            let note = Some(fields.get("note").trim().to_string()).filter(|n| !n.is_empty());
            let cmd = Command::Propose { proposal_id: new_id("prp"), kind, refund_amount, note };
            once(&app, &session, &id, &fields, cmd).await
        }
    };
    answer(&app, &session, &id, "proposed", result).await
}

/// The decision form's fields, as the agent filled them.
#[derive(Default)]
struct DecisionFields {
    outcome: String,
    refund: String,
    seller_at_fault: bool,
    reason_code: String,
    evidence_ids: Vec<String>,
    rationale: String,
}

impl DecisionFields {
    fn of(f: &Fields) -> DecisionFields {
        DecisionFields {
            outcome: f.get("outcome").to_string(),
            refund: f.get("refund").to_string(),
            seller_at_fault: f.get("seller_at_fault") == "on",
            reason_code: f.get("reason_code").to_string(),
            evidence_ids: f.all("evidence_ids"),
            rationale: f.get("rationale").trim().to_string(),
        }
    }

    /// The command these fields make, or what is wrong with them.
    fn command(&self, c: &Complaint, lang: Lang) -> Result<Command, AppError> {
        let outcome: Outcome = self.outcome.parse().map_err(|_| AppError::invalid("outcome", "choose an outcome"))?;
        // Refund and release take all or nothing: what is typed counts for a split.
        let refund_amount = match outcome {
            Outcome::Split => typed_amount(&self.refund, c, lang, "refund")?,
            Outcome::Refund | Outcome::Release => None,
        };
        domain::check_decision(c, outcome, refund_amount.as_ref(), self.seller_at_fault, &self.reason_code)?;
        Ok(Command::Decide {
            decision_id: new_id("dec"),
            outcome,
            refund_amount,
            seller_at_fault: self.seller_at_fault,
            reason_code: self.reason_code.clone(),
            evidence_ids: self.evidence_ids.clone(),
            rationale: self.rationale.clone(),
        })
    }
}

#[derive(Template)]
#[template(path = "console/decision.html")]
struct DecisionPage {
    c: Chrome,
    id: String,
    held: String,
    disputed: String,
    currency: &'static str,
    version: i64,
    key: String,
    confirm: bool,
    problem: Option<String>,
    form: DecisionFields,
    outcomes: Vec<(&'static str, String)>,
    reason_codes: Vec<(&'static str, String)>,
    evidence: Vec<(String, String)>,
    payouts: String,
    outcome_label: String,
    reason_label: String,
    /// The evidence the form cites, as the agent reads it.
    relied_on: Vec<String>,
}

/// Both payouts of what the fields say, as HTML (escaped here), or why the
/// decision would be refused.
fn payouts_html(c: &Complaint, fields: &DecisionFields, lang: Lang) -> String {
    let t = lang.t();
    let Ok(outcome) = fields.outcome.parse::<Outcome>() else {
        return String::new();
    };
    let refund = match outcome {
        Outcome::Split => match typed_amount(&fields.refund, c, lang, "refund") {
            Ok(r) => r,
            Err(e) => return format!("<p class=\"problem\">{}</p>", escape(&problem_text(&e))),
        },
        _ => None,
    };
    match domain::decision_payouts(c, outcome, refund.as_ref()) {
        Ok((buyer, seller)) => format!(
            "<p><span class=\"payout\">{} <strong id=\"payout-buyer\">{}</strong></span> <span class=\"payout\">{} <strong id=\"payout-seller\">{}</strong></span></p>",
            escape(t.payout_buyer),
            escape(&money(buyer, c.currency, lang)),
            escape(t.payout_seller),
            escape(&money(seller, c.currency, lang))
        ),
        Err(e) => format!("<p class=\"problem\">{}</p>", escape(&e.to_string())),
    }
}

fn escape(s: &str) -> String {
    askama::filters::escape(s, askama::filters::Html).map(|e| e.to_string()).unwrap_or_default()
}

async fn decision_page(
    app: &App,
    session: &Session,
    id: &str,
    fields: DecisionFields,
    confirm: bool,
    problem: Option<String>,
    status: StatusCode,
) -> Page {
    let c = Chrome::of(session);
    let lang = c.lang;
    let file = match app.case_file(&session.caller(), id.to_string(), i64::MAX).await {
        Ok(file) => file,
        Err(AppError::NotFound(_) | AppError::Forbidden(_)) => {
            return render(app, session, id, 0, None, StatusCode::NOT_FOUND).await;
        }
        Err(e) => return Err(e.into()),
    };
    let cm = &file.seen.complaint;
    if !domain::allowed_actions(cm, &file.seen.actor, Utc::now()).contains(&Action::Decide) {
        let t = c.t;
        return render(app, session, id, 0, Some(t.not_allowed.to_string()), StatusCode::CONFLICT).await;
    }
    let evidence: Vec<(String, String)> = file
        .evidence
        .iter()
        .filter(|e| e.status == "stored")
        .map(|e| {
            let name = e.file_name.clone().unwrap_or_else(|| e.id.clone());
            (e.id.clone(), format!("{} · {} · {name}", lang.label(&e.uploader_role), lang.label(e.kind.as_str())))
        })
        .collect();
    let relied_on =
        evidence.iter().filter(|(id, _)| fields.evidence_ids.contains(id)).map(|(_, label)| label.clone()).collect();
    let page = DecisionPage {
        id: cm.id.clone(),
        held: money(cm.held_amount, cm.currency, lang),
        disputed: money(cm.disputed_amount, cm.currency, lang),
        currency: cm.currency.code(),
        version: cm.version,
        key: crate::app::staff::random_token(),
        confirm,
        problem,
        outcomes: labelled(Outcome::ALL, |o| o.as_str(), lang),
        reason_codes: domain::DECISION_REASON_CODES.iter().map(|(r, _)| (*r, lang.label(r).to_string())).collect(),
        evidence,
        relied_on,
        payouts: payouts_html(cm, &fields, lang),
        outcome_label: lang.label(&fields.outcome).to_string(),
        reason_label: lang.label(&fields.reason_code).to_string(),
        form: fields,
        c,
    };
    html(status, page)
}

pub async fn decision_form(app: web::Data<App>, req: HttpRequest, id: web::Path<String>) -> Page {
    let Some(session) = session_of(&app, &req).await? else {
        return Ok(see_other("/console/login"));
    };
    decision_page(&app, &session, &id, DecisionFields::default(), false, None, StatusCode::OK).await
}

/// The payouts of the form as the agent types, for htmx to swap in.
pub async fn payouts(app: web::Data<App>, req: HttpRequest, id: web::Path<String>) -> Page {
    let Some(session) = session_of(&app, &req).await? else {
        return Ok(HttpResponse::Unauthorized().finish());
    };
    let fields = DecisionFields::of(&Fields::parse(req.query_string().as_bytes()));
    let lang = Lang::of_locale(&session.account.locale);
    let seen = match app.complaint(&session.caller(), id.into_inner()).await {
        Ok(seen) if seen.actor.role == Role::Staff => seen,
        Ok(_) | Err(AppError::NotFound(_)) => return Ok(HttpResponse::NotFound().finish()),
        Err(e) => return Err(e.into()),
    };
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(payouts_html(&seen.complaint, &fields, lang)))
}

/// The decision in two steps: `review` shows what it will do and asks to
/// confirm; `confirm` decides (once, at the version the form was drawn at).
pub async fn decide(app: web::Data<App>, req: HttpRequest, id: web::Path<String>, body: web::Bytes) -> Page {
    let (session, fields) = match signed_form(&app, &req, &body).await? {
        Ok(ok) => ok,
        Err(answer) => return Ok(answer),
    };
    let lang = Lang::of_locale(&session.account.locale);
    let decision = DecisionFields::of(&fields);
    let seen = match app.complaint(&session.caller(), id.to_string()).await {
        Ok(seen) => seen,
        Err(e) => return answer(&app, &session, &id, "decided", Err(e)).await,
    };
    let step = fields.get("step");
    // Reviewing a form the case moved on from: say so before the agent
    // confirms. The confirm itself runs at the form's version (If-Match), and
    // a second confirm of one form finds the first one's result by its key.
    if let Some(given) = fields.version().filter(|v| *v != seen.complaint.version && step != "confirm") {
        let current = seen.complaint.version;
        return refused(&app, &session, &id, AppError::StaleVersion { current, given }).await;
    }
    if step == "edit" {
        return decision_page(&app, &session, &id, decision, false, None, StatusCode::OK).await;
    }
    let cmd = match decision.command(&seen.complaint, lang) {
        Ok(cmd) => cmd,
        Err(e) => {
            let problem = Some(problem_text(&e));
            return decision_page(&app, &session, &id, decision, false, problem, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    if step != "confirm" {
        return decision_page(&app, &session, &id, decision, true, None, StatusCode::OK).await;
    }
    let result = once(&app, &session, &id, &fields, cmd).await;
    answer(&app, &session, &id, "decided", result).await
}

#[derive(Deserialize)]
pub struct FileQuery {
    download: Option<String>,
}

/// An evidence file through the service: pictures and videos inline, the
/// rest as a download. Its media type was sniffed from its bytes on upload.
pub async fn evidence_file(
    app: web::Data<App>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    q: web::Query<FileQuery>,
) -> Page {
    let Some(session) = session_of(&app, &req).await? else {
        return Ok(HttpResponse::NotFound().finish());
    };
    let (complaint_id, evidence_id) = path.into_inner();
    let caller = session.caller();
    let (row, readable) = match app.evidence_bytes(&caller, complaint_id, evidence_id).await {
        Ok(found) => found,
        Err(AppError::NotFound(Missing::Evidence | Missing::Complaint)) => return Ok(HttpResponse::NotFound().finish()),
        Err(e) => return Err(e.into()),
    };
    let inline = q.download.is_none() && (row.media_type.starts_with("image/") || row.media_type.starts_with("video/"));
    let disposition = ContentDisposition {
        disposition: if inline { DispositionType::Inline } else { DispositionType::Attachment },
        parameters: vec![DispositionParam::Filename(domain::safe_file_name(
            row.file_name.as_deref().unwrap_or(&row.id),
        ))],
    };
    let media_type: mime::Mime = row.media_type.parse().unwrap_or(mime::APPLICATION_OCTET_STREAM);
    let res = match readable {
        Readable::File(path) => NamedFile::open_async(&path)
            .await
            .map_err(|e| AppError::StoreUnavailable(e.into()))?
            .set_content_type(media_type)
            .set_content_disposition(disposition)
            .into_response(&req),
        Readable::Stream(stream) => HttpResponse::Ok()
            .content_type(media_type)
            .insert_header((header::CONTENT_DISPOSITION, disposition))
            .streaming(stream),
    };
    // Like every console answer, kept in no cache: a shared computer keeps
    // no evidence after its agent signed out.
    Ok(res)
}
