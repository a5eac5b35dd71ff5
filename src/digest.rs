//! Sending the digest: compose it from the store ([`compose`]), claim its
//! period and queue it in the email outbox in one write transaction
//! ([`send`]). The scheduler's timer calls [`run_due`]; `sitrep digest send`
//! and the console call [`send`] with a manual key.
//!
//! Once per period: a scheduled digest's key is its period
//! (`<from>/<to>`, RFC 3339), unique in `digests`; the runner that inserts it
//! also queues the notification, any other finds the key taken and does
//! nothing. After downtime only the most recent due period is sent, not a
//! backlog of every missed one.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDateTime};

use crate::config::Settings;
use crate::db::models::digest::{self as store, DigestClaim};
use crate::db::models::metrics::load_period;
use crate::db::models::outbox::{NewNotification, NotificationKind};
use crate::db::{Db, StoreError};
use crate::domain::digest::{build, rfc3339, Digest, DigestInput, Period, RecurrenceFact};
use crate::domain::incident::Priority;
use crate::domain::metrics::{check_sla, recurrences, IncidentMetrics};
use crate::domain::status::Audience;
use crate::notify::sender::message_domain;
use crate::web::state::AppState;

/// `created_by` of the digests the schedule sends.
pub const SCHEDULER: &str = "scheduler";

