//! The incident report in the console: `/admin/incidents/{id}/report` with
//! every section of the template, the Time Summary from the milestones, the
//! client impact, the action items, the workflow buttons the signed-in role
//! may use, the approved versions with their diffs, and the publish toggle.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::Choice;
use crate::db::models::reports::{self, ItemPatch, SectionsPatch};
use crate::domain::report::{
    self as rules, decide, links_text, minutes_label, parse_links, DiffLine, ItemPriority,
    ItemStatus, ReportAction, ReportContent, ReportStatus, PUBLIC_SECTIONS, TEXT_SECTIONS,
};
use crate::domain::role::{Role, Staff};
use crate::error::AppError;
use crate::render::markdown::to_safe_html;
use crate::render::time::local;
use crate::web::api::reports::{load, run, with_diff, ReportData};
use crate::web::auth::{CsrfForm, SignedIn};
use crate::web::html::{self, see_other};
use crate::web::state::AppState;

type Form = BTreeMap<String, String>;

fn field<'a>(form: &'a Form, name: &str) -> &'a str {
    form.get(name).map_or("", String::as_str)
}

#[derive(Serialize)]
struct SectionField {
    field: &'static str,
    heading: &'static str,
    prompt: &'static str,
    value: String,
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
struct ReportPage {
    title: String,
    incident_id: i64,
    incident_name: String,
    priority: &'static str,
    status: &'static str,
    status_label: &'static str,
    version: i32,
    latest_approved: Option<i32>,
    published: bool,
    notice: Option<&'static str>,
    error: Option<String>,
    step_error: Option<String>,
    item_error: Option<String>,
    returned: Option<Returned>,
    sign_offs: Vec<SignOff>,
    sections: Vec<SectionField>,
    links_text: String,
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
fn applicable(action: ReportAction, report: &reports::Report) -> bool {
    Role::ALL
        .into_iter()
        .any(|role| decide(role, action, report.state()).is_ok())
}

fn page_data(state: &AppState, staff: &Staff, data: ReportData) -> ReportPage {
    let zone = state.settings.time_zone;
    let r = &data.report;
    let when = |at: Option<chrono::NaiveDateTime>| at.map(|t| local(t, zone)).unwrap_or_default();
    let refusal = |action| match decide(staff.role, action, r.state()) {
        Ok(_) => None,
        Err(refusal) => Some(refusal.message().to_string()),
    };
    let sections = TEXT_SECTIONS
        .iter()
        .map(|(field, heading, prompt)| {
            let value = r.sections.text(field).to_string();
            SectionField {
                field,
                heading,
                prompt,
                html: to_safe_html(&value),
                value,
                public: PUBLIC_SECTIONS.contains(field),
            }
        })
        .collect();
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
    let steps = [
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
    .collect();
    let draft_changes = match (data.versions.last(), r.status) {
        (Some(approved), status) if status != ReportStatus::Approved => {
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
        _ => None,
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
        sign_offs,
        sections,
        links_text: links_text(&r.sections.links),
        links: r.sections.links.clone(),
        can_edit: edit_reason.is_none(),
        edit_reason,
        time_rows: data
            .time_summary
            .iter()
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
            .collect(),
        impact_duration: minutes_label(data.impact_minutes),
        incident_client_impact: data.incident.client_impact.clone(),
        items: data
            .items
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
            .collect(),
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
        steps,
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
        draft_changes,
    }
}

async fn build(state: &AppState, staff: &Staff, id: i64) -> Result<ReportPage, AppError> {
    let data = run(state, move |conn| load(conn, id)).await?;
    Ok(page_data(state, staff, data))
}

fn render(
    state: &AppState,
    req: &HttpRequest,
    staff: &Staff,
    status: StatusCode,
    page: ReportPage,
) -> HttpResponse {
    html::render(state, req, Some(staff), status, "admin/report", page)
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "saved" => "Report saved.",
        "submit" => "Report submitted for review.",
        "review" => "Report marked as reviewed; it now waits for the approver.",
        "approve" => "Report approved. This version is frozen.",
        "return" => "Report returned to draft with your comment.",
        "revise" => "A new version was started as a draft; the approved version stays as it was.",
        "publish" => "Postmortem published on the external incident page.",
        "unpublish" => "Postmortem removed from the external incident page.",
        "item-added" => "Action item added.",
        "item-saved" => "Action item saved.",
        "item-deleted" => "Action item deleted.",
        _ => return None,
    })
}

/// `GET /admin/incidents/{id}/report`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    query: web::Query<ShowQuery>,
) -> HttpResponse {
    let result = async {
        let mut page = build(&state, &staff.0, id.into_inner()).await?;
        page.notice = notice(query.done.as_deref());
        Ok(render(&state, &req, &staff.0, StatusCode::OK, page))
    }
    .await;
    html::page(&state, &req, Some(&staff.0), result)
}

/// Shows the page again with a message where the form was, or an error page
/// for refusals (403) and missing things (404).
async fn show_again(
    state: &AppState,
    req: &HttpRequest,
    staff: &Staff,
    id: i64,
    err: AppError,
    put: impl FnOnce(&mut ReportPage, String),
) -> HttpResponse {
    let status = match &err {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        _ => return html::error_page(state, req, Some(staff), err),
    };
    match build(state, staff, id).await {
        Ok(mut page) => {
            put(&mut page, err.message());
            render(state, req, staff, status, page)
        }
        Err(other) => html::error_page(state, req, Some(staff), other),
    }
}

/// `POST /admin/incidents/{id}/report` — save the sections of the draft.
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<Form>,
) -> HttpResponse {
    let id = id.into_inner();
    let form = form.0;
    let typed = form.clone();
    let result = async {
        let text = |name: &str| form.get(name).cloned();
        let patch = SectionsPatch {
            description: text("description"),
            links: form.get("links").map(|l| parse_links(l)).transpose()?,
            client_impact: text("client_impact"),
            resolution: text("resolution"),
            worked_well: text("worked_well"),
            did_not_work: text("did_not_work"),
            recommendations: text("recommendations"),
        };
        let who = staff.0.clone();
        run(&state, move |conn| {
            reports::update_sections(conn, &who, id, patch)
        })
        .await?;
        state.refresh_pages().await?;
        Ok(see_other(&format!(
            "/admin/incidents/{id}/report?done=saved"
        )))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(err) => {
            show_again(&state, &req, &staff.0, id, err, |page, message| {
                page.error = Some(message);
                for section in &mut page.sections {
                    if let Some(value) = typed.get(section.field) {
                        section.value = value.clone();
                    }
                }
                if let Some(links) = typed.get("links") {
                    page.links_text = links.clone();
                }
            })
            .await
        }
    }
}

