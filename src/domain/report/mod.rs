//! The incident report of the seed template ("CSEP Incident Report"): its
//! sections, the review workflow (draft → submitted → reviewed → approved),
//! post-incident action items, and the line diff between two approved versions.
//!
//! Who may do what comes from the roles worksheet and the template:
//! - the report is written by the Major Incident Manager and the
//!   Communication Managers ("write post-mortem, if appropriate"), and by
//!   administrators; only the Major Incident Manager (or an administrator)
//!   submits it for review;
//! - the reviewer (the assistant director) reviews it or returns it to draft
//!   with a comment; the approver (the director) approves it or returns it.
//!   Nobody else reviews or approves, administrators included: the point of
//!   the sign-off is who gave it;
//! - an approved version is frozen; editing again starts version N+1 in draft;
//! - action items are "filled in by the Assistant Directors": reviewers, the
//!   Major Incident Manager and administrators manage them, at any stage (their
//!   status moves on long after approval; each approved version keeps a copy);
//! - the Major Incident Manager "decides if a public post-mortem is needed":
//!   they (or an administrator) publish or unpublish the approved report.

mod items;
mod sections;
#[cfg(test)]
mod tests;
mod versions;

pub use items::*;
pub use sections::*;
pub use versions::*;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::role::Role;
use super::Invalid;

/// Where a report is in its review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    Draft,
    Submitted,
    Reviewed,
    Approved,
}

impl ReportStatus {
    pub const ALL: [ReportStatus; 4] = [
        ReportStatus::Draft,
        ReportStatus::Submitted,
        ReportStatus::Reviewed,
        ReportStatus::Approved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Draft => "draft",
            ReportStatus::Submitted => "submitted",
            ReportStatus::Reviewed => "reviewed",
            ReportStatus::Approved => "approved",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReportStatus::Draft => "Draft",
            ReportStatus::Submitted => "Submitted for review",
            ReportStatus::Reviewed => "Reviewed, awaiting approval",
            ReportStatus::Approved => "Approved",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "Unknown report status {value:?}: use draft, submitted, reviewed or approved."
                ))
            })
    }
}

/// Something a person may try on a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportAction {
    /// Change the sections of the draft.
    Edit,
    /// Draft → submitted.
    Submit,
    /// Submitted → reviewed.
    Review,
    /// Submitted → draft (reviewer) or reviewed → draft (approver), with a comment.
    Return,
    /// Reviewed → approved: the version is frozen.
    Approve,
    /// Approved → draft of the next version.
    Revise,
    /// Show the latest approved version on the external incident page.
    Publish,
    Unpublish,
    /// Add, change or delete post-incident action items.
    ManageActionItems,
}

impl ReportAction {
    pub const WORKFLOW: [ReportAction; 8] = [
        ReportAction::Edit,
        ReportAction::Submit,
        ReportAction::Review,
        ReportAction::Return,
        ReportAction::Approve,
        ReportAction::Revise,
        ReportAction::Publish,
        ReportAction::Unpublish,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportAction::Edit => "edit",
            ReportAction::Submit => "submit",
            ReportAction::Review => "review",
            ReportAction::Return => "return",
            ReportAction::Approve => "approve",
            ReportAction::Revise => "revise",
            ReportAction::Publish => "publish",
            ReportAction::Unpublish => "unpublish",
            ReportAction::ManageActionItems => "action_items",
        }
    }

    /// The words on the console's button.
    pub fn label(self) -> &'static str {
        match self {
            ReportAction::Edit => "Save report",
            ReportAction::Submit => "Submit for review",
            ReportAction::Review => "Mark as reviewed",
            ReportAction::Return => "Return to draft",
            ReportAction::Approve => "Approve",
            ReportAction::Revise => "Start a new version",
            ReportAction::Publish => "Publish as postmortem",
            ReportAction::Unpublish => "Unpublish postmortem",
            ReportAction::ManageActionItems => "Manage action items",
        }
    }

    /// The workflow actions reachable by URL (`/report/{action}`).
    pub fn parse_step(value: &str) -> Option<ReportAction> {
        Self::WORKFLOW
            .into_iter()
            .filter(|a| *a != ReportAction::Edit)
            .find(|a| a.as_str() == value)
    }

    /// The roles that may ever take this action, as words for messages.
    fn who(self) -> &'static str {
        match self {
            ReportAction::Edit | ReportAction::Revise => {
                "the Major Incident Manager, a Communication Manager or an administrator"
            }
            ReportAction::Submit | ReportAction::Publish | ReportAction::Unpublish => {
                "the Major Incident Manager or an administrator"
            }
            ReportAction::Review => "a reviewer (the assistant director)",
            ReportAction::Return => "the reviewer (when submitted) or the approver (when reviewed)",
            ReportAction::Approve => "an approver (the director)",
            ReportAction::ManageActionItems => {
                "a reviewer (assistant director), the Major Incident Manager or an administrator"
            }
        }
    }

    fn role_may(self, role: Role) -> bool {
        use Role::*;
        match self {
            ReportAction::Edit | ReportAction::Revise => {
                matches!(
                    role,
                    Admin | IncidentManager | CommsInternal | CommsExternal
                )
            }
            ReportAction::Submit | ReportAction::Publish | ReportAction::Unpublish => {
                matches!(role, Admin | IncidentManager)
            }
            ReportAction::Review => role == Reviewer,
            ReportAction::Return => matches!(role, Reviewer | Approver),
            ReportAction::Approve => role == Approver,
            ReportAction::ManageActionItems => matches!(role, Admin | IncidentManager | Reviewer),
        }
    }
}

