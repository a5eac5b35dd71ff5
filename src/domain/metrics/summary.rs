//! Figures over many incidents: count, median, 90th percentile and mean,
//! overall, by priority and by component.
//!
//! Percentiles use the nearest-rank method: the p-th percentile of n values
//! sorted ascending is the value at rank ⌈p × n / 100⌉ (ranks start at 1).
//! So the median is always a value that happened — for an even count the
//! lower of the two middle values, never their average — and p90 of 10
//! values is the 9th smallest.

use std::collections::BTreeMap;

use chrono::Duration;

use super::facts::IncidentMetrics;
use super::promises::PromiseAdherence;
use super::{Clock, Metric};
use crate::domain::incident::Priority;

/// Count, median, 90th percentile and mean of some durations; no figures
/// but the count when there are none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub count: usize,
    pub median: Option<Duration>,
    pub p90: Option<Duration>,
    /// The arithmetic mean, truncated to the nanosecond.
    pub mean: Option<Duration>,
}

impl Summary {
    pub fn of(values: impl IntoIterator<Item = Duration>) -> Summary {
        let mut sorted: Vec<Duration> = values.into_iter().collect();
        sorted.sort();
        let total = sorted.iter().fold(Duration::zero(), |sum, d| sum + *d);
        let mean = i32::try_from(sorted.len())
            .ok()
            .and_then(|count| total.checked_div(count));
        Summary {
            count: sorted.len(),
            median: nearest_rank(&sorted, 50),
            p90: nearest_rank(&sorted, 90),
            mean,
        }
    }
}

/// The `percent`-th percentile (1–100) of values sorted ascending, by nearest
/// rank; `None` for no values.
pub fn nearest_rank(sorted: &[Duration], percent: u32) -> Option<Duration> {
    let n = sorted.len();
    let percent = percent.clamp(1, 100) as usize;
    let rank = (percent * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// One metric summarised in both clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricSummary {
    pub wall_clock: Summary,
    pub support_hours: Summary,
}

impl MetricSummary {
    /// Over the incidents that have a value for `metric`.
    pub fn of<'a>(
        metric: Metric,
        incidents: impl IntoIterator<Item = &'a IncidentMetrics> + Clone,
    ) -> MetricSummary {
        let values = |clock: Clock| {
            incidents
                .clone()
                .into_iter()
                .filter_map(move |i| i.get(metric))
                .map(move |e| e.in_clock(clock))
        };
        MetricSummary {
            wall_clock: Summary::of(values(Clock::WallClock)),
            support_hours: Summary::of(values(Clock::SupportHours)),
        }
    }

    pub fn in_clock(&self, clock: Clock) -> &Summary {
        match clock {
            Clock::WallClock => &self.wall_clock,
            Clock::SupportHours => &self.support_hours,
        }
    }
}

/// Every figure of a set of incidents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    pub incidents: usize,
    /// One entry per [`Metric`], even when no incident had a value.
    pub metrics: BTreeMap<Metric, MetricSummary>,
    pub promises: PromiseAdherence,
}

impl GroupSummary {
    pub fn of<'a>(incidents: impl IntoIterator<Item = &'a IncidentMetrics>) -> GroupSummary {
        let incidents: Vec<&IncidentMetrics> = incidents.into_iter().collect();
        GroupSummary {
            incidents: incidents.len(),
            metrics: Metric::ALL
                .into_iter()
                .map(|m| (m, MetricSummary::of(m, incidents.iter().copied())))
                .collect(),
            promises: incidents.iter().map(|i| i.promises).sum(),
        }
    }

    pub fn get(&self, metric: Metric) -> Option<&MetricSummary> {
        self.metrics.get(&metric)
    }
}

/// One group per priority that has incidents.
pub fn by_priority(incidents: &[IncidentMetrics]) -> BTreeMap<Priority, GroupSummary> {
    let mut groups: BTreeMap<Priority, Vec<&IncidentMetrics>> = BTreeMap::new();
    for incident in incidents {
        groups.entry(incident.priority).or_default().push(incident);
    }
    groups
        .into_iter()
        .map(|(priority, members)| (priority, GroupSummary::of(members)))
        .collect()
}

