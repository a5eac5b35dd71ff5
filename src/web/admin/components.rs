//! Console forms for components: create, edit, change status, delete.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{after_save, audience_choices, status_choices, Choice, Saved};
use crate::app;
use crate::db::models::components::{self, Component, ComponentChanges, NewComponent};
use crate::db::models::groups;
use crate::domain::role::{Permission, Staff};
use crate::domain::status::{Audience, ComponentStatus};
use crate::domain::text::{parse_position, Description, Name};
use crate::domain::Invalid;
use crate::error::AppError;
use crate::web::auth::{CsrfForm, NoFields, SignedIn};
use crate::web::html::{self, see_other};
use crate::web::state::AppState;

/// The component form as typed; every field is text until parsed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ComponentForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub group_id: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub audience: String,
    pub showcase: Option<String>,
    pub only_show_if_degraded: Option<String>,
    #[serde(default)]
    pub start_date: String,
}

impl ComponentForm {
    fn from_component(c: &Component) -> Self {
        ComponentForm {
            name: c.name.clone(),
            description: c.description.clone(),
            group_id: c.group_id.map(|g| g.to_string()).unwrap_or_default(),
            position: c.position.to_string(),
            status: c.status.as_str().into(),
            audience: c.audience.as_str().into(),
            showcase: c.showcase.then(|| "on".into()),
            only_show_if_degraded: c.only_show_if_degraded.then(|| "on".into()),
            start_date: c.start_date.map(|d| d.to_string()).unwrap_or_default(),
        }
    }

    fn parse(&self) -> Result<NewComponent, Invalid> {
        let group_id = match self.group_id.trim() {
            "" => None,
            g => Some(
                g.parse::<i64>()
                    .map_err(|_| Invalid::new("Choose a group from the list."))?,
            ),
        };
        let position = match self.position.trim() {
            "" => None,
            p => Some(parse_position(p.parse::<i64>().map_err(|_| {
                Invalid::new(format!("Position {p:?} is not a whole number."))
            })?)?),
        };
        let start_date = match self.start_date.trim() {
            "" => None,
            d => Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                Invalid::new(format!(
                    "Start date {d:?} is not a date: write it as 2026-01-31."
                ))
            })?),
        };
        Ok(NewComponent {
            name: Name::parse("component", &self.name)?,
            description: Description::parse("component", &self.description)?,
            group_id,
            position,
            status: match self.status.trim() {
                "" => ComponentStatus::Operational,
                s => ComponentStatus::parse(s)?,
            },
            audience: match self.audience.trim() {
                "" => Audience::External,
                a => Audience::parse(a)?,
            },
            showcase: self.showcase.is_some(),
            only_show_if_degraded: self.only_show_if_degraded.is_some(),
            start_date,
        })
    }
}

#[derive(Serialize)]
struct FormPage {
    title: String,
    action: String,
    submit: &'static str,
    form: ComponentForm,
    groups: Vec<Choice>,
    statuses: Vec<Choice>,
    audiences: Vec<Choice>,
    error: Option<String>,
    delete_action: Option<String>,
}

async fn form_page(
    state: &AppState,
    req: &HttpRequest,
    staff: &Staff,
    status: StatusCode,
    existing: Option<i64>,
    form: ComponentForm,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let all_groups = state.db.run(groups::list).await?;
    let selected_group = form.group_id.trim().parse::<i64>().ok();
    let mut group_choices = vec![Choice {
        value: String::new(),
        label: "No group".into(),
        selected: selected_group.is_none(),
    }];
    group_choices.extend(all_groups.iter().map(|g| Choice {
        value: g.id.to_string(),
        label: g.name.clone(),
        selected: Some(g.id) == selected_group,
    }));
    let current_status =
        ComponentStatus::parse(&form.status).unwrap_or(ComponentStatus::Operational);
    let current_audience = Audience::parse(&form.audience).unwrap_or(Audience::External);
    let page = FormPage {
        title: match existing {
            Some(_) => format!("Edit {}", form.name),
            None => "New component".into(),
        },
        action: match existing {
            Some(id) => format!("/admin/components/{id}"),
            None => "/admin/components".into(),
        },
        submit: if existing.is_some() {
            "Save component"
        } else {
            "Create component"
        },
        delete_action: existing.map(|id| format!("/admin/components/{id}/delete")),
        groups: group_choices,
        statuses: status_choices(current_status),
        audiences: audience_choices(current_audience),
        form,
        error,
    };
    Ok(html::render(
        state,
        req,
        Some(staff),
        status,
        "admin/component_form",
        page,
    ))
}

/// `GET /admin/components/new`
pub async fn new_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageComponents)?;
    let form = ComponentForm {
        showcase: Some("on".into()),
        ..ComponentForm::default()
    };
    form_page(&state, &req, &staff.0, StatusCode::OK, None, form, None).await
}

/// Redirects after a successful write, or shows the form again with the message.
async fn save_or_show(
    state: &AppState,
    req: &HttpRequest,
    staff: &Staff,
    existing: Option<i64>,
    form: ComponentForm,
    outcome: Result<&'static str, AppError>,
) -> Result<HttpResponse, AppError> {
    match after_save(outcome)? {
        Saved::Done(redirect) => Ok(redirect),
        Saved::ShowAgain(status, message) => {
            form_page(state, req, staff, status, existing, form, Some(message)).await
        }
    }
}

/// `POST /admin/components`
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    form: CsrfForm<ComponentForm>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageComponents)?;
    let form = form.0;
    let outcome = async {
        let new = form.parse()?;
        app::components::create(&state, &staff.as_actor(), new).await?;
        Ok("component-created")
    }
    .await;
    save_or_show(&state, &req, &staff.0, None, form, outcome).await
}

/// `GET /admin/components/{id}/edit`
pub async fn edit_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageComponents)?;
    let id = id.into_inner();
    let component = state.db.run(move |conn| components::get(conn, id)).await?;
    let form = ComponentForm::from_component(&component);
    form_page(&state, &req, &staff.0, StatusCode::OK, Some(id), form, None).await
}

/// `POST /admin/components/{id}`
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<ComponentForm>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageComponents)?;
    let id = id.into_inner();
    let form = form.0;
    let outcome = async {
        let parsed = form.parse()?;
        let changes = ComponentChanges {
            name: Some(parsed.name),
            description: Some(parsed.description),
            group_id: Some(parsed.group_id),
            position: parsed.position,
            status: Some(parsed.status),
            audience: Some(parsed.audience),
            showcase: Some(parsed.showcase),
            only_show_if_degraded: Some(parsed.only_show_if_degraded),
            start_date: Some(parsed.start_date),
        };
        app::components::update(&state, &staff.as_actor(), id, changes).await?;
        Ok("component-saved")
    }
    .await;
    save_or_show(&state, &req, &staff.0, Some(id), form, outcome).await
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

/// `POST /admin/components/{id}/status` — the quick status change on the dashboard.
pub async fn change_status(
    state: web::Data<AppState>,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<StatusForm>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ChangeComponentStatus)?;
    let status = ComponentStatus::parse(&form.0.status)?;
    app::components::change_status(&state, &staff.as_actor(), *id, status).await?;
    Ok(see_other("/admin?done=status-changed"))
}

/// `POST /admin/components/{id}/delete`
pub async fn delete(
    state: web::Data<AppState>,
    staff: SignedIn,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    app::components::delete(&state, &staff.as_actor(), *id).await?;
    Ok(see_other("/admin?done=component-deleted"))
}
