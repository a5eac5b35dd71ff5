//! Incidents: impact, urgency, the priority matrix and the phases of
//! communication (Investigating → Identified → Monitoring → Resolved).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Invalid;

/// How badly customers are affected, with Statuspage's values.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Impact {
    None,
    Minor,
    Major,
    Critical,
}

impl Impact {
    pub const ALL: [Impact; 4] = [Impact::None, Impact::Minor, Impact::Major, Impact::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Impact::None => "none",
            Impact::Minor => "minor",
            Impact::Major => "major",
            Impact::Critical => "critical",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Impact::None => "No impact",
            Impact::Minor => "Minor",
            Impact::Major => "Major",
            Impact::Critical => "Critical",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|i| i.as_str() == value.trim())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "Unknown impact {value:?}: use one of none, minor, major, critical."
                ))
            })
    }
}

/// How fast the business needs it fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    High,
    Medium,
    Low,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Urgency::High, Urgency::Medium, Urgency::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::High => "high",
            Urgency::Medium => "medium",
            Urgency::Low => "low",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Urgency::High => "High",
            Urgency::Medium => "Medium",
            Urgency::Low => "Low",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|u| u.as_str() == value.trim())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "Unknown urgency {value:?}: use one of high, medium, low."
                ))
            })
    }

    fn index(self) -> usize {
        match self {
            Urgency::High => 0,
            Urgency::Medium => 1,
            Urgency::Low => 2,
        }
    }
}

/// P1 (most urgent) to P4.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(value.trim()))
            .ok_or_else(|| {
                Invalid::new(format!("Unknown priority {value:?}: use P1, P2, P3 or P4."))
            })
    }
}

/// Impact × urgency → priority. Rows are impacts (critical, major, minor,
/// none), columns urgencies (high, medium, low).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityMatrix {
    pub critical: [Priority; 3],
    pub major: [Priority; 3],
    pub minor: [Priority; 3],
    pub none: [Priority; 3],
}

impl Default for PriorityMatrix {
    fn default() -> Self {
        use Priority::*;
        PriorityMatrix {
            critical: [P1, P1, P2],
            major: [P1, P2, P3],
            minor: [P2, P3, P4],
            none: [P3, P4, P4],
        }
    }
}

impl PriorityMatrix {
    pub fn priority(&self, impact: Impact, urgency: Urgency) -> Priority {
        let row = match impact {
            Impact::Critical => &self.critical,
            Impact::Major => &self.major,
            Impact::Minor => &self.minor,
            Impact::None => &self.none,
        };
        row[urgency.index()]
    }
}

/// The phase an update announces, with Statuspage's incident status values.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl Phase {
    pub const ALL: [Phase; 4] = [
        Phase::Investigating,
        Phase::Identified,
        Phase::Monitoring,
        Phase::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Investigating => "investigating",
            Phase::Identified => "identified",
            Phase::Monitoring => "monitoring",
            Phase::Resolved => "resolved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Phase::Investigating => "Investigating",
            Phase::Identified => "Identified",
            Phase::Monitoring => "Monitoring",
            Phase::Resolved => "Resolved",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|p| p.as_str() == value.trim()).ok_or_else(|| {
            Invalid::new(format!(
                "Unknown phase {value:?}: use one of investigating, identified, monitoring, resolved."
            ))
        })
    }

    /// Going back (monitoring → identified after a relapse) is allowed; it is
    /// recorded as a regression so the timeline shows it.
    pub fn is_regression_from(self, previous: Phase) -> bool {
        self < previous
    }
}

/// One answer of the "is this an incident?" checklist, stored with the incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChecklistAnswer {
    pub question: String,
    pub answer: bool,
}

/// The default "is this an incident?" questions (seed: DEFINING AN INCIDENT).
pub fn default_checklist() -> Vec<String> {
    vec![
        "Customers cannot use a service, or it is noticeably degraded".into(),
        "Data may be lost, exposed or corrupted".into(),
        "A security control is bypassed or under attack".into(),
        "A business-critical process or deadline is at risk".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_matrix_puts_critical_and_urgent_first() {
        let m = PriorityMatrix::default();
        assert_eq!(m.priority(Impact::Critical, Urgency::High), Priority::P1);
        assert_eq!(m.priority(Impact::Major, Urgency::Medium), Priority::P2);
        assert_eq!(m.priority(Impact::Minor, Urgency::Medium), Priority::P3);
        assert_eq!(m.priority(Impact::None, Urgency::Low), Priority::P4);
    }

    #[test]
    fn phases_are_ordered_and_going_back_is_a_regression() {
        assert!(Phase::Identified.is_regression_from(Phase::Monitoring));
        assert!(!Phase::Resolved.is_regression_from(Phase::Monitoring));
        assert_eq!(Phase::parse("identified"), Ok(Phase::Identified));
        assert!(Phase::parse("fixed")
            .unwrap_err()
            .0
            .contains("investigating"));
    }

    #[test]
    fn values_round_trip() {
        for i in Impact::ALL {
            assert_eq!(Impact::parse(i.as_str()), Ok(i));
        }
        for u in Urgency::ALL {
            assert_eq!(Urgency::parse(u.as_str()), Ok(u));
        }
        assert_eq!(Priority::parse("p2"), Ok(Priority::P2));
    }
}
