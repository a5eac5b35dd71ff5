//! Writing maintenances: insert, edit, components, delete, the reminder's
//! claim. The caller holds the write transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::moves::{restore_component, start_component};
use super::{get, Maintenance, MaintenanceWithDetails, NewMaintenance};
use crate::db::models::components::{self, Change};
use crate::db::schema::{maintenance_components, maintenance_updates, maintenances};
use crate::db::{now, DbConn, StoreError};
use crate::domain::maintenance::{MaintenanceStatus, Window};
use crate::domain::Invalid;
use crate::on_backend;

fn unknown_component(id: i64) -> StoreError {
    StoreError::Invalid(Invalid::new(format!(
        "There is no component with id {id}: choose components that exist (GET /api/v1/components lists them)."
    )))
}

fn check_components(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<i64>, StoreError> {
    let mut unique = Vec::with_capacity(ids.len());
    for &id in ids {
        components::get(conn, id).map_err(|_| unknown_component(id))?;
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    Ok(unique)
}

/// Adds an update: `body` is Markdown, `html` its sanitised rendering.
pub fn add_update(
    conn: &mut DbConn,
    maintenance: i64,
    status: MaintenanceStatus,
    (body, html): (&str, &str),
    author: &str,
) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::insert_into(maintenance_updates::table)
        .values((
            maintenance_updates::maintenance_id.eq(maintenance),
            maintenance_updates::status.eq(status.as_str()),
            maintenance_updates::body.eq(body),
            maintenance_updates::body_html.eq(html),
            maintenance_updates::author.eq(author),
            maintenance_updates::created_at.eq(now()),
        ))
        .execute(c))?;
    Ok(())
}

fn link_components(conn: &mut DbConn, maintenance: i64, ids: &[i64]) -> Result<(), StoreError> {
    for &component in ids {
        on_backend!(conn, |c| diesel::insert_into(maintenance_components::table)
            .values((
                maintenance_components::maintenance_id.eq(maintenance),
                maintenance_components::component_id.eq(component),
            ))
            .execute(c))?;
    }
    Ok(())
}

/// Inserts a scheduled maintenance (without updates) and links its
/// components, which must exist; `body_html` is its rendered body. Returns its id.
pub fn insert(
    conn: &mut DbConn,
    actor: &str,
    new: &NewMaintenance,
    body_html: &str,
) -> Result<i64, StoreError> {
    let linked = check_components(conn, &new.components)?;
    let at = now();
    let window = new.schedule.window;
    let rule = new
        .schedule
        .recurrence
        .as_ref()
        .map(|r| r.as_str().to_string());
    let id = on_backend!(conn, |c| diesel::insert_into(maintenances::table)
        .values((
            maintenances::name.eq(new.name.as_str()),
            maintenances::body.eq(new.body.as_str()),
            maintenances::body_html.eq(body_html),
            maintenances::status.eq(MaintenanceStatus::Scheduled.as_str()),
            maintenances::scheduled_for.eq(window.starts_at),
            maintenances::scheduled_until.eq(window.ends_at),
            maintenances::rrule.eq(&rule),
            maintenances::recurrence_start.eq(rule.as_ref().map(|_| window.starts_at)),
            maintenances::auto_start.eq(new.auto_start),
            maintenances::auto_end.eq(new.auto_end),
            maintenances::notify.eq(new.notify),
            maintenances::created_by.eq(actor),
            maintenances::created_at.eq(at),
            maintenances::updated_at.eq(at),
        ))
        .returning(maintenances::id)
        .get_result::<i64>(c))?;
    link_components(conn, id, &linked)?;
    Ok(id)
}

/// A maintenance's facts as they are to be stored (already checked).
#[derive(Debug, Clone)]
pub struct Facts {
    pub name: String,
    pub body: String,
    pub body_html: String,
    pub window: Window,
    pub rrule: Option<String>,
    pub recurrence_start: Option<NaiveDateTime>,
    pub auto_start: bool,
    pub auto_end: bool,
    pub notify: bool,
}

