//! The writes of an incident: opening it, posting an update (component
//! statuses, phase, promise) and editing its facts. Storage only: the
//! application layer owns the transaction and records the effects, and
//! gives the one instant `at` the write happens at (its clock), so an
//! update's times, the phase times and the milestones it implies agree.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::on_backend;

use super::milestones::default_milestones;
use super::{get, AffectedComponent, Changeset, Incident, IncidentChanges, IncidentUpdate};
use super::{NewIncident, NewUpdate, UpdateRow};
use crate::db::models::components::{self, ComponentChanges, When};
use crate::db::schema::{incident_components, incident_updates, incidents};
use crate::db::{DbConn, StoreError};
use crate::domain::incident::Phase;
use crate::domain::status::ComponentStatus;
use crate::domain::Invalid;

/// Applies component statuses for an update, inside the caller's
/// transaction; the changes are recorded at the update's time (`when`).
fn apply_components(
    conn: &mut DbConn,
    actor: &str,
    incident: i64,
    wanted: &[(i64, ComponentStatus)],
    when: When,
) -> Result<(Vec<AffectedComponent>, Vec<components::Change>), StoreError> {
    let mut affected = Vec::new();
    let mut changes = Vec::new();
    for (component_id, status) in wanted {
        let before = components::get(conn, *component_id).map_err(|_| {
            StoreError::Invalid(Invalid::new(format!(
                "There is no component with id {component_id}: pick one from the list."
            )))
        })?;
        let change = components::update_at(
            conn,
            actor,
            *component_id,
            ComponentChanges {
                status: Some(*status),
                ..ComponentChanges::default()
            },
            Some(incident),
            when,
        )?;
        let after = change.after.clone();
        changes.push(change);
        let linked = on_backend!(conn, |c| incident_components::table
            .filter(incident_components::incident_id.eq(incident))
            .filter(incident_components::component_id.eq(component_id))
            .count()
            .get_result::<i64>(c))?;
        if linked == 0 {
            on_backend!(conn, |c| diesel::insert_into(incident_components::table)
                .values((
                    incident_components::incident_id.eq(incident),
                    incident_components::component_id.eq(component_id),
                ))
                .execute(c))?;
        }
        affected.push(AffectedComponent {
            code: after.id.to_string(),
            name: after.name,
            old_status: before.status,
            new_status: after.status,
        });
    }
    Ok((affected, changes))
}

fn insert_update(
    conn: &mut DbConn,
    actor: &str,
    incident: &Incident,
    new: &NewUpdate,
    affected: &[AffectedComponent],
    at: NaiveDateTime,
) -> Result<IncidentUpdate, StoreError> {
    let json = serde_json::to_string(affected).map_err(|e| StoreError::Task(e.to_string()))?;
    let regression = new.status.is_regression_from(incident.status);
    let id = on_backend!(conn, |c| diesel::insert_into(incident_updates::table)
        .values((
            incident_updates::incident_id.eq(incident.id),
            incident_updates::status.eq(new.status.as_str()),
            incident_updates::external_body.eq(new.external.as_ref().map(|t| t.markdown.as_str())),
            incident_updates::internal_body.eq(new.internal.as_ref().map(|t| t.markdown.as_str())),
            incident_updates::external_html.eq(new.external.as_ref().map(|t| t.html.as_str())),
            incident_updates::internal_html.eq(new.internal.as_ref().map(|t| t.html.as_str())),
            incident_updates::template_set.eq(new.template_set.as_deref()),
            incident_updates::author.eq(actor),
            incident_updates::notify.eq(new.notify),
            incident_updates::regression.eq(regression),
            incident_updates::next_update_by.eq(new.next_update_by),
            incident_updates::affected_components_json.eq(&json),
            incident_updates::display_at.eq(new.display_at.unwrap_or(at)),
            incident_updates::created_at.eq(at),
        ))
        .returning(incident_updates::id)
        .get_result::<i64>(c))?;
    let row = on_backend!(conn, |c| incident_updates::table
        .select(UpdateRow::as_select())
        .find(id)
        .first(c))?;
    row.try_into()
}

