//! Incidents and their updates: one incident, two streams (internal and
//! external text on the same update), component status changes made by each
//! update, and the phase timestamps Statuspage publishes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::components::{self, ComponentChanges};
use crate::db::schema::{
    components as components_table, incident_components, incident_milestones, incident_updates,
    incidents,
};
use crate::db::{now, DbConn, StoreError};
use crate::domain::incident::{ChecklistAnswer, Impact, Phase, Priority, Urgency};
use crate::domain::milestone::{check_order, Milestone};
use crate::domain::status::ComponentStatus;
use crate::domain::Invalid;
use crate::on_backend;

/// An incident as stored, with its affected components.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: i64,
    pub name: String,
    pub status: Phase,
    pub impact: Impact,
    pub urgency: Urgency,
    pub priority: Priority,
    pub business_critical: bool,
    pub client_impact: String,
    pub checklist: Vec<ChecklistAnswer>,
    pub started_at: NaiveDateTime,
    pub identified_at: Option<NaiveDateTime>,
    pub monitoring_at: Option<NaiveDateTime>,
    pub resolved_at: Option<NaiveDateTime>,
    pub next_update_by: Option<NaiveDateTime>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub component_ids: Vec<i64>,
    pub failure_occurred_at: Option<NaiveDateTime>,
    pub operations_notified_at: Option<NaiveDateTime>,
    pub operations_on_site_at: Option<NaiveDateTime>,
    pub second_level_on_site_at: Option<NaiveDateTime>,
    pub services_restored_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
}

impl Incident {
    /// The Time Summary, in milestone order.
    pub fn milestones(&self) -> Vec<(Milestone, Option<NaiveDateTime>)> {
        Milestone::ALL
            .into_iter()
            .map(|m| (m, self.milestone(m)))
            .collect()
    }

    pub fn milestone(&self, m: Milestone) -> Option<NaiveDateTime> {
        match m {
            Milestone::FailureOccurred => self.failure_occurred_at,
            Milestone::OperationsNotified => self.operations_notified_at,
            Milestone::OperationsOnSite => self.operations_on_site_at,
            Milestone::SecondLevelOnSite => self.second_level_on_site_at,
            Milestone::ServicesRestored => self.services_restored_at,
            Milestone::Resolved => self.resolved_at,
            Milestone::Closed => self.closed_at,
        }
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = incidents)]
struct Row {
    id: i64,
    name: String,
    status: String,
    impact: String,
    urgency: String,
    priority: String,
    business_critical: bool,
    client_impact: String,
    checklist_json: String,
    started_at: NaiveDateTime,
    identified_at: Option<NaiveDateTime>,
    monitoring_at: Option<NaiveDateTime>,
    resolved_at: Option<NaiveDateTime>,
    next_update_by: Option<NaiveDateTime>,
    created_by: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    failure_occurred_at: Option<NaiveDateTime>,
    operations_notified_at: Option<NaiveDateTime>,
    operations_on_site_at: Option<NaiveDateTime>,
    second_level_on_site_at: Option<NaiveDateTime>,
    services_restored_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Task(format!("stored {what} cannot be read: {e}"))
}

impl Row {
    fn into_incident(self, component_ids: Vec<i64>) -> Result<Incident, StoreError> {
        Ok(Incident {
            id: self.id,
            name: self.name,
            status: Phase::parse(&self.status)?,
            impact: Impact::parse(&self.impact)?,
            urgency: Urgency::parse(&self.urgency)?,
            priority: Priority::parse(&self.priority)?,
            business_critical: self.business_critical,
            client_impact: self.client_impact,
            checklist: serde_json::from_str(&self.checklist_json)
                .map_err(|e| corrupt("checklist", e))?,
            started_at: self.started_at,
            identified_at: self.identified_at,
            monitoring_at: self.monitoring_at,
            resolved_at: self.resolved_at,
            next_update_by: self.next_update_by,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
            component_ids,
            failure_occurred_at: self.failure_occurred_at,
            operations_notified_at: self.operations_notified_at,
            operations_on_site_at: self.operations_on_site_at,
            second_level_on_site_at: self.second_level_on_site_at,
            services_restored_at: self.services_restored_at,
            closed_at: self.closed_at,
        })
    }
}

