//! The JSON shapes of `/api/v1/metrics`, durations in seconds.

use std::collections::BTreeMap;

use chrono::Duration;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::metrics::{
    duration_change, Change, Clock, GroupSummary, Metric, PromiseAdherence, SlaCheck, SlaKind,
    SlaOutcome, Summary,
};
use crate::render::statuspage::timestamp;

pub(super) fn seconds(d: Duration) -> i64 {
    d.num_seconds()
}

pub(super) fn seconds_f(d: Duration) -> f64 {
    d.num_milliseconds() as f64 / 1000.0
}

/// Count, median, p90 (nearest rank) and mean, in seconds.
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryView {
    pub count: usize,
    pub median: Option<i64>,
    pub p90: Option<i64>,
    pub mean: Option<f64>,
}

impl From<&Summary> for SummaryView {
    fn from(s: &Summary) -> Self {
        SummaryView {
            count: s.count,
            median: s.median.map(seconds),
            p90: s.p90.map(seconds),
            mean: s.mean.map(seconds_f),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricView {
    pub label: &'static str,
    pub definition: &'static str,
    pub wall_clock: SummaryView,
    pub support_hours: SummaryView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PromisesView {
    pub kept: usize,
    pub broken: usize,
    pub open: usize,
    /// Kept ÷ (kept + broken); null when no promise was decided.
    pub share_kept: Option<f64>,
}

impl From<PromiseAdherence> for PromisesView {
    fn from(p: PromiseAdherence) -> Self {
        PromisesView {
            kept: p.kept,
            broken: p.broken,
            open: p.open,
            share_kept: p.share_kept(),
        }
    }
}

/// A group of incidents' metrics (named apart from the component groups' `GroupView`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = MetricsGroupView)]
pub struct GroupView {
    pub count: usize,
    #[schema(value_type = Object)]
    pub metrics: BTreeMap<&'static str, MetricView>,
    pub promises: PromisesView,
}

pub(super) fn group_view(g: &GroupSummary) -> GroupView {
    GroupView {
        count: g.incidents,
        metrics: Metric::ALL
            .into_iter()
            .filter_map(|m| {
                let s = g.get(m)?;
                Some((
                    m.as_str(),
                    MetricView {
                        label: m.label(),
                        definition: m.definition(),
                        wall_clock: (&s.wall_clock).into(),
                        support_hours: (&s.support_hours).into(),
                    },
                ))
            })
            .collect(),
        promises: g.promises.into(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentGroupView {
    pub component_id: i64,
    pub name: String,
    #[serde(flatten)]
    pub summary: GroupView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BreachView {
    pub incident_id: i64,
    pub priority: String,
    /// `on_site` or `restore`.
    #[schema(value_type = String)]
    pub kind: SlaKind,
    /// The target, in seconds of the agreed clock.
    pub target: i64,
    /// Time taken so far (target + lateness), in seconds of the agreed clock.
    pub elapsed: i64,
    /// `wall_clock` or `support_hours`: the clock the target is agreed in.
    #[schema(value_type = String)]
    pub clock: Clock,
    pub deadline: String,
}

pub(super) fn breach_view(check: &SlaCheck) -> Option<BreachView> {
    match check.outcome() {
        SlaOutcome::Breached { deadline, over } => Some(BreachView {
            incident_id: check.incident_id,
            priority: check.priority.as_str().to_string(),
            kind: check.kind,
            target: seconds(check.target),
            elapsed: seconds(check.target + over),
            clock: check.agreed,
            deadline: timestamp(deadline),
        }),
        _ => None,
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecurrenceView {
    pub earlier_id: i64,
    pub later_id: i64,
    pub component_id: i64,
    pub component_name: Option<String>,
    /// The earlier incident's action items and whether each was done.
    pub earlier_action_items: Vec<ActionItemView>,
}

/// An action item of an incident (read-only here).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = MetricsActionItemView)]
pub struct ActionItemView {
    pub id: i64,
    pub action: String,
    pub responsibility: String,
    /// open, in_progress, done or wont_do.
    pub status: String,
    pub done: bool,
    /// YYYY-MM-DD
    pub due_on: Option<String>,
}

/// A component's uptime over the period, by the uptime bars' rule
/// (`uptime_weights`); time before it existed and time still to come do not count.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ComponentUptimeView {
    pub component_id: i64,
    pub name: String,
    /// 0–100; null when nothing was observed in the period.
    pub uptime_percent: Option<f64>,
    /// Seconds observed in each status (operational, under_maintenance,
    /// degraded_performance, partial_outage, major_outage).
    #[schema(value_type = Object)]
    pub seconds: BTreeMap<&'static str, i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodView {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeView {
    /// Current minus previous (seconds for durations).
    pub delta: f64,
    /// Relative to the previous value; null when it was zero.
    pub percent: Option<f64>,
}

pub(super) fn change_secs(c: Option<Change<Duration>>) -> Option<ChangeView> {
    c.map(|c| ChangeView {
        delta: seconds_f(c.delta),
        percent: c.percent,
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryChangeView {
    pub median: Option<ChangeView>,
    pub p90: Option<ChangeView>,
    pub mean: Option<ChangeView>,
}

pub(super) fn summary_change(current: &Summary, previous: &Summary) -> SummaryChangeView {
    SummaryChangeView {
        median: change_secs(duration_change(current.median, previous.median)),
        p90: change_secs(duration_change(current.p90, previous.p90)),
        mean: change_secs(duration_change(current.mean, previous.mean)),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClockChangeView {
    pub wall_clock: SummaryChangeView,
    pub support_hours: SummaryChangeView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PreviousView {
    pub period: PeriodView,
    pub count: usize,
    pub count_change: ChangeView,
    #[schema(value_type = Object)]
    pub metrics: BTreeMap<&'static str, ClockChangeView>,
    /// Change of the share of promises kept (0.1 = ten percentage points).
    pub promises_kept: Option<ChangeView>,
}

/// The figures of one period.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsView {
    pub period: PeriodView,
    pub count: usize,
    #[schema(value_type = Object)]
    pub metrics: BTreeMap<&'static str, MetricView>,
    pub promises: PromisesView,
    #[schema(value_type = Object)]
    pub by_priority: BTreeMap<String, GroupView>,
    pub by_component: Vec<ComponentGroupView>,
    pub sla_breaches: Vec<BreachView>,
    pub recurrences: Vec<RecurrenceView>,
    /// Every component's uptime over the period.
    pub uptime: Vec<ComponentUptimeView>,
    pub previous_period: PreviousView,
}
