//! Scheduled maintenance: schedule one, edit it, post an update (which may
//! move its status), delete it; and what the scheduler does on its own
//! ([`timed`]: the reminder, auto start, auto end, the next window of a
//! recurring one).

pub mod timed;

pub use timed::{advance, remind};

use chrono_tz::Tz;

use super::events::maintenance_mail::MaintenanceEvent;
use super::events::Event;
use super::{components, Actor, Context};
use crate::db::models::maintenances::{
    self, Facts, Maintenance, MaintenanceChanges, MaintenanceWithDetails, Moved, NewMaintenance,
    NewUpdate,
};
use crate::db::{DbConn, StoreError};
use crate::domain::maintenance::{standard_update_text, MaintenanceStatus, Schedule, Window};
use crate::domain::role::Permission;
use crate::domain::Invalid;
use crate::error::AppError;
use crate::render::markdown::to_safe_html;

/// Who may schedule and move maintenance.
const PERMISSION: Permission = Permission::ChangeComponentStatus;

/// Schedules a maintenance, with a first update carrying its body (or the
/// standard text), and announces it.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    new: NewMaintenance,
) -> Result<MaintenanceWithDetails, AppError> {
    actor.require(PERMISSION)?;
    let body_html = to_safe_html(new.body.as_str());
    let window = new.schedule.window;
    let first = text_or_standard(new.body.as_str(), MaintenanceStatus::Scheduled, window);
    ctx.write(actor, move |tx| {
        let id = maintenances::insert(tx.conn, tx.actor, &new, &body_html)?;
        add_update(tx.conn, id, MaintenanceStatus::Scheduled, &first, tx.actor)?;
        let created = maintenances::get(tx.conn, id)?;
        tx.record(Event::MaintenanceAnnounced {
            maintenance: &created.maintenance,
            components: &created.components,
            mail: MaintenanceEvent::Scheduled,
            window,
            next: None,
            text: &first,
        })?;
        tx.record(Event::MaintenanceCreated { id })?;
        tx.audit::<(), _>(
            "maintenance.create",
            ("maintenance", Some(id)),
            None,
            Some(&created.maintenance),
        )?;
        Ok(created)
    })
    .await
}

/// Edits a maintenance. Components added while it is under way go under
/// maintenance at once; components removed get their status back.
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    changes: MaintenanceChanges,
) -> Result<MaintenanceWithDetails, AppError> {
    actor.require(PERMISSION)?;
    let body_html = changes.body.as_ref().map(|b| to_safe_html(b.as_str()));
    ctx.write(actor, move |tx| {
        let before = maintenances::get(tx.conn, id)?;
        let facts = edited(
            &before.maintenance,
            &changes,
            body_html,
            tx.settings.time_zone,
        )?;
        maintenances::set_facts(tx.conn, id, &facts)?;
        if let Some(wanted) = &changes.components {
            let moved = maintenances::set_components(tx.conn, tx.actor, &before, wanted)?;
            components::record_changes(tx, &moved)?;
        }
        let after = maintenances::get(tx.conn, id)?;
        tx.record(Event::MaintenanceEdited { id })?;
        tx.audit(
            "maintenance.update",
            ("maintenance", Some(id)),
            Some(&before.maintenance),
            Some(&after.maintenance),
        )?;
        Ok(after)
    })
    .await
}

fn started(status: MaintenanceStatus) -> Invalid {
    Invalid::new(format!(
        "This maintenance is {}: its start, rule and components can only change while it is scheduled; its end, name and text can still change.",
        status.label().to_lowercase()
    ))
}

/// The facts `m` has after `changes`: the start, rule and components change
/// only while it is scheduled, the end until it completed, and a recurring
/// window must still fit between its occurrences.
fn edited(
    m: &Maintenance,
    changes: &MaintenanceChanges,
    body_html: Option<String>,
    zone: Tz,
) -> Result<Facts, Invalid> {
    let completed = m.status == MaintenanceStatus::Completed;
    let reschedules = changes.scheduled_for.is_some() || changes.rrule.is_some();
    if (reschedules && m.status != MaintenanceStatus::Scheduled)
        || (completed && (changes.scheduled_until.is_some() || changes.components.is_some()))
    {
        return Err(started(m.status));
    }
    let ends_at = changes.scheduled_until.unwrap_or(m.scheduled_until);
    let (window, rrule, recurrence_start) = if reschedules {
        let starts_at = changes.scheduled_for.unwrap_or(m.scheduled_for);
        let rule = changes.rrule.clone().unwrap_or_else(|| m.rrule.clone());
        let schedule = Schedule::new(starts_at, ends_at, rule.as_deref(), zone)?;
        let rule = schedule.recurrence.map(|r| r.as_str().to_string());
        let anchor = rule.as_ref().map(|_| starts_at);
        (schedule.window, rule, anchor)
    } else {
        let window = Window::new(m.scheduled_for, ends_at)?;
        if let Some(rule) = &m.rrule {
            // A new length must still fit between occurrences.
            let anchor = m.first_window().starts_at;
            Schedule::new(anchor, anchor + window.duration(), Some(rule), zone)?;
        }
        (window, m.rrule.clone(), m.recurrence_start)
    };
    Ok(Facts {
        name: changes
            .name
            .as_ref()
            .map_or_else(|| m.name.clone(), |n| n.as_str().to_string()),
        body: changes
            .body
            .as_ref()
            .map_or_else(|| m.body.clone(), |b| b.as_str().to_string()),
        body_html: body_html.unwrap_or_else(|| m.body_html.clone()),
        window,
        rrule,
        recurrence_start,
        auto_start: changes.auto_start.unwrap_or(m.auto_start),
        auto_end: changes.auto_end.unwrap_or(m.auto_end),
        notify: changes.notify.unwrap_or(m.notify),
    })
}

