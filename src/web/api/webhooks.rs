//! `/api/v1/webhooks`: register, list and delete webhook subscriptions
//! (admins). The secret is returned once, in the answer to the POST.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::app;
use crate::db::models::webhooks::{self, Webhook, WebhookSummary};
use crate::domain::role::Permission;
use crate::domain::webhook::EventCategory;
use crate::error::AppError;
use crate::render::statuspage::timestamp;
use crate::web::auth::ApiCaller;
use crate::web::body;
use crate::web::state::AppState;

/// The latest finished attempt of a webhook's deliveries.
#[derive(Debug, Serialize, ToSchema)]
pub struct LastDeliveryView {
    pub id: i64,
    /// e.g. `incident.updated`, `component.updated`, `maintenance.started`.
    pub event: String,
    /// `pending` (will be retried), `sent` or `failed` (given up).
    pub status: String,
    pub attempts: i32,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub created_at: String,
}

/// A webhook. The secret is never shown after creation.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub description: String,
    /// Any of `incident`, `component`, `maintenance`.
    pub events: Vec<String>,
    pub enabled: bool,
    pub created_by: String,
    pub created_at: String,
    pub last_success_at: Option<String>,
    pub last_failure_at: Option<String>,
    pub last_failure: Option<String>,
    /// Deliveries waiting (first attempt or a retry).
    pub pending: i64,
    pub sent: i64,
    /// Deliveries given up after the last retry.
    pub failed: i64,
    pub last_delivery: Option<LastDeliveryView>,
}

fn category_name(c: EventCategory) -> String {
    match c {
        EventCategory::Incident => "incident",
        EventCategory::Component => "component",
        EventCategory::Maintenance => "maintenance",
    }
    .to_string()
}

fn view(w: Webhook, counts: Option<&WebhookSummary>) -> WebhookView {
    WebhookView {
        id: w.id,
        events: w.categories().into_iter().map(category_name).collect(),
        enabled: w.disabled_at.is_none(),
        url: w.url,
        description: w.description,
        created_by: w.created_by,
        created_at: timestamp(w.created_at),
        last_success_at: w.last_success_at.map(timestamp),
        last_failure_at: w.last_failure_at.map(timestamp),
        last_failure: w.last_failure,
        pending: counts.map_or(0, |s| s.pending),
        sent: counts.map_or(0, |s| s.sent),
        failed: counts.map_or(0, |s| s.failed),
        last_delivery: counts
            .and_then(|s| s.last_delivery.as_ref())
            .map(|d| LastDeliveryView {
                id: d.id,
                event: d.event_type.clone(),
                status: d.status.clone(),
                attempts: d.attempts,
                status_code: d.last_status_code,
                error: d.last_error.clone(),
                created_at: timestamp(d.created_at),
            }),
    }
}

/// A new webhook. May be wrapped as `{"webhook": {...}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookCreate {
    /// `http://` or `https://` URL with a host.
    pub url: String,
    /// At least 16 characters. Leave it out to have one generated (returned once).
    pub secret: Option<String>,
    #[serde(default)]
    pub description: String,
    /// Any of `incident`, `component`, `maintenance`; defaults to all three.
    pub events: Option<Vec<String>>,
}

/// A webhook just created, with its secret (shown this once).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    #[serde(flatten)]
    pub webhook: WebhookView,
    pub secret: String,
}

/// List webhooks with their delivery counts.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = [WebhookView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ManageComponents)?;
    let all = state.db.run(webhooks::summaries).await?;
    Ok(HttpResponse::Ok().json(
        all.into_iter()
            .map(|s| view(s.webhook.clone(), Some(&s)))
            .collect::<Vec<_>>(),
    ))
}

/// Register a webhook. The answer carries the secret; it is never shown again.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookCreate,
    responses((status = 201, body = WebhookCreated), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    state: web::Data<AppState>,
    caller: ApiCaller,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ManageComponents)?;
    let input: WebhookCreate = body::parse_json(&body::read(payload).await?, "webhook")?;
    let events = match &input.events {
        None => (true, true, true),
        Some(list) => {
            for name in list {
                if !matches!(name.as_str(), "incident" | "component" | "maintenance") {
                    return Err(AppError::Invalid(format!(
                        "Field `events`: {name:?} is not an event kind: use incident, component or maintenance."
                    )));
                }
            }
            let has = |k: &str| list.iter().any(|n| n == k);
            (has("incident"), has("component"), has("maintenance"))
        }
    };
    let new = crate::web::admin::webhooks::new_webhook(
        &input.url,
        input.secret.as_deref(),
        input.secret.is_none(),
        &input.description,
        events,
    )?;
    let created = app::webhooks::create(&state, &caller.as_actor(), new).await?;
    let secret = created.secret.clone();
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/webhooks/{}", created.id)))
        .json(WebhookCreated {
            webhook: view(created, None),
            secret,
        }))
}

/// Delete a webhook with its deliveries.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    app::webhooks::delete(&state, &caller.as_actor(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}
