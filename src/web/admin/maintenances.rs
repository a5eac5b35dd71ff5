//! Console pages for scheduled maintenance: the list (active, upcoming,
//! completed), the form to schedule or edit one (times typed in the page's
//! time zone), posting an update that may move its status, and deleting.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{Choice, Saved};
use crate::app;
use crate::db::models::components;
use crate::db::models::maintenances::{
    self, MaintenanceChanges, MaintenanceWithDetails, NewMaintenance, NewUpdate,
};
use crate::domain::maintenance::{Body, MaintenanceStatus, Schedule};
use crate::domain::role::{Permission, Staff};
use crate::domain::status::Audience;
use crate::domain::text::Name;
use crate::domain::Invalid;
use crate::error::AppError;
use crate::render::time::{input_value, local, parse_input};
use crate::web::auth::{CsrfForm, NoFields, SignedIn};
use crate::web::html::{self, see_other};
use crate::web::state::AppState;

/// Messages shown after a redirect, chosen by code so a link cannot inject text.
fn notice(code: Option<&str>) -> Option<&'static str> {
    Some(match code? {
        "maintenance-created" => "Maintenance scheduled.",
        "maintenance-saved" => "Maintenance saved.",
        "maintenance-deleted" => "Maintenance deleted.",
        "update-posted" => "Update posted. The pages are updated.",
        _ => return None,
    })
}

/// The CSS class of a maintenance status (reusing the component colours).
fn status_class(status: MaintenanceStatus) -> &'static str {
    match status {
        MaintenanceStatus::Scheduled => "status-scheduled",
        MaintenanceStatus::InProgress | MaintenanceStatus::Verifying => "status-under_maintenance",
        MaintenanceStatus::Completed => "status-operational",
    }
}

#[derive(Serialize)]
struct Line {
    id: i64,
    name: String,
    status_label: &'static str,
    status_class: &'static str,
    starts: String,
    ends: String,
    recurring: bool,
    components: String,
}

#[derive(Serialize)]
struct ListPage {
    title: &'static str,
    notice: Option<&'static str>,
    zone: String,
    active: Vec<Line>,
    upcoming: Vec<Line>,
    completed: Vec<Line>,
}

#[derive(Deserialize)]
pub struct ListQuery {
    done: Option<String>,
}

/// `GET /admin/maintenances`
pub async fn list(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ViewInternal)?;
    let all = state.db.run(maintenances::list).await?;
    let zone = state.settings.time_zone;
    let mut page = ListPage {
        title: "Maintenance",
        notice: notice(query.done.as_deref()),
        zone: zone.name().to_string(),
        active: Vec::new(),
        upcoming: Vec::new(),
        completed: Vec::new(),
    };
    for d in all {
        let m = &d.maintenance;
        let line = Line {
            id: m.id,
            name: m.name.clone(),
            status_label: m.status.label(),
            status_class: status_class(m.status),
            starts: local(m.scheduled_for, zone),
            ends: local(m.scheduled_until, zone),
            recurring: m.rrule.is_some(),
            components: d
                .components
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        match m.status {
            MaintenanceStatus::Scheduled => page.upcoming.push(line),
            MaintenanceStatus::InProgress | MaintenanceStatus::Verifying => page.active.push(line),
            MaintenanceStatus::Completed => page.completed.push(line),
        }
    }
    page.completed.reverse();
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        StatusCode::OK,
        "admin/maintenances",
        page,
    ))
}

/// The maintenance form as typed; times are `datetime-local` values in the page's zone.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MaintenanceForm {
    pub name: String,
    pub body: String,
    pub scheduled_for: String,
    pub scheduled_until: String,
    pub rrule: String,
    pub auto_start: bool,
    pub auto_end: bool,
    pub notify: bool,
    pub components: Vec<i64>,
}

