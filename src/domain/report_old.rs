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

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::milestone::Milestone;
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

/// The state machine: whether `role` may take `action` on a report in
/// `state`, and where that leads. A pure function, so the console can show
/// the buttons a person may use and the model can enforce the same rules.
pub fn decide(role: Role, action: ReportAction, state: ReportState) -> Result<Outcome, Refusal> {
    use ReportStatus::*;
    if !action.role_may(role) {
        return Err(Refusal::Forbidden(format!(
            "Your role ({}) cannot {} this report: only {} can.",
            role.label(),
            verb(action),
            action.who()
        )));
    }
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

// ------------------------------------------------------------------ sections

/// A link to supporting material (a JIRA issue, a Confluence page…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// The sections people write, with the template's headings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Sections {
    /// Incident Description.
    pub description: String,
    /// Supporting material (JIRA, Confluence…).
    pub links: Vec<Link>,
    /// Client Impact: was there any business client impact, and for how long?
    pub client_impact: String,
    /// Incident Resolution.
    pub resolution: String,
    /// What Worked Well.
    pub worked_well: String,
    /// What Didn't Work Well.
    pub did_not_work: String,
    /// Recommendations.
    pub recommendations: String,
}

/// The free-text sections: field name, the template's heading, its prompt.
pub const TEXT_SECTIONS: [(&str, &str, &str); 6] = [
    ("description", "Incident Description", "A brief description of the incident along with any supporting material such as a link to confluence or a JIRA issue."),
    ("client_impact", "Client Impact", "Was there any business client impact and if so for how long?"),
    ("resolution", "Incident Resolution", "When the incident was resolved what were the series of steps that were done. If possible try to describe why this incident should not occur again."),
    ("worked_well", "What Worked Well", "A brief description or bullet list of what worked well and how the incident resulted in a learning experience. Can talk about the time to solve, whether it was a collaborative effort, and additional understanding gained."),
    ("did_not_work", "What Didn’t Work Well", "A brief description or bullet list of what didn’t work so well and what could be better improved in the future. This should be a succinct summary that discusses the problem objectively."),
    ("recommendations", "Recommendations", "A series of recommendations that would in theory prevent the incident from occurring again. This is often given in a series of bulleted items describing concrete steps that can be performed."),
];

/// The sections shown on the external incident page when published: what a
/// customer can read. Links (internal tools), what worked and what didn't
/// (the team's own retrospective) and the action items (owners) stay inside.
pub const PUBLIC_SECTIONS: [&str; 4] = [
    "description",
    "client_impact",
    "resolution",
    "recommendations",
];

/// Longest text of one section, in characters.
pub const MAX_SECTION: usize = 20_000;
/// Most links a report carries.
pub const MAX_LINKS: usize = 50;

impl Sections {
    pub fn text(&self, field: &str) -> &str {
        match field {
            "description" => &self.description,
            "client_impact" => &self.client_impact,
            "resolution" => &self.resolution,
            "worked_well" => &self.worked_well,
            "did_not_work" => &self.did_not_work,
            "recommendations" => &self.recommendations,
            _ => "",
        }
    }

    pub fn set_text(&mut self, field: &str, value: String) {
        match field {
            "description" => self.description = value,
            "client_impact" => self.client_impact = value,
            "resolution" => self.resolution = value,
            "worked_well" => self.worked_well = value,
            "did_not_work" => self.did_not_work = value,
            "recommendations" => self.recommendations = value,
            _ => {}
        }
    }

    /// Trims the texts and checks lengths and links; the error names the field.
    pub fn validated(mut self) -> Result<Sections, Invalid> {
        for (field, heading, _) in TEXT_SECTIONS {
            let value = self.text(field).trim().to_string();
            if value.chars().count() > MAX_SECTION {
                return Err(Invalid::new(format!(
                    "Field `{field}` ({heading}): keep it under {MAX_SECTION} characters."
                )));
            }
            self.set_text(field, value);
        }
        if self.links.len() > MAX_LINKS {
            return Err(Invalid::new(format!(
                "Field `links`: at most {MAX_LINKS} links."
            )));
        }
        self.links = self
            .links
            .into_iter()
            .enumerate()
            .map(|(i, link)| validate_link(i, link))
            .collect::<Result<_, _>>()?;
        Ok(self)
    }
}

