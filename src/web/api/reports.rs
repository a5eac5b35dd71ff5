//! `/api/v1/incidents/{id}/report` and `/api/v1/action-items`: the incident
//! report, its review workflow, its approved versions and the post-incident
//! action items.

use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::app;
use crate::app::reports::{ItemPatch, SectionsPatch};
use crate::db::models::incidents;
use crate::db::models::reports::{self, ActionItem, Report};
use crate::db::{DbConn, StoreError};
use crate::domain::milestone::Milestone;
use crate::domain::report::{
    self as rules, decide, minutes_label, DiffLine, ItemPriority, ItemSnapshot, ItemStatus, Link,
    ReportAction, ReportContent, ReportStatus,
};
use crate::domain::role::{Permission, Staff};
use crate::error::AppError;
use crate::render::statuspage::timestamp;
use crate::web::auth::ApiCaller;
use crate::web::body::{self, nullable};
use crate::web::state::AppState;

/// One row of the Time Summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimeRowView {
    pub milestone: Milestone,
    /// The template's words ("Operations Notified").
    pub label: String,
    /// RFC 3339, UTC; null when not recorded.
    pub at: Option<String>,
}

fn time_rows(rows: &[rules::TimeRow]) -> Vec<TimeRowView> {
    rows.iter()
        .map(|r| TimeRowView {
            milestone: r.milestone,
            label: r.label.clone(),
            at: r.at.map(timestamp),
        })
        .collect()
}

/// A post-incident action item.
#[derive(Debug, Serialize, ToSchema)]
pub struct ActionItemView {
    pub id: i64,
    pub incident_id: i64,
    pub action: String,
    /// Who (a person or a team) is responsible.
    pub responsibility: String,
    pub priority: ItemPriority,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
    pub status: ItemStatus,
    pub done_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<ActionItem> for ActionItemView {
    fn from(i: ActionItem) -> Self {
        ActionItemView {
            id: i.id,
            incident_id: i.incident_id,
            action: i.action,
            responsibility: i.responsibility,
            priority: i.priority,
            due_on: i.due_on.map(|d| d.to_string()),
            status: i.status,
            done_at: i.done_at.map(timestamp),
            created_at: timestamp(i.created_at),
            updated_at: timestamp(i.updated_at),
        }
    }
}

/// The incident report as it stands, with what the caller may do next.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub incident_id: i64,
    pub incident_name: String,
    /// The status of the version being worked on.
    pub status: ReportStatus,
    pub status_label: String,
    /// The version being worked on (1 until the first approval).
    pub version: i32,
    /// The latest approved (frozen) version, if any.
    pub latest_approved_version: Option<i32>,
    /// Whether the latest approved version is shown on the external incident page.
    pub published: bool,
    pub description: String,
    pub links: Vec<Link>,
    pub client_impact: String,
    pub resolution: String,
    pub worked_well: String,
    pub did_not_work: String,
    pub recommendations: String,
    /// Filled from the incident's milestones (edit them on the incident).
    pub time_summary: Vec<TimeRowView>,
    /// Minutes during which at least one affected component was degraded or down.
    pub client_impact_minutes: i64,
    /// The same, in words ("1 h 05 min").
    pub client_impact_duration: String,
    pub action_items: Vec<ActionItemView>,
    pub submitted_by: Option<String>,
    pub submitted_at: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub approved_by: Option<String>,
    pub approved_at: Option<String>,
    /// Who last returned the report to draft, when, and what they asked for.
    pub returned_by: Option<String>,
    pub returned_at: Option<String>,
    pub return_comment: Option<String>,
    /// What the caller's role may do now: `edit`, `submit`, `review`,
    /// `return`, `approve`, `revise`, `publish`, `unpublish`, `action_items`.
    pub allowed_actions: Vec<String>,
}

/// Everything the report views need, read in one go.
pub struct ReportData {
    pub report: Report,
    pub incident: incidents::Incident,
    pub time_summary: Vec<rules::TimeRow>,
    pub impact_minutes: i64,
    pub items: Vec<ActionItem>,
    pub versions: Vec<ReportContent>,
}

