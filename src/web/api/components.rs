//! `/api/v1/components`

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::app;
use crate::db::models::components::{self, Component, ComponentChanges, NewComponent};
use crate::domain::role::Permission;
use crate::domain::status::{Audience, ComponentStatus};
use crate::domain::text::{parse_position, Description, Name};
use crate::error::AppError;
use crate::render::statuspage::timestamp;
use crate::web::auth::ApiCaller;
use crate::web::body::{self, nullable};
use crate::web::state::AppState;

/// A component.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub status: ComponentStatus,
    pub position: i32,
    pub group_id: Option<i64>,
    /// `external`: on the customer page; `internal`: staff only.
    pub audience: Audience,
    pub showcase: bool,
    pub only_show_if_degraded: bool,
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<NaiveDate>,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub updated_at: String,
}

impl From<Component> for ComponentView {
    fn from(c: Component) -> Self {
        ComponentView {
            id: c.id,
            name: c.name,
            description: c.description,
            status: c.status,
            position: c.position,
            group_id: c.group_id,
            audience: c.audience,
            showcase: c.showcase,
            only_show_if_degraded: c.only_show_if_degraded,
            start_date: c.start_date,
            created_at: timestamp(c.created_at),
            updated_at: timestamp(c.updated_at),
        }
    }
}

/// A new component. May be wrapped as `{"component": {...}}` like Statuspage's API.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentCreate {
    /// 1 to 100 characters, unique.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Defaults to `operational`.
    pub status: Option<ComponentStatus>,
    /// Defaults to last in its group.
    pub position: Option<i64>,
    pub group_id: Option<i64>,
    /// Defaults to `external`.
    pub audience: Option<Audience>,
    /// Defaults to `true`.
    pub showcase: Option<bool>,
    #[serde(default)]
    pub only_show_if_degraded: bool,
    #[schema(value_type = Option<String>, format = Date)]
    pub start_date: Option<NaiveDate>,
}

/// Changes to a component; absent fields stay as they are, `null` clears
/// `group_id` and `start_date`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub status: Option<ComponentStatus>,
    pub position: Option<i64>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i64>, nullable)]
    pub group_id: Option<Option<i64>>,
    pub audience: Option<Audience>,
    pub showcase: Option<bool>,
    pub only_show_if_degraded: Option<bool>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, format = Date, nullable)]
    pub start_date: Option<Option<NaiveDate>>,
}

impl ComponentUpdate {
    /// Whether only the status changes (allowed to incident staff, not just admins).
    fn only_status(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.position.is_none()
            && self.group_id.is_none()
            && self.audience.is_none()
            && self.showcase.is_none()
            && self.only_show_if_degraded.is_none()
            && self.start_date.is_none()
    }
}

/// List components in page order.
#[utoipa::path(get, path = "/api/v1/components", tag = "components",
    responses((status = 200, body = [ComponentView]), (status = 401, body = ErrorBody)))]
pub async fn list(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let all = state.db.run(components::list).await?;
    Ok(HttpResponse::Ok().json(all.into_iter().map(ComponentView::from).collect::<Vec<_>>()))
}

/// Create a component.
#[utoipa::path(post, path = "/api/v1/components", tag = "components", request_body = ComponentCreate,
    responses((status = 201, body = ComponentView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: ApiCaller,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ManageComponents)?;
    let input: ComponentCreate = body::parse_json(&body::read(payload).await?, "component")?;
    let new = NewComponent {
        name: Name::parse("component", &input.name)?,
        description: Description::parse("component", &input.description)?,
        group_id: input.group_id,
        position: input.position.map(parse_position).transpose()?,
        status: input.status.unwrap_or(ComponentStatus::Operational),
        audience: input.audience.unwrap_or(Audience::External),
        showcase: input.showcase.unwrap_or(true),
        only_show_if_degraded: input.only_show_if_degraded,
        start_date: input.start_date,
    };
    let created = app::components::create(&state, &caller.as_actor(), new).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/components/{}", created.id)))
        .json(ComponentView::from(created)))
}

/// Show one component.
#[utoipa::path(get, path = "/api/v1/components/{id}", tag = "components",
    responses((status = 200, body = ComponentView), (status = 404, body = ErrorBody)))]
pub async fn show(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let id = id.into_inner();
    let component = state.db.run(move |conn| components::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(ComponentView::from(component)))
}

/// Change a component. Changing only `status` is allowed to incident staff;
/// anything else needs an admin.
#[utoipa::path(patch, path = "/api/v1/components/{id}", tag = "components", request_body = ComponentUpdate,
    responses((status = 200, body = ComponentView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ChangeComponentStatus)?;
    let input: ComponentUpdate = body::parse_json(&body::read(payload).await?, "component")?;
    if !input.only_status() {
        caller.require(Permission::ManageComponents)?;
    }
    let changes = ComponentChanges {
        name: input
            .name
            .as_deref()
            .map(|n| Name::parse("component", n))
            .transpose()?,
        description: input
            .description
            .as_deref()
            .map(|d| Description::parse("component", d))
            .transpose()?,
        group_id: input.group_id,
        position: input.position.map(parse_position).transpose()?,
        status: input.status,
        audience: input.audience,
        showcase: input.showcase,
        only_show_if_degraded: input.only_show_if_degraded,
        start_date: input.start_date,
    };
    let updated = app::components::update(&state, &caller.as_actor(), *id, changes).await?;
    Ok(HttpResponse::Ok().json(ComponentView::from(updated)))
}

/// Delete a component.
#[utoipa::path(delete, path = "/api/v1/components/{id}", tag = "components",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ManageComponents)?;
    app::components::delete(&state, &caller.as_actor(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

use super::ErrorBody;
