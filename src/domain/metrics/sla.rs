//! SLA targets per priority and whether an incident met them.
//!
//! A target is agreed in one clock (the wall clock, or support hours), but
//! every check is judged in both, so the report can show "met in support
//! hours, 17 h late on the wall clock". Only the agreed clock decides
//! [`SlaCheck::is_breached`]. A target is met when the elapsed time is at
//! most the target; a milestone still missing once the target has elapsed is
//! already a breach.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::facts::IncidentFacts;
use super::{Clock, Elapsed};
use crate::domain::incident::Priority;
use crate::domain::support_hours::SupportHours;
use crate::domain::Invalid;

/// The targets of one priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaTarget {
    /// Operations Notified → Operations On-Site.
    pub on_site: Duration,
    /// Failure Occurred → Services Restored.
    pub restore: Duration,
    /// Whether the targets count support hours only.
    pub support_hours: bool,
}

impl SlaTarget {
    pub fn clock(&self) -> Clock {
        if self.support_hours {
            Clock::SupportHours
        } else {
            Clock::WallClock
        }
    }
}

/// A target as written in the configuration file, one table per priority:
///
/// ```toml
/// [P1]
/// on_site_minutes = 30
/// restore_minutes = 240
///
/// [P3]
/// on_site_minutes = 240
/// restore_minutes = 960
/// support_hours = true
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaTargetConfig {
    pub on_site_minutes: u32,
    pub restore_minutes: u32,
    #[serde(default)]
    pub support_hours: bool,
}

/// The targets of each priority that has any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SlaTargets(BTreeMap<Priority, SlaTarget>);

impl SlaTargets {
    pub fn new(targets: BTreeMap<Priority, SlaTarget>) -> SlaTargets {
        SlaTargets(targets)
    }

    /// Reads the configuration shape, keyed by priority (`P1`…`P4`).
    pub fn parse(config: &BTreeMap<String, SlaTargetConfig>) -> Result<SlaTargets, Invalid> {
        let mut targets = BTreeMap::new();
        for (key, target) in config {
            let priority =
                Priority::parse(key).map_err(|e| Invalid::new(format!("SLA targets: {}", e.0)))?;
            for (field, minutes) in [
                ("on_site_minutes", target.on_site_minutes),
                ("restore_minutes", target.restore_minutes),
            ] {
                if minutes == 0 {
                    return Err(Invalid::new(format!(
                        "SLA targets, {key}.{field}: must be at least 1 minute"
                    )));
                }
            }
            let parsed = SlaTarget {
                on_site: Duration::minutes(i64::from(target.on_site_minutes)),
                restore: Duration::minutes(i64::from(target.restore_minutes)),
                support_hours: target.support_hours,
            };
            if targets.insert(priority, parsed).is_some() {
                return Err(Invalid::new(format!(
                    "SLA targets: {} is given twice; keep one table for it",
                    priority.as_str()
                )));
            }
        }
        Ok(SlaTargets(targets))
    }

    pub fn get(&self, priority: Priority) -> Option<&SlaTarget> {
        self.0.get(&priority)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Priority, &SlaTarget)> {
        self.0.iter()
    }
}

/// Which target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaKind {
    OnSite,
    Restore,
}

impl SlaKind {
    pub fn label(self) -> &'static str {
        match self {
            SlaKind::OnSite => "Time to on-site",
            SlaKind::Restore => "Time to restore",
        }
    }
}

/// How one target turned out in one clock. Deadlines are UTC; durations are
/// counted in that clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaOutcome {
    /// The starting milestone is missing, or the milestones are out of order.
    NotMeasurable,
    /// The ending milestone is missing but the target has not elapsed yet.
    Pending { deadline: NaiveDateTime },
    Met {
        deadline: NaiveDateTime,
        elapsed: Duration,
    },
    /// Late by `over`: up to the ending milestone, or up to now while it is missing.
    Breached {
        deadline: NaiveDateTime,
        over: Duration,
    },
}

/// One target of one incident, judged in both clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaCheck {
    pub incident_id: i64,
    pub priority: Priority,
    pub kind: SlaKind,
    pub target: Duration,
    /// The clock the target was agreed in.
    pub agreed: Clock,
    pub wall_clock: SlaOutcome,
    pub support_hours: SlaOutcome,
}

impl SlaCheck {
    pub fn outcome_in(&self, clock: Clock) -> SlaOutcome {
        match clock {
            Clock::WallClock => self.wall_clock,
            Clock::SupportHours => self.support_hours,
        }
    }

    /// The outcome in the agreed clock.
    pub fn outcome(&self) -> SlaOutcome {
        self.outcome_in(self.agreed)
    }

    /// Whether the target was missed in the agreed clock.
    pub fn is_breached(&self) -> bool {
        matches!(self.outcome(), SlaOutcome::Breached { .. })
    }
}

