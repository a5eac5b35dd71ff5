//! Client impact: how long customers felt the incident, from the affected
//! components' statuses.

use chrono::NaiveDateTime;

use super::facts::StatusInterval;
use super::Elapsed;
use crate::domain::status::ComponentStatus;
use crate::domain::support_hours::SupportHours;

/// Whether customers are affected by a component in `status`: degraded
/// performance and outages are; operational and planned maintenance are not.
pub fn is_client_impacting(status: ComponentStatus) -> bool {
    match status {
        ComponentStatus::Operational | ComponentStatus::UnderMaintenance => false,
        ComponentStatus::DegradedPerformance
        | ComponentStatus::PartialOutage
        | ComponentStatus::MajorOutage => true,
    }
}

/// The periods (UTC, `[from, to)`, in order, none overlapping or touching)
/// when at least one component was in an impacting status: two components
/// down at the same time count once.
pub fn impact_intervals(intervals: &[StatusInterval]) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let mut impacting: Vec<(NaiveDateTime, NaiveDateTime)> = intervals
        .iter()
        .filter(|i| is_client_impacting(i.status) && i.from < i.to)
        .map(|i| (i.from, i.to))
        .collect();
    impacting.sort();
    let mut merged: Vec<(NaiveDateTime, NaiveDateTime)> = Vec::with_capacity(impacting.len());
    for (from, to) in impacting {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// The total of [`impact_intervals`] in both clocks.
pub(super) fn client_impact(intervals: &[StatusInterval], hours: &SupportHours) -> Elapsed {
    impact_intervals(intervals)
        .into_iter()
        .fold(Elapsed::zero(), |total, (from, to)| Elapsed {
            wall_clock: total.wall_clock + (to - from),
            support_hours: total.support_hours + hours.duration_within(from, to),
        })
}

#[cfg(test)]
mod tests {
    use super::super::facts::tests::{at, elapsed, interval};
    use super::*;
    use ComponentStatus::*;

    #[test]
    fn only_degraded_and_outage_statuses_affect_clients() {
        assert!(!is_client_impacting(Operational));
        assert!(!is_client_impacting(UnderMaintenance));
        assert!(is_client_impacting(DegradedPerformance));
        assert!(is_client_impacting(PartialOutage));
        assert!(is_client_impacting(MajorOutage));
    }

    #[test]
    fn overlapping_component_outages_are_merged_and_counted_once() {
        let intervals = [
            interval(1, MajorOutage, "2026-01-05 10:00", "2026-01-05 11:00"),
            interval(2, PartialOutage, "2026-01-05 10:30", "2026-01-05 12:00"),
            interval(
                3,
                DegradedPerformance,
                "2026-01-05 10:45",
                "2026-01-05 11:15",
            ),
        ];
        assert_eq!(
            impact_intervals(&intervals),
            [(at("2026-01-05 10:00"), at("2026-01-05 12:00"))]
        );
        assert_eq!(
            client_impact(&intervals, &SupportHours::default()),
            elapsed(120, 120)
        );
    }

    #[test]
    fn separate_outages_add_up_and_touching_ones_join() {
        let intervals = [
            interval(1, MajorOutage, "2026-01-05 14:00", "2026-01-05 14:30"),
            interval(
                1,
                DegradedPerformance,
                "2026-01-05 10:00",
                "2026-01-05 10:20",
            ),
            interval(2, PartialOutage, "2026-01-05 10:20", "2026-01-05 10:30"),
        ];
        assert_eq!(
            impact_intervals(&intervals),
            [
                (at("2026-01-05 10:00"), at("2026-01-05 10:30")),
                (at("2026-01-05 14:00"), at("2026-01-05 14:30")),
            ]
        );
        assert_eq!(
            client_impact(&intervals, &SupportHours::default()),
            elapsed(60, 60)
        );
    }

    #[test]
    fn maintenance_operational_and_empty_intervals_are_not_impact() {
        let intervals = [
            interval(1, UnderMaintenance, "2026-01-05 10:00", "2026-01-05 11:00"),
            interval(2, Operational, "2026-01-05 10:00", "2026-01-05 11:00"),
            interval(3, MajorOutage, "2026-01-05 12:00", "2026-01-05 12:00"),
            interval(3, MajorOutage, "2026-01-05 13:00", "2026-01-05 12:00"),
        ];
        assert!(impact_intervals(&intervals).is_empty());
        assert_eq!(
            client_impact(&intervals, &SupportHours::default()),
            Elapsed::zero()
        );
    }

    #[test]
    fn impact_overnight_counts_fully_on_the_wall_clock_and_partly_in_support_hours() {
        let intervals = [interval(
            1,
            MajorOutage,
            "2026-01-06 16:00",
            "2026-01-07 10:00",
        )];
        assert_eq!(
            client_impact(&intervals, &SupportHours::default()),
            elapsed(18 * 60, 120)
        );
    }
}
