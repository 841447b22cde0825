//! `resolution-center`: serve the API, run migrations, mint a local token, print the OpenAPI document.

use std::net::TcpListener;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use resolution_center::config::{JwtKey, Listen, Settings};
use resolution_center::http::{self, auth};
use resolution_center::startup::{self, Application};
use resolution_center::telemetry;
use resolution_center::telemetry::redact;

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
            let (_, applied) = startup::migrate(&settings, 1)?;
            println!("{applied} migration(s) applied to {}", redact(&settings.database_url()));
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
    let listener = TcpListener::bind(listen.listen).with_context(|| format!("binding {}", listen.listen))?;
    let workers = workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let application = Application::build(&settings, listener, workers).await?;
    for line in &application.report {
        println!("{line}");
    }
    application.run_until_stopped().await?;
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
