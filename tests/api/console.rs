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
    add_agent_speaking(app, id, "en").await;
}

async fn add_agent_speaking(app: &TestApp, id: &str, locale: &str) {
    let new = NewStaff {
        id: id.into(),
        name: "Dewi Lestari".into(),
        email: None,
        locale: locale.into(),
        time_zone: "Asia/Jakarta".into(),
    };
    app.app.add_staff(new, "correct horse battery".into()).await.unwrap();
}

/// Signs in and returns the session's `name=value` cookie.
async fn session_of(app: &TestApp, b: &reqwest::Client, id: &str) -> String {
    let welcome = sign_in(app, b, id, "correct horse battery").await;
    set_cookie(&welcome, "rc_console").expect("a session cookie").0
}

/// A signed-in agent's browser.
struct Agent {
    b: reqwest::Client,
    base: String,
    session: String,
}

impl Agent {
    async fn signed_in(app: &TestApp, id: &str) -> Agent {
        let b = browser();
        let session = session_of(app, &b, id).await;
        Agent { b, base: app.base.clone(), session }
    }

    fn get(&self, url: String) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> {
        self.b.get(format!("{}{url}", self.base)).header("cookie", &self.session).send()
    }

    fn post(
        &self,
        url: String,
        form: Vec<(&str, String)>,
    ) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> {
        self.b.post(format!("{}{url}", self.base)).header("cookie", &self.session).form(&form).send()
    }
}

/// The value of the hidden field `name` in the form whose action is `action`.
fn field_of(html: &str, action: &str, name: &str) -> String {
    let form = &html[html.find(&format!("action=\"{action}\"")).unwrap_or_else(|| panic!("a form {action}: {html}"))..];
    let needle = format!("name=\"{name}\" value=\"");
    let at = form.find(&needle).unwrap_or_else(|| panic!("{name} in {action}")) + needle.len();
    form[at..].split('"').next().unwrap().to_string()
}

/// An escalated case: the buyer asks a full refund of 150 000, the seller
/// offers 30 000, both upload a file.
async fn escalated_case(app: &TestApp) -> serde_json::Value {
    app.order("ord-1", 15_000_000).await;
    let c = app.open("ord-1", json!({"kind": "full_refund"})).await;
    crate::evidence::upload(app, &c, "buyer-1", "photo", crate::helpers::png(), "image/png", "crack.png").await.ok();
    crate::evidence::upload(app, &c, "seller-1", "receipt", crate::helpers::pdf(), "application/pdf", "resi.pdf")
        .await
        .ok();
    app.post(&path(&c, "/proposals"), "seller-1", json!({"kind": "partial_refund", "refund_amount": idr(3_000_000)}))
        .await
        .ok();
    app.post(&path(&c, "/escalate"), "buyer-1", json!({"reason": "30k is not enough"})).await.ok();
    c
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
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; \
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
    assert!(html.contains("IDR 1,500.00"), "amounts for people, in the currency's major unit: {html}");
    assert!(html.contains("<td>Unassigned</td>"));
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
        assert!(
            found.contains(&format!("Search: {q}")) && found.contains(&format!("data-open>{cid}</a>")),
            "{q}: {found}"
        );
    }
    let none = b.get(format!("{}/console?q=ord-404", app.base)).header("cookie", &session).send().await.unwrap();
    let none = none.text().await.unwrap();
    assert!(none.contains("No complaint in this view.") && !none.contains(&format!("data-open>{cid}</a>")));

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

