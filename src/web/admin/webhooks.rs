//! The webhook console (admins): register a URL and secret, see how
//! deliveries went, turn a webhook off and on, delete it, send a test event.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::app;
use crate::db::models::webhook_deliveries::{self, WebhookDelivery};
use crate::db::models::webhooks::{self, NewWebhook, WebhookSummary};
use crate::domain::role::Permission;
use crate::domain::webhook::{parse_description, WebhookSecret, WebhookUrl};
use crate::error::AppError;
use crate::render::time::local;
use crate::web::auth::{CsrfForm, NoFields, SignedIn};
use crate::web::html::{self, see_other};
use crate::web::state::AppState;

/// Deliveries shown on a webhook's page.
const RECENT_DELIVERIES: i64 = 50;

#[derive(Deserialize)]
pub struct ListQuery {
    done: Option<String>,
}

/// Messages after a redirect, chosen by code so a link cannot inject text.
fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "created" => "Webhook registered. Events are sent from now on.",
        "disabled" => {
            "Webhook turned off: it gets no new events; waiting ones stay until it is on again."
        }
        "enabled" => "Webhook turned on.",
        "deleted" => "Webhook deleted with its deliveries.",
        "test" => "A test event is queued; it is sent within seconds. Reload to see how it went.",
        _ => return None,
    })
}

/// The registration form as typed (checkboxes are absent when not ticked).
#[derive(Deserialize, Default)]
pub struct WebhookForm {
    #[serde(default)]
    url: String,
    #[serde(default)]
    secret: String,
    generate: Option<String>,
    #[serde(default)]
    description: String,
    incident_events: Option<String>,
    component_events: Option<String>,
    maintenance_events: Option<String>,
}

#[derive(Serialize)]
struct FormView {
    url: String,
    description: String,
    incident_events: bool,
    component_events: bool,
    maintenance_events: bool,
    error: Option<String>,
}

impl FormView {
    fn blank() -> Self {
        FormView {
            url: String::new(),
            description: String::new(),
            incident_events: true,
            component_events: true,
            maintenance_events: true,
            error: None,
        }
    }
}

#[derive(Serialize)]
struct Row {
    id: i64,
    url: String,
    description: String,
    events: String,
    enabled: bool,
    pending: i64,
    sent: i64,
    failed: i64,
    last_outcome: Option<String>,
    last_ok: bool,
    created: String,
}

#[derive(Serialize)]
struct ListPage {
    title: &'static str,
    notice: Option<&'static str>,
    rows: Vec<Row>,
    form: FormView,
    /// The generated secret, shown once after registering.
    new_secret: Option<String>,
    new_url: Option<String>,
}

fn outcome(d: &WebhookDelivery) -> String {
    match (&d.last_error, d.last_status_code) {
        (None, Some(code)) => format!("{} → {code}", d.event_type),
        (Some(error), _) => format!("{} → {error}", d.event_type),
        (None, None) => d.event_type.clone(),
    }
}

fn row(s: WebhookSummary, state: &AppState) -> Row {
    let w = s.webhook;
    Row {
        events: w
            .categories()
            .iter()
            .map(|c| match c {
                crate::domain::webhook::EventCategory::Incident => "incidents",
                crate::domain::webhook::EventCategory::Component => "components",
                crate::domain::webhook::EventCategory::Maintenance => "maintenance",
            })
            .collect::<Vec<_>>()
            .join(", "),
        last_ok: s
            .last_delivery
            .as_ref()
            .is_some_and(|d| d.last_error.is_none()),
        last_outcome: s.last_delivery.as_ref().map(|d| {
            format!(
                "{} ({})",
                outcome(d),
                local(d.sent_at.unwrap_or(d.created_at), state.settings.time_zone)
            )
        }),
        id: w.id,
        url: w.url,
        description: w.description,
        enabled: w.disabled_at.is_none(),
        pending: s.pending,
        sent: s.sent,
        failed: s.failed,
        created: format!(
            "{} by {}",
            local(w.created_at, state.settings.time_zone),
            w.created_by
        ),
    }
}

async fn list_page(
    state: &AppState,
    req: &HttpRequest,
    staff: &SignedIn,
    status: StatusCode,
    notice: Option<&'static str>,
    form: FormView,
    new: Option<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let summaries = state.db.run(webhooks::summaries).await?;
    let (new_url, new_secret) = match new {
        Some((url, secret)) => (Some(url), Some(secret)),
        None => (None, None),
    };
    Ok(html::render(
        state,
        req,
        Some(&staff.0),
        status,
        "admin/webhooks",
        ListPage {
            title: "Webhooks",
            notice,
            rows: summaries.into_iter().map(|s| row(s, state)).collect(),
            form,
            new_secret,
            new_url,
        },
    ))
}

/// `GET /admin/webhooks`
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageComponents)?;
    list_page(
        &state,
        &req,
        &staff,
        StatusCode::OK,
        notice(query.done.as_deref()),
        FormView::blank(),
        None,
    )
    .await
}

