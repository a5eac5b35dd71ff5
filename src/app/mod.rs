//! The application layer: one function per write use case.
//!
//! Every write a person, a script or a timer can make goes through one
//! function here (`app::incidents::post_update`, `app::components::change_status`…).
//! Each takes the [`Context`] (database, settings, templates, page
//! snapshots, clock) and the caller's identity ([`Actor`]), checks the
//! permission, runs the domain rules, opens **one** transaction
//! ([`Context::write`]) in which it calls storage functions and records the
//! effects ([`Tx::record`] → `events`: outbox rows for email and webhooks;
//! [`Tx::audit`]; the revision), and refreshes the page snapshots after the
//! commit. Handlers in `web/` only translate HTTP to these calls and back.
//!
//! See ARCHITECTURE.md for the layers and what each may import.

pub mod components;
pub mod compose;
pub mod digest;
pub mod events;
pub mod groups;
pub mod incidents;
pub mod mail;
pub mod maintenance;
pub mod reports;
pub mod roster;
pub mod scheduler;
pub mod subscribers;
pub mod templates;
pub mod webhooks;

use std::sync::Arc;

use chrono::{NaiveDateTime, SubsecRound};
use serde::Serialize;

use crate::config::Settings;
use crate::db::models::{audit, page_state, phase_templates, revision};
use crate::db::{Db, DbConn, StoreError};
use crate::domain::role::{Permission, Staff};
use crate::error::AppError;
use crate::notify::Wake;
use crate::render::snapshot::Pages;
use crate::render::Templates;
use crate::telemetry::metrics::Metrics;

/// What every use case works with: the non-HTTP part of the running service.
/// The web layer, the scheduler, the digest and the CLI all hold one.
#[derive(Clone)]
pub struct Context {
    pub settings: Arc<Settings>,
    pub db: Db,
    pub templates: Arc<Templates>,
    /// The in-memory page snapshots every read is served from.
    pub pages: Arc<Pages>,
    pub clock: Clock,
    /// Wakes this process's outbox workers when a write queued mail.
    pub wake: Wake,
    /// This instance's Prometheus metrics (`GET /metrics`).
    pub metrics: Arc<Metrics>,
}

/// Where "now" comes from: the system clock, or a fixed instant in tests.
#[derive(Debug, Clone, Copy, Default)]
pub enum Clock {
    #[default]
    System,
    Fixed(NaiveDateTime),
}

impl Clock {
    /// Now, to the microsecond: what both backends store (PostgreSQL keeps
    /// microseconds), so an instant written and read back compares equal to
    /// the one the write used.
    pub fn now(&self) -> NaiveDateTime {
        match self {
            Clock::System => crate::db::now().trunc_subsecs(6),
            Clock::Fixed(at) => *at,
        }
    }
}

/// Who asks for a write.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A signed-in person or an API token, with their role.
    Staff(Staff),
    /// The maintenance and digest timer.
    Scheduler,
    /// An operator's command on the server (`sitrep digest send`): they
    /// hold the database, so they may do what the timer may.
    CommandLine,
    /// Someone on the public pages (subscribing, confirming, unsubscribing):
    /// allowed only what a link or a public form lets anyone do.
    Public,
}

impl Actor {
    /// The name written in the audit log and on updates.
    pub fn name(&self) -> String {
        match self {
            Actor::Staff(staff) => staff.email.clone(),
            Actor::Scheduler => SCHEDULER.to_string(),
            Actor::CommandLine => COMMAND_LINE.to_string(),
            Actor::Public => "subscriber".to_string(),
        }
    }

    /// Refuses with 403 unless the caller may do `permission`; the
    /// scheduler may do what it is built to do.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        match self {
            Actor::Staff(staff) => require(staff, permission).map(|_| ()),
            Actor::Scheduler | Actor::CommandLine => Ok(()),
            Actor::Public => Err(AppError::Unauthorized),
        }
    }

    /// Whether the caller may do `permission` (to choose what to do, not to refuse).
    pub fn can(&self, permission: Permission) -> bool {
        self.require(permission).is_ok()
    }

    /// The person behind the call, if it is one.
    pub fn staff(&self) -> Option<&Staff> {
        match self {
            Actor::Staff(staff) => Some(staff),
            _ => None,
        }
    }
}

/// Refuses with 403 unless `staff`'s role allows `permission`.
pub fn require(staff: &Staff, permission: Permission) -> Result<&Staff, AppError> {
    if staff.can(permission) {
        Ok(staff)
    } else {
        Err(AppError::Forbidden(format!(
            "Your role ({}) does not allow this. Ask an administrator.",
            staff.role.label()
        )))
    }
}

/// How the audit log and the updates name the scheduler.
pub const SCHEDULER: &str = "scheduler";
/// How the audit log names an operator's command on the server.
pub const COMMAND_LINE: &str = "cli";

