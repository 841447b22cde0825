//! One `Settings` value built from the environment (or flags), with embedded
//! defaults: with nothing set the service runs on SQLite under `./data`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Duration;
use clap::Args;

use crate::domain::{EvidenceKind, EvidenceLimits, Expiry, Policy, Reason};
use crate::telemetry::LogFormat;

/// Where the database lives and how the service checks tokens.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Directory for the embedded defaults (SQLite file, generated JWT secret).
    #[arg(long, env = "RC_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// `sqlite://path` or `postgres://user@host/db`; defaults to a SQLite file in the data directory.
    #[arg(long, env = "RC_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Connections in the database pool.
    #[arg(long, env = "RC_DATABASE_POOL_SIZE", default_value_t = 10)]
    pub database_pool_size: u32,
    /// HS256 secret for tokens; generated once into the data directory when unset.
    #[arg(long, env = "RC_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// PEM file with an RSA or Ed25519 public key: tokens are then RS256 or EdDSA.
    #[arg(long, env = "RC_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<PathBuf>,
    /// Longest a token may live, from its `iat` (or now) to its `exp`; longer ones are refused.
    #[arg(long, env = "RC_JWT_MAX_LIFETIME", default_value = "24h", value_parser = humantime::parse_duration)]
    pub jwt_max_lifetime: std::time::Duration,
    #[arg(long, env = "RC_LOG_FORMAT", value_enum, default_value = "pretty")]
    pub log_format: LogFormat,
    /// Run the background workers (timer, mail, webhooks, housekeeping); `off` for an API-only instance.
    #[arg(long, env = "RC_WORKERS", default_value = "on", value_parser = clap::builder::BoolishValueParser::new())]
    pub background_workers: bool,
    /// How often the timer, the mailer and the webhook dispatcher look for work.
    #[arg(long, env = "RC_TIMER_INTERVAL", default_value = "1s", value_parser = humantime::parse_duration)]
    pub timer_interval: std::time::Duration,
    /// How long an `Idempotency-Key` whose request has not answered holds off a
    /// retry (409); past it the request is taken as lost, e.g. in a crash, and
    /// the retry runs.
    #[arg(long, env = "RC_IDEMPOTENCY_LEASE", default_value = "30s", value_parser = humantime::parse_duration)]
    pub idempotency_lease: std::time::Duration,
    /// How long a settlement may wait for the payment system's report before
    /// staff see it among the payment problems (and `rc_settlements_overdue`).
    #[arg(long, env = "RC_SETTLEMENT_OVERDUE", default_value = "24h", value_parser = humantime::parse_duration)]
    pub settlement_overdue: std::time::Duration,
    /// How often the figures `/metrics` shows are read from the database.
    #[arg(long, env = "RC_METRICS_INTERVAL", default_value = "15s", value_parser = humantime::parse_duration)]
    pub metrics_interval: std::time::Duration,
    /// How long sent mail and acknowledged webhooks (with their attempts) are
    /// kept; undelivered and given-up ones are kept until they are delivered.
    #[arg(long, env = "RC_RETENTION", default_value = "30d", value_parser = humantime::parse_duration)]
    pub retention: std::time::Duration,
    /// Whether mail and webhooks, turned on over a database that already holds
    /// events, deliver that history (`true`) or start at the feed's end.
    #[arg(long, env = "RC_OUTBOX_REPLAY", default_value_t = false, action = clap::ArgAction::Set)]
    pub outbox_replay: bool,
    #[command(flatten)]
    pub webhooks: WebhookSettings,
    #[command(flatten)]
    pub mail: MailSettings,
    #[command(flatten)]
    pub evidence: EvidenceSettings,
    #[command(flatten)]
    pub windows: Windows,
}

