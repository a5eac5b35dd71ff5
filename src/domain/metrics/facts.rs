//! What is known of one incident, and its metrics.

use chrono::NaiveDateTime;

use super::impact::client_impact;
use super::promises::PromiseAdherence;
use super::{Elapsed, Metric};
use crate::domain::incident::Priority;
use crate::domain::status::ComponentStatus;
use crate::domain::support_hours::SupportHours;

/// One update customers saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExternalUpdate {
    /// When it is shown as posted (UTC).
    pub display_at: NaiveDateTime,
    /// The promise it made: the next update by then (UTC).
    pub next_update_by: Option<NaiveDateTime>,
}

/// A component's status over `[from, to)` (UTC), during the incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusInterval {
    pub component_id: i64,
    pub status: ComponentStatus,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

/// The milestones and updates of one incident, all in UTC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentFacts {
    pub id: i64,
    pub priority: Priority,
    pub component_ids: Vec<i64>,
    pub failure_occurred_at: Option<NaiveDateTime>,
    pub operations_notified_at: Option<NaiveDateTime>,
    pub operations_on_site_at: Option<NaiveDateTime>,
    pub second_level_on_site_at: Option<NaiveDateTime>,
    pub services_restored_at: Option<NaiveDateTime>,
    /// When the incident was opened on the page.
    pub started_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    /// External updates in any order.
    pub external_updates: Vec<ExternalUpdate>,
    /// The affected components' statuses over the incident.
    pub status_intervals: Vec<StatusInterval>,
}

/// The metrics of one incident; `None` where a milestone is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentMetrics {
    pub id: i64,
    pub priority: Priority,
    pub component_ids: Vec<i64>,
    pub time_to_notify: Option<Elapsed>,
    pub time_to_on_site: Option<Elapsed>,
    pub time_to_second_level: Option<Elapsed>,
    pub time_to_restore: Option<Elapsed>,
    pub time_to_first_external_update: Option<Elapsed>,
    /// The longest gap in each clock; the two may be different gaps (a gap
    /// over a weekend is long on the wall clock and short in support hours).
    pub longest_update_gap: Option<Elapsed>,
    /// Always known: zero when no component left operational.
    pub client_impact: Elapsed,
    pub promises: PromiseAdherence,
}

impl IncidentMetrics {
    pub fn get(&self, metric: Metric) -> Option<Elapsed> {
        match metric {
            Metric::TimeToNotify => self.time_to_notify,
            Metric::TimeToOnSite => self.time_to_on_site,
            Metric::TimeToSecondLevel => self.time_to_second_level,
            Metric::TimeToRestore => self.time_to_restore,
            Metric::TimeToFirstExternalUpdate => self.time_to_first_external_update,
            Metric::LongestUpdateGap => self.longest_update_gap,
            Metric::ClientImpact => Some(self.client_impact),
        }
    }
}

impl IncidentFacts {
    /// Every metric of the incident. `now` (UTC) ends the last update gap and
    /// judges open promises while the incident is not resolved.
    pub fn metrics(&self, hours: &SupportHours, now: NaiveDateTime) -> IncidentMetrics {
        let between = |from: Option<NaiveDateTime>, to: Option<NaiveDateTime>| {
            Elapsed::between(from?, to?, hours)
        };
        IncidentMetrics {
            id: self.id,
            priority: self.priority,
            component_ids: self.component_ids.clone(),
            time_to_notify: between(self.failure_occurred_at, self.operations_notified_at),
            time_to_on_site: between(self.operations_notified_at, self.operations_on_site_at),
            time_to_second_level: between(
                self.operations_notified_at,
                self.second_level_on_site_at,
            ),
            time_to_restore: between(self.failure_occurred_at, self.services_restored_at),
            time_to_first_external_update: between(
                Some(self.failure_start()),
                self.first_external_update_at(),
            ),
            longest_update_gap: self.longest_update_gap(hours, now),
            client_impact: client_impact(&self.status_intervals, hours),
            promises: PromiseAdherence::of(&self.external_updates, self.resolved_at, now),
        }
    }

    /// When the failure began: Failure Occurred, or the incident's start when
    /// nobody recorded it.
    pub fn failure_start(&self) -> NaiveDateTime {
        self.failure_occurred_at.unwrap_or(self.started_at)
    }

    pub fn first_external_update_at(&self) -> Option<NaiveDateTime> {
        self.external_updates.iter().map(|u| u.display_at).min()
    }

