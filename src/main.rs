//! `resolution-center`: serve the API, run migrations, mint a local token, print the OpenAPI document.

use std::net::TcpListener;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use resolution_center::app::App;
use resolution_center::config::{JwtKey, Listen, Settings};
use resolution_center::evidence::EvidenceStore;
use resolution_center::http::{self, auth};
use resolution_center::store::Db;
use resolution_center::telemetry;
use resolution_center::telemetry::redact;
use resolution_center::workers::{Intervals, Workers};

/// mimalloc: the request path allocates many small, short-lived buffers
/// (queries, JSON, headers) from several threads, where it spends less
/// time than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(version, about = "Settles disputes between buyers and sellers over escrowed marketplace orders")]
struct Cli {
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the HTTP API (the default command). Migrates the database first.
    Serve {
        #[command(flatten)]
        settings: Settings,
        #[command(flatten)]
        listen: Listen,
        /// HTTP worker threads (default: one per core).
        #[arg(long, env = "RC_HTTP_WORKERS")]
        workers: Option<usize>,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        settings: Settings,
    },
    /// Print a token signed with the configured secret, for local use.
    Token {
        #[command(flatten)]
        settings: Settings,
        /// The user, staff or service id (`sub`).
        #[arg(long)]
        sub: String,
        #[arg(long, value_enum)]
        role: Option<TokenRole>,
        /// Lifetime, e.g. `1h`, `30m`, `7d`.
        #[arg(long, default_value = "1h", value_parser = humantime::parse_duration)]
        ttl: std::time::Duration,
    },
    /// Print the OpenAPI document (YAML).
    Openapi,
}

#[derive(Clone, Copy, ValueEnum)]
enum TokenRole {
    Staff,
    Service,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let command =
        cli.command.unwrap_or_else(|| Cli::parse_from(["resolution-center", "serve"]).command.expect("serve parses"));
    match command {
        Cmd::Serve { settings, listen, workers } => serve(settings, listen, workers),
        Cmd::Migrate { settings } => {
            telemetry::init(settings.log_format);
            let db = Db::connect(&settings.database_url(), 1)?;
            let applied = db.migrate()?;
            println!("{} migration(s) applied to {}", applied.len(), redact(&settings.database_url()));
            Ok(())
        }
        Cmd::Token { settings, sub, role, ttl } => {
            let (key, _) = settings.jwt_key()?;
            let JwtKey::Secret(secret) = key else {
                anyhow::bail!("tokens are checked with RC_JWT_PUBLIC_KEY: mint them with the matching private key");
            };
            let roles = match role {
                Some(TokenRole::Staff) => vec!["staff".to_string()],
                Some(TokenRole::Service) => vec!["service".to_string()],
                None => vec![],
            };
            println!("{}", auth::mint(&secret, &sub, &roles, chrono::Duration::from_std(ttl)?)?);
            Ok(())
        }
        Cmd::Openapi => {
            print!("{}", http::openapi::yaml());
            Ok(())
        }
    }
}

#[actix_web::main]
async fn serve(settings: Settings, listen: Listen, workers: Option<usize>) -> anyhow::Result<()> {
    telemetry::init(settings.log_format);
    let url = settings.database_url();
    let db = Db::connect(&url, settings.database_pool_size).with_context(|| format!("connecting {}", redact(&url)))?;
    let applied = db.migrate()?;
    let (key, generated) = settings.jwt_key()?;
    let verifier = auth::Verifier::new(&key)?.with_max_lifetime(settings.jwt_max_lifetime);
    let e = &settings.evidence;
    let store = EvidenceStore::from_url(
        &settings.evidence_store_url(),
        e.s3_endpoint.as_deref(),
        &e.s3_region,
        e.s3_force_path_style,
    )
    .await?;
    if let Err(err) = store.ping().await {
        tracing::warn!(error = %err, "the evidence store does not answer yet; uploads fail with 503 until it does");
    }
    let mut app = App::new(db, settings.windows.policy()?, store.clone());
    app.evidence_limits = settings.evidence_limits();
    app.idempotency_lease = settings.idempotency_lease;
    app.settlement_overdue =
        chrono::Duration::from_std(settings.settlement_overdue).context("RC_SETTLEMENT_OVERDUE is out of range")?;
    let listener = TcpListener::bind(listen.listen).with_context(|| format!("binding {}", listen.listen))?;
    let workers = workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));

    println!("Resolution Center listening on http://{}", listener.local_addr()?);
    println!("  database: {} ({} migration(s) applied now)", redact(&url), applied.len());
    println!("  evidence: {}", store.describe());
    if let Some(path) = generated {
        println!("  generated a JWT secret into {}", path.display());
    }
    if let JwtKey::Secret(_) = key {
        println!("  mint a token: resolution-center token --sub buyer-1 [--role staff|service] [--ttl 1h]");
    }
    println!("  API description: http://{}/openapi.yaml", listener.local_addr()?);
    let webhook_target = settings.webhooks.target()?;
    if let Some(target) = &webhook_target {
        println!("  webhooks: every event to {}", target.url);
    }
    let mailer = settings.mailer()?;
    println!("  mail: {}", mailer.transport.describe());
    let background = settings.background_workers.then(|| {
        let intervals = Intervals {
            timers: settings.timer_interval,
            evidence_sweep: e.evidence_sweep_interval,
            webhooks: settings.timer_interval,
            webhook_target,
            mailer: Some(mailer),
        };
        Workers::start(app.clone(), intervals)
    });
    if background.is_none() {
        println!("  background workers: off (RC_WORKERS=off)");
    }
    // Runs until SIGTERM or Ctrl-C: then it stops accepting, finishes the
    // requests in flight, and the workers finish the item in hand.
    http::server(app, verifier, listener, workers)?.await?;
    if let Some(background) = background {
        background.stop().await;
    }
    tracing::info!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Flags and variables are unique, and every default parses.
    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
