//! The staff console (DESIGN §11): server-rendered pages for customer care
//! under `/console`, on the same use cases as the JSON API. An agent signs in
//! with an account the service keeps (`resolution-center staff add`) and holds
//! a session cookie; the console accepts no bearer token, and the API no
//! cookie. Every change carries an anti-forgery token: before sign-in a
//! double-submit cookie, after it the session's own.

mod case;
mod format;
mod queue;
mod texts;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use sha2::Digest;

use crate::app::staff::{Session, SignIn};
use crate::app::{App, AppError};
use crate::domain::DomainError;
use texts::{Lang, Texts};

/// The session cookie, sent only to the console's paths.
const SESSION_COOKIE: &str = "rc_console";
/// The anti-forgery cookie of the sign-in form, before there is a session.
const LOGIN_CSRF_COOKIE: &str = "rc_console_login";

/// What every console answer carries: no script or style but the console's
/// own files, no framing, no referrer beyond the origin, nothing cached.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// The files the pages load, embedded in the binary.
struct Asset {
    /// The name it is served under, with a digest of its content so that a
    /// new build is never served an old copy from a cache.
    name: String,
    media_type: &'static str,
    body: &'static str,
}

fn asset_of(stem: &str, ext: &str, media_type: &'static str, body: &'static str) -> Asset {
    let digest = hex::encode(sha2::Sha256::digest(body));
    Asset { name: format!("{stem}-{}.{ext}", &digest[..12]), media_type, body }
}

fn assets() -> &'static [Asset; 4] {
    static ASSETS: std::sync::OnceLock<[Asset; 4]> = std::sync::OnceLock::new();
    ASSETS.get_or_init(|| {
        [
            asset_of("console", "css", "text/css; charset=utf-8", include_str!("../../assets/console/console.css")),
            asset_of(
                "console",
                "js",
                "text/javascript; charset=utf-8",
                include_str!("../../assets/console/console.js"),
            ),
            asset_of(
                "htmx-2.0.11",
                "js",
                "text/javascript; charset=utf-8",
                include_str!("../../assets/console/vendor/htmx-2.0.11.min.js"),
            ),
            asset_of("icon", "svg", "image/svg+xml", include_str!("../../assets/console/icon.svg")),
        ]
    })
}

/// What every page's frame shows: its language, its assets, the agent.
pub struct Chrome {
    pub lang: Lang,
    pub t: &'static Texts,
    pub css: &'static str,
    pub js: &'static str,
    pub htmx: &'static str,
    pub icon: &'static str,
    /// The signed-in agent, as the bar shows them.
    pub agent: Option<String>,
    /// The session's anti-forgery token.
    pub csrf: String,
}

impl Chrome {
    fn new(lang: Lang, session: Option<&Session>) -> Chrome {
        let [css, js, htmx, icon] = assets();
        Chrome {
            lang,
            t: lang.t(),
            css: &css.name,
            js: &js.name,
            htmx: &htmx.name,
            icon: &icon.name,
            agent: session.map(|s| format!("{} ({})", s.account.name, s.account.id)),
            csrf: session.map(|s| s.csrf_token.clone()).unwrap_or_default(),
        }
    }

    /// A signed-in agent's frame, in the agent's language.
    fn of(session: &Session) -> Chrome {
        Chrome::new(Lang::of_locale(&session.account.locale), Some(session))
    }
}

/// Renders a page.
fn html(status: StatusCode, page: impl Template) -> Page {
    let body = page.render().map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body))
}

#[derive(Template)]
#[template(path = "console/notice.html")]
struct NoticePage<'a> {
    c: Chrome,
    title: &'a str,
    message: &'a str,
    back: &'a str,
    back_label: &'a str,
}

/// A short page that says what happened, with the way back.
fn notice(status: StatusCode, c: Chrome, title: &str, message: &str, back: &str) -> Page {
    let back_label = c.t.back_to_queue;
    html(status, NoticePage { c, title, message, back, back_label })
}