/// A component an update changed, as Statuspage's `affected_components`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedComponent {
    pub code: String,
    pub name: String,
    pub old_status: ComponentStatus,
    pub new_status: ComponentStatus,
}

/// One posted update; either body may be absent (internal-only or external-only).
#[derive(Debug, Clone, Serialize)]
pub struct IncidentUpdate {
    pub id: i64,
    pub incident_id: i64,
    pub status: Phase,
    pub external_body: Option<String>,
    pub internal_body: Option<String>,
    pub external_html: Option<String>,
    pub internal_html: Option<String>,
    pub template_set: Option<String>,
    pub author: String,
    pub notify: bool,
    pub regression: bool,
    pub next_update_by: Option<NaiveDateTime>,
    pub affected_components: Vec<AffectedComponent>,
    pub display_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = incident_updates)]
struct UpdateRow {
    id: i64,
    incident_id: i64,
    status: String,
    external_body: Option<String>,
    internal_body: Option<String>,
    external_html: Option<String>,
    internal_html: Option<String>,
    template_set: Option<String>,
    author: String,
    notify: bool,
    regression: bool,
    next_update_by: Option<NaiveDateTime>,
    affected_components_json: String,
    display_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

impl TryFrom<UpdateRow> for IncidentUpdate {
    type Error = StoreError;
    fn try_from(r: UpdateRow) -> Result<Self, StoreError> {
        Ok(IncidentUpdate {
            id: r.id,
            incident_id: r.incident_id,
            status: Phase::parse(&r.status)?,
            external_body: r.external_body,
            internal_body: r.internal_body,
            external_html: r.external_html,
            internal_html: r.internal_html,
            template_set: r.template_set,
            author: r.author,
            notify: r.notify,
            regression: r.regression,
            next_update_by: r.next_update_by,
            affected_components: serde_json::from_str(&r.affected_components_json)
                .map_err(|e| corrupt("affected components", e))?,
            display_at: r.display_at,
            created_at: r.created_at,
        })
    }
}

/// Text of one stream: the markdown typed and its sanitised HTML.
#[derive(Debug, Clone)]
pub struct UpdateText {
    pub markdown: String,
    pub html: String,
}

/// A new update; at least one of the two texts is present (checked by the caller).
#[derive(Debug, Clone)]
pub struct NewUpdate {
    pub status: Phase,
    pub external: Option<UpdateText>,
    pub internal: Option<UpdateText>,
    pub template_set: Option<String>,
    pub notify: bool,
    pub display_at: Option<NaiveDateTime>,
    pub next_update_by: Option<NaiveDateTime>,
    pub components: Vec<(i64, ComponentStatus)>,
}

/// A new incident with its first update.
#[derive(Debug, Clone)]
pub struct NewIncident {
    pub name: String,
    pub impact: Impact,
    pub urgency: Urgency,
    pub priority: Priority,
    pub business_critical: bool,
    pub client_impact: String,
    pub checklist: Vec<ChecklistAnswer>,
    pub started_at: Option<NaiveDateTime>,
    pub first_update: NewUpdate,
}

/// Changes to an incident's facts; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct IncidentChanges {
    pub name: Option<String>,
    pub impact: Option<Impact>,
    pub urgency: Option<Urgency>,
    /// Recomputed by the caller whenever impact or urgency change.
    pub priority: Option<Priority>,
    pub business_critical: Option<bool>,
    pub client_impact: Option<String>,
    pub started_at: Option<NaiveDateTime>,
}

#[derive(AsChangeset)]
#[diesel(table_name = incidents)]
struct Changeset {
    name: Option<String>,
    impact: Option<String>,
    urgency: Option<String>,
    priority: Option<String>,
    business_critical: Option<bool>,
    client_impact: Option<String>,
    started_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
}

