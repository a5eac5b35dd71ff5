//! Staff roles, named after the roles in the incident-response worksheet, and
//! what each may do.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Configures the page, users and components.
    Admin,
    /// Owns incidents: impact, urgency, milestones, closure.
    IncidentManager,
    /// Communication Manager (internal): posts internal updates.
    CommsInternal,
    /// Communication Manager (external): posts customer-facing updates.
    CommsExternal,
    /// Assistant director: reviews incident reports.
    Reviewer,
    /// Director: approves incident reports.
    Approver,
    /// Reads the internal page.
    Viewer,
}

/// Something a signed-in person or a token may attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the internal page and internal JSON.
    ViewInternal,
    /// Create, rename, move and delete components and groups.
    ManageComponents,
    /// Change the status of a component.
    ChangeComponentStatus,
    /// Open an incident (with a first update in the caller's own stream).
    OpenIncident,
    /// Post customer-facing text.
    PostExternalUpdate,
    /// Post staff-only text.
    PostInternalUpdate,
    /// Change an incident's impact, urgency, title and other facts.
    EditIncident,
    /// Create and edit phase template sets.
    ManageTemplates,
    /// Read the audit log.
    ReadAuditLog,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Admin,
        Role::IncidentManager,
        Role::CommsInternal,
        Role::CommsExternal,
        Role::Reviewer,
        Role::Approver,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::IncidentManager => "incident_manager",
            Role::CommsInternal => "comms_internal",
            Role::CommsExternal => "comms_external",
            Role::Reviewer => "reviewer",
            Role::Approver => "approver",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::IncidentManager => "Major Incident Manager",
            Role::CommsInternal => "Communication Manager (internal)",
            Role::CommsExternal => "Communication Manager (external)",
            Role::Reviewer => "Reviewer",
            Role::Approver => "Approver",
            Role::Viewer => "Viewer",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == value.trim())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "Unknown role {value:?}: use one of admin, incident_manager, comms_internal, comms_external, reviewer, approver, viewer."
                ))
            })
    }

    pub fn can(self, permission: Permission) -> bool {
        match permission {
            Permission::ViewInternal => true,
            Permission::ManageComponents => self == Role::Admin,
            Permission::ChangeComponentStatus
            | Permission::OpenIncident
            | Permission::ManageTemplates => matches!(
                self,
                Role::Admin | Role::IncidentManager | Role::CommsInternal | Role::CommsExternal
            ),
            Permission::PostExternalUpdate => matches!(
                self,
                Role::Admin | Role::IncidentManager | Role::CommsExternal
            ),
            Permission::PostInternalUpdate => matches!(
                self,
                Role::Admin | Role::IncidentManager | Role::CommsInternal
            ),
            Permission::EditIncident => matches!(self, Role::Admin | Role::IncidentManager),
            Permission::ReadAuditLog => self == Role::Admin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_admins_change_the_page_structure() {
        for role in Role::ALL {
            assert_eq!(role.can(Permission::ManageComponents), role == Role::Admin);
        }
    }

    #[test]
    fn incident_staff_may_change_a_status_but_viewers_may_not() {
        assert!(Role::IncidentManager.can(Permission::ChangeComponentStatus));
        assert!(Role::CommsExternal.can(Permission::ChangeComponentStatus));
        assert!(!Role::Viewer.can(Permission::ChangeComponentStatus));
        assert!(!Role::Reviewer.can(Permission::ChangeComponentStatus));
    }

    #[test]
    fn each_communication_manager_writes_only_their_own_stream() {
        assert!(Role::CommsExternal.can(Permission::PostExternalUpdate));
        assert!(!Role::CommsExternal.can(Permission::PostInternalUpdate));
        assert!(Role::CommsInternal.can(Permission::PostInternalUpdate));
        assert!(!Role::CommsInternal.can(Permission::PostExternalUpdate));
        assert!(Role::IncidentManager.can(Permission::PostExternalUpdate));
        assert!(!Role::Viewer.can(Permission::OpenIncident));
        assert!(!Role::IncidentManager.can(Permission::ReadAuditLog));
    }

    #[test]
    fn every_role_round_trips() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
    }
}

/// A signed-in person (or a token acting for them), as the rest of the code sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Staff {
    pub user_id: i64,
    pub email: String,
    pub role: Role,
}

impl Staff {
    pub fn can(&self, permission: Permission) -> bool {
        self.role.can(permission)
    }
}
