//! The overall banner of a page ("All Systems Operational"), following
//! Statuspage's top-level status rules so that widgets and people read the same
//! words they know from other status pages.
//!
//! | components                                   | description                 | indicator   |
//! |----------------------------------------------|-----------------------------|-------------|
//! | none, or all operational                     | All Systems Operational     | none        |
//! | every one major outage                       | Major System Outage         | critical    |
//! | some major outage                            | Partial System Outage       | major       |
//! | every one partial outage                     | Partial System Outage       | major       |
//! | some partial outage (no major)               | Minor Service Outage        | minor       |
//! | every one degraded performance               | Degraded System Service     | minor       |
//! | some degraded performance (no outage)        | Partially Degraded Service  | minor       |
//! | only maintenance besides operational         | Service Under Maintenance   | maintenance |

use serde::Serialize;
use utoipa::ToSchema;

use super::incident::Impact;
use super::status::ComponentStatus;

/// Statuspage's `status.indicator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    None,
    Maintenance,
    Minor,
    Major,
    Critical,
}

impl Indicator {
    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::None => "none",
            Indicator::Maintenance => "maintenance",
            Indicator::Minor => "minor",
            Indicator::Major => "major",
            Indicator::Critical => "critical",
        }
    }
}

/// Statuspage's `status` object: an indicator and its wording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PageStatus {
    pub indicator: Indicator,
    pub description: &'static str,
}

/// The banner when unresolved incidents are also published: an incident's
/// impact raises the indicator (critical → Major System Outage, major →
/// Partial System Outage, minor → Minor Service Outage) when it is worse than
/// what the components say.
pub fn page_status_with_incidents(
    statuses: &[ComponentStatus],
    unresolved: &[Impact],
) -> PageStatus {
    let by_components = page_status(statuses);
    let worst = unresolved.iter().copied().max().unwrap_or(Impact::None);
    let (indicator, description) = match worst {
        Impact::Critical => (Indicator::Critical, "Major System Outage"),
        Impact::Major => (Indicator::Major, "Partial System Outage"),
        Impact::Minor => (Indicator::Minor, "Minor Service Outage"),
        Impact::None => return by_components,
    };
    if indicator > by_components.indicator {
        PageStatus {
            indicator,
            description,
        }
    } else {
        by_components
    }
}

/// The banner for a page showing components with these statuses.
pub fn page_status(statuses: &[ComponentStatus]) -> PageStatus {
    use ComponentStatus::*;
    let count = |wanted: ComponentStatus| statuses.iter().filter(|s| **s == wanted).count();
    let all = |wanted: ComponentStatus| !statuses.is_empty() && count(wanted) == statuses.len();
    let (indicator, description) = if count(MajorOutage) > 0 {
        if all(MajorOutage) {
            (Indicator::Critical, "Major System Outage")
        } else {
            (Indicator::Major, "Partial System Outage")
        }
    } else if count(PartialOutage) > 0 {
        if all(PartialOutage) {
            (Indicator::Major, "Partial System Outage")
        } else {
            (Indicator::Minor, "Minor Service Outage")
        }
    } else if count(DegradedPerformance) > 0 {
        if all(DegradedPerformance) {
            (Indicator::Minor, "Degraded System Service")
        } else {
            (Indicator::Minor, "Partially Degraded Service")
        }
    } else if count(UnderMaintenance) > 0 {
        (Indicator::Maintenance, "Service Under Maintenance")
    } else {
        (Indicator::None, "All Systems Operational")
    };
    PageStatus {
        indicator,
        description,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComponentStatus::*;

    fn banner(statuses: &[ComponentStatus]) -> (&'static str, &'static str) {
        let s = page_status(statuses);
        (s.indicator.as_str(), s.description)
    }

    #[test]
    fn a_page_without_components_is_operational() {
        assert_eq!(banner(&[]), ("none", "All Systems Operational"));
    }

    #[test]
    fn one_component_reads_like_statuspage() {
        assert_eq!(banner(&[Operational]), ("none", "All Systems Operational"));
        assert_eq!(
            banner(&[UnderMaintenance]),
            ("maintenance", "Service Under Maintenance")
        );
        assert_eq!(
            banner(&[DegradedPerformance]),
            ("minor", "Degraded System Service")
        );
        assert_eq!(banner(&[PartialOutage]), ("major", "Partial System Outage"));
        assert_eq!(banner(&[MajorOutage]), ("critical", "Major System Outage"));
    }

    #[test]
    fn some_components_down_reads_as_partial() {
        assert_eq!(
            banner(&[Operational, MajorOutage]),
            ("major", "Partial System Outage")
        );
        assert_eq!(
            banner(&[Operational, PartialOutage]),
            ("minor", "Minor Service Outage")
        );
        assert_eq!(
            banner(&[Operational, DegradedPerformance]),
            ("minor", "Partially Degraded Service")
        );
        assert_eq!(
            banner(&[Operational, UnderMaintenance]),
            ("maintenance", "Service Under Maintenance")
        );
    }

    #[test]
    fn every_component_down_reads_as_system_wide() {
        assert_eq!(
            banner(&[MajorOutage, MajorOutage]),
            ("critical", "Major System Outage")
        );
        assert_eq!(
            banner(&[PartialOutage, PartialOutage]),
            ("major", "Partial System Outage")
        );
    }

    #[test]
    fn an_open_incident_raises_the_banner_but_never_lowers_it() {
        let s = page_status_with_incidents(&[Operational], &[Impact::Major]);
        assert_eq!(
            (s.indicator.as_str(), s.description),
            ("major", "Partial System Outage")
        );
        let s = page_status_with_incidents(&[MajorOutage], &[Impact::Minor]);
        assert_eq!(
            (s.indicator.as_str(), s.description),
            ("critical", "Major System Outage")
        );
        let s = page_status_with_incidents(&[Operational], &[Impact::None]);
        assert_eq!(s.indicator.as_str(), "none");
    }

    #[test]
    fn the_worst_status_decides() {
        assert_eq!(
            banner(&[DegradedPerformance, PartialOutage, UnderMaintenance]),
            ("minor", "Minor Service Outage")
        );
        assert_eq!(
            banner(&[PartialOutage, MajorOutage]),
            ("major", "Partial System Outage")
        );
    }
}