/// Where evidence files go and how large they may be.
#[derive(Debug, Clone, Args)]
pub struct EvidenceSettings {
    /// `fs:PATH` or `s3://bucket[/prefix]`; defaults to a directory in the data directory.
    #[arg(long, env = "RC_EVIDENCE_STORE")]
    pub evidence_store: Option<String>,
    /// S3-compatible endpoint URL (default: AWS).
    #[arg(long, env = "RC_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,
    #[arg(long, env = "RC_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,
    /// Address buckets as `endpoint/bucket` (most S3-compatible servers want this).
    #[arg(long, env = "RC_S3_FORCE_PATH_STYLE", default_value_t = false, action = clap::ArgAction::Set)]
    pub s3_force_path_style: bool,
    /// Size cap of photos, documents and other non-video evidence.
    #[arg(long, env = "RC_EVIDENCE_MAX_FILE_BYTES", default_value_t = EvidenceLimits::default().file_bytes)]
    pub evidence_max_file_bytes: u64,
    /// Size cap of `video` and `screen_recording` evidence.
    #[arg(long, env = "RC_EVIDENCE_MAX_VIDEO_BYTES", default_value_t = EvidenceLimits::default().video_bytes)]
    pub evidence_max_video_bytes: u64,
    /// Files each party may attach to one complaint.
    #[arg(long, env = "RC_EVIDENCE_FILES_PER_PARTY", default_value_t = EvidenceLimits::default().files_per_party)]
    pub evidence_files_per_party: i64,
    /// How long a direct upload's presigned PUT stays valid.
    #[arg(long, env = "RC_EVIDENCE_UPLOAD_TTL", default_value_t = EvidenceLimits::default().upload_ttl.into())]
    pub evidence_upload_ttl: humantime::Duration,
    /// How often housekeeping runs: expired direct uploads, unfinished writes,
    /// expired idempotency keys, and mail and webhooks past RC_RETENTION are removed.
    #[arg(long, env = "RC_EVIDENCE_SWEEP_INTERVAL", default_value = "10m", value_parser = humantime::parse_duration)]
    pub evidence_sweep_interval: std::time::Duration,
}

/// How mail reaches the parties and customer care.
#[derive(Debug, Clone, Args)]
pub struct MailSettings {
    /// `file:PATH` (the default: .eml files in the data directory), `smtp://host:25`,
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS) or `smtps://user:pass@host:465` (TLS).
    #[arg(long = "mail", env = "RC_MAIL", hide_env_values = true)]
    pub mail_transport: Option<String>,
    #[arg(long, env = "RC_MAIL_FROM", default_value = "Resolution Center <no-reply@resolution-center.invalid>")]
    pub mail_from: String,
    /// Customer care's mailbox, told of every escalation and failed payout.
    #[arg(long, env = "RC_STAFF_EMAIL")]
    pub staff_email: Option<String>,
    /// How long before a party's deadline it is reminded, comma-separated.
    #[arg(long, env = "RC_REMINDER_LEADS", default_value = "24h,4h", value_delimiter = ',', value_parser = humantime::parse_duration)]
    pub reminder_leads: Vec<std::time::Duration>,
    /// Wait after the first failed send; it doubles after each, up to an hour.
    #[arg(long, env = "RC_MAIL_RETRY_BASE", default_value = "10s", value_parser = humantime::parse_duration)]
    pub mail_retry_base: std::time::Duration,
    /// How long a proposal's mail waits for a newer proposal on the same
    /// complaint, which replaces it: a burst of counters mails the newest one.
    #[arg(long, env = "RC_MAIL_COLLAPSE_WINDOW", default_value = "1m", value_parser = humantime::parse_duration)]
    pub mail_collapse_window: std::time::Duration,
    /// The marketplace's page of a complaint, linked from each party's mail:
    /// an http(s) URL with `{complaint_id}` (and optionally `{order_id}`) in it.
    #[arg(long, env = "RC_COMPLAINT_URL")]
    pub complaint_url: Option<String>,
}

