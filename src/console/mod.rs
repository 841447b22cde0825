//! The staff console (DESIGN §11): server-rendered pages for customer care
//! under `/console`, on the same use cases as the JSON API. An agent signs in
//! with an account the service keeps (`resolution-center staff add`) and holds
//! a session cookie; the console accepts no bearer token, and the API no
//! cookie. Every change carries an anti-forgery token: before sign-in a
//! double-submit cookie, after it the session's own.

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sha2::Digest;

use crate::app::complaints::QueueView;
use crate::app::staff::{Session, SignIn};
use crate::app::{App, AppError};
use crate::domain::Currency;

/// The session cookie, sent only to the console's paths.
const SESSION_COOKIE: &str = "rc_console";
/// The anti-forgery cookie of the sign-in form, before there is a session.
const LOGIN_CSRF_COOKIE: &str = "rc_console_login";

/// What every console answer carries: no script or style but the console's
/// own files, no framing, no referrer beyond the origin, nothing cached.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const CSS: &str = include_str!("../../assets/console/console.css");
const ICON: &str = include_str!("../../assets/console/icon.svg");

/// The stylesheet's name, with a digest of its content so a new build is
/// never served an old copy from a cache.
fn css_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| format!("console-{}.css", &hex::encode(sha2::Sha256::digest(CSS))[..12]))
}

fn icon_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| format!("icon-{}.svg", &hex::encode(sha2::Sha256::digest(ICON))[..12]))
}

/// The console's routes, for the server to mount.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .wrap(from_fn(security_headers))
            .route("", web::get().to(queue))
            .route("/", web::get().to(queue))
            .route("/login", web::get().to(login_page))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/complaints/{id}/take", web::post().to(take))
            .route("/assets/{name}", web::get().to(asset)),
    );
}

async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// A page or a redirect; a use case's failure as a plain page.
type Page = Result<HttpResponse, ConsoleError>;

#[derive(Debug)]
pub struct ConsoleError(AppError);

impl From<AppError> for ConsoleError {
    fn from(e: AppError) -> Self {
        ConsoleError(e)
    }
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl actix_web::ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match &self.0 {
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        tracing::error!(error = %self.0, "console page failed");
        HttpResponse::build(self.status_code())
            .content_type("text/plain; charset=utf-8")
            .body("The console could not answer; try again in a moment.")
    }
}

/// Whether the request reached us over plain HTTP on a loopback address,
/// the one place a cookie may go without `Secure`.
fn plain_loopback(req: &HttpRequest) -> bool {
    let info = req.connection_info();
    let host = info.host().rsplit_once(':').map_or(info.host(), |(h, _)| h).trim_matches(['[', ']']);
    info.scheme() == "http" && matches!(host, "127.0.0.1" | "localhost" | "::1")
}

fn cookie<'c>(req: &HttpRequest, name: &'c str, value: String, path: &'c str) -> Cookie<'c> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(!plain_loopback(req))
        .finish()
}

fn removal<'c>(req: &HttpRequest, name: &'c str, path: &'c str) -> Cookie<'c> {
    let mut c = cookie(req, name, String::new(), path);
    c.make_removal();
    c
}

/// Two tokens compared by their digests, so the time taken tells nothing of them.
fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && sha2::Sha256::digest(a) == sha2::Sha256::digest(b)
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to)).finish()
}

/// The signed-in agent, when the request carries a running session and no
/// bearer token (the console takes no token; the API takes no cookie).
async fn session_of(app: &App, req: &HttpRequest) -> Result<Option<Session>, AppError> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        return Ok(None);
    }
    match req.cookie(SESSION_COOKIE) {
        Some(c) if !c.value().is_empty() && c.value().len() <= 64 => app.staff_session(c.value().to_string()).await,
        _ => Ok(None),
    }
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    lang: &'a str,
    css: &'a str,
    icon: &'a str,
    csrf: String,
    id: String,
    problem: Option<&'a str>,
}

/// The sign-in form, with a fresh anti-forgery token in a cookie and in the form.
fn login_form(req: &HttpRequest, status: StatusCode, id: String, problem: Option<&str>) -> Page {
    let csrf = crate::app::staff::random_token();
    let page = LoginPage { lang: "en", css: css_name(), icon: icon_name(), csrf: csrf.clone(), id, problem };
    Ok(HttpResponse::build(status)
        .cookie(cookie(req, LOGIN_CSRF_COOKIE, csrf, "/console/login"))
        .content_type("text/html; charset=utf-8")
        .body(page.render().map_err(|e| AppError::Internal(e.into()))?))
}

async fn login_page(app: web::Data<App>, req: HttpRequest) -> Page {
    if session_of(&app, &req).await?.is_some() {
        return Ok(see_other("/console"));
    }
    login_form(&req, StatusCode::OK, String::new(), None)
}

