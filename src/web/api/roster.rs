//! `/api/v1/roster` and `/api/v1/incidents/{id}/roles`: who to call for each
//! incident role, and who holds each role of an incident.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ErrorBody;
use crate::app;
use crate::app::roster::Holder;
use crate::db::models::roster::{self, RoleHolding, RosterEntry};
use crate::domain::role::Permission;
use crate::domain::roster::{parse_note, Contact, IncidentRole};
use crate::domain::Invalid;
use crate::error::AppError;
use crate::render::statuspage::timestamp;
use crate::web::auth::ApiCaller;
use crate::web::body;
use crate::web::state::AppState;

/// A person to call.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl From<Contact> for ContactView {
    fn from(c: Contact) -> Self {
        ContactView {
            name: c.name,
            email: c.email,
            phone: c.phone,
        }
    }
}

/// One role of the roster; `main` and `backup` are null until filled in.
#[derive(Debug, Serialize, ToSchema)]
pub struct RosterEntryView {
    pub role: IncidentRole,
    pub label: String,
    /// The core responsibilities, from the roles & communications worksheet.
    pub duties: Vec<String>,
    pub main: Option<ContactView>,
    pub backup: Option<ContactView>,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

fn entry_view(role: IncidentRole, entry: Option<RosterEntry>) -> RosterEntryView {
    let (main, backup, by, at) = match entry {
        Some(e) => (
            Some(e.main.into()),
            e.backup.map(ContactView::from),
            Some(e.updated_by),
            Some(timestamp(e.updated_at)),
        ),
        None => (None, None, None, None),
    };
    RosterEntryView {
        role,
        label: role.label().into(),
        duties: role.duties().iter().map(|d| d.to_string()).collect(),
        main,
        backup,
        updated_by: by,
        updated_at: at,
    }
}

/// A contact as sent: `name` is required; `email` and `phone` are optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    #[serde(default)]
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

impl ContactInput {
    fn parse(&self, field: &str) -> Result<Contact, Invalid> {
        Contact::parse(
            &self.name,
            self.email.as_deref().unwrap_or(""),
            self.phone.as_deref().unwrap_or(""),
        )
        .map_err(|e| e.in_field(field))
    }
}

/// The contacts of one role. Leave `backup` out (or null) for none.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RosterInput {
    pub main: ContactInput,
    pub backup: Option<ContactInput>,
}

fn role_from_path(value: &str) -> Result<IncidentRole, AppError> {
    IncidentRole::parse(value).map_err(|e| AppError::NotFound(e.0))
}

/// The roster: every incident role with its main and backup contact.
#[utoipa::path(get, path = "/api/v1/roster", tag = "roster",
    responses((status = 200, body = [RosterEntryView]), (status = 401, body = ErrorBody)))]
pub async fn list(state: web::Data<AppState>, caller: ApiCaller) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let entries = state.db.run(roster::list).await?;
    Ok(HttpResponse::Ok().json(roster_view(entries)))
}

pub fn roster_view(entries: Vec<RosterEntry>) -> Vec<RosterEntryView> {
    let mut entries: Vec<Option<RosterEntry>> = entries.into_iter().map(Some).collect();
    IncidentRole::ALL
        .into_iter()
        .map(|role| {
            let entry = entries
                .iter_mut()
                .find(|e| e.as_ref().is_some_and(|e| e.role == role))
                .and_then(Option::take);
            entry_view(role, entry)
        })
        .collect()
}

/// Set the main and backup contact of a role (admins and incident managers).
#[utoipa::path(put, path = "/api/v1/roster/{role}", tag = "roster", request_body = RosterInput,
    params(("role" = IncidentRole, Path, description = "The incident role, e.g. `major_incident_manager`")),
    responses((status = 200, body = RosterEntryView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    state: web::Data<AppState>,
    caller: ApiCaller,
    role: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::EditIncident)?;
    let role = role_from_path(&role)?;
    let input: RosterInput = body::parse_json(&body::read(payload).await?, "roster_entry")?;
    let main = input.main.parse("main")?;
    let backup = input
        .backup
        .as_ref()
        .map(|b| b.parse("backup"))
        .transpose()?;
    let entry = app::roster::set_contacts(&state, &caller.as_actor(), role, main, backup).await?;
    Ok(HttpResponse::Ok().json(entry_view(role, Some(entry))))
}

