//! The Time Summary of an incident: milestones set by hand or implied by
//! a phase, and the history of every setting.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::on_backend;
use serde::Serialize;

use super::{get, Incident};
use crate::db::models::components::When;
use crate::db::schema::{incident_milestones, incidents};
use crate::db::{DbConn, StoreError};
use crate::domain::incident::Phase;
use crate::domain::milestone::{check_order, Milestone};

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

pub(super) fn write_milestone(
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

pub(super) fn record_milestone(
    conn: &mut DbConn,
    actor: &str,
    incident: &Incident,
    m: Milestone,
    at: Option<NaiveDateTime>,
    live: bool,
    set_at: NaiveDateTime,
) -> Result<(), StoreError> {
    write_milestone(conn, incident.id, m, at)?;
    on_backend!(conn, |c| diesel::insert_into(incident_milestones::table)
        .values((
            incident_milestones::incident_id.eq(incident.id),
            incident_milestones::milestone.eq(m.as_str()),
            incident_milestones::at.eq(at),
            incident_milestones::set_by.eq(actor),
            incident_milestones::set_at.eq(set_at),
            incident_milestones::live.eq(live),
        ))
        .execute(c))?;
    Ok(())
}

/// Sets (or clears) milestones of the Time Summary; out-of-order values are
/// refused with a message naming the two milestones that conflict. Returns
/// the incident after the change; `at` is when this write happens.
pub fn set_milestones(
    conn: &mut DbConn,
    actor: &str,
    before: &Incident,
    changes: Vec<(Milestone, Option<NaiveDateTime>)>,
    at: NaiveDateTime,
) -> Result<Incident, StoreError> {
    let mut summary = before.milestones();
    for (m, at) in &changes {
        if let Some(slot) = summary.iter_mut().find(|(s, _)| s == m) {
            slot.1 = *at;
        }
    }
    check_order(&summary)?;
    for (m, value) in changes {
        if before.milestone(m) != value {
            record_milestone(
                conn,
                actor,
                before,
                m,
                value,
                before.resolved_at.is_none(),
                at,
            )?;
        }
    }
    get(conn, before.id)
}

/// Fills empty milestones that a phase implies, when that keeps the order:
/// the first update means operations were notified; the failure started when
/// the incident did; a resolved update means services were restored.
/// `when.changed` is the update's time (the same instant as its phase's),
/// `when.written` when it is written; `live` is false for backdated updates
/// (backfilled incidents).
pub(super) fn default_milestones(
    conn: &mut DbConn,
    actor: &str,
    id: i64,
    phase: Phase,
    when: When,
    live: bool,
) -> Result<(), StoreError> {
    let at = when.changed;
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
            record_milestone(conn, actor, &incident, m, Some(value), live, when.written)?;
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
