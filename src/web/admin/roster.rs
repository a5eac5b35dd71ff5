//! The roster page (`/admin/roster`: who to call for each incident role),
//! and the incident page's two panels this feature adds: "Roles" (who holds
//! each role now, assign or hand over, the handover history) and "SLA"
//! (target against actual, wall clock and support hours).

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;

use super::metrics::human;
use crate::config::Settings;
use crate::db::models::incidents::Incident;
use crate::db::models::roster::{self, RoleHolding, RosterEntry};
use crate::domain::metrics::{Clock, SlaKind};
use crate::domain::role::{Permission, Role, Staff};
use crate::domain::roster::{parse_note, Contact, ContactPart, IncidentRole};
use crate::domain::Invalid;
use crate::error::AppError;
use crate::render::time::local;
use crate::web::auth::{CsrfForm, SignedIn};
use crate::web::html::{self, see_other};
use crate::web::sla::{incident_sla, metric_of, SlaClockView, SlaState, SlaTargetView};
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
) -> HttpResponse {
    let result = async {
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
    .await;
    html::page(&state, &req, Some(&staff.0), result)
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
) -> HttpResponse {
    let form = form.0;
    let result = async {
        staff.require(Permission::EditIncident)?;
        let role = IncidentRole::parse(&role).map_err(|e| AppError::NotFound(e.0))?;
        let parsed = (|| {
            let main = contact_from(&form, "main", "Main contact")?;
            let backup_given = ["backup_name", "backup_email", "backup_phone"]
                .iter()
                .any(|k| !field(&form, k).trim().is_empty());
            let backup = backup_given
                .then(|| contact_from(&form, "backup", "Backup contact"))
                .transpose()?;
            Ok::<_, Invalid>((main, backup))
        })();
        let outcome = match parsed {
            Ok((main, backup)) => {
                let actor = staff.0.email.clone();
                state
                    .db
                    .run(move |conn| roster::set(conn, &actor, role, main, backup))
                    .await
                    .map_err(AppError::from)
            }
            Err(e) => Err(AppError::Invalid(e.0)),
        };
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
    .await;
    html::page(&state, &req, Some(&staff.0), result)
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
    crate::web::auth::require(staff, Permission::EditIncident)?;
    let role = IncidentRole::parse(field(form, "role"))?;
    let note = parse_note(field(form, "note"))?;
    let pick = field(form, "pick").to_string();
    let typed = match pick.as_str() {
        "main" | "backup" => None,
        "me" => Some(me(staff)),
        _ => Some(contact_from(form, "holder", "Someone else,")?),
    };
    let actor = staff.email.clone();
    state
        .db
        .run(move |conn| {
            let holder = match typed {
                Some(holder) => holder,
                None => {
                    let entry = roster::get(conn, role)?;
                    let contact = match (&entry, pick.as_str()) {
                        (Some(e), "main") => Some(e.main.clone()),
                        (Some(e), _) => e.backup.clone(),
                        (None, _) => None,
                    };
                    contact.ok_or_else(|| {
                        Invalid::new(format!(
                            "The roster has no {pick} contact for {}: choose someone else or fill in the roster.",
                            role.label()
                        ))
                    })?
                }
            };
            roster::assign(conn, &actor, incident_id, role, holder, None, note)
        })
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- SLA panel

#[derive(Serialize)]
struct SlaClockLine {
    clock: &'static str,
    agreed: bool,
    state: &'static str,
    state_label: &'static str,
    icon: &'static str,
    class: &'static str,
    detail: String,
}

#[derive(Serialize)]
struct SlaLine {
    label: &'static str,
    definition: &'static str,
    target: String,
    agreed_clock: &'static str,
    state: &'static str,
    state_label: &'static str,
    icon: &'static str,
    class: &'static str,
    clocks: Vec<SlaClockLine>,
}

/// The "SLA" panel of the incident page.
#[derive(Serialize)]
pub struct SlaPanel {
    priority: &'static str,
    /// Why there is nothing to show, when there is not.
    none: Option<String>,
    lines: Vec<SlaLine>,
}

fn icon(state: SlaState) -> &'static str {
    match state {
        SlaState::Met => "✓",
        SlaState::Breached => "✗",
        SlaState::Running => "…",
        SlaState::NotMeasurable => "–",
    }
}

/// The existing console classes that colour the state (its word and icon
/// carry the meaning on their own).
fn state_class(state: SlaState) -> &'static str {
    match state {
        SlaState::Met => "phase phase-resolved",
        SlaState::Breached => "overdue",
        SlaState::Running => "phase phase-monitoring",
        SlaState::NotMeasurable => "muted",
    }
}

fn state_key(state: SlaState) -> &'static str {
    match state {
        SlaState::Met => "met",
        SlaState::Breached => "breached",
        SlaState::Running => "running",
        SlaState::NotMeasurable => "not_measurable",
    }
}