#[derive(Deserialize)]
struct LoginForm {
    csrf: String,
    id: String,
    password: String,
}

async fn login(app: web::Data<App>, req: HttpRequest, form: web::Form<LoginForm>) -> Page {
    let form = form.into_inner();
    let expected = req.cookie(LOGIN_CSRF_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if !same_token(&expected, &form.csrf) {
        return login_form(&req, StatusCode::FORBIDDEN, form.id, Some("The form had expired. Sign in again."));
    }
    if form.id.len() > 64 || form.password.len() > 1024 {
        return login_form(&req, StatusCode::OK, String::new(), Some("Wrong staff id or password."));
    }
    let address = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    match app.sign_in(form.id.clone(), form.password, address).await? {
        SignIn::Welcome(session) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/console"))
            .cookie(cookie(&req, SESSION_COOKIE, session.token, "/console"))
            .cookie(removal(&req, LOGIN_CSRF_COOKIE, "/console/login"))
            .finish()),
        // The form again, with what went wrong: a page, not an error of one.
        SignIn::Refused => login_form(&req, StatusCode::OK, form.id, Some("Wrong staff id or password.")),
        SignIn::TooSoon(wait) => {
            let secs = wait.num_seconds().max(1);
            let mut page = login_form(
                &req,
                StatusCode::TOO_MANY_REQUESTS,
                form.id,
                Some("Too many failed sign-ins. Wait a little, then try again."),
            )?;
            page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            Ok(page)
        }
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(app: web::Data<App>, req: HttpRequest, form: web::Form<CsrfForm>) -> Page {
    let Some(session) = session_of(&app, &req).await? else {
        return Ok(see_other("/console/login"));
    };
    if !same_token(&session.csrf_token, &form.csrf) {
        return Ok(HttpResponse::Forbidden().content_type("text/plain; charset=utf-8").body("The form had expired."));
    }
    app.sign_out(session.token).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/login"))
        .cookie(removal(&req, SESSION_COOKIE, "/console"))
        .finish())
}

/// One complaint of the queue as the table shows it.
struct Row {
    id: String,
    reason: String,
    disputed: String,
    held: String,
    due: String,
    due_iso: String,
    sla: &'static str,
    sla_text: String,
    assignee: String,
    /// `allowed_actions` offers the agent to take it.
    can_take: bool,
}

/// An amount in minor units, in the currency's major unit.
fn amount(minor: i64, currency: Currency) -> String {
    let exp = u32::from(currency.exponent());
    if exp == 0 {
        return format!("{currency} {minor}");
    }
    let unit = 10i64.pow(exp);
    format!("{currency} {}.{:0width$}", minor / unit, (minor % unit).abs(), width = exp as usize)
}

/// Against the decision target: breached once passed, soon within 4 hours.
fn sla(due: DateTime<Utc>, now: DateTime<Utc>) -> (&'static str, String) {
    let left = due - now;
    if left <= chrono::Duration::zero() {
        ("breached", format!("breached {} h ago", (-left).num_hours()))
    } else if left <= chrono::Duration::hours(4) {
        ("soon", format!("{} min left", left.num_minutes()))
    } else {
        ("ok", format!("{} h left", left.num_hours()))
    }
}

fn row(seen: &crate::app::complaints::Seen, now: DateTime<Utc>) -> Row {
    let c = &seen.complaint;
    let can_take = c.assignee_id.as_deref() != Some(seen.actor.id.as_str())
        && crate::domain::allowed_actions(c, &seen.actor, now).contains(&crate::domain::Action::Assign);
    let (due, due_iso, sla, sla_text) = match &c.deadline {
        Some(d) => {
            let (sla, text) = sla(d.at, now);
            (d.at.format("%Y-%m-%d %H:%M UTC").to_string(), d.at.to_rfc3339(), sla, text)
        }
        None => ("-".into(), String::new(), "ok", String::new()),
    };
    Row {
        id: c.id.clone(),
        reason: c.reason.to_string(),
        disputed: amount(c.disputed_amount, c.currency),
        held: amount(c.held_amount, c.currency),
        due,
        due_iso,
        sla,
        sla_text,
        assignee: c.assignee_id.clone().unwrap_or_else(|| "unassigned".into()),
        can_take,
    }
}

#[derive(Template)]
#[template(path = "console/queue.html")]
struct QueuePage<'a> {
    lang: &'a str,
    css: &'a str,
    icon: &'a str,
    agent: String,
    csrf: String,
    rows: Vec<Row>,
    views: Vec<ViewLink>,
    heading: String,
    view: &'static str,
    search: String,
}