/// Loads the facts of `period` (and of `previous`, for the change) and builds the digest.
pub async fn compose(
    settings: &Settings,
    db: &Db,
    period: Period,
    previous: Period,
) -> Result<Digest, StoreError> {
    let now = crate::db::now();
    let window = settings.recurrence_window;
    let (facts, before, open_items, reports) = db
        .run(move |conn| {
            let facts = load_period(conn, period.from, period.to, window, now)?;
            let before = load_period(conn, previous.from, previous.to, Duration::zero(), now)?;
            let open = store::open_action_items(conn)?;
            let reports = store::pending_reports(conn)?;
            Ok((facts, before, open, reports))
        })
        .await?;
    let hours = &settings.support_hours;
    let metrics = |list: &[(
        crate::db::models::incidents::Incident,
        crate::domain::metrics::IncidentFacts,
    )]|
     -> Vec<IncidentMetrics> {
        list.iter().map(|(_, f)| f.metrics(hours, now)).collect()
    };
    let breaches = |list: &[(
        crate::db::models::incidents::Incident,
        crate::domain::metrics::IncidentFacts,
    )]| {
        let mut by: BTreeMap<Priority, usize> = BTreeMap::new();
        for (_, f) in list {
            for check in check_sla(f, &settings.sla_targets, hours, now) {
                if check.is_breached() {
                    *by.entry(check.priority).or_default() += 1;
                }
            }
        }
        by
    };
    let current = metrics(&facts.incidents);
    let previous_metrics = metrics(&before.incidents);
    let in_period: BTreeSet<i64> = facts.incidents.iter().map(|(i, _)| i.id).collect();
    let all: Vec<_> = facts
        .before
        .iter()
        .chain(facts.incidents.iter())
        .map(|(_, f)| f.clone())
        .collect();
    let found: Vec<RecurrenceFact> = recurrences(&all, window)
        .into_iter()
        .filter(|r| in_period.contains(&r.later_id))
        .map(|r| RecurrenceFact {
            earlier_id: r.earlier_id,
            later_id: r.later_id,
            component: facts
                .component_names
                .get(&r.component_id)
                .cloned()
                .unwrap_or_else(|| format!("component {}", r.component_id)),
        })
        .collect();
    let earlier: Vec<i64> = found
        .iter()
        .map(|r| r.earlier_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let items = db
        .run(move |conn| store::action_items_of(conn, &earlier))
        .await?;
    let mut recurrence_items: BTreeMap<i64, Vec<_>> = BTreeMap::new();
    for item in items {
        recurrence_items
            .entry(item.incident_id)
            .or_default()
            .push(item);
    }
    let names: BTreeMap<i64, String> = facts
        .before
        .iter()
        .chain(facts.incidents.iter())
        .map(|(i, _)| (i.id, i.name.clone()))
        .collect();
    let base_url = settings.url("");
    Ok(build(&DigestInput {
        page_name: &settings.page_name,
        base_url: &base_url,
        zone: settings.time_zone,
        period,
        previous,
        current: &current,
        previous_metrics: &previous_metrics,
        breaches: &breaches(&facts.incidents),
        previous_breaches: &breaches(&before.incidents),
        incident_names: &names,
        recurrences: &found,
        recurrence_items: &recurrence_items,
        open_items: &open_items,
        reports: &reports,
    }))
}

/// The outbox notification that carries a digest.
pub fn notification(digest: &Digest, key: &str) -> NewNotification {
    NewNotification {
        kind: NotificationKind::Digest,
        audience: Audience::Internal,
        subject: Some(format!("digest:{key}")),
        payload: serde_json::to_value(digest).unwrap_or_default(),
    }
}

/// Composes the digest of `period`, claims `key` and queues it to the
/// configured recipients. `Ok(None)` when the key was taken already.
pub async fn send(
    settings: &Settings,
    db: &Db,
    period: Period,
    previous: Period,
    key: String,
    created_by: &str,
) -> Result<Option<i64>, StoreError> {
    let recipients = settings.digest_recipients.clone();
    if recipients.is_empty() {
        return Err(StoreError::Invalid(crate::domain::Invalid::new(
            "no digest recipients: set digest_recipients in the configuration file or SITREP_DIGEST_RECIPIENTS=ops@example.com,lead@example.com",
        )));
    }
    let digest = compose(settings, db, period, previous).await?;
    let new = notification(&digest, &key);
    let domain = message_domain(settings);
    let created_by = created_by.to_string();
    let sent = db
        .run(move |conn| {
            store::claim_and_enqueue(
                conn,
                &DigestClaim {
                    period_key: &key,
                    from: period.from,
                    to: period.to,
                    created_by: &created_by,
                    message_domain: &domain,
                    notification: &new,
                    recipients: &recipients,
                },
            )
        })
        .await?;
    match sent {
        Some(id) => tracing::info!(
            notification = id,
            from = %rfc3339(period.from),
            to = %rfc3339(period.to),
            "digest queued"
        ),
        None => tracing::debug!("digest period already sent by another runner"),
    }
    Ok(sent)
}

/// The key of a hand-sent digest: never the same twice, so it can be repeated.
pub fn manual_key(period: Period, now: NaiveDateTime) -> String {
    format!(
        "manual:{}:{}-{}",
        period.key(),
        now.and_utc().format("%Y-%m-%dT%H:%M:%S%.6fZ"),
        &crate::domain::token::random_secret("")[..6]
    )
}

/// Sends the most recent period due at `now` unless it was sent already.
/// Returns the notification id when this call queued it. Running it again
/// in the same period, here or on another instance, does nothing.
#[tracing::instrument(skip_all, fields(now = %now))]
pub async fn run_due(state: &AppState, now: NaiveDateTime) -> Result<Option<i64>, StoreError> {
    let settings = &state.settings;
    let Some(schedule) = settings.digest_schedule.as_ref() else {
        return Ok(None);
    };
    if settings.digest_recipients.is_empty() {
        return Ok(None);
    }
    let Some((period, previous)) = schedule.due_period(now, settings.time_zone) else {
        return Ok(None);
    };
    let key = period.key();
    let probe = key.clone();
    if state
        .db
        .run(move |conn| store::exists(conn, &probe))
        .await?
    {
        return Ok(None);
    }
    send(settings, &state.db, period, previous, key, SCHEDULER).await
}

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
    use anyhow::{bail, Context};
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
        bail!("no digest recipients: set digest_recipients in the configuration file or SITREP_DIGEST_RECIPIENTS=ops@example.com,lead@example.com");
    }
    let db = Db::connect(&settings.database, 2)?;
    db.migrate()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let worker = crate::notify::worker::Worker::new(&settings, db.clone())?;
        let period = Period { from, to };
        let key = manual_key(period, crate::db::now());
        let id = send(&settings, &db, period, period.before(), key, "cli")
            .await?
            .context("the digest's key was taken (try again)")?;
        println!(
            "Queued the digest of {} to {} for {} recipient(s).",
            rfc3339(from),
            rfc3339(to),
            settings.digest_recipients.len()
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(timeout);
        loop {
            worker.run_once(crate::db::now()).await?;
            let progress = db
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
    })
}
