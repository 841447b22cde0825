//! Schemathesis against the served `openapi.yaml`: every operation, once with
//! each kind of token, over complaints in every state, with the stateful phase
//! following the links it finds. No 5xx and no answer that breaks the spec.

use std::fmt::Write as _;
use std::process::Command;

use serde_json::{json, Value};

use super::evidence::upload;
use super::helpers::{Backend, TestApp};
use crate::helpers::png;
use crate::helpers::{accept, idr, path};

/// Examples per operation and phase; with four tokens the run stays within about a minute per backend.
const EXAMPLES: &str = "20";

/// Ids and cursors the fuzzer draws path and query values from, most of the time.
#[derive(Default)]
struct Seeds {
    complaints: Vec<String>,
    proposals: Vec<String>,
    evidence: Vec<String>,
    orders: Vec<String>,
    free_orders: Vec<String>,
    /// Real cursors of each paged operation: operation id, parameter, cursors.
    cursors: Vec<(&'static str, &'static str, Vec<String>)>,
}

async fn the_api_holds_to_its_spec_under_fuzzing(backend: Backend) {
    let st = std::env::var("TEST_SCHEMATHESIS")
        .expect("TEST_SCHEMATHESIS names the schemathesis CLI; scripts/test installs it and sets it");
    let app = super::helpers::spawn_app(backend).await;
    let seeds = seed(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("schemathesis.toml");
    std::fs::write(&config, config_of(&seeds)).unwrap();

    for (who, sub, roles) in [
        ("buyer", "fz-buyer", &[][..]),
        ("seller", "fz-seller", &[][..]),
        ("staff", "staff-fz", &["staff"][..]),
        ("service", "fz-market", &["service"][..]),
    ] {
        let token = app.token(sub, roles);
        let base = app.base.clone();
        let (st, config, workdir) = (st.clone(), config.clone(), dir.path().to_path_buf());
        let out = tokio::task::spawn_blocking(move || {
            Command::new(st)
                .arg("--config-file")
                .arg(&config)
                .args(["run", &format!("{base}/openapi.yaml"), "--checks", "all", "--max-examples", EXAMPLES])
                // One worker: CPython 3.11's `ast` is not safe across threads, and
                // schemathesis parses sources while generating.
                .args(["--workers", "1", "--no-color"])
                .current_dir(&workdir)
                .env("FUZZ_TOKEN", token)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .output()
                .expect("schemathesis runs")
        })
        .await
        .unwrap();
        let report = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "schemathesis found failures with the {who} token:\n{report}");
        let tested = report.lines().find_map(|l| l.trim().strip_prefix("Tested: ")).map(str::trim);
        let operations =
            report.lines().find_map(|l| l.trim().strip_prefix("Selected: ")).and_then(|s| s.split('/').nth(1));
        assert!(
            tested.is_some() && tested == operations,
            "schemathesis skipped operations with the {who} token:\n{report}"
        );
        let cases = report.lines().find(|l| l.contains(" generated, ")).unwrap_or_default();
        let generated = cases.split_whitespace().next().and_then(|n| n.parse::<u32>().ok()).unwrap_or(0);
        assert!(
            generated >= 1000 && cases.contains(&format!("{generated} passed")),
            "schemathesis ran too few cases or saw failures with the {who} token:\n{report}"
        );
    }
}

/// Complaints in each state between fz-buyer and fz-seller, and orders with none yet.
async fn seed(app: &TestApp) -> Seeds {
    let mut s = Seeds::default();
    let solution = json!({"kind": "partial_refund", "refund_amount": idr(50_000)});
    for i in 0..12 {
        let order = format!("fz-ord-{i}");
        app.order_between(&order, "fz-buyer", "fz-seller", 150_000).await;
        s.orders.push(order.clone());
        if i >= 8 {
            s.free_orders.push(order);
            continue;
        }
        let body =
            json!({"order_id": order, "reason": "other", "description": "Cracked.", "requested_solution": solution});
        let mut c = app.post("/v1/complaints", "fz-buyer", body).await.ok().clone();
        let file = upload(app, &c, "fz-buyer", "photo", png(), "image/png", "crack.png").await;
        s.evidence.push(file.ok()["evidence"]["id"].as_str().unwrap().to_string());
        match i % 4 {
            // The seller counters: the buyer's turn.
            1 => {
                let counter = json!({"kind": "return_and_refund", "refund_amount": idr(150_000)});
                c = app.post(&path(&c, "/proposals"), "fz-seller", counter).await.ok().clone();
            }
            // Escalated, then assigned to a staff member.
            2 => {
                app.post(&path(&c, "/escalate"), "fz-seller", json!({"reason": "The buyer broke it."})).await.ok();
                c = app.post(&path(&c, "/assign"), "staff-fz", json!({})).await.ok().clone();
            }
            // Agreed on a return: the fulfilment runs.
            3 => {
                let counter = json!({"kind": "return_and_refund", "refund_amount": idr(150_000)});
                c = app.post(&path(&c, "/proposals"), "fz-seller", counter).await.ok().clone();
                c = accept(app, &c, "fz-buyer").await.ok().clone();
            }
            _ => {}
        }
        if let Some(pid) = c["pending_proposal"]["id"].as_str() {
            s.proposals.push(pid.to_string());
        }
        s.complaints.push(c["id"].as_str().unwrap().to_string());
    }
    let cursor = |page: &Value| page["next_cursor"].as_str().expect("a further page").to_string();
    let mut list = Vec::new();
    for who in ["fz-buyer", "staff-fz"] {
        list.push(cursor(app.get("/v1/complaints?limit=1", who).await.ok()));
    }
    // Listing notices against the seller, so that their list has pages.
    for n in 0..2 {
        let body = json!({"listing_id": format!("fz-listing-{n}"), "description": "The photo shows another phone."});
        app.post("/v1/sellers/fz-seller/listing-notices", "market", body).await.ok();
    }
    let timeline = format!("/v1/complaints/{}/timeline?limit=1", s.complaints[0]);
    s.cursors = vec![
        ("list_complaints", "cursor", list),
        ("timeline", "cursor", vec![cursor(app.get(&timeline, "fz-buyer").await.ok())]),
        ("queue", "cursor", vec![cursor(app.get("/v1/arbitration/queue?limit=1", "staff-fz").await.ok())]),
        ("events", "after", vec![cursor(app.get("/v1/events?limit=1", "market").await.ok())]),
        (
            "seller_notices",
            "cursor",
            vec![cursor(app.get("/v1/sellers/fz-seller/listing-notices?limit=1", "market").await.ok())],
        ),
    ];
    s
}