impl Settings {
    /// The mailer, sending to files under the data directory by default.
    pub fn mailer(&self) -> anyhow::Result<crate::notify::mail::Mailer> {
        let m = &self.mail;
        let url = m.mail_transport.clone().unwrap_or_else(|| format!("file:{}", self.data_dir.join("mail").display()));
        Ok(crate::notify::mail::Mailer {
            transport: crate::notify::mail::MailTransport::from_url(&url)?,
            from: m.mail_from.parse().context("RC_MAIL_FROM is not a mailbox")?,
            staff_mailbox: m.staff_email.clone(),
            reminder_leads: m
                .reminder_leads
                .iter()
                .map(|d| Duration::from_std(*d).context("a reminder lead is too long"))
                .collect::<anyhow::Result<_>>()?,
            retry_base: m.mail_retry_base,
            collapse_window: m.mail_collapse_window,
            reminder_page: crate::notify::mail::Mailer::REMINDER_PAGE,
            complaint_url: match &m.complaint_url {
                Some(t) => {
                    crate::notify::mail::Mailer::check_complaint_url(t)?;
                    Some(t.clone())
                }
                None => None,
            },
        })
    }
}

/// Where every event is POSTed, signed the Standard Webhooks way.
#[derive(Debug, Clone, Args)]
pub struct WebhookSettings {
    /// Receiver of every event; unset: no webhooks.
    #[arg(long, env = "RC_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// `whsec_` and the base64 of at least 24 random bytes; required with RC_WEBHOOK_URL.
    #[arg(long, env = "RC_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
    /// Wait after the first failed attempt; it doubles after each, up to an hour.
    #[arg(long, env = "RC_WEBHOOK_RETRY_BASE", default_value = "10s", value_parser = humantime::parse_duration)]
    pub webhook_retry_base: std::time::Duration,
    /// How long one attempt may take.
    #[arg(long, env = "RC_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub webhook_timeout: std::time::Duration,
}

impl WebhookSettings {
    pub fn target(&self) -> anyhow::Result<Option<crate::notify::webhooks::WebhookTarget>> {
        let Some(url) = &self.webhook_url else { return Ok(None) };
        let secret = self.webhook_secret.as_deref().context("RC_WEBHOOK_URL needs RC_WEBHOOK_SECRET (whsec_…)")?;
        crate::notify::webhooks::WebhookTarget::new(url.clone(), secret, self.webhook_retry_base, self.webhook_timeout)
            .map(Some)
    }
}

impl Settings {
    /// The evidence store URL, `fs:<data dir>/evidence` by default.
    pub fn evidence_store_url(&self) -> String {
        self.evidence
            .evidence_store
            .clone()
            .unwrap_or_else(|| format!("fs:{}", self.data_dir.join("evidence").display()))
    }

    pub fn evidence_limits(&self) -> EvidenceLimits {
        EvidenceLimits {
            file_bytes: self.evidence.evidence_max_file_bytes,
            video_bytes: self.evidence.evidence_max_video_bytes,
            files_per_party: self.evidence.evidence_files_per_party,
            upload_ttl: *self.evidence.evidence_upload_ttl,
        }
    }
}