pub fn load(conn: &mut DbConn, incident_id: i64) -> Result<ReportData, StoreError> {
    conn.read_transaction(|conn| {
        let report = reports::get(conn, incident_id)?;
        let incident = incidents::get(conn, incident_id)?;
        let impact_minutes = reports::client_impact_minutes(conn, &incident, crate::db::now())?;
        Ok(ReportData {
            time_summary: reports::time_summary(&incident),
            items: reports::items(conn, incident_id)?,
            versions: reports::versions(conn, incident_id)?,
            report,
            incident,
            impact_minutes,
        })
    })
}

/// The actions `staff` may take on `report` now.
pub fn allowed(staff: &Staff, report: &Report) -> Vec<ReportAction> {
    ReportAction::WORKFLOW
        .into_iter()
        .chain([ReportAction::ManageActionItems])
        .filter(|a| decide(staff.role, *a, report.state()).is_ok())
        .collect()
}

fn view(staff: &Staff, data: ReportData) -> ReportView {
    let r = data.report;
    let allowed_actions = allowed(staff, &r)
        .into_iter()
        .map(|a| a.as_str().to_string())
        .collect();
    ReportView {
        incident_id: r.incident_id,
        incident_name: data.incident.name,
        status: r.status,
        status_label: r.status.label().into(),
        version: r.version,
        latest_approved_version: r.latest_approved,
        published: r.published,
        description: r.sections.description,
        links: r.sections.links,
        client_impact: r.sections.client_impact,
        resolution: r.sections.resolution,
        worked_well: r.sections.worked_well,
        did_not_work: r.sections.did_not_work,
        recommendations: r.sections.recommendations,
        time_summary: time_rows(&data.time_summary),
        client_impact_minutes: data.impact_minutes,
        client_impact_duration: minutes_label(data.impact_minutes),
        action_items: data.items.into_iter().map(ActionItemView::from).collect(),
        submitted_by: r.submitted_by,
        submitted_at: r.submitted_at.map(timestamp),
        reviewed_by: r.reviewed_by,
        reviewed_at: r.reviewed_at.map(timestamp),
        approved_by: r.approved_by,
        approved_at: r.approved_at.map(timestamp),
        returned_by: r.returned_by,
        returned_at: r.returned_at.map(timestamp),
        return_comment: r.return_comment,
        allowed_actions,
    }
}

async fn respond(state: &AppState, staff: Staff, id: i64) -> Result<HttpResponse, AppError> {
    let data = state.db.run(move |conn| load(conn, id)).await?;
    Ok(HttpResponse::Ok().json(view(&staff, data)))
}

/// The report of an incident (an empty draft when nobody wrote one yet).
#[utoipa::path(get, path = "/api/v1/incidents/{id}/report", tag = "reports",
    responses((status = 200, body = ReportView), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn show(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    respond(&state, caller.0, id.into_inner()).await
}

/// Changes to the sections of the draft; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportPatch {
    /// Incident Description (markdown).
    pub description: Option<String>,
    /// Supporting material: `[{"label": "JIRA", "url": "https://…"}]`; replaces the list.
    pub links: Option<Vec<Link>>,
    /// Client Impact (markdown).
    pub client_impact: Option<String>,
    /// Incident Resolution (markdown).
    pub resolution: Option<String>,
    /// What Worked Well (markdown).
    pub worked_well: Option<String>,
    /// What Didn't Work Well (markdown).
    pub did_not_work: Option<String>,
    /// Recommendations (markdown).
    pub recommendations: Option<String>,
}

/// Edit the sections of the draft: 409 once submitted, reviewed or approved
/// (start a new version of an approved report with `POST …/report/revise`).
#[utoipa::path(patch, path = "/api/v1/incidents/{id}/report", tag = "reports", request_body = ReportPatch,
    responses((status = 200, body = ReportView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let input: ReportPatch = body::parse_json(&body::read(payload).await?, "report")?;
    let patch = SectionsPatch {
        description: input.description,
        links: input.links,
        client_impact: input.client_impact,
        resolution: input.resolution,
        worked_well: input.worked_well,
        did_not_work: input.did_not_work,
        recommendations: input.recommendations,
    };
    let id = id.into_inner();
    app::reports::edit(&state, &caller.as_actor(), id, patch).await?;
    respond(&state, caller.0, id).await
}

/// The optional body of a workflow step.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    /// Required to return a report to draft: what to change.
    pub comment: Option<String>,
}

