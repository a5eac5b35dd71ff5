//! The Time Summary of an incident report: milestones that must happen in
//! order (Failure Occurred → Operations Notified → Operations On-Site →
//! Second Level Support On-Site → Services Restored → Resolved → Closed).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Invalid;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    FailureOccurred,
    OperationsNotified,
    OperationsOnSite,
    SecondLevelOnSite,
    ServicesRestored,
    Resolved,
    Closed,
}

impl Milestone {
    pub const ALL: [Milestone; 7] = [
        Milestone::FailureOccurred,
        Milestone::OperationsNotified,
        Milestone::OperationsOnSite,
        Milestone::SecondLevelOnSite,
        Milestone::ServicesRestored,
        Milestone::Resolved,
        Milestone::Closed,
    ];

    /// The milestones people set by hand (resolved follows the phases).
    pub const EDITABLE: [Milestone; 6] = [
        Milestone::FailureOccurred,
        Milestone::OperationsNotified,
        Milestone::OperationsOnSite,
        Milestone::SecondLevelOnSite,
        Milestone::ServicesRestored,
        Milestone::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Milestone::FailureOccurred => "failure_occurred",
            Milestone::OperationsNotified => "operations_notified",
            Milestone::OperationsOnSite => "operations_on_site",
            Milestone::SecondLevelOnSite => "second_level_on_site",
            Milestone::ServicesRestored => "services_restored",
            Milestone::Resolved => "resolved",
            Milestone::Closed => "closed",
        }
    }

    /// The field name in the API (`failure_occurred_at`).
    pub fn field(self) -> String {
        format!("{}_at", self.as_str())
    }

    /// The words of the incident-report template.
    pub fn label(self) -> &'static str {
        match self {
            Milestone::FailureOccurred => "Failure Occurred",
            Milestone::OperationsNotified => "Operations Notified",
            Milestone::OperationsOnSite => "Operations On-Site",
            Milestone::SecondLevelOnSite => "Second Level Support On-Site",
            Milestone::ServicesRestored => "Services Restored",
            Milestone::Resolved => "Resolved",
            Milestone::Closed => "Closed",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        let value = value.trim().trim_end_matches("_at");
        Self::ALL.into_iter().find(|m| m.as_str() == value).ok_or_else(|| {
            Invalid::new(format!(
                "Unknown milestone {value:?}: use failure_occurred, operations_notified, operations_on_site, second_level_on_site, services_restored or closed."
            ))
        })
    }
}

/// Checks that the set milestones are in order; the error names the two that conflict.
pub fn check_order(milestones: &[(Milestone, Option<NaiveDateTime>)]) -> Result<(), Invalid> {
    let mut set: Vec<(Milestone, NaiveDateTime)> = milestones
        .iter()
        .filter_map(|(m, at)| at.map(|at| (*m, at)))
        .collect();
    set.sort_by_key(|(m, _)| *m);
    for (i, (earlier, earlier_at)) in set.iter().enumerate() {
        for (later, later_at) in &set[i + 1..] {
            if later_at < earlier_at {
                return Err(Invalid::new(format!(
                    "{} ({}) cannot be before {} ({}): fix one of the two.",
                    later.label(),
                    later_at.format("%Y-%m-%d %H:%M UTC"),
                    earlier.label(),
                    earlier_at.format("%Y-%m-%d %H:%M UTC"),
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Option<NaiveDateTime> {
        Some(NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap())
    }

    #[test]
    fn milestones_in_order_pass_and_gaps_are_fine() {
        let summary = [
            (Milestone::FailureOccurred, t("2026-11-23 10:00")),
            (Milestone::OperationsNotified, t("2026-11-23 10:05")),
            (Milestone::OperationsOnSite, None),
            (Milestone::ServicesRestored, t("2026-11-23 11:00")),
        ];
        assert!(check_order(&summary).is_ok());
    }

    #[test]
    fn out_of_order_milestones_are_rejected_naming_both() {
        let summary = [
            (Milestone::OperationsNotified, t("2026-11-23 10:10")),
            (Milestone::OperationsOnSite, t("2026-11-23 10:05")),
        ];
        let err = check_order(&summary).unwrap_err();
        assert!(err.0.contains("Operations On-Site (2026-11-23 10:05 UTC) cannot be before Operations Notified (2026-11-23 10:10 UTC)"), "{}", err.0);
        let skip = [
            (Milestone::FailureOccurred, t("2026-11-23 12:00")),
            (Milestone::ServicesRestored, t("2026-11-23 11:00")),
        ];
        assert!(check_order(&skip)
            .unwrap_err()
            .0
            .contains("Services Restored"));
    }

    #[test]
    fn names_parse_with_or_without_the_at_suffix() {
        assert_eq!(
            Milestone::parse("operations_on_site_at"),
            Ok(Milestone::OperationsOnSite)
        );
        assert_eq!(Milestone::parse("closed"), Ok(Milestone::Closed));
        assert!(Milestone::parse("coffee_break").is_err());
        assert_eq!(
            Milestone::SecondLevelOnSite.field(),
            "second_level_on_site_at"
        );
    }
}
