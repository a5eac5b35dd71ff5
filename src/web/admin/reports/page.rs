//! What the report pages show: the report being written (sections, Time
//! Summary, action items, workflow buttons, versions) and one frozen version.

use serde::Serialize;

use crate::db::models::reports::{ActionItem, Report};
use crate::domain::report::{
    self as rules, decide, links_text, minutes_label, DiffLine, ItemPriority, ItemStatus,
    ReportAction, ReportContent, ReportStatus, PUBLIC_SECTIONS, TEXT_SECTIONS,
};
use crate::domain::role::{Role, Staff};
use crate::render::markdown::to_safe_html;
use crate::render::time::local;
use crate::web::admin::Choice;
use crate::web::api::reports::ReportData;
use crate::web::state::AppState;

#[derive(Serialize)]
pub(super) struct SectionField {
    pub(super) field: &'static str,
    heading: &'static str,
    prompt: &'static str,
    pub(super) value: String,
    html: String,
    public: bool,
}

#[derive(Serialize)]
struct TimeLine {
    label: String,
    date: String,
    time: String,
}

#[derive(Serialize)]
struct ItemLine {
    id: i64,
    number: usize,
    action: String,
    responsibility: String,
    priority: &'static str,
    priority_label: &'static str,
    due_on: String,
    status: &'static str,
    status_label: &'static str,
    priorities: Vec<Choice>,
    statuses: Vec<Choice>,
}

#[derive(Serialize)]
struct StepButton {
    action: &'static str,
    label: &'static str,
    allowed: bool,
    reason: Option<String>,
    needs_comment: bool,
    danger: bool,
}

#[derive(Serialize)]
struct SignOff {
    label: &'static str,
    by: String,
    at: String,
}

#[derive(Serialize)]
struct VersionLine {
    version: i32,
    approved_by: String,
    approved_at: String,
    has_previous: bool,
    published: bool,
}

#[derive(Serialize)]
struct Returned {
    by: String,
    at: String,
    comment: String,
}

/// A line diff with its counts, as the `report_diff` partial shows it.
#[derive(Serialize)]
struct Changes {
    diff: Vec<DiffLine>,
    added: usize,
    removed: usize,
    diff_label: String,
}

impl Changes {
    fn new(diff: Vec<DiffLine>, label: String) -> Changes {
        Changes {
            added: diff.iter().filter(|l| l.kind == "added").count(),
            removed: diff.iter().filter(|l| l.kind == "removed").count(),
            diff,
            diff_label: label,
        }
    }
}

#[derive(Serialize)]
pub(super) struct ReportPage {
    title: String,
    incident_id: i64,
    incident_name: String,
    priority: &'static str,
    status: &'static str,
    status_label: &'static str,
    version: i32,
    latest_approved: Option<i32>,
    published: bool,
    pub(super) notice: Option<&'static str>,
    pub(super) error: Option<String>,
    pub(super) step_error: Option<String>,
    pub(super) item_error: Option<String>,
    returned: Option<Returned>,
    sign_offs: Vec<SignOff>,
    pub(super) sections: Vec<SectionField>,
    pub(super) links_text: String,
    links: Vec<rules::Link>,
    can_edit: bool,
    edit_reason: Option<String>,
    time_rows: Vec<TimeLine>,
    impact_duration: String,
    /// What the incident's own facts say about client impact.
    incident_client_impact: String,
    items: Vec<ItemLine>,
    can_items: bool,
    items_reason: Option<String>,
    new_priorities: Vec<Choice>,
    new_statuses: Vec<Choice>,
    steps: Vec<StepButton>,
    versions: Vec<VersionLine>,
    /// The version being written against the latest approved one.
    draft_changes: Option<Changes>,
}

fn choices<T: Copy + PartialEq>(
    all: &[T],
    current: T,
    value: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
) -> Vec<Choice> {
    all.iter()
        .map(|&item| Choice {
            value: value(item).into(),
            label: label(item).into(),
            selected: item == current,
        })
        .collect()
}

/// Whether anybody could take `action` now (else the button is hidden).
fn applicable(action: ReportAction, report: &Report) -> bool {
    Role::ALL
        .into_iter()
        .any(|role| decide(role, action, report.state()).is_ok())
}

