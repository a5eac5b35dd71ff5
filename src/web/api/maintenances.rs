//! `/api/v1/maintenances`: schedule, change, move and delete maintenance.

use actix_web::{web, HttpResponse};
use chrono::{NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::app;
use crate::db::models::maintenances::{
    self, MaintenanceChanges, MaintenanceWithDetails, NewMaintenance, NewUpdate,
};
use crate::domain::maintenance::{Body, MaintenanceStatus, Schedule};
use crate::domain::role::Permission;
use crate::domain::status::ComponentStatus;
use crate::domain::text::Name;
use crate::domain::Invalid;
use crate::error::AppError;
use crate::render::statuspage::timestamp;
use crate::web::auth::ApiCaller;
use crate::web::body::{self, nullable};
use crate::web::state::AppState;

/// A component a maintenance covers.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceComponentView {
    pub id: i64,
    pub name: String,
    pub status: ComponentStatus,
}

/// One update of a maintenance, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceUpdateView {
    pub id: i64,
    pub status: MaintenanceStatus,
    /// Markdown.
    pub body: String,
    pub author: String,
    pub created_at: String,
}

/// A maintenance. Times are RFC 3339 in UTC.
#[derive(Debug, Serialize, ToSchema)]
pub struct MaintenanceView {
    pub id: i64,
    pub name: String,
    /// Markdown.
    pub body: String,
    pub status: MaintenanceStatus,
    /// The current window; for a recurring maintenance, the current or next occurrence.
    pub scheduled_for: String,
    pub scheduled_until: String,
    /// RFC 5545 rule, e.g. `FREQ=WEEKLY;BYDAY=SA;COUNT=4`.
    pub rrule: Option<String>,
    /// For a recurring maintenance: the first window, where the rule counts from.
    pub recurrence_start: Option<String>,
    pub auto_start: bool,
    pub auto_end: bool,
    /// Whether subscribers get emails about it: scheduled, a reminder before
    /// the window, started, completed.
    pub notify: bool,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub components: Vec<MaintenanceComponentView>,
    pub updates: Vec<MaintenanceUpdateView>,
    pub created_by: String,
    pub created_at: String,
    pub updated_at: String,
}

impl From<MaintenanceWithDetails> for MaintenanceView {
    fn from(d: MaintenanceWithDetails) -> Self {
        let m = d.maintenance;
        MaintenanceView {
            id: m.id,
            name: m.name,
            body: m.body,
            status: m.status,
            scheduled_for: timestamp(m.scheduled_for),
            scheduled_until: timestamp(m.scheduled_until),
            rrule: m.rrule,
            recurrence_start: m.recurrence_start.map(timestamp),
            auto_start: m.auto_start,
            auto_end: m.auto_end,
            notify: m.notify,
            started_at: m.started_at.map(timestamp),
            completed_at: m.completed_at.map(timestamp),
            components: d
                .components
                .into_iter()
                .map(|c| MaintenanceComponentView {
                    id: c.id,
                    name: c.name,
                    status: c.status,
                })
                .collect(),
            updates: d
                .updates
                .into_iter()
                .map(|u| MaintenanceUpdateView {
                    id: u.id,
                    status: u.status,
                    body: u.body,
                    author: u.author,
                    created_at: timestamp(u.created_at),
                })
                .collect(),
            created_by: m.created_by,
            created_at: timestamp(m.created_at),
            updated_at: timestamp(m.updated_at),
        }
    }
}

/// A new maintenance. May be wrapped as `{"maintenance": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceCreate {
    /// 1 to 100 characters.
    pub name: String,
    /// Markdown, up to 10,000 characters.
    #[serde(default)]
    pub body: String,
    /// RFC 3339, e.g. `2026-11-28T02:00:00Z`.
    pub scheduled_for: String,
    /// RFC 3339; after `scheduled_for`.
    pub scheduled_until: String,
    /// Ids of the components that go under maintenance.
    #[serde(default)]
    pub components: Vec<i64>,
    /// RFC 5545 rule for a recurring window, e.g. `FREQ=WEEKLY;BYDAY=SA;COUNT=4`;
    /// `scheduled_for` must be its first occurrence.
    pub rrule: Option<String>,
    /// Start at `scheduled_for` by itself. Defaults to `true`.
    pub auto_start: Option<bool>,
    /// Complete at `scheduled_until` by itself. Defaults to `true`.
    pub auto_end: Option<bool>,
    /// Email subscribers (scheduled, reminder, started, completed). Defaults to `true`.
    pub notify: Option<bool>,
}

/// Changes to a maintenance; absent fields stay as they are. The start, rule
/// and components change only while it is scheduled. `rrule: null` makes it one-off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenancePatch {
    pub name: Option<String>,
    pub body: Option<String>,
    pub scheduled_for: Option<String>,
    pub scheduled_until: Option<String>,
    pub components: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable)]
    pub rrule: Option<Option<String>>,
    pub auto_start: Option<bool>,
    pub auto_end: Option<bool>,
    pub notify: Option<bool>,
}

