//! The outbox worker: fans subscriber notifications out into deliveries
//! (a batch of subscribers per transaction, see
//! [`subscribers::fan_out_batch`]), claims due deliveries in batches with a
//! lease, renders each one's email, sends the batch over the mailer's
//! connections, and records the outcomes in one write transaction.
//! `sitrep serve` runs it in the background (unless `SITREP_WORKER=false`):
//! one task fans out, another sends, so the first emails leave while the
//! fan-out of a large audience is still under way. `sitrep mail test` runs
//! it in the foreground.
//!
//! Several instances may run it against one PostgreSQL database: fan-out
//! steps lock the notification they work on, and claims skip rows another
//! sender holds (`FOR UPDATE SKIP LOCKED`).

mod recording;
mod render;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;

use super::email::EmailTemplates;
use super::sender::{message_domain, Mailer, OutgoingEmail, SendError, SendOutcome};
use crate::config::Settings;
use crate::db::models::{outbox, subscribers};
use crate::db::{Db, StoreError};
use crate::domain::token::random_secret;
use crate::telemetry::metrics::Metrics;
use recording::Recording;

/// How often an idle worker looks for due deliveries.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long a claim holds its deliveries by default (the setting
/// `delivery_lease_seconds` overrides it); a sender that crashed gives them
/// back when it runs out.
pub use crate::db::queue::LEASE_SECONDS;
/// Deliveries claimed per SMTP connection in one batch.
pub const PER_CONNECTION: usize = 50;

/// A claimed batch with its emails rendered.
struct Prepared {
    started: Instant,
    claimed: Vec<outbox::Delivery>,
    emails: Vec<OutgoingEmail>,
    /// Deliveries that could not be rendered.
    failures: Vec<(i64, SendError)>,
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub claimed: usize,
    pub sent: usize,
    /// Failed transiently; pending again with a later next attempt.
    pub retrying: usize,
    /// Failed for good.
    pub failed: usize,
}

/// Sends what the outbox holds.
pub struct Worker {
    db: Db,
    mailer: Arc<Mailer>,
    templates: Arc<EmailTemplates>,
    owner: String,
    batch: i64,
    lease: chrono::Duration,
    /// The first retry's wait; doubled after each further failure.
    first_backoff_seconds: i64,
    /// Subscribers walked per fan-out transaction.
    fan_out_batch: i64,
    /// The host in Message-IDs.
    message_domain: String,
    /// Base URL, page name and secret for subscriber links.
    links: super::links::LinkSettings,
    /// Permanent bounces after which a subscriber is quarantined.
    quarantine_after: i32,
    /// On SQLite, taken around this worker's writes (fan-out steps, claims,
    /// records), first come first served. SQLite has one writer at a time
    /// and its busy handler is not fair: without this, back-to-back fan-out
    /// steps kept the sender from claiming for over a second at the start
    /// of a large fan-out. PostgreSQL locks rows, so its writes overlap.
    write_turn: Option<tokio::sync::Mutex<()>>,
    /// Woken by this process's writes that queue mail.
    wake: super::Wake,
    /// Where sent and failed emails are counted (`GET /metrics`).
    metrics: Arc<Metrics>,
}

impl Worker {
    /// A worker sending through the mailer the settings name.
    pub fn new(settings: &Settings, db: Db) -> anyhow::Result<Worker> {
        let mailer = Mailer::from_settings(settings)?;
        Worker::with_mailer(settings, db, mailer)
    }

    /// A worker sending through `mailer`.
    pub fn with_mailer(settings: &Settings, db: Db, mailer: Mailer) -> anyhow::Result<Worker> {
        let templates = EmailTemplates::load(settings.templates_dir.as_deref())?;
        let owner = format!("{}-{}", std::process::id(), &random_secret("")[..12]);
        let write_turn = (db.backend() == "sqlite").then(|| tokio::sync::Mutex::new(()));
        Ok(Worker {
            db,
            mailer: Arc::new(mailer),
            templates: Arc::new(templates),
            owner,
            batch: (PER_CONNECTION * settings.smtp_connections.max(1)) as i64,
            lease: settings.delivery_lease,
            first_backoff_seconds: settings.retry_backoff_seconds,
            fan_out_batch: settings.fan_out_batch_size,
            message_domain: message_domain(settings),
            links: super::links::LinkSettings::from(settings),
            quarantine_after: settings.quarantine_after_bounces.max(1),
            write_turn,
            wake: super::Wake::default(),
            metrics: Arc::new(Metrics::default()),
        })
    }

    /// This worker, woken by the writes of the application context that
    /// holds `wake` (instead of only at its polls).
    pub fn woken_by(mut self, wake: super::Wake) -> Worker {
        self.wake = wake;
        self
    }

