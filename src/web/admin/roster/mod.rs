//! The roster page (`/admin/roster`: who to call for each incident role),
//! and the incident page's two panels this feature adds: "Roles" (who holds
//! each role now, assign or hand over, the handover history) and "SLA"
//! (target against actual, wall clock and support hours).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

mod sla;

pub use sla::{sla_panel, SlaPanel};

use crate::app;
use crate::app::roster::Holder;
use crate::db::models::roster::{self, RoleHolding, RosterEntry};
use crate::domain::role::{Permission, Role, Staff};
use crate::domain::roster::{parse_note, Contact, ContactPart, IncidentRole};
use crate::domain::Invalid;
use crate::error::AppError;
use crate::render::time::local;
use crate::web::auth::{CsrfForm, SignedIn};
use crate::web::html::{self, see_other};
use crate::web::state::AppState;

// ---------------------------------------------------------------- roster page

#[derive(Serialize, Default, Clone)]
struct ContactFields {
    name: String,
    email: String,
    phone: String,
}

impl From<&Contact> for ContactFields {
    fn from(c: &Contact) -> Self {
        ContactFields {
            name: c.name.clone(),
            email: c.email.clone().unwrap_or_default(),
            phone: c.phone.clone().unwrap_or_default(),
        }
    }
}

#[derive(Serialize)]
struct RosterRow {
    key: &'static str,
    label: &'static str,
    duties: &'static [&'static str],
    main: Option<String>,
    backup: Option<String>,
    main_fields: ContactFields,
    backup_fields: ContactFields,
    updated: Option<String>,
    error: Option<String>,
    open: bool,
}

#[derive(Serialize)]
struct RosterPage {
    title: &'static str,
    notice: Option<&'static str>,
    can_edit: bool,
    roles: Vec<RosterRow>,
}

fn roster_rows(entries: &[RosterEntry], zone: chrono_tz::Tz) -> Vec<RosterRow> {
    IncidentRole::ALL
        .into_iter()
        .map(|role| {
            let entry = entries.iter().find(|e| e.role == role);
            RosterRow {
                key: role.as_str(),
                label: role.label(),
                duties: role.duties(),
                main: entry.map(|e| e.main.describe()),
                backup: entry.and_then(|e| e.backup.as_ref().map(Contact::describe)),
                main_fields: entry.map(|e| (&e.main).into()).unwrap_or_default(),
                backup_fields: entry
                    .and_then(|e| e.backup.as_ref().map(ContactFields::from))
                    .unwrap_or_default(),
                updated: entry
                    .map(|e| format!("{} by {}", local(e.updated_at, zone), e.updated_by)),
                error: None,
                open: false,
            }
        })
        .collect()
}

async fn roster_page(state: &AppState, staff: &Staff) -> Result<RosterPage, AppError> {
    let entries = state.db.run(roster::list).await?;
    Ok(RosterPage {
        title: "Roster",
        notice: None,
        can_edit: staff.can(Permission::EditIncident),
        roles: roster_rows(&entries, state.settings.time_zone),
    })
}

#[derive(serde::Deserialize)]
pub struct RosterQuery {
    done: Option<String>,
}

/// `GET /admin/roster` — every signed-in person may read it.
pub async fn show(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    query: web::Query<RosterQuery>,
) -> Result<HttpResponse, AppError> {
    let mut page = roster_page(&state, &staff.0).await?;
    page.notice = match query.done.as_deref() {
        Some("saved") => Some("Roster saved."),
        _ => None,
    };
    Ok(html::render(
        &state,
        &req,
        Some(&staff.0),
        StatusCode::OK,
        "admin/roster",
        page,
    ))
}

fn part_label(part: ContactPart) -> &'static str {
    match part {
        ContactPart::Name => "name",
        ContactPart::Email => "email",
        ContactPart::Phone => "phone",
    }
}

fn field<'a>(form: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    form.get(name).map(String::as_str).unwrap_or("")
}