async fn an_agent_reads_the_case_notes_it_and_decides_a_split_once(backend: Backend) {
    let app = spawn_app(backend).await;
    add_agent(&app, "dewi").await;
    let c = escalated_case(&app).await;
    let cid = c["id"].as_str().unwrap();
    let agent = Agent::signed_in(&app, "dewi").await;
    let (get, post) = (|url: String| agent.get(url), |url: String, form: Vec<(&str, String)>| agent.post(url, form));

    // The case page: the facts, both offers side by side, the evidence by party.
    let page = get(format!("/console/complaints/{cid}")).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    for seen in [
        "IDR 150,000.00",
        "Under review",
        "ord-1",
        "Full refund",
        "Partial refund: IDR 30,000.00",
        "crack.png",
        "resi.pdf",
        "WIB",
        "Nothing automatic: the decision target",
        "No violation.",
    ] {
        assert!(html.contains(seen), "the case page shows {seen}: {html}");
    }
    let files = app.get(&format!("/v1/complaints/{cid}/evidence"), "staff-1").await.ok().clone();
    let photo = files["data"].as_array().unwrap().iter().find(|e| e["kind"] == "photo").unwrap().clone();
    assert!(html.contains(photo["sha256"].as_str().unwrap()), "each file with its SHA-256");
    let src = format!("/console/complaints/{cid}/evidence/{}", photo["id"].as_str().unwrap());
    assert!(html.contains(&format!("<img src=\"{src}\"")), "pictures inline");
    let image = get(src.clone()).await.unwrap();
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(image.headers()["content-type"], "image/png");
    assert!(image.headers()["content-disposition"].to_str().unwrap().starts_with("inline"));
    assert_eq!(image.headers()["cache-control"], "no-store");
    assert_eq!(image.bytes().await.unwrap().as_ref(), crate::helpers::png().as_slice());
    let stranger = browser().get(format!("{}{src}", app.base)).send().await.unwrap();
    assert_eq!(stranger.status(), StatusCode::NOT_FOUND, "no session, no file");

    // A video plays in the page; other files are links to download.
    crate::evidence::upload(&app, &c, "buyer-1", "video", crate::helpers::mp4(0), "video/mp4", "unboxing.mp4")
        .await
        .ok();
    let files = app.get(&format!("/v1/complaints/{cid}/evidence"), "staff-1").await.ok().clone();
    let id_of = |kind: &str| {
        files["data"].as_array().unwrap().iter().find(|e| e["kind"] == kind).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let html = get(format!("/console/complaints/{cid}")).await.unwrap().text().await.unwrap();
    assert!(html.contains(&format!("<video src=\"/console/complaints/{cid}/evidence/{}\" controls", id_of("video"))));
    let pdf = format!("/console/complaints/{cid}/evidence/{}?download=1", id_of("receipt"));
    assert!(html.contains(&format!("<a href=\"{pdf}\" class=\"file\">resi.pdf</a>")), "{html}");
    let download = get(pdf).await.unwrap();
    assert!(download.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));

    // An internal note: on the timeline marked internal, never shown to a party.
    let csrf = csrf_field(&html);
    let note_action = format!("/console/complaints/{cid}/messages");
    let key = field_of(&html, &note_action, "key");
    let note = |csrf: &str| {
        post(
            note_action.clone(),
            vec![
                ("csrf", csrf.to_string()),
                ("key", key.clone()),
                ("body", "Packaging photo looks genuine".into()),
                ("visibility", "staff".into()),
            ],
        )
    };
    assert_eq!(note("forged").await.unwrap().status(), StatusCode::FORBIDDEN, "no token, no note");
    let posted = note(&csrf).await.unwrap();
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    assert_eq!(posted.headers()[LOCATION], format!("/console/complaints/{cid}?done=posted"));
    assert_eq!(note(&csrf).await.unwrap().status(), StatusCode::SEE_OTHER, "the same form again");
    let staff_view = app.timeline_entries(cid, "message").await;
    assert_eq!(staff_view.len(), 1, "a double submit posts once");
    let buyer_view = app.get(&format!("/v1/complaints/{cid}/timeline"), "buyer-1").await.ok().clone();
    assert!(!buyer_view.to_string().contains("Packaging photo looks genuine"), "a note never reaches a party");
    let html = get(format!("/console/complaints/{cid}?done=posted")).await.unwrap().text().await.unwrap();
    assert!(html.contains("Posted."));
    let entry = &html[html.find("Packaging photo looks genuine").unwrap().saturating_sub(400)..];
    assert!(entry.contains("entry internal") && entry.contains(">Internal</span>"), "marked internal: {entry}");

    // The decision: review shows both payouts, confirm decides.
    let form = get(format!("/console/complaints/{cid}/decision")).await.unwrap().text().await.unwrap();
    let action = format!("/console/complaints/{cid}/decision");
    let (version, key) = (field_of(&form, &action, "version"), field_of(&form, &action, "key"));
    let decision = |step: &str, version: &str, csrf: &str| {
        post(
            action.clone(),
            vec![
                ("csrf", csrf.to_string()),
                ("version", version.to_string()),
                ("key", key.clone()),
                ("step", step.to_string()),
                ("outcome", "split".into()),
                ("refund", "90,000".into()),
                ("seller_at_fault", "on".into()),
                ("reason_code", "item_damaged".into()),
                ("evidence_ids", photo["id"].as_str().unwrap().to_string()),
                ("rationale", "The photo shows the crack; the seller pays most of it.".into()),
            ],
        )
    };
    let payouts = get(format!("{action}/payouts?outcome=split&refund=90%2C000")).await.unwrap().text().await.unwrap();
    assert!(payouts.contains("IDR 90,000.00") && payouts.contains("IDR 60,000.00"), "as the agent types: {payouts}");
    let review = decision("review", &version, &csrf).await.unwrap();
    assert_eq!(review.status(), StatusCode::OK);
    let review = review.text().await.unwrap();
    assert!(
        review.contains("Confirm the decision") && review.contains("IDR 90,000.00") && review.contains("IDR 60,000.00")
    );
    assert_eq!(app.get(&format!("/v1/complaints/{cid}"), "staff-1").await.ok()["status"], "under_review");
    assert_eq!(decision("confirm", &version, "forged").await.unwrap().status(), StatusCode::FORBIDDEN);

    // Someone acts first (a message from the buyer moves the version): the form is stale.
    app.post(&path(&c, "/messages"), "buyer-1", json!({"body": "Please decide soon"})).await.ok();
    let stale = decision("confirm", &version, &csrf).await.unwrap();
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    let stale = stale.text().await.unwrap();
    assert!(stale.contains("Someone acted on this case first") && stale.contains("Please decide soon"), "{stale}");
    assert_eq!(app.get(&format!("/v1/complaints/{cid}"), "staff-1").await.ok()["status"], "under_review");

    let form = get(format!("/console/complaints/{cid}/decision")).await.unwrap().text().await.unwrap();
    let version = field_of(&form, &action, "version");
    let decided = decision("confirm", &version, &csrf).await.unwrap();
    assert_eq!(decided.status(), StatusCode::SEE_OTHER);
    assert_eq!(decided.headers()[LOCATION], format!("/console/complaints/{cid}?done=decided"));
    let again = decision("confirm", &version, &csrf).await.unwrap();
    assert_eq!(again.status(), StatusCode::SEE_OTHER, "a double submit lands on the decided case");
    let after = app.get(&format!("/v1/complaints/{cid}"), "staff-1").await.ok().clone();
    assert_eq!(after["status"], "resolved");
    assert_eq!(after["resolution"]["refund_to_buyer"]["amount"], 9_000_000);
    assert_eq!(after["resolution"]["release_to_seller"]["amount"], 6_000_000);
    assert_eq!(app.timeline_entries(cid, "decided").await.len(), 1, "decided once");
    let standing = app.get("/v1/sellers/seller-1/standing", "staff-1").await.ok().clone();
    assert_eq!(standing["violations"], 1, "seller at fault, through the same use case");
    let html = get(format!("/console/complaints/{cid}?done=decided")).await.unwrap().text().await.unwrap();
    assert!(html.contains("Decided.") && html.contains("Resolved") && !html.contains("data-decide"), "{html}");
}