/// The incident's checks against its priority's targets (none when its
/// priority has no targets), on-site first.
pub fn check_sla(
    facts: &IncidentFacts,
    targets: &SlaTargets,
    hours: &SupportHours,
    now: NaiveDateTime,
) -> Vec<SlaCheck> {
    let Some(target) = targets.get(facts.priority) else {
        return Vec::new();
    };
    [
        (
            SlaKind::OnSite,
            target.on_site,
            facts.operations_notified_at,
            facts.operations_on_site_at,
        ),
        (
            SlaKind::Restore,
            target.restore,
            facts.failure_occurred_at,
            facts.services_restored_at,
        ),
    ]
    .into_iter()
    .map(|(kind, limit, start, end)| {
        let judge = |clock| judge(start, end, limit, clock, hours, now);
        SlaCheck {
            incident_id: facts.id,
            priority: facts.priority,
            kind,
            target: limit,
            agreed: target.clock(),
            wall_clock: judge(Clock::WallClock),
            support_hours: judge(Clock::SupportHours),
        }
    })
    .collect()
}

fn judge(
    start: Option<NaiveDateTime>,
    end: Option<NaiveDateTime>,
    target: Duration,
    clock: Clock,
    hours: &SupportHours,
    now: NaiveDateTime,
) -> SlaOutcome {
    let Some(start) = start else {
        return SlaOutcome::NotMeasurable;
    };
    let deadline = match clock {
        Clock::WallClock => start
            .checked_add_signed(target)
            .unwrap_or(NaiveDateTime::MAX),
        Clock::SupportHours => hours.add_support_time(start, target),
    };
    let elapsed = |to| Elapsed::between(start, to, hours).map(|e| e.in_clock(clock));
    match end {
        Some(end) => match elapsed(end) {
            None => SlaOutcome::NotMeasurable,
            Some(took) if took <= target => SlaOutcome::Met {
                deadline,
                elapsed: took,
            },
            Some(took) => SlaOutcome::Breached {
                deadline,
                over: took - target,
            },
        },
        None => match elapsed(now) {
            Some(so_far) if so_far > target => SlaOutcome::Breached {
                deadline,
                over: so_far - target,
            },
            _ => SlaOutcome::Pending { deadline },
        },
    }
}

#[cfg(test)]
mod tests {
    use figment::providers::{Format, Toml};
    use figment::Figment;

    use super::super::facts::tests::{at, bare, weekend_outage};
    use super::*;

    fn h(hours: i64) -> Duration {
        Duration::hours(hours)
    }

    fn min(minutes: i64) -> Duration {
        Duration::minutes(minutes)
    }

    /// P1 on the wall clock (30 min on site, 4 h to restore); P2 in support
    /// hours (1 h on site, 8 h to restore).
    fn targets() -> SlaTargets {
        SlaTargets::parse(&config(
            r#"
            [P1]
            on_site_minutes = 30
            restore_minutes = 240
            [p2]
            on_site_minutes = 60
            restore_minutes = 480
            support_hours = true
            "#,
        ))
        .unwrap()
    }

    fn config(toml: &str) -> BTreeMap<String, SlaTargetConfig> {
        Figment::from(Toml::string(toml)).extract().unwrap()
    }

    fn check(facts: &IncidentFacts, now: &str) -> Vec<SlaCheck> {
        check_sla(facts, &targets(), &SupportHours::default(), at(now))
    }

    #[test]
    fn the_configuration_reads_into_targets_per_priority() {
        let targets = targets();
        assert_eq!(
            targets.get(Priority::P2),
            Some(&SlaTarget {
                on_site: h(1),
                restore: h(8),
                support_hours: true
            })
        );
        assert_eq!(targets.get(Priority::P1).unwrap().clock(), Clock::WallClock);
        assert_eq!(targets.get(Priority::P3), None);
        assert_eq!(targets.iter().count(), 2);
    }

    #[test]
    fn a_bad_target_configuration_says_what_to_fix() {
        let unknown = SlaTargets::parse(&config("[P5]\non_site_minutes = 1\nrestore_minutes = 1"))
            .unwrap_err();
        assert!(unknown.0.contains("P1, P2, P3 or P4"), "{}", unknown.0);
        let zero = SlaTargets::parse(&config("[P1]\non_site_minutes = 0\nrestore_minutes = 1"))
            .unwrap_err();
        assert!(zero.0.contains("P1.on_site_minutes"), "{}", zero.0);
        let twice = SlaTargets::parse(&config(
            "[P1]\non_site_minutes = 1\nrestore_minutes = 1\n[p1]\non_site_minutes = 2\nrestore_minutes = 2",
        ))
        .unwrap_err();
        assert!(twice.0.contains("P1 is given twice"), "{}", twice.0);
    }