/// Reads `{prefix}_name`, `{prefix}_email`, `{prefix}_phone`.
fn contact_from(
    form: &BTreeMap<String, String>,
    prefix: &str,
    who: &str,
) -> Result<Contact, Invalid> {
    Contact::parse(
        field(form, &format!("{prefix}_name")),
        field(form, &format!("{prefix}_email")),
        field(form, &format!("{prefix}_phone")),
    )
    .map_err(|e| Invalid::new(format!("{who} {}: {}", part_label(e.part), e.message)))
}

/// `POST /admin/roster/{role}` — admins and incident managers.
pub async fn save(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: SignedIn,
    role: web::Path<String>,
    form: CsrfForm<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let form = form.0;
    staff.require(Permission::EditIncident)?;
    let role = IncidentRole::parse(&role).map_err(|e| AppError::NotFound(e.0))?;
    let outcome = async {
        let main = contact_from(&form, "main", "Main contact")?;
        let backup_given = ["backup_name", "backup_email", "backup_phone"]
            .iter()
            .any(|k| !field(&form, k).trim().is_empty());
        let backup = backup_given
            .then(|| contact_from(&form, "backup", "Backup contact"))
            .transpose()?;
        app::roster::set_contacts(&state, &staff.as_actor(), role, main, backup).await
    }
    .await;
    match outcome {
        Ok(_) => Ok(see_other(&format!(
            "/admin/roster?done=saved#role-{}",
            role.as_str()
        ))),
        Err(AppError::Invalid(message)) | Err(AppError::Conflict(message)) => {
            let mut page = roster_page(&state, &staff.0).await?;
            if let Some(row) = page.roles.iter_mut().find(|r| r.key == role.as_str()) {
                row.error = Some(message);
                row.open = true;
                let typed = |p: &str| ContactFields {
                    name: field(&form, &format!("{p}_name")).into(),
                    email: field(&form, &format!("{p}_email")).into(),
                    phone: field(&form, &format!("{p}_phone")).into(),
                };
                row.main_fields = typed("main");
                row.backup_fields = typed("backup");
            }
            Ok(html::render(
                &state,
                &req,
                Some(&staff.0),
                StatusCode::UNPROCESSABLE_ENTITY,
                "admin/roster",
                page,
            ))
        }
        Err(other) => Err(other),
    }
}

// ---------------------------------------------------------------- roles panel

#[derive(Serialize)]
struct PickOption {
    value: &'static str,
    label: String,
    checked: bool,
}

#[derive(Serialize)]
struct RoleLine {
    key: &'static str,
    label: &'static str,
    holder: Option<String>,
    since: Option<String>,
    picks: Vec<PickOption>,
    fields: ContactFields,
    other_checked: bool,
    note: String,
    open: bool,
    error: Option<String>,
}

#[derive(Serialize)]
struct HistoryLine {
    role: &'static str,
    holder: String,
    from: String,
    until: Option<String>,
    assigned_by: String,
    ended_by: Option<String>,
    note: Option<String>,
}

/// The "Roles" panel of the incident page.
#[derive(Serialize)]
pub struct RolesPanel {
    can_assign: bool,
    roles: Vec<RoleLine>,
    history: Vec<HistoryLine>,
}

/// The signed-in person as a holder: their email is all the console knows.
fn me(staff: &Staff) -> Contact {
    Contact {
        name: staff.email.clone(),
        email: Some(staff.email.clone()),
        phone: None,
    }
}

/// What was typed in a role form, to show it again after an error.
pub struct RoleFormAgain {
    pub role: IncidentRole,
    pub form: BTreeMap<String, String>,
    pub error: String,
}