/// Take a workflow step: `submit` (draft → submitted; Major Incident Manager
/// or admin), `review` (submitted → reviewed; reviewer), `return` (back to
/// draft with a `comment`; the reviewer when submitted, the approver when
/// reviewed), `approve` (reviewed → approved, freezes the version; approver),
/// `revise` (approved → draft of the next version), `publish` / `unpublish`
/// (the latest approved version as a postmortem on the external incident
/// page; Major Incident Manager or admin). 403 names who may, 409 says why not now.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/report/{action}", tag = "reports", request_body = Option<StepInput>,
    params(("id" = i64, Path, description = "Incident id"),
           ("action" = String, Path, description = "submit, review, return, approve, revise, publish or unpublish")),
    responses((status = 200, body = ReportView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn step(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(i64, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let action = ReportAction::parse_step(&action).ok_or_else(|| {
        AppError::NotFound(format!(
            "There is no report action {action:?}: use submit, review, return, approve, revise, publish or unpublish."
        ))
    })?;
    let raw = body::read(payload).await?;
    let input: StepInput = if raw.iter().all(u8::is_ascii_whitespace) {
        StepInput::default()
    } else {
        body::parse_json(&raw, "report")?
    };
    app::reports::step(&state, &caller.as_actor(), id, action, input.comment).await?;
    respond(&state, caller.0, id).await
}

/// An approved, frozen version of the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    pub version: i32,
    pub incident_id: i64,
    pub incident_name: String,
    pub description: String,
    pub links: Vec<Link>,
    pub client_impact: String,
    pub resolution: String,
    pub worked_well: String,
    pub did_not_work: String,
    pub recommendations: String,
    pub time_summary: Vec<TimeRowView>,
    pub client_impact_minutes: i64,
    pub action_items: Vec<ItemSnapshot>,
    pub submitted_by: Option<String>,
    pub reviewed_by: Option<String>,
    pub approved_by: String,
    pub approved_at: String,
    /// On `GET …/versions/{n}`: the line diff from version n−1 (empty for version 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diff_from_previous: Option<Vec<DiffLine>>,
}

fn version_view(c: ReportContent, diff: Option<Vec<DiffLine>>) -> VersionView {
    VersionView {
        version: c.version,
        incident_id: c.incident_id,
        incident_name: c.incident_name,
        description: c.sections.description,
        links: c.sections.links,
        client_impact: c.sections.client_impact,
        resolution: c.sections.resolution,
        worked_well: c.sections.worked_well,
        did_not_work: c.sections.did_not_work,
        recommendations: c.sections.recommendations,
        time_summary: time_rows(&c.time_summary),
        client_impact_minutes: c.client_impact_minutes,
        action_items: c.action_items,
        submitted_by: c.submitted_by,
        reviewed_by: c.reviewed_by,
        approved_by: c.approved_by,
        approved_at: timestamp(c.approved_at),
        diff_from_previous: diff,
    }
}

/// Every approved version, oldest first.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/report/versions", tag = "reports",
    responses((status = 200, body = [VersionView]), (status = 404, body = ErrorBody)))]
pub async fn versions(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let id = id.into_inner();
    let all = state
        .db
        .run(move |conn| reports::versions(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(
        all.into_iter()
            .map(|v| version_view(v, None))
            .collect::<Vec<_>>(),
    ))
}

/// Version `n` with the line diff from version n−1.
pub fn with_diff(all: &[ReportContent], n: i32) -> Option<(ReportContent, Vec<DiffLine>)> {
    let current = all.iter().find(|v| v.version == n)?.clone();
    let previous = all
        .iter()
        .filter(|v| v.version < n)
        .max_by_key(|v| v.version);
    let diff = match previous {
        Some(p) => rules::diff_lines(&p.to_text(), &current.to_text()),
        None => Vec::new(),
    };
    Some((current, diff))
}

/// One approved version, with the diff from the one before.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/report/versions/{n}", tag = "reports",
    params(("id" = i64, Path, description = "Incident id"), ("n" = i32, Path, description = "Version number")),
    responses((status = 200, body = VersionView), (status = 404, body = ErrorBody)))]
