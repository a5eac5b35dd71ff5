//! Reading maintenances: one, all, the page's, and what the scheduler has to do.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{Maintenance, MaintenanceUpdate, MaintenanceWithDetails, Row, UpdateRow, RECENT_DAYS};
use crate::db::models::components;
use crate::db::schema::{maintenance_components, maintenance_updates, maintenances};
use crate::db::{now, DbConn, StoreError};
use crate::domain::maintenance::MaintenanceStatus;
use crate::on_backend;

/// One maintenance without its details.
pub fn load(conn: &mut DbConn, id: i64) -> Result<Maintenance, StoreError> {
    let row = on_backend!(conn, |c| maintenances::table
        .select(Row::as_select())
        .find(id)
        .first(c)
        .optional())?;
    row.ok_or_else(|| StoreError::not_found(format!("There is no maintenance with id {id}.")))?
        .try_into()
}

/// Attaches components and updates to each maintenance, in two queries.
fn with_details(
    conn: &mut DbConn,
    list: Vec<Maintenance>,
) -> Result<Vec<MaintenanceWithDetails>, StoreError> {
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = list.iter().map(|m| m.id).collect();
    let links: Vec<(i64, i64)> = on_backend!(conn, |c| maintenance_components::table
        .select((
            maintenance_components::maintenance_id,
            maintenance_components::component_id,
        ))
        .filter(maintenance_components::maintenance_id.eq_any(&ids))
        .load(c))?;
    let all_components = components::list(conn)?;
    let rows: Vec<UpdateRow> = on_backend!(conn, |c| maintenance_updates::table
        .select(UpdateRow::as_select())
        .filter(maintenance_updates::maintenance_id.eq_any(&ids))
        .order((
            maintenance_updates::created_at.desc(),
            maintenance_updates::id.desc(),
        ))
        .load(c))?;
    let updates = rows
        .into_iter()
        .map(MaintenanceUpdate::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(list
        .into_iter()
        .map(|m| MaintenanceWithDetails {
            components: all_components
                .iter()
                .filter(|c| links.contains(&(m.id, c.id)))
                .cloned()
                .collect(),
            updates: updates
                .iter()
                .filter(|u| u.maintenance_id == m.id)
                .cloned()
                .collect(),
            maintenance: m,
        })
        .collect())
}

fn load_all(
    conn: &mut DbConn,
    recent_since: Option<NaiveDateTime>,
) -> Result<Vec<Maintenance>, StoreError> {
    let rows: Vec<Row> = on_backend!(conn, |c| {
        let query = maintenances::table
            .select(Row::as_select())
            .order((maintenances::scheduled_for.asc(), maintenances::id.asc()))
            .into_boxed();
        let query = match recent_since {
            Some(since) => query.filter(
                maintenances::status
                    .ne(MaintenanceStatus::Completed.as_str())
                    .or(maintenances::completed_at.ge(since)),
            ),
            None => query,
        };
        query.load(c)
    })?;
    rows.into_iter().map(Maintenance::try_from).collect()
}

/// Every maintenance with its details, earliest window first.
pub fn list(conn: &mut DbConn) -> Result<Vec<MaintenanceWithDetails>, StoreError> {
    let all = load_all(conn, None)?;
    with_details(conn, all)
}

/// What the public page shows: every maintenance not completed, and those
/// completed in the last seven days. Opens no transaction, so it can be
/// called inside the page-state read.
pub fn load_for_page(conn: &mut DbConn) -> Result<Vec<MaintenanceWithDetails>, StoreError> {
    let since = now() - chrono::Duration::days(RECENT_DAYS);
    let recent = load_all(conn, Some(since))?;
    with_details(conn, recent)
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<MaintenanceWithDetails, StoreError> {
    let m = load(conn, id)?;
    with_details(conn, vec![m])?
        .pop()
        .ok_or_else(|| StoreError::not_found(format!("There is no maintenance with id {id}.")))
}

/// Ids of maintenances the scheduler has something to do with at `now`.
pub fn due(conn: &mut DbConn, now: NaiveDateTime) -> Result<Vec<i64>, StoreError> {
    let scheduled = MaintenanceStatus::Scheduled.as_str();
    let active = [
        MaintenanceStatus::InProgress.as_str(),
        MaintenanceStatus::Verifying.as_str(),
    ];
    Ok(on_backend!(conn, |c| maintenances::table
        .select(maintenances::id)
        .filter(
            maintenances::status
                .eq(scheduled)
                .and(
                    maintenances::auto_start
                        .eq(true)
                        .and(maintenances::scheduled_for.le(now))
                        .or(maintenances::auto_end
                            .eq(true)
                            .and(maintenances::scheduled_until.le(now))),
                )
                .or(maintenances::status
                    .eq_any(active)
                    .and(maintenances::auto_end.eq(true))
                    .and(maintenances::scheduled_until.le(now))),
        )
        .order(maintenances::id.asc())
        .load::<i64>(c))?)
}

/// The ids of a maintenance's components.
pub fn component_ids(conn: &mut DbConn, maintenance: i64) -> Result<Vec<i64>, StoreError> {
    Ok(on_backend!(conn, |c| maintenance_components::table
        .select(maintenance_components::component_id)
        .filter(maintenance_components::maintenance_id.eq(maintenance))
        .order(maintenance_components::component_id.asc())
        .load::<i64>(c))?)
}

/// Other maintenances under way on `component`, with the status each will restore.
pub fn others_under_way(
    conn: &mut DbConn,
    maintenance: i64,
    component: i64,
) -> Result<Vec<(i64, Option<String>)>, StoreError> {
    let active = [
        MaintenanceStatus::InProgress.as_str(),
        MaintenanceStatus::Verifying.as_str(),
    ];
    Ok(on_backend!(conn, |c| maintenance_components::table
        .inner_join(maintenances::table)
        .select((
            maintenance_components::maintenance_id,
            maintenance_components::previous_status,
        ))
        .filter(maintenance_components::component_id.eq(component))
        .filter(maintenance_components::maintenance_id.ne(maintenance))
        .filter(maintenances::status.eq_any(active))
        .load(c))?)
}

/// Ids of scheduled maintenances with notifications on whose window starts
/// within `lead` of `now` and whose reminder for that window is not recorded.
pub fn due_reminders(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lead: chrono::Duration,
) -> Result<Vec<i64>, StoreError> {
    Ok(on_backend!(conn, |c| maintenances::table
        .select(maintenances::id)
        .filter(maintenances::status.eq(MaintenanceStatus::Scheduled.as_str()))
        .filter(maintenances::notify.eq(true))
        .filter(maintenances::scheduled_for.gt(now))
        .filter(maintenances::scheduled_for.le(now + lead))
        .filter(
            maintenances::reminded_for
                .is_null()
                .or(maintenances::reminded_for
                    .ne(maintenances::scheduled_for.nullable())
                    .assume_not_null()),
        )
        .order(maintenances::id.asc())
        .load::<i64>(c))?)
}