/// Why an action is refused: the role never may (403), or not now (409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Forbidden(String),
    Conflict(String),
}

impl Refusal {
    pub fn message(&self) -> &str {
        match self {
            Refusal::Forbidden(m) | Refusal::Conflict(m) => m,
        }
    }
}

/// What the report looks like, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportState {
    pub status: ReportStatus,
    /// The version being worked on (1 until the first approval).
    pub version: i32,
    /// Whether some version was ever approved (there is something to publish).
    pub has_approved_version: bool,
    pub published: bool,
}

/// What an allowed action leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub status: ReportStatus,
    pub version: i32,
    pub published: bool,
}

/// Refuses (403) unless `role` may ever take `action`, whatever the
/// report's state: what a form handler checks before reading the form.
pub fn require_role(role: Role, action: ReportAction) -> Result<(), Refusal> {
    if action.role_may(role) {
        Ok(())
    } else {
        Err(Refusal::Forbidden(format!(
            "Your role ({}) cannot {} this report: only {} can.",
            role.label(),
            verb(action),
            action.who()
        )))
    }
}

/// The state machine: whether `role` may take `action` on a report in
/// `state`, and where that leads. A pure function, so the console can show
/// the buttons a person may use and the model can enforce the same rules.
pub fn decide(role: Role, action: ReportAction, state: ReportState) -> Result<Outcome, Refusal> {
    use ReportStatus::*;
    require_role(role, action)?;
    let stay = Outcome {
        status: state.status,
        version: state.version,
        published: state.published,
    };
    let to = |status| Outcome { status, ..stay };
    let not_now = |why: String| Err(Refusal::Conflict(why));
    match (action, state.status) {
        (ReportAction::ManageActionItems, _) => Ok(stay),
        (ReportAction::Edit, Draft) => Ok(stay),
        (ReportAction::Edit, Submitted | Reviewed) => not_now(format!(
            "Version {} is {} and cannot be edited in place: ask the {} to return it to draft first.",
            state.version,
            state.status.label().to_lowercase(),
            if state.status == Submitted { "reviewer" } else { "approver" }
        )),
        (ReportAction::Edit, Approved) => not_now(format!(
            "Version {} is approved and frozen: start version {} to change it (the approved version stays as it is).",
            state.version,
            state.version + 1
        )),
        (ReportAction::Revise, Approved) => Ok(Outcome {
            status: Draft,
            version: state.version + 1,
            published: state.published,
        }),
        (ReportAction::Revise, _) => not_now(format!(
            "Version {} is not approved yet ({}): edit it as it is, no new version is needed.",
            state.version,
            state.status.label().to_lowercase()
        )),
        (ReportAction::Submit, Draft) => Ok(to(Submitted)),
        (ReportAction::Review, Submitted) => Ok(to(Reviewed)),
        (ReportAction::Approve, Reviewed) => Ok(to(Approved)),
        (ReportAction::Return, Submitted) if role == Role::Reviewer => Ok(to(Draft)),
        (ReportAction::Return, Reviewed) if role == Role::Approver => Ok(to(Draft)),
        (ReportAction::Return, Submitted) => Err(Refusal::Forbidden(
            "The report is waiting for the reviewer: only the reviewer (the assistant director) can return it now.".into(),
        )),
        (ReportAction::Return, Reviewed) => Err(Refusal::Forbidden(
            "The report is waiting for approval: only the approver (the director) can return it now.".into(),
        )),
        (ReportAction::Publish, _) if !state.has_approved_version => not_now(
            "Nothing approved to publish yet: only an approved version can be published as a postmortem.".into(),
        ),
        (ReportAction::Publish, _) if state.published => {
            not_now("The postmortem is already published.".into())
        }
        (ReportAction::Publish, _) => Ok(Outcome {
            published: true,
            ..stay
        }),
        (ReportAction::Unpublish, _) if !state.published => {
            not_now("The postmortem is not published.".into())
        }
        (ReportAction::Unpublish, _) => Ok(Outcome {
            published: false,
            ..stay
        }),
        (action, status) => not_now(format!(
            "The report is {} (version {}): it cannot be {} now; {}.",
            status.label().to_lowercase(),
            state.version,
            past(action),
            match status {
                Draft => "the Major Incident Manager submits it first",
                Submitted => "the reviewer reviews it first",
                Reviewed => "the approver approves or returns it",
                Approved => "start a new version to change it",
            }
        )),
    }
}

fn verb(action: ReportAction) -> &'static str {
    match action {
        ReportAction::Edit => "edit",
        ReportAction::Submit => "submit",
        ReportAction::Review => "review",
        ReportAction::Return => "return",
        ReportAction::Approve => "approve",
        ReportAction::Revise => "start a new version of",
        ReportAction::Publish => "publish",
        ReportAction::Unpublish => "unpublish",
        ReportAction::ManageActionItems => "change the action items of",
    }
}

fn past(action: ReportAction) -> &'static str {
    match action {
        ReportAction::Submit => "submitted",
        ReportAction::Review => "reviewed",
        ReportAction::Return => "returned to draft",
        ReportAction::Approve => "approved",
        _ => "changed",
    }
}

/// The comment a reviewer or approver gives when returning a report.
pub fn return_comment(value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(
            "Field `comment`: say what to change when returning the report to draft.",
        ));
    }
    if value.chars().count() > 2_000 {
        return Err(Invalid::new(
            "Field `comment`: keep the comment under 2000 characters.",
        ));
    }
    Ok(value.to_string())
}
