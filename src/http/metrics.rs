//! `GET /metrics` in the Prometheus text format: HTTP requests by route and
//! status with a latency histogram (actix-web-prom), and the service's own
//! figures as last read in the background, with their age.

use actix_web::{get, web, HttpResponse};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use prometheus::{Encoder, GaugeVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

use super::problem::ApiError;
use crate::app::ops::Figures;
use crate::app::{now, App, AppError};

/// The registries (HTTP, and the figures, shown once they were read), the
/// HTTP middleware, and the gauges set from the latest figures.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    figures: Registry,
    figures_age: prometheus::Gauge,
    pub http: PrometheusMetrics,
    complaints: IntGaugeVec,
    overdue_timers: IntGauge,
    oldest_undelivered: GaugeVec,
    webhooks: IntGaugeVec,
    webhook_failed_attempts: IntGauge,
    mail: IntGaugeVec,
    settlements: IntGaugeVec,
    settlements_overdue: IntGauge,
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("metrics: {e}"))
}

impl Metrics {
    pub fn new() -> Result<Metrics, AppError> {
        let registry = Registry::new();
        let http = PrometheusMetricsBuilder::new("rc")
            .registry(registry.clone())
            .exclude("/metrics")
            .mask_unmatched_patterns("UNMATCHED")
            .build()
            .map_err(internal)?;
        let complaints =
            IntGaugeVec::new(Opts::new("rc_complaints", "Complaints not yet resolved, by status"), &["status"])
                .map_err(internal)?;
        let overdue_timers = IntGauge::new("rc_timers_overdue", "Deadlines past by over a minute that have not fired")
            .map_err(internal)?;
        let oldest_undelivered = GaugeVec::new(
            Opts::new(
                "rc_outbox_oldest_undelivered_seconds",
                "Age of the oldest event not yet delivered, per consumer",
            ),
            &["consumer"],
        )
        .map_err(internal)?;
        let webhooks = IntGaugeVec::new(
            Opts::new("rc_webhook_deliveries", "Webhook deliveries failing (being retried) or given up"),
            &["state"],
        )
        .map_err(internal)?;
        let webhook_failed_attempts = IntGauge::new(
            "rc_webhook_failed_attempts",
            "Webhook attempts that were not acknowledged, of those kept (RC_RETENTION)",
        )
        .map_err(internal)?;
        let mail = IntGaugeVec::new(Opts::new("rc_mail", "Mails failing (being retried) or given up"), &["state"])
            .map_err(internal)?;
        let settlements = IntGaugeVec::new(
            Opts::new("rc_settlements", "Settlements the payment system has not executed, by state"),
            &["state"],
        )
        .map_err(internal)?;
        let settlements_overdue = IntGauge::new(
            "rc_settlements_overdue",
            "Settlements pending longer than RC_SETTLEMENT_OVERDUE without a report from the payment system",
        )
        .map_err(internal)?;
        let figures_age = prometheus::Gauge::new(
            "rc_figures_age_seconds",
            "How long ago the figures below were read from the database",
        )
        .map_err(internal)?;
        let figures = Registry::new();
        for c in [
            Box::new(figures_age.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(complaints.clone()),
            Box::new(overdue_timers.clone()),
            Box::new(oldest_undelivered.clone()),
            Box::new(webhooks.clone()),
            Box::new(webhook_failed_attempts.clone()),
            Box::new(mail.clone()),
            Box::new(settlements.clone()),
            Box::new(settlements_overdue.clone()),
        ] {
            figures.register(c).map_err(internal)?;
        }
        Ok(Metrics {
            registry,
            figures,
            figures_age,
            http,
            complaints,
            overdue_timers,
            oldest_undelivered,
            webhooks,
            webhook_failed_attempts,
            mail,
            settlements,
            settlements_overdue,
        })
    }
}

/// Prometheus metrics: HTTP requests and latency by route and status, complaints by status, overdue
/// timers, the age of the oldest undelivered event, mail and webhook failures, unexecuted settlements.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn metrics(app: web::Data<App>, m: web::Data<Metrics>) -> Result<HttpResponse, ApiError> {
    let latest = match app.figures_cache.latest() {
        Some(latest) => Some(latest),
        // Before the first background read: read once now (a database that
        // is down leaves only the HTTP metrics).
        None => match app.refresh_figures(now()).await {
            Ok(()) => app.figures_cache.latest(),
            Err(e) => {
                tracing::warn!(error = %e, "the figures could not be read");
                None
            }
        },
    };
    let mut families = m.registry.gather();
    if let Some((at, f)) = latest {
        set_figures(&m, &f);
        m.figures_age.set((now() - at).num_milliseconds().max(0) as f64 / 1000.0);
        families.extend(m.figures.gather());
    }
    let mut out = Vec::new();
    TextEncoder::new().encode(&families, &mut out).map_err(|e| ApiError::App(internal(e)))?;
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(out))
}

fn set_figures(m: &Metrics, f: &Figures) {
    m.complaints.reset();
    for (status, n) in &f.complaints_by_status {
        m.complaints.with_label_values(&[status.as_str()]).set(*n);
    }
    m.overdue_timers.set(f.overdue_timers);
    m.oldest_undelivered.reset();
    for (consumer, age) in &f.oldest_undelivered {
        m.oldest_undelivered.with_label_values(&[*consumer]).set(*age);
    }
    m.webhooks.with_label_values(&["failing"]).set(f.webhooks_failing);
    m.webhooks.with_label_values(&["given_up"]).set(f.webhooks_given_up);
    m.webhook_failed_attempts.set(f.webhook_failed_attempts);
    m.mail.with_label_values(&["failing"]).set(f.mail_failing);
    m.mail.with_label_values(&["given_up"]).set(f.mail_given_up);
    m.settlements.with_label_values(&["pending"]).set(f.settlements_pending);
    m.settlements.with_label_values(&["failed"]).set(f.settlements_failed);
    m.settlements_overdue.set(f.settlements_overdue);
}