/// The deadlines of DESIGN §5, as durations such as `48h`, `3d` or `2s`.
#[derive(Debug, Clone, Args)]
pub struct Windows {
    #[arg(long, env = "RC_SELLER_RESPONSE_WINDOW", default_value_t = window(Policy::default().seller_response))]
    pub seller_response_window: humantime::Duration,
    #[arg(long, env = "RC_BUYER_RESPONSE_WINDOW", default_value_t = window(Policy::default().buyer_response))]
    pub buyer_response_window: humantime::Duration,
    #[arg(long, env = "RC_RETURN_SHIPMENT_WINDOW", default_value_t = window(Policy::default().return_shipment))]
    pub return_shipment_window: humantime::Duration,
    #[arg(long, env = "RC_RETURN_RECEIPT_WINDOW", default_value_t = window(Policy::default().return_receipt))]
    pub return_receipt_window: humantime::Duration,
    #[arg(long, env = "RC_REPLACEMENT_SHIPMENT_WINDOW", default_value_t = window(Policy::default().replacement_shipment))]
    pub replacement_shipment_window: humantime::Duration,
    #[arg(long, env = "RC_REPLACEMENT_RECEIPT_WINDOW", default_value_t = window(Policy::default().replacement_receipt))]
    pub replacement_receipt_window: humantime::Duration,
    #[arg(long, env = "RC_ARBITRATION_TARGET", default_value_t = window(Policy::default().arbitration_target))]
    pub arbitration_target: humantime::Duration,
    /// What the seller's silence on the buyer's request means when the
    /// window passes: `escalate` to customer care, or `accept_buyer_request`.
    #[arg(long, env = "RC_SELLER_SILENCE", default_value = "escalate", value_parser = silence)]
    pub seller_silence: Expiry,
    /// Per reason, e.g. `not_received=accept_buyer_request,damaged=escalate`.
    #[arg(long, env = "RC_SELLER_SILENCE_BY_REASON", value_delimiter = ',', value_parser = silence_for_reason)]
    pub seller_silence_by_reason: Vec<(Reason, Expiry)>,
    /// The evidence a reason needs at opening, replacing its default: items
    /// joined by `+`, the kinds that meet one by `|`, e.g.
    /// `damaged=photo+packaging,top_up_shortfall=screenshot|screen_recording,wrong_item=`.
    #[arg(long, env = "RC_REQUIRED_EVIDENCE", value_delimiter = ',', value_parser = checklist_for_reason)]
    pub required_evidence: Vec<(Reason, Vec<Vec<EvidenceKind>>)>,
    /// How long the buyer has to attach it before the complaint lapses.
    #[arg(long, env = "RC_EVIDENCE_WINDOW", default_value_t = window(Policy::default().evidence_window))]
    pub evidence_window: humantime::Duration,
    /// How long from the complaint a seller has to prove an agreed top-up shortfall sent.
    #[arg(long, env = "RC_TOP_UP_PROOF_WINDOW", default_value_t = window(Policy::default().top_up_proof))]
    pub top_up_proof_window: humantime::Duration,
    /// How long a seller has to explain a listing notice before it is confirmed.
    #[arg(long, env = "RC_LISTING_NOTICE_WINDOW", default_value_t = window(Policy::default().listing_notice_window))]
    pub listing_notice_window: humantime::Duration,
}

fn checklist_for_reason(s: &str) -> Result<(Reason, Vec<Vec<EvidenceKind>>), String> {
    let (reason, items) = s.split_once('=').ok_or_else(|| format!("`{s}`: REASON=KIND|KIND+KIND"))?;
    let items = items
        .split('+')
        .filter(|i| !i.trim().is_empty())
        .map(|item| item.split('|').map(|k| k.trim().parse::<EvidenceKind>()).collect::<Result<Vec<_>, _>>())
        .collect::<Result<Vec<_>, _>>()?;
    Ok((reason.trim().parse::<Reason>()?, items))
}

fn silence(s: &str) -> Result<Expiry, String> {
    match s.parse::<Expiry>() {
        Ok(e @ (Expiry::Escalate | Expiry::AcceptBuyerRequest)) => Ok(e),
        _ => Err(format!("`{s}`: escalate or accept_buyer_request")),
    }
}

fn silence_for_reason(s: &str) -> Result<(Reason, Expiry), String> {
    let (reason, outcome) = s.split_once('=').ok_or_else(|| format!("`{s}`: REASON=OUTCOME"))?;
    Ok((reason.trim().parse::<Reason>()?, silence(outcome.trim())?))
}

impl From<&Policy> for Windows {
    fn from(p: &Policy) -> Self {
        Windows {
            seller_response_window: window(p.seller_response),
            buyer_response_window: window(p.buyer_response),
            return_shipment_window: window(p.return_shipment),
            return_receipt_window: window(p.return_receipt),
            replacement_shipment_window: window(p.replacement_shipment),
            replacement_receipt_window: window(p.replacement_receipt),
            arbitration_target: window(p.arbitration_target),
            seller_silence: p.seller_silence,
            seller_silence_by_reason: p.seller_silence_by_reason.clone(),
            // Every reason, so that the policy's own table replaces the defaults.
            required_evidence: Reason::ALL.iter().map(|r| (*r, p.checklist_for(*r))).collect(),
            evidence_window: window(p.evidence_window),
            top_up_proof_window: window(p.top_up_proof),
            listing_notice_window: window(p.listing_notice_window),
        }
    }
}

