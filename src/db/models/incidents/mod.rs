//! Incidents and their updates: one incident, two streams (internal and
//! external text on the same update), component status changes made by each
//! update, and the phase timestamps Statuspage publishes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::{
    components as components_table, incident_components, incident_updates, incidents,
};
use crate::db::{DbConn, StoreError};
use crate::domain::incident::{ChecklistAnswer, Impact, Phase, Priority, Urgency};
use crate::domain::milestone::Milestone;
use crate::domain::status::ComponentStatus;
use crate::on_backend;

mod milestones;
mod writes;

pub use milestones::{milestone_history, set_milestones, MilestoneRecord};
pub use writes::{create, post_update, update, Posted};

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
