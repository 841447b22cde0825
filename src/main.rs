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
    /// Staff accounts for the console (a marketplace without single sign-on).
    Staff {
        #[command(flatten)]
        settings: Settings,
        #[command(subcommand)]
        action: StaffAction,
    },
}

#[derive(Subcommand)]
enum StaffAction {
    /// Add an account; its password is read from standard input (one line).
    Add {
        /// The agent's id, as decisions and the timeline name them.
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        /// The console's language for this agent.
        #[arg(long, default_value = "en", value_parser = ["en", "id"])]
        locale: String,
        /// The zone the console shows this agent's times in (IANA name).
        #[arg(long, default_value = "UTC")]
        time_zone: String,
    },
    /// List the accounts.
    List,
    /// Disable an account: it can no longer sign in.
    Disable { id: String },
    /// Set a new password, read from standard input (one line).
    ResetPassword { id: String },
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
        Cmd::Staff { settings, action } => staff(settings, action),
    }
}

/// One line of standard input, without its line ending.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_string();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    Ok(password)
}

/// A use case's refusal as a line for the terminal, naming the fields it refused.
fn explained(e: resolution_center::app::AppError) -> anyhow::Error {
    match e {
        resolution_center::app::AppError::Invalid(fields) => {
            let fields: Vec<String> = fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
            anyhow::anyhow!("invalid {}", fields.join("; "))
        }
        e => e.into(),
    }
}

#[actix_web::main]
async fn staff(settings: Settings, action: StaffAction) -> anyhow::Result<()> {
    telemetry::init(settings.log_format);
    let (app, _) = startup::build_app(&settings).await?;
    let show = |a: &resolution_center::app::staff::StaffAccount| {
        let state = a.disabled_at.map_or("enabled".to_string(), |at| format!("disabled {}", at.to_rfc3339()));
        format!("{}\t{}\t{}\t{}\t{}\t{}", a.id, a.name, a.email.as_deref().unwrap_or("-"), a.locale, a.time_zone, state)
    };
    match action {
        StaffAction::Add { id, name, email, locale, time_zone } => {
            let password = password_from_stdin()?;
            let new = resolution_center::app::staff::NewStaff { id, name, email, locale, time_zone };
            println!("added {}", show(&app.add_staff(new, password).await.map_err(explained)?));
        }
        StaffAction::List => {
            for a in app.list_staff().await.map_err(explained)? {
                println!("{}", show(&a));
            }
        }
        StaffAction::Disable { id } => println!("disabled {}", show(&app.disable_staff(id).await.map_err(explained)?)),
        StaffAction::ResetPassword { id } => {
            let password = password_from_stdin()?;
            println!("new password for {}", show(&app.reset_staff_password(id, password).await.map_err(explained)?));
        }
    }
    Ok(())
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
