//! Background work of `serve`: the timer, mail and reminders, webhooks, and
//! the sweep of unfinished uploads. Each loop finishes the item in hand before it stops.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::{now, App};
use crate::notify::mail::Mailer;
use crate::notify::webhooks::WebhookTarget;

/// How often each loop runs, and where webhooks go.
#[derive(Clone)]
pub struct Intervals {
    pub timers: Duration,
    pub evidence_sweep: Duration,
    /// How often the outbox is read for webhooks and due deliveries are tried.
    pub webhooks: Duration,
    pub webhook_target: Option<WebhookTarget>,
    /// How mail goes out; `None`: no mail.
    pub mailer: Option<Mailer>,
}

/// The running loops; `stop` ends them.
pub struct Workers {
    shutdown: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts every loop on the current tokio runtime.
    pub fn start(app: App, intervals: Intervals) -> Workers {
        let (shutdown, stopped) = watch::channel(false);
        let timers = {
            let app = app.clone();
            every("timers", intervals.timers, stopped.clone(), move || {
                let app = app.clone();
                async move {
                    match app.fire_due_deadlines(now()).await {
                        Ok(0) => {}
                        Ok(n) => tracing::debug!(fired = n, "deadlines fired"),
                        Err(e) => tracing::warn!(error = %e, "firing deadlines failed; retrying at the next tick"),
                    }
                }
            })
        };
        let mut handles = vec![timers];
        if let Some(target) = intervals.webhook_target.clone() {
            let app = app.clone();
            handles.push(every("webhooks", intervals.webhooks, stopped.clone(), move || {
                let (app, target) = (app.clone(), target.clone());
                async move {
                    drain("webhooks", || app.enqueue_webhooks()).await;
                    if let Err(e) = app.deliver_webhooks(&target).await {
                        tracing::warn!(error = %e, "delivering webhooks failed; retrying at the next tick");
                    }
                }
            }));
        }
        if let Some(mailer) = intervals.mailer.clone() {
            let app = app.clone();
            handles.push(every("mail", intervals.webhooks, stopped.clone(), move || {
                let (app, mailer) = (app.clone(), mailer.clone());
                async move {
                    drain("mail", || app.enqueue_mail(&mailer)).await;
                    if let Err(e) = app.enqueue_reminders(&mailer, now()).await {
                        tracing::warn!(error = %e, "queueing reminders failed; retrying at the next tick");
                    }
                    if let Err(e) = app.deliver_mail(&mailer).await {
                        tracing::warn!(error = %e, "sending mail failed; retrying at the next tick");
                    }
                }
            }));
        }
        let sweep = every("housekeeping", intervals.evidence_sweep, stopped, move || {
            let app = app.clone();
            async move {
                match app.purge_idempotency_keys(now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(purged = n, "expired idempotency keys purged"),
                    Err(e) => tracing::warn!(error = %e, "purging idempotency keys failed; retrying at the next tick"),
                }
                match app.purge_delivered(now()).await {
                    Ok(purged) if purged != Default::default() => tracing::info!(
                        mails = purged.mails,
                        webhook_deliveries = purged.webhook_deliveries,
                        "delivered mail and webhooks past their retention deleted"
                    ),
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "deleting delivered mail and webhooks failed; retrying at the next tick")
                    }
                }
                match app.sweep_uploads(now()).await {
                    Ok(swept) if swept != Default::default() => tracing::info!(
                        expired_uploads = swept.expired_uploads,
                        unfinished_writes = swept.unfinished_writes,
                        "evidence sweep"
                    ),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "evidence sweep failed; retrying at the next tick"),
                }
            }
        });
        handles.push(sweep);
        Workers { shutdown, handles }
    }

    /// Asks every loop to stop and waits until each has finished its item.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for handle in self.handles {
            let _ = handle.await;
        }
    }
}

/// Queues everything the outbox holds for one consumer, batch after batch.
async fn drain<F, Fut>(consumer: &str, mut batch: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, crate::app::AppError>>,
{
    loop {
        match batch().await {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(consumer, error = %e, "queueing from the outbox failed; retrying at the next tick");
                return;
            }
        }
    }
}

/// Runs `work` every `period` until told to stop; a running round is never
/// cut short.
fn every<F, Fut>(
    name: &'static str,
    period: Duration,
    mut stopped: watch::Receiver<bool>,
    mut work: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopped.changed() => break,
            }
            if *stopped.borrow() {
                break;
            }
            work().await;
        }
        tracing::debug!(worker = name, "stopped");
    })
}
