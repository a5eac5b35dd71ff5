//! Console forms for component groups.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{after_save, Saved};
use crate::app;
use crate::db::models::groups::{self, Group, GroupChanges, NewGroup};
use crate::domain::role::{Permission, Staff};
use crate::domain::text::{parse_position, Description, Name};
use crate::domain::Invalid;
use crate::error::AppError;
use crate::web::auth::{CsrfForm, NoFields, SignedIn};
use crate::web::html;
use crate::web::state::AppState;

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct GroupForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub position: String,
}

impl GroupForm {
    fn from_group(g: &Group) -> Self {
        GroupForm {
            name: g.name.clone(),
            description: g.description.clone(),
            position: g.position.to_string(),
        }
    }

    fn parse(&self) -> Result<NewGroup, Invalid> {
        let position = match self.position.trim() {
            "" => None,
            p => Some(parse_position(p.parse::<i64>().map_err(|_| {
                Invalid::new(format!("Position {p:?} is not a whole number."))
            })?)?),
        };
        Ok(NewGroup {
            name: Name::parse("group", &self.name)?,
            description: Description::parse("group", &self.description)?,
            position,
        })
    }
}

#[derive(Serialize)]
struct FormPage {
    title: String,
    action: String,
    submit: &'static str,
    form: GroupForm,
    error: Option<String>,
    delete_action: Option<String>,
}

fn form_page(
    state: &AppState,
    req: &HttpRequest,
    staff: &Staff,
    status: StatusCode,
    existing: Option<i64>,
    form: GroupForm,
    error: Option<String>,
) -> HttpResponse {
    let page = FormPage {
        title: match existing {
            Some(_) => format!("Edit group {}", form.name),
            None => "New component group".into(),
        },
        action: match existing {
            Some(id) => format!("/admin/groups/{id}"),
            None => "/admin/groups".into(),
        },
        submit: if existing.is_some() {
            "Save group"
        } else {
            "Create group"
        },
        delete_action: existing.map(|id| format!("/admin/groups/{id}/delete")),
        form,
        error,
    };
    html::render(state, req, Some(staff), status, "admin/group_form", page)
}

/// Redirects after a successful write, or shows the form again with the message.
fn save_or_show(
    state: &AppState,
    req: &HttpRequest,
    staff: &Staff,
    existing: Option<i64>,
    form: GroupForm,
    outcome: Result<&'static str, AppError>,
) -> Result<HttpResponse, AppError> {
    Ok(match after_save(outcome)? {
        Saved::Done(redirect) => redirect,
        Saved::ShowAgain(status, message) => {
            form_page(state, req, staff, status, existing, form, Some(message))
        }
    })
}

/// `GET /admin/groups/new`
pub async fn new_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
) -> Result<HttpResponse, AppError> {
    let staff = staff.require(Permission::ManageComponents)?;
    let form = GroupForm::default();
    Ok(form_page(
        &state,
        &req,
        staff,
        StatusCode::OK,
        None,
        form,
        None,
    ))
}

/// `POST /admin/groups`
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    form: CsrfForm<GroupForm>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageComponents)?;
    let form = form.0;
    let outcome = async {
        let new = form.parse()?;
        app::groups::create(&state, &staff.as_actor(), new).await?;
        Ok("group-created")
    }
    .await;
    save_or_show(&state, &req, &staff.0, None, form, outcome)
}

/// `GET /admin/groups/{id}/edit`
pub async fn edit_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageComponents)?;
    let id = id.into_inner();
    let group = state.db.run(move |conn| groups::get(conn, id)).await?;
    let form = GroupForm::from_group(&group);
    Ok(form_page(
        &state,
        &req,
        &staff.0,
        StatusCode::OK,
        Some(id),
        form,
        None,
    ))
}

/// `POST /admin/groups/{id}`
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<GroupForm>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ManageComponents)?;
    let id = id.into_inner();
    let form = form.0;
    let outcome = async {
        let parsed = form.parse()?;
        let changes = GroupChanges {
            name: Some(parsed.name),
            description: Some(parsed.description),
            position: parsed.position,
        };
        app::groups::update(&state, &staff.as_actor(), id, changes).await?;
        Ok("group-saved")
    }
    .await;
    save_or_show(&state, &req, &staff.0, Some(id), form, outcome)
}

/// `POST /admin/groups/{id}/delete`
pub async fn delete(
    state: web::Data<AppState>,
    staff: SignedIn,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    app::groups::delete(&state, &staff.as_actor(), *id).await?;
    Ok(html::see_other("/admin?done=group-deleted"))
}
