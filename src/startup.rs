//! The composition root: from `Settings` to a running service. The database
//! (connected and migrated), the evidence store, a complete `App`, the HTTP
//! server and the background workers are put together here and nowhere
//! else; `main` and the tests' `spawn_app` both start the service through it.

use std::net::TcpListener;

use anyhow::Context;

use crate::app::feed::Consumer;
use crate::app::App;
use crate::config::{JwtKey, Settings};
use crate::evidence::EvidenceStore;
use crate::http::{self, auth::Verifier};
use crate::store::Db;
use crate::telemetry::redact;
use crate::workers::{Intervals, Workers};

/// Connects the database, applies the migrations and opens the evidence
/// store; returns the complete `App` and how many migrations were applied.
pub async fn build_app(settings: &Settings) -> anyhow::Result<(App, usize)> {
    let (db, applied) = migrate(settings, settings.database_pool_size)?;
    let e = &settings.evidence;
    let evidence = EvidenceStore::from_url(
        &settings.evidence_store_url(),
        e.s3_endpoint.as_deref(),
        &e.s3_region,
        e.s3_force_path_style,
    )
    .await?;
    let app = App {
        db,
        policy: settings.windows.policy()?,
        evidence,
        evidence_limits: settings.evidence_limits(),
        idempotency_lease: settings.idempotency_lease,
        settlement_overdue: chrono::Duration::from_std(settings.settlement_overdue)
            .context("RC_SETTLEMENT_OVERDUE is out of range")?,
        retention: chrono::Duration::from_std(settings.retention).context("RC_RETENTION is out of range")?,
        figures_cache: Default::default(),
        reminder_marks: Default::default(),
    };
    Ok((app, applied))
}

/// Connects a pool of `pool_size` to the configured database and applies the
/// migrations it lacks; returns the pool and how many were applied.
pub fn migrate(settings: &Settings, pool_size: u32) -> anyhow::Result<(Db, usize)> {
    let url = settings.database_url();
    let db = Db::connect(&url, pool_size).with_context(|| format!("connecting {}", redact(&url)))?;
    let applied = db.migrate()?.len();
    Ok((db, applied))
}

/// Starts the background loops of `app` as the settings ask (timer, mail,
/// webhooks, housekeeping); `None` when they are off.
pub async fn start_workers(settings: &Settings, app: App) -> anyhow::Result<Option<Workers>> {
    start_with(settings, app, intervals(settings)?).await
}

/// Starts the loops with `intervals` when the settings ask for them. The
/// outbox consumers that will run get their cursors first, before anything
/// is served, so none misses an event written while it starts.
async fn start_with(settings: &Settings, app: App, intervals: Intervals) -> anyhow::Result<Option<Workers>> {
    if !settings.background_workers {
        return Ok(None);
    }
    if intervals.mailer.is_some() {
        app.open_consumer(Consumer::Mail, settings.outbox_replay).await?;
    }
    if intervals.webhook_target.is_some() {
        app.open_consumer(Consumer::Webhooks, settings.outbox_replay).await?;
    }
    Ok(Some(Workers::start(app, intervals)))
}

/// How often each loop runs, with the webhook target and the mailer built.
fn intervals(settings: &Settings) -> anyhow::Result<Intervals> {
    Ok(Intervals {
        timers: settings.timer_interval,
        evidence_sweep: settings.evidence.evidence_sweep_interval,
        webhooks: settings.timer_interval,
        webhook_target: settings.webhooks.target()?,
        mailer: Some(settings.mailer()?),
    })
}

/// The service, serving on its listener.
pub struct Application {
    pub app: App,
    /// What was put together, a line each, for the start-up banner.
    pub report: Vec<String>,
    server: actix_web::dev::Server,
    workers: Option<Workers>,
    figures: tokio::task::JoinHandle<()>,
}

/// Reads the operators' figures every `every`, for `/metrics`, whether or
/// not this instance runs the workers.
async fn refresh_figures(app: App, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = app.refresh_figures(crate::app::now()).await {
            tracing::warn!(error = %e, "reading the figures failed; /metrics shows the last ones with their age");
        }
    }
}

impl Application {
    /// Puts the service together and starts it on `listener` with
    /// `http_workers` threads; it serves once the runtime runs it.
    pub async fn build(settings: &Settings, listener: TcpListener, http_workers: usize) -> anyhow::Result<Self> {
        let (app, applied) = build_app(settings).await?;
        if let Err(err) = app.evidence.ping().await {
            tracing::warn!(error = %err, "the evidence store does not answer yet; uploads fail with 503 until it does");
        }
        let (key, generated) = settings.jwt_key()?;
        let verifier = Verifier::new(&key, settings.jwt_max_lifetime)?;
        let address = listener.local_addr()?;
        let mut report = vec![
            format!("Resolution Center listening on http://{address}"),
            format!("  database: {} ({applied} migration(s) applied now)", redact(&settings.database_url())),
            format!("  evidence: {}", app.evidence.describe()),
        ];
        if let Some(path) = generated {
            report.push(format!("  generated a JWT secret into {}", path.display()));
        }
        if let JwtKey::Secret(_) = key {
            report
                .push("  mint a token: resolution-center token --sub buyer-1 [--role staff|service] [--ttl 1h]".into());
        }
        report.push(format!("  API description: http://{address}/openapi.yaml"));
        let intervals = intervals(settings)?;
        if let Some(target) = &intervals.webhook_target {
            report.push(format!("  webhooks: every event to {}", target.url));
        }
        if let Some(mailer) = &intervals.mailer {
            report.push(format!("  mail: {}", mailer.transport.describe()));
        }
        let workers = start_with(settings, app.clone(), intervals).await?;
        if workers.is_none() {
            report.push("  background workers: off (RC_WORKERS=off)".into());
        }
        let figures = tokio::spawn(refresh_figures(app.clone(), settings.metrics_interval));
        let server = http::server(app.clone(), verifier, listener, http_workers, crate::console::configure)?;
        Ok(Application { app, report, server, workers, figures })
    }

    /// Serves until SIGTERM or Ctrl-C: then it stops accepting, finishes
    /// the requests in flight, and the workers finish the item in hand.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let served = self.server.await;
        self.figures.abort();
        served?;
        if let Some(workers) = self.workers {
            workers.stop().await;
        }
        Ok(())
    }
}