fn component_ids(conn: &mut DbConn, incident: i64) -> Result<Vec<i64>, StoreError> {
    Ok(on_backend!(conn, |c| incident_components::table
        .select(incident_components::component_id)
        .filter(incident_components::incident_id.eq(incident))
        .order(incident_components::component_id.asc())
        .load::<i64>(c))?)
}

pub fn get(conn: &mut DbConn, id: i64) -> Result<Incident, StoreError> {
    let row = on_backend!(conn, |c| incidents::table
        .select(Row::as_select())
        .find(id)
        .first(c)
        .optional())?
    .ok_or_else(|| StoreError::not_found(format!("There is no incident with id {id}.")))?;
    let ids = component_ids(conn, id)?;
    row.into_incident(ids)
}

/// Incidents started in `[from, to)`, newest first, at most `limit`.
pub fn list(
    conn: &mut DbConn,
    limit: i64,
    before: Option<NaiveDateTime>,
    after: Option<NaiveDateTime>,
) -> Result<Vec<Incident>, StoreError> {
    let rows = on_backend!(conn, |c| {
        let mut query = incidents::table.select(Row::as_select()).into_boxed();
        if let Some(before) = before {
            query = query.filter(incidents::started_at.lt(before));
        }
        if let Some(after) = after {
            query = query.filter(incidents::started_at.ge(after));
        }
        query
            .order((incidents::started_at.desc(), incidents::id.desc()))
            .limit(limit)
            .load(c)
    })?;
    rows.into_iter()
        .map(|r| {
            let ids = component_ids(conn, r.id)?;
            r.into_incident(ids)
        })
        .collect()
}

/// Incidents not resolved yet, newest first.
pub fn unresolved(conn: &mut DbConn) -> Result<Vec<Incident>, StoreError> {
    let rows = on_backend!(conn, |c| incidents::table
        .select(Row::as_select())
        .filter(incidents::resolved_at.is_null())
        .order((incidents::started_at.desc(), incidents::id.desc()))
        .load(c))?;
    rows.into_iter()
        .map(|r| {
            let ids = component_ids(conn, r.id)?;
            r.into_incident(ids)
        })
        .collect()
}

/// The updates of an incident, newest first (by `display_at`).
pub fn updates(conn: &mut DbConn, incident: i64) -> Result<Vec<IncidentUpdate>, StoreError> {
    let rows = on_backend!(conn, |c| incident_updates::table
        .select(UpdateRow::as_select())
        .filter(incident_updates::incident_id.eq(incident))
        .order((
            incident_updates::display_at.desc(),
            incident_updates::id.desc()
        ))
        .load(c))?;
    rows.into_iter().map(IncidentUpdate::try_from).collect()
}