/// Deletes a maintenance with its updates; components under way get their
/// status back. Returns it as it was.
pub async fn delete(ctx: &Context, actor: &Actor, id: i64) -> Result<Maintenance, AppError> {
    actor.require(PERMISSION)?;
    ctx.write(actor, move |tx| {
        let (before, changes) = maintenances::delete(tx.conn, tx.actor, id)?;
        components::record_changes(tx, &changes)?;
        tx.audit::<_, ()>(
            "maintenance.delete",
            ("maintenance", Some(id)),
            Some(&before),
            None,
        )?;
        Ok(before)
    })
    .await
}

/// Posts an update and moves the maintenance to its status (components
/// follow); a start or a completion is emailed unless `update.notify` (or,
/// when left out, the maintenance) says not to.
pub async fn post_update(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    update: NewUpdate,
) -> Result<MaintenanceWithDetails, AppError> {
    actor.require(PERMISSION)?;
    ctx.write(actor, move |tx| {
        let before = maintenances::load(tx.conn, id)?;
        let status = update.status.unwrap_or(before.status);
        if status == before.status && update.body.as_str().is_empty() {
            return Err(Invalid::new(
                "Write what changed, or choose another status: an update needs one or the other.",
            )
            .into());
        }
        let text = text_or_standard(update.body.as_str(), status, before.window());
        let moved = if status == before.status {
            Moved::Stayed
        } else {
            let zone = tx.settings.time_zone;
            let (moved, changes) =
                maintenances::apply_move(tx.conn, tx.actor, &before, status, zone, tx.at)?;
            if moved == Moved::Lost {
                return Err(StoreError::Conflict(
                    "This maintenance changed while you were writing (the scheduler may have started or ended it): reload it and try again.".into(),
                )
                .into());
            }
            components::record_changes(tx, &changes)?;
            moved
        };
        add_update(tx.conn, id, status, &text, tx.actor)?;
        if let Moved::Rescheduled(next) = moved {
            add_standard_update(tx.conn, id, next, tx.actor)?;
        }
        let after = maintenances::get(tx.conn, id)?;
        if let Some(mail) = mail_of(before.status, status, moved) {
            let mut announced = before.clone();
            announced.notify = update.notify.unwrap_or(before.notify);
            tx.record(Event::MaintenanceAnnounced {
                maintenance: &announced,
                components: &after.components,
                mail,
                window: before.window(),
                next: moved.rescheduled_to(),
                text: &text,
            })?;
        }
        tx.record(Event::MaintenanceMoved {
            id,
            from: before.status,
            to: status,
        })?;
        tx.audit(
            "maintenance.post_update",
            ("maintenance", Some(id)),
            Some(&before),
            Some(&after.maintenance),
        )?;
        Ok(after)
    })
    .await
}

/// `body`, or the standard text of `status` when it is empty.
fn text_or_standard(body: &str, status: MaintenanceStatus, window: Window) -> String {
    match body {
        "" => standard_update_text(status, window),
        body => body.to_string(),
    }
}

/// Stores an update with its Markdown rendered.
fn add_update(
    conn: &mut DbConn,
    id: i64,
    status: MaintenanceStatus,
    text: &str,
    author: &str,
) -> Result<(), StoreError> {
    maintenances::add_update(conn, id, status, (text, &to_safe_html(text)), author)
}

/// The "scheduled" update of a recurring maintenance's next window.
fn add_standard_update(
    conn: &mut DbConn,
    id: i64,
    next: Window,
    author: &str,
) -> Result<(), StoreError> {
    let text = standard_update_text(MaintenanceStatus::Scheduled, next);
    add_update(conn, id, MaintenanceStatus::Scheduled, &text, author)
}

/// The email a move announces: a start (from scheduled) or a completion.
fn mail_of(
    from: MaintenanceStatus,
    to: MaintenanceStatus,
    moved: Moved,
) -> Option<MaintenanceEvent> {
    match (moved, from, to) {
        (Moved::Stayed | Moved::Lost, _, _) => None,
        (_, MaintenanceStatus::Scheduled, MaintenanceStatus::InProgress) => {
            Some(MaintenanceEvent::Started)
        }
        (_, from, MaintenanceStatus::Completed) if from != MaintenanceStatus::Completed => {
            Some(MaintenanceEvent::Completed)
        }
        _ => None,
    }
}