/// Overwrites a maintenance's facts.
pub fn set_facts(conn: &mut DbConn, id: i64, facts: &Facts) -> Result<(), StoreError> {
    on_backend!(conn, |c| diesel::update(maintenances::table.find(id))
        .set((
            maintenances::name.eq(&facts.name),
            maintenances::body.eq(&facts.body),
            maintenances::body_html.eq(&facts.body_html),
            maintenances::scheduled_for.eq(facts.window.starts_at),
            maintenances::scheduled_until.eq(facts.window.ends_at),
            maintenances::rrule.eq(&facts.rrule),
            maintenances::recurrence_start.eq(facts.recurrence_start),
            maintenances::auto_start.eq(facts.auto_start),
            maintenances::auto_end.eq(facts.auto_end),
            maintenances::notify.eq(facts.notify),
            maintenances::updated_at.eq(now()),
        ))
        .execute(c))?;
    Ok(())
}

/// Makes `wanted` (which must exist) the components of `current`. While it
/// is under way, components added go under maintenance at once and those
/// removed get their status back; returns those component changes.
pub fn set_components(
    conn: &mut DbConn,
    actor: &str,
    current: &MaintenanceWithDetails,
    wanted: &[i64],
) -> Result<Vec<Change>, StoreError> {
    let id = current.maintenance.id;
    let active = current.maintenance.status.is_active();
    let wanted = check_components(conn, wanted)?;
    let linked: Vec<i64> = current.components.iter().map(|c| c.id).collect();
    let mut changes = Vec::new();
    for &removed in linked.iter().filter(|c| !wanted.contains(c)) {
        if active {
            changes.extend(restore_component(conn, actor, id, removed)?);
        }
        on_backend!(conn, |c| diesel::delete(
            maintenance_components::table.find((id, removed))
        )
        .execute(c))?;
    }
    let added: Vec<i64> = wanted.into_iter().filter(|c| !linked.contains(c)).collect();
    link_components(conn, id, &added)?;
    if active {
        for &component in &added {
            changes.extend(start_component(conn, actor, id, component)?);
        }
    }
    Ok(changes)
}

/// Deletes a maintenance with its updates; components under way get their
/// status back. Returns it as it was and those component changes.
pub fn delete(
    conn: &mut DbConn,
    actor: &str,
    id: i64,
) -> Result<(Maintenance, Vec<Change>), StoreError> {
    let before = get(conn, id)?;
    let mut changes = Vec::new();
    if before.maintenance.status.is_active() {
        for component in &before.components {
            changes.extend(restore_component(conn, actor, id, component.id)?);
        }
    }
    on_backend!(conn, |c| {
        diesel::delete(
            maintenance_updates::table.filter(maintenance_updates::maintenance_id.eq(id)),
        )
        .execute(c)?;
        diesel::delete(
            maintenance_components::table.filter(maintenance_components::maintenance_id.eq(id)),
        )
        .execute(c)?;
        diesel::delete(maintenances::table.find(id)).execute(c)
    })?;
    Ok((before.maintenance, changes))
}

/// Records that the reminder of `m`'s current window is sent, if `m` is
/// still scheduled for that window and no reminder of it is recorded (a
/// compare-and-set: of racing schedulers, one claims it). Returns whether
/// this call claimed it.
pub fn claim_reminder(conn: &mut DbConn, m: &Maintenance) -> Result<bool, StoreError> {
    let claimed = on_backend!(conn, |c| diesel::update(
        maintenances::table
            .filter(maintenances::id.eq(m.id))
            .filter(maintenances::status.eq(MaintenanceStatus::Scheduled.as_str()))
            .filter(maintenances::scheduled_for.eq(m.scheduled_for))
            .filter(
                maintenances::reminded_for
                    .is_null()
                    .or(maintenances::reminded_for
                        .ne(m.scheduled_for)
                        .assume_not_null()),
            )
    )
    .set(maintenances::reminded_for.eq(Some(m.scheduled_for)))
    .execute(c))?;
    Ok(claimed > 0)
}
