//! The incident report in the console: `/admin/incidents/{id}/report` with
//! every section of the template, the Time Summary from the milestones, the
//! client impact, the action items, the workflow buttons the signed-in role
//! may use, the approved versions with their diffs, and the publish toggle.

mod page;

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use self::page::{page_data, version_page, ReportPage};
use crate::app;
use crate::app::reports::{ItemPatch, SectionsPatch};
use crate::db::models::reports;
use crate::domain::report::{
    self as rules, parse_links, ItemPriority, ItemStatus, ReportAction, ReportStatus,
};
use crate::domain::role::Staff;
use crate::error::AppError;
use crate::web::api::reports::{load, with_diff};
use crate::web::auth::{CsrfForm, NoFields, SignedIn};
use crate::web::html::{self, see_other};
use crate::web::state::AppState;

type Form = BTreeMap<String, String>;

fn field<'a>(form: &'a Form, name: &str) -> &'a str {
    form.get(name).map_or("", String::as_str)
}

async fn build(state: &AppState, staff: &Staff, id: i64) -> Result<ReportPage, AppError> {
    let data = state.db.run(move |conn| load(conn, id)).await?;
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
) -> Result<HttpResponse, AppError> {
    let mut page = build(&state, &staff.0, id.into_inner()).await?;
    page.notice = notice(query.done.as_deref());
    Ok(render(&state, &req, &staff.0, StatusCode::OK, page))
}

/// Redirects after a write; shows the page again with a message where the
/// form was for invalid input (422) and conflicts (409); passes other
/// errors (refusals, missing things) on to the error page.
async fn redirect_or_show_again(
    state: &AppState,
    req: &HttpRequest,
    staff: &Staff,
    id: i64,
    outcome: Result<String, AppError>,
    put: impl FnOnce(&mut ReportPage, String),
) -> Result<HttpResponse, AppError> {
    let err = match outcome {
        Ok(location) => return Ok(see_other(&location)),
        Err(err) => err,
    };
    let status = match &err {
        AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Conflict(_) => StatusCode::CONFLICT,
        _ => return Err(err),
    };
    let mut page = build(state, staff, id).await?;
    put(&mut page, err.message());
    Ok(render(state, req, staff, status, page))
}

/// `POST /admin/incidents/{id}/report` — save the sections of the draft.
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<Form>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.0;
    let outcome = async {
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
        app::reports::edit(&state, &staff.as_actor(), id, patch).await?;
        Ok(format!("/admin/incidents/{id}/report?done=saved"))
    }
    .await;
    redirect_or_show_again(&state, &req, &staff.0, id, outcome, |page, message| {
        page.error = Some(message);
        for section in &mut page.sections {
            if let Some(value) = form.get(section.field) {
                section.value = value.clone();
            }
        }
        if let Some(links) = form.get("links") {
            page.links_text = links.clone();
        }
    })
    .await
}

/// `POST /admin/incidents/{id}/report/{action}` — a workflow step.
pub async fn step(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    path: web::Path<(i64, String)>,
    form: CsrfForm<Form>,
) -> Result<HttpResponse, AppError> {
    let (id, action) = path.into_inner();
    let outcome = async {
        let action = ReportAction::parse_step(&action)
            .ok_or_else(|| AppError::NotFound(format!("There is no report action {action:?}.")))?;
        let comment = form.0.get("comment").cloned();
        app::reports::step(&state, &staff.as_actor(), id, action, comment).await?;
        Ok(format!(
            "/admin/incidents/{id}/report?done={}",
            action.as_str()
        ))
    }
    .await;
    redirect_or_show_again(&state, &req, &staff.0, id, outcome, |page, message| {
        page.step_error = Some(message)
    })
    .await
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
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    app::reports::require_items(&staff.as_actor())?;
    let outcome = async {
        let input = item_fields(&form.0)?;
        app::reports::create_item(&state, &staff.as_actor(), id, input).await?;
        Ok(format!(
            "/admin/incidents/{id}/report?done=item-added#items-heading"
        ))
    }
    .await;
    redirect_or_show_again(&state, &req, &staff.0, id, outcome, |page, message| {
        page.item_error = Some(message)
    })
    .await
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
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    app::reports::require_items(&staff.as_actor())?;
    let incident = item_incident(&state, id).await?;
    let outcome = async {
        let input = item_fields(&form.0)?;
        let patch = ItemPatch {
            action: Some(input.action),
            responsibility: Some(input.responsibility),
            priority: Some(input.priority),
            due_on: Some(input.due_on),
            status: Some(input.status),
        };
        app::reports::update_item(&state, &staff.as_actor(), id, patch).await?;
        Ok(format!(
            "/admin/incidents/{incident}/report?done=item-saved#items-heading"
        ))
    }
    .await;
    redirect_or_show_again(
        &state,
        &req,
        &staff.0,
        incident,
        outcome,
        |page, message| page.item_error = Some(message),
    )
    .await
}

/// `POST /admin/action-items/{id}/delete`
pub async fn delete_item(
    state: web::Data<AppState>,
    staff: SignedIn,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let deleted = app::reports::delete_item(&state, &staff.as_actor(), id.into_inner()).await?;
    Ok(see_other(&format!(
        "/admin/incidents/{}/report?done=item-deleted#items-heading",
        deleted.incident_id
    )))
}

/// `GET /admin/incidents/{id}/report/versions/{n}` — a frozen version and
/// what changed since the one before.
pub async fn version(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    path: web::Path<(i64, i32)>,
) -> Result<HttpResponse, AppError> {
    let (id, n) = path.into_inner();
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
