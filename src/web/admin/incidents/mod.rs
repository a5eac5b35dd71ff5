//! The communication manager's console: open an incident from a phase
//! template, preview exactly what each audience will read, post updates,
//! watch the promised next-update time.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};

mod form;
mod pages;

pub use pages::countdown;

use crate::app;
use crate::app::compose::Facts;
use crate::app::incidents::{FactChanges, OpenIncident};
use crate::db::models::incidents::{self};
use crate::db::models::page_state::{self};
use crate::domain::incident::{ChecklistAnswer, Impact, Phase, Urgency};
use crate::domain::milestone::Milestone;
use crate::domain::role::Permission;
use crate::domain::status::Audience;
use crate::error::AppError;
use crate::render::incidents::incident_view;
use crate::render::time::parse_input;
use crate::web::auth::{CsrfForm, SignedIn};
use crate::web::html::{self, see_other};
use crate::web::state::AppState;
use form::{draft_from, preview, shown_with_the_form, Fields};
use pages::{new_page, show_page, ListPage, OpenIncidentRow, Promise, ResolvedRow};
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
) -> Result<HttpResponse, AppError> {
    let (page, report_statuses) = state
        .db
        .run(|conn| {
            let page = page_state::load(conn)?;
            let ids: Vec<i64> = page.incidents.iter().map(|i| i.incident.id).collect();
            let statuses = crate::db::models::reports::statuses(conn, &ids)?;
            Ok((page, statuses))
        })
        .await?;
    let now = crate::db::now();
    let mut open = Vec::new();
    let mut resolved = Vec::new();
    for i in &page.incidents {
        let view = incident_view(i, Audience::Internal, &state.settings, &page.components);
        let report = super::reports::badge(i.incident.id, report_statuses.get(&i.incident.id));
        if i.incident.status == Phase::Resolved {
            resolved.push(ResolvedRow { view, report });
        } else {
            let promise = Promise::new(i.incident.next_update_by, now, state.settings.time_zone);
            open.push(OpenIncidentRow {
                priority: i.incident.priority.as_str(),
                view,
                next_update: promise.at,
                countdown: promise.countdown,
                next_update_iso: promise.at_iso,
                overdue: promise.overdue,
                report,
            });
        }
    }
    open.sort_by(|a, b| a.priority.cmp(b.priority));
    Ok::<_, AppError>(html::render(
        &state,
        &req,
        Some(&staff.0),
        StatusCode::OK,
        "admin/incidents",
        ListPage {
            title: "Incidents",
            countdown_script: true,
            open,
            resolved,
            can_open: staff.0.can(Permission::OpenIncident),
        },
    ))
}

/// `GET /admin/incidents/new`
pub async fn new_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::OpenIncident)?;
    let page = new_page(&state, &staff.0, None).await?;
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        StatusCode::OK,
        "admin/incident_new",
        page,
    ))
}

/// `POST /admin/incidents` — preview, or open the incident.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let fields = Fields(form.0);
    staff.require(Permission::OpenIncident)?;
    let mut page = new_page(&state, &staff.0, Some(&fields)).await?;
    let outcome = async {
        let zone = state.settings.time_zone;
        let impact = Impact::parse(fields.get("impact"))?;
        let urgency = Urgency::parse(fields.get("urgency"))?;
        let phase = Phase::parse(fields.get("phase"))?;
        let priority = state.settings.priority_matrix.priority(impact, urgency);
        let draft = draft_from(&fields, zone, phase)?;
        let started_at = fields.time("started_at", zone, "Failure started")?;
        let facts = Facts {
            name: fields.get("name").trim().to_string(),
            impact,
            priority,
            started_at: started_at
                .or(draft.display_at)
                .unwrap_or_else(crate::db::now),
            component_ids: vec![],
        };
        if fields.get("intent") == "preview" {
            preview(&state, &staff.0, &draft, &facts, &mut page.update).await?;
            return Ok(None);
        }
        let checklist = page
            .checklist
            .iter()
            .map(|c| ChecklistAnswer {
                question: c.question.clone(),
                answer: c.checked,
            })
            .collect();
        let new = OpenIncident {
            name: fields.get("name").to_string(),
            impact,
            urgency,
            business_critical: fields.has("business_critical"),
            client_impact: fields.get("client_impact").to_string(),
            checklist,
            started_at,
            first_update: draft,
        };
        let incident = app::incidents::open(&state, &staff.as_actor(), new).await?;
        Ok(Some(incident.id))
    }
    .await;
    let status = match outcome {
        Ok(Some(id)) => return Ok(see_other(&format!("/admin/incidents/{id}?done=opened"))),
        Ok(None) => StatusCode::OK,
        Err(err) => {
            let (status, message) = shown_with_the_form(err)?;
            page.error = Some(message);
            status
        }
    };
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        status,
        "admin/incident_new",
        page,
    ))
}

#[derive(serde::Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