impl MaintenanceForm {
    /// Reads the posted fields; component checkboxes repeat the `components` name.
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut form = MaintenanceForm::default();
        for (key, value) in pairs {
            match key.as_str() {
                "name" => form.name = value,
                "body" => form.body = value,
                "scheduled_for" => form.scheduled_for = value,
                "scheduled_until" => form.scheduled_until = value,
                "rrule" => form.rrule = value,
                "auto_start" => form.auto_start = true,
                "auto_end" => form.auto_end = true,
                "notify" => form.notify = true,
                "components" => form.components.extend(value.trim().parse::<i64>().ok()),
                _ => {}
            }
        }
        form
    }

    fn from_maintenance(d: &MaintenanceWithDetails, zone: chrono_tz::Tz) -> Self {
        let m = &d.maintenance;
        MaintenanceForm {
            name: m.name.clone(),
            body: m.body.clone(),
            scheduled_for: input_value(m.scheduled_for, zone),
            scheduled_until: input_value(m.scheduled_until, zone),
            rrule: m.rrule.clone().unwrap_or_default(),
            auto_start: m.auto_start,
            auto_end: m.auto_end,
            notify: m.notify,
            components: d.components.iter().map(|c| c.id).collect(),
        }
    }

    fn times(
        &self,
        zone: chrono_tz::Tz,
    ) -> Result<(chrono::NaiveDateTime, chrono::NaiveDateTime), Invalid> {
        let starts = parse_input(&self.scheduled_for, zone)
            .map_err(|e| Invalid::new(format!("Starts: {}", e.0)))?;
        let ends = parse_input(&self.scheduled_until, zone)
            .map_err(|e| Invalid::new(format!("Ends: {}", e.0)))?;
        Ok((starts, ends))
    }

    fn parse(&self, zone: chrono_tz::Tz) -> Result<NewMaintenance, Invalid> {
        let (starts, ends) = self.times(zone)?;
        Ok(NewMaintenance {
            name: Name::parse("maintenance", &self.name)?,
            body: Body::parse(&self.body)?,
            schedule: Schedule::new(starts, ends, Some(&self.rrule), zone)?,
            components: self.components.clone(),
            auto_start: self.auto_start,
            auto_end: self.auto_end,
            notify: self.notify,
        })
    }

    /// The changes against what is stored: unchanged start, rule and
    /// components are left out, so a maintenance under way can still be
    /// renamed or extended from the same form.
    fn changes(
        &self,
        current: &MaintenanceWithDetails,
        zone: chrono_tz::Tz,
    ) -> Result<MaintenanceChanges, Invalid> {
        let m = &current.maintenance;
        let (starts, ends) = self.times(zone)?;
        let rule = self.rrule.trim().to_ascii_uppercase();
        let mut wanted = self.components.clone();
        wanted.sort_unstable();
        let mut stored: Vec<i64> = current.components.iter().map(|c| c.id).collect();
        stored.sort_unstable();
        Ok(MaintenanceChanges {
            name: Some(Name::parse("maintenance", &self.name)?),
            body: Some(Body::parse(&self.body)?),
            scheduled_for: (self.scheduled_for.trim() != input_value(m.scheduled_for, zone))
                .then_some(starts),
            scheduled_until: (self.scheduled_until.trim() != input_value(m.scheduled_until, zone))
                .then_some(ends),
            rrule: (rule != m.rrule.clone().unwrap_or_default())
                .then(|| Some(rule).filter(|r| !r.is_empty())),
            components: (wanted != stored).then_some(wanted),
            auto_start: Some(self.auto_start),
            auto_end: Some(self.auto_end),
            notify: Some(self.notify),
        })
    }
}

#[derive(Serialize)]
struct ComponentChoice {
    id: i64,
    name: String,
    internal: bool,
    checked: bool,
}

#[derive(Serialize)]
struct UpdateLine {
    status_label: &'static str,
    body_html: String,
    author: String,
    at: String,
}

/// What the edit page adds: where it stands, its updates and the update form.
#[derive(Serialize)]
struct Existing {
    id: i64,
    status_label: &'static str,
    status_class: &'static str,
    started: bool,
    statuses: Vec<Choice>,
    updates: Vec<UpdateLine>,
}

#[derive(Serialize)]
struct FormPage {
    title: String,
    action: String,
    submit: &'static str,
    zone: String,
    form: MaintenanceForm,
    components: Vec<ComponentChoice>,
    error: Option<String>,
    existing: Option<Existing>,
}

