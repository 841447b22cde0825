//! Every worker and list query walks its index on PostgreSQL, with generic
//! plans forced (as PostgreSQL uses them after a statement's fifth run) and
//! sequential scans priced out: the query's own index must be the one the
//! planner finds, so a dropped index or a predicate it cannot match fails.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use resolution_center::store::complaints::{self, ListFilter};
use resolution_center::store::{dialect, evidence, idempotency, mail, outbox, webhooks, Db, DbConn};

use crate::helpers::new_pg_database;

#[derive(QueryableByName)]
struct Scans {
    #[diesel(sql_type = BigInt)]
    idx_scan: i64,
}

/// How often `index` was scanned, as the statistics say once flushed.
fn scans_of(conn: &mut DbConn, index: &str) -> i64 {
    conn.batch_execute("SELECT pg_stat_force_next_flush()").unwrap();
    diesel::sql_query("SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = $1")
        .bind::<Text, _>(index)
        .get_result::<Scans>(conn)
        .unwrap_or_else(|e| panic!("no index {index}: {e}"))
        .idx_scan
}

type Probe = Box<dyn Fn(&mut DbConn)>;

/// What a probe found does not matter, only how it found it.
fn ignore<T>(_: T) {}

#[test]
fn worker_and_list_queries_use_their_indexes_on_postgres() {
    let url = new_pg_database();
    Db::connect(&url, 1).unwrap().migrate().unwrap();
    let mut conn = dialect::connect(&url).unwrap();
    conn.batch_execute("SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off;").unwrap();
    let now = chrono::Utc::now().naive_utc();
    let list = |party: &str, role| ListFilter {
        party: Some(party.into()),
        role,
        status: None,
        before_id: Some("cmp_zzz".into()),
        limit: 20,
    };
    let probes: Vec<(&str, &str, Probe)> = vec![
        ("timer due check", "complaints_due", Box::new(move |c| ignore(complaints::any_due(c, now).unwrap()))),
        (
            "timer claim",
            "complaints_due",
            Box::new(move |c| ignore(complaints::claim_due_deadlines(c, now, 50).unwrap())),
        ),
        (
            "overdue evidence check",
            "complaints_evidence_due",
            Box::new(move |c| ignore(complaints::any_evidence_due(c, now).unwrap())),
        ),
        (
            "overdue evidence claim",
            "complaints_evidence_due",
            Box::new(move |c| ignore(complaints::claim_overdue_evidence(c, now, 50).unwrap())),
        ),
        (
            "reminder window",
            "complaints_due",
            Box::new(move |c| {
                ignore(complaints::deadlines_in(c, now, now, now, Some((now, "cmp_1".into())), 50).unwrap())
            }),
        ),
        (
            "reminders already queued",
            "mail_deliveries_reminders",
            Box::new(move |c| {
                // The check runs per deadline in the window, so one has to be there.
                c.batch_execute(
                    "INSERT INTO orders (id, buyer_id, seller_id, amount, currency, status, created_at, updated_at) \
                     VALUES ('ord-r', 'b', 's', 100, 'IDR', 'delivered', now(), now()); \
                     INSERT INTO complaints (id, order_id, buyer_id, seller_id, reason, description, currency, \
                       held_amount, disputed_amount, status, deadline_at, deadline_on_expiry, seller_answered, \
                       version, opened_at, updated_at, evidence_requests) \
                     VALUES ('cmp_r', 'ord-r', 'b', 's', 'damaged', 'd', 'IDR', 100, 100, 'awaiting_seller', \
                       now() AT TIME ZONE 'UTC', 'escalate', false, 1, now(), now(), '[]')",
                )
                .unwrap();
                let hour = chrono::Duration::hours(1);
                ignore(complaints::deadlines_in(c, now - hour, now + hour, now - hour, None, 50).unwrap())
            }),
        ),
        (
            "arbitration queue",
            "complaints_queue",
            Box::new(move |c| ignore(complaints::queue(c, None, None, 20).unwrap())),
        ),
        (
            "arbitration queue, next page",
            "complaints_queue",
            Box::new(move |c| ignore(complaints::queue(c, Some((now, "cmp_1".into())), None, 20).unwrap())),
        ),
        (
            "an agent's queue",
            "complaints_queue_assignee",
            Box::new(move |c| ignore(complaints::queue(c, None, Some("staff-1"), 20).unwrap())),
        ),
        (
            "a buyer's list",
            "complaints_buyer",
            Box::new(move |c| {
                ignore(complaints::list(c, &list("u1", Some(resolution_center::domain::Role::Buyer))).unwrap())
            }),
        ),
        (
            "a party's list, buyer side",
            "complaints_buyer",
            Box::new(move |c| ignore(complaints::list(c, &list("u1", None)).unwrap())),
        ),
        (
            "a party's list, seller side",
            "complaints_seller",
            Box::new(move |c| ignore(complaints::list(c, &list("u1", None)).unwrap())),
        ),
        (
            "payment problems",
            "settlements_open",
            Box::new(move |c| ignore(complaints::payment_problems(c, now, Some((now, "cmp_1".into())), 20).unwrap())),
        ),
        (
            "the unread check",
            "outbox_feed",
            Box::new(|c| {
                outbox::open_cursor(c, "probe", true).unwrap();
                ignore(outbox::any_unread(c, "probe").unwrap())
            }),
        ),
        (
            "the feed",
            "outbox_feed",
            Box::new(|c| ignore(outbox::after(c, outbox::FeedPosition { txid: 1, seq: 1 }, 20).unwrap())),
        ),
        ("mail due check", "mail_deliveries_due", Box::new(move |c| ignore(mail::any_due(c, now).unwrap()))),
        ("mail claim", "mail_deliveries_due", Box::new(move |c| ignore(mail::claim_due(c, now, now, 20).unwrap()))),
        ("webhook due check", "webhook_deliveries_due", Box::new(move |c| ignore(webhooks::any_due(c, now).unwrap()))),
        (
            "webhook claim",
            "webhook_deliveries_due",
            Box::new(move |c| ignore(webhooks::claim_due(c, now, now, 20).unwrap())),
        ),
        ("upload sweep", "evidence_pending", Box::new(move |c| ignore(evidence::expired_pending(c, now, 20).unwrap()))),
        (
            "mail retention",
            "mail_deliveries_sent",
            Box::new(move |c| ignore(mail::delete_sent_before(c, now, 500).unwrap())),
        ),
        (
            "webhook retention",
            "webhook_deliveries_delivered",
            Box::new(move |c| ignore(webhooks::delete_delivered_before(c, now, 500).unwrap())),
        ),
        (
            "figures: overdue timers",
            "complaints_due",
            Box::new(move |c| ignore(complaints::count_due_before(c, now).unwrap())),
        ),
        (
            "figures: active complaints",
            "complaints_status",
            Box::new(|c| ignore(complaints::count_in_status(c, "under_review").unwrap())),
        ),
        ("figures: mail failing", "mail_deliveries_due", Box::new(|c| ignore(mail::counts(c).unwrap()))),
        ("figures: mail given up", "mail_deliveries_given_up", Box::new(|c| ignore(mail::counts(c).unwrap()))),
        (
            "figures: webhooks given up",
            "webhook_deliveries_given_up",
            Box::new(|c| ignore(webhooks::counts(c).unwrap())),
        ),
        (
            "figures: failed attempts",
            "webhook_attempts_failed",
            Box::new(|c| ignore(webhooks::failed_attempts(c).unwrap())),
        ),
        (
            "figures: settlements",
            "settlements_open_states",
            Box::new(move |c| ignore(complaints::unexecuted_counts(c, now).unwrap())),
        ),
        ("key purge", "idempotency_keys_created", Box::new(move |c| ignore(idempotency::purge(c, now, 500).unwrap()))),
    ];
    let mut missed = Vec::new();
    for (what, index, probe) in &probes {
        let before = scans_of(&mut conn, index);
        probe(&mut conn);
        if scans_of(&mut conn, index) == before {
            missed.push(format!("{what} does not use {index}"));
        }
    }
    assert!(missed.is_empty(), "{missed:#?}");
}