fn validate_link(index: usize, link: Link) -> Result<Link, Invalid> {
    let label = link.label.trim().to_string();
    let url = link.url.trim().to_string();
    let at = format!("Field `links.{index}`");
    if label.is_empty() {
        return Err(Invalid::new(format!(
            "{at}: give the link a label (for example JIRA or Confluence)."
        )));
    }
    if label.chars().count() > 100 {
        return Err(Invalid::new(format!(
            "{at}: keep the label under 100 characters."
        )));
    }
    let parsed = url::Url::parse(&url).map_err(|_| {
        Invalid::new(format!(
            "{at} ({label}): {url:?} is not a web address; use a full http:// or https:// URL."
        ))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(Invalid::new(format!(
            "{at} ({label}): {url:?} is not a web address; use a full http:// or https:// URL."
        )));
    }
    Ok(Link { label, url })
}

/// Parses the console's links box: one link a line, `Label https://…` (the
/// last word is the address) or `Label | https://…`. Blank lines are skipped.
pub fn parse_links(text: &str) -> Result<Vec<Link>, Invalid> {
    let mut links = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (label, url) = match line.split_once('|') {
            Some((label, url)) => (label.trim(), url.trim()),
            None => match line.rsplit_once(char::is_whitespace) {
                Some((label, url)) => (label.trim(), url.trim()),
                None => ("", line),
            },
        };
        if label.is_empty() {
            return Err(Invalid::new(format!(
                "Links, line {}: put a label before the address, like `JIRA https://jira.example.com/browse/OPS-1`.",
                n + 1
            )));
        }
        let link = validate_link(
            links.len(),
            Link {
                label: label.into(),
                url: url.into(),
            },
        )
        .map_err(|e| {
            Invalid::new(format!(
                "Links, line {}: {}",
                n + 1,
                e.0.split_once(": ").map_or(e.0.as_str(), |(_, rest)| rest)
            ))
        })?;
        links.push(link);
    }
    if links.len() > MAX_LINKS {
        return Err(Invalid::new(format!("Links: at most {MAX_LINKS} links.")));
    }
    Ok(links)
}

/// The links box's text for a list of links.
pub fn links_text(links: &[Link]) -> String {
    links
        .iter()
        .map(|l| format!("{} {}", l.label, l.url))
        .collect::<Vec<_>>()
        .join("\n")
}

// -------------------------------------------------------------- action items

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum ItemPriority {
    High,
    Medium,
    Low,
}

impl ItemPriority {
    pub const ALL: [ItemPriority; 3] =
        [ItemPriority::High, ItemPriority::Medium, ItemPriority::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemPriority::High => "high",
            ItemPriority::Medium => "medium",
            ItemPriority::Low => "low",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemPriority::High => "High",
            ItemPriority::Medium => "Medium",
            ItemPriority::Low => "Low",
        }
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == value.trim().to_lowercase())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "Field `priority`: {value:?} is not a priority; use high, medium or low."
                ))
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    Open,
    InProgress,
    Done,
    WontDo,
}

impl ItemStatus {
    pub const ALL: [ItemStatus; 4] = [
        ItemStatus::Open,
        ItemStatus::InProgress,
        ItemStatus::Done,
        ItemStatus::WontDo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Open => "open",
            ItemStatus::InProgress => "in_progress",
            ItemStatus::Done => "done",
            ItemStatus::WontDo => "wont_do",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemStatus::Open => "Open",
            ItemStatus::InProgress => "In progress",
            ItemStatus::Done => "Done",
            ItemStatus::WontDo => "Won’t do",
        }
    }

    /// Done and won't-do items need nothing more.
    pub fn is_closed(self) -> bool {
        matches!(self, ItemStatus::Done | ItemStatus::WontDo)
    }

    pub fn parse(value: &str) -> Result<Self, Invalid> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim().to_lowercase())
            .ok_or_else(|| {
                Invalid::new(format!(
                    "Field `status`: {value:?} is not an action item status; use open, in_progress, done or wont_do."
                ))
            })
    }
}