/// Applies component statuses for an update, inside the caller's transaction.
fn apply_components(
    conn: &mut DbConn,
    actor: &str,
    incident: i64,
    wanted: &[(i64, ComponentStatus)],
) -> Result<(Vec<AffectedComponent>, Vec<components::Change>), StoreError> {
    let mut affected = Vec::new();
    let mut changes = Vec::new();
    for (component_id, status) in wanted {
        let before = components::get(conn, *component_id).map_err(|_| {
            StoreError::Invalid(Invalid::new(format!(
                "There is no component with id {component_id}: pick one from the list."
            )))
        })?;
        let change = components::update(
            conn,
            actor,
            *component_id,
            ComponentChanges {
                status: Some(*status),
                ..ComponentChanges::default()
            },
            Some(incident),
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
) -> Result<IncidentUpdate, StoreError> {
    let at = now();
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

/// Moves the incident to the update's phase and records when it first got there.
fn move_to_phase(
    conn: &mut DbConn,
    incident: &Incident,
    new: &NewUpdate,
) -> Result<(), StoreError> {
    let at = new.display_at.unwrap_or_else(now);
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
            incidents::updated_at.eq(now()),
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

/// Inserts an incident with its first update, its component statuses and
/// the milestones the first phase implies.
pub fn create(conn: &mut DbConn, actor: &str, new: NewIncident) -> Result<Posted, StoreError> {
    let at = now();
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
    let (affected, component_changes) =
        apply_components(conn, actor, id, &new.first_update.components)?;
    let incident = get(conn, id)?;
    let update = insert_update(conn, actor, &incident, &new.first_update, &affected)?;
    move_to_phase(conn, &incident, &new.first_update)?;
    let at = new.first_update.display_at.unwrap_or(at);
    default_milestones(
        conn,
        actor,
        id,
        new.first_update.status,
        at,
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
/// next update and the milestones the phase implies.
pub fn post_update(
    conn: &mut DbConn,
    actor: &str,
    incident_id: i64,
    new: NewUpdate,
) -> Result<Posted, StoreError> {
    let before = get(conn, incident_id)?;
    let (affected, component_changes) =
        apply_components(conn, actor, incident_id, &new.components)?;
    let update = insert_update(conn, actor, &before, &new, &affected)?;
    move_to_phase(conn, &before, &new)?;
    default_milestones(
        conn,
        actor,
        incident_id,
        new.status,
        new.display_at.unwrap_or_else(now),
        new.display_at.is_none(),
    )?;
    Ok(Posted {
        incident: get(conn, incident_id)?,
        update,
        component_changes,
    })
}

/// Writes the incident's facts; returns it after the change.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    changes: IncidentChanges,
) -> Result<Incident, StoreError> {
    let set = Changeset {
        name: changes.name,
        impact: changes.impact.map(|i| i.as_str().to_string()),
        urgency: changes.urgency.map(|u| u.as_str().to_string()),
        priority: changes.priority.map(|p| p.as_str().to_string()),
        business_critical: changes.business_critical,
        client_impact: changes.client_impact,
        started_at: changes.started_at,
        updated_at: now(),
    };
    on_backend!(conn, |c| diesel::update(incidents::table.find(id))
        .set(&set)
        .execute(c))?;
    get(conn, id)
}

/// Names of components by id, for the views.
pub fn component_names(conn: &mut DbConn, ids: &[i64]) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(on_backend!(conn, |c| components_table::table
        .select((components_table::id, components_table::name))
        .filter(components_table::id.eq_any(ids))
        .order(components_table::position.asc())
        .load::<(i64, String)>(c))?)
}

/// An incident with its updates, newest update first.
#[derive(Debug, Clone)]
pub struct IncidentWithUpdates {
    pub incident: Incident,
    pub updates: Vec<IncidentUpdate>,
}

/// Unresolved incidents plus the latest `recent` incidents, with their updates.
pub fn for_page(conn: &mut DbConn, recent: i64) -> Result<Vec<IncidentWithUpdates>, StoreError> {
    let mut all = unresolved(conn)?;
    for incident in list(conn, recent, None, None)? {
        if !all.iter().any(|i| i.id == incident.id) {
            all.push(incident);
        }
    }
    all.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(b.id.cmp(&a.id)));
    all.into_iter()
        .map(|incident| {
            let updates = updates(conn, incident.id)?;
            Ok(IncidentWithUpdates { incident, updates })
        })
        .collect()
}

/// One incident with its updates.
pub fn with_updates(conn: &mut DbConn, id: i64) -> Result<IncidentWithUpdates, StoreError> {
    let incident = get(conn, id)?;
    let updates = updates(conn, id)?;
    Ok(IncidentWithUpdates { incident, updates })
}

/// One setting of a milestone: who, when, and whether live (the incident was
/// still open) or filled in afterwards.
#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = incident_milestones)]
pub struct MilestoneRecord {
    pub id: i64,
    pub incident_id: i64,
    pub milestone: String,
    pub at: Option<NaiveDateTime>,
    pub set_by: String,
    pub set_at: NaiveDateTime,
    pub live: bool,
}

fn write_milestone(
    conn: &mut DbConn,
    incident: i64,
    m: Milestone,
    at: Option<NaiveDateTime>,
) -> Result<(), StoreError> {
    on_backend!(conn, |c| {
        let target = incidents::table.find(incident);
        match m {
            Milestone::FailureOccurred => diesel::update(target)
                .set(incidents::failure_occurred_at.eq(at))
                .execute(c),
            Milestone::OperationsNotified => diesel::update(target)
                .set(incidents::operations_notified_at.eq(at))
                .execute(c),
            Milestone::OperationsOnSite => diesel::update(target)
                .set(incidents::operations_on_site_at.eq(at))
                .execute(c),
            Milestone::SecondLevelOnSite => diesel::update(target)
                .set(incidents::second_level_on_site_at.eq(at))
                .execute(c),
            Milestone::ServicesRestored => diesel::update(target)
                .set(incidents::services_restored_at.eq(at))
                .execute(c),
            Milestone::Resolved => diesel::update(target)
                .set(incidents::resolved_at.eq(at))
                .execute(c),
            Milestone::Closed => diesel::update(target)
                .set(incidents::closed_at.eq(at))
                .execute(c),
        }
    })?;
    Ok(())
}

fn record_milestone(
    conn: &mut DbConn,
    actor: &str,
    incident: &Incident,
    m: Milestone,
    at: Option<NaiveDateTime>,
    live: bool,
) -> Result<(), StoreError> {
    write_milestone(conn, incident.id, m, at)?;
    on_backend!(conn, |c| diesel::insert_into(incident_milestones::table)
        .values((
            incident_milestones::incident_id.eq(incident.id),
            incident_milestones::milestone.eq(m.as_str()),
            incident_milestones::at.eq(at),
            incident_milestones::set_by.eq(actor),
            incident_milestones::set_at.eq(now()),
            incident_milestones::live.eq(live),
        ))
        .execute(c))?;
    Ok(())
}

/// Sets (or clears) milestones of the Time Summary; out-of-order values are
/// refused with a message naming the two milestones that conflict. Returns
/// the incident after the change.
pub fn set_milestones(
    conn: &mut DbConn,
    actor: &str,
    before: &Incident,
    changes: Vec<(Milestone, Option<NaiveDateTime>)>,
) -> Result<Incident, StoreError> {
    let mut summary = before.milestones();
    for (m, at) in &changes {
        if let Some(slot) = summary.iter_mut().find(|(s, _)| s == m) {
            slot.1 = *at;
        }
    }
    check_order(&summary)?;
    for (m, at) in changes {
        if before.milestone(m) != at {
            record_milestone(conn, actor, before, m, at, before.resolved_at.is_none())?;
        }
    }
    get(conn, before.id)
}

/// Fills empty milestones that a phase implies, when that keeps the order:
/// the first update means operations were notified; the failure started when
/// the incident did; a resolved update means services were restored.
/// `live` is false for backdated updates (backfilled incidents).
fn default_milestones(
    conn: &mut DbConn,
    actor: &str,
    id: i64,
    phase: Phase,
    at: NaiveDateTime,
    live: bool,
) -> Result<(), StoreError> {
    let incident = get(conn, id)?;
    let mut wanted = vec![
        (Milestone::FailureOccurred, incident.started_at),
        (Milestone::OperationsNotified, at),
    ];
    if phase == Phase::Resolved {
        wanted.push((Milestone::ServicesRestored, at));
    }
    let mut summary = incident.milestones();
    for (m, value) in wanted {
        if incident.milestone(m).is_some() {
            continue;
        }
        let mut candidate = summary.clone();
        if let Some(slot) = candidate.iter_mut().find(|(s, _)| *s == m) {
            slot.1 = Some(value);
        }
        if check_order(&candidate).is_ok() {
            record_milestone(conn, actor, &incident, m, Some(value), live)?;
            summary = candidate;
        }
    }
    Ok(())
}

/// Every setting of every milestone of an incident, oldest first.
pub fn milestone_history(conn: &mut DbConn, id: i64) -> Result<Vec<MilestoneRecord>, StoreError> {
    Ok(on_backend!(conn, |c| incident_milestones::table
        .select(MilestoneRecord::as_select())
        .filter(incident_milestones::incident_id.eq(id))
        .order(incident_milestones::id.asc())
        .load(c))?)
}