/// Whether a command failed because the case moved on since the form was
/// drawn: someone acted first.
pub fn lost_race(e: &AppError) -> bool {
    matches!(
        e,
        AppError::StaleVersion { .. }
            | AppError::Conflict { .. }
            | AppError::Domain(
                DomainError::Resolved | DomainError::InvalidState(_) | DomainError::ProposalNotPending(_)
            )
    )
}

/// The answer to a form whose anti-forgery token is missing or wrong.
fn forged(session: &Session) -> Page {
    let c = Chrome::of(session);
    let (title, message) = (c.t.form_expired, c.t.form_expired);
    notice(StatusCode::FORBIDDEN, c, title, message, "/console")
}

/// The console's routes, for the server to mount.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .wrap(from_fn(security_headers))
            .route("", web::get().to(queue::queue))
            .route("/", web::get().to(queue::queue))
            .route("/login", web::get().to(login_page))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/next", web::post().to(queue::next))
            .route("/complaints/{id}", web::get().to(case::page))
            .route("/complaints/{id}/take", web::post().to(case::take))
            .route("/complaints/{id}/assign", web::post().to(case::assign))
            .route("/complaints/{id}/unassign", web::post().to(case::unassign))
            .route("/complaints/{id}/messages", web::post().to(case::message))
            .route("/complaints/{id}/evidence-requests", web::post().to(case::request_evidence))
            .route("/complaints/{id}/proposals", web::post().to(case::propose))
            .route("/complaints/{id}/decision", web::get().to(case::decision_form))
            .route("/complaints/{id}/decision", web::post().to(case::decide))
            .route("/complaints/{id}/decision/payouts", web::get().to(case::payouts))
            .route("/complaints/{id}/evidence/{eid}", web::get().to(case::evidence_file))
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
    c: Chrome,
    csrf: String,
    id: String,
    problem: Option<&'a str>,
}

/// The sign-in form, with a fresh anti-forgery token in a cookie and in the form.
fn login_form(req: &HttpRequest, status: StatusCode, id: String, problem: Option<fn(&Texts) -> &str>) -> Page {
    let csrf = crate::app::staff::random_token();
    let lang = Lang::of_accept_language(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let c = Chrome::new(lang, None);
    let problem = problem.map(|p| p(c.t));
    let page = LoginPage { c, csrf: csrf.clone(), id, problem };
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
        return login_form(&req, StatusCode::FORBIDDEN, form.id, Some(|t| t.form_expired));
    }
    if form.id.len() > 64 || form.password.len() > 1024 {
        return login_form(&req, StatusCode::OK, String::new(), Some(|t| t.wrong_password));
    }
    let address = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    match app.sign_in(form.id.clone(), form.password, address).await? {
        SignIn::Welcome(session) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/console"))
            .cookie(cookie(&req, SESSION_COOKIE, session.token, "/console"))
            .cookie(removal(&req, LOGIN_CSRF_COOKIE, "/console/login"))
            .finish()),
        // The form again, with what went wrong: a page, not an error of one.
        SignIn::Refused => login_form(&req, StatusCode::OK, form.id, Some(|t| t.wrong_password)),
        SignIn::TooSoon(wait) => {
            let secs = wait.num_seconds().max(1);
            let mut page = login_form(&req, StatusCode::TOO_MANY_REQUESTS, form.id, Some(|t| t.too_many))?;
            page.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            Ok(page)
        }
    }
}

#[derive(Deserialize)]
pub struct CsrfForm {
    csrf: String,
}

async fn logout(app: web::Data<App>, req: HttpRequest, form: web::Form<CsrfForm>) -> Page {
    let Some(session) = session_of(&app, &req).await? else {
        return Ok(see_other("/console/login"));
    };
    if !same_token(&session.csrf_token, &form.csrf) {
        return forged(&session);
    }
    app.sign_out(session.token).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/console/login"))
        .cookie(removal(&req, SESSION_COOKIE, "/console"))
        .finish())
}

async fn asset(name: web::Path<String>) -> HttpResponse {
    match assets().iter().find(|a| a.name == *name) {
        Some(a) => HttpResponse::Ok()
            .content_type(a.media_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .body(a.body),
        None => HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such file"),
    }
}
