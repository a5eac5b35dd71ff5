//! `/api/v1/incidents`: open incidents, post updates, edit the facts.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::app;
use crate::app::compose::Draft;
use crate::app::incidents::{FactChanges, OpenIncident};
use crate::db::models::incidents::{self, Incident, IncidentUpdate, IncidentWithUpdates};
use crate::domain::incident::{ChecklistAnswer, Impact, Phase, Priority, Urgency};
use crate::domain::milestone::Milestone;
use crate::domain::role::Permission;
use crate::domain::status::ComponentStatus;
use crate::error::AppError;
use crate::render::statuspage::timestamp;
use crate::web::auth::ApiCaller;
use crate::web::body::{self, nullable};
use crate::web::state::AppState;

/// An update as the API returns it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UpdateView {
    pub id: i64,
    pub status: Phase,
    pub external_body: Option<String>,
    pub internal_body: Option<String>,
    pub deliver_notifications: bool,
    /// True when the phase went back (e.g. monitoring → identified).
    pub regression: bool,
    pub template: Option<String>,
    pub author: String,
    pub display_at: String,
    pub next_update_by: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub affected_components: Vec<serde_json::Value>,
    pub created_at: String,
}

impl From<IncidentUpdate> for UpdateView {
    fn from(u: IncidentUpdate) -> Self {
        UpdateView {
            id: u.id,
            status: u.status,
            external_body: u.external_body,
            internal_body: u.internal_body,
            deliver_notifications: u.notify,
            regression: u.regression,
            template: u.template_set,
            author: u.author,
            display_at: timestamp(u.display_at),
            next_update_by: u.next_update_by.map(timestamp),
            affected_components: u
                .affected_components
                .into_iter()
                .map(|a| serde_json::json!({"code": a.code, "name": a.name, "old_status": a.old_status, "new_status": a.new_status}))
                .collect(),
            created_at: timestamp(u.created_at),
        }
    }
}

/// An incident as the API returns it, updates newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentView {
    pub id: i64,
    pub name: String,
    /// The current phase.
    pub status: Phase,
    pub impact: Impact,
    pub urgency: Urgency,
    pub priority: Priority,
    pub business_critical: bool,
    pub client_impact: String,
    pub checklist: Vec<ChecklistAnswer>,
    pub started_at: String,
    pub identified_at: Option<String>,
    pub monitoring_at: Option<String>,
    pub resolved_at: Option<String>,
    pub next_update_by: Option<String>,
    pub components: Vec<i64>,
    /// The Time Summary (RFC 3339, UTC; null when not known).
    pub failure_occurred_at: Option<String>,
    pub operations_notified_at: Option<String>,
    pub operations_on_site_at: Option<String>,
    pub second_level_on_site_at: Option<String>,
    pub services_restored_at: Option<String>,
    pub closed_at: Option<String>,
    pub shortlink: String,
    pub created_at: String,
    pub updated_at: String,
    pub incident_updates: Vec<UpdateView>,
    /// Whether the incident met its priority's SLA targets (time to on-site,
    /// time to restore), on the wall clock and in support hours; null when
    /// the priority has no targets.
    pub sla: Option<crate::web::sla::SlaView>,
}

fn view(state: &AppState, i: IncidentWithUpdates) -> IncidentView {
    let inc: Incident = i.incident;
    let sla = crate::web::sla::incident_sla(&inc, &state.settings, crate::db::now());
    IncidentView {
        sla,
        shortlink: state.settings.url(&format!("/incidents/{}", inc.id)),
        id: inc.id,
        name: inc.name,
        status: inc.status,
        impact: inc.impact,
        urgency: inc.urgency,
        priority: inc.priority,
        business_critical: inc.business_critical,
        client_impact: inc.client_impact,
        checklist: inc.checklist,
        started_at: timestamp(inc.started_at),
        identified_at: inc.identified_at.map(timestamp),
        monitoring_at: inc.monitoring_at.map(timestamp),
        resolved_at: inc.resolved_at.map(timestamp),
        next_update_by: inc.next_update_by.map(timestamp),
        components: inc.component_ids,
        failure_occurred_at: inc.failure_occurred_at.map(timestamp),
        operations_notified_at: inc.operations_notified_at.map(timestamp),
        operations_on_site_at: inc.operations_on_site_at.map(timestamp),
        second_level_on_site_at: inc.second_level_on_site_at.map(timestamp),
        services_restored_at: inc.services_restored_at.map(timestamp),
        closed_at: inc.closed_at.map(timestamp),
        created_at: timestamp(inc.created_at),
        updated_at: timestamp(inc.updated_at),
        incident_updates: i.updates.into_iter().map(UpdateView::from).collect(),
    }
}