impl Windows {
    pub fn policy(&self) -> anyhow::Result<Policy> {
        let d = |w: humantime::Duration| Duration::from_std(*w).context("a deadline window is too long");
        Ok(Policy {
            seller_response: d(self.seller_response_window)?,
            buyer_response: d(self.buyer_response_window)?,
            return_shipment: d(self.return_shipment_window)?,
            return_receipt: d(self.return_receipt_window)?,
            replacement_shipment: d(self.replacement_shipment_window)?,
            replacement_receipt: d(self.replacement_receipt_window)?,
            arbitration_target: d(self.arbitration_target)?,
            seller_silence: self.seller_silence,
            seller_silence_by_reason: self.seller_silence_by_reason.clone(),
            required_evidence: {
                let mut table = crate::domain::default_required_evidence();
                for (reason, items) in &self.required_evidence {
                    table.retain(|(r, _)| r != reason);
                    table.push((*reason, items.clone()));
                }
                table
            },
            evidence_window: d(self.evidence_window)?,
            top_up_proof: d(self.top_up_proof_window)?,
            listing_notice_window: d(self.listing_notice_window)?,
        })
    }
}

/// A window of the rules as a flag's default (`2days`, `6days`, …).
fn window(d: Duration) -> humantime::Duration {
    d.to_std().expect("the rules' windows are positive").into()
}

/// How tokens are checked (and, with a secret, minted).
#[derive(Clone)]
pub enum JwtKey {
    Secret(Vec<u8>),
    PublicKeyPem(Vec<u8>),
}

/// `Settings` alone, as a command line of its own.
#[derive(clap::Parser)]
struct SettingsOnly {
    #[command(flatten)]
    settings: Settings,
}

impl Settings {
    /// The settings these flags give (and the environment, as for `serve`).
    pub fn from_args<'a>(args: impl IntoIterator<Item = &'a str>) -> anyhow::Result<Settings> {
        use clap::Parser;
        let argv = std::iter::once("resolution-center").chain(args);
        Ok(SettingsOnly::try_parse_from(argv)?.settings)
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("resolution-center.sqlite3").display()))
    }

    /// The configured key; with none configured, the secret stored in the data
    /// directory, generated on first use. Returns whether it was just generated.
    pub fn jwt_key(&self) -> anyhow::Result<(JwtKey, Option<PathBuf>)> {
        if let Some(path) = &self.jwt_public_key {
            let pem = std::fs::read(path).with_context(|| format!("reading RC_JWT_PUBLIC_KEY {}", path.display()))?;
            return Ok((JwtKey::PublicKeyPem(pem), None));
        }
        if let Some(secret) = &self.jwt_secret {
            anyhow::ensure!(secret.len() >= 32, "RC_JWT_SECRET must be at least 32 characters");
            return Ok((JwtKey::Secret(secret.as_bytes().to_vec()), None));
        }
        let path = self.data_dir.join("jwt-secret");
        match std::fs::read_to_string(&path) {
            Ok(s) => Ok((JwtKey::Secret(s.trim().as_bytes().to_vec()), None)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret = generate_secret();
                write_private(&path, &secret)?;
                Ok((JwtKey::Secret(secret.into_bytes()), Some(path)))
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
}

/// A listen address, parsed early so a typo fails at start.
#[derive(Debug, Clone, Args)]
pub struct Listen {
    #[arg(long, env = "RC_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
}

fn generate_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn write_private(path: &Path, content: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut file, content.as_bytes())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With nothing set, the service runs on the rules' own windows and caps.
    #[test]
    fn defaults_are_the_rules() {
        let settings = Settings::from_args([]).unwrap();
        assert_eq!(settings.windows.policy().unwrap(), Policy::default());
        assert_eq!(settings.evidence_limits(), EvidenceLimits::default());
    }
}
