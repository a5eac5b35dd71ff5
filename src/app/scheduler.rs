//! The maintenance scheduler: reminds subscribers of windows that start
//! within `maintenance_reminder`, starts maintenances whose window opened
//! (auto start) and completes those whose window closed (auto end), moving a
//! recurring one on to its next window. A timer calls [`run_due`] every
//! `SITREP_SCHEDULER_INTERVAL_MS`; tests call it with chosen times. The same
//! tick sends the continuous-improvement digest when its period is due
//! ([`super::digest::run_due`]).
//!
//! Each maintenance moves in its own write transaction that re-reads it and
//! compare-and-sets its status (see [`super::maintenance::timed`]), so
//! schedulers on several instances never apply a move twice.

use chrono::NaiveDateTime;

use super::{maintenance, Actor, Context};
use crate::db::models::maintenances;
use crate::error::AppError;

/// Queues the reminders due at `now` and makes every move due at `now`
/// (each use case refreshes the pages when it moved something); returns
/// the number of moves (reminders are not counted). Running it again at the
/// same time does nothing.
#[tracing::instrument(skip_all, fields(now = %now))]
pub async fn run_due(ctx: &Context, now: NaiveDateTime) -> Result<usize, AppError> {
    let actor = Actor::Scheduler;
    let mut failure = None;
    if let Some(lead) = ctx.settings.maintenance_reminder {
        let due = ctx
            .db
            .run(move |conn| maintenances::due_reminders(conn, now, lead))
            .await?;
        for id in due {
            match maintenance::remind(ctx, &actor, id, now, lead).await {
                Ok(true) => tracing::info!(maintenance = id, "maintenance reminder queued"),
                Ok(false) => {}
                Err(err) => {
                    tracing::error!(maintenance = id, error = ?err, "could not queue a maintenance reminder");
                    failure.get_or_insert(err);
                }
            }
        }
    }
    let due = ctx.db.run(move |conn| maintenances::due(conn, now)).await?;
    let mut moves = 0;
    for id in due {
        match maintenance::advance(ctx, &actor, id, now).await {
            Ok(n) => moves += n,
            Err(err) => {
                tracing::error!(maintenance = id, error = ?err, "could not move a maintenance");
                failure.get_or_insert(err);
            }
        }
    }
    if moves > 0 {
        tracing::info!(moves, "maintenance windows started or ended");
    }
    match failure {
        Some(err) => Err(err),
        None => Ok(moves),
    }
}

/// Starts the timer, unless this instance's scheduler is turned off.
pub fn spawn(ctx: Context) {
    if !ctx.settings.scheduler {
        tracing::info!(
            "the maintenance scheduler is off on this instance (SITREP_SCHEDULER=false)"
        );
        return;
    }
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(ctx.settings.scheduler_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let now = ctx.clock.now();
            if let Err(err) = run_due(&ctx, now).await {
                tracing::warn!(error = ?err, "the maintenance scheduler could not run");
            }
            if let Err(err) = super::digest::run_due(&ctx, now).await {
                tracing::warn!(error = %err, "the digest could not be sent");
            }
        }
    });
}
