//! `sitrep digest send`: sends one period's digest by hand and waits for the
//! email sender to deliver it.

use std::sync::Arc;

use chrono::NaiveDateTime;

use super::super::{Actor, Context};
use super::{manual_key, queue, NO_RECIPIENTS};
use crate::config::Settings;
use crate::domain::digest::{rfc3339, Period};

/// `sitrep digest …`
#[derive(clap::Subcommand)]
pub enum DigestCommand {
    /// Send the digest of one period to the configured recipients now (it can
    /// be repeated; the schedule's own sends are not affected) and wait for
    /// the email sender to deliver it.
    Send {
        /// Start of the period: YYYY-MM-DD (midnight in the page's time zone) or RFC 3339.
        #[arg(long)]
        from: String,
        /// End of the period (excluded): YYYY-MM-DD (midnight in the page's time zone) or RFC 3339.
        #[arg(long)]
        to: String,
        /// Give up waiting for delivery after this many seconds (the email stays queued).
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
}

/// A date (local midnight in `zone`) or an RFC 3339 instant, in UTC.
pub fn parse_instant(
    name: &str,
    value: &str,
    zone: chrono_tz::Tz,
) -> Result<NaiveDateTime, String> {
    let value = value.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(value) {
        return Ok(t.naive_utc());
    }
    if let Ok(day) = chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        return Ok(crate::domain::uptime::day_start(day, zone));
    }
    Err(format!(
        "--{name} {value:?} is neither a date nor an RFC 3339 time: write 2026-11-16 or 2026-11-16T08:00:00Z"
    ))
}

/// Runs a `sitrep digest` command.
pub fn run_command(settings: Settings, command: DigestCommand) -> anyhow::Result<()> {
    use anyhow::{bail, Context as _};
    let DigestCommand::Send { from, to, timeout } = command;
    let zone = settings.time_zone;
    let from = parse_instant("from", &from, zone).map_err(anyhow::Error::msg)?;
    let to = parse_instant("to", &to, zone).map_err(anyhow::Error::msg)?;
    if from >= to {
        bail!(
            "--from ({}) must be before --to ({})",
            rfc3339(from),
            rfc3339(to)
        );
    }
    if settings.digest_recipients.is_empty() {
        bail!("{NO_RECIPIENTS}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let ctx = Context::open(Arc::new(settings)).await?;
        let period = Period { from, to };
        let key = manual_key(period, ctx.clock.now());
        let id = queue(&ctx, &Actor::CommandLine, period, period.before(), key)
            .await?
            .context("the digest's key was taken (try again)")?;
        println!(
            "Queued the digest of {} to {} for {} recipient(s).",
            rfc3339(from),
            rfc3339(to),
            ctx.settings.digest_recipients.len()
        );
        deliver(&ctx, id, timeout).await
    })
}

/// Runs the email sender until notification `id` has nothing pending, or
/// `timeout` seconds passed.
async fn deliver(ctx: &Context, id: i64, timeout: u64) -> anyhow::Result<()> {
    use anyhow::bail;
    let worker = crate::notify::worker::Worker::new(&ctx.settings, ctx.db.clone())?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout);
    loop {
        worker.run_once(ctx.clock.now()).await?;
        let progress = ctx
            .db
            .run(move |conn| crate::db::models::outbox::progress(conn, id))
            .await?;
        if progress.pending == 0 {
            println!(
                "Sent {} of {} (failed {}).",
                progress.sent,
                progress.total(),
                progress.failed + progress.quarantined
            );
            if progress.sent == 0 {
                bail!("no digest email was accepted; see /admin/notifications for the errors");
            }
            return Ok(());
        }
        if std::time::Instant::now() >= deadline {
            bail!(
                "the digest was not delivered within {timeout} s ({} of {} still pending); it stays queued and `sitrep serve` keeps retrying it",
                progress.pending,
                progress.total()
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}
