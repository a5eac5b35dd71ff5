//! The `sitrep` command line.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::config::Settings;
use crate::db::models::users;
use crate::db::Db;
use crate::domain::email::EmailAddress;
use crate::domain::role::Role;
use crate::domain::text::check_password;
use crate::domain::token::{hash_password, random_secret, secret_hash};
use crate::web::Application;

#[derive(Parser)]
#[command(
    name = "sitrep",
    version,
    about = "Self-hosted status page and incident communication"
)]
pub struct Cli {
    /// TOML configuration file (default: ./sitrep.toml when present). SITREP_* variables override it.
    #[arg(long, global = true, env = "SITREP_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the status pages, the console and the APIs.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Email: send a test message through the configured relay or mail folder.
    Mail {
        #[command(subcommand)]
        command: crate::app::mail::MailCommand,
    },
    /// The continuous-improvement digest: send one period's digest by hand.
    Digest {
        #[command(subcommand)]
        command: crate::app::digest::DigestCommand,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account; the password is read from the first line of standard input.
    Add {
        #[arg(long)]
        email: String,
        /// admin, incident_manager, comms_internal, comms_external, reviewer, approver or viewer.
        #[arg(long)]
        role: String,
        /// Read the password from standard input (required: passwords never go on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token acting as the given account; prints it as the last line.
    Create {
        #[arg(long)]
        email: String,
        /// A name to recognise the token by (e.g. "deploy-bot").
        #[arg(long, default_value = "api")]
        name: String,
    },
}

/// Parses the command line and runs the command; errors are printed, not panicked.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref())?;
    crate::telemetry::init(settings.json_logs);
    match cli.command {
        Command::Mail { command } => crate::app::mail::run(settings, command),
        Command::Digest { command } => crate::app::digest::run_command(settings, command),
        Command::Serve => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            runtime.block_on(async {
                let app = Application::build(settings).await?;
                app.run_until_stopped().await.context("serving")
            })
        }
        Command::Migrate => {
            let db = open(&settings)?;
            let applied = db.migrate()?;
            println!(
                "{} migration(s) applied on {}",
                applied.len(),
                settings.database.redacted()
            );
            Ok(())
        }
        Command::User {
            command: UserCommand::Add { email, role, .. },
        } => {
            let email = EmailAddress::parse(&email)?;
            let role = Role::parse(&role)?;
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            check_password(password)?;
            let hash = hash_password(password)
                .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))?;
            let db = open(&settings)?;
            db.migrate()?;
            let staff = db.run_now(|conn| users::create(conn, &email, role, &hash))?;
            println!(
                "created {} ({}) with id {}",
                staff.email,
                staff.role.as_str(),
                staff.user_id
            );
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { email, name },
        } => {
            let db = open(&settings)?;
            db.migrate()?;
            let user = db
                .run_now(|conn| users::find_by_email(conn, &email))?
                .with_context(|| {
                    format!("there is no account for {email}: create it with `sitrep user add`")
                })?;
            let token = random_secret("sitrep_");
            db.run_now(|conn| users::create_token(conn, user.id, &name, &secret_hash(&token)))?;
            eprintln!(
                "Token {name:?} for {}; it is shown once, store it now:",
                user.email
            );
            println!("{token}");
            Ok(())
        }
    }
}

fn open(settings: &Settings) -> anyhow::Result<Db> {
    Db::connect(&settings.database, 2)
}