pub async fn version(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<(i64, i32)>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let (id, n) = path.into_inner();
    let all = state
        .db
        .run(move |conn| reports::versions(conn, id))
        .await?;
    let (content, diff) = with_diff(&all, n).ok_or_else(|| {
        AppError::NotFound(format!("Incident {id} has no approved report version {n}."))
    })?;
    Ok(HttpResponse::Ok().json(version_view(content, Some(diff))))
}

// -------------------------------------------------------------- action items

/// The action items of an incident, in the order they were added.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/action-items", tag = "reports",
    responses((status = 200, body = [ActionItemView]), (status = 404, body = ErrorBody)))]
pub async fn list_items(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let id = id.into_inner();
    let items = state
        .db
        .run(move |conn| {
            incidents::get(conn, id)?;
            reports::items(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(
        items
            .into_iter()
            .map(ActionItemView::from)
            .collect::<Vec<_>>(),
    ))
}

/// A new action item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItemCreate {
    /// What has to be done (required).
    #[serde(default)]
    pub action: String,
    /// Who is responsible: a person or a team.
    #[serde(default)]
    pub responsibility: String,
    /// `high`, `medium` (default) or `low`.
    pub priority: Option<ItemPriority>,
    /// `YYYY-MM-DD`.
    pub due_on: Option<String>,
    /// `open` (default), `in_progress`, `done` or `wont_do`.
    pub status: Option<ItemStatus>,
}

/// Add an action item (reviewer, Major Incident Manager or admin).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/action-items", tag = "reports", request_body = ActionItemCreate,
    responses((status = 201, body = ActionItemView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_item(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    app::reports::require_items(&caller.as_actor())?;
    let input: ActionItemCreate = body::parse_json(&body::read(payload).await?, "action_item")?;
    let item = rules::action_item(
        &input.action,
        &input.responsibility,
        input.priority.unwrap_or(ItemPriority::Medium),
        rules::parse_due(input.due_on.as_deref().unwrap_or(""))?,
        input.status.unwrap_or(ItemStatus::Open),
    )?;
    let created = app::reports::create_item(&state, &caller.as_actor(), *id, item).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/action-items/{}", created.id)))
        .json(ActionItemView::from(created)))
}

/// Changes to an action item; absent fields stay as they are, `due_on: null` clears the date.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionItemPatch {
    pub action: Option<String>,
    pub responsibility: Option<String>,
    pub priority: Option<ItemPriority>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub due_on: Option<Option<String>>,
    pub status: Option<ItemStatus>,
}

/// Change an action item (its status moves on after approval too).
#[utoipa::path(patch, path = "/api/v1/action-items/{id}", tag = "reports", request_body = ActionItemPatch,
    responses((status = 200, body = ActionItemView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_item(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    app::reports::require_items(&caller.as_actor())?;
    let input: ActionItemPatch = body::parse_json(&body::read(payload).await?, "action_item")?;
    let patch = ItemPatch {
        action: input.action,
        responsibility: input.responsibility,
        priority: input.priority,
        due_on: match input.due_on {
            None => None,
            Some(None) => Some(None),
            Some(Some(text)) => Some(rules::parse_due(&text)?),
        },
        status: input.status,
    };
    let updated = app::reports::update_item(&state, &caller.as_actor(), *id, patch).await?;
    Ok(HttpResponse::Ok().json(ActionItemView::from(updated)))
}

/// Delete an action item.
#[utoipa::path(delete, path = "/api/v1/action-items/{id}", tag = "reports",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_item(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    app::reports::delete_item(&state, &caller.as_actor(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// When a report time is shown in the console.
pub fn local_time(at: Option<NaiveDateTime>, zone: chrono_tz::Tz) -> Option<String> {
    at.map(|t| crate::render::time::local(t, zone))
}
