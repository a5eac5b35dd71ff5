//! One incident's SLA result: for its priority's targets (time to on-site,
//! time to restore), the target against what happened, on the wall clock and
//! in support hours, judged by [`check_sla`]. Shared by the console's SLA
//! panel and the API's `sla` object.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::Settings;
use crate::db::models::incidents::Incident;
use crate::domain::incident::Priority;
use crate::domain::metrics::{
    check_sla, Clock, Elapsed, IncidentFacts, Metric, SlaKind, SlaOutcome,
};
use crate::render::statuspage::timestamp;

/// How a target stands in one clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaState {
    /// The ending milestone came within the target.
    Met,
    /// The ending milestone came late, or is still missing past the target.
    Breached,
    /// The ending milestone is missing and the target has not elapsed yet.
    Running,
    /// The starting milestone is missing, or the milestones are out of order.
    NotMeasurable,
}

impl SlaState {
    pub fn label(self) -> &'static str {
        match self {
            SlaState::Met => "Met",
            SlaState::Breached => "Breached",
            SlaState::Running => "Running",
            SlaState::NotMeasurable => "Not measurable",
        }
    }
}

/// One target in one clock. Seconds count in that clock.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaClockView {
    pub state: SlaState,
    /// `true` met, `false` breached, `null` still running or not measurable.
    pub met: Option<bool>,
    /// Up to the ending milestone; while it is missing, up to now.
    /// `null` when not measurable.
    pub actual_seconds: Option<i64>,
    /// When the target elapses (RFC 3339, UTC).
    pub deadline: Option<String>,
    /// While running: the time left before the deadline.
    pub remaining_seconds: Option<i64>,
    /// When breached: by how much.
    pub over_seconds: Option<i64>,
    #[serde(skip)]
    pub deadline_at: Option<NaiveDateTime>,
}

/// One target of the incident's priority, judged in both clocks.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaTargetView {
    pub target_seconds: i64,
    /// The clock the target is agreed in; it decides `met`.
    #[schema(value_type = String, example = "wall_clock")]
    pub agreed_clock: Clock,
    /// In the agreed clock: `true` met, `false` breached, `null` running or not measurable.
    pub met: Option<bool>,
    /// Whether the ending milestone (Operations On-Site, Services Restored) is recorded.
    pub ended: bool,
    pub wall_clock: SlaClockView,
    pub support_hours: SlaClockView,
}

/// The SLA result of an incident; `null` in the API when its priority has no targets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlaView {
    pub priority: Priority,
    /// Operations Notified → Operations On-Site.
    pub time_to_on_site: SlaTargetView,
    /// Failure Occurred → Services Restored.
    pub time_to_restore: SlaTargetView,
}

/// The milestones the SLA needs, as the metrics code reads them.
fn facts(incident: &Incident) -> IncidentFacts {
    IncidentFacts {
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
        external_updates: Vec::new(),
        status_intervals: Vec::new(),
    }
}

fn clock_view(outcome: SlaOutcome, target: Duration, so_far: Option<Duration>) -> SlaClockView {
    let base = SlaClockView {
        state: SlaState::NotMeasurable,
        met: None,
        actual_seconds: None,
        deadline: None,
        remaining_seconds: None,
        over_seconds: None,
        deadline_at: None,
    };
    match outcome {
        SlaOutcome::NotMeasurable => base,
        SlaOutcome::Pending { deadline } => SlaClockView {
            state: SlaState::Running,
            actual_seconds: so_far.map(|d| d.num_seconds()),
            remaining_seconds: so_far.map(|d| (target - d).num_seconds().max(0)),
            deadline: Some(timestamp(deadline)),
            deadline_at: Some(deadline),
            ..base
        },
        SlaOutcome::Met { deadline, elapsed } => SlaClockView {
            state: SlaState::Met,
            met: Some(true),
            actual_seconds: Some(elapsed.num_seconds()),
            deadline: Some(timestamp(deadline)),
            deadline_at: Some(deadline),
            ..base
        },
        SlaOutcome::Breached { deadline, over } => SlaClockView {
            state: SlaState::Breached,
            met: Some(false),
            actual_seconds: Some((target + over).num_seconds()),
            over_seconds: Some(over.num_seconds()),
            deadline: Some(timestamp(deadline)),
            deadline_at: Some(deadline),
            ..base
        },
    }
}

/// The incident's SLA result at `now`, or `None` when its priority has no targets.
pub fn incident_sla(
    incident: &Incident,
    settings: &Settings,
    now: NaiveDateTime,
) -> Option<SlaView> {
    let hours = &settings.support_hours;
    let checks = check_sla(&facts(incident), &settings.sla_targets, hours, now);
    let view = |kind: SlaKind| -> Option<SlaTargetView> {
        let check = checks.iter().find(|c| c.kind == kind)?;
        let (start, end) = match kind {
            SlaKind::OnSite => (
                incident.operations_notified_at,
                incident.operations_on_site_at,
            ),
            SlaKind::Restore => (incident.failure_occurred_at, incident.services_restored_at),
        };
        let so_far = start.and_then(|s| Elapsed::between(s, now, hours));
        let wall_clock = clock_view(
            check.wall_clock,
            check.target,
            so_far.map(|e| e.in_clock(Clock::WallClock)),
        );
        let support_hours = clock_view(
            check.support_hours,
            check.target,
            so_far.map(|e| e.in_clock(Clock::SupportHours)),
        );
        let agreed = match check.agreed {
            Clock::WallClock => &wall_clock,
            Clock::SupportHours => &support_hours,
        };
        Some(SlaTargetView {
            target_seconds: check.target.num_seconds(),
            agreed_clock: check.agreed,
            met: agreed.met,
            ended: end.is_some(),
            wall_clock,
            support_hours,
        })
    };
    Some(SlaView {
        priority: incident.priority,
        time_to_on_site: view(SlaKind::OnSite)?,
        time_to_restore: view(SlaKind::Restore)?,
    })
}

/// The metric (label and definition) each target measures.
pub fn metric_of(kind: SlaKind) -> Metric {
    match kind {
        SlaKind::OnSite => Metric::TimeToOnSite,
        SlaKind::Restore => Metric::TimeToRestore,
    }
}