/// `GET /admin/incidents/{id}`
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let mut page = show_page(&state, &staff.0, id.into_inner(), None).await?;
    page.notice = match query.done.as_deref() {
        Some("opened") => Some("Incident opened. The pages are updated."),
        Some("posted") => Some("Update posted. The pages are updated."),
        Some("edited") => Some("Incident saved."),
        Some("milestones") => Some("Time Summary saved."),
        Some("role") => Some("Role assigned. The handover is in the history."),
        _ => None,
    };
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        StatusCode::OK,
        "admin/incident",
        page,
    ))
}

/// `POST /admin/incidents/{id}/updates` — preview, or post.
pub async fn post_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let fields = Fields(form.0);
    if !staff.0.can(Permission::PostExternalUpdate) && !staff.0.can(Permission::PostInternalUpdate)
    {
        staff.require(Permission::PostExternalUpdate)?;
    }
    let mut page = show_page(&state, &staff.0, id, Some(&fields)).await?;
    let outcome = async {
        let incident = state.db.run(move |conn| incidents::get(conn, id)).await?;
        let phase = Phase::parse(fields.get("phase"))?;
        let draft = draft_from(&fields, state.settings.time_zone, phase)?;
        let facts = Facts {
            name: incident.name.clone(),
            impact: incident.impact,
            priority: incident.priority,
            started_at: incident.started_at,
            component_ids: incident.component_ids.clone(),
        };
        if fields.get("intent") == "preview" {
            preview(&state, &staff.0, &draft, &facts, &mut page.update).await?;
            return Ok(false);
        }
        app::incidents::post_update(&state, &staff.as_actor(), id, draft).await?;
        Ok(true)
    }
    .await;
    let status = match outcome {
        Ok(true) => return Ok(see_other(&format!("/admin/incidents/{id}?done=posted"))),
        Ok(false) => StatusCode::OK,
        Err(err) => {
            let (status, message) = shown_with_the_form(err)?;
            page.error = Some(message);
            status
        }
    };
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        status,
        "admin/incident",
        page,
    ))
}

/// `POST /admin/incidents/{id}/edit` — impact, urgency and the other facts.
pub async fn edit(
    state: web::Data<AppState>,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    staff.require(Permission::EditIncident)?;
    let f = form.0;
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    let impact = Impact::parse(get("impact"))?;
    let urgency = Urgency::parse(get("urgency"))?;
    let facts = FactChanges {
        name: Some(get("name").to_string()),
        impact: Some(impact),
        urgency: Some(urgency),
        business_critical: Some(f.contains_key("business_critical")),
        client_impact: Some(get("client_impact").to_string()),
        started_at: None,
    };
    app::incidents::edit(&state, &staff.as_actor(), id, facts, vec![]).await?;
    Ok(see_other(&format!("/admin/incidents/{id}?done=edited")))
}

/// `POST /admin/incidents/{id}/milestones` — the Time Summary.
pub async fn set_milestones(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    staff.require(Permission::EditIncident)?;
    let zone = state.settings.time_zone;
    let outcome = async {
        let mut changes = Vec::new();
        for m in Milestone::EDITABLE {
            if let Some(value) = form.0.get(&m.field()) {
                let at = match value.trim() {
                    "" => None,
                    v => Some(
                        parse_input(v, zone)
                            .map_err(|e| AppError::Invalid(format!("{}: {}", m.label(), e.0)))?,
                    ),
                };
                changes.push((m, at));
            }
        }
        app::incidents::edit(
            &state,
            &staff.as_actor(),
            id,
            FactChanges::default(),
            changes,
        )
        .await
    }
    .await;
    match outcome {
        Ok(_) => Ok(see_other(&format!("/admin/incidents/{id}?done=milestones"))),
        Err(AppError::Invalid(message)) => {
            let mut page = show_page(&state, &staff.0, id, None).await?;
            page.error_time = Some(message);
            Ok(html::render(
                &state,
                &req,
                Some(&staff.0),
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/incident",
                page,
            ))
        }
        Err(other) => Err(other),
    }
}

// ---------------------------------------------------------------- roles (roster)

/// `POST /admin/incidents/{id}/roles` — assign a role, or hand it over.
pub async fn assign_role(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.0;
    let outcome = super::roster::assign_from_form(&state, &staff.0, id, &form).await;
    let role = crate::domain::roster::IncidentRole::parse(
        form.get("role").map(String::as_str).unwrap_or(""),
    );
    match (outcome, role) {
        (Ok(()), _) => Ok(see_other(&format!(
            "/admin/incidents/{id}?done=role#roles-heading"
        ))),
        (Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))), Ok(role)) => {
            let status = err.status_code();
            let again = super::roster::RoleFormAgain {
                role,
                form: form.clone(),
                error: err.message(),
            };
            async {
                let mut page = show_page(&state, &staff.0, id, None).await?;
                page.roles = super::roster::roles_panel(&state, &staff.0, id, Some(&again)).await?;
                Ok(html::render(
                    &state,
                    &req,
                    Some(&staff.0),
                    status,
                    "admin/incident",
                    page,
                ))
            }
            .await
        }
        (Err(err), _) => Err(err),
    }
}