/// The bearer token of the run, and what a schema-valid request may still be
/// refused with: 412 when `If-Match` names a version the fuzzer cannot know,
/// 422 for the rules across fields, roles and state that a JSON Schema cannot
/// state (a release refunds nothing; only staff post staff-only notes). The
/// A stale `If-Match` is refused before the body's rules are checked. The
/// lists also answer 400 to a well-formed cursor that is not one of theirs,
/// and an upload declaring more bytes than the cap is refused with 413.
const CHECKS: &str = r#"[auth.openapi.bearer]
bearer = "${FUZZ_TOKEN}"

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "401", "403", "404", "409", "412", "422"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "409", "412", "415", "422"]
"#;

/// The schemathesis configuration: path ids and body references drawn from
/// the seeds 80% of the time, cursors always from real pages.
fn config_of(s: &Seeds) -> String {
    let list = |v: &[String]| format!("[{}]", v.iter().map(|x| format!("{x:?}")).collect::<Vec<_>>().join(", "));
    let hooks = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fuzz_hooks.py");
    let mut out = format!("hooks = {hooks:?}\n\n{CHECKS}\n[dictionaries]\n");
    for (name, values) in [
        ("complaints", &s.complaints),
        ("proposals", &s.proposals),
        ("evidence", &s.evidence),
        ("orders", &s.orders),
        ("free_orders", &s.free_orders),
    ] {
        writeln!(out, "{name} = {{ values = {} }}", list(values)).unwrap();
    }
    for (operation, _, cursors) in &s.cursors {
        writeln!(out, "{operation}_cursors = {{ values = {} }}", list(cursors)).unwrap();
    }
    out.push_str(
        r#"
[parameters]
"path.id" = { dictionary = "complaints", probability = 0.8 }
"path.pid" = { dictionary = "proposals", probability = 0.8 }
"path.eid" = { dictionary = "evidence", probability = 0.8 }
"path.order_id" = { dictionary = "orders", probability = 0.8 }
"path.seller_id" = "fz-seller"
"body.order_id" = { dictionary = "free_orders", probability = 0.8 }
"body.buyer_id" = "fz-buyer"
"body.seller_id" = "fz-seller"

# Its pages need settlements that failed; the seeds have none, so a cursor is never one of its own.
[[operations]]
include-operation-id = "payment_problems"
checks = { positive_data_acceptance = { expected-statuses = ["2xx", "400", "401", "403", "404"] } }

[[operations]]
include-operation-id = "upload"
checks = { negative_data_rejection = { expected-statuses = ["400", "401", "403", "404", "409", "412", "413", "415", "422"] }, positive_data_acceptance = { expected-statuses = ["2xx", "401", "403", "404", "409", "412", "413", "422"] } }
"#,
    );
    for (operation, parameter, _) in &s.cursors {
        out.push_str(&format!(
            "\n[[operations]]\ninclude-operation-id = \"{operation}\"\n\
             parameters = {{ \"query.{parameter}\" = {{ dictionary = \"{operation}_cursors\" }} }}\n\
             checks = {{ positive_data_acceptance = {{ expected-statuses = [\"2xx\", \"400\", \"401\", \"403\", \"404\"] }} }}\n"
        ));
    }
    out
}

crate::on_both_backends!(the_api_holds_to_its_spec_under_fuzzing,);