async fn form_page(
    state: &AppState,
    req: &HttpRequest,
    staff: &Staff,
    status: StatusCode,
    existing: Option<i64>,
    form: Option<MaintenanceForm>,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    let zone = state.settings.time_zone;
    let (all, current) = state
        .db
        .run(move |conn| {
            let current = existing.map(|id| maintenances::get(conn, id)).transpose()?;
            Ok((components::list(conn)?, current))
        })
        .await?;
    let form = match (form, &current) {
        (Some(form), _) => form,
        (None, Some(d)) => MaintenanceForm::from_maintenance(d, zone),
        (None, None) => MaintenanceForm {
            auto_start: true,
            auto_end: true,
            notify: true,
            ..MaintenanceForm::default()
        },
    };
    let page = FormPage {
        title: match &current {
            Some(d) => format!("Edit {}", d.maintenance.name),
            None => "Schedule maintenance".into(),
        },
        action: match existing {
            Some(id) => format!("/admin/maintenances/{id}"),
            None => "/admin/maintenances".into(),
        },
        submit: if existing.is_some() {
            "Save maintenance"
        } else {
            "Schedule maintenance"
        },
        zone: zone.name().to_string(),
        components: all
            .iter()
            .map(|c| ComponentChoice {
                id: c.id,
                name: c.name.clone(),
                internal: c.audience == Audience::Internal,
                checked: form.components.contains(&c.id),
            })
            .collect(),
        existing: current.map(|d| {
            let m = &d.maintenance;
            Existing {
                id: m.id,
                status_label: m.status.label(),
                status_class: status_class(m.status),
                started: m.status != MaintenanceStatus::Scheduled,
                statuses: MaintenanceStatus::ALL
                    .into_iter()
                    .filter(|s| m.status.move_to(*s).is_ok())
                    .map(|s| Choice {
                        value: s.as_str().into(),
                        label: s.label().into(),
                        selected: s == m.status,
                    })
                    .collect(),
                updates: d
                    .updates
                    .iter()
                    .map(|u| UpdateLine {
                        status_label: u.status.label(),
                        body_html: u.body_html.clone(),
                        author: u.author.clone(),
                        at: local(u.created_at, zone),
                    })
                    .collect(),
            }
        }),
        form,
        error,
    };
    Ok(html::render(
        state,
        req,
        Some(staff),
        status,
        "admin/maintenance_form",
        page,
    ))
}

/// Redirects to the list after a write, or shows the form again with the message.
async fn save_or_show(
    state: &AppState,
    req: &HttpRequest,
    staff: &Staff,
    existing: Option<i64>,
    form: Option<MaintenanceForm>,
    outcome: Result<&'static str, AppError>,
) -> Result<HttpResponse, AppError> {
    let done = outcome.as_ref().ok().copied().unwrap_or_default();
    match super::after_save(outcome)? {
        Saved::Done(_) => Ok(see_other(&format!("/admin/maintenances?done={done}"))),
        Saved::ShowAgain(status, message) => {
            form_page(state, req, staff, status, existing, form, Some(message)).await
        }
    }
}

/// `GET /admin/maintenances/new`
pub async fn new_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ChangeComponentStatus)?;
    form_page(&state, &req, &staff.0, StatusCode::OK, None, None, None).await
}

/// `POST /admin/maintenances`
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ChangeComponentStatus)?;
    let form = MaintenanceForm::from_pairs(form.0);
    let outcome = async {
        let new = form.parse(state.settings.time_zone)?;
        app::maintenance::create(&state, &staff.as_actor(), new).await?;
        Ok("maintenance-created")
    }
    .await;
    save_or_show(&state, &req, &staff.0, None, Some(form), outcome).await
}

/// `GET /admin/maintenances/{id}/edit`
pub async fn edit_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ChangeComponentStatus)?;
    let id = id.into_inner();
    form_page(&state, &req, &staff.0, StatusCode::OK, Some(id), None, None).await
}

/// `POST /admin/maintenances/{id}`
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ChangeComponentStatus)?;
    let id = id.into_inner();
    let form = MaintenanceForm::from_pairs(form.0);
    let outcome = async {
        let current = state
            .db
            .run(move |conn| maintenances::get(conn, id))
            .await?;
        let changes = form.changes(&current, state.settings.time_zone)?;
        app::maintenance::update(&state, &staff.as_actor(), id, changes).await?;
        Ok("maintenance-saved")
    }
    .await;
    save_or_show(&state, &req, &staff.0, Some(id), Some(form), outcome).await
}

#[derive(Deserialize)]
pub struct UpdateForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    body: String,
    /// The "email subscribers" box; absent when unticked.
    #[serde(default)]
    notify: Option<String>,
}

/// `POST /admin/maintenances/{id}/updates` — a note, a move of status, or both.
pub async fn post_update(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    id: web::Path<i64>,
    form: CsrfForm<UpdateForm>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ChangeComponentStatus)?;
    let id = id.into_inner();
    let form = form.0;
    let outcome = async {
        let update = NewUpdate {
            status: match form.status.trim() {
                "" => None,
                s => Some(MaintenanceStatus::parse(s)?),
            },
            body: Body::parse(&form.body)?,
            notify: Some(form.notify.is_some()),
        };
        app::maintenance::post_update(&state, &staff.as_actor(), id, update).await?;
        Ok("update-posted")
    }
    .await;
    save_or_show(&state, &req, &staff.0, Some(id), None, outcome).await
}

/// `POST /admin/maintenances/{id}/delete`
pub async fn delete(
    state: web::Data<AppState>,
    staff: SignedIn,
    id: web::Path<i64>,
    _form: CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    staff.require(Permission::ChangeComponentStatus)?;
    app::maintenance::delete(&state, &staff.as_actor(), id.into_inner()).await?;
    Ok(see_other("/admin/maintenances?done=maintenance-deleted"))
}