    /// This worker, counting what it sends in `metrics` (the service's own,
    /// instead of a private set nobody reads).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Worker {
        self.metrics = metrics;
        self
    }

    /// This worker's turn to write, on SQLite (see `write_turn`).
    async fn write_turn(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.write_turn {
            Some(turn) => Some(turn.lock().await),
            None => None,
        }
    }

    /// The name this worker's leases carry.
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Changes how many permanent bounces quarantine a subscriber.
    pub fn with_quarantine_after(mut self, bounces: i32) -> Worker {
        self.quarantine_after = bounces.max(1);
        self
    }

    pub fn mailer(&self) -> &Mailer {
        &self.mailer
    }

    /// Changes how many subscribers one fan-out transaction walks.
    pub fn with_fan_out_batch(mut self, subscribers: i64) -> Worker {
        self.fan_out_batch = subscribers.max(1);
        self
    }

    /// One fan-out step (one batch of one notification); `None` when no
    /// notification is waiting for its deliveries.
    pub async fn fan_out_once(&self) -> Result<Option<subscribers::FanOutBatch>, StoreError> {
        let (domain, batch) = (self.message_domain.clone(), self.fan_out_batch);
        let _turn = self.write_turn().await;
        self.db
            .run(move |conn| subscribers::fan_out_batch(conn, &domain, batch))
            .await
    }

    /// Fans out until every notification has all its deliveries (or another
    /// instance holds the rest); returns how many deliveries were added.
    pub async fn fan_out_pending(&self) -> Result<usize, StoreError> {
        let mut added = 0;
        while let Some(step) = self.fan_out_once().await? {
            added += step.added;
        }
        Ok(added)
    }

    /// Finishes any fan-out, then claims one batch of deliveries due at
    /// `now`, sends it and records every outcome. Tests pass a later `now`
    /// to reach retries early.
    pub async fn run_once(&self, now: NaiveDateTime) -> Result<BatchReport, StoreError> {
        self.fan_out_pending().await?;
        self.send_once(now).await
    }

    /// Claims one batch of deliveries due at `now`, sends it and records
    /// every outcome (no fan-out).
    #[tracing::instrument(skip_all, fields(owner = %self.owner))]
    pub async fn send_once(&self, now: NaiveDateTime) -> Result<BatchReport, StoreError> {
        let Some(mut batch) = self.prepare(now).await? else {
            return Ok(BatchReport::default());
        };
        let emails = std::mem::take(&mut batch.emails);
        let outcomes = self.mailer.send(emails).await;
        self.record(batch, outcomes, now).await
    }

    /// Claims the deliveries due at `now` and renders their emails; `None`
    /// when nothing is due.
    async fn prepare(&self, now: NaiveDateTime) -> Result<Option<Prepared>, StoreError> {
        self.record_and_prepare(None, now).await
    }

    /// Records the outcomes of a finished batch (if any) and claims the
    /// deliveries due at `now` in one write transaction (one commit per
    /// batch instead of two), then renders the claimed emails. The window a
    /// crash can resend stays two batches: the finished one is recorded in
    /// the same commit that claims the next.
    async fn record_and_prepare(
        &self,
        finished: Option<(Prepared, Vec<SendOutcome>)>,
        now: NaiveDateTime,
    ) -> Result<Option<Prepared>, StoreError> {
        let started = Instant::now();
        let recording = finished.map(|(batch, outcomes)| Recording::of(batch, outcomes, now));
        let rules = self.record_rules();
        let (owner, batch, lease) = (self.owner.clone(), self.batch, self.lease);
        let turn = self.write_turn().await;
        let (recording, counts, claimed) = self
            .db
            .run(move |conn| {
                let (counts, claimed) = conn.write_transaction(|conn| {
                    conn.commit_without_waiting_for_disk()?;
                    let counts = match &recording {
                        Some(recording) => Some(recording.apply(conn, rules)?),
                        None => None,
                    };
                    let claimed = outbox::claim(conn, &owner, now, batch, lease)?;
                    Ok::<_, StoreError>((counts, claimed))
                })?;
                Ok((recording, counts, claimed))
            })
            .await?;
        drop(turn);
        if let (Some(recording), Some(counts)) = (recording, counts) {
            self.count(recording.report(counts));
        }
        if claimed.is_empty() {
            return Ok(None);
        }
        self.render(started, claimed).await.map(Some)
    }

    /// Records what happened to a sent batch, in one write transaction.
    async fn record(
        &self,
        batch: Prepared,
        outcomes: Vec<SendOutcome>,
        now: NaiveDateTime,
    ) -> Result<BatchReport, StoreError> {
        let recording = Recording::of(batch, outcomes, now);
        let rules = self.record_rules();
        let _turn = self.write_turn().await;
        let (recording, counts) = self
            .db
            .run(move |conn| {
                let counts = conn.write_transaction(|conn| {
                    conn.commit_without_waiting_for_disk()?;
                    recording.apply(conn, rules)
                })?;
                Ok((recording, counts))
            })
            .await?;
        Ok(self.count(recording.report(counts)))
    }

    /// Adds a recorded batch to the metrics.
    fn count(&self, report: BatchReport) -> BatchReport {
        self.metrics
            .emails_done(report.sent, report.retrying + report.failed);
        report
    }

    /// The backoff and quarantine rules a recording applies.
    fn record_rules(&self) -> (i64, i32) {
        (self.first_backoff_seconds, self.quarantine_after)
    }

    /// Fans out for as long as the process lives: batch after batch while
    /// there is work; otherwise when this process queues mail, or every
    /// [`POLL_INTERVAL`].
    async fn fan_out_forever(self: Arc<Self>) {
        loop {
            match self.fan_out_once().await {
                Ok(Some(_)) => {
                    self.wake.deliveries_added();
                    continue;
                }
                Ok(None) => {}
                Err(err) => tracing::warn!(error = %err, "the fan-out step failed"),
            }
            self.wake.fan_out(POLL_INTERVAL).await;
        }
    }

    /// Runs the fan-out task, and sends batches for as long as the process
    /// lives: at once while there is work; otherwise when this process adds
    /// deliveries, or every [`POLL_INTERVAL`].
    ///
    /// Pipelined: the next batch is claimed and rendered (in the same
    /// transaction that records the previous one) while the current one is
    /// on the wire, so at most two claimed batches are in flight; that is
    /// what a crash can send twice.
    pub async fn run_forever(self) {
        let this = Arc::new(self);
        tokio::spawn(this.clone().fan_out_forever());
        let mut in_flight: Option<(Prepared, tokio::task::JoinHandle<Vec<SendOutcome>>)> = None;
        let mut finished: Option<(Prepared, Vec<SendOutcome>)> = None;
        loop {
            let now = crate::db::now();
            // A failure here rolls back the record too: those deliveries
            // stay leased and are sent again when the lease runs out.
            let next = match this.record_and_prepare(finished.take(), now).await {
                Ok(next) => next,
                Err(err) => {
                    tracing::warn!(error = %err, "the email sender could not record and claim a batch");
                    None
                }
            };
            // A send task that panicked leaves its deliveries leased: they
            // are claimed again when the lease runs out.
            if let Some((batch, sending)) = in_flight.take() {
                finished = Some((batch, sending.await.unwrap_or_default()));
            }
            // The next batch goes on the wire before the last one is
            // recorded, so the connections wait for neither the database
            // nor the rendering.
            if let Some(mut batch) = next {
                let emails = std::mem::take(&mut batch.emails);
                let mailer = this.mailer.clone();
                let sending = tokio::spawn(async move { mailer.send(emails).await });
                in_flight = Some((batch, sending));
            }
            if in_flight.is_none() && finished.is_none() {
                this.wake.sender(POLL_INTERVAL).await;
            }
        }
    }
}