/// Builds the panel. The Major Incident Manager form is prefilled with the
/// signed-in person, and opened, when they are an incident manager in the
/// console and nobody holds the role yet; other forms default to the
/// roster's main contact.
pub async fn roles_panel(
    state: &AppState,
    staff: &Staff,
    incident_id: i64,
    again: Option<&RoleFormAgain>,
) -> Result<RolesPanel, AppError> {
    let (holdings, entries) = state
        .db
        .run(move |conn| Ok((roster::holdings(conn, incident_id)?, roster::list(conn)?)))
        .await?;
    let zone = state.settings.time_zone;
    let current = roster::current_holders(&holdings);
    let roles = current
        .into_iter()
        .map(|(role, holding)| {
            let entry = entries.iter().find(|e| e.role == role);
            let retry = again.filter(|a| a.role == role);
            let prefill_me = role == IncidentRole::MajorIncidentManager
                && holding.is_none()
                && staff.role == Role::IncidentManager;
            let default_pick = if prefill_me {
                "me"
            } else if entry.is_some() {
                "main"
            } else {
                "other"
            };
            let chosen = retry.map_or(default_pick, |a| {
                match a.form.get("pick").map(String::as_str) {
                    Some("main") => "main",
                    Some("backup") => "backup",
                    Some("me") => "me",
                    _ => "other",
                }
            });
            let mut picks = Vec::new();
            if let Some(e) = entry {
                picks.push(PickOption {
                    value: "main",
                    label: format!("Main on the roster: {}", e.main.describe()),
                    checked: chosen == "main",
                });
                if let Some(b) = &e.backup {
                    picks.push(PickOption {
                        value: "backup",
                        label: format!("Backup on the roster: {}", b.describe()),
                        checked: chosen == "backup",
                    });
                }
            }
            picks.push(PickOption {
                value: "me",
                label: format!("Me ({})", staff.email),
                checked: chosen == "me",
            });
            let get = |k: &str| retry.map_or(String::new(), |a| field(&a.form, k).to_string());
            RoleLine {
                key: role.as_str(),
                label: role.label(),
                holder: holding.map(|h| h.holder.describe()),
                since: holding.map(|h| local(h.started_at, zone)),
                picks,
                fields: ContactFields {
                    name: get("holder_name"),
                    email: get("holder_email"),
                    phone: get("holder_phone"),
                },
                other_checked: chosen == "other",
                note: get("note"),
                open: retry.is_some() || prefill_me,
                error: retry.map(|a| a.error.clone()),
            }
        })
        .collect();
    let history = holdings
        .iter()
        .map(|h: &RoleHolding| HistoryLine {
            role: h.role.label(),
            holder: h.holder.describe(),
            from: local(h.started_at, zone),
            until: h.ended_at.map(|t| local(t, zone)),
            assigned_by: h.assigned_by.clone(),
            ended_by: h.ended_by.clone(),
            note: h.note.clone(),
        })
        .collect();
    Ok(RolesPanel {
        can_assign: staff.can(Permission::EditIncident),
        roles,
        history,
    })
}

/// Reads a role form and writes the assignment or handover.
pub async fn assign_from_form(
    state: &AppState,
    staff: &Staff,
    incident_id: i64,
    form: &BTreeMap<String, String>,
) -> Result<(), AppError> {
    let actor = app::Actor::Staff(staff.clone());
    actor.require(Permission::EditIncident)?;
    let role = IncidentRole::parse(field(form, "role"))?;
    let note = parse_note(field(form, "note"))?;
    let pick = field(form, "pick").to_string();
    let typed = match pick.as_str() {
        "main" | "backup" => None,
        "me" => Some(me(staff)),
        _ => Some(contact_from(form, "holder", "Someone else,")?),
    };
    let holder = match typed {
        Some(holder) => Holder::Named(holder),
        None => Holder::FromRoster {
            backup: pick != "main",
            if_missing: format!(
                "The roster has no {pick} contact for {}: choose someone else or fill in the roster.",
                role.label()
            ),
        },
    };
    app::roster::assign(state, &actor, incident_id, role, holder, None, note).await?;
    Ok(())
}
