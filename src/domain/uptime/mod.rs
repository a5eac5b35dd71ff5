//! Uptime per day, computed from a component's status history.
//!
//! A day is a calendar day in the page's time zone, so it lasts 23, 24 or 25
//! hours around clock changes. Each day gets the time the component spent in
//! each status and an uptime percentage: every status counts with a weight
//! between 0 (down) and 1 (up), by default Statuspage's rule (a major outage
//! is downtime, a partial outage counts 30 % of its time as downtime, degraded
//! performance and maintenance are not downtime). Time before the component
//! existed, and time still to come today, is "no data", never uptime.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::status::ComponentStatus;
use super::Invalid;

/// How much of its time in each status counts as uptime (1.0 = all of it).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UptimeWeights {
    pub operational: f64,
    pub under_maintenance: f64,
    pub degraded_performance: f64,
    pub partial_outage: f64,
    pub major_outage: f64,
}

impl Default for UptimeWeights {
    /// Statuspage's rule: only outages are downtime, a partial one at 30 %.
    fn default() -> Self {
        UptimeWeights {
            operational: 1.0,
            under_maintenance: 1.0,
            degraded_performance: 1.0,
            partial_outage: 0.7,
            major_outage: 0.0,
        }
    }
}

impl UptimeWeights {
    pub fn weight(&self, status: ComponentStatus) -> f64 {
        match status {
            ComponentStatus::Operational => self.operational,
            ComponentStatus::UnderMaintenance => self.under_maintenance,
            ComponentStatus::DegradedPerformance => self.degraded_performance,
            ComponentStatus::PartialOutage => self.partial_outage,
            ComponentStatus::MajorOutage => self.major_outage,
        }
    }

    /// Every weight must lie between 0 and 1.
    pub fn validate(&self) -> Result<(), Invalid> {
        for status in ComponentStatus::ALL {
            let weight = self.weight(status);
            if !(0.0..=1.0).contains(&weight) {
                return Err(Invalid::new(format!(
                    "uptime_weights.{} must be between 0.0 (counts as downtime) and 1.0 (counts as uptime), got {weight}",
                    status.as_str()
                )));
            }
        }
        Ok(())
    }
}

/// One recorded change of status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChangeAt {
    /// When it happened, in UTC.
    pub at: NaiveDateTime,
    pub from: ComponentStatus,
    pub to: ComponentStatus,
}

/// What is known of one component's statuses over time.
#[derive(Debug, Clone)]
pub struct StatusTimeline {
    /// When the component was created (UTC): before it there is no data.
    pub since: NaiveDateTime,
    /// Its status now; the status throughout when no change is known.
    pub current: ComponentStatus,
    /// Changes in any order. The history may start late: before the first
    /// known change the component was in that change's `from` status.
    pub changes: Vec<StatusChangeAt>,
}

/// The days to compute: `first..=last` in `zone`, observed up to `now` (UTC).
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub zone: Tz,
    pub now: NaiveDateTime,
}

impl Window {
    /// The `days` local days that end today (today included).
    pub fn last_days(days: u32, zone: Tz, now: NaiveDateTime) -> Window {
        let today = local_date(now, zone);
        let back = i64::from(days.max(1)) - 1;
        Window {
            first: today - Duration::days(back),
            last: today,
            zone,
            now,
        }
    }
}

/// The calendar date in `zone` at the UTC instant `at`.
pub fn local_date(at: NaiveDateTime, zone: Tz) -> NaiveDate {
    at.and_utc().with_timezone(&zone).date_naive()
}

/// The UTC instant a local day starts: midnight, or the first local time
/// that exists when a clock change skips midnight.
pub fn day_start(date: NaiveDate, zone: Tz) -> NaiveDateTime {
    let mut local = date.and_time(NaiveTime::MIN);
    for _ in 0..96 {
        if let Some(start) = zone.from_local_datetime(&local).earliest() {
            return start.naive_utc();
        }
        local += Duration::minutes(15);
    }
    date.and_time(NaiveTime::MIN)
}

/// Time spent in each status during one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StatusDurations([Duration; 5]);

impl StatusDurations {
    fn slot(status: ComponentStatus) -> usize {
        match status {
            ComponentStatus::Operational => 0,
            ComponentStatus::UnderMaintenance => 1,
            ComponentStatus::DegradedPerformance => 2,
            ComponentStatus::PartialOutage => 3,
            ComponentStatus::MajorOutage => 4,
        }
    }

    fn add(&mut self, status: ComponentStatus, time: Duration) {
        self.0[Self::slot(status)] += time;
    }

    pub fn get(&self, status: ComponentStatus) -> Duration {
        self.0[Self::slot(status)]
    }