/// A post-incident action item as typed, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItemInput {
    pub action: String,
    pub responsibility: String,
    pub priority: ItemPriority,
    pub due_on: Option<NaiveDate>,
    pub status: ItemStatus,
}

/// Checks an action item's text fields; the error names the field.
pub fn action_item(
    action: &str,
    responsibility: &str,
    priority: ItemPriority,
    due_on: Option<NaiveDate>,
    status: ItemStatus,
) -> Result<ActionItemInput, Invalid> {
    let action = action.trim();
    if action.is_empty() {
        return Err(Invalid::new(
            "Field `action`: say what has to be done (the action item).",
        ));
    }
    if action.chars().count() > 1_000 {
        return Err(Invalid::new(
            "Field `action`: keep the action under 1000 characters.",
        ));
    }
    let responsibility = responsibility.trim();
    if responsibility.chars().count() > 200 {
        return Err(Invalid::new(
            "Field `responsibility`: keep it under 200 characters (a name or a team).",
        ));
    }
    Ok(ActionItemInput {
        action: action.into(),
        responsibility: responsibility.into(),
        priority,
        due_on,
        status,
    })
}

/// Parses a due date typed as `YYYY-MM-DD`; empty means none.
pub fn parse_due(value: &str) -> Result<Option<NaiveDate>, Invalid> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            Invalid::new(format!(
                "Field `due_on`: {value:?} is not a date; use YYYY-MM-DD, for example 2026-12-31."
            ))
        })
}

// ------------------------------------------------------------------ versions

/// One row of the Time Summary as approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TimeRow {
    pub milestone: Milestone,
    pub label: String,
    /// UTC; absent when nobody recorded it.
    #[schema(value_type = Option<String>)]
    pub at: Option<NaiveDateTime>,
}

/// An action item as it was when a version was approved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ItemSnapshot {
    pub id: i64,
    pub action: String,
    pub responsibility: String,
    pub priority: ItemPriority,
    #[schema(value_type = Option<String>)]
    pub due_on: Option<NaiveDate>,
    pub status: ItemStatus,
}

/// The whole report as approved: stored as JSON in `incident_report_versions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportContent {
    pub version: i32,
    pub incident_id: i64,
    pub incident_name: String,
    pub sections: Sections,
    pub time_summary: Vec<TimeRow>,
    /// Minutes during which at least one affected component was degraded or down.
    pub client_impact_minutes: i64,
    pub action_items: Vec<ItemSnapshot>,
    pub submitted_by: Option<String>,
    pub reviewed_by: Option<String>,
    pub approved_by: String,
    #[schema(value_type = String)]
    pub approved_at: NaiveDateTime,
}

/// A duration in minutes as people say it: "2 h 05 min", "45 min".
pub fn minutes_label(minutes: i64) -> String {
    if minutes < 60 {
        format!("{minutes} min")
    } else {
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    }
}