/// Starts the background sender, unless this instance's worker is turned
/// off. Fails (so start-up fails) when the mail settings cannot work.
pub fn spawn(
    settings: &Settings,
    db: Db,
    wake: super::Wake,
    metrics: Arc<Metrics>,
) -> anyhow::Result<()> {
    if !settings.worker {
        tracing::info!("the email sender is off on this instance (SITREP_WORKER=false)");
        return Ok(());
    }
    let worker = Worker::new(settings, db)?
        .woken_by(wake)
        .with_metrics(metrics);
    tracing::info!(
        owner = %worker.owner,
        domain = %message_domain(settings),
        "the email sender is running"
    );
    // The sender gets a thread and a single-threaded runtime of its own: its
    // SMTP connections, rendering and pipelining then never hand work across
    // threads (a wake-up on another thread costs a context switch per SMTP
    // command; measured: 244 → 164 µs of CPU per email), and it leaves the
    // web workers alone. It stops when the runtime that started it ends (a
    // task there holds the other end of `stopped`).
    let (keep_alive, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _keep_alive = keep_alive;
        std::future::pending::<()>().await
    });
    std::thread::Builder::new()
        .name("sitrep-email".into())
        .spawn(move || {
            match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime.block_on(async move {
                    tokio::select! {
                        _ = worker.run_forever() => {}
                        _ = stopped => tracing::debug!("the email sender stops with its service"),
                    }
                }),
                Err(err) => {
                    tracing::error!(error = %err, "the email sender cannot start its runtime")
                }
            }
        })?;
    Ok(())
}
