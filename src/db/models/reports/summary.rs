//! What a report reads from the incident: the Time Summary, the client
//! impact, and the whole report as frozen on approval.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::{items, Report};
use crate::db::models::components::StatusChange;
use crate::db::models::incidents::{self, Incident};
use crate::db::schema::component_status_changes;
use crate::db::{DbConn, StoreError};
use crate::domain::milestone::Milestone;
use crate::domain::report::{ItemSnapshot, ReportContent, TimeRow};
use crate::on_backend;

/// The Time Summary of an incident, in milestone order.
pub fn time_summary(incident: &Incident) -> Vec<TimeRow> {
    Milestone::ALL
        .into_iter()
        .map(|m| TimeRow {
            milestone: m,
            label: m.label().to_string(),
            at: incident.milestone(m),
        })
        .collect()
}

/// Minutes during which at least one of the incident's components was
/// degraded or down while it was open (up to `now` while it is open): the
/// same rule as the client-impact metric.
pub fn client_impact_minutes(
    conn: &mut DbConn,
    incident: &Incident,
    now: NaiveDateTime,
) -> Result<i64, StoreError> {
    let changes: Vec<StatusChange> = on_backend!(conn, |c| component_status_changes::table
        .select(StatusChange::as_select())
        .filter(component_status_changes::component_id.eq_any(&incident.component_ids))
        .order((
            component_status_changes::changed_at.asc(),
            component_status_changes::id.asc()
        ))
        .load(c))?;
    let end = incident.resolved_at.unwrap_or(now);
    let intervals: Vec<_> = incident
        .component_ids
        .iter()
        .flat_map(|id| {
            let mine: Vec<StatusChange> = changes
                .iter()
                .filter(|c| c.component_id == *id)
                .cloned()
                .collect();
            crate::db::models::metrics::intervals(*id, &mine, incident.started_at, end, now)
        })
        .collect();
    let total = crate::domain::metrics::impact_intervals(&intervals)
        .into_iter()
        .fold(chrono::Duration::zero(), |sum, (from, to)| {
            sum + (to - from)
        });
    Ok(total.num_minutes())
}

/// The whole report as it is now, for a new version.
pub(super) fn snapshot(
    conn: &mut DbConn,
    incident_id: i64,
    report: &Report,
    approver: &str,
    at: NaiveDateTime,
) -> Result<ReportContent, StoreError> {
    let incident = incidents::get(conn, incident_id)?;
    Ok(ReportContent {
        version: report.version,
        incident_id,
        incident_name: incident.name.clone(),
        sections: report.sections.clone(),
        time_summary: time_summary(&incident),
        client_impact_minutes: client_impact_minutes(conn, &incident, at)?,
        action_items: items(conn, incident_id)?
            .into_iter()
            .map(|i| ItemSnapshot {
                id: i.id,
                action: i.action,
                responsibility: i.responsibility,
                priority: i.priority,
                due_on: i.due_on,
                status: i.status,
            })
            .collect(),
        submitted_by: report.submitted_by.clone(),
        reviewed_by: report.reviewed_by.clone(),
        approved_by: approver.to_string(),
        approved_at: at,
    })
}