/// `POST /admin/incidents/{id}/report/{action}` — a workflow step.
pub async fn step(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    path: web::Path<(i64, String)>,
    form: CsrfForm<Form>,
) -> HttpResponse {
    let (id, action) = path.into_inner();
    let result = async {
        let action = ReportAction::parse_step(&action)
            .ok_or_else(|| AppError::NotFound(format!("There is no report action {action:?}.")))?;
        let comment = form.0.get("comment").cloned();
        let who = staff.0.clone();
        run(&state, move |conn| {
            reports::step(conn, &who, id, action, comment.as_deref())
        })
        .await?;
        state.refresh_pages().await?;
        Ok(see_other(&format!(
            "/admin/incidents/{id}/report?done={}",
            action.as_str()
        )))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(err) => {
            show_again(&state, &req, &staff.0, id, err, |page, message| {
                page.step_error = Some(message)
            })
            .await
        }
    }
}

fn item_fields(form: &Form) -> Result<rules::ActionItemInput, AppError> {
    Ok(rules::action_item(
        field(form, "action"),
        field(form, "responsibility"),
        ItemPriority::parse(field(form, "priority"))?,
        rules::parse_due(field(form, "due_on"))?,
        ItemStatus::parse(field(form, "status"))?,
    )?)
}

/// `POST /admin/incidents/{id}/action-items` — add an action item.
pub async fn create_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<Form>,
) -> HttpResponse {
    let id = id.into_inner();
    let result = async {
        let input = item_fields(&form.0)?;
        let who = staff.0.clone();
        run(&state, move |conn| {
            reports::create_item(conn, &who, id, input)
        })
        .await?;
        state.refresh_pages().await?;
        Ok(see_other(&format!(
            "/admin/incidents/{id}/report?done=item-added#items-heading"
        )))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(err) => {
            show_again(&state, &req, &staff.0, id, err, |page, message| {
                page.item_error = Some(message)
            })
            .await
        }
    }
}

