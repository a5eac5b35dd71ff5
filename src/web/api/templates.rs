//! `/api/v1/templates`: phase template sets, with the same checks as the console.

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::app;
use crate::db::models::phase_templates::{self, TemplateSet};
use crate::domain::role::Permission;
use crate::error::AppError;
use crate::render::statuspage::timestamp;
use crate::web::admin::templates::parse_set;
use crate::web::auth::ApiCaller;
use crate::web::body;
use crate::web::state::AppState;

/// The two texts of one phase.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhaseTexts {
    #[serde(default)]
    pub external: String,
    #[serde(default)]
    pub internal: String,
}

/// A template set: per phase (`investigating`, `identified`, `monitoring`,
/// `resolved`), an external and an internal handlebars text.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateSetView {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub texts: BTreeMap<String, PhaseTexts>,
    pub updated_at: String,
}

/// A set to create or replace.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateSetInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub texts: BTreeMap<crate::domain::incident::Phase, PhaseTexts>,
}

fn view(set: TemplateSet) -> TemplateSetView {
    let mut texts: BTreeMap<String, PhaseTexts> = BTreeMap::new();
    for t in &set.texts {
        let entry = texts.entry(t.phase.as_str().to_string()).or_default();
        match t.audience {
            crate::domain::status::Audience::External => entry.external = t.body.clone(),
            crate::domain::status::Audience::Internal => entry.internal = t.body.clone(),
        }
    }
    TemplateSetView {
        id: set.id,
        name: set.name,
        description: set.description,
        texts,
        updated_at: timestamp(set.updated_at),
    }
}

fn as_form(input: &TemplateSetInput) -> BTreeMap<String, String> {
    let mut form = BTreeMap::new();
    form.insert("name".to_string(), input.name.clone());
    form.insert("description".to_string(), input.description.clone());
    for (phase, texts) in &input.texts {
        form.insert(
            format!("{}_external", phase.as_str()),
            texts.external.clone(),
        );
        form.insert(
            format!("{}_internal", phase.as_str()),
            texts.internal.clone(),
        );
    }
    form
}

/// List template sets.
#[utoipa::path(get, path = "/api/v1/templates", tag = "templates", responses((status = 200, body = [TemplateSetView])))]
pub async fn list(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let sets = state.db.run(phase_templates::list).await?;
    Ok(HttpResponse::Ok().json(sets.into_iter().map(view).collect::<Vec<_>>()))
}

/// Create a template set.
#[utoipa::path(post, path = "/api/v1/templates", tag = "templates", request_body = TemplateSetInput,
    responses((status = 201, body = TemplateSetView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: ApiCaller,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ManageTemplates)?;
    let input: TemplateSetInput = body::parse_json(&body::read(payload).await?, "template_set")?;
    let set =
        app::templates::create(&state, &caller.as_actor(), parse_set(&as_form(&input))?).await?;
    Ok(HttpResponse::Created().json(view(set)))
}

/// One template set.
#[utoipa::path(get, path = "/api/v1/templates/{id}", tag = "templates", responses((status = 200, body = TemplateSetView), (status = 404, body = ErrorBody)))]
pub async fn show(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let id = id.into_inner();
    let set = state
        .db
        .run(move |conn| phase_templates::get(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(view(set)))
}

/// Replace a template set's name, description and texts.
#[utoipa::path(put, path = "/api/v1/templates/{id}", tag = "templates", request_body = TemplateSetInput,
    responses((status = 200, body = TemplateSetView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replace(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ManageTemplates)?;
    let input: TemplateSetInput = body::parse_json(&body::read(payload).await?, "template_set")?;
    let input = parse_set(&as_form(&input))?;
    let set = app::templates::replace(&state, &caller.as_actor(), *id, input).await?;
    Ok(HttpResponse::Ok().json(view(set)))
}