/// An update: a note, a change of status, or both. May be wrapped as `{"update": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceUpdateCreate {
    /// Defaults to the current status (a note only).
    pub status: Option<MaintenanceStatus>,
    /// Markdown; empty means the standard text for the new status.
    #[serde(default)]
    pub body: String,
    /// Whether the start or completion this update makes is emailed to
    /// subscribers. Defaults to the maintenance's `notify`.
    pub deliver_notifications: Option<bool>,
}

/// An RFC 3339 time in UTC, to the second.
fn parse_time(field: &str, value: &str) -> Result<NaiveDateTime, Invalid> {
    chrono::DateTime::parse_from_rfc3339(value.trim())
        .map(|t| t.naive_utc().with_nanosecond(0).unwrap_or(t.naive_utc()))
        .map_err(|_| {
            Invalid::new(format!(
                "Field `{field}`: {value:?} is not an RFC 3339 time: write it like 2026-11-28T02:00:00Z."
            ))
        })
}

/// List maintenances, earliest window first.
#[utoipa::path(get, path = "/api/v1/maintenances", tag = "maintenances",
    responses((status = 200, body = [MaintenanceView]), (status = 401, body = ErrorBody)))]
pub async fn list(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let all = state.db.run(maintenances::list).await?;
    Ok(HttpResponse::Ok().json(
        all.into_iter()
            .map(MaintenanceView::from)
            .collect::<Vec<_>>(),
    ))
}

/// Schedule a maintenance.
#[utoipa::path(post, path = "/api/v1/maintenances", tag = "maintenances", request_body = MaintenanceCreate,
    responses((status = 201, body = MaintenanceView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: ApiCaller,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ChangeComponentStatus)?;
    let input: MaintenanceCreate = body::parse_json(&body::read(payload).await?, "maintenance")?;
    let schedule = Schedule::new(
        parse_time("scheduled_for", &input.scheduled_for)?,
        parse_time("scheduled_until", &input.scheduled_until)?,
        input.rrule.as_deref(),
        state.settings.time_zone,
    )?;
    let new = NewMaintenance {
        name: Name::parse("maintenance", &input.name)?,
        body: Body::parse(&input.body)?,
        schedule,
        components: input.components,
        auto_start: input.auto_start.unwrap_or(true),
        auto_end: input.auto_end.unwrap_or(true),
        notify: input.notify.unwrap_or(true),
    };
    let created = app::maintenance::create(&state, &caller.as_actor(), new).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/maintenances/{}", created.maintenance.id),
        ))
        .json(MaintenanceView::from(created)))
}

/// Show one maintenance with its components and updates.
#[utoipa::path(get, path = "/api/v1/maintenances/{id}", tag = "maintenances",
    responses((status = 200, body = MaintenanceView), (status = 404, body = ErrorBody)))]
pub async fn show(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let id = id.into_inner();
    let found = state
        .db
        .run(move |conn| maintenances::get(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(MaintenanceView::from(found)))
}

/// Change a maintenance.
#[utoipa::path(patch, path = "/api/v1/maintenances/{id}", tag = "maintenances", request_body = MaintenancePatch,
    responses((status = 200, body = MaintenanceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ChangeComponentStatus)?;
    let input: MaintenancePatch = body::parse_json(&body::read(payload).await?, "maintenance")?;
    let changes = MaintenanceChanges {
        name: input
            .name
            .as_deref()
            .map(|n| Name::parse("maintenance", n))
            .transpose()?,
        body: input.body.as_deref().map(Body::parse).transpose()?,
        scheduled_for: input
            .scheduled_for
            .as_deref()
            .map(|t| parse_time("scheduled_for", t))
            .transpose()?,
        scheduled_until: input
            .scheduled_until
            .as_deref()
            .map(|t| parse_time("scheduled_until", t))
            .transpose()?,
        rrule: input.rrule,
        components: input.components,
        auto_start: input.auto_start,
        auto_end: input.auto_end,
        notify: input.notify,
    };
    let updated =
        app::maintenance::update(&state, &caller.as_actor(), id.into_inner(), changes).await?;
    Ok(HttpResponse::Ok().json(MaintenanceView::from(updated)))
}

/// Delete a maintenance; components under way get their status back.
#[utoipa::path(delete, path = "/api/v1/maintenances/{id}", tag = "maintenances",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ChangeComponentStatus)?;
    app::maintenance::delete(&state, &caller.as_actor(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Post an update; a new status moves the maintenance (in_progress puts its
/// components under maintenance, completed gives them their status back).
#[utoipa::path(post, path = "/api/v1/maintenances/{id}/updates", tag = "maintenances", request_body = MaintenanceUpdateCreate,
    responses((status = 201, body = MaintenanceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_update(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ChangeComponentStatus)?;
    let input: MaintenanceUpdateCreate = body::parse_json(&body::read(payload).await?, "update")?;
    let update = NewUpdate {
        status: input.status,
        body: Body::parse(&input.body)?,
        notify: input.deliver_notifications,
    };
    let updated =
        app::maintenance::post_update(&state, &caller.as_actor(), id.into_inner(), update).await?;
    Ok(HttpResponse::Created().json(MaintenanceView::from(updated)))
}