/// One write transaction in progress: the connection, the settings, the
/// caller's name, and what the write did (so [`Context::write`] can wake the
/// outbox and refresh the snapshots after the commit).
pub struct Tx<'a> {
    pub conn: &'a mut DbConn,
    pub settings: &'a Settings,
    pub actor: &'a str,
    pub at: NaiveDateTime,
    queued_mail: bool,
    changed_pages: bool,
}

impl Tx<'_> {
    /// Records what happened: every channel's outbox rows, in this transaction.
    pub fn record(&mut self, event: events::Event<'_>) -> Result<(), StoreError> {
        events::record(self, &event)
    }

    /// Writes one audit row for this transaction's actor.
    pub fn audit<B: Serialize, A: Serialize>(
        &mut self,
        action: &str,
        subject: (&str, Option<i64>),
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<(), StoreError> {
        audit::record(self.conn, self.actor, action, subject, before, after)
    }

    /// Notes that this write queued mail, so the sender is woken after the commit.
    pub fn queued_mail(&mut self) {
        self.queued_mail = true;
    }

    /// Notes that this write changes nothing the pages show: no revision
    /// bump, no snapshot rebuild (a subscriber's confirmation, say).
    pub fn pages_unchanged(&mut self) {
        self.changed_pages = false;
    }
}

impl Context {
    /// Connects to and migrates the database, installs the default phase
    /// templates and loads the page templates: everything a use case needs
    /// before the first snapshot is built.
    pub async fn open(settings: Arc<Settings>) -> anyhow::Result<Context> {
        use anyhow::Context as _;
        let db_settings = settings.clone();
        let db = tokio::task::spawn_blocking(move || -> anyhow::Result<Db> {
            let db = Db::connect(&db_settings.database, db_settings.db_pool_size)?;
            let applied = db.migrate()?;
            let defaults = crate::render::default_phase_texts()
                .into_iter()
                .map(|(phase, audience, body)| phase_templates::PhaseText {
                    phase,
                    audience,
                    body,
                })
                .collect();
            db.run_now(|conn| templates::ensure_default(conn, defaults))
                .map_err(|e| anyhow::anyhow!("installing the default phase templates: {e}"))?;
            if !applied.is_empty() {
                tracing::info!(migrations = ?applied, "database migrated");
            }
            Ok(db)
        })
        .await
        .context("database start-up task failed")??;
        let templates = Arc::new(Templates::load(settings.templates_dir.as_deref())?);
        Ok(Context {
            settings,
            db,
            templates,
            pages: Arc::new(Pages::default()),
            clock: Clock::System,
            wake: Wake::default(),
            metrics: Arc::new(Metrics::default()),
        })
    }

    /// Runs `f` in one write transaction as `actor`, then, after the commit,
    /// wakes the outbox workers if mail was queued and rebuilds the page
    /// snapshots if the pages may have changed. The site revision is bumped
    /// inside the transaction unless `f` said the pages did not change.
    pub async fn write<T, F>(&self, actor: &Actor, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let settings = self.settings.clone();
        let name = actor.name();
        let at = self.clock.now();
        let (value, queued_mail, changed_pages) = self
            .db
            .run_as(move |conn| {
                conn.write_transaction(|conn| {
                    let mut tx = Tx {
                        conn,
                        settings: &settings,
                        actor: &name,
                        at,
                        queued_mail: false,
                        changed_pages: true,
                    };
                    let value = f(&mut tx)?;
                    if tx.changed_pages {
                        revision::bump(tx.conn)?;
                    }
                    Ok::<_, AppError>((value, tx.queued_mail, tx.changed_pages))
                })
            })
            .await?;
        if queued_mail {
            self.wake.mail_queued();
        }
        if changed_pages {
            self.refresh_pages().await?;
        }
        Ok(value)
    }

    /// Rebuilds the page snapshots from the database; called after every
    /// committed write and by the revision poller.
    pub async fn refresh_pages(&self) -> Result<(), AppError> {
        let state = self.db.run(page_state::load).await?;
        let open = open_incidents(&state);
        let context = self.clone();
        tokio::task::spawn_blocking(move || {
            context
                .pages
                .install(&state, &context.settings, &context.templates)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::Internal)?;
        self.metrics
            .snapshot_rebuilt(open.iter().map(|(p, n)| (p.as_str(), *n)));
        Ok(())
    }

    /// Rebuilds when another instance (or a CLI command) wrote to the database.
    pub async fn refresh_if_stale(&self) -> Result<(), AppError> {
        let revision = self.db.run(revision::current).await?;
        if revision != self.pages.revision() {
            self.refresh_pages().await?;
        }
        Ok(())
    }
}

/// Unresolved incidents per priority (every priority, 0 included) in a page state.
fn open_incidents(state: &page_state::PageState) -> Vec<(crate::domain::incident::Priority, i64)> {
    crate::domain::incident::Priority::ALL
        .into_iter()
        .map(|priority| {
            let count = state
                .incidents
                .iter()
                .filter(|i| i.incident.resolved_at.is_none() && i.incident.priority == priority)
                .count();
            (priority, count as i64)
        })
        .collect()
}