async fn item_incident(state: &AppState, item: i64) -> Result<i64, AppError> {
    Ok(state
        .db
        .run(move |conn| reports::item(conn, item))
        .await?
        .incident_id)
}

/// `POST /admin/action-items/{id}` — change an action item.
pub async fn update_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<Form>,
) -> HttpResponse {
    let id = id.into_inner();
    let incident = match item_incident(&state, id).await {
        Ok(incident) => incident,
        Err(err) => return html::error_page(&state, &req, Some(&staff.0), err),
    };
    let result = async {
        let input = item_fields(&form.0)?;
        let patch = ItemPatch {
            action: Some(input.action),
            responsibility: Some(input.responsibility),
            priority: Some(input.priority),
            due_on: Some(input.due_on),
            status: Some(input.status),
        };
        let who = staff.0.clone();
        run(&state, move |conn| {
            reports::update_item(conn, &who, id, patch)
        })
        .await?;
        state.refresh_pages().await?;
        Ok(see_other(&format!(
            "/admin/incidents/{incident}/report?done=item-saved#items-heading"
        )))
    }
    .await;
    match result {
        Ok(response) => response,
        Err(err) => {
            show_again(&state, &req, &staff.0, incident, err, |page, message| {
                page.item_error = Some(message)
            })
            .await
        }
    }
}

/// `POST /admin/action-items/{id}/delete`
pub async fn delete_item(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    _form: CsrfForm<crate::web::auth::NoFields>,
) -> HttpResponse {
    let id = id.into_inner();
    let result = async {
        let incident = item_incident(&state, id).await?;
        let who = staff.0.clone();
        run(&state, move |conn| reports::delete_item(conn, &who, id)).await?;
        state.refresh_pages().await?;
        Ok(see_other(&format!(
            "/admin/incidents/{incident}/report?done=item-deleted#items-heading"
        )))
    }
    .await;
    html::page(&state, &req, Some(&staff.0), result)
}

#[derive(Serialize)]
struct VersionPage {
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

fn version_page(
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
        sections: TEXT_SECTIONS
            .iter()
            .map(|(field, heading, prompt)| SectionField {
                field,
                heading,
                prompt,
                value: content.sections.text(field).to_string(),
                html: to_safe_html(content.sections.text(field)),
                public: PUBLIC_SECTIONS.contains(field),
            })
            .collect(),
        links: content.sections.links.clone(),
        time_rows: content
            .time_summary
            .iter()
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
            .collect(),
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

/// `GET /admin/incidents/{id}/report/versions/{n}` — a frozen version and
/// what changed since the one before.
pub async fn version(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    path: web::Path<(i64, i32)>,
) -> HttpResponse {
    let (id, n) = path.into_inner();
    let result = async {
        let all = state
            .db
            .run(move |conn| reports::versions(conn, id))
            .await?;
        let (content, diff) = with_diff(&all, n).ok_or_else(|| {
            AppError::NotFound(format!("Incident {id} has no approved report version {n}."))
        })?;
        let previous = all.iter().map(|v| v.version).filter(|v| *v < n).max();
        Ok(html::render(
            &state,
            &req,
            Some(&staff.0),
            StatusCode::OK,
            "admin/report_version",
            version_page(content, diff, previous, state.settings.time_zone),
        ))
    }
    .await;
    html::page(&state, &req, Some(&staff.0), result)
}

/// The report column of the incidents list: status words and where to go.
#[derive(Debug, Clone, Serialize)]
pub struct ReportBadge {
    pub status: &'static str,
    pub label: String,
    pub url: String,
}

pub fn badge(id: i64, found: Option<&(ReportStatus, i32, bool)>) -> ReportBadge {
    let url = format!("/admin/incidents/{id}/report");
    match found {
        None => ReportBadge {
            status: "none",
            label: "Report not started".into(),
            url,
        },
        Some((status, version, published)) => ReportBadge {
            status: status.as_str(),
            label: format!(
                "Report v{version}: {}{}",
                status.label().to_lowercase(),
                if *published {
                    ", postmortem published"
                } else {
                    ""
                }
            ),
            url,
        },
    }
}