/// Validates a registration (console or API); `generate` makes a secret.
pub fn new_webhook(
    url: &str,
    secret: Option<&str>,
    generate: bool,
    description: &str,
    events: (bool, bool, bool),
) -> Result<NewWebhook, AppError> {
    let url = WebhookUrl::parse(url)?;
    let secret = match secret.filter(|s| !s.is_empty()) {
        _ if generate => WebhookSecret::generate(),
        Some(given) => WebhookSecret::parse(given)?,
        None => {
            return Err(AppError::Invalid(
                "Enter a secret of at least 16 characters, or let Sitrep generate one.".into(),
            ))
        }
    };
    Ok(NewWebhook {
        url,
        secret,
        description: parse_description(description)?,
        incident_events: events.0,
        component_events: events.1,
        maintenance_events: events.2,
    })
}

/// `POST /admin/webhooks`
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    form: CsrfForm<WebhookForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    staff.require(Permission::ManageComponents)?;
    let events = (
        form.incident_events.is_some(),
        form.component_events.is_some(),
        form.maintenance_events.is_some(),
    );
    let generate = form.generate.is_some();
    let attempt = match new_webhook(
        &form.url,
        Some(form.secret.as_str()),
        generate,
        &form.description,
        events,
    ) {
        Ok(new) => app::webhooks::create(&state, &staff.as_actor(), new).await,
        Err(err) => Err(err),
    };
    match attempt {
        Ok(created) if generate => {
            list_page(
                &state,
                &req,
                &staff,
                StatusCode::CREATED,
                None,
                FormView::blank(),
                Some((created.url, created.secret)),
            )
            .await
        }
        Ok(_) => Ok(see_other("/admin/webhooks?done=created")),
        Err(AppError::Invalid(message)) | Err(AppError::Conflict(message)) => {
            list_page(
                &state,
                &req,
                &staff,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                FormView {
                    url: form.url.clone(),
                    description: form.description.clone(),
                    incident_events: events.0,
                    component_events: events.1,
                    maintenance_events: events.2,
                    error: Some(message),
                },
                None,
            )
            .await
        }
        Err(other) => Err(other),
    }
}

#[derive(Serialize)]
struct DeliveryRow {
    id: i64,
    event_type: String,
    status: String,
    attempts: i32,
    status_code: Option<i32>,
    error: Option<String>,
    created_at: String,
    when: String,
}

#[derive(Serialize)]
struct DetailPage {
    title: String,
    id: i64,
    url: String,
    description: String,
    enabled: bool,
    deliveries: Vec<DeliveryRow>,
}

/// `GET /admin/webhooks/{id}`: the latest deliveries with their answers.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    staff.require(Permission::ManageComponents)?;
    let (webhook, deliveries) = state
        .db
        .run(move |conn| {
            Ok((
                webhooks::get(conn, id)?,
                webhook_deliveries::of_webhook(conn, id, RECENT_DELIVERIES)?,
            ))
        })
        .await?;
    let zone = state.settings.time_zone;
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        StatusCode::OK,
        "admin/webhook",
        DetailPage {
            title: format!("Webhook {}", webhook.url),
            id: webhook.id,
            url: webhook.url,
            description: webhook.description,
            enabled: webhook.disabled_at.is_none(),
            deliveries: deliveries
                .into_iter()
                .map(|d| DeliveryRow {
                    id: d.id,
                    when: match d.status.as_str() {
                        "pending" if d.attempts > 0 => {
                            format!("next try {}", local(d.next_attempt_at, zone))
                        }
                        "sent" => {
                            format!("sent {}", local(d.sent_at.unwrap_or(d.created_at), zone))
                        }
                        _ => String::new(),
                    },
                    event_type: d.event_type,
                    status: d.status,
                    attempts: d.attempts,
                    status_code: d.last_status_code,
                    error: d.last_error,
                    created_at: local(d.created_at, zone),
                })
                .collect(),
        },
    ))
}

/// What the buttons on a webhook's row do.
#[derive(Clone, Copy)]
enum Action {
    Disable,
    Enable,
    Delete,
    Test,
}

async fn act(
    state: &AppState,
    staff: &SignedIn,
    id: i64,
    action: Action,
) -> Result<HttpResponse, AppError> {
    let actor = staff.as_actor();
    let done = match action {
        Action::Disable => {
            app::webhooks::set_enabled(state, &actor, id, false).await?;
            "disabled"
        }
        Action::Enable => {
            app::webhooks::set_enabled(state, &actor, id, true).await?;
            "enabled"
        }
        Action::Delete => {
            app::webhooks::delete(state, &actor, id).await?;
            "deleted"
        }
        Action::Test => {
            app::webhooks::send_test(state, &actor, id).await?;
            "test"
        }
    };
    Ok(see_other(&format!("/admin/webhooks?done={done}")))
}

/// `POST /admin/webhooks/{id}/disable`
pub async fn disable(
    state: web::Data<AppState>,
    staff: SignedIn,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    act(&state, &staff, id.into_inner(), Action::Disable).await
}

/// `POST /admin/webhooks/{id}/enable`
pub async fn enable(
    state: web::Data<AppState>,
    staff: SignedIn,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    act(&state, &staff, id.into_inner(), Action::Enable).await
}

/// `POST /admin/webhooks/{id}/delete`
pub async fn delete(
    state: web::Data<AppState>,
    staff: SignedIn,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    act(&state, &staff, id.into_inner(), Action::Delete).await
}

/// `POST /admin/webhooks/{id}/test`
pub async fn test(
    state: web::Data<AppState>,
    staff: SignedIn,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    act(&state, &staff, id.into_inner(), Action::Test).await
}
