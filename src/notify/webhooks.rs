//! The webhook sender: one signed POST of an event to the marketplace, with
//! the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`: HMAC-SHA256 over `id.timestamp.body` with the
//! `whsec_` secret). What to send and when to retry is `app::webhooks`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Where and how events are sent.
#[derive(Clone)]
pub struct WebhookTarget {
    pub url: String,
    pub signer: Arc<standardwebhooks::Webhook>,
    pub client: reqwest::Client,
    /// The wait after the first failure; it doubles after each one, up to an hour.
    pub retry_base: Duration,
    /// Attempts stop this long after the event.
    pub give_up_after: chrono::Duration,
    /// How long one attempt may take.
    pub timeout: Duration,
}

impl WebhookTarget {
    /// `secret` is `whsec_` and the base64 of the key.
    pub fn new(url: String, secret: &str, retry_base: Duration, timeout: Duration) -> anyhow::Result<Self> {
        anyhow::ensure!(secret.starts_with("whsec_"), "RC_WEBHOOK_SECRET must start with whsec_");
        let signer = standardwebhooks::Webhook::new(secret)
            .map_err(|e| anyhow::anyhow!("RC_WEBHOOK_SECRET is not whsec_ and base64: {e:?}"))?;
        let client = reqwest::Client::builder().timeout(timeout).user_agent("resolution-center-webhooks").build()?;
        Ok(WebhookTarget {
            url,
            signer: Arc::new(signer),
            client,
            retry_base,
            give_up_after: chrono::Duration::days(3),
            timeout,
        })
    }

    /// One attempt to deliver the event `event_id` with its JSON `payload`,
    /// signed at `at`: the HTTP status, or why there was none.
    pub async fn send(&self, event_id: &str, payload: &str, at: DateTime<Utc>) -> Result<u16, String> {
        let signature =
            self.signer.sign(event_id, at.timestamp(), payload.as_bytes()).map_err(|e| format!("signing: {e:?}"))?;
        let res = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("webhook-id", event_id)
            .header("webhook-timestamp", at.timestamp().to_string())
            .header("webhook-signature", signature)
            .body(payload.to_string())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(res.status().as_u16())
    }
}