/// An update to post. Give `external_body` and/or `internal_body`, or a
/// `template` set name (plus `variables`) to fill the streams left empty.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    /// The phase; defaults to `investigating` for a first update.
    pub status: Option<Phase>,
    pub external_body: Option<String>,
    pub internal_body: Option<String>,
    pub template: Option<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, String>,
    /// `false` posts silently (no notifications). Default `true`.
    pub deliver_notifications: Option<bool>,
    /// Backdate the update (RFC 3339).
    pub display_at: Option<DateTime<Utc>>,
    /// Promise the next update by this time (RFC 3339).
    pub next_update_by: Option<DateTime<Utc>>,
    /// New statuses: `{"<component id>": "partial_outage"}`.
    #[serde(default)]
    pub components: BTreeMap<String, ComponentStatus>,
}

/// A new incident and its first update.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentCreate {
    pub name: String,
    pub impact: Impact,
    pub urgency: Urgency,
    #[serde(default)]
    pub business_critical: bool,
    #[serde(default)]
    pub client_impact: String,
    /// Answers to the "is this an incident?" checklist: `{"question": true}`.
    #[serde(default)]
    pub checklist: BTreeMap<String, bool>,
    /// When the failure started (RFC 3339); defaults to now.
    pub started_at: Option<DateTime<Utc>>,
    /// Component statuses set when opening: `{"<component id>": "major_outage"}`.
    #[serde(default)]
    pub components: BTreeMap<String, ComponentStatus>,
    pub update: UpdateInput,
}

/// Changes to an incident's facts. Priority follows impact × urgency.
/// Milestones of the Time Summary are RFC 3339 times; `null` clears one;
/// out-of-order milestones are refused naming the two that conflict.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentPatch {
    pub name: Option<String>,
    pub impact: Option<Impact>,
    pub urgency: Option<Urgency>,
    pub business_critical: Option<bool>,
    pub client_impact: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime, nullable)]
    pub failure_occurred_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime, nullable)]
    pub operations_notified_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime, nullable)]
    pub operations_on_site_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime, nullable)]
    pub second_level_on_site_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime, nullable)]
    pub services_restored_at: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = DateTime, nullable)]
    pub closed_at: Option<Option<DateTime<Utc>>>,
}

impl IncidentPatch {
    fn milestones(&self) -> Vec<(Milestone, Option<chrono::NaiveDateTime>)> {
        [
            (Milestone::FailureOccurred, self.failure_occurred_at),
            (Milestone::OperationsNotified, self.operations_notified_at),
            (Milestone::OperationsOnSite, self.operations_on_site_at),
            (Milestone::SecondLevelOnSite, self.second_level_on_site_at),
            (Milestone::ServicesRestored, self.services_restored_at),
            (Milestone::Closed, self.closed_at),
        ]
        .into_iter()
        .filter_map(|(m, v)| v.map(|at| (m, at.map(|t| t.naive_utc()))))
        .collect()
    }
}

fn component_statuses(
    map: &BTreeMap<String, ComponentStatus>,
) -> Result<Vec<(i64, ComponentStatus)>, AppError> {
    map.iter()
        .map(|(id, status)| {
            id.trim()
                .parse::<i64>()
                .map(|id| (id, *status))
                .map_err(|_| {
                    AppError::Invalid(format!("Field `components`: {id:?} is not a component id."))
                })
        })
        .collect()
}

fn draft(
    input: &UpdateInput,
    extra_components: &BTreeMap<String, ComponentStatus>,
) -> Result<Draft, AppError> {
    let mut all = extra_components.clone();
    all.extend(input.components.clone());
    Ok(Draft {
        phase: input.status,
        external: input.external_body.clone(),
        internal: input.internal_body.clone(),
        template: input.template.clone(),
        variables: input.variables.clone(),
        notify: input.deliver_notifications.unwrap_or(true),
        display_at: input.display_at.map(|t| t.naive_utc()),
        next_update_by: input.next_update_by.map(|t| t.naive_utc()),
        components: component_statuses(&all)?,
    })
}