/// Moves the incident to the update's phase and records when it first got
/// there (the update's time); `written` is when this write happens.
fn move_to_phase(
    conn: &mut DbConn,
    incident: &Incident,
    new: &NewUpdate,
    written: NaiveDateTime,
) -> Result<(), StoreError> {
    let at = new.display_at.unwrap_or(written);
    let phase = new.status;
    let identified_at = incident
        .identified_at
        .or((phase >= Phase::Identified).then_some(at));
    let monitoring_at = incident
        .monitoring_at
        .or((phase >= Phase::Monitoring).then_some(at));
    let resolved_at = match phase {
        Phase::Resolved => incident.resolved_at.or(Some(at)),
        _ => None,
    };
    let next_update_by = if phase == Phase::Resolved {
        None
    } else {
        new.next_update_by
    };
    on_backend!(conn, |c| diesel::update(incidents::table.find(incident.id))
        .set((
            incidents::status.eq(phase.as_str()),
            incidents::identified_at.eq(identified_at),
            incidents::monitoring_at.eq(monitoring_at),
            incidents::resolved_at.eq(resolved_at),
            incidents::next_update_by.eq(next_update_by),
            incidents::updated_at.eq(written),
        ))
        .execute(c))?;
    Ok(())
}

/// What a posted update wrote: the incident after it, the update, and the
/// components it changed (before and after).
#[derive(Debug, Clone)]
pub struct Posted {
    pub incident: Incident,
    pub update: IncidentUpdate,
    pub component_changes: Vec<components::Change>,
}

/// When an update happened: its `display_at` when backdated, else `at`.
fn when(new: &NewUpdate, at: NaiveDateTime) -> When {
    When {
        written: at,
        changed: new.display_at.unwrap_or(at),
    }
}

/// Inserts an incident with its first update, its component statuses and
/// the milestones the first phase implies, as written at `at`.
pub fn create(
    conn: &mut DbConn,
    actor: &str,
    new: NewIncident,
    at: NaiveDateTime,
) -> Result<Posted, StoreError> {
    let checklist =
        serde_json::to_string(&new.checklist).map_err(|e| StoreError::Task(e.to_string()))?;
    let started_at = new.started_at.or(new.first_update.display_at).unwrap_or(at);
    let id = on_backend!(conn, |c| diesel::insert_into(incidents::table)
        .values((
            incidents::name.eq(&new.name),
            incidents::status.eq(Phase::Investigating.as_str()),
            incidents::impact.eq(new.impact.as_str()),
            incidents::urgency.eq(new.urgency.as_str()),
            incidents::priority.eq(new.priority.as_str()),
            incidents::business_critical.eq(new.business_critical),
            incidents::client_impact.eq(&new.client_impact),
            incidents::checklist_json.eq(&checklist),
            incidents::started_at.eq(started_at),
            incidents::created_by.eq(actor),
            incidents::created_at.eq(at),
            incidents::updated_at.eq(at),
        ))
        .returning(incidents::id)
        .get_result::<i64>(c))?;
    let update_at = when(&new.first_update, at);
    let (affected, component_changes) =
        apply_components(conn, actor, id, &new.first_update.components, update_at)?;
    let incident = get(conn, id)?;
    let update = insert_update(conn, actor, &incident, &new.first_update, &affected, at)?;
    move_to_phase(conn, &incident, &new.first_update, at)?;
    default_milestones(
        conn,
        actor,
        id,
        new.first_update.status,
        update_at,
        new.first_update.display_at.is_none(),
    )?;
    Ok(Posted {
        incident: get(conn, id)?,
        update,
        component_changes,
    })
}

/// Inserts an update: changes component statuses, moves the phase (going
/// back is allowed and marked as a regression), records the promise of the
/// next update and the milestones the phase implies, all at one instant:
/// the update's `display_at` when backdated, else `at`, when it is written.
pub fn post_update(
    conn: &mut DbConn,
    actor: &str,
    incident_id: i64,
    new: NewUpdate,
    at: NaiveDateTime,
) -> Result<Posted, StoreError> {
    let before = get(conn, incident_id)?;
    let update_at = when(&new, at);
    let (affected, component_changes) =
        apply_components(conn, actor, incident_id, &new.components, update_at)?;
    let update = insert_update(conn, actor, &before, &new, &affected, at)?;
    move_to_phase(conn, &before, &new, at)?;
    default_milestones(
        conn,
        actor,
        incident_id,
        new.status,
        update_at,
        new.display_at.is_none(),
    )?;
    Ok(Posted {
        incident: get(conn, incident_id)?,
        update,
        component_changes,
    })
}

/// Writes the incident's facts at `at`; returns it after the change.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    changes: IncidentChanges,
    at: NaiveDateTime,
) -> Result<Incident, StoreError> {
    let set = Changeset {
        name: changes.name,
        impact: changes.impact.map(|i| i.as_str().to_string()),
        urgency: changes.urgency.map(|u| u.as_str().to_string()),
        priority: changes.priority.map(|p| p.as_str().to_string()),
        business_critical: changes.business_critical,
        client_impact: changes.client_impact,
        started_at: changes.started_at,
        updated_at: at,
    };
    on_backend!(conn, |c| diesel::update(incidents::table.find(id))
        .set(&set)
        .execute(c))?;
    get(conn, id)
}
