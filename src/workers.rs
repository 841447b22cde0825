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
            let stop = stopped.clone();
            every("timers", intervals.timers, stopped.clone(), move || {
                let (app, stop) = (app.clone(), stop.clone());
                async move {
                    let at = now();
                    // Each deadline logs as it fires; a batch that leaves
                    // nothing more (0) ends the round.
                    drain("timers", &stop, || async { Ok(usize::from(app.fire_due_batch(at).await?.more)) }).await;
                    // Evidence requests past their due time, unanswered.
                    drain("evidence requests", &stop, || async {
                        Ok(usize::from(app.mark_overdue_evidence(at).await?.more))
                    })
                    .await;
                    // Listing notices whose window passed unanswered, a batch of 100 at a time.
                    drain("notices", &stop, || async { Ok(usize::from(app.fire_due_notices(at).await? == 100)) }).await;
                }
            })
        };
        let mut handles = vec![timers];
        if let Some(target) = intervals.webhook_target.clone() {
            let (app, stop) = (app.clone(), stopped.clone());
            handles.push(every("webhooks", intervals.webhooks, stopped.clone(), move || {
                let (app, target, stop) = (app.clone(), target.clone(), stop.clone());
                async move {
                    drain("webhooks", &stop, || app.enqueue_webhooks()).await;
                    if let Err(e) = app.deliver_webhooks(&target).await {
                        tracing::warn!(error = %e, "delivering webhooks failed; retrying at the next tick");
                    }
                }
            }));
        }
        if let Some(mailer) = intervals.mailer.clone() {
            let (app, stop) = (app.clone(), stopped.clone());
            handles.push(every("mail", intervals.webhooks, stopped.clone(), move || {
                let (app, mailer, stop) = (app.clone(), mailer.clone(), stop.clone());
                async move {
                    drain("mail", &stop, || app.enqueue_mail(&mailer)).await;
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
                match app.purge_staff_sessions(now()).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(purged = n, "ended console sessions and old sign-in failures purged"),
                    Err(e) => tracing::warn!(error = %e, "purging console sessions failed; retrying at the next tick"),
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

/// Runs `batch` until it has nothing left (0) or the workers are told to
/// stop, which is checked between batches: a backlog never holds up a
/// shutdown by more than one batch. Returns the sum of what the batches did.
async fn drain<F, Fut>(work: &str, stopped: &watch::Receiver<bool>, mut batch: F) -> usize
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<usize, crate::app::AppError>>,
{
    let mut done = 0;
    while !*stopped.borrow() {
        match batch().await {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) => {
                tracing::warn!(work, error = %e, "a batch failed; retrying at the next tick");
                break;
            }
        }
    }
    done
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::watch;

    /// A backlog that never ends stops at the first batch after the signal.
    #[tokio::test]
    async fn a_drain_stops_between_batches_once_told() {
        let (stop, stopped) = watch::channel(false);
        let batches = AtomicUsize::new(0);
        let drained = super::drain("test", &stopped, || {
            if batches.fetch_add(1, Ordering::SeqCst) + 1 == 3 {
                stop.send(true).unwrap();
            }
            async {
                // A real batch awaits the database; this lets the timeout run.
                tokio::task::yield_now().await;
                Ok(1)
            }
        });
        let done = tokio::time::timeout(std::time::Duration::from_secs(5), drained).await.expect("the drain stopped");
        assert_eq!((done, batches.load(Ordering::SeqCst)), (3, 3));
    }
}