    #[test]
    fn a_weekend_breaches_a_wall_clock_target_that_support_hours_meet() {
        // Notified Friday 16:30, on site Saturday 10:00: 17 h 30 on the wall
        // clock, 30 min in support hours.
        let facts = IncidentFacts {
            priority: Priority::P1,
            ..weekend_outage()
        };
        let checks = check(&facts, "2026-01-13 00:00");
        let on_site = checks[0];
        assert_eq!(on_site.kind, SlaKind::OnSite);
        assert_eq!(on_site.agreed, Clock::WallClock);
        assert_eq!(
            on_site.wall_clock,
            SlaOutcome::Breached {
                deadline: at("2026-01-09 17:00"),
                over: h(17)
            }
        );
        assert_eq!(
            on_site.support_hours,
            SlaOutcome::Met {
                deadline: at("2026-01-09 17:00"),
                elapsed: min(30)
            }
        );
        assert!(on_site.is_breached());
        // Restore: 66 h on the wall clock, 2 h in support hours, against 4 h.
        let restore = checks[1];
        assert_eq!(
            restore.wall_clock,
            SlaOutcome::Breached {
                deadline: at("2026-01-09 20:00"),
                over: h(62)
            }
        );
        assert_eq!(
            restore.support_hours,
            SlaOutcome::Met {
                deadline: at("2026-01-12 12:00"),
                elapsed: h(2)
            }
        );
    }

    #[test]
    fn a_target_agreed_in_support_hours_is_not_breached_by_the_weekend() {
        let checks = check(&weekend_outage(), "2026-01-13 00:00");
        assert_eq!(checks[0].agreed, Clock::SupportHours);
        assert!(
            matches!(checks[0].wall_clock, SlaOutcome::Breached { over, .. } if over == min(16 * 60 + 30))
        );
        assert_eq!(
            checks[0].outcome(),
            SlaOutcome::Met {
                deadline: at("2026-01-12 09:30"),
                elapsed: min(30)
            }
        );
        assert!(!checks[0].is_breached());
        assert!(!checks[1].is_breached());
    }

    #[test]
    fn arriving_late_during_support_hours_breaches_both_clocks() {
        let facts = IncidentFacts {
            operations_notified_at: Some(at("2026-01-05 09:00")),
            operations_on_site_at: Some(at("2026-01-05 10:30")),
            ..bare(7, Priority::P2, "2026-01-05 09:00")
        };
        let on_site = check(&facts, "2026-01-05 12:00")[0];
        let late = SlaOutcome::Breached {
            deadline: at("2026-01-05 10:00"),
            over: min(30),
        };
        assert_eq!(on_site.wall_clock, late);
        assert_eq!(on_site.support_hours, late);
        assert!(on_site.is_breached());
    }

    #[test]
    fn arriving_exactly_at_the_target_meets_it() {
        let facts = IncidentFacts {
            operations_notified_at: Some(at("2026-01-05 09:00")),
            operations_on_site_at: Some(at("2026-01-05 09:30")),
            ..bare(8, Priority::P1, "2026-01-05 09:00")
        };
        let on_site = check(&facts, "2026-01-05 12:00")[0];
        assert_eq!(
            on_site.wall_clock,
            SlaOutcome::Met {
                deadline: at("2026-01-05 09:30"),
                elapsed: min(30)
            }
        );
    }

    #[test]
    fn a_missing_milestone_is_pending_until_the_target_elapses_then_breached() {
        let facts = IncidentFacts {
            operations_notified_at: Some(at("2026-01-09 16:30")),
            ..bare(9, Priority::P2, "2026-01-09 16:30")
        };
        // Saturday noon: 19 h 30 on the wall clock, still 30 min in support hours.
        let on_site = check(&facts, "2026-01-10 12:00")[0];
        assert_eq!(
            on_site.wall_clock,
            SlaOutcome::Breached {
                deadline: at("2026-01-09 17:30"),
                over: min(18 * 60 + 30)
            }
        );
        assert_eq!(
            on_site.support_hours,
            SlaOutcome::Pending {
                deadline: at("2026-01-12 09:30")
            }
        );
        assert!(!on_site.is_breached());
        // Monday 10:00: 1 h 30 of support time has passed.
        let later = check(&facts, "2026-01-12 10:00")[0];
        assert!(later.is_breached());
        assert!(
            matches!(later.support_hours, SlaOutcome::Breached { over, .. } if over == min(30))
        );
    }

    #[test]
    fn a_target_without_its_starting_milestone_cannot_be_measured() {
        let facts = IncidentFacts {
            services_restored_at: Some(at("2026-01-05 12:00")),
            ..bare(10, Priority::P1, "2026-01-05 09:00")
        };
        let restore = check(&facts, "2026-01-05 13:00")[1];
        assert_eq!(restore.kind, SlaKind::Restore);
        assert_eq!(restore.wall_clock, SlaOutcome::NotMeasurable);
        assert_eq!(restore.support_hours, SlaOutcome::NotMeasurable);
        assert!(!restore.is_breached());
    }

    #[test]
    fn a_priority_without_targets_has_no_checks() {
        let facts = bare(11, Priority::P4, "2026-01-05 09:00");
        assert!(check(&facts, "2026-01-05 13:00").is_empty());
    }
}
