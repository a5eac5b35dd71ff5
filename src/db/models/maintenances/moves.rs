//! Status moves: the compare-and-set on a maintenance, and what a move does
//! to its components (under maintenance, then their status back). Returns
//! the component changes for the caller to record.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::prelude::*;

use super::queries::{component_ids, others_under_way};
use super::Maintenance;
use crate::db::models::components::{self, Change};
use crate::db::schema::{maintenance_components, maintenances};
use crate::db::{now, DbConn, StoreError};
use crate::domain::maintenance::{ComponentEffect, MaintenanceStatus, Window};
use crate::domain::status::ComponentStatus;
use crate::on_backend;

/// The outcome of a compare-and-set move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moved {
    /// The status stayed (a note only).
    Stayed,
    /// Moved to the status asked for.
    Done,
    /// Completed, and a recurring maintenance went on to this next window.
    Rescheduled(Window),
    /// Someone else moved it first: nothing was written.
    Lost,
}

impl Moved {
    /// The next window a completed recurring maintenance went on to.
    pub fn rescheduled_to(self) -> Option<Window> {
        match self {
            Moved::Rescheduled(next) => Some(next),
            _ => None,
        }
    }
}

/// Moves `m` (as read) to `next` if it is still as read, then applies what
/// the move does to its components; returns the outcome and the component
/// changes it made.
pub fn apply_move(
    conn: &mut DbConn,
    actor: &str,
    m: &Maintenance,
    next: MaintenanceStatus,
    zone: Tz,
    at: NaiveDateTime,
) -> Result<(Moved, Vec<Change>), StoreError> {
    let effect = m.status.move_to(next)?;
    let following = match (next, m.recurrence()) {
        (MaintenanceStatus::Completed, Some(rule)) => {
            rule.next_after(m.first_window(), zone, m.scheduled_for, at)
        }
        _ => None,
    };
    let (status, window, started_at, completed_at) = match following {
        Some(w) => (MaintenanceStatus::Scheduled, w, None, None),
        None => (
            next,
            m.window(),
            match next {
                MaintenanceStatus::InProgress => m.started_at.or(Some(at)),
                MaintenanceStatus::Scheduled => None,
                _ => m.started_at,
            },
            (next == MaintenanceStatus::Completed).then_some(at),
        ),
    };
    let changed = on_backend!(conn, |c| diesel::update(
        maintenances::table
            .filter(maintenances::id.eq(m.id))
            .filter(maintenances::status.eq(m.status.as_str()))
            .filter(maintenances::scheduled_for.eq(m.scheduled_for))
    )
    .set((
        maintenances::status.eq(status.as_str()),
        maintenances::scheduled_for.eq(window.starts_at),
        maintenances::scheduled_until.eq(window.ends_at),
        maintenances::started_at.eq(started_at),
        maintenances::completed_at.eq(completed_at),
        maintenances::updated_at.eq(now()),
    ))
    .execute(c))?;
    if changed == 0 {
        return Ok((Moved::Lost, Vec::new()));
    }
    let ids = component_ids(conn, m.id)?;
    let mut changes = Vec::new();
    match effect {
        ComponentEffect::PutUnderMaintenance => {
            for component in ids {
                changes.extend(start_component(conn, actor, m.id, component)?);
            }
        }
        ComponentEffect::Restore => {
            for component in ids {
                changes.extend(restore_component(conn, actor, m.id, component)?);
            }
        }
        ComponentEffect::Keep => {}
    }
    let moved = match following {
        Some(w) => Moved::Rescheduled(w),
        None => Moved::Done,
    };
    Ok((moved, changes))
}

fn set_previous(
    conn: &mut DbConn,
    maintenance: i64,
    component: i64,
    previous: Option<&str>,
) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::update(
        maintenance_components::table.find((maintenance, component))
    )
    .set(maintenance_components::previous_status.eq(previous))
    .execute(c))?;
    Ok(())
}

/// Puts one component under maintenance, remembering the status to give back.
/// If another maintenance already holds it, that one's remembered status is
/// the one to give back.
pub fn start_component(
    conn: &mut DbConn,
    actor: &str,
    maintenance: i64,
    component: i64,
) -> Result<Option<Change>, StoreError> {
    let current = components::get(conn, component)?;
    let previous = if current.status == ComponentStatus::UnderMaintenance {
        others_under_way(conn, maintenance, component)?
            .into_iter()
            .find_map(|(_, p)| p)
            .unwrap_or_else(|| current.status.as_str().to_string())
    } else {
        current.status.as_str().to_string()
    };
    set_previous(conn, maintenance, component, Some(&previous))?;
    components::set_status_in_tx(
        conn,
        actor,
        component,
        ComponentStatus::UnderMaintenance,
        None,
    )
}

/// Gives one component back the status it had before the maintenance —
/// unless another maintenance still holds it (which then inherits the status
/// to give back), or someone changed it by hand during the window.
pub fn restore_component(
    conn: &mut DbConn,
    actor: &str,
    maintenance: i64,
    component: i64,
) -> Result<Option<Change>, StoreError> {
    let previous: Option<String> = on_backend!(conn, |c| maintenance_components::table
        .select(maintenance_components::previous_status)
        .find((maintenance, component))
        .first::<Option<String>>(c)
        .optional())?
    .flatten();
    set_previous(conn, maintenance, component, None)?;
    let others = others_under_way(conn, maintenance, component)?;
    if !others.is_empty() {
        for (other, theirs) in others {
            let unknown = theirs
                .as_deref()
                .is_none_or(|s| s == ComponentStatus::UnderMaintenance.as_str());
            if unknown && previous.is_some() {
                set_previous(conn, other, component, previous.as_deref())?;
            }
        }
        return Ok(None);
    }
    let current = components::get(conn, component)?;
    if current.status != ComponentStatus::UnderMaintenance {
        return Ok(None);
    }
    let back = previous
        .as_deref()
        .map(ComponentStatus::parse)
        .transpose()?
        .unwrap_or(ComponentStatus::Operational);
    components::set_status_in_tx(conn, actor, component, back, None)
}
