//! The staff console as a browser meets it, over HTTP: signed in with an
//! account the service keeps, a session cookie and anti-forgery tokens; the
//! console takes no bearer token and the API no cookie.

use reqwest::header::{CONTENT_SECURITY_POLICY, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use resolution_center::app::staff::NewStaff;
use serde_json::json;

use crate::helpers::{idr, path, spawn_app, Backend, TestApp};

/// A browser without a cookie jar of its own: the test carries the cookies.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The `name=value` of a Set-Cookie header named `name`, and the whole header.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<(String, String)> {
    res.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|h| {
        let pair = h.split(';').next()?.trim();
        pair.starts_with(&format!("{name}=")).then(|| (pair.to_string(), h.to_string()))
    })
}

/// The value of the form's hidden `csrf` field.
fn csrf_field(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

async fn add_agent(app: &TestApp, id: &str) {
    let new = NewStaff { id: id.into(), name: "Dewi Lestari".into(), email: None, locale: "en".into(), time_zone: "Asia/Jakarta".into() };
    app.app.add_staff(new, "correct horse battery".into()).await.unwrap();
}

/// Signs in through the form; returns the session's `name=value` cookie.
async fn sign_in(app: &TestApp, b: &reqwest::Client, id: &str, password: &str) -> reqwest::Response {
    let form = b.get(format!("{}/console/login", app.base)).send().await.unwrap();
    let (login_cookie, _) = set_cookie(&form, "rc_console_login").expect("the form's anti-forgery cookie");
    let csrf = csrf_field(&form.text().await.unwrap());
    b.post(format!("{}/console/login", app.base))
        .header("cookie", login_cookie)
        .form(&[("csrf", csrf.as_str()), ("id", id), ("password", password)])
        .send()
        .await
        .unwrap()
}

async fn an_agent_signs_in_sees_the_queue_and_signs_out(backend: Backend) {
    let app = spawn_app(backend).await;
    add_agent(&app, "dewi").await;
    app.order("ord-1", 150_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    app.post(&path(&c, "/proposals"), "seller-1", json!({"kind": "partial_refund", "refund_amount": idr(30_000)}))
        .await
        .ok();
    app.post(&path(&c, "/escalate"), "buyer-1", json!({"reason": "30k is not enough"})).await.ok();
    let b = browser();

    let away = b.get(format!("{}/console", app.base)).send().await.unwrap();
    assert_eq!(away.status(), StatusCode::SEE_OTHER);
    assert_eq!(away.headers()[LOCATION], "/console/login", "no session: the sign-in form");

    let form = b.get(format!("{}/console/login", app.base)).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert_eq!(
        form.headers()[CONTENT_SECURITY_POLICY],
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; \
         form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    assert_eq!(form.headers()["x-frame-options"], "DENY");
    let (login_cookie, header) = set_cookie(&form, "rc_console_login").unwrap();
    assert!(header.contains("HttpOnly") && header.contains("SameSite=Strict"), "{header}");
    let csrf = csrf_field(&form.text().await.unwrap());

    // A forged form (no token, or another one) is refused, whatever it carries.
    let forged = b
        .post(format!("{}/console/login", app.base))
        .header("cookie", &login_cookie)
        .form(&[("csrf", "forged"), ("id", "dewi"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&forged, "rc_console").is_none(), "no session for a forged form");
    let no_cookie = b
        .post(format!("{}/console/login", app.base))
        .form(&[("csrf", csrf.as_str()), ("id", "dewi"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(no_cookie.status(), StatusCode::FORBIDDEN);

    let wrong = sign_in(&app, &b, "dewi", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::OK, "the form again");
    assert!(set_cookie(&wrong, "rc_console").is_none());
    assert!(wrong.text().await.unwrap().contains("Wrong staff id or password."));

    let welcome = sign_in(&app, &b, "dewi", "correct horse battery").await;
    assert_eq!(welcome.status(), StatusCode::SEE_OTHER);
    assert_eq!(welcome.headers()[LOCATION], "/console");
    let (session, header) = set_cookie(&welcome, "rc_console").expect("a session cookie");
    assert!(header.contains("HttpOnly") && header.contains("SameSite=Strict") && header.contains("Path=/console"));
    assert!(!header.contains("Secure"), "plain loopback: no Secure flag, or the browser would drop it");

    let queue = b.get(format!("{}/console", app.base)).header("cookie", &session).send().await.unwrap();
    assert_eq!(queue.status(), StatusCode::OK);
    assert_eq!(queue.headers()["cache-control"], "no-store");
    let html = queue.text().await.unwrap();
    assert!(html.contains(c["id"].as_str().unwrap()), "the complaint under review is listed");
    assert!(html.contains("IDR 1500.00"), "amounts in the currency's major unit: {html}");
    assert!(html.contains("unassigned"));
    assert!(html.contains("Dewi Lestari (dewi)"));

    // The console takes no bearer token, and the API no console cookie.
    let staff_token = app.token("staff-1", &["staff"]);
    let with_token = b
        .get(format!("{}/console", app.base))
        .bearer_auth(&staff_token)
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), StatusCode::SEE_OTHER, "a bearer token is no way in");
    let api = b.get(format!("{}/v1/arbitration/queue", app.base)).header("cookie", &session).send().await.unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED, "the API ignores the cookie");

    // Take: the case moves from Unassigned to Mine, through the assign command.
    let csrf = csrf_field(&html);
    assert!(html.contains(r#"aria-current="page">Unassigned <span class="count">1</span>"#), "{html}");
    let cid = c["id"].as_str().unwrap();
    let take = |token: &str| {
        b.post(format!("{}/console/complaints/{cid}/take", app.base))
            .header("cookie", &session)
            .form(&[("csrf", token), ("view", "unassigned")])
            .send()
    };
    assert_eq!(take("forged").await.unwrap().status(), StatusCode::FORBIDDEN, "a forged take changes nothing");
    assert_eq!(app.get(&format!("/v1/complaints/{cid}"), "staff-1").await.ok()["assignee_id"], serde_json::Value::Null);
    let taken = take(&csrf).await.unwrap();
    assert_eq!(taken.status(), StatusCode::SEE_OTHER);
    assert_eq!(taken.headers()[LOCATION], "/console?view=mine");
    assert_eq!(app.get(&format!("/v1/complaints/{cid}"), "staff-1").await.ok()["assignee_id"], "dewi");
    let mine = b.get(format!("{}/console?view=mine", app.base)).header("cookie", &session).send().await.unwrap();
    let mine = mine.text().await.unwrap();
    assert!(mine.contains(cid) && mine.contains(r#"aria-current="page">Mine <span class="count">1</span>"#), "{mine}");
    assert!(mine.contains(r#"Unassigned <span class="count">0</span>"#));
    assert!(!mine.contains(&format!("Take {cid}")), "no Take for a case already mine");
    let unassigned = b.get(format!("{}/console", app.base)).header("cookie", &session).send().await.unwrap();
    assert!(unassigned.text().await.unwrap().contains("No complaint in this view."));

    // Search by any of its ids finds the case, whatever the view; a stranger's id finds nothing.
    for q in [cid, "ord-1", "buyer-1", "seller-1"] {
        let found = b.get(format!("{}/console", app.base)).query(&[("q", q)]).header("cookie", &session).send().await;
        let found = found.unwrap().text().await.unwrap();
        assert!(found.contains(&format!("Search: {q}")) && found.contains(&format!("<td>{cid}</td>")), "{q}: {found}");
    }
    let none = b.get(format!("{}/console?q=ord-404", app.base)).header("cookie", &session).send().await.unwrap();
    let none = none.text().await.unwrap();
    assert!(none.contains("No complaint in this view.") && !none.contains(&format!("<td>{cid}</td>")));

    let forged_out = b
        .post(format!("{}/console/logout", app.base))
        .header("cookie", &session)
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged_out.status(), StatusCode::FORBIDDEN);
    let out = b
        .post(format!("{}/console/logout", app.base))
        .header("cookie", &session)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = b.get(format!("{}/console", app.base)).header("cookie", &session).send().await.unwrap();
    assert_eq!(after.headers()[LOCATION], "/console/login", "the session ended on the server");
}

async fn disabling_an_agent_ends_their_session(backend: Backend) {
    let app = spawn_app(backend).await;
    add_agent(&app, "dewi").await;
    let b = browser();
    let welcome = sign_in(&app, &b, "dewi", "correct horse battery").await;
    let (session, _) = set_cookie(&welcome, "rc_console").unwrap();
    let queue = b.get(format!("{}/console", app.base)).header("cookie", &session).send().await.unwrap();
    assert_eq!(queue.status(), StatusCode::OK);
    app.app.disable_staff("dewi".into()).await.unwrap();
    let after = b.get(format!("{}/console", app.base)).header("cookie", &session).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(after.headers()[LOCATION], "/console/login");
    let again = sign_in(&app, &b, "dewi", "correct horse battery").await;
    assert!(set_cookie(&again, "rc_console").is_none(), "a disabled account signs in no more");
    assert!(again.text().await.unwrap().contains("Wrong staff id or password."));
}

crate::on_both_backends!(an_agent_signs_in_sees_the_queue_and_signs_out, disabling_an_agent_ends_their_session);