/// A view of the queue as its tab shows it.
struct ViewLink {
    key: &'static str,
    label: &'static str,
    count: i64,
    current: bool,
}

const VIEWS: [(QueueView, &str, &str); 4] = [
    (QueueView::Unassigned, "unassigned", "Unassigned"),
    (QueueView::Mine, "mine", "Mine"),
    (QueueView::BreachingSoon, "soon", "Breaching soon"),
    (QueueView::All, "all", "All"),
];

#[derive(Deserialize)]
struct QueueQuery {
    view: Option<String>,
    /// A complaint, order, buyer or seller id.
    q: Option<String>,
}

async fn queue(app: web::Data<App>, req: HttpRequest, query: web::Query<QueueQuery>) -> Page {
    let Some(session) = session_of(&app, &req).await? else {
        return Ok(see_other("/console/login"));
    };
    // An unknown view is the default one.
    let (view, key, label) =
        VIEWS.iter().find(|(_, key, _)| Some(*key) == query.view.as_deref()).copied().unwrap_or(VIEWS[0]);
    let caller = session.caller();
    let search: Option<String> =
        query.q.as_deref().map(str::trim).filter(|q| !q.is_empty()).map(|q| q.chars().take(200).collect());
    let (items, counts) = app.staff_queue(&caller, view, search.clone(), 50).await?;
    let now = Utc::now();
    let rows = items.iter().map(|seen| row(seen, now)).collect();
    let count_of = |v: QueueView| match v {
        QueueView::Unassigned => counts.unassigned,
        QueueView::Mine => counts.mine,
        QueueView::BreachingSoon => counts.breaching_soon,
        QueueView::All => counts.all,
    };
    let views =
        VIEWS.iter().map(|(v, key, label)| ViewLink { key, label, count: count_of(*v), current: *v == view }).collect();
    let html = QueuePage {
        // The pages speak English until their Bahasa Indonesia comes.
        lang: "en",
        css: css_name(),
        icon: icon_name(),
        agent: format!("{} ({})", session.account.name, session.account.id),
        csrf: session.csrf_token,
        rows,
        views,
        heading: search.as_ref().map_or(label.to_string(), |q| format!("Search: {q}")),
        view: key,
        search: search.clone().unwrap_or_default(),
    }
    .render()
    .map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").body(html))
}

#[derive(Deserialize)]
struct TakeForm {
    csrf: String,
    /// The view to go back to.
    view: Option<String>,
}

/// Take: the agent assigns the complaint to themselves, through the same
/// command as `POST /v1/complaints/{id}/assign`.
async fn take(app: web::Data<App>, req: HttpRequest, id: web::Path<String>, form: web::Form<TakeForm>) -> Page {
    let Some(session) = session_of(&app, &req).await? else {
        return Ok(see_other("/console/login"));
    };
    if !same_token(&session.csrf_token, &form.csrf) {
        return Ok(HttpResponse::Forbidden().content_type("text/plain; charset=utf-8").body("The form had expired."));
    }
    let caller = session.caller();
    let back = VIEWS.iter().find(|(_, k, _)| Some(*k) == form.view.as_deref()).map_or("unassigned", |(_, k, _)| k);
    let command = crate::domain::Command::Assign { assignee_id: caller.id.clone() };
    match app.command(&caller, id.into_inner(), None, command, None).await {
        Ok(_) => Ok(see_other("/console?view=mine")),
        Err(AppError::Domain(_) | AppError::NotFound(_) | AppError::Forbidden(_) | AppError::Conflict { .. }) => {
            Ok(HttpResponse::Conflict().content_type("text/plain; charset=utf-8").body(format!(
                "This case can no longer be taken: someone acted on it first. Back to the queue: /console?view={back}"
            )))
        }
        Err(e) => Err(e.into()),
    }
}

async fn asset(name: web::Path<String>) -> HttpResponse {
    let (kind, body) = match name.as_str() {
        n if n == css_name() => ("text/css; charset=utf-8", CSS),
        n if n == icon_name() => ("image/svg+xml", ICON),
        _ => return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such file"),
    };
    HttpResponse::Ok()
        .content_type(kind)
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_use_the_currency_exponent() {
        let c = |code: &str| code.parse::<Currency>().unwrap();
        assert_eq!(amount(250_000, c("IDR")), "IDR 2500.00");
        assert_eq!(amount(150, c("JPY")), "JPY 150");
    }

    #[test]
    fn the_sla_turns_soon_at_four_hours_and_breached_when_passed() {
        let now = Utc::now();
        assert_eq!(sla(now + chrono::Duration::hours(5), now).0, "ok");
        assert_eq!(sla(now + chrono::Duration::hours(3), now).0, "soon");
        assert_eq!(sla(now - chrono::Duration::minutes(1), now).0, "breached");
    }
}