    pub fn total(&self) -> Duration {
        self.0.iter().fold(Duration::zero(), |sum, d| sum + *d)
    }
}

/// One day of a component's uptime.
#[derive(Debug, Clone, PartialEq)]
pub struct DayUptime {
    pub date: NaiveDate,
    /// How long the local day is (23, 24 or 25 hours).
    pub length: Duration,
    /// Time observed in each status; their sum is the observed part of the day.
    pub durations: StatusDurations,
    /// Weighted uptime of the observed part, 0–100; `None` without data.
    pub uptime_percent: Option<f64>,
}

impl DayUptime {
    /// The part of the day the component existed and that has passed.
    pub fn observed(&self) -> Duration {
        self.durations.total()
    }

    pub fn has_data(&self) -> bool {
        self.observed() > Duration::zero()
    }

    /// Share of the observed part of the day spent in `status` (0 without data).
    pub fn fraction(&self, status: ComponentStatus) -> f64 {
        let observed = self.observed().num_milliseconds();
        if observed == 0 {
            return 0.0;
        }
        self.durations.get(status).num_milliseconds() as f64 / observed as f64
    }

    /// The worst status the component was in that day, if any data.
    pub fn worst(&self) -> Option<ComponentStatus> {
        ComponentStatus::ALL
            .into_iter()
            .filter(|s| self.durations.get(*s) > Duration::zero())
            .max()
    }
}

/// Spans of constant status, `[start, end)` in UTC, from `since` to `now`.
fn spans(
    timeline: &StatusTimeline,
    now: NaiveDateTime,
) -> Vec<(NaiveDateTime, NaiveDateTime, ComponentStatus)> {
    let mut changes = timeline.changes.clone();
    changes.sort_by_key(|c| c.at);
    let mut status = changes.first().map_or(timeline.current, |c| c.from);
    let mut start = timeline.since;
    let mut out = Vec::with_capacity(changes.len() + 1);
    for change in &changes {
        let at = change.at.clamp(timeline.since, now.max(timeline.since));
        if at > start {
            out.push((start, at, status));
        }
        start = start.max(at);
        status = change.to;
    }
    if now > start {
        out.push((start, now, status));
    }
    out
}

/// Per day of `window`, the time in each status and the weighted uptime.
pub fn daily_uptime(
    timeline: &StatusTimeline,
    window: &Window,
    weights: &UptimeWeights,
) -> Vec<DayUptime> {
    let spans = spans(timeline, window.now);
    let mut days = Vec::new();
    let mut date = window.first;
    while date <= window.last {
        let start = day_start(date, window.zone);
        let end = day_start(date + Duration::days(1), window.zone);
        let mut durations = StatusDurations::default();
        for (from, to, status) in &spans {
            let overlap_start = (*from).max(start);
            let overlap_end = (*to).min(end);
            if overlap_end > overlap_start {
                durations.add(*status, overlap_end - overlap_start);
            }
        }
        let uptime_percent = weighted_percent(&durations, weights);
        days.push(DayUptime {
            date,
            length: end - start,
            durations,
            uptime_percent,
        });
        date += Duration::days(1);
    }
    days
}

fn weighted_percent(durations: &StatusDurations, weights: &UptimeWeights) -> Option<f64> {
    let observed = durations.total().num_milliseconds();
    if observed == 0 {
        return None;
    }
    let up: f64 = ComponentStatus::ALL
        .into_iter()
        .map(|s| durations.get(s).num_milliseconds() as f64 * weights.weight(s))
        .sum();
    Some(100.0 * up / observed as f64)
}

/// Time in each status and the weighted uptime over `[from, to)` (UTC),
/// observed up to `now`: the same rule as the daily bars, for any period
/// (the metrics' uptime per component). `None` without data.
pub fn uptime_between(
    timeline: &StatusTimeline,
    from: NaiveDateTime,
    to: NaiveDateTime,
    now: NaiveDateTime,
    weights: &UptimeWeights,
) -> (StatusDurations, Option<f64>) {
    let mut durations = StatusDurations::default();
    for (start, end, status) in spans(timeline, now.min(to)) {
        let (start, end) = (start.max(from), end.min(to));
        if end > start {
            durations.add(status, end - start);
        }
    }
    let percent = weighted_percent(&durations, weights);
    (durations, percent)
}

/// Uptime over several days: observed time weighted, days without data left out.
pub fn overall_uptime(days: &[DayUptime], weights: &UptimeWeights) -> Option<f64> {
    let mut total = StatusDurations::default();
    for day in days {
        for status in ComponentStatus::ALL {
            total.add(status, day.durations.get(status));
        }
    }
    weighted_percent(&total, weights)
}

#[cfg(test)]
mod tests;
