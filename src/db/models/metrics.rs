//! Loads what the metrics need from the store: each incident's milestones,
//! its external updates and its components' statuses over the incident.
//!
//! Status intervals: for every component an incident affects, the
//! component's whole status history (every change in
//! `component_status_changes`, whoever made it and whichever incident it was
//! attributed to) is turned into intervals and clipped to the incident's
//! window, `[started_at, resolved_at)` — or up to now while it is open. So
//! the client impact of an incident is how long its components were
//! actually degraded or down while it was open, including changes made
//! directly on the component rather than through an incident update.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::models::components::StatusChange;
use crate::db::models::incidents::{self, Incident};
use crate::db::schema::{component_status_changes, components};
use crate::db::{DbConn, StoreError};
use crate::domain::metrics::{ExternalUpdate, IncidentFacts, StatusInterval};
use crate::domain::status::ComponentStatus;
use crate::on_backend;

/// At most this many incidents per request (a safety net, not a page size).
const MAX_INCIDENTS: i64 = 100_000;

/// The incidents of a period with their facts.
#[derive(Debug, Clone)]
pub struct PeriodFacts {
    /// Incidents started in `[from, to)`, oldest first.
    pub incidents: Vec<(Incident, IncidentFacts)>,
    /// Incidents started in the `lookback` before `from` (for recurrences), oldest first.
    pub before: Vec<(Incident, IncidentFacts)>,
    /// Names of every component mentioned, by id.
    pub component_names: BTreeMap<i64, String>,
}

/// Loads the incidents started in `[from, to)` plus those started in
/// `[from - lookback, from)`; `now` ends the intervals of open incidents.
pub fn load_period(
    conn: &mut DbConn,
    from: NaiveDateTime,
    to: NaiveDateTime,
    lookback: Duration,
    now: NaiveDateTime,
) -> Result<PeriodFacts, StoreError> {
    let earliest = from - lookback;
    let mut all = incidents::list(conn, MAX_INCIDENTS, Some(to), Some(earliest))?;
    all.reverse();
    let component_ids: BTreeSet<i64> = all
        .iter()
        .flat_map(|i| i.component_ids.iter().copied())
        .collect();
    let ids: Vec<i64> = component_ids.iter().copied().collect();
    let changes: Vec<StatusChange> = on_backend!(conn, |c| component_status_changes::table
        .select(StatusChange::as_select())
        .filter(component_status_changes::component_id.eq_any(&ids))
        .order((
            component_status_changes::changed_at.asc(),
            component_status_changes::id.asc()
        ))
        .load(c))?;
    let mut history: BTreeMap<i64, Vec<StatusChange>> = BTreeMap::new();
    for change in changes {
        history.entry(change.component_id).or_default().push(change);
    }
    let component_names: BTreeMap<i64, String> = on_backend!(conn, |c| components::table
        .select((components::id, components::name))
        .filter(components::id.eq_any(&ids))
        .load::<(i64, String)>(c))?
    .into_iter()
    .collect();

    let mut incidents_in = Vec::new();
    let mut before = Vec::new();
    for incident in all {
        let updates = incidents::updates(conn, incident.id)?;
        let external_updates = updates
            .iter()
            .filter(|u| u.external_body.is_some())
            .map(|u| ExternalUpdate {
                display_at: u.display_at,
                next_update_by: u.next_update_by,
            })
            .collect();
        let end = incident.resolved_at.unwrap_or(now);
        let status_intervals = incident
            .component_ids
            .iter()
            .flat_map(|id| {
                intervals(
                    *id,
                    history.get(id).map(Vec::as_slice).unwrap_or(&[]),
                    incident.started_at,
                    end,
                    now,
                )
            })
            .collect();
        let facts = IncidentFacts {
            id: incident.id,
            priority: incident.priority,
            component_ids: incident.component_ids.clone(),
            failure_occurred_at: incident.failure_occurred_at,
            operations_notified_at: incident.operations_notified_at,
            operations_on_site_at: incident.operations_on_site_at,
            second_level_on_site_at: incident.second_level_on_site_at,
            services_restored_at: incident.services_restored_at,
            started_at: incident.started_at,
            resolved_at: incident.resolved_at,
            external_updates,
            status_intervals,
        };
        if incident.started_at >= from {
            incidents_in.push((incident, facts));
        } else {
            before.push((incident, facts));
        }
    }
    Ok(PeriodFacts {
        incidents: incidents_in,
        before,
        component_names,
    })
}

fn status(value: &str) -> ComponentStatus {
    ComponentStatus::parse(value).unwrap_or(ComponentStatus::Operational)
}

/// A component's statuses over `[start, end)` from its changes (oldest
/// first): before the first change it had the first change's old status;
/// each change holds until the next one, the last one until `now`.
pub fn intervals(
    component_id: i64,
    changes: &[StatusChange],
    start: NaiveDateTime,
    end: NaiveDateTime,
    now: NaiveDateTime,
) -> Vec<StatusInterval> {
    if end <= start {
        return Vec::new();
    }
    let mut spans: Vec<(ComponentStatus, NaiveDateTime, NaiveDateTime)> = Vec::new();
    let initial = changes
        .first()
        .map(|c| status(&c.from_status))
        .unwrap_or(ComponentStatus::Operational);
    let mut current = (initial, NaiveDateTime::MIN);
    for change in changes {
        spans.push((current.0, current.1, change.changed_at));
        current = (status(&change.to_status), change.changed_at);
    }
    spans.push((current.0, current.1, now.max(end)));
    spans
        .into_iter()
        .filter_map(|(status, from, to)| {
            let (from, to) = (from.max(start), to.min(end));
            (from < to).then_some(StatusInterval {
                component_id,
                status,
                from,
                to,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn change(from: &str, to: &str, when: &str) -> StatusChange {
        StatusChange {
            id: 0,
            component_id: 7,
            from_status: from.into(),
            to_status: to.into(),
            changed_at: at(when),
            incident_id: None,
            actor: "t".into(),
        }
    }

    #[test]
    fn changes_become_intervals_clipped_to_the_incident() {
        let changes = [
            change("operational", "major_outage", "2026-01-05 09:00"),
            change("major_outage", "degraded_performance", "2026-01-05 10:00"),
            change("degraded_performance", "operational", "2026-01-05 11:00"),
        ];
        let got = intervals(
            7,
            &changes,
            at("2026-01-05 09:30"),
            at("2026-01-05 12:00"),
            at("2026-01-06 00:00"),
        );
        let expect = |status, from, to| StatusInterval {
            component_id: 7,
            status,
            from: at(from),
            to: at(to),
        };
        assert_eq!(
            got,
            vec![
                expect(
                    ComponentStatus::MajorOutage,
                    "2026-01-05 09:30",
                    "2026-01-05 10:00"
                ),
                expect(
                    ComponentStatus::DegradedPerformance,
                    "2026-01-05 10:00",
                    "2026-01-05 11:00"
                ),
                expect(
                    ComponentStatus::Operational,
                    "2026-01-05 11:00",
                    "2026-01-05 12:00"
                ),
            ]
        );
    }

    #[test]
    fn no_changes_means_operational_throughout() {
        let got = intervals(
            7,
            &[],
            at("2026-01-05 09:00"),
            at("2026-01-05 10:00"),
            at("2026-01-05 10:00"),
        );
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].status, ComponentStatus::Operational);
    }
}