async fn an_indonesian_agent_reads_rupiah_and_jakarta_time(backend: Backend) {
    let app = spawn_app(backend).await;
    add_agent_speaking(&app, "dewi", "id").await;
    let c = escalated_case(&app).await;
    let cid = c["id"].as_str().unwrap();
    let b = browser();
    let session = session_of(&app, &b, "dewi").await;
    let html = b.get(format!("{}/console", app.base)).header("cookie", &session).send().await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains("<html lang=\"id\">") && html.contains("Belum ditugaskan"), "{html}");
    assert!(html.contains("Rp 150.000") && html.contains("Pengembalian dana sebagian: Rp 30.000"), "{html}");
    let page = b.get(format!("{}/console/complaints/{cid}", app.base)).header("cookie", &session).send().await;
    let page = page.unwrap().text().await.unwrap();
    assert!(page.contains("WIB") && page.contains("Ditinjau") && page.contains("Pembeli"), "{page}");
    // Before sign-in, the browser's language.
    let login = b.get(format!("{}/console/login", app.base)).header("accept-language", "id-ID,id;q=0.9").send();
    assert!(login.await.unwrap().text().await.unwrap().contains("Masuk ke layanan pelanggan"));
}

async fn every_other_action_runs_the_api_use_case(backend: Backend) {
    let app = spawn_app(backend).await;
    add_agent(&app, "dewi").await;
    add_agent(&app, "budi").await;
    let c = escalated_case(&app).await;
    let cid = c["id"].as_str().unwrap();
    let agent = Agent::signed_in(&app, "dewi").await;
    let (get, post) = (|url: String| agent.get(url), |url: String, form: Vec<(&str, String)>| agent.post(url, form));
    let html = get(format!("/console/complaints/{cid}")).await.unwrap().text().await.unwrap();
    let csrf = csrf_field(&html);
    let base = format!("/console/complaints/{cid}");

    // Assign to another agent, from the case page.
    let version = field_of(&html, &format!("{base}/assign"), "version");
    let assigned = post(
        format!("{base}/assign"),
        vec![("csrf", csrf.clone()), ("version", version.clone()), ("assignee_id", "budi".into())],
    )
    .await
    .unwrap();
    assert_eq!(assigned.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get(&format!("/v1/complaints/{cid}"), "staff-1").await.ok()["assignee_id"], "budi");
    // A Take from the page drawn before that is stale: refused, the new state shown.
    let stale = post(format!("{base}/take"), vec![("csrf", csrf.clone()), ("version", version)]).await.unwrap();
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    assert!(stale.text().await.unwrap().contains("<dd>budi</dd>"), "the assignee as it is now");
    assert_eq!(app.get(&format!("/v1/complaints/{cid}"), "staff-1").await.ok()["assignee_id"], "budi");

    // Unassign: nobody has the case, and Unassign is no longer offered.
    let html = get(base.clone()).await.unwrap().text().await.unwrap();
    let version = field_of(&html, &format!("{base}/unassign"), "version");
    let unassigned =
        post(format!("{base}/unassign"), vec![("csrf", csrf.clone()), ("version", version)]).await.unwrap();
    assert_eq!(unassigned.headers()[LOCATION], format!("{base}?done=unassigned"));
    let after = app.get(&format!("/v1/complaints/{cid}"), "staff-1").await.ok().clone();
    assert_eq!(after["assignee_id"], serde_json::Value::Null);
    assert!(!after["allowed_actions"].as_array().unwrap().contains(&json!("unassign")));
    let html = get(format!("{base}?done=unassigned")).await.unwrap().text().await.unwrap();
    assert!(html.contains("Nobody has the case now.") && !html.contains(&format!("action=\"{base}/unassign\"")));

    // An evidence request, its due time read in the agent's zone (WIB, UTC+7).
    let html = get(base.clone()).await.unwrap().text().await.unwrap();
    let key = field_of(&html, &format!("{base}/evidence-requests"), "key");
    let due = (chrono::Utc::now() + chrono::Duration::days(2)).with_timezone(&chrono_tz::Asia::Jakarta);
    let due_local = due.format("%Y-%m-%dT%H:%M").to_string();
    let requested = post(
        format!("{base}/evidence-requests"),
        vec![
            ("csrf", csrf.clone()),
            ("key", key),
            ("party", "seller".into()),
            ("kinds", "shipping_label".into()),
            ("kinds", "receipt".into()),
            ("due_at", due_local),
            ("note", "The courier's receipt, please".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(requested.status(), StatusCode::SEE_OTHER);
    let after = app.get(&format!("/v1/complaints/{cid}"), "seller-1").await.ok().clone();
    let request = &after["evidence_requests"][0];
    assert_eq!(request["party"], "seller");
    assert_eq!(request["kinds"], json!(["shipping_label", "receipt"]));
    let due_at: chrono::DateTime<chrono::Utc> = request["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(due_at.timestamp() / 60, due.timestamp() / 60, "14:00 WIB is 07:00 UTC");

    // A mediation proposal typed in the currency's units.
    let html = get(base.clone()).await.unwrap().text().await.unwrap();
    assert!(html.contains("Seller") && html.contains("Receipt"), "waits on the seller's evidence: {html}");
    let form = |refund: &str| {
        vec![
            ("csrf", csrf.clone()),
            ("version", field_of(&html, &format!("{base}/proposals"), "version")),
            ("key", field_of(&html, &format!("{base}/proposals"), "key")),
            ("kind", "partial_refund".into()),
            ("refund", refund.to_string()),
            ("note", "Meet in the middle".into()),
        ]
    };
    let bad = post(format!("{base}/proposals"), form("lots")).await.unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("refund: Type the amount in the currency"), "what is wrong, said");
    let proposed = post(format!("{base}/proposals"), form("75,000.50")).await.unwrap();
    assert_eq!(proposed.status(), StatusCode::SEE_OTHER);
    let after = app.get(&format!("/v1/complaints/{cid}"), "buyer-1").await.ok().clone();
    let pending = after["pending_proposal"].clone();
    assert_eq!((pending["author_role"].as_str(), pending["status"].as_str()), (Some("staff"), Some("pending")));
    assert_eq!(pending["refund_amount"]["amount"], 7_500_050);

    // An agent who is a party of a complaint does not arbitrate it.
    app.order_between("ord-2", "dewi", "seller-1", 100_000).await;
    let body = json!({"order_id": "ord-2", "reason": "other", "description": "Cracked.", "requested_solution": {"kind": "full_refund"}});
    let own = app.post("/v1/complaints", "dewi", body).await.body.clone();
    let own_id = own["id"].as_str().unwrap();
    let refused = get(format!("/console/complaints/{own_id}")).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("You are a party of this complaint"));
    let own_file = crate::evidence::upload(&app, &own, "dewi", "photo", crate::helpers::png(), "image/png", "mine.png");
    let own_file = own_file.await.ok()["evidence"]["id"].as_str().unwrap().to_string();
    let file = get(format!("/console/complaints/{own_id}/evidence/{own_file}")).await.unwrap();
    assert_eq!(file.status(), StatusCode::NOT_FOUND, "nor reads its evidence as an arbiter");
    let nobody = get("/console/complaints/cmp_nope".into()).await.unwrap();
    assert_eq!(nobody.status(), StatusCode::NOT_FOUND);

    // Payment problems: a settlement the payment system failed.
    let decided = app
        .post(
            &path(&c, "/decision"),
            "staff-1",
            json!({"outcome": "refund", "seller_at_fault": false, "reason_code": "item_damaged", "rationale": "Cracked on arrival."}),
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{}", decided.body);
    app.post(&path(&c, "/settlement"), "market", json!({"state": "failed", "reason": "card expired"})).await.ok();
    let payments = get("/console?view=payments".into()).await.unwrap().text().await.unwrap();
    assert!(payments.contains(r#"aria-current="page">Payment problems <span class="count">1</span>"#), "{payments}");
    assert!(payments.contains("Payment failed: card expired") && payments.contains("IDR 150,000.00"), "{payments}");

    // Next case with nothing unassigned says so: the agent's own case under review is not one to take.
    app.post(&format!("/v1/complaints/{own_id}/escalate"), "seller-1", json!({"reason": "no"})).await.ok();
    let next = post("/console/next".into(), vec![("csrf", csrf.clone())]).await.unwrap();
    assert_eq!(next.headers()[LOCATION], "/console?view=unassigned&notice=no-next");
    app.order("ord-3", 100_000).await;
    let later = app.open("ord-3", json!({"kind": "full_refund"})).await;
    app.post(&path(&later, "/escalate"), "seller-1", json!({"reason": "the buyer broke it"})).await.ok();
    let next = post("/console/next".into(), vec![("csrf", csrf.clone())]).await.unwrap();
    assert_eq!(next.headers()[LOCATION], format!("/console/complaints/{}?done=taken", later["id"].as_str().unwrap()));
    assert_eq!(app.get(&path(&later, ""), "staff-1").await.ok()["assignee_id"], "dewi");
}

async fn the_queue_comes_in_pages_nearest_target_first(backend: Backend) {
    let app = spawn_app(backend).await;
    add_agent(&app, "dewi").await;
    let mut ids = Vec::new();
    for i in 0..52 {
        app.order(&format!("ord-{i}"), 100_000).await;
        let c = app.open(&format!("ord-{i}"), json!({"kind": "full_refund"})).await;
        app.post(&path(&c, "/escalate"), "seller-1", json!({"reason": "no"})).await.ok();
        ids.push(c["id"].as_str().unwrap().to_string());
    }
    let b = browser();
    let session = session_of(&app, &b, "dewi").await;
    let rows = |html: &str| -> Vec<String> {
        html.split("data-open>").skip(1).map(|r| r.split('<').next().unwrap().to_string()).collect()
    };
    let first = b.get(format!("{}/console?view=all", app.base)).header("cookie", &session).send().await.unwrap();
    let first = first.text().await.unwrap();
    assert!(first.contains(r#"All <span class="count">52</span>"#));
    assert_eq!(rows(&first), ids[..50], "the first 50, the nearest decision target first");
    let at = first.find("Next page").expect("a next page");
    let link = first[..at]
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    let second = b.get(format!("{}{link}", app.base)).header("cookie", &session).send().await.unwrap();
    let second = second.text().await.unwrap();
    assert_eq!(rows(&second), ids[50..], "then the rest");
    assert!(!second.contains("Next page"));
    let junk = b.get(format!("{}/console?view=all&cursor=%%%", app.base)).header("cookie", &session).send().await;
    assert_eq!(rows(&junk.unwrap().text().await.unwrap()), ids[..50], "a cursor that does not read is the first page");
}

/// A seller's request for arbitration over one milestone: the case page says
/// which hold it concerns, who opened it and the hold's own escrow state.
async fn an_agent_sees_the_hold_a_sellers_request_concerns(backend: Backend) {
    let app = spawn_app(backend).await;
    add_agent(&app, "dewi").await;
    let job = json!({"buyer_id": "buyer-1", "seller_id": "seller-1", "amount": idr(3_000_000), "status": "paid"});
    app.call(reqwest::Method::PUT, "/v1/orders/job-1", "market", Some(job), &[]).await.ok();
    let hold = json!({"amount": idr(1_000_000), "status": "delivered", "description": "Logo design"});
    app.call(reqwest::Method::PUT, "/v1/orders/job-1/holds/m1", "market", Some(hold), &[]).await.ok();
    let body = json!({"order_id": "job-1", "hold_id": "m1", "reason": "not_released", "description": "Delivered on time.",
                      "requested_solution": {"kind": "release"}});
    let c = app.post("/v1/complaints", "seller-1", body).await.ok().clone();
    let agent = Agent::signed_in(&app, "dewi").await;
    let html =
        agent.get(format!("/console/complaints/{}", c["id"].as_str().unwrap())).await.unwrap().text().await.unwrap();
    for seen in
        ["Escrow hold", "m1 (Logo design)", "Opened by", "Hold not released", "IDR 10,000.00", "Delivered, held"]
    {
        assert!(html.contains(seen), "{seen} is not on the page:\n{html}");
    }
    assert!(!html.contains("Paid, held"), "the hold's escrow state, not the order's");
}

crate::on_both_backends!(
    an_agent_sees_the_hold_a_sellers_request_concerns,
    the_queue_comes_in_pages_nearest_target_first,
    every_other_action_runs_the_api_use_case,
    an_agent_signs_in_sees_the_queue_and_signs_out,
    disabling_an_agent_ends_their_session,
    an_agent_reads_the_case_notes_it_and_decides_a_split_once,
    an_indonesian_agent_reads_rupiah_and_jakarta_time
);