fn checklist(
    state: &AppState,
    answers: &BTreeMap<String, bool>,
) -> Result<Vec<ChecklistAnswer>, AppError> {
    for question in answers.keys() {
        if !state
            .settings
            .incident_checklist
            .iter()
            .any(|q| q == question)
        {
            return Err(AppError::Invalid(format!(
                "Field `checklist`: {question:?} is not one of the configured questions: {:?}.",
                state.settings.incident_checklist
            )));
        }
    }
    Ok(state
        .settings
        .incident_checklist
        .iter()
        .map(|q| ChecklistAnswer {
            question: q.clone(),
            answer: answers.get(q).copied().unwrap_or(false),
        })
        .collect())
}

/// List the latest incidents, newest first.
#[utoipa::path(get, path = "/api/v1/incidents", tag = "incidents",
    responses((status = 200, body = [IncidentView]), (status = 401, body = ErrorBody)))]
pub async fn list(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let all = state.db.run(|conn| incidents::for_page(conn, 50)).await?;
    Ok(HttpResponse::Ok().json(all.into_iter().map(|i| view(&state, i)).collect::<Vec<_>>()))
}

/// Open an incident with its first update.
#[utoipa::path(post, path = "/api/v1/incidents", tag = "incidents", request_body = IncidentCreate,
    responses((status = 201, body = IncidentView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: ApiCaller,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::OpenIncident)?;
    let input: IncidentCreate = body::parse_json(&body::read(payload).await?, "incident")?;
    let new = OpenIncident {
        name: input.name.clone(),
        impact: input.impact,
        urgency: input.urgency,
        business_critical: input.business_critical,
        client_impact: input.client_impact.clone(),
        checklist: checklist(&state, &input.checklist)?,
        started_at: input.started_at.map(|t| t.naive_utc()),
        first_update: draft(&input.update, &input.components)?,
    };
    let incident = app::incidents::open(&state, &caller.as_actor(), new).await?;
    let id = incident.id;
    let full = state
        .db
        .run(move |conn| incidents::with_updates(conn, id))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/incidents/{id}")))
        .json(view(&state, full)))
}

/// One incident with all its updates.
#[utoipa::path(get, path = "/api/v1/incidents/{id}", tag = "incidents",
    responses((status = 200, body = IncidentView), (status = 404, body = ErrorBody)))]
pub async fn show(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let id = id.into_inner();
    let full = state
        .db
        .run(move |conn| incidents::with_updates(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(view(&state, full)))
}

/// Post an update: a phase, text for either or both audiences, component statuses.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/updates", tag = "incidents", request_body = UpdateInput,
    responses((status = 201, body = UpdateView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_update(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    if !caller.0.can(Permission::PostExternalUpdate)
        && !caller.0.can(Permission::PostInternalUpdate)
    {
        caller.require(Permission::PostExternalUpdate)?;
    }
    let input: UpdateInput = body::parse_json(&body::read(payload).await?, "incident_update")?;
    let draft = draft(&input, &BTreeMap::new())?;
    let posted = app::incidents::post_update(&state, &caller.as_actor(), *id, draft).await?;
    Ok(HttpResponse::Created().json(UpdateView::from(posted)))
}

/// Edit an incident's facts.
#[utoipa::path(patch, path = "/api/v1/incidents/{id}", tag = "incidents", request_body = IncidentPatch,
    responses((status = 200, body = IncidentView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::EditIncident)?;
    let input: IncidentPatch = body::parse_json(&body::read(payload).await?, "incident")?;
    let milestones = input.milestones();
    let facts = FactChanges {
        name: input.name.clone(),
        impact: input.impact,
        urgency: input.urgency,
        business_critical: input.business_critical,
        client_impact: input.client_impact.clone(),
        started_at: input.started_at.map(|t| t.naive_utc()),
    };
    let id = id.into_inner();
    app::incidents::edit(&state, &caller.as_actor(), id, facts, milestones).await?;
    let full = state
        .db
        .run(move |conn| incidents::with_updates(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(view(&state, full)))
}