/// One group per component id; an incident on several components counts in each.
pub fn by_component(incidents: &[IncidentMetrics]) -> BTreeMap<i64, GroupSummary> {
    let mut groups: BTreeMap<i64, Vec<&IncidentMetrics>> = BTreeMap::new();
    for incident in incidents {
        let mut components = incident.component_ids.clone();
        components.sort_unstable();
        components.dedup();
        for component in components {
            groups.entry(component).or_default().push(incident);
        }
    }
    groups
        .into_iter()
        .map(|(component, members)| (component, GroupSummary::of(members)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::facts::tests::elapsed;
    use super::super::Elapsed;
    use super::*;

    fn minutes(values: &[i64]) -> Vec<Duration> {
        values.iter().map(|m| Duration::minutes(*m)).collect()
    }

    fn m(value: i64) -> Option<Duration> {
        Some(Duration::minutes(value))
    }

    fn incident(
        id: i64,
        priority: Priority,
        components: &[i64],
        restore: Option<Elapsed>,
    ) -> IncidentMetrics {
        IncidentMetrics {
            id,
            priority,
            component_ids: components.to_vec(),
            time_to_notify: None,
            time_to_on_site: None,
            time_to_second_level: None,
            time_to_restore: restore,
            time_to_first_external_update: None,
            longest_update_gap: None,
            client_impact: Elapsed::zero(),
            promises: PromiseAdherence {
                kept: 1,
                broken: 0,
                open: 0,
            },
        }
    }

    #[test]
    fn an_empty_summary_has_a_count_of_zero_and_no_figures() {
        let summary = Summary::of(Vec::new());
        assert_eq!(
            summary,
            Summary {
                count: 0,
                median: None,
                p90: None,
                mean: None
            }
        );
    }

    #[test]
    fn a_single_value_is_its_own_median_p90_and_mean() {
        let summary = Summary::of(minutes(&[7]));
        assert_eq!(
            summary,
            Summary {
                count: 1,
                median: m(7),
                p90: m(7),
                mean: m(7)
            }
        );
    }

    #[test]
    fn p90_of_ten_values_is_the_ninth_smallest() {
        let summary = Summary::of(minutes(&[10, 3, 7, 1, 9, 2, 8, 4, 6, 5]));
        assert_eq!(summary.count, 10);
        assert_eq!(summary.p90, m(9));
        // Even count: the lower middle value, not the average of 5 and 6.
        assert_eq!(summary.median, m(5));
        assert_eq!(summary.mean, Some(Duration::seconds(330)));
    }

    #[test]
    fn an_odd_count_has_the_middle_value_as_median() {
        let summary = Summary::of(minutes(&[30, 10, 20]));
        assert_eq!(summary.median, m(20));
        // ⌈0.9 × 3⌉ = 3: the largest.
        assert_eq!(summary.p90, m(30));
        assert_eq!(summary.mean, m(20));
    }

    #[test]
    fn nearest_rank_runs_from_the_smallest_to_the_largest() {
        let sorted = minutes(&[1, 2, 3, 4]);
        assert_eq!(nearest_rank(&sorted, 1), m(1));
        assert_eq!(nearest_rank(&sorted, 25), m(1));
        assert_eq!(nearest_rank(&sorted, 26), m(2));
        assert_eq!(nearest_rank(&sorted, 100), m(4));
        assert_eq!(nearest_rank(&[], 50), None);
    }

    #[test]
    fn a_metric_summary_skips_incidents_without_a_value_and_keeps_both_clocks() {
        let incidents = [
            incident(1, Priority::P1, &[1], Some(elapsed(60, 30))),
            incident(2, Priority::P1, &[1], None),
            incident(3, Priority::P2, &[2], Some(elapsed(180, 90))),
        ];
        let summary = MetricSummary::of(Metric::TimeToRestore, &incidents);
        assert_eq!(summary.wall_clock.count, 2);
        assert_eq!(summary.wall_clock.median, m(60));
        assert_eq!(summary.wall_clock.mean, m(120));
        assert_eq!(summary.in_clock(Clock::SupportHours).mean, m(60));
        assert_eq!(summary.support_hours.p90, m(90));
    }

    #[test]
    fn incidents_are_grouped_by_priority() {
        let incidents = [
            incident(1, Priority::P2, &[1], Some(elapsed(60, 30))),
            incident(2, Priority::P1, &[1], Some(elapsed(10, 10))),
            incident(3, Priority::P2, &[2], Some(elapsed(180, 90))),
        ];
        let groups = by_priority(&incidents);
        assert_eq!(
            groups.keys().copied().collect::<Vec<_>>(),
            [Priority::P1, Priority::P2]
        );
        let p2 = &groups[&Priority::P2];
        assert_eq!(p2.incidents, 2);
        assert_eq!(p2.promises.kept, 2);
        let restore = p2.get(Metric::TimeToRestore).unwrap();
        assert_eq!(restore.wall_clock.median, m(60));
        assert_eq!(restore.wall_clock.p90, m(180));
        assert_eq!(p2.get(Metric::TimeToNotify).unwrap().wall_clock.count, 0);
        assert_eq!(p2.metrics.len(), Metric::ALL.len());
    }

    #[test]
    fn an_incident_on_two_components_counts_in_each_component_group() {
        let incidents = [
            incident(1, Priority::P1, &[1, 2, 2], Some(elapsed(60, 60))),
            incident(2, Priority::P3, &[2], Some(elapsed(120, 0))),
        ];
        let groups = by_component(&incidents);
        assert_eq!(groups.keys().copied().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(groups[&1].incidents, 1);
        assert_eq!(groups[&2].incidents, 2);
        let restore = groups[&2].get(Metric::TimeToRestore).unwrap();
        assert_eq!(restore.wall_clock.mean, m(90));
        assert_eq!(restore.support_hours.mean, m(30));
    }

    #[test]
    fn a_group_of_no_incidents_has_empty_figures() {
        let group = GroupSummary::of(&[]);
        assert_eq!(group.incidents, 0);
        assert_eq!(group.promises, PromiseAdherence::default());
        assert!(group.metrics.values().all(|s| s.wall_clock.count == 0));
    }
}
