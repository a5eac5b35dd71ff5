//! The maintenance scheduler: reminds subscribers of windows that start
//! within `maintenance_reminder`, starts maintenances whose window opened
//! (auto start) and completes those whose window closed (auto end), moving a
//! recurring one on to its next window. A timer calls [`run_due`] every
//! `SITREP_SCHEDULER_INTERVAL_MS`; tests call it with chosen times. The same
//! tick sends the continuous-improvement digest when its period is due
//! ([`crate::app::digest::run_due`]).
//!
//! Each maintenance moves in its own write transaction that re-reads it and
//! compare-and-sets its status, so schedulers on several instances never
//! apply a move twice.

use chrono::NaiveDateTime;

use crate::db::models::maintenances;
use crate::error::AppError;
use crate::web::state::AppState;

/// How the audit log and the updates name the scheduler.
pub const ACTOR: &str = "scheduler";

/// Queues the reminders due at `now`, makes every move due at `now` and
/// refreshes the pages if anything moved; returns the number of moves
/// (reminders are not counted). Running it again at the same time does nothing.
#[tracing::instrument(skip_all, fields(now = %now))]
pub async fn run_due(state: &AppState, now: NaiveDateTime) -> Result<usize, AppError> {
    let zone = state.settings.time_zone;
    let lead = state.settings.maintenance_reminder;
    let (moves, failure) = state
        .db
        .run(move |conn| {
            let mut moves = 0;
            let mut failure = None;
            if let Some(lead) = lead {
                for id in maintenances::due_reminders(conn, now, lead)? {
                    match maintenances::remind(conn, id, now, lead) {
                        Ok(true) => tracing::info!(maintenance = id, "maintenance reminder queued"),
                        Ok(false) => {}
                        Err(err) => {
                            tracing::error!(maintenance = id, error = %err, "could not queue a maintenance reminder");
                            failure.get_or_insert(err);
                        }
                    }
                }
            }
            for id in maintenances::due(conn, now)? {
                match maintenances::advance(conn, ACTOR, id, now, zone) {
                    Ok(n) => moves += n,
                    Err(err) => {
                        tracing::error!(maintenance = id, error = %err, "could not move a maintenance");
                        failure.get_or_insert(err);
                    }
                }
            }
            Ok((moves, failure))
        })
        .await?;
    if moves > 0 {
        tracing::info!(moves, "maintenance windows started or ended");
        state.refresh_pages().await?;
    }
    match failure {
        Some(err) => Err(err.into()),
        None => Ok(moves),
    }
}

/// Starts the timer, unless this instance's scheduler is turned off.
pub fn spawn(state: AppState) {
    if !state.settings.scheduler {
        tracing::info!(
            "the maintenance scheduler is off on this instance (SITREP_SCHEDULER=false)"
        );
        return;
    }
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(state.settings.scheduler_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let now = crate::db::now();
            if let Err(err) = run_due(&state, now).await {
                tracing::warn!(error = ?err, "the maintenance scheduler could not run");
            }
            if let Err(err) = crate::app::digest::run_due(&state, now).await {
                tracing::warn!(error = %err, "the digest could not be sent");
            }
        }
    });
}
