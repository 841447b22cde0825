//! Who may call what: every endpoint of the spec, called by each kind of
//! caller, against the status the table below expects.

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::png;
use crate::helpers::{self, spawn_app_with, Backend, Options, Store, TestApp};

/// The callers, in the order of the table's columns.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    /// The complaint's buyer.
    Buyer,
    /// The complaint's seller.
    Seller,
    /// A signed-in user with no part in it.
    Stranger,
    Staff,
    /// The marketplace backend.
    Service,
    NoToken,
    /// Signed with the service's key, expired two hours ago.
    Expired,
    /// Well-formed and current, signed with another key.
    WrongSignature,
}

const CALLERS: [Caller; 8] = [
    Caller::Buyer,
    Caller::Seller,
    Caller::Stranger,
    Caller::Staff,
    Caller::Service,
    Caller::NoToken,
    Caller::Expired,
    Caller::WrongSignature,
];

/// Every endpoint × caller → status. Whoever is not party to a complaint
/// (the service too) gets 404 for it, never 403; a party or staff without
/// the right to an action gets 403; an action the caller may take, but not
/// in the complaint's state, is a 409 (the buyer's proposal is the seller's
/// to accept; staff counter only once it is under review). Each call
/// starts from a fresh complaint in the state the endpoint needs (see
/// `Fixture`).
#[rustfmt::skip]
const MATRIX: &[(&str, &str, [u16; 8])] = &[
    //                                                    buyer seller strngr staff  service none   expired wrongsig
    ("GET",  "/healthz",                                  [200,  200,   200,   200,   200,    200,   200,   200]),
    ("GET",  "/readyz",                                   [200,  200,   200,   200,   200,    200,   200,   200]),
    ("GET",  "/metrics",                                  [200,  200,   200,   200,   200,    200,   200,   200]),
    ("GET",  "/openapi.yaml",                             [200,  200,   200,   200,   200,    200,   200,   200]),
    ("PUT",  "/v1/orders/{order_id}",                     [403,  403,   403,   403,   200,    401,   401,   401]),
    ("GET",  "/v1/orders/{order_id}",                     [200,  200,   404,   200,   200,    401,   401,   401]),
    ("PUT",  "/v1/orders/{order_id}/holds/{hold_id}",     [403,  403,   403,   403,   201,    401,   401,   401]),
    // A seller may open a complaint too (`not_released`), so the buyer's reason in the body is a 422.
    ("POST", "/v1/complaints",                            [201,  422,   404,   403,   404,    401,   401,   401]),
    ("GET",  "/v1/complaints",                            [200,  200,   200,   200,   403,    401,   401,   401]),
    ("GET",  "/v1/complaints/{id}",                       [200,  200,   404,   200,   404,    401,   401,   401]),
    ("GET",  "/v1/complaints/{id}/timeline",              [200,  200,   404,   200,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/messages",              [200,  200,   404,   200,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/proposals",             [200,  200,   404,   409,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/proposals/{pid}/accept",[409,  200,   404,   403,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/proposals/{pid}/reject",[409,  200,   404,   403,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/fulfilment",            [200,  403,   404,   403,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/escalate",              [409,  200,   404,   200,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/withdraw",              [200,  403,   404,   403,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/evidence",              [201,  201,   404,   201,   404,    401,   401,   401]),
    ("GET",  "/v1/complaints/{id}/evidence",              [200,  200,   404,   200,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/evidence/uploads",      [201,  201,   404,   201,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/evidence/{eid}/complete",[200, 403,   404,   403,   404,    401,   401,   401]),
    ("GET",  "/v1/complaints/{id}/evidence/{eid}/content",[307,  307,   404,   307,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/evidence-requests",     [403,  403,   404,   200,   404,    401,   401,   401]),
    ("GET",  "/v1/arbitration/queue",                     [403,  403,   403,   200,   403,    401,   401,   401]),
    ("GET",  "/v1/decision-reason-codes",                 [200,  200,   200,   200,   200,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/assign",                [403,  403,   404,   200,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/unassign",              [403,  403,   404,   200,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/decision",              [403,  403,   404,   200,   404,    401,   401,   401]),
    ("POST", "/v1/complaints/{id}/settlement",            [403,  403,   403,   403,   200,    401,   401,   401]),
    ("GET",  "/v1/complaints/{id}/settlement",            [403,  403,   403,   200,   200,    401,   401,   401]),
    ("GET",  "/v1/arbitration/payment-problems",          [403,  403,   403,   200,   403,    401,   401,   401]),
    ("GET",  "/v1/sellers/{seller_id}/standing",          [403,  200,   403,   200,   200,    401,   401,   401]),
    ("POST", "/v1/sellers/{seller_id}/listing-notices",   [403,  403,   403,   201,   201,    401,   401,   401]),
    ("GET",  "/v1/sellers/{seller_id}/listing-notices",   [403,  200,   403,   200,   200,    401,   401,   401]),
    ("GET",  "/v1/listing-notices/{id}",                  [404,  200,   404,   200,   200,    401,   401,   401]),
    ("POST", "/v1/listing-notices/{id}/explanation",      [404,  200,   404,   403,   403,    401,   401,   401]),
    ("POST", "/v1/listing-notices/{id}/confirm",          [404,  403,   404,   200,   403,    401,   401,   401]),
    ("POST", "/v1/listing-notices/{id}/dismiss",          [404,  403,   404,   200,   403,    401,   401,   401]),
    ("GET",  "/v1/events",                                [403,  403,   403,   403,   200,    401,   401,   401]),
];

async fn every_endpoint_answers_each_caller_as_the_table_says(backend: Backend) {
    let spec: Vec<(String, String)> = resolution_center::http::openapi::document()
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            let methods = [("GET", item.get.is_some()), ("PUT", item.put.is_some()), ("POST", item.post.is_some())];
            let others = [&item.delete, &item.patch, &item.head, &item.options, &item.trace];
            assert!(others.iter().all(|o| o.is_none()), "{path}: a method the table has no column for");
            methods.into_iter().filter(|(_, has)| *has).map(|(m, _)| (m.to_string(), path.clone())).collect::<Vec<_>>()
        })
        .collect();
    let mut table: Vec<(String, String)> = MATRIX.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    let (mut spec_sorted, mut table_sorted) = (spec.clone(), table.clone());
    spec_sorted.sort();
    table_sorted.sort();
    table.dedup();
    assert_eq!(table.len(), MATRIX.len(), "an endpoint is in the table twice");
    assert_eq!(table_sorted, spec_sorted, "the table lists exactly the endpoints of the spec");

    let app = spawn_app_with(backend, Options { store: Store::Moto, ..Options::default() }).await;
    let mut wrong = Vec::new();
    let mut n = 0;
    for (method, path, expected) in MATRIX {
        for (caller, want) in CALLERS.into_iter().zip(expected) {
            n += 1;
            let fixture = Fixture::new(&app, n, path).await;
            let (got, code) = fixture.call(&app, caller, method, path).await;
            if got != *want {
                wrong.push(format!("{method} {path} as {caller:?}: {got} {code}, the table says {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {n} calls answered otherwise:\n{}", wrong.len(), wrong.join("\n"));
}

/// A fresh order between this fixture's own buyer and seller, and the
/// complaint on it in the state `path` needs.
struct Fixture {
    buyer: String,
    seller: String,
    order: String,
    complaint: Value,
    /// The proposal the seller may accept or reject.
    proposal: String,
    /// A stored photo, or, for `…/complete`, a direct upload the buyer started and PUT.
    evidence: String,
    /// For `/v1/listing-notices/…`: a notice the marketplace filed against the seller.
    notice: String,
}

impl Fixture {
    async fn new(app: &TestApp, n: usize, path: &str) -> Fixture {
        let (buyer, seller, order) = (format!("az-buyer-{n}"), format!("az-seller-{n}"), format!("az-ord-{n}"));
        app.order_between(&order, &buyer, &seller, 150_000).await;
        let mut f = Fixture {
            buyer,
            seller,
            order,
            complaint: Value::Null,
            proposal: String::new(),
            evidence: String::new(),
            notice: String::new(),
        };
        if path.starts_with("/v1/listing-notices/") {
            let body = json!({"listing_id": "listing-1", "description": "The photo shows another phone."});
            let filed = app.post(&format!("/v1/sellers/{}/listing-notices", f.seller), "market", body).await;
            f.notice = filed.ok()["id"].as_str().unwrap().to_string();
            return f;
        }
        // An order with a running complaint is frozen: the PUT below changes its status.
        if path == "/v1/complaints" || path.starts_with("/v1/orders/") {
            return f;
        }
        let body = json!({"order_id": f.order, "reason": "other", "description": "Cracked.", "requested_solution": {"kind": "full_refund"}});
        f.complaint = app.post("/v1/complaints", &f.buyer, body).await.ok().clone();
        f.proposal = f.complaint["pending_proposal"]["id"].as_str().unwrap().to_string();
        let id = f.complaint["id"].as_str().unwrap().to_string();
        let at = |tail: &str| format!("/v1/complaints/{id}{tail}");
        if path.ends_with("/fulfilment") {
            let counter = json!({"kind": "return_and_refund", "refund_amount": {"amount": 150_000, "currency": "IDR"}});
            let c = app.post(&at("/proposals"), &f.seller, counter).await.ok().clone();
            let pid = c["pending_proposal"]["id"].as_str().unwrap();
            app.post(&at(&format!("/proposals/{pid}/accept")), &f.buyer, json!({})).await.ok();
        }
        if ["/assign", "/unassign", "/decision", "/evidence-requests"].iter().any(|t| path.ends_with(t)) {
            app.post(&at("/escalate"), &f.seller, json!({"reason": "The buyer broke it."})).await.ok();
            if !path.ends_with("/assign") {
                app.post(&at("/assign"), "staff-az", json!({})).await.ok();
            }
        }
        if path.ends_with("/settlement") {
            app.post(&at("/withdraw"), &f.buyer, json!({})).await.ok();
        }
        if path.ends_with("/content") {
            let stored =
                super::evidence::upload(app, &f.complaint, &f.buyer, "photo", png(), "image/png", "p.png").await;
            f.evidence = stored.ok()["evidence"]["id"].as_str().unwrap().to_string();
        }
        if path.ends_with("/complete") {
            let bytes = png();
            let body =
                json!({"kind": "photo", "media_type": "image/png", "size_bytes": bytes.len(), "file_name": "p.png"});
            let started = app.post(&at("/evidence/uploads"), &f.buyer, body).await.ok().clone();
            let upload = &started["upload"];
            let mut put = reqwest::Client::new().put(upload["url"].as_str().unwrap());
            for (name, value) in upload["headers"].as_object().unwrap() {
                if name != "content-length" {
                    put = put.header(name.as_str(), value.as_str().unwrap());
                }
            }
            assert!(put.body(bytes).send().await.unwrap().status().is_success(), "the store takes the PUT");
            f.evidence = started["evidence"]["id"].as_str().unwrap().to_string();
        }
        f
    }

    /// The call `method path` makes as `caller`: the path's ids filled in
    /// from the fixture, and a body the endpoint accepts from those allowed.
    async fn call(&self, app: &TestApp, caller: Caller, method: &str, path: &str) -> (u16, String) {
        let id = if path.starts_with("/v1/listing-notices/") {
            self.notice.as_str()
        } else {
            self.complaint["id"].as_str().unwrap_or_default()
        };
        let url = path
            .replace("{order_id}", &self.order)
            .replace("{id}", id)
            .replace("{pid}", &self.proposal)
            .replace("{eid}", &self.evidence)
            .replace("{seller_id}", &self.seller)
            .replace("{hold_id}", "m1");
        let idr = |amount: i64| json!({"amount": amount, "currency": "IDR"});
        let body = match (method, path) {
            ("PUT", p) if p.ends_with("/holds/{hold_id}") => {
                Some(json!({"amount": idr(100_000), "status": "delivered"}))
            }
            ("PUT", _) => Some(
                json!({"buyer_id": self.buyer, "seller_id": self.seller, "amount": idr(150_000), "status": "paid"}),
            ),
            ("POST", "/v1/complaints") => Some(
                json!({"order_id": self.order, "reason": "other", "description": "Cracked.", "requested_solution": {"kind": "full_refund"}}),
            ),
            ("POST", p) if p.ends_with("/messages") => Some(json!({"body": "Any news?"})),
            ("POST", p) if p.ends_with("/listing-notices") => {
                Some(json!({"listing_id": "listing-2", "description": "The title says 128 GB; it is 64."}))
            }
            ("POST", p) if p.ends_with("/explanation") => {
                Some(json!({"explanation": "The photo is of the same model."}))
            }
            ("POST", p) if p.ends_with("/proposals") => {
                Some(json!({"kind": "partial_refund", "refund_amount": idr(50_000)}))
            }
            ("POST", p) if p.ends_with("/reject") => Some(json!({"note": "Too much."})),
            ("POST", p) if p.ends_with("/fulfilment") => {
                Some(json!({"step": "return_shipped", "carrier": "JNE", "tracking_number": "JN123"}))
            }
            ("POST", p) if p.ends_with("/escalate") => Some(json!({"reason": "We cannot agree."})),
            ("POST", p) if p.ends_with("/evidence/uploads") => {
                Some(json!({"kind": "photo", "media_type": "image/png", "size_bytes": 67, "file_name": "p.png"}))
            }
            ("POST", p) if p.ends_with("/evidence-requests") => Some(json!({
                "party": "seller", "kinds": ["photo"], "due_at": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339(),
            })),
            ("POST", p) if p.ends_with("/settlement") => {
                Some(json!({"state": "executed", "payment_reference": "pay-1"}))
            }
            ("POST", p) if p.ends_with("/decision") => Some(json!({
                "outcome": "refund", "reason_code": "item_damaged", "rationale": "The photo shows the crack.", "seller_at_fault": true,
            })),
            ("POST", _) => Some(json!({})),
            _ => None,
        };
        let mut req = app.client.request(method.parse::<Method>().unwrap(), format!("{}{url}", app.base));
        if let Some(token) = self.token(app, caller) {
            req = req.bearer_auth(token);
        }
        req = if path.ends_with("/evidence") && method == "POST" {
            let form = Form::new()
                .text("kind", "photo")
                .part("file", Part::bytes(png()).file_name("p.png").mime_str("image/png").unwrap());
            req.multipart(form)
        } else if let Some(body) = body {
            req.json(&body)
        } else {
            req
        };
        let answer = helpers::answer(req.send().await.expect("the server answers")).await;
        (answer.status.as_u16(), answer.body["code"].as_str().unwrap_or_default().to_string())
    }

    fn token(&self, app: &TestApp, caller: Caller) -> Option<String> {
        use resolution_center::http::auth::mint;
        let hour = chrono::Duration::hours(1);
        Some(match caller {
            Caller::Buyer => app.token(&self.buyer, &[]),
            Caller::Seller => app.token(&self.seller, &[]),
            Caller::Stranger => app.token("az-stranger", &[]),
            Caller::Staff => app.token("staff-az", &["staff"]),
            Caller::Service => app.token("market", &["service"]),
            Caller::NoToken => return None,
            Caller::Expired => app.token_expired(&self.buyer),
            Caller::WrongSignature => mint(b"another-secret-another-secret-another", &self.buyer, &[], hour).unwrap(),
        })
    }
}

crate::on_both_backends!(every_endpoint_answers_each_caller_as_the_table_says,);
