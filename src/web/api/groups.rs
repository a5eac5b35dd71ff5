//! `/api/v1/component-groups`

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::app;
use crate::db::models::groups::{self, Group, GroupChanges, NewGroup};
use crate::db::models::page_state;
use crate::domain::role::Permission;
use crate::domain::text::{parse_position, Description, Name};
use crate::error::AppError;
use crate::render::statuspage::timestamp;
use crate::web::auth::ApiCaller;
use crate::web::body;
use crate::web::state::AppState;

/// A component group with the ids of its components.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub position: i32,
    pub components: Vec<i64>,
    pub created_at: String,
    pub updated_at: String,
}

impl GroupView {
    fn new(g: Group, components: Vec<i64>) -> Self {
        GroupView {
            id: g.id,
            name: g.name,
            description: g.description,
            position: g.position,
            components,
            created_at: timestamp(g.created_at),
            updated_at: timestamp(g.updated_at),
        }
    }
}

/// A new group. May be wrapped as `{"component_group": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupCreate {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub position: Option<i64>,
}

/// Changes to a group; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub position: Option<i64>,
}

async fn view(state: &AppState, group: Group) -> Result<GroupView, AppError> {
    let page = state.db.run(page_state::load).await?;
    let members = page
        .components
        .iter()
        .filter(|c| c.group_id == Some(group.id))
        .map(|c| c.id)
        .collect();
    Ok(GroupView::new(group, members))
}

/// List groups in page order.
#[utoipa::path(get, path = "/api/v1/component-groups", tag = "component groups",
    responses((status = 200, body = [GroupView]), (status = 401, body = ErrorBody)))]
pub async fn list(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let page = state.db.run(page_state::load).await?;
    let views: Vec<GroupView> = page
        .groups
        .iter()
        .map(|g| {
            let members = page
                .components
                .iter()
                .filter(|c| c.group_id == Some(g.id))
                .map(|c| c.id)
                .collect();
            GroupView::new(g.clone(), members)
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Create a group.
#[utoipa::path(post, path = "/api/v1/component-groups", tag = "component groups", request_body = GroupCreate,
    responses((status = 201, body = GroupView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: ApiCaller,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ManageComponents)?;
    let input: GroupCreate = body::parse_json(&body::read(payload).await?, "component_group")?;
    let new = NewGroup {
        name: Name::parse("group", &input.name)?,
        description: Description::parse("group", &input.description)?,
        position: input.position.map(parse_position).transpose()?,
    };
    let created = app::groups::create(&state, &caller.as_actor(), new).await?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/component-groups/{}", created.id),
        ))
        .json(GroupView::new(created, vec![])))
}

/// Show one group.
#[utoipa::path(get, path = "/api/v1/component-groups/{id}", tag = "component groups",
    responses((status = 200, body = GroupView), (status = 404, body = ErrorBody)))]
pub async fn show(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let id = id.into_inner();
    let group = state.db.run(move |conn| groups::get(conn, id)).await?;
    Ok(HttpResponse::Ok().json(view(&state, group).await?))
}

/// Change a group.
#[utoipa::path(patch, path = "/api/v1/component-groups/{id}", tag = "component groups", request_body = GroupUpdate,
    responses((status = 200, body = GroupView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ManageComponents)?;
    let input: GroupUpdate = body::parse_json(&body::read(payload).await?, "component_group")?;
    let changes = GroupChanges {
        name: input
            .name
            .as_deref()
            .map(|n| Name::parse("group", n))
            .transpose()?,
        description: input
            .description
            .as_deref()
            .map(|d| Description::parse("group", d))
            .transpose()?,
        position: input.position.map(parse_position).transpose()?,
    };
    let updated = app::groups::update(&state, &caller.as_actor(), *id, changes).await?;
    Ok(HttpResponse::Ok().json(view(&state, updated).await?))
}

/// Delete a group; its components stay, ungrouped.
#[utoipa::path(delete, path = "/api/v1/component-groups/{id}", tag = "component groups",
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ManageComponents)?;
    app::groups::delete(&state, &caller.as_actor(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}
