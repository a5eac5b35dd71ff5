//! Phase template sets in the console: list, create (starting from an
//! existing set), edit. Each text is checked to parse before it is saved.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use crate::app;
use crate::app::templates::SetInput;
use crate::db::models::phase_templates::{self, PhaseText, TemplateSet, DEFAULT_SET};
use crate::domain::incident::Phase;
use crate::domain::role::{Permission, Staff};
use crate::domain::status::Audience;
use crate::domain::text::{Description, Name};
use crate::domain::Invalid;
use crate::error::AppError;
use crate::render::phase::check;
use crate::web::auth::{CsrfForm, SignedIn};
use crate::web::html::{self, see_other};
use crate::web::state::AppState;

#[derive(Serialize)]
struct TextField {
    field: String,
    label: String,
    body: String,
}

#[derive(Serialize)]
struct FormPage {
    title: String,
    action: String,
    name: String,
    description: String,
    fields: Vec<TextField>,
    error: Option<String>,
    submit: &'static str,
}

#[derive(Serialize)]
struct ListPage {
    title: &'static str,
    sets: Vec<TemplateSet>,
    notice: Option<&'static str>,
    can_manage: bool,
}

fn field_name(phase: Phase, audience: Audience) -> String {
    format!("{}_{}", phase.as_str(), audience.as_str())
}

fn fields_of(lookup: impl Fn(Phase, Audience) -> String) -> Vec<TextField> {
    let mut fields = Vec::new();
    for phase in Phase::ALL {
        for audience in [Audience::External, Audience::Internal] {
            fields.push(TextField {
                field: field_name(phase, audience),
                label: format!(
                    "{} — {}",
                    phase.label(),
                    if audience == Audience::External {
                        "external (customers)"
                    } else {
                        "internal (staff)"
                    }
                ),
                body: lookup(phase, audience),
            });
        }
    }
    fields
}

/// Parses and checks a submitted set: name, description and eight texts.
pub fn parse_set(form: &BTreeMap<String, String>) -> Result<SetInput, Invalid> {
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let name = Name::parse("template set", get("name"))?.into_string();
    let description = Description::parse("template set", get("description"))?.into_string();
    let mut texts = Vec::new();
    for phase in Phase::ALL {
        for audience in [Audience::External, Audience::Internal] {
            let body = get(&field_name(phase, audience)).trim().to_string();
            if body.chars().count() > 10_000 {
                return Err(Invalid::new(format!(
                    "The {} {} text is too long: keep it to 10000 characters.",
                    phase.label(),
                    audience.as_str()
                )));
            }
            check(&body).map_err(|e| {
                Invalid::new(format!(
                    "{} ({}): {}",
                    phase.label(),
                    audience.as_str(),
                    e.0
                ))
            })?;
            texts.push(PhaseText {
                phase,
                audience,
                body,
            });
        }
    }
    Ok(SetInput {
        name,
        description,
        texts,
    })
}

fn render_form(
    state: &AppState,
    req: &HttpRequest,
    staff: &Staff,
    status: StatusCode,
    page: FormPage,
) -> HttpResponse {
    html::render(state, req, Some(staff), status, "admin/template_form", page)
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    done: Option<String>,
    from: Option<i64>,
}

/// `GET /admin/templates`
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let sets = state.db.run(phase_templates::list).await?;
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        StatusCode::OK,
        "admin/templates",
        ListPage {
            title: "Phase templates",
            sets,
            notice: match query.done.as_deref() {
                Some("saved") => Some("Template set saved."),
                _ => None,
            },
            can_manage: staff.0.can(Permission::ManageTemplates),
        },
    ))
}

/// `GET /admin/templates/new?from=ID` — a new set, starting from an existing one.
pub async fn new_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageTemplates)?;
    let from = query.from;
    let base = state
        .db
        .run(move |conn| match from {
            Some(id) => phase_templates::get(conn, id),
            None => phase_templates::find_by_name(conn, DEFAULT_SET),
        })
        .await
        .ok();
    let page = FormPage {
        title: "New template set".into(),
        action: "/admin/templates".into(),
        name: String::new(),
        description: String::new(),
        fields: fields_of(|p, a| {
            base.as_ref()
                .map_or(String::new(), |b| b.text(p, a).to_string())
        }),
        error: None,
        submit: "Create template set",
    };
    Ok(render_form(&state, &req, &staff.0, StatusCode::OK, page))
}

async fn save(
    state: &AppState,
    req: &HttpRequest,
    staff: &Staff,
    existing: Option<i64>,
    form: BTreeMap<String, String>,
) -> Result<HttpResponse, AppError> {
    let actor = crate::app::Actor::Staff(staff.clone());
    actor.require(Permission::ManageTemplates)?;
    let outcome = async {
        let input = parse_set(&form)?;
        match existing {
            Some(id) => app::templates::replace(state, &actor, id, input).await?,
            None => app::templates::create(state, &actor, input).await?,
        };
        Ok::<_, AppError>(())
    }
    .await;
    match outcome {
        Ok(()) => Ok(see_other("/admin/templates?done=saved")),
        Err(err @ (AppError::Invalid(_) | AppError::Conflict(_))) => {
            let status = if matches!(err, AppError::Conflict(_)) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let get = |k: &str| form.get(k).cloned().unwrap_or_default();
            let page = FormPage {
                title: if existing.is_some() {
                    "Edit template set".into()
                } else {
                    "New template set".into()
                },
                action: existing.map_or("/admin/templates".into(), |id| {
                    format!("/admin/templates/{id}")
                }),
                name: get("name"),
                description: get("description"),
                fields: fields_of(|p, a| get(&field_name(p, a))),
                error: Some(err.message()),
                submit: if existing.is_some() {
                    "Save template set"
                } else {
                    "Create template set"
                },
            };
            Ok(render_form(state, req, staff, status, page))
        }
        Err(other) => Err(other),
    }
}

/// `POST /admin/templates`
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    form: CsrfForm<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    save(&state, &req, &staff.0, None, form.0).await
}

/// `GET /admin/templates/{id}`
pub async fn edit_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    staff.require(Permission::ManageTemplates)?;
    let set = state
        .db
        .run(move |conn| phase_templates::get(conn, id))
        .await?;
    let page = FormPage {
        title: format!("Edit {}", set.name),
        action: format!("/admin/templates/{id}"),
        name: set.name.clone(),
        description: set.description.clone(),
        fields: fields_of(|p, a| set.text(p, a).to_string()),
        error: None,
        submit: "Save template set",
    };
    Ok(render_form(&state, &req, &staff.0, StatusCode::OK, page))
}

/// `POST /admin/templates/{id}`
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    save(&state, &req, &staff.0, Some(id.into_inner()), form.0).await
}
