//! Incident metrics: how fast the organisation noticed, arrived, restored and
//! told customers, computed from an incident's milestones. Pure functions
//! only; the report layer loads the facts and renders the figures.
//!
//! Every duration metric is the time between two moments of one incident,
//! measured twice: on the wall clock, and in support hours (only the time
//! support was open counts, see [`SupportHours`]).
//!
//! | metric | from | to |
//! |---|---|---|
//! | time to notify | failure occurred | operations notified |
//! | time to on-site | operations notified | operations on-site |
//! | time to second level | operations notified | second-level support on-site |
//! | time to restore | failure occurred | services restored |
//! | time to first external update | failure occurred (the incident's start when unknown) | the first external update shown |
//! | longest external update gap | an external update | the next one; after the last: the resolution, or now while open |
//! | client impact | a component leaves operational | it is operational again, merged across components |
//!
//! A metric whose milestones are not both known, or come in the wrong order,
//! has no value for that incident and is left out of counts and averages.
//! Promised-update adherence is a share, not a duration: of the promises made
//! by external updates ("next update by …"), how many were kept.
//!
//! [`SupportHours`]: crate::domain::support_hours::SupportHours

mod change;
mod facts;
mod impact;
mod promises;
mod recurrence;
mod sla;
mod summary;

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::support_hours::SupportHours;

pub use change::{count_change, duration_change, share_change, Change};
pub use facts::{ExternalUpdate, IncidentFacts, IncidentMetrics, StatusInterval};
pub use impact::{impact_intervals, is_client_impacting};
pub use promises::PromiseAdherence;
pub use recurrence::{recurrences, Recurrence};
pub use sla::{check_sla, SlaCheck, SlaKind, SlaOutcome, SlaTarget, SlaTargetConfig, SlaTargets};
pub use summary::{by_component, by_priority, nearest_rank, GroupSummary, MetricSummary, Summary};

/// The duration metrics, in the order the report shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    TimeToNotify,
    TimeToOnSite,
    TimeToSecondLevel,
    TimeToRestore,
    TimeToFirstExternalUpdate,
    LongestUpdateGap,
    ClientImpact,
}

impl Metric {
    pub const ALL: [Metric; 7] = [
        Metric::TimeToNotify,
        Metric::TimeToOnSite,
        Metric::TimeToSecondLevel,
        Metric::TimeToRestore,
        Metric::TimeToFirstExternalUpdate,
        Metric::LongestUpdateGap,
        Metric::ClientImpact,
    ];

    /// The key in JSON and CSV (`time_to_on_site`).
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::TimeToNotify => "time_to_notify",
            Metric::TimeToOnSite => "time_to_on_site",
            Metric::TimeToSecondLevel => "time_to_second_level",
            Metric::TimeToRestore => "time_to_restore",
            Metric::TimeToFirstExternalUpdate => "time_to_first_external_update",
            Metric::LongestUpdateGap => "longest_update_gap",
            Metric::ClientImpact => "client_impact",
        }
    }

    /// What a person reads as the metric's name.
    pub fn label(self) -> &'static str {
        match self {
            Metric::TimeToNotify => "Time to notify",
            Metric::TimeToOnSite => "Time to on-site",
            Metric::TimeToSecondLevel => "Time to second level",
            Metric::TimeToRestore => "Time to restore",
            Metric::TimeToFirstExternalUpdate => "Time to first external update",
            Metric::LongestUpdateGap => "Longest gap between external updates",
            Metric::ClientImpact => "Client impact",
        }
    }

    /// The pair of moments it measures, in the users' words.
    pub fn definition(self) -> &'static str {
        match self {
            Metric::TimeToNotify => "Failure Occurred → Operations Notified",
            Metric::TimeToOnSite => "Operations Notified → Operations On-Site",
            Metric::TimeToSecondLevel => "Operations Notified → Second Level Support On-Site",
            Metric::TimeToRestore => "Failure Occurred → Services Restored",
            Metric::TimeToFirstExternalUpdate => {
                "Failure Occurred (or the incident's start) → first external update"
            }
            Metric::LongestUpdateGap => {
                "an external update → the next one (the last one → resolution)"
            }
            Metric::ClientImpact => {
                "time any affected component was degraded or in outage, overlaps counted once"
            }
        }
    }
}

/// The two ways of counting time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clock {
    /// Every second counts.
    WallClock,
    /// Only seconds inside support hours count.
    SupportHours,
}

/// One duration in both clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Elapsed {
    pub wall_clock: Duration,
    pub support_hours: Duration,
}

impl Elapsed {
    pub fn zero() -> Elapsed {
        Elapsed {
            wall_clock: Duration::zero(),
            support_hours: Duration::zero(),
        }
    }

    /// The time from `from` to `to` (UTC), or `None` when `to` comes first:
    /// milestones out of order are a data error, not a negative duration.
    pub fn between(
        from: NaiveDateTime,
        to: NaiveDateTime,
        hours: &SupportHours,
    ) -> Option<Elapsed> {
        (to >= from).then(|| Elapsed {
            wall_clock: to - from,
            support_hours: hours.duration_within(from, to),
        })
    }

    pub fn in_clock(self, clock: Clock) -> Duration {
        match clock {
            Clock::WallClock => self.wall_clock,
            Clock::SupportHours => self.support_hours,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn every_metric_has_a_distinct_key_and_a_definition() {
        let keys: std::collections::BTreeSet<_> = Metric::ALL.iter().map(|m| m.as_str()).collect();
        assert_eq!(keys.len(), Metric::ALL.len());
        for metric in Metric::ALL {
            let json = serde_json::to_string(&metric).unwrap();
            assert_eq!(json, format!("\"{}\"", metric.as_str()));
            assert!(!metric.definition().is_empty());
        }
    }

    #[test]
    fn elapsed_time_over_a_night_differs_between_the_two_clocks() {
        let hours = SupportHours::default();
        let elapsed = Elapsed::between(at("2026-01-06 16:00"), at("2026-01-07 10:00"), &hours);
        assert_eq!(
            elapsed,
            Some(Elapsed {
                wall_clock: Duration::hours(18),
                support_hours: Duration::hours(2),
            })
        );
        assert_eq!(
            elapsed.unwrap().in_clock(Clock::SupportHours),
            Duration::hours(2)
        );
    }

    #[test]
    fn milestones_in_the_wrong_order_have_no_elapsed_time() {
        let hours = SupportHours::default();
        assert_eq!(
            Elapsed::between(at("2026-01-06 16:00"), at("2026-01-06 15:59"), &hours),
            None
        );
        assert_eq!(
            Elapsed::between(at("2026-01-06 16:00"), at("2026-01-06 16:00"), &hours),
            Some(Elapsed::zero())
        );
    }
}
