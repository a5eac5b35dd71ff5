//! `sitrep mail …`: proves the whole email path from the command line. The
//! test email is queued like every email (through `events::mail_to`, as the
//! operator on the server), then sent by a worker of this process.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Subcommand;

use std::sync::Arc;

use super::{events, Actor, Context as AppContext};
use crate::config::Settings;
use crate::db::models::outbox::{self, DeliveryStatus, NewNotification, NotificationKind};
use crate::domain::email::EmailAddress;
use crate::domain::status::Audience;
use crate::notify::sender::Mailer;
use crate::notify::worker::Worker;

#[derive(Subcommand)]
pub enum MailCommand {
    /// Queue a test email to ADDRESS and send it through the configured relay
    /// (SITREP_SMTP_URL) or into the mail folder, waiting for the outcome.
    Test {
        #[arg(long, value_name = "ADDRESS")]
        to: String,
        /// Give up waiting after this many seconds (the email stays queued).
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Benchmark: send COUNT test emails to distinct addresses; prints emails/s.
    #[command(hide = true)]
    Bench {
        #[arg(long, default_value_t = 2000)]
        count: usize,
        /// Leave TCP_NODELAY off on SMTP connections (for comparison).
        #[arg(long)]
        no_nodelay: bool,
    },
}

/// Runs a `sitrep mail` command.
pub fn run(settings: Settings, command: MailCommand) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let ctx = AppContext::open(Arc::new(settings)).await?;
        match command {
            MailCommand::Test { to, timeout } => {
                send_test(&ctx, &to, Duration::from_secs(timeout)).await
            }
            MailCommand::Bench { count, no_nodelay } => bench(&ctx, count, no_nodelay).await,
        }
    })
}

/// Queues `new` to `recipients` as the operator; returns the notification's id.
async fn queue(
    ctx: &AppContext,
    new: NewNotification,
    recipients: Vec<EmailAddress>,
) -> anyhow::Result<i64> {
    Ok(ctx
        .write(&Actor::CommandLine, move |tx| {
            tx.pages_unchanged();
            Ok(events::mail_to(tx, &new, &recipients)?)
        })
        .await?)
}

fn test_notification(settings: &Settings) -> NewNotification {
    let requested_at = chrono::Utc::now()
        .with_timezone(&settings.time_zone)
        .format("%-d %b %Y %H:%M %Z")
        .to_string();
    NewNotification {
        kind: NotificationKind::Test,
        audience: Audience::Internal,
        subject: None,
        payload: serde_json::json!({
            "page_name": settings.page_name,
            "page_url": settings.url("/"),
            "requested_at": requested_at,
        }),
    }
}

async fn send_test(ctx: &AppContext, to: &str, timeout: Duration) -> anyhow::Result<()> {
    let to = EmailAddress::parse(to)?;
    let (settings, db) = (&ctx.settings, &ctx.db);
    let worker = Worker::new(settings, db.clone())?;
    let notification_id = queue(ctx, test_notification(settings), vec![to.clone()]).await?;
    let deadline = Instant::now() + timeout;
    let mut attempts_seen = 0;
    loop {
        worker.run_once(ctx.clock.now()).await?;
        let delivery = db
            .run(move |conn| outbox::deliveries_of(conn, notification_id))
            .await?
            .into_iter()
            .next()
            .context("the test delivery vanished from the outbox")?;
        let last_error = delivery.last_error.clone().unwrap_or_default();
        match DeliveryStatus::parse(&delivery.status)? {
            DeliveryStatus::Sent => {
                let destination = worker.mailer().destination(&delivery.message_id);
                match worker.mailer() {
                    Mailer::Smtp(_) => println!(
                        "Sent the test email to {} through {destination} (Message-ID {}).",
                        to.as_str(),
                        delivery.message_id
                    ),
                    Mailer::Files(_) => println!(
                        "Wrote the test email to {} as {destination} (no SITREP_SMTP_URL: mail goes to files).",
                        to.as_str()
                    ),
                }
                return Ok(());
            }
            DeliveryStatus::Failed | DeliveryStatus::Quarantined => bail!(
                "the test email to {} was refused for good by {}: {last_error}",
                to.as_str(),
                worker.mailer().destination(&delivery.message_id)
            ),
            DeliveryStatus::Pending => {
                if delivery.attempts > attempts_seen {
                    attempts_seen = delivery.attempts;
                    eprintln!(
                        "Attempt {attempts_seen} failed, next try at {} UTC: {last_error}",
                        delivery.next_attempt_at.format("%H:%M:%S")
                    );
                }
            }
        }
        if Instant::now() >= deadline {
            bail!(
                "the test email to {} was not delivered within {} s (last error: {}); it stays queued and `sitrep serve` keeps retrying it",
                to.as_str(),
                timeout.as_secs(),
                if last_error.is_empty() { "none" } else { &last_error }
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn bench(ctx: &AppContext, count: usize, no_nodelay: bool) -> anyhow::Result<()> {
    let (settings, db) = (&ctx.settings, &ctx.db);
    let mailer = match Mailer::from_settings(settings)? {
        Mailer::Smtp(smtp) if no_nodelay => Mailer::Smtp(smtp.without_nodelay()),
        other => other,
    };
    let worker = Worker::with_mailer(settings, db.clone(), mailer)?;
    let recipients = (0..count)
        .map(|i| EmailAddress::parse(&format!("bench-{i}@example.com")))
        .collect::<Result<Vec<_>, _>>()?;
    let queued = Instant::now();
    let notification_id = queue(ctx, test_notification(settings), recipients).await?;
    let enqueue_seconds = queued.elapsed().as_secs_f64();
    let started = Instant::now();
    loop {
        let report = worker.run_once(ctx.clock.now()).await?;
        if report.claimed == 0 {
            let progress = db
                .run(move |conn| outbox::progress(conn, notification_id))
                .await?;
            if progress.pending == 0 {
                let seconds = started.elapsed().as_secs_f64();
                println!(
                    "enqueued {count} in {enqueue_seconds:.2} s; sent {} (failed {}) in {seconds:.2} s over {} connection(s), TCP_NODELAY {}",
                    progress.sent,
                    progress.failed,
                    settings.smtp_connections,
                    if no_nodelay { "off" } else { "on" }
                );
                println!("emails_per_second={:.0}", progress.sent as f64 / seconds);
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}