    fn longest_update_gap(&self, hours: &SupportHours, now: NaiveDateTime) -> Option<Elapsed> {
        let mut shown: Vec<NaiveDateTime> =
            self.external_updates.iter().map(|u| u.display_at).collect();
        shown.sort();
        let last = *shown.last()?;
        let end = self.resolved_at.unwrap_or(now);
        let gaps = shown
            .windows(2)
            .filter_map(|pair| Elapsed::between(pair[0], pair[1], hours))
            .chain(Elapsed::between(last, end, hours));
        gaps.reduce(|longest, gap| Elapsed {
            wall_clock: longest.wall_clock.max(gap.wall_clock),
            support_hours: longest.support_hours.max(gap.support_hours),
        })
    }
}

#[cfg(test)]
pub(super) mod tests {
    use chrono::Duration;

    use super::*;
    use ComponentStatus::*;

    pub fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    pub fn elapsed(wall_minutes: i64, support_minutes: i64) -> Elapsed {
        Elapsed {
            wall_clock: Duration::minutes(wall_minutes),
            support_hours: Duration::minutes(support_minutes),
        }
    }

    pub fn update(display_at: &str, next_update_by: Option<&str>) -> ExternalUpdate {
        ExternalUpdate {
            display_at: at(display_at),
            next_update_by: next_update_by.map(at),
        }
    }

    pub fn interval(
        component_id: i64,
        status: ComponentStatus,
        from: &str,
        to: &str,
    ) -> StatusInterval {
        StatusInterval {
            component_id,
            status,
            from: at(from),
            to: at(to),
        }
    }

    /// An incident with nothing recorded but its start.
    pub fn bare(id: i64, priority: Priority, started_at: &str) -> IncidentFacts {
        IncidentFacts {
            id,
            priority,
            component_ids: vec![1],
            failure_occurred_at: None,
            operations_notified_at: None,
            operations_on_site_at: None,
            second_level_on_site_at: None,
            services_restored_at: None,
            started_at: at(started_at),
            resolved_at: None,
            external_updates: Vec::new(),
            status_intervals: Vec::new(),
        }
    }

    /// Monday 2026-01-05, inside office hours (Mon–Fri 09:00–17:00 UTC) for most of the day.
    pub fn monday_outage() -> IncidentFacts {
        IncidentFacts {
            component_ids: vec![1, 2],
            failure_occurred_at: Some(at("2026-01-05 08:30")),
            operations_notified_at: Some(at("2026-01-05 08:45")),
            operations_on_site_at: Some(at("2026-01-05 09:15")),
            second_level_on_site_at: Some(at("2026-01-05 10:45")),
            services_restored_at: Some(at("2026-01-05 16:30")),
            resolved_at: Some(at("2026-01-05 17:30")),
            external_updates: vec![
                update("2026-01-05 10:20", Some("2026-01-05 11:00")),
                update("2026-01-05 09:00", Some("2026-01-05 09:30")),
                update("2026-01-05 09:40", Some("2026-01-05 10:30")),
                update("2026-01-05 12:00", None),
                update("2026-01-05 17:30", None),
            ],
            status_intervals: vec![
                interval(1, MajorOutage, "2026-01-05 08:30", "2026-01-05 12:00"),
                interval(
                    2,
                    DegradedPerformance,
                    "2026-01-05 11:00",
                    "2026-01-05 16:30",
                ),
                interval(1, UnderMaintenance, "2026-01-05 16:30", "2026-01-05 18:00"),
                interval(3, Operational, "2026-01-05 08:00", "2026-01-05 18:00"),
            ],
            ..bare(1, Priority::P1, "2026-01-05 08:40")
        }
    }

    /// Friday 2026-01-09 evening to Monday morning.
    pub fn weekend_outage() -> IncidentFacts {
        IncidentFacts {
            failure_occurred_at: Some(at("2026-01-09 16:00")),
            operations_notified_at: Some(at("2026-01-09 16:30")),
            operations_on_site_at: Some(at("2026-01-10 10:00")),
            services_restored_at: Some(at("2026-01-12 10:00")),
            resolved_at: Some(at("2026-01-12 10:30")),
            ..bare(2, Priority::P2, "2026-01-09 16:05")
        }
    }

    fn metrics(facts: &IncidentFacts, now: &str) -> IncidentMetrics {
        facts.metrics(&SupportHours::default(), at(now))
    }

    #[test]
    fn each_milestone_pair_is_measured_in_both_clocks() {
        let m = metrics(&monday_outage(), "2026-01-06 12:00");
        assert_eq!(m.time_to_notify, Some(elapsed(15, 0)));
        assert_eq!(m.time_to_on_site, Some(elapsed(30, 15)));
        assert_eq!(m.time_to_second_level, Some(elapsed(120, 105)));
        assert_eq!(m.time_to_restore, Some(elapsed(480, 450)));
        assert_eq!(m.time_to_first_external_update, Some(elapsed(30, 0)));
        assert_eq!(m.get(Metric::TimeToRestore), m.time_to_restore);
    }

