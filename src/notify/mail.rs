//! Sending mail with lettre: SMTP (plain, STARTTLS or TLS, with optional
//! credentials) or `.eml` files in a directory, the embedded default.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::templates::Letter;

/// How mail is sent, and to whom besides the parties.
#[derive(Clone)]
pub struct Mailer {
    pub transport: MailTransport,
    pub from: Mailbox,
    /// Customer care's mailbox: told of every escalation and failed payout.
    pub staff_mailbox: Option<String>,
    /// Reminders go this long before a party's deadline.
    pub reminder_leads: Vec<chrono::Duration>,
    /// The wait after the first failure; it doubles, up to an hour, for three days.
    pub retry_base: Duration,
    /// How long a proposal's mail waits for a newer proposal to replace it.
    pub collapse_window: Duration,
    /// Complaints read per query when reminders are queued.
    pub reminder_page: i64,
    /// The marketplace's page of a complaint, `{complaint_id}` (and
    /// optionally `{order_id}`) standing for its ids: each party's mail links it.
    pub complaint_url: Option<String>,
}

impl Mailer {
    /// `reminder_page`'s usual value.
    pub const REMINDER_PAGE: i64 = 500;

    /// Checks a `complaint_url` template: an http(s) URL naming `{complaint_id}`.
    pub fn check_complaint_url(template: &str) -> anyhow::Result<()> {
        let named = template.contains("{complaint_id}");
        let web = template.starts_with("https://") || template.starts_with("http://");
        anyhow::ensure!(named && web, "RC_COMPLAINT_URL must be an http(s) URL with {{complaint_id}} in it, e.g. https://shop.example/complaints/{{complaint_id}}");
        Ok(())
    }
}

/// The link of a complaint's page from a `complaint_url` template, where
/// the marketplace has one. Ids are checked to be of URL-safe characters.
pub fn complaint_link(template: Option<&str>, complaint_id: &str, order_id: &str) -> Option<String> {
    Some(template?.replace("{complaint_id}", complaint_id).replace("{order_id}", order_id))
}

/// Where mail goes.
#[derive(Clone)]
pub enum MailTransport {
    File { dir: PathBuf, transport: AsyncFileTransport<Tokio1Executor> },
    Smtp { url: String, transport: AsyncSmtpTransport<Tokio1Executor> },
}

impl MailTransport {
    /// `file:PATH`, or an SMTP URL as lettre reads it: `smtp://host:25`
    /// (plain), `smtp://user:pass@host:587?tls=required` (STARTTLS),
    /// `smtps://user:pass@host:465` (TLS).
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        if let Some(dir) = url.strip_prefix("file:") {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir)?;
            let transport = AsyncFileTransport::<Tokio1Executor>::new(&dir);
            return Ok(MailTransport::File { dir, transport });
        }
        anyhow::ensure!(
            url.starts_with("smtp://") || url.starts_with("smtps://"),
            "RC_MAIL must be file:PATH, smtp://… or smtps://…, not `{url}`"
        );
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| anyhow::anyhow!("RC_MAIL: {e}"))?.build();
        Ok(MailTransport::Smtp { url: crate::telemetry::redact(url), transport })
    }

    pub fn describe(&self) -> String {
        match self {
            MailTransport::File { dir, .. } => format!("files in {}", dir.display()),
            MailTransport::Smtp { url, .. } => url.clone(),
        }
    }

    /// Sends one mail; `id` becomes its Message-ID, the same on every retry.
    pub async fn send(&self, from: &Mailbox, to: &str, id: &str, lang: &str, letter: &Letter) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|e| format!("recipient `{to}`: {e}"))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(letter.subject.clone())
            .message_id(Some(format!("<{id}@resolution-center>")))
            .header(ContentLanguage(lang.to_string()))
            .header(ContentType::TEXT_PLAIN)
            .body(letter.body.clone())
            .map_err(|e| e.to_string())?;
        match self {
            MailTransport::File { transport, .. } => transport.send(message).await.map(drop).map_err(|e| e.to_string()),
            MailTransport::Smtp { transport, .. } => transport.send(message).await.map(drop).map_err(|e| e.to_string()),
        }
    }
}

/// `Content-Language` (RFC 3282).
#[derive(Clone)]
struct ContentLanguage(String);

impl lettre::message::header::Header for ContentLanguage {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("Content-Language")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ContentLanguage(s.to_string()))
    }

    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::Mailer;

    #[test]
    fn a_complaint_url_is_an_http_url_naming_the_complaint() {
        assert!(Mailer::check_complaint_url("https://shop.example/c/{complaint_id}").is_ok());
        assert!(Mailer::check_complaint_url("https://shop.example/c/").is_err(), "no complaint id");
        assert!(Mailer::check_complaint_url("javascript:{complaint_id}").is_err(), "not a web page");
    }
}