impl ReportContent {
    /// The report as plain text, section by section, for the line diff.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut section = |heading: &str, body: &str| {
            out.push_str("## ");
            out.push_str(heading);
            out.push('\n');
            if body.trim().is_empty() {
                out.push_str("(empty)\n");
            } else {
                out.push_str(body.trim_end());
                out.push('\n');
            }
            out.push('\n');
        };
        section("Incident Description", &self.sections.description);
        section(
            "Links",
            &self
                .sections
                .links
                .iter()
                .map(|l| format!("{}: {}", l.label, l.url))
                .collect::<Vec<_>>()
                .join("\n"),
        );
        section(
            "Time Summary",
            &self
                .time_summary
                .iter()
                .map(|r| {
                    format!(
                        "{}: {}",
                        r.label,
                        r.at.map_or("—".into(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        );
        section(
            "Client Impact",
            &format!(
                "Impact duration: {}\n{}",
                minutes_label(self.client_impact_minutes),
                self.sections.client_impact
            ),
        );
        for (field, heading, _) in &TEXT_SECTIONS[2..] {
            section(heading, self.sections.text(field));
        }
        section(
            "Post incident action items",
            &self
                .action_items
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    format!(
                        "{}. {} — {} — {} priority — due {} — {}",
                        i + 1,
                        a.action,
                        if a.responsibility.is_empty() {
                            "unassigned"
                        } else {
                            &a.responsibility
                        },
                        a.priority.label(),
                        a.due_on.map_or("—".into(), |d| d.to_string()),
                        a.status.label()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        );
        out
    }
}

/// One line of a diff: what happened to it, in words and in a sign, so the
/// change is not told by colour alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DiffLine {
    /// `added`, `removed`, `same`, or `gap` (unchanged lines left out).
    pub kind: &'static str,
    /// `+`, `−`, a space, or `…`.
    pub sign: &'static str,
    /// "Added", "Removed" or empty: read out by screen readers.
    pub label: &'static str,
    pub text: String,
    /// Line numbers in the old and the new text.
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
}

/// The line diff from `old` to `new`, with three lines of context around each
/// change; unchanged stretches are replaced by one `gap` line.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    use similar::{ChangeTag, TextDiff};
    let diff = TextDiff::from_lines(old, new);
    let mut lines = Vec::new();
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            lines.push(DiffLine {
                kind: "gap",
                sign: "…",
                label: "Unchanged lines left out",
                text: String::new(),
                old_line: None,
                new_line: None,
            });
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let (kind, sign, label) = match change.tag() {
                    ChangeTag::Insert => ("added", "+", "Added"),
                    ChangeTag::Delete => ("removed", "−", "Removed"),
                    ChangeTag::Equal => ("same", " ", ""),
                };
                lines.push(DiffLine {
                    kind,
                    sign,
                    label,
                    text: change.value().trim_end_matches(['\n', '\r']).to_string(),
                    old_line: change.old_index().map(|n| n + 1),
                    new_line: change.new_index().map(|n| n + 1),
                });
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReportAction::*;
    use ReportStatus::*;

    fn state(status: ReportStatus) -> ReportState {
        ReportState {
            status,
            version: 1,
            has_approved_version: status == Approved,
            published: false,
        }
    }

    #[test]
    fn the_happy_path_needs_each_role_in_turn() {
        let mut s = state(Draft);
        for (role, action, next) in [
            (Role::CommsExternal, Edit, Draft),
            (Role::IncidentManager, Submit, Submitted),
            (Role::Reviewer, Review, Reviewed),
            (Role::Approver, Approve, Approved),
        ] {
            let out = decide(role, action, s).unwrap();
            assert_eq!(out.status, next);
            s.status = out.status;
        }
        s.has_approved_version = true;
        let revised = decide(Role::IncidentManager, Revise, s).unwrap();
        assert_eq!((revised.status, revised.version), (Draft, 2));
        let published = decide(Role::IncidentManager, Publish, s).unwrap();
        assert!(published.published);
    }

    #[test]
    fn each_step_refuses_the_wrong_roles_with_403() {
        let cases = [
            (
                Submit,
                Draft,
                [
                    Role::CommsExternal,
                    Role::Reviewer,
                    Role::Approver,
                    Role::Viewer,
                ],
            ),
            (
                Review,
                Submitted,
                [
                    Role::Admin,
                    Role::IncidentManager,
                    Role::Approver,
                    Role::Viewer,
                ],
            ),
            (
                Approve,
                Reviewed,
                [
                    Role::Admin,
                    Role::IncidentManager,
                    Role::Reviewer,
                    Role::Viewer,
                ],
            ),
            (
                Edit,
                Draft,
                [Role::Reviewer, Role::Approver, Role::Viewer, Role::Viewer],
            ),
        ];
        for (action, status, roles) in cases {
            for role in roles {
                match decide(role, action, state(status)) {
                    Err(Refusal::Forbidden(m)) => assert!(m.contains(role.label()), "{m}"),
                    other => panic!("{role:?} {action:?}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn submitted_and_approved_reports_are_not_edited_in_place() {
        for status in [Submitted, Reviewed, Approved] {
            match decide(Role::IncidentManager, Edit, state(status)) {
                Err(Refusal::Conflict(m)) => assert!(m.contains("Version 1"), "{m}"),
                other => panic!("{other:?}"),
            }
        }
        let m = decide(Role::IncidentManager, Edit, state(Approved)).unwrap_err();
        assert!(m.message().contains("start version 2"), "{}", m.message());
        assert!(matches!(
            decide(Role::IncidentManager, Revise, state(Draft)),
            Err(Refusal::Conflict(_))
        ));
    }

    #[test]
    fn steps_out_of_order_are_conflicts_for_the_right_role() {
        assert!(matches!(
            decide(Role::Approver, Approve, state(Submitted)),
            Err(Refusal::Conflict(_))
        ));
        assert!(matches!(
            decide(Role::Reviewer, Review, state(Draft)),
            Err(Refusal::Conflict(_))
        ));
        assert!(matches!(
            decide(Role::IncidentManager, Submit, state(Reviewed)),
            Err(Refusal::Conflict(_))
        ));
    }

    #[test]
    fn returning_belongs_to_whoever_the_report_waits_for() {
        assert_eq!(
            decide(Role::Reviewer, Return, state(Submitted))
                .unwrap()
                .status,
            Draft
        );
        assert_eq!(
            decide(Role::Approver, Return, state(Reviewed))
                .unwrap()
                .status,
            Draft
        );
        assert!(matches!(
            decide(Role::Approver, Return, state(Submitted)),
            Err(Refusal::Forbidden(_))
        ));
        assert!(matches!(
            decide(Role::Reviewer, Return, state(Reviewed)),
            Err(Refusal::Forbidden(_))
        ));
        assert!(matches!(
            decide(Role::IncidentManager, Return, state(Submitted)),
            Err(Refusal::Forbidden(_))
        ));
        assert!(matches!(
            decide(Role::Reviewer, Return, state(Draft)),
            Err(Refusal::Conflict(_))
        ));
        assert!(return_comment("  ").is_err());
        assert_eq!(
            return_comment(" Add the timeline ").unwrap(),
            "Add the timeline"
        );
    }

    #[test]
    fn only_an_approved_version_is_published() {
        assert!(matches!(
            decide(Role::IncidentManager, Publish, state(Draft)),
            Err(Refusal::Conflict(_))
        ));
        let revised = ReportState {
            status: Draft,
            version: 2,
            has_approved_version: true,
            published: false,
        };
        assert!(
            decide(Role::IncidentManager, Publish, revised)
                .unwrap()
                .published
        );
        assert!(matches!(
            decide(Role::CommsExternal, Publish, revised),
            Err(Refusal::Forbidden(_))
        ));
        assert!(matches!(
            decide(Role::Admin, Unpublish, revised),
            Err(Refusal::Conflict(_))
        ));
    }

    #[test]
    fn action_items_belong_to_reviewers_and_the_incident_manager() {
        for role in Role::ALL {
            let allowed = decide(role, ManageActionItems, state(Approved)).is_ok();
            assert_eq!(
                allowed,
                matches!(role, Role::Admin | Role::IncidentManager | Role::Reviewer),
                "{role:?}"
            );
        }
    }

    #[test]
    fn links_need_a_label_and_a_web_address() {
        let links = parse_links("JIRA https://jira.example.com/browse/OPS-1\n\nPost-mortem notes | http://wiki.example.com/x").unwrap();
        assert_eq!(
            links[0],
            Link {
                label: "JIRA".into(),
                url: "https://jira.example.com/browse/OPS-1".into()
            }
        );
        assert_eq!(links[1].label, "Post-mortem notes");
        let err = parse_links("https://jira.example.com").unwrap_err();
        assert!(
            err.0.contains("line 1") && err.0.contains("label"),
            "{}",
            err.0
        );
        let err = parse_links("ok https://a.example\nEvil javascript:alert(1)").unwrap_err();
        assert!(
            err.0.contains("line 2") && err.0.contains("http"),
            "{}",
            err.0
        );
        let sections = Sections {
            links: vec![Link {
                label: " ".into(),
                url: "https://x.example".into(),
            }],
            ..Sections::default()
        };
        assert!(sections.validated().unwrap_err().0.contains("links.0"));
        let sections = Sections {
            links: vec![Link {
                label: "FTP".into(),
                url: "ftp://x.example".into(),
            }],
            ..Sections::default()
        };
        assert!(sections.validated().unwrap_err().0.contains("http"));
        assert_eq!(parse_links(&links_text(&links)).unwrap(), links);
    }

    #[test]
    fn sections_are_trimmed_and_bounded() {
        let ok = Sections {
            description: "  Checkout failed.  ".into(),
            ..Sections::default()
        }
        .validated()
        .unwrap();
        assert_eq!(ok.description, "Checkout failed.");
        let long = Sections {
            resolution: "x".repeat(MAX_SECTION + 1),
            ..Sections::default()
        };
        assert!(long.validated().unwrap_err().0.contains("`resolution`"));
    }

    #[test]
    fn action_items_are_checked_field_by_field() {
        let item = action_item(
            " Add an alert ",
            "SRE",
            ItemPriority::High,
            parse_due("2026-12-01").unwrap(),
            ItemStatus::Open,
        )
        .unwrap();
        assert_eq!(item.action, "Add an alert");
        assert!(
            action_item("", "", ItemPriority::Low, None, ItemStatus::Open)
                .unwrap_err()
                .0
                .contains("`action`")
        );
        assert!(ItemPriority::parse("urgent")
            .unwrap_err()
            .0
            .contains("`priority`"));
        assert!(ItemStatus::parse("finished")
            .unwrap_err()
            .0
            .contains("`status`"));
        assert!(parse_due("31/12/2026").unwrap_err().0.contains("`due_on`"));
        assert_eq!(ItemStatus::parse("in_progress"), Ok(ItemStatus::InProgress));
    }

    fn content(resolution: &str) -> ReportContent {
        ReportContent {
            version: 1,
            incident_id: 1,
            incident_name: "Checkout errors".into(),
            sections: Sections {
                description: "Checkout failed.".into(),
                resolution: resolution.into(),
                ..Sections::default()
            },
            time_summary: vec![],
            client_impact_minutes: 125,
            action_items: vec![],
            submitted_by: None,
            reviewed_by: None,
            approved_by: "director@example.com".into(),
            approved_at: NaiveDateTime::parse_from_str("2026-11-23 10:00", "%Y-%m-%d %H:%M")
                .unwrap(),
        }
    }

    #[test]
    fn the_diff_marks_changes_in_words_and_signs() {
        let old = content("Restarted the database.").to_text();
        let new = content("Restarted the database.\nAdded a replica.").to_text();
        assert!(old.contains("Impact duration: 2 h 05 min"));
        let lines = diff_lines(&old, &new);
        let added: Vec<_> = lines.iter().filter(|l| l.kind == "added").collect();
        assert_eq!(added.len(), 1);
        assert_eq!(
            (added[0].sign, added[0].label, added[0].text.as_str()),
            ("+", "Added", "Added a replica.")
        );
        assert!(lines.iter().all(|l| l.kind != "removed"));
        let back = diff_lines(&new, &old);
        assert!(back
            .iter()
            .any(|l| l.kind == "removed" && l.label == "Removed" && l.sign == "−"));
        assert!(diff_lines(&old, &old).is_empty());
    }
}