    #[test]
    fn a_weekend_counts_on_the_wall_clock_but_not_in_support_hours() {
        let m = metrics(&weekend_outage(), "2026-01-13 12:00");
        assert_eq!(m.time_to_notify, Some(elapsed(30, 30)));
        assert_eq!(m.time_to_on_site, Some(elapsed(17 * 60 + 30, 30)));
        assert_eq!(m.time_to_restore, Some(elapsed(66 * 60, 120)));
    }

    #[test]
    fn a_missing_milestone_leaves_its_metrics_empty() {
        let m = metrics(&weekend_outage(), "2026-01-13 12:00");
        assert_eq!(m.time_to_second_level, None);
        assert_eq!(m.time_to_first_external_update, None);
        assert_eq!(m.longest_update_gap, None);
        assert_eq!(m.client_impact, Elapsed::zero());
        assert_eq!(m.get(Metric::ClientImpact), Some(Elapsed::zero()));
    }

    #[test]
    fn milestones_in_the_wrong_order_leave_the_metric_empty() {
        let facts = IncidentFacts {
            failure_occurred_at: Some(at("2026-01-05 10:00")),
            operations_notified_at: Some(at("2026-01-05 09:00")),
            ..bare(3, Priority::P3, "2026-01-05 09:00")
        };
        assert_eq!(metrics(&facts, "2026-01-05 12:00").time_to_notify, None);
    }

    #[test]
    fn the_first_external_update_counts_from_the_start_when_the_failure_time_is_unknown() {
        let facts = IncidentFacts {
            external_updates: vec![
                update("2026-01-07 10:50", None),
                update("2026-01-07 10:30", None),
            ],
            ..bare(3, Priority::P3, "2026-01-07 10:00")
        };
        assert_eq!(facts.failure_start(), at("2026-01-07 10:00"));
        let m = metrics(&facts, "2026-01-07 11:00");
        assert_eq!(m.time_to_first_external_update, Some(elapsed(30, 30)));
    }

    #[test]
    fn the_longest_update_gap_includes_the_last_update_to_resolution() {
        // Gaps 40 m, 40 m, 1 h 40 m, then 12:00 → 17:30 (5 h in support hours), then 0.
        let m = metrics(&monday_outage(), "2026-01-06 12:00");
        assert_eq!(m.longest_update_gap, Some(elapsed(330, 300)));
        let quiet_end = IncidentFacts {
            external_updates: vec![update("2026-01-05 09:00", None)],
            resolved_at: Some(at("2026-01-05 13:00")),
            ..bare(4, Priority::P3, "2026-01-05 09:00")
        };
        let m = metrics(&quiet_end, "2026-01-06 12:00");
        assert_eq!(m.longest_update_gap, Some(elapsed(240, 240)));
    }

    #[test]
    fn an_open_incident_counts_its_silence_up_to_now() {
        let facts = IncidentFacts {
            external_updates: vec![
                update("2026-01-07 10:30", None),
                update("2026-01-07 10:50", None),
            ],
            ..bare(5, Priority::P3, "2026-01-07 10:00")
        };
        let m = metrics(&facts, "2026-01-07 12:30");
        assert_eq!(m.longest_update_gap, Some(elapsed(100, 100)));
    }

    #[test]
    fn the_longest_gap_is_chosen_separately_in_each_clock() {
        let facts = IncidentFacts {
            external_updates: vec![
                update("2026-01-09 17:00", None),
                update("2026-01-12 09:00", None),
                update("2026-01-12 12:00", None),
            ],
            resolved_at: Some(at("2026-01-12 12:00")),
            ..bare(6, Priority::P2, "2026-01-09 16:30")
        };
        let m = metrics(&facts, "2026-01-13 00:00");
        // Friday 17:00 → Monday 09:00 is 64 h of wall clock and no support time;
        // Monday 09:00 → 12:00 is the longest in support hours.
        assert_eq!(m.longest_update_gap, Some(elapsed(64 * 60, 180)));
    }

    #[test]
    fn client_impact_and_promises_are_part_of_the_incident_metrics() {
        let m = metrics(&monday_outage(), "2026-01-06 12:00");
        // Outage 08:30–12:00 and degradation 11:00–16:30 merge into 08:30–16:30;
        // maintenance and operational time do not count.
        assert_eq!(m.client_impact, elapsed(480, 450));
        // 09:30 broken (next at 09:40), 10:30 kept (10:20), 11:00 broken (12:00).
        assert_eq!(
            m.promises,
            PromiseAdherence {
                kept: 1,
                broken: 2,
                open: 0
            }
        );
    }
}
