//! Component statuses and audiences, with the exact enum values of Statuspage's API.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Invalid;

/// The condition of one component, as customers read it.
///
/// Ordered from best to worst so that `max()` gives the worst status of a group.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    Operational,
    UnderMaintenance,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
}

impl ComponentStatus {
    pub const ALL: [ComponentStatus; 5] = [
        ComponentStatus::Operational,
        ComponentStatus::DegradedPerformance,
        ComponentStatus::PartialOutage,
        ComponentStatus::MajorOutage,
        ComponentStatus::UnderMaintenance,
    ];

    /// The wire value (`partial_outage`), also what the database stores.
    pub fn as_str(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "operational",
            ComponentStatus::UnderMaintenance => "under_maintenance",
            ComponentStatus::DegradedPerformance => "degraded_performance",
            ComponentStatus::PartialOutage => "partial_outage",
            ComponentStatus::MajorOutage => "major_outage",
        }
    }

    /// What a person reads next to the colour ("Partial outage").
    pub fn label(self) -> &'static str {
        match self {
            ComponentStatus::Operational => "Operational",
            ComponentStatus::UnderMaintenance => "Under maintenance",
            ComponentStatus::DegradedPerformance => "Degraded performance",
            ComponentStatus::PartialOutage => "Partial outage",
            ComponentStatus::MajorOutage => "Major outage",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "Unknown component status {value:?}: use one of operational, degraded_performance, partial_outage, major_outage, under_maintenance."
                ))
            })
    }
}

/// Who may see a component or an update: customers (external) or staff only (internal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Audience {
    External,
    Internal,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::External => "external",
            Audience::Internal => "internal",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        match value.trim() {
            "external" => Ok(Audience::External),
            "internal" => Ok(Audience::Internal),
            other => Err(Invalid::new(format!(
                "Unknown audience {other:?}: use external (customers see it) or internal (staff only)."
            ))),
        }
    }

    /// Whether something meant for `self` is shown on a page for `viewer`.
    /// Staff see everything; customers only see external things.
    pub fn visible_to(self, viewer: Audience) -> bool {
        viewer == Audience::Internal || self == Audience::External
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_wire_value() {
        for status in ComponentStatus::ALL {
            assert_eq!(ComponentStatus::parse(status.as_str()), Ok(status));
            let json = serde_json::to_string(&status).unwrap();
            assert_eq!(json, format!("\"{}\"", status.as_str()));
        }
    }

    #[test]
    fn unknown_status_names_the_accepted_values() {
        let err = ComponentStatus::parse("broken").unwrap_err();
        assert!(err.0.contains("degraded_performance"), "{}", err.0);
    }

    #[test]
    fn worst_status_is_the_maximum() {
        let worst = [
            ComponentStatus::Operational,
            ComponentStatus::MajorOutage,
            ComponentStatus::DegradedPerformance,
        ]
        .into_iter()
        .max();
        assert_eq!(worst, Some(ComponentStatus::MajorOutage));
    }

    #[test]
    fn customers_never_see_internal_things() {
        assert!(!Audience::Internal.visible_to(Audience::External));
        assert!(Audience::External.visible_to(Audience::External));
        assert!(Audience::Internal.visible_to(Audience::Internal));
    }
}