/// One person's time in a role of an incident.
#[derive(Debug, Serialize, ToSchema)]
pub struct HoldingView {
    pub id: i64,
    pub role: IncidentRole,
    pub label: String,
    pub holder: ContactView,
    pub started_at: String,
    /// `null` while they still hold the role.
    pub ended_at: Option<String>,
    pub assigned_by: String,
    /// Who handed the role on.
    pub ended_by: Option<String>,
    pub note: Option<String>,
}

impl From<RoleHolding> for HoldingView {
    fn from(h: RoleHolding) -> Self {
        HoldingView {
            id: h.id,
            role: h.role,
            label: h.role.label().into(),
            holder: h.holder.into(),
            started_at: timestamp(h.started_at),
            ended_at: h.ended_at.map(timestamp),
            assigned_by: h.assigned_by,
            ended_by: h.ended_by,
            note: h.note,
        }
    }
}

/// A role and who holds it now (`holder` null when nobody does).
#[derive(Debug, Serialize, ToSchema)]
pub struct CurrentRoleView {
    pub role: IncidentRole,
    pub label: String,
    pub holder: Option<HoldingView>,
}

/// Who holds each role of an incident now, and every holding oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentRolesView {
    pub incident_id: i64,
    pub roles: Vec<CurrentRoleView>,
    pub history: Vec<HoldingView>,
}

fn roles_view(incident_id: i64, all: Vec<RoleHolding>) -> IncidentRolesView {
    let roles = roster::current_holders(&all)
        .into_iter()
        .map(|(role, holder)| CurrentRoleView {
            role,
            label: role.label().into(),
            holder: holder.cloned().map(HoldingView::from),
        })
        .collect();
    IncidentRolesView {
        incident_id,
        roles,
        history: all.into_iter().map(HoldingView::from).collect(),
    }
}

/// Which roster contact to give the role to.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RosterPick {
    Main,
    Backup,
}

/// Give a role to someone, handing it over from its current holder if any.
/// Name the person in `holder`, or pick the roster's `main` or `backup`
/// contact for the role with `from_roster`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    pub role: IncidentRole,
    pub holder: Option<ContactInput>,
    pub from_roster: Option<RosterPick>,
    /// When the handover happened (RFC 3339); now when left out. Not in the
    /// future, not before the current holder took the role.
    pub at: Option<DateTime<Utc>>,
    /// Why the role changes hands, for the history.
    pub note: Option<String>,
}

/// Who holds each role of an incident, and the handover history.
#[utoipa::path(get, path = "/api/v1/incidents/{id}/roles", tag = "roster",
    responses((status = 200, body = IncidentRolesView), (status = 404, body = ErrorBody)))]
pub async fn incident_roles(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::ViewInternal)?;
    let id = id.into_inner();
    let all = state
        .db
        .run(move |conn| {
            crate::db::models::incidents::get(conn, id)?;
            roster::holdings(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(roles_view(id, all)))
}

/// Assign a role of an incident, or hand it over (admins and incident managers).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/roles", tag = "roster", request_body = AssignInput,
    responses((status = 201, body = IncidentRolesView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    state: web::Data<AppState>,
    caller: ApiCaller,
    id: web::Path<i64>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    caller.require(Permission::EditIncident)?;
    let id = id.into_inner();
    let input: AssignInput = body::parse_json(&body::read(payload).await?, "role")?;
    let role = input.role;
    let note = parse_note(input.note.as_deref().unwrap_or(""))
        .map_err(|e| Invalid::new(format!("Field `note`: {}", e.0)))?;
    let at = input.at.map(|t| t.naive_utc());
    let holder = match (&input.holder, input.from_roster) {
        (Some(holder), None) => Some(holder.parse("holder")?),
        (None, Some(_)) => None,
        _ => {
            return Err(AppError::Invalid(
                "Give either `holder` (a name, and optionally email and phone) or `from_roster` (\"main\" or \"backup\"), not both and not neither.".into(),
            ))
        }
    };
    let holder = match (holder, input.from_roster) {
        (Some(holder), _) => Holder::Named(holder),
        (None, pick) => {
            let backup = matches!(pick, Some(RosterPick::Backup));
            Holder::FromRoster {
                backup,
                if_missing: format!(
                    "Field `from_roster`: the roster has no {} contact for {}: fill it in first (PUT /api/v1/roster/{}) or name the person in `holder`.",
                    if backup { "backup" } else { "main" },
                    role.label(),
                    role.as_str()
                ),
            }
        }
    };
    app::roster::assign(&state, &caller.as_actor(), id, role, holder, at, note).await?;
    let all = state.db.run(move |conn| roster::holdings(conn, id)).await?;
    Ok(HttpResponse::Created().json(roles_view(id, all)))
}