fn section_fields(sections: &rules::Sections) -> Vec<SectionField> {
    TEXT_SECTIONS
        .iter()
        .map(|(field, heading, prompt)| {
            let value = sections.text(field).to_string();
            SectionField {
                field,
                heading,
                prompt,
                html: to_safe_html(&value),
                value,
                public: PUBLIC_SECTIONS.contains(field),
            }
        })
        .collect()
}

fn time_lines(rows: &[rules::TimeRow], zone: chrono_tz::Tz) -> Vec<TimeLine> {
    rows.iter()
        .map(|row| {
            let at = row.at.map(|t| t.and_utc().with_timezone(&zone));
            TimeLine {
                label: row.label.clone(),
                date: at
                    .map(|t| t.format("%d %b %Y").to_string())
                    .unwrap_or_default(),
                time: at
                    .map(|t| t.format("%H:%M %Z").to_string())
                    .unwrap_or_default(),
            }
        })
        .collect()
}

fn sign_offs(r: &Report, when: impl Fn(Option<chrono::NaiveDateTime>) -> String) -> Vec<SignOff> {
    let mut sign_offs = Vec::new();
    for (label, by, at) in [
        ("Submitted", &r.submitted_by, r.submitted_at),
        ("Reviewed", &r.reviewed_by, r.reviewed_at),
        ("Approved", &r.approved_by, r.approved_at),
    ] {
        if let Some(by) = by {
            sign_offs.push(SignOff {
                label,
                by: by.clone(),
                at: when(at),
            });
        }
    }
    sign_offs
}

fn step_buttons(r: &Report, refusal: impl Fn(ReportAction) -> Option<String>) -> Vec<StepButton> {
    [
        ReportAction::Submit,
        ReportAction::Review,
        ReportAction::Approve,
        ReportAction::Return,
        ReportAction::Revise,
        ReportAction::Publish,
        ReportAction::Unpublish,
    ]
    .into_iter()
    .filter(|a| applicable(*a, r))
    .map(|action| {
        let reason = refusal(action);
        StepButton {
            action: action.as_str(),
            label: action.label(),
            allowed: reason.is_none(),
            reason,
            needs_comment: action == ReportAction::Return,
            danger: matches!(action, ReportAction::Return | ReportAction::Unpublish),
        }
    })
    .collect()
}

/// The version being written against the latest approved one, if any.
fn draft_changes(data: &ReportData) -> Option<Changes> {
    let r = &data.report;
    let approved = data.versions.last()?;
    if r.status == ReportStatus::Approved {
        return None;
    }
    let current = ReportContent {
        version: r.version,
        incident_id: data.incident.id,
        incident_name: data.incident.name.clone(),
        sections: r.sections.clone(),
        time_summary: data.time_summary.clone(),
        client_impact_minutes: data.impact_minutes,
        action_items: data
            .items
            .iter()
            .map(|i| rules::ItemSnapshot {
                id: i.id,
                action: i.action.clone(),
                responsibility: i.responsibility.clone(),
                priority: i.priority,
                due_on: i.due_on,
                status: i.status,
            })
            .collect(),
        submitted_by: None,
        reviewed_by: None,
        approved_by: String::new(),
        approved_at: crate::db::now(),
    };
    Some(Changes::new(
        rules::diff_lines(&approved.to_text(), &current.to_text()),
        format!(
            "Line changes from version {} to the version being written",
            approved.version
        ),
    ))
}

fn item_lines(items: &[ActionItem]) -> Vec<ItemLine> {
    items
        .iter()
        .enumerate()
        .map(|(i, item)| ItemLine {
            id: item.id,
            number: i + 1,
            action: item.action.clone(),
            responsibility: item.responsibility.clone(),
            priority: item.priority.as_str(),
            priority_label: item.priority.label(),
            due_on: item.due_on.map(|d| d.to_string()).unwrap_or_default(),
            status: item.status.as_str(),
            status_label: item.status.label(),
            priorities: choices(
                &ItemPriority::ALL,
                item.priority,
                ItemPriority::as_str,
                ItemPriority::label,
            ),
            statuses: choices(
                &ItemStatus::ALL,
                item.status,
                ItemStatus::as_str,
                ItemStatus::label,
            ),
        })
        .collect()
}

