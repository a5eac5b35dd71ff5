//! Recurrences: the same component in trouble again soon after an incident,
//! a sign that the earlier incident's action items did not fix the cause.

use chrono::{Duration, NaiveDateTime};
use serde::Serialize;

use super::facts::IncidentFacts;

/// The later incident started within the window after the earlier one, on
/// the same component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Recurrence {
    pub earlier_id: i64,
    pub later_id: i64,
    pub component_id: i64,
}

/// Every pair of incidents on a shared component whose starts are at most
/// `window` apart (inclusive), one entry per shared component. Incidents that
/// start at the same moment are ordered by id. Ordered by component, then
/// by the earlier incident's start, then by the later one's.
///
/// To find the recurrences of a period, pass its incidents and those that
/// started in the `window` before it.
pub fn recurrences(incidents: &[IncidentFacts], window: Duration) -> Vec<Recurrence> {
    let mut starts: Vec<(i64, NaiveDateTime, i64)> = Vec::new();
    for incident in incidents {
        let mut components = incident.component_ids.clone();
        components.sort_unstable();
        components.dedup();
        for component in components {
            starts.push((component, incident.started_at, incident.id));
        }
    }
    starts.sort_unstable();
    let mut found = Vec::new();
    for (i, &(component, started, earlier_id)) in starts.iter().enumerate() {
        for &(other_component, other_started, later_id) in &starts[i + 1..] {
            if other_component != component || other_started - started > window {
                break;
            }
            if later_id != earlier_id {
                found.push(Recurrence {
                    earlier_id,
                    later_id,
                    component_id: component,
                });
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::super::facts::tests::bare;
    use super::*;
    use crate::domain::incident::Priority;

    fn on(id: i64, components: &[i64], started_at: &str) -> IncidentFacts {
        IncidentFacts {
            component_ids: components.to_vec(),
            ..bare(id, Priority::P2, started_at)
        }
    }

    fn pair(earlier_id: i64, later_id: i64, component_id: i64) -> Recurrence {
        Recurrence {
            earlier_id,
            later_id,
            component_id,
        }
    }

    fn thirty_days() -> Duration {
        Duration::days(30)
    }

    #[test]
    fn an_incident_on_the_same_component_within_the_window_is_a_recurrence() {
        let incidents = [
            on(1, &[7], "2026-01-01 10:00"),
            on(2, &[7], "2026-01-20 10:00"),
        ];
        assert_eq!(recurrences(&incidents, thirty_days()), [pair(1, 2, 7)]);
    }

    #[test]
    fn an_incident_after_the_window_is_not_a_recurrence() {
        let incidents = [
            on(1, &[7], "2026-01-01 10:00"),
            on(2, &[7], "2026-01-31 10:01"),
        ];
        assert!(recurrences(&incidents, thirty_days()).is_empty());
    }

    #[test]
    fn the_window_includes_its_last_moment() {
        let incidents = [
            on(1, &[7], "2026-01-01 10:00"),
            on(2, &[7], "2026-01-31 10:00"),
        ];
        assert_eq!(recurrences(&incidents, thirty_days()), [pair(1, 2, 7)]);
    }

    #[test]
    fn incidents_on_different_components_are_not_recurrences() {
        let incidents = [
            on(1, &[7], "2026-01-01 10:00"),
            on(2, &[8], "2026-01-02 10:00"),
        ];
        assert!(recurrences(&incidents, thirty_days()).is_empty());
    }

    #[test]
    fn every_earlier_incident_in_the_window_is_paired_on_every_shared_component() {
        let incidents = [
            on(5, &[1, 2], "2026-01-25 10:00"),
            on(1, &[1], "2026-01-01 10:00"),
            on(3, &[1], "2026-03-01 10:00"),
            on(2, &[1], "2026-01-20 10:00"),
            on(4, &[2], "2026-01-10 10:00"),
        ];
        assert_eq!(
            recurrences(&incidents, thirty_days()),
            [pair(1, 2, 1), pair(1, 5, 1), pair(2, 5, 1), pair(4, 5, 2),]
        );
    }

    #[test]
    fn incidents_starting_together_are_ordered_by_id_and_a_component_listed_twice_counts_once() {
        let incidents = [
            on(9, &[3, 3], "2026-01-01 10:00"),
            on(4, &[3], "2026-01-01 10:00"),
        ];
        assert_eq!(recurrences(&incidents, thirty_days()), [pair(4, 9, 3)]);
    }
}