fn clock_detail(view: &SlaClockView, kind: SlaKind, ended: bool, zone: chrono_tz::Tz) -> String {
    let (start, not_yet) = match kind {
        SlaKind::OnSite => ("Operations Notified", "not on site yet"),
        SlaKind::Restore => ("Failure Occurred", "not restored yet"),
    };
    let deadline = view
        .deadline_at
        .map(|d| format!("deadline {}", local(d, zone)))
        .unwrap_or_default();
    let actual = view.actual_seconds.map(human).unwrap_or_default();
    match view.state {
        SlaState::Met => format!("took {actual} ({deadline})"),
        SlaState::Breached if ended => format!(
            "took {actual}, {} over ({deadline})",
            view.over_seconds.map(human).unwrap_or_default()
        ),
        SlaState::Breached => format!(
            "{not_yet}: {actual} so far, {} over ({deadline})",
            view.over_seconds.map(human).unwrap_or_default()
        ),
        SlaState::Running => format!(
            "{not_yet}: {actual} so far, {} left ({deadline})",
            view.remaining_seconds.map(human).unwrap_or_default()
        ),
        SlaState::NotMeasurable => {
            format!("{start} is not recorded, or the Time Summary is out of order")
        }
    }
}

fn clock_name(clock: Clock) -> &'static str {
    match clock {
        Clock::WallClock => "Wall clock",
        Clock::SupportHours => "Support hours",
    }
}

fn sla_line(kind: SlaKind, view: &SlaTargetView, zone: chrono_tz::Tz) -> SlaLine {
    let metric = metric_of(kind);
    let agreed_state = match view.agreed_clock {
        Clock::WallClock => view.wall_clock.state,
        Clock::SupportHours => view.support_hours.state,
    };
    let clocks = [
        (Clock::WallClock, &view.wall_clock),
        (Clock::SupportHours, &view.support_hours),
    ]
    .into_iter()
    .map(|(clock, c)| SlaClockLine {
        clock: clock_name(clock),
        agreed: clock == view.agreed_clock,
        state: state_key(c.state),
        state_label: c.state.label(),
        icon: icon(c.state),
        class: state_class(c.state),
        detail: clock_detail(c, kind, view.ended, zone),
    })
    .collect();
    SlaLine {
        label: metric.label(),
        definition: metric.definition(),
        target: human(view.target_seconds),
        agreed_clock: match view.agreed_clock {
            Clock::WallClock => "on the wall clock",
            Clock::SupportHours => "in support hours",
        },
        state: state_key(agreed_state),
        state_label: agreed_state.label(),
        icon: icon(agreed_state),
        class: state_class(agreed_state),
        clocks,
    }
}

/// Builds the panel for the incident as it is at `now`.
pub fn sla_panel(incident: &Incident, settings: &Settings, now: NaiveDateTime) -> SlaPanel {
    let zone = settings.time_zone;
    match incident_sla(incident, settings, now) {
        Some(sla) => SlaPanel {
            priority: incident.priority.as_str(),
            none: None,
            lines: vec![
                sla_line(SlaKind::OnSite, &sla.time_to_on_site, zone),
                sla_line(SlaKind::Restore, &sla.time_to_restore, zone),
            ],
        },
        None => SlaPanel {
            priority: incident.priority.as_str(),
            none: Some(format!(
                "No SLA targets are configured for {} (configuration key sla_targets).",
                incident.priority.as_str()
            )),
            lines: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_target_says_how_much_time_is_left() {
        let view = SlaClockView {
            state: SlaState::Running,
            met: None,
            actual_seconds: Some(12 * 60),
            deadline: None,
            remaining_seconds: Some(18 * 60),
            over_seconds: None,
            deadline_at: None,
        };
        let text = clock_detail(&view, SlaKind::Restore, false, chrono_tz::UTC);
        assert!(
            text.starts_with("not restored yet: 12 min so far, 18 min left"),
            "{text}"
        );
    }
}