pub(super) fn page_data(state: &AppState, staff: &Staff, data: ReportData) -> ReportPage {
    let zone = state.settings.time_zone;
    let r = &data.report;
    let when = |at: Option<chrono::NaiveDateTime>| at.map(|t| local(t, zone)).unwrap_or_default();
    let refusal = |action| match decide(staff.role, action, r.state()) {
        Ok(_) => None,
        Err(refusal) => Some(refusal.message().to_string()),
    };
    let edit_reason = refusal(ReportAction::Edit);
    let items_reason = refusal(ReportAction::ManageActionItems);
    ReportPage {
        title: format!("Incident report — {}", data.incident.name),
        incident_id: data.incident.id,
        incident_name: data.incident.name.clone(),
        priority: data.incident.priority.as_str(),
        status: r.status.as_str(),
        status_label: r.status.label(),
        version: r.version,
        latest_approved: r.latest_approved,
        published: r.published,
        notice: None,
        error: None,
        step_error: None,
        item_error: None,
        returned: match (&r.returned_by, r.status) {
            (Some(by), ReportStatus::Draft) => Some(Returned {
                by: by.clone(),
                at: when(r.returned_at),
                comment: r.return_comment.clone().unwrap_or_default(),
            }),
            _ => None,
        },
        sign_offs: sign_offs(r, when),
        sections: section_fields(&r.sections),
        links_text: links_text(&r.sections.links),
        links: r.sections.links.clone(),
        can_edit: edit_reason.is_none(),
        edit_reason,
        time_rows: time_lines(&data.time_summary, zone),
        impact_duration: minutes_label(data.impact_minutes),
        incident_client_impact: data.incident.client_impact.clone(),
        items: item_lines(&data.items),
        can_items: items_reason.is_none(),
        items_reason,
        new_priorities: choices(
            &ItemPriority::ALL,
            ItemPriority::Medium,
            ItemPriority::as_str,
            ItemPriority::label,
        ),
        new_statuses: choices(
            &ItemStatus::ALL,
            ItemStatus::Open,
            ItemStatus::as_str,
            ItemStatus::label,
        ),
        steps: step_buttons(r, refusal),
        versions: data
            .versions
            .iter()
            .rev()
            .map(|v| VersionLine {
                version: v.version,
                approved_by: v.approved_by.clone(),
                approved_at: local(v.approved_at, zone),
                has_previous: v.version > 1,
                published: r.published && Some(v.version) == r.latest_approved,
            })
            .collect(),
        draft_changes: draft_changes(&data),
    }
}

#[derive(Serialize)]
pub(super) struct VersionPage {
    title: String,
    incident_id: i64,
    incident_name: String,
    version: i32,
    previous: Option<i32>,
    approved_by: String,
    approved_at: String,
    submitted_by: Option<String>,
    reviewed_by: Option<String>,
    sections: Vec<SectionField>,
    links: Vec<rules::Link>,
    time_rows: Vec<TimeLine>,
    impact_duration: String,
    items: Vec<VersionItem>,
    #[serde(flatten)]
    changes: Changes,
}

#[derive(Serialize)]
struct VersionItem {
    number: usize,
    action: String,
    responsibility: String,
    priority: &'static str,
    due_on: String,
    status: &'static str,
}

pub(super) fn version_page(
    content: ReportContent,
    diff: Vec<DiffLine>,
    previous: Option<i32>,
    zone: chrono_tz::Tz,
) -> VersionPage {
    VersionPage {
        title: format!(
            "Incident report version {} — {}",
            content.version, content.incident_name
        ),
        incident_id: content.incident_id,
        incident_name: content.incident_name.clone(),
        version: content.version,
        previous,
        approved_by: content.approved_by.clone(),
        approved_at: local(content.approved_at, zone),
        submitted_by: content.submitted_by.clone(),
        reviewed_by: content.reviewed_by.clone(),
        sections: section_fields(&content.sections),
        links: content.sections.links.clone(),
        time_rows: time_lines(&content.time_summary, zone),
        impact_duration: minutes_label(content.client_impact_minutes),
        items: content
            .action_items
            .iter()
            .enumerate()
            .map(|(i, a)| VersionItem {
                number: i + 1,
                action: a.action.clone(),
                responsibility: a.responsibility.clone(),
                priority: a.priority.label(),
                due_on: a.due_on.map(|d| d.to_string()).unwrap_or_default(),
                status: a.status.label(),
            })
            .collect(),
        changes: Changes::new(
            diff,
            format!(
                "Line changes from version {} to version {}",
                previous.unwrap_or(content.version),
                content.version
            ),
        ),
    }
}
