//! What happens to a maintenance at a time rather than at someone's
//! request: the reminder before its window, auto start, auto end, and the
//! move of a recurring one to its next window. The scheduler
//! ([`crate::app::scheduler`]) calls these as [`Actor::Scheduler`].
//!
//! Each runs in one write transaction that re-reads the maintenance and
//! compare-and-sets it, so schedulers on several instances apply it once.

use chrono::{Duration, NaiveDateTime};

use super::{add_standard_update, add_update, mail_of, text_or_standard, PERMISSION};
use crate::app::events::maintenance_mail::MaintenanceEvent;
use crate::app::events::Event;
use crate::app::{components, Actor, Context};
use crate::db::models::maintenances::{self, Moved};
use crate::db::StoreError;
use crate::domain::maintenance::{due_move, standard_update_text, MaintenanceStatus};
use crate::error::AppError;

/// Makes every move due at `now` for one maintenance, in one write
/// transaction; returns how many moves it made (0 when another scheduler
/// got there first). A recurring one may complete, move to its next window
/// and start again in one call.
pub async fn advance(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    actor.require(PERMISSION)?;
    ctx.write(actor, move |tx| {
        let zone = tx.settings.time_zone;
        let mut moves = 0;
        for _ in 0..4 {
            let m = match maintenances::load(tx.conn, id) {
                Ok(m) => m,
                Err(StoreError::NotFound(_)) => break,
                Err(other) => return Err(other.into()),
            };
            let Some(next) = due_move(m.status, m.window(), m.auto_start, m.auto_end, now) else {
                break;
            };
            let (moved, changes) =
                maintenances::apply_move(tx.conn, tx.actor, &m, next, zone, now)?;
            if moved == Moved::Lost {
                break;
            }
            components::record_changes(tx, &changes)?;
            let text = standard_update_text(next, m.window());
            add_update(tx.conn, id, next, &text, tx.actor)?;
            if let Some(mail) = mail_of(m.status, next, moved) {
                let linked = maintenances::get(tx.conn, id)?.components;
                tx.record(Event::MaintenanceAnnounced {
                    maintenance: &m,
                    components: &linked,
                    mail,
                    window: m.window(),
                    next: moved.rescheduled_to(),
                    text: &text,
                })?;
            }
            if let Moved::Rescheduled(window) = moved {
                add_standard_update(tx.conn, id, window, tx.actor)?;
            }
            let after = maintenances::load(tx.conn, id)?;
            tx.record(Event::MaintenanceMoved {
                id,
                from: m.status,
                to: next,
            })?;
            tx.audit(
                "maintenance.status",
                ("maintenance", Some(id)),
                Some(&m),
                Some(&after),
            )?;
            moves += 1;
        }
        if moves == 0 {
            tx.pages_unchanged();
        }
        Ok(moves)
    })
    .await
}

/// Sends the reminder of one maintenance's current window if it is due at
/// `now`, recording it with a compare-and-set on the window in the same
/// write transaction, so schedulers racing send it once. A maintenance
/// scheduled less than `lead` before its first window gets no reminder (its
/// "scheduled" email just went out); that is recorded too. Returns whether
/// a reminder was queued.
pub async fn remind(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
    lead: Duration,
) -> Result<bool, AppError> {
    actor.require(PERMISSION)?;
    ctx.write(actor, move |tx| {
        tx.pages_unchanged();
        let d = match maintenances::get(tx.conn, id) {
            Ok(d) => d,
            Err(StoreError::NotFound(_)) => return Ok(false),
            Err(other) => return Err(other.into()),
        };
        let m = &d.maintenance;
        let due = m.status == MaintenanceStatus::Scheduled
            && m.notify
            && m.scheduled_for > now
            && m.scheduled_for <= now + lead
            && m.reminded_for != Some(m.scheduled_for);
        if !due || !maintenances::claim_reminder(tx.conn, m)? {
            return Ok(false);
        }
        let first = m.recurrence_start.unwrap_or(m.scheduled_for) == m.scheduled_for;
        if first && m.created_at + lead > m.scheduled_for {
            return Ok(false);
        }
        let text = text_or_standard(&m.body, MaintenanceStatus::Scheduled, m.window());
        tx.record(Event::MaintenanceAnnounced {
            maintenance: m,
            components: &d.components,
            mail: MaintenanceEvent::Reminder,
            window: m.window(),
            next: None,
            text: &text,
        })?;
        Ok(true)
    })
    .await
}
